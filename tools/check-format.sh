#!/bin/sh
# The house style (docs/design.md, "Code style"): GNU indent with gst-indent's options
# (.indent.pro) over every C source under gst/, tests/ and examples/; headers are aligned by
# hand, as in GStreamer. GNU indent is not idempotent in one pass, so, like gst-indent, it
# runs twice; after that a third run changes nothing.
#
#   tools/check-format.sh [FILE.c...]        lists the files not in the style, fails if any
#   tools/check-format.sh --fix [FILE.c...]  rewrites them in the style
#
# Without files it takes every .c file of the tree. Code that must keep its layout (a table)
# sits between /* *INDENT-OFF* */ and /* *INDENT-ON* */.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
fix=0
if [ "${1:-}" = "--fix" ]; then
    fix=1
    shift
fi

if ! indent --version 2>/dev/null | grep -q '^GNU indent'; then
    echo "check-format: GNU indent is not installed: install it (Debian: apt-get install indent, or tools/install-deps.sh)." >&2
    exit 2
fi
# gst-indent-1.0 is GNU indent 2.2.12; another version may lay out some lines differently.
case $(indent --version) in
    "GNU indent 2.2.12"*) ;;
    *) echo "check-format: $(indent --version) is not GNU indent 2.2.12, which the style was set with: expect differences." >&2 ;;
esac

INDENT_PROFILE="$root/.indent.pro"
export INDENT_PROFILE

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

if [ $# -eq 0 ]; then
    cd "$root"
    set -- $(find gst tests examples -name '*.c' | LC_ALL=C sort)
fi

bad=0
for f in "$@"; do
    # Standard output, not in place: GNU indent would leave a FILE~ backup behind.
    indent -st "$f" > "$tmp/pass1" && indent -st "$tmp/pass1" > "$tmp/pass2" || {
        echo "check-format: GNU indent could not read $f: see its message above." >&2
        exit 2
    }
    if ! cmp -s "$tmp/pass2" "$f"; then
        if [ $fix -eq 1 ]; then
            cat "$tmp/pass2" > "$f"
            echo "formatted: $f"
        else
            echo "$f"
            bad=$((bad + 1))
        fi
    fi
done

if [ $bad -gt 0 ]; then
    echo "check-format: $bad file(s) above are not in the house style: run tools/check-format.sh --fix and commit the result." >&2
    exit 1
fi
exit 0
