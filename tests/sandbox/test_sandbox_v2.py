"""kling-sandbox speaks Kling's per-model API (second generation, docs/kling-api.md):
creates under /image-to-video/<model> and /text-to-video/<model> with contents, settings
and options, API keys only, statuses with "succeeded", the batch query GET /tasks with
several ids, billing from the price list, the list POST /tasks, and counters a client
test reads to see that it polls many tasks with one request."""
import http.server
import json
import os
import threading
import time

import pytest

from media import (b64, discover_info, first_and_last_colour, png, png_of_pixels, solid_png,
                   stream_duration)

MODELS = ["kling-3.0", "kling-3.0-turbo", "kling-2.6", "kling-2.5-turbo"]
KINDS = ["image-to-video", "text-to-video"]
ENDED = ("succeeded", "failed")


@pytest.fixture(scope="module")
def image():
    return b64(png(400, 300))


def key_headers(box):
    return {"Authorization": "Bearer " + box.api_key}


def call(box, method, path, body=None, **kwargs):
    kwargs.setdefault("headers", key_headers(box))
    return box.call(method, path, body, auth=False, **kwargs)


def body_of(prompt=None, first=None, last=None, settings=None, options=None):
    contents = []
    if prompt is not None:
        contents.append({"type": "prompt", "text": prompt})
    if first is not None:
        contents.append({"type": "first_frame", "url": first})
    if last is not None:
        contents.append({"type": "last_frame", "url": last})
    body = {"contents": contents, "settings": {"multi_shot": False, **(settings or {})}}
    if options is not None:
        body["options"] = options
    return body


def create(box, kind, model, body):
    status, answer = call(box, "POST", f"/{kind}/{model}", body)
    assert status == 200 and answer["code"] == 0, answer
    return answer["data"]


def query(box, ids=None, external=None):
    params = []
    if ids is not None:
        params.append("task_ids=" + ",".join(ids))
    if external is not None:
        params.append("external_task_ids=" + ",".join(external))
    return call(box, "GET", "/tasks?" + "&".join(params))


def wait(box, task_id, timeout=60):
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        status, answer = query(box, [task_id])
        assert status == 200, answer
        task = answer["data"][0]
        if not seen or seen[-1] != task["status"]:
            seen.append(task["status"])
        if task["status"] in ENDED:
            return task, seen
        assert time.monotonic() < deadline, f"task {task_id} still {task['status']}"
        time.sleep(0.05)


def no_task_created(box):
    counters = box.counters()
    assert all(n == 0 for n in counters["model_creates"].values()), counters
    assert counters["tasks_in_flight"] == 0


# ---- a render on each model ---------------------------------------------------------

@pytest.mark.parametrize("kind, model, settings, size, audio, amount", [
    ("image-to-video", "kling-3.0", {"resolution": "720p", "duration": 5, "audio": "off"},
     (320, 180), False, "0.42"),
    ("text-to-video", "kling-3.0", {"resolution": "4k", "duration": 3, "audio": "native"},
     (960, 540), True, "1.26"),
    ("text-to-video", "kling-3.0", {"resolution": "1080p", "duration": 4, "audio": "native"},
     (480, 270), True, "0.56"),
    ("image-to-video", "kling-3.0-turbo", {"resolution": "1080p", "duration": 3},
     (480, 270), True, "0.42"),
    ("text-to-video", "kling-3.0-turbo", {"resolution": "720p", "duration": 15,
                                          "audio": "native"}, (320, 180), True, "1.68"),
    ("image-to-video", "kling-2.6", {"resolution": "1080p", "duration": 5, "audio": "native"},
     (480, 270), True, "0.7"),
    ("text-to-video", "kling-2.6", {"resolution": "720p", "duration": 10}, (320, 180),
     False, "0.42"),
    ("image-to-video", "kling-2.5-turbo", {"resolution": "1080p", "duration": 5},
     (480, 270), False, "0.35"),
    ("text-to-video", "kling-2.5-turbo", {"duration": 5}, (320, 180), False, "0.21"),
])
def test_a_render_on_each_model(sandbox, image, tmp_path, kind, model, settings, size,
                                audio, amount):
    first = image if kind == "image-to-video" else None
    created = create(sandbox, kind, model, body_of("a lighthouse in fog", first,
                                                   settings=settings))
    assert created["status"] == "submitted" and created["outputs"] == []
    assert created["billing"] == [] and created["external_id"] == ""
    assert created["create_time"] == created["update_time"] > 1.7e12
    task, seen = wait(sandbox, created["id"], timeout=90)
    assert task["status"] == "succeeded", task
    assert seen[-2:] == ["processing", "succeeded"] and "succeed" not in seen
    assert task["message"] == "" and task["update_time"] >= task["create_time"]
    (output,) = task["outputs"]
    assert output["type"] == "video" and "watermark_url" not in output
    assert output["duration"] == str(settings["duration"])
    assert task["billing"] == [{"charge_type": "cash", "amount": amount, "currency": "USD",
                                "package_type": "pay_as_you_go", "list_price": amount}]
    path = tmp_path / "clip.mp4"
    status, _, data = sandbox.request("GET", output["url"], auth=False)
    assert status == 200
    path.write_bytes(data)
    facts = discover_info(path)
    assert (facts["video"]["width"], facts["video"]["height"]) == size
    assert facts["video"]["fps"] == 24
    assert stream_duration(path, "video") == pytest.approx(settings["duration"], abs=0.001)
    assert (facts["audio"] is not None) == audio
    counters = sandbox.counters()
    assert counters["model_creates"][f"{kind}/{model}"] == 1
    assert sum(counters["model_creates"].values()) == 1
    assert counters["tasks_created"][kind] == 1
    assert counters["requests"][f"POST /{kind}/{model}"] == 1
    assert counters["multi_shot_creates"] == 0


def test_last_frame_shapes_the_end_like_image_tail(sandbox, tmp_path):
    red, blue = b64(solid_png(400, 300, (230, 20, 20))), b64(solid_png(400, 300, (20, 20, 230)))
    created = create(sandbox, "image-to-video", "kling-3.0",
                     body_of("red to blue", red, blue, {"duration": 3}))
    task, _ = wait(sandbox, created["id"])
    assert task["status"] == "succeeded", task
    path = tmp_path / "frames.mp4"
    path.write_bytes(sandbox.request("GET", task["outputs"][0]["url"], auth=False)[2])
    start, end = first_and_last_colour(path)
    assert start[0] > 150 and start[2] < 80      # the first frame is red
    assert end[2] > 150 and end[0] < 80          # the last frame is the blue end image


def test_multi_shot_defaults_to_true_on_kling_3_0(sandbox):
    body = body_of("shots")
    del body["settings"]["multi_shot"]
    create(sandbox, "text-to-video", "kling-3.0", body)
    assert sandbox.counters()["multi_shot_creates"] == 1
    # Explicitly off, and a model without multi-shot: not counted.
    create(sandbox, "text-to-video", "kling-3.0", body_of("one shot"))
    create(sandbox, "text-to-video", "kling-2.6", {"contents": [{"type": "prompt",
                                                                 "text": "plain"}]})
    assert sandbox.counters()["multi_shot_creates"] == 1


def test_watermark_url_when_asked(sandbox):
    created = create(sandbox, "text-to-video", "kling-2.5-turbo",
                     body_of("marked", options={"watermark_info": {"enabled": True}}))
    task, _ = wait(sandbox, created["id"])
    output = task["outputs"][0]
    assert output["watermark_url"].startswith(sandbox.url + "/files/")
    assert sandbox.request("GET", output["watermark_url"], auth=False)[0] == 200


def test_text_to_video_aspect_ratio(sandbox, tmp_path):
    created = create(sandbox, "text-to-video", "kling-2.6",
                     body_of("tall", settings={"aspect_ratio": "9:16"}))
    task, _ = wait(sandbox, created["id"])
    path = tmp_path / "tall.mp4"
    path.write_bytes(sandbox.request("GET", task["outputs"][0]["url"], auth=False)[2])
    video = discover_info(path)["video"]
    assert (video["width"], video["height"]) == (180, 320)


# ---- refusals, before anything is created -------------------------------------------

LONG = "x" * 3073


@pytest.mark.parametrize("kind, model, change, field, words", [
    # durations
    ("text-to-video", "kling-3.0", {"settings": {"duration": 2}}, "settings.duration", "3 to 15"),
    ("text-to-video", "kling-3.0", {"settings": {"duration": 16}}, "settings.duration", "3 to 15"),
    ("text-to-video", "kling-3.0-turbo", {"settings": {"duration": 16}}, "settings.duration",
     "3 to 15"),
    ("text-to-video", "kling-2.6", {"settings": {"duration": 7}}, "settings.duration",
     "5 or 10"),
    ("image-to-video", "kling-2.5-turbo", {"settings": {"duration": 3}}, "settings.duration",
     "5 or 10"),
    ("text-to-video", "kling-3.0", {"settings": {"duration": "5"}}, "settings.duration",
     "integer"),
    ("text-to-video", "kling-3.0", {"settings": {"duration": 5.5}}, "settings.duration",
     "integer"),
    # resolutions
    ("text-to-video", "kling-3.0", {"settings": {"resolution": "2k"}}, "settings.resolution",
     "720p, 1080p, 4k"),
    ("text-to-video", "kling-3.0-turbo", {"settings": {"resolution": "4k"}},
     "settings.resolution", "720p and 1080p"),
    ("text-to-video", "kling-2.6", {"settings": {"resolution": "4k"}}, "settings.resolution",
     "720p and 1080p"),
    ("text-to-video", "kling-2.5-turbo", {"settings": {"resolution": "4k"}},
     "settings.resolution", "720p and 1080p"),
    ("text-to-video", "kling-3.0", {"settings": {"resolution": "pro"}}, "settings.resolution",
     "one of"),
    # audio
    ("text-to-video", "kling-3.0-turbo", {"settings": {"audio": "off"}}, "settings.audio",
     "always makes native audio"),
    ("text-to-video", "kling-2.6", {"settings": {"audio": "native", "resolution": "720p"}},
     "settings.audio", "only at 1080p"),
    ("text-to-video", "kling-2.6", {"settings": {"audio": "native"}}, "settings.audio",
     "only at 1080p"),
    ("text-to-video", "kling-2.5-turbo", {"settings": {"audio": "native",
                                                       "resolution": "1080p"}},
     "settings.audio", "no native audio"),
    ("text-to-video", "kling-3.0", {"settings": {"audio": "on"}}, "settings.audio",
     "native, off"),
    # multi-shot
    ("text-to-video", "kling-2.6", {"settings": {"multi_shot": True}}, "settings.multi_shot",
     "kling-2.6"),
    ("text-to-video", "kling-3.0", {"settings": {"multi_shot": "no"}}, "settings.multi_shot",
     "true or false"),
    # contents
    ("image-to-video", "kling-3.0-turbo", {"last": True}, "contents[2].type",
     "first_frame only"),
    ("image-to-video", "kling-2.5-turbo", {"last": True, "settings": {"resolution": "720p"}},
     "settings.resolution", "last_frame only at 1080p"),
    ("image-to-video", "kling-3.0", {"first": None}, "contents", "needs a first_frame"),
    ("image-to-video", "kling-3.0", {"first": None, "last": True}, "contents",
     "needs a first_frame"),
    ("text-to-video", "kling-3.0", {"first": True}, "contents[1].type", "prompt only"),
    ("text-to-video", "kling-3.0", {"prompt": None}, "contents", "needs a prompt"),
    ("text-to-video", "kling-3.0", {"prompt": LONG}, "contents[0].text", "3072"),
    ("text-to-video", "kling-3.0", {"prompt": ""}, "contents[0].text", "empty"),
    ("text-to-video", "kling-3.0", {"contents": "a cat"}, "contents", "array"),
    ("text-to-video", "kling-3.0", {"contents": [{"type": "first-frame", "url": "x"}]},
     "contents[0].type", "one of"),
    ("text-to-video", "kling-3.0", {"contents": [{"text": "no type"}]}, "contents[0].type",
     "required"),
    ("text-to-video", "kling-3.0", {"contents": [{"type": "prompt", "text": "a"},
                                                 {"type": "prompt", "text": "b"}]},
     "contents[1].type", "second prompt"),
    ("image-to-video", "kling-3.0", {"image": b64(png(299, 400))}, "contents[1].url", "300"),
    ("image-to-video", "kling-3.0", {"image": b64(png(1000, 390))}, "contents[1].url",
     "2.5:1"),
    ("image-to-video", "kling-3.0", {"image": "data:image/png;base64,AAAA"},
     "contents[1].url", "data:"),
    ("image-to-video", "kling-3.0", {"image": b64(b"GIF89a" + b"\0" * 64)},
     "contents[1].url", "JPEG or PNG"),
    ("image-to-video", "kling-3.0", {"image": "https://example.com/a.png"},
     "contents[1].url", "cannot be fetched"),
    ("image-to-video", "kling-3.0", {"tail": b64(png(800, 300))}, "contents[2].url",
     "2.5:1"),
    # options
    ("text-to-video", "kling-3.0", {"options": {"callback_url": "https://example.com/h"}},
     "options.callback_url", "cannot be fetched"),
    ("text-to-video", "kling-3.0", {"options": {"external_task_id": 7}},
     "options.external_task_id", "string"),
    ("text-to-video", "kling-3.0", {"options": {"watermark_info": {"enabled": "yes"}}},
     "options.watermark_info.enabled", "true or false"),
    ("image-to-video", "kling-2.6", {"settings": {"aspect_ratio": "1:1"}},
     "settings.aspect_ratio", "first frame"),
])
def test_refusals_per_model(sandbox, image, kind, model, change, field, words):
    prompt = change.get("prompt", "a test")
    first = change.get("image", image) if kind == "image-to-video" else None
    if "first" in change:
        first = image if change["first"] else None
    last = change.get("tail", image if change.get("last") else None)
    body = body_of(prompt, first, last, settings=change.get("settings"),
                   options=change.get("options"))
    if "contents" in change:
        body["contents"] = change["contents"]
    status, answer = call(sandbox, "POST", f"/{kind}/{model}", body)
    assert (status, answer["code"]) == (400, 1201), answer
    assert answer["message"].startswith(f"Invalid parameter {field}:"), answer["message"]
    assert words in answer["message"], answer["message"]
    no_task_created(sandbox)


@pytest.mark.parametrize("path", ["/image-to-video/kling-v3", "/text-to-video/kling-9.0",
                                  "/image-to-video/kling-o1"])
def test_unknown_models_are_404_1203(sandbox, image, path):
    status, answer = call(sandbox, "POST", path, body_of("x", image))
    assert (status, answer["code"]) == (404, 1203)
    assert "kling-3.0, kling-3.0-turbo, kling-2.6 or kling-2.5-turbo" in answer["message"]
    no_task_created(sandbox)
    assert sandbox.counters()["requests"]["POST /%s/(unknown model)" % path.split("/")[1]] == 1


def test_a_per_model_name_is_unknown_on_v1_and_the_reverse(sandbox):
    status, answer = sandbox.call("POST", "/v1/videos/text2video",
                                  {"prompt": "x", "model_name": "kling-3.0"})
    assert (status, answer["code"]) == (404, 1203)


@pytest.mark.parametrize("method, path", [("GET", "/image-to-video/kling-3.0"),
                                          ("PUT", "/tasks"), ("DELETE", "/tasks")])
def test_other_methods_are_404_1202(sandbox, method, path):
    status, answer = call(sandbox, method, path)
    assert (status, answer["code"]) == (404, 1202)


def test_body_must_be_a_json_object(sandbox):
    status, _, raw = sandbox.request("POST", "/text-to-video/kling-3.0", b"[1]",
                                     headers=key_headers(sandbox), auth=False)
    assert status == 400 and json.loads(raw)["code"] == 1200
    no_task_created(sandbox)


# ---- auth: API keys only ------------------------------------------------------------

@pytest.mark.parametrize("path, method", [("/text-to-video/kling-3.0", "POST"),
                                          ("/tasks?task_ids=x", "GET"), ("/tasks", "POST")])
def test_a_jwt_is_refused_with_401_1002(sandbox, path, method):
    # A JWT the /v1 API takes (the same request there is answered).
    assert sandbox.call("GET", "/v1/videos/text2video")[0] == 200
    status, answer = sandbox.call(method, path, body_of("x") if method == "POST" else None)
    assert (status, answer["code"]) == (401, 1002)
    assert "API key" in answer["message"] and "JWT" in answer["message"]
    no_task_created(sandbox)


def test_api_keys_work_as_bearer_and_x_api_key(sandbox):
    create(sandbox, "text-to-video", "kling-3.0", body_of("bearer"))
    status, answer = call(sandbox, "POST", "/text-to-video/kling-3.0", body_of("x-api-key"),
                          headers={"X-API-Key": sandbox.api_key})
    assert status == 200, answer
    for headers, code in (({}, 1001), ({"Authorization": "Bearer wrong"}, 1002),
                          ({"Authorization": "Basic abc"}, 1000),
                          ({"X-API-Key": "wrong"}, 1002)):
        status, answer = call(sandbox, "POST", "/text-to-video/kling-3.0", body_of("x"),
                              headers=headers)
        assert (status, answer["code"]) == (401, code), headers
    assert sandbox.counters()["model_creates"]["text-to-video/kling-3.0"] == 2


def test_without_an_api_key_a_jwt_only_sandbox_refuses_every_call(sandbox_factory):
    box = sandbox_factory(args=("--control",), api_key=None)
    status, answer = box.call("POST", "/text-to-video/kling-3.0", body_of("x"))
    assert (status, answer["code"]) == (401, 1002)


# ---- the batch query ----------------------------------------------------------------

def test_one_query_carries_several_ids(sandbox, image):
    ids = [create(sandbox, "text-to-video", m, body_of(f"batch {m}"))["id"]
           for m in ("kling-3.0", "kling-2.6", "kling-2.5-turbo")]
    ids.append(create(sandbox, "image-to-video", "kling-3.0-turbo",
                      body_of("batch", image))["id"])
    sandbox.reset()
    status, answer = query(sandbox, [ids[2], "no-such-task", ids[0], ids[1], ids[3], ids[0]])
    assert status == 200, answer
    # In the order asked, each once; an unknown id is left out, not an error.
    assert [t["id"] for t in answer["data"]] == [ids[2], ids[0], ids[1], ids[3]]
    assert {t["status"] for t in answer["data"]} <= {"submitted", "processing",
                                                     "succeeded"}
    query(sandbox, ids[:2])
    counters = sandbox.counters()
    assert counters["tasks_queries"] == 2
    assert counters["tasks_query_ids_total"] == 8 and counters["tasks_query_ids_max"] == 6
    assert counters["requests"]["GET /tasks"] == 2
    # Until every one has ended, one request per round polls all four.
    deadline = time.monotonic() + 60
    while True:
        tasks = query(sandbox, ids)[1]["data"]
        if all(t["status"] in ENDED for t in tasks):
            break
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert [t["status"] for t in tasks] == ["succeeded"] * 4
    assert sandbox.counters()["tasks_query_ids_max"] == 6


def test_queries_by_external_id(sandbox):
    a = create(sandbox, "text-to-video", "kling-3.0",
               body_of("a", options={"external_task_id": "job-a"}))
    b = create(sandbox, "text-to-video", "kling-2.6",
               body_of("b", options={"external_task_id": "job-b"}))
    assert (a["external_id"], b["external_id"]) == ("job-a", "job-b")
    status, answer = query(sandbox, external=["job-b", "job-x", "job-a"])
    assert status == 200
    assert [(t["id"], t["external_id"]) for t in answer["data"]] == [
        (b["id"], "job-b"), (a["id"], "job-a")]
    # An external id is unique (across both generations).
    status, answer = call(sandbox, "POST", "/text-to-video/kling-3.0",
                          body_of("again", options={"external_task_id": "job-a"}))
    assert (status, answer["code"]) == (400, 1201) and a["id"] in answer["message"]
    status, answer = sandbox.call("POST", "/v1/videos/text2video",
                                  {"prompt": "v1", "external_task_id": "job-b"})
    assert (status, answer["code"]) == (400, 1201)


@pytest.mark.parametrize("params, field, words", [
    ("task_ids=a&external_task_ids=b", "task_ids", "not both"),
    ("", "task_ids", "required"),
    ("task_ids=a,,b", "task_ids", "empty id"),
    ("task_ids=a,", "task_ids", "empty id"),
    ("task_ids=" + ",".join(f"t{i}" for i in range(101)), "task_ids", "at most 100"),
    ("external_task_ids=" + ",".join(f"e{i}" for i in range(101)), "external_task_ids",
     "at most 100"),
])
def test_bad_queries_are_refused(sandbox, params, field, words):
    status, answer = call(sandbox, "GET", "/tasks?" + params)
    assert (status, answer["code"]) == (400, 1201), answer
    assert answer["message"].startswith(f"Invalid parameter {field}:") and words in answer[
        "message"]
    assert sandbox.counters()["tasks_queries"] == 0


def test_a_hundred_ids_is_fine(sandbox):
    status, answer = call(sandbox, "GET", "/tasks?task_ids=" + ",".join(
        f"t{i}" for i in range(100)))
    assert status == 200 and answer["data"] == []
    assert sandbox.counters()["tasks_query_ids_max"] == 100


def test_generations_do_not_see_each_others_tasks(sandbox):
    v1 = sandbox.create("text2video", {"prompt": "old"})
    v2 = create(sandbox, "text-to-video", "kling-3.0", body_of("new"))
    assert query(sandbox, [v1["task_id"], v2["id"]])[1]["data"][0]["id"] == v2["id"]
    assert len(query(sandbox, [v1["task_id"], v2["id"]])[1]["data"]) == 1
    status, answer = sandbox.call("GET", f"/v1/videos/text2video/{v2['id']}")
    assert (status, answer["code"]) == (404, 1203)
    assert [t["task_id"] for t in sandbox.call("GET", "/v1/videos/text2video")[1]["data"]] == [
        v1["task_id"]]


# ---- failures and billing -----------------------------------------------------------

def test_a_failed_task_has_its_message_and_no_billing(sandbox):
    sandbox.add_fault(method="POST", path="/text-to-video/", kind="fail-task",
                      message="risk control")
    created = create(sandbox, "text-to-video", "kling-3.0", body_of("doomed"))
    task, _ = wait(sandbox, created["id"])
    assert task["status"] == "failed" and task["message"] == "risk control"
    assert task["outputs"] == [] and task["billing"] == []


def test_a_bad_first_frame_url_fails_the_task_at_render(sandbox, file_server):
    root, base = file_server
    (root / "small.png").write_bytes(png(200, 200))
    created = create(sandbox, "image-to-video", "kling-3.0",
                     body_of("from a URL", base + "/small.png"))
    task, _ = wait(sandbox, created["id"])
    assert task["status"] == "failed", task
    assert "first_frame" in task["message"] and "300" in task["message"], task


def test_images_up_to_50_mb(sandbox):
    # Random pixels do not compress: a valid PNG of more than /v1's 10 MB.
    width, height = 2000, 1800
    big = png_of_pixels(width, height, [os.urandom(width * 3) for _ in range(height)], 0)
    assert len(big) > 10 * 1024 * 1024
    created = create(sandbox, "image-to-video", "kling-2.6", body_of("big", b64(big)))
    assert created["status"] == "submitted"
    status, answer = sandbox.call("POST", "/v1/videos/image2video",
                                  {"prompt": "big", "image": b64(big)})
    assert (status, answer["code"]) == (400, 1201) and "10 MB" in answer["message"]


def test_a_first_frame_by_url(sandbox, file_server):
    root, base = file_server
    (root / "ok.png").write_bytes(png(400, 300))
    created = create(sandbox, "image-to-video", "kling-2.6",
                     body_of("from a URL", base + "/ok.png"))
    assert wait(sandbox, created["id"])[0]["status"] == "succeeded"


# ---- the machinery /v1 has: limits, faults, callbacks -------------------------------

def test_max_parallel_is_1303_on_the_per_model_api_too(sandbox_factory):
    box = sandbox_factory(args=("--control", "--queue-delay", "0.5", "--render-delay", "0.5",
                                "--video-scale", "0.25", "--max-parallel", "1"))
    create(box, "text-to-video", "kling-3.0", body_of("first"))
    status, answer = call(box, "POST", "/text-to-video/kling-2.6", body_of("second"))
    assert (status, answer["code"]) == (429, 1303)
    # The cap is per account: a /v1 create waits for the same slot.
    assert box.call("POST", "/v1/videos/text2video", {"prompt": "v1"})[1]["code"] == 1303
    assert box.counters()["model_creates"]["text-to-video/kling-2.6"] == 0


def test_rate_limit_counts_both_generations(sandbox_factory):
    box = sandbox_factory(args=("--control", "--rate-limit", "2", "--video-scale", "0.25"))
    create(box, "text-to-video", "kling-3.0", body_of("one"))
    box.create("text2video", {"prompt": "two"})
    status, answer = call(box, "POST", "/text-to-video/kling-3.0", body_of("three"))
    assert (status, answer["code"]) == (429, 1302)


def test_faults_match_the_new_paths(sandbox):
    sandbox.add_fault(method="POST", path="/image-to-video/kling-3.0", kind="status",
                      http=429, code=1303, times=2, retry_after=1)
    sandbox.add_fault(method="GET", path="/tasks", kind="task-status", value="procesing")
    for _ in range(2):
        status, answer = call(sandbox, "POST", "/image-to-video/kling-3.0",
                              body_of("busy", b64(png(400, 300))))
        assert (status, answer["code"]) == (429, 1303)
    no_task_created(sandbox)
    created = create(sandbox, "image-to-video", "kling-3.0", body_of("free", b64(png(400, 300))))
    status, answer = query(sandbox, [created["id"]])
    assert answer["data"][0]["status"] == "procesing"
    assert query(sandbox, [created["id"]])[1]["data"][0]["status"] != "procesing"
    assert sandbox.counters()["faults_hit"] == 3


def test_drop_after_on_create_still_makes_the_task_found_by_external_id(sandbox):
    sandbox.add_fault(method="POST", path="/text-to-video/", kind="drop-after")
    try:
        call(sandbox, "POST", "/text-to-video/kling-3.0",
             body_of("lost answer", options={"external_task_id": "lost-1"}), timeout=5)
    except Exception:                       # the connection closes without an answer
        pass
    assert sandbox.counters()["model_creates"]["text-to-video/kling-3.0"] == 1
    status, answer = query(sandbox, external=["lost-1"])
    assert status == 200 and answer["data"][0]["external_id"] == "lost-1"


def test_expire_url_fault(sandbox):
    created = create(sandbox, "text-to-video", "kling-2.5-turbo", body_of("expiring"))
    wait(sandbox, created["id"])
    sandbox.add_fault(method="GET", path="/tasks", kind="expire-url")
    url = query(sandbox, [created["id"]])[1]["data"][0]["outputs"][0]["url"]
    assert sandbox.request("GET", url, auth=False)[0] == 403


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


def test_callbacks_post_the_per_model_task_object(sandbox, hook):
    url, received = hook
    created = create(sandbox, "text-to-video", "kling-3.0",
                     body_of("call me", options={"callback_url": url,
                                                 "external_task_id": "cb-2"}))
    wait(sandbox, created["id"])
    deadline = time.monotonic() + 5
    while len(received) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [t["status"] for t in received] == ["submitted", "processing", "succeeded"]
    assert all(t["id"] == created["id"] and t["external_id"] == "cb-2" for t in received)
    assert received[-1]["outputs"][0]["url"].startswith(sandbox.url)


# ---- the list by time ---------------------------------------------------------------

def test_list_by_time_with_cursor_and_filters(sandbox):
    before = int(time.time() * 1000) - 1
    ids = []
    for i, (kind, model) in enumerate([("text-to-video", "kling-3.0"),
                                       ("text-to-video", "kling-2.6"),
                                       ("text-to-video", "kling-2.5-turbo")]):
        ids.append(create(sandbox, kind, model, body_of(f"list {i}"))["id"])
    sandbox.create("text2video", {"prompt": "v1 is not listed"})
    status, answer = call(sandbox, "POST", "/tasks", {"start_time": before, "limit": 2})
    assert status == 200, answer
    page = answer["data"]
    assert [t["id"] for t in page["tasks"]] == ids[:2] and page["next_cursor"]
    status, answer = call(sandbox, "POST", "/tasks", {"start_time": before, "limit": 2,
                                                      "cursor": page["next_cursor"]})
    assert [t["id"] for t in answer["data"]["tasks"]] == ids[2:]
    assert answer["data"]["next_cursor"] == ""
    # A window that ends before them holds none.
    status, answer = call(sandbox, "POST", "/tasks", {"start_time": 0, "end_time": before})
    assert answer["data"]["tasks"] == []
    # Filters: by status (all are running now, or done), by product type.
    for task_id in ids:
        wait(sandbox, task_id)
    status, answer = call(sandbox, "POST", "/tasks", {"filters": [
        {"key": "status", "values": ["succeeded"]},
        {"key": "product_type", "values": ["text-to-video"]}]})
    assert [t["id"] for t in answer["data"]["tasks"]] == ids
    status, answer = call(sandbox, "POST", "/tasks", {"filters": [
        {"key": "status", "values": ["failed", "submitted"]}]})
    assert answer["data"]["tasks"] == []
    status, answer = call(sandbox, "POST", "/tasks", {"filters": [
        {"key": "product_type", "values": ["image-to-video"]}]})
    assert answer["data"]["tasks"] == []


@pytest.mark.parametrize("body, field", [
    ({"limit": 501}, "limit"), ({"limit": 0}, "limit"), ({"limit": "5"}, "limit"),
    ({"start_time": 10, "end_time": 5}, "end_time"), ({"cursor": "abc"}, "cursor"),
    ({"filters": {"key": "status"}}, "filters"),
    ({"filters": [{"key": "colour", "values": []}]}, "filters[0].key"),
    ({"filters": [{"key": "status", "values": ["succeed"]}]}, "filters[0].values"),
    ({"filters": [{"key": "status"}]}, "filters[0].values"),
])
def test_bad_lists_are_refused(sandbox, body, field):
    status, answer = call(sandbox, "POST", "/tasks", body)
    assert (status, answer["code"]) == (400, 1201), answer
    assert answer["message"].startswith(f"Invalid parameter {field}:"), answer["message"]
