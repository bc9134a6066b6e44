#!/bin/sh
# Runs every libFuzzer target of a -Dfuzz=enabled build for a bounded time each, from its
# seed corpus (tests/fuzz/corpus/<name>, never modified: new inputs go to a scratch copy).
# Usage: tools/run-fuzz.sh BUILD_DIR SECONDS_PER_TARGET. Exits non-zero on the first crash,
# leaving the input that crashed in BUILD_DIR/fuzz-artifacts/.
set -eu
build=$(cd "$1" && pwd)
seconds=${2:-60}
top=$(cd "$(dirname "$0")/.." && pwd)
artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/gst-kling-fuzz-XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM

status=0
for seeds in "$top"/tests/fuzz/corpus/*/; do
    name=$(basename "$seeds")
    target="$build/tests/fuzz/fuzz-$name"
    [ -x "$target" ] || { echo "fuzz-$name: not built in $build" >&2; exit 2; }
    mkdir -p "$scratch/$name"
    log="$scratch/$name.log"
    if "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
            -print_final_stats=1 -artifact_prefix="$artifacts/$name-" \
            "$scratch/$name" "$seeds" >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        echo "fuzz-$name: ${runs:-?} runs in ${seconds} s, no crash"
    else
        echo "fuzz-$name: FAILED (input in $artifacts/)" >&2
        tail -n 40 "$log" >&2
        status=1
    fi
done
exit $status
