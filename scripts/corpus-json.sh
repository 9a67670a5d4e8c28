#!/bin/sh
# Write what `ddlint check` reports (JSON and text) for every corpus project,
# and for the whole corpus as one tree, into DIR. Run it before and after a
# change that must not change behaviour, then `diff -r BEFORE AFTER`.
#
#   scripts/corpus-json.sh /tmp/before
set -eu
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
case "$1" in /*) out=$1 ;; *) out=$(pwd)/$1 ;; esac
cd "$(dirname "$0")/.."
DDLINT_CORPUS_OUT=$out exec cargo test --release --test corpus -- --ignored corpus_outputs --nocapture
