/* End-to-end tests of the client against the in-process kling-sandbox: real HTTP on
 * loopback, real MP4s, injected faults, and the sandbox's counters as the witness of what
 * was really sent (and paid for). */
#include <gst/check/gstcheck.h>
#include <string.h>
#include <glib/gstdio.h>
#include "kling-sandbox.h"
#include "kling-requests.h"
#include "kling-requests-lipsync.h"
#include "kling-cache.h"
#include "client-test-util.h"

#define ACCESS_KEY "AK-e2e"
#define SECRET_KEY "SK-e2e-do-not-log-me"
#define ENDPOINT_PATH "/v1/videos/image2video"

static KlingSandbox *sandbox;
static KlingClient *client;
static gchar *cache_dir;

static void
start_sandbox (gdouble render_delay_s)
{
  KlingSandboxOptions options;
  g_autoptr (GError) err = NULL;

  kling_sandbox_options_init (&options);
  options.access_key = ACCESS_KEY;
  options.secret_key = SECRET_KEY;
  options.queue_delay_s = 0.1;
  options.render_delay_s = render_delay_s;
  options.video_scale = 0.25;
  options.control = TRUE;
  sandbox = kling_sandbox_start (&options, &err);
  fail_unless (sandbox != NULL, "sandbox: %s", err ? err->message : "");
}

static KlingClient *
new_client (const gchar * secret)
{
  KlingRetryPolicy policy = {
    .max_attempts = 4,.base_delay_ms = 20,.max_delay_ms = 100,.deadline_s = 60,
  };
  KlingClient *c = kling_client_acquire (kling_sandbox_get_base_url (sandbox),
      kling_auth_new_jwt (ACCESS_KEY, secret), NULL);

  fail_unless (c != NULL);
  kling_client_set_policy (c, &policy);
  return c;
}

static void
setup (void)
{
  start_sandbox (0.3);
  client = new_client (SECRET_KEY);
  cache_dir = g_dir_make_tmp ("kling-e2e-XXXXXX", NULL);
}

static void
teardown (void)
{
  g_clear_pointer (&client, kling_client_unref);
  g_clear_pointer (&sandbox, kling_sandbox_stop);
  test_remove_tree (cache_dir);
  g_clear_pointer (&cache_dir, g_free);
}

/* --- helpers ----------------------------------------------------------------------------- */

static KlingRequest *
make_request (const gchar * prompt)
{
  g_autoptr (GError) err = NULL;
  KlingRequest *request = test_still_request (prompt, &err);

  fail_unless (request != NULL, "%s", err ? err->message : "");
  return request;
}

/* The options of the tests' jobs: quick polls, the test's cache. */
static KlingJobOptions
job_options (gdouble timeout_s)
{
  KlingJobOptions options = {
    .poll_interval_s = 0.1,.timeout_s = timeout_s,.cache_dir = cache_dir,
  };
  return options;
}

static KlingJob *
start_job_with (const gchar * prompt, const KlingJobOptions * options,
    JobOutcome * o)
{
  g_autoptr (KlingRequest) request = make_request (prompt);

  job_outcome_init (o);
  return kling_client_start_job (client, request, options,
      &job_outcome_callbacks, o, job_outcome_notify);
}

static KlingJob *
start_job (const gchar * prompt, gdouble timeout_s, JobOutcome * o)
{
  KlingJobOptions options = job_options (timeout_s);

  return start_job_with (prompt, &options, o);
}

/* A journal entry as another run (or process) would have left it. */
static void
journal_put (const gchar * key, KlingEndpoint endpoint,
    const gchar * external_task_id, const gchar * task_id)
{
  KlingJournalEntry entry = {
    .external_task_id = (gchar *) external_task_id,.task_id = (gchar *) task_id,
    .create_sent_ms = g_get_real_time () / 1000,
  };

  fail_unless (kling_journal_save (cache_dir, key, endpoint, &entry, NULL));
}

/* counters["requests"]["POST /v1/videos/image2video"] etc.; @section NULL: top level. */
static gint64
counter (const gchar * section, const gchar * name)
{
  return kling_sandbox_get_counter (sandbox, section, name);
}

static gint64
creates_sent (void)
{
  return counter ("requests", "POST " ENDPOINT_PATH);
}

static gint64
tasks_created (void)
{
  return counter ("tasks_created", "image2video");
}

static void
add_fault (const gchar * json)
{
  g_autoptr (GError) err = NULL;

  fail_unless (kling_sandbox_add_fault_json (sandbox, json, &err), "%s: %s",
      json, err ? err->message : "");
}

static guint
journal_entries (void)
{
  g_autofree gchar *path = g_build_filename (cache_dir, "journal", NULL);
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  while (dir && g_dir_read_name (dir))
    n++;
  return n;
}

static void
check_clip (JobOutcome * o)
{
  fail_unless (o->error == NULL, "job failed: %s",
      o->error ? o->error->message : "");
  fail_unless (o->mp4_path != NULL);
  fail_unless (g_str_has_prefix (o->mp4_path, cache_dir));
  fail_unless (kling_mp4_verify_file (o->mp4_path, NULL, NULL));
  fail_unless (o->task != NULL && o->task->status == KLING_TASK_SUCCEED);
  fail_unless (o->task->video_id != NULL);
}

/* A clip, and no journal entry left (the only job of the test is done). */
static void
check_success (JobOutcome * o)
{
  check_clip (o);
  fail_unless_equals_int (journal_entries (), 0);
}

/* Drops the test's reference and waits until the job is freed: nothing may still point
 * at @o when the test reuses or clears it, and no job may leak. */
static void
finish_job (KlingJob * job, JobOutcome * o)
{
  kling_job_unref (job);
  fail_unless (job_outcome_wait_notified (o, 5));
  fail_unless_equals_int (o->finished_calls, 1);
  fail_unless (!o->callbacks_off_worker);
}

/* --- tests ------------------------------------------------------------------------------- */

GST_START_TEST (test_render_then_cache_hit)
{
  JobOutcome o, again;
  KlingJob *job = start_job ("harbour at dawn", 30, &o);
  gint64 requests_before;
  g_autofree gchar *sidecar = NULL, *text = NULL;

  fail_unless (job_outcome_wait (&o, 30));
  check_success (&o);
  fail_unless_equals_int (o.submitted_calls, 1);
  fail_unless (o.progress_calls >= 1);
  fail_unless (o.callback_thread != g_thread_self ());
  fail_unless_equals_int (tasks_created (), 1);
  fail_unless_equals_int (creates_sent (), 1);
  fail_unless_equals_int (counter (NULL, "downloads"), 1);
  fail_unless (!o.cache_hit);
  /* the download's handle says where the clip went */
  {
    KlingDownloadStatus status;
    g_autofree gchar *final_path = NULL;

    fail_unless_equals_int (o.download_started_calls, 1);
    kling_download_progress_get_status (o.progress, &status);
    fail_unless_equals_int (status.state, KLING_DOWNLOAD_DONE);
    final_path = kling_download_progress_dup_final_path (o.progress);
    fail_unless_equals_string (final_path, o.mp4_path);
    fail_unless_equals_uint64 (status.written, (guint64) status.total);
  }
  /* the sidecar describes the request, without the image bytes */
  {
    g_autofree gchar *stem =
        g_strndup (o.mp4_path, strlen (o.mp4_path) - strlen (".mp4"));
    sidecar = g_strconcat (stem, ".json", NULL);
  }
  fail_unless (g_file_get_contents (sidecar, &text, NULL, NULL));
  fail_unless (strstr (text, "harbour at dawn") != NULL);
  fail_unless (strstr (text, o.task->task_id) != NULL);
  fail_unless (strlen (text) < 4096);
  finish_job (job, &o);

  /* The same request again: straight from the cache, not one HTTP request. */
  requests_before =
      counter ("requests",
      "GET " ENDPOINT_PATH) + creates_sent () + counter (NULL, "downloads");
  job = start_job ("harbour at dawn", 30, &again);
  fail_unless (job_outcome_wait (&again, 5));
  check_success (&again);
  fail_unless_equals_string (again.mp4_path, o.mp4_path);
  fail_unless_equals_string (again.task->task_id, o.task->task_id);
  fail_unless_equals_int (counter ("requests",
          "GET " ENDPOINT_PATH) + creates_sent () + counter (NULL, "downloads"),
      requests_before);
  fail_unless_equals_int (again.submitted_calls, 0);
  fail_unless (again.cache_hit);
  fail_unless_equals_int (again.download_started_calls, 0);
  finish_job (job, &again);
  job_outcome_clear (&o);
  job_outcome_clear (&again);
}

GST_END_TEST;

GST_START_TEST (test_wrong_secret_is_auth_without_retry)
{
  KlingClient *good = client;
  JobOutcome o;
  KlingJob *job;

  client = new_client ("not-the-secret");
  job = start_job ("wrong secret", 30, &o);
  fail_unless (job_outcome_wait (&o, 10));
  fail_unless (g_error_matches (o.error, KLING_ERROR, KLING_ERROR_AUTH), "%s",
      o.error ? o.error->message : "success?");
  fail_unless_equals_int (kling_error_get_http_status (o.error), 401);
  {
    g_autofree gchar *user = kling_error_dup_user_message (o.error);
    g_autofree gchar *details = kling_error_dup_details (o.error);
    const gchar *texts[] = { user, details, o.error->message };
    guint i;

    fail_unless (strstr (user, "check access-key and secret-key") != NULL, "%s",
        user);
    /* neither key nor token in anything a user or a log may see */
    for (i = 0; i < G_N_ELEMENTS (texts); i++) {
      fail_unless (strstr (texts[i], "not-the-secret") == NULL, "%s", texts[i]);
      fail_unless (strstr (texts[i], "eyJ") == NULL, "%s", texts[i]);
    }
  }
  fail_unless_equals_int (creates_sent (), 1);
  fail_unless_equals_int (tasks_created (), 0);
  /* nothing was created: no journal entry to resume */
  fail_unless_equals_int (journal_entries (), 0);
  finish_job (job, &o);
  kling_client_unref (client);
  client = good;
  job_outcome_clear (&o);
}

GST_END_TEST;

/* 1004 "expired": a fresh token and one more try, even for a create (it was refused). */
GST_START_TEST (test_expired_token_reminted_once)
{
  JobOutcome o;
  KlingJob *job;

  add_fault ("{\"method\": \"POST\", \"path\": \"" ENDPOINT_PATH
      "\", \"action\": \"status\","
      " \"http\": 401, \"code\": 1004, \"message\": \"token expired\"}");
  job = start_job ("expired token", 30, &o);
  fail_unless (job_outcome_wait (&o, 30));
  check_success (&o);
  fail_unless_equals_int (creates_sent (), 2);
  fail_unless_equals_int (tasks_created (), 1);
  finish_job (job, &o);
  job_outcome_clear (&o);

  /* Refused again after the fresh token: AUTH, no third try. */
  add_fault ("{\"method\": \"POST\", \"path\": \"" ENDPOINT_PATH
      "\", \"action\": \"status\","
      " \"http\": 401, \"code\": 1004, \"message\": \"token expired\", \"times\": 0}");
  job = start_job ("expired token twice", 30, &o);
  fail_unless (job_outcome_wait (&o, 30));
  fail_unless (g_error_matches (o.error, KLING_ERROR, KLING_ERROR_AUTH));
  fail_unless_equals_int (kling_error_get_kling_code (o.error), 1004);
  fail_unless_equals_int (creates_sent (), 4);
  finish_job (job, &o);
  job_outcome_clear (&o);
}

GST_END_TEST;

GST_START_TEST (test_rate_limit_honours_retry_after)
{
  JobOutcome o;
  KlingJob *job;
  gint64 start = g_get_monotonic_time ();

  add_fault ("{\"method\": \"POST\", \"path\": \"" ENDPOINT_PATH
      "\", \"action\": \"status\","
      " \"http\": 429, \"code\": 1303, \"message\": \"too many parallel tasks\","
      " \"retry_after\": 1}");
  job = start_job ("rate limited", 30, &o);
  fail_unless (job_outcome_wait (&o, 30));
  check_success (&o);
  /* Retry-After: 1 was honoured although the policy's backoff is 20-100 ms */
  fail_unless (g_get_monotonic_time () - start >= G_USEC_PER_SEC);
  fail_unless_equals_int (creates_sent (), 2);
  fail_unless_equals_int (tasks_created (), 1);
  fail_unless_equals_int (counter (NULL, "responses_429"), 1);
  finish_job (job, &o);
  job_outcome_clear (&o);
}

GST_END_TEST;

GST_START_TEST (test_quota_fails_at_once)
{
  JobOutcome o;
  KlingJob *job;

  add_fault ("{\"method\": \"POST\", \"path\": \"" ENDPOINT_PATH
      "\", \"action\": \"status\","
      " \"http\": 429, \"code\": 1102, \"message\": \"resource pack exhausted\"}");
  job = start_job ("no money", 30, &o);
  fail_unless (job_outcome_wait (&o, 10));
  fail_unless (g_error_matches (o.error, KLING_ERROR, KLING_ERROR_QUOTA));
  fail_unless_equals_int (creates_sent (), 1);
  finish_job (job, &o);
  job_outcome_clear (&o);
}

GST_END_TEST;

/* 5xx on queries is retried; 5xx on the create is ambiguous: look up by external id
 * (not found: the sandbox did not process it) and only then create again. */
GST_START_TEST (test_server_errors_retried)
{
  JobOutcome o;
  KlingJob *job;

  add_fault ("{\"method\": \"POST\", \"path\": \"" ENDPOINT_PATH
      "\", \"action\": \"status\","
      " \"http\": 503, \"code\": 5001, \"message\": \"maintenance\"}");
  add_fault ("{\"method\": \"GET\", \"path\": \"" ENDPOINT_PATH
      "/\", \"action\": \"status\","
      " \"http\": 500, \"code\": 5000, \"message\": \"oops\", \"skip\": 1, \"times\": 2}");
  job = start_job ("server errors", 30, &o);
  fail_unless (job_outcome_wait (&o, 30));
  check_success (&o);
  fail_unless_equals_int (creates_sent (), 2);
  fail_unless_equals_int (tasks_created (), 1);
  fail_unless (counter (NULL, "faults_hit") >= 3);
  finish_job (job, &o);
  job_outcome_clear (&o);
}

GST_END_TEST;

GST_START_TEST (test_server_errors_exhaust_retries)
{
  JobOutcome o;
  KlingJob *job;

  add_fault ("{\"method\": \"GET\", \"path\": \"" ENDPOINT_PATH
      "/\", \"action\": \"status\","
      " \"http\": 502, \"code\": 5000, \"message\": \"down\", \"times\": 0}");
  job = start_job ("server down", 30, &o);
  fail_unless (job_outcome_wait (&o, 30));
  fail_unless (g_error_matches (o.error, KLING_ERROR, KLING_ERROR_SERVER));
  /* max_attempts = 4 per call */
  fail_unless_equals_int (counter ("requests", "GET " ENDPOINT_PATH), 4);
  fail_unless (kling_error_get_task_id (o.error) != NULL);
  /* the task exists and was not failed: the journal keeps it for a rerun */
  fail_unless_equals_int (journal_entries (), 1);
  finish_job (job, &o);
  job_outcome_clear (&o);
}

GST_END_TEST;

/* The create's answer is lost after the task was made: no second task. */
GST_START_TEST (test_lost_create_answer)
{
  JobOutcome o;
  KlingJob *job;

  add_fault ("{\"method\": \"POST\", \"path\": \"" ENDPOINT_PATH
      "\", \"action\": " "\"drop-after\"}");
  job = start_job ("lost answer", 30, &o);
  fail_unless (job_outcome_wait (&o, 30));
  check_success (&o);
  fail_unless_equals_int (tasks_created (), 1);
  fail_unless_equals_int (creates_sent (), 1);
  finish_job (job, &o);
  job_outcome_clear (&o);
}

GST_END_TEST;

GST_START_TEST (test_malformed_answers)
{
  JobOutcome o;
  KlingJob *job;

  /* The create is processed but its answer is garbage; a query answer too. */
  add_fault ("{\"method\": \"POST\", \"path\": \"" ENDPOINT_PATH
      "\", \"action\": " "\"malformed\"}");
  add_fault ("{\"method\": \"GET\", \"path\": \"" ENDPOINT_PATH
      "/\", \"action\": " "\"malformed\", \"skip\": 1}");
  job = start_job ("malformed", 30, &o);
  fail_unless (job_outcome_wait (&o, 30));
  check_success (&o);
  fail_unless_equals_int (tasks_created (), 1);
  fail_unless_equals_int (creates_sent (), 1);
  finish_job (job, &o);
  job_outcome_clear (&o);
}

GST_END_TEST;

GST_START_TEST (test_truncated_download_retried)
{
  JobOutcome o;
  KlingJob *job;

  add_fault ("{\"path\": \"/files/\", \"action\": \"truncated\"}");
  job = start_job ("truncated", 30, &o);
  fail_unless (job_outcome_wait (&o, 30));
  check_success (&o);
  fail_unless_equals_int (counter (NULL, "downloads"), 2);
  finish_job (job, &o);
  job_outcome_clear (&o);
}

GST_END_TEST;

GST_START_TEST (test_expired_url_requeried)
{
  JobOutcome o;
  KlingJob *job;

  /* Every succeed answer up to the third carries an expired URL: two re-queries. */
  add_fault ("{\"method\": \"GET\", \"path\": \"" ENDPOINT_PATH
      "/\", \"action\": " "\"expire-url\", \"times\": 0}");
  job = start_job ("expired url", 30, &o);
  fail_unless (job_outcome_wait (&o, 30));
  fail_unless (g_error_matches (o.error, KLING_ERROR, KLING_ERROR_SERVER), "%s",
      o.error ? o.error->message : "success?");
  fail_unless_equals_int (kling_error_get_http_status (o.error), 403);
  fail_unless (strstr (o.error->message, "403") != NULL);
  fail_unless_equals_int (journal_entries (), 1);
  finish_job (job, &o);
  job_outcome_clear (&o);

  /* Once the URLs are good again, a rerun resumes the task and downloads it. */
  kling_sandbox_clear_faults (sandbox);
  add_fault ("{\"method\": \"GET\", \"path\": \"" ENDPOINT_PATH
      "/\", \"action\": " "\"expire-url\", \"times\": 1}");
  job = start_job ("expired url", 30, &o);
  fail_unless (job_outcome_wait (&o, 30));
  check_success (&o);
  fail_unless_equals_int (tasks_created (), 1);
  finish_job (job, &o);
  job_outcome_clear (&o);
}

GST_END_TEST;

GST_START_TEST (test_failed_task)
{
  JobOutcome o;
  KlingJob *job;
  g_autofree gchar *user = NULL;

  add_fault ("{\"method\": \"POST\", \"path\": \"" ENDPOINT_PATH
      "\", \"action\": "
      "\"fail-task\", \"message\": \"Failure to pass the risk control system\"}");
  job = start_job ("failing", 30, &o);
  fail_unless (job_outcome_wait (&o, 30));
  fail_unless (g_error_matches (o.error, KLING_ERROR, KLING_ERROR_TASK_FAILED));
  fail_unless_equals_string (kling_error_get_task_status_msg (o.error),
      "Failure to pass the risk control system");
  fail_unless_equals_string (kling_error_get_task_id (o.error),
      o.submitted_task_id);
  user = kling_error_dup_user_message (o.error);
  fail_unless (strstr (user, o.submitted_task_id) != NULL, "%s", user);
  fail_unless (o.task != NULL && o.task->status == KLING_TASK_FAILED);
  fail_unless_equals_int (journal_entries (), 0);
  finish_job (job, &o);
  job_outcome_clear (&o);
}

GST_END_TEST;

/* The job's timeout names the task and keeps the journal; a rerun resumes that task. */
GST_START_TEST (test_timeout_then_resume)
{
  JobOutcome o;
  KlingJob *job;
  g_autofree gchar *user = NULL, *task_id = NULL;

  add_fault ("{\"method\": \"GET\", \"path\": \"" ENDPOINT_PATH
      "/\", \"action\": \"delay\"," " \"seconds\": 3, \"times\": 1}");
  job = start_job ("slow", 1.0, &o);
  fail_unless (job_outcome_wait (&o, 5));
  fail_unless (g_error_matches (o.error, KLING_ERROR, KLING_ERROR_TIMEOUT),
      "%s", o.error ? o.error->message : "success?");
  task_id = g_strdup (o.submitted_task_id);
  fail_unless_equals_string (kling_error_get_task_id (o.error), task_id);
  user = kling_error_dup_user_message (o.error);
  fail_unless (strstr (user, task_id) != NULL
      && strstr (user, "within 1 s") != NULL, "%s", user);
  fail_unless_equals_int (journal_entries (), 1);
  finish_job (job, &o);
  job_outcome_clear (&o);

  job = start_job ("slow", 30, &o);
  fail_unless (job_outcome_wait (&o, 30));
  check_success (&o);
  fail_unless_equals_string (o.task->task_id, task_id);
  fail_unless_equals_int (tasks_created (), 1);
  fail_unless_equals_int (creates_sent (), 1);
  finish_job (job, &o);
  job_outcome_clear (&o);
}

GST_END_TEST;

static void
cancel_and_check_prompt (KlingJob * job, JobOutcome * o)
{
  gint64 start = g_get_monotonic_time ();

  kling_job_cancel (job);
  fail_unless (job_outcome_wait (o, 2));
  fail_unless (g_get_monotonic_time () - start < G_USEC_PER_SEC / 2);
  fail_unless (g_error_matches (o->error, KLING_ERROR, KLING_ERROR_CANCELLED),
      "%s", o->error ? o->error->message : "success?");
  fail_unless (o->mp4_path == NULL);
}

GST_START_TEST (test_cancel_before_start)
{
  JobOutcome o;
  KlingJob *job = start_job ("cancel at once", 30, &o);

  cancel_and_check_prompt (job, &o);
  finish_job (job, &o);
  job_outcome_clear (&o);
}

GST_END_TEST;

/* Cancelled while the create is in flight; the server still makes the task, and the
 * next job finds it by the journaled external id instead of paying again. */
GST_START_TEST (test_cancel_during_create_then_resume)
{
  JobOutcome o;
  KlingJob *job;

  add_fault ("{\"method\": \"POST\", \"path\": \"" ENDPOINT_PATH
      "\", \"action\": \"delay\"," " \"seconds\": 1}");
  job = start_job ("cancel in create", 30, &o);
  g_usleep (300 * 1000);
  fail_unless_equals_int (o.submitted_calls, 0);
  cancel_and_check_prompt (job, &o);
  fail_unless_equals_int (journal_entries (), 1);
  finish_job (job, &o);
  job_outcome_clear (&o);

  g_usleep (1200 * 1000);       /* the delayed create is processed now */
  fail_unless_equals_int (tasks_created (), 1);
  job = start_job ("cancel in create", 30, &o);
  fail_unless (job_outcome_wait (&o, 30));
  check_success (&o);
  fail_unless_equals_int (tasks_created (), 1);
  fail_unless_equals_int (creates_sent (), 1);
  finish_job (job, &o);
  job_outcome_clear (&o);
}

GST_END_TEST;

GST_START_TEST (test_cancel_during_poll_keeps_task)
{
  JobOutcome o;
  KlingJob *job;
  g_autofree gchar *task_id = NULL;

  add_fault ("{\"method\": \"GET\", \"path\": \"" ENDPOINT_PATH
      "/\", \"action\": \"delay\"," " \"seconds\": 5, \"times\": 1}");
  job = start_job ("cancel in poll", 30, &o);
  fail_unless (job_outcome_wait_submitted (&o, 10));
  g_usleep (100 * 1000);
  cancel_and_check_prompt (job, &o);
  task_id = g_strdup (o.submitted_task_id);
  fail_unless_equals_string (kling_error_get_task_id (o.error), task_id);
  fail_unless_equals_int (journal_entries (), 1);
  finish_job (job, &o);
  job_outcome_clear (&o);

  /* resumed from the journal's task id */
  kling_sandbox_clear_faults (sandbox);
  job = start_job ("cancel in poll", 30, &o);
  fail_unless (job_outcome_wait (&o, 30));
  check_success (&o);
  fail_unless_equals_string (o.task->task_id, task_id);
  fail_unless_equals_int (creates_sent (), 1);
  finish_job (job, &o);
  job_outcome_clear (&o);
}

GST_END_TEST;

/* Two jobs of one process for the same clip at once (two identical pipelines): one task,
 * one download, one clip for both. The create is slowed down so the second job starts
 * while Kling does not know the first one's external id yet. */
GST_START_TEST (test_twins_pay_once)
{
  JobOutcome a, b;
  KlingJob *job_a, *job_b;

  add_fault ("{\"method\": \"POST\", \"path\": \"" ENDPOINT_PATH
      "\", \"action\": \"delay\"," " \"seconds\": 0.5}");
  job_a = start_job ("twins", 30, &a);
  job_b = start_job ("twins", 30, &b);
  fail_unless (job_outcome_wait (&a, 30));
  fail_unless (job_outcome_wait (&b, 30));
  check_success (&a);
  check_success (&b);
  fail_unless_equals_string (a.mp4_path, b.mp4_path);
  fail_unless_equals_string (a.task->task_id, b.task->task_id);
  fail_unless_equals_int (creates_sent (), 1);
  fail_unless_equals_int (tasks_created (), 1);
  fail_unless_equals_int (counter (NULL, "downloads"), 1);
  finish_job (job_a, &a);
  finish_job (job_b, &b);
  job_outcome_clear (&a);
  job_outcome_clear (&b);
}

GST_END_TEST;

/* The first of two twins is cancelled (its pipeline stopped): the other one takes its
 * task over from the journal rather than paying for a second. */
GST_START_TEST (test_twin_resumes_after_cancel)
{
  JobOutcome a, b;
  KlingJob *job_a, *job_b;

  add_fault ("{\"method\": \"GET\", \"path\": \"" ENDPOINT_PATH
      "/\", \"action\": \"delay\"," " \"seconds\": 1, \"times\": 1}");
  job_a = start_job ("twin cancelled", 30, &a);
  job_b = start_job ("twin cancelled", 30, &b);
  fail_unless (job_outcome_wait_submitted (&a, 10));
  cancel_and_check_prompt (job_a, &a);
  fail_unless (job_outcome_wait (&b, 30));
  check_success (&b);
  fail_unless_equals_string (b.task->task_id, a.submitted_task_id);
  fail_unless_equals_int (creates_sent (), 1);
  finish_job (job_a, &a);
  finish_job (job_b, &b);
  job_outcome_clear (&a);
  job_outcome_clear (&b);
}

GST_END_TEST;

GST_START_TEST (test_cancel_during_download)
{
  JobOutcome o;
  KlingJob *job;
  g_autofree gchar *tmp = NULL;
  g_autoptr (GDir) dir = NULL;

  add_fault ("{\"path\": \"/files/\", \"action\": \"delay\", \"seconds\": 5}");
  job = start_job ("cancel in download", 30, &o);
  while (counter (NULL, "faults_hit") == 0 && !o.done)
    g_usleep (20 * 1000);
  cancel_and_check_prompt (job, &o);
  finish_job (job, &o);
  /* no partial file left behind */
  tmp = g_build_filename (cache_dir, "tmp", NULL);
  dir = g_dir_open (tmp, 0, NULL);
  fail_unless (dir == NULL || g_dir_read_name (dir) == NULL);
  job_outcome_clear (&o);
}

GST_END_TEST;

/* max_parallel queues jobs before their create call. */
GST_START_TEST (test_parallel_cap)
{
  KlingJobOptions options = job_options (60);
  JobOutcome o[3];
  KlingJob *jobs[3];
  guint i;

  options.max_parallel = 1;
  for (i = 0; i < 3; i++) {
    g_autofree gchar *prompt = g_strdup_printf ("parallel %u", i);
    jobs[i] = start_job_with (prompt, &options, &o[i]);
  }
  for (i = 0; i < 3; i++) {
    fail_unless (job_outcome_wait (&o[i], 60));
    check_clip (&o[i]);
    finish_job (jobs[i], &o[i]);
  }
  fail_unless_equals_int (tasks_created (), 3);
  fail_unless_equals_int (counter (NULL, "peak_parallel"), 1);
  /* the two that queued were told so */
  fail_unless_equals_int ((o[1].wait_reasons | o[2].wait_reasons) &
      (1u << KLING_WAIT_LOCAL_QUEUE), 1u << KLING_WAIT_LOCAL_QUEUE);
  for (i = 0; i < 3; i++)
    job_outcome_clear (&o[i]);
  fail_unless_equals_int (journal_entries (), 0);
}

GST_END_TEST;

static void
on_call_done (JsonNode * data, const GError * error, gpointer user_data)
{
  JobOutcome *o = user_data;

  g_mutex_lock (&o->lock);
  o->error = error ? g_error_copy (error) : NULL;
  o->finished_calls++;
  o->done = TRUE;
  g_cond_broadcast (&o->cond);
  g_mutex_unlock (&o->lock);
}

/* Like on_call_done(), keeping the answer's data. */
static void
on_data_call_done (JsonNode * data, const GError * error, gpointer user_data)
{
  JobOutcome *o = user_data;

  g_mutex_lock (&o->lock);
  o->data = data ? json_node_copy (data) : NULL;
  g_mutex_unlock (&o->lock);
  on_call_done (data, error, user_data);
}

GST_START_TEST (test_oneshot_call)
{
  g_autoptr (JsonNode) body =
      json_from_string ("{\"video_id\": \"no-such-video\"}", NULL);
  JobOutcome o;

  job_outcome_init (&o);
  kling_client_call (client, KLING_ENDPOINT_IDENTIFY_FACE, body, NULL,
      on_call_done, &o);
  fail_unless (job_outcome_wait (&o, 10));
  /* the sandbox refuses an unknown video: a clean INVALID_INPUT, not retried */
  fail_unless (g_error_matches (o.error, KLING_ERROR,
          KLING_ERROR_INVALID_INPUT), "%s",
      o.error ? o.error->message : "success?");
  fail_unless_equals_int (counter ("requests", "POST /v1/videos/identify-face"),
      1);
  job_outcome_clear (&o);
}

GST_END_TEST;

/* Another process (sharing the cache) created the task with the journal's external id
 * just after this job looked it up and found nothing: Kling refuses the create as a
 * duplicate id, and the job follows that task instead of failing or paying again. */
GST_START_TEST (test_external_id_taken_by_another_process)
{
  g_autoptr (KlingRequest) request = make_request ("shared journal");
  g_autofree gchar *key = kling_client_cache_key (client, request);
  g_autoptr (JsonNode) body = json_node_copy (request->body);
  JobOutcome other, o;
  KlingJob *job;

  journal_put (key, KLING_ENDPOINT_IMAGE2VIDEO, "gstkling-other-process", NULL);
  /* the other process's create */
  json_object_set_string_member (json_node_get_object (body),
      "external_task_id", "gstkling-other-process");
  job_outcome_init (&other);
  kling_client_call (client, KLING_ENDPOINT_IMAGE2VIDEO, body, NULL,
      on_call_done, &other);
  fail_unless (job_outcome_wait (&other, 10));
  fail_unless (other.error == NULL, "%s",
      other.error ? other.error->message : "");
  /* this job's look-up comes too early for it */
  add_fault ("{\"method\": \"GET\", \"path\": \"" ENDPOINT_PATH
      "/gstkling-other-process\","
      " \"action\": \"status\", \"http\": 404, \"code\": 1203, \"message\": \"not found\"}");

  job = start_job ("shared journal", 30, &o);
  fail_unless (job_outcome_wait (&o, 30));
  check_success (&o);
  fail_unless_equals_int (tasks_created (), 1);
  fail_unless_equals_string (o.task->external_task_id,
      "gstkling-other-process");
  finish_job (job, &o);
  job_outcome_clear (&o);
  job_outcome_clear (&other);
}

GST_END_TEST;

/* A journal entry whose task the server does not know is dropped, and the job submits. */
GST_START_TEST (test_stale_journal_entry)
{
  g_autoptr (KlingRequest) request = make_request ("stale journal");
  g_autofree gchar *key = kling_client_cache_key (client, request);
  JobOutcome o;
  KlingJob *job;

  journal_put (key, KLING_ENDPOINT_IMAGE2VIDEO, "gstkling-from-elsewhere",
      "no-such-task");
  job = start_job ("stale journal", 30, &o);
  fail_unless (job_outcome_wait (&o, 30));
  check_success (&o);
  fail_unless (!g_str_equal (o.task->task_id, "no-such-task"));
  fail_unless_equals_int (tasks_created (), 1);
  finish_job (job, &o);
  job_outcome_clear (&o);
}

GST_END_TEST;

/* Without a cache the clip lives in the job's own directory, removed with the job. */
GST_START_TEST (test_no_cache_dir)
{
  g_autoptr (KlingRequest) request = make_request ("no cache");
  KlingJobOptions options = {.poll_interval_s = 0.1,.timeout_s = 30,.cache_dir =
        NULL
  };
  g_autofree gchar *dir = NULL;
  JobOutcome o;
  KlingJob *job;

  job_outcome_init (&o);
  job =
      kling_client_start_job (client, request, &options, &job_outcome_callbacks,
      &o, job_outcome_notify);
  fail_unless (job_outcome_wait (&o, 30));
  fail_unless (o.error == NULL, "%s", o.error ? o.error->message : "");
  fail_unless (kling_mp4_verify_file (o.mp4_path, NULL, NULL));
  fail_unless (!g_str_has_prefix (o.mp4_path, cache_dir));
  dir = g_path_get_dirname (o.mp4_path);
  fail_unless_equals_int (journal_entries (), 0);
  finish_job (job, &o);
  fail_unless (!g_file_test (o.mp4_path, G_FILE_TEST_EXISTS));
  fail_unless (!g_file_test (dir, G_FILE_TEST_EXISTS));
  job_outcome_clear (&o);
}

GST_END_TEST;

static void
check_static_key (const gchar * key, KlingAuthHeader header,
    KlingErrorCode expected)
{
  g_autoptr (JsonNode) body =
      json_from_string ("{\"video_id\": \"no-such-video\"}", NULL);
  KlingClient *c = kling_client_acquire (kling_sandbox_get_base_url (sandbox),
      kling_auth_new_static (key, header), NULL);
  JobOutcome o;

  job_outcome_init (&o);
  kling_client_call (c, KLING_ENDPOINT_IDENTIFY_FACE, body, NULL, on_call_done,
      &o);
  fail_unless (job_outcome_wait (&o, 10));
  fail_unless (g_error_matches (o.error, KLING_ERROR, expected), "%s: %s", key,
      o.error ? o.error->message : "success?");
  kling_client_unref (c);
  job_outcome_clear (&o);
}

/* Static reseller keys, as a Bearer token and as X-API-Key. */
GST_START_TEST (test_static_keys)
{
  KlingSandboxOptions options;

  g_clear_pointer (&client, kling_client_unref);
  g_clear_pointer (&sandbox, kling_sandbox_stop);
  kling_sandbox_options_init (&options);
  options.api_key = "static-e2e-key";
  sandbox = kling_sandbox_start (&options, NULL);
  fail_unless (sandbox != NULL);

  /* Past auth, the unknown video is refused: the key was accepted. */
  check_static_key ("static-e2e-key", KLING_AUTH_HEADER_BEARER,
      KLING_ERROR_INVALID_INPUT);
  check_static_key ("static-e2e-key", KLING_AUTH_HEADER_X_API_KEY,
      KLING_ERROR_INVALID_INPUT);
  check_static_key ("wrong-key", KLING_AUTH_HEADER_X_API_KEY, KLING_ERROR_AUTH);
  fail_unless_equals_int (counter ("requests", "POST /v1/videos/identify-face"),
      3);
}

GST_END_TEST;


/* --- glitches: one odd answer is retried, only a persistent one is an error ------------- */

GST_START_TEST (test_poll_404_once_is_retried)
{
  JobOutcome o;
  KlingJob *job;

  add_fault ("{\"method\": \"GET\", \"path\": \"" ENDPOINT_PATH
      "/\", \"action\": \"status\","
      " \"http\": 404, \"code\": 1203, \"message\": \"not found\", \"skip\": 1}");
  job = start_job ("poll 404 once", 30, &o);
  fail_unless (job_outcome_wait (&o, 30));
  check_success (&o);
  fail_unless_equals_int (tasks_created (), 1);
  fail_unless (o.wait_reasons & (1u << KLING_WAIT_SERVER_ERROR));
  finish_job (job, &o);
  job_outcome_clear (&o);
}

GST_END_TEST;

GST_START_TEST (test_download_404_and_429_once_are_retried)
{
  const gchar *const faults[] = {
    "{\"path\": \"/files/\", \"action\": \"status\", \"http\": 404, \"code\": 1203,"
        " \"message\": \"not yet\"}",
    "{\"path\": \"/files/\", \"action\": \"status\", \"http\": 429, \"code\": 1302,"
        " \"message\": \"slow down\"}",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (faults); i++) {
    g_autofree gchar *prompt = g_strdup_printf ("download glitch %u", i);
    JobOutcome o;
    KlingJob *job;

    kling_sandbox_reset (sandbox);
    add_fault (faults[i]);
    job = start_job (prompt, 30, &o);
    fail_unless (job_outcome_wait (&o, 30));
    check_success (&o);
    fail_unless_equals_int (counter (NULL, "downloads"), 1);
    fail_unless_equals_int (counter ("requests", "GET /files"), 2);
    fail_unless_equals_int (tasks_created (), 1);
    finish_job (job, &o);
    job_outcome_clear (&o);
  }
}

GST_END_TEST;

/* The next @times creates are refused with 1303 (0: all), and busy waits last 1 s. */
static void
make_account_busy (guint times)
{
  KlingRetryPolicy policy;
  g_autofree gchar *fault =
      g_strdup_printf ("{\"method\": \"POST\", \"path\": \"" ENDPOINT_PATH
      "\", \"action\": \"status\", \"http\": 429, \"code\": 1303, "
      "\"message\": \"parallel task limit\", \"times\": %u}", times);

  kling_client_get_policy (client, &policy);
  policy.busy_max_delay_ms = 1000;
  kling_client_set_policy (client, &policy);
  add_fault (fault);
}

/* A 1303 is a queue: waited out with a backoff of at least 1 s for as long as the job's
 * timeout allows, far beyond the call's attempts, and the caller is told. */
GST_START_TEST (test_busy_account_is_waited_out)
{
  JobOutcome o;
  KlingJob *job;
  gint64 start = g_get_monotonic_time ();

  /* 5 refusals, more than the 4 attempts a call has */
  make_account_busy (5);
  job = start_job ("busy account", 30, &o);
  fail_unless (job_outcome_wait (&o, 30));
  check_success (&o);
  fail_unless_equals_int (creates_sent (), 6);
  fail_unless_equals_int (tasks_created (), 1);
  fail_unless (g_get_monotonic_time () - start >= 5 * G_USEC_PER_SEC);
  fail_unless_equals_int (o.waiting_calls, 5);
  fail_unless_equals_int (o.last_wait_reason, KLING_WAIT_BUSY_ACCOUNT);
  fail_unless (o.last_wait_delay_ms >= 1000);
  finish_job (job, &o);
  job_outcome_clear (&o);
}

GST_END_TEST;

/* The busy wait ends with the job's own timeout, not before: 6 s is twice what the 4
 * attempts of a call last with their 1 s waits. */
GST_START_TEST (test_busy_account_until_timeout)
{
  JobOutcome o;
  KlingJob *job;
  gint64 start = g_get_monotonic_time ();

  make_account_busy (0);
  job = start_job ("busy until timeout", 6, &o);
  fail_unless (job_outcome_wait (&o, 15));
  fail_unless (g_error_matches (o.error, KLING_ERROR, KLING_ERROR_TIMEOUT),
      "%s", o.error ? o.error->message : "success?");
  fail_unless (g_get_monotonic_time () - start >=
      6 * G_USEC_PER_SEC - 100 * 1000);
  fail_unless (creates_sent () >= 5);
  fail_unless_equals_int (tasks_created (), 0);
  finish_job (job, &o);
  job_outcome_clear (&o);
}

GST_END_TEST;

/* A 1003 after the one re-mint is surfaced as it is (the local clock is wrong). */
GST_START_TEST (test_not_yet_valid_after_remint)
{
  JobOutcome o;
  KlingJob *job;

  add_fault ("{\"method\": \"POST\", \"path\": \"" ENDPOINT_PATH
      "\", \"action\": \"status\","
      " \"http\": 401, \"code\": 1003, \"message\": \"token not yet valid\", \"times\": 0}");
  job = start_job ("clock skew", 30, &o);
  fail_unless (job_outcome_wait (&o, 30));
  fail_unless (g_error_matches (o.error, KLING_ERROR, KLING_ERROR_AUTH));
  fail_unless_equals_int (kling_error_get_kling_code (o.error), 1003);
  fail_unless_equals_int (creates_sent (), 2);
  finish_job (job, &o);
  job_outcome_clear (&o);
}

GST_END_TEST;

/* --- the cache directory ----------------------------------------------------------------- */

static gint64
all_requests (void)
{
  return creates_sent () + counter ("requests", "GET " ENDPOINT_PATH);
}

/* An unwritable cache-dir is the directory's fault, said before any money is spent: a
 * path below a plain file, and a cache whose tmp/ (where the paid clip lands) is not a
 * directory. */
GST_START_TEST (test_unwritable_cache_dir)
{
  g_autofree gchar *file = g_build_filename (cache_dir, "plain-file", NULL);
  g_autofree gchar *below = g_build_filename (file, "cache", NULL);
  g_autofree gchar *other = g_build_filename (cache_dir, "other", NULL);
  g_autofree gchar *tmp = g_build_filename (other, "tmp", NULL);
  const gchar *dirs[] = { below, other };
  guint i;

  fail_unless (g_file_set_contents (file, "x", 1, NULL));
  g_mkdir_with_parents (other, 0700);
  fail_unless (g_file_set_contents (tmp, "x", 1, NULL));
  for (i = 0; i < G_N_ELEMENTS (dirs); i++) {
    KlingJobOptions options = job_options (30);
    g_autofree gchar *user = NULL;
    JobOutcome o;
    KlingJob *job;

    options.cache_dir = dirs[i];
    job = start_job_with ("unwritable", &options, &o);
    fail_unless (job_outcome_wait (&o, 10));
    fail_unless (g_error_matches (o.error, KLING_ERROR, KLING_ERROR_LOCAL_IO),
        "%s", o.error ? o.error->message : "success?");
    user = kling_error_dup_user_message (o.error);
    fail_unless (strstr (user, "cache directory cannot be written") != NULL,
        "%s", user);
    fail_unless_equals_int (all_requests (), 0);
    finish_job (job, &o);
    job_outcome_clear (&o);
  }
}

GST_END_TEST;

/* refresh renders again and replaces the cached clip; the next plain job takes the new
 * one from the cache. */
GST_START_TEST (test_refresh_renders_again)
{
  KlingJobOptions refresh = job_options (30);
  g_autofree gchar *first_task = NULL;
  JobOutcome o;
  KlingJob *job;

  job = start_job ("refresh me", 30, &o);
  fail_unless (job_outcome_wait (&o, 30));
  check_success (&o);
  first_task = g_strdup (o.task->task_id);
  finish_job (job, &o);
  job_outcome_clear (&o);

  refresh.refresh = TRUE;
  job = start_job_with ("refresh me", &refresh, &o);
  fail_unless (job_outcome_wait (&o, 30));
  check_success (&o);
  fail_unless (!o.cache_hit);
  fail_unless (!g_str_equal (o.task->task_id, first_task));
  fail_unless_equals_int (tasks_created (), 2);
  finish_job (job, &o);
  job_outcome_clear (&o);

  job = start_job ("refresh me", 30, &o);
  fail_unless (job_outcome_wait (&o, 30));
  check_success (&o);
  fail_unless (o.cache_hit);
  fail_unless (!g_str_equal (o.task->task_id, first_task));
  fail_unless_equals_int (tasks_created (), 2);
  finish_job (job, &o);
  job_outcome_clear (&o);
}

GST_END_TEST;

/* A cached clip found cut (an older version's truncated download, a damaged disk) is
 * downloaded again from its task, never rendered (paid) again. */
GST_START_TEST (test_damaged_cache_downloads_again)
{
  g_autofree gchar *bytes = NULL;
  gsize len;
  JobOutcome o;
  KlingJob *job;

  job = start_job ("damaged later", 30, &o);
  fail_unless (job_outcome_wait (&o, 30));
  check_success (&o);
  fail_unless (g_file_get_contents (o.mp4_path, &bytes, &len, NULL));
  fail_unless (g_file_set_contents (o.mp4_path, bytes, len / 2, NULL));
  finish_job (job, &o);
  job_outcome_clear (&o);

  job = start_job ("damaged later", 30, &o);
  fail_unless (job_outcome_wait (&o, 30));
  check_success (&o);
  fail_unless (!o.cache_hit);
  fail_unless_equals_int (tasks_created (), 1);
  fail_unless_equals_int (counter (NULL, "downloads"), 2);
  finish_job (job, &o);
  job_outcome_clear (&o);
}

GST_END_TEST;

/* --- lip-sync after a lost create answer ------------------------------------------------- */

/* A clip of this sandbox to lip-sync: its video id. */
static gchar *
render_source_video (void)
{
  JobOutcome o;
  KlingJob *job = start_job ("a face to lip-sync", 30, &o);
  gchar *video_id;

  fail_unless (job_outcome_wait (&o, 30));
  check_clip (&o);
  video_id = g_strdup (o.task->video_id);
  finish_job (job, &o);
  job_outcome_clear (&o);
  kling_sandbox_reset (sandbox);
  return video_id;
}

static GBytes *
read_voice (void)
{
  g_autofree gchar *path =
      g_build_filename (KLING_MEDIA_DIR, "voice.wav", NULL);
  gchar *data;
  gsize len;

  fail_unless (g_file_get_contents (path, &data, &len, NULL));
  return g_bytes_new_take (data, len);
}

static KlingRequest *
make_lip_sync_request (const gchar * video_id)
{
  g_autoptr (GBytes) voice = read_voice ();
  g_autoptr (GError) err = NULL;
  KlingLipSyncParams params = {
    .video_id = video_id,.mode = KLING_LIP_SYNC_AUDIO2VIDEO,.audio = voice,
  };
  KlingRequest *request = kling_lip_sync_request_new (&params, &err);

  fail_unless (request != NULL, "%s", err ? err->message : "");
  return request;
}

static KlingJob *
start_request_job (const KlingRequest * request, JobOutcome * o)
{
  KlingJobOptions options = job_options (30);

  job_outcome_init (o);
  return kling_client_start_job (client, request, &options,
      &job_outcome_callbacks, o, job_outcome_notify);
}

#define LIP_SYNC_PATH "/v1/videos/lip-sync"

/* Kling cannot look a one-step lip-sync task up by external id (the sandbox can: the
 * fault makes it answer as Kling does), so after a lost answer the task is found in the
 * task list, and not paid twice. */
GST_START_TEST (test_lip_sync_lost_answer_found_in_list)
{
  g_autofree gchar *video_id = render_source_video ();
  g_autoptr (KlingRequest) request = make_lip_sync_request (video_id);
  JobOutcome o;
  KlingJob *job;

  add_fault ("{\"method\": \"POST\", \"path\": \"" LIP_SYNC_PATH
      "\", \"action\": " "\"drop-after\"}");
  add_fault ("{\"method\": \"GET\", \"path\": \"" LIP_SYNC_PATH
      "/gstkling-\", \"action\":"
      " \"status\", \"http\": 404, \"code\": 1203, \"message\": \"not found\", \"times\": 0}");
  job = start_request_job (request, &o);
  fail_unless (job_outcome_wait (&o, 60));
  check_success (&o);
  fail_unless_equals_int (counter ("tasks_created", "lip-sync"), 1);
  fail_unless_equals_int (counter ("requests", "POST " LIP_SYNC_PATH), 1);
  finish_job (job, &o);
  job_outcome_clear (&o);
}

GST_END_TEST;

/* The create never reached the server, and the list does not show it: it may still
 * appear, so nothing is created again; the job says so and keeps its journal entry. */
GST_START_TEST (test_lip_sync_lost_answer_unconfirmed)
{
  g_autofree gchar *video_id = render_source_video ();
  g_autoptr (KlingRequest) request = make_lip_sync_request (video_id);
  g_autofree gchar *user = NULL;
  JobOutcome o;
  KlingJob *job;

  add_fault ("{\"method\": \"POST\", \"path\": \"" LIP_SYNC_PATH
      "\", \"action\": \"drop\"}");
  add_fault ("{\"method\": \"GET\", \"path\": \"" LIP_SYNC_PATH
      "/gstkling-\", \"action\":"
      " \"status\", \"http\": 404, \"code\": 1203, \"message\": \"not found\", \"times\": 0}");
  job = start_request_job (request, &o);
  fail_unless (job_outcome_wait (&o, 60));
  fail_unless (g_error_matches (o.error, KLING_ERROR, KLING_ERROR_UNCONFIRMED),
      "%s", o.error ? o.error->message : "success?");
  user = kling_error_dup_user_message (o.error);
  fail_unless (strstr (user, "may have created a task") != NULL, "%s", user);
  fail_unless_equals_int (counter ("tasks_created", "lip-sync"), 0);
  fail_unless_equals_int (counter ("requests", "POST " LIP_SYNC_PATH), 1);
  fail_unless_equals_int (journal_entries (), 1);
  finish_job (job, &o);
  job_outcome_clear (&o);
}

GST_END_TEST;

/* Minutes later, a create the list still does not show never reached Kling: the rerun
 * creates it. */
GST_START_TEST (test_lip_sync_rerun_after_grace)
{
  g_autofree gchar *video_id = render_source_video ();
  g_autoptr (KlingRequest) request = make_lip_sync_request (video_id);
  g_autofree gchar *key = kling_client_cache_key (client, request);
  KlingJournalEntry entry = {
    .external_task_id = "gstkling-lost",.create_sent_ms =
        g_get_real_time () / 1000 - 600 * 1000,
  };
  JobOutcome o;
  KlingJob *job;

  fail_unless (kling_journal_save (cache_dir, key, KLING_ENDPOINT_LIP_SYNC,
          &entry, NULL));
  job = start_request_job (request, &o);
  fail_unless (job_outcome_wait (&o, 60));
  check_success (&o);
  fail_unless_equals_int (counter ("tasks_created", "lip-sync"), 1);
  finish_job (job, &o);
  job_outcome_clear (&o);
}

GST_END_TEST;

/* Advanced lip-sync is queried by task id only: after a lost answer its task is found in
 * the list by the external id it was created with. */
GST_START_TEST (test_advanced_lip_sync_lost_answer)
{
  g_autofree gchar *video_id = render_source_video ();
  g_autoptr (JsonNode) body =
      kling_identify_face_body_new (video_id, NULL, NULL);
  g_autoptr (KlingFaceSession) session = NULL;
  g_autoptr (KlingRequest) request = NULL;
  g_autoptr (GBytes) voice = read_voice ();
  g_autoptr (GError) err = NULL;
  KlingAdvancedLipSyncParams params = {.sound = voice,.sound_volume = 1,
    .original_audio_volume = 1
  };
  JobOutcome face, o;
  KlingJob *job;

  job_outcome_init (&face);
  kling_client_call (client, KLING_ENDPOINT_IDENTIFY_FACE, body, NULL,
      on_data_call_done, &face);
  fail_unless (job_outcome_wait (&face, 10));
  fail_unless (face.error == NULL && face.data != NULL);
  session = kling_face_session_new_from_json (face.data, &err);
  fail_unless (session != NULL, "%s", err ? err->message : "");
  params.session_id = session->session_id;
  params.face = g_ptr_array_index (session->faces, 0);
  request = kling_advanced_lip_sync_request_new (&params, &err);
  fail_unless (request != NULL, "%s", err ? err->message : "");

  add_fault
      ("{\"method\": \"POST\", \"path\": \"/v1/videos/advanced-lip-sync\", "
      "\"action\": \"drop-after\"}");
  add_fault
      ("{\"method\": \"GET\", \"path\": \"/v1/videos/advanced-lip-sync/gstkling-\", "
      "\"action\": \"status\", \"http\": 404, \"code\": 1203, \"message\": \"not found\", "
      "\"times\": 0}");
  job = start_request_job (request, &o);
  fail_unless (job_outcome_wait (&o, 60));
  check_success (&o);
  fail_unless_equals_int (counter ("tasks_created", "advanced-lip-sync"), 1);
  finish_job (job, &o);
  job_outcome_clear (&o);
  job_outcome_clear (&face);
}

GST_END_TEST;

static Suite *
client_sandbox_suite (void)
{
  Suite *s = suite_create ("kling-client-sandbox");
  TCase *tc = tcase_create ("e2e");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_render_then_cache_hit);
  tcase_add_test (tc, test_wrong_secret_is_auth_without_retry);
  tcase_add_test (tc, test_expired_token_reminted_once);
  tcase_add_test (tc, test_rate_limit_honours_retry_after);
  tcase_add_test (tc, test_quota_fails_at_once);
  tcase_add_test (tc, test_server_errors_retried);
  tcase_add_test (tc, test_server_errors_exhaust_retries);
  tcase_add_test (tc, test_lost_create_answer);
  tcase_add_test (tc, test_malformed_answers);
  tcase_add_test (tc, test_truncated_download_retried);
  tcase_add_test (tc, test_expired_url_requeried);
  tcase_add_test (tc, test_failed_task);
  tcase_add_test (tc, test_timeout_then_resume);
  tcase_add_test (tc, test_cancel_before_start);
  tcase_add_test (tc, test_cancel_during_create_then_resume);
  tcase_add_test (tc, test_cancel_during_poll_keeps_task);
  tcase_add_test (tc, test_cancel_during_download);
  tcase_add_test (tc, test_parallel_cap);
  tcase_add_test (tc, test_oneshot_call);
  tcase_add_test (tc, test_stale_journal_entry);
  tcase_add_test (tc, test_twins_pay_once);
  tcase_add_test (tc, test_external_id_taken_by_another_process);
  tcase_add_test (tc, test_twin_resumes_after_cancel);
  tcase_add_test (tc, test_no_cache_dir);
  tcase_add_test (tc, test_static_keys);
  tcase_add_test (tc, test_poll_404_once_is_retried);
  tcase_add_test (tc, test_download_404_and_429_once_are_retried);
  tcase_add_test (tc, test_busy_account_is_waited_out);
  tcase_add_test (tc, test_busy_account_until_timeout);
  tcase_add_test (tc, test_not_yet_valid_after_remint);
  tcase_add_test (tc, test_unwritable_cache_dir);
  tcase_add_test (tc, test_refresh_renders_again);
  tcase_add_test (tc, test_damaged_cache_downloads_again);
  tcase_add_test (tc, test_lip_sync_lost_answer_found_in_list);
  tcase_add_test (tc, test_lip_sync_lost_answer_unconfirmed);
  tcase_add_test (tc, test_lip_sync_rerun_after_grace);
  tcase_add_test (tc, test_advanced_lip_sync_lost_answer);
  return s;
}

GST_CHECK_MAIN (client_sandbox);
