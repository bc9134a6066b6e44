"""klingimage2video end to end: gst-launch-1.0, gst-inspect-1.0 and the example programs
against the kling-sandbox binary (fixture `sandbox`, tests/conftest.py)."""
import os
import pathlib
import secrets
import shlex
import subprocess
import sys

import gi
import pytest

gi.require_version("Gst", "1.0")
gi.require_version("GstApp", "1.0")
gi.require_version("GstPbutils", "1.0")
from gi.repository import Gst, GstApp, GstPbutils  # noqa: E402,F401

ROOT = pathlib.Path(__file__).resolve().parents[2]
STILL = ROOT / "examples" / "media" / "still.jpg"
PROMPT = "a slow zoom over colour bars"
# The sandbox renders the default model, kling-v3, at 24 fps.
FPS = 24
# base64url of '{"alg":"HS256",': the start of every token the client mints.
JWT_PREFIX = b"eyJhbGciOiJIUzI1NiIs"

Gst.init(None)


def element_env(sandbox, tmp_path, jwt=True, **extra):
    """The environment a user would set: server URL and keys (never on the command line)."""
    env = dict(os.environ)
    for name in ("KLING_ACCESS_KEY", "KLING_SECRET_KEY", "KLING_API_KEY"):
        env.pop(name, None)
    env["KLING_API_URL"] = sandbox.url
    if jwt:
        env["KLING_ACCESS_KEY"] = sandbox.access_key
        env["KLING_SECRET_KEY"] = sandbox.secret_key
    else:
        env["KLING_API_KEY"] = sandbox.api_key
    env["GST_DEBUG_NO_COLOR"] = "1"
    env.update(extra)
    return env


def kling_props(tmp_path):
    return [f"prompt={PROMPT}", "poll-interval=0.1", f"cache-dir={tmp_path / 'cache'}"]


def gst_launch(env, *pipeline, timeout=90, stdout=subprocess.PIPE):
    return subprocess.run(["gst-launch-1.0", *pipeline], env=env, timeout=timeout,
                          stdout=stdout, stderr=subprocess.STDOUT)


def discover(path):
    info = GstPbutils.Discoverer.new(10 * Gst.SECOND).discover_uri(path.as_uri())
    assert info.get_result() == GstPbutils.DiscovererResult.OK, info.get_result()
    return info


def test_readme_gst_launch_line_makes_a_playable_mp4(sandbox, tmp_path):
    out = tmp_path / "out.mp4"
    result = gst_launch(element_env(sandbox, tmp_path),
                        "filesrc", f"location={STILL}", "!", "jpegdec", "!",
                        "klingimage2video", *kling_props(tmp_path), "!",
                        "videoconvert", "!", "x264enc", "!", "mp4mux", "!",
                        "filesink", f"location={out}")
    text = result.stdout.decode(errors="replace")
    assert result.returncode == 0, text
    # gst-launch prints the element's progress messages while it waits.
    assert "(kling-submit)" in text and "(kling-task)" in text, text

    info = discover(out)
    assert abs(info.get_duration() / Gst.SECOND - 5.0) < 0.1
    video = info.get_video_streams()
    assert len(video) == 1
    assert (video[0].get_width(), video[0].get_height()) == (320, 180)
    assert sandbox.counters()["tasks_created"]["image2video"] == 1
    # The provenance tags reached the file through mp4mux.
    tags = info.get_stream_info().get_tags()
    assert tags.get_string(Gst.TAG_DESCRIPTION) == (True, PROMPT)
    ok, comment = tags.get_string(Gst.TAG_COMMENT)
    assert ok and comment.startswith("Rendered by Kling image2video, model kling-v3")


def test_passthrough_saves_the_kling_mp4_untouched(sandbox, tmp_path):
    out = tmp_path / "kling.mp4"
    result = gst_launch(element_env(sandbox, tmp_path),
                        "filesrc", f"location={STILL}", "!", "jpegparse", "!",
                        "klingimage2video", *kling_props(tmp_path), "!",
                        "video/quicktime", "!", "filesink", f"location={out}")
    assert result.returncode == 0, result.stdout.decode(errors="replace")
    cached = list((tmp_path / "cache").glob("*.mp4"))
    assert len(cached) == 1
    assert out.read_bytes() == cached[0].read_bytes()
    assert abs(discover(out).get_duration() / Gst.SECOND - 5.0) < 0.1


def test_readme_v3_line_15_s_with_sound_keeps_the_audio_track(sandbox, tmp_path):
    """The README's passthrough line: kling-v3, duration=15 mode=pro sound=true."""
    out = tmp_path / "kling.mp4"
    result = gst_launch(element_env(sandbox, tmp_path),
                        "filesrc", f"location={STILL}", "!", "jpegparse", "!",
                        "klingimage2video", *kling_props(tmp_path), "duration=15",
                        "mode=pro", "sound=true", "!",
                        "video/quicktime", "!", "filesink", f"location={out}")
    assert result.returncode == 0, result.stdout.decode(errors="replace")
    info = discover(out)
    assert abs(info.get_duration() / Gst.SECOND - 15.0) < 0.1
    assert len(info.get_audio_streams()) == 1


def test_duration_the_model_lacks_is_refused_before_any_request(sandbox, tmp_path):
    result = gst_launch(element_env(sandbox, tmp_path),
                        "filesrc", f"location={STILL}", "!", "jpegparse", "!",
                        "klingimage2video", *kling_props(tmp_path),
                        "model-name=kling-v2-6", "duration=15", "!", "fakesink")
    text = result.stdout.decode(errors="replace")
    assert result.returncode != 0
    assert "kling-v2-6 renders 5 or 10 s, not 15 s: set duration to 5 or 10" in text
    assert sandbox.counters()["requests"].get("POST /v1/videos/image2video", 0) == 0


def test_rerun_uses_the_cache(sandbox, tmp_path):
    for _ in range(2):
        result = gst_launch(element_env(sandbox, tmp_path),
                            "filesrc", f"location={STILL}", "!", "jpegdec", "!",
                            "klingimage2video", *kling_props(tmp_path), "!",
                            "fakesink")
        assert result.returncode == 0, result.stdout.decode(errors="replace")
    assert sandbox.counters()["tasks_created"]["image2video"] == 1


def test_wrong_key_is_one_clear_error(sandbox, tmp_path):
    env = element_env(sandbox, tmp_path, KLING_SECRET_KEY="not-the-secret")
    result = gst_launch(env, "filesrc", f"location={STILL}", "!", "jpegdec", "!",
                        "klingimage2video", *kling_props(tmp_path), "!", "fakesink")
    text = result.stdout.decode(errors="replace")
    assert result.returncode != 0
    assert "Kling refused the credentials" in text, text
    assert sandbox.counters()["tasks_created"].get("image2video", 0) == 0


@pytest.mark.parametrize("jwt,header", [(True, "bearer"), (False, "bearer"),
                                        (False, "x-api-key")],
                         ids=["jwt", "api-key", "x-api-key"])
def test_no_secret_in_full_debug_log(sandbox_factory, tmp_path, jwt, header):
    secret_key = "sk-" + secrets.token_hex(16)
    api_key = "key-" + secrets.token_hex(16)
    sandbox = sandbox_factory(secret_key=secret_key, api_key=api_key)
    log = tmp_path / "debug.log"
    env = element_env(sandbox, tmp_path, jwt=jwt, GST_DEBUG="*:9")
    with log.open("wb") as sink:
        result = gst_launch(env, "filesrc", f"location={STILL}", "!", "jpegparse", "!",
                            "klingimage2video", f"auth-header={header}",
                            *kling_props(tmp_path), "!",
                            "video/quicktime", "!", "fakesink", stdout=sink)
    data = log.read_bytes()
    assert result.returncode == 0, data[-4000:].decode(errors="replace")
    # The log is the real thing: the element and the client did talk.
    assert b"klingrender" in data and b"klingapi" in data
    assert b"POST /v1/videos/image2video" in data
    assert secret_key.encode() not in data
    assert api_key.encode() not in data
    assert JWT_PREFIX not in data


def test_client_log_lines_name_their_element(sandbox, tmp_path):
    """One client serves both elements; each of its lines for a render names the element."""
    env = element_env(sandbox, tmp_path, GST_DEBUG="klingapi:6")
    branches = []
    for name in ("first", "second"):
        branches += ["t.", "!", "queue", "!", "klingimage2video", f"name={name}",
                     *kling_props(tmp_path), f"negative-prompt={name}", "!",
                     "video/quicktime", "!", "fakesink"]
    result = gst_launch(env, "filesrc", f"location={STILL}", "!", "jpegparse", "!",
                        "tee", "name=t", *branches)
    log = result.stdout.decode(errors="replace")
    assert result.returncode == 0, log[-4000:]
    assert sandbox.counters()["tasks_created"]["image2video"] == 2
    api = [line for line in log.splitlines() if " klingapi " in line]
    for name in ("first", "second"):
        assert any(f"{name}: POST /v1/videos/image2video -> 200" in line for line in api), name
        assert any(f"{name}: job " in line and " finished after " in line
                   for line in api), name
    # Not one line of a render's calls goes without its element's name.
    creates = [line for line in api if "POST /v1/videos/image2video" in line]
    assert creates and all("first: POST" in line or "second: POST" in line
                           for line in creates), creates


def test_gst_inspect_documents_the_properties():
    result = subprocess.run(["gst-inspect-1.0", "klingimage2video"], timeout=30,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert result.returncode == 0, result.stdout
    text = result.stdout
    for name in ("api-url", "access-key", "secret-key", "api-key", "auth-header",
                 "model-name", "mode", "duration", "prompt", "negative-prompt",
                 "cfg-scale", "camera-control", "callback-url", "poll-interval",
                 "timeout", "cache-dir", "sound", "task-id", "video-id"):
        assert f"\n  {name} " in text, name
    assert 'Default: "https://api-singapore.klingai.com"' in text
    assert 'Default: "kling-v3"' in text
    assert 'Default: 0, "std"' in text
    # duration is a guint 3..15 since 0.2 (it was an enum of 5 and 10)
    assert "Unsigned Integer. Range: 3 - 15 Default: 5" in " ".join(text.split())
    assert "(2): 4k " in text
    assert "SRC template: 'audio_src'" in text
    assert "Boolean. Default: false" in " ".join(text.split())
    assert "Default:            1800" in text
    assert "Default:             0.5" in text
    assert "Write only" in text


@pytest.mark.parametrize("element,klass", [("klingimage2video", "Filter/Video"),
                                           ("klinglipsync", "Filter/Effect/Video"),
                                           ("klingtext2video", "Source/Video")])
def test_gst_inspect_names_what_each_element_is_and_whom_to_ask(element, klass):
    result = subprocess.run(["gst-inspect-1.0", element], timeout=30,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert result.returncode == 0, result.stdout
    fields = dict(line.strip().split(None, 1) for line in result.stdout.splitlines()
                  if line.startswith("  ") and line.strip().startswith(("Klass", "Author")))
    assert fields["Klass"] == klass
    # A contact a user can reach: the project's issue tracker (meson.build's origin).
    assert "<https://github.com/gst-kling/gst-kling/issues>" in fields["Author"]


def test_python_example(sandbox, tmp_path):
    out = tmp_path / "clip.mp4"
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "image2video.py"), str(STILL),
         "--prompt", PROMPT, "--output", str(out), "--poll-interval", "0.1",
         "--cache-dir", str(tmp_path / "cache")],
        env=element_env(sandbox, tmp_path), timeout=90, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[kling-submit]" in result.stdout
    assert "task id: " in result.stdout
    assert f"saved {out}" in result.stdout
    assert abs(discover(out).get_duration() / Gst.SECOND - 5.0) < 0.1


def test_python_example_reports_errors(sandbox, tmp_path):
    sandbox.add_fault(method="POST", path="/v1/videos/image2video", action="status",
                      http=429, code=1102, message="resource pack exhausted")
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "image2video.py"), str(STILL),
         "--prompt", PROMPT, "--output", str(tmp_path / "clip.mp4"),
         "--cache-dir", str(tmp_path / "cache")],
        env=element_env(sandbox, tmp_path), timeout=90, capture_output=True, text=True)
    assert result.returncode == 1
    assert "error: The Kling account's resource pack is used up" in result.stderr


def test_c_example(sandbox, tmp_path, build_dir):
    out = tmp_path / "clip.mp4"
    env = element_env(sandbox, tmp_path, XDG_CACHE_HOME=str(tmp_path / "xdg"))
    result = subprocess.run([str(build_dir / "examples" / "image2video"), str(STILL),
                             PROMPT, str(out)], env=env, timeout=90,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[kling-task]" in result.stdout
    assert abs(discover(out).get_duration() / Gst.SECOND - 5.0) < 0.1


def test_application_seeks_and_queries(sandbox, tmp_path, monkeypatch):
    """What a PyGObject application does: play, ask the duration, seek, read to EOS."""
    for name, value in element_env(sandbox, tmp_path).items():
        monkeypatch.setenv(name, value)
    pipeline = Gst.parse_launch(
        f"filesrc location={STILL} ! jpegdec ! klingimage2video name=kling "
        f"prompt=\"{PROMPT}\" poll-interval=0.1 cache-dir={tmp_path / 'cache'} ! "
        "appsink name=sink sync=false max-buffers=4")
    sink = pipeline.get_by_name("sink")
    try:
        assert pipeline.set_state(Gst.State.PLAYING) != Gst.StateChangeReturn.FAILURE
        first = sink.try_pull_preroll(30 * Gst.SECOND)
        assert first is not None, "no clip"
        assert first.get_buffer().pts == 0
        ok, duration = pipeline.query_duration(Gst.Format.TIME)
        # The container's duration; the sandbox's MP4s may end a frame short in the header.
        assert ok and abs(duration - 5 * Gst.SECOND) <= Gst.SECOND // FPS

        assert pipeline.seek_simple(Gst.Format.TIME,
                                    Gst.SeekFlags.FLUSH | Gst.SeekFlags.ACCURATE,
                                    3 * Gst.SECOND)
        pts = []
        while True:
            sample = sink.try_pull_sample(10 * Gst.SECOND)
            if sample is None:
                break
            pts.append(sample.get_buffer().pts)
        assert sink.is_eos()
        assert pts[0] == 3 * Gst.SECOND
        assert len(pts) == 2 * FPS
        assert pts == sorted(pts)
        ok, position = pipeline.query_position(Gst.Format.TIME)
        # The sink reports the start or the end of the last frame.
        assert ok and abs(position - 5 * Gst.SECOND) <= Gst.SECOND // FPS + 1
        assert pipeline.get_by_name("kling").get_property("video-id")
    finally:
        pipeline.set_state(Gst.State.NULL)


def test_live_pipeline_plays_every_frame(sandbox, tmp_path, monkeypatch):
    """A live input sends the pipeline to PLAYING at once; the clip comes later and must
    play from then on (not from running time 0, where every frame would be late)."""
    for name, value in element_env(sandbox, tmp_path).items():
        monkeypatch.setenv(name, value)
    pipeline = Gst.parse_launch(
        "videotestsrc is-live=true num-buffers=1 ! video/x-raw,width=640,height=360 ! "
        f"klingimage2video prompt=\"{PROMPT}\" poll-interval=0.1 "
        f"cache-dir={tmp_path / 'cache'} ! "
        # Like a video sink: frames more than 20 ms late are dropped.
        "fakesink name=sink sync=true qos=true max-lateness=20000000")
    try:
        pipeline.set_state(Gst.State.PLAYING)
        message = pipeline.get_bus().timed_pop_filtered(
            30 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
        assert message is not None and message.type == Gst.MessageType.EOS
        stats = pipeline.get_by_name("sink").get_property("stats")
        assert stats.get_uint64("dropped") == (True, 0)
        assert stats.get_uint64("rendered") == (True, 5 * FPS)
    finally:
        pipeline.set_state(Gst.State.NULL)


def readme_recipe(first_words):
    """The README's gst-launch-1.0 command that starts with @first_words, as arguments."""
    text = (ROOT / "README.md").read_text()
    start = text.index(first_words)
    end = start
    while text[end:].split("\n", 1)[0].rstrip().endswith("\\"):
        end += len(text[end:].split("\n", 1)[0]) + 1
    end += len(text[end:].split("\n", 1)[0])
    return shlex.split(text[start:end].replace("\\\n", " "))


def test_readme_recipe_as_written(sandbox, tmp_path):
    """The README's first klingimage2video recipe, word for word (default poll interval
    and cache), run from a directory that has the examples, into its out.mp4."""
    command = readme_recipe(
        "gst-launch-1.0 filesrc location=examples/media/still.jpg ! jpegdec ! \\\n"
        "    klingimage2video")
    assert command[-1] == "location=out.mp4" and "x264enc" in command
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = element_env(sandbox, tmp_path, XDG_CACHE_HOME=str(tmp_path / "xdg"))
    result = subprocess.run(command, cwd=tmp_path, env=env, timeout=90,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert result.returncode == 0, result.stdout.decode(errors="replace")
    assert abs(discover(tmp_path / "out.mp4").get_duration() / Gst.SECOND - 5.0) < 0.1
    assert list((tmp_path / "xdg" / "gst-kling").glob("*.mp4"))


def test_shell_recipe_saves_the_mp4(sandbox, tmp_path):
    out = tmp_path / "kling.mp4"
    env = element_env(sandbox, tmp_path, XDG_CACHE_HOME=str(tmp_path / "xdg"))
    result = subprocess.run([str(ROOT / "examples" / "image2video.sh"), "mp4", str(out)],
                            env=env, timeout=90, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    assert result.returncode == 0, result.stdout.decode(errors="replace")
    assert out.read_bytes()[4:8] == b"ftyp"
    assert abs(discover(out).get_duration() / Gst.SECOND - 5.0) < 0.1
