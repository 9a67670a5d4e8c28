#!/usr/bin/env node
// The `ddlint` command of the npm package: runs the prebuilt binary that the
// platform package (an optional dependency, installed only where its `os`,
// `cpu` and `libc` match) carries, with the same arguments, streams and exit
// status.
"use strict";

const { spawnSync } = require("child_process");
const path = require("path");

const platforms = {
  "linux x64": "@ddlint/cli-linux-x64",
  "linux arm64": "@ddlint/cli-linux-arm64",
};

function binary() {
  if (process.env.DDLINT_BINARY) {
    return process.env.DDLINT_BINARY;
  }
  const key = `${process.platform} ${process.arch}`;
  const pkg = platforms[key];
  if (!pkg) {
    fail(
      `no prebuilt ddlint for ${key} (there is one for ${Object.keys(platforms).join(", ")}): ` +
        "build it from source (cargo install --locked --git https://github.com/ddlint/ddlint), or set DDLINT_BINARY to a ddlint binary"
    );
  }
  try {
    return require.resolve(`${pkg}/bin/ddlint`);
  } catch (e) {
    fail(
      `the platform package ${pkg} is not installed: reinstall without --no-optional ` +
        "(or --omit=optional), or set DDLINT_BINARY to a ddlint binary"
    );
  }
}

function fail(message) {
  process.stderr.write(`ddlint: ${message}\n`);
  process.exit(2);
}

const result = spawnSync(binary(), process.argv.slice(2), { stdio: "inherit" });
if (result.error) {
  fail(`could not run ${result.error.path || "the binary"}: ${result.error.message}`);
}
if (result.signal) {
  process.kill(process.pid, result.signal);
}
process.exit(result.status === null ? 2 : result.status);
