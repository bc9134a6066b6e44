"""The kling-sandbox program: command line, keys from the environment, clean shutdown."""
import signal
import subprocess

from media import MEDIA, b64

ENDPOINT = "/v1/videos/image2video"


def test_keys_on_the_command_line_work_and_are_never_printed(sandbox_factory):
    box = sandbox_factory("--access-key", "AK-cli", "--secret-key", "SK-cli-secret",
                          access_key=None, secret_key=None, api_key=None)
    box.access_key, box.secret_key = "AK-cli", "SK-cli-secret"
    assert box.call("GET", ENDPOINT)[0] == 200
    stderr = box.stop()
    assert "SK-cli-secret" not in stderr


def test_help_documents_every_option(sandbox_binary):
    out = subprocess.run([str(sandbox_binary), "--help"], capture_output=True, text=True,
                         timeout=10)
    assert out.returncode == 0
    for option in ("--port", "--access-key", "--secret-key", "--api-key", "--queue-delay",
                   "--render-delay", "--max-parallel", "--rate-limit", "--video-scale",
                   "--url-ttl", "--control"):
        assert option in out.stdout, option


def test_bad_command_line_is_refused(sandbox_binary):
    out = subprocess.run([str(sandbox_binary), "--access-key", "AK-only"],
                         capture_output=True, text=True, timeout=10,
                         env={"PATH": "/usr/bin:/bin"})
    assert out.returncode != 0 and "secret key" in out.stderr


def test_stop_removes_every_temporary_file(sandbox_factory, tmp_path):
    for sig in (signal.SIGTERM, signal.SIGINT):
        tmp = tmp_path / sig.name
        tmp.mkdir()
        box = sandbox_factory(env={"TMPDIR": str(tmp)})
        task = box.create("image2video", {"image": b64(MEDIA / "square.png"), "prompt": "p"})
        assert box.wait_task("image2video", task["task_id"])["task_status"] == "succeed"
        assert list(tmp.rglob("*.mp4")), "the result lives under TMPDIR"
        box.proc.send_signal(sig)
        box.stop()
        assert list(tmp.iterdir()) == []
