/* gst-kling: GstKlingRender, the abstract base of the Kling elements.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Threads (docs/design.md, "Threads and locks"):
 * - the subclass's sink streaming thread captures the input and calls
 *   gst_kling_render_submit(), which hands the request to the shared KlingClient and
 *   returns at once;
 * - the client's worker thread runs the job and calls back (job_submitted, job_progress,
 *   job_finished): those only copy what they were told and hand it off;
 * - the hand-off queue runs on the element's own thread (gst_element_call_async()), one
 *   item after the other: messages, task-id / video-id notifications, job_done(), the
 *   clip given to the output;
 * - the output (GstKlingClipOutput) runs the source pads' tasks.
 *
 * Locks: GST_OBJECT_LOCK guards the properties; priv->lock guards the run (client, job,
 * generation, ids, the hand-off queue). priv->lock may be held while calling the output,
 * never the other way round; it is never held while posting or notifying.
 */
/**
 * SECTION:gstklingrender
 * @title: GstKlingRender
 * @short_description: base class of the Kling elements (klingimage2video, klinglipsync)
 *
 * Holds what every Kling element shares: the properties (api-url, keys, model-name,
 * mode, duration, prompt, cfg-scale, poll-interval, timeout, cache-dir, the read-only
 * task-id and video-id), the job (progress messages, `kling-task` element messages,
 * errors) and the output: `src` pushes the clip decoded, with timestamps from 0, tags
 * and EOS, or the MP4 bytes when downstream only takes `video/quicktime`; a subclass
 * that installs an `audio_src` pad template gets the clip's audio there.
 *
 * Errors map as follows: AUTH and PERMISSION -> RESOURCE NOT_AUTHORIZED; INVALID_INPUT
 * and CONTENT_POLICY (Kling refused the parameters or the content) -> RESOURCE
 * SETTINGS; NETWORK and TLS -> RESOURCE OPEN_READ; LOCAL_IO -> RESOURCE OPEN_WRITE;
 * QUOTA, RATE_LIMITED, TASK_FAILED, SERVER, PROTOCOL and TIMEOUT -> RESOURCE FAILED;
 * bad input found before any request -> STREAM FORMAT; a clip that does not decode ->
 * STREAM DECODE. Each error message carries a "details" structure
 * (gst_message_parse_error_details()) with, where known, http-status-code (guint),
 * kling-code (gint), request-id, task-id, endpoint and task-status-message (strings). A
 * cancelled job (state change) posts a CANCELED progress message and no error.
 *
 * Progress messages: a START before any request (code `kling-submit` with the estimate,
 * `kling-cache` for a cache hit, `kling-resume` for a task of the cache's journal), then
 * CONTINUE `kling-task` after each poll (status, percentage, time left) and `kling-wait`
 * for each retry or wait, then exactly one COMPLETE, ERROR or CANCELED, on every path
 * (a chained job closes the first job's START with a COMPLETE before its own). The
 * percentage is the elapsed time over the typical render time (the median of the 5
 * newest renders of the same endpoint and model recorded in the cache directory, else
 * the model table's figure); it never goes down and stays at most 99 until the clip is
 * there (100).
 *
 * Element messages:
 * - `kling-task` after each poll and with the clip: task-id, status (Kling's), elapsed
 *   (gdouble, seconds the task has run; for a task resumed from the journal, since Kling
 *   created it), endpoint ("image2video"), video-id and status-message when known;
 *   percent (gdouble, 0..99, 100 with the clip), eta-s (gdouble, seconds left by the
 *   estimate, 0 once past it), typical-s (gdouble) and typical-source ("cache" or
 *   "model-table") when a typical time is known; estimate-usd (gdouble) when the model
 *   table has a price; charged (the amount as Kling wrote final_unit_deduction),
 *   charged-amount (gdouble) and charged-unit ("credits") once Kling said it. Since: 0.2
 *   for all but task-id, status, elapsed, endpoint, video-id and status-message.
 * - `kling-wait` (Since: 0.2) before each wait: reason ("rate-limit", "busy-account",
 *   "local-queue", "server-error", "network"), delay-s (gdouble; 0 for the local queue,
 *   which lasts until a slot frees), attempt (guint, the attempt that failed), endpoint,
 *   cause (the failure's technical line; NULL for the local queue).
 *
 * Tags (Since: 0.2): `kling-estimate-usd` (gdouble) and `kling-charge` (string, "3
 * credits"), both also in the comment ("..., estimate USD 0.42, charged 3 credits"),
 * which muxers write into the file. A cache hit tags what the clip cost when it was
 * rendered (the sidecar keeps it).
 *
 * Seeking: flushing, forward, time-format seeks; one that comes before the clip is
 * there makes the clip start at that point. Non-flushing and segment seeks and seeks in
 * MP4 passthrough are refused.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=examples/media/still.jpg ! jpegdec ! \
 *     klingimage2video prompt="a slow zoom" ! videoconvert ! autovideosink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstklingrender-private.h"
#include "gstklinghandoff.h"
#include "gstklingmessages.h"
#include "gstklingprogress.h"
#include "gstklingproperties.h"
#include "gstklingnetwork.h"

GST_DEBUG_CATEGORY (gst_kling_render_debug);
#define GST_CAT_DEFAULT gst_kling_render_debug

/* The shared properties come first (gstklingproperties.h), then the base's own. */
enum
{
  PROP_TASK_ID = GST_KLING_N_SHARED_PROPS,
  PROP_VIDEO_ID,
  PROP_LOCATION,
  N_PROPERTIES
};

static GParamSpec *properties[N_PROPERTIES];

/* What a job's callbacks need: the element and the run they belong to. */
typedef struct
{
  GstKlingRender *self;
  guint generation;
} JobContext;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (GstKlingRender, gst_kling_render,
    GST_TYPE_ELEMENT);

GstKlingRenderPrivate *
gst_kling_render_get_priv (GstKlingRender * self)
{
  return gst_kling_render_get_instance_private (self);
}

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-raw; video/quicktime"));

static void gst_kling_render_constructed (GObject * object);
static void gst_kling_render_finalize (GObject * object);
static void gst_kling_render_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_kling_render_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_kling_render_change_state (GstElement * element,
    GstStateChange transition);
static gboolean gst_kling_render_default_job_done (GstKlingRender * self,
    const gchar * mp4_path, const KlingTask * task, const GError * error);
static gboolean run_is_current (GstElement * element, guint generation);

/* ------------------------------------------------------------------------- */
/* Properties and class setup                                                */

static void
gst_kling_render_install_properties (GObjectClass * gobject_class)
{
  gst_kling_properties_make_pspecs (properties);
  /**
   * GstKlingRender:task-id:
   *
   * The Kling task id of the current render, once Kling gave it (notified then);
   * read-only.
   *
   * Default: NULL.
   *
   * Since: 0.1
   */
  properties[PROP_TASK_ID] = g_param_spec_string ("task-id", "Task ID",
      "Kling task id of the current render, once known", NULL,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * GstKlingRender:video-id:
   *
   * The Kling video id of the finished clip, once known (notified then): what
   * klinglipsync's #GstKlingLipSync:video-id takes. Read-only.
   *
   * Default: NULL.
   *
   * Since: 0.1
   */
  properties[PROP_VIDEO_ID] = g_param_spec_string ("video-id", "Video ID",
      "Kling video id of the finished clip, once known", NULL,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * GstKlingRender:location:
   *
   * The path of the clip in the cache once it is there (notified then; a cache hit sets
   * it at once), so an application can keep or share the file. NULL while rendering,
   * and when the cache is off (#GstKlingRender:cache-mode `off` or `cache-dir=""`).
   * Cleared when the element goes back to READY and starts another run.
   *
   * Default: NULL.
   *
   * Since: 0.2
   */
  properties[PROP_LOCATION] = g_param_spec_string ("location", "Location",
      "Path of the clip in the cache, once it is there (NULL without a cache)",
      NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (gobject_class, N_PROPERTIES, properties);
  gst_kling_network_install_properties (gobject_class);
}

static void
gst_kling_render_class_init (GstKlingRenderClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_kling_render_debug, "klingrender", 0,
      "Kling render base");

  gobject_class->constructed = gst_kling_render_constructed;
  gobject_class->finalize = gst_kling_render_finalize;
  gobject_class->set_property = gst_kling_render_set_property;
  gobject_class->get_property = gst_kling_render_get_property;
  gst_kling_render_install_properties (gobject_class);

  gst_element_class_add_static_pad_template (element_class, &src_template);
  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_kling_render_change_state);

  klass->job_done = gst_kling_render_default_job_done;
  klass->plays_while_downloading = TRUE;

  gst_tag_register (GST_KLING_TAG_TASK_ID, GST_TAG_FLAG_META, G_TYPE_STRING,
      "Kling task id", "Id of the Kling task that rendered the clip", NULL);
  gst_tag_register (GST_KLING_TAG_VIDEO_ID, GST_TAG_FLAG_META, G_TYPE_STRING,
      "Kling video id", "Id of the clip at Kling (for extend or lip-sync)",
      NULL);
  gst_tag_register (GST_KLING_TAG_MODEL, GST_TAG_FLAG_META, G_TYPE_STRING,
      "Kling model", "Kling model that rendered the clip", NULL);
  gst_tag_register (GST_KLING_TAG_MODE, GST_TAG_FLAG_META, G_TYPE_STRING,
      "Kling mode", "Kling render mode (std or pro)", NULL);
  gst_tag_register (GST_KLING_TAG_ESTIMATE_USD, GST_TAG_FLAG_META,
      G_TYPE_DOUBLE, "Kling estimate (USD)",
      "What the model table expected the render to cost, in USD", NULL);
  gst_tag_register (GST_KLING_TAG_CHARGE, GST_TAG_FLAG_META, G_TYPE_STRING,
      "Kling charge", "What Kling charged for the render, e.g. \"3 credits\"",
      NULL);

  gst_type_mark_as_plugin_api (GST_TYPE_KLING_RENDER, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_KLING_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_KLING_AUTH_HEADER, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_KLING_CACHE_MODE, 0);
}

static void
gst_kling_render_init (GstKlingRender * self)
{
  GstKlingRenderPrivate *priv = PRIV (self);

  gst_kling_properties_init (&priv->props);
  gst_kling_network_init (&priv->net);
  g_mutex_init (&priv->lock);
  g_rec_mutex_init (&priv->progress_lock);
  priv->hand_offs = gst_kling_hand_off_queue_new (GST_ELEMENT (self),
      run_is_current);
}

/* The source pads come from the final class's templates. Not in _init(): while the base
 * initialises, GObject gives the instance the base's class, which has no "audio_src"
 * template even when the subclass installs one. */
static void
gst_kling_render_constructed (GObject * object)
{
  GstKlingRender *self = GST_KLING_RENDER (object);

  G_OBJECT_CLASS (gst_kling_render_parent_class)->constructed (object);
  PRIV (self)->output = gst_kling_clip_output_new (GST_ELEMENT (self));
}

static void
gst_kling_render_finalize (GObject * object)
{
  GstKlingRender *self = GST_KLING_RENDER (object);
  GstKlingRenderPrivate *priv = PRIV (self);

  gst_kling_properties_clear (&priv->props);
  gst_kling_network_clear (&priv->net);
  g_free (priv->task_id);
  g_free (priv->video_id);
  g_free (priv->location);
  g_free (priv->clip_name);
  g_free (priv->charge);
  g_clear_pointer (&priv->run_settings, gst_kling_render_settings_free);
  g_clear_pointer (&priv->job, kling_job_unref);
  g_clear_pointer (&priv->client, kling_client_unref);
  gst_clear_object (&priv->output);
  gst_kling_hand_off_queue_free (priv->hand_offs);
  g_mutex_clear (&priv->lock);
  g_rec_mutex_clear (&priv->progress_lock);

  G_OBJECT_CLASS (gst_kling_render_parent_class)->finalize (object);
}

static void
gst_kling_render_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstKlingRender *self = GST_KLING_RENDER (object);
  gboolean known;

  GST_OBJECT_LOCK (self);
  known = gst_kling_properties_set (&PRIV (self)->props, prop_id, value)
      || gst_kling_network_set (&PRIV (self)->net, prop_id, value);
  GST_OBJECT_UNLOCK (self);
  if (!known)
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
gst_kling_render_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstKlingRender *self = GST_KLING_RENDER (object);
  GstKlingRenderPrivate *priv = PRIV (self);
  gboolean known;

  if (prop_id == PROP_TASK_ID || prop_id == PROP_VIDEO_ID
      || prop_id == PROP_LOCATION) {
    g_mutex_lock (&priv->lock);
    g_value_set_string (value, prop_id == PROP_TASK_ID ? priv->task_id :
        prop_id == PROP_VIDEO_ID ? priv->video_id : priv->location);
    g_mutex_unlock (&priv->lock);
    return;
  }
  GST_OBJECT_LOCK (self);
  known = gst_kling_properties_get (&priv->props, prop_id, value)
      || gst_kling_network_get (&priv->net, prop_id, value);
  GST_OBJECT_UNLOCK (self);
  if (!known)
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static gchar *
dup_non_empty (const gchar * text)
{
  return text && *text ? g_strdup (text) : NULL;
}

GstKlingRenderSettings *
gst_kling_render_dup_settings (GstKlingRender * self)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  GstKlingRenderSettings *settings = g_new0 (GstKlingRenderSettings, 1);

  GST_OBJECT_LOCK (self);
  settings->model_name = g_strdup (priv->props.model_name
      && *priv->props.model_name ? priv->props.model_name :
      KLING_DEFAULT_MODEL);
  settings->mode = priv->props.mode;
  settings->duration_s = priv->props.duration;
  settings->sound = priv->props.sound;
  settings->prompt = dup_non_empty (priv->props.prompt);
  settings->negative_prompt = dup_non_empty (priv->props.negative_prompt);
  settings->cfg_scale = priv->props.cfg_scale;
  settings->callback_url = dup_non_empty (priv->props.callback_url);
  GST_OBJECT_UNLOCK (self);

  return settings;
}

void
gst_kling_render_settings_free (GstKlingRenderSettings * settings)
{
  if (!settings)
    return;
  g_free (settings->model_name);
  g_free (settings->prompt);
  g_free (settings->negative_prompt);
  g_free (settings->callback_url);
  g_free (settings);
}

/* ------------------------------------------------------------------------- */
/* The hand-off queue: the element's own thread, one item after the other    */

static gboolean
run_is_current (GstElement * element, guint generation)
{
  GstKlingRenderPrivate *priv = PRIV (GST_KLING_RENDER (element));
  gboolean current;

  g_mutex_lock (&priv->lock);
  current = generation == priv->generation && !priv->flushing;
  g_mutex_unlock (&priv->lock);
  return current;
}

void
gst_kling_render_hand_off (GstKlingRender * self, GstKlingRenderHandOff func,
    gpointer data, GDestroyNotify notify)
{
  guint generation;

  g_return_if_fail (GST_IS_KLING_RENDER (self));
  g_return_if_fail (func != NULL);

  g_mutex_lock (&PRIV (self)->lock);
  generation = PRIV (self)->generation;
  g_mutex_unlock (&PRIV (self)->lock);
  gst_kling_hand_off_queue_push (PRIV (self)->hand_offs, generation,
      (GstKlingHandOffFunc) func, data, notify);
}

/* ------------------------------------------------------------------------- */
/* The job: the client's callbacks hand off, the handlers run on our thread  */

typedef struct
{
  KlingJob *job;                /* finished: keeps a cache-less clip's file alive */
  KlingTask *task;
  gdouble elapsed_s;
  gchar *mp4_path;
  GError *error;
  KlingDownloadProgress *progress;      /* download_started */
} JobReport;

static void
job_report_free (gpointer data)
{
  JobReport *report = data;

  g_clear_pointer (&report->job, kling_job_unref);
  g_clear_pointer (&report->task, kling_task_free);
  g_clear_error (&report->error);
  g_clear_pointer (&report->progress, kling_download_progress_unref);
  g_free (report->mp4_path);
  g_free (report);
}

static gboolean
job_context_is_current (JobContext * ctx)
{
  return run_is_current (GST_ELEMENT (ctx->self), ctx->generation);
}

static void
job_context_free (gpointer data)
{
  JobContext *ctx = data;

  gst_object_unref (ctx->self);
  g_free (ctx);
}

/* Remembers @text as *@slot; TRUE when it changed (the property must be notified). */
static gboolean
update_id (GstKlingRender * self, gchar ** slot, const gchar * text)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  gboolean changed = FALSE;

  g_mutex_lock (&priv->lock);
  if (text && g_strcmp0 (*slot, text) != 0) {
    g_free (*slot);
    *slot = g_strdup (text);
    changed = TRUE;
  }
  g_mutex_unlock (&priv->lock);
  return changed;
}

/* What Kling charged for the clip ("3 credits"), for the tags: known from the answer that
 * says the task succeeded, so a clip playing while it downloads has it too. priv->lock
 * held. */
static void
set_charge (GstKlingRenderPrivate * priv, const KlingTask * task)
{
  g_free (priv->charge);
  priv->charge = g_strdup_printf ("%s %s", task->charge,
      task->charge_unit ? task->charge_unit : "");
}

static void
on_job_submitted (GstKlingRender * self, gpointer data)
{
  const KlingTask *task = ((JobReport *) data)->task;

  GST_DEBUG_OBJECT (self, "task %s %s", task->task_id,
      kling_task_status_to_string (task->status));
  if (update_id (self, &PRIV (self)->task_id, task->task_id))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TASK_ID]);
  gst_kling_render_post_task_progress (self, task, 0.0);
}

static void
on_job_progress (GstKlingRender * self, gpointer data)
{
  JobReport *report = data;
  const KlingTask *task = report->task;

  g_mutex_lock (&PRIV (self)->lock);
  PRIV (self)->elapsed_s = report->elapsed_s;
  g_mutex_unlock (&PRIV (self)->lock);
  if (update_id (self, &PRIV (self)->task_id, task->task_id))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TASK_ID]);
  /* Known once the task succeeded, before the download: the growing clip's tags. */
  if (update_id (self, &PRIV (self)->video_id, task->video_id))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIDEO_ID]);
  if (task->charge) {
    g_mutex_lock (&PRIV (self)->lock);
    set_charge (PRIV (self), task);
    g_mutex_unlock (&PRIV (self)->lock);
  }
  gst_kling_render_post_task_progress (self, task, report->elapsed_s);
}

static void
on_job_finished (GstKlingRender * self, gpointer data)
{
  GstKlingRenderClass *klass = GST_KLING_RENDER_GET_CLASS (self);
  JobReport *report = data;

  if (report->error)
    GST_INFO_OBJECT (self, "job failed: %s", report->error->message);
  else
    GST_INFO_OBJECT (self, "job done: %s", report->mp4_path);
  g_mutex_lock (&PRIV (self)->lock);
  PRIV (self)->cache_hit = kling_job_is_cache_hit (report->job);
  g_mutex_unlock (&PRIV (self)->lock);

  if (klass->job_done (self, report->mp4_path, report->task, report->error))
    return;
  gst_kling_render_default_job_done (self, report->mp4_path, report->task,
      report->error);
}

typedef struct
{
  KlingEndpoint endpoint;
  KlingWaitReason reason;
  guint delay_ms;
  guint attempt;
  gchar *cause;                 /* the failure's technical line; NULL for the local queue */
} WaitReport;

static void
wait_report_free (gpointer data)
{
  WaitReport *report = data;

  g_free (report->cause);
  g_free (report);
}

/* CONTINUE kling-wait: why the job waits, and for how long; and its `kling-wait`. */
static void
on_job_waiting (GstKlingRender * self, gpointer data)
{
  WaitReport *report = data;
  const gchar *endpoint = kling_endpoint_name (report->endpoint);
  g_autofree gchar *text = gst_kling_progress_wait_text (report->endpoint,
      report->reason, report->delay_ms, report->attempt);

  gst_kling_render_continue_progress (self, "kling-wait", text);
  gst_kling_post_structure (GST_ELEMENT (self), gst_structure_new ("kling-wait",
          "reason", G_TYPE_STRING, kling_wait_reason_to_string (report->reason),
          "delay-s", G_TYPE_DOUBLE, report->delay_ms / 1000.0,
          "attempt", G_TYPE_UINT, report->attempt,
          "endpoint", G_TYPE_STRING, endpoint,
          "cause", G_TYPE_STRING, report->cause, NULL));
}

/* The client's worker thread, from here to job_finished(): copy, hand off, return. */
static void
hand_off_report (JobContext * ctx, GstKlingRenderHandOff func,
    JobReport * report)
{
  gst_kling_hand_off_queue_push (PRIV (ctx->self)->hand_offs, ctx->generation,
      (GstKlingHandOffFunc) func, report, job_report_free);
}

static void
job_submitted (KlingJob * job, const KlingTask * task, gpointer user_data)
{
  JobReport *report;

  if (!job_context_is_current (user_data))
    return;
  report = g_new0 (JobReport, 1);
  report->task = kling_task_copy (task);
  hand_off_report (user_data, on_job_submitted, report);
}

static void
job_progress (KlingJob * job, const KlingTask * task, gdouble elapsed_s,
    gpointer user_data)
{
  JobReport *report;

  if (!job_context_is_current (user_data))
    return;
  report = g_new0 (JobReport, 1);
  report->task = kling_task_copy (task);
  report->elapsed_s = elapsed_s;
  hand_off_report (user_data, on_job_progress, report);
}

static WaitReport *
wait_report_new (KlingEndpoint endpoint, KlingWaitReason reason,
    guint delay_ms, guint attempt, const GError * cause)
{
  WaitReport *report = g_new0 (WaitReport, 1);

  report->endpoint = endpoint;
  report->reason = reason;
  report->delay_ms = delay_ms;
  report->attempt = attempt;
  report->cause = cause ? g_strdup (cause->message) : NULL;
  return report;
}

static void
job_waiting (KlingJob * job, KlingWaitReason reason, guint delay_ms,
    guint attempt, const GError * cause, gpointer user_data)
{
  JobContext *ctx = user_data;
  KlingEndpoint endpoint;

  if (!job_context_is_current (ctx))
    return;
  g_mutex_lock (&PRIV (ctx->self)->lock);
  endpoint = PRIV (ctx->self)->endpoint;
  g_mutex_unlock (&PRIV (ctx->self)->lock);
  gst_kling_hand_off_queue_push (PRIV (ctx->self)->hand_offs, ctx->generation,
      (GstKlingHandOffFunc) on_job_waiting, wait_report_new (endpoint, reason,
          delay_ms, attempt, cause), wait_report_free);
}

void
gst_kling_render_report_waiting (GstKlingRender * self, KlingEndpoint endpoint,
    KlingWaitReason reason, guint delay_ms, guint attempt, const GError * cause)
{
  g_return_if_fail (GST_IS_KLING_RENDER (self));

  gst_kling_render_hand_off (self, on_job_waiting, wait_report_new (endpoint,
          reason, delay_ms, attempt, cause), wait_report_free);
}

void
gst_kling_render_post_step (GstKlingRender * self, const gchar * code,
    const gchar * text)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  gboolean open;

  g_return_if_fail (GST_IS_KLING_RENDER (self));

  g_rec_mutex_lock (&priv->progress_lock);
  open = priv->open_code != NULL;
  if (open)
    gst_kling_render_continue_progress (self, code, text);
  else
    gst_kling_render_open_progress (self, code, code, text);
  g_rec_mutex_unlock (&priv->progress_lock);
}

static void
job_finished (KlingJob * job, const gchar * mp4_path, const KlingTask * task,
    const GError * error, gpointer user_data)
{
  JobReport *report;

  if (!job_context_is_current (user_data)
      || g_error_matches (error, KLING_ERROR, KLING_ERROR_CANCELLED))
    return;
  report = g_new0 (JobReport, 1);
  report->job = kling_job_ref (job);
  report->task = task ? kling_task_copy (task) : NULL;
  report->mp4_path = g_strdup (mp4_path);
  report->error = error ? g_error_copy (error) : NULL;
  hand_off_report (user_data, on_job_finished, report);
}

/* The clip is given to the output as it downloads, so its first frame leaves before the
 * end arrives (docs/design.md, "The clip output"); deliver() then only reports. */
static void
on_download_started (GstKlingRender * self, gpointer data)
{
  JobReport *report = data;

  GST_INFO_OBJECT (self, "playing the clip as it downloads");
  gst_kling_render_append_growing_clip (self, report->progress,
      g_steal_pointer (&report->job));
}

/* A subclass that chains a job into another (klinglipsync's image2video stage) says so
 * with plays_while_downloading = FALSE: that job's clip is not the output's. */
static void
job_download_started (KlingJob * job, KlingDownloadProgress * progress,
    gpointer user_data)
{
  JobContext *ctx = user_data;
  JobReport *report;

  if (!job_context_is_current (ctx)
      || !GST_KLING_RENDER_GET_CLASS (ctx->self)->plays_while_downloading)
    return;
  report = g_new0 (JobReport, 1);
  report->job = kling_job_ref (job);
  report->progress = kling_download_progress_ref (progress);
  hand_off_report (ctx, on_download_started, report);
}

static gboolean
gst_kling_render_default_job_done (GstKlingRender * self,
    const gchar * mp4_path, const KlingTask * task, const GError * error)
{
  if (error)
    gst_kling_render_post_error (self, error);
  else
    gst_kling_render_deliver (self, mp4_path, task);
  return TRUE;
}

/* The cache directory the job uses: NULL (no cache) when the property is "". */
static gchar *
resolve_cache_dir (const gchar * property)
{
  if (!property)
    return g_build_filename (g_get_user_cache_dir (), "gst-kling", NULL);
  if (!*property)
    return NULL;
  return g_strdup (property);
}

gchar *
gst_kling_render_get_job_options (GstKlingRender * self,
    KlingJobOptions * options)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  gchar *cache_dir = NULL;

  memset (options, 0, sizeof (*options));
  GST_OBJECT_LOCK (self);
  options->poll_interval_s = priv->props.poll_interval;
  options->timeout_s = priv->props.timeout;
  if (priv->props.cache_mode != GST_KLING_CACHE_MODE_OFF)
    cache_dir = resolve_cache_dir (priv->props.cache_dir);
  options->refresh = priv->props.cache_mode == GST_KLING_CACHE_MODE_REFRESH;
  options->max_parallel = priv->props.max_parallel;
  /* One client serves every element: the lines of this job name the element (the job
   * copies the label when it starts). */
  options->label = GST_OBJECT_NAME (self);
  GST_OBJECT_UNLOCK (self);
  options->cache_dir = cache_dir;
  return cache_dir;
}

/* Under priv->lock. A submit after the previous clip was delivered (klingimage2video's
 * `render` signal) starts a new clip: its own settings, task and ids. */
static void
begin_next_clip (GstKlingRenderPrivate * priv)
{
  priv->finished = FALSE;
  g_clear_pointer (&priv->run_settings, gst_kling_render_settings_free);
  g_clear_pointer (&priv->task_id, g_free);
  g_clear_pointer (&priv->video_id, g_free);
  g_clear_pointer (&priv->location, g_free);
  priv->elapsed_s = 0.0;
  g_clear_pointer (&priv->clip_name, g_free);
  priv->growing = FALSE;
}

gboolean
gst_kling_render_submit (GstKlingRender * self, const KlingRequest * request)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  static const KlingJobCallbacks callbacks = {
    .submitted = job_submitted,
    .progress = job_progress,
    .finished = job_finished,
    .download_started = job_download_started,
    .waiting = job_waiting,
  };
  KlingJobOptions options;
  g_autofree gchar *cache_dir = NULL;
  KlingJobPreview preview;
  g_autoptr (GstKlingRenderSettings) settings = NULL;
  KlingClient *client = NULL;
  KlingJob *job, *previous_job;
  gboolean replaced;
  JobContext *ctx;
  guint generation;

  g_return_val_if_fail (GST_IS_KLING_RENDER (self), FALSE);
  g_return_val_if_fail (request != NULL, FALSE);

  cache_dir = gst_kling_render_get_job_options (self, &options);
  settings = gst_kling_render_dup_settings (self);
  g_mutex_lock (&priv->lock);
  if (priv->flushing || !priv->client) {
    g_mutex_unlock (&priv->lock);
    GST_DEBUG_OBJECT (self, "not submitting: shutting down");
    return FALSE;
  }
  client = kling_client_ref (priv->client);
  generation = priv->generation;
  previous_job = g_steal_pointer (&priv->job);
  /* A job replaced before its clip came (a `render` while rendering) is cancelled. */
  replaced = previous_job && !priv->finished && priv->hold_output;
  if (priv->finished)
    begin_next_clip (priv);
  priv->endpoint = request->endpoint;
  priv->cached = cache_dir != NULL;
  /* A chained job keeps the settings of the first: they describe the clip. */
  if (!priv->run_settings)
    priv->run_settings = g_steal_pointer (&settings);
  g_mutex_unlock (&priv->lock);

  /* What the cache says (disk only, without the lock: the request's key hashes a body
   * that may carry megabytes of image): the START's text, and what a growing clip is
   * named (its stream ids), the same as a later cache hit. */
  kling_client_preview_job (client, request, &options, &preview);
  g_mutex_lock (&priv->lock);
  g_free (priv->clip_name);
  priv->clip_name = g_strdup (preview.cache_path);
  g_mutex_unlock (&priv->lock);

  /* A second submit from job_done() chains after a finished job: nothing to cancel then. */
  if (replaced)
    gst_kling_post_progress (GST_ELEMENT (self), GST_PROGRESS_TYPE_CANCELED,
        "kling-task", "Kling render replaced by a new still");
  if (previous_job) {
    kling_job_cancel (previous_job);
    kling_job_unref (previous_job);
  }

  gst_kling_render_announce_job (self, client, request, &preview);
  kling_job_preview_clear (&preview);

  ctx = g_new0 (JobContext, 1);
  ctx->self = gst_object_ref (self);
  ctx->generation = generation;
  job = kling_client_start_job (client, request, &options, &callbacks, ctx,
      job_context_free);
  kling_client_unref (client);

  g_mutex_lock (&priv->lock);
  if (generation == priv->generation && !priv->flushing) {
    priv->job = job;
    job = NULL;
  }
  g_mutex_unlock (&priv->lock);

  if (job) {
    /* The element went down while the job started. */
    kling_job_cancel (job);
    kling_job_unref (job);
    return FALSE;
  }
  return TRUE;
}

KlingClient *
gst_kling_render_dup_client (GstKlingRender * self)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  KlingClient *client = NULL;

  g_return_val_if_fail (GST_IS_KLING_RENDER (self), NULL);

  g_mutex_lock (&priv->lock);
  if (priv->client && !priv->flushing)
    client = kling_client_ref (priv->client);
  g_mutex_unlock (&priv->lock);
  return client;
}

/* Remembers @mp4_path as the location when the job had a cache (without one the file is
 * in the job's temporary directory, gone with it); TRUE when it changed. */
static gboolean
update_location (GstKlingRender * self, const gchar * mp4_path)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  gboolean cached;

  g_mutex_lock (&priv->lock);
  cached = priv->cached;
  g_mutex_unlock (&priv->lock);
  return cached && update_id (self, &priv->location, mp4_path);
}

void
gst_kling_render_deliver (GstKlingRender * self, const gchar * mp4_path,
    const KlingTask * task)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  gboolean notify_video_id, growing, hold;
  KlingJob *job = NULL;
  gdouble elapsed_s;
  gboolean cache_hit;

  g_return_if_fail (GST_IS_KLING_RENDER (self));
  g_return_if_fail (mp4_path != NULL);

  notify_video_id = task && update_id (self, &priv->video_id, task->video_id);
  if (task && update_id (self, &priv->task_id, task->task_id))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TASK_ID]);
  if (notify_video_id)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIDEO_ID]);
  if (update_location (self, mp4_path))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOCATION]);

  g_mutex_lock (&priv->lock);
  elapsed_s = priv->elapsed_s;
  growing = priv->growing;
  cache_hit = priv->cache_hit;
  if (priv->job)
    job = kling_job_ref (priv->job);
  g_clear_pointer (&priv->charge, g_free);
  if (task && task->charge)
    set_charge (priv, task);
  g_mutex_unlock (&priv->lock);
  gst_kling_render_mark_finished (self);
  if (task && !cache_hit)
    elapsed_s = gst_kling_render_task_age (self, task, elapsed_s);
  if (task)
    gst_kling_render_post_task_message (self, task, NULL, elapsed_s, TRUE);
  gst_kling_render_post_complete (self, mp4_path, task, elapsed_s, cache_hit);
  if (growing) {
    /* The output has had the clip since its download started. */
    g_clear_pointer (&job, kling_job_unref);
    return;
  }

  gst_kling_render_append_clip (self, mp4_path, task, job);
  g_clear_pointer (&job, kling_job_unref);
  g_mutex_lock (&priv->lock);
  hold = priv->hold_output;
  g_mutex_unlock (&priv->lock);
  if (!hold)
    gst_kling_render_end_output (self);
}

/* ------------------------------------------------------------------------- */
/* State changes                                                             */

static gboolean
start_run (GstKlingRender * self)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  g_autoptr (GError) error = NULL;
  KlingAuth *auth;
  KlingClient *client = NULL;
  g_autofree gchar *api_url = NULL;
  GstKlingNetworkProperties net;
  KlingNetworkSettings settings;

  gst_kling_clip_output_reset (priv->output);
  g_mutex_lock (&priv->lock);
  priv->generation++;
  priv->flushing = FALSE;
  priv->finished = FALSE;
  g_clear_pointer (&priv->task_id, g_free);
  g_clear_pointer (&priv->video_id, g_free);
  g_clear_pointer (&priv->location, g_free);
  g_clear_pointer (&priv->clip_name, g_free);
  priv->growing = FALSE;
  g_clear_pointer (&priv->charge, g_free);
  priv->cache_hit = FALSE;
  priv->resuming = FALSE;
  g_clear_pointer (&priv->run_settings, gst_kling_render_settings_free);
  priv->elapsed_s = 0.0;
  memset (&priv->progress, 0, sizeof (priv->progress));
  priv->hold_output = FALSE;
  g_mutex_unlock (&priv->lock);

  GST_OBJECT_LOCK (self);
  api_url = dup_non_empty (priv->props.api_url);
  auth = kling_auth_new_from_settings (priv->props.access_key,
      priv->props.secret_key, priv->props.api_key,
      (KlingAuthHeader) priv->props.auth_header, &error);
  /* A copy: the client is acquired without the object lock. */
  gst_kling_network_copy (&net, &priv->net);
  GST_OBJECT_UNLOCK (self);

  gst_kling_network_to_settings (&net, &settings);
  if (auth)
    client = kling_client_acquire_full (api_url, auth, &settings, &error);
  gst_kling_network_clear (&net);
  if (!client) {
    gst_kling_render_post_error (self, error);
    return FALSE;
  }
  g_mutex_lock (&priv->lock);
  priv->client = client;
  g_mutex_unlock (&priv->lock);
  return TRUE;
}

/* Cancels the job and drops what is queued for this run; does not wait for the worker. */
static void
begin_shutdown (GstKlingRender * self)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  KlingJob *job;
  gboolean cached;

  g_mutex_lock (&priv->lock);
  priv->flushing = TRUE;
  priv->generation++;
  job = g_steal_pointer (&priv->job);
  cached = priv->cached;
  g_mutex_unlock (&priv->lock);

  /* Whatever the job did (waiting, polling, between two chained jobs): its START ends. */
  gst_kling_render_close_progress (self, GST_PROGRESS_TYPE_CANCELED, cached ?
      "Kling render cancelled (a task already created is resumed by the next run "
      "with this cache, not paid again)" : "Kling render cancelled");
  if (job) {
    kling_job_cancel (job);
    kling_job_unref (job);
  }
}

/* The pads are inactive now (their tasks stopped with them). */
static void
finish_shutdown (GstKlingRender * self)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  GstKlingRenderClass *klass = GST_KLING_RENDER_GET_CLASS (self);
  KlingClient *client;

  gst_kling_clip_output_reset (priv->output);

  g_mutex_lock (&priv->lock);
  client = g_steal_pointer (&priv->client);
  g_mutex_unlock (&priv->lock);
  /* The last reference joins the client's worker: never with a lock held. */
  if (client)
    kling_client_unref (client);

  if (klass->reset)
    klass->reset (self);
}

static GstStateChangeReturn
gst_kling_render_change_state (GstElement * element, GstStateChange transition)
{
  GstKlingRender *self = GST_KLING_RENDER (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (!start_run (self))
        return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      begin_shutdown (self);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (gst_kling_render_parent_class)->change_state
      (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    finish_shutdown (self);
  return ret;
}
