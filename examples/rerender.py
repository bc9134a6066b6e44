#!/usr/bin/python3
"""Re-render on a live feed without a state change: klingimage2video's `render` signal.

    KLING_ACCESS_KEY=... KLING_SECRET_KEY=... \
        ./rerender.py --renders 3 --output live.mp4

A live `videotestsrc` is the feed. klingimage2video takes its first frame as the still; with
allow-rerender=true it keeps taking (and dropping) the feed. Each time a clip is ready the
example changes the feed's pattern and the prompt and emits `render`: the next frame of
the feed becomes a new still, and its clip follows the previous one in the same stream.
After the last render it ends the feed (EOS), the element ends the output after the last
clip, and the file holds every clip in order. Without --output the clips are shown.

Against the bundled kling-sandbox, set KLING_API_URL (or --api-url) to the URL it prints.
"""
import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

# The feed's look for each render: videotestsrc patterns.
PATTERNS = ("smpte", "ball", "snow", "pinwheel", "spokes", "gradient")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--renders", type=int, default=2, help="clips to render (>= 1)")
    parser.add_argument("--prompt", default="a slow zoom", help="prompt of the first clip")
    parser.add_argument("--output", help="encode the clips into this MP4 (H.264)")
    parser.add_argument("--api-url", default=None, help="default: KLING_API_URL or Kling")
    parser.add_argument("--cache-dir", default=None)
    parser.add_argument("--poll-interval", type=float, default=None)
    return parser.parse_args(argv)


def build_pipeline(args):
    tail = ("videoconvert ! x264enc ! mp4mux ! filesink name=out" if args.output
            else "videoconvert ! autovideosink")
    pipeline = Gst.parse_launch(
        "videotestsrc name=feed is-live=true ! "
        "video/x-raw,width=640,height=360,framerate=10/1 ! "
        f"klingimage2video name=kling allow-rerender=true ! {tail}")
    if args.output:
        pipeline.get_by_name("out").set_property("location", args.output)
    kling = pipeline.get_by_name("kling")
    kling.set_property("prompt", args.prompt)
    for name in ("api_url", "cache_dir", "poll_interval"):
        value = getattr(args, name)
        if value is not None:
            kling.set_property(name.replace("_", "-"), value)
    return pipeline


def next_render(pipeline, state):
    """A clip is ready: render the feed's next frame, with a new look and prompt."""
    state["done"] += 1
    print(f"clip {state['done']} ready", flush=True)
    if state["done"] >= state["renders"]:
        # The feed ends: the element ends its output after the last clip.
        pipeline.get_by_name("feed").send_event(Gst.Event.new_eos())
        return
    pattern = PATTERNS[state["done"] % len(PATTERNS)]
    Gst.util_set_object_arg(pipeline.get_by_name("feed"), "pattern", pattern)
    kling = pipeline.get_by_name("kling")
    kling.set_property("prompt", f"{state['prompt']}, take {state['done'] + 1}")
    if not kling.emit("render"):
        print("error: the element did not take a new still", file=sys.stderr)
        state["status"] = 1
        state["loop"].quit()
        return
    print(f"render {state['done'] + 1}: the next {pattern} frame is the still", flush=True)


def on_message(bus, message, pipeline, state):
    kind = message.type
    if kind == Gst.MessageType.PROGRESS:
        progress_type, code, text = message.parse_progress()
        print(f"[{code}] {text}", flush=True)
        if progress_type == Gst.ProgressType.COMPLETE:
            next_render(pipeline, state)
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
    if args.renders < 1:
        print("error: --renders must be at least 1", file=sys.stderr)
        return 2
    Gst.init(None)
    pipeline = build_pipeline(args)
    state = {"loop": GLib.MainLoop(), "status": 0, "done": 0, "renders": args.renders,
             "prompt": args.prompt}
    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message, pipeline, state)

    pipeline.set_state(Gst.State.PLAYING)
    try:
        state["loop"].run()
    except KeyboardInterrupt:
        state["status"] = 130
    finally:
        pipeline.set_state(Gst.State.NULL)
        bus.remove_signal_watch()
    if state["status"] == 0 and args.output:
        print(f"saved {args.output}")
    return state["status"]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
