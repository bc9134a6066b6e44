/* Test helpers for the client suites. */
#include "client-test-util.h"
#include "kling-requests.h"

#include <string.h>

KlingRequest *
test_still_request (const gchar * prompt, GError ** error)
{
  g_autofree gchar *path =
      g_build_filename (KLING_MEDIA_DIR, "still.jpg", NULL);
  g_autoptr (GBytes) image = NULL;
  gchar *data;
  gsize len;
  KlingImage2VideoParams params = {
    .mode = KLING_MODE_STD,.duration_s = 5,.cfg_scale = 0.5,.prompt = prompt,
  };

  if (!g_file_get_contents (path, &data, &len, error))
    return NULL;
  image = g_bytes_new_take (data, len);
  params.image = image;
  return kling_image2video_request_new (&params, error);
}

KlingClient *
test_fast_client (const gchar * url, KlingAuth * auth, guint io_timeout_ms)
{
  KlingRetryPolicy policy;
  KlingClient *client = kling_client_acquire (url, auth, NULL);

  g_assert_nonnull (client);
  kling_client_get_policy (client, &policy);
  policy.max_attempts = 3;
  policy.base_delay_ms = 10;
  policy.max_delay_ms = 20;
  policy.deadline_s = 10;
  policy.io_timeout_ms = io_timeout_ms;
  policy.min_download_rate = 0;
  kling_client_set_policy (client, &policy);
  return client;
}

void
job_outcome_init (JobOutcome * o)
{
  memset (o, 0, sizeof (*o));
  g_mutex_init (&o->lock);
  g_cond_init (&o->cond);
}

void
job_outcome_clear (JobOutcome * o)
{
  g_free (o->mp4_path);
  g_free (o->submitted_task_id);
  g_clear_error (&o->error);
  g_clear_pointer (&o->task, kling_task_free);
  g_clear_pointer (&o->progress, kling_download_progress_unref);
  g_clear_pointer (&o->data, json_node_unref);
  g_mutex_clear (&o->lock);
  g_cond_clear (&o->cond);
}

static gboolean
wait_for (JobOutcome * o, gboolean * flag_or_null, guint * count,
    gdouble seconds)
{
  gint64 until = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  gboolean ok;

  g_mutex_lock (&o->lock);
  while (!(flag_or_null ? *flag_or_null : *count > 0) &&
      g_cond_wait_until (&o->cond, &o->lock, until));
  ok = flag_or_null ? *flag_or_null : *count > 0;
  g_mutex_unlock (&o->lock);
  return ok;
}

gboolean
job_outcome_wait (JobOutcome * o, gdouble seconds)
{
  return wait_for (o, &o->done, NULL, seconds);
}

gboolean
job_outcome_wait_submitted (JobOutcome * o, gdouble seconds)
{
  return wait_for (o, NULL, &o->submitted_calls, seconds);
}

gboolean
job_outcome_wait_download (JobOutcome * o, gdouble seconds)
{
  return wait_for (o, NULL, &o->download_started_calls, seconds);
}

gboolean
job_outcome_wait_waiting (JobOutcome * o, gdouble seconds)
{
  return wait_for (o, NULL, &o->waiting_calls, seconds);
}

static void
note_thread (JobOutcome * o)
{
  if (o->callback_thread && o->callback_thread != g_thread_self ())
    o->callbacks_off_worker = TRUE;
  o->callback_thread = g_thread_self ();
}

static void
on_submitted (KlingJob * job, const KlingTask * task, gpointer user_data)
{
  JobOutcome *o = user_data;

  g_mutex_lock (&o->lock);
  note_thread (o);
  o->submitted_calls++;
  g_free (o->submitted_task_id);
  o->submitted_task_id = g_strdup (task->task_id);
  g_cond_broadcast (&o->cond);
  g_mutex_unlock (&o->lock);
}

static void
on_progress (KlingJob * job, const KlingTask * task, gdouble elapsed_s,
    gpointer user_data)
{
  JobOutcome *o = user_data;

  g_mutex_lock (&o->lock);
  note_thread (o);
  o->progress_calls++;
  g_mutex_unlock (&o->lock);
}

static void
on_finished (KlingJob * job, const gchar * mp4_path, const KlingTask * task,
    const GError * error, gpointer user_data)
{
  JobOutcome *o = user_data;

  g_mutex_lock (&o->lock);
  note_thread (o);
  o->finished_calls++;
  o->mp4_path = g_strdup (mp4_path);
  o->error = error ? g_error_copy (error) : NULL;
  o->task = task ? kling_task_copy (task) : NULL;
  o->cache_hit = kling_job_is_cache_hit (job);
  o->done = TRUE;
  g_cond_broadcast (&o->cond);
  g_mutex_unlock (&o->lock);
}

static void
on_waiting (KlingJob * job, KlingWaitReason reason, guint delay_ms,
    guint attempt, const GError * cause, gpointer user_data)
{
  JobOutcome *o = user_data;

  g_mutex_lock (&o->lock);
  note_thread (o);
  o->waiting_calls++;
  o->last_wait_reason = reason;
  o->last_wait_delay_ms = delay_ms;
  o->wait_reasons |= 1u << reason;
  g_cond_broadcast (&o->cond);
  g_mutex_unlock (&o->lock);
}

static void
on_download_started (KlingJob * job, KlingDownloadProgress * progress,
    gpointer user_data)
{
  JobOutcome *o = user_data;

  g_mutex_lock (&o->lock);
  note_thread (o);
  o->download_started_calls++;
  if (o->progress == NULL)
    o->progress = kling_download_progress_ref (progress);
  g_cond_broadcast (&o->cond);
  g_mutex_unlock (&o->lock);
}

const KlingJobCallbacks job_outcome_callbacks = {
  .submitted = on_submitted,
  .progress = on_progress,
  .finished = on_finished,
  .waiting = on_waiting,
  .download_started = on_download_started,
};

void
job_outcome_notify (gpointer data)
{
  JobOutcome *o = data;

  g_mutex_lock (&o->lock);
  o->notified = TRUE;
  g_cond_broadcast (&o->cond);
  g_mutex_unlock (&o->lock);
}

gboolean
job_outcome_wait_notified (JobOutcome * o, gdouble seconds)
{
  return wait_for (o, &o->notified, NULL, seconds);
}
