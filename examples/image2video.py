#!/usr/bin/python3
"""Render a still image into a video clip with Kling, from Python (PyGObject).

    KLING_ACCESS_KEY=... KLING_SECRET_KEY=... \
        ./image2video.py examples/media/still.jpg --prompt "a slow zoom" --output clip.mp4

Without --output the clip is shown on screen. Against the bundled kling-sandbox, set
KLING_API_URL (or --api-url) to the URL it prints. The keys are read from the environment
by the element itself, so they never appear on the command line.
"""
import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

PARSERS = {".jpg": "jpegparse", ".jpeg": "jpegparse", ".png": "pngparse"}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("image", help="a JPEG or PNG still (other formats are decoded)")
    parser.add_argument("--prompt", default="", help="what should happen in the clip")
    parser.add_argument("--negative-prompt", default=None)
    parser.add_argument("--output", help="save the MP4 Kling made here (not re-encoded)")
    parser.add_argument("--duration", type=int, choices=range(3, 16), default=5,
                        metavar="3..15", help="seconds (kling-v3: 3 to 15; others 5 or 10)")
    parser.add_argument("--mode", choices=("std", "pro", "4k"), default="std")
    parser.add_argument("--sound", action="store_true",
                        help="ask the model for native audio (kling-v3)")
    parser.add_argument("--model-name", default=None, help="default: the element's")
    parser.add_argument("--api-url", default=None, help="default: KLING_API_URL or Kling")
    parser.add_argument("--cache-dir", default=None)
    parser.add_argument("--poll-interval", type=float, default=None)
    parser.add_argument("--timeout", type=float, default=None)
    return parser.parse_args(argv)


def build_pipeline(args):
    suffix = args.image[args.image.rfind("."):].lower() if "." in args.image else ""
    parse = PARSERS.get(suffix, "decodebin ! videoconvert")
    tail = ("video/quicktime ! filesink name=out" if args.output
            else "videoconvert ! autovideosink")
    pipeline = Gst.parse_launch(
        f"filesrc name=in ! {parse} ! klingimage2video name=kling ! {tail}")
    pipeline.get_by_name("in").set_property("location", args.image)
    if args.output:
        pipeline.get_by_name("out").set_property("location", args.output)

    kling = pipeline.get_by_name("kling")
    kling.set_property("prompt", args.prompt)
    kling.set_property("duration", args.duration)
    kling.set_property("sound", args.sound)
    Gst.util_set_object_arg(kling, "mode", args.mode)
    for name in ("negative_prompt", "model_name", "api_url", "cache_dir", "poll_interval",
                 "timeout"):
        value = getattr(args, name)
        if value is not None:
            kling.set_property(name.replace("_", "-"), value)
    kling.connect("notify::task-id",
                  lambda element, _: print(f"task id: {element.get_property('task-id')}"))
    return pipeline


def on_message(bus, message, state):
    kind = message.type
    if kind == Gst.MessageType.PROGRESS:
        _, code, text = message.parse_progress()
        print(f"[{code}] {text}", flush=True)
    elif kind == Gst.MessageType.ELEMENT and message.has_name("kling-task"):
        s = message.get_structure()
        print(f"  task {s.get_string('task-id')}: {s.get_string('status')} "
              f"after {s.get_double('elapsed')[1]:.1f} s", flush=True)
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

    pipeline.set_state(Gst.State.PLAYING)
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
