"""kling-sandbox serves the /v1 models of December 2026 (docs/kling-api.md): retired and
unknown models are refused with 404 / 1203, each live model's durations, modes, sound, end
frame and multi-shot rules are checked at create, and what a task was charged is in its
answer once it has ended."""
import pytest

from media import (MEDIA, audio_pitch, b64, changed, discover_info, first_and_last_colour,
                   png, solid_png, stream_duration, tone_pitch)

RETIRED = ["kling-v1", "kling-v1-5", "kling-v1-6", "kling-v2-master", "kling-v2-1",
           "kling-v2-1-master"]
LIVE = ["kling-v3", "kling-v2-6", "kling-v2-5-turbo"]
AAC_FRAME_S = 1024 / 44100


@pytest.fixture(scope="module")
def image():
    return b64(png(400, 300))


def refused(sandbox, endpoint, body):
    status, answer = sandbox.call("POST", f"/v1/videos/{endpoint}", body)
    assert status in (400, 404), answer
    return status, answer["code"], answer["message"]


def i2v(image, **fields):
    return dict({"image": image, "prompt": "a harbour at dawn"}, **fields)


@pytest.mark.parametrize("endpoint", ["image2video", "text2video"])
@pytest.mark.parametrize("model", RETIRED)
def test_retired_models_are_refused_at_create_and_nothing_is_created(sandbox, image,
                                                                    endpoint, model):
    status, code, message = refused(sandbox, endpoint, i2v(image, model_name=model))
    assert (status, code) == (404, 1203)
    assert model in message and "2026-09-15" in message
    assert "kling-v3, kling-v2-6 or kling-v2-5-turbo" in message
    counters = sandbox.counters()
    assert counters["tasks_created"][endpoint] == 0 and counters["tasks_in_flight"] == 0
    assert counters["requests"][f"POST /v1/videos/{endpoint}"] == 1
    assert sandbox.call("GET", f"/v1/videos/{endpoint}")[1]["data"] == []


def test_unknown_model_is_404_1203(sandbox, image):
    status, code, message = refused(sandbox, "image2video", i2v(image, model_name="kling-v9"))
    assert (status, code) == (404, 1203) and "kling-v9" in message
    # The model is checked first: a retired model with other bad fields is still a 404.
    status, code, _ = refused(sandbox, "image2video",
                              i2v(image, model_name="kling-v1-6", duration="99"))
    assert (status, code) == (404, 1203)


def test_accept_any_model_keeps_old_tests_working(sandbox_factory, image, tmp_path):
    box = sandbox_factory("--accept-any-model")
    task = box.create("image2video", {"image": image, "model_name": "kling-v1-6",
                                      "cfg_scale": 0.5, "duration": "5"})
    done = box.wait_task("image2video", task["task_id"])
    assert done["task_status"] == "succeed", done
    assert done["final_unit_deduction"] == "1"            # kling-v1.6 std 5 s
    path = tmp_path / "old.mp4"
    path.write_bytes(box.request("GET", done["task_result"]["videos"][0]["url"], auth=False)[2])
    assert discover_info(path)["video"]["fps"] == 30      # v1.x made 30 fps
    # The live models keep their checks under the flag.
    status, code, message = refused(box, "image2video",
                                    i2v(image, model_name="kling-v3", cfg_scale=0.5))
    assert (status, code) == (400, 1201) and "cfg_scale" in message


@pytest.mark.parametrize("model, ok, bad", [
    ("kling-v3", ["3", "4", "9", "15"], ["2", "16", "1"]),
    ("kling-v2-6", ["5", "10"], ["3", "7", "15"]),
    ("kling-v2-5-turbo", ["5", "10"], ["4", "6", "15"]),
])
def test_durations_per_model(sandbox, image, model, ok, bad):
    for seconds in ok:
        sandbox.create("image2video", i2v(image, model_name=model, duration=seconds))
    for seconds in bad:
        status, code, message = refused(sandbox, "image2video",
                                        i2v(image, model_name=model, duration=seconds))
        assert (status, code) == (400, 1201) and "duration" in message and model in message
    assert sandbox.counters()["tasks_created"]["image2video"] == len(ok)


@pytest.mark.parametrize("model, mode, allowed", [
    ("kling-v3", "std", True), ("kling-v3", "pro", True),
    ("kling-v2-6", "pro", True), ("kling-v2-6", "std", False),
    ("kling-v2-5-turbo", "std", False), ("kling-v2-5-turbo", "pro", False),
])
def test_sound_only_where_the_model_makes_it(sandbox, image, model, mode, allowed):
    body = i2v(image, model_name=model, mode=mode, sound="on")
    if allowed:
        assert sandbox.create("image2video", body)["task_status"] == "submitted"
    else:
        status, code, message = refused(sandbox, "image2video", body)
        assert (status, code) == (400, 1201) and "sound" in message and model in message
    # "off" is always fine.
    sandbox.create("image2video", dict(body, sound="off"))


@pytest.mark.parametrize("model", LIVE)
@pytest.mark.parametrize("field, value", [
    ("cfg_scale", 0.5),
    ("camera_control", {"type": "simple", "config": {"zoom": 5}}),
    ("camera_control", {"type": "forward_up"}),
    ("static_mask", "bWFzaw=="),
])
def test_live_models_refuse_old_model_fields(sandbox, image, model, field, value):
    status, code, message = refused(sandbox, "image2video",
                                    i2v(image, model_name=model, **{field: value}))
    assert (status, code) == (400, 1201) and field in message and model in message


@pytest.mark.parametrize("model, mode, allowed", [
    ("kling-v3", "std", True), ("kling-v3", "pro", True),
    ("kling-v2-6", "std", True), ("kling-v2-6", "pro", False),
    ("kling-v2-5-turbo", "pro", True), ("kling-v2-5-turbo", "std", False),
])
def test_end_frame_modes(sandbox, image, model, mode, allowed):
    body = i2v(image, model_name=model, mode=mode, image_tail=b64(png(500, 400)))
    if allowed:
        assert sandbox.create("image2video", body)["task_status"] == "submitted"
    else:
        status, code, message = refused(sandbox, "image2video", body)
        assert (status, code) == (400, 1201) and "image_tail" in message
        assert f"only in {'std' if mode == 'pro' else 'pro'} mode" in message


@pytest.mark.parametrize("tail", [b64(png(299, 400)), b64(png(1000, 390)), "data:x",
                                  b64(b"GIF89a"), "https://example.com/end.png"])
def test_end_frame_has_the_image_rules(sandbox, image, tail):
    status, code, message = refused(sandbox, "image2video", i2v(image, image_tail=tail))
    assert (status, code) == (400, 1201) and "image_tail" in message


def test_multi_shot_on_kling_v3_only(sandbox, image):
    shots = [{"prompt": "a wide shot"}, "a close-up", {"prompt": "x" * 512}]
    body = {"image": image, "model_name": "kling-v3", "multi_shot": True,
            "shot_type": "customize", "multi_prompt": shots}
    assert sandbox.create("image2video", body)["task_status"] == "submitted"  # no prompt
    for change, field in (
            ({"model_name": "kling-v2-6"}, "multi_shot"),
            ({"multi_prompt": ["shot"] * 7}, "multi_prompt"),
            ({"multi_prompt": ["x" * 513]}, "multi_prompt[0]"),
            ({"multi_prompt": [{"prompt": ""}]}, "multi_prompt[0].prompt"),
            ({"multi_prompt": [3]}, "multi_prompt[0]"),
            ({"multi_prompt": []}, "multi_prompt"),
            ({"multi_shot": False}, "multi_prompt"),
            ({"multi_shot": "yes"}, "multi_shot"),
            ({"multi_prompt": None}, "prompt")):
        status, code, message = refused(sandbox, "image2video", changed(body, change))
        assert (status, code) == (400, 1201) and field in message, (change, message)
    assert sandbox.counters()["tasks_created"]["image2video"] == 1


@pytest.mark.parametrize("fields, units", [
    ({"model_name": "kling-v3", "duration": "5"}, "3"),
    ({"model_name": "kling-v3", "mode": "pro", "duration": "15", "sound": "on"}, "15"),
    ({"model_name": "kling-v3", "duration": "10", "sound": "on"}, "8"),
    ({"model_name": "kling-v2-6", "duration": "5"}, "1.5"),
    ({"model_name": "kling-v2-6", "mode": "pro", "duration": "10", "sound": "on"}, "10"),
    ({"model_name": "kling-v2-5-turbo", "mode": "pro", "duration": "5"}, "2.5"),
])
def test_final_unit_deduction_follows_the_price_list(sandbox, fields, units):
    task = sandbox.create("text2video", dict(fields, prompt="priced"))
    assert "final_unit_deduction" not in task          # not charged while it runs
    done = sandbox.wait_task("text2video", task["task_id"], timeout=60)
    assert done["task_status"] == "succeed", done
    assert done["final_unit_deduction"] == units
    # The list query says the same.
    listed = sandbox.call("GET", "/v1/videos/text2video?pageNum=1&pageSize=1")[1]["data"][0]
    assert listed["final_unit_deduction"] == units


def test_a_failed_task_is_charged_nothing(sandbox):
    sandbox.add_fault(path="/v1/videos/text2video", action="fail-task", message="risk control")
    task = sandbox.create("text2video", {"prompt": "refused"})
    done = sandbox.wait_task("text2video", task["task_id"])
    assert done["task_status"] == "failed" and done["final_unit_deduction"] == "0"


def fetch_clip(sandbox, endpoint, body, tmp_path, name):
    task = sandbox.create(endpoint, body)
    done = sandbox.wait_task(endpoint, task["task_id"], timeout=90)
    assert done["task_status"] == "succeed", done
    path = tmp_path / name
    path.write_bytes(sandbox.request("GET", done["task_result"]["videos"][0]["url"],
                                     auth=False)[2])
    return done, path


def test_sound_on_adds_an_aac_tone_that_ends_with_the_video(sandbox, tmp_path):
    prompt = "a brass band marching by"
    done, path = fetch_clip(sandbox, "text2video", {
        "prompt": prompt, "model_name": "kling-v3", "duration": "15", "sound": "on"},
        tmp_path, "sound.mp4")
    assert done["task_result"]["videos"][0]["duration"] == "15"
    facts = discover_info(path)
    assert facts["audio"] is not None and "mpegversion=(int)4" in facts["audio"]["caps"]
    assert stream_duration(path, "video") == pytest.approx(15.0, abs=0.001)
    assert stream_duration(path, "audio") == pytest.approx(15.0, abs=AAC_FRAME_S + 0.001)
    # Audible and deterministic: the documented pitch of this prompt.
    assert audio_pitch(path) == pytest.approx(tone_pitch(prompt), rel=0.01)


def test_sound_pitch_follows_the_prompt_on_image2video(sandbox, image, tmp_path):
    prompts = ["a", "b"]
    assert abs(tone_pitch(prompts[0]) - tone_pitch(prompts[1])) > 10
    for prompt in prompts:
        _, path = fetch_clip(sandbox, "image2video", {
            "image": image, "prompt": prompt, "model_name": "kling-v2-6", "mode": "pro",
            "duration": "5", "sound": "on"}, tmp_path, f"{prompt}.mp4")
        assert discover_info(path)["audio"] is not None
        assert stream_duration(path, "video") == pytest.approx(5.0, abs=0.001)
        assert stream_duration(path, "audio") == pytest.approx(5.0, abs=AAC_FRAME_S + 0.001)
        assert audio_pitch(path) == pytest.approx(tone_pitch(prompt), rel=0.01)


def test_sound_off_has_no_audio_track(sandbox, image, tmp_path):
    _, path = fetch_clip(sandbox, "image2video", i2v(image, sound="off"), tmp_path, "quiet.mp4")
    assert discover_info(path)["audio"] is None


def close_to(colour, expected, tolerance=24):
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected))


@pytest.mark.parametrize("model, mode", [("kling-v3", "std"), ("kling-v2-5-turbo", "pro")])
def test_end_frame_is_where_the_clip_ends(sandbox, tmp_path, model, mode):
    red, blue = (200, 30, 30), (30, 40, 210)
    _, path = fetch_clip(sandbox, "image2video", {
        "image": b64(solid_png(400, 300, red)), "image_tail": b64(solid_png(400, 300, blue)),
        "prompt": "red to blue", "model_name": model, "mode": mode}, tmp_path, "tail.mp4")
    first, last = first_and_last_colour(path)
    assert close_to(first, red), first
    assert close_to(last, blue), last
    assert stream_duration(path, "video") == pytest.approx(5.0, abs=0.001)


def test_end_frame_by_url_is_fetched(sandbox, file_server, tmp_path):
    root, base = file_server
    green = (30, 190, 40)
    (root / "end.png").write_bytes(solid_png(400, 300, green))
    _, path = fetch_clip(sandbox, "image2video", {
        "image": b64(MEDIA / "still.jpg"), "image_tail": f"{base}/end.png",
        "prompt": "to green"}, tmp_path, "url-tail.mp4")
    assert close_to(first_and_last_colour(path)[1], green)
    (root / "small.png").write_bytes(png(100, 100))
    task = sandbox.create("image2video", {"image": b64(MEDIA / "still.jpg"), "prompt": "p",
                                          "image_tail": f"{base}/small.png"})
    done = sandbox.wait_task("image2video", task["task_id"])
    assert done["task_status"] == "failed" and "image_tail" in done["task_status_msg"]
