"""kling-sandbox limits and delivery: rate limit, parallel cap, callbacks, URL expiry,
Range requests."""
import http.server
import json
import threading
import time

import pytest

from media import MEDIA, b64

SLOW = ("--control", "--queue-delay", "0.1", "--render-delay", "1.0", "--video-scale",
        "0.25")


def test_rate_limit_answers_429_1302_with_retry_after(sandbox_factory):
    box = sandbox_factory("--rate-limit", "2")
    for i in range(2):
        box.create("text2video", {"prompt": f"p{i}"})
    status, headers, body = box.request("POST", "/v1/videos/text2video", {"prompt": "p3"})
    assert (status, json.loads(body)["code"]) == (429, 1302)
    assert 1 <= int(headers["Retry-After"]) <= 60
    assert box.counters()["responses_429"] == 1
    assert box.counters()["tasks_created"]["text2video"] == 2
    assert box.request("GET", "/v1/videos/text2video")[0] == 200   # queries are free


def test_parallel_cap_answers_429_1303_until_a_slot_frees(sandbox_factory):
    box = sandbox_factory("--max-parallel", "1", args=SLOW)
    first = box.create("text2video", {"prompt": "first"})
    status, answer = box.call("POST", "/v1/videos/text2video", {"prompt": "second"})
    assert (status, answer["code"]) == (429, 1303)
    box.wait_task("text2video", first["task_id"])
    second = box.create("text2video", {"prompt": "second"})
    box.wait_task("text2video", second["task_id"])
    counters = box.counters()
    assert counters["peak_parallel"] == 1 and counters["responses_429"] == 1
    assert counters["tasks_in_flight"] == 0


def test_queries_answer_while_a_render_runs(sandbox_factory):
    # pro at half scale takes a second or so to render: queries must not wait for it.
    box = sandbox_factory(args=("--queue-delay", "0", "--render-delay", "0",
                                "--video-scale", "0.5"))
    task = box.create("image2video", {"image": b64(MEDIA / "still.jpg"), "prompt": "p",
                                       "mode": "pro"})
    time.sleep(0.2)
    start = time.monotonic()
    status, answer = box.call("GET", f"/v1/videos/image2video/{task['task_id']}")
    assert status == 200 and answer["data"]["task_status"] == "processing"
    assert time.monotonic() - start < 0.2
    assert box.wait_task("image2video", task["task_id"])["task_status"] == "succeed"


@pytest.fixture
def hook():
    """A loopback server collecting callback POSTs."""
    received = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()


def test_callbacks_post_each_status_in_order(sandbox, hook):
    url, received = hook
    task = sandbox.create("text2video", {"prompt": "call me", "callback_url": url,
                                         "external_task_id": "cb-1"})
    sandbox.wait_task("text2video", task["task_id"])
    deadline = time.monotonic() + 5
    while len(received) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [t["task_status"] for t in received] == ["submitted", "processing", "succeed"]
    assert all(t["task_id"] == task["task_id"] for t in received)
    assert received[-1]["task_info"]["external_task_id"] == "cb-1"
    assert received[-1]["task_result"]["videos"][0]["url"].startswith(sandbox.url)
    assert sandbox.counters()["callbacks_sent"] == 3


def test_result_urls_expire_after_url_ttl(sandbox_factory):
    box = sandbox_factory("--url-ttl", "1")
    task = box.create("text2video", {"prompt": "short-lived"})
    url = box.wait_task("text2video", task["task_id"])["task_result"]["videos"][0]["url"]
    assert box.request("GET", url, auth=False)[0] == 200
    time.sleep(2.1)
    status, _, body = box.request("GET", url, auth=False)
    assert status == 403 and b"expired" in body


def test_range_requests_and_signatures(sandbox):
    task = sandbox.create("text2video", {"prompt": "ranges"})
    url = sandbox.wait_task("text2video", task["task_id"])["task_result"]["videos"][0]["url"]
    full = sandbox.request("GET", url, auth=False)[2]
    size = len(full)

    status, headers, body = sandbox.request("GET", url, headers={"Range": "bytes=10-99"},
                                            auth=False)
    assert status == 206 and body == full[10:100]
    assert headers["Content-Range"] == f"bytes 10-99/{size}"
    assert headers["Content-Length"] == "90"
    status, headers, body = sandbox.request("GET", url, headers={"Range": "bytes=-16"},
                                            auth=False)
    assert status == 206 and body == full[-16:]
    status, headers, body = sandbox.request("GET", url, headers={"Range": f"bytes={size - 5}-"},
                                            auth=False)
    assert status == 206 and body == full[-5:]
    status, headers, _ = sandbox.request("GET", url, headers={"Range": f"bytes={size}-"},
                                         auth=False)
    assert status == 416 and headers["Content-Range"] == f"bytes */{size}"

    base, query = url.split("?")
    expires, sig = (part.split("=")[1] for part in query.split("&"))
    forged = f"{base}?expires={int(expires) + 1000}&sig={sig}"
    bad_sig = f"{base}?expires={expires}&sig={'0' * 64}"
    for bad in (forged, bad_sig, base, url.replace(".mp4", ".mp5"),
                f"{sandbox.url}/files/nope.mp4?{query}"):
        assert sandbox.request("GET", bad, auth=False)[0] in (403, 404), bad
    assert sandbox.request("GET", forged, auth=False)[0] == 403
    assert sandbox.request("POST", url, body=b"", auth=False)[0] == 405
    status, headers, body = sandbox.request("HEAD", url, auth=False)
    assert status == 200 and headers["Content-Length"] == str(size) and body == b""


def test_many_tasks_at_once_all_finish(sandbox):
    ids = [sandbox.create("text2video", {"prompt": f"crowd {i}"})["task_id"]
           for i in range(12)]
    assert sandbox.counters()["tasks_in_flight"] == 12
    results = [sandbox.wait_task("text2video", task_id) for task_id in ids]
    assert all(t["task_status"] == "succeed" for t in results)
    assert len({t["task_result"]["videos"][0]["id"] for t in results}) == 12
    counters = sandbox.counters()
    assert counters["tasks_in_flight"] == 0 and counters["peak_parallel"] == 12
