/* kling-sandbox: rendering the clips. Every clip is H.264 in MP4 with the moov atom first
 * (faststart), encoded with the fastest x264 settings and a key frame every second so
 * players and the elements can seek. The still zoom is done here in C (a bilinear crop
 * that shrinks frame by frame) and fed through appsrc; an end frame takes over halfway and
 * the camera moves back out to it. The audio is sandbox-render-audio.c's.
 */
#include "sandbox-pipeline.h"
#include "sandbox-private.h"

#include <math.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gst/video/video.h>

/* Raw frames waiting in front of the encoder: enough to keep it busy, few in memory. */
#define ENCODER_QUEUED_FRAMES 4
/* How far the camera moves in over the whole clip: 1.0 -> 1.15. */
#define ZOOM_END        1.15
/* Inputs by URL are fetched by the render thread, which can afford to wait. */
#define RENDER_FETCH_TIMEOUT_S 20
#define IMAGE_FETCH_MAX_BYTES  (10 * 1024 * 1024)
#define AUDIO_FETCH_MAX_BYTES  (5 * 1024 * 1024)
/* The prompt is drawn, not read: long ones are cut. */
#define PROMPT_DRAW_MAX 160

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
sandbox_render_spec_free (SandboxRenderSpec * spec)
{
  if (spec == NULL)
    return;
  g_free (spec->prompt);
  g_clear_pointer (&spec->image, g_bytes_unref);
  g_free (spec->image_url);
  g_clear_pointer (&spec->image_tail, g_bytes_unref);
  g_free (spec->image_tail_url);
  g_free (spec->source_path);
  g_clear_pointer (&spec->audio, g_bytes_unref);
  g_free (spec->audio_url);
  g_free (spec->speech_text);
  g_free (spec->output_path);
  g_free (spec);
}

/* The encoding half every video clip shares: raw frames in "vsrc" (an appsrc, or a
 * source placed before it), the prompt drawn, H.264, MP4. */
static gchar *
encoder_description (const SandboxRenderSpec * spec, const gchar * head)
{
  return
      g_strdup_printf
      ("%s ! textoverlay name=text valignment=bottom halignment=center "
      "shaded-background=true ! videoconvert ! "
      "video/x-raw,format=I420 ! x264enc speed-preset=ultrafast tune=zerolatency "
      "key-int-max=%u bitrate=%u ! video/x-h264,profile=constrained-baseline ! h264parse ! "
      "mp4mux faststart=true ! filesink name=sink", head, spec->fps, MAX (200u,
          spec->width * spec->height * spec->fps / 10000));
}

static void
configure_encoder (GstElement * pipeline, const SandboxRenderSpec * spec,
    const gchar * path)
{
  GstElement *text = sandbox_pipeline_get (pipeline, "text");
  GstElement *sink = sandbox_pipeline_get (pipeline, "sink");
  g_autofree gchar *font =
      g_strdup_printf ("Sans Bold %u", MAX (8u, spec->height / 26));
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
  g_object_set (sink, "location", path, NULL);
}

/* ---- the zoom ----------------------------------------------------------------------- */

typedef struct
{
  guint8 *pixels;               /* RGBx */
  guint width, height, stride;
} Still;

static void
still_clear (Still * still)
{
  g_clear_pointer (&still->pixels, g_free);
}

/* Decodes a JPEG or PNG at a size that just covers @width x @height (no huge buffers
 * for huge images). */
static gboolean
decode_still (GBytes * image, guint width, guint height, Still * still,
    GError ** error)
{
  guint img_w, img_h;
  SandboxImageFormat format =
      sandbox_probe_image (g_bytes_get_data (image, NULL),
      g_bytes_get_size (image), &img_w, &img_h);
  g_autofree gchar *description = NULL;
  g_autoptr (GstSample) sample = NULL;
  GstElement *pipeline;
  GstVideoInfo info;
  GstVideoFrame frame;
  gdouble scale;

  if (format == SANDBOX_IMAGE_UNKNOWN || img_w == 0 || img_h == 0) {
    g_set_error (error, SANDBOX_RENDER_ERROR, 0,
        "the image is neither JPEG nor PNG");
    return FALSE;
  }
  scale = MAX ((gdouble) width / img_w, (gdouble) height / img_h);
  description =
      g_strdup_printf ("appsrc name=src caps=%s ! decodebin ! videoconvert ! "
      "videoscale ! video/x-raw,format=RGBx,width=%u,height=%u,pixel-aspect-ratio=1/1 ! "
      "appsink name=sink sync=false",
      format == SANDBOX_IMAGE_PNG ? "image/png" : "image/jpeg", MAX (width,
          (guint) (img_w * scale + 0.999)), MAX (height,
          (guint) (img_h * scale + 0.999)));
  pipeline = sandbox_pipeline_launch (description, error);
  if (pipeline == NULL)
    return FALSE;
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  gst_app_src_push_buffer (GST_APP_SRC (sandbox_pipeline_get (pipeline, "src")),
      gst_buffer_new_wrapped_bytes (image));
  gst_app_src_end_of_stream (GST_APP_SRC (sandbox_pipeline_get (pipeline,
              "src")));
  sample =
      gst_app_sink_try_pull_sample (GST_APP_SINK (sandbox_pipeline_get
          (pipeline, "sink")), 10 * GST_SECOND);
  sandbox_pipeline_stop (pipeline);
  if (sample == NULL) {
    g_set_error (error, SANDBOX_RENDER_ERROR, 0, "cannot decode the image");
    return FALSE;
  }

  gst_video_info_from_caps (&info, gst_sample_get_caps (sample));
  if (!gst_video_frame_map (&frame, &info, gst_sample_get_buffer (sample),
          GST_MAP_READ)) {
    g_set_error (error, SANDBOX_RENDER_ERROR, 0,
        "cannot map the decoded image");
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
crop_scale (const Still * still, gdouble x0, gdouble y0, gdouble w, gdouble h,
    guint8 * out, guint out_w, guint out_h)
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

/* A move of the camera over a still, from one zoom factor to another. */
typedef struct
{
  gdouble from, to;
} Zoom;

static const Zoom zoom_in = { 1.0, ZOOM_END };
static const Zoom zoom_out = { ZOOM_END, 1.0 };

/* The frame @index of @n_frames: the largest centred crop of the output's aspect ratio,
 * shrunk (zoom > 1) as the clip goes on, so the camera slowly moves in or out. */
static void
zoom_frame (const Still * still, const Zoom * move, guint index, guint n_frames,
    guint8 * out, guint out_w, guint out_h)
{
  gdouble t = n_frames > 1 ? (gdouble) index / (n_frames - 1) : 0.0;
  gdouble zoom = move->from + (move->to - move->from) * t;
  gdouble cw = still->width, ch = still->height;

  if (cw / ch > (gdouble) out_w / out_h)
    cw = ch * out_w / out_h;
  else
    ch = cw * out_h / out_w;
  cw /= zoom;
  ch /= zoom;
  crop_scale (still, (still->width - cw) / 2, (still->height - ch) / 2, cw, ch,
      out, out_w, out_h);
}

static gchar *
raw_video_caps (const SandboxRenderSpec * spec)
{
  return
      g_strdup_printf
      ("video/x-raw,format=RGBx,width=%u,height=%u,framerate=%u/1,"
      "pixel-aspect-ratio=1/1", spec->width, spec->height, spec->fps);
}

/* Pushes one frame into the encoder's appsrc once it holds fewer than
 * ENCODER_QUEUED_FRAMES. While it waits, it watches for a pipeline error and for the
 * cancel flag, so a failed encoder never leaves the render thread stuck. Takes @pixels. */
static gboolean
push_frame (GstElement * encoder, const SandboxRenderSpec * spec,
    guint8 * pixels, guint64 index, GError ** error)
{
  GstAppSrc *src = GST_APP_SRC (sandbox_pipeline_get (encoder, "vsrc"));
  gsize size = (gsize) spec->width * spec->height * 4;
  g_autoptr (GstBus) bus = gst_element_get_bus (encoder);
  GstBuffer *buffer;

  while (gst_app_src_get_current_level_bytes (src) >=
      size * ENCODER_QUEUED_FRAMES) {
    g_autoptr (GstMessage) message =
        gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);

    if (message != NULL) {
      g_autoptr (GError) gst_error = NULL;
      gst_message_parse_error (message, &gst_error, NULL);
      g_set_error (error, SANDBOX_RENDER_ERROR, 0, "%s", gst_error->message);
    }
    if (message != NULL || sandbox_render_cancelled (spec, error)) {
      g_free (pixels);
      return FALSE;
    }
    g_usleep (2000);
  }
  buffer = gst_buffer_new_wrapped (pixels, size);
  GST_BUFFER_PTS (buffer) =
      gst_util_uint64_scale (index, GST_SECOND, spec->fps);
  GST_BUFFER_DURATION (buffer) =
      gst_util_uint64_scale (index + 1, GST_SECOND,
      spec->fps) - GST_BUFFER_PTS (buffer);
  if (gst_app_src_push_buffer (src, buffer) != GST_FLOW_OK) {
    g_set_error (error, SANDBOX_RENDER_ERROR, 0, "the encoder stopped");
    return FALSE;
  }
  return TRUE;
}

/* Pushes @n_frames of the @move over @still, numbered from @first_index. */
static gboolean
push_zoom (GstElement * encoder, const SandboxRenderSpec * spec,
    const Still * still, const Zoom * move, guint64 first_index, guint n_frames,
    GError ** error)
{
  gsize size = (gsize) spec->width * spec->height * 4;

  for (guint i = 0; i < n_frames; i++) {
    guint8 *pixels;

    if (sandbox_render_cancelled (spec, error))
      return FALSE;
    pixels = g_malloc (size);
    zoom_frame (still, move, i, n_frames, pixels, spec->width, spec->height);
    if (!push_frame (encoder, spec, pixels, first_index + i, error))
      return FALSE;
  }
  return TRUE;
}

/* An encoder pipeline into @path fed by the appsrc "vsrc". */
static GstElement *
start_frame_encoder (const SandboxRenderSpec * spec, const gchar * path,
    GError ** error)
{
  g_autofree gchar *caps = raw_video_caps (spec);
  /* No block=true: push_frame() paces itself and can give up on a failed pipeline. */
  g_autofree gchar *head =
      g_strdup_printf ("appsrc name=vsrc format=time caps=\"%s\"",
      caps);
  g_autofree gchar *description = encoder_description (spec, head);
  GstElement *pipeline = sandbox_pipeline_launch (description, error);

  if (pipeline == NULL)
    return NULL;
  configure_encoder (pipeline, spec, path);
  if (gst_element_set_state (pipeline,
          GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, SANDBOX_RENDER_ERROR, 0, "cannot start the encoder");
    sandbox_pipeline_stop (pipeline);
    return NULL;
  }
  return pipeline;
}

/* Ends the stream and waits for the file to be complete. */
static gboolean
finish_encoder (GstElement * pipeline, gboolean ok, GError ** error)
{
  if (ok) {
    gst_app_src_end_of_stream (GST_APP_SRC (sandbox_pipeline_get (pipeline,
                "vsrc")));
    ok = sandbox_pipeline_wait_eos (pipeline, error);
  }
  sandbox_pipeline_stop (pipeline);
  return ok;
}

/* The camera moves in over the image; with an end frame, that takes the second half
 * and the camera moves back out, so the clip ends on the whole end frame. */
static gboolean
render_zoom (SandboxRenderSpec * spec, const gchar * path, GError ** error)
{
  Still still = { 0, }, tail = { 0, };
  guint n_frames = spec->duration_s * spec->fps;
  guint first_part = spec->image_tail ? n_frames / 2 : n_frames;
  GstElement *pipeline = NULL;
  gboolean ok;

  ok = decode_still (spec->image, spec->width, spec->height, &still, error) &&
      (spec->image_tail == NULL ||
      decode_still (spec->image_tail, spec->width, spec->height, &tail, error))
      && (pipeline = start_frame_encoder (spec, path, error)) != NULL;
  if (ok)
    ok = push_zoom (pipeline, spec, &still, &zoom_in, 0, first_part, error) &&
        (tail.pixels == NULL
        || push_zoom (pipeline, spec, &tail, &zoom_out, first_part,
            n_frames - first_part, error));
  still_clear (&still);
  still_clear (&tail);
  return pipeline ? finish_encoder (pipeline, ok, error) : FALSE;
}

/* ---- text2video --------------------------------------------------------------------- */

static gboolean
render_scene (SandboxRenderSpec * spec, const gchar * path, GError ** error)
{
  /* The prompt picks the colours, so two prompts make two different clips. */
  guint hash = g_str_hash (spec->prompt ? spec->prompt : "");
  g_autofree gchar *head =
      g_strdup_printf ("videotestsrc pattern=ball motion=sweep "
      "animation-mode=frames num-buffers=%u foreground-color=0x%08x "
      "background-color=0x%08x ! video/x-raw,width=%u,height=%u,framerate=%u/1,"
      "pixel-aspect-ratio=1/1", spec->duration_s * spec->fps, 0xff000000 | hash,
      0xff000000 | ((hash >> 8) & 0x3f3f3f), spec->width, spec->height,
      spec->fps);
  g_autofree gchar *description = encoder_description (spec, head);
  GstElement *pipeline = sandbox_pipeline_launch (description, error);
  gboolean ok;

  if (pipeline == NULL)
    return FALSE;
  configure_encoder (pipeline, spec, path);
  ok = gst_element_set_state (pipeline,
      GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE
      && sandbox_pipeline_wait_eos (pipeline, error);
  sandbox_pipeline_stop (pipeline);
  return ok;
}

/* ---- video-extend ------------------------------------------------------------------- */

/* A decoder of @path to RGBx at the spec's size, read with next_sample(). */
static GstElement *
start_frame_decoder (const SandboxRenderSpec * spec, const gchar * path,
    GError ** error)
{
  g_autofree gchar *description =
      g_strdup_printf ("filesrc name=src ! decodebin ! "
      "videoconvert ! videoscale ! video/x-raw,format=RGBx,width=%u,height=%u,"
      "pixel-aspect-ratio=1/1 ! appsink name=frames sync=false max-buffers=4",
      spec->width, spec->height);
  GstElement *pipeline = sandbox_pipeline_launch (description, error);

  if (pipeline == NULL)
    return NULL;
  g_object_set (sandbox_pipeline_get (pipeline, "src"), "location", path, NULL);
  if (gst_element_set_state (pipeline,
          GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, SANDBOX_RENDER_ERROR, 0,
        "cannot decode the source video");
    sandbox_pipeline_stop (pipeline);
    return NULL;
  }
  return pipeline;
}

static gboolean
copy_frames (GstElement * decoder, GstElement * encoder,
    const SandboxRenderSpec * spec, Still * last, guint64 * n_frames,
    GError ** error)
{
  GstAppSink *sink = GST_APP_SINK (sandbox_pipeline_get (decoder, "frames"));
  gsize size = (gsize) spec->width * spec->height * 4;
  GError *decode_error = NULL;
  GstSample *sample;

  while ((sample =
          sandbox_pipeline_next_sample (decoder, sink,
              &decode_error)) != NULL) {
    guint8 *pixels = g_malloc (size);

    gst_buffer_extract (gst_sample_get_buffer (sample), 0, pixels, size);
    gst_sample_unref (sample);
    g_free (last->pixels);
    last->pixels = g_memdup2 (pixels, size);
    if (sandbox_render_cancelled (spec, error)) {
      g_free (pixels);
      return FALSE;
    }
    if (!push_frame (encoder, spec, pixels, (*n_frames)++, error)) {
      g_clear_error (&decode_error);
      return FALSE;
    }
  }
  if (decode_error != NULL) {
    g_propagate_prefixed_error (error, decode_error,
        "cannot decode the source video: ");
    return FALSE;
  }
  if (last->pixels == NULL) {
    g_set_error (error, SANDBOX_RENDER_ERROR, 0,
        "the source video has no frames");
    return FALSE;
  }
  return TRUE;
}

static gboolean
render_extend (SandboxRenderSpec * spec, const gchar * path, GError ** error)
{
  Still last = { NULL, spec->width, spec->height, spec->width * 4 };
  GstElement *decoder, *encoder;
  guint64 n_frames = 0;
  gboolean ok;

  decoder = start_frame_decoder (spec, spec->source_path, error);
  if (decoder == NULL)
    return FALSE;
  encoder = start_frame_encoder (spec, path, error);
  if (encoder == NULL) {
    sandbox_pipeline_stop (decoder);
    return FALSE;
  }
  ok = copy_frames (decoder, encoder, spec, &last, &n_frames, error);
  sandbox_pipeline_stop (decoder);
  if (ok)
    ok = push_zoom (encoder, spec, &last, &zoom_in, n_frames,
        spec->duration_s * spec->fps, error);
  still_clear (&last);
  return finish_encoder (encoder, ok, error);
}

/* ---- inputs by URL ------------------------------------------------------------------ */

gboolean
sandbox_fetch_to_file (const gchar * url, const gchar * path, gsize max_bytes,
    guint timeout_s, GError ** error)
{
  g_autoptr (SoupSession) session = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) body = NULL;

  if (!sandbox_url_is_loopback (url)) {
    g_set_error (error, SANDBOX_RENDER_ERROR, 0,
        "%s cannot be fetched: only loopback URLs " "are", url);
    return FALSE;
  }
  /* Loopback only: never through a proxy from the environment. */
  session =
      soup_session_new_with_options ("timeout", timeout_s, "proxy-resolver",
      NULL, NULL);
  msg = soup_message_new ("GET", url);
  if (msg == NULL) {
    g_set_error (error, SANDBOX_RENDER_ERROR, 0, "%s is not a URL", url);
    return FALSE;
  }
  body = soup_session_send_and_read (session, msg, NULL, error);
  if (body == NULL)
    return FALSE;
  if (soup_message_get_status (msg) != SOUP_STATUS_OK) {
    g_set_error (error, SANDBOX_RENDER_ERROR, 0, "%s answered HTTP %u", url,
        soup_message_get_status (msg));
    return FALSE;
  }
  if (g_bytes_get_size (body) > max_bytes) {
    g_set_error (error, SANDBOX_RENDER_ERROR, 0,
        "%s is larger than %" G_GSIZE_FORMAT " bytes", url, max_bytes);
    return FALSE;
  }
  return g_file_set_contents (path, g_bytes_get_data (body, NULL),
      g_bytes_get_size (body), error);
}

static GBytes *
read_file_bytes (const gchar * path, GError ** error)
{
  gchar *data;
  gsize size;

  if (!g_file_get_contents (path, &data, &size, error))
    return NULL;
  return g_bytes_new_take (data, size);
}

/* Fetches @url next to the output and checks it like an upload (@problem_of, with the
 * fetched file's path); a problem fails the render, naming @field. */
static GBytes *
fetch_input (const SandboxRenderSpec * spec, const gchar * url,
    const gchar * field, gsize max_bytes, gchar * (*problem_of) (GBytes *,
        const gchar *, gsize), GError ** error)
{
  g_autofree gchar *path = g_strconcat (spec->output_path, ".", field, NULL);
  g_autoptr (GBytes) bytes = NULL;
  g_autofree gchar *problem = NULL;

  if (sandbox_fetch_to_file (url, path, max_bytes, RENDER_FETCH_TIMEOUT_S,
          error))
    bytes = read_file_bytes (path, error);
  if (bytes != NULL)
    problem = problem_of (bytes, path, max_bytes);
  g_unlink (path);
  if (problem != NULL) {
    g_set_error (error, SANDBOX_RENDER_ERROR, 0, "%s %s", field, problem);
    return NULL;
  }
  return g_steal_pointer (&bytes);
}

static gchar *
image_problem (GBytes * image, const gchar * path, gsize max_bytes)
{
  return sandbox_image_problem_max (image, max_bytes);
}

static gchar *
audio_problem (GBytes * audio, const gchar * path, gsize max_bytes)
{
  return sandbox_audio_problem (audio, path, NULL);
}

/* Replaces every URL input of @spec by its content, checked like an upload. */
static gboolean
fetch_inputs (SandboxRenderSpec * spec, GError ** error)
{
  gsize image_max =
      spec->image_max_bytes ? spec->image_max_bytes : IMAGE_FETCH_MAX_BYTES;

  if (spec->image_url) {
    spec->image = fetch_input (spec, spec->image_url, spec->image_field ?
        spec->image_field : "image", image_max, image_problem, error);
    if (spec->image == NULL)
      return FALSE;
  }
  if (spec->image_tail_url) {
    spec->image_tail =
        fetch_input (spec, spec->image_tail_url,
        spec->image_tail_field ? spec->image_tail_field : "image_tail",
        image_max, image_problem, error);
    if (spec->image_tail == NULL)
      return FALSE;
  }
  if (spec->audio_url) {
    spec->audio =
        fetch_input (spec, spec->audio_url, "audio_url", AUDIO_FETCH_MAX_BYTES,
        audio_problem, error);
    if (spec->audio == NULL)
      return FALSE;
  }
  return TRUE;
}

typedef gboolean (*VideoRender) (SandboxRenderSpec * spec, const gchar * path,
    GError ** error);

/* A video render into spec->output_path; with sound, into a silent clip first that the
 * sound is then muxed with. */
static gboolean
render_video (SandboxRenderSpec * spec, VideoRender render, GError ** error)
{
  g_autofree gchar *silent = NULL;
  gboolean ok;

  if (!spec->sound)
    return render (spec, spec->output_path, error);
  silent = g_strconcat (spec->output_path, ".silent.mp4", NULL);
  ok = render (spec, silent, error) &&
      sandbox_render_add_sound (spec, silent, spec->duration_s, error);
  g_unlink (silent);
  return ok;
}

gboolean
sandbox_render (SandboxRenderSpec * spec, gdouble * duration_s, guint * width,
    guint * height, GError ** error)
{
  gboolean ok = fetch_inputs (spec, error);

  *width = spec->width;
  *height = spec->height;
  *duration_s = spec->duration_s;
  if (ok) {
    switch (spec->kind) {
      case SANDBOX_RENDER_ZOOM:
        ok = render_video (spec, render_zoom, error);
        break;
      case SANDBOX_RENDER_SCENE:
        ok = render_video (spec, render_scene, error);
        break;
      case SANDBOX_RENDER_EXTEND:
        ok = render_extend (spec, spec->output_path, error);
        if (ok)
          *duration_s =
              sandbox_media_duration (spec->output_path, TRUE, NULL, NULL, NULL,
              error);
        ok = ok && *duration_s > 0;
        break;
      case SANDBOX_RENDER_LIPSYNC:
        ok = sandbox_render_lipsync (spec, duration_s, error);
        *width = spec->width;
        *height = spec->height;
        break;
    }
  }
  if (!ok)
    g_unlink (spec->output_path);
  return ok;
}
