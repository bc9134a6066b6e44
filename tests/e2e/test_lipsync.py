"""klinglipsync end to end: the README / examples recipes run as a user would run them,
gst-launch-1.0 and PyGObject, against the kling-sandbox binary; the files they write are
checked with GstPbutils.Discoverer."""
import base64
import os
import pathlib
import subprocess
import sys

import pytest

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstPbutils", "1.0")
from gi.repository import Gst, GstPbutils  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
MEDIA = ROOT / "examples" / "media"
RECIPES = ROOT / "examples" / "lipsync.sh"
PYTHON_EXAMPLE = ROOT / "examples" / "lipsync.py"
# The sandbox's std size at --video-scale 0.25; its clips last the 5 s asked for.
WIDTH, HEIGHT, CLIP_S = 320, 180, 5.0
# kling-v3 renders 24 fps.
FPS = 24
FRAME_S = 1 / FPS

Gst.init(None)


@pytest.fixture
def source_video(sandbox):
    """A clip the sandbox rendered (image2video of still.jpg): (video id, video URL)."""
    image = base64.b64encode((MEDIA / "still.jpg").read_bytes()).decode()
    task = sandbox.create("image2video", {"model_name": "kling-v3", "image": image,
                                          "prompt": "a face", "duration": "5"})
    task = sandbox.wait_task("image2video", task["task_id"])
    assert task["task_status"] == "succeed", task
    video = task["task_result"]["videos"][0]
    sandbox.reset()
    return video["id"], video["url"]


@pytest.fixture
def kling_env(sandbox, tmp_path):
    """The environment a user sets: server, keys, and a cache of the test's own."""
    env = dict(os.environ)
    env.update(KLING_API_URL=sandbox.url, KLING_ACCESS_KEY=sandbox.access_key,
               KLING_SECRET_KEY=sandbox.secret_key, XDG_CACHE_HOME=str(tmp_path / "cache"))
    return env


def run(cmd, env, timeout=90):
    result = subprocess.run([str(c) for c in cmd], env=env, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{cmd} failed:\n{result.stdout}\n{result.stderr}"
    return result


def discover(path):
    info = GstPbutils.Discoverer.new(10 * Gst.SECOND).discover_uri(path.as_uri())
    assert info.get_result() == GstPbutils.DiscovererResult.OK, info.get_result()
    return info


def assert_talking_clip(path):
    """An MP4 with the source clip's picture and a voice, as long as the clip."""
    info = discover(path)
    videos, audios = info.get_video_streams(), info.get_audio_streams()
    assert len(videos) == 1 and len(audios) == 1, (videos, audios)
    assert (videos[0].get_width(), videos[0].get_height()) == (WIDTH, HEIGHT)
    duration_s = info.get_duration() / Gst.SECOND
    assert abs(duration_s - CLIP_S) <= 2 * FRAME_S, duration_s


def test_wav_and_video_id_recipe(source_video, kling_env, tmp_path, sandbox):
    out = tmp_path / "talking.mp4"
    run(["sh", RECIPES, "wav", source_video[0], out], kling_env)
    assert_talking_clip(out)
    counters = sandbox.counters()
    # The default method: identify-face, then advanced-lip-sync.
    assert counters["requests"]["POST /v1/videos/identify-face"] == 1
    assert counters["tasks_created"]["advanced-lip-sync"] == 1
    assert counters["tasks_created"]["lip-sync"] == 0


def test_talking_head_recipe(kling_env, tmp_path, sandbox):
    out = tmp_path / "head.mp4"
    run(["sh", RECIPES, "head", MEDIA / "still.jpg", out], kling_env)
    assert_talking_clip(out)
    created = sandbox.counters()["tasks_created"]
    assert (created["image2video"], created["advanced-lip-sync"]) == (1, 1)


def test_text_recipe(source_video, kling_env, tmp_path, sandbox):
    out = tmp_path / "text.mp4"
    run(["sh", RECIPES, "text", source_video[0], out, "Hello from the sandbox"], kling_env)
    assert_talking_clip(out)
    assert sandbox.counters()["tasks_created"]["lip-sync"] == 1


def test_text_with_the_default_method_says_what_to_set(source_video, kling_env, sandbox):
    result = subprocess.run(["gst-launch-1.0", "klinglipsync",
                             f"source-video-id={source_video[0]}", "text=hello there", "!",
                             "fakesink"], env=kling_env, capture_output=True, text=True,
                            timeout=30)
    assert result.returncode != 0
    assert "set lip-sync-method=one-step" in result.stdout + result.stderr
    assert sandbox.counters()["requests"].get("POST /v1/videos/identify-face", 0) == 0


def test_remux_recipe_decodes_both_pads(source_video, kling_env, tmp_path):
    out = tmp_path / "remux.mp4"
    run(["sh", RECIPES, "remux", source_video[0], out], kling_env)
    assert_talking_clip(out)


def make_clip_with_short_audio(path):
    """A 5 s clip whose AAC track stops at 2 s, the shape of a lip-synced clip whose voice
    is shorter than its video."""
    subprocess.run(["gst-launch-1.0", "-q", "videotestsrc", f"num-buffers={round(CLIP_S * FPS)}",
                    "!", f"video/x-raw,width={WIDTH},height={HEIGHT},framerate={FPS}/1,"
                    "format=I420", "!", "x264enc", "!", "h264parse", "!", "mp4mux", "name=m",
                    "!", "filesink", f"location={path}", "audiotestsrc", "num-buffers=20",
                    "samplesperbuffer=4410", "!", "audio/x-raw,rate=44100", "!", "voaacenc",
                    "!", "aacparse", "!", "m."], check=True, timeout=60)


def test_remux_recipe_with_audio_shorter_than_video(source_video, kling_env, tmp_path):
    """The decode + re-encode recipe ends (it used to hang: mp4mux waited for audio past
    its end while the video queue filled) on a clip whose audio stops before its video.
    The cached clip of a first run is replaced by such a clip; the rerun is a cache hit."""
    run(["sh", RECIPES, "remux", source_video[0], tmp_path / "first.mp4"], kling_env)
    cached = list((tmp_path / "cache" / "gst-kling").glob("*.mp4"))
    assert len(cached) == 1, cached
    make_clip_with_short_audio(cached[0])
    out = tmp_path / "remux.mp4"
    run(["sh", RECIPES, "remux", source_video[0], out], kling_env, timeout=30)
    assert_talking_clip(out)


def test_old_video_id_spelling_still_works(source_video, kling_env, tmp_path, sandbox):
    """gst-launch lines written before 0.2 set the input as video-id: still honoured."""
    out = tmp_path / "old.mp4"
    result = run(["gst-launch-1.0", "klinglipsync", "name=ls", f"video-id={source_video[0]}",
                  "!", "video/quicktime", "!", "filesink", f"location={out}",
                  "filesrc", f"location={MEDIA / 'voice.wav'}", "!", "wavparse", "!",
                  "ls.audio"], kling_env)
    assert "could not set property" not in result.stdout + result.stderr
    assert_talking_clip(out)
    assert sandbox.counters()["tasks_created"]["advanced-lip-sync"] == 1


def test_python_example_mp3_video_url_advanced(source_video, kling_env, tmp_path, sandbox):
    mp3 = tmp_path / "voice.mp3"
    run(["gst-launch-1.0", "-q", "filesrc", f"location={MEDIA / 'voice.wav'}", "!",
         "wavparse", "!", "audioconvert", "!", "lamemp3enc", "!", "filesink",
         f"location={mp3}"], kling_env)
    out = tmp_path / "advanced.mp4"
    result = run([sys.executable, PYTHON_EXAMPLE, "--audio", mp3, "--video-url",
                  source_video[1], "--poll-interval", "0.1",
                  "--output", out], kling_env)
    assert "lip-synced video id:" in result.stdout
    assert_talking_clip(out)
    counters = sandbox.counters()
    assert counters["requests"]["POST /v1/videos/identify-face"] == 1
    assert counters["tasks_created"]["advanced-lip-sync"] == 1


def test_bad_audio_is_refused_before_any_request(source_video, kling_env, tmp_path, sandbox):
    short = tmp_path / "short.wav"
    run(["gst-launch-1.0", "-q", "audiotestsrc", "num-buffers=10", "!",
         "audio/x-raw,rate=16000,channels=1", "!", "wavenc", "!", "filesink",
         f"location={short}"], kling_env)
    result = subprocess.run(["sh", str(RECIPES), "wav", source_video[0],
                             str(tmp_path / "never.mp4"), str(short)], env=kling_env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "Kling takes 2 to 60 s" in result.stdout + result.stderr
    requests = sandbox.counters()["requests"]
    assert requests.get("POST /v1/videos/identify-face", 0) == 0
    assert requests.get("POST /v1/videos/lip-sync", 0) == 0


def test_only_src_linked_in_python(source_video, kling_env, monkeypatch):
    """The app links `src` only: the clip's audio is dropped and the video still ends."""
    for name in ("KLING_API_URL", "KLING_ACCESS_KEY", "KLING_SECRET_KEY", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, kling_env[name])
    pipeline = Gst.parse_launch(
        "klinglipsync name=ls poll-interval=0.1 ! videoconvert ! appsink name=sink "
        "sync=false emit-signals=false "
        f"filesrc location={MEDIA / 'voice.wav'} ! wavparse ! ls.audio")
    pipeline.get_by_name("ls").set_property("source-video-id", source_video[0])
    sink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    frames = 0
    try:
        while True:
            sample = sink.emit("try-pull-sample", 30 * Gst.SECOND)
            if sample is None:
                break
            frames += 1
        assert sink.get_property("eos"), "no EOS: something stalled"
    finally:
        pipeline.set_state(Gst.State.NULL)
    assert frames == round(CLIP_S * FPS)
