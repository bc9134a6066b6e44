/* Unit tests: lip-sync request bodies, audio/text/voice checks, the identify-face answer,
 * and the audio collector of klinglipsync (raw -> mono 16 kHz WAV, MP3 kept). */
#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>
#include <gst/audio/audio.h>
#include <math.h>
#include <string.h>

#include "kling-requests-lipsync.h"
#include "gstklingaudio.h"

/* --- test material ---------------------------------------------------------------- */

/* @seconds of a 440 Hz tone, mono S16LE at @rate, as a WAV file. */
static GBytes *
make_wav (gdouble seconds, guint rate, guint channels)
{
  guint frames = (guint) (seconds * rate + 0.5), i, c;
  GByteArray *pcm = g_byte_array_sized_new (frames * channels * 2);

  for (i = 0; i < frames; i++) {
    gint16 v = (gint16) (8000 * sin (2 * G_PI * 440 * i / rate));
    guint8 le[2] = { v & 0xFF, (v >> 8) & 0xFF };

    for (c = 0; c < channels; c++)
      g_byte_array_append (pcm, le, 2);
  }
  return kling_audio_wav_new_s16le (pcm, rate, channels);
}

/* MPEG-1 layer III, 128 kb/s, 44.1 kHz, stereo: 417-byte frames of 1152 samples. */
static const guint8 mp3_v1_header[4] = { 0xFF, 0xFB, 0x90, 0x00 };

/* MPEG-2 layer III, 64 kb/s, 22.05 kHz, mono: 208-byte frames of 576 samples. */
static const guint8 mp3_v2_header[4] = { 0xFF, 0xF3, 0x80, 0xC0 };

static void
append_mp3_frames (GByteArray * out, const guint8 header[4], guint frame_bytes,
    guint n)
{
  guint i;

  for (i = 0; i < n; i++) {
    guint start = out->len;

    g_byte_array_set_size (out, start + frame_bytes);
    memset (out->data + start, 0x55, frame_bytes);
    memcpy (out->data + start, header, 4);
  }
}

static GBytes *
make_mp3_v1 (guint frames)
{
  GByteArray *out = g_byte_array_new ();

  append_mp3_frames (out, mp3_v1_header, 417, frames);
  return g_byte_array_free_to_bytes (out);
}

#define MP3_V1_FRAME_S (1152.0 / 44100.0)

static GBytes *
bytes_of_string (const gchar * s)
{
  return g_bytes_new (s, strlen (s));
}

static void
assert_json_equal (JsonNode * node, const gchar * expected_json)
{
  g_autoptr (JsonNode) expected = json_from_string (expected_json, NULL);
  g_autofree gchar *actual = json_to_string (node, FALSE);

  fail_unless (expected != NULL, "bad expected JSON %s", expected_json);
  if (!json_node_equal (node, expected))
    g_printerr ("got      %.300s\nexpected %.300s\n", actual, expected_json);
  fail_unless (json_node_equal (node, expected));
}

static void
assert_invalid_input (GError * error, const gchar * mentions)
{
  fail_unless (error != NULL, "no error, expected one about %s", mentions);
  fail_unless (g_error_matches (error, KLING_ERROR, KLING_ERROR_INVALID_INPUT),
      "%s", error->message);
  fail_unless (strstr (error->message, mentions) != NULL,
      "\"%s\" does not mention %s", error->message, mentions);
}

/* --- probing ------------------------------------------------------------------------ */

GST_START_TEST (test_wav_written_and_probed)
{
  g_autoptr (GBytes) wav = make_wav (4.2, 16000, 1);
  g_autoptr (GBytes) stereo = make_wav (2.5, 44100, 2);
  const guint8 *data = g_bytes_get_data (wav, NULL);
  KlingAudioFormat format;
  gdouble duration;

  fail_unless_equals_int (g_bytes_get_size (wav), 44 + 4.2 * 16000 * 2);
  fail_unless (memcmp (data, "RIFF", 4) == 0
      && memcmp (data + 8, "WAVEfmt ", 8) == 0);
  fail_unless (memcmp (data + 36, "data", 4) == 0);

  fail_unless (kling_audio_probe (wav, &format, &duration));
  fail_unless_equals_int (format, KLING_AUDIO_FORMAT_WAV);
  fail_unless (fabs (duration - 4.2) < 1e-6, "%f", duration);

  fail_unless (kling_audio_probe (stereo, &format, &duration));
  fail_unless (fabs (duration - 2.5) < 1e-4, "%f", duration);
}

GST_END_TEST;

/* A LIST chunk before the data, and a streaming writer's 0xFFFFFFFF data size. */
GST_START_TEST (test_wav_probe_odd_files)
{
  g_autoptr (GBytes) wav = make_wav (3.0, 16000, 1);
  gsize size;
  const guint8 *data = g_bytes_get_data (wav, &size);
  static const guint8 list[] =
      { 'L', 'I', 'S', 'T', 5, 0, 0, 0, 'I', 'N', 'F', 'O', 'x', 0 };
  GByteArray *with_list = g_byte_array_new ();
  g_autoptr (GBytes) listed = NULL, streamed = NULL, truncated = NULL;
  guint8 *copy;
  gdouble duration;

  g_byte_array_append (with_list, data, 36);
  g_byte_array_append (with_list, list, sizeof (list)); /* odd size: padded */
  g_byte_array_append (with_list, data + 36, size - 36);
  listed = g_byte_array_free_to_bytes (with_list);
  fail_unless (kling_audio_probe (listed, NULL, &duration));
  fail_unless (fabs (duration - 3.0) < 1e-6, "%f", duration);

  copy = g_memdup2 (data, size);
  memset (copy + 40, 0xFF, 4);
  streamed = g_bytes_new_take (copy, size);
  fail_unless (kling_audio_probe (streamed, NULL, &duration));
  fail_unless (fabs (duration - 3.0) < 1e-6, "%f", duration);

  truncated = g_bytes_new (data, 30);   /* inside the fmt chunk */
  fail_if (kling_audio_probe (truncated, NULL, NULL));
}

GST_END_TEST;

GST_START_TEST (test_mp3_probe_counts_frames)
{
  g_autoptr (GBytes) plain = make_mp3_v1 (200);
  GByteArray *tagged = g_byte_array_new ();
  static const guint8 id3v2[10] = { 'I', 'D', '3', 4, 0, 0, 0, 0, 1, 0 };       /* 128 bytes */
  guint8 tag_body[128] = { 0 };
  guint8 id3v1[128] = { 'T', 'A', 'G' };
  g_autoptr (GBytes) tagged_bytes = NULL, v2 = NULL;
  GByteArray *v2_array = g_byte_array_new ();
  KlingAudioFormat format;
  gdouble duration;

  fail_unless (kling_audio_probe (plain, &format, &duration));
  fail_unless_equals_int (format, KLING_AUDIO_FORMAT_MP3);
  fail_unless (fabs (duration - 200 * MP3_V1_FRAME_S) < 1e-6, "%f", duration);

  /* ID3v2 in front and ID3v1 behind change nothing. */
  g_byte_array_append (tagged, id3v2, sizeof (id3v2));
  g_byte_array_append (tagged, tag_body, sizeof (tag_body));
  g_byte_array_append (tagged, g_bytes_get_data (plain, NULL),
      g_bytes_get_size (plain));
  g_byte_array_append (tagged, id3v1, sizeof (id3v1));
  tagged_bytes = g_byte_array_free_to_bytes (tagged);
  fail_unless (kling_audio_probe (tagged_bytes, NULL, &duration));
  fail_unless (fabs (duration - 200 * MP3_V1_FRAME_S) < 1e-6, "%f", duration);

  /* MPEG-2 frames hold 576 samples at 22.05 kHz. */
  append_mp3_frames (v2_array, mp3_v2_header, 208, 100);
  v2 = g_byte_array_free_to_bytes (v2_array);
  fail_unless (kling_audio_probe (v2, NULL, &duration));
  fail_unless (fabs (duration - 100 * 576.0 / 22050) < 1e-6, "%f", duration);
}

GST_END_TEST;

GST_START_TEST (test_mp3_probe_skips_info_frame)
{
  g_autoptr (GBytes) plain = make_mp3_v1 (101);
  guint8 *copy =
      g_memdup2 (g_bytes_get_data (plain, NULL), g_bytes_get_size (plain));
  g_autoptr (GBytes) with_info = NULL;
  gdouble duration;

  memcpy (copy + 4 + 32, "Info", 4);    /* stereo MPEG-1: 32 bytes of side info */
  with_info = g_bytes_new_take (copy, g_bytes_get_size (plain));
  fail_unless (kling_audio_probe (with_info, NULL, &duration));
  fail_unless (fabs (duration - 100 * MP3_V1_FRAME_S) < 1e-6, "%f", duration);
}

GST_END_TEST;

GST_START_TEST (test_probe_refuses_other_bytes)
{
  g_autoptr (GBytes) text = bytes_of_string ("hello, this is not audio at all");
  g_autoptr (GBytes) empty = g_bytes_new (NULL, 0);
  guint8 *noise = g_malloc (64 * 1024);
  g_autoptr (GBytes) noise_bytes = NULL;
  KlingAudioFormat format = KLING_AUDIO_FORMAT_WAV;
  guint i;

  /* Deterministic noise with no 0xFF bytes: no frame sync anywhere. */
  for (i = 0; i < 64 * 1024; i++)
    noise[i] = (i * 131 + 7) % 255;
  noise_bytes = g_bytes_new_take (noise, 64 * 1024);

  fail_if (kling_audio_probe (text, &format, NULL));
  fail_unless_equals_int (format, KLING_AUDIO_FORMAT_UNKNOWN);
  fail_if (kling_audio_probe (empty, NULL, NULL));
  fail_if (kling_audio_probe (noise_bytes, NULL, NULL));
}

GST_END_TEST;

/* A real encoder's output: lamemp3enc with its Xing/Info frame and padding. */
GST_START_TEST (test_mp3_probe_lame_output)
{
  g_autoptr (GError) error = NULL;
  GstElement *pipeline = gst_parse_launch ("audiotestsrc num-buffers=75 "
      "samplesperbuffer=1764 ! audio/x-raw,rate=44100,channels=1 ! lamemp3enc ! "
      "appsink name=sink sync=false", &error);
  GstElement *sink;
  GByteArray *mp3 = g_byte_array_new ();
  g_autoptr (GBytes) bytes = NULL;
  GstSample *sample;
  gdouble duration;

  fail_unless (pipeline != NULL, "%s", error ? error->message : "?");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PLAYING),
      GST_STATE_CHANGE_ASYNC);
  while ((sample = gst_app_sink_pull_sample (GST_APP_SINK (sink)))) {
    GstMapInfo map;

    gst_buffer_map (gst_sample_get_buffer (sample), &map, GST_MAP_READ);
    g_byte_array_append (mp3, map.data, map.size);
    gst_buffer_unmap (gst_sample_get_buffer (sample), &map);
    gst_sample_unref (sample);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipeline);

  /* 75 * 1764 samples = 3.0 s; the encoder pads up to two frames. */
  bytes = g_byte_array_free_to_bytes (mp3);
  fail_unless (kling_audio_probe (bytes, NULL, &duration));
  fail_unless (duration >= 3.0
      && duration < 3.0 + 2.5 * MP3_V1_FRAME_S, "%f", duration);
}

GST_END_TEST;

/* --- validation ---------------------------------------------------------------------- */

GST_START_TEST (test_validate_audio_limits)
{
  g_autoptr (GBytes) ok_short = make_wav (2.0, 16000, 1);
  g_autoptr (GBytes) ok_long = make_wav (60.0, 16000, 1);
  g_autoptr (GBytes) too_short = make_wav (1.9, 16000, 1);
  g_autoptr (GBytes) too_long = make_wav (60.1, 16000, 1);
  g_autoptr (GBytes) too_big = make_wav (40.0, 44100, 2);       /* 7 MB */
  g_autoptr (GBytes) not_audio = bytes_of_string ("<html>not audio</html>");
  KlingAudioFormat format;
  gdouble duration;
  GError *error = NULL;

  fail_unless (kling_validate_audio (ok_short, "audio_file", &format, &duration,
          NULL));
  fail_unless_equals_int (format, KLING_AUDIO_FORMAT_WAV);
  fail_unless (fabs (duration - 2.0) < 1e-6);
  fail_unless (kling_validate_audio (ok_long, "audio_file", NULL, NULL, NULL));

  fail_if (kling_validate_audio (too_short, "audio_file", NULL, NULL, &error));
  assert_invalid_input (error, "1.90 s");
  g_clear_error (&error);
  fail_if (kling_validate_audio (too_long, "audio_file", NULL, NULL, &error));
  assert_invalid_input (error, "60.10 s");
  g_clear_error (&error);
  fail_if (kling_validate_audio (too_big, "audio_file", NULL, NULL, &error));
  assert_invalid_input (error, "5 MB");
  g_clear_error (&error);
  fail_if (kling_validate_audio (not_audio, "sound_file", NULL, NULL, &error));
  assert_invalid_input (error, "sound_file: not WAV or MP3");
  g_clear_error (&error);
}

GST_END_TEST;

GST_START_TEST (test_validate_voice_and_video)
{
  GError *error = NULL;

  fail_unless (kling_validate_voice_language ("zh", NULL));
  fail_unless (kling_validate_voice_language ("en", NULL));
  fail_if (kling_validate_voice_language ("fr", &error));
  assert_invalid_input (error, "voice_language");
  g_clear_error (&error);
  fail_if (kling_validate_voice_language (NULL, &error));
  g_clear_error (&error);

  fail_unless (kling_validate_voice_speed (0.8, NULL));
  fail_unless (kling_validate_voice_speed (2.0, NULL));
  fail_unless (kling_validate_voice_speed ((gfloat) 0.8, NULL));
  fail_if (kling_validate_voice_speed (0.79, &error));
  assert_invalid_input (error, "voice_speed");
  g_clear_error (&error);
  fail_if (kling_validate_voice_speed (2.01, NULL));

  fail_unless (kling_validate_video_source ("vid", NULL, NULL));
  fail_unless (kling_validate_video_source (NULL, "http://127.0.0.1/a.mp4",
          NULL));
  fail_if (kling_validate_video_source ("vid", "http://127.0.0.1/a.mp4",
          &error));
  assert_invalid_input (error, "both");
  g_clear_error (&error);
  fail_if (kling_validate_video_source ("", NULL, &error));
  assert_invalid_input (error, "video_id or video_url");
  g_clear_error (&error);
}

GST_END_TEST;

/* --- one-step lip-sync ------------------------------------------------------------------ */

GST_START_TEST (test_lip_sync_audio_file_body)
{
  g_autoptr (GBytes) wav = make_wav (2.5, 16000, 1);
  g_autofree gchar *b64 = g_base64_encode (g_bytes_get_data (wav, NULL),
      g_bytes_get_size (wav));
  g_autofree gchar *sha = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, wav);
  g_autofree gchar *expected = NULL, *expected_summary = NULL, *summary = NULL;
  KlingLipSyncParams params = {.video_id = "860000001",.mode =
        KLING_LIP_SYNC_AUDIO2VIDEO,
    .audio = wav
  };
  g_autoptr (KlingRequest) request = kling_lip_sync_request_new (&params, NULL);

  fail_unless (request != NULL);
  fail_unless_equals_int (request->endpoint, KLING_ENDPOINT_LIP_SYNC);
  expected =
      g_strdup_printf ("{\"input\": {\"video_id\": \"860000001\", \"mode\": "
      "\"audio2video\", \"audio_type\": \"file\", \"audio_file\": \"%s\"}}",
      b64);
  assert_json_equal (request->body, expected);

  /* The summary describes the audio instead of carrying it. */
  expected_summary =
      g_strdup_printf ("{\"input\": {\"video_id\": \"860000001\", \"mode\": "
      "\"audio2video\", \"audio_type\": \"file\", \"audio_file\": {\"bytes\": %"
      G_GSIZE_FORMAT
      ", \"format\": \"wav\", \"duration_s\": 2.5, \"sha256\": \"%s\"}}}",
      g_bytes_get_size (wav), sha);
  assert_json_equal (request->summary, expected_summary);
  summary = json_to_string (request->summary, FALSE);
  fail_unless (strstr (summary, b64) == NULL);
}

GST_END_TEST;

GST_START_TEST (test_lip_sync_audio_url_body)
{
  KlingLipSyncParams params = {.video_url = "http://127.0.0.1:1/files/v.mp4",
    .mode = KLING_LIP_SYNC_AUDIO2VIDEO,.audio_url =
        "http://127.0.0.1:1/voice.mp3",
    .callback_url = "http://127.0.0.1:2/cb"
  };
  g_autoptr (KlingRequest) request = kling_lip_sync_request_new (&params, NULL);
  static const gchar *expected = "{\"input\": {\"video_url\": "
      "\"http://127.0.0.1:1/files/v.mp4\", \"mode\": \"audio2video\", \"audio_type\": "
      "\"url\", \"audio_url\": \"http://127.0.0.1:1/voice.mp3\"}, \"callback_url\": "
      "\"http://127.0.0.1:2/cb\"}";

  fail_unless (request != NULL);
  assert_json_equal (request->body, expected);
  assert_json_equal (request->summary, expected);
}

GST_END_TEST;

GST_START_TEST (test_lip_sync_text_body)
{
  KlingLipSyncParams params = {.video_id = "v1",.mode =
        KLING_LIP_SYNC_TEXT2VIDEO,
    .text = "Hello from the sandbox",.voice_id =
        "oversea_male1",.voice_language = "en",
    .voice_speed = 1.5
  };
  g_autoptr (KlingRequest) request = kling_lip_sync_request_new (&params, NULL);
  static const gchar *expected = "{\"input\": {\"video_id\": \"v1\", \"mode\": "
      "\"text2video\", \"text\": \"Hello from the sandbox\", \"voice_id\": "
      "\"oversea_male1\", \"voice_language\": \"en\", \"voice_speed\": 1.5}}";

  fail_unless (request != NULL);
  assert_json_equal (request->body, expected);
  assert_json_equal (request->summary, expected);
}

GST_END_TEST;

GST_START_TEST (test_lip_sync_refusals)
{
  g_autoptr (GBytes) wav = make_wav (2.5, 16000, 1);
  g_autoptr (GBytes) short_wav = make_wav (1.0, 16000, 1);
  g_autoptr (GString) long_text = g_string_new (NULL);
  KlingLipSyncParams text = {.video_id = "v1",.mode = KLING_LIP_SYNC_TEXT2VIDEO,
    .voice_id = "oversea_male1",.voice_language = "en",.voice_speed = 1.0
  };
  KlingLipSyncParams audio = {.video_id = "v1",.mode =
        KLING_LIP_SYNC_AUDIO2VIDEO
  };
  GError *error = NULL;
  guint i;

  /* 120 characters of two bytes each are fine; 121 are not. */
  for (i = 0; i < 120; i++)
    g_string_append (long_text, "\xc3\xa9");
  text.text = long_text->str;
  kling_request_free (kling_lip_sync_request_new (&text, &error));
  fail_unless (error == NULL);
  g_string_append (long_text, "e");
  fail_unless (kling_lip_sync_request_new (&text, &error) == NULL);
  assert_invalid_input (error, "text");
  g_clear_error (&error);

  text.text = "";
  fail_unless (kling_lip_sync_request_new (&text, &error) == NULL);
  assert_invalid_input (error, "text");
  g_clear_error (&error);

  text.text = "hi";
  text.voice_language = "de";
  fail_unless (kling_lip_sync_request_new (&text, &error) == NULL);
  assert_invalid_input (error, "voice_language");
  g_clear_error (&error);

  text.voice_language = "zh";
  text.voice_speed = 2.5;
  fail_unless (kling_lip_sync_request_new (&text, &error) == NULL);
  assert_invalid_input (error, "voice_speed");
  g_clear_error (&error);

  text.voice_speed = 1.0;
  text.voice_id = NULL;
  fail_unless (kling_lip_sync_request_new (&text, &error) == NULL);
  assert_invalid_input (error, "voice_id");
  g_clear_error (&error);

  fail_unless (kling_lip_sync_request_new (&audio, &error) == NULL);
  assert_invalid_input (error, "audio");
  g_clear_error (&error);

  audio.audio = short_wav;
  fail_unless (kling_lip_sync_request_new (&audio, &error) == NULL);
  assert_invalid_input (error, "audio_file: 1.00 s");
  g_clear_error (&error);

  audio.audio = wav;
  audio.audio_url = "http://127.0.0.1/a.wav";
  fail_unless (kling_lip_sync_request_new (&audio, &error) == NULL);
  assert_invalid_input (error, "both");
  g_clear_error (&error);

  audio.audio_url = NULL;
  audio.video_url = "http://127.0.0.1/v.mp4";
  fail_unless (kling_lip_sync_request_new (&audio, &error) == NULL);
  assert_invalid_input (error, "video_id and video_url");
  g_clear_error (&error);
}

GST_END_TEST;

/* Equal inputs give equal cache keys; another voice, another key. */
GST_START_TEST (test_lip_sync_cache_key_follows_audio)
{
  g_autoptr (GBytes) wav = make_wav (2.5, 16000, 1);
  g_autoptr (GBytes) other = make_wav (2.6, 16000, 1);
  KlingLipSyncParams params = {.video_id = "v1",.mode =
        KLING_LIP_SYNC_AUDIO2VIDEO,
    .audio = wav
  };
  g_autoptr (KlingRequest) a = kling_lip_sync_request_new (&params, NULL);
  g_autoptr (KlingRequest) b = kling_lip_sync_request_new (&params, NULL);
  g_autoptr (KlingRequest) c = NULL;
  g_autofree gchar *key_a = kling_request_cache_key (a);
  g_autofree gchar *key_b = kling_request_cache_key (b);
  g_autofree gchar *key_c = NULL;

  params.audio = other;
  c = kling_lip_sync_request_new (&params, NULL);
  key_c = kling_request_cache_key (c);
  fail_unless_equals_string (key_a, key_b);
  fail_if (g_str_equal (key_a, key_c));
}

GST_END_TEST;

/* --- identify-face and advanced lip-sync --------------------------------------------------- */

GST_START_TEST (test_identify_face_body)
{
  g_autoptr (JsonNode) by_id = kling_identify_face_body_new ("v9", NULL, NULL);
  g_autoptr (JsonNode) by_url =
      kling_identify_face_body_new (NULL, "http://127.0.0.1/v.mp4", NULL);
  GError *error = NULL;

  assert_json_equal (by_id, "{\"video_id\": \"v9\"}");
  assert_json_equal (by_url, "{\"video_url\": \"http://127.0.0.1/v.mp4\"}");
  fail_unless (kling_identify_face_body_new (NULL, NULL, &error) == NULL);
  assert_invalid_input (error, "video_id or video_url");
  g_clear_error (&error);
}

GST_END_TEST;

static KlingFaceSession *
parse_session (const gchar * json, GError ** error)
{
  g_autoptr (JsonNode) data = json_from_string (json, NULL);

  fail_unless (data != NULL);
  return kling_face_session_new_from_json (data, error);
}

GST_START_TEST (test_face_session_parse)
{
  g_autoptr (KlingFaceSession) session =
      parse_session ("{\"session_id\": \"s-1\", "
      "\"final_unit_deduction\": \"0.1\", \"face_data\": [{\"face_id\": \"0\", "
      "\"face_image\": \"http://x/f.png\", \"start_time\": 0, \"end_time\": 5200}, "
      "{\"face_id\": 7, \"start_time\": \"1000\", \"end_time\": \"3000\", \"new\": 1}]}",
      NULL);
  KlingFace *face;
  GError *error = NULL;

  fail_unless (session != NULL);
  fail_unless_equals_string (session->session_id, "s-1");
  fail_unless_equals_int (session->faces->len, 2);
  face = g_ptr_array_index (session->faces, 0);
  fail_unless_equals_string (face->face_id, "0");
  fail_unless_equals_string (face->face_image, "http://x/f.png");
  fail_unless_equals_int64 (face->start_time_ms, 0);
  fail_unless_equals_int64 (face->end_time_ms, 5200);
  face = g_ptr_array_index (session->faces, 1);
  fail_unless_equals_string (face->face_id, "7");
  fail_unless (face->face_image == NULL);
  fail_unless_equals_int64 (face->start_time_ms, 1000);
  fail_unless_equals_int64 (face->end_time_ms, 3000);

  fail_unless (parse_session ("{\"session_id\": \"s\", \"face_data\": []}",
          &error) == NULL);
  assert_invalid_input (error, "no face");
  g_clear_error (&error);
  fail_unless (parse_session ("{\"face_data\": [{\"face_id\": \"0\"}]}",
          &error) == NULL);
  fail_unless (g_error_matches (error, KLING_ERROR, KLING_ERROR_PROTOCOL));
  g_clear_error (&error);
  fail_unless (parse_session ("{\"session_id\": \"s\", \"face_data\": [{}]}",
          &error)
      == NULL);
  fail_unless (g_error_matches (error, KLING_ERROR, KLING_ERROR_PROTOCOL));
  g_clear_error (&error);
  fail_unless (parse_session ("{\"session_id\": \"s\", \"face_data\": 3}",
          &error) == NULL);
  fail_unless (g_error_matches (error, KLING_ERROR, KLING_ERROR_PROTOCOL));
  g_clear_error (&error);
  /* Found by fuzz-envelope: a time no clip has must not be converted to an integer. */
  fail_unless (parse_session
      ("{\"session_id\": \"s\", \"face_data\": [{\"face_id\": \"0\", "
          "\"start_time\": 0, \"end_time\": 2e50}]}", &error) == NULL);
  fail_unless (g_error_matches (error, KLING_ERROR, KLING_ERROR_PROTOCOL));
  g_clear_error (&error);
  fail_unless (parse_session
      ("{\"session_id\": \"s\", \"face_data\": [{\"face_id\": \"0\", "
          "\"start_time\": -5, \"end_time\": 100}]}", &error) == NULL);
  fail_unless (g_error_matches (error, KLING_ERROR, KLING_ERROR_PROTOCOL));
  g_clear_error (&error);
}

GST_END_TEST;

GST_START_TEST (test_advanced_lip_sync_body)
{
  g_autoptr (GBytes) wav = make_wav (3.0, 16000, 1);
  g_autofree gchar *b64 = g_base64_encode (g_bytes_get_data (wav, NULL),
      g_bytes_get_size (wav));
  g_autofree gchar *expected = NULL, *summary = NULL;
  KlingFace face = {.face_id = "0",.start_time_ms = 0,.end_time_ms = 5000 };
  KlingAdvancedLipSyncParams params = {.session_id = "s-1",.face =
        &face,.sound = wav,
    .sound_volume = 1.0,.original_audio_volume = 1.0
  };
  g_autoptr (KlingRequest) request =
      kling_advanced_lip_sync_request_new (&params, NULL);

  fail_unless (request != NULL);
  fail_unless_equals_int (request->endpoint, KLING_ENDPOINT_ADVANCED_LIP_SYNC);
  expected =
      g_strdup_printf
      ("{\"session_id\": \"s-1\", \"face_choose\": [{\"face_id\": "
      "\"0\", \"sound_file\": \"%s\", \"sound_start_time\": 0, \"sound_end_time\": 3000, "
      "\"sound_insert_time\": 0, \"sound_volume\": 1.0, \"original_audio_volume\": 1.0}]}",
      b64);
  assert_json_equal (request->body, expected);
  summary = json_to_string (request->summary, FALSE);
  fail_unless (strstr (summary, b64) == NULL);
  fail_unless (strstr (summary, "\"sha256\"") != NULL, "%s", summary);
}

GST_END_TEST;

/* Sound longer than the face is cut to it; the sound goes where the face appears. */
GST_START_TEST (test_advanced_lip_sync_fits_face)
{
  g_autoptr (GBytes) wav = make_wav (8.0, 16000, 1);
  KlingFace face = {.face_id = "2",.start_time_ms = 1500,.end_time_ms = 6500 };
  KlingFace brief = {.face_id = "3",.start_time_ms = 0,.end_time_ms = 1999 };
  KlingAdvancedLipSyncParams params = {.session_id = "s-1",.face =
        &face,.sound = wav,
    .sound_volume = 2.0,.original_audio_volume = 0.0,.video_duration_s = 10.0
  };
  g_autoptr (KlingRequest) request =
      kling_advanced_lip_sync_request_new (&params, NULL);
  JsonObject *choice;
  GError *error = NULL;

  fail_unless (request != NULL);
  choice = json_array_get_object_element (json_object_get_array_member
      (json_node_get_object (request->body), "face_choose"), 0);
  fail_unless_equals_int64 (json_object_get_int_member (choice,
          "sound_start_time"), 0);
  fail_unless_equals_int64 (json_object_get_int_member (choice,
          "sound_end_time"), 5000);
  fail_unless_equals_int64 (json_object_get_int_member (choice,
          "sound_insert_time"), 1500);

  params.face = &brief;
  fail_unless (kling_advanced_lip_sync_request_new (&params, &error) == NULL);
  assert_invalid_input (error, "visible for 1999 ms of the video");
  g_clear_error (&error);

  params.face = &face;
  params.sound_volume = 2.5;
  fail_unless (kling_advanced_lip_sync_request_new (&params, &error) == NULL);
  assert_invalid_input (error, "sound_volume");
  g_clear_error (&error);

  params.sound_volume = 1.0;
  params.session_id = NULL;
  fail_unless (kling_advanced_lip_sync_request_new (&params, &error) == NULL);
  assert_invalid_input (error, "session_id");
  g_clear_error (&error);

  /* A URL cannot be probed: its length must be given. */
  params.session_id = "s-1";
  params.sound = NULL;
  params.sound_url = "http://127.0.0.1/a.mp3";
  fail_unless (kling_advanced_lip_sync_request_new (&params, &error) == NULL);
  assert_invalid_input (error, "sound_file");
  g_clear_error (&error);
  params.sound_duration_s = 4.0;
  kling_request_free (kling_advanced_lip_sync_request_new (&params, &error));
  fail_unless (error == NULL);
}

GST_END_TEST;

/* Where the inserted sound ends: sound_insert_time + sound_end_time - sound_start_time. */
static gint64
inserted_sound_end_ms (const KlingAdvancedLipSyncParams * params)
{
  g_autoptr (KlingRequest) request =
      kling_advanced_lip_sync_request_new (params, NULL);
  JsonObject *choice;

  fail_unless (request != NULL);
  choice = json_array_get_object_element (json_object_get_array_member
      (json_node_get_object (request->body), "face_choose"), 0);
  return json_object_get_int_member (choice, "sound_insert_time") +
      json_object_get_int_member (choice, "sound_end_time") -
      json_object_get_int_member (choice, "sound_start_time");
}

/* identify-face overstates end_time (Kling's own example: 5200 ms for a 5 s video): the
 * inserted sound must end with the video, not after it. */
GST_START_TEST (test_advanced_lip_sync_never_outlasts_the_video)
{
  g_autoptr (GBytes) long_voice = make_wav (8.0, 16000, 1);
  KlingFace docs_example = {.face_id = "0",.start_time_ms = 0,.end_time_ms =
        5200
  };
  KlingFace late = {.face_id = "1",.start_time_ms = 1500,.end_time_ms = 6500 };
  KlingFace after = {.face_id = "4",.start_time_ms = 5000,.end_time_ms = 7000 };
  const struct
  {
    const KlingFace *face;
    gdouble video_duration_s;
    gint64 sound_ends_ms;
  } cases[] = {
    /* The clip we made is 5 s long: the sound stops at 5000 ms, not at end_time. */
    {&docs_example, 5.0, 5000},
    /* A probed video_url: clamped to its length, to the millisecond. */
    {&docs_example, 4.35, 4350}, {&docs_example, 2.01, 2010},
    /* The video outlasts the face: the face bounds the sound. */
    {&late, 10.0, 6500}, {&late, 6.2, 6200},
    /* Unknown length: end_time rounded down to a whole second. */
    {&late, 0, 6000}, {&docs_example, 0, 5000},
  };
  KlingAdvancedLipSyncParams params = {.session_id = "s-1",.sound = long_voice,
    .sound_volume = 1.0,.original_audio_volume = 1.0
  };
  GError *error = NULL;
  gint64 start, end;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    params.face = cases[i].face;
    params.video_duration_s = cases[i].video_duration_s;
    fail_unless_equals_int64 (inserted_sound_end_ms (&params),
        cases[i].sound_ends_ms);
  }
  /* A face that appears only after the video ended cannot be lip-synced. */
  params.face = &after;
  params.video_duration_s = 4.0;
  fail_unless (kling_advanced_lip_sync_request_new (&params, &error) == NULL);
  assert_invalid_input (error, "visible for 0 ms of the video");
  g_clear_error (&error);

  fail_unless (kling_lip_sync_face_window_ms (&late, 3.0, &start, &end));
  fail_unless_equals_int64 (start, 1500);
  fail_unless_equals_int64 (end, 3000);
  fail_unless (!kling_lip_sync_face_window_ms (&after, 4.0, &start, &end));
  fail_unless_equals_int64 (end - start, 0);
}

GST_END_TEST;

/* --- the audio collector --------------------------------------------------------------- */

/* @seconds of a 440 Hz sine at amplitude 0.5 in @format, split into 100 ms buffers. */
static void
push_sine (GstKlingAudioCollector * collector, const gchar * format, guint rate,
    guint channels, const gchar * layout, gdouble seconds)
{
  GstAudioInfo info;
  GstCaps *caps =
      gst_caps_new_simple ("audio/x-raw", "format", G_TYPE_STRING, format,
      "rate", G_TYPE_INT, rate, "channels", G_TYPE_INT, channels, "layout",
      G_TYPE_STRING, layout, NULL);
  GstAudioInfo f32;
  GstAudioConverter *to_format;
  guint total = (guint) (seconds * rate + 0.5), done = 0;
  GError *error = NULL;

  if (channels > 2)
    gst_caps_set_simple (caps, "channel-mask", GST_TYPE_BITMASK,
        gst_audio_channel_get_fallback_mask (channels), NULL);
  fail_unless (gst_audio_info_from_caps (&info, caps));
  fail_unless (gst_kling_audio_collector_set_caps (collector, caps, &error),
      "%s", error ? error->message : "");
  gst_audio_info_set_format (&f32, GST_AUDIO_FORMAT_F32, rate, channels,
      info.position);
  f32.layout = GST_AUDIO_LAYOUT_INTERLEAVED;
  to_format = gst_audio_converter_new (0, &f32, &info, NULL);
  fail_unless (to_format != NULL);

  while (done < total) {
    guint n = MIN (rate / 10, total - done), i, c;
    gfloat *samples = g_new (gfloat, n * channels);
    GstBuffer *buffer = gst_buffer_new_allocate (NULL, n * info.bpf, NULL);
    GstAudioBuffer out;

    for (i = 0; i < n; i++)
      for (c = 0; c < channels; c++)
        samples[i * channels + c] =
            0.5 * sin (2 * G_PI * 440 * (done + i) / rate);
    if (info.layout == GST_AUDIO_LAYOUT_NON_INTERLEAVED)
      gst_buffer_add_audio_meta (buffer, &info, n, NULL);
    fail_unless (gst_audio_buffer_map (&out, &info, buffer, GST_MAP_WRITE));
    fail_unless (gst_audio_converter_samples (to_format, 0,
            (gpointer *) & samples, n, out.planes, n));
    gst_audio_buffer_unmap (&out);
    fail_unless (gst_kling_audio_collector_push (collector, buffer, &error),
        "%s", error ? error->message : "");
    gst_buffer_unref (buffer);
    g_free (samples);
    done += n;
  }
  gst_audio_converter_free (to_format);
  gst_caps_unref (caps);
}

static gint
peak_of_wav (GBytes * wav)
{
  gsize size, i;
  const guint8 *data = g_bytes_get_data (wav, &size);
  gint peak = 0;

  for (i = 44; i + 1 < size; i += 2)
    peak = MAX (peak, ABS ((gint16) (data[i] | data[i + 1] << 8)));
  return peak;
}

static void
assert_collected_wav (GstKlingAudioCollector * collector, gdouble seconds)
{
  KlingAudioFormat format;
  gdouble duration;
  GError *error = NULL;
  g_autoptr (GBytes) wav = gst_kling_audio_collector_finish (collector, &format,
      &duration, &error);
  const guint8 *data;

  fail_unless (wav != NULL, "%s", error ? error->message : "");
  data = g_bytes_get_data (wav, NULL);
  fail_unless_equals_int (format, KLING_AUDIO_FORMAT_WAV);
  fail_unless (fabs (duration - seconds) < 0.002, "%f s, expected %f", duration,
      seconds);
  /* mono, 16 kHz, 16-bit */
  fail_unless_equals_int (data[22], 1);
  fail_unless_equals_int (data[24] | data[25] << 8, 16000);
  fail_unless_equals_int (data[34], 16);
  /* A 0.5 sine stays about half of full scale: converted, not silenced or clipped. */
  fail_unless (peak_of_wav (wav) > 14000
      && peak_of_wav (wav) < 18000, "peak %d", peak_of_wav (wav));
}

GST_START_TEST (test_collector_raw_formats)
{
  g_autoptr (GstKlingAudioCollector) collector =
      gst_kling_audio_collector_new ();

  push_sine (collector, "S16LE", 16000, 1, "interleaved", 2.5);
  assert_collected_wav (collector, 2.5);

  push_sine (collector, "S16LE", 48000, 2, "interleaved", 3.0);
  assert_collected_wav (collector, 3.0);

  push_sine (collector, "F32LE", 44100, 2, "non-interleaved", 2.2);
  assert_collected_wav (collector, 2.2);

  push_sine (collector, "S24_32LE", 22050, 6, "interleaved", 2.0);
  assert_collected_wav (collector, 2.0);
}

GST_END_TEST;

/* A format change mid-stream keeps everything that came before it. */
GST_START_TEST (test_collector_caps_change)
{
  g_autoptr (GstKlingAudioCollector) collector =
      gst_kling_audio_collector_new ();

  push_sine (collector, "S16LE", 48000, 2, "interleaved", 1.5);
  push_sine (collector, "F32LE", 8000, 1, "interleaved", 1.5);
  /* Before the end the resampler still holds a few milliseconds. */
  fail_unless (fabs (gst_kling_audio_collector_get_duration (collector) - 3.0) <
      0.01, "%f", gst_kling_audio_collector_get_duration (collector));
  assert_collected_wav (collector, 3.0);
}

GST_END_TEST;

GST_START_TEST (test_collector_limits)
{
  g_autoptr (GstKlingAudioCollector) collector =
      gst_kling_audio_collector_new ();
  GstCaps *caps =
      gst_caps_from_string ("audio/x-raw,format=S16LE,rate=16000,channels=1,"
      "layout=interleaved");
  GstBuffer *second = gst_buffer_new_allocate (NULL, 32000, NULL);
  GError *error = NULL;
  guint i;

  /* Too short: refused when the stream ends. */
  push_sine (collector, "S16LE", 16000, 1, "interleaved", 1.5);
  fail_unless (gst_kling_audio_collector_finish (collector, NULL, NULL,
          &error) == NULL);
  assert_invalid_input (error, "1.50 s");
  g_clear_error (&error);

  /* Nothing at all. */
  fail_unless (gst_kling_audio_collector_finish (collector, NULL, NULL,
          &error) == NULL);
  assert_invalid_input (error, "without any audio");
  g_clear_error (&error);

  /* Too long: refused while it arrives, at the first buffer past 60 s. */
  gst_buffer_memset (second, 0, 0, 32000);
  fail_unless (gst_kling_audio_collector_set_caps (collector, caps, NULL));
  for (i = 0; i < 60; i++)
    fail_unless (gst_kling_audio_collector_push (collector, second, NULL));
  fail_if (gst_kling_audio_collector_push (collector, second, &error));
  assert_invalid_input (error, "60 s");
  g_clear_error (&error);

  /* Exactly 60 s is fine. */
  gst_kling_audio_collector_reset (collector);
  fail_unless (gst_kling_audio_collector_set_caps (collector, caps, NULL));
  for (i = 0; i < 60; i++)
    fail_unless (gst_kling_audio_collector_push (collector, second, NULL));
  g_bytes_unref (gst_kling_audio_collector_finish (collector, NULL, NULL,
          &error));
  fail_unless (error == NULL);

  /* A buffer without caps. */
  fail_if (gst_kling_audio_collector_push (collector, second, &error));
  assert_invalid_input (error, "caps");
  g_clear_error (&error);

  gst_buffer_unref (second);
  gst_caps_unref (caps);
}

GST_END_TEST;

/* Raw audio is clipped to the segment: a segment seek upstream trims the voice. */
GST_START_TEST (test_collector_clips_to_segment)
{
  g_autoptr (GstKlingAudioCollector) collector =
      gst_kling_audio_collector_new ();
  GstCaps *caps =
      gst_caps_from_string ("audio/x-raw,format=S16LE,rate=16000,channels=1,"
      "layout=interleaved");
  GstSegment segment;
  GBytes *wav;
  gdouble duration;
  guint i;

  fail_unless (gst_kling_audio_collector_set_caps (collector, caps, NULL));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  segment.start = GST_SECOND / 2;
  segment.stop = 3 * GST_SECOND;
  gst_kling_audio_collector_set_segment (collector, &segment);
  /* 4 s in 100 ms buffers, the segment keeps 0.5 .. 3.0 s */
  for (i = 0; i < 40; i++) {
    GstBuffer *buffer = gst_buffer_new_allocate (NULL, 3200, NULL);

    gst_buffer_memset (buffer, 0, 0, 3200);
    GST_BUFFER_PTS (buffer) = i * GST_SECOND / 10;
    GST_BUFFER_DURATION (buffer) = GST_SECOND / 10;
    fail_unless (gst_kling_audio_collector_push (collector, buffer, NULL));
    gst_buffer_unref (buffer);
  }
  wav = gst_kling_audio_collector_finish (collector, NULL, &duration, NULL);
  fail_unless (wav != NULL);
  fail_unless (fabs (duration - 2.5) < 1e-6, "%f", duration);
  g_bytes_unref (wav);
  gst_caps_unref (caps);
}

GST_END_TEST;

static GstBuffer *
mp3_buffer (guint frames)
{
  g_autoptr (GBytes) mp3 = make_mp3_v1 (frames);
  GstBuffer *buffer = gst_buffer_new_wrapped_bytes (mp3);

  GST_BUFFER_DURATION (buffer) =
      gst_util_uint64_scale (frames * 1152, GST_SECOND, 44100);
  return buffer;
}

GST_START_TEST (test_collector_mp3)
{
  g_autoptr (GstKlingAudioCollector) collector =
      gst_kling_audio_collector_new ();
  GstCaps *mp3 = gst_caps_from_string ("audio/mpeg,mpegversion=1,layer=3");
  GstCaps *raw =
      gst_caps_from_string ("audio/x-raw,format=S16LE,rate=16000,channels=1,"
      "layout=interleaved");
  KlingAudioFormat format;
  gdouble duration;
  GError *error = NULL;
  GBytes *file;
  GstBuffer *buffer;
  guint i;

  fail_unless (gst_kling_audio_collector_set_caps (collector, mp3, NULL));
  for (i = 0; i < 10; i++) {
    buffer = mp3_buffer (10);
    fail_unless (gst_kling_audio_collector_push (collector, buffer, NULL));
    gst_buffer_unref (buffer);
  }
  file =
      gst_kling_audio_collector_finish (collector, &format, &duration, &error);
  fail_unless (file != NULL, "%s", error ? error->message : "");
  fail_unless_equals_int (format, KLING_AUDIO_FORMAT_MP3);
  fail_unless_equals_int (g_bytes_get_size (file), 100 * 417);
  fail_unless (fabs (duration - 100 * MP3_V1_FRAME_S) < 1e-6);
  g_bytes_unref (file);

  /* MP3 then raw in one stream is refused. */
  fail_unless (gst_kling_audio_collector_set_caps (collector, mp3, NULL));
  buffer = mp3_buffer (10);
  fail_unless (gst_kling_audio_collector_push (collector, buffer, NULL));
  gst_buffer_unref (buffer);
  fail_if (gst_kling_audio_collector_set_caps (collector, raw, &error));
  assert_invalid_input (error, "switched");
  g_clear_error (&error);

  /* Over 60 s by the buffer durations: refused early. */
  gst_kling_audio_collector_reset (collector);
  fail_unless (gst_kling_audio_collector_set_caps (collector, mp3, NULL));
  buffer = mp3_buffer (2600);   /* 67.9 s */
  fail_if (gst_kling_audio_collector_push (collector, buffer, &error));
  assert_invalid_input (error, "60 s");
  g_clear_error (&error);
  gst_buffer_unref (buffer);

  gst_caps_unref (mp3);
  gst_caps_unref (raw);
}

GST_END_TEST;

static Suite *
requests_lipsync_suite (void)
{
  Suite *s = suite_create ("requests-lipsync");
  TCase *tc = tcase_create ("general");

  /* What the plugin's init does for the audio collector it uses. */
  gst_kling_audio_init_debug ();
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_wav_written_and_probed);
  tcase_add_test (tc, test_wav_probe_odd_files);
  tcase_add_test (tc, test_mp3_probe_counts_frames);
  tcase_add_test (tc, test_mp3_probe_skips_info_frame);
  tcase_add_test (tc, test_probe_refuses_other_bytes);
  tcase_add_test (tc, test_mp3_probe_lame_output);
  tcase_add_test (tc, test_validate_audio_limits);
  tcase_add_test (tc, test_validate_voice_and_video);
  tcase_add_test (tc, test_lip_sync_audio_file_body);
  tcase_add_test (tc, test_lip_sync_audio_url_body);
  tcase_add_test (tc, test_lip_sync_text_body);
  tcase_add_test (tc, test_lip_sync_refusals);
  tcase_add_test (tc, test_lip_sync_cache_key_follows_audio);
  tcase_add_test (tc, test_identify_face_body);
  tcase_add_test (tc, test_face_session_parse);
  tcase_add_test (tc, test_advanced_lip_sync_body);
  tcase_add_test (tc, test_advanced_lip_sync_fits_face);
  tcase_add_test (tc, test_advanced_lip_sync_never_outlasts_the_video);
  tcase_add_test (tc, test_collector_raw_formats);
  tcase_add_test (tc, test_collector_caps_change);
  tcase_add_test (tc, test_collector_limits);
  tcase_add_test (tc, test_collector_clips_to_segment);
  tcase_add_test (tc, test_collector_mp3);
  return s;
}

GST_CHECK_MAIN (requests_lipsync);
