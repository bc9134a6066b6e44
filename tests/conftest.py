"""Shared pytest fixtures: where the build tree is, and the sandbox binary."""
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def build_dir():
    path = pathlib.Path(os.environ.get("KLING_BUILD_DIR", ROOT / "build"))
    if not path.is_dir():
        pytest.fail(f"no build tree at {path}: run `make build` (or set KLING_BUILD_DIR)")
    return path


# ---- kling-sandbox -------------------------------------------------------------------
import json as _json
import signal as _signal
import subprocess as _subprocess
import time as _time
import urllib.error as _urlerror
import urllib.request as _urlrequest


class SandboxProcess:
    """A running `kling-sandbox` binary with helpers for tests.

    Credentials: JWT with .access_key / .secret_key (passed through the environment, so
    they never show in `ps`), and the static .api_key. .token() mints a PyJWT token.
    """

    DEFAULT_ARGS = ("--control", "--queue-delay", "0.1", "--render-delay", "0.3",
                    "--video-scale", "0.25")

    def __init__(self, binary, args=DEFAULT_ARGS, access_key="AK-test", secret_key="SK-test",
                 api_key="static-key-test", env=None):
        self.access_key, self.secret_key, self.api_key = access_key, secret_key, api_key
        env = dict(os.environ, **(env or {}))
        for name, value in (("KLING_ACCESS_KEY", access_key), ("KLING_SECRET_KEY", secret_key),
                            ("KLING_API_KEY", api_key)):
            env.pop(name, None)
            if value is not None:
                env[name] = value
        self.proc = _subprocess.Popen([str(binary), "--port", "0", *args], env=env,
                                      stdout=_subprocess.PIPE, stderr=_subprocess.PIPE,
                                      text=True)
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            self.proc.kill()
            raise RuntimeError(f"kling-sandbox did not start: {self.proc.stderr.read()}")
        self.stderr = ""

    # -- credentials
    def token(self, secret=None, **claims):
        import jwt
        now = int(_time.time())
        payload = {"iss": self.access_key, "exp": now + 1800, "nbf": now - 5}
        payload.update(claims)
        return jwt.encode(payload, secret or self.secret_key, algorithm="HS256",
                          headers={"typ": "JWT"})

    def auth_headers(self):
        return {"Authorization": "Bearer " + self.token()}

    # -- HTTP
    def request(self, method, path, body=None, headers=None, auth=True, timeout=30):
        """Returns (status, headers, raw body). `body` is JSON-encoded unless bytes."""
        all_headers = dict(self.auth_headers() if auth else {})
        all_headers.update(headers or {})
        data = body
        if body is not None and not isinstance(body, (bytes, bytearray)):
            data = _json.dumps(body).encode()
            all_headers.setdefault("Content-Type", "application/json")
        url = path if path.startswith("http") else self.url + path
        req = _urlrequest.Request(url, data=data, method=method, headers=all_headers)
        try:
            with _urlrequest.urlopen(req, timeout=timeout) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except _urlerror.HTTPError as err:
            return err.code, dict(err.headers), err.read()

    def call(self, method, path, body=None, **kwargs):
        """Returns (status, parsed JSON body)."""
        status, _, raw = self.request(method, path, body, **kwargs)
        return status, _json.loads(raw)

    def create(self, endpoint, body, **kwargs):
        status, answer = self.call("POST", f"/v1/videos/{endpoint}", body, **kwargs)
        assert status == 200, answer
        return answer["data"]

    def wait_task(self, endpoint, task_id, timeout=30):
        """Polls until the task ends; returns the task object."""
        deadline = _time.monotonic() + timeout
        while True:
            status, answer = self.call("GET", f"/v1/videos/{endpoint}/{task_id}")
            assert status == 200, answer
            task = answer["data"]
            if task["task_status"] in ("succeed", "failed"):
                return task
            assert _time.monotonic() < deadline, f"task {task_id} still {task['task_status']}"
            _time.sleep(0.05)

    # -- control API
    def add_fault(self, **rule):
        status, answer = self.call("POST", "/sandbox/faults", rule, auth=False)
        assert status == 200, answer
        return answer["id"]

    def clear_faults(self):
        assert self.request("DELETE", "/sandbox/faults", auth=False)[0] == 200

    def counters(self):
        status, answer = self.call("GET", "/sandbox/counters", auth=False)
        assert status == 200
        return answer

    def reset(self):
        assert self.request("POST", "/sandbox/reset", body=b"", auth=False)[0] == 200

    # -- shutdown
    def stop(self):
        """SIGTERM; asserts a clean exit (status 0, no GLib warning or critical) and
        returns stderr."""
        if self.proc.poll() is None:
            self.proc.send_signal(_signal.SIGTERM)
        try:
            _, self.stderr = self.proc.communicate(timeout=20)
        except _subprocess.TimeoutExpired:
            self.proc.kill()
            _, self.stderr = self.proc.communicate()
            raise AssertionError("kling-sandbox did not exit on SIGTERM")
        assert self.proc.returncode == 0, f"exit {self.proc.returncode}: {self.stderr}"
        assert "CRITICAL **" not in self.stderr, self.stderr
        assert "WARNING **" not in self.stderr, self.stderr
        return self.stderr


@pytest.fixture(scope="session")
def sandbox_binary(build_dir):
    path = pathlib.Path(os.environ.get("KLING_SANDBOX",
                                       build_dir / "gst/kling/sandbox/kling-sandbox"))
    if not path.is_file():
        pytest.fail(f"no kling-sandbox at {path}: build it first")
    return path


@pytest.fixture
def sandbox_factory(sandbox_binary):
    """Starts sandboxes with custom arguments; all are stopped (and checked) at teardown."""
    started = []

    def start(*extra_args, args=SandboxProcess.DEFAULT_ARGS, **keys):
        box = SandboxProcess(sandbox_binary, tuple(args) + tuple(extra_args), **keys)
        started.append(box)
        return box

    yield start
    for box in started:
        box.stop()


@pytest.fixture
def sandbox(sandbox_factory):
    """A kling-sandbox on a free port with --control, 0.1 s queue and 0.3 s render delays
    and --video-scale 0.25; credentials in .access_key/.secret_key and .api_key."""
    return sandbox_factory()
