/* gst-kling: klinglipsync, a voice (audio pad or text) plus a Kling video in, the
 * lip-synced clip out.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-klinglipsync
 * @title: klinglipsync
 * @short_description: makes a Kling video speak: an audio stream or a text in, the
 *   lip-synced clip out
 *
 * The voice comes from the `audio` pad or from #GstKlingLipSync:text:
 *
 * - `audio` (always): raw audio in any format, rate, channel count and layout, or MP3
 *   (`audio/mpeg`, e.g. from mpegaudioparse). Everything up to EOS is collected: raw audio
 *   is converted to mono 16-bit 16 kHz and sent as WAV (60 s are 1.92 MB, far under
 *   Kling's 5 MB); MP3 is sent as it is, its length read from its frames. Audio shorter
 *   than 2 s or longer than 60 s (or an MP3 over 5 MB) is a STREAM FORMAT error before
 *   any request: longer audio is refused as soon as it passes 60 s, not trimmed, so no
 *   one pays for a clip that silently lost its end. The incoming segment is honoured:
 *   raw audio is clipped to it and MP3 frames outside it are dropped, so a seek with a
 *   stop position upstream is the way to send part of a longer file.
 * - text mode: when #GstKlingLipSync:text is set and nothing is linked to `audio` when the
 *   element goes from READY to PAUSED, Kling speaks the text (at most 120 characters)
 *   with #GstKlingLipSync:voice-id, #GstKlingLipSync:voice-language and
 *   #GstKlingLipSync:voice-speed. The pads are looked at once, at that state change: with
 *   neither a linked `audio` pad nor text the state change fails at once (RESOURCE
 *   SETTINGS) instead of waiting for a voice that cannot come, so link `audio` before
 *   the pipeline starts (from a decodebin, through an audioconvert that is linked
 *   already). With both a linked `audio` pad and text, the audio wins (with a warning).
 *
 * The video to animate is given in exactly one way (anything else is a RESOURCE
 * SETTINGS error at READY to PAUSED):
 *
 * - #GstKlingLipSync:video-id, a video Kling made in the last 30 days (e.g. the
 *   #GstKlingRender:video-id of a klingimage2video run);
 * - #GstKlingLipSync:video-url, an MP4/MOV Kling can fetch (2-10 s, 720p or 1080p);
 * - the `image` request pad (requested before the element leaves READY): a still (JPEG,
 *   PNG, or a raw frame, encoded to JPEG). The element first renders it with
 *   image2video, using the prompt properties (prompt, negative-prompt, model-name, mode,
 *   duration, cfg-scale), then lip-syncs that clip: a photo and a voice make a talking
 *   head in one go. Nothing is submitted before both the still and the voice are in and
 *   checked.
 *
 * #GstKlingLipSync:lip-sync-method picks the endpoint: `one-step` (default,
 * `/v1/videos/lip-sync`) or `advanced`: identify-face, then advanced-lip-sync on the
 * first face found, the sound placed where that face appears and cut to the time it is
 * visible. `advanced` needs audio (text mode is one-step only). Each identify-face opens
 * a new session, whose id is part of the advanced request; so that a rerun reuses the
 * cached clip instead of paying again, the session found for a video is kept in
 * #GstKlingRender:cache-dir (`face-sessions/`) for an hour and reused within that time.
 *
 * The clip leaves on `src` (decoded video, or Kling's MP4 untouched when downstream
 * only takes `video/quicktime`) and `audio_src` (its decoded audio), both timestamped
 * from 0 on the same timeline; when `audio_src` is not linked its samples are dropped
 * without holding anything up. Progress messages, the `kling-task` element message,
 * tags, error mapping, cancellation on a state change and the cache (a rerun with the
 * same voice, video and settings reuses the clip, or the task in flight) work as in
 * klingimage2video. The inherited read-only `task-id` follows the task of the current
 * stage; #GstKlingLipSync:result-video-id is the id of the lip-synced clip.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 klinglipsync name=ls video-id=VIDEO_ID ! video/quicktime ! \
 *     filesink location=talking.mp4 \
 *     filesrc location=examples/media/voice.wav ! wavparse ! ls.audio
 * ]| A WAV file and a Kling video id in, Kling's MP4 with the voice out.
 * |[
 * gst-launch-1.0 klinglipsync name=ls prompt="a person talking to the camera" ! \
 *     video/quicktime ! filesink location=head.mp4 \
 *     filesrc location=examples/media/still.jpg ! jpegparse ! ls.image \
 *     filesrc location=examples/media/voice.wav ! wavparse ! ls.audio
 * ]| A photo and a voice in, a talking head out (image2video, then lip-sync).
 * |[
 * gst-launch-1.0 klinglipsync name=ls video-id=VIDEO_ID text="Hello from Kling" \
 *     voice-language=en ls.src ! queue ! videoconvert ! autovideosink \
 *     ls.audio_src ! queue ! audioconvert ! autoaudiosink
 * ]| Text mode, played back decoded.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <glib/gstdio.h>
#include <gst/audio/audio.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>

#include "gstklinglipsync.h"
#include "gstklingaudio.h"

GST_DEBUG_CATEGORY_STATIC (gst_kling_lip_sync_debug);
#define GST_CAT_DEFAULT gst_kling_lip_sync_debug

#define DEFAULT_METHOD          GST_KLING_LIP_SYNC_METHOD_ONE_STEP
#define DEFAULT_VOICE_ID        "oversea_male1"
#define DEFAULT_VOICE_LANGUAGE  GST_KLING_VOICE_LANGUAGE_EN
#define DEFAULT_VOICE_SPEED     1.0

enum
{
  PROP_0,
  PROP_VIDEO_ID,
  PROP_VIDEO_URL,
  PROP_TEXT,
  PROP_VOICE_ID,
  PROP_VOICE_LANGUAGE,
  PROP_VOICE_SPEED,
  PROP_LIP_SYNC_METHOD,
  PROP_RESULT_VIDEO_ID,
  N_PROPERTIES
};

static GParamSpec *properties[N_PROPERTIES];

/* What the job in flight is doing. */
typedef enum
{
  STAGE_WAITING,                /* inputs not complete yet */
  STAGE_IMAGE2VIDEO,            /* rendering the still (image pad) */
  STAGE_IDENTIFY_FACE,          /* advanced: looking for the face */
  STAGE_LIP_SYNC,               /* the lip-sync task itself */
} Stage;

/* The properties, copied when the element leaves READY: a run uses one set of them. */
typedef struct
{
  gchar *video_id;
  gchar *video_url;
  gchar *text;
  gchar *voice_id;
  GstKlingVoiceLanguage voice_language;
  gdouble voice_speed;
  GstKlingLipSyncMethod method;
} RunConfig;

struct _GstKlingLipSync
{
  GstKlingRender parent;

  GstPad *audio_pad;
  GstPad *image_pad;            /* the request pad, under the object lock */

  /* Properties, under the object lock. */
  RunConfig props;
  gchar *result_video_id;

  /* The run, under lock. */
  GMutex lock;
  RunConfig run;
  gboolean text_mode;
  gboolean use_image;
  GBytes *voice;                /* the WAV or MP3 file, once the audio ended */
  GBytes *still;                /* JPEG or PNG, once it came */
  Stage stage;
  GCancellable *cancellable;    /* identify-face of this run */
  /* A remembered face session in use, and the video it belongs to: forgotten (and
   * identify-face asked again) if Kling refuses the session. */
  gchar *memo_in_use;
  gchar *memo_video_id;
  gchar *memo_video_url;

  /* Streaming threads only; reset once they are stopped. */
  GstKlingAudioCollector *collector;    /* audio pad */
  gboolean audio_done;          /* audio pad: EOS seen or an error posted */
  gboolean got_still;           /* image pad */
};

G_DEFINE_TYPE (GstKlingLipSync, gst_kling_lip_sync, GST_TYPE_KLING_RENDER);
GST_ELEMENT_REGISTER_DEFINE (klinglipsync, "klinglipsync", GST_RANK_NONE,
    GST_TYPE_KLING_LIP_SYNC);

static GstStaticPadTemplate audio_template = GST_STATIC_PAD_TEMPLATE ("audio",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_KLING_AUDIO_CAPS));

static GstStaticPadTemplate image_template = GST_STATIC_PAD_TEMPLATE ("image",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("image/jpeg; image/png; "
        GST_VIDEO_CAPS_MAKE (GST_VIDEO_FORMATS_ALL)));

static GstStaticPadTemplate audio_src_template =
GST_STATIC_PAD_TEMPLATE ("audio_src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("audio/x-raw"));

static const gchar *
voice_language_code (GstKlingVoiceLanguage language)
{
  return language == GST_KLING_VOICE_LANGUAGE_ZH ? "zh" : "en";
}

static void gst_kling_lip_sync_finalize (GObject * object);
static void gst_kling_lip_sync_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_kling_lip_sync_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_kling_lip_sync_change_state (GstElement *
    element, GstStateChange transition);
static GstPad *gst_kling_lip_sync_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps);
static void gst_kling_lip_sync_release_pad (GstElement * element, GstPad * pad);
static GstFlowReturn gst_kling_lip_sync_audio_chain (GstPad * pad,
    GstObject * parent, GstBuffer * buffer);
static gboolean gst_kling_lip_sync_audio_event (GstPad * pad,
    GstObject * parent, GstEvent * event);
static GstFlowReturn gst_kling_lip_sync_image_chain (GstPad * pad,
    GstObject * parent, GstBuffer * buffer);
static gboolean gst_kling_lip_sync_image_event (GstPad * pad,
    GstObject * parent, GstEvent * event);
static void gst_kling_lip_sync_reset (GstKlingRender * render);
static gboolean gst_kling_lip_sync_job_done (GstKlingRender * render,
    const gchar * mp4_path, const KlingTask * task, const GError * error);

/* ------------------------------------------------------------------------- */
/* Class, properties                                                         */

static void
install_properties (GObjectClass * gobject_class)
{
  const GParamFlags rw = G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
      G_PARAM_STATIC_STRINGS;

  /**
   * GstKlingLipSync:video-id:
   *
   * The Kling video to lip-sync (on this element an input, unlike klingimage2video's
   * read-only result id). Exclusive with video-url and the image pad.
   *
   * Default: NULL.
   *
   * Since: 0.1
   */
  properties[PROP_VIDEO_ID] = g_param_spec_string ("video-id", "Video ID",
      "Kling id of the video to lip-sync, e.g. klingimage2video's video-id "
      "(exclusive with video-url and the image pad)", NULL, rw);
  /**
   * GstKlingLipSync:video-url:
   *
   * The URL of an MP4 or MOV (2 to 10 s, 720p or 1080p) that Kling fetches and
   * lip-syncs. Exclusive with #GstKlingLipSync:video-id and the `image` pad.
   *
   * Default: NULL.
   *
   * Since: 0.1
   */
  properties[PROP_VIDEO_URL] = g_param_spec_string ("video-url", "Video URL",
      "URL of an MP4/MOV (2-10 s, 720p or 1080p) Kling fetches and lip-syncs "
      "(exclusive with video-id and the image pad)", NULL, rw);
  /**
   * GstKlingLipSync:text:
   *
   * What the video says, spoken by #GstKlingLipSync:voice-id, when nothing is linked
   * to the `audio` pad (at most 120 characters).
   *
   * Default: NULL.
   *
   * Since: 0.1
   */
  properties[PROP_TEXT] = g_param_spec_string ("text", "Text",
      "What the video says when nothing is linked to the audio pad (at most "
      "120 characters)", NULL, rw);
  /**
   * GstKlingLipSync:voice-id:
   *
   * The Kling voice that speaks #GstKlingLipSync:text.
   *
   * Default: `oversea_male1`.
   *
   * Since: 0.1
   */
  properties[PROP_VOICE_ID] = g_param_spec_string ("voice-id", "Voice ID",
      "Kling voice that speaks the text (text mode)", DEFAULT_VOICE_ID, rw);
  /**
   * GstKlingLipSync:voice-language:
   *
   * The language of #GstKlingLipSync:text: `en` or `zh`.
   *
   * Default: `en`.
   *
   * Since: 0.1
   */
  properties[PROP_VOICE_LANGUAGE] = g_param_spec_enum ("voice-language",
      "Voice language", "Language of the text (text mode)",
      GST_TYPE_KLING_VOICE_LANGUAGE, DEFAULT_VOICE_LANGUAGE, rw);
  /**
   * GstKlingLipSync:voice-speed:
   *
   * The speaking rate of #GstKlingLipSync:text, within Kling's range.
   *
   * Default: 1.0.
   *
   * Since: 0.1
   */
  properties[PROP_VOICE_SPEED] = g_param_spec_double ("voice-speed",
      "Voice speed", "Speaking rate of the text (text mode)",
      KLING_VOICE_SPEED_MIN, KLING_VOICE_SPEED_MAX, DEFAULT_VOICE_SPEED, rw);
  /**
   * GstKlingLipSync:lip-sync-method:
   *
   * `one-step` (/v1/videos/lip-sync) or `advanced` (identify-face, then
   * advanced-lip-sync on the first face, with the sound placed at the face's start;
   * needs the `audio` pad).
   *
   * Default: `one-step`.
   *
   * Since: 0.1
   */
  properties[PROP_LIP_SYNC_METHOD] = g_param_spec_enum ("lip-sync-method",
      "Lip-sync method", "one-step (/v1/videos/lip-sync) or advanced "
      "(identify-face, then advanced-lip-sync; needs audio)",
      GST_TYPE_KLING_LIP_SYNC_METHOD, DEFAULT_METHOD, rw);
  /**
   * GstKlingLipSync:result-video-id:
   *
   * The Kling video id of the lip-synced clip, once known (notified then). Read-only.
   *
   * Default: NULL.
   *
   * Since: 0.1
   */
  properties[PROP_RESULT_VIDEO_ID] = g_param_spec_string ("result-video-id",
      "Result video ID", "Kling video id of the lip-synced clip, once known",
      NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (gobject_class, N_PROPERTIES, properties);
}

static void
gst_kling_lip_sync_class_init (GstKlingLipSyncClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstKlingRenderClass *render_class = GST_KLING_RENDER_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_kling_lip_sync_debug, "klinglipsync", 0,
      "Kling lip-sync");

  gobject_class->finalize = gst_kling_lip_sync_finalize;
  gobject_class->set_property = gst_kling_lip_sync_set_property;
  gobject_class->get_property = gst_kling_lip_sync_get_property;
  install_properties (gobject_class);

  gst_element_class_add_static_pad_template (element_class, &audio_template);
  gst_element_class_add_static_pad_template (element_class, &image_template);
  gst_element_class_add_static_pad_template (element_class, &audio_src_template);
  gst_element_class_set_static_metadata (element_class, "Kling lip-sync",
      "Filter/Effect/Video",
      "Makes a Kling video (or a still rendered first) speak an audio stream or "
      "a text, with Kling AI",
      "the gst-kling authors <https://github.com/gst-kling/gst-kling/issues>");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_kling_lip_sync_change_state);
  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_kling_lip_sync_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR (gst_kling_lip_sync_release_pad);
  render_class->reset = GST_DEBUG_FUNCPTR (gst_kling_lip_sync_reset);
  render_class->job_done = GST_DEBUG_FUNCPTR (gst_kling_lip_sync_job_done);

  gst_type_mark_as_plugin_api (GST_TYPE_KLING_LIP_SYNC_METHOD, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_KLING_VOICE_LANGUAGE, 0);
}

static GstPad *
new_sink_pad (GstKlingLipSync * self, GstPadTemplate * templ, const gchar * name,
    GstPadChainFunction chain, GstPadEventFunction event)
{
  GstPad *pad = gst_pad_new_from_template (templ, name);

  gst_pad_set_chain_function (pad, chain);
  gst_pad_set_event_function (pad, event);
  gst_pad_set_query_function (pad,
      GST_DEBUG_FUNCPTR (gst_kling_render_sink_query));
  GST_PAD_SET_ACCEPT_TEMPLATE (pad);
  return pad;
}

static void
gst_kling_lip_sync_init (GstKlingLipSync * self)
{
  self->audio_pad = new_sink_pad (self,
      gst_static_pad_template_get (&audio_template), "audio",
      GST_DEBUG_FUNCPTR (gst_kling_lip_sync_audio_chain),
      GST_DEBUG_FUNCPTR (gst_kling_lip_sync_audio_event));
  gst_object_unref (GST_PAD_PAD_TEMPLATE (self->audio_pad));
  gst_element_add_pad (GST_ELEMENT (self), self->audio_pad);

  self->props.voice_id = g_strdup (DEFAULT_VOICE_ID);
  self->props.voice_language = DEFAULT_VOICE_LANGUAGE;
  self->props.voice_speed = DEFAULT_VOICE_SPEED;
  self->props.method = DEFAULT_METHOD;
  g_mutex_init (&self->lock);
  self->collector = gst_kling_audio_collector_new ();
}

static void
run_config_clear (RunConfig * config)
{
  g_clear_pointer (&config->video_id, g_free);
  g_clear_pointer (&config->video_url, g_free);
  g_clear_pointer (&config->text, g_free);
  g_clear_pointer (&config->voice_id, g_free);
}

static gchar *
dup_non_empty (const gchar * text)
{
  return text && *text ? g_strdup (text) : NULL;
}

static void
run_config_copy (const RunConfig * from, RunConfig * to)
{
  run_config_clear (to);
  to->video_id = dup_non_empty (from->video_id);
  to->video_url = dup_non_empty (from->video_url);
  to->text = dup_non_empty (from->text);
  to->voice_id = dup_non_empty (from->voice_id);
  to->voice_language = from->voice_language;
  to->voice_speed = from->voice_speed;
  to->method = from->method;
}

/* self->lock held (or the element is being finalized). */
static void
forget_memo_in_use (GstKlingLipSync * self)
{
  g_clear_pointer (&self->memo_in_use, g_free);
  g_clear_pointer (&self->memo_video_id, g_free);
  g_clear_pointer (&self->memo_video_url, g_free);
}

static void
gst_kling_lip_sync_finalize (GObject * object)
{
  GstKlingLipSync *self = GST_KLING_LIP_SYNC (object);

  run_config_clear (&self->props);
  run_config_clear (&self->run);
  g_free (self->result_video_id);
  g_clear_pointer (&self->voice, g_bytes_unref);
  g_clear_pointer (&self->still, g_bytes_unref);
  g_clear_object (&self->cancellable);
  forget_memo_in_use (self);
  gst_kling_audio_collector_free (self->collector);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (gst_kling_lip_sync_parent_class)->finalize (object);
}

static void
replace_string (gchar ** slot, const GValue * value)
{
  g_free (*slot);
  *slot = g_value_dup_string (value);
}

static void
gst_kling_lip_sync_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstKlingLipSync *self = GST_KLING_LIP_SYNC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_VIDEO_ID:
      replace_string (&self->props.video_id, value);
      break;
    case PROP_VIDEO_URL:
      replace_string (&self->props.video_url, value);
      break;
    case PROP_TEXT:
      replace_string (&self->props.text, value);
      break;
    case PROP_VOICE_ID:
      replace_string (&self->props.voice_id, value);
      break;
    case PROP_VOICE_LANGUAGE:
      self->props.voice_language = g_value_get_enum (value);
      break;
    case PROP_VOICE_SPEED:
      self->props.voice_speed = g_value_get_double (value);
      break;
    case PROP_LIP_SYNC_METHOD:
      self->props.method = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_kling_lip_sync_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstKlingLipSync *self = GST_KLING_LIP_SYNC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_VIDEO_ID:
      g_value_set_string (value, self->props.video_id);
      break;
    case PROP_VIDEO_URL:
      g_value_set_string (value, self->props.video_url);
      break;
    case PROP_TEXT:
      g_value_set_string (value, self->props.text);
      break;
    case PROP_VOICE_ID:
      g_value_set_string (value, self->props.voice_id);
      break;
    case PROP_VOICE_LANGUAGE:
      g_value_set_enum (value, self->props.voice_language);
      break;
    case PROP_VOICE_SPEED:
      g_value_set_double (value, self->props.voice_speed);
      break;
    case PROP_LIP_SYNC_METHOD:
      g_value_set_enum (value, self->props.method);
      break;
    case PROP_RESULT_VIDEO_ID:
      g_value_set_string (value, self->result_video_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* ------------------------------------------------------------------------- */
/* Errors                                                                    */

/* A KLING_ERROR found before any request (bad input): STREAM FORMAT. */
static void
fail_input_error (GstKlingLipSync * self, const GError * error)
{
  g_autofree gchar *message = kling_error_dup_user_message (error);
  g_autofree gchar *details = kling_error_dup_details (error);

  gst_kling_render_fail_input (GST_KLING_RENDER (self), message, details);
}

/* ------------------------------------------------------------------------- */
/* The stages: image2video (image pad), identify-face (advanced), lip-sync    */

static void
set_stage (GstKlingLipSync * self, Stage stage)
{
  g_mutex_lock (&self->lock);
  self->stage = stage;
  g_mutex_unlock (&self->lock);
}

/* The voice half of the lip-sync parameters of this run (self->lock held). */
static void
fill_voice_params (GstKlingLipSync * self, KlingLipSyncParams * params)
{
  if (self->text_mode) {
    params->mode = KLING_LIP_SYNC_TEXT2VIDEO;
    params->text = self->run.text;
    params->voice_id = self->run.voice_id;
    params->voice_language = voice_language_code (self->run.voice_language);
    params->voice_speed = self->run.voice_speed;
  } else {
    params->mode = KLING_LIP_SYNC_AUDIO2VIDEO;
    params->audio = self->voice;
  }
}

static gboolean
submit_request (GstKlingLipSync * self, Stage stage, KlingRequest * request)
{
  gboolean ok;

  set_stage (self, stage);
  ok = gst_kling_render_submit (GST_KLING_RENDER (self), request);
  kling_request_free (request);
  return ok;
}

static void
submit_one_step (GstKlingLipSync * self, const gchar * video_id,
    const gchar * video_url)
{
  g_autoptr (GstKlingRenderSettings) settings =
      gst_kling_render_dup_settings (GST_KLING_RENDER (self));
  KlingLipSyncParams params = { 0, };
  g_autoptr (GError) error = NULL;
  KlingRequest *request;

  g_mutex_lock (&self->lock);
  fill_voice_params (self, &params);
  params.video_id = video_id;
  params.video_url = video_url;
  params.callback_url = settings->callback_url;
  request = kling_lip_sync_request_new (&params, &error);
  g_mutex_unlock (&self->lock);

  if (!request)
    gst_kling_render_post_error (GST_KLING_RENDER (self), error);
  else
    submit_request (self, STAGE_LIP_SYNC, request);
}

typedef struct
{
  GstKlingLipSync *self;
  GCancellable *cancellable;
  gchar *memo_path;             /* where to remember the session; NULL: no cache */
  JsonNode *data;               /* the answer, once it came */
  GError *error;
} FaceCall;

static void
face_call_free (gpointer data)
{
  FaceCall *call = data;

  gst_object_unref (call->self);
  g_object_unref (call->cancellable);
  g_free (call->memo_path);
  g_clear_pointer (&call->data, json_node_unref);
  g_clear_error (&call->error);
  g_free (call);
}

/* Advanced lip-sync and the cache: identify-face is a call, not a task, and each call
 * opens a new session whose id is part of the advanced-lip-sync body, so of its cache
 * key. For a rerun to find its clip (or its task in flight) instead of paying again, the
 * session found for a video is remembered in the cache directory for a while: well
 * within the time Kling keeps sessions. */
#define FACE_SESSION_MEMO_TTL_S (60 * 60)

/* <cache-dir>/face-sessions/<sha256 of the server and the video id or URL>.json, or
 * NULL when the element has no cache (cache-dir "" or cache-mode off). The default directory follows the
 * base's; sessions of one server are never offered to another. */
static gchar *
face_memo_path (GstKlingLipSync * self, const gchar * video_id,
    const gchar * video_url)
{
  g_autofree gchar *cache_dir = NULL, *api_url = NULL, *key = NULL, *name = NULL;
  g_autofree gchar *source = NULL;
  GstKlingCacheMode cache_mode;

  g_object_get (self, "cache-dir", &cache_dir, "api-url", &api_url,
      "cache-mode", &cache_mode, NULL);
  source = g_strconcat (api_url ? api_url : "", video_id ? " id:" : " url:",
      video_id ? video_id : video_url, NULL);
  if ((cache_dir && !*cache_dir) || cache_mode == GST_KLING_CACHE_MODE_OFF)
    return NULL;
  if (!cache_dir)
    cache_dir = g_build_filename (g_get_user_cache_dir (), "gst-kling", NULL);
  key = g_compute_checksum_for_string (G_CHECKSUM_SHA256, source, -1);
  name = g_strconcat (key, ".json", NULL);
  return g_build_filename (cache_dir, "face-sessions", name, NULL);
}

/* The session remembered at @path, when it is young enough; NULL otherwise. */
static KlingFaceSession *
face_memo_load (const gchar * path)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *memo;
  gint64 saved_at;

  if (!path || !json_parser_load_from_mapped_file (parser, path, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  memo = json_node_get_object (json_parser_get_root (parser));
  saved_at = json_object_get_int_member_with_default (memo, "saved_at", 0);
  if (g_get_real_time () / G_USEC_PER_SEC - saved_at > FACE_SESSION_MEMO_TTL_S
      || !json_object_has_member (memo, "data"))
    return NULL;
  return kling_face_session_new_from_json (json_object_get_member (memo, "data"),
      NULL);
}

/* Best effort: a session that cannot be remembered only costs a new one next time. */
static void
face_memo_save (const gchar * path, JsonNode * data)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree gchar *dir = g_path_get_dirname (path), *text = NULL;
  g_autoptr (GError) error = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "saved_at");
  json_builder_add_int_value (builder, g_get_real_time () / G_USEC_PER_SEC);
  json_builder_set_member_name (builder, "data");
  json_builder_add_value (builder, json_node_copy (data));
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  if (g_mkdir_with_parents (dir, 0700) != 0
      || !g_file_set_contents (path, text, -1, &error))
    GST_WARNING ("cannot remember the face session in %s: %s", path,
        error ? error->message : g_strerror (errno));
}

/* Advanced, second step: the first face found gets the voice. */
static void
submit_advanced (GstKlingLipSync * self, const KlingFaceSession * session)
{
  g_autoptr (GstKlingRenderSettings) settings =
      gst_kling_render_dup_settings (GST_KLING_RENDER (self));
  KlingAdvancedLipSyncParams params = { 0, };
  g_autoptr (GError) error = NULL;
  KlingRequest *request;

  params.session_id = session->session_id;
  params.face = g_ptr_array_index (session->faces, 0);
  params.sound_volume = KLING_SOUND_VOLUME_DEFAULT;
  params.original_audio_volume = KLING_SOUND_VOLUME_DEFAULT;
  params.callback_url = settings->callback_url;
  GST_INFO_OBJECT (self, "session %s: %u face(s), animating face %s (%"
      G_GINT64_FORMAT "-%" G_GINT64_FORMAT " ms)", session->session_id,
      session->faces->len, params.face->face_id, params.face->start_time_ms,
      params.face->end_time_ms);

  g_mutex_lock (&self->lock);
  params.sound = self->voice;
  request = kling_advanced_lip_sync_request_new (&params, &error);
  g_mutex_unlock (&self->lock);

  if (!request)
    gst_kling_render_post_error (GST_KLING_RENDER (self), error);
  else
    submit_request (self, STAGE_LIP_SYNC, request);
}

/* The element's own thread (handed off): the session found is remembered, then the
 * advanced request goes out. */
static void
identify_face_finished (GstKlingRender * render, gpointer data)
{
  FaceCall *call = data;
  GstKlingLipSync *self = call->self;
  g_autoptr (KlingFaceSession) session = NULL;
  g_autoptr (GError) parse_error = NULL;

  if (g_cancellable_is_cancelled (call->cancellable)
      || g_error_matches (call->error, KLING_ERROR, KLING_ERROR_CANCELLED)) {
    GST_DEBUG_OBJECT (self, "identify-face cancelled");
  } else if (call->error) {
    /* The run's job is not this call: say which endpoint failed. */
    if (!kling_error_get_endpoint (call->error))
      kling_error_set_endpoint (call->error,
          kling_endpoint_path (KLING_ENDPOINT_IDENTIFY_FACE));
    gst_kling_render_post_error (render, call->error);
  } else if (!(session = kling_face_session_new_from_json (call->data,
              &parse_error))) {
    gst_kling_render_post_error (render, parse_error);
  } else {
    if (call->memo_path)
      face_memo_save (call->memo_path, call->data);
    submit_advanced (self, session);
  }
}

/* The client's worker thread: nothing but a copy and a hand-off (no file I/O, no
 * message, no next request here). */
static void
identify_face_done (JsonNode * data, const GError * error, gpointer user_data)
{
  FaceCall *call = user_data;

  call->data = data ? json_node_copy (data) : NULL;
  call->error = error ? g_error_copy (error) : NULL;
  gst_kling_render_hand_off (GST_KLING_RENDER (call->self),
      identify_face_finished, call, face_call_free);
}

/* Advanced, first step. */
static void
start_identify_face (GstKlingLipSync * self, const gchar * video_id,
    const gchar * video_url)
{
  KlingClient *client;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *memo_path = face_memo_path (self, video_id, video_url);
  g_autoptr (KlingFaceSession) remembered = face_memo_load (memo_path);
  JsonNode *body;
  FaceCall *call;

  if (remembered) {
    GST_INFO_OBJECT (self, "reusing face session %s from %s", remembered->session_id,
        memo_path);
    g_mutex_lock (&self->lock);
    forget_memo_in_use (self);
    self->memo_in_use = g_steal_pointer (&memo_path);
    self->memo_video_id = g_strdup (video_id);
    self->memo_video_url = g_strdup (video_url);
    g_mutex_unlock (&self->lock);
    submit_advanced (self, remembered);
    return;
  }
  client = gst_kling_render_dup_client (GST_KLING_RENDER (self));
  if (!client)
    return;                     /* shutting down */
  body = kling_identify_face_body_new (video_id, video_url, &error);
  if (!body) {
    gst_kling_render_post_error (GST_KLING_RENDER (self), error);
    kling_client_unref (client);
    return;
  }

  call = g_new0 (FaceCall, 1);
  call->self = gst_object_ref (self);
  call->memo_path = g_steal_pointer (&memo_path);
  g_mutex_lock (&self->lock);
  self->stage = STAGE_IDENTIFY_FACE;
  call->cancellable = g_object_ref (self->cancellable);
  g_mutex_unlock (&self->lock);

  GST_INFO_OBJECT (self, "identify-face on %s", video_id ? video_id : video_url);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_progress (GST_OBJECT (self), GST_PROGRESS_TYPE_CONTINUE,
          "kling-identify-face", "Looking for the face to animate"));
  kling_client_call (client, KLING_ENDPOINT_IDENTIFY_FACE, body,
      call->cancellable, identify_face_done, call);
  json_node_unref (body);
  kling_client_unref (client);
}

static void
start_lip_sync (GstKlingLipSync * self, const gchar * video_id,
    const gchar * video_url)
{
  GstKlingLipSyncMethod method;

  g_mutex_lock (&self->lock);
  method = self->run.method;
  g_mutex_unlock (&self->lock);

  if (method == GST_KLING_LIP_SYNC_METHOD_ADVANCED)
    start_identify_face (self, video_id, video_url);
  else
    submit_one_step (self, video_id, video_url);
}

/* The image pad's still, rendered with the prompt properties. */
static void
submit_image2video (GstKlingLipSync * self, GBytes * still)
{
  KlingRequest *request =
      gst_kling_render_new_image2video_request (GST_KLING_RENDER (self), still, NULL,
      NULL);

  if (request)
    submit_request (self, STAGE_IMAGE2VIDEO, request);
}

/* Starts the first stage once every input of the run is in: the voice, and the still
 * when the video comes from the image pad. Called from the streaming threads and the
 * state change; the first caller that finds everything ready starts, only once. */
static void
maybe_start (GstKlingLipSync * self)
{
  gchar *video_id, *video_url;
  GBytes *still = NULL;
  gboolean ready;

  g_mutex_lock (&self->lock);
  ready = self->stage == STAGE_WAITING && (self->text_mode || self->voice)
      && (!self->use_image || self->still);
  if (ready) {
    self->stage = self->use_image ? STAGE_IMAGE2VIDEO : STAGE_LIP_SYNC;
    if (self->use_image)
      still = g_bytes_ref (self->still);
  }
  video_id = g_strdup (self->run.video_id);
  video_url = g_strdup (self->run.video_url);
  g_mutex_unlock (&self->lock);

  if (ready && still)
    submit_image2video (self, still);
  else if (ready)
    start_lip_sync (self, video_id, video_url);
  g_clear_pointer (&still, g_bytes_unref);
  g_free (video_id);
  g_free (video_url);
}

static void
set_result_video_id (GstKlingLipSync * self, const gchar * video_id)
{
  GST_OBJECT_LOCK (self);
  g_free (self->result_video_id);
  self->result_video_id = g_strdup (video_id);
  GST_OBJECT_UNLOCK (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESULT_VIDEO_ID]);
}

/* Kling refused an advanced request made with a remembered face session (it expired,
 * or the server forgot it): forget it and ask identify-face again, once. A refused
 * create costs nothing. TRUE when a new attempt started. */
static gboolean
retry_without_memo (GstKlingLipSync * self, const GError * error)
{
  g_autofree gchar *memo = NULL, *video_id = NULL, *video_url = NULL;

  g_mutex_lock (&self->lock);
  memo = g_steal_pointer (&self->memo_in_use);
  video_id = g_steal_pointer (&self->memo_video_id);
  video_url = g_steal_pointer (&self->memo_video_url);
  g_mutex_unlock (&self->lock);

  if (!memo || !g_error_matches (error, KLING_ERROR, KLING_ERROR_INVALID_INPUT))
    return FALSE;
  GST_INFO_OBJECT (self, "the remembered face session was refused (%s); asking "
      "identify-face again", error->message);
  g_unlink (memo);
  start_identify_face (self, video_id, video_url);
  return TRUE;
}

/* The client's worker thread: the image2video clip goes on to lip-sync; the lip-sync
 * clip goes out through the base. */
static gboolean
gst_kling_lip_sync_job_done (GstKlingRender * render, const gchar * mp4_path,
    const KlingTask * task, const GError * error)
{
  GstKlingLipSync *self = GST_KLING_LIP_SYNC (render);
  Stage stage;

  if (error)
    return retry_without_memo (self, error);

  g_mutex_lock (&self->lock);
  stage = self->stage;
  g_mutex_unlock (&self->lock);

  if (stage != STAGE_IMAGE2VIDEO) {
    set_result_video_id (self, task ? task->video_id : NULL);
    return FALSE;
  }

  if (!task || !task->video_id) {
    g_autoptr (GError) missing = kling_error_new_full (KLING_ERROR_PROTOCOL, 0, -1,
        task ? task->request_id : NULL, task ? task->task_id : NULL, NULL,
        "image2video succeeded without a video id to lip-sync");

    gst_kling_render_post_error (render, missing);
    return TRUE;
  }
  GST_INFO_OBJECT (self, "still rendered as video %s; lip-syncing it",
      task->video_id);
  start_lip_sync (self, task->video_id, NULL);
  return TRUE;
}

/* ------------------------------------------------------------------------- */
/* State changes: the run's inputs are decided when the element leaves READY  */

static gboolean
post_settings_error (GstKlingLipSync * self, const gchar * message)
{
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", message), (NULL));
  return FALSE;
}

/* Decides the voice (audio pad or text) and the video (id, URL or image pad) of the run,
 * and checks what can be checked before any input arrives. */
static gboolean
prepare_run (GstKlingLipSync * self)
{
  KlingLipSyncParams params = { 0, };
  g_autoptr (GError) error = NULL;
  gboolean audio_linked = gst_pad_is_linked (self->audio_pad);
  guint sources;

  g_mutex_lock (&self->lock);
  GST_OBJECT_LOCK (self);
  run_config_copy (&self->props, &self->run);
  self->use_image = self->image_pad != NULL;
  GST_OBJECT_UNLOCK (self);
  self->text_mode = self->run.text && !audio_linked;
  self->stage = STAGE_WAITING;
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  sources = (self->run.video_id != NULL) + (self->run.video_url != NULL) +
      self->use_image;
  if (self->text_mode)
    fill_voice_params (self, &params);
  g_mutex_unlock (&self->lock);

  GST_INFO_OBJECT (self, "voice: %s; video: %s", self->text_mode ? "text" :
      "audio pad", self->use_image ? "image pad" : self->run.video_id ?
      "video-id" : "video-url");

  if (sources != 1)
    return post_settings_error (self, sources == 0 ?
        "No video to lip-sync: set video-id or video-url, or link a still to "
        "the image pad." :
        "Give the video to lip-sync one way only: video-id, video-url or the "
        "image pad.");
  /* Nothing would ever come: fail now rather than wait for ever. */
  if (!audio_linked && !self->run.text)
    return post_settings_error (self, "klinglipsync has no voice: link its audio "
        "pad before the pipeline starts, or set text.");
  if (self->run.text && audio_linked)
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
        ("text is ignored: the audio pad is linked and gives the voice."), (NULL));
  if (self->text_mode
      && self->run.method == GST_KLING_LIP_SYNC_METHOD_ADVANCED)
    return post_settings_error (self, "lip-sync-method=advanced needs audio on "
        "the audio pad; text mode works with one-step.");
  if (self->text_mode && !kling_lip_sync_validate_voice (&params, &error)) {
    g_autofree gchar *message = kling_error_dup_user_message (error);

    return post_settings_error (self, message);
  }
  return TRUE;
}

static GstStateChangeReturn
gst_kling_lip_sync_change_state (GstElement * element, GstStateChange transition)
{
  GstKlingLipSync *self = GST_KLING_LIP_SYNC (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (!prepare_run (self))
        return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:{
      GCancellable *cancellable;

      /* "cancelled" handlers run in this thread: not with self->lock held. */
      g_mutex_lock (&self->lock);
      cancellable = self->cancellable ? g_object_ref (self->cancellable) : NULL;
      g_mutex_unlock (&self->lock);
      if (cancellable) {
        g_cancellable_cancel (cancellable);
        g_object_unref (cancellable);
      }
      break;
    }
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (gst_kling_lip_sync_parent_class)->change_state
      (element, transition);

  /* Text mode has no input to wait for, unless a still comes on the image pad. */
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED
      && ret != GST_STATE_CHANGE_FAILURE)
    maybe_start (self);
  return ret;
}

static void
gst_kling_lip_sync_reset (GstKlingRender * render)
{
  GstKlingLipSync *self = GST_KLING_LIP_SYNC (render);

  gst_kling_audio_collector_reset (self->collector);
  self->audio_done = FALSE;
  self->got_still = FALSE;

  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->voice, g_bytes_unref);
  g_clear_pointer (&self->still, g_bytes_unref);
  self->stage = STAGE_WAITING;
  forget_memo_in_use (self);
  g_mutex_unlock (&self->lock);
}

/* ------------------------------------------------------------------------- */
/* The audio pad                                                             */

static GstFlowReturn
gst_kling_lip_sync_audio_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buffer)
{
  GstKlingLipSync *self = GST_KLING_LIP_SYNC (parent);
  g_autoptr (GError) error = NULL;
  gboolean ok;

  if (self->audio_done) {
    gst_buffer_unref (buffer);
    return GST_FLOW_EOS;
  }
  ok = gst_kling_audio_collector_push (self->collector, buffer, &error);
  gst_buffer_unref (buffer);
  if (!ok) {
    self->audio_done = TRUE;
    fail_input_error (self, error);
    return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

/* EOS: the voice is complete; it is checked, then the run may start. */
static void
finish_audio (GstKlingLipSync * self)
{
  g_autoptr (GError) error = NULL;
  KlingAudioFormat format;
  gdouble duration_s;
  GBytes *voice;

  voice = gst_kling_audio_collector_finish (self->collector, &format,
      &duration_s, &error);
  if (!voice) {
    fail_input_error (self, error);
    return;
  }
  GST_INFO_OBJECT (self, "voice: %.2f s of %s, %" G_GSIZE_FORMAT " bytes",
      duration_s, kling_audio_format_to_string (format), g_bytes_get_size (voice));

  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->voice, g_bytes_unref);
  self->voice = voice;
  g_mutex_unlock (&self->lock);
  maybe_start (self);
}

static gboolean
gst_kling_lip_sync_audio_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstKlingLipSync *self = GST_KLING_LIP_SYNC (parent);
  g_autoptr (GError) error = NULL;
  gboolean ret = TRUE;
  GstCaps *caps;

  /* Nothing from upstream goes downstream: the source pads push the clip's own
   * stream-start, caps, segment and EOS. */
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:
      gst_event_parse_caps (event, &caps);
      if (!self->audio_done
          && !gst_kling_audio_collector_set_caps (self->collector, caps, &error)) {
        self->audio_done = TRUE;
        fail_input_error (self, error);
        ret = FALSE;
      }
      break;
    case GST_EVENT_SEGMENT:{
      const GstSegment *segment;

      gst_event_parse_segment (event, &segment);
      gst_kling_audio_collector_set_segment (self->collector, segment);
      break;
    }
    case GST_EVENT_EOS:
      if (!self->audio_done) {
        self->audio_done = TRUE;
        finish_audio (self);
      }
      break;
    case GST_EVENT_FLUSH_STOP:
      /* Upstream started over (a seek): what came before is not the voice. */
      if (!self->audio_done)
        gst_kling_audio_collector_reset (self->collector);
      break;
    default:
      break;
  }
  GST_LOG_OBJECT (pad, "consumed %" GST_PTR_FORMAT, event);
  gst_event_unref (event);
  return ret;
}

/* ------------------------------------------------------------------------- */
/* The image request pad                                                     */

static GstPad *
gst_kling_lip_sync_request_new_pad (GstElement * element, GstPadTemplate * templ,
    const gchar * name, const GstCaps * caps)
{
  GstKlingLipSync *self = GST_KLING_LIP_SYNC (element);
  GstPad *pad;

  GST_OBJECT_LOCK (self);
  if (self->image_pad || GST_STATE (self) > GST_STATE_READY) {
    GST_OBJECT_UNLOCK (self);
    GST_WARNING_OBJECT (self, "the image pad is requested once, before the element "
        "leaves READY");
    return NULL;
  }
  GST_OBJECT_UNLOCK (self);

  pad = new_sink_pad (self, templ, "image",
      GST_DEBUG_FUNCPTR (gst_kling_lip_sync_image_chain),
      GST_DEBUG_FUNCPTR (gst_kling_lip_sync_image_event));
  GST_OBJECT_LOCK (self);
  self->image_pad = pad;
  GST_OBJECT_UNLOCK (self);
  gst_element_add_pad (element, pad);
  return pad;
}

static void
gst_kling_lip_sync_release_pad (GstElement * element, GstPad * pad)
{
  GstKlingLipSync *self = GST_KLING_LIP_SYNC (element);

  GST_OBJECT_LOCK (self);
  if (pad == self->image_pad)
    self->image_pad = NULL;
  GST_OBJECT_UNLOCK (self);
  gst_element_remove_pad (element, pad);
}

static GstFlowReturn
gst_kling_lip_sync_image_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buffer)
{
  GstKlingLipSync *self = GST_KLING_LIP_SYNC (parent);
  GBytes *still;

  if (self->got_still) {
    gst_buffer_unref (buffer);
    return GST_FLOW_EOS;        /* only the first buffer is the still */
  }
  self->got_still = TRUE;

  still = gst_kling_render_capture_still (GST_KLING_RENDER (self), pad, buffer,
      GST_KLING_STILL_FIRST_FRAME);
  gst_buffer_unref (buffer);
  if (!still)
    return GST_FLOW_ERROR;

  GST_INFO_OBJECT (self, "still of %" G_GSIZE_FORMAT " bytes captured",
      g_bytes_get_size (still));
  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->still, g_bytes_unref);
  self->still = still;
  g_mutex_unlock (&self->lock);
  maybe_start (self);
  return GST_FLOW_EOS;
}

static gboolean
gst_kling_lip_sync_image_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstKlingLipSync *self = GST_KLING_LIP_SYNC (parent);

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && !self->got_still) {
    self->got_still = TRUE;
    gst_kling_render_fail_input (GST_KLING_RENDER (self),
        "No image reached klinglipsync: the image input ended before its first "
        "buffer.", "EOS on the image pad before any buffer");
  }
  GST_LOG_OBJECT (pad, "consumed %" GST_PTR_FORMAT, event);
  gst_event_unref (event);
  return TRUE;
}
