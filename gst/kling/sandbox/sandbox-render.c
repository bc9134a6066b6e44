/* kling-sandbox: rendering. Every clip is H.264 in MP4 with the moov atom first
 * (faststart), encoded with the fastest x264 settings and a key frame every second so
 * players and the elements can seek. The still zoom is done here in C (a bilinear crop
 * that shrinks frame by frame) and fed through appsrc; audio for lip-sync is decoded to
 * PCM, cut, placed and padded in memory, then encoded to AAC.
 */
#include "sandbox-render.h"
#include "sandbox-private.h"

#include <math.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/app/gstappsrc.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>
#include <gst/pbutils/pbutils.h>

#define AUDIO_RATE      44100
#define AUDIO_CHANNELS  2
#define AUDIO_FRAME     (AUDIO_CHANNELS * 2)        /* S16LE interleaved */
/* avenc_aac's priming: decoders put this many samples of silence first, and mp4mux
 * writes no edit list for them, so the encoder gets the track this much ahead. */
#define AAC_ENCODER_DELAY 1024
/* Raw frames waiting in front of the encoder: enough to keep it busy, few in memory. */
#define ENCODER_QUEUED_FRAMES 4
/* How far the camera moves in over the whole clip: 1.0 -> 1.15. */
#define ZOOM_END        1.15
/* Inputs by URL are fetched by the render thread, which can afford to wait. */
#define RENDER_FETCH_TIMEOUT_S 20
/* The prompt is drawn, not read: long ones are cut. */
#define PROMPT_DRAW_MAX 160

G_DEFINE_QUARK (kling-sandbox-render-error-quark, sandbox_render_error)
#define RENDER_ERROR (sandbox_render_error_quark ())

SandboxRenderSpec *
sandbox_render_spec_new (SandboxRenderKind kind)
{
  SandboxRenderSpec *spec = g_new0 (SandboxRenderSpec, 1);

  spec->kind = kind;
  spec->voice_speed = 1.0;
  spec->audio_volume = 1.0;
  return spec;
}

void
sandbox_render_spec_free (SandboxRenderSpec *spec)
{
  if (spec == NULL)
    return;
  g_free (spec->prompt);
  g_clear_pointer (&spec->image, g_bytes_unref);
  g_free (spec->image_url);
  g_free (spec->source_path);
  g_clear_pointer (&spec->audio, g_bytes_unref);
  g_free (spec->audio_url);
  g_free (spec->speech_text);
  g_free (spec->output_path);
  g_free (spec);
}

static gboolean
cancelled (const SandboxRenderSpec *spec, GError **error)
{
  if (spec->cancel == NULL || !g_atomic_int_get (spec->cancel))
    return FALSE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "render cancelled");
  return TRUE;
}

/* ---- pipelines ---------------------------------------------------------------------- */

/* Runs @pipeline (already PLAYING or not) until EOS or an error. */
static gboolean
wait_for_eos (GstElement *pipeline, GError **error)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  g_autoptr (GstMessage) message = NULL;

  message = gst_bus_timed_pop_filtered (bus, 120 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (message == NULL) {
    g_set_error (error, RENDER_ERROR, 0, "render timed out");
    return FALSE;
  }
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
    g_autoptr (GError) gst_error = NULL;
    gst_message_parse_error (message, &gst_error, NULL);
    g_set_error (error, RENDER_ERROR, 0, "%s", gst_error->message);
    return FALSE;
  }
  return TRUE;
}

static GstElement *
launch (const gchar *description, GError **error)
{
  GError *parse_error = NULL;
  GstElement *pipeline = gst_parse_launch_full (description, NULL,
      GST_PARSE_FLAG_FATAL_ERRORS, &parse_error);

  if (pipeline == NULL) {
    g_set_error (error, RENDER_ERROR, 0, "cannot build a pipeline: %s",
        parse_error ? parse_error->message : "unknown error");
    g_clear_error (&parse_error);
  }
  return pipeline;
}

static GstElement *
get_by_name (GstElement *pipeline, const gchar *name)
{
  GstElement *element = gst_bin_get_by_name (GST_BIN (pipeline), name);
  /* The pipeline holds it for as long as we use it. */
  gst_object_unref (element);
  return element;
}

/* The next sample of @sink; NULL at the end of the stream, or on an error or a stall
 * (with @error set), so a broken input never leaves a render thread waiting for ever. */
static GstSample *
next_sample (GstElement *pipeline, GstAppSink *sink, GError **error)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (TRUE) {
    GstSample *sample = gst_app_sink_try_pull_sample (sink, 100 * GST_MSECOND);
    g_autoptr (GstMessage) message = NULL;

    if (sample != NULL)
      return sample;
    if (gst_app_sink_is_eos (sink))
      return NULL;
    message = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    if (message != NULL) {
      g_autoptr (GError) gst_error = NULL;
      gst_message_parse_error (message, &gst_error, NULL);
      g_set_error (error, RENDER_ERROR, 0, "%s", gst_error->message);
      return NULL;
    }
    if (g_get_monotonic_time () > deadline) {
      g_set_error (error, RENDER_ERROR, 0, "decoding stalled");
      return NULL;
    }
  }
}

static void
stop_pipeline (GstElement *pipeline)
{
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

/* The encoding half every video clip shares: raw frames in "vsrc" (an appsrc, or a
 * source placed before it), the prompt drawn, H.264, MP4. */
static gchar *
encoder_description (const SandboxRenderSpec *spec, const gchar *head)
{
  return g_strdup_printf ("%s ! textoverlay name=text valignment=bottom halignment=center "
      "shaded-background=true ! videoconvert ! "
      "video/x-raw,format=I420 ! x264enc speed-preset=ultrafast tune=zerolatency "
      "key-int-max=%u bitrate=%u ! video/x-h264,profile=constrained-baseline ! h264parse ! "
      "mp4mux faststart=true ! filesink name=sink", head, spec->fps,
      MAX (200u, spec->width * spec->height * spec->fps / 10000));
}

static void
configure_encoder (GstElement *pipeline, const SandboxRenderSpec *spec)
{
  GstElement *text = get_by_name (pipeline, "text");
  GstElement *sink = get_by_name (pipeline, "sink");
  g_autofree gchar *font = g_strdup_printf ("Sans Bold %u", MAX (8u, spec->height / 26));
  g_autofree gchar *shown = NULL;
  g_autofree gchar *escaped = NULL;

  if (spec->prompt && g_utf8_strlen (spec->prompt, -1) > PROMPT_DRAW_MAX) {
    g_autofree gchar *cut = g_utf8_substring (spec->prompt, 0, PROMPT_DRAW_MAX);
    shown = g_strconcat (cut, "…", NULL);
  } else {
    shown = g_strdup (spec->prompt ? spec->prompt : "");
  }
  /* textoverlay reads its text as Pango markup: "&" or "<" in a prompt must stay text. */
  escaped = g_markup_escape_text (shown, -1);
  g_object_set (text, "text", escaped, "font-desc", font, NULL);
  g_object_set (sink, "location", spec->output_path, NULL);
}

/* ---- the zoom ----------------------------------------------------------------------- */

typedef struct {
  guint8 *pixels;               /* RGBx */
  guint width, height, stride;
} Still;

static void
still_clear (Still *still)
{
  g_clear_pointer (&still->pixels, g_free);
}

/* Decodes a JPEG or PNG at a size that just covers @width x @height (no huge buffers
 * for huge images). */
static gboolean
decode_still (GBytes *image, guint width, guint height, Still *still, GError **error)
{
  guint img_w, img_h;
  SandboxImageFormat format = sandbox_probe_image (g_bytes_get_data (image, NULL),
      g_bytes_get_size (image), &img_w, &img_h);
  g_autofree gchar *description = NULL;
  g_autoptr (GstSample) sample = NULL;
  GstElement *pipeline;
  GstVideoInfo info;
  GstVideoFrame frame;
  gdouble scale;

  if (format == SANDBOX_IMAGE_UNKNOWN || img_w == 0 || img_h == 0) {
    g_set_error (error, RENDER_ERROR, 0, "the image is neither JPEG nor PNG");
    return FALSE;
  }
  scale = MAX ((gdouble) width / img_w, (gdouble) height / img_h);
  description = g_strdup_printf ("appsrc name=src caps=%s ! decodebin ! videoconvert ! "
      "videoscale ! video/x-raw,format=RGBx,width=%u,height=%u,pixel-aspect-ratio=1/1 ! "
      "appsink name=sink sync=false", format == SANDBOX_IMAGE_PNG ? "image/png" :
      "image/jpeg", MAX (width, (guint) (img_w * scale + 0.999)),
      MAX (height, (guint) (img_h * scale + 0.999)));
  pipeline = launch (description, error);
  if (pipeline == NULL)
    return FALSE;
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  gst_app_src_push_buffer (GST_APP_SRC (get_by_name (pipeline, "src")),
      gst_buffer_new_wrapped_bytes (image));
  gst_app_src_end_of_stream (GST_APP_SRC (get_by_name (pipeline, "src")));
  sample = gst_app_sink_try_pull_sample (GST_APP_SINK (get_by_name (pipeline, "sink")),
      10 * GST_SECOND);
  stop_pipeline (pipeline);
  if (sample == NULL) {
    g_set_error (error, RENDER_ERROR, 0, "cannot decode the image");
    return FALSE;
  }

  gst_video_info_from_caps (&info, gst_sample_get_caps (sample));
  if (!gst_video_frame_map (&frame, &info, gst_sample_get_buffer (sample), GST_MAP_READ)) {
    g_set_error (error, RENDER_ERROR, 0, "cannot map the decoded image");
    return FALSE;
  }
  still->width = GST_VIDEO_FRAME_WIDTH (&frame);
  still->height = GST_VIDEO_FRAME_HEIGHT (&frame);
  still->stride = still->width * 4;
  still->pixels = g_malloc ((gsize) still->stride * still->height);
  for (guint y = 0; y < still->height; y++)
    memcpy (still->pixels + (gsize) y * still->stride,
        (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, 0) +
        (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), still->stride);
  gst_video_frame_unmap (&frame);
  return TRUE;
}

/* Bilinear resample of the rectangle (x0, y0, w, h) of @still into @out (RGBx,
 * out_w x out_h, tightly packed). 16.16 fixed point. */
static void
crop_scale (const Still *still, gdouble x0, gdouble y0, gdouble w, gdouble h,
    guint8 *out, guint out_w, guint out_h)
{
  g_autofree gint32 *xs = g_new (gint32, out_w);
  const gint32 max_x = (gint32) (still->width - 1) << 16;
  const gint32 max_y = (gint32) (still->height - 1) << 16;

  for (guint x = 0; x < out_w; x++) {
    gdouble sx = x0 + (x + 0.5) * w / out_w - 0.5;
    xs[x] = CLAMP ((gint32) (sx * 65536.0), 0, max_x);
  }
  for (guint y = 0; y < out_h; y++) {
    gdouble sy = y0 + (y + 0.5) * h / out_h - 0.5;
    gint32 fy = CLAMP ((gint32) (sy * 65536.0), 0, max_y);
    guint row = fy >> 16, row2 = MIN (row + 1, still->height - 1);
    guint32 wy = (fy >> 8) & 0xff;
    const guint8 *r1 = still->pixels + row * still->stride;
    const guint8 *r2 = still->pixels + row2 * still->stride;
    guint8 *dst = out + (gsize) y * out_w * 4;

    for (guint x = 0; x < out_w; x++, dst += 4) {
      guint col = xs[x] >> 16, col2 = MIN (col + 1, still->width - 1);
      guint32 wx = (xs[x] >> 8) & 0xff;

      for (guint c = 0; c < 3; c++) {
        guint32 top = r1[col * 4 + c] * (256 - wx) + r1[col2 * 4 + c] * wx;
        guint32 bottom = r2[col * 4 + c] * (256 - wx) + r2[col2 * 4 + c] * wx;
        dst[c] = (top * (256 - wy) + bottom * wy) >> 16;
      }
      dst[3] = 0xff;
    }
  }
}

/* The frame @index of @n_frames: the largest centred crop of the output's aspect ratio,
 * shrunk as the clip goes on, so the camera slowly moves in. */
static void
zoom_frame (const Still *still, guint index, guint n_frames, guint8 *out, guint out_w,
    guint out_h)
{
  gdouble t = n_frames > 1 ? (gdouble) index / (n_frames - 1) : 0.0;
  gdouble zoom = 1.0 + (ZOOM_END - 1.0) * t;
  gdouble cw = still->width, ch = still->height;

  if (cw / ch > (gdouble) out_w / out_h)
    cw = ch * out_w / out_h;
  else
    ch = cw * out_h / out_w;
  cw /= zoom;
  ch /= zoom;
  crop_scale (still, (still->width - cw) / 2, (still->height - ch) / 2, cw, ch, out,
      out_w, out_h);
}

static gchar *
raw_video_caps (const SandboxRenderSpec *spec)
{
  return g_strdup_printf ("video/x-raw,format=RGBx,width=%u,height=%u,framerate=%u/1,"
      "pixel-aspect-ratio=1/1", spec->width, spec->height, spec->fps);
}

/* Pushes one frame into the encoder's appsrc once it holds fewer than
 * ENCODER_QUEUED_FRAMES. While it waits, it watches for a pipeline error and for the
 * cancel flag, so a failed encoder never leaves the render thread stuck. Takes @pixels. */
static gboolean
push_frame (GstElement *encoder, const SandboxRenderSpec *spec, guint8 *pixels,
    guint64 index, GError **error)
{
  GstAppSrc *src = GST_APP_SRC (get_by_name (encoder, "vsrc"));
  gsize size = (gsize) spec->width * spec->height * 4;
  g_autoptr (GstBus) bus = gst_element_get_bus (encoder);
  GstBuffer *buffer;

  while (gst_app_src_get_current_level_bytes (src) >= size * ENCODER_QUEUED_FRAMES) {
    g_autoptr (GstMessage) message = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);

    if (message != NULL) {
      g_autoptr (GError) gst_error = NULL;
      gst_message_parse_error (message, &gst_error, NULL);
      g_set_error (error, RENDER_ERROR, 0, "%s", gst_error->message);
    }
    if (message != NULL || cancelled (spec, error)) {
      g_free (pixels);
      return FALSE;
    }
    g_usleep (2000);
  }
  buffer = gst_buffer_new_wrapped (pixels, size);
  GST_BUFFER_PTS (buffer) = gst_util_uint64_scale (index, GST_SECOND, spec->fps);
  GST_BUFFER_DURATION (buffer) =
      gst_util_uint64_scale (index + 1, GST_SECOND, spec->fps) - GST_BUFFER_PTS (buffer);
  if (gst_app_src_push_buffer (src, buffer) != GST_FLOW_OK) {
    g_set_error (error, RENDER_ERROR, 0, "the encoder stopped");
    return FALSE;
  }
  return TRUE;
}

/* Pushes @n_frames of the zoom over @still, numbered from @first_index. */
static gboolean
push_zoom (GstElement *encoder, const SandboxRenderSpec *spec, const Still *still,
    guint64 first_index, guint n_frames, GError **error)
{
  gsize size = (gsize) spec->width * spec->height * 4;

  for (guint i = 0; i < n_frames; i++) {
    guint8 *pixels;

    if (cancelled (spec, error))
      return FALSE;
    pixels = g_malloc (size);
    zoom_frame (still, i, n_frames, pixels, spec->width, spec->height);
    if (!push_frame (encoder, spec, pixels, first_index + i, error))
      return FALSE;
  }
  return TRUE;
}

/* An encoder pipeline fed by the appsrc "vsrc". */
static GstElement *
start_frame_encoder (const SandboxRenderSpec *spec, GError **error)
{
  g_autofree gchar *caps = raw_video_caps (spec);
  /* No block=true: push_frame() paces itself and can give up on a failed pipeline. */
  g_autofree gchar *head = g_strdup_printf ("appsrc name=vsrc format=time caps=\"%s\"",
      caps);
  g_autofree gchar *description = encoder_description (spec, head);
  GstElement *pipeline = launch (description, error);

  if (pipeline == NULL)
    return NULL;
  configure_encoder (pipeline, spec);
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, RENDER_ERROR, 0, "cannot start the encoder");
    stop_pipeline (pipeline);
    return NULL;
  }
  return pipeline;
}

/* Ends the stream and waits for the file to be complete. */
static gboolean
finish_encoder (GstElement *pipeline, gboolean ok, GError **error)
{
  if (ok) {
    gst_app_src_end_of_stream (GST_APP_SRC (get_by_name (pipeline, "vsrc")));
    ok = wait_for_eos (pipeline, error);
  }
  stop_pipeline (pipeline);
  return ok;
}

static gboolean
render_zoom (SandboxRenderSpec *spec, GError **error)
{
  Still still = { 0, };
  GstElement *pipeline;
  gboolean ok;

  if (!decode_still (spec->image, spec->width, spec->height, &still, error))
    return FALSE;
  pipeline = start_frame_encoder (spec, error);
  if (pipeline == NULL) {
    still_clear (&still);
    return FALSE;
  }
  ok = push_zoom (pipeline, spec, &still, 0, spec->duration_s * spec->fps, error);
  still_clear (&still);
  return finish_encoder (pipeline, ok, error);
}

/* ---- text2video --------------------------------------------------------------------- */

static gboolean
render_scene (SandboxRenderSpec *spec, GError **error)
{
  /* The prompt picks the colours, so two prompts make two different clips. */
  guint hash = g_str_hash (spec->prompt ? spec->prompt : "");
  g_autofree gchar *head = g_strdup_printf ("videotestsrc pattern=ball motion=sweep "
      "animation-mode=frames num-buffers=%u foreground-color=0x%08x "
      "background-color=0x%08x ! video/x-raw,width=%u,height=%u,framerate=%u/1,"
      "pixel-aspect-ratio=1/1", spec->duration_s * spec->fps, 0xff000000 | hash,
      0xff000000 | ((hash >> 8) & 0x3f3f3f), spec->width, spec->height, spec->fps);
  g_autofree gchar *description = encoder_description (spec, head);
  GstElement *pipeline = launch (description, error);
  gboolean ok;

  if (pipeline == NULL)
    return FALSE;
  configure_encoder (pipeline, spec);
  ok = gst_element_set_state (pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE &&
      wait_for_eos (pipeline, error);
  stop_pipeline (pipeline);
  return ok;
}

/* ---- video-extend ------------------------------------------------------------------- */

/* A decoder of @path to RGBx at the spec's size, read with next_sample(). */
static GstElement *
start_frame_decoder (const SandboxRenderSpec *spec, const gchar *path, GError **error)
{
  g_autofree gchar *description = g_strdup_printf ("filesrc name=src ! decodebin ! "
      "videoconvert ! videoscale ! video/x-raw,format=RGBx,width=%u,height=%u,"
      "pixel-aspect-ratio=1/1 ! appsink name=frames sync=false max-buffers=4",
      spec->width, spec->height);
  GstElement *pipeline = launch (description, error);

  if (pipeline == NULL)
    return NULL;
  g_object_set (get_by_name (pipeline, "src"), "location", path, NULL);
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, RENDER_ERROR, 0, "cannot decode the source video");
    stop_pipeline (pipeline);
    return NULL;
  }
  return pipeline;
}

static gboolean
copy_frames (GstElement *decoder, GstElement *encoder, const SandboxRenderSpec *spec,
    Still *last, guint64 *n_frames, GError **error)
{
  GstAppSink *sink = GST_APP_SINK (get_by_name (decoder, "frames"));
  gsize size = (gsize) spec->width * spec->height * 4;
  GError *decode_error = NULL;
  GstSample *sample;

  while ((sample = next_sample (decoder, sink, &decode_error)) != NULL) {
    guint8 *pixels = g_malloc (size);

    gst_buffer_extract (gst_sample_get_buffer (sample), 0, pixels, size);
    gst_sample_unref (sample);
    g_free (last->pixels);
    last->pixels = g_memdup2 (pixels, size);
    if (cancelled (spec, error)) {
      g_free (pixels);
      return FALSE;
    }
    if (!push_frame (encoder, spec, pixels, (*n_frames)++, error)) {
      g_clear_error (&decode_error);
      return FALSE;
    }
  }
  if (decode_error != NULL) {
    g_propagate_prefixed_error (error, decode_error, "cannot decode the source video: ");
    return FALSE;
  }
  if (last->pixels == NULL) {
    g_set_error (error, RENDER_ERROR, 0, "the source video has no frames");
    return FALSE;
  }
  return TRUE;
}

static gboolean
render_extend (SandboxRenderSpec *spec, GError **error)
{
  Still last = { NULL, spec->width, spec->height, spec->width * 4 };
  GstElement *decoder, *encoder;
  guint64 n_frames = 0;
  gboolean ok;

  decoder = start_frame_decoder (spec, spec->source_path, error);
  if (decoder == NULL)
    return FALSE;
  encoder = start_frame_encoder (spec, error);
  if (encoder == NULL) {
    stop_pipeline (decoder);
    return FALSE;
  }
  ok = copy_frames (decoder, encoder, spec, &last, &n_frames, error);
  stop_pipeline (decoder);
  if (ok)
    ok = push_zoom (encoder, spec, &last, n_frames, spec->duration_s * spec->fps, error);
  still_clear (&last);
  return finish_encoder (encoder, ok, error);
}

/* ---- lip-sync ----------------------------------------------------------------------- */

/* Decodes any audio GStreamer reads into S16LE stereo at AUDIO_RATE. */
static GByteArray *
decode_audio (GBytes *audio, GError **error)
{
  g_autofree gchar *description = g_strdup_printf ("appsrc name=src ! decodebin ! "
      "audioconvert ! audioresample ! audio/x-raw,format=S16LE,layout=interleaved,"
      "rate=%u,channels=%u ! appsink name=pcm sync=false", AUDIO_RATE, AUDIO_CHANNELS);
  GstElement *pipeline = launch (description, error);
  GByteArray *pcm;
  GstSample *sample;
  GstAppSink *sink;
  g_autoptr (GError) decode_error = NULL;

  if (pipeline == NULL)
    return NULL;
  sink = GST_APP_SINK (get_by_name (pipeline, "pcm"));
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  gst_app_src_push_buffer (GST_APP_SRC (get_by_name (pipeline, "src")),
      gst_buffer_new_wrapped_bytes (audio));
  gst_app_src_end_of_stream (GST_APP_SRC (get_by_name (pipeline, "src")));

  pcm = g_byte_array_new ();
  while ((sample = next_sample (pipeline, sink, &decode_error)) != NULL) {
    GstMapInfo map;
    GstBuffer *buffer = gst_sample_get_buffer (sample);

    if (gst_buffer_map (buffer, &map, GST_MAP_READ)) {
      g_byte_array_append (pcm, map.data, map.size);
      gst_buffer_unmap (buffer, &map);
    }
    gst_sample_unref (sample);
  }
  stop_pipeline (pipeline);
  if (decode_error != NULL || pcm->len == 0) {
    g_set_error (error, RENDER_ERROR, 0, "cannot decode the audio");
    g_byte_array_unref (pcm);
    return NULL;
  }
  return pcm;
}

/* A voice-like track for text mode: one short tone per letter, a pause per space, at a
 * pitch that follows the letters; voice_speed shortens the syllables. */
static GByteArray *
synthesize_voice (const gchar *text, gdouble speed)
{
  GByteArray *pcm = g_byte_array_new ();
  guint syllable = (guint) (AUDIO_RATE * 0.11 / MAX (speed, 0.1));

  for (const gchar * p = text; *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);
    gdouble freq = 140.0 + (c % 32) * 6.0;
    gboolean silent = g_unichar_isspace (c) || g_unichar_ispunct (c);

    for (guint i = 0; i < syllable; i++) {
      gdouble envelope = silent ? 0.0 : sin (G_PI * i / syllable);
      gint16 value = (gint16) (9000.0 * envelope * sin (2 * G_PI * freq * i / AUDIO_RATE));
      gint16 frame[AUDIO_CHANNELS] = { value, value };

      g_byte_array_append (pcm, (const guint8 *) frame, sizeof (frame));
    }
  }
  return pcm;
}

static gsize
ms_to_bytes (guint ms)
{
  return (gsize) ((guint64) ms * AUDIO_RATE / 1000) * AUDIO_FRAME;
}

/* The final track: silence of the video's length with [start, end) of @pcm placed at
 * the insert time and scaled by the volume; what does not fit is cut off. */
static GByteArray *
place_audio (const SandboxRenderSpec *spec, GByteArray *pcm, gdouble video_s)
{
  gsize total = (gsize) (video_s * AUDIO_RATE + 0.5) * AUDIO_FRAME;
  gsize start = MIN (ms_to_bytes (spec->audio_start_ms), pcm->len);
  gsize end = spec->audio_end_ms ? MIN (ms_to_bytes (spec->audio_end_ms), pcm->len) :
      pcm->len;
  gsize insert = MIN (ms_to_bytes (spec->audio_insert_ms), total);
  gsize n = end > start ? MIN (end - start, total - insert) : 0;
  GByteArray *track = g_byte_array_sized_new (total);
  gint16 *out;
  const gint16 *in;

  g_byte_array_set_size (track, total);
  memset (track->data, 0, total);
  out = (gint16 *) (track->data + insert);
  in = (const gint16 *) (pcm->data + start);
  for (gsize i = 0; i < n / 2; i++)
    out[i] = (gint16) CLAMP (in[i] * spec->audio_volume, G_MININT16, G_MAXINT16);
  return track;
}

static gboolean
mux_with_audio (const SandboxRenderSpec *spec, const gchar *video_path, GByteArray *track,
    GError **error)
{
  g_autofree gchar *description = g_strdup_printf ("filesrc name=src ! qtdemux name=demux "
      "demux.video_0 ! queue ! h264parse ! mp4mux name=mux faststart=true ! "
      "filesink name=sink appsrc name=asrc format=time caps=\"audio/x-raw,format=S16LE,"
      "layout=interleaved,rate=%u,channels=%u\" ! audioconvert ! avenc_aac ! aacparse ! "
      "queue ! mux.", AUDIO_RATE, AUDIO_CHANNELS);
  GstElement *pipeline = launch (description, error);
  GstBuffer *buffer;
  gsize skip;
  gboolean ok;

  if (pipeline == NULL)
    return FALSE;
  g_object_set (get_by_name (pipeline, "src"), "location", video_path, NULL);
  g_object_set (get_by_name (pipeline, "sink"), "location", spec->output_path, NULL);
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, RENDER_ERROR, 0, "cannot mux the source video (is it H.264?)");
    stop_pipeline (pipeline);
    return FALSE;
  }
  skip = MIN (track->len, AAC_ENCODER_DELAY * AUDIO_FRAME);
  buffer = gst_buffer_new_memdup (track->data + skip, track->len - skip);
  GST_BUFFER_PTS (buffer) = 0;
  GST_BUFFER_DURATION (buffer) = gst_util_uint64_scale ((track->len - skip) / AUDIO_FRAME,
      GST_SECOND, AUDIO_RATE);
  gst_app_src_push_buffer (GST_APP_SRC (get_by_name (pipeline, "asrc")), buffer);
  gst_app_src_end_of_stream (GST_APP_SRC (get_by_name (pipeline, "asrc")));
  ok = wait_for_eos (pipeline, error);
  stop_pipeline (pipeline);
  return ok;
}

static GBytes *
read_file_bytes (const gchar *path, GError **error)
{
  gchar *data;
  gsize size;

  if (!g_file_get_contents (path, &data, &size, error))
    return NULL;
  return g_bytes_new_take (data, size);
}

static gboolean
render_lipsync (SandboxRenderSpec *spec, gdouble *video_s, GError **error)
{
  g_autoptr (GByteArray) pcm = NULL;
  g_autoptr (GByteArray) track = NULL;

  *video_s = sandbox_media_duration (spec->source_path, TRUE, &spec->width,
      &spec->height, &spec->fps, error);
  if (*video_s < 0)
    return FALSE;
  if (spec->speech_text) {
    pcm = synthesize_voice (spec->speech_text, spec->voice_speed);
  } else {
    pcm = decode_audio (spec->audio, error);
    if (pcm == NULL)
      return FALSE;
  }
  if (cancelled (spec, error))
    return FALSE;
  track = place_audio (spec, pcm, *video_s);
  return mux_with_audio (spec, spec->source_path, track, error);
}

/* ---- inputs by URL ------------------------------------------------------------------ */

gboolean
sandbox_fetch_to_file (const gchar *url, const gchar *path, gsize max_bytes,
    guint timeout_s, GError **error)
{
  g_autoptr (SoupSession) session = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) body = NULL;

  if (!sandbox_url_is_loopback (url)) {
    g_set_error (error, RENDER_ERROR, 0, "%s cannot be fetched: only loopback URLs are", url);
    return FALSE;
  }
  /* Loopback only: never through a proxy from the environment. */
  session = soup_session_new_with_options ("timeout", timeout_s, "proxy-resolver", NULL,
      NULL);
  msg = soup_message_new ("GET", url);
  if (msg == NULL) {
    g_set_error (error, RENDER_ERROR, 0, "%s is not a URL", url);
    return FALSE;
  }
  body = soup_session_send_and_read (session, msg, NULL, error);
  if (body == NULL)
    return FALSE;
  if (soup_message_get_status (msg) != SOUP_STATUS_OK) {
    g_set_error (error, RENDER_ERROR, 0, "%s answered HTTP %u", url,
        soup_message_get_status (msg));
    return FALSE;
  }
  if (g_bytes_get_size (body) > max_bytes) {
    g_set_error (error, RENDER_ERROR, 0, "%s is larger than %" G_GSIZE_FORMAT " bytes", url,
        max_bytes);
    return FALSE;
  }
  return g_file_set_contents (path, g_bytes_get_data (body, NULL), g_bytes_get_size (body),
      error);
}

/* Fetches @url next to the output and checks it like an upload (@problem_of, with the
 * fetched file's path); a problem fails the render, naming @field. */
static GBytes *
fetch_input (const SandboxRenderSpec *spec, const gchar *url, const gchar *field,
    gsize max_bytes, gchar *(*problem_of) (GBytes *, const gchar *), GError **error)
{
  g_autofree gchar *path = g_strconcat (spec->output_path, ".", field, NULL);
  g_autoptr (GBytes) bytes = NULL;
  g_autofree gchar *problem = NULL;

  if (sandbox_fetch_to_file (url, path, max_bytes, RENDER_FETCH_TIMEOUT_S, error))
    bytes = read_file_bytes (path, error);
  if (bytes != NULL)
    problem = problem_of (bytes, path);
  g_unlink (path);
  if (problem != NULL) {
    g_set_error (error, RENDER_ERROR, 0, "%s %s", field, problem);
    return NULL;
  }
  return g_steal_pointer (&bytes);
}

static gchar *
image_problem (GBytes *image, const gchar *path)
{
  return sandbox_image_problem (image);
}

/* Replaces every URL input of @spec by its content, checked like an upload. */
static gboolean
fetch_inputs (SandboxRenderSpec *spec, GError **error)
{
  if (spec->image_url) {
    spec->image = fetch_input (spec, spec->image_url, "image", 10 * 1024 * 1024,
        image_problem, error);
    if (spec->image == NULL)
      return FALSE;
  }
  if (spec->audio_url) {
    spec->audio = fetch_input (spec, spec->audio_url, "audio_url", 5 * 1024 * 1024,
        sandbox_audio_problem, error);
    if (spec->audio == NULL)
      return FALSE;
  }
  return TRUE;
}

gboolean
sandbox_render (SandboxRenderSpec *spec, gdouble *duration_s, guint *width,
    guint *height, GError **error)
{
  gboolean ok = fetch_inputs (spec, error);

  *width = spec->width;
  *height = spec->height;
  *duration_s = spec->duration_s;
  if (ok) {
    switch (spec->kind) {
      case SANDBOX_RENDER_ZOOM:
        ok = render_zoom (spec, error);
        break;
      case SANDBOX_RENDER_SCENE:
        ok = render_scene (spec, error);
        break;
      case SANDBOX_RENDER_EXTEND:
        ok = render_extend (spec, error);
        if (ok)
          *duration_s = sandbox_media_duration (spec->output_path, TRUE, NULL, NULL, NULL,
              error);
        ok = ok && *duration_s > 0;
        break;
      case SANDBOX_RENDER_LIPSYNC:
        ok = render_lipsync (spec, duration_s, error);
        *width = spec->width;
        *height = spec->height;
        break;
    }
  }
  if (!ok)
    g_unlink (spec->output_path);
  return ok;
}

/* ---- probing ------------------------------------------------------------------------ */

static void
read_video_stream (GstDiscovererVideoInfo *video, guint *width, guint *height, guint *fps)
{
  guint num = gst_discoverer_video_info_get_framerate_num (video);
  guint denom = gst_discoverer_video_info_get_framerate_denom (video);

  if (width)
    *width = gst_discoverer_video_info_get_width (video);
  if (height)
    *height = gst_discoverer_video_info_get_height (video);
  if (fps)
    *fps = denom ? (num + denom / 2) / denom : 0;
}

gdouble
sandbox_media_duration (const gchar *path, gboolean need_video, guint *width,
    guint *height, guint *fps, GError **error)
{
  g_autoptr (GstDiscoverer) discoverer = gst_discoverer_new (5 * GST_SECOND, error);
  g_autoptr (GstDiscovererInfo) info = NULL;
  g_autofree gchar *uri = gst_filename_to_uri (path, error);
  GList *videos;

  if (discoverer == NULL || uri == NULL)
    return -1;
  info = gst_discoverer_discover_uri (discoverer, uri, error);
  if (info == NULL ||
      gst_discoverer_info_get_result (info) != GST_DISCOVERER_OK) {
    g_clear_error (error);
    g_set_error (error, RENDER_ERROR, 0, "the media cannot be read");
    return -1;
  }
  videos = gst_discoverer_info_get_video_streams (info);
  if (need_video && videos == NULL) {
    g_set_error (error, RENDER_ERROR, 0, "the file has no video");
    return -1;
  }
  if (videos != NULL)
    read_video_stream (videos->data, width, height, fps);
  gst_discoverer_stream_info_list_free (videos);
  return (gdouble) gst_discoverer_info_get_duration (info) / GST_SECOND;
}
