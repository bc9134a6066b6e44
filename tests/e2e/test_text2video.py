"""klingtext2video and kling://text2video URIs end to end: gst-launch-1.0, uridecodebin3,
playbin and GstDiscoverer against the kling-sandbox binary (fixture `sandbox`,
tests/conftest.py). Each consumer runs in its own process with the environment a user
sets (server and key; XDG_CACHE_HOME so the default cache directory is the test's)."""
import json
import os
import subprocess
import sys
import urllib.parse

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
