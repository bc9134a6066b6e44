/* gst-kling: what a job does with its task: the journal entry, the create call (and
 * whether its failure is ambiguous), polling (a lone glitch is retried, an unknown
 * status is waited out), and the download into the cache. Finding the task again after
 * a lost answer is kling-job-recover.c; the job's life around it is kling-job.c. */
#include "config.h"
#include "kling-job-private.h"
#include "kling-call.h"
#include "kling-private.h"
#include "kling-requests.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

/* How often an expired result URL is refreshed by querying the task again. */
#define MAX_URL_REFRESHES 2

static void job_poll_now (KlingJob * job);

gchar *
kling_job_task_path (KlingJob * job, const gchar * id)
{
  return g_strconcat (kling_endpoint_path (job->request->endpoint), "/", id,
      NULL);
}

gboolean
kling_job_is_not_found (const GError * error)
{
  return error->domain == KLING_ERROR && !kling_error_is_foreign_answer (error)
      && (kling_error_get_http_status (error) == 404
      || kling_error_get_kling_code (error) == 1203);
}

/* A call for the job: its cancellable, its deadline for a busy account, its timeouts,
 * its waiting() callback, a reference held until @done has run. */
void
kling_job_call (KlingJob * job, const gchar * method, const gchar * path,
    JsonNode * body, gboolean retry_ambiguous, gboolean retry_not_found,
    KlingCallDone done)
{
  KlingCallSpec spec = {
    .method = method,.path = path,.body = body,.cancellable = job->cancellable,
    .retry_ambiguous = retry_ambiguous,.retry_not_found = retry_not_found,
    .busy_until_us = job->deadline_us,.io_timeout_ms =
        job->policy.io_timeout_ms,
    .waiting = kling_job_report_waiting,.log_prefix = job->log_prefix,.done =
        done,
    .user_data = kling_job_ref (job),
  };

  kling_call_start (kling_job_get_client (job), &spec);
}

static gboolean
journal_write (KlingJob * job, GError ** error)
{
  KlingJournalEntry entry = {
    .external_task_id = job->external_task_id,
    .task_id = job->task ? job->task->task_id : NULL,
    .create_sent_ms = job->create_sent_ms,
  };

  if (job->own_dir)
    return TRUE;
  return kling_journal_save (job->cache_dir, job->key, job->request->endpoint,
      &entry, error);
}

static void
job_set_task (KlingJob * job, KlingTask * task)
{
  g_clear_pointer (&job->task, kling_task_free);
  job->task = task;
  if (job->task->external_task_id == NULL && job->external_task_id &&
      kling_endpoint_takes_external_id (job->request->endpoint))
    job->task->external_task_id = g_strdup (job->external_task_id);
}

/* The per-model API polls in batches, /v1 one task at a time. */
static void
job_schedule_poll (KlingJob * job, guint delay_ms)
{
  if (kling_request_is_per_model (job->request))
    kling_job_poll_batched (job, delay_ms, FALSE);
  else
    kling_job_wait_then (job, delay_ms, job_poll_now);
}

KlingTask *
kling_job_parse_task (KlingJob * job, JsonNode * data, const gchar * request_id,
    GError ** error)
{
  if (!kling_request_is_per_model (job->request))
    return kling_task_new_from_json (data, request_id, error);
  if (data && JSON_NODE_HOLDS_ARRAY (data)) {
    JsonArray *tasks = json_node_get_array (data);

    if (json_array_get_length (tasks) == 0) {
      g_propagate_error (error, kling_error_new_full (KLING_ERROR_PROTOCOL, 0,
              -1, request_id, NULL, NULL, "the /tasks answer lists no task"));
      return NULL;
    }
    data = json_array_get_element (tasks, 0);
  }
  return kling_task_new_from_v2_json (data, request_id, error);
}

static guint
poll_interval_ms (KlingJob * job)
{
  return (guint) CLAMP (job->poll_interval_s * 1000, 1, (gdouble) G_MAXUINT);
}

/* The task exists: record it, tell the caller, follow it. A task just created is first
 * queried after one poll interval; a resumed one at once (it may be done already). */
void
kling_job_task_known (KlingJob * job, KlingTask * task, gboolean just_created)
{
  g_autoptr (GError) error = NULL;

  job_set_task (job, task);
  if (!journal_write (job, &error))
    kling_job_info (job, "journal not updated: %s", error->message);
  kling_job_debug (job, "job %s follows task %s (%s)", job->key,
      job->task->task_id, kling_task_status_to_string (job->task->status));
  if (job->callbacks.submitted)
    job->callbacks.submitted (job, job->task, job->user_data);
  if (job->finished)
    return;
  if (just_created)
    job_schedule_poll (job, poll_interval_ms (job));
  else
    job_poll_now (job);
}

/* --- create ------------------------------------------------------------------------------ */

static gboolean
is_ambiguous (const GError * error)
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

/* After an ambiguous create failure: wait, then look the task up (which creates it only
 * when Kling provably does not have it). */
static void
job_retry_ambiguous_create (KlingJob * job, const GError * error)
{
  guint delay_ms;

  if (!kling_client_next_retry_delay (kling_job_get_client (job),
          job->create_attempts, job->create_started_us, error, &delay_ms)) {
    if (kling_endpoint_resolves_external_id (job->request->endpoint))
      kling_job_fail (job, error);
    else
      kling_job_fail_unconfirmed (job, error->message);
    return;
  }
  kling_job_info (job,
      "the create call of job %s may or may not have reached Kling (%s): looking for "
      "the task in %u ms", job->key, error->message, delay_ms);
  kling_job_report_waiting (kling_wait_reason_for_error (error), delay_ms,
      job->create_attempts, error, job);
  kling_job_wait_then (job, delay_ms, kling_job_find_lost_task);
}

/* A 5xx that is Kling's own envelope with a server code (5000 internal error, 5001
 * maintenance, 5002 time-out): Kling's API answered the create itself and refused it, as
 * it answers a 1302 with no task made (docs/kling-api.md, "Errors"). A 5xx without the
 * envelope (a proxy's page) or no answer at all may come after the task was made. */
static gboolean
is_refused_by_kling (const GError * error)
{
  gint code = kling_error_get_kling_code (error);

  return g_error_matches (error, KLING_ERROR, KLING_ERROR_SERVER) &&
      !kling_error_is_foreign_answer (error) && code >= 5000 && code <= 5099;
}

/* Kling refused the create with a server error: no task exists, so the create is made
 * again after a backoff, without a lookup (which lip-sync could not even do: its task
 * list cannot prove a task absent). */
static void
job_retry_refused_create (KlingJob * job, const GError * error)
{
  guint delay_ms;

  if (!kling_client_next_retry_delay (kling_job_get_client (job),
          job->create_attempts, job->create_started_us, error, &delay_ms)) {
    /* Every create was refused: nothing was made, the journal entry is void. */
    if (!job->own_dir)
      kling_journal_remove (job->cache_dir, job->key);
    kling_job_fail (job, error);
    return;
  }
  g_info ("Kling refused the create of job %s (%s): creating again in %u ms",
      job->key, error->message, delay_ms);
  kling_job_report_waiting (kling_wait_reason_for_error (error), delay_ms,
      job->create_attempts, error, job);
  kling_job_wait_then (job, delay_ms, kling_job_create);
}

/* Kling has no documented code for a duplicate external_task_id; it is a parameter error
 * (1201) that names the field. */
static gboolean
is_external_id_taken (const GError * error)
{
  return g_error_matches (error, KLING_ERROR, KLING_ERROR_INVALID_INPUT) &&
      strstr (error->message, "external_task_id") != NULL;
}

static void
create_done (KlingClient * client, JsonNode * data, const gchar * request_id,
    const GError * error, gpointer user_data)
{
  KlingJob *job = user_data;
  g_autoptr (GError) parse_error = NULL;
  KlingTask *task = NULL;

  if (job->finished)
    goto out;
  if (error == NULL) {
    task = kling_job_parse_task (job, data, request_id, &parse_error);
    error = parse_error;
  }
  if (task) {
    kling_job_task_known (job, task, TRUE);
  } else if (is_refused_by_kling (error)) {
    job_retry_refused_create (job, error);
  } else if (is_ambiguous (error)) {
    job_retry_ambiguous_create (job, error);
  } else if (is_external_id_taken (error) && !job->id_conflict_seen &&
      kling_endpoint_resolves_external_id (job->request->endpoint)) {
    /* Another process created the task with our journal's external id in the meantime:
     * follow that task instead of failing (or paying) again. */
    kling_job_info (job,
        "job %s: external id %s is taken already: looking the task up",
        job->key, job->external_task_id);
    job->id_conflict_seen = TRUE;
    kling_job_query_by_external_id (job);
  } else {
    /* Kling refused the request: nothing was created, the journal entry is void. */
    if (!job->own_dir)
      kling_journal_remove (job->cache_dir, job->key);
    kling_job_fail (job, error);
  }
out:
  kling_job_unref (job);
}

/* The per-model API has the caller's id in "options". */
static void
set_v2_external_id (JsonNode * body, const gchar * external_task_id)
{
  JsonObject *object = json_node_get_object (body);
  JsonObject *options = kling_json_get_object (object, "options");

  if (options == NULL) {
    options = json_object_new ();
    json_object_set_object_member (object, "options", options);
  }
  json_object_set_string_member (options, "external_task_id", external_task_id);
}

void
kling_job_create (KlingJob * job)
{
  g_autoptr (JsonNode) body = json_node_copy (job->request->body);
  g_autoptr (GError) error = NULL;

  if (job->create_attempts++ == 0)
    job->create_started_us = g_get_monotonic_time ();
  if (job->create_sent_ms == 0) {
    /* Journaled before the call: a lost answer is looked for from this time on. */
    job->create_sent_ms = (g_get_real_time () / 1000);
    if (!journal_write (job, &error)) {
      kling_job_fail (job, error);
      return;
    }
  }
  if (kling_request_is_per_model (job->request))
    set_v2_external_id (body, job->external_task_id);
  else if (kling_endpoint_takes_external_id (job->request->endpoint))
    json_object_set_string_member (json_node_get_object (body),
        "external_task_id", job->external_task_id);
  kling_job_debug (job, "job %s creates a task at %s (external id %s)",
      job->key, kling_request_get_path (job->request), job->external_task_id);
  kling_job_call (job, "POST", kling_request_get_path (job->request), body,
      FALSE, FALSE, create_done);
}

/* --- submit: resume or create ------------------------------------------------------------ */

static void
job_resume (KlingJob * job, const gchar * task_id)
{
  KlingTask *task = g_new0 (KlingTask, 1);

  kling_job_debug (job, "job %s resumes task %s from the journal", job->key,
      task_id);
  job->unconfirmed_resume = TRUE;
  task->task_id = g_strdup (task_id);
  task->status = KLING_TASK_SUBMITTED;
  kling_job_task_known (job, task, FALSE);
}

void
kling_job_submit (KlingJob * job)
{
  g_autofree gchar *uuid = NULL;
  KlingJournalEntry entry = { 0, };

  if (!job->own_dir && kling_journal_load (job->cache_dir, job->key, &entry)) {
    job->external_task_id = g_steal_pointer (&entry.external_task_id);
    job->create_sent_ms = entry.create_sent_ms;
    if (entry.task_id)
      job_resume (job, entry.task_id);
    else
      kling_job_find_lost_task (job);
    kling_journal_entry_clear (&entry);
    return;
  }
  uuid = g_uuid_string_random ();
  job->external_task_id = g_strconcat ("gstkling-", uuid, NULL);
  job->create_sent_ms = 0;
  if (job->damaged) {
    /* The clip was paid for already: fetch it again from its task. */
    job_resume (job, job->damaged->task_id);
    return;
  }
  kling_job_create (job);
}

/* --- poll -------------------------------------------------------------------------------- */

/* The answer names our task but a task_status we do not know (or not a string): Kling
 * added a status, or sent a typo. Not an error: keep polling. */
static gboolean
is_unknown_status (JsonNode * data, const gchar * task_id,
    const gchar ** status)
{
  JsonObject *object = data && JSON_NODE_HOLDS_OBJECT (data) ?
      json_node_get_object (data) : NULL;
  KlingTaskStatus s;

  *status = kling_json_get_string (object, "task_status");
  if (g_strcmp0 (kling_json_get_string (object, "task_id"), task_id) != 0)
    return FALSE;
  for (s = KLING_TASK_SUBMITTED; s <= KLING_TASK_FAILED && *status; s++) {
    if (g_str_equal (*status, kling_task_status_to_string (s)))
      return FALSE;
  }
  return TRUE;
}

static void job_download (KlingJob * job);

/* One unreadable poll answer: poll again after a backoff, while the policy allows. */
void
kling_job_poll_glitch (KlingJob * job, const GError * error)
{
  guint delay_ms;

  job->poll_glitches++;
  if (!kling_client_next_retry_delay (kling_job_get_client (job),
          job->poll_glitches, 0, error, &delay_ms)) {
    kling_job_fail (job, error);
    return;
  }
  kling_job_info (job,
      "task %s: unreadable answer (%s): polling again in %u ms",
      job->task->task_id, error->message, delay_ms);
  kling_job_report_waiting (kling_wait_reason_for_error (error), delay_ms,
      job->poll_glitches, error, job);
  if (kling_request_is_per_model (job->request))
    kling_job_poll_batched (job, delay_ms, TRUE);
  else
    job_schedule_poll (job, delay_ms);
}

static void
task_failed (KlingJob * job)
{
  g_autoptr (GError) failed =
      kling_error_new_full (KLING_ERROR_TASK_FAILED, 0, 0,
      job->task->request_id, job->task->task_id, job->task->status_msg,
      "task %s failed: %s", job->task->task_id,
      job->task->status_msg ? job->task->status_msg : "no reason given");

  /* Nothing to resume: the failed task is over. */
  if (!job->own_dir)
    kling_journal_remove (job->cache_dir, job->key);
  kling_job_fail (job, failed);
}

void
kling_job_forget_stale_entry (KlingJob * job)
{
  /* A journal entry the server does not know (another account or server, or a task long
   * gone): forget it and start afresh. */
  kling_job_info (job,
      "task %s of the journal is unknown to the server: submitting anew",
      job->task->task_id);
  kling_journal_remove (job->cache_dir, job->key);
  job->unconfirmed_resume = FALSE;
  job->poll_glitches = 0;
  kling_job_stop_polling (job);
  g_clear_pointer (&job->task, kling_task_free);
  g_clear_pointer (&job->external_task_id, g_free);
  g_clear_pointer (&job->damaged, kling_task_free);
  kling_job_submit (job);
}

static void
poll_done (KlingClient * client, JsonNode * data, const gchar * request_id,
    const GError * error, gpointer user_data)
{
  KlingJob *job = user_data;
  g_autoptr (GError) parse_error = NULL;
  const gchar *status = NULL;
  KlingTask *task;

  if (job->finished)
    goto out;
  if (error && job->unconfirmed_resume && kling_job_is_not_found (error)) {
    kling_job_forget_stale_entry (job); /* the call retried it: the 404 persists */
    goto out;
  }
  if (error) {
    kling_job_fail (job, error);
    goto out;
  }
  task = kling_task_new_from_json (data, request_id, &parse_error);
  if (task == NULL && is_unknown_status (data, job->task->task_id, &status)) {
    if (!job->unknown_status_seen)
      kling_job_message (job,
          "Kling answered task %s with an unknown task_status \"%s\": polling on",
          job->task->task_id, status ? status : "(not a string)");
    job->unknown_status_seen = TRUE;
    job_schedule_poll (job, poll_interval_ms (job));
    goto out;
  }
  if (task == NULL) {
    kling_job_poll_glitch (job, parse_error);
    goto out;
  }
  kling_job_task_polled (job, task);
out:
  kling_job_unref (job);
}

void
kling_job_task_polled (KlingJob * job, KlingTask * task)
{
  job->poll_glitches = 0;
  job->unconfirmed_resume = FALSE;
  job_set_task (job, task);
  if (job->callbacks.progress)
    job->callbacks.progress (job, job->task,
        kling_elapsed_s_since (job->started_us), job->user_data);
  if (job->finished)
    return;

  switch (job->task->status) {
    case KLING_TASK_SUCCEED:
      kling_job_release_slot (job);
      job_download (job);
      break;
    case KLING_TASK_FAILED:
      kling_job_release_slot (job);
      task_failed (job);
      break;
    default:
      job_schedule_poll (job, poll_interval_ms (job));
      break;
  }
}

static void
job_poll_now (KlingJob * job)
{
  g_autofree gchar *path = NULL;

  if (kling_request_is_per_model (job->request)) {
    kling_job_poll_batched (job, 0, FALSE);
    return;
  }
  path = kling_job_task_path (job, job->task->task_id);
  kling_job_call (job, "GET", path, NULL, TRUE, TRUE, poll_done);
}

static void
followed_done (KlingClient * client, JsonNode * data, const gchar * request_id,
    const GError * error, gpointer user_data)
{
  KlingJob *job = user_data;
  g_autoptr (KlingTask) task = NULL;

  if (job->finished)
    goto out;
  if (data && (task = kling_job_parse_task (job, data, request_id, NULL))) {
    if (g_strcmp0 (task->task_id, job->followed_task_id) != 0) {
      g_free (job->followed_task_id);
      job->followed_task_id = g_strdup (task->task_id);
      if (job->callbacks.submitted)
        job->callbacks.submitted (job, task, job->user_data);
    }
    if (!job->finished && job->callbacks.progress)
      job->callbacks.progress (job, task,
          kling_elapsed_s_since (job->started_us), job->user_data);
    if (!job->finished && task->status == KLING_TASK_FAILED) {
      g_clear_pointer (&job->task, kling_task_free);
      job->task = g_steal_pointer (&task);
      task_failed (job);
      goto out;
    }
  } else if (error) {
    kling_job_debug (job, "job %s: query of the followed task failed: %s",
        job->key, error->message);
  }
  kling_job_follow_later (job);
out:
  kling_job_unref (job);
}

void
kling_job_poll_followed (KlingJob * job, const gchar * task_id)
{
  g_autofree gchar *path = NULL;
  g_autofree gchar *escaped = NULL;

  if (kling_request_is_per_model (job->request)) {
    /* One task, now: a follower's pace is its own, not the poller's. */
    escaped = g_uri_escape_string (task_id, NULL, FALSE);
    path = g_strconcat ("/tasks?task_ids=", escaped, NULL);
  } else {
    path = kling_job_task_path (job, task_id);
  }
  kling_job_call (job, "GET", path, NULL, TRUE, FALSE, followed_done);
}

/* --- the download ------------------------------------------------------------------------ */

/* The verified part file goes into the cache (or the job's own directory). */
static void
download_verified (KlingJob * job)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *final_path =
      kling_cache_clip_path (job->cache_dir, job->key);
  const gchar *part = kling_download_get_part_path (job->download);

  if (job->own_dir) {
    if (g_rename (part, final_path) != 0)
      error =
          kling_error_new_full (KLING_ERROR_LOCAL_IO, 0, -1, NULL, NULL, NULL,
          "cannot move the clip to %s: %s", final_path, g_strerror (errno));
    else
      job->result_path = g_strdup (final_path);
  } else if (kling_cache_store (job->cache_dir, job->key, part, job->request,
          job->task, &error)) {
    kling_journal_remove (job->cache_dir, job->key);
  }
  if (error) {
    kling_job_fail (job, error);
    return;
  }
  kling_download_finished (job->download, final_path);
  kling_job_debug (job, "job %s: clip ready at %s", job->key, final_path);
  kling_job_finish (job, final_path, NULL);
}

/* A download gave up: the task and its clip exist, Kling's file host (or the way there)
 * failed. The error says where from, and whether the journal keeps the task for a rerun
 * (it does with a cache: only a verified clip or a failed task removes the entry). */
static void
download_fail (KlingJob * job, const GError * error)
{
  g_autoptr (GError) copy = g_error_copy (error);
  const gchar *url = job->task->video_url ? job->task->video_url : "";
  const gchar *query = strchr (url, '?');
  g_autofree gchar *shown =
      query ? g_strndup (url, query - url) : g_strdup (url);

  if (copy->domain == KLING_ERROR && copy->code != KLING_ERROR_LOCAL_IO) {
    kling_error_set_download_url (copy, shown);
    kling_error_set_task_journaled (copy, !job->own_dir);
  }
  kling_job_fail (job, copy);
}

static void
download_done (KlingDownload * download, KlingDownloadOutcome outcome,
    const GError * error, gpointer user_data)
{
  KlingJob *job = user_data;

  switch (outcome) {
    case KLING_DOWNLOAD_VERIFIED:
      download_verified (job);
      break;
    case KLING_DOWNLOAD_EXPIRED:
      /* Signed result URLs expire: ask the task for a fresh one, a couple of times. */
      if (job->url_refreshes < MAX_URL_REFRESHES) {
        job->url_refreshes++;
        kling_job_info (job,
            "result URL of task %s refused (403): querying the task again",
            job->task->task_id);
        job_poll_now (job);
        break;
      }
      {
        g_autoptr (GError) refused =
            kling_error_new_full (KLING_ERROR_SERVER, 403, -1, NULL,
            job->task->task_id, NULL,
            "the result URL of task %s keeps answering "
            "403 (expired?) after %u fresh queries", job->task->task_id,
            MAX_URL_REFRESHES);

        download_fail (job, refused);
      }
      break;
    case KLING_DOWNLOAD_GAVE_UP:
      download_fail (job, error);
      break;
  }
}

static void
download_started (KlingDownload * download, KlingDownloadProgress * progress,
    gpointer user_data)
{
  KlingJob *job = user_data;

  if (!job->finished && job->callbacks.download_started)
    job->callbacks.download_started (job, progress, job->user_data);
}

/* What the clip should last: the task says, else the request. */
static gdouble
expected_duration_s (KlingJob * job)
{
  if (job->task->video_duration_s > 0)
    return job->task->video_duration_s;
  return kling_request_get_duration_s (job->request);
}

static void
job_download (KlingJob * job)
{
  static const KlingDownloadCallbacks callbacks = {
    download_started, kling_job_report_waiting, download_done,
  };
  g_autoptr (GError) error = NULL;
  g_autofree gchar *tmp_dir = NULL;

  if (job->download == NULL) {
    KlingDownloadSpec spec = {
      .key = job->key,.duration_s = expected_duration_s (job),
      .height =
          kling_mp4_height_for_mode (kling_request_get_mode (job->request)),
      .cancellable = job->cancellable,.policy = &job->policy,
    };

    tmp_dir = kling_cache_ensure_tmp_dir (job->cache_dir, &error);
    if (tmp_dir == NULL) {
      kling_job_fail (job, error);
      return;
    }
    spec.tmp_dir = tmp_dir;
    job->download =
        kling_download_new (kling_job_get_client (job), &spec, &callbacks, job);
  }
  kling_download_fetch (job->download, job->task->video_url);
}
