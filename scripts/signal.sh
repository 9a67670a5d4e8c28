#!/bin/sh
# How many findings a reader gets per problem: every project of the corpus
# with its layout (tests/corpus.rs), errors + warnings per flagged statement
# with each rule reporting on its own (--ungrouped) and with one finding per
# problem, and a check that grouping loses no rule on any statement.
#
#   scripts/signal.sh
#   DDLINT_BIN=/path/to/other/ddlint scripts/signal.sh   # measure another build
#
# (another build must know --ungrouped for the first columns.)
set -eu
cd "$(dirname "$0")/.."
exec cargo test --release --test corpus corpus_one_finding_per_problem -- --nocapture
