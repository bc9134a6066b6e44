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
 * - #GstKlingLipSync:source-video-id, a video Kling made in the last 30 days (e.g. the
 *   #GstKlingRender:video-id of a klingimage2video run). Its old name, `video-id`, still
 *   works when written (deprecated); read, `video-id` is the lip-synced clip's id, as on
 *   every Kling element;
 * - #GstKlingLipSync:video-url, an MP4/MOV Kling can fetch (2-10 s, 720p or 1080p);
 * - the `image` request pad (requested before the element leaves READY): a still (JPEG,
 *   PNG, or a raw frame, encoded to JPEG). The element first renders it with
 *   image2video, using the prompt properties (prompt, negative-prompt, model-name, mode,
 *   duration, cfg-scale), then lip-syncs that clip: a photo and a voice make a talking
 *   head in one go. Nothing is submitted before both the still and the voice are in and
 *   checked.
 *
 * #GstKlingLipSync:lip-sync-method picks the endpoint: `advanced` (default, the flow
 * Kling's current documents describe): identify-face, then advanced-lip-sync on the
 * first face found, the sound placed where that face appears and cut to the time it is
 * visible and to the video's real length (identify-face overstates when a face ends:
 * see "The insert window" in gstklinglipsync-face.c): known for a clip the element made,
 * read from the file for a video-url (one download before identify-face; a length outside
 * 2-10 s is refused there), assumed for a source-video-id (the face's end rounded down to
 * a whole second, said in an INFO message); or `one-step`
 * (`/v1/videos/lip-sync`). `advanced` needs audio: text mode needs
 * `lip-sync-method=one-step`, and says so at once otherwise. Each identify-face opens
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
 * klingimage2video. Each stage has its own START ... COMPLETE: image2video, then
 * identify-face (START `kling-identify-face` "Looking for the face to animate", when it
 * is the first stage; its retries post `kling-wait` like a job's), then the lip-sync.
 * The inherited read-only `task-id` follows the task of the current stage;
 * #GstKlingLipSync:result-video-id (and, once the clip is delivered, the inherited
 * `video-id`) is the id of the lip-synced clip.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 klinglipsync name=ls source-video-id=VIDEO_ID ! video/quicktime ! \
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
 * gst-launch-1.0 klinglipsync name=ls source-video-id=VIDEO_ID lip-sync-method=one-step \
 *     text="Hello from Kling" voice-language=en \
 *     ls.src ! queue ! videoconvert ! autovideosink \
 *     ls.audio_src ! queue ! audioconvert ! autoaudiosink
 * ]| Text mode, played back decoded.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstklinglipsync-private.h"
#include "kling-mp4.h"

GST_DEBUG_CATEGORY (gst_kling_lip_sync_debug);
#define GST_CAT_DEFAULT gst_kling_lip_sync_debug

#define DEFAULT_METHOD          GST_KLING_LIP_SYNC_METHOD_ADVANCED
#define DEFAULT_VOICE_ID        "oversea_male1"
#define DEFAULT_VOICE_LANGUAGE  GST_KLING_VOICE_LANGUAGE_EN
#define DEFAULT_VOICE_SPEED     1.0

enum
{
  PROP_0,
  PROP_SOURCE_VIDEO_ID,
  PROP_VIDEO_ID,                /* deprecated spelling of source-video-id */
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

G_DEFINE_TYPE (GstKlingLipSync, gst_kling_lip_sync, GST_TYPE_KLING_RENDER);
GST_ELEMENT_REGISTER_DEFINE (klinglipsync, "klinglipsync", GST_RANK_NONE,
    GST_TYPE_KLING_LIP_SYNC);

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
   * GstKlingLipSync:source-video-id:
   *
   * The Kling video to lip-sync: a video Kling made in the last 30 days, e.g. the
   * #GstKlingRender:video-id of a klingimage2video run. Exclusive with video-url and the
   * image pad.
   *
   * Default: NULL.
   *
   * Since: 0.2
   */
  properties[PROP_SOURCE_VIDEO_ID] = g_param_spec_string ("source-video-id",
      "Source video ID", "Kling id of the video to lip-sync, e.g. "
      "klingimage2video's video-id (exclusive with video-url and the image pad)",
      NULL, rw);
  /**
   * GstKlingLipSync:video-id:
   *
   * Read: the Kling video id of the lip-synced clip once known, as on every Kling
   * element (#GstKlingRender:video-id). Written: the video to lip-sync, as before 0.2.
   *
   * Default: NULL.
   *
   * Since: 0.1
   *
   * Deprecated: 0.2: set #GstKlingLipSync:source-video-id instead. Writing this name
   * still sets it, for a while. (A subclass cannot make the base class's read-only
   * `video-id` writable, so this pspec shadows it: reads go to the base, writes to
   * source-video-id.)
   */
  properties[PROP_VIDEO_ID] = g_param_spec_string ("video-id", "Video ID",
      "Kling video id of the lip-synced clip, once known. Deprecated as an input: "
      "writing it sets source-video-id", NULL, rw | G_PARAM_DEPRECATED);
  /**
   * GstKlingLipSync:video-url:
   *
   * The URL of an MP4 or MOV (2 to 10 s, 720p or 1080p) that Kling fetches and
   * lip-syncs. Exclusive with #GstKlingLipSync:source-video-id and the `image` pad.
   *
   * Default: NULL.
   *
   * Since: 0.1
   */
  properties[PROP_VIDEO_URL] = g_param_spec_string ("video-url", "Video URL",
      "URL of an MP4/MOV (2-10 s, 720p or 1080p) Kling fetches and lip-syncs "
      "(exclusive with source-video-id and the image pad)", NULL, rw);
  /**
   * GstKlingLipSync:text:
   *
   * What the video says, spoken by #GstKlingLipSync:voice-id, when nothing is linked
   * to the `audio` pad (at most 120 characters; needs lip-sync-method=one-step).
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
   * Which Kling flow does the work: `advanced` (identify-face, then advanced-lip-sync,
   * the flow Kling's current documents describe; it needs audio on the `audio` pad) or
   * `one-step` (/v1/videos/lip-sync, gone from Kling's current documents but still
   * served; the one that speaks a #GstKlingLipSync:text).
   *
   * Default: `advanced` (since 0.2; `one-step` before).
   *
   * Since: 0.1
   */
  properties[PROP_LIP_SYNC_METHOD] = g_param_spec_enum ("lip-sync-method",
      "Lip-sync method", "advanced (identify-face, then advanced-lip-sync: the "
      "flow Kling documents; needs audio) or one-step (/v1/videos/lip-sync; the "
      "one for text)", GST_TYPE_KLING_LIP_SYNC_METHOD, DEFAULT_METHOD, rw);
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

  gst_kling_lip_sync_add_sink_templates (element_class);
  gst_element_class_add_static_pad_template (element_class,
      &audio_src_template);
  gst_element_class_set_static_metadata (element_class, "Kling lip-sync",
      "Filter/Effect/Video",
      "Makes a Kling video (or a still rendered first) speak an audio stream or "
      "a text, with Kling AI",
      "the gst-kling authors <https://github.com/gst-kling/gst-kling/issues>");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_kling_lip_sync_change_state);
  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_kling_lip_sync_request_new_pad);
  element_class->release_pad =
      GST_DEBUG_FUNCPTR (gst_kling_lip_sync_release_pad);
  render_class->reset = GST_DEBUG_FUNCPTR (gst_kling_lip_sync_reset);
  render_class->job_done = GST_DEBUG_FUNCPTR (gst_kling_lip_sync_job_done);
  /* The image pad's clip goes on to lip-sync: only the finished file is played. */
  render_class->plays_while_downloading = FALSE;

  gst_type_mark_as_plugin_api (GST_TYPE_KLING_LIP_SYNC_METHOD, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_KLING_VOICE_LANGUAGE, 0);
}

static void
gst_kling_lip_sync_init (GstKlingLipSync * self)
{
  gst_kling_lip_sync_add_audio_pad (self);

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
  gst_kling_lip_sync_forget_memo_in_use (self);
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

  if (prop_id == PROP_VIDEO_ID)
    GST_WARNING_OBJECT (self, "video-id as an input is deprecated: set "
        "source-video-id (reading video-id gives the lip-synced clip's id)");
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_SOURCE_VIDEO_ID:
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

/* Reading `video-id` reads the base class's result, which this class's writable pspec
 * of the same name hides from g_object_get(). */
static void
get_result_video_id (GObject * object, GValue * value)
{
  GObjectClass *parent_class = G_OBJECT_CLASS (gst_kling_lip_sync_parent_class);
  GParamSpec *base = g_object_class_find_property (parent_class, "video-id");

  parent_class->get_property (object, base->param_id, value, base);
}

static void
gst_kling_lip_sync_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstKlingLipSync *self = GST_KLING_LIP_SYNC (object);

  if (prop_id == PROP_VIDEO_ID) {
    get_result_video_id (object, value);
    return;
  }
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_SOURCE_VIDEO_ID:
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
void
gst_kling_lip_sync_fail_input_error (GstKlingLipSync * self,
    const GError * error)
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

gboolean
gst_kling_lip_sync_submit_request (GstKlingLipSync * self, Stage stage,
    KlingRequest * request)
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
    gst_kling_lip_sync_submit_request (self, STAGE_LIP_SYNC, request);
}

static void
start_lip_sync (GstKlingLipSync * self, const gchar * video_id,
    const gchar * video_url)
{
  GstKlingLipSyncMethod method;

  g_mutex_lock (&self->lock);
  method = self->run.method;
  g_mutex_unlock (&self->lock);

  if (method == GST_KLING_LIP_SYNC_METHOD_ADVANCED && video_url)
    gst_kling_lip_sync_probe_then_identify_face (self, video_url);
  else if (method == GST_KLING_LIP_SYNC_METHOD_ADVANCED)
    gst_kling_lip_sync_start_identify_face (self, video_id, video_url);
  else
    submit_one_step (self, video_id, video_url);
}

/* The image pad's still, rendered with the prompt properties. */
static void
submit_image2video (GstKlingLipSync * self, GBytes * still)
{
  KlingRequest *request =
      gst_kling_render_new_image2video_request (GST_KLING_RENDER (self), still,
      NULL,
      NULL);

  if (request)
    gst_kling_lip_sync_submit_request (self, STAGE_IMAGE2VIDEO, request);
}

/* Starts the first stage once every input of the run is in: the voice, and the still
 * when the video comes from the image pad. Called from the streaming threads and the
 * state change; the first caller that finds everything ready starts, only once. */
void
gst_kling_lip_sync_maybe_start (GstKlingLipSync * self)
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

/* The real length of the clip the image2video stage made: read from the MP4 itself (what
 * Kling will lip-sync), else what the task said. */
static gdouble
clip_duration_s (const gchar * mp4_path, const KlingTask * task)
{
  KlingMp4Info info;

  if (mp4_path && kling_mp4_verify_file (mp4_path, &info, NULL)
      && info.duration_s > 0)
    return info.duration_s;
  return task->video_duration_s;
}

/* The element's own thread (job_done): the image2video clip goes on to lip-sync; the
 * lip-sync clip goes out through the base. */
static gboolean
gst_kling_lip_sync_job_done (GstKlingRender * render, const gchar * mp4_path,
    const KlingTask * task, const GError * error)
{
  GstKlingLipSync *self = GST_KLING_LIP_SYNC (render);
  Stage stage;
  gdouble duration_s;

  if (error)
    return gst_kling_lip_sync_retry_without_memo (self, error);

  g_mutex_lock (&self->lock);
  stage = self->stage;
  g_mutex_unlock (&self->lock);

  if (stage != STAGE_IMAGE2VIDEO) {
    set_result_video_id (self, task ? task->video_id : NULL);
    return FALSE;
  }

  if (!task || !task->video_id) {
    g_autoptr (GError) missing =
        kling_error_new_full (KLING_ERROR_PROTOCOL, 0, -1,
        task ? task->request_id : NULL, task ? task->task_id : NULL, NULL,
        "image2video succeeded without a video id to lip-sync");

    gst_kling_render_post_error (render, missing);
    return TRUE;
  }
  duration_s = clip_duration_s (mp4_path, task);
  GST_INFO_OBJECT (self, "still rendered as video %s (%.3f s); lip-syncing it",
      task->video_id, duration_s);
  g_mutex_lock (&self->lock);
  self->video_duration_s = duration_s;
  g_mutex_unlock (&self->lock);
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
  self->video_duration_s = 0;
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  sources = (self->run.video_id != NULL) + (self->run.video_url != NULL) +
      self->use_image;
  if (self->text_mode)
    fill_voice_params (self, &params);
  g_mutex_unlock (&self->lock);

  GST_INFO_OBJECT (self, "voice: %s; video: %s", self->text_mode ? "text" :
      "audio pad", self->use_image ? "image pad" : self->run.video_id ?
      "source-video-id" : "video-url");

  if (sources != 1)
    return post_settings_error (self, sources == 0 ?
        "No video to lip-sync: set source-video-id or video-url, or link a "
        "still to the image pad." :
        "Give the video to lip-sync one way only: source-video-id, video-url "
        "or the image pad.");
  /* Nothing would ever come: fail now rather than wait for ever. */
  if (!audio_linked && !self->run.text)
    return post_settings_error (self,
        "klinglipsync has no voice: link its audio "
        "pad before the pipeline starts, or set text.");
  if (self->run.text && audio_linked)
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
        ("text is ignored: the audio pad is linked and gives the voice."),
        (NULL));
  if (self->text_mode && self->run.method == GST_KLING_LIP_SYNC_METHOD_ADVANCED)
    return post_settings_error (self, "lip-sync-method=advanced (the default) "
        "takes its voice from the audio pad, not from text: link audio, or set "
        "lip-sync-method=one-step to have Kling speak the text.");
  if (self->text_mode && !kling_lip_sync_validate_voice (&params, &error)) {
    g_autofree gchar *message = kling_error_dup_user_message (error);

    return post_settings_error (self, message);
  }
  return TRUE;
}

static GstStateChangeReturn
gst_kling_lip_sync_change_state (GstElement * element,
    GstStateChange transition)
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
    gst_kling_lip_sync_maybe_start (self);
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
  gst_kling_lip_sync_forget_memo_in_use (self);
  g_mutex_unlock (&self->lock);
}
