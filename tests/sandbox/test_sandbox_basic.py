"""kling-sandbox through real HTTP: auth, image2video, result files."""
import base64
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
MEDIA = ROOT / "examples" / "media"


def b64(path):
    return base64.b64encode(path.read_bytes()).decode()


def discover(path):
    out = subprocess.run(["gst-discoverer-1.0", "-v", str(path)], capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_image2video_renders_a_playable_clip(sandbox, tmp_path):
    task = sandbox.create("image2video", {"image": b64(MEDIA / "still.jpg"),
                                          "prompt": "a lighthouse", "duration": "5"})
    assert task["task_status"] == "submitted"
    done = sandbox.wait_task("image2video", task["task_id"])
    assert done["task_status"] == "succeed", done
    video = done["task_result"]["videos"][0]
    assert video["duration"] == "5"
    status, headers, body = sandbox.request("GET", video["url"], auth=False)
    assert status == 200 and headers["Content-Type"] == "video/mp4"
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(body)
    info = discover(clip)
    assert "Duration: 0:00:05.0" in info
    assert "Width: 320" in info and "Height: 180" in info
    assert "Frame rate: 30/1" in info
