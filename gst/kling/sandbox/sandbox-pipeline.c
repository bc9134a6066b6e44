/* kling-sandbox: running the GStreamer pipelines the renders are made of, and reading a
 * media file's length and format (GstDiscoverer). Every wait here is bounded, so a broken
 * input never keeps a render thread for ever. */
#include "sandbox-pipeline.h"

#include <gio/gio.h>
#include <gst/pbutils/pbutils.h>

G_DEFINE_QUARK (kling - sandbox - render - error - quark, sandbox_render_error)
    gboolean
sandbox_pipeline_wait_eos (GstElement * pipeline, GError ** error)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  g_autoptr (GstMessage) message = NULL;

  message = gst_bus_timed_pop_filtered (bus, 120 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (message == NULL) {
    g_set_error (error, SANDBOX_RENDER_ERROR, 0, "render timed out");
    return FALSE;
  }
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
    g_autoptr (GError) gst_error = NULL;
    gst_message_parse_error (message, &gst_error, NULL);
    g_set_error (error, SANDBOX_RENDER_ERROR, 0, "%s", gst_error->message);
    return FALSE;
  }
  return TRUE;
}

GstElement *
sandbox_pipeline_launch (const gchar * description, GError ** error)
{
  GError *parse_error = NULL;
  GstElement *pipeline = gst_parse_launch_full (description, NULL,
      GST_PARSE_FLAG_FATAL_ERRORS, &parse_error);

  if (pipeline == NULL) {
    g_set_error (error, SANDBOX_RENDER_ERROR, 0, "cannot build a pipeline: %s",
        parse_error ? parse_error->message : "unknown error");
    g_clear_error (&parse_error);
  }
  return pipeline;
}

GstElement *
sandbox_pipeline_get (GstElement * pipeline, const gchar * name)
{
  GstElement *element = gst_bin_get_by_name (GST_BIN (pipeline), name);
  /* The pipeline holds it for as long as we use it. */
  gst_object_unref (element);
  return element;
}

GstSample *
sandbox_pipeline_next_sample (GstElement * pipeline, GstAppSink * sink,
    GError ** error)
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
      g_set_error (error, SANDBOX_RENDER_ERROR, 0, "%s", gst_error->message);
      return NULL;
    }
    if (g_get_monotonic_time () > deadline) {
      g_set_error (error, SANDBOX_RENDER_ERROR, 0, "decoding stalled");
      return NULL;
    }
  }
}

void
sandbox_pipeline_stop (GstElement * pipeline)
{
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

gboolean
sandbox_render_cancelled (const SandboxRenderSpec * spec, GError ** error)
{
  if (spec->cancel == NULL || !g_atomic_int_get (spec->cancel))
    return FALSE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "render cancelled");
  return TRUE;
}

/* ---- probing ------------------------------------------------------------------------ */

static void
read_video_stream (GstDiscovererVideoInfo * video, guint * width,
    guint * height, guint * fps)
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
sandbox_media_duration (const gchar * path, gboolean need_video, guint * width,
    guint * height, guint * fps, GError ** error)
{
  g_autoptr (GstDiscoverer) discoverer =
      gst_discoverer_new (5 * GST_SECOND, error);
  g_autoptr (GstDiscovererInfo) info = NULL;
  g_autofree gchar *uri = gst_filename_to_uri (path, error);
  GList *videos;

  if (discoverer == NULL || uri == NULL)
    return -1;
  info = gst_discoverer_discover_uri (discoverer, uri, error);
  if (info == NULL ||
      gst_discoverer_info_get_result (info) != GST_DISCOVERER_OK) {
    g_clear_error (error);
    g_set_error (error, SANDBOX_RENDER_ERROR, 0, "the media cannot be read");
    return -1;
  }
  videos = gst_discoverer_info_get_video_streams (info);
  if (need_video && videos == NULL) {
    g_set_error (error, SANDBOX_RENDER_ERROR, 0, "the file has no video");
    return -1;
  }
  if (videos != NULL)
    read_video_stream (videos->data, width, height, fps);
  gst_discoverer_stream_info_list_free (videos);
  return (gdouble) gst_discoverer_info_get_duration (info) / GST_SECOND;
}
