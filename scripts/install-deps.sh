#!/bin/sh
# Install the Debian 12 packages xlcfi needs to build, test and run the demo.
# Does nothing (quickly) when they are all present. Uses sudo when not root.
#
# usage: scripts/install-deps.sh [--bench]
#   --bench   also what the benchmark scripts need (csvkit, psycopg2, pgloader,
#             pandas, XlsxWriter, openpyxl)
set -eu

PKGS="build-essential pkg-config libpq-dev libjansson-dev libcsv-dev libcurl4-openssl-dev libxlsxwriter-dev libopenblas-dev zlib1g-dev libcmocka-dev libmicrohttpd-dev postgresql mandoc jq curl time python3"
case "${1:-}" in
--bench) PKGS="$PKGS csvkit python3-psycopg2 pgloader python3-pandas python3-xlsxwriter python3-openpyxl python3-numpy python3-scipy" ;;
"") ;;
*) echo "usage: scripts/install-deps.sh [--bench]" >&2; exit 64 ;;
esac

installed=$(dpkg-query -W -f='${Package} ${Status}\n' $PKGS 2>/dev/null | awk '/ install ok installed$/ { print $1 }')
missing=""
for p in $PKGS; do
	case " $(echo $installed) " in
	*" $p "*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "install-deps: need root or sudo to install:$missing" >&2
	exit 77
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
