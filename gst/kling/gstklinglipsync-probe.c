/* gst-kling: klinglipsync's probe of a video-url: its real length, before identify-face.
 *
 * The advanced method cuts the sound at the video's end, and identify-face overstates
 * where a face ends (gstklinglipsync-face.c, "The insert window"). For a video given by
 * URL the element fetches the file once (kling_video_probe_url()) on a thread of its own,
 * since that blocks for the download, then goes on from its own thread (a hand-off). A
 * length Kling refuses (outside 2-10 s) is refused here, before identify-face, which is
 * charged. A file the probe cannot read (a MOV without ftyp, a host only Kling reaches)
 * is not an error: the run goes on with the length unknown, as for a source-video-id.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstklinglipsync-private.h"
#include "kling-video-probe.h"

#define GST_CAT_DEFAULT gst_kling_lip_sync_debug

/* An attempt without a byte for this long gives up (the length is then unknown). */
#define PROBE_TIMEOUT_S 20

typedef struct
{
  GstKlingLipSync *self;
  GCancellable *cancellable;
  gchar *url;
  gboolean ok;
  KlingMp4Info info;
  GError *error;
} Probe;

static void
probe_free (gpointer data)
{
  Probe *probe = data;

  gst_object_unref (probe->self);
  g_object_unref (probe->cancellable);
  g_free (probe->url);
  g_clear_error (&probe->error);
  g_free (probe);
}

/* The element's own thread (handed off). */
static void
probe_finished (GstKlingRender * render, gpointer data)
{
  Probe *probe = data;
  GstKlingLipSync *self = probe->self;
  gdouble duration_s = probe->info.duration_s;

  if (g_cancellable_is_cancelled (probe->cancellable))
    return;
  if (probe->ok && (duration_s < KLING_VIDEO_URL_MIN_S
          || duration_s > KLING_VIDEO_URL_MAX_S)) {
    g_autofree gchar *message = g_strdup_printf ("The video at video-url lasts "
        "%.1f s: Kling lip-syncs videos of %.0f to %.0f s, so cut it to that.",
        duration_s, KLING_VIDEO_URL_MIN_S, KLING_VIDEO_URL_MAX_S);
    g_autofree gchar *details =
        g_strdup_printf ("%s: %.3f s (probed from the MP4)",
        probe->url, duration_s);

    gst_kling_render_fail_input (render, message, details);
    return;
  }
  if (probe->ok) {
    GST_INFO_OBJECT (self, "video-url lasts %.3f s", duration_s);
    g_mutex_lock (&self->lock);
    self->video_duration_s = duration_s;
    g_mutex_unlock (&self->lock);
  } else {
    GST_WARNING_OBJECT (self, "cannot read the length of video-url: %s",
        probe->error->message);
  }
  gst_kling_lip_sync_start_identify_face (self, NULL, probe->url);
}

static gpointer
probe_thread (gpointer data)
{
  Probe *probe = data;

  probe->ok = kling_video_probe_url (probe->url, KLING_VIDEO_URL_MAX_BYTES,
      PROBE_TIMEOUT_S, probe->cancellable, &probe->info, &probe->error);
  gst_kling_render_hand_off (GST_KLING_RENDER (probe->self), probe_finished,
      probe, probe_free);
  return NULL;
}

void
gst_kling_lip_sync_probe_then_identify_face (GstKlingLipSync * self,
    const gchar * video_url)
{
  Probe *probe = g_new0 (Probe, 1);

  probe->self = gst_object_ref (self);
  probe->url = g_strdup (video_url);
  g_mutex_lock (&self->lock);
  self->stage = STAGE_IDENTIFY_FACE;
  probe->cancellable = g_object_ref (self->cancellable);
  g_mutex_unlock (&self->lock);
  GST_INFO_OBJECT (self, "reading the length of %s", video_url);
  g_thread_unref (g_thread_new ("kling-probe", probe_thread, probe));
}
