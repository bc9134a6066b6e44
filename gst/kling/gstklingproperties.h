/* gst-kling: the properties every Kling element shares, and their snapshot for a request.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The values (defaults, environment fallbacks, secrets wiped before their memory is freed)
 * live in a GstKlingProperties the render base keeps under its object lock; the GParamSpecs
 * are installed on the base class with the ids below, before the base's own read-only
 * ones (task-id, video-id).
 */
#pragma once

#include <gst/gst.h>
#include "gstklingenums.h"

G_BEGIN_DECLS

enum
{
  GST_KLING_PROP_0,
  GST_KLING_PROP_API_URL,
  GST_KLING_PROP_ACCESS_KEY,
  GST_KLING_PROP_SECRET_KEY,
  GST_KLING_PROP_API_KEY,
  GST_KLING_PROP_AUTH_HEADER,
  GST_KLING_PROP_MODEL_NAME,
  GST_KLING_PROP_MODE,
  GST_KLING_PROP_DURATION,
  GST_KLING_PROP_PROMPT,
  GST_KLING_PROP_NEGATIVE_PROMPT,
  GST_KLING_PROP_CFG_SCALE,
  GST_KLING_PROP_CALLBACK_URL,
  GST_KLING_PROP_POLL_INTERVAL,
  GST_KLING_PROP_TIMEOUT,
  GST_KLING_PROP_CACHE_DIR,
  GST_KLING_PROP_SOUND,
  /* the cache and the account's cap (issue 10) */
  GST_KLING_PROP_CACHE_MODE,
  GST_KLING_PROP_MAX_PARALLEL,
  GST_KLING_N_SHARED_PROPS      /* the render base's own properties follow */
};

typedef struct
{
  gchar *api_url;
  gchar *access_key;
  gchar *secret_key;
  gchar *api_key;
  GstKlingAuthHeader auth_header;
  gchar *model_name;
  GstKlingMode mode;
  guint duration;               /* seconds */
  gboolean sound;
  gchar *prompt;
  gchar *negative_prompt;
  gdouble cfg_scale;
  gchar *callback_url;
  gdouble poll_interval;
  gdouble timeout;
  gchar *cache_dir;
  GstKlingCacheMode cache_mode;
  guint max_parallel;
} GstKlingProperties;

/* Fills @pspecs[1 .. GST_KLING_N_SHARED_PROPS - 1] (the caller installs them). */
void     gst_kling_properties_make_pspecs (GParamSpec **pspecs);
/* The defaults, with the KLING_API_URL environment variable for api-url. */
void     gst_kling_properties_init        (GstKlingProperties *props);
/* Frees the values, overwriting the keys first. */
void     gst_kling_properties_clear       (GstKlingProperties *props);
/* FALSE when @prop_id is not one of the shared properties. */
gboolean gst_kling_properties_set         (GstKlingProperties *props, guint prop_id,
                                           const GValue *value);
gboolean gst_kling_properties_get         (const GstKlingProperties *props, guint prop_id,
                                           GValue *value);

G_END_DECLS
