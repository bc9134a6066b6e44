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
 * While Kling renders, the element posts progress messages and element messages; the
 * render base's documentation (#GstKlingRender) lists their fields. Every START is ended
 * by exactly one COMPLETE, ERROR or CANCELED:
 * - START `kling-submit` "Submitting a Kling image2video task to <server> (kling-v3, std,
 *   5 s: about USD 0.42, typically 3 min)", before any request: the model table's price
 *   and typical render time, or the median of the earlier renders of the same model in
 *   this cache; START `kling-cache` "... cache hit: <path>" when the clip is cached
 *   (nothing is requested); START `kling-resume` "Resuming Kling image2video task X ..."
 *   when the cache's journal has this request's task;
 * - CONTINUE `kling-task` "Kling task X: processing, 42 % (about 1 min 40 s left)" after
 *   each poll (past the typical time: "taking longer than usual"); CONTINUE `kling-wait`
 *   when a request is retried or waits (rate limit, busy account, local queue, server
 *   error, network), with the reason and the delay;
 * - COMPLETE "Kling task X: clip ready after 3 min 2 s (charged 3 credits; estimated USD
 *   0.42)", or ERROR with the error's sentence, or CANCELED on a state change;
 * - element messages `kling-task` (task-id, status, elapsed, endpoint, percent, eta-s,
 *   estimate-usd, charged, ...) and `kling-wait` (reason, delay-s, attempt, cause).
 * The tags carry the estimate and the charge (kling-estimate-usd, kling-charge, and in
 * the comment). When the clip is there, `src`
 * pushes it decoded (`video/x-raw`, timestamps from 0, tags with the prompt, model, mode,
 * task id and video id, then EOS), seekable with flushing time seeks. When downstream
 * only takes `video/quicktime`, the MP4 passes through untouched (with its audio track).
 *
 * `audio_src` (Since: 0.2) pushes the clip's decoded native audio (`audio/x-raw`, on the
 * same timeline as `src`) when #GstKlingRender:sound asked for it; when the clip has no
 * audio, or the MP4 passes through, it carries stream-start and EOS only. Its samples
 * are dropped while it is not linked, so a pipeline that ignores it works as before.
 *
 * With #GstKlingImage2Video:storyboard (Since: 0.2) every buffer on `sink` is the still
 * of a clip of its own: the renders run in parallel (up to #GstKlingRender:max-parallel),
 * the clips leave `src` in input order as one stream with continuous timestamps, and EOS
 * follows the last still's clip; a failed clip is an error, or with
 * #GstKlingImage2Video:skip-failed a warning naming the still, and the stream goes on.
 *
 * With #GstKlingImage2Video:allow-rerender (Since: 0.2) the sink keeps taking (and
 * dropping) its input after the still, and the #GstKlingImage2Video::render action
 * signal makes the next buffer a new still, rendered without a state change: its clip
 * follows the previous one in the same stream, and the output ends once `sink` had EOS
 * and the last render is done.
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
 * |[
 * gst-launch-1.0 multifilesrc location=shot%02d.jpg ! jpegdec ! \
 *     klingimage2video storyboard=true prompt="a slow zoom" ! \
 *     videoconvert ! x264enc ! mp4mux ! filesink location=film.mp4
 * ]| A film of one 5 s clip per still (shot00.jpg, shot01.jpg, ...), in that order.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/video/video.h>

#include "gstklingimage2video.h"
#include "gstklingstoryboard.h"

GST_DEBUG_CATEGORY_STATIC (gst_kling_image2video_debug);
#define GST_CAT_DEFAULT gst_kling_image2video_debug

enum
{
  PROP_0,
  PROP_CAMERA_CONTROL,
  PROP_STORYBOARD,
  PROP_SKIP_FAILED,
  PROP_ALLOW_RERENDER,
};

enum
{
  SIGNAL_RENDER,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

struct _GstKlingImage2Video
{
  GstKlingRender parent;

  GstPad *sinkpad;

  /* Properties, under the object lock. */
  gchar *camera_control;
  gboolean storyboard;
  gboolean skip_failed;
  gboolean allow_rerender;

  GstKlingStoryboard *board;    /* storyboard=true: every buffer is a clip's still */

  /* The stills, under the object lock: `sink` and `end_frame` stream on their own
   * threads, and whichever takes the last still submits. Cleared in reset(). */
  GstPad *end_frame_pad;        /* the request pad, NULL when not requested */
  gboolean got_image;
  gboolean got_end_frame;
  GBytes *image;
  GBytes *end_frame;
  gboolean submitted;

  /* allow-rerender, under the object lock; cleared in reset(). */
  gboolean rerender;            /* `render` was emitted: the next buffer is a still */
  gboolean input_ended;         /* EOS on sink */
  gboolean rendering;           /* a render's clip (or error) has not come yet */
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
static gboolean gst_kling_image2video_job_done (GstKlingRender * render,
    const gchar * mp4_path, const KlingTask * task, const GError * error);
static gboolean gst_kling_image2video_render (GstKlingImage2Video * self);
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

  /**
   * GstKlingImage2Video:storyboard:
   *
   * Every buffer on `sink` is the still of a clip of its own (a storyboard), not only
   * the first. The renders start as the stills come and run in parallel, as many at
   * once as #GstKlingRender:max-parallel lets them; the clips leave `src` in the order
   * of their stills as one stream (one segment, timestamps running on from one clip to
   * the next) and EOS follows the clip of the last still once `sink` had its EOS. Each
   * clip is cached like a single render. The clips are decoded: with downstream taking
   * only `video/quicktime` (MP4 passthrough) the storyboard is refused before any
   * request, since MP4 files do not join by concatenation; the `end_frame` pad is not
   * used (refused when linked). task-id, video-id and location describe single renders:
   * each clip's ids are in its tags and its `kling-task` messages.
   *
   * Default: FALSE.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_STORYBOARD,
      g_param_spec_boolean ("storyboard", "Storyboard",
          "Every buffer is the still of its own clip; the clips play in input "
          "order as one stream", FALSE,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstKlingImage2Video:skip-failed:
   *
   * With #GstKlingImage2Video:storyboard, a still whose clip cannot be rendered is left
   * out with a warning message that names it ("Storyboard still 2 is left out ...", and
   * a `still` field in its details) and the stream goes on with the next clip. FALSE:
   * the failure is posted as an error and the stream ends there.
   *
   * Default: FALSE.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_SKIP_FAILED,
      g_param_spec_boolean ("skip-failed", "Skip failed",
          "Storyboard: leave out a clip that fails, with a warning, instead of "
          "ending with an error", FALSE,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstKlingImage2Video:allow-rerender:
   *
   * Keep taking the input after the still, so that the #GstKlingImage2Video::render
   * signal can make a later buffer a new still (a live feed: a camera,
   * `videotestsrc is-live=true`). The buffers in between are dropped, and the output
   * ends once `sink` has had its EOS and the last render is done. FALSE: once the sink
   * has its still it answers EOS, so an endless source stops (imagefreeze's
   * allow-replace makes the same choice).
   *
   * Default: FALSE.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_ALLOW_RERENDER,
      g_param_spec_boolean ("allow-rerender", "Allow re-render",
          "Keep taking (and dropping) the input after the still, so the render "
          "signal can take a later buffer as a new still", FALSE,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstKlingImage2Video::render:
   * @element: the element
   *
   * Takes the next buffer on `sink` as a new still and renders it, without a state
   * change (needs #GstKlingImage2Video:allow-rerender). The new clip follows the
   * previous one in the same stream: the previous clip plays to its end, then the new
   * one, its timestamps continuing from there; in a PLAYING pipeline a clip that comes
   * after the previous one played out plays from when it comes (a new segment), so a
   * video sink shows it rather than dropping late frames. A render still in flight is
   * cancelled and replaced, with a CANCELED progress message. The prompt and the other
   * properties are read when the new still comes, so an application can change them
   * first. A linked `end_frame` keeps its end frame for every render.
   *
   * Returns: TRUE when the next buffer will be taken; FALSE (with a warning message)
   * without allow-rerender, in a storyboard, or once the input has ended.
   *
   * Since: 0.2
   */
  signals[SIGNAL_RENDER] = g_signal_new_class_handler ("render",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_kling_image2video_render), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 0);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &audio_src_template);
  gst_element_class_add_static_pad_template (element_class,
      &end_frame_template);
  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_kling_image2video_request_new_pad);
  element_class->release_pad =
      GST_DEBUG_FUNCPTR (gst_kling_image2video_release_pad);
  gst_element_class_set_static_metadata (element_class, "Kling image to video",
      "Filter/Video",
      "Renders a still image and a prompt into a video clip with Kling AI",
      "the gst-kling authors <https://github.com/gst-kling/gst-kling/issues>");

  render_class->reset = GST_DEBUG_FUNCPTR (gst_kling_image2video_reset);
  render_class->job_done = GST_DEBUG_FUNCPTR (gst_kling_image2video_job_done);
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
  self->board = gst_kling_storyboard_new (GST_KLING_RENDER (self));
}

static void
gst_kling_image2video_finalize (GObject * object)
{
  GstKlingImage2Video *self = GST_KLING_IMAGE2VIDEO (object);

  g_free (self->camera_control);
  gst_kling_storyboard_free (self->board);
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
    case PROP_STORYBOARD:
      GST_OBJECT_LOCK (self);
      self->storyboard = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_SKIP_FAILED:
      GST_OBJECT_LOCK (self);
      self->skip_failed = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_ALLOW_RERENDER:
      GST_OBJECT_LOCK (self);
      self->allow_rerender = g_value_get_boolean (value);
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
    case PROP_STORYBOARD:
      GST_OBJECT_LOCK (self);
      g_value_set_boolean (value, self->storyboard);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_SKIP_FAILED:
      GST_OBJECT_LOCK (self);
      g_value_set_boolean (value, self->skip_failed);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_ALLOW_RERENDER:
      GST_OBJECT_LOCK (self);
      g_value_set_boolean (value, self->allow_rerender);
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
  self->rerender = self->input_ended = self->rendering = FALSE;
  g_clear_pointer (&self->image, g_bytes_unref);
  g_clear_pointer (&self->end_frame, g_bytes_unref);
  GST_OBJECT_UNLOCK (self);
  gst_kling_storyboard_reset (self->board);
}

/* ------------------------------------------------------------------------- */
/* The request                                                               */

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

    camera_json = gst_kling_camera_control_to_json (camera_control, &details);
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

/* storyboard=true joins decoded clips. Refused before any request where it cannot: MP4
 * passthrough (MP4 files do not join by concatenation) and a linked end_frame pad. */
static gboolean
storyboard_can_run (GstKlingImage2Video * self)
{
  GstPad *src = gst_element_get_static_pad (GST_ELEMENT (self), "src");
  GstCaps *peer = gst_pad_peer_query_caps (src, NULL);
  GstCaps *raw = gst_caps_new_empty_simple ("video/x-raw");
  gboolean passthrough = !gst_caps_can_intersect (peer, raw), end_frame;

  gst_caps_unref (raw);
  gst_caps_unref (peer);
  gst_object_unref (src);
  GST_OBJECT_LOCK (self);
  end_frame = self->end_frame_pad && gst_pad_is_linked (self->end_frame_pad);
  GST_OBJECT_UNLOCK (self);

  if (passthrough)
    gst_kling_render_fail_input (GST_KLING_RENDER (self),
        "storyboard=true joins decoded clips, and MP4 files do not join: decode "
        "downstream (e.g. ! videoconvert ! x264enc ! mp4mux) instead of asking "
        "for video/quicktime.", "downstream of src takes no video/x-raw");
  else if (end_frame)
    gst_kling_render_fail_input (GST_KLING_RENDER (self),
        "storyboard=true takes no end frame: unlink end_frame, or render the "
        "clips one by one.", "end_frame is linked");
  return !passthrough && !end_frame;
}

/* storyboard=true: every buffer is the still of a clip of its own. */
static GstFlowReturn
storyboard_chain (GstKlingImage2Video * self, GstBuffer * buffer)
{
  GstKlingRender *render = GST_KLING_RENDER (self);
  KlingRequest *request;
  gboolean first, skip_failed, added;
  GBytes *image;

  GST_OBJECT_LOCK (self);
  first = !self->got_image;
  self->got_image = TRUE;
  skip_failed = self->skip_failed;
  GST_OBJECT_UNLOCK (self);

  if (first && !storyboard_can_run (self)) {
    gst_buffer_unref (buffer);
    return GST_FLOW_ERROR;
  }
  image = gst_kling_render_capture_still (render, self->sinkpad, buffer,
      GST_KLING_STILL_FIRST_FRAME);
  gst_buffer_unref (buffer);
  if (!image)
    return GST_FLOW_ERROR;
  request = build_request (self, image, NULL);
  g_bytes_unref (image);
  if (!request)
    return GST_FLOW_ERROR;
  added = gst_kling_storyboard_add (self->board, request, skip_failed);
  kling_request_free (request);
  /* Not added: going down, or an error ended the storyboard. */
  return added ? GST_FLOW_OK : GST_FLOW_EOS;
}

/* `render` was emitted: @buffer is a new still, rendered with the end frame (if any) and
 * the properties as they are now; the base cancels a render still in flight. */
static GstFlowReturn
rerender_chain (GstKlingImage2Video * self, GstBuffer * buffer)
{
  GstKlingRender *render = GST_KLING_RENDER (self);
  KlingRequest *request;
  GBytes *image, *end = NULL;

  image = gst_kling_render_capture_still (render, self->sinkpad, buffer,
      GST_KLING_STILL_FIRST_FRAME);
  gst_buffer_unref (buffer);
  if (!image)
    return GST_FLOW_ERROR;
  GST_OBJECT_LOCK (self);
  if (self->end_frame)
    end = g_bytes_ref (self->end_frame);
  self->rendering = TRUE;
  GST_OBJECT_UNLOCK (self);

  request = build_request (self, image, end);
  g_bytes_unref (image);
  g_clear_pointer (&end, g_bytes_unref);
  if (!request)
    return GST_FLOW_ERROR;
  GST_INFO_OBJECT (self, "new still: rendering it after the current clip");
  gst_kling_render_submit (render, request);
  kling_request_free (request);
  return GST_FLOW_OK;
}

/* Like imagefreeze: the first buffer is the still, and once it is taken the sink answers
 * EOS, so an endless upstream (a camera, videotestsrc) stops instead of producing frames
 * nobody reads for the minutes Kling takes. `end_frame` works the same way; the render
 * is submitted by whichever pad takes the last still. With allow-rerender the sink
 * drops the later buffers instead, until `render` makes one a new still. */
static GstFlowReturn
gst_kling_image2video_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buffer)
{
  GstKlingImage2Video *self = GST_KLING_IMAGE2VIDEO (parent);
  gboolean is_end = pad != self->sinkpad, keep;
  KlingRequest *request = NULL;
  GBytes *image, *first = NULL, *end = NULL;
  gboolean *got;

  GST_OBJECT_LOCK (self);
  if (!is_end && self->storyboard) {
    GST_OBJECT_UNLOCK (self);
    return storyboard_chain (self, buffer);
  }
  got = is_end ? &self->got_end_frame : &self->got_image;
  keep = !is_end && self->allow_rerender;
  if (*got && keep && self->rerender) {
    self->rerender = FALSE;
    GST_OBJECT_UNLOCK (self);
    return rerender_chain (self, buffer);
  }
  if (*got) {
    GST_OBJECT_UNLOCK (self);
    GST_LOG_OBJECT (pad, "dropping a later buffer %" GST_PTR_FORMAT
        ": only the first one is the still", buffer);
    gst_buffer_unref (buffer);
    return keep ? GST_FLOW_OK : GST_FLOW_EOS;
  }
  *got = TRUE;
  if (keep)
    self->rendering = TRUE;
  GST_OBJECT_UNLOCK (self);
  /* Later renders' clips follow in the same stream: the output ends on our EOS. */
  if (keep)
    gst_kling_render_hold_output (GST_KLING_RENDER (self), TRUE);

  image = gst_kling_render_capture_still (GST_KLING_RENDER (self), pad, buffer,
      is_end ? GST_KLING_STILL_END_FRAME : GST_KLING_STILL_FIRST_FRAME);
  gst_buffer_unref (buffer);
  if (!image)
    return GST_FLOW_ERROR;
  GST_INFO_OBJECT (pad, "still of %" G_GSIZE_FORMAT " bytes captured",
      g_bytes_get_size (image));
  if (!take_still (self, pad, image, &first, &end))
    return keep ? GST_FLOW_OK : GST_FLOW_EOS;   /* the other pad submits */

  request = build_request (self, first, end);
  g_bytes_unref (first);
  g_clear_pointer (&end, g_bytes_unref);
  if (!request)
    return GST_FLOW_ERROR;

  gst_kling_render_submit (GST_KLING_RENDER (self), request);
  kling_request_free (request);
  return keep ? GST_FLOW_OK : GST_FLOW_EOS;
}

/* EOS on sink after the still: a storyboard knows how many stills there are; with
 * allow-rerender the output ends once the last render is done. */
static void
input_ended (GstKlingImage2Video * self)
{
  gboolean storyboard, end;

  GST_OBJECT_LOCK (self);
  self->input_ended = TRUE;
  storyboard = self->storyboard;
  end = self->allow_rerender && !self->rendering;
  GST_OBJECT_UNLOCK (self);
  if (storyboard)
    gst_kling_storyboard_end (self->board);
  else if (end)
    gst_kling_render_end_output (GST_KLING_RENDER (self));
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
    else if (!is_end)
      input_ended (self);
  }
  GST_LOG_OBJECT (pad, "consumed %" GST_PTR_FORMAT, event);
  gst_event_unref (event);
  return TRUE;
}

/* With allow-rerender the output stays open after a clip; it ends after the last one. */
static gboolean
gst_kling_image2video_job_done (GstKlingRender * render,
    const gchar * mp4_path, const KlingTask * task, const GError * error)
{
  GstKlingImage2Video *self = GST_KLING_IMAGE2VIDEO (render);
  gboolean end;

  if (error)
    gst_kling_render_post_error (render, error);
  else
    gst_kling_render_deliver (render, mp4_path, task);

  GST_OBJECT_LOCK (self);
  self->rendering = FALSE;
  /* Once the input ended no buffer can come, even for a `render` emitted before. */
  end = self->allow_rerender && self->input_ended;
  GST_OBJECT_UNLOCK (self);
  if (end)
    gst_kling_render_end_output (render);
  return TRUE;
}

static gboolean
gst_kling_image2video_render (GstKlingImage2Video * self)
{
  const gchar *why = NULL;

  GST_OBJECT_LOCK (self);
  if (!self->allow_rerender)
    why = "render needs allow-rerender=true: without it the sink stops its "
        "input once it has the still.";
  else if (self->storyboard)
    why = "render does nothing with storyboard=true: every buffer is a still "
        "already.";
  else if (self->input_ended)
    why = "render came after the end of the input: there is no buffer left to "
        "take.";
  else if (self->got_image)
    self->rerender = TRUE;
  GST_OBJECT_UNLOCK (self);

  if (why) {
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS, ("%s", why), (NULL));
    return FALSE;
  }
  GST_DEBUG_OBJECT (self, "the next buffer is a new still");
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
