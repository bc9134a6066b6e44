"""kling-sandbox lip-sync: one-step (audio file, audio URL, text) and identify-face +
advanced-lip-sync; the result is the source video with the audio muxed in."""
import time

import pytest

from media import (MEDIA, audio_envelope, b64, changed, correlation, discover_info,
                   stream_duration, wav)

# AAC works in frames of 1024 samples: "ends with the video" means within one frame.
AAC_FRAME_S = 1024 / 44100


@pytest.fixture
def source(sandbox):
    """A 5 s sandbox video (image2video) to lip-sync."""
    task = sandbox.create("image2video", {"image": b64(MEDIA / "still.jpg"), "prompt": "a face"})
    done = sandbox.wait_task("image2video", task["task_id"])
    assert done["task_status"] == "succeed", done
    return done["task_result"]["videos"][0]


def finish(sandbox, endpoint, body, tmp_path):
    task = sandbox.create(endpoint, body)
    done = sandbox.wait_task(endpoint, task["task_id"])
    assert done["task_status"] == "succeed", done
    status, _, data = sandbox.request("GET", done["task_result"]["videos"][0]["url"],
                                      auth=False)
    assert status == 200
    path = tmp_path / f"{task['task_id']}.mp4"
    path.write_bytes(data)
    return done, path


def assert_audio_ends_with_video(path, seconds):
    facts = discover_info(path)
    assert facts["audio"] is not None and "mpegversion=(int)4" in facts["audio"]["caps"]
    assert stream_duration(path, "video") == pytest.approx(seconds, abs=0.001)
    assert stream_duration(path, "audio") == pytest.approx(seconds, abs=AAC_FRAME_S + 0.001)
    return facts


def test_audio_file_is_muxed_and_padded_to_the_video(sandbox, source, tmp_path):
    # voice.wav lasts 4.2 s: padded with silence to the 5 s video.
    done, path = finish(sandbox, "lip-sync", {"input": {
        "video_id": source["id"], "mode": "audio2video", "audio_type": "file",
        "audio_file": b64(MEDIA / "voice.wav")}}, tmp_path)
    assert done["task_info"]["parent_video"]["id"] == source["id"]
    assert done["task_result"]["videos"][0]["duration"] == "5"
    facts = assert_audio_ends_with_video(path, 5.0)
    assert (facts["video"]["width"], facts["video"]["height"]) == (320, 180)
    # It is the submitted audio (same loudness over time), then silence to 5 s.
    voice = audio_envelope(MEDIA / "voice.wav")
    result = audio_envelope(path)
    assert correlation(voice, result[:len(voice)]) > 0.9
    assert max(result[43:]) < 0.02 * max(voice)


def test_long_audio_is_trimmed_and_audio_url_is_fetched(sandbox, source, file_server,
                                                        tmp_path):
    root, base = file_server
    (root / "long.wav").write_bytes(wav(8.0))
    _, path = finish(sandbox, "lip-sync", {"input": {
        "video_url": source["url"], "mode": "audio2video", "audio_type": "url",
        "audio_url": f"{base}/long.wav"}}, tmp_path)
    assert_audio_ends_with_video(path, 5.0)


def test_text_mode_gets_a_synthetic_voice(sandbox, source, tmp_path):
    _, path = finish(sandbox, "lip-sync", {"input": {
        "video_id": source["id"], "mode": "text2video", "text": "Hello from the sandbox",
        "voice_id": "genshin_vindi2", "voice_language": "en", "voice_speed": 1.5}}, tmp_path)
    assert_audio_ends_with_video(path, 5.0)


def test_third_party_loopback_video_url(sandbox, source, file_server, tmp_path):
    root, base = file_server
    status, _, data = sandbox.request("GET", source["url"], auth=False)
    (root / "clip.mp4").write_bytes(data)
    done, path = finish(sandbox, "lip-sync", {"input": {
        "video_url": f"{base}/clip.mp4", "mode": "audio2video", "audio_type": "file",
        "audio_file": b64(MEDIA / "voice.wav")}}, tmp_path)
    assert_audio_ends_with_video(path, 5.0)


def test_identify_face_then_advanced_lip_sync(sandbox, source, tmp_path):
    status, answer = sandbox.call("POST", "/v1/videos/identify-face", {"video_id": source["id"]})
    assert status == 200 and answer["code"] == 0
    session = answer["data"]["session_id"]
    face = answer["data"]["face_data"][0]
    # end_time is overstated, as Kling's is: 200 ms after the 5 s video ends.
    assert (face["face_id"], face["start_time"], face["end_time"]) == ("0", 0, 5200)
    assert answer["data"]["final_unit_deduction"] == "0.1"
    done, path = finish(sandbox, "advanced-lip-sync", {"session_id": session, "face_choose": [{
        "face_id": "0", "sound_file": b64(MEDIA / "voice.wav"), "sound_start_time": 0,
        "sound_end_time": 3000, "sound_insert_time": 1000, "sound_volume": 1.0,
        "original_audio_volume": 0.5}]}, tmp_path)
    assert_audio_ends_with_video(path, 5.0)
    # Silence, then the voice's first 3 s from 1.0 s on, then silence again.
    voice = audio_envelope(MEDIA / "voice.wav")
    result = audio_envelope(path)
    loudest = max(voice)
    assert max(result[:9]) < 0.02 * loudest and max(result[41:]) < 0.02 * loudest
    assert correlation(voice[:30], result[10:40]) > 0.9
    assert sandbox.counters()["tasks_created"]["advanced-lip-sync"] == 1


@pytest.mark.parametrize("change, field", [
    ({"video_id": "not-ours"}, "video_id"),
    ({"video_url": "https://example.com/clip.mp4", "video_id": None}, "video_url"),
    ({"video_url": "http://127.0.0.1:1/clip.mp4", "video_id": None}, "video_url"),
    ({"video_id": None}, "video_id"),
    ({"mode": "lipsync"}, "mode"),
    ({"audio_type": "stream"}, "audio_type"),
    ({"audio_file": b64(wav(1.0))}, "audio_file"),          # shorter than 2 s
    ({"audio_file": b64(wav(61.0, rate=8000))}, "audio_file"),  # longer than 60 s
    ({"audio_file": b64(b"RIFF....WAVEgarbage" * 10)}, "audio_file"),
    ({"audio_file": b64(b"just text, not audio")}, "audio_file"),
    ({"audio_file": b64(wav(2.5) + b"\0" * (5 * 1024 * 1024))}, "audio_file"),  # > 5 MB
    ({"audio_type": "url", "audio_url": "http://example.com/a.mp3"}, "audio_url"),
])
def test_lip_sync_validation(sandbox, source, change, field):
    body = {"video_id": source["id"], "mode": "audio2video", "audio_type": "file",
            "audio_file": b64(MEDIA / "voice.wav")}
    body = changed(body, change)
    status, answer = sandbox.call("POST", "/v1/videos/lip-sync", {"input": body})
    assert (status, answer["code"]) == (400, 1201), answer
    assert field in answer["message"]


@pytest.mark.parametrize("text_input, field", [
    ({"text": "x" * 121}, "text"),
    ({"text": ""}, "text"),
    ({"voice_language": "fr"}, "voice_language"),
    ({"voice_speed": 2.5}, "voice_speed"),
    ({"voice_id": None}, "voice_id"),
])
def test_lip_sync_text_validation(sandbox, source, text_input, field):
    body = {"video_id": source["id"], "mode": "text2video", "text": "hi there",
            "voice_id": "v1", "voice_language": "en"}
    body = changed(body, text_input)
    status, answer = sandbox.call("POST", "/v1/videos/lip-sync", {"input": body})
    assert (status, answer["code"]) == (400, 1201), answer
    assert field in answer["message"]


def test_advanced_lip_sync_validation(sandbox, source):
    status, answer = sandbox.call("POST", "/v1/videos/advanced-lip-sync", {
        "session_id": "unknown", "face_choose": [{"face_id": "0", "sound_file": "AAAA"}]})
    assert (status, answer["code"]) == (400, 1201) and "session_id" in answer["message"]
    session = sandbox.call("POST", "/v1/videos/identify-face",
                           {"video_url": source["url"]})[1]["data"]["session_id"]
    for faces, field in (([], "face_choose"), ([{"face_id": "7", "sound_file":
                         b64(MEDIA / "voice.wav")}], "face_id"),
                         ([{"face_id": "0", "sound_file": b64(MEDIA / "voice.wav"),
                            "sound_insert_time": 6000}], "sound_insert_time")):
        status, answer = sandbox.call("POST", "/v1/videos/advanced-lip-sync",
                                      {"session_id": session, "face_choose": faces})
        assert (status, answer["code"]) == (400, 1201), answer
        assert field in answer["message"]
    status, answer = sandbox.call("POST", "/v1/videos/identify-face", {})
    assert (status, answer["code"]) == (400, 1201)


def test_own_urls_are_used_directly_and_never_fetched_from_ourselves(sandbox_factory):
    box = sandbox_factory("--url-ttl", "1")
    task = box.create("image2video", {"image": b64(MEDIA / "still.jpg"), "prompt": "a face"})
    url = box.wait_task("image2video", task["task_id"])["task_result"]["videos"][0]["url"]
    as_localhost = url.replace("127.0.0.1", "localhost")
    status, answer = box.call("POST", "/v1/videos/identify-face", {"video_url": as_localhost})
    assert status == 200 and answer["data"]["face_data"][0]["end_time"] == 5200
    time.sleep(2.1)
    # Expired: refused at once (a fetch from our own thread would wait on itself).
    start = time.monotonic()
    status, answer = box.call("POST", "/v1/videos/identify-face", {"video_url": url})
    assert (status, answer["code"]) == (400, 1201) and "video_url" in answer["message"]
    assert time.monotonic() - start < 1


@pytest.mark.parametrize("content, problem", [
    (wav(1.0), "lasts 1.0 s"),
    (b"RIFF\0\0\0\0WAVE" + b"\x13" * 4000, "cannot be decoded"),
    (b"plain text", "must be mp3, wav, m4a or aac"),
])
def test_fetched_audio_is_checked_like_an_upload(sandbox, source, file_server, content,
                                                  problem):
    root, base = file_server
    (root / "audio.bin").write_bytes(content)
    task = sandbox.create("lip-sync", {"input": {
        "video_id": source["id"], "mode": "audio2video", "audio_type": "url",
        "audio_url": f"{base}/audio.bin"}})
    done = sandbox.wait_task("lip-sync", task["task_id"])
    assert done["task_status"] == "failed"
    assert "audio_url" in done["task_status_msg"] and problem in done["task_status_msg"]


def session_of(sandbox, source):
    status, answer = sandbox.call("POST", "/v1/videos/identify-face", {"video_id": source["id"]})
    assert status == 200
    return answer["data"]["session_id"]


@pytest.mark.parametrize("choice, field", [
    # Trusting identify-face's overstated end_time (5200) instead of the video's 5000 ms.
    ({"sound_file": b64(wav(8.0)), "sound_end_time": 5200}, "sound_end_time"),
    ({"sound_start_time": 1000, "sound_end_time": 6000, "sound_insert_time": 200,
      "sound_file": b64(wav(8.0))}, "sound_end_time"),
    # To the end of the 4.2 s voice, placed at 1 s: it would end at 5.2 s.
    ({"sound_insert_time": 1000}, "sound_insert_time"),
    ({"sound_end_time": 4100, "sound_insert_time": 1000}, "sound_end_time"),
    ({"sound_start_time": 1000, "sound_end_time": 2500}, "sound_end_time"),  # < 2 s
])
def test_advanced_sound_must_end_by_the_videos_real_end(sandbox, source, choice, field):
    face = dict({"face_id": "0", "sound_file": b64(MEDIA / "voice.wav")}, **choice)
    status, answer = sandbox.call("POST", "/v1/videos/advanced-lip-sync", {
        "session_id": session_of(sandbox, source), "face_choose": [face]})
    assert (status, answer["code"]) == (400, 1201), answer
    assert f"face_choose[0].{field}" in answer["message"]
    assert sandbox.counters()["tasks_created"]["advanced-lip-sync"] == 0


def test_advanced_sound_ending_exactly_with_the_video_is_taken(sandbox, source, tmp_path):
    # 4.0 s of the voice placed at 1.0 s ends at 5.0 s, the video's real end.
    done, path = finish(sandbox, "advanced-lip-sync", {
        "session_id": session_of(sandbox, source), "face_choose": [{
            "face_id": "0", "sound_file": b64(MEDIA / "voice.wav"), "sound_start_time": 0,
            "sound_end_time": 4000, "sound_insert_time": 1000}]}, tmp_path)
    assert_audio_ends_with_video(path, 5.0)
    assert done["final_unit_deduction"] == "1"


def test_advanced_sound_by_url_is_checked_when_fetched(sandbox, source, file_server):
    root, base = file_server
    (root / "long.wav").write_bytes(wav(8.0))
    task = sandbox.create("advanced-lip-sync", {
        "session_id": session_of(sandbox, source), "face_choose": [{
            "face_id": "0", "sound_file": f"{base}/long.wav"}]})
    done = sandbox.wait_task("advanced-lip-sync", task["task_id"])
    assert done["task_status"] == "failed"
    assert "after the video ends at 5000 ms" in done["task_status_msg"]


def test_lip_sync_external_ids_are_not_resolvable(sandbox, source):
    body = {"input": {"video_id": source["id"], "mode": "text2video", "text": "hello",
                      "voice_id": "v1"}, "external_task_id": "mine-1"}
    first = sandbox.create("lip-sync", body)
    # The one-step body has no such field: ignored, not stored, not unique.
    assert "external_task_id" not in first["task_info"]
    second = sandbox.create("lip-sync", body)
    assert second["task_id"] != first["task_id"]
    status, answer = sandbox.call("GET", "/v1/videos/lip-sync/mine-1")
    assert (status, answer["code"]) == (404, 1203)
    assert sandbox.call("GET", f"/v1/videos/lip-sync/{first['task_id']}")[0] == 200

    # advanced-lip-sync keeps it in task_info, but is queried by task id only.
    advanced = sandbox.create("advanced-lip-sync", {
        "session_id": session_of(sandbox, source), "external_task_id": "mine-2",
        "face_choose": [{"face_id": "0", "sound_file": b64(MEDIA / "voice.wav")}]})
    assert advanced["task_info"]["external_task_id"] == "mine-2"
    status, answer = sandbox.call("GET", "/v1/videos/advanced-lip-sync/mine-2")
    assert (status, answer["code"]) == (404, 1203)
    assert sandbox.call("GET", f"/v1/videos/advanced-lip-sync/{advanced['task_id']}")[0] == 200


def test_lip_sync_tasks_are_found_in_the_list_after_a_lost_answer(sandbox, source):
    """What a client does after a lost create: list, newest first, and match the
    creation time and the parent video."""
    other = sandbox.create("lip-sync", {"input": {
        "video_id": source["id"], "mode": "text2video", "text": "first", "voice_id": "v"}})
    time.sleep(1.1)         # a URL signed now differs from the source's: which one comes back?
    sandbox.add_fault(method="POST", path="/v1/videos/lip-sync", action="drop-after")
    sandbox.add_fault(method="POST", path="/v1/videos/advanced-lip-sync", action="drop-after")
    before_ms = int(time.time() * 1000)
    with pytest.raises(Exception):
        sandbox.call("POST", "/v1/videos/lip-sync", {"input": {
            "video_url": source["url"], "mode": "text2video", "text": "lost", "voice_id": "v"}})
    session = sandbox.call("POST", "/v1/videos/identify-face",
                           {"video_url": source["url"]})[1]["data"]["session_id"]
    with pytest.raises(Exception):
        sandbox.call("POST", "/v1/videos/advanced-lip-sync", {"session_id": session,
                     "face_choose": [{"face_id": "0", "sound_file": b64(MEDIA / "voice.wav")}]})
    counters = sandbox.counters()
    assert counters["tasks_created"]["lip-sync"] == 2
    assert counters["tasks_created"]["advanced-lip-sync"] == 1

    for endpoint, older in (("lip-sync", [other["task_id"]]), ("advanced-lip-sync", [])):
        status, answer = sandbox.call("GET", f"/v1/videos/{endpoint}?pageNum=1&pageSize=30")
        assert status == 200 and isinstance(answer["data"], list)
        newest = answer["data"][0]
        assert [t["task_id"] for t in answer["data"][1:]] == older
        assert newest["created_at"] >= before_ms - 5
        parent = newest["task_info"]["parent_video"]
        # The URL the create gave, the video's id and its duration.
        assert parent == {"id": source["id"], "url": source["url"], "duration": "5"}
    # Given by video_id: the parent's own signed URL, which downloads.
    first = sandbox.call("GET", "/v1/videos/lip-sync?pageNum=1&pageSize=30")[1]["data"][-1]
    assert first["task_info"]["parent_video"]["id"] == source["id"]
    assert sandbox.request("GET", first["task_info"]["parent_video"]["url"], auth=False)[0] == 200
