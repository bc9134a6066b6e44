"""klingimage2video on Kling's per-model API (model-name=kling-3.0 ...), end to end with
gst-launch-1.0 against the kling-sandbox binary (fixture `sandbox`, tests/conftest.py): a
decoded clip with an API key, and an access key + secret key refused before any request."""
import os
import pathlib
import subprocess

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstPbutils", "1.0")
from gi.repository import Gst, GstPbutils  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
STILL = ROOT / "examples" / "media" / "still.jpg"
PROMPT = "a slow zoom over colour bars"

Gst.init(None)


def env_with(sandbox, api_key):
    """The environment a user would set: the server, and one kind of credentials."""
    env = dict(os.environ)
    for name in ("KLING_ACCESS_KEY", "KLING_SECRET_KEY", "KLING_API_KEY"):
        env.pop(name, None)
    env["KLING_API_URL"] = sandbox.url
    if api_key:
        env["KLING_API_KEY"] = sandbox.api_key
    else:
        env["KLING_ACCESS_KEY"] = sandbox.access_key
        env["KLING_SECRET_KEY"] = sandbox.secret_key
    return env


def render(sandbox, tmp_path, model, api_key, out):
    return subprocess.run(
        ["gst-launch-1.0", "filesrc", f"location={STILL}", "!", "jpegdec", "!",
         "klingimage2video", f"model-name={model}", f"prompt={PROMPT}", "poll-interval=0.1",
         f"cache-dir={tmp_path / 'cache'}", "!", "videoconvert", "!", "x264enc", "!",
         "mp4mux", "!", "filesink", f"location={out}"],
        env=env_with(sandbox, api_key), timeout=90, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT)


def test_kling_3_0_with_an_api_key_gives_a_decoded_clip(sandbox, tmp_path):
    out = tmp_path / "out.mp4"
    result = render(sandbox, tmp_path, "kling-3.0", True, out)
    assert result.returncode == 0, result.stdout.decode(errors="replace")

    info = GstPbutils.Discoverer.new(10 * Gst.SECOND).discover_uri(out.as_uri())
    assert info.get_result() == GstPbutils.DiscovererResult.OK
    assert abs(info.get_duration() / Gst.SECOND - 5.0) < 0.1
    video = info.get_video_streams()
    assert (video[0].get_width(), video[0].get_height()) == (320, 180)
    counters = sandbox.counters()
    assert counters["model_creates"]["image-to-video/kling-3.0"] == 1
    assert counters["requests"].get("POST /v1/videos/image2video", 0) == 0
    assert counters["tasks_queries"] >= 1


def test_kling_3_0_with_access_and_secret_key_is_refused_before_any_request(sandbox,
                                                                           tmp_path):
    result = render(sandbox, tmp_path, "kling-3.0", False, tmp_path / "out.mp4")
    text = result.stdout.decode(errors="replace")
    assert result.returncode != 0
    assert ("kling-3.0 is on Kling's per-model API, which takes an API key, not an access "
            "key and secret key: set api-key (or KLING_API_KEY)") in text, text
    counters = sandbox.counters()
    assert counters["credentialed_requests"] == 0
    assert counters["model_creates"]["image-to-video/kling-3.0"] == 0
