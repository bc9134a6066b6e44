/* gst-kling: the clips the render base hands to its output.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A clip is a finished MP4 with the tags of its render. The base's single render ends the
 * output after its clip; an element that renders several clips into one stream (a
 * storyboard, klingimage2video's `render` signal on a live input) holds the output open
 * and ends it itself (docs/design.md, "The elements").
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstklingrender-private.h"

#define GST_CAT_DEFAULT gst_kling_render_debug

/* The estimate and the charge, as tags and in the comment (which muxers write into the
 * file). priv->lock held. */
static void
add_cost_tags (GstKlingRenderPrivate * priv, GstTagList * tags,
    GString * comment)
{
  if (priv->progress.priced) {
    gst_tag_list_add (tags, GST_TAG_MERGE_REPLACE, GST_KLING_TAG_ESTIMATE_USD,
        priv->progress.usd, NULL);
    g_string_append_printf (comment, ", estimate USD %.2f", priv->progress.usd);
  }
  if (priv->charge) {
    gst_tag_list_add (tags, GST_TAG_MERGE_REPLACE, GST_KLING_TAG_CHARGE,
        priv->charge, NULL);
    g_string_append_printf (comment, ", charged %s", priv->charge);
  }
}

/* The tags pushed before the clip: the run's settings (the element's when nothing was
 * submitted through the base: a storyboard's clips), the clip's task, the subclass's. */
static GstTagList *
build_tags (GstKlingRender * self, const KlingTask * task)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  GstKlingRenderClass *klass = GST_KLING_RENDER_GET_CLASS (self);
  GstTagList *tags = gst_tag_list_new_empty ();
  GString *comment = g_string_new ("Rendered by Kling");
  g_autoptr (GstKlingRenderSettings) own = gst_kling_render_dup_settings (self);
  const gchar *task_id, *video_id;

  g_mutex_lock (&priv->lock);
  task_id = task && task->task_id ? task->task_id : priv->task_id;
  video_id = task && task->video_id ? task->video_id : priv->video_id;
  g_string_append_printf (comment, " %s", kling_endpoint_name (priv->endpoint));
  {
    const GstKlingRenderSettings *s = priv->run_settings ? priv->run_settings :
        own;
    const gchar *mode = kling_mode_to_string ((KlingMode) s->mode);

    gst_tag_list_add (tags, GST_TAG_MERGE_REPLACE,
        GST_KLING_TAG_MODEL, s->model_name, GST_KLING_TAG_MODE, mode, NULL);
    if (s->prompt)
      gst_tag_list_add (tags, GST_TAG_MERGE_REPLACE, GST_TAG_DESCRIPTION,
          s->prompt, NULL);
    g_string_append_printf (comment, ", model %s, mode %s", s->model_name,
        mode);
  }
  if (task_id) {
    gst_tag_list_add (tags, GST_TAG_MERGE_REPLACE, GST_KLING_TAG_TASK_ID,
        task_id, NULL);
    g_string_append_printf (comment, ", task %s", task_id);
  }
  if (video_id) {
    gst_tag_list_add (tags, GST_TAG_MERGE_REPLACE, GST_KLING_TAG_VIDEO_ID,
        video_id, NULL);
    g_string_append_printf (comment, ", video %s", video_id);
  }
  add_cost_tags (priv, tags, comment);
  g_mutex_unlock (&priv->lock);

  gst_tag_list_add (tags, GST_TAG_MERGE_REPLACE, GST_TAG_COMMENT, comment->str,
      NULL);
  g_string_free (comment, TRUE);
  if (klass->add_tags)
    klass->add_tags (self, tags);
  gst_tag_list_set_scope (tags, GST_TAG_SCOPE_GLOBAL);
  return tags;
}

gboolean
gst_kling_render_append_clip (GstKlingRender * self, const gchar * mp4_path,
    const KlingTask * task, KlingJob * job)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  GstClockTime duration = GST_CLOCK_TIME_NONE;
  g_autoptr (GError) error = NULL;
  GstKlingClip *clip;

  g_return_val_if_fail (GST_IS_KLING_RENDER (self), FALSE);
  g_return_val_if_fail (mp4_path != NULL, FALSE);

  if (task && task->video_duration_s > 0)
    duration = (GstClockTime) (task->video_duration_s * GST_SECOND);
  /* Without a cache the file lives in the job's own directory: the clip keeps the job. */
  clip = gst_kling_clip_new_for_file (mp4_path, build_tags (self, task),
      duration, job ? kling_job_ref (job) : NULL,
      job ? (GDestroyNotify) kling_job_unref : NULL, &error);
  if (!clip) {
    gst_element_message_full (GST_ELEMENT (self), GST_MESSAGE_ERROR,
        GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
        g_strdup ("Could not read the clip Kling rendered."),
        g_strdup (error->message), __FILE__, GST_FUNCTION, __LINE__);
    gst_kling_clip_output_abort (priv->output);
    return FALSE;
  }
  g_mutex_lock (&priv->lock);
  /* Under the lock, so a shutdown cannot slip in between: its reset would miss it. */
  if (!priv->flushing)
    gst_kling_clip_output_append_clip (priv->output, clip);
  g_mutex_unlock (&priv->lock);
  gst_kling_clip_unref (clip);
  return TRUE;
}

/* The clip as it downloads (docs/design.md, "The first frame while the clip downloads"):
 * named after the cache path it will become, so its stream ids match a later cache hit;
 * deliver() then only reports. Takes @job (the clip keeps it: without a cache the file
 * ends in the job's own directory). */
void
gst_kling_render_append_growing_clip (GstKlingRender * self,
    KlingDownloadProgress * progress, KlingJob * job)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  g_autofree gchar *name = NULL;
  GstKlingClip *clip;
  gboolean hold;

  g_mutex_lock (&priv->lock);
  name = g_strdup (priv->clip_name);
  g_mutex_unlock (&priv->lock);
  clip = gst_kling_clip_new_for_download (progress, name,
      build_tags (self, NULL), GST_CLOCK_TIME_NONE, job,
      job ? (GDestroyNotify) kling_job_unref : NULL);
  g_mutex_lock (&priv->lock);
  hold = priv->hold_output;
  if (!priv->flushing) {
    priv->growing = TRUE;
    gst_kling_clip_output_append_clip (priv->output, clip);
    if (!hold)
      gst_kling_clip_output_end (priv->output);
  }
  g_mutex_unlock (&priv->lock);
  gst_kling_clip_unref (clip);
}

void
gst_kling_render_hold_output (GstKlingRender * self, gboolean follow_clock)
{
  g_return_if_fail (GST_IS_KLING_RENDER (self));

  g_mutex_lock (&PRIV (self)->lock);
  PRIV (self)->hold_output = TRUE;
  g_mutex_unlock (&PRIV (self)->lock);
  gst_kling_clip_output_set_follow_clock (PRIV (self)->output, follow_clock);
}

void
gst_kling_render_end_output (GstKlingRender * self)
{
  GstKlingRenderPrivate *priv = PRIV (self);

  g_return_if_fail (GST_IS_KLING_RENDER (self));

  g_mutex_lock (&priv->lock);
  if (!priv->flushing)
    gst_kling_clip_output_end (priv->output);
  g_mutex_unlock (&priv->lock);
}
