#!/usr/bin/env bash
# The GitHub Action's work (action.yml): lint the migrations changed since
# the pull request's base branch, print annotations, and write the Markdown
# report to the job summary. Exits with ddlint's status.
#
# Environment (as GitHub provides it): GITHUB_BASE_REF, GITHUB_STEP_SUMMARY,
# and the action inputs INPUT_PATHS, INPUT_PG_VERSION, INPUT_BASE_REF,
# INPUT_ARGS.
set -uo pipefail

paths=${INPUT_PATHS:-migrations}
pg=${INPUT_PG_VERSION:-15}
base=${INPUT_BASE_REF:-${GITHUB_BASE_REF:-}}
read -r -a extra <<< "${INPUT_ARGS:-}"
read -r -a targets <<< "$paths"

since=()
if [ -n "$base" ]; then
    ref="$base"
    if git rev-parse --verify -q "origin/$base" >/dev/null; then
        ref="origin/$base"
    elif git fetch --no-tags -q origin "$base" 2>/dev/null; then
        ref="FETCH_HEAD"
    fi
    since=(--since "$ref")
fi

args=(check --pg-version "$pg" "${since[@]}" "${extra[@]}" "${targets[@]}")

ddlint "${args[@]}" --format github
status=$?
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    # A job summary holds up to 1 MiB (a pull-request comment 65536
    # characters, the default).
    ddlint "${args[@]}" --format markdown --markdown-limit 1048576 >> "$GITHUB_STEP_SUMMARY" || true
fi
exit $status
