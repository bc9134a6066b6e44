/* kling-sandbox: the clips it serves, made with GStreamer (H.264 in MP4, faststart). */
#pragma once

#include <glib.h>

#include "sandbox-models.h"

G_BEGIN_DECLS

typedef enum {
  SANDBOX_RENDER_ZOOM,          /* image2video: a slow zoom over a still */
  SANDBOX_RENDER_SCENE,         /* text2video: a generated, moving scene */
  SANDBOX_RENDER_EXTEND,        /* video-extend: the source, then a zoom over its last frame */
  SANDBOX_RENDER_LIPSYNC,       /* the source video muxed with an audio track */
} SandboxRenderKind;

typedef struct {
  SandboxRenderKind kind;
  guint width, height, fps;
  guint duration_s;             /* ZOOM, SCENE; EXTEND: seconds added */
  gchar *prompt;                /* drawn on the frames, picks the sound; may be NULL */
  const SandboxModel *model;    /* what made it (videos remember it); may be NULL */
  gboolean sound;               /* ZOOM, SCENE: add the native sound (an AAC tone) */

  GBytes *image;                /* ZOOM: JPEG or PNG bytes; or */
  gchar *image_url;             /* a loopback URL fetched first */
  GBytes *image_tail;           /* ZOOM: the end frame, shown over the second half; or */
  gchar *image_tail_url;        /* a loopback URL fetched first */
  gsize image_max_bytes;        /* ZOOM: the images' size limit; 0: /v1's 10 MB */
  const gchar *image_field;     /* how render errors name the image and the end frame; */
  const gchar *image_tail_field;        /* NULL: "image", "image_tail" (/v1) */

  gchar *source_path;           /* EXTEND, LIPSYNC: a local MP4 (H.264) */

  /* LIPSYNC audio: the bytes (any format GStreamer decodes), a loopback URL, or text
   * for a synthetic voice. The track is cut to [audio_start_ms, audio_end_ms) (end 0:
   * to the end), placed at audio_insert_ms, scaled by audio_volume, and padded with
   * silence or trimmed so it ends with the video. */
  GBytes *audio;
  gchar *audio_url;
  gchar *speech_text;
  gdouble voice_speed;
  guint audio_start_ms, audio_end_ms, audio_insert_ms;
  gdouble audio_volume;
  guint audio_must_end_by_ms;   /* advanced lip-sync: the cut sound must end by then (a
                                 * sound by URL is checked at render); 0: trim freely */

  gchar *output_path;
  const gint *cancel;           /* atomic flag: non-zero stops the render */
} SandboxRenderSpec;

/* The domain of render errors (their message is the task's task_status_msg). */
GQuark    sandbox_render_error_quark (void);

SandboxRenderSpec *sandbox_render_spec_new (SandboxRenderKind kind);
void      sandbox_render_spec_free (SandboxRenderSpec *spec);

/* Writes spec->output_path. Blocking: run it off the HTTP thread. On success
 * *duration_s is the clip's duration and *width / *height its size. */
gboolean  sandbox_render (SandboxRenderSpec *spec, gdouble *duration_s, guint *width,
                          guint *height, GError **error);

/* Duration of a media file (GstDiscoverer), or a negative value with @error set. With
 * @need_video, a file without video is an error and @width, @height, @fps (each may be
 * NULL) receive the first video stream's size and rounded frame rate. */
gdouble   sandbox_media_duration (const gchar *path, gboolean need_video, guint *width,
                                  guint *height, guint *fps, GError **error);

/* Downloads a loopback URL into @path (blocking), giving up after @timeout_s. */
gboolean  sandbox_fetch_to_file (const gchar *url, const gchar *path, gsize max_bytes,
                                 guint timeout_s, GError **error);

G_END_DECLS
