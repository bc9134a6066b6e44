#!/bin/sh
# klinglipsync recipes for gst-launch-1.0. The element reads the keys from
# KLING_ACCESS_KEY / KLING_SECRET_KEY (or KLING_API_KEY) and the server from KLING_API_URL
# (the URL kling-sandbox prints, for an offline run), so they never show on a command line.
#
#   examples/lipsync.sh wav VIDEO_ID OUT.mp4 [VOICE.wav]    a WAV + a Kling video id: MP4 with sound
#   examples/lipsync.sh head STILL.jpg OUT.mp4 [VOICE.wav]  a photo + a WAV: a talking head
#   examples/lipsync.sh text VIDEO_ID OUT.mp4 "TEXT"        Kling speaks TEXT (<= 120 characters;
#                                                           one-step: the advanced flow takes audio only)
#   examples/lipsync.sh remux VIDEO_ID OUT.mp4 [VOICE.wav]  decoded audio and video, re-encoded
#
# The first three save Kling's MP4 as it is (video/quicktime passthrough); the last one
# decodes both pads, the way a pipeline that processes the clip further would. Audio goes
# through lip-sync-method=advanced (the default: identify-face, then advanced-lip-sync, the
# flow Kling documents); the photo is rendered with the default model-name, kling-v3.
set -eu

media=$(cd "$(dirname "$0")/media" && pwd)
recipe=${1:?usage: $0 wav|head|text|remux INPUT OUT.mp4 [VOICE.wav|TEXT]}
input=${2:?missing the video id or the still}
out=${3:?missing the output file}
voice=${4:-$media/voice.wav}

case "$recipe" in
wav)
  exec gst-launch-1.0 klinglipsync name=ls source-video-id="$input" ! video/quicktime ! \
      filesink location="$out" \
      filesrc location="$voice" ! wavparse ! ls.audio
  ;;
head)
  exec gst-launch-1.0 klinglipsync name=ls prompt="a person talking to the camera" ! \
      video/quicktime ! filesink location="$out" \
      filesrc location="$input" ! jpegparse ! ls.image \
      filesrc location="$voice" ! wavparse ! ls.audio
  ;;
text)
  exec gst-launch-1.0 klinglipsync source-video-id="$input" lip-sync-method=one-step \
      text="${4:?missing the text}" voice-language=en ! \
      video/quicktime ! filesink location="$out"
  ;;
remux)
  # mp4mux interleaves by time: when the clip's audio stops before its video, it waits
  # for audio until audio_src ends, which is at the clip's end. The encoded video must
  # be able to pile up meanwhile, or the bounded queues fill and the pipeline hangs: so
  # an unbounded queue after each encoder (compressed data, a few MB per clip), never
  # one of raw frames.
  exec gst-launch-1.0 klinglipsync name=ls source-video-id="$input" \
      ls.src ! queue ! videoconvert ! x264enc speed-preset=ultrafast ! \
      queue max-size-buffers=0 max-size-bytes=0 max-size-time=0 ! mp4mux name=mux ! \
      filesink location="$out" \
      ls.audio_src ! queue ! audioconvert ! voaacenc ! \
      queue max-size-buffers=0 max-size-bytes=0 max-size-time=0 ! mux. \
      filesrc location="$voice" ! wavparse ! ls.audio
  ;;
*)
  echo "unknown recipe $recipe: wav, head, text or remux" >&2
  exit 2
  ;;
esac
