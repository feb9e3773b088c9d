#!/bin/sh
# make demo: bring up the private database (creating it the first time),
# apply the migrations and show its status. Later issues grow this into the
# full pipeline.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
xlcfi="$top/cmd/xlcfi"

echo "demo: starting the private database (xlcfi db up)" >&2
"$xlcfi" db up
echo "demo: its status (xlcfi db status)" >&2
"$xlcfi" db status
echo "demo: connect with:  psql \"\$($xlcfi db dsn)\"" >&2
echo "demo: stop it with:  $xlcfi db down" >&2
