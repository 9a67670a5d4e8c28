#!/usr/bin/env bash
# The GitHub Action's install step (action.yml): puts a ddlint on PATH for the
# lint step, without compiling unless asked.
#
#   INPUT_INSTALL=prebuilt (default)  the release's wheel from PyPI, pinned to
#       INPUT_VERSION (default: this action's own version, from Cargo.toml);
#       only its binary is kept, in $RUNNER_TOOL_CACHE/ddlint/VERSION/ARCH,
#       which action.yml caches, so later runs download nothing.
#   INPUT_INSTALL=source  cargo install from this action's checkout (needs
#       Rust; installs libclang-dev when missing).
#   INPUT_INSTALL=path  the ddlint already on PATH.
#
# pip's own settings apply (PIP_INDEX_URL for a mirror, PIP_FIND_LINKS,
# PIP_NO_INDEX). Writes the directory to $GITHUB_PATH. With --print-version,
# only prints the version it would install.
set -euo pipefail

action=$(cd "$(dirname "$0")/.." && pwd)
own=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$action/Cargo.toml" | head -n 1)
version=${INPUT_VERSION:-$own}
version=${version#v}
if [ "${1:-}" = --print-version ]; then
    echo "$version"
    exit 0
fi
mode=${INPUT_INSTALL:-prebuilt}
github_path=${GITHUB_PATH:-/dev/null}

case "$mode" in
path)
    command -v ddlint >/dev/null || {
        echo "::error::install: path, but there is no ddlint on PATH"
        exit 1
    }
    echo "ddlint: using $(command -v ddlint) ($(ddlint --version))"
    ;;
source)
    if ! dpkg -s libclang-dev >/dev/null 2>&1; then
        sudo apt-get update -qq && sudo apt-get install -y -qq libclang-dev
    fi
    root=${RUNNER_TEMP:-/tmp}/ddlint-source
    cargo install --locked --path "$action" --root "$root"
    echo "$root/bin" >> "$github_path"
    ;;
prebuilt)
    case "$(uname -m)" in
    x86_64) arch=x64 ;;
    *)
        echo "::error::ddlint has no prebuilt binary for $(uname -s) $(uname -m): use install: source"
        exit 1
        ;;
    esac
    dir=${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-/tmp}}/ddlint/$version/$arch
    if [ -x "$dir/ddlint" ] && "$dir/ddlint" --version | grep -qxF "ddlint $version"; then
        echo "ddlint: $version from the cache ($dir)"
    else
        work=$(mktemp -d)
        trap 'rm -rf "$work"' EXIT
        python3 -m pip download --quiet --disable-pip-version-check --no-deps \
            --only-binary=:all: --dest "$work" "ddlint==$version" || {
            echo "::error::could not download the ddlint $version wheel (pip download ddlint==$version); set install: source to build it instead"
            exit 1
        }
        python3 -m zipfile -e "$work"/ddlint-"$version"-*.whl "$work/wheel"
        mkdir -p "$dir"
        install -m 755 "$work/wheel/ddlint-$version.data/scripts/ddlint" "$dir/ddlint"
        echo "ddlint: $version installed in $dir"
    fi
    "$dir/ddlint" --version
    echo "$dir" >> "$github_path"
    ;;
*)
    echo "::error::install must be prebuilt, source or path, not \"$mode\""
    exit 1
    ;;
esac
