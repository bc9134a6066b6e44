#!/bin/sh
# `make demo`: a first render with no Kling account. Starts the bundled kling-sandbox on
# loopback with throw-away keys, renders examples/media/still.jpg into demo.mp4 through
# gst-launch-1.0 and klingimage2video, then stops the sandbox.
# Usage: tools/demo.sh BUILD_DIR
set -eu
build=$(cd "${1:-build}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

sandbox="$build/gst/kling/sandbox/kling-sandbox"
export GST_PLUGIN_PATH="$build/gst/kling${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"

# Keys made up for this run only; passed through the environment so they never show in ps.
KLING_ACCESS_KEY="demo-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
KLING_SECRET_KEY="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
export KLING_ACCESS_KEY KLING_SECRET_KEY
unset KLING_API_KEY

workdir=$(mktemp -d)
sandbox_pid=""
cleanup() {
    if [ -n "$sandbox_pid" ]; then
        kill -TERM "$sandbox_pid" 2>/dev/null || true
        wait "$sandbox_pid" 2>/dev/null || true
    fi
    rm -rf "$workdir"
}
trap cleanup EXIT INT TERM

"$sandbox" --port 0 --queue-delay 1 --render-delay 2 >"$workdir/sandbox.out" &
sandbox_pid=$!
# The sandbox prints its base URL as its first line once it listens.
KLING_API_URL=""
tries=0
while [ -z "$KLING_API_URL" ]; do
    KLING_API_URL=$(head -n 1 "$workdir/sandbox.out" 2>/dev/null || true)
    tries=$((tries + 1))
    if [ "$tries" -gt 100 ] || ! kill -0 "$sandbox_pid" 2>/dev/null; then
        echo "kling-sandbox did not start" >&2
        exit 1
    fi
    [ -n "$KLING_API_URL" ] || sleep 0.1
done
export KLING_API_URL
echo "kling-sandbox is serving at $KLING_API_URL"

rm -f demo.mp4
gst-launch-1.0 \
    filesrc location=examples/media/still.jpg ! jpegdec ! \
    klingimage2video prompt="a slow zoom over colour bars, studio light" \
        duration=5 poll-interval=1 cache-dir="$workdir/cache" ! \
    videoconvert ! x264enc speed-preset=veryfast ! mp4mux ! \
    filesink location=demo.mp4

echo
gst-discoverer-1.0 demo.mp4 | grep -E 'Duration|video|Width|Height|Frame rate' || true
echo "demo.mp4 is ready: play it with  gst-play-1.0 demo.mp4"
