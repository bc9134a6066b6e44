"""Fixtures of the sandbox suites (the `sandbox` fixture itself is in tests/conftest.py)."""
import functools
import http.server
import threading

import pytest


class QuietFileHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def file_server(tmp_path):
    """A loopback HTTP server (a third-party host for image, audio and video URLs).
    Yields (directory it serves, base URL)."""
    root = tmp_path / "served"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietFileHandler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


# The sandbox's own suites test it as Kling is: retired and unknown models refused. They
# say so here rather than inherit tests/conftest.py's defaults, which older suites may
# widen (--accept-any-model); a test that wants the old behaviour asks for it.
STRICT_ARGS = ("--control", "--queue-delay", "0.1", "--render-delay", "0.3",
               "--video-scale", "0.25")


@pytest.fixture
def sandbox(sandbox_factory):
    """A kling-sandbox as tests/conftest.py's, but always without --accept-any-model."""
    return sandbox_factory(args=STRICT_ARGS)
