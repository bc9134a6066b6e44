/* gst-kling: one paid render followed to its end: the cache, twins (two jobs of one
 * process for the same clip share one task), a local slot cap, the journal, the create
 * call and its recovery, polling; the download is in kling-download.c. */
#include "config.h"
#include "kling-job-private.h"
#include "kling-call.h"
#include "kling-cache.h"
#include "kling-private.h"

#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

static void job_submit (KlingJob *job);
static void job_create (KlingJob *job);

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

KlingClient *
kling_job_get_client (KlingJob *job)
{
  return job->worker_client;
}

void
kling_destroy_source (GSource **source)
{
  if (*source) {
    g_source_destroy (*source);
    g_source_unref (*source);
    *source = NULL;
  }
}

static void job_take_slot_or_wait (KlingJob *job);
static void job_start_or_wait_for_twin (KlingJob *job);

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
  KlingClient *client = kling_job_get_client (job);

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
  KlingClient *client = kling_job_get_client (leader);
  gboolean start_over = error == NULL || g_error_matches (error, KLING_ERROR,
      KLING_ERROR_CANCELLED);
  KlingJob *twin;

  while ((twin = g_queue_pop_head (&leader->twins))) {
    twin->leader = NULL;
    if (!twin->finished && !client->shutting_down) {
      if (start_over)
        job_start_or_wait_for_twin (twin);
      else
        kling_job_fail (twin, error);
    }
    kling_job_unref (twin);
  }
}

static gdouble
job_elapsed_s (KlingJob *job)
{
  return kling_elapsed_s_since (job->started_us);
}

/* Ends the job: exactly once, on the worker. */
void
kling_job_finish (KlingJob *job, const gchar *mp4_path, const GError *error)
{
  KlingClient *client = kling_job_get_client (job);

  if (job->finished)
    return;
  job->finished = TRUE;
  g_cancellable_cancel (job->cancellable);
  kling_destroy_source (&job->poll_source);
  kling_destroy_source (&job->deadline_source);
  kling_destroy_source (&job->wait_source);
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

void
kling_job_fail (KlingJob *job, const GError *error)
{
  g_autoptr (GError) copy = g_error_copy (error);

  if (job->task && kling_error_get_task_id (copy) == NULL && copy->domain == KLING_ERROR)
    kling_error_set_task_id (copy, job->task->task_id);
  kling_job_finish (job, NULL, copy);
}

void
kling_job_fail_new (KlingJob *job, GError *error)
{
  kling_job_fail (job, error);
  g_error_free (error);
}

void
kling_job_finish_cancelled (KlingJob *job)
{
  g_autoptr (GError) error = kling_cancelled_error ();

  if (job->task)
    kling_error_set_task_id (error, job->task->task_id);
  kling_job_finish (job, NULL, error);
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
  error = kling_cancelled_error ();
  if (job->task)
    kling_error_set_task_id (error, job->task->task_id);
  g_debug ("job %s cancelled; its journal entry stays", job->key);
  kling_job_finish (job, NULL, error);
  return G_SOURCE_REMOVE;
}

void
kling_job_cancel (KlingJob *job)
{
  g_return_if_fail (job != NULL);
  g_mutex_lock (&job->lock);
  if (job->client)
    kling_client_run_on_worker (job->client->context, job_cancel_on_worker, kling_job_ref (job),
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
  kling_job_finish (job, NULL, error);
  return G_SOURCE_REMOVE;
}

/* --- start: cache, slot, journal -------------------------------------------------------- */

static void
job_take_slot_or_wait (KlingJob *job)
{
  KlingClient *client = kling_job_get_client (job);
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
  KlingClient *client = kling_job_get_client (job);
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
    kling_job_finish (job, cached, NULL);
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
    kling_job_fail (job, job->start_error);
    return G_SOURCE_REMOVE;
  }
  if (job->timeout_s > 0) {
    job->deadline_source = g_timeout_source_new ((guint) MIN (job->timeout_s * 1000,
            (gdouble) G_MAXUINT));
    g_source_set_callback (job->deadline_source, job_deadline_reached, job, NULL);
    g_source_attach (job->deadline_source, kling_job_get_client (job)->context);
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
    kling_job_poll_now (job);
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
    kling_job_fail (job, error);
    goto out;
  }
  task = kling_task_new_from_json (data, request_id, &parse_error);
  if (task == NULL) {
    kling_job_fail (job, parse_error);
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

  kling_call_start (kling_job_get_client (job), "GET", path, NULL, job->cancellable, TRUE,
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
    kling_job_fail (job, error);
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
void
kling_job_wait_then (KlingJob *job, guint delay_ms, GSourceFunc func)
{
  kling_destroy_source (&job->wait_source);
  job->wait_source = g_timeout_source_new (delay_ms);
  g_source_set_callback (job->wait_source, func, job, NULL);
  g_source_attach (job->wait_source, kling_job_get_client (job)->context);
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

  if (!kling_client_next_retry_delay (kling_job_get_client (job), job->create_attempts,
          job->create_started_us, error, &delay_ms)) {
    kling_job_fail (job, error);
    return;
  }
  g_info ("the create call of job %s may or may not have reached Kling (%s): looking it "
      "up by its external id in %u ms", job->key, error->message, delay_ms);
  kling_job_wait_then (job, delay_ms, job_create_again);
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
    kling_job_fail (job, error);
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
  kling_call_start (kling_job_get_client (job), "POST",
      kling_endpoint_path (job->request->endpoint),
      body, job->cancellable, FALSE, create_done, kling_job_ref (job));
}

/* --- poll -------------------------------------------------------------------------------- */

static gboolean
job_poll_fire (gpointer data)
{
  KlingJob *job = data;

  g_clear_pointer (&job->poll_source, g_source_unref);
  kling_job_poll_now (job);
  return G_SOURCE_REMOVE;
}

static void
job_schedule_poll (KlingJob *job)
{
  guint interval_ms = (guint) CLAMP (job->poll_interval_s * 1000, 1, (gdouble) G_MAXUINT);

  job->poll_source = g_timeout_source_new (interval_ms);
  g_source_set_callback (job->poll_source, job_poll_fire, job, NULL);
  g_source_attach (job->poll_source, kling_job_get_client (job)->context);
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
    kling_job_fail (job, error);
    goto out;
  }
  task = kling_task_new_from_json (data, request_id, &parse_error);
  if (task == NULL) {
    kling_job_fail (job, parse_error);
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
      kling_job_download (job);
      break;
    case KLING_TASK_FAILED:{
      g_autoptr (GError) failed = kling_error_new_full (KLING_ERROR_TASK_FAILED, 0, 0,
          job->task->request_id, job->task->task_id, job->task->status_msg,
          "task %s failed: %s", job->task->task_id,
          job->task->status_msg ? job->task->status_msg : "no reason given");
      /* Nothing to resume: the failed task is over. */
      if (!job->own_dir)
        kling_journal_remove (job->cache_dir, job->key);
      kling_job_fail (job, failed);
      break;
    }
    default:
      job_schedule_poll (job);
      break;
  }
out:
  kling_job_unref (job);
}

void
kling_job_poll_now (KlingJob *job)
{
  g_autofree gchar *path = job_task_path (job, job->task->task_id);

  kling_call_start (kling_job_get_client (job), "GET", path, NULL, job->cancellable, TRUE,
      poll_done,
      kling_job_ref (job));
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
  kling_client_run_on_worker (client->context, job_begin, kling_job_ref (job),
      (GDestroyNotify) kling_job_unref);
  return job;
}
