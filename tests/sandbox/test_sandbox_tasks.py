"""kling-sandbox task endpoints: create, query, list, lifecycle, rendering, validation."""
import time

import pytest

from media import MEDIA, b64, changed, discover, discover_info, png


@pytest.fixture(scope="module")
def still():
    return b64(MEDIA / "still.jpg")


def download(sandbox, video, tmp_path, name="clip.mp4"):
    status, headers, body = sandbox.request("GET", video["url"], auth=False)
    assert status == 200, body
    assert headers["Content-Type"] == "video/mp4"
    assert int(headers["Content-Length"]) == len(body)
    path = tmp_path / name
    path.write_bytes(body)
    return path


def test_image2video_walks_the_statuses_and_renders_the_clip(sandbox, still, tmp_path):
    # No model_name: kling-v3, 24 fps.
    task = sandbox.create("image2video", {"image": still, "prompt": "a lighthouse"})
    assert task["task_status"] == "submitted"
    assert task["created_at"] == task["updated_at"] and task["created_at"] > 1.6e12
    seen = []
    while True:
        current = sandbox.call("GET", f"/v1/videos/image2video/{task['task_id']}")[1]["data"]
        if not seen or seen[-1] != current["task_status"]:
            seen.append(current["task_status"])
        if current["task_status"] in ("succeed", "failed"):
            break
        time.sleep(0.02)
    assert seen == ["submitted", "processing", "succeed"]
    assert current["updated_at"] >= current["created_at"] + 300
    assert current["final_unit_deduction"] == "3"      # kling-v3 std, 5 s, no sound
    video = current["task_result"]["videos"][0]
    assert video["duration"] == "5" and video["id"]
    clip = download(sandbox, video, tmp_path)
    info = discover(clip)                       # gst-discoverer-1.0 -v
    assert "Duration: 0:00:05.000000000" in info and "H.264" in info
    assert "Width: 320" in info and "Height: 180" in info and "Frame rate: 24/1" in info
    facts = discover_info(clip)
    assert facts["video"]["width"] == 320 and facts["video"]["height"] == 180
    assert facts["video"]["fps"] == 24 and facts["audio"] is None


def test_faststart_moov_before_mdat(sandbox, still, tmp_path):
    task = sandbox.create("image2video", {"image": still, "prompt": "p"})
    video = sandbox.wait_task("image2video", task["task_id"])["task_result"]["videos"][0]
    data = download(sandbox, video, tmp_path).read_bytes()
    assert 0 <= data.find(b"moov") < data.find(b"mdat")


@pytest.mark.parametrize("body, size, fps, seconds", [
    ({"mode": "pro", "duration": "10"}, (480, 270), 24, 10.0),
    ({"model_name": "kling-v2-6", "mode": "std", "duration": "5"}, (320, 180), 24, 5.0),
    ({"model_name": "kling-v3", "duration": "3"}, (320, 180), 24, 3.0),
    ({"model_name": "kling-v3", "duration": "15"}, (320, 180), 24, 15.0),
])
def test_mode_model_and_duration_shape_the_clip(sandbox, still, tmp_path, body, size, fps,
                                                seconds):
    task = sandbox.create("image2video", dict(body, image=still, prompt="p"))
    done = sandbox.wait_task("image2video", task["task_id"])
    assert done["task_status"] == "succeed", done
    facts = discover_info(download(sandbox, done["task_result"]["videos"][0], tmp_path))
    assert (facts["video"]["width"], facts["video"]["height"]) == size
    assert facts["video"]["fps"] == fps
    assert facts["duration"] == pytest.approx(seconds, abs=0.001)


def test_odd_sized_png_and_portrait_still(sandbox, tmp_path):
    task = sandbox.create("image2video", {"image": b64(png(301, 701)), "prompt": "tall"})
    done = sandbox.wait_task("image2video", task["task_id"])
    assert done["task_status"] == "succeed", done
    facts = discover_info(download(sandbox, done["task_result"]["videos"][0], tmp_path))
    assert (facts["video"]["width"], facts["video"]["height"]) == (320, 180)


def test_text2video_and_aspect_ratio(sandbox, tmp_path):
    task = sandbox.create("text2video", {"prompt": "a red kite", "aspect_ratio": "9:16",
                                         "model_name": "kling-v2-5-turbo"})
    done = sandbox.wait_task("text2video", task["task_id"])
    assert done["task_status"] == "succeed", done
    facts = discover_info(download(sandbox, done["task_result"]["videos"][0], tmp_path))
    assert (facts["video"]["width"], facts["video"]["height"]) == (180, 320)
    assert facts["video"]["fps"] == 24 and facts["duration"] == pytest.approx(5.0, abs=0.001)


def test_video_extend_adds_five_seconds_to_a_v1_video(sandbox_factory, still, tmp_path):
    # Kling extends what its retired v1.x models made, so only an old test meets it.
    box = sandbox_factory("--accept-any-model")
    first = box.create("image2video", {"image": still, "model_name": "kling-v1-6"})
    source = box.wait_task("image2video", first["task_id"])["task_result"]["videos"][0]
    task = box.create("video-extend", {"video_id": source["id"], "prompt": "further"})
    done = box.wait_task("video-extend", task["task_id"])
    assert done["task_status"] == "succeed", done
    assert done["task_info"]["parent_video"]["id"] == source["id"]
    assert done["final_unit_deduction"] == "1"
    video = done["task_result"]["videos"][0]
    assert video["duration"] == "10" and video["id"] != source["id"]
    facts = discover_info(download(box, video, tmp_path))
    assert facts["duration"] == pytest.approx(10.0, abs=0.001)
    assert facts["video"]["fps"] == 30
    status, answer = box.call("POST", "/v1/videos/video-extend", {"video_id": "nope"})
    assert (status, answer["code"]) == (400, 1201) and "video_id" in answer["message"]


def test_video_extend_refuses_a_live_models_video(sandbox, still):
    first = sandbox.create("image2video", {"image": still, "prompt": "p"})
    source = sandbox.wait_task("image2video", first["task_id"])["task_result"]["videos"][0]
    status, answer = sandbox.call("POST", "/v1/videos/video-extend", {"video_id": source["id"]})
    assert (status, answer["code"]) == (400, 1201)
    assert "kling-v3 cannot be extended" in answer["message"]
    assert sandbox.counters()["tasks_created"]["video-extend"] == 0


def test_query_by_external_task_id_and_uniqueness(sandbox, still):
    task = sandbox.create("image2video", {"image": still, "prompt": "p",
                                          "external_task_id": "job-42"})
    status, answer = sandbox.call("GET", "/v1/videos/image2video/job-42")
    assert status == 200 and answer["data"]["task_id"] == task["task_id"]
    assert answer["data"]["task_info"]["external_task_id"] == "job-42"
    status, answer = sandbox.call("POST", "/v1/videos/image2video",
                                  {"image": still, "prompt": "p",
                                   "external_task_id": "job-42"})
    assert (status, answer["code"]) == (400, 1201)
    assert "external_task_id" in answer["message"]
    # A task is found only under its own endpoint.
    assert sandbox.call("GET", "/v1/videos/text2video/job-42")[0] == 404
    status, answer = sandbox.call("GET", "/v1/videos/image2video/no-such-task")
    assert (status, answer["code"]) == (404, 1203)


def test_list_pages_newest_first(sandbox):
    ids = [sandbox.create("text2video", {"prompt": f"p{i}"})["task_id"] for i in range(3)]
    status, answer = sandbox.call("GET", "/v1/videos/text2video?pageNum=1&pageSize=30")
    assert status == 200 and [t["task_id"] for t in answer["data"]] == ids[::-1]
    second = sandbox.call("GET", "/v1/videos/text2video?pageNum=2&pageSize=1")[1]["data"]
    assert [t["task_id"] for t in second] == [ids[1]]
    assert sandbox.call("GET", "/v1/videos/image2video")[1]["data"] == []
    for query in ("pageNum=0", "pageNum=1001", "pageSize=501", "pageSize=abc"):
        status, answer = sandbox.call("GET", f"/v1/videos/text2video?{query}")
        assert (status, answer["code"]) == (400, 1201), query


def test_unknown_paths_and_methods(sandbox):
    status, answer = sandbox.call("GET", "/v1/videos/no-such-endpoint")
    assert (status, answer["code"]) == (404, 1203)
    status, answer = sandbox.call("DELETE", "/v1/videos/image2video/abc")
    assert (status, answer["code"]) == (404, 1202)
    status, answer = sandbox.call("GET", "/v1/videos/identify-face")
    assert (status, answer["code"]) == (404, 1202)


def invalid(sandbox, endpoint, body):
    status, answer = sandbox.call("POST", f"/v1/videos/{endpoint}", body)
    assert status == 400, answer
    return answer["code"], answer["message"]


@pytest.mark.parametrize("change, field", [
    ({"image": None}, "image"),
    ({"image": 42}, "image"),
    ({"image": "data:image/jpeg;base64,AAAA"}, "image"),
    ({"image": "!!!not base64!!!"}, "image"),
    ({"image": b64(b"GIF89a not an image")}, "image"),
    ({"image": b64(png(299, 400))}, "image"),
    ({"image": b64(png(900, 350))}, "image"),        # 2.57:1
    ({"image": b64(png(300, 760))}, "image"),        # 1:2.53
    ({"image_tail": b64(png(100, 100))}, "image_tail"),
    ({"image": "https://example.com/x.jpg"}, "image"),
    ({"prompt": "x" * 2501}, "prompt"),
    ({"negative_prompt": "x" * 2501}, "negative_prompt"),
    ({"prompt": ["a list"]}, "prompt"),
    ({"cfg_scale": 0.5}, "cfg_scale"),              # kling-v3 takes none
    ({"mode": "standard"}, "mode"),
    ({"mode": "4k"}, "mode"),
    ({"duration": "16"}, "duration"),
    ({"duration": "2"}, "duration"),
    ({"duration": 5}, "duration"),                  # a number, not a string
    ({"duration": "5.0"}, "duration"),
    ({"duration": "05"}, "duration"),
    ({"duration": [5]}, "duration"),
    ({"model_name": 3}, "model_name"),
    ({"external_task_id": 7}, "external_task_id"),
    ({"callback_url": "https://example.com/hook"}, "callback_url"),
    ({"prompt": None}, "prompt"),
    ({"prompt": ""}, "prompt"),
    ({"sound": "yes"}, "sound"),
    ({"sound": True}, "sound"),
])
def test_image2video_validation_names_the_field(sandbox, change, field):
    body = changed({"image": b64(png(400, 300)), "prompt": "ok"}, change)
    code, message = invalid(sandbox, "image2video", body)
    assert code == 1201 and field in message
    assert sandbox.counters()["tasks_created"]["image2video"] == 0


@pytest.mark.parametrize("change, field", [
    ({"camera_control": {"type": "simple", "config": {"zoom": 11}}}, "camera_control"),
    ({"camera_control": {"type": "simple", "config": {"zoom": 2, "pan": 3}}},
     "camera_control"),
    ({"camera_control": {"type": "simple", "config": {"zoom": 2}},
      "image_tail": b64(png(400, 400))}, "image_tail"),
    ({"static_mask": "mask", "image_tail": b64(png(400, 400))}, "image_tail"),
    ({"duration": "7"}, "duration"),
    ({"cfg_scale": 1.5}, "cfg_scale"),
    ({"cfg_scale": "0.5"}, "cfg_scale"),
])
def test_old_models_checks_under_accept_any_model(sandbox_factory, change, field):
    box = sandbox_factory("--accept-any-model")
    body = changed({"image": b64(png(400, 300)), "model_name": "kling-v1-6"}, change)
    code, message = invalid(box, "image2video", body)
    assert code == 1201 and field in message


def test_accepted_edge_values_and_unknown_fields(sandbox):
    body = {"image": b64(png(300, 750)), "prompt": "\u00e9" * 2500, "duration": "15",
            "mode": "pro", "model_name": "kling-v3", "some_future_field": {"nested": [1, 2]},
            "sound": "off", "negative_prompt": "", "watermark_info": {"enabled": False}}
    task = sandbox.create("image2video", body)
    assert task["task_status"] == "submitted"


def test_accept_any_model_takes_old_and_future_names_as_before(sandbox_factory):
    box = sandbox_factory("--accept-any-model")
    for name in ("kling-v9-future", "kling-v1-6", "kling-v2-master"):
        body = {"image": b64(png(400, 300)), "model_name": name, "cfg_scale": 0,
                "duration": "10", "camera_control": {"type": "simple", "config": {"zoom": -10}}}
        assert box.create("image2video", body)["task_status"] == "submitted", name
    assert box.counters()["tasks_created"]["image2video"] == 3


@pytest.mark.parametrize("body, field", [
    ({}, "prompt"),
    ({"prompt": ""}, "prompt"),
    ({"prompt": "ok", "aspect_ratio": "4:3"}, "aspect_ratio"),
    ({"prompt": "ok", "model_name": "kling-v2-5-turbo", "duration": "15"}, "duration"),
    ({"prompt": "ok", "camera_control": {"type": "down_back"}}, "camera_control"),
])
def test_text2video_validation(sandbox, body, field):
    code, message = invalid(sandbox, "text2video", body)
    assert code == 1201 and field in message


@pytest.mark.parametrize("raw, code", [
    (b"", 1200), (b"not json", 1200), (b"[1, 2]", 1200), (b'"a string"', 1200),
])
def test_body_must_be_a_json_object(sandbox, raw, code):
    status, answer = sandbox.call("POST", "/v1/videos/image2video", raw,
                                  headers={"Content-Type": "application/json"})
    assert (status, answer["code"]) == (400, code)


def test_image_by_loopback_url_is_fetched_and_checked(sandbox, file_server, tmp_path):
    root, base = file_server
    (root / "still.jpg").write_bytes((MEDIA / "still.jpg").read_bytes())
    (root / "fake.jpg").write_bytes(b"\xff\xd8\xff this is no JPEG")
    task = sandbox.create("image2video", {"image": f"{base}/still.jpg", "prompt": "p"})
    done = sandbox.wait_task("image2video", task["task_id"])
    assert done["task_status"] == "succeed", done
    (root / "small.png").write_bytes(png(200, 200))
    for name, problem in (("fake.jpg", "JPEG or PNG"), ("small.png", "at least 300 px"),
                          ("missing.jpg", "404")):
        task = sandbox.create("image2video", {"image": f"{base}/{name}", "prompt": "p"})
        done = sandbox.wait_task("image2video", task["task_id"])
        assert done["task_status"] == "failed" and problem in done["task_status_msg"], done
