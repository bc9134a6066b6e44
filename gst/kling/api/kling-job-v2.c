/* gst-kling: a job's polls on Kling's per-model API. The task is registered with the
 * client's batched poller (kling-poller.h), which queries it together with every other
 * task of the client in one "GET /tasks?task_ids=..." per interval; the answer's entry
 * then takes the same way as a /v1 poll answer (kling_job_task_polled()). The glitch
 * rules are /v1's: a task the answer does not list, an entry that cannot be read or a
 * request that failed on the way is polled again after a backoff while the policy
 * allows; a refusal for good (credentials, money) ends the job. */
#include "config.h"
#include "kling-job-private.h"
#include "kling-poller.h"
#include "kling-private.h"

static guint
poll_interval_ms (KlingJob * job)
{
  return (guint) CLAMP (job->poll_interval_s * 1000, 1, (gdouble) G_MAXUINT);
}

/* What a failed batch request means for one of its tasks: a glitch when it may pass (the
 * request was retried already, but the task lives on at Kling), else the end. */
static gboolean
is_transient (const GError * error)
{
  switch (error->code) {
    case KLING_ERROR_NETWORK:
    case KLING_ERROR_SERVER:
    case KLING_ERROR_PROTOCOL:
    case KLING_ERROR_RATE_LIMITED:
      return TRUE;
    default:
      return FALSE;
  }
}

/* The answer did not list our task: a glitch as /v1's lone 404 is. When it persists,
 * a task id from the journal that no answer confirmed is stale; otherwise the job fails. */
static void
task_not_listed (KlingJob * job, const gchar * request_id)
{
  g_autoptr (GError) error =
      kling_error_new_full (KLING_ERROR_SERVER, 0, -1, request_id,
      job->task->task_id, NULL, "Kling's /tasks answer does not list task %s",
      job->task->task_id);
  guint delay_ms;

  if (kling_client_next_retry_delay (kling_job_get_client (job),
          job->poll_glitches + 1, 0, error, &delay_ms)
      || !job->unconfirmed_resume) {
    kling_job_poll_glitch (job, error);
    return;
  }
  kling_job_forget_stale_entry (job);
}

static void
batch_result (KlingPollEntry * entry, JsonNode * data, const gchar * request_id,
    const GError * error, gpointer user_data)
{
  KlingJob *job = user_data;
  g_autoptr (GError) parse_error = NULL;
  const gchar *status = NULL;
  KlingTask *task;

  if (job->finished)
    return;
  if (error) {
    if (is_transient (error))
      kling_job_poll_glitch (job, error);
    else
      kling_job_fail (job, error);
    return;
  }
  if (data == NULL) {
    task_not_listed (job, request_id);
    return;
  }
  task = kling_task_new_from_v2_json (data, request_id, &parse_error);
  if (task == NULL && kling_task_v2_has_unknown_status (data, &status)) {
    if (!job->unknown_status_seen)
      g_message
          ("Kling answered task %s with an unknown status \"%s\": polling on",
          job->task->task_id, status ? status : "(not a string)");
    job->unknown_status_seen = TRUE;
    kling_job_poll_batched (job, poll_interval_ms (job), FALSE);
    return;
  }
  if (task == NULL) {
    kling_job_poll_glitch (job, parse_error);
    return;
  }
  kling_job_task_polled (job, task);
}

void
kling_job_stop_polling (KlingJob * job)
{
  if (job->poll_entry) {
    kling_poller_remove (job->poll_entry);
    job->poll_entry = NULL;
  }
}

void
kling_job_poll_batched (KlingJob * job, guint delay_ms, gboolean hold)
{
  /* The task changed (a stale journal entry was replaced): the old id is nobody's. */
  if (job->poll_entry
      && g_strcmp0 (kling_poller_entry_get_task_id (job->poll_entry),
          job->task->task_id) != 0)
    kling_job_stop_polling (job);
  if (job->poll_entry == NULL)
    job->poll_entry =
        kling_poller_add (kling_client_get_poller (kling_job_get_client (job)),
        job->task->task_id, poll_interval_ms (job), batch_result, job);
  if (hold)
    kling_poller_hold (job->poll_entry, delay_ms);
  else
    kling_poller_poll_in (job->poll_entry, delay_ms);
}
