/* gst-kling: what the render base tells the user: progress messages and errors.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every START (a cache hit, a resumed task, a new task with its estimate) is ended by
 * exactly one COMPLETE, ERROR or CANCELED, whatever path the run takes; CONTINUEs come only
 * inside one; the `kling-task` element message carries the percentage, the ETA, the
 * estimate and the charge (docs/design.md, "Progress and cost"). The texts and the
 * arithmetic are gstklingprogress.c's; this file posts them for the element. An error
 * ends the open START and carries structured details (http-status-code, kling-code,
 * request-id, task-id, endpoint).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstklingrender-private.h"
#include "gstklingmessages.h"
#include "gstklingprogress.h"

#define GST_CAT_DEFAULT gst_kling_render_debug

/* `kling-task` for @task (NULL before there is one, with @status) with the job's progress
 * at @elapsed_s; @done: the clip is there (100 %, nothing left). */
void
gst_kling_render_post_task_message (GstKlingRender * self,
    const KlingTask * task, const gchar * status, gdouble elapsed_s,
    gboolean done)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  GstStructure *s;
  GstKlingProgress progress;
  gdouble percent, eta_s;

  g_mutex_lock (&priv->lock);
  percent = gst_kling_progress_update (&priv->progress, elapsed_s, &eta_s);
  progress = priv->progress;
  g_mutex_unlock (&priv->lock);
  if (done && percent >= 0) {
    percent = 100.0;
    eta_s = 0;
  }
  s = gst_kling_task_structure_new (task, status, elapsed_s, progress.endpoint);
  gst_kling_progress_set_fields (&progress, s, percent, eta_s);
  gst_kling_post_structure (GST_ELEMENT (self), s);
}

/* Posts the START of a job (closing the previous job's, chained from job_done(), with a
 * COMPLETE first); @close_code is the code its end will take. */
void
gst_kling_render_open_progress (GstKlingRender * self, const gchar * code,
    const gchar * close_code, const gchar * text)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  g_autofree gchar *task_id = NULL;

  g_rec_mutex_lock (&priv->progress_lock);
  if (priv->open_code) {
    g_mutex_lock (&priv->lock);
    task_id = g_strdup (priv->task_id);
    g_mutex_unlock (&priv->lock);
    if (task_id)
      gst_kling_post_progress (GST_ELEMENT (self), GST_PROGRESS_TYPE_COMPLETE,
          priv->open_code, "Kling task %s: done, the next step follows",
          task_id);
    else
      gst_kling_post_progress (GST_ELEMENT (self), GST_PROGRESS_TYPE_COMPLETE,
          priv->open_code, "Done, the next step follows");
  }
  priv->open_code = close_code;
  gst_kling_post_progress (GST_ELEMENT (self), GST_PROGRESS_TYPE_START, code,
      "%s", text);
  g_rec_mutex_unlock (&priv->progress_lock);
}

/* A CONTINUE, only inside a START: a report that was on its way when the run was
 * cancelled does not come after the CANCELED. */
void
gst_kling_render_continue_progress (GstKlingRender * self, const gchar * code,
    const gchar * text)
{
  GstKlingRenderPrivate *priv = PRIV (self);

  g_rec_mutex_lock (&priv->progress_lock);
  if (priv->open_code)
    gst_kling_post_progress (GST_ELEMENT (self), GST_PROGRESS_TYPE_CONTINUE,
        code, "%s", text);
  g_rec_mutex_unlock (&priv->progress_lock);
}

/* Ends the open START with @type and @text; nothing when none is open, so that every
 * START gets exactly one end whatever path the run takes. */
void
gst_kling_render_close_progress (GstKlingRender * self, GstProgressType type,
    const gchar * text)
{
  GstKlingRenderPrivate *priv = PRIV (self);

  g_rec_mutex_lock (&priv->progress_lock);
  if (priv->open_code)
    gst_kling_post_progress (GST_ELEMENT (self), type, priv->open_code, "%s",
        text);
  priv->open_code = NULL;
  g_rec_mutex_unlock (&priv->progress_lock);
}

/* How long the task has run: the job's time, or for a task an earlier run created, its
 * age by Kling's created_at (bounded to a day, against a wrong clock), so that a resumed
 * render does not start again from 0 %. */
gdouble
gst_kling_render_task_age (GstKlingRender * self, const KlingTask * task,
    gdouble elapsed_s)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  gboolean resuming;
  gdouble age_s;

  g_mutex_lock (&priv->lock);
  resuming = priv->resuming;
  g_mutex_unlock (&priv->lock);
  if (!resuming || task->created_at_ms <= 0)
    return elapsed_s;
  age_s = (g_get_real_time () / 1000 - task->created_at_ms) / 1000.0;
  return age_s > elapsed_s && age_s < 24 * 3600 ? age_s : elapsed_s;
}

/* CONTINUE "Kling task X: processing, 42 % (about 1 min 40 s left)" and its `kling-task`. */
void
gst_kling_render_post_task_progress (GstKlingRender * self,
    const KlingTask * task, gdouble elapsed_s)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  g_autofree gchar *how_far = NULL, *text = NULL;

  elapsed_s = gst_kling_render_task_age (self, task, elapsed_s);
  gst_kling_render_post_task_message (self, task, NULL, elapsed_s, FALSE);
  /* Rendered is not there yet: the download follows, and the percentage waits for it. */
  if (task->status == KLING_TASK_SUCCEED) {
    text = g_strdup_printf ("Kling task %s: rendered, downloading the clip",
        task->task_id);
    gst_kling_render_continue_progress (self, "kling-task", text);
    return;
  }
  g_mutex_lock (&priv->lock);
  how_far = gst_kling_progress_describe (&priv->progress, elapsed_s);
  g_mutex_unlock (&priv->lock);
  text = g_strdup_printf ("Kling task %s: %s%s", task->task_id,
      kling_task_status_to_string (task->status), how_far);
  gst_kling_render_continue_progress (self, "kling-task", text);
}

/* The START of a job, before any request, from what the cache says it will do: "cache
 * hit: <path>", resuming a task of the journal, or submitting a new one with the
 * estimate. */
void
gst_kling_render_announce_job (GstKlingRender * self, KlingClient * client,
    const KlingRequest * request, const KlingJobPreview * preview)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  g_autofree gchar *text = NULL;
  GstKlingProgress progress;

  g_mutex_lock (&priv->lock);
  gst_kling_progress_init (&priv->progress, request->endpoint,
      priv->run_settings->model_name, (KlingMode) priv->run_settings->mode,
      priv->run_settings->duration_s, priv->run_settings->sound, preview);
  progress = priv->progress;
  priv->resuming = preview->outlook == KLING_JOB_WILL_RESUME;
  g_mutex_unlock (&priv->lock);

  text = gst_kling_progress_start_text (&progress, preview,
      kling_client_get_base_url (client));
  if (preview->outlook == KLING_JOB_WILL_USE_CACHE)
    gst_kling_render_open_progress (self, "kling-cache", "kling-cache", text);
  else if (preview->outlook == KLING_JOB_WILL_RESUME)
    gst_kling_render_open_progress (self, "kling-resume", "kling-task", text);
  else
    gst_kling_render_open_progress (self, "kling-submit", "kling-task", text);
}

/* COMPLETE: where the clip came from, how long it took, what was paid for it. */
void
gst_kling_render_post_complete (GstKlingRender * self, const gchar * mp4_path,
    const KlingTask * task, gdouble elapsed_s, gboolean cache_hit)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  g_autofree gchar *text = NULL;
  GstKlingProgress progress;

  g_mutex_lock (&priv->lock);
  progress = priv->progress;
  g_mutex_unlock (&priv->lock);
  text = gst_kling_progress_complete_text (&progress, task, mp4_path, elapsed_s,
      cache_hit);
  gst_kling_render_close_progress (self, GST_PROGRESS_TYPE_COMPLETE, text);
}

/* The details of @error, with the run's task and endpoint where it says nothing. */
static GstStructure *
error_details (GstKlingRender * self, const GError * error)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  GstStructure *details;

  g_mutex_lock (&priv->lock);
  details = gst_kling_error_details (error, priv->task_id,
      priv->run_settings ? kling_endpoint_path (priv->endpoint) : NULL);
  g_mutex_unlock (&priv->lock);
  return details;
}

/* TRUE the first time in a run: the job ended (a clip delivered, an error posted). */
gboolean
gst_kling_render_mark_finished (GstKlingRender * self)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  gboolean first;

  g_mutex_lock (&priv->lock);
  first = !priv->finished;
  priv->finished = TRUE;
  g_mutex_unlock (&priv->lock);
  return first;
}

void
gst_kling_render_post_error (GstKlingRender * self, const GError * error)
{
  GQuark domain = GST_RESOURCE_ERROR;
  gint code = GST_RESOURCE_ERROR_FAILED;
  GstStructure *details = NULL;
  gchar *message, *debug = NULL;

  g_return_if_fail (GST_IS_KLING_RENDER (self));
  g_return_if_fail (error != NULL);

  if (g_error_matches (error, KLING_ERROR, KLING_ERROR_CANCELLED))
    return;

  if (error->domain == KLING_ERROR) {
    code = gst_kling_error_resource_code (error);
    message = kling_error_dup_user_message (error);
    debug = kling_error_dup_details (error);
    details = error_details (self, error);
  } else {
    message = g_strdup (error->message);
  }
  gst_kling_render_mark_finished (self);
  gst_kling_render_close_progress (self, GST_PROGRESS_TYPE_ERROR, message);
  /* Takes @message, @debug and @details. */
  gst_element_message_full_with_details (GST_ELEMENT (self), GST_MESSAGE_ERROR,
      domain, code, message, debug, __FILE__, GST_FUNCTION, __LINE__, details);
  gst_kling_clip_output_abort (PRIV (self)->output);
}

void
gst_kling_render_fail_input (GstKlingRender * self, const gchar * message,
    const gchar * details)
{
  g_return_if_fail (GST_IS_KLING_RENDER (self));

  gst_kling_render_mark_finished (self);
  gst_kling_render_close_progress (self, GST_PROGRESS_TYPE_ERROR, message);
  gst_element_message_full (GST_ELEMENT (self), GST_MESSAGE_ERROR,
      GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT, g_strdup (message),
      g_strdup (details), __FILE__, GST_FUNCTION, __LINE__);
  gst_kling_clip_output_abort (PRIV (self)->output);
}
