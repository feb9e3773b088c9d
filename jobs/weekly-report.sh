#!/bin/sh
# Weekly sales report: last week's (Monday to Sunday, Seoul) workbook and
# HTML page into a dated directory, for cron on Monday morning. Each file
# appears whole or not at all; the records naming them go to stdout.
#
# usage: jobs/weekly-report.sh [DIR]    (default $XLCFI_REPORT_DIR, else ./reports)
set -eu
dir=${1:-${XLCFI_REPORT_DIR:-reports}}
week=$(TZ=Asia/Seoul date -d '7 days ago' +%G-W%V)
mkdir -p "$dir/$week"
xlcfi report weekly -o "$dir/$week/weekly-report.xlsx"
xlcfi report weekly -o "$dir/$week/weekly-report.html"
