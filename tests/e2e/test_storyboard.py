"""klingimage2video storyboards and re-renders end to end: the README's storyboard line
with gst-launch-1.0, and examples/rerender.py, against the kling-sandbox binary."""
import os
import pathlib
import shlex
import subprocess
import sys
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstApp", "1.0")
from gi.repository import Gst, GstApp  # noqa: E402,F401

ROOT = pathlib.Path(__file__).resolve().parents[2]
# The sandbox renders the default model, kling-v3, at 24 fps.
FPS = 24
# The colours of the shots, in order: videotestsrc patterns and the channel that wins.
SHOTS = (("red", 0), ("green", 1), ("blue", 2))

Gst.init(None)


def element_env(sandbox):
    env = dict(os.environ)
    env.pop("KLING_API_KEY", None)
    env.update(KLING_API_URL=sandbox.url, KLING_ACCESS_KEY=sandbox.access_key,
               KLING_SECRET_KEY=sandbox.secret_key, GST_DEBUG_NO_COLOR="1")
    return env


def readme_recipe(first_words):
    """The README's command that starts with @first_words, continuation lines joined."""
    text = (ROOT / "README.md").read_text()
    start = text.index(first_words)
    lines = []
    for line in text[start:].split("\n"):
        lines.append(line.rstrip().rstrip("\\"))
        if not line.rstrip().endswith("\\"):
            break
    return shlex.split(" ".join(lines))


def make_shots(directory):
    for index, (pattern, _) in enumerate(SHOTS):
        pipeline = Gst.parse_launch(
            f"videotestsrc num-buffers=1 pattern={pattern} ! "
            "video/x-raw,width=640,height=360 ! jpegenc ! "
            f"filesink location={directory / f'shot{index:02d}.jpg'}")
        pipeline.set_state(Gst.State.PLAYING)
        message = pipeline.get_bus().timed_pop_filtered(
            10 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
        pipeline.set_state(Gst.State.NULL)
        assert message and message.type == Gst.MessageType.EOS


def colours_at(path, seconds):
    """The strongest channel (0 red, 1 green, 2 blue) of the middle of the frame shown at
    each of @seconds, and the file's duration."""
    pipeline = Gst.parse_launch(
        f"filesrc location={path} ! decodebin ! videoconvert ! videoscale ! "
        "video/x-raw,format=RGB,width=64,height=36 ! appsink name=sink sync=false")
    sink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    pipeline.get_state(10 * Gst.SECOND)
    wanted = list(seconds)
    found = []
    try:
        while wanted:
            sample = sink.try_pull_sample(10 * Gst.SECOND)
            assert sample is not None, f"no frame at {wanted[0]} s"
            buffer = sample.get_buffer()
            if buffer.pts + buffer.duration <= wanted[0] * Gst.SECOND:
                continue
            ok, info = buffer.map(Gst.MapFlags.READ)
            assert ok
            middle = (18 * 64 + 32) * 3
            pixel = info.data[middle:middle + 3]
            buffer.unmap(info)
            found.append(max(range(3), key=lambda c: pixel[c]))
            wanted.pop(0)
        ok, duration = pipeline.query_duration(Gst.Format.TIME)
        assert ok
    finally:
        pipeline.set_state(Gst.State.NULL)
    return found, duration / Gst.SECOND


def test_readme_storyboard_line_renders_a_film(sandbox, tmp_path):
    """Three JPEGs -> three tasks -> 15 s, the shots in order; the rerun is all cache."""
    command = readme_recipe("gst-launch-1.0 multifilesrc location=shot%02d.jpg")
    assert "storyboard=true" in command and command[-1] == "location=film.mp4"
    make_shots(tmp_path)
    env = element_env(sandbox)
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    for run in (1, 2):
        result = subprocess.run(command, cwd=tmp_path, env=env, timeout=120,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        output = result.stdout.decode(errors="replace")
        assert result.returncode == 0, output
        colours, duration = colours_at(tmp_path / "film.mp4", (2.5, 7.5, 12.5))
        assert colours == [channel for _, channel in SHOTS]
        assert abs(duration - 15.0) < 0.2
        assert sandbox.counters()["tasks_created"]["image2video"] == 3, f"run {run}"
        if run == 2:
            assert output.count("clip ready (cache hit)") == 3, output


def test_rerender_example(sandbox, tmp_path):
    """examples/rerender.py: two renders of a live feed without a state change, one file."""
    out = tmp_path / "live.mp4"
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "rerender.py"), "--renders", "2",
         "--output", str(out), "--poll-interval", "0.1",
         "--cache-dir", str(tmp_path / "cache")],
        env=element_env(sandbox), timeout=120, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "render 2: the next" in result.stdout
    assert f"saved {out}" in result.stdout
    assert sandbox.counters()["tasks_created"]["image2video"] == 2
    _, duration = colours_at(out, ())
    assert abs(duration - 10.0) < 0.2


def test_rerender_plays_every_frame_on_a_playing_pipeline(sandbox, tmp_path, monkeypatch):
    """A clip rendered after the previous one played out plays from when it comes: a
    synchronised sink (like a video sink: frames more than 20 ms late are dropped) shows
    every frame of both clips."""
    for name, value in element_env(sandbox).items():
        monkeypatch.setenv(name, value)
    pipeline = Gst.parse_launch(
        "videotestsrc name=feed is-live=true ! video/x-raw,width=640,height=360 ! "
        "klingimage2video name=kling allow-rerender=true poll-interval=0.1 "
        f"cache-dir={tmp_path / 'cache'} prompt=live ! "
        "fakesink name=sink sync=true qos=true max-lateness=20000000 signal-handoffs=true")
    shown = []
    pipeline.get_by_name("sink").connect("handoff", lambda *_: shown.append(1))
    bus = pipeline.get_bus()
    try:
        pipeline.set_state(Gst.State.PLAYING)
        deadline = time.monotonic() + 30
        while len(shown) < 5 * FPS - 1:       # the first clip has played out
            assert time.monotonic() < deadline, f"{len(shown)} frames shown"
            assert bus.pop_filtered(Gst.MessageType.ERROR) is None
            time.sleep(0.05)
        time.sleep(0.5)
        pipeline.get_by_name("feed").set_property("pattern", "ball")
        assert pipeline.get_by_name("kling").emit("render")
        while True:
            message = bus.timed_pop_filtered(30 * Gst.SECOND, Gst.MessageType.PROGRESS
                                             | Gst.MessageType.ERROR)
            assert message is not None and message.type == Gst.MessageType.PROGRESS
            if message.parse_progress()[0] == Gst.ProgressType.COMPLETE:
                break
        pipeline.get_by_name("feed").send_event(Gst.Event.new_eos())
        message = bus.timed_pop_filtered(30 * Gst.SECOND,
                                         Gst.MessageType.EOS | Gst.MessageType.ERROR)
        assert message is not None and message.type == Gst.MessageType.EOS
        assert abs(len(shown) - 2 * 5 * FPS) <= 2, f"{len(shown)} frames shown"
        assert sandbox.counters()["tasks_created"]["image2video"] == 2
    finally:
        pipeline.set_state(Gst.State.NULL)
