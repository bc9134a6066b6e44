#!/usr/bin/python3
"""Benchmarks of gst-kling against kling-sandbox, run by hand (`make bench`), never in CI.

What it measures, each against a fresh sandbox at full 720p (std) scale:
  1. render  - the sandbox's own cost of one 5 s image2video clip (create -> succeed), so
               the element numbers below can be read against it;
  2. decode  - one klingimage2video pipeline, still -> decoded frames -> fakesink: wall time
               from PLAYING to EOS, frames out, and the process's peak RSS;
  3. parallel- N pipelines at once in one process (they share one client): wall time, tasks
               the sandbox created (must be N: nothing paid twice) and peak RSS.
Targets (reported, not asserted): the element adds < 1 s to the sandbox's render time for a
5 s clip, and N parallel renders take well under N times one.

Usage: tests/bench/bench_image2video.py [BUILD_DIR] [--parallel N]
"""
import argparse
import json
import os
import pathlib
import resource
import subprocess
import sys
import time
import urllib.request

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
STILL = ROOT / "examples/media/still.jpg"


def start_sandbox(build, extra):
    env = dict(os.environ, KLING_ACCESS_KEY="bench-ak", KLING_SECRET_KEY="bench-sk")
    proc = subprocess.Popen([str(build / "gst/kling/sandbox/kling-sandbox"), "--port", "0",
                             "--control", "--queue-delay", "0", "--render-delay", "0", *extra],
                            env=env, stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    if not url.startswith("http://"):
        proc.kill()
        sys.exit("kling-sandbox did not start")
    return proc, url


def counters(url):
    with urllib.request.urlopen(url + "/sandbox/counters") as resp:
        return json.load(resp)


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_pipelines(url, count, cache_root, prompt):
    """Runs `count` pipelines at once; returns (seconds, frames per pipeline)."""
    pipelines, frames, done = [], [], []
    loop = GLib.MainLoop()
    for i in range(count):
        pipe = Gst.parse_launch(
            f'filesrc location="{STILL}" ! jpegdec ! klingimage2video name=k '
            f'api-url={url} prompt="{prompt} {i}" poll-interval=0.2 '
            f'cache-dir="{cache_root}/{i}" ! fakesink name=sink signal-handoffs=true')
        counter = [0]
        frames.append(counter)
        pipe.get_by_name("sink").connect(
            "handoff", lambda _s, _b, _p, c=counter: c.__setitem__(0, c[0] + 1))
        bus = pipe.get_bus()
        bus.add_signal_watch()

        def on_message(_bus, msg, p=pipe):
            if msg.type == Gst.MessageType.ERROR:
                err, dbg = msg.parse_error()
                sys.exit(f"pipeline failed: {err.message} ({dbg})")
            if msg.type == Gst.MessageType.EOS:
                done.append(p)
                if len(done) == count:
                    loop.quit()
        bus.connect("message", on_message)
        pipelines.append(pipe)

    start = time.monotonic()
    for pipe in pipelines:
        pipe.set_state(Gst.State.PLAYING)
    GLib.timeout_add_seconds(300, loop.quit)
    loop.run()
    elapsed = time.monotonic() - start
    for pipe in pipelines:
        pipe.set_state(Gst.State.NULL)
        pipe.get_bus().remove_signal_watch()
    if len(done) != count:
        sys.exit("timed out")
    return elapsed, [c[0] for c in frames]


def bench_sandbox_render(url):
    import base64
    import jwt
    now = int(time.time())
    token = jwt.encode({"iss": "bench-ak", "exp": now + 1800, "nbf": now - 5}, "bench-sk",
                       algorithm="HS256")
    body = json.dumps({"model_name": "kling-v1-6", "mode": "std", "duration": "5",
                       "prompt": "bench render",
                       "image": base64.b64encode(STILL.read_bytes()).decode()}).encode()
    headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
    start = time.monotonic()
    req = urllib.request.Request(url + "/v1/videos/image2video", body, headers)
    task_id = json.load(urllib.request.urlopen(req))["data"]["task_id"]
    while True:
        req = urllib.request.Request(f"{url}/v1/videos/image2video/{task_id}", headers=headers)
        status = json.load(urllib.request.urlopen(req))["data"]["task_status"]
        if status in ("succeed", "failed"):
            return time.monotonic() - start, status
        time.sleep(0.02)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build", nargs="?", default=str(ROOT / "build"))
    parser.add_argument("--parallel", type=int, default=4)
    args = parser.parse_args()
    build = pathlib.Path(args.build).resolve()
    os.environ["GST_PLUGIN_PATH"] = str(build / "gst/kling")
    os.environ["KLING_ACCESS_KEY"], os.environ["KLING_SECRET_KEY"] = "bench-ak", "bench-sk"
    Gst.init(None)

    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_sandbox(build, [])
        try:
            render_s, status = bench_sandbox_render(url)
            print(f"render   sandbox 5 s 720p clip: {render_s:.2f} s ({status})")

            elapsed, frames = run_pipelines(url, 1, tmp + "/one", "bench single")
            print(f"decode   1 pipeline: {elapsed:.2f} s to EOS, {frames[0]} frames, "
                  f"element overhead over the sandbox render ~{elapsed - render_s:+.2f} s, "
                  f"peak RSS {peak_rss_mib():.0f} MiB")

            before = counters(url)["tasks_created"].get("image2video", 0)
            elapsed, frames = run_pipelines(url, args.parallel, tmp + "/many", "bench parallel")
            created = counters(url)["tasks_created"].get("image2video", 0) - before
            print(f"parallel {args.parallel} pipelines: {elapsed:.2f} s to the last EOS, "
                  f"frames {frames}, tasks created {created}, peak RSS {peak_rss_mib():.0f} MiB")
            if created != args.parallel:
                sys.exit(f"expected {args.parallel} tasks, the sandbox created {created}")
        finally:
            proc.terminate()
            proc.wait(timeout=20)


if __name__ == "__main__":
    main()
