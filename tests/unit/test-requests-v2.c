/* Kling's per-model API, server-less: the request bodies the builders dispatch to by the
 * model table's generation, their local refusals (the table's sentences, and what that
 * API does not document), cache keys, and the task object with its outputs and billing. */
#include <gst/check/gstcheck.h>
#include <string.h>
#include "kling-requests.h"
#include "kling-task.h"

/* --- requests ------------------------------------------------------------------------------ */

static GBytes *
still_jpeg (void)
{
  g_autofree gchar *path =
      g_build_filename (KLING_MEDIA_DIR, "still.jpg", NULL);
  gchar *data;
  gsize len;

  fail_unless (g_file_get_contents (path, &data, &len, NULL));
  return g_bytes_new_take (data, len);
}

static KlingImage2VideoParams
i2v_params (const gchar * model, GBytes * image)
{
  KlingImage2VideoParams p = {
    .model_name = model,.mode = KLING_MODE_STD,.duration_s = 5,.cfg_scale = 0.5,
    .prompt = "a slow zoom",.image = image,
  };
  return p;
}

static JsonObject *
body_of (KlingRequest * request)
{
  return json_node_get_object (request->body);
}

static JsonObject *
content (KlingRequest * request, guint i)
{
  return
      json_array_get_object_element (json_object_get_array_member (body_of
          (request), "contents"), i);
}

GST_START_TEST (test_image2video_bodies)
{
  g_autoptr (GBytes) image = still_jpeg ();
  g_autofree gchar *b64 = g_base64_encode (g_bytes_get_data (image, NULL),
      g_bytes_get_size (image));
  KlingImage2VideoParams p = i2v_params ("kling-3.0", image);
  g_autoptr (KlingRequest) r = NULL, turbo = NULL, cb = NULL;
  g_autofree gchar *summary = NULL;
  JsonObject *settings;

  p.mode = KLING_MODE_4K;
  p.duration_s = 12;
  p.sound = TRUE;
  p.image_tail = image;
  r = kling_image2video_request_new (&p, NULL);
  fail_unless (r != NULL);
  fail_unless_equals_string (r->create_path, "/image-to-video/kling-3.0");
  fail_unless_equals_string (kling_request_get_model_name (r), "kling-3.0");
  fail_unless (!json_object_has_member (body_of (r), "model_name"));
  fail_unless_equals_string (json_object_get_string_member (content (r, 0),
          "type"), "prompt");
  fail_unless_equals_string (json_object_get_string_member (content (r, 0),
          "text"), "a slow zoom");
  fail_unless_equals_string (json_object_get_string_member (content (r, 1),
          "type"), "first_frame");
  /* base64 of the bytes, without a data: prefix */
  fail_unless_equals_string (json_object_get_string_member (content (r, 1),
          "url"), b64);
  fail_unless_equals_string (json_object_get_string_member (content (r, 2),
          "type"), "last_frame");
  settings = json_object_get_object_member (body_of (r), "settings");
  fail_unless_equals_string (json_object_get_string_member (settings,
          "resolution"), "4k");
  /* an integer here, not /v1's string */
  fail_unless_equals_int (json_node_get_value_type (json_object_get_member
          (settings, "duration")), G_TYPE_INT64);
  fail_unless_equals_int (json_object_get_int_member (settings, "duration"),
      12);
  fail_unless_equals_string (json_object_get_string_member (settings, "audio"),
      "native");
  /* Kling's default is true: false is sent */
  fail_unless (json_object_has_member (settings, "multi_shot"));
  fail_unless (!json_object_get_boolean_member (settings, "multi_shot"));
  fail_unless (!json_object_has_member (body_of (r), "options"));
  fail_unless (!json_object_has_member (body_of (r), "cfg_scale"));
  fail_unless_equals_float (kling_request_get_duration_s (r), 12);
  fail_unless_equals_string (kling_request_get_mode (r), "4k");
  /* the summary describes the images, never their bytes */
  summary = json_to_string (r->summary, FALSE);
  fail_unless (strstr (summary, b64) == NULL);

  /* kling-3.0-turbo always makes native audio; 1080p is "pro" */
  p = i2v_params ("kling-3.0-turbo", image);
  p.mode = KLING_MODE_PRO;
  turbo = kling_image2video_request_new (&p, NULL);
  fail_unless (turbo != NULL);
  settings = json_object_get_object_member (body_of (turbo), "settings");
  fail_unless_equals_string (json_object_get_string_member (settings, "audio"),
      "native");
  fail_unless_equals_string (json_object_get_string_member (settings,
          "resolution"), "1080p");

  p = i2v_params ("kling-2.5-turbo", image);
  p.callback_url = "https://example.com/hook";
  cb = kling_image2video_request_new (&p, NULL);
  fail_unless (cb != NULL);
  settings = json_object_get_object_member (body_of (cb), "settings");
  fail_unless_equals_string (json_object_get_string_member (settings, "audio"),
      "off");
  fail_unless_equals_string (json_object_get_string_member
      (json_object_get_object_member (body_of (cb), "options"), "callback_url"),
      "https://example.com/hook");
}

GST_END_TEST;

GST_START_TEST (test_text2video_body)
{
  KlingText2VideoParams p = {
    .model_name = "kling-2.6",.mode = KLING_MODE_PRO,.duration_s = 10,.prompt =
        "rain",
    .sound = TRUE,.cfg_scale = 0.5,
  };
  g_autoptr (KlingRequest) r = kling_text2video_request_new (&p, NULL);
  JsonArray *contents;

  fail_unless (r != NULL);
  fail_unless_equals_string (r->create_path, "/text-to-video/kling-2.6");
  contents = json_object_get_array_member (body_of (r), "contents");
  fail_unless_equals_int (json_array_get_length (contents), 1);
  fail_unless (!json_object_has_member (body_of (r), "aspect_ratio"));
  fail_unless_equals_string (json_object_get_string_member
      (json_object_get_object_member (body_of (r), "settings"), "audio"),
      "native");
}

GST_END_TEST;

GST_START_TEST (test_refusals)
{
  g_autoptr (GBytes) image = still_jpeg ();
  struct
  {
    KlingImage2VideoParams p;
    const gchar *sentence;
  } cases[8];
  KlingText2VideoParams t = {
    .model_name = "kling-3.0",.mode = KLING_MODE_STD,.duration_s = 5,.prompt =
        "rain",
    .aspect_ratio = KLING_ASPECT_RATIO_9_16,
  };
  g_autoptr (GError) t_err = NULL;
  guint i, n = 0;

#define CASE(model, text) (cases[n].p = i2v_params (model, image), \
    cases[n].sentence = text, &cases[n++].p)
  CASE ("kling-2.6",
      "kling-2.6 renders 5 or 10 s, not 7 s: set duration to 5 or 10, or "
      "use kling-3.0 (3 to 15 s)")->duration_s = 7;
  CASE ("kling-2.6",
      "kling-2.6 makes native audio only in pro mode (1080p): set mode=pro "
      "or sound=false")->sound = TRUE;
  CASE ("kling-3.0-turbo",
      "kling-3.0-turbo does not render 4k: set mode to std (720p) or pro "
      "(1080p); 4k " "is only on kling-3.0 of Kling's per-model API")->mode =
      KLING_MODE_4K;
  CASE ("kling-3.0-turbo",
      "kling-3.0-turbo takes no end frame: drop the end frame, or use "
      "kling-3.0")->image_tail = image;
  CASE ("kling-2.5-turbo",
      "kling-2.5-turbo takes an end frame only in pro mode (1080p): "
      "set mode=pro, or drop the end frame")->image_tail = image;
  CASE ("kling-3.0",
      "kling-3.0 is on Kling's per-model API, which takes no negative "
      "prompt: unset negative-prompt, or use a model of the /v1 API")->negative_prompt
      = "blur";
#undef CASE
  for (i = 0; i < n; i++) {
    g_autoptr (GError) err = NULL;
    g_autoptr (KlingRequest) r =
        kling_image2video_request_new (&cases[i].p, &err);

    fail_unless (r == NULL, "case %u accepted", i);
    fail_unless (g_error_matches (err, KLING_ERROR, KLING_ERROR_INVALID_INPUT));
    fail_unless_equals_int (kling_error_get_http_status (err), 0);
    fail_unless_equals_string (err->message, cases[i].sentence);
  }
  fail_unless (kling_text2video_request_new (&t, &t_err) == NULL);
  fail_unless_equals_string (t_err->message,
      "kling-3.0 is on Kling's per-model API, whose "
      "text-to-video renders 16:9 only: set aspect-ratio=16:9, or use a model of the /v1 "
      "API for 9:16");
}

GST_END_TEST;

GST_START_TEST (test_cache_keys)
{
  g_autoptr (GBytes) image = still_jpeg ();
  KlingImage2VideoParams p = i2v_params ("kling-3.0", image);
  g_autoptr (KlingRequest) a = kling_image2video_request_new (&p, NULL);
  g_autoptr (KlingRequest) with_cb = NULL, v1 = NULL, other = NULL;
  g_autofree gchar *ka = NULL, *kcb = NULL, *kid = NULL, *kv1 = NULL, *kother =
      NULL;
  JsonObject *options = json_object_new ();

  p.callback_url = "https://example.com/hook";
  with_cb = kling_image2video_request_new (&p, NULL);
  p.callback_url = NULL;
  p.model_name = "kling-v3";
  v1 = kling_image2video_request_new (&p, NULL);
  p.model_name = "kling-2.6";
  other = kling_image2video_request_new (&p, NULL);
  ka = kling_request_cache_key (a);
  kcb = kling_request_cache_key (with_cb);
  kv1 = kling_request_cache_key (v1);
  kother = kling_request_cache_key (other);
  /* The job's external id in options does not change the key either. */
  json_object_set_string_member (options, "external_task_id", "gstkling-x");
  json_object_set_object_member (body_of (a), "options", options);
  kid = kling_request_cache_key (a);
  fail_unless_equals_string (ka, kcb);
  fail_unless_equals_string (ka, kid);
  fail_if (g_str_equal (ka, kv1));
  fail_if (g_str_equal (ka, kother));
}

GST_END_TEST;

/* --- the task object ----------------------------------------------------------------------- */

static KlingTask *
parse (const gchar * json, GError ** error)
{
  g_autoptr (JsonNode) node = json_from_string (json, NULL);

  return kling_task_new_from_v2_json (node, "R-1", error);
}

GST_START_TEST (test_task_objects)
{
  g_autoptr (KlingTask) done =
      parse ("{\"id\": \"T\", \"status\": \"succeeded\", "
      "\"external_id\": \"E\", \"create_time\": 1764000000, \"outputs\": [{\"type\": "
      "\"image\", \"url\": \"u0\"}, {\"type\": \"video\", \"id\": 7, \"url\": \"u1\", "
      "\"watermark_url\": \"w1\", \"duration\": \"5.1\"}], \"billing\": [{\"charge_type\": "
      "\"cash\", \"amount\": \"0.3\", \"currency\": \"USD\"}, {\"charge_type\": \"cash\", "
      "\"amount\": \"0.12\", \"currency\": \"USD\"}, {\"charge_type\": \"unit\", "
      "\"amount\": \"9\"}]}", NULL);
  g_autoptr (KlingTask) units =
      parse ("{\"id\": \"T\", \"status\": \"processing\", "
      "\"billing\": [{\"charge_type\": \"unit\", \"amount\": \"2.5\"}]}", NULL);
  g_autoptr (KlingTask) failed =
      parse ("{\"id\": \"T\", \"status\": \"failed\", "
      "\"message\": \"risk control\"}", NULL);
  g_autoptr (GError) e1 = NULL, e2 = NULL;
  g_autoptr (JsonNode) array =
      json_from_string ("[{\"id\": \"A\", \"external_id\": \"x\"},"
      " 3, {\"id\": \"B\", \"external_id\": \"y\", \"status\": \"queued\"}]",
      NULL);
  const gchar *status = NULL;

  fail_unless (done != NULL);
  fail_unless_equals_int (done->status, KLING_TASK_SUCCEED);
  fail_unless_equals_string (done->external_task_id, "E");
  fail_unless_equals_string (done->video_url, "u1");
  fail_unless_equals_string (done->video_id, "7");
  fail_unless_equals_string (done->video_watermark_url, "w1");
  fail_unless_equals_float (done->video_duration_s, 5.1);
  fail_unless (done->created_at_ms == G_GINT64_CONSTANT (1764000000000));
  /* the USD entries add up; the entry in units is another unit */
  fail_unless_equals_string (done->charge_unit, "USD");
  fail_unless_equals_float (done->charge_amount, 0.42);
  fail_unless_equals_string (done->charge, "0.42");
  fail_unless_equals_string (units->charge, "2.5");
  fail_unless_equals_string (units->charge_unit, "units");
  fail_unless_equals_int (failed->status, KLING_TASK_FAILED);
  fail_unless_equals_string (failed->status_msg, "risk control");
  /* /v1's "succeed" is not this API's status; a success needs a video */
  fail_unless (parse ("{\"id\": \"T\", \"status\": \"succeed\"}", &e1) == NULL);
  fail_unless (g_error_matches (e1, KLING_ERROR, KLING_ERROR_PROTOCOL));
  fail_unless (parse
      ("{\"id\": \"T\", \"status\": \"succeeded\", \"outputs\": []}",
          &e2) == NULL);
  fail_unless (g_error_matches (e2, KLING_ERROR, KLING_ERROR_PROTOCOL));

  fail_unless (kling_tasks_v2_find (array, "B", FALSE) == json_array_get_element
      (json_node_get_array (array), 2));
  fail_unless (kling_tasks_v2_find (array, "x", TRUE) == json_array_get_element
      (json_node_get_array (array), 0));
  fail_unless (kling_tasks_v2_find (array, "C", FALSE) == NULL);
  fail_unless (kling_task_v2_has_unknown_status (kling_tasks_v2_find (array,
              "B", FALSE), &status));
  fail_unless_equals_string (status, "queued");
}

GST_END_TEST;

static Suite *
requests_v2_suite (void)
{
  Suite *s = suite_create ("kling-requests-v2");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_image2video_bodies);
  tcase_add_test (tc, test_text2video_body);
  tcase_add_test (tc, test_refusals);
  tcase_add_test (tc, test_cache_keys);
  tcase_add_test (tc, test_task_objects);
  return s;
}

GST_CHECK_MAIN (requests_v2);
