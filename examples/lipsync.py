#!/usr/bin/python3
"""Make a Kling video speak, from Python (PyGObject): a voice plus a video in, the
lip-synced clip out.

    KLING_ACCESS_KEY=... KLING_SECRET_KEY=... \\
        ./lipsync.py --video-id 8600... --audio examples/media/voice.wav --output talk.mp4
    ./lipsync.py --image examples/media/still.jpg --audio voice.mp3 --output head.mp4
    ./lipsync.py --video-id 8600... --text "Hello there"   (one-step: Kling speaks it)

The voice is --audio (any file GStreamer decodes; WAV and MP3 are sent as they are) or
--text. The video is --video-id, --video-url or --image (a still: it is rendered with
image2video first, with --prompt). Audio goes through the element's default method,
advanced (identify-face, then advanced-lip-sync); --text needs one-step, so that is what
it uses unless --method says otherwise. Without --output the clip is played on screen and
speakers. Against the bundled kling-sandbox, set KLING_API_URL (or --api-url) to the URL
it prints. The keys are read from the environment by the element itself.
"""
import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

AUDIO_PARSERS = {".wav": "wavparse", ".mp3": "mpegaudioparse"}
IMAGE_PARSERS = {".jpg": "jpegparse", ".jpeg": "jpegparse", ".png": "pngparse"}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    voice = parser.add_mutually_exclusive_group(required=True)
    voice.add_argument("--audio", help="the voice, an audio file")
    voice.add_argument("--text", help="or a text Kling speaks (at most 120 characters)")
    video = parser.add_mutually_exclusive_group(required=True)
    video.add_argument("--video-id", help="a video Kling made (e.g. klingimage2video's)")
    video.add_argument("--video-url", help="an MP4 Kling can fetch (2-10 s)")
    video.add_argument("--image", help="a still, rendered with image2video first")
    parser.add_argument("--prompt", default="a person talking to the camera",
                        help="with --image: what happens in the clip")
    parser.add_argument("--voice-language", choices=("en", "zh"), default="en")
    parser.add_argument("--voice-id", default=None, help="with --text; default: the element's")
    parser.add_argument("--method", choices=("one-step", "advanced"), default=None,
                        help="default: advanced with --audio, one-step with --text")
    parser.add_argument("--output", help="save the MP4 Kling made here (not re-encoded)")
    parser.add_argument("--api-url", default=None, help="default: KLING_API_URL or Kling")
    parser.add_argument("--cache-dir", default=None)
    parser.add_argument("--poll-interval", type=float, default=None)
    parser.add_argument("--timeout", type=float, default=None)
    return parser.parse_args(argv)


def suffix_of(path):
    return path[path.rfind("."):].lower() if "." in path else ""


def build_pipeline(args):
    parts = ["klinglipsync name=kling"]
    if args.output:
        parts.append("kling.src ! video/quicktime ! filesink name=out")
    else:
        parts.append("kling.src ! queue ! videoconvert ! autovideosink "
                     "kling.audio_src ! queue ! audioconvert ! audioresample ! autoaudiosink")
    if args.image:
        parse = IMAGE_PARSERS.get(suffix_of(args.image), "decodebin ! videoconvert")
        parts.append(f"filesrc name=image ! {parse} ! kling.image")
    if args.audio:
        parse = AUDIO_PARSERS.get(suffix_of(args.audio), "decodebin ! audioconvert")
        parts.append(f"filesrc name=audio ! {parse} ! kling.audio")
    pipeline = Gst.parse_launch(" ".join(parts))

    if args.output:
        pipeline.get_by_name("out").set_property("location", args.output)
    if args.image:
        pipeline.get_by_name("image").set_property("location", args.image)
    if args.audio:
        pipeline.get_by_name("audio").set_property("location", args.audio)

    kling = pipeline.get_by_name("kling")
    method = args.method or ("one-step" if args.text else None)
    if method:
        Gst.util_set_object_arg(kling, "lip-sync-method", method)
    Gst.util_set_object_arg(kling, "voice-language", args.voice_language)
    if args.image:
        kling.set_property("prompt", args.prompt)
    properties = {"text": "text", "voice_id": "voice-id", "video_id": "source-video-id",
                  "video_url": "video-url", "api_url": "api-url", "cache_dir": "cache-dir",
                  "poll_interval": "poll-interval", "timeout": "timeout"}
    for name, prop in properties.items():
        value = getattr(args, name)
        if value is not None:
            kling.set_property(prop, value)
    kling.connect("notify::result-video-id", lambda element, _: print(
        f"lip-synced video id: {element.get_property('result-video-id')}", flush=True))
    return pipeline


def on_message(bus, message, state):
    kind = message.type
    if kind == Gst.MessageType.PROGRESS:
        _, code, text = message.parse_progress()
        print(f"[{code}] {text}", flush=True)
    elif kind == Gst.MessageType.WARNING:
        warning, _ = message.parse_warning()
        print(f"warning: {warning.message}", file=sys.stderr)
    elif kind == Gst.MessageType.ERROR:
        error, debug = message.parse_error()
        print(f"error: {error.message}\n  ({debug})", file=sys.stderr)
        state["status"] = 1
        state["loop"].quit()
    elif kind == Gst.MessageType.EOS:
        print("done", flush=True)
        state["loop"].quit()
    return True


def main(argv):
    args = parse_args(argv)
    Gst.init(None)
    pipeline = build_pipeline(args)
    state = {"loop": GLib.MainLoop(), "status": 0}
    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message, state)

    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        state["status"] = 1     # the error message says why; the loop sees it first
    try:
        state["loop"].run()
    except KeyboardInterrupt:
        # Going down cancels the render; a rerun resumes the task Kling already has.
        state["status"] = 130
    finally:
        pipeline.set_state(Gst.State.NULL)
        bus.remove_signal_watch()
    if state["status"] == 0 and args.output:
        print(f"saved {args.output}")
    return state["status"]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
