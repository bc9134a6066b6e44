/* Jobs on Kling's per-model API without the sandbox, against a small fake of that API on a
 * raw server (tests/unit/raw-server.c) that counts what it is asked: batched polls
 * (several ids per request, at most KLING_POLLER_MAX_IDS), a failed batch and a task
 * missing from an answer as glitches, a batch refused for good, a stale journal task,
 * recovery by external id after a lost create answer, billing into the charge, a failed
 * task's reason, and AK/SK refused before any request. The bodies and the task object
 * are tests/unit/test-requests-v2.c. */
#include <gst/check/gstcheck.h>
#include <string.h>
#include "kling-requests.h"
#include "kling-cache.h"
#include "kling-poller.h"
#include "client-test-util.h"
#include "mp4-build.h"
#include "raw-server.h"

/* --- the fake per-model API ---------------------------------------------------------------- */

typedef struct
{
  gchar *external_id;
  guint polls;
  gboolean fail;                /* the prompt asked for a failed task */
} FakeTask;

typedef struct
{
  GMutex lock;
  GHashTable *tasks;            /* id -> FakeTask */
  GBytes *mp4;
  guint polls_to_succeed;
  guint hold_until_creates;     /* tasks stay "processing" until this many were created */
  guint creates;
  guint tasks_queries;          /* GET /tasks?task_ids= */
  guint ids_polled;             /* ids over all of them */
  guint max_ids;
  guint external_queries;       /* GET /tasks?external_task_ids= */
  gboolean drop_first_create;   /* the first create's task is made, its answer lost */
  guint fail_queries;           /* the next ones answer 500 */
  guint omit_queries;           /* the next ones leave every task out */
  guint refuse_queries;         /* the next ones answer 401 / 1002 */
  gchar *last_body;
} FakeV2;

static RawServer *server;
static FakeV2 fake;
static gchar *cache_dir;

static void
fake_task_free (gpointer data)
{
  FakeTask *task = data;

  g_free (task->external_id);
  g_free (task);
}

static void
respond_data (GOutputStream * out, const gchar * data_json)
{
  g_autofree gchar *body =
      g_strdup_printf ("{\"code\": 0, \"message\": \"SUCCEED\", "
      "\"request_id\": \"R\", \"data\": %s}", data_json);

  raw_respond (out, 200, "application/json", body, strlen (body));
}

/* Under the lock. */
static void
append_task (GString * out, const gchar * id, FakeTask * task)
{
  const gchar *status = task->polls < fake.polls_to_succeed ? "processing" :
      task->fail ? "failed" : "succeeded";

  if (out->len > 1)
    g_string_append_c (out, ',');
  g_string_append_printf (out,
      "{\"id\": \"%s\", \"status\": \"%s\", \"external_id\": "
      "\"%s\", \"create_time\": 1764000000000, \"update_time\": 1764000005000, "
      "\"unknown_field\": [1]", id, status,
      task->external_id ? task->external_id : "");
  if (g_str_equal (status, "failed"))
    g_string_append (out, ", \"message\": \"content check failed\"");
  if (g_str_equal (status, "succeeded"))
    g_string_append_printf (out,
        ", \"outputs\": [{\"type\": \"video\", \"id\": \"V-%s\", "
        "\"url\": \"%s/files/%s.mp4\", \"duration\": \"5.0\"}], \"billing\": "
        "[{\"charge_type\": \"cash\", \"amount\": \"0.42\", \"currency\": \"USD\", "
        "\"package_type\": \"paygo\", \"list_price\": \"0.42\"}]", id,
        raw_server_url (server), id);
  g_string_append_c (out, '}');
}

static void
serve_create (const RawRequest * request, GOutputStream * out)
{
  g_autofree gchar *text = g_strndup (g_bytes_get_data (request->body, NULL),
      g_bytes_get_size (request->body));
  g_autoptr (JsonNode) body = json_from_string (text, NULL);
  JsonObject *options =
      body ? json_object_get_object_member (json_node_get_object (body),
      "options") : NULL;
  FakeTask *task = g_new0 (FakeTask, 1);
  g_autofree gchar *id = NULL, *answer = NULL;
  gboolean drop;

  g_mutex_lock (&fake.lock);
  id = g_strdup_printf ("T-%u", ++fake.creates);
  if (options && json_object_has_member (options, "external_task_id"))
    task->external_id = g_strdup (json_object_get_string_member (options,
            "external_task_id"));
  task->fail = strstr (text, "FAIL-ME") != NULL;
  g_free (fake.last_body);
  fake.last_body = g_strdup (text);
  g_hash_table_insert (fake.tasks, g_strdup (id), task);
  drop = fake.drop_first_create && fake.creates == 1;
  g_mutex_unlock (&fake.lock);
  if (drop)
    return;                     /* the connection closes without an answer */
  answer =
      g_strdup_printf
      ("{\"id\": \"%s\", \"status\": \"submitted\", \"external_id\": "
      "\"%s\"}", id, task->external_id ? task->external_id : "");
  respond_data (out, answer);
}

static void
serve_tasks (const RawRequest * request, GOutputStream * out)
{
  const gchar *query = strchr (request->path, '?') + 1;
  g_autoptr (GHashTable) params =
      g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, NULL);
  const gchar *ids = params ? g_hash_table_lookup (params, "task_ids") : NULL;
  const gchar *ext =
      params ? g_hash_table_lookup (params, "external_task_ids") : NULL;
  g_auto (GStrv) wanted = g_strsplit (ids ? ids : ext ? ext : "", ",", -1);
  GString *answer = g_string_new ("[");
  GHashTableIter iter;
  gpointer key, value;
  guint i;

  g_mutex_lock (&fake.lock);
  if (ids && fake.fail_queries > 0) {
    fake.fail_queries--;
    g_mutex_unlock (&fake.lock);
    raw_respond (out, 500, "application/json",
        "{\"code\": 5000, \"message\": \"busy\"}",
        strlen ("{\"code\": 5000, \"message\": \"busy\"}"));
    g_string_free (answer, TRUE);
    return;
  }
  if (ids && fake.refuse_queries > 0) {
    static const gchar refused[] =
        "{\"code\": 1002, \"message\": \"key invalid\"}";

    fake.refuse_queries--;
    g_mutex_unlock (&fake.lock);
    raw_respond (out, 401, "application/json", refused, strlen (refused));
    g_string_free (answer, TRUE);
    return;
  }
  if (ids) {
    fake.tasks_queries++;
    fake.ids_polled += g_strv_length (wanted);
    fake.max_ids = MAX (fake.max_ids, g_strv_length (wanted));
    for (i = 0; wanted[i] && fake.omit_queries == 0; i++) {
      FakeTask *task = g_hash_table_lookup (fake.tasks, wanted[i]);

      if (task) {
        if (fake.creates >= fake.hold_until_creates)
          task->polls++;
        append_task (answer, wanted[i], task);
      }
    }
    if (fake.omit_queries > 0)
      fake.omit_queries--;
  } else {
    fake.external_queries++;
    g_hash_table_iter_init (&iter, fake.tasks);
    while (g_hash_table_iter_next (&iter, &key, &value)) {
      FakeTask *task = value;

      if (task->external_id && g_strv_contains ((const gchar * const *) wanted,
              task->external_id))
        append_task (answer, key, task);
    }
  }
  g_mutex_unlock (&fake.lock);
  g_string_append_c (answer, ']');
  respond_data (out, answer->str);
  g_string_free (answer, TRUE);
}

static void
fake_handler (RawServer * s, const RawRequest * request, GOutputStream * out,
    gpointer data)
{
  gsize len;
  const guint8 *mp4 = g_bytes_get_data (fake.mp4, &len);

  if (g_str_equal (request->method, "POST") &&
      (g_str_has_prefix (request->path, "/image-to-video/") ||
          g_str_has_prefix (request->path, "/text-to-video/")))
    serve_create (request, out);
  else if (g_str_has_prefix (request->path, "/tasks?"))
    serve_tasks (request, out);
  else if (g_str_has_prefix (request->path, "/files/"))
    raw_respond (out, 200, "video/mp4", mp4, len);
  else
    raw_respond (out, 404, "application/json", "{\"code\": 1202}", 14);
}

static void
setup (void)
{
  const TestMp4Spec spec = {.n_samples = 120,.sample_size = 400,.height = 720 };

  memset (&fake, 0, sizeof (fake));
  g_mutex_init (&fake.lock);
  fake.tasks =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, fake_task_free);
  fake.mp4 = test_mp4_build (&spec);
  fake.polls_to_succeed = 3;
  server = raw_server_start (fake_handler, NULL);
  cache_dir = g_dir_make_tmp ("kling-v2-XXXXXX", NULL);
}

static void
teardown (void)
{
  raw_server_stop (server);
  g_hash_table_unref (fake.tasks);
  g_bytes_unref (fake.mp4);
  g_free (fake.last_body);
  g_mutex_clear (&fake.lock);
  test_remove_tree (cache_dir);
  g_clear_pointer (&cache_dir, g_free);
}

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

static KlingRequest *
i2v_request (const gchar * model, const gchar * prompt)
{
  g_autoptr (GBytes) image = still_jpeg ();
  KlingImage2VideoParams p = i2v_params (model, image);
  g_autoptr (GError) err = NULL;
  KlingRequest *request;

  p.prompt = prompt;
  request = kling_image2video_request_new (&p, &err);
  fail_unless (request != NULL, "%s: %s", model, err ? err->message : "");
  return request;
}

/* --- jobs against the fake ----------------------------------------------------------------- */

typedef struct
{
  guint creates, tasks_queries, ids_polled, max_ids, external_queries;
  guint fail_queries, omit_queries;
} FakeCounts;

/* The counters, read under the lock (a failed check must not leave it held). */
static FakeCounts
counts (void)
{
  FakeCounts c;

  g_mutex_lock (&fake.lock);
  c = (FakeCounts) {
  fake.creates, fake.tasks_queries, fake.ids_polled, fake.max_ids,
        fake.external_queries, fake.fail_queries, fake.omit_queries};
  g_mutex_unlock (&fake.lock);
  return c;
}

static KlingClient *
fake_client (void)
{
  return test_fast_client (raw_server_url (server),
      kling_auth_new_static ("key", KLING_AUTH_HEADER_BEARER), 2000);
}

static KlingJob *
start_polling_every (KlingClient * client, KlingRequest * request,
    gdouble interval_s, JobOutcome * o)
{
  KlingJobOptions options = {.poll_interval_s = interval_s,.timeout_s = 60,
    .cache_dir = cache_dir
  };

  job_outcome_init (o);
  return kling_client_start_job (client, request, &options,
      &job_outcome_callbacks, o, job_outcome_notify);
}

static KlingJob *
start (KlingClient * client, KlingRequest * request, JobOutcome * o)
{
  return start_polling_every (client, request, 0.1, o);
}

static void
finish (KlingJob * job, JobOutcome * o)
{
  fail_unless (job_outcome_wait (o, 20));
  kling_job_unref (job);
  fail_unless (job_outcome_wait_notified (o, 10));
  job_outcome_clear (o);
}

GST_START_TEST (test_access_key_refused_before_any_request)
{
  g_autoptr (KlingClient) client = test_fast_client (raw_server_url (server),
      kling_auth_new_jwt ("AK", "SK"), 2000);
  g_autoptr (KlingRequest) request = i2v_request ("kling-3.0", "p");
  g_autofree gchar *sentence = NULL;
  JobOutcome o;
  KlingJob *job = start (client, request, &o);

  fail_unless (job_outcome_wait (&o, 10));
  fail_unless (g_error_matches (o.error, KLING_ERROR, KLING_ERROR_AUTH));
  sentence = kling_error_dup_user_message (o.error);
  fail_unless_equals_string (sentence,
      "kling-3.0 is on Kling's per-model API, which takes "
      "an API key, not an access key and secret key: set api-key (or KLING_API_KEY), or "
      "use a model of the /v1 API.");
  fail_unless_equals_int (raw_server_count (server, NULL), 0);
  finish (job, &o);
}

GST_END_TEST;

/* Each model of the per-model API, four renders at once: polled together. */
GST_START_TEST (test_four_renders_poll_in_batches)
{
  static const gchar *const models[] = {
    "kling-3.0", "kling-3.0-turbo", "kling-2.6", "kling-2.5-turbo",
  };
  g_autoptr (KlingClient) client = fake_client ();
  JobOutcome o[4];
  KlingJob *jobs[4];
  FakeCounts c;
  guint i;

  for (i = 0; i < 4; i++) {
    g_autoptr (KlingRequest) request = i2v_request (models[i], "p");
    jobs[i] = start (client, request, &o[i]);
  }
  for (i = 0; i < 4; i++) {
    fail_unless (job_outcome_wait (&o[i], 20), "%s did not finish", models[i]);
    fail_unless (o[i].error == NULL, "%s: %s", models[i], o[i].error->message);
    fail_unless (g_file_test (o[i].mp4_path, G_FILE_TEST_EXISTS));
    fail_unless_equals_string (o[i].task->charge, "0.42");
    fail_unless_equals_string (o[i].task->charge_unit, "USD");
    fail_unless (g_str_has_prefix (o[i].task->external_task_id, "gstkling-"));
  }
  c = counts ();
  fail_unless_equals_int (c.creates, 4);
  fail_unless_equals_int (raw_server_count (server,
          "/image-to-video/kling-2.6"), 1);
  /* Each task is polled until its third answer: 12 polls at least, in fewer requests. */
  fail_unless (c.ids_polled >= 12);
  /* Tasks created moments apart fall into step: one request carried all four. */
  fail_unless_equals_int (c.max_ids, 4);
  fail_unless (c.tasks_queries < c.ids_polled, "%u requests for %u polls",
      c.tasks_queries, c.ids_polled);
  /* the last create; no other thread writes it once every job is done */
  fail_unless (strstr (fake.last_body,
          "\"external_task_id\":\"gstkling-") != NULL);
  for (i = 0; i < 4; i++)
    finish (jobs[i], &o[i]);
}

GST_END_TEST;

/* More tasks than one request may carry: split, never more than the cap. */
GST_START_TEST (test_batch_cap)
{
  g_autoptr (KlingClient) client = fake_client ();
  const guint n = KLING_POLLER_MAX_IDS + 3;
  JobOutcome *o = g_new0 (JobOutcome, n);
  KlingJob **jobs = g_new0 (KlingJob *, n);
  FakeCounts c;
  guint i;

  /* However slowly the creates come (valgrind), all tasks are in flight together; polls
   * at a slower pace leave the creates room. */
  fake.hold_until_creates = n;
  fake.polls_to_succeed = 2;
  for (i = 0; i < n; i++) {
    g_autofree gchar *prompt = g_strdup_printf ("shot %u", i);
    g_autoptr (KlingRequest) request = i2v_request ("kling-2.5-turbo", prompt);

    jobs[i] = start_polling_every (client, request, 0.5, &o[i]);
  }
  for (i = 0; i < n; i++) {
    fail_unless (job_outcome_wait (&o[i], 50));
    fail_unless (o[i].error == NULL, "%s",
        o[i].error ? o[i].error->message : "");
  }
  c = counts ();
  fail_unless_equals_int (c.max_ids, KLING_POLLER_MAX_IDS);
  fail_unless (c.tasks_queries * 10 < c.ids_polled, "%u requests for %u polls",
      c.tasks_queries, c.ids_polled);
  for (i = 0; i < n; i++)
    finish (jobs[i], &o[i]);
  g_free (o);
  g_free (jobs);
}

GST_END_TEST;

/* A batch request that fails after its retries, then answers that leave the task out:
 * glitches, polled again; the render still ends well. */
GST_START_TEST (test_glitches_are_retried)
{
  g_autoptr (KlingClient) client = fake_client ();
  g_autoptr (KlingRequest) request = i2v_request ("kling-3.0", "p");
  JobOutcome o;
  KlingJob *job;
  FakeCounts c;

  fake.fail_queries = 3;        /* every attempt of the first batch request */
  fake.omit_queries = 1;
  job = start (client, request, &o);
  fail_unless (job_outcome_wait (&o, 20));
  fail_unless (o.error == NULL, "%s", o.error ? o.error->message : "");
  fail_unless (o.wait_reasons & (1 << KLING_WAIT_SERVER_ERROR));
  c = counts ();
  fail_unless_equals_int (c.creates, 1);
  fail_unless_equals_int (c.fail_queries, 0);
  fail_unless_equals_int (c.omit_queries, 0);
  finish (job, &o);
}

GST_END_TEST;

/* The create's answer is lost: the task is found by our external id, not paid twice. */
GST_START_TEST (test_lost_create_found_by_external_id)
{
  g_autoptr (KlingClient) client = fake_client ();
  g_autoptr (KlingRequest) request = i2v_request ("kling-3.0-turbo", "p");
  JobOutcome o;
  KlingJob *job;
  FakeCounts c;

  fake.drop_first_create = TRUE;
  job = start (client, request, &o);
  fail_unless (job_outcome_wait (&o, 20));
  fail_unless (o.error == NULL, "%s", o.error ? o.error->message : "");
  c = counts ();
  fail_unless_equals_int (c.creates, 1);
  fail_unless_equals_int (c.external_queries, 1);
  fail_unless_equals_string (o.task->task_id, "T-1");
  finish (job, &o);
}

GST_END_TEST;

/* A journal's task id that no answer lists (another account's, long gone): after the
 * glitches it is forgotten and the request rendered anew, once. */
GST_START_TEST (test_stale_journal_task_is_replaced)
{
  g_autoptr (KlingClient) client = fake_client ();
  g_autoptr (KlingRequest) request = i2v_request ("kling-2.6", "p");
  g_autofree gchar *key = kling_client_cache_key (client, request);
  KlingJournalEntry entry = {
    .external_task_id = (gchar *) "gstkling-old",.task_id = (gchar *) "T-gone",
    .create_sent_ms = g_get_real_time () / 1000,
  };
  JobOutcome o;
  KlingJob *job;
  FakeCounts c;

  fail_unless (kling_journal_save (cache_dir, key, KLING_ENDPOINT_IMAGE2VIDEO,
          &entry, NULL));
  job = start (client, request, &o);
  fail_unless (job_outcome_wait (&o, 20));
  fail_unless (o.error == NULL, "%s", o.error ? o.error->message : "");
  fail_unless_equals_string (o.task->task_id, "T-1");
  c = counts ();
  fail_unless_equals_int (c.creates, 1);
  finish (job, &o);
}

GST_END_TEST;

/* A batch refused for good (the key): every job it carried ends with that error, at
 * once, not after a round of glitches. */
GST_START_TEST (test_batch_refused_for_good_fails_its_jobs)
{
  g_autoptr (KlingClient) client = fake_client ();
  JobOutcome o[2];
  KlingJob *jobs[2];
  FakeCounts c;
  guint i;

  /* One refusal per batch; the two tasks share one unless the second create is slow. */
  fake.refuse_queries = 2;
  for (i = 0; i < 2; i++) {
    g_autofree gchar *prompt = g_strdup_printf ("shot %u", i);
    g_autoptr (KlingRequest) request = i2v_request ("kling-3.0", prompt);

    jobs[i] = start (client, request, &o[i]);
  }
  for (i = 0; i < 2; i++) {
    fail_unless (job_outcome_wait (&o[i], 20));
    fail_unless (g_error_matches (o[i].error, KLING_ERROR, KLING_ERROR_AUTH),
        "%s", o[i].error ? o[i].error->message : "no error");
    fail_if (o[i].wait_reasons & (1 << KLING_WAIT_SERVER_ERROR));
  }
  c = counts ();
  /* No poll was answered, and no job asked again after its refusal. */
  fail_unless_equals_int (c.tasks_queries, 0);
  fail_unless (raw_server_count (server, "/tasks?task_ids=") <= 2);
  for (i = 0; i < 2; i++)
    finish (jobs[i], &o[i]);
}

GST_END_TEST;

GST_START_TEST (test_failed_task_says_why)
{
  g_autoptr (KlingClient) client = fake_client ();
  g_autoptr (KlingRequest) request = i2v_request ("kling-2.6", "FAIL-ME");
  JobOutcome o;
  KlingJob *job = start (client, request, &o);

  fail_unless (job_outcome_wait (&o, 20));
  fail_unless (g_error_matches (o.error, KLING_ERROR, KLING_ERROR_TASK_FAILED));
  fail_unless_equals_string (kling_error_get_task_status_msg (o.error),
      "content check failed");
  finish (job, &o);
}

GST_END_TEST;

static Suite *
per_model_suite (void)
{
  Suite *s = suite_create ("kling-per-model");
  TCase *jobs = tcase_create ("jobs");

  suite_add_tcase (s, jobs);
  tcase_set_timeout (jobs, 60);
  tcase_add_checked_fixture (jobs, setup, teardown);
  tcase_add_test (jobs, test_access_key_refused_before_any_request);
  tcase_add_test (jobs, test_four_renders_poll_in_batches);
  tcase_add_test (jobs, test_batch_cap);
  tcase_add_test (jobs, test_glitches_are_retried);
  tcase_add_test (jobs, test_lost_create_found_by_external_id);
  tcase_add_test (jobs, test_failed_task_says_why);
  tcase_add_test (jobs, test_stale_journal_task_is_replaced);
  tcase_add_test (jobs, test_batch_refused_for_good_fails_its_jobs);
  return s;
}

GST_CHECK_MAIN (per_model);
