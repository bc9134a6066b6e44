/* gst-kling: how far a render is, and what it costs, as a person reads it.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A GstKlingProgress is the estimate of one job, made before it starts (the model table's
 * price and typical render time, or the median of the earlier renders recorded in the
 * cache directory), and the percentage it reported last. Plain data and pure functions:
 * the render base keeps one under its lock and builds its messages from it; the tests
 * check the arithmetic without a server. docs/design.md, "Progress and cost".
 */
#pragma once

#include <gst/gst.h>
#include "kling-client.h"
#include "kling-models.h"

G_BEGIN_DECLS

/* Where GstKlingProgress.typical_s comes from ("typical-source" of `kling-task`). */
#define GST_KLING_TYPICAL_FROM_CACHE "cache"
#define GST_KLING_TYPICAL_FROM_TABLE "model-table"

/* The percentage never shown before the clip is there: past the typical time it stays. */
#define GST_KLING_PROGRESS_MAX_PERCENT 99.0

typedef struct
{
  KlingEndpoint endpoint;
  gchar model_name[64];      /* a copy, so the struct copies by value under a lock */
  KlingMode mode;
  guint duration_s;
  gboolean priced;          /* the table has a price: usd is the estimate */
  gdouble usd;
  gdouble typical_s;        /* submit -> result; 0: unknown (no percentage then) */
  const gchar *typical_source;  /* GST_KLING_TYPICAL_FROM_*, NULL when unknown */
  guint history_renders;    /* earlier renders the typical time is the median of */
  gdouble percent;          /* the last one reported: it never goes down */
} GstKlingProgress;

/* The estimate of a render of @model_name (NULL: the default) on @endpoint: the table's
 * price and typical time, the latter replaced by @preview's history when it has some. */
void     gst_kling_progress_init       (GstKlingProgress *progress, KlingEndpoint endpoint,
                                        const gchar *model_name, KlingMode mode,
                                        guint duration_s, gboolean sound,
                                        const KlingJobPreview *preview);

/* The percentage at @elapsed_s (never below the last one, never above
 * GST_KLING_PROGRESS_MAX_PERCENT; -1 when the typical time is unknown) and in *@eta_s
 * (optional) the seconds left by the estimate (0 once the typical time has passed). */
gdouble  gst_kling_progress_update     (GstKlingProgress *progress, gdouble elapsed_s,
                                        gdouble *eta_s);

/* "45 s", "1 min 40 s", "3 min", "1 h 5 min". */
gchar   *gst_kling_format_duration     (gdouble seconds);

/* What follows the status in a CONTINUE message, after gst_kling_progress_update():
 * ", 42 % (about 1 min 40 s left)", ", 99 % (taking longer than usual: 4 min so far,
 * typically 3 min)", or " (12 s)" when the typical time is unknown. */
gchar   *gst_kling_progress_describe   (const GstKlingProgress *progress, gdouble elapsed_s);

/* The estimate as START says it: "kling-v3, std, 5 s: about USD 0.42, typically 3 min
 * (the model table)" / "... typically 52 s (median of 3 earlier renders in this cache)". */
gchar   *gst_kling_progress_describe_estimate (const GstKlingProgress *progress);

/* The START's text for @preview: "Kling image2video: cache hit: <path> (nothing is
 * requested or paid)", "Resuming Kling image2video task X from the cache's journal
 * (<estimate>)", or "Submitting a Kling image2video task to <base_url> (<estimate>)". */
gchar   *gst_kling_progress_start_text (const GstKlingProgress *progress,
                                        const KlingJobPreview *preview,
                                        const gchar *base_url);

/* The CONTINUE `kling-wait` text: "Kling image2video: rate limited (too many requests);
 * trying again in 2 s (attempt 1 failed)", and so on for each reason. */
gchar   *gst_kling_progress_wait_text  (KlingEndpoint endpoint, KlingWaitReason reason,
                                        guint delay_ms, guint attempt);

/* The COMPLETE text: "Kling task X: clip ready after 3 min 2 s (charged 3 credits;
 * estimated USD 0.42)", or from the cache: "Kling task X: clip ready from the cache:
 * <path> (nothing charged now)". @task may be NULL. */
gchar   *gst_kling_progress_complete_text (const GstKlingProgress *progress,
                                           const KlingTask *task, const gchar *mp4_path,
                                           gdouble elapsed_s, gboolean cache_hit);

/* Sets on @s: percent and eta-s (when the typical time is known), typical-s and
 * typical-source, estimate-usd (when priced). */
void     gst_kling_progress_set_fields (const GstKlingProgress *progress, GstStructure *s,
                                        gdouble percent, gdouble eta_s);

G_END_DECLS
