/* The client on Kling's per-model API against the in-process kling-sandbox, whose own
 * reading of the contract (gst/kling/sandbox/README.md, "The per-model API") is the
 * referee: a render on each model of that API, polled in batches (the sandbox counts the
 * ids each GET /tasks carried), billing as the charge, recovery by external id after a
 * lost create answer, a failed task's reason, and AK/SK refused before any request. */
#include <gst/check/gstcheck.h>
#include <string.h>
#include "kling-sandbox.h"
#include "kling-requests.h"
#include "client-test-util.h"

#define ACCESS_KEY "AK-v2"
#define SECRET_KEY "SK-v2-do-not-log-me"
#define API_KEY "key-v2-do-not-log-me"

static KlingSandbox *sandbox;
static gchar *cache_dir;

static void
setup (void)
{
  KlingSandboxOptions options;
  g_autoptr (GError) err = NULL;

  kling_sandbox_options_init (&options);
  options.access_key = ACCESS_KEY;
  options.secret_key = SECRET_KEY;
  options.api_key = API_KEY;
  options.queue_delay_s = 0.1;
  options.render_delay_s = 0.5;
  options.video_scale = 0.25;
  sandbox = kling_sandbox_start (&options, &err);
  fail_unless (sandbox != NULL, "sandbox: %s", err ? err->message : "");
  cache_dir = g_dir_make_tmp ("kling-v2-sandbox-XXXXXX", NULL);
}

static void
teardown (void)
{
  g_clear_pointer (&sandbox, kling_sandbox_stop);
  test_remove_tree (cache_dir);
  g_clear_pointer (&cache_dir, g_free);
}

static KlingClient *
client_with (KlingAuth * auth)
{
  KlingRetryPolicy policy = {
    .max_attempts = 4,.base_delay_ms = 20,.max_delay_ms = 100,.deadline_s = 60,
  };
  KlingClient *c =
      kling_client_acquire (kling_sandbox_get_base_url (sandbox), auth, NULL);

  fail_unless (c != NULL);
  kling_client_set_policy (c, &policy);
  return c;
}

static KlingClient *
api_key_client (void)
{
  return client_with (kling_auth_new_static (API_KEY,
          KLING_AUTH_HEADER_BEARER));
}

static KlingRequest *
still_request (const gchar * model, KlingMode mode, const gchar * prompt)
{
  g_autofree gchar *path =
      g_build_filename (KLING_MEDIA_DIR, "still.jpg", NULL);
  g_autoptr (GBytes) image = NULL;
  g_autoptr (GError) err = NULL;
  KlingImage2VideoParams p = {
    .model_name = model,.mode = mode,.duration_s = 5,.cfg_scale = 0.5,
    .prompt = prompt,
  };
  KlingRequest *request;
  gchar *data;
  gsize len;

  fail_unless (g_file_get_contents (path, &data, &len, NULL));
  image = g_bytes_new_take (data, len);
  p.image = image;
  request = kling_image2video_request_new (&p, &err);
  fail_unless (request != NULL, "%s: %s", model, err ? err->message : "");
  return request;
}

static KlingJob *
start (KlingClient * client, KlingRequest * request, JobOutcome * o)
{
  KlingJobOptions options = {.poll_interval_s = 0.1,.timeout_s = 60,
    .cache_dir = cache_dir
  };

  job_outcome_init (o);
  return kling_client_start_job (client, request, &options,
      &job_outcome_callbacks, o, job_outcome_notify);
}

static void
finish (KlingJob * job, JobOutcome * o)
{
  fail_unless (job_outcome_wait (o, 60));
  kling_job_unref (job);
  fail_unless (job_outcome_wait_notified (o, 10));
  job_outcome_clear (o);
}

static gint64
counter (const gchar * group, const gchar * name)
{
  return kling_sandbox_get_counter (sandbox, group, name);
}

/* Each model of the per-model API, four renders at once in one client: their polls go
 * out together, and each is charged what the sandbox's price list says (the table's
 * estimate, since both read the same prices). */
GST_START_TEST (test_each_model_renders_in_batches)
{
  static const struct
  {
    const gchar *model;
    KlingMode mode;
    const gchar *charge;
  } renders[] = {
    {"kling-3.0", KLING_MODE_STD, "0.42"},
    {"kling-3.0-turbo", KLING_MODE_STD, "0.56"},
    {"kling-2.6", KLING_MODE_PRO, "0.35"},
    {"kling-2.5-turbo", KLING_MODE_STD, "0.21"},
  };
  g_autoptr (KlingClient) client = api_key_client ();
  JobOutcome o[G_N_ELEMENTS (renders)];
  KlingJob *jobs[G_N_ELEMENTS (renders)];
  guint i;

  for (i = 0; i < G_N_ELEMENTS (renders); i++) {
    g_autoptr (KlingRequest) request =
        still_request (renders[i].model, renders[i].mode, "a slow zoom");
    jobs[i] = start (client, request, &o[i]);
  }
  for (i = 0; i < G_N_ELEMENTS (renders); i++) {
    g_autofree gchar *path =
        g_strconcat ("image-to-video/", renders[i].model, NULL);
    gdouble usd = 0;

    fail_unless (job_outcome_wait (&o[i], 60), "%s did not finish",
        renders[i].model);
    fail_unless (o[i].error == NULL, "%s: %s", renders[i].model,
        o[i].error->message);
    fail_unless (g_file_test (o[i].mp4_path, G_FILE_TEST_IS_REGULAR));
    fail_unless_equals_string (o[i].task->charge, renders[i].charge);
    fail_unless_equals_string (o[i].task->charge_unit, "USD");
    fail_unless (kling_models_estimate (renders[i].model,
            KLING_ENDPOINT_IMAGE2VIDEO, renders[i].mode, 5, FALSE, &usd, NULL));
    fail_unless_equals_float (o[i].task->charge_amount, usd);
    fail_unless_equals_int (counter ("model_creates", path), 1);
  }
  /* One request carried every task: the batch, not one GET per task. */
  fail_unless_equals_int (counter (NULL, "tasks_query_ids_max"), 4);
  fail_unless (counter (NULL, "tasks_queries") < counter (NULL,
          "tasks_query_ids_total"),
      "%" G_GINT64_FORMAT " queries for %" G_GINT64_FORMAT " ids",
      counter (NULL, "tasks_queries"), counter (NULL, "tasks_query_ids_total"));
  fail_unless_equals_int (counter (NULL, "multi_shot_creates"), 0);
  fail_unless_equals_int (counter ("requests", "GET /v1/videos/image2video"),
      0);
  for (i = 0; i < G_N_ELEMENTS (renders); i++)
    finish (jobs[i], &o[i]);
}

GST_END_TEST;

GST_START_TEST (test_text2video)
{
  g_autoptr (KlingClient) client = api_key_client ();
  KlingText2VideoParams p = {
    .model_name = "kling-3.0",.mode = KLING_MODE_STD,.duration_s = 3,
    .prompt = "a red fox in the snow",.sound = TRUE,
  };
  g_autoptr (KlingRequest) request = kling_text2video_request_new (&p, NULL);
  JobOutcome o;
  KlingJob *job;

  fail_unless (request != NULL);
  job = start (client, request, &o);
  fail_unless (job_outcome_wait (&o, 60));
  fail_unless (o.error == NULL, "%s", o.error ? o.error->message : "");
  fail_unless_equals_int (counter ("model_creates", "text-to-video/kling-3.0"),
      1);
  /* 3 s at 720p with audio: 0.112 x 3 */
  fail_unless_equals_string (o.task->charge, "0.336");
  finish (job, &o);
}

GST_END_TEST;

GST_START_TEST (test_access_key_refused_before_any_request)
{
  g_autoptr (KlingClient) client = client_with (kling_auth_new_jwt (ACCESS_KEY,
          SECRET_KEY));
  g_autoptr (KlingRequest) request =
      still_request ("kling-3.0", KLING_MODE_STD, "p");
  g_autofree gchar *sentence = NULL;
  JobOutcome o;
  KlingJob *job = start (client, request, &o);

  fail_unless (job_outcome_wait (&o, 20));
  fail_unless (g_error_matches (o.error, KLING_ERROR, KLING_ERROR_AUTH));
  sentence = kling_error_dup_user_message (o.error);
  fail_unless (g_str_has_prefix (sentence,
          "kling-3.0 is on Kling's per-model API, which " "takes an API key"),
      "%s", sentence);
  fail_unless_equals_int (counter (NULL, "credentialed_requests"), 0);
  fail_unless_equals_int (counter ("requests",
          "POST /image-to-video/kling-3.0"), 0);
  fail_unless_equals_int (counter ("model_creates", "image-to-video/kling-3.0"),
      0);
  finish (job, &o);
}

GST_END_TEST;

/* The sandbox creates the task and drops the answer: the client finds it by its external
 * id (GET /tasks?external_task_ids=) instead of paying again. */
GST_START_TEST (test_lost_create_found_by_external_id)
{
  g_autoptr (KlingClient) client = api_key_client ();
  g_autoptr (KlingRequest) request =
      still_request ("kling-3.0", KLING_MODE_STD, "p");
  JobOutcome o;
  KlingJob *job;

  fail_unless (kling_sandbox_add_fault_json (sandbox,
          "{\"kind\": \"drop-after\", "
          "\"method\": \"POST\", \"path\": \"/image-to-video/kling-3.0\"}",
          NULL));
  job = start (client, request, &o);
  fail_unless (job_outcome_wait (&o, 60));
  fail_unless (o.error == NULL, "%s", o.error ? o.error->message : "");
  fail_unless_equals_int (counter (NULL, "faults_hit"), 1);
  fail_unless_equals_int (counter ("model_creates", "image-to-video/kling-3.0"),
      1);
  fail_unless_equals_int (counter ("requests",
          "POST /image-to-video/kling-3.0"), 1);
  fail_unless (g_str_has_prefix (o.task->external_task_id, "gstkling-"));
  finish (job, &o);
}

GST_END_TEST;

GST_START_TEST (test_failed_task_says_why)
{
  g_autoptr (KlingClient) client = api_key_client ();
  g_autoptr (KlingRequest) request =
      still_request ("kling-2.5-turbo", KLING_MODE_STD, "p");
  g_autofree gchar *sentence = NULL;
  JobOutcome o;
  KlingJob *job;

  fail_unless (kling_sandbox_add_fault_json (sandbox,
          "{\"kind\": \"fail-task\", "
          "\"path\": \"/image-to-video/\", \"message\": \"the image failed the content "
          "check\"}", NULL));
  job = start (client, request, &o);
  fail_unless (job_outcome_wait (&o, 60));
  fail_unless (g_error_matches (o.error, KLING_ERROR, KLING_ERROR_TASK_FAILED));
  fail_unless_equals_string (kling_error_get_task_status_msg (o.error),
      "the image failed the content check");
  sentence = kling_error_dup_user_message (o.error);
  fail_unless (strstr (sentence, "the image failed the content check") != NULL,
      "%s", sentence);
  finish (job, &o);
}

GST_END_TEST;

static Suite *
per_model_sandbox_suite (void)
{
  Suite *s = suite_create ("kling-per-model-sandbox");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 120);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_each_model_renders_in_batches);
  tcase_add_test (tc, test_text2video);
  tcase_add_test (tc, test_access_key_refused_before_any_request);
  tcase_add_test (tc, test_lost_create_found_by_external_id);
  tcase_add_test (tc, test_failed_task_says_why);
  return s;
}

GST_CHECK_MAIN (per_model_sandbox);
