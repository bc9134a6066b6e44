"""kling-sandbox fault injection and counters (the /sandbox/ control API)."""
import http.client
import json
import threading
import time

import pytest

from media import MEDIA, b64

I2V = "/v1/videos/image2video"


@pytest.fixture(scope="module")
def image():
    return b64(MEDIA / "square.png")


def raw_request(sandbox, method, path, body=None, headers=None):
    """http.client, so dropped and cut-off answers surface as exceptions."""
    host, port = sandbox.url[len("http://"):].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    all_headers = dict(sandbox.auth_headers())
    all_headers.update(headers or {})
    data = json.dumps(body).encode() if body is not None else None
    if data is not None:
        all_headers["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=all_headers)
    try:
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def test_control_api_is_off_without_control(sandbox_factory):
    box = sandbox_factory(args=("--queue-delay", "0.1", "--video-scale", "0.25"))
    for method, path in (("GET", "/sandbox/counters"), ("POST", "/sandbox/faults"),
                         ("POST", "/sandbox/reset"), ("DELETE", "/sandbox/faults")):
        status, _, _ = box.request(method, path, body=b"{}" if method == "POST" else None,
                                   auth=False)
        assert status == 404, path


def test_status_fault_with_retry_after(sandbox):
    sandbox.add_fault(method="GET", path=I2V, action="status", http=429, code=1302,
                      message="slow down", retry_after=7)
    status, headers, body = sandbox.request("GET", I2V)
    answer = json.loads(body)
    assert (status, answer["code"], answer["message"]) == (429, 1302, "slow down")
    assert headers["Retry-After"] == "7"
    assert sandbox.request("GET", I2V)[0] == 200          # times defaults to 1
    counters = sandbox.counters()
    assert counters["responses_429"] == 1 and counters["faults_hit"] == 1


def test_skip_times_and_method_select_the_requests(sandbox):
    sandbox.add_fault(method="GET", path=I2V, skip=1, times=2, action="status", http=503,
                      code=5001)
    assert sandbox.request("POST", I2V, body={})[0] == 400    # other method: not counted
    codes = [sandbox.request("GET", I2V)[0] for _ in range(4)]
    assert codes == [200, 503, 503, 200]


def test_times_zero_is_forever_and_delete_removes_rules(sandbox):
    sandbox.add_fault(path="/v1/videos/text2video", times=0, action="status", http=500,
                      code=5000)
    assert [sandbox.request("GET", "/v1/videos/text2video")[0] for _ in range(3)] == [500] * 3
    sandbox.clear_faults()
    assert sandbox.request("GET", "/v1/videos/text2video")[0] == 200


def test_delay_holds_one_request_without_blocking_others(sandbox):
    sandbox.add_fault(path=I2V, action="delay", seconds=0.8)
    result = {}

    def slow():
        start = time.monotonic()
        result["status"] = sandbox.request("GET", I2V)[0]
        result["elapsed"] = time.monotonic() - start

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.1)
    start = time.monotonic()
    assert sandbox.request("GET", "/v1/videos/text2video")[0] == 200
    assert time.monotonic() - start < 0.5
    thread.join()
    assert result["status"] == 200 and result["elapsed"] >= 0.75


def test_drop_closes_without_answer_and_does_not_create(sandbox, image):
    sandbox.add_fault(method="POST", path=I2V, action="drop")
    with pytest.raises(http.client.RemoteDisconnected):
        raw_request(sandbox, "POST", I2V, {"image": image, "prompt": "p", "external_task_id": "lost"})
    assert sandbox.counters()["tasks_created"]["image2video"] == 0
    assert sandbox.call("GET", f"{I2V}/lost")[0] == 404


def test_drop_after_creates_the_task_but_loses_the_answer(sandbox, image):
    sandbox.add_fault(method="POST", path=I2V, action="drop-after")
    with pytest.raises(http.client.RemoteDisconnected):
        raw_request(sandbox, "POST", I2V, {"image": image, "prompt": "p", "external_task_id": "ext-1"})
    assert sandbox.counters()["tasks_created"]["image2video"] == 1
    status, answer = sandbox.call("GET", f"{I2V}/ext-1")
    assert status == 200 and answer["data"]["task_info"]["external_task_id"] == "ext-1"


def test_malformed_answer(sandbox):
    sandbox.add_fault(path=I2V, action="malformed")
    status, _, body = sandbox.request("GET", I2V)
    assert status == 200
    with pytest.raises(ValueError):
        json.loads(body)


def test_truncated_api_answer_and_download(sandbox, image):
    task = sandbox.create("image2video", {"image": image, "prompt": "p"})
    video = sandbox.wait_task("image2video", task["task_id"])["task_result"]["videos"][0]
    full = sandbox.request("GET", video["url"], auth=False)[2]

    sandbox.add_fault(path=I2V, action="truncated")
    with pytest.raises(http.client.IncompleteRead):
        raw_request(sandbox, "GET", f"{I2V}/{task['task_id']}")

    sandbox.add_fault(path="/files/", action="truncated")
    with pytest.raises(http.client.IncompleteRead) as cut:
        raw_request(sandbox, "GET", video["url"][len(sandbox.url):])
    assert 0 < len(cut.value.partial) < len(full)
    assert full.startswith(cut.value.partial)


def test_fail_task_waits_for_a_create(sandbox, image):
    sandbox.add_fault(path=I2V, action="fail-task", message="Content safety check failed")
    assert sandbox.request("GET", I2V)[0] == 200            # a query does not use it up
    task = sandbox.create("image2video", {"image": image, "prompt": "p"})
    done = sandbox.wait_task("image2video", task["task_id"])
    assert done["task_status"] == "failed"
    assert done["task_status_msg"] == "Content safety check failed"
    assert "task_result" not in done
    again = sandbox.wait_task("image2video", sandbox.create("image2video", {"image": image, "prompt": "p"})
                              ["task_id"])
    assert again["task_status"] == "succeed"


def test_expire_url_makes_the_answer_urls_dead(sandbox, image):
    task = sandbox.create("image2video", {"image": image, "prompt": "p"})
    sandbox.wait_task("image2video", task["task_id"])
    sandbox.add_fault(method="GET", path=f"{I2V}/", action="expire-url")
    expired = sandbox.call("GET", f"{I2V}/{task['task_id']}")[1]["data"]
    status, _, body = sandbox.request("GET", expired["task_result"]["videos"][0]["url"],
                                      auth=False)
    assert status == 403 and b"expired" in body
    fresh = sandbox.call("GET", f"{I2V}/{task['task_id']}")[1]["data"]
    assert sandbox.request("GET", fresh["task_result"]["videos"][0]["url"], auth=False)[0] == 200


@pytest.mark.parametrize("rule", [
    "not json", "[]", '{"action": "explode"}', '{"action": "status"}',
    '{"action": "status", "http": 700}', '{"action": "delay", "seconds": "1"}',
    '{"action": "drop", "times": -1}', '{"action": "drop", "path": 5}',
])
def test_bad_rules_are_refused(sandbox, rule):
    status, _, body = sandbox.request("POST", "/sandbox/faults", rule.encode(), auth=False)
    assert status == 400 and "error" in json.loads(body)


def test_counters_count_everything_and_reset_clears_them(sandbox, image):
    assert sandbox.counters() == {
        "requests": {}, "tasks_created": {"image2video": 0, "text2video": 0,
                                          "video-extend": 0, "lip-sync": 0,
                                          "advanced-lip-sync": 0, "image-to-video": 0,
                                          "text-to-video": 0},
        "model_creates": {f"{kind}/{model}": 0
                          for kind in ("image-to-video", "text-to-video")
                          for model in ("kling-3.0", "kling-3.0-turbo", "kling-2.6",
                                        "kling-2.5-turbo")},
        "tasks_queries": 0, "tasks_query_ids_total": 0, "tasks_query_ids_max": 0,
        "multi_shot_creates": 0,
        "tasks_in_flight": 0, "peak_parallel": 0, "responses_429": 0, "downloads": 0,
        "downloads_by_path": {}, "user_agents": {}, "callbacks_sent": 0, "sessions_created": 0,
        "faults_hit": 0, "credentialed_requests": 0, "credentialed": {},
        "connections_held": 0}
    first = sandbox.create("image2video", {"image": image, "prompt": "p"})
    second = sandbox.create("text2video", {"prompt": "two at once"})
    assert sandbox.counters()["tasks_in_flight"] == 2
    done = sandbox.wait_task("image2video", first["task_id"])
    sandbox.wait_task("text2video", second["task_id"])
    sandbox.request("GET", done["task_result"]["videos"][0]["url"], auth=False)
    sandbox.add_fault(path="/v1/videos/lip-sync", action="status", http=429, code=1303)
    sandbox.request("GET", "/v1/videos/lip-sync")
    counters = sandbox.counters()
    assert counters["requests"]["POST /v1/videos/image2video"] == 1
    assert counters["requests"]["POST /v1/videos/text2video"] == 1
    assert counters["requests"]["GET /v1/videos/image2video"] >= 2
    assert counters["requests"]["GET /v1/videos/lip-sync"] == 1
    assert counters["requests"]["GET /files"] == 1
    assert counters["tasks_created"]["image2video"] == 1
    assert counters["tasks_created"]["text2video"] == 1
    assert counters["tasks_in_flight"] == 0 and counters["peak_parallel"] == 2
    assert counters["downloads"] == 1 and counters["responses_429"] == 1
    file_path = done["task_result"]["videos"][0]["url"][len(sandbox.url):].split("?")[0]
    assert counters["downloads_by_path"] == {file_path: 1}
    assert counters["faults_hit"] == 1
    # Every API request carried a token; the download carried none.
    assert counters["credentialed"] == {key: n for key, n in counters["requests"].items()
                                        if key != "GET /files"}
    assert counters["credentialed_requests"] == sum(counters["credentialed"].values())

    sandbox.add_fault(path=I2V, action="status", http=500, code=5000)
    sandbox.reset()
    cleared = sandbox.counters()
    assert cleared["requests"] == {} and cleared["peak_parallel"] == 0
    assert cleared["faults_hit"] == 0 and cleared["downloads"] == 0
    assert cleared["credentialed"] == {} and cleared["downloads_by_path"] == {}
    assert sandbox.request("GET", I2V)[0] == 200             # the fault went too
    # Tasks and results stay.
    assert sandbox.call("GET", f"{I2V}/{first['task_id']}")[1]["data"]["task_status"] == "succeed"
