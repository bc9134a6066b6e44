/* gst-kling: a job's life: the cache lookup, twins (two jobs of one process for the same
 * clip share one task), the cross-process claim (one process of all that share a cache
 * directory pays; the others follow), the local slot cap per account, the deadline,
 * cancellation and the end. What the job does with its task is kling-job-task.c. */
#include "config.h"
#include "kling-job-private.h"
#include "kling-call.h"
#include "kling-private.h"
#include "kling-requests.h"

#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

/* Partial downloads of other keys older than this, whose claim is free, are leftovers. */
#define STALE_PART_AGE_S (24 * 3600)
/* A follower looks at least this often for the clip or a free claim. */
#define FOLLOW_MAX_INTERVAL_MS 5000

static void job_start (KlingJob * job);
static void job_lead (KlingJob * job);

KlingJob *
kling_job_ref (KlingJob * job)
{
  g_return_val_if_fail (job != NULL, NULL);
  g_atomic_int_inc (&job->ref_count);
  return job;
}

/* Removes what a job without cache put in its own directory: the clip and tmp/ with any
 * partial download, then the directory itself. */
static void
remove_own_dir (KlingJob * job)
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
kling_job_unref (KlingJob * job)
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
  g_free (job->log_prefix);
  g_free (job->leader_key);
  g_free (job->cache_dir);
  g_free (job->result_path);
  g_free (job->external_task_id);
  g_free (job->followed_task_id);
  g_clear_pointer (&job->task, kling_task_free);
  g_clear_pointer (&job->damaged, kling_task_free);
  g_clear_error (&job->start_error);
  g_clear_object (&job->cancellable);
  g_mutex_clear (&job->lock);
  g_free (job);
}

gboolean
kling_job_is_cache_hit (KlingJob * job)
{
  g_return_val_if_fail (job != NULL, FALSE);
  return g_atomic_int_get (&job->cache_hit);
}

KlingClient *
kling_job_get_client (KlingJob * job)
{
  return job->worker_client;
}

void
kling_destroy_source (GSource ** source)
{
  if (*source) {
    g_source_destroy (*source);
    g_source_unref (*source);
    *source = NULL;
  }
}

static gboolean
job_timer_fired (gpointer data)
{
  KlingJob *job = data;

  g_clear_pointer (&job->timer, g_source_unref);
  job->timer_step (job);
  return G_SOURCE_REMOVE;
}

void
kling_job_wait_then (KlingJob * job, guint delay_ms, KlingJobStep step)
{
  kling_destroy_source (&job->timer);
  job->timer_step = step;
  job->timer = g_timeout_source_new (delay_ms);
  g_source_set_callback (job->timer, job_timer_fired, job, NULL);
  g_source_attach (job->timer, kling_job_get_client (job)->context);
}

void
kling_job_report_waiting (KlingWaitReason reason, guint delay_ms, guint attempt,
    const GError * cause, gpointer data)
{
  KlingJob *job = data;

  if (!job->finished && job->callbacks.waiting)
    job->callbacks.waiting (job, reason, delay_ms, attempt, cause,
        job->user_data);
}

void
kling_job_release_slot (KlingJob * job)
{
  g_clear_pointer (&job->slot, kling_slot_release);
}

/* --- twins: jobs of one client for the same clip ---------------------------------------- */
/* Two pipelines of a process asking for the same clip at once must not pay twice, and the
 * journal alone cannot stop that: the second job would look up the first one's external id
 * before Kling has it, and create again. So twins wait for the first (the leader), then
 * start over: they find its clip in the cache, or resume its task from the journal. */

static void
job_stop_leading_or_waiting (KlingJob * job)
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
twins_take_over (KlingJob * leader, const GError * error)
{
  KlingClient *client = kling_job_get_client (leader);
  gboolean start_over = error == NULL || g_error_matches (error, KLING_ERROR,
      KLING_ERROR_CANCELLED);
  KlingJob *twin;

  while ((twin = g_queue_pop_head (&leader->twins))) {
    twin->leader = NULL;
    if (!twin->finished && !client->shutting_down) {
      if (start_over)
        job_start (twin);
      else
        kling_job_fail (twin, error);
    }
    kling_job_unref (twin);
  }
}

void
kling_job_log (KlingJob * job, GLogLevelFlags level, const gchar * format, ...)
{
  g_autofree gchar *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_log (G_LOG_DOMAIN, level, "%s%s", job->log_prefix, message);
}

/* --- the end ----------------------------------------------------------------------------- */

void
kling_job_finish (KlingJob * job, const gchar * mp4_path, const GError * error)
{
  KlingClient *client = kling_job_get_client (job);

  if (job->finished)
    return;
  job->finished = TRUE;
  g_cancellable_cancel (job->cancellable);
  kling_destroy_source (&job->deadline_source);
  kling_destroy_source (&job->timer);
  kling_job_stop_polling (job);
  g_clear_pointer (&job->download, kling_download_free);
  kling_job_release_slot (job);
  /* The journal and the cache are written: another process may have the clip now. */
  g_clear_pointer (&job->claim, kling_claim_release);
  job_stop_leading_or_waiting (job);

  g_mutex_lock (&job->lock);
  job->client = NULL;
  g_mutex_unlock (&job->lock);
  g_mutex_lock (&client->lock);
  client->jobs = g_list_remove (client->jobs, job);
  g_mutex_unlock (&client->lock);

  if (error)
    kling_job_debug (job, "job %s finished after %.1f s: %s", job->key,
        kling_elapsed_s_since (job->started_us), error->message);
  else
    kling_job_debug (job, "job %s finished after %.1f s%s", job->key,
        kling_elapsed_s_since (job->started_us),
        job->cache_hit ? " (from the cache)" : "");
  if (job->callbacks.finished)
    job->callbacks.finished (job, mp4_path, job->task, error, job->user_data);
  twins_take_over (job, error);
  kling_job_unref (job);        /* the client's reference */
}

void
kling_job_fail (KlingJob * job, const GError * error)
{
  g_autoptr (GError) copy = g_error_copy (error);

  if (copy->domain == KLING_ERROR) {
    if (job->task && kling_error_get_task_id (copy) == NULL)
      kling_error_set_task_id (copy, job->task->task_id);
    /* The model names the live ones in a 1203 sentence, and the model in a 1103 one. */
    if (kling_error_get_model (copy) == NULL)
      kling_error_set_model (copy, kling_request_get_model_name (job->request));
  }
  kling_job_finish (job, NULL, copy);
}

void
kling_job_fail_new (KlingJob * job, GError * error)
{
  kling_job_fail (job, error);
  g_error_free (error);
}

void
kling_job_finish_cancelled (KlingJob * job)
{
  g_autoptr (GError) error = kling_cancelled_error ();

  if (job->task)
    kling_error_set_task_id (error, job->task->task_id);
  kling_job_finish (job, NULL, error);
}

/* --- cancellation and deadline ---------------------------------------------------------- */

static gboolean
job_cancel_on_worker (gpointer data)
{
  KlingJob *job = data;

  if (job->finished)
    return G_SOURCE_REMOVE;
  kling_job_debug (job, "job %s cancelled; its journal entry stays", job->key);
  kling_job_finish_cancelled (job);
  return G_SOURCE_REMOVE;
}

void
kling_job_cancel (KlingJob * job)
{
  g_return_if_fail (job != NULL);
  g_mutex_lock (&job->lock);
  if (job->client)
    kling_client_run_on_worker (job->client->context, job_cancel_on_worker,
        kling_job_ref (job), (GDestroyNotify) kling_job_unref);
  g_mutex_unlock (&job->lock);
}

static gboolean
job_deadline_reached (gpointer data)
{
  KlingJob *job = data;
  g_autoptr (GError) error = NULL;
  const gchar *task_id = job->task ? job->task->task_id : job->followed_task_id;

  g_clear_pointer (&job->deadline_source, g_source_unref);
  error = kling_error_new_full (KLING_ERROR_TIMEOUT, 0, -1, NULL, task_id,
      job->task ? job->task->status_msg : NULL,
      "task %s not finished after %.0f s (status %s)",
      task_id ? task_id : "(none yet)", job->timeout_s,
      job->task ? kling_task_status_to_string (job->task->
          status) : job->following ? "rendered by another process" :
      "not created");
  kling_error_set_timeout (error, (guint) ceil (job->timeout_s));
  kling_job_finish (job, NULL, error);
  return G_SOURCE_REMOVE;
}

/* --- the start: cache, twins, claim, slot ----------------------------------------------- */

static gboolean
job_slot_granted (gpointer data)
{
  KlingJob *job = data;

  if (!job->finished) {
    kling_job_debug (job, "job %s got a local slot", job->key);
    kling_job_submit (job);
  }
  return G_SOURCE_REMOVE;
}

/* The account's local cap (max_parallel) first; then the task. */
static void
job_take_slot (KlingJob * job)
{
  KlingClient *client = kling_job_get_client (job);
  gboolean granted;

  job->slot =
      kling_slot_acquire (client->account, job->max_parallel, client->context,
      job_slot_granted, kling_job_ref (job), (GDestroyNotify) kling_job_unref,
      &granted);
  if (granted) {
    kling_job_submit (job);
    return;
  }
  kling_job_debug (job,
      "job %s waits for a local slot (%u renders of the account in flight, cap %u)",
      job->key, kling_slots_in_flight (client->account), job->max_parallel);
  kling_job_report_waiting (KLING_WAIT_LOCAL_QUEUE, 0, 1, NULL, job);
}

void
kling_job_follow_later (KlingJob * job)
{
  guint interval_ms =
      (guint) CLAMP (job->poll_interval_s * 1000, 1, FOLLOW_MAX_INTERVAL_MS);

  if (!job->finished)
    kling_job_wait_then (job, interval_ms, job_start);
}

/* Another process holds the claim: look for its clip, or for the claim to come free (it
 * finished, or died), every poll interval; tell the caller about its task meanwhile. */
static void
job_follow (KlingJob * job)
{
  KlingJournalEntry entry;

  if (!job->following)
    kling_job_debug (job,
        "job %s: another process renders this clip; following it", job->key);
  job->following = TRUE;
  if (kling_journal_load (job->cache_dir, job->key, &entry) && entry.task_id) {
    kling_job_poll_followed (job, entry.task_id);       /* then kling_job_follow_later() */
  } else {
    kling_job_follow_later (job);
  }
  kling_journal_entry_clear (&entry);
}

/* This job renders the clip for its process: prove the cache writable (before any money
 * is spent), claim the clip across processes, clear leftovers, take a slot. */
static void
job_lead (KlingJob * job)
{
  g_autoptr (GError) error = NULL;

  if ((!job->following && !kling_cache_prepare (job->cache_dir, &error)) ||
      !kling_cache_claim (job->cache_dir, job->key, &job->claim, &error)) {
    if (error) {
      kling_job_fail (job, error);
      return;
    }
    job_follow (job);
    return;
  }
  if (job->following)
    kling_job_debug (job,
        "job %s: the other process let go of the clip; this one takes over",
        job->key);
  job->following = FALSE;
  kling_cache_clean_parts (job->cache_dir, job->key, STALE_PART_AGE_S);
  job_take_slot (job);
}

/* The cache first; then wait for a twin that renders the same clip, or lead. Runs again
 * after a twin finished and at every tick of a follower. */
static void
job_start (KlingJob * job)
{
  KlingClient *client = kling_job_get_client (job);
  g_autofree gchar *cached = NULL;
  g_autoptr (KlingTask) task = NULL;
  KlingJob *leader;

  if (job->own_dir) {
    job_take_slot (job);
    return;
  }
  switch (kling_cache_lookup (job->cache_dir, job->key, job->stale_clip_id,
          &cached, &task)) {
    case KLING_CACHE_HIT:
      kling_job_debug (job,
          "job %s: clip found in the cache, nothing to request", job->key);
      g_clear_pointer (&job->task, kling_task_free);
      job->task = g_steal_pointer (&task);
      g_atomic_int_set (&job->cache_hit, TRUE);
      kling_job_finish (job, cached, NULL);
      return;
    case KLING_CACHE_DAMAGED:
      if (job->damaged == NULL)
        kling_job_info (job,
            "the cached clip of task %s is missing or damaged: downloading it again",
            task->task_id);
      g_clear_pointer (&job->damaged, kling_task_free);
      job->damaged = g_steal_pointer (&task);
      break;
    case KLING_CACHE_MISS:
      break;
  }
  if (job->following) {
    job_lead (job);
    return;
  }
  leader = g_hash_table_lookup (client->leaders, job->leader_key);
  if (leader) {
    kling_job_debug (job, "job %s waits for a twin asking for the same clip",
        job->key);
    job->leader = leader;
    g_queue_push_tail (&leader->twins, kling_job_ref (job));
    return;
  }
  g_hash_table_insert (client->leaders, g_strdup (job->leader_key), job);
  job->is_leader = TRUE;
  job_lead (job);
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
    job->deadline_source =
        g_timeout_source_new ((guint) MIN (job->timeout_s * 1000,
            (gdouble) G_MAXUINT));
    g_source_set_callback (job->deadline_source, job_deadline_reached, job,
        NULL);
    g_source_attach (job->deadline_source, kling_job_get_client (job)->context);
  }
  if (job->refresh && !job->own_dir)
    job->stale_clip_id = kling_cache_clip_id (job->cache_dir, job->key);
  job_start (job);
  return G_SOURCE_REMOVE;
}

gchar *
kling_client_cache_key (KlingClient * client, const KlingRequest * request)
{
  g_autofree gchar *request_key = kling_request_cache_key (request);
  g_autofree gchar *material =
      g_strconcat (client->base_url, "\n", request_key, NULL);

  return kling_sha256_hex ((const guint8 *) material, strlen (material));
}

/* The per-model API takes API keys only (docs/kling-api.md "Servers and credentials"):
 * with an access key + secret key its request is refused here, before any request. */
static GError *
check_generation_auth (KlingClient * client, const KlingRequest * request)
{
  if (!kling_request_is_per_model (request)
      || !kling_auth_is_jwt (client->auth))
    return NULL;
  return
      kling_error_new_api_key_needed (kling_request_get_model_name (request));
}

/* --- the preview: what the cache says before the job starts ------------------------------ */

void
kling_client_preview_job (KlingClient * client, const KlingRequest * request,
    const KlingJobOptions * options, KlingJobPreview * preview)
{
  g_autofree gchar *key = NULL;
  g_autoptr (KlingTask) task = NULL;
  const gchar *cache_dir = options ? options->cache_dir : NULL;
  KlingJournalEntry entry = { 0, };
  KlingCacheResult cached;

  g_return_if_fail (client != NULL && request != NULL && preview != NULL);

  memset (preview, 0, sizeof (*preview));
  if (cache_dir == NULL || *cache_dir == '\0')
    return;
  preview->history_renders =
      kling_cache_recent_render_s (cache_dir, request->endpoint,
      kling_request_get_model_name (request), KLING_JOB_HISTORY_RENDERS,
      &preview->history_median_s);
  key = kling_client_cache_key (client, request);
  preview->cache_path = kling_cache_clip_path (cache_dir, key);
  /* The job's own order (job_start, kling_job_submit): cache, damaged clip, journal. */
  cached =
      options->refresh ? KLING_CACHE_MISS : kling_cache_lookup (cache_dir, key,
      0, &preview->clip_path, &task);
  if (cached == KLING_CACHE_HIT) {
    preview->outlook = KLING_JOB_WILL_USE_CACHE;
  } else if (kling_journal_load (cache_dir, key, &entry)) {
    preview->outlook = KLING_JOB_WILL_RESUME;
    preview->task_id = g_steal_pointer (&entry.task_id);
    kling_journal_entry_clear (&entry);
  } else if (cached == KLING_CACHE_DAMAGED) {
    preview->outlook = KLING_JOB_WILL_RESUME;
    preview->task_id = g_strdup (task->task_id);
  }
}

void
kling_job_preview_clear (KlingJobPreview * preview)
{
  g_clear_pointer (&preview->clip_path, g_free);
  g_clear_pointer (&preview->cache_path, g_free);
  g_clear_pointer (&preview->task_id, g_free);
}

static void
job_set_options (KlingJob * job, KlingClient * client,
    const KlingJobOptions * options)
{
  job->poll_interval_s = options && options->poll_interval_s > 0 ?
      options->poll_interval_s : 5.0;
  job->timeout_s = options ? MAX (options->timeout_s, 0) : 1800;
  job->refresh = options && options->refresh;
  job->max_parallel = options ? options->max_parallel : 0;
  kling_client_get_effective_policy (client, options, &job->policy);
  job->deadline_us =
      job->timeout_s >
      0 ? job->started_us +
      (gint64) (job->timeout_s * G_USEC_PER_SEC) : G_MAXINT64;
}

KlingJob *
kling_client_start_job (KlingClient * client, const KlingRequest * request,
    const KlingJobOptions * options, const KlingJobCallbacks * callbacks,
    gpointer user_data, GDestroyNotify notify)
{
  KlingJob *job;
  g_autoptr (GError) error = NULL;

  g_return_val_if_fail (client != NULL && request != NULL, NULL);

  job = g_new0 (KlingJob, 1);
  job->ref_count = 2;           /* the caller's, and the client's until finished */
  g_mutex_init (&job->lock);
  job->client = client;
  job->worker_client = client;
  job->request = kling_request_copy (request);
  job->key = kling_client_cache_key (client, request);
  job->log_prefix = options
      && options->label ? g_strconcat (options->label, ": ",
      NULL) : g_strdup ("");
  job->started_us = g_get_monotonic_time ();
  job_set_options (job, client, options);
  if (options && options->cache_dir && *options->cache_dir) {
    job->cache_dir = g_strdup (options->cache_dir);
    job->leader_key = g_strconcat (job->cache_dir, "\n", job->key, NULL);
  } else {
    job->cache_dir = g_dir_make_tmp ("gst-kling-XXXXXX", &error);
    job->own_dir = job->cache_dir != NULL;
  }
  if (callbacks)
    job->callbacks = *callbacks;
  job->user_data = user_data;
  job->notify = notify;
  job->cancellable = g_cancellable_new ();

  g_mutex_lock (&client->lock);
  client->jobs = g_list_prepend (client->jobs, job);
  g_mutex_unlock (&client->lock);

  if (job->cache_dir == NULL)
    job->start_error =
        kling_error_new_full (KLING_ERROR_LOCAL_IO, 0, -1, NULL, NULL, NULL,
        "cannot create a temporary directory: %s", error->message);
  else
    job->start_error = check_generation_auth (client, request);
  kling_client_run_on_worker (client->context, job_begin, kling_job_ref (job),
      (GDestroyNotify) kling_job_unref);
  return job;
}
