/* gst-kling: klingimage2video, a still frame plus a prompt in, the rendered clip out.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-klingimage2video
 * @title: klingimage2video
 * @short_description: renders a still image into a video clip with Kling
 *
 * The first buffer on `sink` is the still: raw video is encoded to JPEG, JPEG and PNG are
 * sent as they are. It is checked against Kling's limits (both sides at least 300 px,
 * aspect ratio between 1:2.5 and 2.5:1, at most 10 MB; a raw frame whose JPEG would be
 * larger is scaled down, never refused for that) before anything is sent, then submitted
 * as an image2video task with the prompt properties. Once the still is taken the sink
 * returns EOS upstream (as imagefreeze does), so a live or endless source stops instead of
 * running for the minutes Kling takes; an EOS before any buffer is an error. A JPEG or PNG
 * whose data is damaged (it does not decode completely) is refused before any request.
 *
 * `end_frame` (Since: 0.2) is a request sink pad with the caps of `sink`: its first
 * buffer is the clip's last frame (Kling's image_tail), checked by the same rules, and
 * the pad answers EOS after it. When it is linked, the render is submitted once both
 * stills are in. Where the model takes no end frame in the mode asked for (the model
 * table says which) the render is refused before any request, in one sentence.
 *
 * While Kling renders, the element posts progress messages (START, CONTINUE with the
 * task status and elapsed seconds, then COMPLETE, ERROR or CANCELED) and an element
 * message `kling-task` (task-id, status, elapsed, endpoint). When the clip is there, `src`
 * pushes it decoded (`video/x-raw`, timestamps from 0, tags with the prompt, model, mode,
 * task id and video id, then EOS), seekable with flushing time seeks. When downstream
 * only takes `video/quicktime`, the MP4 passes through untouched (with its audio track).
 *
 * `audio_src` (Since: 0.2) pushes the clip's decoded native audio (`audio/x-raw`, on the
 * same timeline as `src`) when #GstKlingRender:sound asked for it; when the clip has no
 * audio, or the MP4 passes through, it carries stream-start and EOS only. Its samples
 * are dropped while it is not linked, so a pipeline that ignores it works as before.
 *
 * Finished clips are cached under #GstKlingRender:cache-dir by a hash of the request and
 * the image: a rerun with the same input and properties reuses the clip (or the task in
 * flight) instead of paying for a second render.
 *
 * Errors are posted as one sentence to act on, with the details (HTTP status, Kling code,
 * request id, task id) in the debug string: wrong keys are RESOURCE NOT_AUTHORIZED;
 * parameters or content Kling refused are RESOURCE SETTINGS; a bad still found before
 * any request is STREAM FORMAT; no network is RESOURCE OPEN_READ; money, rate limits, a
 * failed task, server trouble and the timeout are RESOURCE FAILED.
 *
 * Keys come from the properties or from the KLING_ACCESS_KEY / KLING_SECRET_KEY (or
 * KLING_API_KEY) environment variables. Prefer the environment with gst-launch-1.0: keys
 * written on its command line show in `ps`, and GStreamer's own parser logs the pipeline
 * text at high debug levels. The elements never log a key or a token.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 filesrc location=examples/media/still.jpg ! jpegdec ! \
 *     klingimage2video prompt="a slow zoom over colour bars" ! \
 *     videoconvert ! autovideosink
 * ]| Renders the still and shows the clip.
 * |[
 * gst-launch-1.0 filesrc location=examples/media/still.jpg ! jpegparse ! \
 *     klingimage2video prompt="a slow zoom" duration=10 mode=pro ! \
 *     video/quicktime ! filesink location=clip.mp4
 * ]| Sends the JPEG as it is and saves Kling's MP4 without re-encoding.
 * |[
 * gst-launch-1.0 filesrc location=examples/media/still.jpg ! jpegdec ! \
 *     klingimage2video name=k prompt="waves on a beach" duration=15 sound=true ! \
 *     queue ! videoconvert ! autovideosink k.audio_src ! queue ! audioconvert ! \
 *     autoaudiosink
 * ]| A 15 s clip of the default model with its native audio, shown and played.
 * |[
 * gst-launch-1.0 filesrc location=examples/media/still.jpg ! jpegdec ! \
 *     klingimage2video name=k prompt="from bars to red" ! video/quicktime ! \
 *     filesink location=clip.mp4 \
 *     videotestsrc num-buffers=1 pattern=red ! video/x-raw,width=640,height=360 ! \
 *     k.end_frame
 * ]| A clip that starts on the still and ends on a red frame.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>

#include "gstklingimage2video.h"

GST_DEBUG_CATEGORY_STATIC (gst_kling_image2video_debug);
#define GST_CAT_DEFAULT gst_kling_image2video_debug

enum
{
  PROP_0,
  PROP_CAMERA_CONTROL,
};

struct _GstKlingImage2Video
{
  GstKlingRender parent;

  GstPad *sinkpad;

  /* Property, under the object lock. */
  gchar *camera_control;

  /* The stills, under the object lock: `sink` and `end_frame` stream on their own
   * threads, and whichever takes the last still submits. Cleared in reset(). */
  GstPad *end_frame_pad;        /* the request pad, NULL when not requested */
  gboolean got_image;
  gboolean got_end_frame;
  GBytes *image;
  GBytes *end_frame;
  gboolean submitted;
};

G_DEFINE_TYPE (GstKlingImage2Video, gst_kling_image2video,
    GST_TYPE_KLING_RENDER);
GST_ELEMENT_REGISTER_DEFINE (klingimage2video, "klingimage2video",
    GST_RANK_NONE, GST_TYPE_KLING_IMAGE2VIDEO);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (GST_VIDEO_FORMATS_ALL)
        "; image/jpeg; image/png"));

/* The end frame (Kling's image_tail): the same stills as `sink`. */
static GstStaticPadTemplate end_frame_template =
GST_STATIC_PAD_TEMPLATE ("end_frame",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (GST_VIDEO_FORMATS_ALL)
        "; image/jpeg; image/png"));

/* The clip's native audio (sound=true); the base's clip output pushes it. */
static GstStaticPadTemplate audio_src_template =
GST_STATIC_PAD_TEMPLATE ("audio_src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("audio/x-raw"));

static void gst_kling_image2video_finalize (GObject * object);
static void gst_kling_image2video_set_property (GObject * object,
    guint prop_id, const GValue * value, GParamSpec * pspec);
static void gst_kling_image2video_get_property (GObject * object,
    guint prop_id, GValue * value, GParamSpec * pspec);
static GstFlowReturn gst_kling_image2video_chain (GstPad * pad,
    GstObject * parent, GstBuffer * buffer);
static gboolean gst_kling_image2video_sink_event (GstPad * pad,
    GstObject * parent, GstEvent * event);
static void gst_kling_image2video_reset (GstKlingRender * render);
static GstPad *gst_kling_image2video_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps);
static void gst_kling_image2video_release_pad (GstElement * element,
    GstPad * pad);

static void
gst_kling_image2video_class_init (GstKlingImage2VideoClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstKlingRenderClass *render_class = GST_KLING_RENDER_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_kling_image2video_debug, "klingimage2video", 0,
      "Kling image2video");

  gobject_class->finalize = gst_kling_image2video_finalize;
  gobject_class->set_property = gst_kling_image2video_set_property;
  gobject_class->get_property = gst_kling_image2video_get_property;

  /**
   * GstKlingImage2Video:camera-control:
   *
   * A camera movement as a GstStructure string: the name is Kling's type, the fields
   * its config, e.g. `simple, zoom=(int)5` (one non-zero axis of horizontal, vertical,
   * pan, tilt, roll, zoom in -10..10) or a preset such as `down_back`. Only the models
   * the model table marks take it, in the modes and lengths it says; elsewhere it is
   * refused before any request.
   *
   * Default: NULL (no camera movement).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_CAMERA_CONTROL,
      g_param_spec_string ("camera-control", "Camera control",
          "Camera movement as a GstStructure string, e.g. "
          "\"simple, zoom=(int)5\" or \"down_back\" (optional)", NULL,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
          G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &audio_src_template);
  gst_element_class_add_static_pad_template (element_class, &end_frame_template);
  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_kling_image2video_request_new_pad);
  element_class->release_pad =
      GST_DEBUG_FUNCPTR (gst_kling_image2video_release_pad);
  gst_element_class_set_static_metadata (element_class,
      "Kling image to video", "Filter/Video",
      "Renders a still image and a prompt into a video clip with Kling AI",
      "the gst-kling authors <https://github.com/gst-kling/gst-kling/issues>");

  render_class->reset = GST_DEBUG_FUNCPTR (gst_kling_image2video_reset);
}

static void
gst_kling_image2video_init (GstKlingImage2Video * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_kling_image2video_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_kling_image2video_sink_event));
  gst_pad_set_query_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_kling_render_sink_query));
  GST_PAD_SET_ACCEPT_TEMPLATE (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);
}

static void
gst_kling_image2video_finalize (GObject * object)
{
  GstKlingImage2Video *self = GST_KLING_IMAGE2VIDEO (object);

  g_free (self->camera_control);
  g_clear_pointer (&self->image, g_bytes_unref);
  g_clear_pointer (&self->end_frame, g_bytes_unref);
  G_OBJECT_CLASS (gst_kling_image2video_parent_class)->finalize (object);
}

static void
gst_kling_image2video_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstKlingImage2Video *self = GST_KLING_IMAGE2VIDEO (object);

  switch (prop_id) {
    case PROP_CAMERA_CONTROL:
      GST_OBJECT_LOCK (self);
      g_free (self->camera_control);
      self->camera_control = g_value_dup_string (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_kling_image2video_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstKlingImage2Video *self = GST_KLING_IMAGE2VIDEO (object);

  switch (prop_id) {
    case PROP_CAMERA_CONTROL:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->camera_control);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_kling_image2video_reset (GstKlingRender * render)
{
  GstKlingImage2Video *self = GST_KLING_IMAGE2VIDEO (render);

  GST_OBJECT_LOCK (self);
  self->got_image = FALSE;
  self->got_end_frame = FALSE;
  self->submitted = FALSE;
  g_clear_pointer (&self->image, g_bytes_unref);
  g_clear_pointer (&self->end_frame, g_bytes_unref);
  GST_OBJECT_UNLOCK (self);
}

/* ------------------------------------------------------------------------- */
/* The request                                                               */

/* "simple, zoom=(int)5" -> {"type":"simple","config":{"zoom":5}}; "down_back" ->
 * {"type":"down_back"}. NULL with @details set when the string is not usable. */
static gchar *
camera_control_to_json (const gchar * text, gchar ** details)
{
  GstStructure *s = gst_structure_from_string (text, NULL);
  JsonBuilder *builder;
  JsonNode *root;
  gchar *json = NULL;
  gint i, n;

  if (!s) {
    *details = g_strdup_printf ("camera-control \"%s\" is not a GstStructure "
        "string", text);
    return NULL;
  }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, gst_structure_get_name (s));
  n = gst_structure_n_fields (s);
  if (n > 0) {
    json_builder_set_member_name (builder, "config");
    json_builder_begin_object (builder);
  }
  for (i = 0; i < n; i++) {
    const gchar *field = gst_structure_nth_field_name (s, i);
    gint value;

    if (!gst_structure_get_int (s, field, &value)) {
      *details = g_strdup_printf ("camera-control field \"%s\" is not an "
          "integer", field);
      break;
    }
    json_builder_set_member_name (builder, field);
    json_builder_add_int_value (builder, value);
  }
  if (n > 0)
    json_builder_end_object (builder);
  json_builder_end_object (builder);

  if (!*details) {
    root = json_builder_get_root (builder);
    json = json_to_string (root, FALSE);
    json_node_unref (root);
  }
  g_object_unref (builder);
  gst_structure_free (s);
  return json;
}

/* Builds the image2video request from the properties and @image; NULL with an error
 * posted when a property is not usable. */
static KlingRequest *
build_request (GstKlingImage2Video * self, GBytes * image, GBytes * end_frame)
{
  GstKlingRender *render = GST_KLING_RENDER (self);
  g_autofree gchar *camera_control = NULL;
  g_autofree gchar *camera_json = NULL;

  GST_OBJECT_LOCK (self);
  camera_control = g_strdup (self->camera_control);
  GST_OBJECT_UNLOCK (self);

  if (camera_control && *camera_control) {
    g_autofree gchar *details = NULL;

    camera_json = camera_control_to_json (camera_control, &details);
    if (!camera_json) {
      gst_kling_render_fail_input (render,
          "camera-control is not usable: write it like "
          "\"simple, zoom=(int)5\".", details);
      return NULL;
    }
  }

  return gst_kling_render_new_image2video_request (render, image, end_frame,
      camera_json);
}

/* ------------------------------------------------------------------------- */
/* The sink pad                                                              */

/* Stores @image as the still of @pad; returns TRUE (with both stills, ref'd) when this
 * was the last one the render waited for, so the caller submits. */
static gboolean
take_still (GstKlingImage2Video * self, GstPad * pad, GBytes * image,
    GBytes ** first, GBytes ** end)
{
  gboolean ready;

  GST_OBJECT_LOCK (self);
  if (pad == self->sinkpad)
    self->image = image;
  else
    self->end_frame = image;
  /* An end_frame pad nothing is linked to holds up nothing. */
  ready = self->image && (!self->end_frame_pad || self->end_frame
      || !gst_pad_is_linked (self->end_frame_pad)) && !self->submitted;
  if (ready) {
    self->submitted = TRUE;
    *first = g_bytes_ref (self->image);
    *end = self->end_frame ? g_bytes_ref (self->end_frame) : NULL;
  }
  GST_OBJECT_UNLOCK (self);
  return ready;
}

/* Like imagefreeze: the first buffer is the still, and once it is taken the sink answers
 * EOS, so an endless upstream (a camera, videotestsrc) stops instead of producing frames
 * nobody reads for the minutes Kling takes. `end_frame` works the same way; the render
 * is submitted by whichever pad takes the last still. */
static GstFlowReturn
gst_kling_image2video_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buffer)
{
  GstKlingImage2Video *self = GST_KLING_IMAGE2VIDEO (parent);
  gboolean is_end = pad != self->sinkpad;
  KlingRequest *request = NULL;
  GBytes *image, *first = NULL, *end = NULL;
  gboolean *got;

  GST_OBJECT_LOCK (self);
  got = is_end ? &self->got_end_frame : &self->got_image;
  if (*got) {
    GST_OBJECT_UNLOCK (self);
    GST_DEBUG_OBJECT (pad, "refusing a later buffer %" GST_PTR_FORMAT
        ": only the first one is the still", buffer);
    gst_buffer_unref (buffer);
    return GST_FLOW_EOS;
  }
  *got = TRUE;
  GST_OBJECT_UNLOCK (self);

  image = gst_kling_render_capture_still (GST_KLING_RENDER (self), pad, buffer,
      is_end ? GST_KLING_STILL_END_FRAME : GST_KLING_STILL_FIRST_FRAME);
  gst_buffer_unref (buffer);
  if (!image)
    return GST_FLOW_ERROR;
  GST_INFO_OBJECT (pad, "still of %" G_GSIZE_FORMAT " bytes captured",
      g_bytes_get_size (image));
  if (!take_still (self, pad, image, &first, &end))
    return GST_FLOW_EOS;        /* the other pad submits once it has its still */

  request = build_request (self, first, end);
  g_bytes_unref (first);
  g_clear_pointer (&end, g_bytes_unref);
  if (!request)
    return GST_FLOW_ERROR;

  gst_kling_render_submit (GST_KLING_RENDER (self), request);
  kling_request_free (request);
  return GST_FLOW_EOS;
}

static gboolean
gst_kling_image2video_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstKlingImage2Video *self = GST_KLING_IMAGE2VIDEO (parent);

  /* Nothing from upstream goes downstream: the source pad pushes the clip's own
   * stream-start, caps, segment and EOS. */
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    gboolean is_end = pad != self->sinkpad, got;

    GST_OBJECT_LOCK (self);
    got = is_end ? self->got_end_frame : self->got_image;
    GST_OBJECT_UNLOCK (self);
    if (!got && is_end)
      gst_kling_render_fail_input (GST_KLING_RENDER (self),
          "No end frame reached klingimage2video: the end_frame input ended "
          "before its first buffer.", "EOS on end_frame before any buffer");
    else if (!got)
      gst_kling_render_fail_input (GST_KLING_RENDER (self),
          "No image reached klingimage2video: the input ended before its first "
          "buffer.", "EOS on sink before any buffer");
  }
  GST_LOG_OBJECT (pad, "consumed %" GST_PTR_FORMAT, event);
  gst_event_unref (event);
  return TRUE;
}

/* ------------------------------------------------------------------------- */
/* The end_frame request pad                                                 */

static GstPad *
gst_kling_image2video_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps)
{
  GstKlingImage2Video *self = GST_KLING_IMAGE2VIDEO (element);
  GstPad *pad;

  GST_OBJECT_LOCK (self);
  if (self->end_frame_pad) {
    GST_OBJECT_UNLOCK (self);
    GST_WARNING_OBJECT (self, "there is only one end_frame pad");
    return NULL;
  }
  pad = gst_pad_new_from_template (templ, "end_frame");
  self->end_frame_pad = pad;
  GST_OBJECT_UNLOCK (self);

  gst_pad_set_chain_function (pad,
      GST_DEBUG_FUNCPTR (gst_kling_image2video_chain));
  gst_pad_set_event_function (pad,
      GST_DEBUG_FUNCPTR (gst_kling_image2video_sink_event));
  gst_pad_set_query_function (pad,
      GST_DEBUG_FUNCPTR (gst_kling_render_sink_query));
  GST_PAD_SET_ACCEPT_TEMPLATE (pad);
  gst_element_add_pad (element, pad);
  return pad;
}

static void
gst_kling_image2video_release_pad (GstElement * element, GstPad * pad)
{
  GstKlingImage2Video *self = GST_KLING_IMAGE2VIDEO (element);

  GST_OBJECT_LOCK (self);
  if (pad == self->end_frame_pad)
    self->end_frame_pad = NULL;
  GST_OBJECT_UNLOCK (self);
  gst_element_remove_pad (element, pad);
}
