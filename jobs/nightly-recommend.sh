#!/bin/sh
# Nightly recommendations: train on the database into a new model file
# (written atomically beside the old one), then store every user's top N as
# the active model's rec_results for the HTTP server, in one transaction.
# A failed run leaves yesterday's model and recommendations in place.
#
# usage: jobs/nightly-recommend.sh [MODEL]   (default $XLCFI_MODEL, else ./als.model)
set -eu
model=${1:-${XLCFI_MODEL:-als.model}}
xlcfi recommend train -o "$model"
xlcfi recommend batch -m "$model" -n "${XLCFI_REC_N:-20}" --to-db
