#!/usr/bin/env bash
# Builds the release artefacts of ddlint into target/dist (or $DDLINT_DIST),
# with the version taken from Cargo.toml. For each architecture A (x86_64,
# aarch64; npm calls them x64, arm64):
#
#   ddlint-V-py3-none-manylinux2014_A.manylinux_2_17_A.whl
#       pip / pipx / uvx / pre-commit; carries the binary and nothing else
#   ddlint-V-A-unknown-linux-gnu.tar.gz (+ .sha256)
#       the same binary with README and licences
#   npm/ddlint-cli-linux-{x64,arm64}-V.tgz
#       the npm platform package with that binary
# and once:
#   npm/ddlint-V.tgz          `npm install ddlint`: the launcher
#   pre-commit-mirror/        the ddlint-pre-commit repository (a
#                             `language: python` hook installing the wheel)
#   SHA256SUMS
#
# The binaries are linked against glibc 2.17 (zig as C compiler and linker,
# through maturin), so they run on every manylinux2014 system, and OpenSSL is
# built in (the `vendored-openssl` feature): nothing is needed at run time
# but glibc. The build tools (maturin, ziglang, auditwheel) come from PyPI at
# pinned versions, into ~/.cache/ddlint/package-tools ($DDLINT_PACKAGE_TOOLS).
# Not under target/: with the same tools there, bindgen in pg_query's build
# script failed to find clang's stdbool.h, reproducibly. aarch64 needs the
# Rust target (`rustup target add aarch64-unknown-linux-gnu`, done here when
# missing).
# Nothing here needs Rust to use the results; scripts/test.sh installs them
# into fresh environments and tests them (tests/dist.rs, tests/precommit.rs,
# tests/github_action.rs).
#
#   scripts/package.sh                    # x86_64 and aarch64 (a release)
#   scripts/package.sh --arch x86_64      # one architecture (what CI tests)
#   DDLINT_DIST=/tmp/d scripts/package.sh
set -euo pipefail
cd "$(dirname "$0")/.."

archs=(x86_64 aarch64)
while [ $# -gt 0 ]; do
    case "$1" in
    --arch)
        [ $# -ge 2 ] || { echo "package.sh: --arch needs x86_64 or aarch64" >&2; exit 2; }
        case "$2" in
        x86_64 | aarch64) archs=("$2") ;;
        *) echo "package.sh: unknown architecture $2 (x86_64 or aarch64)" >&2; exit 2 ;;
        esac
        shift 2
        ;;
    -h | --help)
        sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    *) echo "package.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
[ -n "$version" ] || { echo "package.sh: no version in Cargo.toml" >&2; exit 1; }
dist=${DDLINT_DIST:-target/dist}
tools=${DDLINT_PACKAGE_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/ddlint/package-tools}
maturin_version=1.16.0
zig_version=0.17.1
auditwheel_version=6.8.2

if [ ! -x "$tools/bin/maturin" ] || ! "$tools/bin/maturin" --version | grep -qF "$maturin_version"; then
    echo "package.sh: installing maturin $maturin_version, ziglang $zig_version, auditwheel $auditwheel_version into $tools"
    python3 -m venv "$tools"
    "$tools/bin/pip" install -q --disable-pip-version-check \
        "maturin==$maturin_version" "ziglang==$zig_version" "auditwheel==$auditwheel_version"
fi

rm -rf "$dist"
mkdir -p "$dist/npm"
dist=$(cd "$dist" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

npm_arch() { case "$1" in x86_64) echo x64 ;; aarch64) echo arm64 ;; esac; }

# The wheel, then everything else from the binary inside it, so every
# artefact of an architecture ships the same bytes.
build() {
    local arch=$1 triple=$1-unknown-linux-gnu
    if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx "$triple"; then
        rustup target add "$triple"
    fi
    echo "package.sh: building ddlint $version for $triple"
    # maturin finds zig in its own environment.
    PATH="$tools/bin:$PATH" "$tools/bin/maturin" build --locked --release --zig \
        --compatibility manylinux2014 --target "$triple" --out "$dist" --quiet
    local wheel
    wheel=$(ls "$dist"/ddlint-"$version"-*_"$arch".whl)
    "$tools/bin/auditwheel" show "$wheel" > "$dist/auditwheel-$arch.txt"
    cat "$dist/auditwheel-$arch.txt"
    grep -qF "\"manylinux_2_17_$arch\"" "$dist/auditwheel-$arch.txt" || {
        echo "package.sh: $wheel is not manylinux_2_17 (manylinux2014)" >&2
        exit 1
    }

    python3 -m zipfile -e "$wheel" "$work/wheel-$arch"
    local binary="$work/wheel-$arch/ddlint-$version.data/scripts/ddlint"
    chmod 755 "$binary"
    if [ "$arch" = "$(uname -m)" ]; then
        "$binary" --version | grep -qxF "ddlint $version" || {
            echo "package.sh: the wheel's binary does not say ddlint $version" >&2
            exit 1
        }
    fi

    local archive="ddlint-$version-$triple"
    mkdir -p "$work/$archive"
    cp "$binary" README.md LICENSE-MIT LICENSE-APACHE "$work/$archive/"
    tar -C "$work" --owner=0 --group=0 --numeric-owner -czf "$dist/$archive.tar.gz" "$archive"

    local npm platform
    npm=$(npm_arch "$arch")
    platform="$work/npm-$npm"
    mkdir -p "$platform/bin"
    cp "$binary" "$platform/bin/ddlint"
    cp LICENSE-MIT LICENSE-APACHE "$platform/"
    cat > "$platform/package.json" <<EOF
{
  "name": "@ddlint/cli-linux-$npm",
  "version": "$version",
  "description": "The ddlint binary for Linux $arch (glibc 2.17 or later)",
  "license": "MIT OR Apache-2.0",
  "repository": { "type": "git", "url": "https://github.com/ddlint/ddlint" },
  "os": ["linux"],
  "cpu": ["$npm"],
  "libc": ["glibc"],
  "files": ["bin/ddlint", "LICENSE-MIT", "LICENSE-APACHE"],
  "preferUnplugged": true
}
EOF
    (cd "$platform" && npm pack --silent --pack-destination "$dist/npm" >/dev/null)
}

for arch in "${archs[@]}"; do
    build "$arch"
done

# The npm launcher (packaging/npm/ddlint.js), depending on the platform
# packages built.
main="$work/npm-main"
mkdir -p "$main/bin"
cp packaging/npm/ddlint.js "$main/bin/ddlint.js"
cp README.md LICENSE-MIT LICENSE-APACHE "$main/"
optional=$(for arch in "${archs[@]}"; do
    printf '"@ddlint/cli-linux-%s": "%s"\n' "$(npm_arch "$arch")" "$version"
done | paste -sd, - | sed 's/,/, /g')
cat > "$main/package.json" <<EOF
{
  "name": "ddlint",
  "version": "$version",
  "description": "Keeps PostgreSQL schema migrations from taking production down: exact lock model, rules, dry-run.",
  "license": "MIT OR Apache-2.0",
  "repository": { "type": "git", "url": "https://github.com/ddlint/ddlint" },
  "keywords": ["postgresql", "migrations", "linter", "locks", "ddl"],
  "bin": { "ddlint": "bin/ddlint.js" },
  "files": ["bin/ddlint.js", "README.md", "LICENSE-MIT", "LICENSE-APACHE"],
  "engines": { "node": ">=14" },
  "optionalDependencies": { $optional }
}
EOF
(cd "$main" && npm pack --silent --pack-destination "$dist/npm" >/dev/null)

# The pre-commit mirror repository.
mirror="$dist/pre-commit-mirror"
mkdir -p "$mirror"
for f in .pre-commit-hooks.yaml pyproject.toml README.md; do
    sed "s/@VERSION@/$version/g" "packaging/pre-commit/$f" > "$mirror/$f"
done
cp LICENSE-MIT LICENSE-APACHE "$mirror/"

cd "$dist"
for f in *.tar.gz; do
    sha256sum "$f" > "$f.sha256"
done
sha256sum ./*.whl ./*.tar.gz npm/*.tgz | sed 's| \./| |' > SHA256SUMS
echo "package.sh: ddlint $version in $dist:"
ls -l ./*.whl ./*.tar.gz npm/*.tgz | awk '{print "  " $5 "\t" $9}'
