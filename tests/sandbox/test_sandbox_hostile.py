"""kling-sandbox under malformed and hostile requests: a clean 4xx, never a crash."""
import http.client
import json
import socket

import pytest


def raw_exchange(sandbox, data, read_timeout=5):
    host, port = sandbox.url[len("http://"):].split(":")
    with socket.create_connection((host, int(port)), timeout=read_timeout) as sock:
        sock.sendall(data)
        chunks = []
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except (socket.timeout, ConnectionResetError):
            pass
    return b"".join(chunks)


def alive(sandbox):
    assert sandbox.request("GET", "/v1/videos/image2video")[0] == 200


@pytest.mark.parametrize("raw", [
    b"{", b"\xff\xfe\x00garbage", b'{"image": "\xff\xfe"}', b"[" * 100000, b"{\"a\":" * 5000,
    b'{"prompt": "\\ud800"}', b"null", b"1e999999", json.dumps({"image": {"nested": [1] * 1000}}).encode(),
    json.dumps({"image": None, "prompt": None, "duration": None}).encode(),
    json.dumps({"image": [], "mode": {}, "cfg_scale": True, "duration": 5.5}).encode(),
])
def test_malformed_bodies_get_4xx(sandbox, raw):
    for path in ("/v1/videos/image2video", "/v1/videos/lip-sync",
                 "/v1/videos/advanced-lip-sync", "/v1/videos/identify-face",
                 "/v1/videos/video-extend", "/v1/videos/text2video"):
        status, _, body = sandbox.request("POST", path, raw,
                                          headers={"Content-Type": "application/json"})
        assert 400 <= status < 500, (path, status, body)
        assert json.loads(body)["code"] in (1200, 1201)
    alive(sandbox)


def test_wrong_types_inside_lip_sync(sandbox):
    for body in ({"input": "video"}, {"input": {"video_id": 5, "mode": "audio2video"}},
                 {"input": {"video_id": "x", "mode": ["audio2video"]}},
                 {"input": {"video_url": {"a": 1}, "mode": "text2video", "text": 9}},
                 {"session_id": 1, "face_choose": "all"}):
        for path in ("/v1/videos/lip-sync", "/v1/videos/advanced-lip-sync"):
            status, answer = sandbox.call("POST", path, body)
            assert status == 400 and answer["code"] == 1201, (path, body, answer)
    alive(sandbox)


def test_huge_declared_body_is_refused_before_reading(sandbox):
    host, port = sandbox.url[len("http://"):].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.putrequest("POST", "/v1/videos/image2video")
    conn.putheader("Content-Length", str(2 * 1024 ** 3))
    for name, value in sandbox.auth_headers().items():
        conn.putheader(name, value)
    conn.endheaders()
    resp = conn.getresponse()
    assert resp.status == 413 and json.loads(resp.read())["code"] == 1200
    conn.close()
    alive(sandbox)


def test_endless_chunked_body_is_cut_off(sandbox):
    host, port = sandbox.url[len("http://"):].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.putrequest("POST", "/v1/videos/image2video")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    chunk = b"a" * (1024 * 1024)
    with pytest.raises((ConnectionError, BrokenPipeError)):
        for _ in range(64):
            conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        conn.getresponse().read()
    conn.close()
    alive(sandbox)


@pytest.mark.parametrize("path", [
    "/v1/videos/image2video/../../../etc/passwd",
    "/v1/videos/image2video/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/files/..%2f..%2fetc%2fpasswd.mp4?expires=9999999999&sig=00",
    "/files/%00.mp4",
    "/v1/videos/image2video/a/b/c",
    "/v1/videos/%ff%fe",
    "/v1/videos/image2video/" + "x" * 8000,
])
def test_path_tricks_get_4xx(sandbox, path):
    status, _, _ = sandbox.request("GET", path)
    assert 400 <= status < 500, path
    alive(sandbox)


def test_dot_segments_are_resolved_before_routing(sandbox_factory):
    # RFC 3986: "/sandbox/../v1/x" is "/v1/x"; and no dot trick reaches the control API
    # of a sandbox started without --control.
    box = sandbox_factory(args=("--video-scale", "0.25"))
    assert box.request("GET", "/sandbox/../v1/videos/image2video")[0] == 200
    assert box.request("GET", "/v1/videos/../../sandbox/counters", auth=False)[0] == 404


@pytest.mark.parametrize("request_bytes", [
    b"GARBAGE\r\n\r\n",
    b"GET / HTTP/9.9\r\n\r\n",
    b"GET /v1/videos/image2video HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    b"POST /v1/videos/image2video HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    b"POST /v1/videos/image2video HTTP/1.1\r\nHost: x\r\n"
    b"Content-Length: 99999999999999999999999\r\n\r\n",
    b"POST /v1/videos/image2video HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"zz\r\n",
    b"POST /v1/videos/image2video HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{\"a\"",
    b"GET /v1/videos/image2video HTTP/1.1\r\n" + b"X-Big: " + b"a" * 100000 + b"\r\n\r\n",
    b"BREW /v1/videos/image2video HTTP/1.1\r\nHost: x\r\n\r\n",
])
def test_broken_http_does_not_crash(sandbox, request_bytes):
    answer = raw_exchange(sandbox, request_bytes, read_timeout=1)
    if answer:
        status = int(answer.split(b" ", 2)[1])
        assert 400 <= status < 500 or status == 505, answer[:200]
    alive(sandbox)


def test_bad_tokens_of_every_shape(sandbox):
    # (libsoup itself drops requests whose headers exceed its limit, ~64 KB.)
    for value in ("Bearer " + "a" * 20000, "Bearer a.b.c", "Bearer ..", "Bearer \u00e9",
                  "Bearer eyJhbGciOiJIUzI1NiJ9.e30.", "Bearer " + "." * 50,
                  "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.W10.AAAA"):
        status, _, body = sandbox.request("GET", "/v1/videos/image2video",
                                          headers={"Authorization": value}, auth=False)
        assert status in (400, 401), value[:40]
    alive(sandbox)


def test_client_gone_during_a_delay(sandbox):
    sandbox.add_fault(path="/v1/videos/image2video", action="delay", seconds=0.5, times=3)
    for _ in range(3):
        with pytest.raises(OSError):      # socket.timeout / URLError: we hang up first
            sandbox.request("GET", "/v1/videos/image2video", timeout=0.1)
    import time
    time.sleep(0.7)
    alive(sandbox)
    # The fixture's stop() then asserts a clean exit without GLib criticals.
