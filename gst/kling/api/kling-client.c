/* gst-kling: the Kling REST client: one worker thread, its GMainContext and SoupSession.
 *
 * Threading rules (they keep the code free of data races without locking every field):
 * - Everything named "worker-only" below is touched on the worker thread alone: sessions,
 *   messages, sources, job state. Public functions called from other threads hand work to
 *   the worker by attaching an idle source to its context.
 * - client->lock guards the policy and the list of unfinished jobs; job->lock guards
 *   job->client, which is cleared once the job has finished (after that, cancelling it is a
 *   no-op and the client may go away).
 * - A job holds no reference on its client: the last kling_client_unref() finishes every
 *   job with KLING_ERROR_CANCELLED, drains the pending operations and joins the thread.
 */
#include "config.h"
#include "kling-client.h"
#include "kling-backoff.h"
#include "kling-cache.h"
#include "kling-private.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>

#define HTTP_TIMEOUT_S 60
#define HTTP_IDLE_TIMEOUT_S 30
/* libsoup's default of 2 per host would queue every element's polls behind two downloads. */
#define HTTP_MAX_CONNS_PER_HOST 8
/* How often an expired result URL is refreshed by querying the task again. */
#define MAX_URL_REFRESHES 2

struct _KlingClient {
  gint ref_count;              /* the last unref is decided under clients_lock */
  gchar *table_key;
  gchar *base_url;
  KlingAuth *auth;

  GMutex lock;
  KlingRetryPolicy policy;     /* lock */
  GList *jobs;                 /* lock: unfinished jobs, one reference each */

  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  GMutex ready_lock;
  GCond ready_cond;
  gboolean ready;

  /* worker-only */
  SoupSession *session;
  guint pending_ops;           /* calls and downloads whose completion has not run yet */
  guint tasks_in_flight;
  GQueue waiting_jobs;         /* jobs waiting for a task slot (max_parallel_tasks) */
  GHashTable *leaders;         /* "cache_dir\nkey" -> the job rendering that clip (no ref) */
  GList *oneshot_cancellables; /* of kling_client_call()s in progress */
  gboolean shutting_down;
  gboolean free_on_worker;     /* the last unref ran on the worker itself */
};

struct _KlingJob {
  gint ref_count;
  GMutex lock;
  KlingClient *client;         /* lock; NULL once finished: what kling_job_cancel() uses */
  KlingClient *worker_client;  /* worker-only; valid while the job or one of its operations
                                  is pending (the client drains them before it is freed) */

  KlingRequest *request;
  gchar *key;
  gchar *cache_dir;            /* the cache, or the job's own temporary directory */
  gboolean own_dir;            /* no cache: cache_dir is ours and removed with the job */
  gdouble poll_interval_s;
  gdouble timeout_s;
  KlingJobCallbacks callbacks;
  gpointer user_data;
  GDestroyNotify notify;
  gchar *result_path;          /* own_dir only: the clip handed to finished() */

  /* worker-only */
  GCancellable *cancellable;
  gint64 started_us;
  gboolean finished;
  gboolean holds_slot;
  gchar *leader_key;           /* NULL without a cache: such jobs share nothing */
  gboolean is_leader;          /* this job renders the clip its twins wait for */
  KlingJob *leader;            /* a twin: the job it waits for (no ref) */
  GQueue twins;                /* leader: jobs for the same clip waiting for it (refs) */
  gchar *external_task_id;
  KlingTask *task;
  GSource *poll_source;
  GSource *deadline_source;
  GSource *wait_source;
  guint create_attempts;
  gint64 create_started_us;    /* the first create call: its retries' deadline counts here */
  gboolean unconfirmed_resume; /* following a journal's task id no answer confirmed yet */
  gboolean id_conflict_seen;   /* Kling said our external id was taken: looked it up once */
  guint download_attempts;
  guint url_refreshes;
  GError *start_error;         /* set when the job cannot even start */
  /* the download in progress */
  SoupMessage *download_msg;
  gchar *part_path;
};

G_LOCK_DEFINE_STATIC (clients);
static GHashTable *clients;    /* table_key -> KlingClient (weak: no reference) */

/* ====================================================================================== */
/* Credentials and the shared client table                                                */
/* ====================================================================================== */

static const gchar *
non_empty (const gchar *value)
{
  return value && *value ? value : NULL;
}

KlingAuth *
kling_auth_new_from_settings (const gchar *access_key, const gchar *secret_key,
    const gchar *api_key, KlingAuthHeader header, GError **error)
{
  const gchar *ak = non_empty (access_key), *sk = non_empty (secret_key);
  const gchar *key = non_empty (api_key);

  /* What the element was given wins as a whole over the environment. */
  if (key)
    return kling_auth_new_static (key, header);
  if (!ak && !sk) {
    key = non_empty (g_getenv ("KLING_API_KEY"));
    if (key)
      return kling_auth_new_static (key, header);
  }
  if (!ak)
    ak = non_empty (g_getenv ("KLING_ACCESS_KEY"));
  if (!sk)
    sk = non_empty (g_getenv ("KLING_SECRET_KEY"));
  if (ak && sk)
    return kling_auth_new_jwt (ak, sk);

  g_propagate_error (error, kling_error_new_full (KLING_ERROR_AUTH, 0, -1, NULL, NULL, NULL,
          "%s", ak ? "an access key is set but no secret key" :
          sk ? "a secret key is set but no access key" :
          "no credentials: set access-key and secret-key, or api-key (or KLING_ACCESS_KEY "
          "and KLING_SECRET_KEY, or KLING_API_KEY)"));
  return NULL;
}

static gchar *
normalize_base_url (const gchar *base_url, GError **error)
{
  const gchar *url = non_empty (base_url);
  g_autoptr (GUri) uri = NULL;
  gchar *copy;
  gsize len;

  if (url == NULL)
    url = non_empty (g_getenv ("KLING_API_URL"));
  if (url == NULL)
    url = KLING_DEFAULT_API_URL;
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL ||
      (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 &&
          g_strcmp0 (g_uri_get_scheme (uri), "https") != 0)) {
    g_propagate_error (error, kling_error_new_full (KLING_ERROR_INVALID_INPUT, 0, -1, NULL,
            NULL, NULL, "api-url \"%s\" is not an http(s) URL", url));
    return NULL;
  }
  copy = g_strdup (url);
  len = strlen (copy);
  while (len > 0 && copy[len - 1] == '/')
    copy[--len] = '\0';
  return copy;
}

static gpointer worker_main (gpointer data);

static void
client_free (KlingClient *client)
{
  if (client->thread)
    g_thread_unref (client->thread);
  g_main_loop_unref (client->loop);
  g_main_context_unref (client->context);
  kling_auth_free (client->auth);
  g_list_free (client->jobs);
  g_hash_table_unref (client->leaders);
  g_mutex_clear (&client->lock);
  g_mutex_clear (&client->ready_lock);
  g_cond_clear (&client->ready_cond);
  g_free (client->base_url);
  g_free (client->table_key);
  g_free (client);
}

static KlingClient *
client_new (gchar *base_url, KlingAuth *auth, gchar *table_key)
{
  KlingClient *client = g_new0 (KlingClient, 1);

  client->ref_count = 1;
  client->base_url = base_url;
  client->auth = auth;
  client->table_key = table_key;
  g_mutex_init (&client->lock);
  g_mutex_init (&client->ready_lock);
  g_cond_init (&client->ready_cond);
  client->policy = (KlingRetryPolicy) {
    .max_attempts = 6, .base_delay_ms = 1000, .max_delay_ms = 30000, .deadline_s = 300,
    .max_parallel_tasks = 0,
  };
  g_queue_init (&client->waiting_jobs);
  client->leaders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  client->context = g_main_context_new ();
  client->loop = g_main_loop_new (client->context, FALSE);

  client->thread = g_thread_new ("kling-client", worker_main, client);
  /* The session is created on the worker: wait until it exists. */
  g_mutex_lock (&client->ready_lock);
  while (!client->ready)
    g_cond_wait (&client->ready_cond, &client->ready_lock);
  g_mutex_unlock (&client->ready_lock);
  return client;
}

KlingClient *
kling_client_acquire (const gchar *base_url, KlingAuth *auth, GError **error)
{
  g_autofree gchar *url = NULL, *fingerprint = NULL;
  gchar *table_key;
  KlingClient *client;

  g_return_val_if_fail (auth != NULL, NULL);
  url = normalize_base_url (base_url, error);
  if (url == NULL) {
    kling_auth_free (auth);
    return NULL;
  }
  fingerprint = kling_auth_fingerprint (auth);
  table_key = g_strconcat (url, "\n", fingerprint, NULL);

  G_LOCK (clients);
  if (clients == NULL)
    clients = g_hash_table_new (g_str_hash, g_str_equal);
  client = g_hash_table_lookup (clients, table_key);
  if (client) {
    g_atomic_int_inc (&client->ref_count);
    G_UNLOCK (clients);
    g_free (table_key);
    kling_auth_free (auth);
    return client;
  }
  client = client_new (g_steal_pointer (&url), auth, table_key);
  g_hash_table_insert (clients, client->table_key, client);
  G_UNLOCK (clients);
  g_debug ("new client for %s", client->base_url);
  return client;
}

KlingClient *
kling_client_ref (KlingClient *client)
{
  g_return_val_if_fail (client != NULL, NULL);
  g_atomic_int_inc (&client->ref_count);
  return client;
}

const gchar *
kling_client_get_base_url (KlingClient *client)
{
  return client->base_url;
}

void
kling_client_get_policy (KlingClient *client, KlingRetryPolicy *policy)
{
  g_mutex_lock (&client->lock);
  *policy = client->policy;
  g_mutex_unlock (&client->lock);
}

void
kling_client_set_policy (KlingClient *client, const KlingRetryPolicy *policy)
{
  g_return_if_fail (policy != NULL);
  g_mutex_lock (&client->lock);
  client->policy = *policy;
  client->policy.max_attempts = MAX (client->policy.max_attempts, 1);
  g_mutex_unlock (&client->lock);
}

/* Runs @func on the worker at its next iteration (never synchronously, even when called
 * on the worker, so a caller never sees a callback before the call returns). */
static void
run_on_worker (GMainContext *context, GSourceFunc func, gpointer data, GDestroyNotify notify)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, notify);
  g_source_attach (source, context);
  g_source_unref (source);
}

/* ====================================================================================== */
/* One HTTP API call, with retries                                                        */
/* ====================================================================================== */

typedef void (*CallDone) (KlingClient *client, JsonNode *data, const gchar *request_id,
    const GError *error, gpointer user_data);

typedef struct {
  KlingClient *client;
  gchar *method;
  gchar *path;
  GBytes *body;
  GCancellable *cancellable;
  /* FALSE for a create: a failure after which the task may exist is handed back to the
   * job (to query by external id) instead of being retried blindly. */
  gboolean retry_ambiguous;
  guint attempts;
  gint64 started_us;
  gboolean reminted;
  SoupMessage *msg;
  CallDone done;
  gpointer user_data;
} KlingCall;

static void call_send (KlingCall *call);

static gdouble
elapsed_s_since (gint64 start_us)
{
  return (g_get_monotonic_time () - start_us) / (gdouble) G_USEC_PER_SEC;
}

static void
call_complete (KlingCall *call, JsonNode *data, const gchar *request_id, const GError *error)
{
  KlingClient *client = call->client;

  call->done (client, data, request_id, error, call->user_data);
  g_clear_object (&call->msg);
  g_clear_object (&call->cancellable);
  g_clear_pointer (&call->body, g_bytes_unref);
  g_free (call->method);
  g_free (call->path);
  g_free (call);
  client->pending_ops--;
}

static GError *
cancelled_error (void)
{
  return kling_error_new_full (KLING_ERROR_CANCELLED, 0, -1, NULL, NULL, NULL,
      "cancelled");
}

/* Seconds from a Retry-After header: delta-seconds or an HTTP date. */
static guint
parse_retry_after (SoupMessage *msg)
{
  const gchar *value = soup_message_headers_get_one (soup_message_get_response_headers (msg),
      "Retry-After");
  g_autoptr (GDateTime) when = NULL;
  gchar *end = NULL;
  guint64 seconds;

  if (value == NULL)
    return 0;
  seconds = g_ascii_strtoull (value, &end, 10);
  if (end != value && *end == '\0')
    return (guint) MIN (seconds, 3600);
  when = soup_date_time_new_from_http_string (value);
  if (when) {
    gint64 delta = g_date_time_to_unix (when) - g_get_real_time () / G_USEC_PER_SEC;
    return (guint) CLAMP (delta, 0, 3600);
  }
  return 0;
}

static gboolean
call_resend (gpointer data)
{
  call_send (data);
  return G_SOURCE_REMOVE;
}

/* A timer that also fires at once when @cancellable is cancelled. */
static GSource *
wait_source_new (guint delay_ms, GCancellable *cancellable)
{
  GSource *timer = g_timeout_source_new (delay_ms);

  if (cancellable) {
    GSource *cancel = g_cancellable_source_new (cancellable);
    g_source_set_dummy_callback (cancel);
    g_source_add_child_source (timer, cancel);
    g_source_unref (cancel);
  }
  return timer;
}

static gboolean
call_should_retry (KlingCall *call, const GError *error)
{
  if (error->code == KLING_ERROR_RATE_LIMITED)
    return TRUE;          /* refused before any processing: even a create may repeat */
  if (!call->retry_ambiguous)
    return FALSE;
  if (kling_error_is_retryable (error))
    return TRUE;
  /* A garbled answer to a query is worth another look; a create's is the job's call. */
  return error->code == KLING_ERROR_PROTOCOL && g_str_equal (call->method, "GET");
}

/* The policy's answer for a failed operation: FALSE when @attempts_made (first try
 * included) or the deadline measured from @started_us (0: none) leave no room; otherwise
 * the delay before the next attempt. */
static gboolean
next_retry_delay (KlingClient *client, guint attempts_made, gint64 started_us,
    const GError *error, guint *delay_ms)
{
  KlingRetryPolicy policy;
  KlingBackoff backoff;
  guint64 elapsed_ms = 0, deadline_ms = 0;

  kling_client_get_policy (client, &policy);
  backoff.base_delay_ms = policy.base_delay_ms;
  backoff.max_delay_ms = policy.max_delay_ms;
  *delay_ms = kling_backoff_delay_ms (&backoff, attempts_made,
      kling_error_get_retry_after (error), error->code == KLING_ERROR_RATE_LIMITED,
      g_random_double ());
  if (started_us > 0) {
    elapsed_ms = (g_get_monotonic_time () - started_us) / 1000;
    deadline_ms = (guint64) policy.deadline_s * 1000;
  }
  return kling_backoff_may_retry (attempts_made, policy.max_attempts, elapsed_ms, *delay_ms,
      deadline_ms);
}

/* Schedules the next attempt when the policy allows it; FALSE when it does not. */
static gboolean
call_schedule_retry (KlingCall *call, const GError *error)
{
  guint delay_ms;
  GSource *wait;

  if (!next_retry_delay (call->client, call->attempts, call->started_us, error, &delay_ms))
    return FALSE;

  g_debug ("%s %s failed (%s), attempt %u; retrying in %u ms", call->method, call->path,
      error->message, call->attempts, delay_ms);
  wait = wait_source_new (delay_ms, call->cancellable);
  g_source_set_callback (wait, call_resend, call, NULL);
  g_source_attach (wait, call->client->context);
  g_source_unref (wait);
  return TRUE;
}

static void
call_sent (GObject *source, GAsyncResult *result, gpointer data)
{
  KlingCall *call = data;
  g_autoptr (GError) io_error = NULL, error = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonNode) answer = NULL;
  g_autofree gchar *request_id = NULL;
  guint status;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &io_error);
  status = soup_message_get_status (call->msg);
  if (g_cancellable_is_cancelled (call->cancellable)) {
    error = cancelled_error ();
  } else if (body == NULL) {
    error = kling_error_new_full (KLING_ERROR_NETWORK, 0, -1, NULL, NULL, NULL, "%s",
        io_error->message);
  } else {
    answer = kling_envelope_parse (status, g_bytes_get_data (body, NULL),
        g_bytes_get_size (body), &request_id, &error);
    if (error)
      kling_error_set_retry_after (error, parse_retry_after (call->msg));
  }
  g_clear_object (&call->msg);
  g_debug ("%s %s -> %u%s%s (request_id %s)", call->method, call->path, status,
      error ? ": " : "", error ? error->message : "", request_id ? request_id : "-");

  if (error == NULL) {
    call_complete (call, answer, request_id, NULL);
    return;
  }
  if (error->code == KLING_ERROR_CANCELLED) {
    call_complete (call, NULL, request_id, error);
    return;
  }
  /* 1003 not yet valid / 1004 expired: a fresh token, once. */
  if (error->code == KLING_ERROR_AUTH && !call->reminted &&
      (kling_error_get_kling_code (error) == 1003 ||
          kling_error_get_kling_code (error) == 1004) && kling_auth_is_jwt (call->client->auth)) {
    g_info ("Kling refused the token (code %d): minting a new one",
        kling_error_get_kling_code (error));
    kling_auth_invalidate (call->client->auth);
    call->reminted = TRUE;
    call_send (call);
    return;
  }
  if (call_should_retry (call, error) && call_schedule_retry (call, error))
    return;
  call_complete (call, NULL, request_id, error);
}

static void
set_auth_header (KlingClient *client, SoupMessage *msg)
{
  const gchar *name = NULL;
  gchar *value = kling_auth_dup_header (client->auth, g_get_real_time () / G_USEC_PER_SEC,
      &name);

  soup_message_headers_replace (soup_message_get_request_headers (msg), name, value);
  /* The header copy lives in the message only; wipe ours. */
  memset (value, 0, strlen (value));
  g_free (value);
}

static void
call_send (KlingCall *call)
{
  KlingClient *client = call->client;
  g_autofree gchar *url = NULL;
  g_autoptr (GError) error = NULL;

  if (g_cancellable_is_cancelled (call->cancellable)) {
    error = cancelled_error ();
    call_complete (call, NULL, NULL, error);
    return;
  }
  call->attempts++;
  url = g_strconcat (client->base_url, call->path, NULL);
  call->msg = soup_message_new (call->method, url);
  if (call->msg == NULL) {
    error = kling_error_new_full (KLING_ERROR_INVALID_INPUT, 0, -1, NULL, NULL, NULL,
        "cannot make a URL from api-url and %s", call->path);
    call_complete (call, NULL, NULL, error);
    return;
  }
  set_auth_header (client, call->msg);
  soup_message_headers_replace (soup_message_get_request_headers (call->msg), "Accept",
      "application/json");
  if (call->body)
    soup_message_set_request_body_from_bytes (call->msg, "application/json", call->body);
  g_debug ("%s %s (attempt %u)", call->method, call->path, call->attempts);
  soup_session_send_and_read_async (client->session, call->msg, G_PRIORITY_DEFAULT,
      call->cancellable, call_sent, call);
}

/* Starts an API call on the worker; @done runs exactly once, on the worker. */
static void
call_start (KlingClient *client, const gchar *method, const gchar *path, JsonNode *body,
    GCancellable *cancellable, gboolean retry_ambiguous, CallDone done, gpointer user_data)
{
  KlingCall *call = g_new0 (KlingCall, 1);

  call->client = client;
  call->method = g_strdup (method);
  call->path = g_strdup (path);
  if (body) {
    gsize len;
    gchar *text = json_to_string (body, FALSE);
    len = strlen (text);
    call->body = g_bytes_new_take (text, len);
  }
  call->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  call->retry_ambiguous = retry_ambiguous;
  call->started_us = g_get_monotonic_time ();
  call->done = done;
  call->user_data = user_data;
  client->pending_ops++;
  call_send (call);
}

/* ====================================================================================== */
/* Jobs                                                                                   */
/* ====================================================================================== */

static void job_submit (KlingJob *job);
static void job_create (KlingJob *job);
static void job_poll_now (KlingJob *job);
static void job_download (KlingJob *job);

KlingJob *
kling_job_ref (KlingJob *job)
{
  g_return_val_if_fail (job != NULL, NULL);
  g_atomic_int_inc (&job->ref_count);
  return job;
}

/* Removes what a job without cache put in its own directory: the clip and tmp/ with any
 * partial download, then the directory itself. */
static void
remove_own_dir (KlingJob *job)
{
  g_autofree gchar *tmp = g_build_filename (job->cache_dir, "tmp", NULL);
  g_autoptr (GDir) tmp_dir = g_dir_open (tmp, 0, NULL);
  const gchar *name;

  if (job->result_path)
    g_unlink (job->result_path);
  while (tmp_dir && (name = g_dir_read_name (tmp_dir))) {
    g_autofree gchar *path = g_build_filename (tmp, name, NULL);
    g_unlink (path);
  }
  g_rmdir (tmp);
  g_rmdir (job->cache_dir);
}

void
kling_job_unref (KlingJob *job)
{
  g_return_if_fail (job != NULL);
  if (!g_atomic_int_dec_and_test (&job->ref_count))
    return;
  if (job->own_dir)
    remove_own_dir (job);
  /* Last, so whoever waits for it finds the job's files gone already. */
  if (job->notify)
    job->notify (job->user_data);
  kling_request_free (job->request);
  g_free (job->key);
  g_free (job->leader_key);
  g_free (job->cache_dir);
  g_free (job->result_path);
  g_free (job->external_task_id);
  g_clear_pointer (&job->task, kling_task_free);
  g_clear_error (&job->start_error);
  g_clear_object (&job->cancellable);
  g_clear_object (&job->download_msg);
  g_free (job->part_path);
  g_mutex_clear (&job->lock);
  g_free (job);
}

static KlingClient *
job_get_client (KlingJob *job)
{
  return job->worker_client;
}

static void
destroy_source (GSource **source)
{
  if (*source) {
    g_source_destroy (*source);
    g_source_unref (*source);
    *source = NULL;
  }
}

static void job_take_slot_or_wait (KlingJob *job);
static void job_start_or_wait_for_twin (KlingJob *job);
static void job_fail (KlingJob *job, const GError *error);

static void
release_slot (KlingClient *client, KlingJob *job)
{
  if (!job->holds_slot)
    return;
  job->holds_slot = FALSE;
  client->tasks_in_flight--;
  /* Wake the next job waiting for a slot. */
  while (!g_queue_is_empty (&client->waiting_jobs) && !client->shutting_down) {
    KlingJob *next = g_queue_pop_head (&client->waiting_jobs);
    gboolean alive = !next->finished;

    if (alive)
      job_take_slot_or_wait (next);
    kling_job_unref (next);
    if (alive)
      break;
  }
}

/* --- twins: jobs of one client for the same clip ---------------------------------------- */
/* Two pipelines of a process asking for the same clip at once must not pay twice, and the
 * journal alone cannot stop that: the second job would look up the first one's external id
 * before Kling has it, and create again. So twins wait for the first (the leader), then
 * start over: they find its clip in the cache, or resume its task from the journal. */

static void
job_stop_leading_or_waiting (KlingJob *job)
{
  KlingClient *client = job_get_client (job);

  if (job->leader) {
    if (g_queue_remove (&job->leader->twins, job))
      kling_job_unref (job);
    job->leader = NULL;
  }
  if (job->is_leader) {
    g_hash_table_remove (client->leaders, job->leader_key);
    job->is_leader = FALSE;
  }
}

/* The leader has finished (@error NULL: its clip is in the cache). Twins fail with its
 * error, since the same request would fail the same way and cost again; after a cancel
 * they start over and the first of them resumes the task from the journal. */
static void
twins_take_over (KlingJob *leader, const GError *error)
{
  KlingClient *client = job_get_client (leader);
  gboolean start_over = error == NULL || g_error_matches (error, KLING_ERROR,
      KLING_ERROR_CANCELLED);
  KlingJob *twin;

  while ((twin = g_queue_pop_head (&leader->twins))) {
    twin->leader = NULL;
    if (!twin->finished && !client->shutting_down) {
      if (start_over)
        job_start_or_wait_for_twin (twin);
      else
        job_fail (twin, error);
    }
    kling_job_unref (twin);
  }
}

static gdouble
job_elapsed_s (KlingJob *job)
{
  return elapsed_s_since (job->started_us);
}

/* Ends the job: exactly once, on the worker. */
static void
job_finish (KlingJob *job, const gchar *mp4_path, const GError *error)
{
  KlingClient *client = job_get_client (job);

  if (job->finished)
    return;
  job->finished = TRUE;
  g_cancellable_cancel (job->cancellable);
  destroy_source (&job->poll_source);
  destroy_source (&job->deadline_source);
  destroy_source (&job->wait_source);
  release_slot (client, job);
  if (g_queue_remove (&client->waiting_jobs, job))
    kling_job_unref (job);
  job_stop_leading_or_waiting (job);

  g_mutex_lock (&job->lock);
  job->client = NULL;
  g_mutex_unlock (&job->lock);
  g_mutex_lock (&client->lock);
  client->jobs = g_list_remove (client->jobs, job);
  g_mutex_unlock (&client->lock);

  if (error)
    g_debug ("job %s finished after %.1f s: %s", job->key, job_elapsed_s (job),
        error->message);
  else
    g_debug ("job %s finished after %.1f s", job->key, job_elapsed_s (job));
  if (job->callbacks.finished)
    job->callbacks.finished (job, mp4_path, job->task, error, job->user_data);
  twins_take_over (job, error);
  kling_job_unref (job);   /* the client's reference */
}

static void
job_fail (KlingJob *job, const GError *error)
{
  g_autoptr (GError) copy = g_error_copy (error);

  if (job->task && kling_error_get_task_id (copy) == NULL && copy->domain == KLING_ERROR)
    kling_error_set_task_id (copy, job->task->task_id);
  job_finish (job, NULL, copy);
}

static void
job_fail_new (KlingJob *job, GError *error)
{
  job_fail (job, error);
  g_error_free (error);
}

static gchar *
job_task_path (KlingJob *job, const gchar *id)
{
  return g_strconcat (kling_endpoint_path (job->request->endpoint), "/", id, NULL);
}

/* --- cancellation and deadline ---------------------------------------------------------- */

static gboolean
job_cancel_on_worker (gpointer data)
{
  KlingJob *job = data;
  g_autoptr (GError) error = NULL;

  if (job->finished)
    return G_SOURCE_REMOVE;
  error = cancelled_error ();
  if (job->task)
    kling_error_set_task_id (error, job->task->task_id);
  g_debug ("job %s cancelled; its journal entry stays", job->key);
  job_finish (job, NULL, error);
  return G_SOURCE_REMOVE;
}

void
kling_job_cancel (KlingJob *job)
{
  g_return_if_fail (job != NULL);
  g_mutex_lock (&job->lock);
  if (job->client)
    run_on_worker (job->client->context, job_cancel_on_worker, kling_job_ref (job),
        (GDestroyNotify) kling_job_unref);
  g_mutex_unlock (&job->lock);
}

static gboolean
job_deadline_reached (gpointer data)
{
  KlingJob *job = data;
  g_autoptr (GError) error = NULL;
  const gchar *task_id = job->task ? job->task->task_id : NULL;

  g_clear_pointer (&job->deadline_source, g_source_unref);
  error = kling_error_new_full (KLING_ERROR_TIMEOUT, 0, -1, NULL, task_id,
      job->task ? job->task->status_msg : NULL,
      "task %s not finished after %.0f s (status %s)", task_id ? task_id : "(none yet)",
      job->timeout_s, job->task ? kling_task_status_to_string (job->task->status) :
      "not created");
  kling_error_set_timeout (error, (guint) ceil (job->timeout_s));
  job_finish (job, NULL, error);
  return G_SOURCE_REMOVE;
}

/* --- start: cache, slot, journal -------------------------------------------------------- */

static void
job_take_slot_or_wait (KlingJob *job)
{
  KlingClient *client = job_get_client (job);
  KlingRetryPolicy policy;

  kling_client_get_policy (client, &policy);
  if (policy.max_parallel_tasks > 0 && client->tasks_in_flight >= policy.max_parallel_tasks) {
    g_debug ("job %s waits for a task slot (%u in flight)", job->key,
        client->tasks_in_flight);
    g_queue_push_tail (&client->waiting_jobs, kling_job_ref (job));
    return;
  }
  client->tasks_in_flight++;
  job->holds_slot = TRUE;
  job_submit (job);
}

/* The cache first; then either wait for a twin that renders the same clip, or lead. */
static void
job_start_or_wait_for_twin (KlingJob *job)
{
  KlingClient *client = job_get_client (job);
  g_autofree gchar *cached = NULL;
  g_autoptr (KlingTask) task = NULL;
  KlingJob *leader;

  if (job->own_dir) {
    job_take_slot_or_wait (job);
    return;
  }
  if (kling_cache_lookup (job->cache_dir, job->key, &cached, &task)) {
    g_debug ("job %s: clip found in the cache, nothing to request", job->key);
    job->task = g_steal_pointer (&task);
    job_finish (job, cached, NULL);
    return;
  }
  leader = g_hash_table_lookup (client->leaders, job->leader_key);
  if (leader) {
    g_debug ("job %s waits for a twin asking for the same clip", job->key);
    job->leader = leader;
    g_queue_push_tail (&leader->twins, kling_job_ref (job));
    return;
  }
  g_hash_table_insert (client->leaders, g_strdup (job->leader_key), job);
  job->is_leader = TRUE;
  job_take_slot_or_wait (job);
}

static gboolean
job_begin (gpointer data)
{
  KlingJob *job = data;

  if (job->finished)
    return G_SOURCE_REMOVE;
  if (job->start_error) {
    job_fail (job, job->start_error);
    return G_SOURCE_REMOVE;
  }
  if (job->timeout_s > 0) {
    job->deadline_source = g_timeout_source_new ((guint) MIN (job->timeout_s * 1000,
            (gdouble) G_MAXUINT));
    g_source_set_callback (job->deadline_source, job_deadline_reached, job, NULL);
    g_source_attach (job->deadline_source, job_get_client (job)->context);
  }
  job_start_or_wait_for_twin (job);
  return G_SOURCE_REMOVE;
}

static void
job_set_task (KlingJob *job, KlingTask *task)
{
  g_clear_pointer (&job->task, kling_task_free);
  job->task = task;
  if (job->task->external_task_id == NULL && job->external_task_id)
    job->task->external_task_id = g_strdup (job->external_task_id);
}

static void job_schedule_poll (KlingJob *job);

/* The task exists: record it, tell the caller, follow it. A task just created is first
 * queried after one poll interval; a resumed one at once (it may be done already). */
static void
job_task_known (KlingJob *job, KlingTask *task, gboolean just_created)
{
  g_autoptr (GError) error = NULL;

  job_set_task (job, task);
  if (!job->own_dir && !kling_journal_save (job->cache_dir, job->key,
          job->request->endpoint, job->external_task_id, job->task->task_id, &error))
    g_info ("journal not updated: %s", error->message);
  g_debug ("job %s follows task %s (%s)", job->key, job->task->task_id,
      kling_task_status_to_string (job->task->status));
  if (job->callbacks.submitted)
    job->callbacks.submitted (job, job->task, job->user_data);
  if (job->finished)
    return;
  if (just_created)
    job_schedule_poll (job);
  else
    job_poll_now (job);
}

static gboolean
is_not_found (const GError *error)
{
  return error->domain == KLING_ERROR && (kling_error_get_http_status (error) == 404 ||
      kling_error_get_kling_code (error) == 1203);
}

static void
external_query_done (KlingClient *client, JsonNode *data, const gchar *request_id,
    const GError *error, gpointer user_data)
{
  KlingJob *job = user_data;
  g_autoptr (GError) parse_error = NULL;
  KlingTask *task;

  if (job->finished)
    goto out;
  if (error && is_not_found (error)) {
    g_debug ("job %s: no task with external id %s, creating it", job->key,
        job->external_task_id);
    job_create (job);
    goto out;
  }
  if (error) {
    /* The lookup's own failure is the news (the create's is in the log above). */
    job_fail (job, error);
    goto out;
  }
  task = kling_task_new_from_json (data, request_id, &parse_error);
  if (task == NULL) {
    job_fail (job, parse_error);
    goto out;
  }
  g_debug ("job %s: found task %s by its external id", job->key, task->task_id);
  job_task_known (job, task, FALSE);
out:
  kling_job_unref (job);
}

static void
job_query_by_external_id (KlingJob *job)
{
  g_autofree gchar *path = job_task_path (job, job->external_task_id);

  call_start (job_get_client (job), "GET", path, NULL, job->cancellable, TRUE,
      external_query_done, kling_job_ref (job));
}

static void
job_submit (KlingJob *job)
{
  g_autofree gchar *task_id = NULL, *external_id = NULL, *uuid = NULL;
  g_autoptr (GError) error = NULL;

  if (!job->own_dir && kling_journal_load (job->cache_dir, job->key, &external_id,
          &task_id)) {
    job->external_task_id = g_steal_pointer (&external_id);
    if (task_id) {
      KlingTask *task = g_new0 (KlingTask, 1);

      g_debug ("job %s resumes task %s from the journal", job->key, task_id);
      job->unconfirmed_resume = TRUE;
      task->task_id = g_steal_pointer (&task_id);
      task->status = KLING_TASK_SUBMITTED;
      job_task_known (job, task, FALSE);
      return;
    }
    /* The create may or may not have reached Kling: ask before paying twice. */
    job_query_by_external_id (job);
    return;
  }
  uuid = g_uuid_string_random ();
  job->external_task_id = g_strconcat ("gstkling-", uuid, NULL);
  /* Written before the create call, so a crash right after it still finds the task. */
  if (!job->own_dir && !kling_journal_save (job->cache_dir, job->key,
          job->request->endpoint, job->external_task_id, NULL, &error)) {
    job_fail (job, error);
    return;
  }
  job_create (job);
}

/* --- create ------------------------------------------------------------------------------ */

static gboolean
is_ambiguous (const GError *error)
{
  switch (error->code) {
    case KLING_ERROR_NETWORK:
    case KLING_ERROR_SERVER:
    case KLING_ERROR_PROTOCOL:
      return TRUE;
    default:
      return FALSE;
  }
}

/* Runs @func on the worker after @delay_ms unless the job finishes first. */
static void
job_wait_then (KlingJob *job, guint delay_ms, GSourceFunc func)
{
  destroy_source (&job->wait_source);
  job->wait_source = g_timeout_source_new (delay_ms);
  g_source_set_callback (job->wait_source, func, job, NULL);
  g_source_attach (job->wait_source, job_get_client (job)->context);
}

static gboolean
job_create_again (gpointer data)
{
  KlingJob *job = data;

  g_clear_pointer (&job->wait_source, g_source_unref);
  job_query_by_external_id (job);
  return G_SOURCE_REMOVE;
}

/* After an ambiguous create failure: wait, then look the task up by its external id
 * (which creates it only when Kling does not know it). */
static void
job_retry_ambiguous_create (KlingJob *job, const GError *error)
{
  guint delay_ms;

  if (!next_retry_delay (job_get_client (job), job->create_attempts,
          job->create_started_us, error, &delay_ms)) {
    job_fail (job, error);
    return;
  }
  g_info ("the create call of job %s may or may not have reached Kling (%s): looking it "
      "up by its external id in %u ms", job->key, error->message, delay_ms);
  job_wait_then (job, delay_ms, job_create_again);
}

/* Kling has no documented code for a duplicate external_task_id; it is a parameter error
 * (1201) that names the field. */
static gboolean
is_external_id_taken (const GError *error)
{
  return g_error_matches (error, KLING_ERROR, KLING_ERROR_INVALID_INPUT) &&
      strstr (error->message, "external_task_id") != NULL;
}

static void
create_done (KlingClient *client, JsonNode *data, const gchar *request_id,
    const GError *error, gpointer user_data)
{
  KlingJob *job = user_data;
  g_autoptr (GError) parse_error = NULL;
  KlingTask *task = NULL;

  if (job->finished)
    goto out;
  if (error == NULL) {
    task = kling_task_new_from_json (data, request_id, &parse_error);
    error = parse_error;
  }
  if (task) {
    job_task_known (job, task, TRUE);
  } else if (is_ambiguous (error)) {
    job_retry_ambiguous_create (job, error);
  } else if (is_external_id_taken (error) && !job->id_conflict_seen) {
    /* Another process created the task with our journal's external id in the meantime:
     * follow that task instead of failing (or paying) again. */
    g_info ("job %s: external id %s is taken already: looking the task up", job->key,
        job->external_task_id);
    job->id_conflict_seen = TRUE;
    job_query_by_external_id (job);
  } else {
    /* Kling refused the request: nothing was created, the journal entry is void. */
    if (!job->own_dir)
      kling_journal_remove (job->cache_dir, job->key);
    job_fail (job, error);
  }
out:
  kling_job_unref (job);
}

static void
job_create (KlingJob *job)
{
  g_autoptr (JsonNode) body = json_node_copy (job->request->body);

  if (job->create_attempts++ == 0)
    job->create_started_us = g_get_monotonic_time ();
  json_object_set_string_member (json_node_get_object (body), "external_task_id",
      job->external_task_id);
  g_debug ("job %s creates a task at %s (external id %s)", job->key,
      kling_endpoint_path (job->request->endpoint), job->external_task_id);
  call_start (job_get_client (job), "POST", kling_endpoint_path (job->request->endpoint),
      body, job->cancellable, FALSE, create_done, kling_job_ref (job));
}

/* --- poll -------------------------------------------------------------------------------- */

static gboolean
job_poll_fire (gpointer data)
{
  KlingJob *job = data;

  g_clear_pointer (&job->poll_source, g_source_unref);
  job_poll_now (job);
  return G_SOURCE_REMOVE;
}

static void
job_schedule_poll (KlingJob *job)
{
  guint interval_ms = (guint) CLAMP (job->poll_interval_s * 1000, 1, (gdouble) G_MAXUINT);

  job->poll_source = g_timeout_source_new (interval_ms);
  g_source_set_callback (job->poll_source, job_poll_fire, job, NULL);
  g_source_attach (job->poll_source, job_get_client (job)->context);
}

static void
poll_done (KlingClient *client, JsonNode *data, const gchar *request_id,
    const GError *error, gpointer user_data)
{
  KlingJob *job = user_data;
  g_autoptr (GError) parse_error = NULL;
  KlingTask *task;
  gboolean refresh = FALSE;

  if (job->finished)
    goto out;
  if (error && job->unconfirmed_resume && is_not_found (error)) {
    /* A journal entry the server does not know (another account or server, or a task
     * long gone): forget it and start afresh. */
    g_info ("task %s of the journal is unknown to the server: submitting anew",
        job->task->task_id);
    kling_journal_remove (job->cache_dir, job->key);
    job->unconfirmed_resume = FALSE;
    g_clear_pointer (&job->task, kling_task_free);
    g_clear_pointer (&job->external_task_id, g_free);
    job_submit (job);
    goto out;
  }
  if (error) {
    job_fail (job, error);
    goto out;
  }
  task = kling_task_new_from_json (data, request_id, &parse_error);
  if (task == NULL) {
    job_fail (job, parse_error);
    goto out;
  }
  job->unconfirmed_resume = FALSE;
  refresh = job->task && job->task->status == KLING_TASK_SUCCEED &&
      job->task->video_url != NULL;
  job_set_task (job, task);
  if (job->callbacks.progress)
    job->callbacks.progress (job, job->task, job_elapsed_s (job), job->user_data);
  if (job->finished)
    goto out;

  switch (job->task->status) {
    case KLING_TASK_SUCCEED:
      if (refresh)
        g_debug ("job %s got a fresh result URL", job->key);
      job_download (job);
      break;
    case KLING_TASK_FAILED:{
      g_autoptr (GError) failed = kling_error_new_full (KLING_ERROR_TASK_FAILED, 0, 0,
          job->task->request_id, job->task->task_id, job->task->status_msg,
          "task %s failed: %s", job->task->task_id,
          job->task->status_msg ? job->task->status_msg : "no reason given");
      /* Nothing to resume: the failed task is over. */
      if (!job->own_dir)
        kling_journal_remove (job->cache_dir, job->key);
      job_fail (job, failed);
      break;
    }
    default:
      job_schedule_poll (job);
      break;
  }
out:
  kling_job_unref (job);
}

static void
job_poll_now (KlingJob *job)
{
  g_autofree gchar *path = job_task_path (job, job->task->task_id);

  call_start (job_get_client (job), "GET", path, NULL, job->cancellable, TRUE, poll_done,
      kling_job_ref (job));
}

/* --- download ---------------------------------------------------------------------------- */

static void
download_discard_part (KlingJob *job)
{
  if (job->part_path) {
    g_unlink (job->part_path);
    g_clear_pointer (&job->part_path, g_free);
  }
  g_clear_object (&job->download_msg);
}

/* The result is in @part_path and verified: move it into place and end the job. */
static void
download_complete (KlingJob *job)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *final_path = kling_cache_clip_path (job->cache_dir, job->key);

  if (job->own_dir) {
    if (g_rename (job->part_path, final_path) != 0) {
      error = kling_error_new_full (KLING_ERROR_PROTOCOL, 0, -1, NULL, NULL, NULL,
          "cannot move the clip to %s: %s", final_path, g_strerror (errno));
    } else {
      job->result_path = g_strdup (final_path);
    }
  } else if (kling_cache_store (job->cache_dir, job->key, job->part_path, job->request,
          job->task, &error)) {
    kling_journal_remove (job->cache_dir, job->key);
  }
  if (error) {
    download_discard_part (job);
    job_fail (job, error);
    return;
  }
  g_clear_pointer (&job->part_path, g_free);
  g_clear_object (&job->download_msg);
  g_debug ("job %s: clip ready at %s", job->key, final_path);
  job_finish (job, final_path, NULL);
}

static gboolean
download_retry_fire (gpointer data)
{
  KlingJob *job = data;

  g_clear_pointer (&job->wait_source, g_source_unref);
  job_download (job);
  return G_SOURCE_REMOVE;
}

static void
download_failed (KlingJob *job, const GError *error)
{
  guint delay_ms;

  download_discard_part (job);
  if (kling_error_get_http_status (error) == 403) {
    /* Signed result URLs expire: ask the task for a fresh one, a couple of times. */
    if (job->url_refreshes < MAX_URL_REFRESHES) {
      job->url_refreshes++;
      g_info ("result URL of task %s refused (403): querying the task again",
          job->task->task_id);
      job_poll_now (job);
      return;
    }
    job_fail_new (job, kling_error_new_full (KLING_ERROR_SERVER, 403, -1, NULL,
            job->task->task_id, NULL, "the result URL of task %s keeps answering 403 "
            "(expired?) after %u fresh queries", job->task->task_id, MAX_URL_REFRESHES));
    return;
  }
  if ((error->code != KLING_ERROR_NETWORK && error->code != KLING_ERROR_SERVER &&
          error->code != KLING_ERROR_PROTOCOL) ||
      !next_retry_delay (job_get_client (job), job->download_attempts, 0, error,
          &delay_ms)) {
    job_fail (job, error);
    return;
  }
  g_info ("download of task %s failed (%s): retrying in %u ms", job->task->task_id,
      error->message, delay_ms);
  job_wait_then (job, delay_ms, download_retry_fire);
}

static void
download_spliced (GObject *source, GAsyncResult *result, gpointer data)
{
  KlingJob *job = data;
  g_autoptr (GError) io_error = NULL, error = NULL;
  SoupMessageHeaders *headers;
  goffset expected = -1;

  g_output_stream_splice_finish (G_OUTPUT_STREAM (source), result, &io_error);
  job_get_client (job)->pending_ops--;
  if (job->finished) {
    download_discard_part (job);
  } else if (io_error) {
    error = kling_error_new_full (KLING_ERROR_NETWORK, 0, -1, NULL, job->task->task_id,
        NULL, "download interrupted: %s", io_error->message);
    download_failed (job, error);
  } else {
    headers = soup_message_get_response_headers (job->download_msg);
    if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
      expected = soup_message_headers_get_content_length (headers);
    if (kling_mp4_check (job->part_path, expected, &error)) {
      download_complete (job);
    } else {
      kling_error_set_task_id (error, job->task->task_id);
      download_failed (job, error);
    }
  }
  kling_job_unref (job);
}

/* Opens the partial file and starts streaming @in into it; an error otherwise. */
static GError *
download_start_splice (KlingJob *job, GInputStream *in)
{
  g_autoptr (GError) io_error = NULL;
  g_autoptr (GFile) file = g_file_new_for_path (job->part_path);
  g_autoptr (GFileOutputStream) out = g_file_replace (file, NULL, FALSE,
      G_FILE_CREATE_PRIVATE, job->cancellable, &io_error);

  if (out == NULL)
    return kling_error_new_full (KLING_ERROR_PROTOCOL, 0, -1, NULL, job->task->task_id,
        NULL, "cannot write %s: %s", job->part_path, io_error->message);
  /* Streamed to disk: a clip never sits in memory whole. */
  job_get_client (job)->pending_ops++;
  g_output_stream_splice_async (G_OUTPUT_STREAM (out), in,
      G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE | G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
      G_PRIORITY_DEFAULT, job->cancellable, download_spliced, kling_job_ref (job));
  return NULL;
}

static void
download_sent (GObject *source, GAsyncResult *result, gpointer data)
{
  KlingJob *job = data;
  g_autoptr (GError) io_error = NULL, error = NULL;
  g_autoptr (GInputStream) in = NULL;
  guint status;

  in = soup_session_send_finish (SOUP_SESSION (source), result, &io_error);
  job_get_client (job)->pending_ops--;
  if (job->finished) {
    download_discard_part (job);
    kling_job_unref (job);
    return;
  }
  status = soup_message_get_status (job->download_msg);
  if (in == NULL)
    error = kling_error_new_full (KLING_ERROR_NETWORK, 0, -1, NULL, job->task->task_id,
        NULL, "download failed: %s", io_error->message);
  else if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    error = kling_error_new_full (kling_error_code_from_http (status, -1), status, -1, NULL,
        job->task->task_id, NULL, "the result URL answered HTTP %u", status);
  else
    error = download_start_splice (job, in);
  if (error)
    download_failed (job, error);
  kling_job_unref (job);
}

/* The URL without its query: signed URLs carry their signature there. */
static gchar *
url_for_log (const gchar *url)
{
  const gchar *query = strchr (url, '?');
  return query ? g_strndup (url, query - url) : g_strdup (url);
}

static void
job_download (KlingJob *job)
{
  KlingClient *client = job_get_client (job);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *tmp_dir = NULL, *name = NULL, *shown = NULL;

  job->download_attempts++;
  tmp_dir = kling_cache_ensure_tmp_dir (job->cache_dir, &error);
  if (tmp_dir == NULL) {
    job_fail (job, error);
    return;
  }
  name = g_strdup_printf ("%s.%08x.part", job->key, g_random_int ());
  g_free (job->part_path);
  job->part_path = g_build_filename (tmp_dir, name, NULL);
  g_clear_object (&job->download_msg);
  job->download_msg = soup_message_new ("GET", job->task->video_url);
  if (job->download_msg == NULL) {
    job_fail_new (job, kling_error_new_full (KLING_ERROR_PROTOCOL, 0, -1,
            job->task->request_id, job->task->task_id, NULL,
            "the result URL of task %s is not a URL", job->task->task_id));
    return;
  }
  /* No credentials: a result URL is signed by itself and may live on another host. */
  shown = url_for_log (job->task->video_url);
  g_debug ("job %s downloads %s (attempt %u)", job->key, shown, job->download_attempts);
  client->pending_ops++;
  soup_session_send_async (client->session, job->download_msg, G_PRIORITY_DEFAULT,
      job->cancellable, download_sent, kling_job_ref (job));
}

/* --- start ------------------------------------------------------------------------------- */

gchar *
kling_client_cache_key (KlingClient *client, const KlingRequest *request)
{
  g_autofree gchar *request_key = kling_request_cache_key (request);
  g_autofree gchar *material = g_strconcat (client->base_url, "\n", request_key, NULL);

  return kling_sha256_hex ((const guint8 *) material, strlen (material));
}

KlingJob *
kling_client_start_job (KlingClient *client, const KlingRequest *request,
    const KlingJobOptions *options, const KlingJobCallbacks *callbacks,
    gpointer user_data, GDestroyNotify notify)
{
  KlingJob *job;
  GError *error = NULL;

  g_return_val_if_fail (client != NULL && request != NULL, NULL);

  job = g_new0 (KlingJob, 1);
  job->ref_count = 2;          /* the caller's, and the client's until finished */
  g_mutex_init (&job->lock);
  job->client = client;
  job->worker_client = client;
  job->request = kling_request_copy (request);
  job->key = kling_client_cache_key (client, request);
  job->poll_interval_s = options && options->poll_interval_s > 0 ?
      options->poll_interval_s : 5.0;
  job->timeout_s = options ? MAX (options->timeout_s, 0) : 1800;
  if (options && options->cache_dir && *options->cache_dir) {
    job->cache_dir = g_strdup (options->cache_dir);
    job->leader_key = g_strconcat (job->cache_dir, "\n", job->key, NULL);
  } else {
    job->cache_dir = g_dir_make_tmp ("gst-kling-XXXXXX", &error);
    job->own_dir = TRUE;
  }
  if (callbacks)
    job->callbacks = *callbacks;
  job->user_data = user_data;
  job->notify = notify;
  job->cancellable = g_cancellable_new ();
  job->started_us = g_get_monotonic_time ();

  g_mutex_lock (&client->lock);
  client->jobs = g_list_prepend (client->jobs, job);
  g_mutex_unlock (&client->lock);

  if (job->cache_dir == NULL) {
    job->own_dir = FALSE;
    job->start_error = kling_error_new_full (KLING_ERROR_PROTOCOL, 0, -1, NULL, NULL, NULL,
        "cannot create a temporary directory: %s", error->message);
    g_error_free (error);
  }
  run_on_worker (client->context, job_begin, kling_job_ref (job),
      (GDestroyNotify) kling_job_unref);
  return job;
}

/* ====================================================================================== */
/* One-shot calls (identify-face)                                                          */
/* ====================================================================================== */

typedef struct {
  GCancellable *internal;      /* what the call uses, cancelled on the worker only */
  GCancellable *external;      /* the caller's, may be NULL */
  gulong handler;
  KlingCallCallback callback;
  gpointer user_data;
} OneShot;

static gboolean
cancel_on_worker (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

typedef struct {
  GMainContext *context;
  GCancellable *internal;
} CancelForward;

static void
cancel_forward_free (gpointer data)
{
  CancelForward *forward = data;

  g_main_context_unref (forward->context);
  g_object_unref (forward->internal);
  g_free (forward);
}

/* The caller may cancel from any thread: hand it to the worker, where soup runs. */
static void
external_cancelled (GCancellable *external, gpointer data)
{
  CancelForward *forward = data;

  run_on_worker (forward->context, cancel_on_worker, g_object_ref (forward->internal),
      g_object_unref);
}

static void
oneshot_done (KlingClient *client, JsonNode *data, const gchar *request_id,
    const GError *error, gpointer user_data)
{
  OneShot *shot = user_data;

  client->oneshot_cancellables = g_list_remove (client->oneshot_cancellables,
      shot->internal);
  if (shot->external)
    g_cancellable_disconnect (shot->external, shot->handler);
  shot->callback (error ? NULL : data, error, shot->user_data);
  g_clear_object (&shot->external);
  g_object_unref (shot->internal);
  g_free (shot);
}

typedef struct {
  KlingClient *client;
  KlingEndpoint endpoint;
  JsonNode *body;
  OneShot *shot;
} OneShotStart;

static gboolean
oneshot_begin (gpointer data)
{
  OneShotStart *start = data;
  KlingClient *client = start->client;
  OneShot *shot = start->shot;

  if (client->shutting_down) {
    /* The session may be gone already: answer without touching it. */
    g_autoptr (GError) error = cancelled_error ();

    oneshot_done (client, NULL, NULL, error, shot);
    start->shot = NULL;
    return G_SOURCE_REMOVE;
  }
  client->oneshot_cancellables = g_list_prepend (client->oneshot_cancellables,
      shot->internal);
  call_start (client, "POST", kling_endpoint_path (start->endpoint), start->body,
      shot->internal, TRUE, oneshot_done, shot);
  start->shot = NULL;
  return G_SOURCE_REMOVE;
}

static void
oneshot_start_free (gpointer data)
{
  OneShotStart *start = data;

  json_node_unref (start->body);
  g_free (start);
}

void
kling_client_call (KlingClient *client, KlingEndpoint endpoint, JsonNode *body,
    GCancellable *cancellable, KlingCallCallback callback, gpointer user_data)
{
  OneShotStart *start;
  OneShot *shot;

  g_return_if_fail (client != NULL && body != NULL && callback != NULL);
  shot = g_new0 (OneShot, 1);
  shot->internal = g_cancellable_new ();
  shot->callback = callback;
  shot->user_data = user_data;
  if (cancellable) {
    CancelForward *forward = g_new0 (CancelForward, 1);

    forward->context = g_main_context_ref (client->context);
    forward->internal = g_object_ref (shot->internal);
    shot->external = g_object_ref (cancellable);
    shot->handler = g_cancellable_connect (cancellable, G_CALLBACK (external_cancelled),
        forward, cancel_forward_free);
  }
  start = g_new0 (OneShotStart, 1);
  start->client = client;
  start->endpoint = endpoint;
  start->body = json_node_copy (body);
  start->shot = shot;
  run_on_worker (client->context, oneshot_begin, start, oneshot_start_free);
}

/* ====================================================================================== */
/* The worker thread and shutdown                                                          */
/* ====================================================================================== */

static gpointer
worker_main (gpointer data)
{
  KlingClient *client = data;

  g_main_context_push_thread_default (client->context);
  /* libsoup 3 binds a session to the thread-default context it was created in. */
  client->session = soup_session_new_with_options ("timeout", HTTP_TIMEOUT_S,
      "idle-timeout", HTTP_IDLE_TIMEOUT_S, "max-conns-per-host", HTTP_MAX_CONNS_PER_HOST,
      "max-conns", 4 * HTTP_MAX_CONNS_PER_HOST,
      "user-agent", "gst-kling/" PACKAGE_VERSION, NULL);

  g_mutex_lock (&client->ready_lock);
  client->ready = TRUE;
  g_cond_signal (&client->ready_cond);
  g_mutex_unlock (&client->ready_lock);

  g_main_loop_run (client->loop);

  /* Every operation was cancelled: let their completions run, so nothing leaks. */
  while (client->pending_ops > 0)
    g_main_context_iteration (client->context, TRUE);
  soup_session_abort (client->session);
  g_clear_object (&client->session);
  while (g_main_context_iteration (client->context, FALSE));
  g_main_context_pop_thread_default (client->context);

  if (client->free_on_worker)
    client_free (client);
  return NULL;
}

static gboolean
shutdown_on_worker (gpointer data)
{
  KlingClient *client = data;
  GList *jobs, *l;

  client->shutting_down = TRUE;
  g_mutex_lock (&client->lock);
  jobs = g_list_copy (client->jobs);
  for (l = jobs; l; l = l->next)
    kling_job_ref (l->data);
  g_mutex_unlock (&client->lock);
  for (l = jobs; l; l = l->next) {
    g_autoptr (GError) error = cancelled_error ();
    KlingJob *job = l->data;

    if (job->task)
      kling_error_set_task_id (error, job->task->task_id);
    job_finish (job, NULL, error);
  }
  g_list_free_full (jobs, (GDestroyNotify) kling_job_unref);
  for (l = client->oneshot_cancellables; l; l = l->next)
    g_cancellable_cancel (l->data);
  g_main_loop_quit (client->loop);
  return G_SOURCE_REMOVE;
}

void
kling_client_unref (KlingClient *client)
{
  g_return_if_fail (client != NULL);

  /* Decided under the table lock, so kling_client_acquire() never revives a dying one. */
  G_LOCK (clients);
  if (!g_atomic_int_dec_and_test (&client->ref_count)) {
    G_UNLOCK (clients);
    return;
  }
  if (clients && g_hash_table_lookup (clients, client->table_key) == client)
    g_hash_table_remove (clients, client->table_key);
  G_UNLOCK (clients);

  g_debug ("stopping client for %s", client->base_url);
  run_on_worker (client->context, shutdown_on_worker, client, NULL);
  if (g_thread_self () == client->thread) {
    /* Called from a callback: the worker cannot join itself; it frees the client when
     * its loop ends. */
    client->free_on_worker = TRUE;
    return;
  }
  g_thread_join (client->thread);
  client->thread = NULL;
  client_free (client);
}
