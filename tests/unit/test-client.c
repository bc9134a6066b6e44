/* Unit tests of the client that need no server: credentials, the shared client table,
 * network failures on a closed loopback port, cancellation, shutdown, cache hits. */
#include <gst/check/gstcheck.h>
#include <string.h>
#include <glib/gstdio.h>
#include "kling-client.h"
#include "kling-cache.h"
#include "client-test-util.h"
#include "mp4-build.h"

/* Port 1 on loopback: nothing listens there, connections are refused at once. */
#define CLOSED_URL "http://127.0.0.1:1"



static KlingRequest *
make_request (const gchar * prompt)
{
  g_autofree gchar *json =
      g_strdup_printf ("{\"model_name\":\"kling-v1-6\",\"mode\":\"std\","
      "\"duration\":\"5\",\"prompt\":\"%s\",\"image\":\"QUJD\"}", prompt);
  return kling_request_new (KLING_ENDPOINT_IMAGE2VIDEO, json_from_string (json,
          NULL), NULL);
}

static KlingClient *
fast_client (const gchar * url, const gchar * secret)
{
  KlingRetryPolicy policy = {
    .max_attempts = 3,.base_delay_ms = 5,.max_delay_ms = 20,.deadline_s = 10,
  };
  KlingClient *client =
      kling_client_acquire (url, kling_auth_new_jwt ("AK", secret), NULL);

  fail_unless (client != NULL);
  kling_client_set_policy (client, &policy);
  return client;
}

/* A client of CLOSED_URL whose every retry waits @delay_ms (10 attempts): a job on it
 * fails its first attempt at once, then sits in a long backoff. */
static KlingClient *
slow_client (const gchar * secret, guint delay_ms)
{
  KlingRetryPolicy policy = {.max_attempts = 10,.base_delay_ms = delay_ms,
    .max_delay_ms = delay_ms,.deadline_s = 600
  };
  KlingClient *client =
      kling_client_acquire (CLOSED_URL, kling_auth_new_jwt ("AK", secret),
      NULL);

  fail_unless (client != NULL);
  kling_client_set_policy (client, &policy);
  return client;
}

GST_START_TEST (test_auth_from_settings)
{
  g_autoptr (GError) err = NULL;
  KlingAuth *auth;
  const gchar *name;
  gchar *value;

  g_unsetenv ("KLING_ACCESS_KEY");
  g_unsetenv ("KLING_SECRET_KEY");
  g_unsetenv ("KLING_API_KEY");
  fail_unless (kling_auth_new_from_settings (NULL, "", NULL,
          KLING_AUTH_HEADER_BEARER, &err) == NULL);
  fail_unless (g_error_matches (err, KLING_ERROR, KLING_ERROR_AUTH));
  g_clear_error (&err);
  fail_unless (kling_auth_new_from_settings ("AK", NULL, NULL,
          KLING_AUTH_HEADER_BEARER, &err) == NULL);
  fail_unless (strstr (err->message, "no secret key") != NULL);
  fail_unless (strstr (err->message, "AK") == NULL);
  g_clear_error (&err);

  /* the environment fills in what is unset */
  g_setenv ("KLING_SECRET_KEY", "env-secret", TRUE);
  auth =
      kling_auth_new_from_settings ("AK", NULL, NULL, KLING_AUTH_HEADER_BEARER,
      NULL);
  fail_unless (auth != NULL && kling_auth_is_jwt (auth));
  kling_auth_free (auth);

  /* a static key wins over a pair */
  auth =
      kling_auth_new_from_settings ("AK", "SK", "static-key",
      KLING_AUTH_HEADER_X_API_KEY, NULL);
  fail_unless (!kling_auth_is_jwt (auth));
  value = kling_auth_dup_header (auth, 0, &name);
  fail_unless_equals_string (name, "X-API-Key");
  fail_unless_equals_string (value, "static-key");
  g_free (value);
  kling_auth_free (auth);

  /* properties win over the environment as a whole */
  g_setenv ("KLING_API_KEY", "env-key", TRUE);
  auth =
      kling_auth_new_from_settings ("AK", "SK", NULL, KLING_AUTH_HEADER_BEARER,
      NULL);
  fail_unless (kling_auth_is_jwt (auth));
  kling_auth_free (auth);
  auth =
      kling_auth_new_from_settings (NULL, NULL, NULL, KLING_AUTH_HEADER_BEARER,
      NULL);
  fail_unless (!kling_auth_is_jwt (auth));
  kling_auth_free (auth);
  g_unsetenv ("KLING_SECRET_KEY");
  g_unsetenv ("KLING_API_KEY");
}

GST_END_TEST;

GST_START_TEST (test_shared_instances)
{
  KlingClient *a =
      kling_client_acquire (CLOSED_URL "/", kling_auth_new_jwt ("AK", "SK"),
      NULL);
  KlingClient *b =
      kling_client_acquire (CLOSED_URL, kling_auth_new_jwt ("AK", "SK"), NULL);
  KlingClient *c =
      kling_client_acquire (CLOSED_URL, kling_auth_new_jwt ("AK", "other"),
      NULL);
  KlingClient *d;
  KlingRetryPolicy policy;
  g_autoptr (GError) err = NULL;

  fail_unless (a == b);
  fail_unless (a != c);
  fail_unless_equals_string (kling_client_get_base_url (a), CLOSED_URL);
  kling_client_get_policy (a, &policy);
  fail_unless_equals_int (policy.max_attempts, 6);
  fail_unless_equals_int (policy.base_delay_ms, 1000);
  /* a stalled call ends in about 2 minutes; a download must keep 8 KB/s */
  fail_unless_equals_int (policy.io_timeout_ms, 20000);
  fail_unless_equals_int (policy.deadline_s, 120);
  fail_unless_equals_int (policy.busy_max_delay_ms, 30000);
  fail_unless_equals_int (policy.min_download_rate, 8192);
  policy.max_attempts = 2;
  kling_client_set_policy (a, &policy);
  kling_client_unref (a);
  /* b still holds it: the same instance, with the changed policy */
  d = kling_client_acquire (CLOSED_URL, kling_auth_new_jwt ("AK", "SK"), NULL);
  fail_unless (d == b);
  kling_client_get_policy (d, &policy);
  fail_unless_equals_int (policy.max_attempts, 2);
  kling_client_unref (d);
  kling_client_unref (b);
  /* every reference gone: a fresh instance with the default policy */
  d = kling_client_acquire (CLOSED_URL, kling_auth_new_jwt ("AK", "SK"), NULL);
  kling_client_get_policy (d, &policy);
  fail_unless_equals_int (policy.max_attempts, 6);
  kling_client_unref (d);
  kling_client_unref (c);

  fail_unless (kling_client_acquire ("ftp://host", kling_auth_new_jwt ("AK",
              "SK"), &err) == NULL);
  fail_unless (g_error_matches (err, KLING_ERROR, KLING_ERROR_INVALID_INPUT));
}

GST_END_TEST;

/* Kling's docs write endpoints as "/v1/videos/...": an api-url that already ends in /v1
 * is the same server (and the same shared client). */
GST_START_TEST (test_api_url_with_v1)
{
  const gchar *const urls[] =
      { CLOSED_URL "/v1", CLOSED_URL "/v1/", CLOSED_URL "/v1//" };
  KlingClient *plain =
      kling_client_acquire (CLOSED_URL, kling_auth_new_jwt ("AK", "SK"),
      NULL);
  KlingClient *other =
      kling_client_acquire (CLOSED_URL "/v2", kling_auth_new_jwt ("AK",
          "SK"), NULL);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (urls); i++) {
    KlingClient *c =
        kling_client_acquire (urls[i], kling_auth_new_jwt ("AK", "SK"), NULL);

    fail_unless (c == plain, "%s", urls[i]);
    fail_unless_equals_string (kling_client_get_base_url (c), CLOSED_URL);
    kling_client_unref (c);
  }
  /* only /v1 is Kling's own prefix */
  fail_unless_equals_string (kling_client_get_base_url (other),
      CLOSED_URL "/v2");
  kling_client_unref (other);
  kling_client_unref (plain);
}

GST_END_TEST;

/* No credentials anywhere: an AUTH error before any request (no HTTP status), saying what
 * to set. */
GST_START_TEST (test_no_credentials_at_all)
{
  g_autoptr (GError) err = NULL;
  g_autofree gchar *message = NULL;

  g_unsetenv ("KLING_ACCESS_KEY");
  g_unsetenv ("KLING_SECRET_KEY");
  g_unsetenv ("KLING_API_KEY");
  fail_unless (kling_auth_new_from_settings (NULL, NULL, NULL,
          KLING_AUTH_HEADER_BEARER, &err) == NULL);
  fail_unless (g_error_matches (err, KLING_ERROR, KLING_ERROR_AUTH));
  fail_unless_equals_int (kling_error_get_http_status (err), 0);
  message = kling_error_dup_user_message (err);
  fail_unless_equals_string (message,
      "No Kling credentials are set: set access-key and "
      "secret-key (or the KLING_ACCESS_KEY and KLING_SECRET_KEY environment variables), or "
      "api-key (or KLING_API_KEY).");
  g_clear_error (&err);
  g_clear_pointer (&message, g_free);

  fail_unless (kling_auth_new_from_settings ("ak", NULL, NULL,
          KLING_AUTH_HEADER_BEARER, &err) == NULL);
  message = kling_error_dup_user_message (err);
  fail_unless_equals_string (message,
      "Only an access key is set, without its secret key: "
      "set secret-key (or KLING_SECRET_KEY), or use api-key instead.");
}

GST_END_TEST;

typedef struct
{
  const gchar *cache_dir;       /* holds the clip of make_request ("shared") */
  GMutex lock;                  /* guards the two below */
  gint failures;
  gchar *first_failure;
} AcquireRace;

static void
race_fail (AcquireRace * race, gchar * message)
{
  g_mutex_lock (&race->lock);
  race->failures++;
  if (race->first_failure == NULL)
    race->first_failure = g_steal_pointer (&message);
  g_mutex_unlock (&race->lock);
  g_free (message);
}

/* One client handed out is alive: a job on it runs to its end. A client revived while it
 * is torn down would cancel the job (its shutdown does) or never run it. */
static void
acquire_and_use (AcquireRace * race)
{
  KlingClient *client =
      kling_client_acquire (CLOSED_URL, kling_auth_new_jwt ("AK", "SK"),
      NULL);
  g_autoptr (KlingRequest) request = make_request ("shared");
  KlingJobOptions options = {.poll_interval_s = 1,.timeout_s = 5,
    .cache_dir = race->cache_dir
  };
  KlingJob *job;
  JobOutcome o;

  if (client == NULL) {
    race_fail (race, g_strdup ("kling_client_acquire() returned NULL"));
    return;
  }
  job_outcome_init (&o);
  job =
      kling_client_start_job (client, request, &options, &job_outcome_callbacks,
      &o, job_outcome_notify);
  if (!job_outcome_wait (&o, 2))
    race_fail (race, g_strdup ("a job on an acquired client never finished"));
  else if (o.error != NULL || !o.cache_hit)
    race_fail (race, g_strdup_printf ("a job on an acquired client failed: %s",
            o.error ? o.error->message : "not a cache hit"));
  kling_job_unref (job);
  kling_client_unref (client);
  /* The job is freed at the latest when its client's worker stops. */
  if (!job_outcome_wait_notified (&o, 2))
    race_fail (race, g_strdup ("a job was never freed"));
  job_outcome_clear (&o);
}

static gpointer
acquire_release (gpointer data)
{
  guint i;

  for (i = 0; i < 25; i++)
    acquire_and_use (data);
  return NULL;
}

/* Concurrent acquire/release never hands out a client that is being torn down: the threads
 * take and drop the one shared client, so it is created and destroyed again and again
 * while others look it up, and every job given to a client handed out must finish. */
GST_START_TEST (test_acquire_release_threads)
{
  g_autofree gchar *dir = g_dir_make_tmp ("kling-client-test-XXXXXX", NULL);
  g_autofree gchar *part = g_build_filename (dir, "x.part", NULL);
  g_autoptr (KlingRequest) request = make_request ("shared");
  KlingTask task = {.task_id = "T-s",.status = KLING_TASK_SUCCEED,.video_id =
        "V-s"
  };
  KlingClient *client =
      kling_client_acquire (CLOSED_URL, kling_auth_new_jwt ("AK", "SK"),
      NULL);
  g_autofree gchar *key = kling_client_cache_key (client, request);
  AcquireRace race = {.cache_dir = dir };
  GThread *threads[4];
  guint i;

  test_mp4_write (part, NULL);
  fail_unless (kling_cache_store (dir, key, part, request, &task, NULL));
  kling_client_unref (client);
  g_mutex_init (&race.lock);
  for (i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("acq", acquire_release, &race);
  for (i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
  fail_unless_equals_int (race.failures, 0);
  fail_unless (race.first_failure == NULL, "%s", race.first_failure);
  g_mutex_clear (&race.lock);
  test_remove_tree (dir);
}

GST_END_TEST;

/* Holds a job's finished() (which a client's teardown calls for every unfinished job) until
 * the test lets it go, so the test can act while a client is being torn down. */
typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean in_teardown;
  gboolean release;
} TeardownGate;

static void
gate_finished (KlingJob * job, const gchar * mp4_path, const KlingTask * task,
    const GError * error, gpointer user_data)
{
  TeardownGate *gate = user_data;

  g_mutex_lock (&gate->lock);
  gate->in_teardown = TRUE;
  g_cond_broadcast (&gate->cond);
  while (!gate->release)
    g_cond_wait (&gate->cond, &gate->lock);
  g_mutex_unlock (&gate->lock);
}

static const KlingJobCallbacks gate_callbacks = {.finished = gate_finished };

static gpointer
drop_client (gpointer client)
{
  kling_client_unref (client);
  return NULL;
}

/* The client table never hands out a client whose last reference went: one acquired for
 * the same account while the old one is still stopping is a new client, and it works. */
GST_START_TEST (test_acquire_while_torn_down)
{
  g_autoptr (KlingRequest) request = make_request ("teardown");
  KlingClient *dying = slow_client ("teardown", 20000), *fresh;
  TeardownGate gate = { 0 };
  gint64 until = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
  GThread *dropper;
  KlingJob *job;
  JobOutcome o;

  g_mutex_init (&gate.lock);
  g_cond_init (&gate.cond);
  /* A job in a 10-20 s backoff: still unfinished when the client goes. */
  kling_job_unref (kling_client_start_job (dying, request, NULL,
          &gate_callbacks, &gate, NULL));
  dropper = g_thread_new ("drop", drop_client, dying);
  g_mutex_lock (&gate.lock);
  while (!gate.in_teardown
      && g_cond_wait_until (&gate.cond, &gate.lock, until));
  fail_unless (gate.in_teardown, "the last unref did not cancel the job");
  g_mutex_unlock (&gate.lock);

  /* `dying` is not freed yet: its worker is held in the gate. */
  fresh = fast_client (CLOSED_URL, "teardown");
  fail_unless (fresh != dying,
      "the client being torn down was handed out again");
  job_outcome_init (&o);
  job =
      kling_client_start_job (fresh, request, NULL, &job_outcome_callbacks, &o,
      NULL);
  fail_unless (job_outcome_wait (&o, 3));
  /* Its worker ran the job (3 refused connections), rather than cancel it. */
  fail_unless (g_error_matches (o.error, KLING_ERROR, KLING_ERROR_NETWORK),
      "%s", o.error ? o.error->message : "no error");

  g_mutex_lock (&gate.lock);
  gate.release = TRUE;
  g_cond_broadcast (&gate.cond);
  g_mutex_unlock (&gate.lock);
  g_thread_join (dropper);
  kling_job_unref (job);
  kling_client_unref (fresh);
  job_outcome_clear (&o);
  g_mutex_clear (&gate.lock);
  g_cond_clear (&gate.cond);
}

GST_END_TEST;

GST_START_TEST (test_network_failure_after_retries)
{
  KlingClient *client = fast_client (CLOSED_URL, "net");
  g_autoptr (KlingRequest) request = make_request ("net");
  KlingJob *job;
  JobOutcome o;

  job_outcome_init (&o);
  job =
      kling_client_start_job (client, request, NULL, &job_outcome_callbacks, &o,
      NULL);
  fail_unless (job_outcome_wait (&o, 10));
  fail_unless (g_error_matches (o.error, KLING_ERROR, KLING_ERROR_NETWORK),
      "%s", o.error ? o.error->message : "no error");
  fail_unless (o.callback_thread != g_thread_self ());
  fail_unless (o.mp4_path == NULL);
  kling_job_cancel (job);       /* after the end: a no-op */
  kling_job_unref (job);
  kling_client_unref (client);
  fail_unless_equals_int (o.finished_calls, 1);
  job_outcome_clear (&o);
}

GST_END_TEST;

/* A job stuck in its backoff ends at once when cancelled. */
GST_START_TEST (test_cancel_is_prompt)
{
  KlingClient *client = slow_client ("slow", 20000);
  g_autoptr (KlingRequest) request = make_request ("cancel");
  KlingJob *job;
  JobOutcome o;
  gint64 start;

  job_outcome_init (&o);
  job =
      kling_client_start_job (client, request, NULL, &job_outcome_callbacks, &o,
      NULL);
  /* The first attempt fails at once on the closed port: the job then reports the 10-20 s
   * wait it enters. Only a cancel that lands in that wait is what this test is about. */
  fail_unless (job_outcome_wait_waiting (&o, 3),
      "the job never began a backoff");
  g_mutex_lock (&o.lock);
  fail_unless_equals_int (o.waiting_calls, 1);
  fail_unless_equals_int (o.last_wait_reason, KLING_WAIT_NETWORK);
  fail_unless (o.last_wait_delay_ms >= 10000, "a backoff of %u ms, not 10-20 s",
      o.last_wait_delay_ms);
  fail_unless (!o.done);
  g_mutex_unlock (&o.lock);
  start = g_get_monotonic_time ();
  kling_job_cancel (job);
  kling_job_cancel (job);
  fail_unless (job_outcome_wait (&o, 2));
  fail_unless (g_get_monotonic_time () - start < G_USEC_PER_SEC);
  fail_unless (g_error_matches (o.error, KLING_ERROR, KLING_ERROR_CANCELLED));
  kling_job_unref (job);
  kling_client_unref (client);
  fail_unless_equals_int (o.finished_calls, 1);
  job_outcome_clear (&o);
}

GST_END_TEST;

/* The last unref finishes every job (CANCELLED) before it returns, without waiting for
 * backoffs or timeouts. */
GST_START_TEST (test_unref_cancels_jobs)
{
  KlingClient *client = slow_client ("unref", 30000);
  g_autoptr (KlingRequest) r1 = make_request ("one");
  g_autoptr (KlingRequest) r2 = make_request ("two");
  KlingJob *j1, *j2;
  JobOutcome o1, o2;
  gint64 start;

  job_outcome_init (&o1);
  job_outcome_init (&o2);
  j1 = kling_client_start_job (client, r1, NULL, &job_outcome_callbacks, &o1,
      NULL);
  j2 = kling_client_start_job (client, r2, NULL, &job_outcome_callbacks, &o2,
      NULL);
  g_usleep (100 * 1000);
  start = g_get_monotonic_time ();
  kling_client_unref (client);
  fail_unless (g_get_monotonic_time () - start < G_USEC_PER_SEC);
  fail_unless (o1.done && o2.done);
  fail_unless (g_error_matches (o1.error, KLING_ERROR, KLING_ERROR_CANCELLED));
  fail_unless (g_error_matches (o2.error, KLING_ERROR, KLING_ERROR_CANCELLED));
  kling_job_cancel (j1);        /* the client is gone: harmless */
  kling_job_unref (j1);
  kling_job_unref (j2);
  job_outcome_clear (&o1);
  job_outcome_clear (&o2);
}

GST_END_TEST;

/* A clip cached for one server is never handed out for a request to another: a sandbox
 * render must not stand in for a paid one. The credentials do not matter (same account). */
GST_START_TEST (test_cache_key_follows_server)
{
  g_autoptr (KlingRequest) request = make_request ("server");
  KlingClient *sandbox = fast_client (CLOSED_URL, "cache");
  KlingClient *same = fast_client (CLOSED_URL "/", "other secret");
  KlingClient *other = fast_client ("http://127.0.0.1:2", "cache");
  g_autofree gchar *k_sandbox = kling_client_cache_key (sandbox, request);
  g_autofree gchar *k_same = kling_client_cache_key (same, request);
  g_autofree gchar *k_other = kling_client_cache_key (other, request);
  g_autofree gchar *k_request = kling_request_cache_key (request);

  fail_unless_equals_int (strlen (k_sandbox), 64);
  fail_unless_equals_string (k_sandbox, k_same);
  fail_if (g_str_equal (k_sandbox, k_other));
  fail_if (g_str_equal (k_sandbox, k_request));
  kling_client_unref (sandbox);
  kling_client_unref (same);
  kling_client_unref (other);
}

GST_END_TEST;

/* A clip in the cache: finished at once, no HTTP at all (the URL is a closed port). */
GST_START_TEST (test_cache_hit_needs_no_server)
{
  g_autofree gchar *dir = g_dir_make_tmp ("kling-client-test-XXXXXX", NULL);
  g_autofree gchar *part = g_build_filename (dir, "x.part", NULL);
  g_autoptr (KlingRequest) request = make_request ("cached");
  KlingTask task = {.task_id = "T-c",.status = KLING_TASK_SUCCEED,.video_id =
        "V-c"
  };
  KlingJobOptions options = {.poll_interval_s = 1,.timeout_s = 5,.cache_dir =
        dir
  };
  KlingClient *client = fast_client (CLOSED_URL, "cache");
  g_autofree gchar *key = kling_client_cache_key (client, request);
  KlingJob *job;
  JobOutcome o;

  test_mp4_write (part, NULL);
  fail_unless (kling_cache_store (dir, key, part, request, &task, NULL));
  job_outcome_init (&o);
  job =
      kling_client_start_job (client, request, &options, &job_outcome_callbacks,
      &o, job_outcome_notify);
  fail_unless (job != NULL);
  fail_unless (job_outcome_wait (&o, 5));
  fail_unless (o.error == NULL, "%s", o.error ? o.error->message : "");
  fail_unless (g_str_has_suffix (o.mp4_path, ".mp4"));
  fail_unless_equals_string (o.task->task_id, "T-c");
  fail_unless_equals_string (o.task->video_id, "V-c");
  kling_job_unref (job);
  kling_client_unref (client);
  fail_unless (o.notified);
  g_unlink (o.mp4_path);
  {
    g_autofree gchar *sidecar = g_strconcat (dir, "/", key, ".json", NULL);
    g_unlink (sidecar);
  }
  g_rmdir (dir);
  job_outcome_clear (&o);
}

GST_END_TEST;

static void
on_call (JsonNode * data, const GError * error, gpointer user_data)
{
  JobOutcome *o = user_data;

  g_mutex_lock (&o->lock);
  o->finished_calls++;
  o->error = error ? g_error_copy (error) : NULL;
  o->done = TRUE;
  g_cond_broadcast (&o->cond);
  g_mutex_unlock (&o->lock);
}

GST_START_TEST (test_oneshot_cancel_from_caller_thread)
{
  KlingClient *client = slow_client ("one", 30000);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (JsonNode) body = json_from_string ("{\"video_id\": \"v\"}", NULL);
  JobOutcome o;

  job_outcome_init (&o);
  kling_client_call (client, KLING_ENDPOINT_IDENTIFY_FACE, body, cancellable,
      on_call, &o);
  g_usleep (100 * 1000);
  g_cancellable_cancel (cancellable);
  fail_unless (job_outcome_wait (&o, 2));
  fail_unless (g_error_matches (o.error, KLING_ERROR, KLING_ERROR_CANCELLED));
  kling_client_unref (client);
  fail_unless_equals_int (o.finished_calls, 1);
  job_outcome_clear (&o);
}

GST_END_TEST;

static Suite *
client_suite (void)
{
  Suite *s = suite_create ("kling-client");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_auth_from_settings);
  tcase_add_test (tc, test_shared_instances);
  tcase_add_test (tc, test_api_url_with_v1);
  tcase_add_test (tc, test_no_credentials_at_all);
  tcase_add_test (tc, test_cache_key_follows_server);
  tcase_add_test (tc, test_acquire_release_threads);
  tcase_add_test (tc, test_acquire_while_torn_down);
  tcase_add_test (tc, test_network_failure_after_retries);
  tcase_add_test (tc, test_cancel_is_prompt);
  tcase_add_test (tc, test_unref_cancels_jobs);
  tcase_add_test (tc, test_cache_hit_needs_no_server);
  tcase_add_test (tc, test_oneshot_cancel_from_caller_thread);
  return s;
}

GST_CHECK_MAIN (client);
