#!/bin/sh
# Lint every project of the real-world corpus with its migration tool's
# layout and variables (the table is in tests/corpus.rs) and print, per
# project, the files read and parsed and the time taken, then the overall
# parse rate and every file that does not parse, with the reason.
#
#   scripts/corpus.sh                 # corpus at ../shared/corpus
#   DDLINT_CORPUS=/path scripts/corpus.sh
#
# Release build for realistic timings; the test itself fails below 99.5%.
set -eu
cd "$(dirname "$0")/.."
exec cargo test --release --test corpus -- --nocapture
