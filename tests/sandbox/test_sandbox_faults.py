"""kling-sandbox faults that a client's tests need (issue 9): downloads and answers cut,
framed wrongly, dripped, endless or oversized; nested and mistyped answers; pages that are
not the Kling envelope; stalls, redirects, lost create answers and a busy account. Each
test looks at what a client would see on the wire, through real sockets."""
import http.client
import json
import os
import socket
import time

import pytest

from media import MEDIA, b64

I2V = "/v1/videos/image2video"


@pytest.fixture(scope="module")
def image():
    return b64(MEDIA / "square.png")


@pytest.fixture
def clip(sandbox, image):
    """A finished image2video task: (file path with its query, the file's bytes, task)."""
    task = sandbox.create("image2video", {"image": image, "prompt": "faults"})
    done = sandbox.wait_task("image2video", task["task_id"])
    url = done["task_result"]["videos"][0]["url"]
    status, _, body = sandbox.request("GET", url, auth=False)
    assert status == 200
    sandbox.reset()
    return url[len(sandbox.url):], body, done


class Raw:
    """One HTTP/1.1 exchange on a plain socket: what is on the wire, unparsed."""

    def __init__(self, sandbox, method, path, headers=None, body=None, timeout=10,
                 read_limit=None):
        host, port = sandbox.url[len("http://"):].split(":")
        lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}")
        payload = json.dumps(body).encode() if body is not None else b""
        if body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
        start = time.monotonic()
        data = bytearray()
        self.closed = False
        with socket.create_connection((host, int(port)), timeout=timeout) as sock:
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
            try:
                while read_limit is None or len(data) < read_limit:
                    chunk = sock.recv(1 << 20)
                    if not chunk:
                        self.closed = True
                        break
                    data += chunk
            except socket.timeout:
                pass
        self.elapsed = time.monotonic() - start
        head, _, self.body = bytes(data).partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split(" ")[1]) if lines[0] else None
        self.headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()


def dechunk(raw):
    """(payload, ended): the chunks' data, and whether the last chunk came."""
    payload, pos = bytearray(), 0
    while True:
        end = raw.find(b"\r\n", pos)
        if end < 0:
            return bytes(payload), False
        size = int(raw[pos:end], 16)
        if size == 0:
            return bytes(payload), raw[end:end + 4] == b"\r\n\r\n"
        payload += raw[end + 2:end + 2 + size]
        if len(raw) < end + 2 + size + 2:
            return bytes(payload), False
        pos = end + 2 + size + 2


def urllib_read(sandbox, path):
    """What http.client (a strict client) makes of an answer."""
    host, port = sandbox.url[len("http://"):].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


# ---- downloads ---------------------------------------------------------------------

def test_chunked_body_cut_short(sandbox, clip):
    path, full, _ = clip
    sandbox.add_fault(path="/files/", kind="chunked-cut", bytes=5000)
    raw = Raw(sandbox, "GET", path)
    assert raw.status == 200 and raw.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in raw.headers and raw.closed
    payload, ended = dechunk(raw.body)
    assert payload == full[:5000] and not ended
    sandbox.add_fault(path="/files/", kind="chunked-cut")        # default: half
    with pytest.raises(http.client.IncompleteRead) as cut:
        urllib_read(sandbox, path)
    assert len(cut.value.partial) == len(full) // 2
    assert sandbox.counters()["downloads"] == 2


def test_body_without_length_cut_short_looks_complete(sandbox, clip):
    path, full, _ = clip
    sandbox.add_fault(path="/files/", kind="eof-cut", bytes=7000)
    raw = Raw(sandbox, "GET", path)
    assert raw.status == 200 and raw.closed
    assert "content-length" not in raw.headers and "transfer-encoding" not in raw.headers
    assert raw.body == full[:7000]
    # A strict HTTP client reads it as a whole body: only the MP4 can tell.
    sandbox.add_fault(path="/files/", kind="eof-cut", bytes=7000)
    assert urllib_read(sandbox, path) == (200, full[:7000])


def test_content_length_smaller_than_the_file(sandbox, clip):
    path, full, _ = clip
    sandbox.add_fault(path="/files/", kind="short-length", bytes=len(full) - 1000)
    raw = Raw(sandbox, "GET", path)
    assert raw.headers["content-length"] == str(len(full) - 1000)
    assert raw.body == full[:-1000]
    sandbox.add_fault(path="/files/", kind="short-length", bytes=len(full) - 1000)
    assert urllib_read(sandbox, path) == (200, full[:-1000])


def test_truncated_takes_a_cut_point(sandbox, clip):
    path, full, _ = clip
    sandbox.add_fault(path="/files/", kind="truncated", bytes=100)
    raw = Raw(sandbox, "GET", path)
    assert raw.headers["content-length"] == str(len(full))
    assert raw.body == full[:100] and raw.closed


def mdat_payload_offset(data):
    pos = 0
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos:pos + 4], "big")
        if data[pos + 4:pos + 8] == b"mdat":
            return pos + 8
        pos += size
    raise AssertionError("no mdat")


def test_endless_download_after_a_valid_mp4_header_is_bounded(sandbox, clip):
    path, full, _ = clip
    sandbox.add_fault(path="/files/", kind="endless", bytes=3_000_000)
    raw = Raw(sandbox, "GET", path, timeout=30)
    assert raw.status == 200 and raw.headers["transfer-encoding"] == "chunked"
    payload, ended = dechunk(raw.body)
    assert len(payload) == 3_000_000 and not ended and raw.closed
    header = mdat_payload_offset(full)
    assert payload[:header] == full[:header]             # ftyp, moov, the mdat header
    assert b"moov" in payload[:header]
    assert payload[header:].count(0) == len(payload) - header


def test_endless_body_stops_at_its_time_bound(sandbox, clip):
    path, _, _ = clip
    sandbox.add_fault(path="/files/", kind="endless", seconds=1, bytes_per_second=50_000)
    raw = Raw(sandbox, "GET", path, timeout=30)
    payload, ended = dechunk(raw.body)
    assert 0.8 < raw.elapsed < 3 and raw.closed and not ended
    assert 20_000 < len(payload) < 100_000


def test_endless_body_ends_at_its_bound_even_when_nobody_reads(sandbox, clip):
    path, _, _ = clip
    sandbox.add_fault(path="/files/", kind="endless", seconds=1)
    host, port = sandbox.url[len("http://"):].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        time.sleep(0.3)
        assert sandbox.counters()["connections_held"] == 1
        deadline = time.monotonic() + 3                 # not reading a byte meanwhile
        while sandbox.counters()["connections_held"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sandbox.counters()["connections_held"] == 0


def test_throttled_download_drips(sandbox, clip):
    path, full, _ = clip
    rate = int(len(full) / 1.5)                 # the whole file in about 1.5 s
    sandbox.add_fault(path="/files/", kind="throttle", bytes_per_second=rate)
    start = time.monotonic()
    status, body = urllib_read(sandbox, path)
    elapsed = time.monotonic() - start
    assert (status, body) == (200, full)
    assert 1.2 < elapsed < 3.0, elapsed


def test_throttled_download_is_bounded_in_time(sandbox, clip):
    path, full, _ = clip
    sandbox.add_fault(path="/files/", kind="throttle", bytes_per_second=2000, seconds=1)
    raw = Raw(sandbox, "GET", path, timeout=30)
    assert raw.headers["content-length"] == str(len(full)) and raw.closed
    assert 0.8 < raw.elapsed < 3 and 1000 <= len(raw.body) <= 4000
    assert full.startswith(raw.body)
    assert sandbox.counters()["connections_held"] == 0


@pytest.mark.parametrize("http_status, code", [(404, 1203), (429, 1302)])
def test_download_answered_404_or_429_once(sandbox, clip, http_status, code):
    path, full, _ = clip
    sandbox.add_fault(path="/files/", action="status", http=http_status, code=code,
                      retry_after=2)
    status, headers, body = sandbox.request("GET", path, auth=False)
    assert status == http_status and json.loads(body)["code"] == code
    assert headers.get("Retry-After") == "2"
    assert sandbox.request("GET", path, auth=False)[2] == full      # once only
    counters = sandbox.counters()
    assert counters["downloads"] == 1 and counters["requests"]["GET /files"] == 2
    assert counters["downloads_by_path"] == {path.split("?")[0]: 1}


def test_oversized_download(sandbox, clip):
    path, full, _ = clip
    sandbox.add_fault(path="/files/", kind="oversize", bytes=30_000_000)
    raw = Raw(sandbox, "GET", path, timeout=30)
    assert raw.headers["content-length"] == "30000000" and len(raw.body) == 30_000_000
    assert raw.body[:len(full)] == full and raw.body[len(full):].count(0) == 30_000_000 - len(full)


# ---- API answers ---------------------------------------------------------------------

def peak_rss_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_oversized_json_answer_is_streamed(sandbox, clip):
    _, _, task = clip
    before = peak_rss_kb(sandbox.proc.pid)
    sandbox.add_fault(method="GET", path=f"{I2V}/", kind="oversize", bytes=200_000_000)
    status, headers, body = sandbox.request("GET", f"{I2V}/{task['task_id']}", timeout=60)
    assert status == 200 and headers["Content-Length"] == "200000000"
    assert len(body) == 200_000_000
    answer = json.loads(body)                   # valid JSON: the real answer, padded
    assert answer["data"]["task_id"] == task["task_id"] and answer["code"] == 0
    assert len(answer["padding"]) > 199_000_000
    del body, answer
    # Written slice by slice, never held whole.
    assert peak_rss_kb(sandbox.proc.pid) - before < 30_000


def test_endless_json_answer_is_bounded(sandbox, clip):
    _, _, task = clip
    sandbox.add_fault(method="GET", path=f"{I2V}/", kind="endless", bytes=1_000_000)
    raw = Raw(sandbox, "GET", f"{I2V}/{task['task_id']}", headers=sandbox.auth_headers())
    payload, ended = dechunk(raw.body)
    assert len(payload) == 1_000_000 and not ended and raw.closed
    assert payload.startswith(b'{"code":0') and b'"padding":"xxxx' in payload
    assert payload.endswith(b"x" * 1000)


def test_deeply_nested_answer(sandbox):
    sandbox.add_fault(method="GET", path=I2V, kind="deep-json")
    status, headers, body = sandbox.request("GET", f"{I2V}?pageNum=1&pageSize=30")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert 150_000 < len(body) < 170_000
    assert body.count(b"[") == 80_000 and body.count(b"]") == 80_000
    assert b'"data": [[[' in body
    sandbox.add_fault(method="GET", path=I2V, kind="deep-json", depth=10)
    assert json.loads(sandbox.request("GET", I2V)[2])["data"] == [[[[[[[[[[]]]]]]]]]]


@pytest.mark.parametrize("value", ["procesing", 3, None, {"state": "done"}])
def test_one_poll_with_a_mistyped_task_status(sandbox, image, value):
    task = sandbox.create("image2video", {"image": image, "prompt": "status"})
    sandbox.add_fault(method="GET", path=f"{I2V}/", kind="task-status", value=value)
    status, answer = sandbox.call("GET", f"{I2V}/{task['task_id']}")
    assert status == 200 and answer["code"] == 0
    assert answer["data"]["task_status"] == value
    assert answer["data"]["task_id"] == task["task_id"]           # the rest as it was
    assert sandbox.wait_task("image2video", task["task_id"])["task_status"] == "succeed"


def test_task_status_rewrites_every_task_of_a_list(sandbox):
    for i in range(2):
        sandbox.create("text2video", {"prompt": f"listed {i}"})
    sandbox.add_fault(method="GET", path="/v1/videos/text2video", kind="task-status",
                      value="unknown")
    tasks = sandbox.call("GET", "/v1/videos/text2video?pageNum=1&pageSize=30")[1]["data"]
    assert [t["task_status"] for t in tasks] == ["unknown", "unknown"]


@pytest.mark.parametrize("http_status, marker", [(200, b"It works!"),
                                                  (502, b"502 Bad Gateway")])
def test_html_page_instead_of_the_envelope(sandbox, image, http_status, marker):
    sandbox.add_fault(method="POST", path=I2V, kind="html", http=http_status)
    status, headers, body = sandbox.request("POST", I2V, {"image": image, "prompt": "p"})
    assert status == http_status and headers["Content-Type"].startswith("text/html")
    assert body.lstrip().lower().startswith((b"<!doctype html>", b"<html>")) and marker in body
    assert sandbox.counters()["tasks_created"]["image2video"] == 0   # not processed


def test_html_page_after_the_server_acted(sandbox, image):
    sandbox.add_fault(method="POST", path=I2V, kind="html-after")
    status, headers, body = sandbox.request("POST", I2V, {"image": image, "prompt": "p"})
    assert status == 502 and headers["Content-Type"].startswith("text/html")
    assert b"502 Bad Gateway" in body
    assert sandbox.counters()["tasks_created"]["image2video"] == 1   # processed


# ---- stalls ------------------------------------------------------------------------

def test_stall_answers_nothing_until_its_bound(sandbox, image):
    sandbox.add_fault(method="POST", path=I2V, kind="stall", seconds=1)
    raw = Raw(sandbox, "POST", I2V, headers=sandbox.auth_headers(),
              body={"image": image, "prompt": "p"}, timeout=10)
    assert raw.body == b"" and raw.status is None and raw.closed
    assert 0.9 < raw.elapsed < 3
    assert sandbox.counters()["tasks_created"]["image2video"] == 0


def test_stall_ends_when_the_client_gives_up(sandbox):
    sandbox.add_fault(path=I2V, kind="stall", seconds=600, times=3)
    for _ in range(3):
        with pytest.raises(OSError):
            sandbox.request("GET", I2V, timeout=0.2)
    deadline = time.monotonic() + 5
    while sandbox.counters()["connections_held"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sandbox.counters()["connections_held"] == 0
    assert sandbox.request("GET", I2V)[0] == 200


def test_stop_during_a_stall_and_a_delay_is_prompt(sandbox_factory):
    box = sandbox_factory()
    box.add_fault(path=I2V, kind="stall", seconds=600)
    box.add_fault(path="/v1/videos/text2video", kind="delay", seconds=600)
    host, port = box.url[len("http://"):].split(":")
    socks = []
    for path in (I2V, "/v1/videos/text2video"):
        sock = socket.create_connection((host, int(port)), timeout=5)
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        socks.append(sock)
    deadline = time.monotonic() + 5
    while box.counters()["faults_hit"] < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert box.counters()["connections_held"] == 1
    start = time.monotonic()
    box.stop()                                  # asserts a clean exit
    assert time.monotonic() - start < 3
    for sock in socks:
        assert sock.recv(100) == b""            # closed, unanswered
        sock.close()


# ---- redirects and credentials -------------------------------------------------------

def test_redirect_to_another_origin_and_its_credential_counter(sandbox, sandbox_factory):
    other = sandbox_factory()
    task = sandbox.create("text2video", {"prompt": "redirected"})
    sandbox.add_fault(method="GET", path="/v1/videos/text2video/", kind="redirect",
                      location=other.url, append_path=True, times=2)
    poll = f"/v1/videos/text2video/{task['task_id']}"
    raw = Raw(sandbox, "GET", poll + "?a=1", headers=sandbox.auth_headers())
    assert raw.status == 302 and raw.headers["content-length"] == "0"
    assert raw.headers["location"] == f"{other.url}{poll}?a=1"
    # A client that follows without credentials leaves no trace of them on the other
    # origin; one that sends its key along is counted there (the value never kept).
    Raw(other, "GET", raw.headers["location"][len(other.url):])
    assert other.counters()["credentialed_requests"] == 0
    Raw(other, "GET", poll, headers={"X-API-Key": other.api_key})
    counters = other.counters()
    assert counters["credentialed_requests"] == 1
    assert counters["credentialed"] == {"GET /v1/videos/text2video": 1}
    assert counters["requests"] == {"GET /v1/videos/text2video": 2}
    assert other.api_key not in other.stop()
    # The rule's second hit; then the poll is served again.
    assert Raw(sandbox, "GET", poll, headers=sandbox.auth_headers()).status == 302
    assert sandbox.call("GET", poll)[0] == 200


def test_credentials_are_counted_in_every_form(sandbox, clip):
    path, _, _ = clip
    for headers in ({"Authorization": "Bearer x"}, {"X-API-Key": "k"}, {}):
        Raw(sandbox, "GET", path, headers=headers)
    Raw(sandbox, "GET", f"{path}&api_key=k")
    counters = sandbox.counters()
    assert counters["credentialed_requests"] == 3
    assert counters["credentialed"] == {"GET /files": 3}
    assert counters["requests"]["GET /files"] == 4


@pytest.mark.parametrize("http_status", [307, 301])
def test_redirect_status_and_fixed_location(sandbox, http_status):
    sandbox.add_fault(path="/files/", kind="redirect", http=http_status,
                      location="http://127.0.0.1:9/elsewhere.mp4")
    raw = Raw(sandbox, "GET", "/files/x.mp4")
    assert raw.status == http_status
    assert raw.headers["location"] == "http://127.0.0.1:9/elsewhere.mp4"


# ---- lost answers and a busy account --------------------------------------------------

def test_identify_face_processed_but_its_answer_lost(sandbox, clip):
    _, _, task = clip
    video_id = task["task_result"]["videos"][0]["id"]
    sandbox.add_fault(method="POST", path="/v1/videos/identify-face", kind="drop-after")
    with pytest.raises(http.client.RemoteDisconnected):
        host, port = sandbox.url[len("http://"):].split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.request("POST", "/v1/videos/identify-face",
                     body=json.dumps({"video_id": video_id}),
                     headers=dict(sandbox.auth_headers(), **{"Content-Type": "application/json"}))
        conn.getresponse()
    # Charged and made (a second call makes, and charges, another session).
    assert sandbox.counters()["sessions_created"] == 1
    sandbox.call("POST", "/v1/videos/identify-face", {"video_id": video_id})
    assert sandbox.counters()["sessions_created"] == 2


def test_busy_account_for_three_creates_in_a_row(sandbox, image):
    sandbox.add_fault(method="POST", path=I2V, action="status", http=429, code=1303,
                      times=3, retry_after=1, message="parallel task limit reached")
    body = {"image": image, "prompt": "queued"}
    for _ in range(3):
        status, headers, raw = sandbox.request("POST", I2V, body)
        assert (status, json.loads(raw)["code"]) == (429, 1303)
        assert headers["Retry-After"] == "1"
    assert sandbox.counters()["tasks_created"]["image2video"] == 0
    assert sandbox.create("image2video", body)["task_status"] == "submitted"
    counters = sandbox.counters()
    assert counters["responses_429"] == 3 and counters["tasks_created"]["image2video"] == 1


@pytest.mark.parametrize("rule", [
    '{"kind": "throttle"}', '{"kind": "throttle", "bytes_per_second": 0}',
    '{"kind": "redirect"}', '{"kind": "redirect", "location": "ftp://x"}',
    '{"kind": "redirect", "location": "http://x", "http": 200}',
    '{"kind": "task-status"}', '{"kind": "html", "http": 42}',
    '{"kind": "endless", "bytes": 3000000000}', '{"kind": "stall", "seconds": 601}',
    '{"kind": "stall", "seconds": 0}', '{"kind": "throttle", "bytes_per_second": 9, '
    '"seconds": 0}',
    '{"kind": "deep-json", "depth": 2000000}', '{"kind": "drop", "action": "delay"}',
    '{"kind": "oversize", "bytes": -1}', '{"kind": "redirect", "location": "http://x", '
    '"append_path": "yes"}',
])
def test_bad_new_rules_are_refused(sandbox, rule):
    status, _, body = sandbox.request("POST", "/sandbox/faults", rule.encode(), auth=False)
    assert status == 400 and "error" in json.loads(body), rule


def test_kind_and_action_are_one_field(sandbox):
    assert sandbox.add_fault(kind="drop", action="drop", path="/nowhere") > 0
