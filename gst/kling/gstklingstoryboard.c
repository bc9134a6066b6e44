/* gst-kling: GstKlingStoryboard, one clip per still, played in input order as one stream.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each still is a Shot with a job of its own. The jobs' callbacks (the client's worker)
 * copy what they were told and hand it off; on the element's own thread a finished shot
 * is marked, then flush() gives the output every shot that is settled, in order, up to
 * the first one still rendering. flush() runs only on that thread (the hand-off queue
 * runs its items one after the other), so clips can never overtake each other; end()
 * hands its flush off too.
 *
 * The lock guards the shots and the flags; it is never held while posting, while calling
 * the base or the client, or while cancelling a job.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstklingstoryboard.h"
#include "gstklingmessages.h"

GST_DEBUG_CATEGORY_STATIC (gst_kling_storyboard_debug);
#define GST_CAT_DEFAULT gst_kling_storyboard_debug

typedef enum
{
  SHOT_RENDERING,
  SHOT_READY,
  SHOT_FAILED,
  SHOT_CANCELLED,               /* no longer followed after another still's error */
} ShotState;

typedef struct
{
  guint number;                 /* from 1, in input order */
  gboolean skip_failed;
  ShotState state;
  KlingJob *job;                /* kept to the end: it owns a cache-less clip's file */
  gchar *mp4_path;
  KlingTask *task;
  GError *error;
} Shot;

struct _GstKlingStoryboard
{
  GstKlingRender *render;       /* not a reference: it owns us */

  GMutex lock;
  /* under lock */
  GPtrArray *shots;
  guint next;                   /* the first shot not yet given to the output */
  guint run;                    /* bumped by reset(): older jobs' reports are dropped */
  gboolean input_ended;
  gboolean output_ended;
  gboolean stopped;             /* an error was posted: nothing more goes out */
};

/* What a job's callbacks need; also what they hand off. */
typedef struct
{
  GstKlingStoryboard *storyboard;
  GstKlingRender *render;       /* a reference: the job may outlive the run */
  guint run;
  guint index;
} ShotContext;

typedef struct
{
  GstKlingStoryboard *storyboard;
  guint run;
  guint index;
  KlingTask *task;
  gdouble elapsed_s;
  gchar *mp4_path;
  GError *error;
  KlingJob *job;                /* finished: it may come before add() stored it */
} ShotReport;

static void flush (GstKlingStoryboard * self);

static void
shot_free (gpointer data)
{
  Shot *shot = data;

  g_clear_pointer (&shot->job, kling_job_unref);
  g_clear_pointer (&shot->task, kling_task_free);
  g_clear_error (&shot->error);
  g_free (shot->mp4_path);
  g_free (shot);
}

GstKlingStoryboard *
gst_kling_storyboard_new (GstKlingRender * render)
{
  GstKlingStoryboard *self = g_new0 (GstKlingStoryboard, 1);

  /* gst_debug_category_new() hands back the existing category on later calls. */
  GST_DEBUG_CATEGORY_INIT (gst_kling_storyboard_debug, "klingstoryboard", 0,
      "Kling storyboard: one clip per still");
  self->render = render;
  g_mutex_init (&self->lock);
  self->shots = g_ptr_array_new_with_free_func (shot_free);
  return self;
}

/* Forgets every shot; returns the jobs that were rendering, to cancel without the lock. */
static GPtrArray *
take_shots (GstKlingStoryboard * self, GPtrArray ** rendering)
{
  GPtrArray *shots;
  guint i;

  g_mutex_lock (&self->lock);
  shots = self->shots;
  self->shots = g_ptr_array_new_with_free_func (shot_free);
  self->run++;
  self->next = 0;
  self->input_ended = self->output_ended = self->stopped = FALSE;
  g_mutex_unlock (&self->lock);

  *rendering = g_ptr_array_new ();
  for (i = 0; i < shots->len; i++) {
    Shot *shot = g_ptr_array_index (shots, i);

    /* One without a job yet: add() cancels it, reset() closes its START here. */
    if (shot->state == SHOT_RENDERING)
      g_ptr_array_add (*rendering, shot);
  }
  return shots;
}

static void
cancel_shots (GstKlingStoryboard * self, GPtrArray * rendering, gboolean post)
{
  guint i;

  for (i = 0; i < rendering->len; i++) {
    Shot *shot = g_ptr_array_index (rendering, i);

    if (post)
      gst_kling_post_progress (GST_ELEMENT (self->render),
          GST_PROGRESS_TYPE_CANCELED, "kling-storyboard",
          "Storyboard still %u: render cancelled", shot->number);
    if (shot->job)
      kling_job_cancel (shot->job);
  }
}

void
gst_kling_storyboard_free (GstKlingStoryboard * self)
{
  GPtrArray *rendering, *shots;

  if (!self)
    return;
  shots = take_shots (self, &rendering);
  cancel_shots (self, rendering, FALSE);
  g_ptr_array_unref (rendering);
  g_ptr_array_unref (shots);
  g_ptr_array_unref (self->shots);
  g_mutex_clear (&self->lock);
  g_free (self);
}

void
gst_kling_storyboard_reset (GstKlingStoryboard * self)
{
  GPtrArray *rendering, *shots;

  shots = take_shots (self, &rendering);
  cancel_shots (self, rendering, TRUE);
  g_ptr_array_unref (rendering);
  g_ptr_array_unref (shots);
}

guint
gst_kling_storyboard_count (GstKlingStoryboard * self)
{
  guint count;

  g_mutex_lock (&self->lock);
  count = self->shots->len;
  g_mutex_unlock (&self->lock);
  return count;
}

/* ------------------------------------------------------------------------- */
/* The jobs' callbacks: on the client's worker, copy and hand off            */

static void
shot_context_free (gpointer data)
{
  ShotContext *ctx = data;

  gst_object_unref (ctx->render);
  g_free (ctx);
}

static void
shot_report_free (gpointer data)
{
  ShotReport *report = data;

  g_clear_pointer (&report->task, kling_task_free);
  g_clear_pointer (&report->job, kling_job_unref);
  g_clear_error (&report->error);
  g_free (report->mp4_path);
  g_free (report);
}

static ShotReport *
new_report (ShotContext * ctx, const KlingTask * task)
{
  ShotReport *report = g_new0 (ShotReport, 1);

  report->storyboard = ctx->storyboard;
  report->run = ctx->run;
  report->index = ctx->index;
  report->task = task ? kling_task_copy (task) : NULL;
  return report;
}

/* Element thread. The shot @report is about, under the lock (held on return when found),
 * or NULL (lock released) when its run is over. */
static Shot *
lock_shot (ShotReport * report)
{
  GstKlingStoryboard *self = report->storyboard;

  g_mutex_lock (&self->lock);
  if (report->run == self->run && report->index < self->shots->len)
    return g_ptr_array_index (self->shots, report->index);
  g_mutex_unlock (&self->lock);
  return NULL;
}

static void
on_shot_task (GstKlingRender * render, gpointer data)
{
  ShotReport *report = data;
  Shot *shot = lock_shot (report);
  guint number;

  if (!shot)
    return;
  number = shot->number;
  g_mutex_unlock (&report->storyboard->lock);
  gst_kling_post_progress (GST_ELEMENT (render), GST_PROGRESS_TYPE_CONTINUE,
      "kling-storyboard", "Storyboard still %u: Kling task %s: %s (%.0f s)",
      number, report->task->task_id,
      kling_task_status_to_string (report->task->status), report->elapsed_s);
  /* Each still's task (its own percentage is not tracked: the stills render at once). */
  gst_kling_post_structure (GST_ELEMENT (render),
      gst_kling_task_structure_new (report->task, NULL, report->elapsed_s,
          KLING_ENDPOINT_IMAGE2VIDEO));
}

static void
on_shot_finished (GstKlingRender * render, gpointer data)
{
  ShotReport *report = data;
  Shot *shot = lock_shot (report);
  g_autofree gchar *failure = NULL;
  gboolean cache_hit;
  guint number;

  if (!shot)
    return;
  if (shot->state != SHOT_RENDERING) {
    g_mutex_unlock (&report->storyboard->lock);
    return;
  }
  shot->state = report->error ? SHOT_FAILED : SHOT_READY;
  shot->mp4_path = g_steal_pointer (&report->mp4_path);
  shot->task = g_steal_pointer (&report->task);
  shot->error = g_steal_pointer (&report->error);
  number = shot->number;
  failure = shot->error ? g_strdup (shot->error->message) : NULL;
  if (!shot->job)
    shot->job = g_steal_pointer (&report->job);
  cache_hit = shot->job && kling_job_is_cache_hit (shot->job);
  g_mutex_unlock (&report->storyboard->lock);

  GST_INFO_OBJECT (render, "still %u: %s", number, failure ? failure : "ready");
  if (failure)
    gst_kling_post_progress (GST_ELEMENT (render), GST_PROGRESS_TYPE_ERROR,
        "kling-storyboard", "Storyboard still %u: %s", number, failure);
  else
    gst_kling_post_progress (GST_ELEMENT (render), GST_PROGRESS_TYPE_COMPLETE,
        "kling-storyboard", "Storyboard still %u: clip ready%s", number,
        cache_hit ? " (cache hit)" : "");
  flush (report->storyboard);
}

static gboolean
context_is_current (ShotContext * ctx)
{
  gboolean current;

  g_mutex_lock (&ctx->storyboard->lock);
  current = ctx->run == ctx->storyboard->run && !ctx->storyboard->stopped;
  g_mutex_unlock (&ctx->storyboard->lock);
  return current;
}

static void
job_task (KlingJob * job, const KlingTask * task, gdouble elapsed_s,
    gpointer user_data)
{
  ShotReport *report;

  if (!context_is_current (user_data))
    return;
  report = new_report (user_data, task);
  report->elapsed_s = elapsed_s;
  gst_kling_render_hand_off (((ShotContext *) user_data)->render, on_shot_task,
      report, shot_report_free);
}

static void
job_submitted (KlingJob * job, const KlingTask * task, gpointer user_data)
{
  job_task (job, task, 0.0, user_data);
}

static void
job_finished (KlingJob * job, const gchar * mp4_path, const KlingTask * task,
    const GError * error, gpointer user_data)
{
  ShotReport *report;

  if (g_error_matches (error, KLING_ERROR, KLING_ERROR_CANCELLED)
      || !context_is_current (user_data))
    return;
  report = new_report (user_data, task);
  report->mp4_path = g_strdup (mp4_path);
  report->error = error ? g_error_copy (error) : NULL;
  report->job = kling_job_ref (job);
  gst_kling_render_hand_off (((ShotContext *) user_data)->render,
      on_shot_finished, report, shot_report_free);
}

/* ------------------------------------------------------------------------- */
/* Adding stills (the sink's streaming thread)                               */

gboolean
gst_kling_storyboard_add (GstKlingStoryboard * self,
    const KlingRequest * request, gboolean skip_failed)
{
  static const KlingJobCallbacks callbacks = {
    .submitted = job_submitted,
    .progress = job_task,
    .finished = job_finished,
  };
  KlingClient *client = gst_kling_render_dup_client (self->render);
  KlingJobOptions options;
  g_autofree gchar *cache_dir = NULL;
  ShotContext *ctx;
  KlingJob *job;
  Shot *shot;
  guint run, index;
  gboolean stopped;

  if (!client)
    return FALSE;
  g_mutex_lock (&self->lock);
  if (self->stopped || self->input_ended) {
    g_mutex_unlock (&self->lock);
    kling_client_unref (client);
    return FALSE;
  }
  shot = g_new0 (Shot, 1);
  shot->number = self->shots->len + 1;
  shot->skip_failed = skip_failed;
  index = self->shots->len;
  g_ptr_array_add (self->shots, shot);
  run = self->run;
  g_mutex_unlock (&self->lock);

  gst_kling_post_progress (GST_ELEMENT (self->render), GST_PROGRESS_TYPE_START,
      "kling-storyboard",
      "Storyboard still %u: submitting a Kling %s task to %s", index + 1,
      kling_endpoint_name (request->endpoint),
      kling_client_get_base_url (client));
  cache_dir = gst_kling_render_get_job_options (self->render, &options);
  ctx = g_new0 (ShotContext, 1);
  ctx->storyboard = self;
  ctx->render = gst_object_ref (self->render);
  ctx->run = run;
  ctx->index = index;
  job = kling_client_start_job (client, request, &options, &callbacks, ctx,
      shot_context_free);
  kling_client_unref (client);

  g_mutex_lock (&self->lock);
  stopped = run == self->run && self->stopped;
  if (run == self->run) {
    Shot *added = g_ptr_array_index (self->shots, index);

    if (stopped)
      added->state = SHOT_CANCELLED;
    /* A quick finish (a cache hit) may have stored it already. */
    else if (!added->job)
      added->job = kling_job_ref (job);
    if (!stopped)
      g_clear_pointer (&job, kling_job_unref);
  }
  g_mutex_unlock (&self->lock);
  if (job) {
    /* The run ended, or an error stopped the storyboard, while the job started. */
    if (stopped)
      gst_kling_post_progress (GST_ELEMENT (self->render),
          GST_PROGRESS_TYPE_CANCELED, "kling-storyboard",
          "Storyboard still %u: render cancelled after an error", index + 1);
    kling_job_cancel (job);
    kling_job_unref (job);
    return FALSE;
  }
  return TRUE;
}

static void
flush_hand_off (GstKlingRender * render, gpointer data)
{
  flush (data);
}

void
gst_kling_storyboard_end (GstKlingStoryboard * self)
{
  g_mutex_lock (&self->lock);
  self->input_ended = TRUE;
  g_mutex_unlock (&self->lock);
  /* On the element's thread, after the reports already queued: flush() runs only there. */
  gst_kling_render_hand_off (self->render, flush_hand_off, self, NULL);
}

/* ------------------------------------------------------------------------- */
/* Giving the output its clips, in order (the element's own thread)          */

/* A failed still without skip-failed: the error ends the stream; the jobs still in flight
 * are not followed any more (their tasks stay in the journal: a rerun resumes them). */
static void
stop_on_error (GstKlingStoryboard * self, const GError * error)
{
  GPtrArray *rendering = g_ptr_array_new ();
  guint i;

  g_mutex_lock (&self->lock);
  self->stopped = TRUE;
  for (i = self->next; i < self->shots->len; i++) {
    Shot *shot = g_ptr_array_index (self->shots, i);

    if (shot->state == SHOT_RENDERING && shot->job) {
      shot->state = SHOT_CANCELLED;
      g_ptr_array_add (rendering, kling_job_ref (shot->job));
    }
  }
  g_mutex_unlock (&self->lock);

  gst_kling_render_post_error (self->render, error);
  /* Each START gets its CANCELED here, once: reset() skips cancelled shots. */
  for (i = 0; i < rendering->len; i++) {
    gst_kling_post_progress (GST_ELEMENT (self->render),
        GST_PROGRESS_TYPE_CANCELED, "kling-storyboard",
        "Storyboard render cancelled after an error");
    kling_job_cancel (g_ptr_array_index (rendering, i));
  }
  g_ptr_array_set_free_func (rendering, (GDestroyNotify) kling_job_unref);
  g_ptr_array_unref (rendering);
}

/* skip-failed: a warning that names the still, with the error's details plus "still". */
static void
warn_skipped (GstKlingStoryboard * self, guint number, const KlingTask * task,
    const GError * error)
{
  GstStructure *details = NULL;
  g_autofree gchar *sentence = NULL;
  gchar *debug = NULL;
  gint code = GST_RESOURCE_ERROR_FAILED;

  if (error->domain == KLING_ERROR) {
    sentence = kling_error_dup_user_message (error);
    debug = kling_error_dup_details (error);
    code = gst_kling_error_resource_code (error);
    details = gst_kling_error_details (error, task ? task->task_id : NULL,
        kling_endpoint_path (KLING_ENDPOINT_IMAGE2VIDEO));
  } else {
    sentence = g_strdup (error->message);
    details = gst_structure_new_empty ("details");
  }
  gst_structure_set (details, "still", G_TYPE_UINT, number, NULL);
  /* Takes the message, @debug and @details. */
  gst_element_message_full_with_details (GST_ELEMENT (self->render),
      GST_MESSAGE_WARNING, GST_RESOURCE_ERROR, code,
      g_strdup_printf ("Storyboard still %u is left out (skip-failed): %s",
          number, sentence), debug, __FILE__, GST_FUNCTION, __LINE__, details);
}

/* Gives the output the next settled shot; FALSE when there is nothing more to do now. */
static gboolean
flush_one (GstKlingStoryboard * self)
{
  g_autofree gchar *mp4_path = NULL;
  g_autoptr (GError) error = NULL;
  KlingTask *task = NULL;
  KlingJob *job = NULL;
  gboolean skip, end = FALSE, more = TRUE;
  guint number;
  Shot *shot;

  g_mutex_lock (&self->lock);
  if (self->stopped || self->output_ended) {
    g_mutex_unlock (&self->lock);
    return FALSE;
  }
  if (self->next == self->shots->len) {
    end = self->output_ended = self->input_ended;
    g_mutex_unlock (&self->lock);
    if (end)
      gst_kling_render_end_output (self->render);
    return FALSE;
  }
  shot = g_ptr_array_index (self->shots, self->next);
  if (shot->state == SHOT_RENDERING) {
    g_mutex_unlock (&self->lock);
    return FALSE;
  }
  self->next++;
  number = shot->number;
  skip = shot->skip_failed;
  mp4_path = g_strdup (shot->mp4_path);
  task = shot->task ? kling_task_copy (shot->task) : NULL;
  error = shot->error ? g_error_copy (shot->error) : NULL;
  job = shot->job ? kling_job_ref (shot->job) : NULL;
  g_mutex_unlock (&self->lock);

  if (!error) {
    GST_DEBUG_OBJECT (self->render, "still %u to the output", number);
    if (!gst_kling_render_append_clip (self->render, mp4_path, task, job)) {
      g_mutex_lock (&self->lock);
      self->stopped = TRUE;
      g_mutex_unlock (&self->lock);
      more = FALSE;
    }
  } else if (skip) {
    warn_skipped (self, number, task, error);
  } else {
    stop_on_error (self, error);
    more = FALSE;
  }
  g_clear_pointer (&task, kling_task_free);
  g_clear_pointer (&job, kling_job_unref);
  return more;
}

static void
flush (GstKlingStoryboard * self)
{
  while (flush_one (self));
}
