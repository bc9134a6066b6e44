/* Unit tests: the task object and the envelope parsed from answers, including hostile and
 * foreign shapes, and what each endpoint does with external ids. */
#include <gst/check/gstcheck.h>
#include <string.h>
#include "kling-task.h"
#include "kling-error.h"

static KlingTask *
parse (const gchar * json, GError ** error)
{
  g_autoptr (JsonNode) node = json_from_string (json, NULL);

  fail_unless (node != NULL, "test JSON does not parse: %s", json);
  return kling_task_new_from_json (node, "req-1", error);
}

GST_START_TEST (test_task_succeeded)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (KlingTask) task =
      parse ("{\"task_id\": \"860\", \"task_status\": \"succeed\","
      " \"task_status_msg\": \"\", \"task_info\": {\"external_task_id\": \"gstkling-1\"},"
      " \"created_at\": 1722769557708, \"updated_at\": 1722769615000,"
      " \"final_unit_deduction\": \"1\", \"future_field\": {\"x\": [1]},"
      " \"task_result\": {\"videos\": [{\"id\": \"v-1\", \"url\": \"http://h/v.mp4\","
      " \"duration\": \"5.1\", \"watermark_url\": \"http://h/w.mp4\"},"
      " {\"id\": \"v-2\", \"url\": \"http://h/2.mp4\", \"duration\": \"5\"}]}}",
      &err);
  g_autoptr (KlingTask) copy = NULL;

  fail_unless (task != NULL, "%s", err ? err->message : "");
  fail_unless_equals_string (task->task_id, "860");
  fail_unless (task->status == KLING_TASK_SUCCEED);
  fail_unless (task->status_msg == NULL);
  fail_unless_equals_string (task->external_task_id, "gstkling-1");
  fail_unless_equals_int64 (task->created_at_ms, 1722769557708);
  fail_unless_equals_int64 (task->updated_at_ms, 1722769615000);
  fail_unless_equals_string (task->video_id, "v-1");
  fail_unless_equals_string (task->video_url, "http://h/v.mp4");
  fail_unless (task->video_duration_s > 5.09 && task->video_duration_s < 5.11);
  fail_unless_equals_string (task->request_id, "req-1");
  fail_unless_equals_string (task->video_watermark_url, "http://h/w.mp4");
  fail_unless_equals_string (task->charge, "1");
  fail_unless (task->charge_amount == 1.0);
  fail_unless_equals_string (task->charge_unit, "credits");

  copy = kling_task_copy (task);
  g_clear_pointer (&task, kling_task_free);
  fail_unless_equals_string (copy->video_url, "http://h/v.mp4");
  fail_unless_equals_string (copy->external_task_id, "gstkling-1");
  fail_unless_equals_string (copy->video_watermark_url, "http://h/w.mp4");
  fail_unless_equals_string (copy->charge, "1");
  fail_unless_equals_string (copy->charge_unit, "credits");
}

GST_END_TEST;

GST_START_TEST (test_task_in_progress_minimal)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (KlingTask) task =
      parse ("{\"task_id\": \"1\", \"task_status\": \"submitted\"}", &err);

  fail_unless (task != NULL);
  fail_unless (task->status == KLING_TASK_SUBMITTED);
  fail_unless (task->video_url == NULL && task->external_task_id == NULL);
  fail_unless_equals_int64 (task->created_at_ms, 0);
  /* Not charged yet, or Kling did not say. */
  fail_unless (task->charge == NULL && task->charge_unit == NULL);
  fail_unless (task->charge_amount == 0);
  fail_unless_equals_string (kling_task_status_to_string
      (KLING_TASK_PROCESSING), "processing");
}

GST_END_TEST;

GST_START_TEST (test_task_failed_keeps_reason)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (KlingTask) task =
      parse ("{\"task_id\": \"2\", \"task_status\": \"failed\","
      " \"task_status_msg\": \"risk control\"}", &err);

  fail_unless (task != NULL);
  fail_unless (task->status == KLING_TASK_FAILED);
  fail_unless_equals_string (task->status_msg, "risk control");
}

GST_END_TEST;

GST_START_TEST (test_task_protocol_errors)
{
  static const gchar *const bad[] = {
    "[]", "null", "\"x\"", "{}",
    "{\"task_status\": \"submitted\"}",
    "{\"task_id\": 12, \"task_status\": \"submitted\"}",
    "{\"task_id\": \"\", \"task_status\": \"submitted\"}",
    "{\"task_id\": \"1\"}",
    "{\"task_id\": \"1\", \"task_status\": 3}",
    "{\"task_id\": \"1\", \"task_status\": \"SUCCEED\"}",
    "{\"task_id\": \"1\", \"task_status\": \"done\"}",
    "{\"task_id\": \"1\", \"task_status\": \"succeed\"}",
    "{\"task_id\": \"1\", \"task_status\": \"succeed\", \"task_result\": []}",
    "{\"task_id\": \"1\", \"task_status\": \"succeed\", \"task_result\": {\"videos\": []}}",
    "{\"task_id\": \"1\", \"task_status\": \"succeed\", \"task_result\": {\"videos\": [7]}}",
    "{\"task_id\": \"1\", \"task_status\": \"succeed\", \"task_result\": {\"videos\": "
        "[{\"id\": \"v\"}]}}",
    "{\"task_id\": \"1\", \"task_status\": \"succeed\", \"task_result\": {\"videos\": "
        "[{\"id\": \"v\", \"url\": 5}]}}",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) err = NULL;
    g_autoptr (KlingTask) task = parse (bad[i], &err);

    fail_unless (task == NULL, "accepted %s", bad[i]);
    fail_unless (g_error_matches (err, KLING_ERROR, KLING_ERROR_PROTOCOL), "%s",
        bad[i]);
    fail_unless_equals_string (kling_error_get_request_id (err), "req-1");
  }
  /* NULL data is refused without a crash as well. */
  {
    g_autoptr (GError) err = NULL;
    fail_unless (kling_task_new_from_json (NULL, NULL, &err) == NULL);
    fail_unless (g_error_matches (err, KLING_ERROR, KLING_ERROR_PROTOCOL));
  }
}

GST_END_TEST;

/* Optional fields of the wrong type are ignored, not fatal. */
GST_START_TEST (test_task_tolerates_odd_optionals)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (KlingTask) task =
      parse ("{\"task_id\": \"3\", \"task_status\": \"succeed\","
      " \"task_info\": [], \"created_at\": \"yesterday\", \"updated_at\": 1.5e12,"
      " \"task_status_msg\": 5, \"task_result\": {\"videos\": [{\"id\": 42,"
      " \"url\": \"http://h/x.mp4\", \"duration\": \"abc\"}]}}", &err);

  fail_unless (task != NULL, "%s", err ? err->message : "");
  fail_unless (task->external_task_id == NULL && task->status_msg == NULL);
  fail_unless_equals_int64 (task->created_at_ms, 0);
  fail_unless_equals_int64 (task->updated_at_ms, 1500000000000);
  fail_unless_equals_string (task->video_id, "42");
  fail_unless (task->video_duration_s == 0);
}

GST_END_TEST;

/* Found by tests/fuzz/fuzz-envelope: numbers beyond gint64 and "nan"/"inf" strings are not
 * values of any field; reading them must neither convert out of range nor pass them on. */
GST_START_TEST (test_numbers_out_of_range)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (KlingTask) task =
      parse ("{\"task_id\": \"4\", \"task_status\": \"succeed\","
      " \"created_at\": 1e41, \"updated_at\": -1e300, \"task_result\": {\"videos\": ["
      "{\"id\": \"v\", \"url\": \"http://h/x.mp4\", \"duration\": \"nan\"}]}}",
      &err);
  g_autoptr (GError) code_error = NULL;
  g_autoptr (JsonNode) data = NULL;

  fail_unless (task != NULL, "%s", err ? err->message : "");
  fail_unless_equals_int64 (task->created_at_ms, 0);
  fail_unless_equals_int64 (task->updated_at_ms, 0);
  fail_unless (task->video_duration_s == 0);

  data = kling_envelope_parse (429, "{\"code\": 1e041}", 15, NULL, &code_error);
  fail_unless (data == NULL);
  fail_unless_equals_int (kling_error_get_kling_code (code_error), -1);
}

GST_END_TEST;

GST_START_TEST (test_endpoints)
{
  KlingEndpoint e;

  fail_unless_equals_string (kling_endpoint_path (KLING_ENDPOINT_IMAGE2VIDEO),
      "/v1/videos/image2video");
  fail_unless_equals_string (kling_endpoint_path
      (KLING_ENDPOINT_ADVANCED_LIP_SYNC), "/v1/videos/advanced-lip-sync");
  fail_unless_equals_string (kling_endpoint_name (KLING_ENDPOINT_LIP_SYNC),
      "lip-sync");
  fail_unless (kling_endpoint_from_name ("video-extend", &e));
  fail_unless (e == KLING_ENDPOINT_VIDEO_EXTEND);
  fail_unless (!kling_endpoint_from_name ("nope", &e));
}

GST_END_TEST;


/* final_unit_deduction as Kling writes it: a string, an integer, a fraction; odd shapes
 * are ignored, never fatal. */
GST_START_TEST (test_task_charge_shapes)
{
  static const struct
  {
    const gchar *value;
    const gchar *charge;
    gdouble amount;
  } cases[] = {
    {"\"1\"", "1", 1.0}, {"\"0.2\"", "0.2", 0.2}, {"2", "2", 2.0}, {"0.5",
        "0.5", 0.5},
    {"10.0", "10", 10.0}, {"\"0\"", "0", 0.0},
    {"null", NULL, 0}, {"\"\"", NULL, 0}, {"\"a lot\"", NULL, 0}, {"\"-1\"",
        NULL, 0},
    {"-3", NULL, 0}, {"{\"units\": 1}", NULL, 0}, {"[1]", NULL, 0}, {"true",
        NULL, 0},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *json =
        g_strdup_printf ("{\"task_id\": \"t\", \"task_status\": "
        "\"processing\", \"final_unit_deduction\": %s}", cases[i].value);
    g_autoptr (GError) err = NULL;
    g_autoptr (KlingTask) task = parse (json, &err);

    fail_unless (task != NULL, "%s: %s", json, err ? err->message : "");
    fail_unless_equals_string (task->charge, cases[i].charge);
    fail_unless (task->charge_amount == cases[i].amount, "%s", json);
    fail_unless_equals_string (task->charge_unit,
        cases[i].charge ? "credits" : NULL);
  }
}

GST_END_TEST;

static GError *
parse_envelope (guint http, const gchar * body)
{
  GError *err = NULL;

  fail_unless (kling_envelope_parse (http, body, body ? strlen (body) : 0, NULL,
          &err) == NULL, "%s accepted", body);
  return err;
}

/* "Not Kling's envelope at all" is told from "Kling's envelope with a bad task". */
GST_START_TEST (test_envelope_foreign_answers)
{
  static const struct
  {
    guint http;
    const gchar *body;
    KlingErrorCode code;
    const gchar *message;
  } foreign[] = {
    {200, "<!DOCTYPE html><html>portal</html>", KLING_ERROR_PROTOCOL,
        "an HTML page"},
    {200, "  \n<html>", KLING_ERROR_PROTOCOL, "an HTML page"},
    {200, "OK", KLING_ERROR_PROTOCOL, "an answer that is not JSON"},
    {200, "", KLING_ERROR_PROTOCOL, "an empty answer"},
    {200, NULL, KLING_ERROR_PROTOCOL, "an empty answer"},
    {200, "[1, 2]", KLING_ERROR_PROTOCOL, "JSON that is not an object"},
    {200, "{}", KLING_ERROR_PROTOCOL, "JSON without Kling's code and data"},
    {200, "{\"result\": {\"task_id\": \"x\"}}", KLING_ERROR_PROTOCOL,
        "JSON without Kling's code and data"},
    {404, "<html>404</html>", KLING_ERROR_INVALID_INPUT, "an HTML page"},
    {503, "<html>", KLING_ERROR_SERVER, "an HTML page"},
    {403, "{\"detail\": \"forbidden\"}", KLING_ERROR_PERMISSION,
        "JSON without Kling's code and data: forbidden"},
  };
  static const gchar *const kling[] = {
    "{\"code\": 0}", "{\"code\": 0, \"data\": null}",
    "{\"code\": \"0\", \"data\": {}}",
    "{\"data\": {}}", "{\"code\": 1201, \"message\": \"bad duration\"}",
    "{\"error\": \"Subscription required\"}",
    /* Kling's answer cut short or garbled on the way: a glitch, not another server. */
    "{\"code\": 0, \"data\": <html>not json",
    "  {\"code\": 0, \"data\": {\"task_id\"",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (foreign); i++) {
    g_autoptr (GError) err = parse_envelope (foreign[i].http, foreign[i].body);

    fail_unless (g_error_matches (err, KLING_ERROR, foreign[i].code), "%s: %s",
        foreign[i].body, err->message);
    fail_unless (kling_error_is_foreign_answer (err), "%s", foreign[i].body);
    fail_unless_equals_string (err->message, foreign[i].message);
    fail_unless_equals_int (kling_error_get_http_status (err), foreign[i].http);
  }
  /* A server error without an envelope is still retried. */
  {
    g_autoptr (GError) err = parse_envelope (502, "<html>Bad Gateway</html>");
    fail_unless (kling_error_is_retryable (err));
  }
  for (i = 0; i < G_N_ELEMENTS (kling); i++) {
    g_autoptr (GError) err = parse_envelope (200, kling[i]);

    fail_unless (!kling_error_is_foreign_answer (err), "%s", kling[i]);
  }
}

GST_END_TEST;

/* Which bodies carry external_task_id, and which queries find a task by it. */
GST_START_TEST (test_endpoints_external_ids)
{
  KlingEndpoint e;

  fail_unless (kling_endpoint_takes_external_id (KLING_ENDPOINT_IMAGE2VIDEO));
  fail_unless (kling_endpoint_resolves_external_id
      (KLING_ENDPOINT_IMAGE2VIDEO));
  fail_unless (kling_endpoint_takes_external_id (KLING_ENDPOINT_TEXT2VIDEO));
  fail_unless (kling_endpoint_resolves_external_id (KLING_ENDPOINT_TEXT2VIDEO));
  fail_unless (kling_endpoint_takes_external_id (KLING_ENDPOINT_VIDEO_EXTEND));
  fail_unless (kling_endpoint_resolves_external_id
      (KLING_ENDPOINT_VIDEO_EXTEND));
  /* One-step lip-sync: no such field at all; advanced: in the body, not in the query. */
  fail_unless (!kling_endpoint_takes_external_id (KLING_ENDPOINT_LIP_SYNC));
  fail_unless (!kling_endpoint_resolves_external_id (KLING_ENDPOINT_LIP_SYNC));
  fail_unless (kling_endpoint_takes_external_id
      (KLING_ENDPOINT_ADVANCED_LIP_SYNC));
  fail_unless (!kling_endpoint_resolves_external_id
      (KLING_ENDPOINT_ADVANCED_LIP_SYNC));
  fail_unless (!kling_endpoint_takes_external_id
      (KLING_ENDPOINT_IDENTIFY_FACE));
  fail_unless (!kling_endpoint_resolves_external_id
      (KLING_ENDPOINT_IDENTIFY_FACE));

  fail_unless (kling_endpoint_from_path ("/v1/videos/text2video", &e));
  fail_unless (e == KLING_ENDPOINT_TEXT2VIDEO);
  fail_unless (kling_endpoint_from_path ("/v1/videos/advanced-lip-sync", &e));
  fail_unless (e == KLING_ENDPOINT_ADVANCED_LIP_SYNC);
  fail_unless (!kling_endpoint_from_path ("/v1/videos/text2video/T-1", &e));
  fail_unless (!kling_endpoint_from_path (NULL, &e));
}

GST_END_TEST;

static Suite *
task_suite (void)
{
  Suite *s = suite_create ("kling-task");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_task_succeeded);
  tcase_add_test (tc, test_task_in_progress_minimal);
  tcase_add_test (tc, test_task_failed_keeps_reason);
  tcase_add_test (tc, test_task_protocol_errors);
  tcase_add_test (tc, test_task_tolerates_odd_optionals);
  tcase_add_test (tc, test_numbers_out_of_range);
  tcase_add_test (tc, test_endpoints);
  tcase_add_test (tc, test_task_charge_shapes);
  tcase_add_test (tc, test_envelope_foreign_answers);
  tcase_add_test (tc, test_endpoints_external_ids);
  return s;
}

GST_CHECK_MAIN (task);
