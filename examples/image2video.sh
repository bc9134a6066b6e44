#!/bin/sh
# gst-launch-1.0 recipes for klingimage2video.
#
#   examples/image2video.sh screen [STILL] [PROMPT]     render, then show the clip
#   examples/image2video.sh mp4 OUT.mp4 [STILL] [PROMPT] render, save Kling's MP4 as is
#   examples/image2video.sh encode OUT.mp4 [STILL] [PROMPT]
#                                                      render, decode, re-encode (x264)
#
# Credentials and server come from the environment, as the element reads them:
# KLING_ACCESS_KEY + KLING_SECRET_KEY (or KLING_API_KEY), and KLING_API_URL. To try it
# without an account, start the bundled sandbox first:
#   build/gst/kling/sandbox/kling-sandbox --port 0 &   # prints its URL, e.g. http://127.0.0.1:40123
#   export KLING_API_URL=http://127.0.0.1:40123 KLING_ACCESS_KEY=ak KLING_SECRET_KEY=sk
# (the sandbox takes the same KLING_ACCESS_KEY / KLING_SECRET_KEY from its environment).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
what=${1:-screen}
[ $# -gt 0 ] && shift

case "$what" in
screen)
    still=${1:-$here/media/still.jpg}
    prompt=${2:-a slow zoom over colour bars}
    exec gst-launch-1.0 filesrc location="$still" ! jpegdec ! \
        klingimage2video prompt="$prompt" ! videoconvert ! autovideosink
    ;;
mp4)
    out=${1:?output file}
    still=${2:-$here/media/still.jpg}
    prompt=${3:-a slow zoom over colour bars}
    # jpegparse sends the JPEG to Kling untouched; video/quicktime keeps the MP4 as is.
    exec gst-launch-1.0 filesrc location="$still" ! jpegparse ! \
        klingimage2video prompt="$prompt" ! video/quicktime ! filesink location="$out"
    ;;
encode)
    out=${1:?output file}
    still=${2:-$here/media/still.jpg}
    prompt=${3:-a slow zoom over colour bars}
    exec gst-launch-1.0 filesrc location="$still" ! jpegdec ! \
        klingimage2video prompt="$prompt" ! videoconvert ! x264enc ! mp4mux ! \
        filesink location="$out"
    ;;
*)
    sed -n '2,14p' "$0" >&2
    exit 2
    ;;
esac
