/* gst-kling: klingtext2video, a prompt in, the rendered clip out (and kling:// URIs).
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-klingtext2video
 * @title: klingtext2video
 * @short_description: renders a prompt into a video clip with Kling (a source, and the
 *   handler of kling://text2video URIs)
 *
 * A source: no input, the prompt properties are the request. When the element goes to
 * PAUSED it submits a text2video task (the state change does not wait for it) and, once
 * Kling is done, `src` pushes the clip decoded (`video/x-raw`, timestamps from 0, tags
 * with the prompt, model, mode, task id and video id, then EOS), seekable with flushing
 * time seeks, and `audio_src` its sound (`audio/x-raw`: with #GstKlingRender:sound,
 * where the model makes sound; otherwise only stream-start and EOS). When downstream only
 * takes `video/quicktime`, the MP4 passes through untouched and `audio_src` ends at once.
 * Without a prompt nothing is sent: the element posts one error (RESOURCE SETTINGS).
 *
 * Progress messages, `kling-task` messages, errors, the cache and the keys are those of
 * klingimage2video: finished clips are cached under #GstKlingRender:cache-dir by a hash of
 * the request, so a rerun with the same properties reuses the clip (or the task in
 * flight) instead of paying for a second render.
 *
 * ## kling:// URIs
 *
 * The element is the source for `kling://text2video?prompt=...&model-name=...`
 * (#GstURIHandler), so `gst-play-1.0`, `playbin`, `uridecodebin3` and GES (a GESUriClip;
 * not `ges-launch-1.0 +clip`, whose parser cuts the argument at the `?`) can play a
 * render. The query keys are the element's property
 * names, their values URL-encoded and read as the property's type (`duration=10`,
 * `mode=pro`, `aspect-ratio=9:16`, `sound=true`); an unknown key, or one a URI must not
 * carry, is refused with one sentence. The server and the keys come only from the
 * environment (KLING_API_URL, KLING_API_KEY or KLING_ACCESS_KEY + KLING_SECRET_KEY):
 * `api-url` and the key properties are refused in a URI, so a URI from elsewhere (a
 * playlist, a project file) cannot send the keys to another server. The default cache
 * directory makes a second use of the same URI (GstDiscoverer's probe, then the play; a
 * GES project opened again) a cache hit. A URI consumer gets the decoded clip: its
 * source pads carry `video/x-raw` and `audio/x-raw`, which uridecodebin3 and GES take as
 * they are.
 *
 * There is no `kling://image2video`: an image2video render needs a still, which comes
 * from a pipeline (klingimage2video's sink pad), and a URI that names a local file for
 * the element to read would be a second way in with its own limits for the same thing.
 * Render the clip with klingimage2video (its cache makes the rerun free) and give
 * consumers the file.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 klingtext2video prompt="a red fox runs through snow" \
 *     aspect-ratio=9:16 ! videoconvert ! autovideosink
 * ]| Renders the prompt in portrait and shows the clip.
 * |[
 * gst-launch-1.0 klingtext2video prompt="waves on a beach" sound=true name=k \
 *     k.src ! queue ! videoconvert ! autovideosink \
 *     k.audio_src ! queue ! audioconvert ! autoaudiosink
 * ]| Shows the clip and plays its native sound.
 * |[
 * gst-launch-1.0 klingtext2video prompt="a slow zoom" ! video/quicktime ! \
 *     filesink location=clip.mp4
 * ]| Saves Kling's MP4 without re-encoding.
 * |[
 * gst-play-1.0 "kling://text2video?prompt=a%20red%20fox%20in%20snow&duration=5"
 * ]| Plays a render through playbin.
 *
 * Since: 0.2
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstklingtext2video.h"
#include "gstklinguri.h"

GST_DEBUG_CATEGORY_STATIC (gst_kling_text2video_debug);
#define GST_CAT_DEFAULT gst_kling_text2video_debug

#define DEFAULT_ASPECT_RATIO GST_KLING_ASPECT_RATIO_16_9

enum
{
  PROP_0,
  PROP_ASPECT_RATIO,
};

struct _GstKlingText2Video
{
  GstKlingRender parent;

  /* Properties, under the object lock. */
  GstKlingAspectRatio aspect_ratio;
  gchar *uri;                   /* the last one set_uri() took */
};

static void gst_kling_text2video_uri_handler_init (gpointer g_iface,
    gpointer iface_data);

G_DEFINE_TYPE_WITH_CODE (GstKlingText2Video, gst_kling_text2video,
    GST_TYPE_KLING_RENDER, G_IMPLEMENT_INTERFACE (GST_TYPE_URI_HANDLER,
        gst_kling_text2video_uri_handler_init));
GST_ELEMENT_REGISTER_DEFINE (klingtext2video, "klingtext2video",
    GST_RANK_NONE, GST_TYPE_KLING_TEXT2VIDEO);

static GstStaticPadTemplate audio_src_template =
GST_STATIC_PAD_TEMPLATE ("audio_src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("audio/x-raw"));

static void gst_kling_text2video_finalize (GObject * object);
static void gst_kling_text2video_set_property (GObject * object,
    guint prop_id, const GValue * value, GParamSpec * pspec);
static void gst_kling_text2video_get_property (GObject * object,
    guint prop_id, GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_kling_text2video_change_state (GstElement *
    element, GstStateChange transition);

static void
gst_kling_text2video_class_init (GstKlingText2VideoClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_kling_text2video_debug, "klingtext2video", 0,
      "Kling text2video");

  gobject_class->finalize = gst_kling_text2video_finalize;
  gobject_class->set_property = gst_kling_text2video_set_property;
  gobject_class->get_property = gst_kling_text2video_get_property;

  /**
   * GstKlingText2Video:aspect-ratio:
   *
   * The shape of the clip: 16:9 (landscape), 9:16 (portrait) or 1:1 (square).
   *
   * Default: `16:9`, Kling's own.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_ASPECT_RATIO,
      g_param_spec_enum ("aspect-ratio", "Aspect ratio",
          "Shape of the clip: 16:9, 9:16 or 1:1", GST_TYPE_KLING_ASPECT_RATIO,
          DEFAULT_ASPECT_RATIO, G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
          G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class,
      &audio_src_template);
  gst_element_class_set_static_metadata (element_class,
      "Kling text to video", "Source/Video",
      "Renders a prompt into a video clip with Kling AI",
      "the gst-kling authors <https://github.com/gst-kling/gst-kling/issues>");
  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_kling_text2video_change_state);

  gst_type_mark_as_plugin_api (GST_TYPE_KLING_ASPECT_RATIO, 0);
}

static void
gst_kling_text2video_init (GstKlingText2Video * self)
{
  self->aspect_ratio = DEFAULT_ASPECT_RATIO;
}

static void
gst_kling_text2video_finalize (GObject * object)
{
  GstKlingText2Video *self = GST_KLING_TEXT2VIDEO (object);

  g_free (self->uri);
  G_OBJECT_CLASS (gst_kling_text2video_parent_class)->finalize (object);
}

static void
gst_kling_text2video_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstKlingText2Video *self = GST_KLING_TEXT2VIDEO (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_ASPECT_RATIO:
      self->aspect_ratio = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_kling_text2video_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstKlingText2Video *self = GST_KLING_TEXT2VIDEO (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_ASPECT_RATIO:
      g_value_set_enum (value, self->aspect_ratio);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* ------------------------------------------------------------------------- */
/* The request                                                               */

/* A prompt of only spaces says as little as none. */
static gboolean
has_text (const gchar * text)
{
  for (; text && *text; text++)
    if (!g_ascii_isspace (*text))
      return TRUE;
  return FALSE;
}

/* The text2video request of the properties; NULL with the error posted (before any
 * request) when they are not usable. */
static KlingRequest *
build_request (GstKlingText2Video * self)
{
  GstKlingRender *render = GST_KLING_RENDER (self);
  g_autoptr (GstKlingRenderSettings) settings =
      gst_kling_render_dup_settings (render);
  KlingText2VideoParams params = { 0, };
  g_autoptr (GError) error = NULL;
  KlingRequest *request;

  if (!has_text (settings->prompt)) {
    error = g_error_new_literal (KLING_ERROR, KLING_ERROR_INVALID_INPUT,
        "klingtext2video has no prompt: set prompt to what the clip should "
        "show.");
    gst_kling_render_post_error (render, error);
    return NULL;
  }
  if (!kling_models_lookup (settings->model_name, KLING_ENDPOINT_TEXT2VIDEO))
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
        ("Unknown Kling model \"%s\": sending it anyway.",
            settings->model_name),
        ("model-name is not in the list of known models; Kling may refuse it"));

  params.model_name = settings->model_name;
  params.mode = (KlingMode) settings->mode;
  params.duration_s = settings->duration_s;
  params.prompt = settings->prompt;
  params.negative_prompt = settings->negative_prompt;
  params.cfg_scale = settings->cfg_scale;
  params.callback_url = settings->callback_url;
  GST_OBJECT_LOCK (self);
  params.sound = settings->sound;
  params.aspect_ratio = (KlingAspectRatio) self->aspect_ratio;
  GST_OBJECT_UNLOCK (self);

  request = kling_text2video_request_new (&params, &error);
  if (!request)
    gst_kling_render_post_error (render, error);
  return request;
}

/* After the base started the run (client acquired, pads active): the request goes to
 * the client, which returns at once; the clip comes later through the base's job. A
 * refused request has its error posted and the pads end, as a source's do after an
 * error; the state change itself succeeds, as klingimage2video's does. */
static void
submit (GstKlingText2Video * self)
{
  KlingRequest *request = build_request (self);

  if (!request)
    return;
  gst_kling_render_submit (GST_KLING_RENDER (self), request);
  kling_request_free (request);
}

static GstStateChangeReturn
gst_kling_text2video_change_state (GstElement * element,
    GstStateChange transition)
{
  GstStateChangeReturn ret;

  ret = GST_ELEMENT_CLASS (gst_kling_text2video_parent_class)->change_state
      (element, transition);
  if (ret != GST_STATE_CHANGE_FAILURE
      && transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    submit (GST_KLING_TEXT2VIDEO (element));
  return ret;
}

/* ------------------------------------------------------------------------- */
/* GstURIHandler                                                             */

static GstURIType
uri_get_type (GType type)
{
  return GST_URI_SRC;
}

static const gchar *const *
uri_get_protocols (GType type)
{
  static const gchar *const protocols[] = { GST_KLING_URI_SCHEME, NULL };

  return protocols;
}

static gchar *
uri_get_uri (GstURIHandler * handler)
{
  GstKlingText2Video *self = GST_KLING_TEXT2VIDEO (handler);
  gchar *uri;

  GST_OBJECT_LOCK (self);
  uri = g_strdup (self->uri);
  GST_OBJECT_UNLOCK (self);
  return uri;
}

static gboolean
uri_set_uri (GstURIHandler * handler, const gchar * uri, GError ** error)
{
  GstKlingText2Video *self = GST_KLING_TEXT2VIDEO (handler);

  if (GST_STATE (self) > GST_STATE_READY) {
    g_set_error_literal (error, GST_URI_ERROR, GST_URI_ERROR_BAD_STATE,
        "The URI of klingtext2video can only change in the NULL or READY state.");
    return FALSE;
  }
  if (!gst_kling_uri_apply (G_OBJECT (self), uri, "text2video", error))
    return FALSE;
  GST_OBJECT_LOCK (self);
  g_free (self->uri);
  self->uri = g_strdup (uri);
  GST_OBJECT_UNLOCK (self);
  GST_INFO_OBJECT (self, "took the URI's properties");
  return TRUE;
}

static void
gst_kling_text2video_uri_handler_init (gpointer g_iface, gpointer iface_data)
{
  GstURIHandlerInterface *iface = g_iface;

  iface->get_type = uri_get_type;
  iface->get_protocols = uri_get_protocols;
  iface->get_uri = uri_get_uri;
  iface->set_uri = uri_set_uri;
}
