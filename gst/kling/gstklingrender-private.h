/* gst-kling: the render base's state, shared by the files the base is split into.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gstklingrender.c: properties, the run, the job and its reports, state changes.
 * gstklingrenderclip.c: the clips handed to the output (tags, append, end).
 * gstklingrendermessages.c: progress (START and its one end, kling-task) and errors.
 * The lock rules are in gstklingrender.c.
 */
#pragma once

#include "gstklingrender.h"
#include "gstklingclipoutput.h"
#include "gstklingclipdownload.h"
#include "gstklinghandoff.h"
#include "gstklingproperties.h"
#include "gstklingnetwork.h"
#include "gstklingprogress.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_kling_render_debug);

typedef struct
{
  GstKlingProperties props;     /* under GST_OBJECT_LOCK */
  GstKlingNetworkProperties net;        /* under GST_OBJECT_LOCK */

  GstKlingClipOutput *output;   /* set in constructed(), for the element's life */
  GstKlingHandOffQueue *hand_offs;

  /* The run, under lock. */
  GMutex lock;
  KlingClient *client;
  KlingJob *job;
  guint generation;             /* bumped on every run and every shutdown */
  gboolean flushing;            /* going down: nothing new starts */
  gboolean finished;            /* the clip was delivered or an error posted */
  gchar *task_id;
  gchar *video_id;
  gchar *location;              /* the clip in the cache, once delivered */
  gboolean cached;              /* the job was given a cache directory */
  gchar *clip_name;             /* the cached clip's path to be (NULL: no cache) */
  gboolean growing;             /* the output plays the clip as it downloads */
  KlingEndpoint endpoint;
  GstKlingRenderSettings *run_settings;  /* the settings the job was submitted with */
  gdouble elapsed_s;            /* of the job, as last reported by the client */
  gboolean hold_output;         /* more clips may follow: the subclass ends the output */
  GstKlingProgress progress;    /* the job's estimate and last percentage */
  gchar *charge;                /* what Kling charged for the clip ("3 credits"), for tags */
  gboolean cache_hit;           /* the last job that finished took its clip from the cache */
  gboolean resuming;            /* the job follows a task created by an earlier run */

  /* The progress START not closed yet: the code its COMPLETE/ERROR/CANCELED takes (NULL:
   * none open). Under progress_lock, held while posting START or its end so that the two
   * reach the bus in that order from any thread; recursive, since a bus sync handler may
   * change the element's state from inside the post. */
  GRecMutex progress_lock;
  const gchar *open_code;
} GstKlingRenderPrivate;

G_GNUC_INTERNAL GstKlingRenderPrivate *gst_kling_render_get_priv (GstKlingRender *self);
#define PRIV(self) (gst_kling_render_get_priv (self))

/* gstklingrenderclip.c: hands the output a clip that is still downloading. */
G_GNUC_INTERNAL void gst_kling_render_append_growing_clip (GstKlingRender *self,
    KlingDownloadProgress *progress, KlingJob *job);

/* gstklingrendermessages.c: what the run tells the user (one START, one end; errors). */
/* TRUE the first time in a run: the job ended (a clip delivered, an error posted). */
G_GNUC_INTERNAL gboolean gst_kling_render_mark_finished (GstKlingRender *self);
G_GNUC_INTERNAL void gst_kling_render_post_task_message (GstKlingRender *self,
    const KlingTask *task, const gchar *status, gdouble elapsed_s, gboolean done);
G_GNUC_INTERNAL void gst_kling_render_open_progress (GstKlingRender *self,
    const gchar *code, const gchar *close_code, const gchar *text);
G_GNUC_INTERNAL void gst_kling_render_continue_progress (GstKlingRender *self,
    const gchar *code, const gchar *text);
G_GNUC_INTERNAL void gst_kling_render_close_progress (GstKlingRender *self,
    GstProgressType type, const gchar *text);
G_GNUC_INTERNAL gdouble gst_kling_render_task_age (GstKlingRender *self,
    const KlingTask *task, gdouble elapsed_s);
G_GNUC_INTERNAL void gst_kling_render_post_task_progress (GstKlingRender *self,
    const KlingTask *task, gdouble elapsed_s);
G_GNUC_INTERNAL void gst_kling_render_announce_job (GstKlingRender *self,
    KlingClient *client, const KlingRequest *request, const KlingJobPreview *preview);
G_GNUC_INTERNAL void gst_kling_render_post_complete (GstKlingRender *self,
    const gchar *mp4_path, const KlingTask *task, gdouble elapsed_s, gboolean cache_hit);

G_END_DECLS
