"""klingtext2video and kling://text2video URIs end to end: gst-launch-1.0, uridecodebin3,
playbin and GstDiscoverer against the kling-sandbox binary (fixture `sandbox`,
tests/conftest.py). Each consumer runs in its own process with the environment a user
sets (server and key; XDG_CACHE_HOME so the default cache directory is the test's)."""
import json
import os
import pathlib
import subprocess
import sys
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parents[2]
PROMPT = "a red fox runs through snow"

# One consumer of a URI in a process of its own: prints a JSON line with what it saw.
CONSUMER = r"""
import json, sys, gi
gi.require_version("Gst", "1.0"); gi.require_version("GstPbutils", "1.0")
from gi.repository import Gst, GstPbutils
Gst.init(None)
kind, uri = sys.argv[1], sys.argv[2]
if kind == "discover":
    info = GstPbutils.Discoverer.new(60 * Gst.SECOND).discover_uri(uri)
    print(json.dumps({"result": int(info.get_result()), "duration": info.get_duration(),
                      "video": len(info.get_video_streams())}))
    sys.exit(0)
if kind == "playbin":
    pipeline = Gst.ElementFactory.make("playbin")
    pipeline.set_property("uri", uri)
    pipeline.set_property("video-sink", Gst.ElementFactory.make("fakesink"))
    pipeline.set_property("audio-sink", Gst.ElementFactory.make("fakesink"))
else:
    pipeline = Gst.parse_launch(f"uridecodebin3 uri={uri} name=d caps=video/x-raw "
                                "! fakesink name=s")
frames = []
pipeline.get_by_name("s").get_static_pad("sink").add_probe(
    Gst.PadProbeType.BUFFER, lambda pad, info: frames.append(1) or Gst.PadProbeReturn.OK) \
    if kind == "uridecodebin3" else None
pipeline.set_state(Gst.State.PAUSED)
pipeline.get_state(60 * Gst.SECOND)
ok, duration = pipeline.query_duration(Gst.Format.TIME)
pipeline.set_state(Gst.State.PLAYING)
msg = pipeline.get_bus().timed_pop_filtered(60 * Gst.SECOND,
                                            Gst.MessageType.EOS | Gst.MessageType.ERROR)
pipeline.set_state(Gst.State.NULL)
print(json.dumps({"eos": msg is not None and msg.type == Gst.MessageType.EOS,
                  "error": str(msg.parse_error()[0]) if msg and msg.type == Gst.MessageType.ERROR else None,
                  "duration": duration if ok else -1, "frames": len(frames)}))
"""


def uri_env(sandbox, tmp_path):
    """Server and key from the environment, the default cache under the test's XDG dir."""
    env = dict(os.environ)
    for name in ("KLING_ACCESS_KEY", "KLING_SECRET_KEY"):
        env.pop(name, None)
    env["KLING_API_URL"] = sandbox.url
    env["KLING_API_KEY"] = sandbox.api_key
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    return env


def kling_uri(**props):
    props.setdefault("prompt", PROMPT)
    props.setdefault("poll-interval", "0.1")
    return "kling://text2video?" + urllib.parse.urlencode(props, quote_via=urllib.parse.quote)


def consume(env, kind, uri):
    result = subprocess.run(["/usr/bin/python3", "-c", CONSUMER, kind, uri], env=env,
                            timeout=120, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return json.loads(result.stdout.decode().strip().splitlines()[-1])


def tasks(sandbox):
    return sandbox.counters()["tasks_created"]["text2video"]


def test_gst_launch_line(sandbox, tmp_path):
    result = subprocess.run(["gst-launch-1.0", "klingtext2video", f"prompt={PROMPT}",
                             "aspect-ratio=9:16", "poll-interval=0.1",
                             f"cache-dir={tmp_path / 'cache'}", "!", "videoconvert", "!",
                             "fakesink"], env=uri_env(sandbox, tmp_path), timeout=90,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    text = result.stdout.decode(errors="replace")
    assert result.returncode == 0, text
    assert "(kling-submit)" in text and "(kling-task)" in text, text
    assert tasks(sandbox) == 1
    assert len(list((tmp_path / "cache").glob("*.mp4"))) == 1


def test_uri_in_uridecodebin3(sandbox, tmp_path):
    seen = consume(uri_env(sandbox, tmp_path), "uridecodebin3", kling_uri(duration="10"))
    assert seen["eos"], seen
    assert abs(seen["duration"] / 1e9 - 10.0) < 0.05, seen
    assert seen["frames"] == 10 * 24, seen
    assert tasks(sandbox) == 1


def test_uri_in_playbin_and_a_rerun_is_a_cache_hit(sandbox, tmp_path):
    env = uri_env(sandbox, tmp_path)
    for _ in range(2):
        seen = consume(env, "playbin", kling_uri())
        assert seen["eos"] and seen["error"] is None, seen
        assert abs(seen["duration"] / 1e9 - 5.0) < 0.05, seen
    assert tasks(sandbox) == 1
    # The default cache directory is where the clip went.
    assert len(list((tmp_path / "xdg" / "gst-kling").glob("*.mp4"))) == 1


def test_discoverer_then_play_pays_once(sandbox, tmp_path):
    env = uri_env(sandbox, tmp_path)
    uri = kling_uri(prompt="waves on a beach")
    seen = consume(env, "discover", uri)
    assert seen["result"] == 0 and seen["video"] == 1, seen
    assert abs(seen["duration"] / 1e9 - 5.0) < 0.05, seen
    seen = consume(env, "playbin", uri)
    assert seen["eos"], seen
    assert tasks(sandbox) == 1


def test_uri_with_a_key_is_refused_before_any_request(sandbox, tmp_path):
    result = subprocess.run(["gst-launch-1.0", "playbin",
                             "uri=" + kling_uri(**{"api-url": "http://127.0.0.1:9"})],
                            env=uri_env(sandbox, tmp_path), timeout=60,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    text = result.stdout.decode(errors="replace")
    assert result.returncode != 0
    assert "cannot carry api-url" in text, text
    assert sandbox.counters()["requests"].get("POST /v1/videos/text2video", 0) == 0


# The frame at @t_s of the video file at @path as a 16x16 RGB thumbnail, in a process of
# its own.
FRAME_MEAN = r"""
import sys, gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst
Gst.init(None)
pipeline = Gst.parse_launch(f"filesrc location={sys.argv[1]} ! decodebin ! videoconvert ! "
                            "videoscale ! video/x-raw,format=RGB,width=16,height=16 ! "
                            "appsink name=s")
pipeline.set_state(Gst.State.PAUSED)
pipeline.get_state(30 * Gst.SECOND)
pipeline.seek_simple(Gst.Format.TIME, Gst.SeekFlags.FLUSH | Gst.SeekFlags.ACCURATE,
                     int(float(sys.argv[2]) * Gst.SECOND))
pipeline.get_state(30 * Gst.SECOND)
data = pipeline.get_by_name("s").emit("pull-preroll").get_buffer().extract_dup(0, 16 * 16 * 3)
pipeline.set_state(Gst.State.NULL)
print(*data)
"""


def frame_mean(path, t_s):
    result = subprocess.run(["/usr/bin/python3", "-c", FRAME_MEAN, str(path), str(t_s)],
                            timeout=60, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return [float(v) for v in result.stdout.split()]


def close(a, b, tolerance=8.0):
    """Two thumbnails alike: a mean difference per value of a re-encode, not of a scene."""
    return sum(abs(x - y) for x, y in zip(a, b)) / len(a) <= tolerance


def test_ges_timeline_renders_two_shots_in_order(sandbox, tmp_path):
    """The README's GES recipe (examples/ges-timeline.py): two renders, one after the other."""
    env = uri_env(sandbox, tmp_path)
    out = tmp_path / "timeline.mp4"
    first, second = kling_uri(prompt="shot one"), kling_uri(prompt="shot two", duration="10")
    result = subprocess.run(["/usr/bin/python3", str(ROOT / "examples" / "ges-timeline.py"),
                             str(out), first, second], env=env, timeout=300,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    text = result.stdout.decode(errors="replace")
    assert result.returncode == 0 and "rendered" in text, text
    assert "clip 0 5000000000" in text and "clip 5000000000 10000000000" in text, text
    # Each shot discovered, then played from the cache: paid once each.
    assert tasks(sandbox) == 2

    seen = consume(env, "discover", out.as_uri())
    assert abs(seen["duration"] / 1e9 - 15.0) < 0.1, seen
    # In order: the output shows shot one, then shot two (their frames differ).
    clips = {}
    for mp4 in (tmp_path / "xdg" / "gst-kling").glob("*.mp4"):
        clips[round(consume(env, "discover", mp4.as_uri())["duration"] / 1e9)] = mp4
    assert sorted(clips) == [5, 10]
    one, two = frame_mean(clips[5], 2.5), frame_mean(clips[10], 2.5)
    assert not close(one, two), (one, two)
    assert close(frame_mean(out, 2.5), one), (frame_mean(out, 2.5), one)
    assert close(frame_mean(out, 7.5), two), (frame_mean(out, 7.5), two)
