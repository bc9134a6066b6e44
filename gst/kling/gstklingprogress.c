/* gst-kling: how far a render is, and what it costs, as a person reads it.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>
#include "gstklingprogress.h"

void
gst_kling_progress_init (GstKlingProgress * progress, KlingEndpoint endpoint,
    const gchar * model_name, KlingMode mode, guint duration_s, gboolean sound,
    const KlingJobPreview * preview)
{
  guint table_s = 0;

  memset (progress, 0, sizeof (*progress));
  progress->endpoint = endpoint;
  g_strlcpy (progress->model_name, model_name && *model_name ? model_name :
      KLING_DEFAULT_MODEL, sizeof (progress->model_name));
  progress->mode = mode;
  progress->duration_s = duration_s;
  progress->priced =
      kling_models_estimate (progress->model_name, endpoint, mode, duration_s,
      sound, &progress->usd, &table_s);
  /* This cache's own renders say more than the table's one figure per endpoint: Kling's
   * queue differs by account, region and hour. */
  if (preview && preview->history_renders > 0 && preview->history_median_s > 0) {
    progress->typical_s = preview->history_median_s;
    progress->typical_source = GST_KLING_TYPICAL_FROM_CACHE;
    progress->history_renders = preview->history_renders;
  } else if (table_s > 0) {
    progress->typical_s = table_s;
    progress->typical_source = GST_KLING_TYPICAL_FROM_TABLE;
  }
}

gdouble
gst_kling_progress_update (GstKlingProgress * progress, gdouble elapsed_s,
    gdouble * eta_s)
{
  gdouble percent;

  if (eta_s)
    *eta_s = 0;
  if (!(progress->typical_s > 0))
    return -1;
  if (eta_s)
    *eta_s = MAX (progress->typical_s - elapsed_s, 0);
  /* Linear in time up to the cap: Kling reports no fraction, only a status. */
  percent = MIN (100.0 * MAX (elapsed_s, 0) / progress->typical_s,
      GST_KLING_PROGRESS_MAX_PERCENT);
  progress->percent = MAX (progress->percent, percent);
  return progress->percent;
}

gchar *
gst_kling_format_duration (gdouble seconds)
{
  guint s = (guint) MIN (round (MAX (seconds, 0)), (gdouble) G_MAXUINT);

  if (s < 60)
    return g_strdup_printf ("%u s", s);
  if (s < 3600)
    return s % 60 ? g_strdup_printf ("%u min %u s", s / 60, s % 60) :
        g_strdup_printf ("%u min", s / 60);
  return (s % 3600) / 60 ? g_strdup_printf ("%u h %u min", s / 3600,
      (s % 3600) / 60) : g_strdup_printf ("%u h", s / 3600);
}

gchar *
gst_kling_progress_describe (const GstKlingProgress * progress,
    gdouble elapsed_s)
{
  g_autofree gchar *so_far = gst_kling_format_duration (elapsed_s);
  g_autofree gchar *typical = NULL, *left = NULL;

  if (!(progress->typical_s > 0))
    return g_strdup_printf (" (%s)", so_far);
  typical = gst_kling_format_duration (progress->typical_s);
  /* Past the typical time the figure would be a guess: say so instead. */
  if (elapsed_s >= progress->typical_s)
    return
        g_strdup_printf
        (", %.0f %% (taking longer than usual: %s so far, typically %s)",
        floor (progress->percent), so_far, typical);
  left = gst_kling_format_duration (progress->typical_s - elapsed_s);
  return g_strdup_printf (", %.0f %% (about %s left)",
      floor (progress->percent), left);
}

gchar *
gst_kling_progress_describe_estimate (const GstKlingProgress * progress)
{
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "%s, %s, %u s", progress->model_name,
      kling_mode_to_string (progress->mode), progress->duration_s);
  if (progress->priced)
    g_string_append_printf (s, ": about USD %.2f", progress->usd);
  else
    g_string_append (s, ": no price known");
  if (progress->typical_s > 0) {
    g_autofree gchar *typical = gst_kling_format_duration (progress->typical_s);

    if (progress->history_renders > 0)
      g_string_append_printf (s,
          ", typically %s (median of %u earlier %s in this cache)", typical,
          progress->history_renders,
          progress->history_renders == 1 ? "render" : "renders");
    else
      g_string_append_printf (s, ", typically %s", typical);
  }
  return g_string_free (s, FALSE);
}

void
gst_kling_progress_set_fields (const GstKlingProgress * progress,
    GstStructure * s, gdouble percent, gdouble eta_s)
{
  if (progress->typical_s > 0) {
    if (percent >= 0)
      gst_structure_set (s, "percent", G_TYPE_DOUBLE, percent,
          "eta-s", G_TYPE_DOUBLE, eta_s, NULL);
    gst_structure_set (s, "typical-s", G_TYPE_DOUBLE, progress->typical_s,
        "typical-source", G_TYPE_STRING, progress->typical_source, NULL);
  }
  if (progress->priced)
    gst_structure_set (s, "estimate-usd", G_TYPE_DOUBLE, progress->usd, NULL);
}

gchar *
gst_kling_progress_start_text (const GstKlingProgress * progress,
    const KlingJobPreview * preview, const gchar * base_url)
{
  const gchar *endpoint = kling_endpoint_name (progress->endpoint);
  g_autofree gchar *estimate = gst_kling_progress_describe_estimate (progress);

  switch (preview->outlook) {
    case KLING_JOB_WILL_USE_CACHE:
      return
          g_strdup_printf
          ("Kling %s: cache hit: %s (nothing is requested or paid)", endpoint,
          preview->clip_path);
    case KLING_JOB_WILL_RESUME:
      if (preview->task_id)
        return
            g_strdup_printf
            ("Resuming Kling %s task %s from the cache's journal " "(%s)",
            endpoint, preview->task_id, estimate);
      return
          g_strdup_printf ("Looking for the Kling %s task this cache created "
          "before (its answer was lost), so as not to pay twice (%s)", endpoint,
          estimate);
    default:
      return g_strdup_printf ("Submitting a Kling %s task to %s (%s)", endpoint,
          base_url, estimate);
  }
}

gchar *
gst_kling_progress_wait_text (KlingEndpoint endpoint, KlingWaitReason reason,
    guint delay_ms, guint attempt)
{
  const gchar *name = kling_endpoint_name (endpoint);
  g_autofree gchar *delay = gst_kling_format_duration (delay_ms / 1000.0);
  g_autofree gchar *retry =
      g_strdup_printf ("trying again in %s (attempt %u failed)",
      delay, attempt);

  switch (reason) {
    case KLING_WAIT_LOCAL_QUEUE:
      return
          g_strdup_printf ("Kling %s: waiting for a render slot (max-parallel "
          "renders of this account are in flight in this process)", name);
    case KLING_WAIT_BUSY_ACCOUNT:
      return
          g_strdup_printf
          ("Kling %s: every parallel task of the account is busy "
          "(code 1303); %s", name, retry);
    case KLING_WAIT_RATE_LIMIT:
      return g_strdup_printf ("Kling %s: rate limited (too many requests); %s",
          name, retry);
    case KLING_WAIT_SERVER_ERROR:
      return g_strdup_printf ("Kling %s: the server failed; %s", name, retry);
    default:
      return g_strdup_printf ("Kling %s: network trouble; %s", name, retry);
  }
}

gchar *
gst_kling_progress_complete_text (const GstKlingProgress * progress,
    const KlingTask * task, const gchar * mp4_path, gdouble elapsed_s,
    gboolean cache_hit)
{
  const gchar *task_id = task && task->task_id ? task->task_id : "?";
  g_autofree gchar *took = NULL, *charged = NULL, *estimate = NULL;

  if (cache_hit)
    return
        g_strdup_printf
        ("Kling task %s: clip ready from the cache: %s (nothing "
        "charged now)", task_id, mp4_path);
  took = gst_kling_format_duration (elapsed_s);
  if (task && task->charge)
    charged = g_strdup_printf ("charged %s %s", task->charge,
        task->charge_unit ? task->charge_unit : "");
  else
    charged = g_strdup ("Kling did not say what it charged");
  if (progress->priced)
    estimate = g_strdup_printf ("; estimated USD %.2f", progress->usd);
  return g_strdup_printf ("Kling task %s: clip ready after %s (%s%s)", task_id,
      took, charged, estimate ? estimate : "");
}
