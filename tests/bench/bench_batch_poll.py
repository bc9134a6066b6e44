#!/usr/bin/python3
"""Poll requests per poll interval for N concurrent renders, against the kling-sandbox program.

Run by hand (see tests/bench/README.md), never in CI. For each N (1, 4, 16, 50 by default)
and each API generation it starts a fresh sandbox whose tasks stay "processing" for longer
than the measurement, runs N klingimage2video pipelines in this one process (so they share
one client), waits until the sandbox has created all N tasks and two intervals more (so the
polls are in step), then counts the query requests the sandbox receives over a window:
  - per-model: model-name=kling-3.0 with an API key; the client batches every task into one
               GET /tasks?task_ids=... per interval (at most 50 ids a request);
  - /v1:       model-name=kling-v3 with an access key + secret key; one
               GET /v1/videos/image2video/<id> per task per interval.
Reported: requests per interval (window requests / (window / poll interval)), and for the
per-model API the ids a request carried when the sandbox counts them. Target: per-model
stays at ceil(N / 50) per interval, /v1 grows as N.

Usage: tests/bench/bench_batch_poll.py [BUILD_DIR] [--counts 1,4,16,50] [--interval S]
                                       [--window S]
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import urllib.request

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
STILL = ROOT / "examples/media/still.jpg"
AK, SK, API_KEY = "bench-ak", "bench-sk", "bench-api-key"
GENERATIONS = {
    "per-model": f"model-name=kling-3.0 api-key={API_KEY}",
    "/v1": f"model-name=kling-v3 access-key={AK} secret-key={SK}",
}


def start_sandbox(build, hold_s):
    env = dict(os.environ, KLING_ACCESS_KEY=AK, KLING_SECRET_KEY=SK, KLING_API_KEY=API_KEY)
    proc = subprocess.Popen([str(build / "gst/kling/sandbox/kling-sandbox"), "--port", "0",
                             "--control", "--queue-delay", "0", "--render-delay", str(hold_s),
                             "--video-scale", "0.25"],
                            env=env, stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    if not url.startswith("http://"):
        proc.kill()
        sys.exit("kling-sandbox did not start")
    return proc, url


def counters(url):
    with urllib.request.urlopen(url + "/sandbox/counters") as resp:
        return json.load(resp)


def query_requests(c):
    """Every GET the sandbox counted but downloads: the task queries."""
    return sum(n for key, n in c.get("requests", {}).items()
               if key.startswith("GET ") and not key.startswith("GET /files"))


# The sandbox counts creates by endpoint name, per generation.
CREATED_KEY = {"per-model": "image-to-video", "/v1": "image2video"}


def tasks_created(c, generation):
    return c.get("tasks_created", {}).get(CREATED_KEY[generation], 0)


def pipelines_for(url, generation, count, interval, cache_root):
    pipes = []
    for i in range(count):
        # Passthrough (video/quicktime): the bench measures polls, not decoding.
        pipe = Gst.parse_launch(
            f'filesrc location="{STILL}" ! jpegdec ! klingimage2video '
            f'{GENERATIONS[generation]} api-url={url} prompt="bench poll {i}" '
            f'poll-interval={interval} cache-dir="{cache_root}/{i}" ! video/quicktime ! '
            f'fakesink')
        bus = pipe.get_bus()
        bus.add_signal_watch()

        def on_message(_bus, msg):
            if msg.type == Gst.MessageType.ERROR:
                err, dbg = msg.parse_error()
                sys.exit(f"{generation} pipeline failed: {err.message} ({dbg})")
        bus.connect("message", on_message)
        pipes.append(pipe)
    return pipes


def wait_until(predicate, timeout_s):
    """Runs the default main context (bus watches) until predicate() or the timeout."""
    context = GLib.MainContext.default()
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        while context.pending():
            context.iteration(False)
        if predicate():
            return True
        time.sleep(0.02)
    return False


def measure(build, generation, count, interval, window):
    hold_s = 60 + count * 0.5          # tasks stay "processing" past the measurement
    proc, url = start_sandbox(build, hold_s)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            pipes = pipelines_for(url, generation, count, interval, tmp)
            for pipe in pipes:
                pipe.set_state(Gst.State.PLAYING)
            if not wait_until(lambda: tasks_created(counters(url), generation) >= count,
                              120):
                sys.exit(f"{generation}: the sandbox did not see {count} tasks")
            wait_until(lambda: False, 2 * interval)
            before = counters(url)
            start = time.monotonic()
            wait_until(lambda: False, window)
            after = counters(url)
            elapsed = time.monotonic() - start
            for pipe in pipes:
                pipe.set_state(Gst.State.NULL)
                pipe.get_bus().remove_signal_watch()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    requests = query_requests(after) - query_requests(before)
    per_interval = requests / (elapsed / interval)
    ids = ""
    if "tasks_query_ids_total" in after and requests:
        carried = after["tasks_query_ids_total"] - before["tasks_query_ids_total"]
        batches = after["tasks_queries"] - before["tasks_queries"]
        if batches:
            ids = (f", {carried / batches:.1f} ids a request, at most "
                   f"{after['tasks_query_ids_max']}")
    return per_interval, requests, elapsed, ids


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build", nargs="?", default=str(ROOT / "build"))
    parser.add_argument("--counts", default="1,4,16,50")
    parser.add_argument("--interval", type=float, default=1.0, help="poll-interval, s")
    parser.add_argument("--window", type=float, default=10.0, help="measurement, s")
    parser.add_argument("--generations", default="per-model,/v1")
    args = parser.parse_args()
    build = pathlib.Path(args.build).resolve()
    os.environ["GST_PLUGIN_PATH"] = str(build / "gst/kling")
    for name in ("KLING_ACCESS_KEY", "KLING_SECRET_KEY", "KLING_API_KEY"):
        os.environ.pop(name, None)
    Gst.init(None)

    print(f"poll-interval {args.interval} s, window {args.window} s")
    print(f"{'N':>4}  {'generation':<10} {'requests/interval':>17}  (requests in window)")
    for count in (int(n) for n in args.counts.split(",")):
        for generation in args.generations.split(","):
            per_interval, requests, elapsed, ids = measure(build, generation, count,
                                                           args.interval, args.window)
            print(f"{count:>4}  {generation:<10} {per_interval:>17.2f}  ({requests} in "
                  f"{elapsed:.1f} s{ids})", flush=True)


if __name__ == "__main__":
    main()
