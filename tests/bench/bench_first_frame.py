#!/usr/bin/python3
"""Time to the first frame on a slow link: klingimage2video against souphttpsrc ! decodebin.

Run by hand (see tests/bench/README.md), never in CI. One kling-sandbox at full scale whose
result downloads are throttled (its `throttle` fault, every download, --rate bytes/s):
  1. element - `filesrc ! jpegdec ! klingimage2video ! fakesink`: the time from the
               server's "succeed" (seen by the benchmark's own 10 ms poll of the task) to
               the first frame leaving the element, and to its EOS;
  2. souphttpsrc - `souphttpsrc location=<the task's result URL> ! decodebin ! fakesink`
               on the same URL in the same run, before and after (1): the time from
               PLAYING to the first frame.
Target (reported, not asserted): element <= 1.5 x souphttpsrc + one poll interval.

Usage: tests/bench/bench_first_frame.py [BUILD_DIR] [--rate BYTES_PER_S] [--poll S]
       [--mode std|pro] [--duration S]
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
STILL = ROOT / "examples/media/still.jpg"
AK, SK = "bench-ak", "bench-sk"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_token():
    """An HS256 token the sandbox takes (what the element mints from the same keys)."""
    now = int(time.time())
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64url(json.dumps({"iss": AK, "exp": now + 1800, "nbf": now - 5}).encode())
    sig = hmac.new(SK.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(sig)}"


def api_get(url):
    req = urllib.request.Request(url, headers={"Authorization": "Bearer " + jwt_token()})
    with urllib.request.urlopen(req) as resp:
        return json.load(resp)


def start_sandbox(build, render_delay):
    env = dict(os.environ, KLING_ACCESS_KEY=AK, KLING_SECRET_KEY=SK)
    proc = subprocess.Popen([str(build / "gst/kling/sandbox/kling-sandbox"), "--port", "0",
                             "--control", "--queue-delay", "0.2", "--render-delay",
                             str(render_delay)], env=env, stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    if not url.startswith("http://"):
        proc.kill()
        sys.exit("kling-sandbox did not start")
    return proc, url


def add_throttle(url, rate):
    rule = json.dumps({"kind": "throttle", "path": "/files/", "times": 0,
                       "bytes_per_second": rate, "seconds": 600}).encode()
    req = urllib.request.Request(url + "/sandbox/faults", rule,
                                 {"Content-Type": "application/json"})
    urllib.request.urlopen(req).read()


def run_until_eos(pipe, sink_name, on_playing=None, timeout_s=600):
    """PLAYING to EOS; returns (monotonic time of PLAYING, of the first buffer, of EOS)."""
    first, marks, loop = [], {}, GLib.MainLoop()

    def handoff(*_args):
        if not first:
            first.append(time.monotonic())

    def on_message(_bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            sys.exit(f"pipeline failed: {err.message} ({dbg})")
        if msg.type == Gst.MessageType.EOS:
            marks["eos"] = time.monotonic()
            loop.quit()

    pipe.get_by_name(sink_name).connect("handoff", handoff)
    bus = pipe.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    if on_playing:
        on_playing()
    marks["playing"] = time.monotonic()
    pipe.set_state(Gst.State.PLAYING)
    GLib.timeout_add_seconds(timeout_s, loop.quit)
    loop.run()
    pipe.set_state(Gst.State.NULL)
    bus.remove_signal_watch()
    if "eos" not in marks or not first:
        sys.exit("timed out")
    return marks["playing"], first[0], marks["eos"]


class SucceedWatch(threading.Thread):
    """Polls the element's task every 10 ms once its id is known: when the server said
    "succeed", to 10 ms."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url, self.task_id, self.succeed_at = url, None, None
        self.ready = threading.Event()

    def run(self):
        self.ready.wait()
        while self.succeed_at is None:
            status = api_get(f"{self.url}/v1/videos/image2video/{self.task_id}")
            if status["data"]["task_status"] == "succeed":
                self.succeed_at = time.monotonic()
            time.sleep(0.01)


def bench_element(url, cache_dir, args):
    pipe = Gst.parse_launch(
        f'filesrc location="{STILL}" ! jpegdec ! klingimage2video name=k api-url={url} '
        f'prompt="bench first frame" mode={args.mode} duration={args.duration} '
        f'poll-interval={args.poll} cache-dir="{cache_dir}" '
        f'! fakesink name=sink signal-handoffs=true')
    watch = SucceedWatch(url)
    element = pipe.get_by_name("k")

    def on_task_id(_obj, _pspec):
        if watch.task_id is None and element.props.task_id:
            watch.task_id = element.props.task_id
            watch.ready.set()
    element.connect("notify::task-id", on_task_id)
    watch.start()
    _, first, eos = run_until_eos(pipe, "sink")
    watch.join(timeout=5)
    if watch.succeed_at is None:
        sys.exit("never saw the task succeed")
    return watch.task_id, first - watch.succeed_at, eos - watch.succeed_at


def bench_souphttpsrc(result_url):
    pipe = Gst.parse_launch(f'souphttpsrc location="{result_url}" ! decodebin '
                            f'! fakesink name=sink signal-handoffs=true')
    playing, first, eos = run_until_eos(pipe, "sink")
    return first - playing, eos - playing


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build", nargs="?", default=str(ROOT / "build"))
    parser.add_argument("--rate", type=int, default=200000, help="bytes/s (200000)")
    parser.add_argument("--poll", type=float, default=1.0, help="poll-interval (1.0)")
    parser.add_argument("--mode", default="pro", help="std or pro (pro: 1080p)")
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()
    build = pathlib.Path(args.build).resolve()
    os.environ["GST_PLUGIN_PATH"] = str(build / "gst/kling")
    os.environ["KLING_ACCESS_KEY"], os.environ["KLING_SECRET_KEY"] = AK, SK
    Gst.init(None)

    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_sandbox(build, render_delay=1.0)
        try:
            add_throttle(url, args.rate)
            task_id, el_first, el_eos = bench_element(url, tmp, args)
            task = api_get(f"{url}/v1/videos/image2video/{task_id}")["data"]
            result_url = task["task_result"]["videos"][0]["url"]
            size = len(pathlib.Path(next(pathlib.Path(tmp).glob("*.mp4"))).read_bytes())
            soup = [bench_souphttpsrc(result_url) for _ in range(2)]
            soup_first = sum(s[0] for s in soup) / len(soup)
        finally:
            proc.terminate()
            proc.wait(timeout=20)

    print(f"clip     {args.mode} {args.duration} s, {size / 1e6:.2f} MB, link "
          f"{args.rate / 1e3:.0f} kB/s (download ~{size / args.rate:.1f} s), "
          f"poll-interval {args.poll} s")
    print(f"element  succeed -> first frame {el_first:.2f} s, -> EOS {el_eos:.2f} s")
    print("souphttpsrc ! decodebin  PLAYING -> first frame " +
          ", ".join(f"{s[0]:.2f} s" for s in soup) + " (EOS " +
          ", ".join(f"{s[1]:.2f} s" for s in soup) + ")")
    target = 1.5 * soup_first + args.poll
    print(f"ratio    element / souphttpsrc = {el_first / soup_first:.2f}x; "
          f"(element - poll) / souphttpsrc = {(el_first - args.poll) / soup_first:.2f}x; "
          f"target <= 1.5 x {soup_first:.2f} + {args.poll} = {target:.2f} s: "
          f"{'met' if el_first <= target else 'MISSED'}")


if __name__ == "__main__":
    main()
