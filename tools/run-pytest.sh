#!/bin/sh
# Runs the pytest suites against the build tree: the plugin through GST_PLUGIN_PATH, the
# sandbox binary through KLING_SANDBOX. Usage: tools/run-pytest.sh BUILD_DIR [PYTHON [PYTEST ARGS...]]
# (e.g. `-k lipsync` to run a part).
set -eu
build=$(cd "${1:-build}" && pwd)
python=${2:-/usr/bin/python3}
shift $(( $# < 2 ? $# : 2 ))
top=$(cd "$(dirname "$0")/.." && pwd)

export GST_PLUGIN_PATH="$build/gst/kling${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
export KLING_SANDBOX="$build/gst/kling/sandbox/kling-sandbox"
export KLING_BUILD_DIR="$build"
# Never let a developer's real keys reach a test.
unset KLING_ACCESS_KEY KLING_SECRET_KEY KLING_API_KEY KLING_API_URL

cd "$top"
exec "$python" -m pytest -q -p no:cacheprovider tests "$@"
