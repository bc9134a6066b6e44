/* gst-kling: GstKlingRender, the abstract base of the Kling elements.
 *
 * Threads (see shared/DESIGN.md, "Threads and flow"):
 * - the subclass's sink streaming thread captures the input and calls
 *   gst_kling_render_submit(), which hands the request to the shared KlingClient and
 *   returns at once;
 * - the client's worker thread runs the job and calls back (job_submitted, job_progress,
 *   job_finished): those post bus messages, notify task-id / video-id and, when the clip is
 *   there, wake the source pad tasks through priv->cond;
 * - one pad task per source pad waits for the clip, then pulls decoded samples from a
 *   private `filesrc ! decodebin3 ! appsink` pipeline (or reads the MP4 bytes when
 *   downstream wants video/quicktime) and pushes them.
 *
 * Locks: GST_OBJECT_LOCK guards the properties; priv->lock (with priv->cond) guards the
 * job state and what the private pipeline exposed; priv->output_lock guards the private
 * pipeline and the output mode. Lock order: output_lock, then lock; nothing that signals
 * cond takes output_lock.
 */
/**
 * SECTION:gstklingrender
 * @title: GstKlingRender
 * @short_description: base class of the Kling elements (klingimage2video, klinglipsync)
 *
 * Holds what every Kling element shares: the properties (api-url, keys, model-name,
 * mode, duration, prompt, cfg-scale, poll-interval, timeout, cache-dir, the read-only
 * task-id and video-id), the job (progress messages, `kling-task` element messages,
 * errors) and the output: `src` pushes the clip decoded, with timestamps from 0, tags
 * and EOS, or the MP4 bytes when downstream only takes `video/quicktime`; a subclass
 * that installs an `audio_src` pad template gets the clip's audio there.
 *
 * Errors map as follows: AUTH and PERMISSION -> RESOURCE NOT_AUTHORIZED; INVALID_INPUT
 * and CONTENT_POLICY (Kling refused the parameters or the content) -> RESOURCE
 * SETTINGS; NETWORK -> RESOURCE OPEN_READ; QUOTA, RATE_LIMITED, TASK_FAILED, SERVER,
 * PROTOCOL and TIMEOUT -> RESOURCE FAILED; bad input found by a subclass before any
 * request -> STREAM FORMAT; a clip that does not decode -> STREAM DECODE. A cancelled job
 * (state change) posts a CANCELED progress message and no error.
 *
 * Seeking: flushing, forward, time-format seeks; one that comes before the clip is
 * there makes the clip start at that point. Non-flushing and segment seeks and seeks in
 * MP4 passthrough are refused.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=examples/media/still.jpg ! jpegdec ! \
 *     klingimage2video prompt="a slow zoom" ! videoconvert ! autovideosink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#include "gstklingrender.h"

GST_DEBUG_CATEGORY_STATIC (gst_kling_render_debug);
#define GST_CAT_DEFAULT gst_kling_render_debug

#define DEFAULT_AUTH_HEADER     GST_KLING_AUTH_HEADER_BEARER
#define DEFAULT_MODE            GST_KLING_MODE_STD
#define DEFAULT_DURATION        GST_KLING_DURATION_5
#define DEFAULT_CFG_SCALE       0.5
#define DEFAULT_POLL_INTERVAL   5.0
#define DEFAULT_TIMEOUT         1800.0
#define MIN_POLL_INTERVAL       0.01

/* How long a pad task blocks in one go (pulling a sample, waiting for preroll) before it
 * looks at the flushing flag again: the bound on how long a state change waits for it. */
#define OUTPUT_WAIT             (100 * GST_MSECOND)
#define PASSTHROUGH_CHUNK       (64 * 1024)
/* How long decodebin3 may take to expose the clip's streams: a local file, so seconds. */
#define DECODER_START_TIMEOUT_US (10 * G_USEC_PER_SEC)

enum
{
  PROP_0,
  PROP_API_URL,
  PROP_ACCESS_KEY,
  PROP_SECRET_KEY,
  PROP_API_KEY,
  PROP_AUTH_HEADER,
  PROP_MODEL_NAME,
  PROP_MODE,
  PROP_DURATION,
  PROP_PROMPT,
  PROP_NEGATIVE_PROMPT,
  PROP_CFG_SCALE,
  PROP_CALLBACK_URL,
  PROP_POLL_INTERVAL,
  PROP_TIMEOUT,
  PROP_CACHE_DIR,
  PROP_TASK_ID,
  PROP_VIDEO_ID,
  N_PROPERTIES
};

static GParamSpec *properties[N_PROPERTIES];

typedef enum
{
  OUTPUT_UNDECIDED,
  OUTPUT_DECODE,
  OUTPUT_PASSTHROUGH,
} OutputKind;

typedef struct
{
  GstKlingRender *self;         /* not a reference: the stream lives in self */
  GstPad *pad;
  gboolean is_video;
  GstElement *appsink;          /* in priv->decoder, NULL when the clip has no such stream */
  GstCaps *caps;                /* the caps last pushed */
  gboolean need_stream_start;
  gboolean need_segment;
  gboolean need_tags;
  GstClockTime position;        /* end of the last buffer pushed, stream time */
  FILE *passthrough_file;
  guint64 passthrough_offset;
} OutputStream;

typedef struct
{
  /* Properties, under GST_OBJECT_LOCK. */
  gchar *api_url;
  gchar *access_key;
  gchar *secret_key;
  gchar *api_key;
  GstKlingAuthHeader auth_header;
  gchar *model_name;
  GstKlingMode mode;
  GstKlingDuration duration;
  gchar *prompt;
  gchar *negative_prompt;
  gdouble cfg_scale;
  gchar *callback_url;
  gdouble poll_interval;
  gdouble timeout;
  gchar *cache_dir;

  /* The job, under lock; cond is signalled when clip_path, failed or flushing change. */
  GMutex lock;
  GCond cond;
  KlingClient *client;
  KlingJob *job;
  guint generation;             /* bumped on every run and every shutdown */
  gboolean flushing;            /* going down: every waiter leaves */
  gboolean failed;              /* an error was posted: the source pads stop */
  gchar *clip_path;
  KlingTask *task;
  gchar *task_id;
  gchar *video_id;
  KlingEndpoint endpoint;
  GstKlingRenderSettings *run_settings;  /* the settings the job was submitted with */
  /* What the private pipeline has (from its stream collection) and has exposed; also
   * under lock, signalled on cond. */
  GstStreamType decoder_types;
  gboolean decoder_types_known;
  GstStreamType decoder_exposed;
  gdouble elapsed_s;            /* of the job, as last reported by the client */

  /* The output, under output_lock. */
  GMutex output_lock;
  OutputKind output;
  GstElement *decoder;
  gboolean decoder_ready;       /* playing, and every stream it has is exposed */
  GstSegment segment;
  guint32 segment_seqnum;
  gboolean segment_placed;      /* the run's first segment got its base */
  gboolean pending_seek;        /* a seek came before the clip: start there */
  OutputStream streams[2];      /* [0] "src" (video), [1] "audio_src" when the class has it */
  guint n_streams;
} GstKlingRenderPrivate;

/* What a job's callbacks need: the element and the run they belong to. */
typedef struct
{
  GstKlingRender *self;
  guint generation;
} JobContext;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (GstKlingRender, gst_kling_render,
    GST_TYPE_ELEMENT);

#define PRIV(self) ((GstKlingRenderPrivate *) gst_kling_render_get_instance_private (self))

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-raw; video/quicktime"));

static void gst_kling_render_constructed (GObject * object);
static void gst_kling_render_finalize (GObject * object);
static void gst_kling_render_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_kling_render_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_kling_render_change_state (GstElement * element,
    GstStateChange transition);
static gboolean gst_kling_render_src_activate_mode (GstPad * pad,
    GstObject * parent, GstPadMode mode, gboolean active);
static gboolean gst_kling_render_src_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean gst_kling_render_src_query (GstPad * pad, GstObject * parent,
    GstQuery * query);
static void gst_kling_render_src_loop (gpointer user_data);
static gboolean gst_kling_render_default_job_done (GstKlingRender * self,
    const gchar * mp4_path, const KlingTask * task, const GError * error);

/* ------------------------------------------------------------------------- */
/* Properties and class setup                                                */

static void
install_string_property (GObjectClass * gobject_class, guint prop_id,
    const gchar * name, const gchar * nick, const gchar * blurb,
    const gchar * default_value, GParamFlags flags)
{
  properties[prop_id] = g_param_spec_string (name, nick, blurb, default_value,
      flags | G_PARAM_STATIC_STRINGS);
}

static void
gst_kling_render_install_properties (GObjectClass * gobject_class)
{
  const GParamFlags rw = G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY;
  const GParamFlags wo = G_PARAM_WRITABLE | GST_PARAM_MUTABLE_READY;

  install_string_property (gobject_class, PROP_API_URL, "api-url", "API URL",
      "Base URL of the Kling API (the KLING_API_URL environment variable "
      "replaces the default)", KLING_DEFAULT_API_URL, rw);
  install_string_property (gobject_class, PROP_ACCESS_KEY, "access-key",
      "Access key", "Kling access key for JWT authentication (write-only; "
      "default: the KLING_ACCESS_KEY environment variable)", NULL, wo);
  install_string_property (gobject_class, PROP_SECRET_KEY, "secret-key",
      "Secret key", "Kling secret key that signs the JWT (write-only; "
      "default: the KLING_SECRET_KEY environment variable)", NULL, wo);
  install_string_property (gobject_class, PROP_API_KEY, "api-key", "API key",
      "Static API key of a reseller, used instead of access-key/secret-key "
      "(write-only; default: the KLING_API_KEY environment variable)", NULL, wo);
  properties[PROP_AUTH_HEADER] = g_param_spec_enum ("auth-header",
      "Auth header", "How a static api-key is sent (JWTs always go as Bearer)",
      GST_TYPE_KLING_AUTH_HEADER, DEFAULT_AUTH_HEADER,
      rw | G_PARAM_STATIC_STRINGS);
  install_string_property (gobject_class, PROP_MODEL_NAME, "model-name",
      "Model name", kling_models_blurb (KLING_ENDPOINT_IMAGE2VIDEO),
      KLING_DEFAULT_MODEL, rw);
  properties[PROP_MODE] = g_param_spec_enum ("mode", "Mode",
      "Render mode: std (720p) or pro (1080p)", GST_TYPE_KLING_MODE,
      DEFAULT_MODE, rw | G_PARAM_STATIC_STRINGS);
  properties[PROP_DURATION] = g_param_spec_enum ("duration", "Duration",
      "Length of the clip in seconds", GST_TYPE_KLING_DURATION,
      DEFAULT_DURATION, rw | G_PARAM_STATIC_STRINGS);
  install_string_property (gobject_class, PROP_PROMPT, "prompt", "Prompt",
      "What should happen in the clip (at most 2500 characters)", NULL, rw);
  install_string_property (gobject_class, PROP_NEGATIVE_PROMPT,
      "negative-prompt", "Negative prompt",
      "What the clip should avoid (at most 2500 characters)", NULL, rw);
  properties[PROP_CFG_SCALE] = g_param_spec_double ("cfg-scale", "CFG scale",
      "How closely the clip follows the prompt (sent only to the models that "
      "take it; Kling's newer models do not)",
      0.0, 1.0, DEFAULT_CFG_SCALE, rw | G_PARAM_STATIC_STRINGS);
  install_string_property (gobject_class, PROP_CALLBACK_URL, "callback-url",
      "Callback URL", "URL Kling POSTs status changes to (optional; the element "
      "polls anyway)", NULL, rw);
  properties[PROP_POLL_INTERVAL] = g_param_spec_double ("poll-interval",
      "Poll interval", "Seconds between two status queries of the task",
      MIN_POLL_INTERVAL, 3600.0, DEFAULT_POLL_INTERVAL,
      rw | G_PARAM_STATIC_STRINGS);
  properties[PROP_TIMEOUT] = g_param_spec_double ("timeout", "Timeout",
      "Seconds the whole render (submit, wait, download) may take before it "
      "fails; 0 = no limit", 0.0, G_MAXDOUBLE, DEFAULT_TIMEOUT,
      rw | G_PARAM_STATIC_STRINGS);
  install_string_property (gobject_class, PROP_CACHE_DIR, "cache-dir",
      "Cache directory", "Where finished clips and the journal of tasks in "
      "flight are kept (NULL: $XDG_CACHE_HOME/gst-kling; empty: no cache, no "
      "resume)", NULL, rw);
  install_string_property (gobject_class, PROP_TASK_ID, "task-id", "Task ID",
      "Kling task id of the current render, once known", NULL,
      G_PARAM_READABLE);
  install_string_property (gobject_class, PROP_VIDEO_ID, "video-id",
      "Video ID", "Kling video id of the finished clip, once known", NULL,
      G_PARAM_READABLE);

  g_object_class_install_properties (gobject_class, N_PROPERTIES, properties);
}

static void
gst_kling_render_class_init (GstKlingRenderClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_kling_render_debug, "klingrender", 0,
      "Kling render base");

  gobject_class->constructed = gst_kling_render_constructed;
  gobject_class->finalize = gst_kling_render_finalize;
  gobject_class->set_property = gst_kling_render_set_property;
  gobject_class->get_property = gst_kling_render_get_property;
  gst_kling_render_install_properties (gobject_class);

  gst_element_class_add_static_pad_template (element_class, &src_template);
  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_kling_render_change_state);

  klass->job_done = gst_kling_render_default_job_done;

  gst_tag_register (GST_KLING_TAG_TASK_ID, GST_TAG_FLAG_META, G_TYPE_STRING,
      "Kling task id", "Id of the Kling task that rendered the clip", NULL);
  gst_tag_register (GST_KLING_TAG_VIDEO_ID, GST_TAG_FLAG_META, G_TYPE_STRING,
      "Kling video id", "Id of the clip at Kling (for extend or lip-sync)",
      NULL);
  gst_tag_register (GST_KLING_TAG_MODEL, GST_TAG_FLAG_META, G_TYPE_STRING,
      "Kling model", "Kling model that rendered the clip", NULL);
  gst_tag_register (GST_KLING_TAG_MODE, GST_TAG_FLAG_META, G_TYPE_STRING,
      "Kling mode", "Kling render mode (std or pro)", NULL);

  gst_type_mark_as_plugin_api (GST_TYPE_KLING_RENDER, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_KLING_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_KLING_AUTH_HEADER, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_KLING_DURATION, 0);
}

static void
output_stream_init (GstKlingRender * self, OutputStream * stream,
    GstPadTemplate * templ, gboolean is_video)
{
  stream->self = self;
  stream->is_video = is_video;
  stream->pad = gst_pad_new_from_template (templ, GST_PAD_TEMPLATE_NAME_TEMPLATE
      (templ));
  gst_pad_set_activatemode_function (stream->pad,
      GST_DEBUG_FUNCPTR (gst_kling_render_src_activate_mode));
  gst_pad_set_event_function (stream->pad,
      GST_DEBUG_FUNCPTR (gst_kling_render_src_event));
  gst_pad_set_query_function (stream->pad,
      GST_DEBUG_FUNCPTR (gst_kling_render_src_query));
  gst_pad_set_element_private (stream->pad, stream);
  gst_pad_use_fixed_caps (stream->pad);
  gst_element_add_pad (GST_ELEMENT (self), stream->pad);
}

static void
gst_kling_render_init (GstKlingRender * self)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  const gchar *env_url = g_getenv ("KLING_API_URL");

  priv->api_url = g_strdup (env_url && *env_url ? env_url : KLING_DEFAULT_API_URL);
  priv->auth_header = DEFAULT_AUTH_HEADER;
  priv->model_name = g_strdup (KLING_DEFAULT_MODEL);
  priv->mode = DEFAULT_MODE;
  priv->duration = DEFAULT_DURATION;
  priv->cfg_scale = DEFAULT_CFG_SCALE;
  priv->poll_interval = DEFAULT_POLL_INTERVAL;
  priv->timeout = DEFAULT_TIMEOUT;

  g_mutex_init (&priv->lock);
  g_cond_init (&priv->cond);
  g_mutex_init (&priv->output_lock);
  gst_segment_init (&priv->segment, GST_FORMAT_TIME);
}

/* The source pads come from the final class's templates. Not in _init(): while the base
 * initialises, GObject gives the instance the base's class, which has no "audio_src"
 * template even when the subclass installs one. */
static void
gst_kling_render_constructed (GObject * object)
{
  GstKlingRender *self = GST_KLING_RENDER (object);
  GstKlingRenderPrivate *priv = PRIV (self);
  GstElementClass *element_class = GST_ELEMENT_GET_CLASS (self);
  GstPadTemplate *templ;

  G_OBJECT_CLASS (gst_kling_render_parent_class)->constructed (object);

  templ = gst_element_class_get_pad_template (element_class, "src");
  output_stream_init (self, &priv->streams[priv->n_streams++], templ, TRUE);
  templ = gst_element_class_get_pad_template (element_class, "audio_src");
  if (templ)
    output_stream_init (self, &priv->streams[priv->n_streams++], templ, FALSE);
}

/* Keys are overwritten before their memory goes back to the allocator. */
static void
free_secret (gchar ** secret)
{
  if (*secret) {
    memset (*secret, 0, strlen (*secret));
    g_clear_pointer (secret, g_free);
  }
}

static void
replace_secret (gchar ** secret, const GValue * value)
{
  const gchar *text = g_value_get_string (value);

  free_secret (secret);
  *secret = text && *text ? g_strdup (text) : NULL;
}

static void
gst_kling_render_finalize (GObject * object)
{
  GstKlingRender *self = GST_KLING_RENDER (object);
  GstKlingRenderPrivate *priv = PRIV (self);

  g_free (priv->api_url);
  free_secret (&priv->access_key);
  free_secret (&priv->secret_key);
  free_secret (&priv->api_key);
  g_free (priv->model_name);
  g_free (priv->prompt);
  g_free (priv->negative_prompt);
  g_free (priv->callback_url);
  g_free (priv->cache_dir);

  g_free (priv->clip_path);
  g_clear_pointer (&priv->task, kling_task_free);
  g_free (priv->task_id);
  g_free (priv->video_id);
  g_clear_pointer (&priv->run_settings, gst_kling_render_settings_free);
  g_clear_pointer (&priv->job, kling_job_unref);
  g_clear_pointer (&priv->client, kling_client_unref);
  g_mutex_clear (&priv->lock);
  g_cond_clear (&priv->cond);
  g_mutex_clear (&priv->output_lock);

  G_OBJECT_CLASS (gst_kling_render_parent_class)->finalize (object);
}

static void
gst_kling_render_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstKlingRender *self = GST_KLING_RENDER (object);
  GstKlingRenderPrivate *priv = PRIV (self);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_API_URL:
      g_free (priv->api_url);
      priv->api_url = g_value_dup_string (value);
      break;
    case PROP_ACCESS_KEY:
      replace_secret (&priv->access_key, value);
      break;
    case PROP_SECRET_KEY:
      replace_secret (&priv->secret_key, value);
      break;
    case PROP_API_KEY:
      replace_secret (&priv->api_key, value);
      break;
    case PROP_AUTH_HEADER:
      priv->auth_header = g_value_get_enum (value);
      break;
    case PROP_MODEL_NAME:
      g_free (priv->model_name);
      priv->model_name = g_value_dup_string (value);
      break;
    case PROP_MODE:
      priv->mode = g_value_get_enum (value);
      break;
    case PROP_DURATION:
      priv->duration = g_value_get_enum (value);
      break;
    case PROP_PROMPT:
      g_free (priv->prompt);
      priv->prompt = g_value_dup_string (value);
      break;
    case PROP_NEGATIVE_PROMPT:
      g_free (priv->negative_prompt);
      priv->negative_prompt = g_value_dup_string (value);
      break;
    case PROP_CFG_SCALE:
      priv->cfg_scale = g_value_get_double (value);
      break;
    case PROP_CALLBACK_URL:
      g_free (priv->callback_url);
      priv->callback_url = g_value_dup_string (value);
      break;
    case PROP_POLL_INTERVAL:
      priv->poll_interval = g_value_get_double (value);
      break;
    case PROP_TIMEOUT:
      priv->timeout = g_value_get_double (value);
      break;
    case PROP_CACHE_DIR:
      g_free (priv->cache_dir);
      priv->cache_dir = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_kling_render_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstKlingRender *self = GST_KLING_RENDER (object);
  GstKlingRenderPrivate *priv = PRIV (self);

  if (prop_id == PROP_TASK_ID || prop_id == PROP_VIDEO_ID) {
    g_mutex_lock (&priv->lock);
    g_value_set_string (value,
        prop_id == PROP_TASK_ID ? priv->task_id : priv->video_id);
    g_mutex_unlock (&priv->lock);
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_API_URL:
      g_value_set_string (value, priv->api_url);
      break;
    case PROP_AUTH_HEADER:
      g_value_set_enum (value, priv->auth_header);
      break;
    case PROP_MODEL_NAME:
      g_value_set_string (value, priv->model_name);
      break;
    case PROP_MODE:
      g_value_set_enum (value, priv->mode);
      break;
    case PROP_DURATION:
      g_value_set_enum (value, priv->duration);
      break;
    case PROP_PROMPT:
      g_value_set_string (value, priv->prompt);
      break;
    case PROP_NEGATIVE_PROMPT:
      g_value_set_string (value, priv->negative_prompt);
      break;
    case PROP_CFG_SCALE:
      g_value_set_double (value, priv->cfg_scale);
      break;
    case PROP_CALLBACK_URL:
      g_value_set_string (value, priv->callback_url);
      break;
    case PROP_POLL_INTERVAL:
      g_value_set_double (value, priv->poll_interval);
      break;
    case PROP_TIMEOUT:
      g_value_set_double (value, priv->timeout);
      break;
    case PROP_CACHE_DIR:
      g_value_set_string (value, priv->cache_dir);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static gchar *
dup_non_empty (const gchar * text)
{
  return text && *text ? g_strdup (text) : NULL;
}

GstKlingRenderSettings *
gst_kling_render_dup_settings (GstKlingRender * self)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  GstKlingRenderSettings *settings = g_new0 (GstKlingRenderSettings, 1);

  GST_OBJECT_LOCK (self);
  settings->model_name = g_strdup (priv->model_name && *priv->model_name ?
      priv->model_name : KLING_DEFAULT_MODEL);
  settings->mode = priv->mode;
  settings->duration_s = priv->duration;
  settings->prompt = dup_non_empty (priv->prompt);
  settings->negative_prompt = dup_non_empty (priv->negative_prompt);
  settings->cfg_scale = priv->cfg_scale;
  settings->callback_url = dup_non_empty (priv->callback_url);
  GST_OBJECT_UNLOCK (self);

  return settings;
}

void
gst_kling_render_settings_free (GstKlingRenderSettings * settings)
{
  if (!settings)
    return;
  g_free (settings->model_name);
  g_free (settings->prompt);
  g_free (settings->negative_prompt);
  g_free (settings->callback_url);
  g_free (settings);
}

/* ------------------------------------------------------------------------- */
/* Messages and errors                                                       */

static void
post_progress (GstKlingRender * self, GstProgressType type, const gchar * code,
    const gchar * format, ...) G_GNUC_PRINTF (4, 5);

static void
post_progress (GstKlingRender * self, GstProgressType type, const gchar * code,
    const gchar * format, ...)
{
  va_list args;
  gchar *text;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  GST_INFO_OBJECT (self, "progress %s: %s", code, text);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_progress (GST_OBJECT (self), type, code, text));
  g_free (text);
}

static KlingEndpoint
current_endpoint (GstKlingRender * self)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  KlingEndpoint endpoint;

  g_mutex_lock (&priv->lock);
  endpoint = priv->endpoint;
  g_mutex_unlock (&priv->lock);
  return endpoint;
}

static void
post_task_message (GstKlingRender * self, const KlingTask * task,
    gdouble elapsed_s)
{
  GstStructure *s;

  s = gst_structure_new ("kling-task",
      "task-id", G_TYPE_STRING, task->task_id,
      "status", G_TYPE_STRING, kling_task_status_to_string (task->status),
      "elapsed", G_TYPE_DOUBLE, elapsed_s,
      "endpoint", G_TYPE_STRING, kling_endpoint_name (current_endpoint (self)),
      NULL);
  if (task->video_id)
    gst_structure_set (s, "video-id", G_TYPE_STRING, task->video_id, NULL);
  if (task->status_msg)
    gst_structure_set (s, "status-message", G_TYPE_STRING, task->status_msg,
        NULL);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

/* Wakes the source pads so they stop: an error was posted. */
static void
mark_failed (GstKlingRender * self)
{
  GstKlingRenderPrivate *priv = PRIV (self);

  g_mutex_lock (&priv->lock);
  priv->failed = TRUE;
  g_cond_broadcast (&priv->cond);
  g_mutex_unlock (&priv->lock);
}

/* The GStreamer error for each KLING_ERROR code (documented in the element docs):
 * credentials -> NOT_AUTHORIZED; a request Kling refused for its content or parameters ->
 * SETTINGS (the properties or the input must change); network -> OPEN_READ; everything
 * else (money, rate, server, protocol, failed task, timeout) -> FAILED. */
static void
kling_error_to_gst (const GError * error, GQuark * domain, gint * code)
{
  *domain = GST_RESOURCE_ERROR;
  switch ((KlingErrorCode) error->code) {
    case KLING_ERROR_AUTH:
    case KLING_ERROR_PERMISSION:
      *code = GST_RESOURCE_ERROR_NOT_AUTHORIZED;
      break;
    case KLING_ERROR_INVALID_INPUT:
    case KLING_ERROR_CONTENT_POLICY:
      *code = GST_RESOURCE_ERROR_SETTINGS;
      break;
    case KLING_ERROR_NETWORK:
    case KLING_ERROR_TLS:
      *code = GST_RESOURCE_ERROR_OPEN_READ;
      break;
    case KLING_ERROR_LOCAL_IO:
      *code = GST_RESOURCE_ERROR_OPEN_WRITE;
      break;
    default:
      *code = GST_RESOURCE_ERROR_FAILED;
      break;
  }
}

static void
post_element_error (GstKlingRender * self, GQuark domain, gint code,
    gchar * message, gchar * details, const gchar * function, gint line)
{
  /* Takes @message and @details. */
  gst_element_message_full (GST_ELEMENT (self), GST_MESSAGE_ERROR, domain,
      code, message, details, __FILE__, function, line);
}

/* Progress ERROR closes a START: only once something was submitted in this run. */
static gboolean
was_submitted (GstKlingRender * self)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  gboolean submitted;

  g_mutex_lock (&priv->lock);
  submitted = priv->run_settings != NULL;
  g_mutex_unlock (&priv->lock);
  return submitted;
}

void
gst_kling_render_post_error (GstKlingRender * self, const GError * error)
{
  GQuark domain = GST_RESOURCE_ERROR;
  gint code = GST_RESOURCE_ERROR_FAILED;
  gchar *message, *details = NULL;

  g_return_if_fail (GST_IS_KLING_RENDER (self));
  g_return_if_fail (error != NULL);

  if (g_error_matches (error, KLING_ERROR, KLING_ERROR_CANCELLED))
    return;

  if (error->domain == KLING_ERROR) {
    kling_error_to_gst (error, &domain, &code);
    message = kling_error_dup_user_message (error);
    details = kling_error_dup_details (error);
  } else {
    message = g_strdup (error->message);
  }
  if (was_submitted (self))
    post_progress (self, GST_PROGRESS_TYPE_ERROR, "kling-task", "%s", message);
  post_element_error (self, domain, code, message, details, GST_FUNCTION,
      __LINE__);
  mark_failed (self);
}

void
gst_kling_render_fail_input (GstKlingRender * self, const gchar * message,
    const gchar * details)
{
  g_return_if_fail (GST_IS_KLING_RENDER (self));

  post_element_error (self, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
      g_strdup (message), g_strdup (details), GST_FUNCTION, __LINE__);
  mark_failed (self);
}

/* ------------------------------------------------------------------------- */
/* What the subclasses' sink sides share                                     */

KlingRequest *
gst_kling_render_new_image2video_request (GstKlingRender * self, GBytes * image,
    const gchar * camera_control_json)
{
  g_autoptr (GstKlingRenderSettings) settings = NULL;
  KlingImage2VideoParams params = { 0, };
  g_autoptr (GError) error = NULL;
  KlingRequest *request;

  g_return_val_if_fail (GST_IS_KLING_RENDER (self), NULL);
  g_return_val_if_fail (image != NULL, NULL);

  settings = gst_kling_render_dup_settings (self);
  if (!kling_models_lookup (settings->model_name, KLING_ENDPOINT_IMAGE2VIDEO))
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
        ("Unknown Kling model \"%s\": sending it anyway.", settings->model_name),
        ("model-name is not in the list of known models; Kling may refuse it"));

  params.model_name = settings->model_name;
  params.mode = (KlingMode) settings->mode;
  params.duration_s = settings->duration_s;
  params.prompt = settings->prompt;
  params.negative_prompt = settings->negative_prompt;
  params.cfg_scale = settings->cfg_scale;
  params.camera_control_json = camera_control_json;
  params.callback_url = settings->callback_url;
  params.image = image;

  request = kling_image2video_request_new (&params, &error);
  if (!request)
    gst_kling_render_post_error (self, error);
  return request;
}

GBytes *
gst_kling_render_buffer_to_bytes (GstBuffer * buffer)
{
  gsize size = gst_buffer_get_size (buffer);
  gpointer data = g_malloc (size);

  gst_buffer_extract (buffer, 0, data, size);
  return g_bytes_new_take (data, size);
}

/* ------------------------------------------------------------------------- */
/* The still (klingimage2video's sink, klinglipsync's image pad)              */

/* gst_video_convert_sample() may take a while on a large frame; it runs on the streaming
 * thread, which is allowed to block on local work, never on the network. */
#define ENCODE_TIMEOUT   (30 * GST_SECOND)
/* Shrink attempts for a raw frame whose JPEG exceeds Kling's 10 MB limit. */
#define MAX_ENCODE_TRIES 4

/* Encodes a raw frame to JPEG at its own size, or smaller when the JPEG would exceed
 * Kling's size limit. Returns NULL with @details set when the frame cannot be encoded. */
static GBytes *
encode_raw_still (GstKlingRender * self, GstBuffer * buffer,
    GstCaps * caps, gchar ** details)
{
  GstVideoInfo info;
  GstSample *sample;
  GBytes *jpeg = NULL;
  gint width, height, attempt;

  if (!gst_video_info_from_caps (&info, caps)) {
    *details = g_strdup_printf ("unusable raw video caps %" GST_PTR_FORMAT, caps);
    return NULL;
  }
  width = GST_VIDEO_INFO_WIDTH (&info);
  height = GST_VIDEO_INFO_HEIGHT (&info);
  sample = gst_sample_new (buffer, caps, NULL, NULL);

  for (attempt = 0; attempt < MAX_ENCODE_TRIES; attempt++) {
    GstCaps *target = gst_caps_new_simple ("image/jpeg",
        "width", G_TYPE_INT, width, "height", G_TYPE_INT, height, NULL);
    GError *error = NULL;
    GstSample *encoded;
    gdouble scale;

    encoded = gst_video_convert_sample (sample, target, ENCODE_TIMEOUT, &error);
    gst_caps_unref (target);
    if (!encoded) {
      *details = g_strdup_printf ("JPEG encoding of a %dx%d frame failed: %s",
          width, height, error ? error->message : "unknown error");
      g_clear_error (&error);
      break;
    }
    g_clear_pointer (&jpeg, g_bytes_unref);
    jpeg = gst_kling_render_buffer_to_bytes (gst_sample_get_buffer (encoded));
    gst_sample_unref (encoded);

    GST_DEBUG_OBJECT (self, "encoded the still at %dx%d: %" G_GSIZE_FORMAT
        " bytes", width, height, g_bytes_get_size (jpeg));
    if (g_bytes_get_size (jpeg) <= KLING_IMAGE_MAX_BYTES)
      break;

    /* JPEG size goes roughly with the pixel count; aim a little under the limit. */
    scale = 0.9 * sqrt ((gdouble) KLING_IMAGE_MAX_BYTES / g_bytes_get_size (jpeg));
    width = MAX (2, (gint) (width * scale) & ~1);
    height = MAX (2, (gint) (height * scale) & ~1);
  }
  gst_sample_unref (sample);
  return jpeg;
}

/* An encoded still must arrive whole in one buffer: a JPEG ends with EOI, a PNG with its
 * IEND chunk. filesrc alone cuts files into 4 KiB blocks: jpegparse/pngparse fix that. */
static gboolean
encoded_still_is_complete (GBytes * image, const gchar * media_type)
{
  static const guint8 jpeg_eoi[] = { 0xff, 0xd9 };
  static const guint8 png_iend[] = { 'I', 'E', 'N', 'D' };
  gsize size;
  const guint8 *data = g_bytes_get_data (image, &size);

  if (g_str_equal (media_type, "image/jpeg"))
    return size >= 4 && memcmp (data + size - 2, jpeg_eoi, 2) == 0;
  /* The IEND chunk: length (0), "IEND", CRC. */
  return size >= 12 && memcmp (data + size - 8, png_iend, 4) == 0;
}

/* "klingimage2video": how the element is named in the messages a person reads. */
static const gchar *
element_label (GstKlingRender * self)
{
  GstElementFactory *factory = gst_element_get_factory (GST_ELEMENT (self));

  return factory ? GST_OBJECT_NAME (factory) : G_OBJECT_TYPE_NAME (self);
}

GBytes *
gst_kling_render_capture_still (GstKlingRender * self, GstPad * pad,
    GstBuffer * buffer)
{
  GstKlingRender *render = self;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  g_autofree gchar *message = NULL;
  g_autoptr (GError) error = NULL;
  gchar *details = NULL;
  const gchar *media_type;
  GBytes *image;

  if (!caps) {
    message = g_strdup_printf ("The image reached %s without caps.",
        element_label (self));
    gst_kling_render_fail_input (render, message,
        "no CAPS event before the first buffer");
    return NULL;
  }

  media_type = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  if (g_str_equal (media_type, "video/x-raw")) {
    image = encode_raw_still (self, buffer, caps, &details);
  } else {
    image = gst_kling_render_buffer_to_bytes (buffer);
    if (!encoded_still_is_complete (image, media_type)) {
      details = g_strdup_printf ("the first %s buffer (%" G_GSIZE_FORMAT
          " bytes) is not a whole image", media_type, g_bytes_get_size (image));
      g_clear_pointer (&image, g_bytes_unref);
      message = g_strdup_printf ("The image reached %s in pieces: put jpegparse or "
          "pngparse before it.", element_label (self));
      gst_kling_render_fail_input (render, message, details);
      g_free (details);
      gst_caps_unref (caps);
      return NULL;
    }
  }
  gst_caps_unref (caps);

  if (!image) {
    gst_kling_render_fail_input (render,
        "Could not encode the image for Kling.", details);
    g_free (details);
    return NULL;
  }

  if (!kling_validate_image (image, "image", &error)) {
    g_autofree gchar *debug = kling_error_dup_details (error);

    message = kling_error_dup_user_message (error);
    gst_kling_render_fail_input (render, message, debug);
    g_bytes_unref (image);
    return NULL;
  }
  return image;
}

gboolean
gst_kling_render_sink_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_CAPS:
    case GST_QUERY_ACCEPT_CAPS:
      return gst_pad_query_default (pad, parent, query);
    default:
      /* The output is not a transformation of the input: answer nothing for it. */
      return FALSE;
  }
}

/* ------------------------------------------------------------------------- */
/* The job: submit and callbacks (the latter on the client's worker thread)   */

static gboolean
job_context_is_current (JobContext * ctx)
{
  GstKlingRenderPrivate *priv = PRIV (ctx->self);
  gboolean current;

  g_mutex_lock (&priv->lock);
  current = ctx->generation == priv->generation && !priv->flushing;
  g_mutex_unlock (&priv->lock);
  return current;
}

static void
job_context_free (gpointer data)
{
  JobContext *ctx = data;

  gst_object_unref (ctx->self);
  g_free (ctx);
}

/* Remembers @text as *@slot; TRUE when it changed (the property must be notified). */
static gboolean
update_id (GstKlingRender * self, gchar ** slot, const gchar * text)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  gboolean changed = FALSE;

  g_mutex_lock (&priv->lock);
  if (text && g_strcmp0 (*slot, text) != 0) {
    g_free (*slot);
    *slot = g_strdup (text);
    changed = TRUE;
  }
  g_mutex_unlock (&priv->lock);
  return changed;
}

static void
job_submitted (KlingJob * job, const KlingTask * task, gpointer user_data)
{
  JobContext *ctx = user_data;
  GstKlingRender *self = ctx->self;

  if (!job_context_is_current (ctx))
    return;

  GST_DEBUG_OBJECT (self, "task %s %s", task->task_id,
      kling_task_status_to_string (task->status));
  if (update_id (self, &PRIV (self)->task_id, task->task_id))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TASK_ID]);
  post_progress (self, GST_PROGRESS_TYPE_CONTINUE, "kling-task",
      "Kling task %s: %s", task->task_id,
      kling_task_status_to_string (task->status));
  post_task_message (self, task, 0.0);
}

static void
job_progress (KlingJob * job, const KlingTask * task, gdouble elapsed_s,
    gpointer user_data)
{
  JobContext *ctx = user_data;
  GstKlingRender *self = ctx->self;

  if (!job_context_is_current (ctx))
    return;

  g_mutex_lock (&PRIV (self)->lock);
  PRIV (self)->elapsed_s = elapsed_s;
  g_mutex_unlock (&PRIV (self)->lock);
  if (update_id (self, &PRIV (self)->task_id, task->task_id))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TASK_ID]);
  post_progress (self, GST_PROGRESS_TYPE_CONTINUE, "kling-task",
      "Kling task %s: %s (%.0f s)", task->task_id,
      kling_task_status_to_string (task->status), elapsed_s);
  post_task_message (self, task, elapsed_s);
}

static void
job_finished (KlingJob * job, const gchar * mp4_path, const KlingTask * task,
    const GError * error, gpointer user_data)
{
  JobContext *ctx = user_data;
  GstKlingRender *self = ctx->self;
  GstKlingRenderClass *klass = GST_KLING_RENDER_GET_CLASS (self);

  if (!job_context_is_current (ctx)) {
    GST_DEBUG_OBJECT (self, "a job of an earlier run finished; ignored");
    return;
  }
  if (g_error_matches (error, KLING_ERROR, KLING_ERROR_CANCELLED)) {
    GST_DEBUG_OBJECT (self, "job cancelled");
    return;
  }

  if (error)
    GST_INFO_OBJECT (self, "job failed: %s", error->message);
  else
    GST_INFO_OBJECT (self, "job done: %s", mp4_path);

  if (klass->job_done (self, mp4_path, task, error))
    return;
  gst_kling_render_default_job_done (self, mp4_path, task, error);
}

static gboolean
gst_kling_render_default_job_done (GstKlingRender * self,
    const gchar * mp4_path, const KlingTask * task, const GError * error)
{
  if (error)
    gst_kling_render_post_error (self, error);
  else
    gst_kling_render_deliver (self, mp4_path, task);
  return TRUE;
}

/* The cache directory the job uses: NULL (no cache) when the property is "". */
static gchar *
resolve_cache_dir (const gchar * property)
{
  if (!property)
    return g_build_filename (g_get_user_cache_dir (), "gst-kling", NULL);
  if (!*property)
    return NULL;
  return g_strdup (property);
}

gboolean
gst_kling_render_submit (GstKlingRender * self, const KlingRequest * request)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  static const KlingJobCallbacks callbacks = {
    .submitted = job_submitted,
    .progress = job_progress,
    .finished = job_finished,
  };
  KlingJobOptions options = { 0, };
  g_autofree gchar *cache_dir = NULL;
  g_autoptr (GstKlingRenderSettings) settings = NULL;
  KlingClient *client = NULL;
  KlingJob *job, *previous_job;
  JobContext *ctx;
  guint generation;

  g_return_val_if_fail (GST_IS_KLING_RENDER (self), FALSE);
  g_return_val_if_fail (request != NULL, FALSE);

  GST_OBJECT_LOCK (self);
  options.poll_interval_s = priv->poll_interval;
  options.timeout_s = priv->timeout;
  cache_dir = resolve_cache_dir (priv->cache_dir);
  GST_OBJECT_UNLOCK (self);
  options.cache_dir = cache_dir;

  settings = gst_kling_render_dup_settings (self);
  g_mutex_lock (&priv->lock);
  if (priv->flushing || !priv->client) {
    g_mutex_unlock (&priv->lock);
    GST_DEBUG_OBJECT (self, "not submitting: shutting down");
    return FALSE;
  }
  client = kling_client_ref (priv->client);
  generation = priv->generation;
  previous_job = g_steal_pointer (&priv->job);
  priv->endpoint = request->endpoint;
  /* A chained job keeps the settings of the first: they describe the clip. */
  if (!priv->run_settings)
    priv->run_settings = g_steal_pointer (&settings);
  g_mutex_unlock (&priv->lock);

  /* A second submit from job_done() chains after a finished job: nothing to cancel then. */
  if (previous_job) {
    kling_job_cancel (previous_job);
    kling_job_unref (previous_job);
  }

  post_progress (self, GST_PROGRESS_TYPE_START, "kling-submit",
      "Submitting a Kling %s task to %s", kling_endpoint_name (request->endpoint),
      kling_client_get_base_url (client));

  ctx = g_new0 (JobContext, 1);
  ctx->self = gst_object_ref (self);
  ctx->generation = generation;
  job = kling_client_start_job (client, request, &options, &callbacks, ctx,
      job_context_free);
  kling_client_unref (client);

  g_mutex_lock (&priv->lock);
  if (generation == priv->generation && !priv->flushing) {
    priv->job = job;
    job = NULL;
  }
  g_mutex_unlock (&priv->lock);

  if (job) {
    /* The element went down while the job started. */
    kling_job_cancel (job);
    kling_job_unref (job);
    return FALSE;
  }
  return TRUE;
}

KlingClient *
gst_kling_render_dup_client (GstKlingRender * self)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  KlingClient *client = NULL;

  g_return_val_if_fail (GST_IS_KLING_RENDER (self), NULL);

  g_mutex_lock (&priv->lock);
  if (priv->client && !priv->flushing)
    client = kling_client_ref (priv->client);
  g_mutex_unlock (&priv->lock);
  return client;
}

void
gst_kling_render_deliver (GstKlingRender * self, const gchar * mp4_path,
    const KlingTask * task)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  gboolean notify_video_id;
  gdouble elapsed_s;

  g_return_if_fail (GST_IS_KLING_RENDER (self));
  g_return_if_fail (mp4_path != NULL);

  notify_video_id = task && update_id (self, &priv->video_id, task->video_id);
  if (task && update_id (self, &priv->task_id, task->task_id))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TASK_ID]);
  if (notify_video_id)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIDEO_ID]);

  g_mutex_lock (&priv->lock);
  elapsed_s = priv->elapsed_s;
  g_mutex_unlock (&priv->lock);
  post_progress (self, GST_PROGRESS_TYPE_COMPLETE, "kling-task",
      "Kling task %s: clip ready (%.0f s)",
      task && task->task_id ? task->task_id : "?", elapsed_s);
  if (task)
    post_task_message (self, task, elapsed_s);

  g_mutex_lock (&priv->lock);
  if (!priv->flushing) {
    g_free (priv->clip_path);
    priv->clip_path = g_strdup (mp4_path);
    g_clear_pointer (&priv->task, kling_task_free);
    priv->task = task ? kling_task_copy (task) : NULL;
    g_cond_broadcast (&priv->cond);
  }
  g_mutex_unlock (&priv->lock);
}

/* ------------------------------------------------------------------------- */
/* The private decoding pipeline                                             */

static OutputStream *
stream_for_type (GstKlingRender * self, GstStreamType type)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  guint i;

  for (i = 0; i < priv->n_streams; i++) {
    OutputStream *stream = &priv->streams[i];

    if ((type & GST_STREAM_TYPE_VIDEO) && stream->is_video)
      return stream;
    if ((type & GST_STREAM_TYPE_AUDIO) && !stream->is_video)
      return stream;
  }
  return NULL;
}

static GstStreamType
decoded_pad_type (GstPad * pad)
{
  GstStream *gst_stream = gst_pad_get_stream (pad);
  GstStreamType type = GST_STREAM_TYPE_UNKNOWN;
  GstCaps *caps;

  if (gst_stream) {
    type = gst_stream_get_stream_type (gst_stream);
    gst_object_unref (gst_stream);
  }
  if (type != GST_STREAM_TYPE_UNKNOWN)
    return type;

  caps = gst_pad_query_caps (pad, NULL);
  if (caps && !gst_caps_is_empty (caps)) {
    const gchar *name = gst_structure_get_name (gst_caps_get_structure (caps, 0));

    if (g_str_has_prefix (name, "video/"))
      type = GST_STREAM_TYPE_VIDEO;
    else if (g_str_has_prefix (name, "audio/"))
      type = GST_STREAM_TYPE_AUDIO;
  }
  gst_clear_caps (&caps);
  return type;
}

/* What downstream of @stream takes, narrowed to raw media: the appsink's caps, so the
 * converters in front of it deliver what downstream wants (format, size, rate). */
static GstCaps *
downstream_raw_caps (OutputStream * stream)
{
  GstCaps *raw = gst_caps_new_empty_simple (stream->is_video ? "video/x-raw" :
      "audio/x-raw");
  GstCaps *wanted = gst_pad_peer_query_caps (stream->pad, raw);

  if (gst_caps_is_empty (wanted)) {
    /* Downstream takes no raw media: the push fails with not-negotiated. */
    gst_caps_unref (wanted);
    return raw;
  }
  gst_caps_unref (raw);
  return wanted;
}

/* Puts the installed converters of @names, then @sink, after @pad in the private
 * pipeline; returns FALSE if the branch could not be linked. */
static gboolean
add_branch (GstKlingRender * self, GstPad * pad, const gchar * const *names,
    GstElement * sink)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  GPtrArray *chain = g_ptr_array_new ();
  GstPad *first_pad;
  gboolean linked = TRUE;
  gint i;

  for (; *names; names++) {
    GstElement *element = gst_element_factory_make (*names, NULL);

    if (element)
      g_ptr_array_add (chain, element);
  }
  g_ptr_array_add (chain, sink);

  for (i = 0; i < (gint) chain->len; i++) {
    gst_bin_add (GST_BIN (priv->decoder), chain->pdata[i]);
    if (i > 0)
      linked &= gst_element_link (chain->pdata[i - 1], chain->pdata[i]);
  }
  /* The sink first, so data never reaches an element still in NULL. */
  for (i = chain->len - 1; i >= 0; i--)
    gst_element_sync_state_with_parent (chain->pdata[i]);

  first_pad = gst_element_get_static_pad (chain->pdata[0], "sink");
  linked &= gst_pad_link (pad, first_pad) == GST_PAD_LINK_OK;
  gst_object_unref (first_pad);
  g_ptr_array_unref (chain);
  return linked;
}

/* decodebin3 exposed a decoded stream: give it converters and an appsink when one of
 * our source pads wants it, otherwise a fakesink (so the private pipeline never stalls
 * on it). Runs on a streaming thread of the private pipeline while the pad task waits. */
static void
decoder_pad_added (GstElement * decodebin, GstPad * pad, GstKlingRender * self)
{
  static const gchar *const video_converters[] = { "videoconvert", "videoscale",
    NULL
  };
  static const gchar *const audio_converters[] = { "audioconvert",
    "audioresample", NULL
  };
  static const gchar *const none[] = { NULL };
  GstKlingRenderPrivate *priv = PRIV (self);
  GstStreamType type = decoded_pad_type (pad);
  OutputStream *stream = stream_for_type (self, type);
  GstElement *sink;

  GST_OBJECT_LOCK (self);
  if (stream && stream->appsink)
    stream = NULL;              /* a second stream of the same kind: dropped */
  GST_OBJECT_UNLOCK (self);

  if (stream) {
    GstCaps *caps = downstream_raw_caps (stream);

    sink = gst_element_factory_make ("appsink", NULL);
    g_object_set (sink, "sync", FALSE, "max-buffers", 4, "caps", caps, NULL);
    GST_DEBUG_OBJECT (self, "decoded pad %s to %s as %" GST_PTR_FORMAT,
        GST_PAD_NAME (pad), GST_PAD_NAME (stream->pad), caps);
    gst_caps_unref (caps);
  } else {
    sink = gst_element_factory_make ("fakesink", NULL);
    g_object_set (sink, "sync", FALSE, NULL);
    GST_DEBUG_OBJECT (self, "decoded pad %s dropped", GST_PAD_NAME (pad));
  }

  if (!add_branch (self, pad, !stream ? none : stream->is_video ?
          video_converters : audio_converters, sink))
    GST_WARNING_OBJECT (self, "could not link decoded pad %s", GST_PAD_NAME (pad));

  if (stream) {
    GST_OBJECT_LOCK (self);
    stream->appsink = sink;
    GST_OBJECT_UNLOCK (self);
  }
  g_mutex_lock (&priv->lock);
  priv->decoder_exposed |= type;
  g_cond_broadcast (&priv->cond);
  g_mutex_unlock (&priv->lock);
}

/* The kinds of stream (video, audio) in a collection. */
static GstStreamType
collection_types (GstStreamCollection * collection)
{
  GstStreamType types = 0;
  guint i;

  for (i = 0; i < gst_stream_collection_get_size (collection); i++)
    types |= gst_stream_get_stream_type (gst_stream_collection_get_stream
        (collection, i)) & (GST_STREAM_TYPE_VIDEO | GST_STREAM_TYPE_AUDIO);
  return types;
}

/* Runs on the private pipeline's threads. The stream collection says which kinds of
 * stream decodebin3 will expose (it may reach PLAYING before exposing any). Only errors
 * are kept on the bus; everything else would pile up unread. A sync handler that
 * returns GST_BUS_DROP owns the message and must unref it. */
static GstBusSyncReply
decoder_bus_filter (GstBus * bus, GstMessage * message, gpointer user_data)
{
  GstKlingRender *self = user_data;
  GstKlingRenderPrivate *priv = PRIV (self);

  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR)
    return GST_BUS_PASS;

  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_STREAM_COLLECTION) {
    GstStreamCollection *collection = NULL;

    gst_message_parse_stream_collection (message, &collection);
    g_mutex_lock (&priv->lock);
    priv->decoder_types = collection_types (collection);
    priv->decoder_types_known = TRUE;
    g_cond_broadcast (&priv->cond);
    g_mutex_unlock (&priv->lock);
    gst_object_unref (collection);
  }
  gst_message_unref (message);
  return GST_BUS_DROP;
}

#define DECODE_FAILED_MESSAGE "Could not decode the clip Kling rendered."

/* An error found while output_lock is held: posted once the lock is released, so that
 * nothing that handles the message synchronously (a bus sync handler querying or
 * seeking the element) finds the lock taken. */
typedef struct
{
  GQuark domain;
  gint code;
  gchar *message;
  gchar *details;
  const gchar *function;
  gint line;
} OutputError;

static void
output_error_set (OutputError * error, GQuark domain, gint code,
    gchar * message, gchar * details, const gchar * function, gint line)
{
  /* Takes @message and @details; the first error wins. */
  if (error->message) {
    g_free (message);
    g_free (details);
    return;
  }
  error->domain = domain;
  error->code = code;
  error->message = message;
  error->details = details;
  error->function = function;
  error->line = line;
}

/* Posts @error, if one was set, and stops the source pads. No lock held. */
static void
output_error_post (GstKlingRender * self, OutputError * error)
{
  if (!error->message)
    return;
  post_element_error (self, error->domain, error->code,
      g_steal_pointer (&error->message), g_steal_pointer (&error->details),
      error->function, error->line);
  mark_failed (self);
}

/* The private pipeline's error, if any, as the details of ours; NULL if none. */
static gchar *
pop_decoder_error (GstElement * decoder)
{
  GstBus *bus = gst_element_get_bus (decoder);
  GstMessage *message = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  GError *error = NULL;
  gchar *debug = NULL;
  gchar *details;

  gst_object_unref (bus);
  if (!message)
    return NULL;

  gst_message_parse_error (message, &error, &debug);
  details = g_strdup_printf ("%s (%s)", error->message, debug ? debug : "");
  g_clear_error (&error);
  g_free (debug);
  gst_message_unref (message);
  return details;
}

/* Records the private pipeline's error (if any) in @error; TRUE if there was one. */
static gboolean
take_decoder_error (GstElement * decoder, OutputError * error)
{
  gchar *details = pop_decoder_error (decoder);

  if (!details)
    return FALSE;
  output_error_set (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
      g_strdup (DECODE_FAILED_MESSAGE), details, GST_FUNCTION, __LINE__);
  return TRUE;
}

static gboolean
is_flushing (GstKlingRender * self)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  gboolean flushing;

  g_mutex_lock (&priv->lock);
  flushing = priv->flushing;
  g_mutex_unlock (&priv->lock);
  return flushing;
}

/* Waits until decodebin3 exposed a pad for each kind of stream in the clip, so every
 * source pad knows whether it has a stream. FALSE when flushing or on @error. */
static gboolean
wait_for_decoded_streams (GstKlingRender * self, GstElement * pipeline,
    OutputError * error)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  gint64 deadline = g_get_monotonic_time () + DECODER_START_TIMEOUT_US;
  gboolean exposed = FALSE, flushing = FALSE;

  while (!exposed && !flushing && g_get_monotonic_time () < deadline) {
    g_mutex_lock (&priv->lock);
    exposed = priv->decoder_types_known
        && (priv->decoder_types & ~priv->decoder_exposed) == 0;
    flushing = priv->flushing;
    if (!exposed && !flushing)
      g_cond_wait_until (&priv->cond, &priv->lock, g_get_monotonic_time () +
          OUTPUT_WAIT / GST_USECOND);
    g_mutex_unlock (&priv->lock);
    if (!exposed && take_decoder_error (pipeline, error))
      return FALSE;
  }
  if (exposed || flushing)
    return exposed;

  output_error_set (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
      g_strdup (DECODE_FAILED_MESSAGE),
      g_strdup ("decodebin3 exposed no decoded stream in time"), GST_FUNCTION,
      __LINE__);
  return FALSE;
}

/* Builds `filesrc ! decodebin3` with sinks added as streams appear, and brings it to
 * PLAYING (its sinks don't sync). Returns FALSE on @error or when flushing.
 * output_lock is held. */
static gboolean
start_decoder (GstKlingRender * self, const gchar * clip_path,
    OutputError * error)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  GstElement *pipeline, *src, *decodebin;
  GstStateChangeReturn ret;
  GstBus *bus;

  pipeline = gst_pipeline_new ("kling-decoder");
  src = gst_element_factory_make ("filesrc", NULL);
  decodebin = gst_element_factory_make ("decodebin3", NULL);
  if (!src || !decodebin) {
    gst_clear_object (&src);
    gst_clear_object (&decodebin);
    gst_object_unref (pipeline);
    output_error_set (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        g_strdup ("filesrc or decodebin3 is missing: install GStreamer's base "
            "plugins."), NULL, GST_FUNCTION, __LINE__);
    return FALSE;
  }
  g_object_set (src, "location", clip_path, NULL);
  gst_bin_add_many (GST_BIN (pipeline), src, decodebin, NULL);
  gst_element_link (src, decodebin);
  g_signal_connect (decodebin, "pad-added", G_CALLBACK (decoder_pad_added),
      self);
  bus = gst_element_get_bus (pipeline);
  gst_bus_set_sync_handler (bus, decoder_bus_filter, self, NULL);
  gst_object_unref (bus);

  priv->decoder = pipeline;
  g_mutex_lock (&priv->lock);
  priv->decoder_types = 0;
  priv->decoder_types_known = FALSE;
  priv->decoder_exposed = 0;
  g_mutex_unlock (&priv->lock);
  GST_DEBUG_OBJECT (self, "decoding %s", clip_path);

  ret = gst_element_set_state (pipeline, GST_STATE_PLAYING);
  /* An element that fails before the sinks preroll leaves the state change ASYNC for
   * good: its error on the private bus is what ends the wait. */
  while (ret == GST_STATE_CHANGE_ASYNC && !is_flushing (self)) {
    if (take_decoder_error (pipeline, error))
      return FALSE;
    ret = gst_element_get_state (pipeline, NULL, NULL, OUTPUT_WAIT);
  }

  if (ret == GST_STATE_CHANGE_FAILURE) {
    if (!take_decoder_error (pipeline, error))
      output_error_set (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
          g_strdup (DECODE_FAILED_MESSAGE),
          g_strdup_printf ("cannot play %s", clip_path), GST_FUNCTION,
          __LINE__);
    return FALSE;
  }
  if (ret == GST_STATE_CHANGE_ASYNC)
    return FALSE;               /* flushing */
  if (!wait_for_decoded_streams (self, pipeline, error))
    return FALSE;

  priv->decoder_ready = TRUE;
  return TRUE;
}

static void
stop_decoder (GstKlingRender * self)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  guint i;

  g_mutex_lock (&priv->output_lock);
  if (priv->decoder) {
    gst_element_set_state (priv->decoder, GST_STATE_NULL);
    gst_clear_object (&priv->decoder);
  }
  priv->decoder_ready = FALSE;
  priv->output = OUTPUT_UNDECIDED;
  gst_segment_init (&priv->segment, GST_FORMAT_TIME);
  priv->segment_seqnum = gst_util_seqnum_next ();
  priv->segment_placed = FALSE;
  priv->pending_seek = FALSE;
  for (i = 0; i < priv->n_streams; i++) {
    OutputStream *stream = &priv->streams[i];

    stream->appsink = NULL;
    gst_clear_caps (&stream->caps);
    stream->need_stream_start = TRUE;
    stream->need_segment = TRUE;
    stream->need_tags = TRUE;
    stream->position = GST_CLOCK_TIME_NONE;
    if (stream->passthrough_file)
      fclose (stream->passthrough_file);
    stream->passthrough_file = NULL;
    stream->passthrough_offset = 0;
  }
  g_mutex_unlock (&priv->output_lock);
}

/* Downstream asked for video/quicktime (and cannot take raw video): pass the MP4. */
static gboolean
downstream_wants_mp4 (GstKlingRender * self)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  GstCaps *peer = gst_pad_peer_query_caps (priv->streams[0].pad, NULL);
  GstCaps *raw = gst_caps_new_empty_simple ("video/x-raw");
  GstCaps *mp4 = gst_caps_new_empty_simple ("video/quicktime");
  gboolean wants;

  wants = !gst_caps_can_intersect (peer, raw) && gst_caps_can_intersect (peer,
      mp4);
  gst_caps_unref (peer);
  gst_caps_unref (raw);
  gst_caps_unref (mp4);
  return wants;
}

/* A seek that came before the clip: the private pipeline starts where it asked, before
 * any sample went out (so nothing to flush downstream). output_lock is held. */
static gboolean
apply_pending_seek (GstKlingRender * self, OutputError * error)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  const GstSegment *segment = &priv->segment;

  GstElement *appsink = priv->streams[0].appsink;
  gint64 deadline = g_get_monotonic_time () + DECODER_START_TIMEOUT_US;
  GstSample *preroll = NULL;

  priv->pending_seek = FALSE;
  GST_DEBUG_OBJECT (self, "starting the clip at %" GST_TIME_FORMAT,
      GST_TIME_ARGS (segment->start));
  /* decodebin3 refuses seeks until data flows: wait for the first frame. */
  while (appsink && !preroll && g_get_monotonic_time () < deadline) {
    if (is_flushing (self))
      return FALSE;
    preroll = gst_app_sink_try_pull_preroll (GST_APP_SINK (appsink),
        OUTPUT_WAIT);
  }
  if (preroll)
    gst_sample_unref (preroll);
  if (gst_element_seek (priv->decoder, segment->rate, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE, GST_SEEK_TYPE_SET,
          segment->start, GST_CLOCK_TIME_IS_VALID (segment->stop) ?
          GST_SEEK_TYPE_SET : GST_SEEK_TYPE_NONE, segment->stop))
    return TRUE;

  output_error_set (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
      g_strdup ("Could not seek in the clip Kling rendered."),
      g_strdup_printf ("seek to %" GST_TIME_FORMAT " failed",
          GST_TIME_ARGS (segment->start)), GST_FUNCTION, __LINE__);
  return FALSE;
}

/* Decides once per run how the clip leaves (decode or pass through) and sets that up.
 * FALSE when the pad task must pause (error posted, or flushing). */
static gboolean
ensure_output (GstKlingRender * self, const gchar * clip_path)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  OutputError error = { 0, };
  gboolean ok = TRUE;

  g_mutex_lock (&priv->output_lock);
  if (priv->output == OUTPUT_UNDECIDED) {
    priv->output = downstream_wants_mp4 (self) ? OUTPUT_PASSTHROUGH :
        OUTPUT_DECODE;
    GST_INFO_OBJECT (self, "output: %s", priv->output == OUTPUT_PASSTHROUGH ?
        "MP4 passthrough" : "decoded");
  }
  if (priv->output == OUTPUT_DECODE && !priv->decoder_ready) {
    if (priv->decoder) {
      /* An earlier attempt was interrupted by a flush: start over. */
      gst_element_set_state (priv->decoder, GST_STATE_NULL);
      gst_clear_object (&priv->decoder);
      priv->streams[0].appsink = NULL;
      if (priv->n_streams > 1)
        priv->streams[1].appsink = NULL;
    }
    ok = start_decoder (self, clip_path, &error);
    if (ok && priv->pending_seek)
      ok = apply_pending_seek (self, &error);
  }
  g_mutex_unlock (&priv->output_lock);
  output_error_post (self, &error);
  return ok;
}

/* ------------------------------------------------------------------------- */
/* The source pad tasks                                                      */

static GstTagList *
build_tags (GstKlingRender * self)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  GstKlingRenderClass *klass = GST_KLING_RENDER_GET_CLASS (self);
  GstTagList *tags = gst_tag_list_new_empty ();
  GString *comment = g_string_new ("Rendered by Kling");

  g_mutex_lock (&priv->lock);
  g_string_append_printf (comment, " %s", kling_endpoint_name (priv->endpoint));
  if (priv->run_settings) {
    const GstKlingRenderSettings *s = priv->run_settings;
    const gchar *mode = kling_mode_to_string ((KlingMode) s->mode);

    gst_tag_list_add (tags, GST_TAG_MERGE_REPLACE,
        GST_KLING_TAG_MODEL, s->model_name, GST_KLING_TAG_MODE, mode, NULL);
    if (s->prompt)
      gst_tag_list_add (tags, GST_TAG_MERGE_REPLACE, GST_TAG_DESCRIPTION,
          s->prompt, NULL);
    g_string_append_printf (comment, ", model %s, mode %s", s->model_name,
        mode);
  }
  if (priv->task_id) {
    gst_tag_list_add (tags, GST_TAG_MERGE_REPLACE, GST_KLING_TAG_TASK_ID,
        priv->task_id, NULL);
    g_string_append_printf (comment, ", task %s", priv->task_id);
  }
  if (priv->video_id) {
    gst_tag_list_add (tags, GST_TAG_MERGE_REPLACE, GST_KLING_TAG_VIDEO_ID,
        priv->video_id, NULL);
    g_string_append_printf (comment, ", video %s", priv->video_id);
  }
  g_mutex_unlock (&priv->lock);

  gst_tag_list_add (tags, GST_TAG_MERGE_REPLACE, GST_TAG_COMMENT, comment->str,
      NULL);
  g_string_free (comment, TRUE);
  if (klass->add_tags)
    klass->add_tags (self, tags);
  gst_tag_list_set_scope (tags, GST_TAG_SCOPE_GLOBAL);
  return tags;
}

/* Where "now" is on the pipeline's timeline. The clip arrives minutes after the input:
 * in a pipeline already PLAYING (a live input, sinks that do not preroll) its frames
 * must play from now, not from running time 0, or every one of them is late. In PAUSED
 * (the usual preroll) it is 0, and the pipeline's clock starts with the clip. */
static GstClockTime
current_running_time (GstKlingRender * self)
{
  GstClock *clock;
  GstClockTime now, base_time, running_time = 0;
  gboolean playing;

  GST_OBJECT_LOCK (self);
  playing = GST_STATE (self) == GST_STATE_PLAYING;
  base_time = GST_ELEMENT_CAST (self)->base_time;
  clock = GST_ELEMENT_CLOCK (self) ? gst_object_ref (GST_ELEMENT_CLOCK (self)) : NULL;
  GST_OBJECT_UNLOCK (self);

  if (playing && clock) {
    now = gst_clock_get_time (clock);
    if (GST_CLOCK_TIME_IS_VALID (now) && now > base_time)
      running_time = now - base_time;
  }
  gst_clear_object (&clock);
  GST_DEBUG_OBJECT (self, "the clip starts at running time %" GST_TIME_FORMAT,
      GST_TIME_ARGS (running_time));
  return running_time;
}

/* Pushes stream-start (once), caps (when they change), segment and tags before data. */
static void
push_sticky_events (OutputStream * stream, GstCaps * caps, GstFormat format)
{
  GstKlingRender *self = stream->self;
  GstKlingRenderPrivate *priv = PRIV (self);
  GstEvent *event;

  if (stream->need_stream_start) {
    /* Not gst_pad_create_stream_id(): the clip does not derive from the input, and
     * with two sink pads (klinglipsync's audio and image) it asserts. */
    gchar *id = g_strdup_printf ("%08x%08x%08x%08x/%s", g_random_int (),
        g_random_int (), g_random_int (), g_random_int (),
        stream->is_video ? "video" : "audio");

    event = gst_event_new_stream_start (id);
    gst_event_set_group_id (event, gst_util_group_id_next ());
    gst_pad_push_event (stream->pad, event);
    g_free (id);
    stream->need_stream_start = FALSE;
  }
  if (caps && (!stream->caps || !gst_caps_is_equal (caps, stream->caps))) {
    gst_caps_replace (&stream->caps, caps);
    gst_pad_push_event (stream->pad, gst_event_new_caps (caps));
  }
  /* A stream that ends without data gets stream-start and EOS only: segment and tags
   * before caps would break the sticky event order. */
  if (!stream->caps)
    return;
  if (stream->need_segment) {
    GstSegment segment;

    g_mutex_lock (&priv->output_lock);
    if (!priv->segment_placed) {
      priv->segment.base = current_running_time (self);
      priv->segment_placed = TRUE;
    }
    if (format == GST_FORMAT_TIME)
      segment = priv->segment;
    else
      gst_segment_init (&segment, format);
    event = gst_event_new_segment (&segment);
    gst_event_set_seqnum (event, priv->segment_seqnum);
    g_mutex_unlock (&priv->output_lock);
    gst_pad_push_event (stream->pad, event);
    stream->need_segment = FALSE;
  }
  if (stream->need_tags) {
    gst_pad_push_event (stream->pad, gst_event_new_tag (build_tags (self)));
    stream->need_tags = FALSE;
  }
}

/* A flow return that ends the stream: sources push EOS after an error too. */
static void
handle_flow_return (OutputStream * stream, GstFlowReturn ret)
{
  GstKlingRender *self = stream->self;

  if (ret == GST_FLOW_OK)
    return;
  if (ret == GST_FLOW_NOT_LINKED && !stream->is_video)
    return;                     /* an unlinked audio_src drops its samples */

  GST_DEBUG_OBJECT (stream->pad, "pausing: %s", gst_flow_get_name (ret));
  gst_pad_pause_task (stream->pad);
  if (ret == GST_FLOW_FLUSHING)
    return;
  /* Downstream wants no more (EOS) or failed: either way the stream ends here. */
  if (ret == GST_FLOW_NOT_LINKED || ret < GST_FLOW_EOS)
    GST_ELEMENT_FLOW_ERROR (self, ret);
  gst_pad_push_event (stream->pad, gst_event_new_eos ());
}

static void
push_eos (OutputStream * stream)
{
  GstEvent *event = gst_event_new_eos ();

  gst_event_set_seqnum (event, PRIV (stream->self)->segment_seqnum);
  gst_pad_push_event (stream->pad, event);
  gst_pad_pause_task (stream->pad);
}

static void
push_passthrough_chunk (OutputStream * stream, const gchar * clip_path)
{
  GstKlingRender *self = stream->self;
  GstBuffer *buffer;
  GstMapInfo map;
  GstCaps *caps;
  gsize n;

  if (!stream->is_video) {
    /* No decoded audio in passthrough: the MP4 on "src" carries it. */
    push_sticky_events (stream, NULL, GST_FORMAT_TIME);
    push_eos (stream);
    return;
  }
  if (!stream->passthrough_file) {
    stream->passthrough_file = fopen (clip_path, "rb");
    if (!stream->passthrough_file) {
      post_element_error (self, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
          g_strdup ("Could not read the clip Kling rendered."),
          g_strdup_printf ("%s: %s", clip_path, g_strerror (errno)),
          GST_FUNCTION, __LINE__);
      mark_failed (self);
      gst_pad_pause_task (stream->pad);
      return;
    }
  }

  caps = gst_caps_new_simple ("video/quicktime", "variant", G_TYPE_STRING,
      "iso", NULL);
  push_sticky_events (stream, caps, GST_FORMAT_BYTES);
  gst_caps_unref (caps);

  buffer = gst_buffer_new_allocate (NULL, PASSTHROUGH_CHUNK, NULL);
  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  n = fread (map.data, 1, PASSTHROUGH_CHUNK, stream->passthrough_file);
  gst_buffer_unmap (buffer, &map);
  if (n == 0) {
    gst_buffer_unref (buffer);
    push_eos (stream);
    return;
  }
  gst_buffer_set_size (buffer, n);
  GST_BUFFER_OFFSET (buffer) = stream->passthrough_offset;
  stream->passthrough_offset += n;
  GST_BUFFER_OFFSET_END (buffer) = stream->passthrough_offset;
  handle_flow_return (stream, gst_pad_push (stream->pad, buffer));
}

/* The buffer of @sample with its timestamps in stream time (the clip starts at 0),
 * or NULL when it lies outside the private pipeline's segment. */
static GstBuffer *
rebased_buffer (GstSample * sample)
{
  GstBuffer *buffer = gst_sample_get_buffer (sample);
  const GstSegment *segment = gst_sample_get_segment (sample);
  GstClockTime pts = GST_BUFFER_PTS (buffer);

  if (GST_CLOCK_TIME_IS_VALID (pts) && segment
      && segment->format == GST_FORMAT_TIME) {
    pts = gst_segment_to_stream_time (segment, GST_FORMAT_TIME, pts);
    if (!GST_CLOCK_TIME_IS_VALID (pts))
      return NULL;
  }
  buffer = gst_buffer_make_writable (gst_buffer_ref (buffer));
  GST_BUFFER_PTS (buffer) = pts;
  GST_BUFFER_DTS (buffer) = GST_CLOCK_TIME_NONE;
  return buffer;
}

static void
push_decoded_sample (OutputStream * stream)
{
  GstKlingRender *self = stream->self;
  GstSample *sample;
  GstBuffer *buffer;

  if (!stream->appsink) {
    /* The clip has no stream for this pad. */
    push_sticky_events (stream, NULL, GST_FORMAT_TIME);
    push_eos (stream);
    return;
  }

  sample = gst_app_sink_try_pull_sample (GST_APP_SINK (stream->appsink),
      OUTPUT_WAIT);
  if (!sample) {
    if (gst_app_sink_is_eos (GST_APP_SINK (stream->appsink))) {
      GST_DEBUG_OBJECT (stream->pad, "clip finished");
      push_sticky_events (stream, NULL, GST_FORMAT_TIME);
      push_eos (stream);
    } else {
      OutputError error = { 0, };

      if (take_decoder_error (PRIV (self)->decoder, &error)) {
        output_error_post (self, &error);
        gst_pad_pause_task (stream->pad);
      }
    }
    return;
  }

  push_sticky_events (stream, gst_sample_get_caps (sample), GST_FORMAT_TIME);
  buffer = rebased_buffer (sample);
  gst_sample_unref (sample);
  if (!buffer)
    return;

  if (GST_BUFFER_PTS_IS_VALID (buffer))
    stream->position = GST_BUFFER_PTS (buffer) +
        (GST_BUFFER_DURATION_IS_VALID (buffer) ? GST_BUFFER_DURATION (buffer) : 0);
  handle_flow_return (stream, gst_pad_push (stream->pad, buffer));
}

/* Waits for the clip (or an error, or a shutdown). Returns the clip path or NULL. */
static gchar *
wait_for_clip (GstKlingRender * self)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  gchar *clip_path = NULL;

  g_mutex_lock (&priv->lock);
  while (!priv->flushing && !priv->failed && !priv->clip_path)
    g_cond_wait (&priv->cond, &priv->lock);
  if (!priv->flushing && !priv->failed)
    clip_path = g_strdup (priv->clip_path);
  g_mutex_unlock (&priv->lock);
  return clip_path;
}

static void
gst_kling_render_src_loop (gpointer user_data)
{
  OutputStream *stream = user_data;
  GstKlingRender *self = stream->self;
  GstKlingRenderPrivate *priv = PRIV (self);
  gchar *clip_path = wait_for_clip (self);
  OutputKind output;

  if (!clip_path || !ensure_output (self, clip_path)) {
    GST_DEBUG_OBJECT (stream->pad, "pausing: no clip");
    gst_pad_pause_task (stream->pad);
    g_free (clip_path);
    return;
  }

  g_mutex_lock (&priv->output_lock);
  output = priv->output;
  g_mutex_unlock (&priv->output_lock);

  if (output == OUTPUT_PASSTHROUGH)
    push_passthrough_chunk (stream, clip_path);
  else
    push_decoded_sample (stream);
  g_free (clip_path);
}

static gboolean
gst_kling_render_src_activate_mode (GstPad * pad, GstObject * parent,
    GstPadMode mode, gboolean active)
{
  OutputStream *stream = gst_pad_get_element_private (pad);

  if (mode != GST_PAD_MODE_PUSH)
    return FALSE;
  if (active)
    return gst_pad_start_task (pad, gst_kling_render_src_loop, stream, NULL);
  return gst_pad_stop_task (pad);
}

/* ------------------------------------------------------------------------- */
/* Seeking and queries                                                       */

static void
push_event_to_all (GstKlingRender * self, GstEvent * event)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  guint i;

  for (i = 0; i < priv->n_streams; i++)
    gst_pad_push_event (priv->streams[i].pad, gst_event_ref (event));
  gst_event_unref (event);
}

/* Flushing seeks in time, once the clip is decoding: the private pipeline seeks and the
 * source pads restart from the new segment. Other seeks are refused. */
static gboolean
handle_seek (GstKlingRender * self, GstEvent * event)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  gdouble rate;
  GstFormat format;
  GstSeekFlags flags;
  GstSeekType start_type, stop_type;
  gint64 start, stop;
  guint32 seqnum = gst_event_get_seqnum (event);
  GstEvent *flush_start, *flush_stop;
  gboolean ok, ready, done;
  guint i;

  gst_event_parse_seek (event, &rate, &format, &flags, &start_type, &start,
      &stop_type, &stop);
  /* Segment seeks would end in SEGMENT_DONE, which the private pipeline keeps. */
  if (format != GST_FORMAT_TIME || !(flags & GST_SEEK_FLAG_FLUSH)
      || (flags & GST_SEEK_FLAG_SEGMENT) || rate <= 0) {
    GST_DEBUG_OBJECT (self, "refusing seek: only forward flushing time seeks, "
        "not segment seeks");
    return FALSE;
  }

  g_mutex_lock (&priv->output_lock);
  ready = priv->output == OUTPUT_DECODE && priv->decoder_ready;
  done = seqnum == priv->segment_seqnum;
  if (!done && !ready && priv->output != OUTPUT_PASSTHROUGH) {
    /* Nothing went out yet: the clip will start there. */
    gst_segment_do_seek (&priv->segment, rate, format, flags, start_type,
        start, stop_type, stop, NULL);
    priv->segment_seqnum = seqnum;
    priv->pending_seek = TRUE;
    g_mutex_unlock (&priv->output_lock);
    GST_DEBUG_OBJECT (self, "the clip will start at %" GST_TIME_FORMAT,
        GST_TIME_ARGS (start));
    return TRUE;
  }
  g_mutex_unlock (&priv->output_lock);
  if (done) {
    /* A pipeline seek reaches each source pad: the first one did the work. */
    GST_DEBUG_OBJECT (self, "seek %u already handled", seqnum);
    return TRUE;
  }
  if (!ready) {
    GST_DEBUG_OBJECT (self, "refusing seek: the MP4 passes through");
    return FALSE;
  }

  GST_DEBUG_OBJECT (self, "seek to %" GST_TIME_FORMAT, GST_TIME_ARGS (start));
  flush_start = gst_event_new_flush_start ();
  gst_event_set_seqnum (flush_start, seqnum);
  push_event_to_all (self, flush_start);
  for (i = 0; i < priv->n_streams; i++)
    gst_pad_pause_task (priv->streams[i].pad);

  g_mutex_lock (&priv->output_lock);
  ok = gst_element_seek (priv->decoder, rate, GST_FORMAT_TIME,
      flags | GST_SEEK_FLAG_FLUSH, start_type, start, stop_type, stop);
  if (ok) {
    gst_segment_do_seek (&priv->segment, rate, format, flags, start_type,
        start, stop_type, stop, NULL);
    priv->segment_seqnum = seqnum;
  }
  for (i = 0; i < priv->n_streams; i++) {
    priv->streams[i].need_segment = TRUE;
    priv->streams[i].position = GST_CLOCK_TIME_NONE;
  }
  g_mutex_unlock (&priv->output_lock);

  flush_stop = gst_event_new_flush_stop (TRUE);
  gst_event_set_seqnum (flush_stop, seqnum);
  push_event_to_all (self, flush_stop);

  /* Not on a pad a concurrent state change has just deactivated. */
  for (i = 0; i < priv->n_streams; i++)
    if (gst_pad_is_active (priv->streams[i].pad))
      gst_pad_start_task (priv->streams[i].pad, gst_kling_render_src_loop,
          &priv->streams[i], NULL);
  return ok;
}

static gboolean
gst_kling_render_src_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstKlingRender *self = GST_KLING_RENDER (parent);
  gboolean ret;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_SEEK:
      ret = handle_seek (self, event);
      break;
    case GST_EVENT_RECONFIGURE:
      ret = TRUE;
      break;
    default:
      /* Upstream of this element is the input, not the clip: nothing to forward. */
      ret = FALSE;
      break;
  }
  gst_event_unref (event);
  return ret;
}

static gboolean
query_duration (GstKlingRender * self, gint64 * duration)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  gboolean ok = FALSE;

  g_mutex_lock (&priv->output_lock);
  if (priv->decoder_ready)
    ok = gst_element_query_duration (priv->decoder, GST_FORMAT_TIME, duration);
  g_mutex_unlock (&priv->output_lock);
  if (ok)
    return TRUE;

  g_mutex_lock (&priv->lock);
  if (priv->task && priv->task->video_duration_s > 0) {
    *duration = priv->task->video_duration_s * GST_SECOND;
    ok = TRUE;
  }
  g_mutex_unlock (&priv->lock);
  return ok;
}

/* The MP4's size, for BYTES queries in passthrough. */
static gboolean
query_clip_size (GstKlingRender * self, gint64 * size)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  gchar *clip_path;
  GStatBuf info;
  gboolean ok;

  g_mutex_lock (&priv->lock);
  clip_path = g_strdup (priv->clip_path);
  g_mutex_unlock (&priv->lock);
  ok = clip_path && g_stat (clip_path, &info) == 0;
  if (ok)
    *size = info.st_size;
  g_free (clip_path);
  return ok;
}

static gboolean
is_passthrough (GstKlingRender * self)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  gboolean passthrough;

  g_mutex_lock (&priv->output_lock);
  passthrough = priv->output == OUTPUT_PASSTHROUGH;
  g_mutex_unlock (&priv->output_lock);
  return passthrough;
}

static gboolean
gst_kling_render_src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstKlingRender *self = GST_KLING_RENDER (parent);
  GstKlingRenderPrivate *priv = PRIV (self);
  OutputStream *stream = gst_pad_get_element_private (pad);
  GstFormat format;
  gint64 duration;

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_POSITION:
      gst_query_parse_position (query, &format, NULL);
      if (format == GST_FORMAT_BYTES && stream->is_video
          && is_passthrough (self)) {
        gst_query_set_position (query, format, stream->passthrough_offset);
        return TRUE;
      }
      if (format != GST_FORMAT_TIME
          || !GST_CLOCK_TIME_IS_VALID (stream->position))
        return FALSE;
      gst_query_set_position (query, format, stream->position);
      return TRUE;
    case GST_QUERY_DURATION:
      gst_query_parse_duration (query, &format, NULL);
      if (format == GST_FORMAT_BYTES && stream->is_video
          && is_passthrough (self) && query_clip_size (self, &duration)) {
        gst_query_set_duration (query, format, duration);
        return TRUE;
      }
      if (format != GST_FORMAT_TIME || !query_duration (self, &duration))
        return FALSE;
      gst_query_set_duration (query, format, duration);
      return TRUE;
    case GST_QUERY_SEEKING:{
      gboolean seekable;

      gst_query_parse_seeking (query, &format, NULL, NULL, NULL);
      g_mutex_lock (&priv->output_lock);
      seekable = format == GST_FORMAT_TIME && priv->output == OUTPUT_DECODE
          && priv->decoder_ready;
      g_mutex_unlock (&priv->output_lock);
      duration = -1;
      if (seekable)
        query_duration (self, &duration);
      gst_query_set_seeking (query, format, seekable, 0, duration);
      return TRUE;
    }
    case GST_QUERY_LATENCY:
      /* Not live: the clip comes when it comes, then as fast as downstream takes it. */
      gst_query_set_latency (query, FALSE, 0, GST_CLOCK_TIME_NONE);
      return TRUE;
    case GST_QUERY_SCHEDULING:
      gst_query_set_scheduling (query, GST_SCHEDULING_FLAG_SEQUENTIAL, 1, -1, 0);
      gst_query_add_scheduling_mode (query, GST_PAD_MODE_PUSH);
      return TRUE;
    case GST_QUERY_CAPS:
    case GST_QUERY_ACCEPT_CAPS:
      return gst_pad_query_default (pad, parent, query);
    default:
      return FALSE;
  }
}

/* ------------------------------------------------------------------------- */
/* State changes                                                             */

static gboolean
start_run (GstKlingRender * self)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  g_autoptr (GError) error = NULL;
  KlingAuth *auth;
  KlingClient *client = NULL;
  g_autofree gchar *api_url = NULL;

  GST_OBJECT_LOCK (self);
  api_url = dup_non_empty (priv->api_url);
  auth = kling_auth_new_from_settings (priv->access_key, priv->secret_key,
      priv->api_key, (KlingAuthHeader) priv->auth_header, &error);
  GST_OBJECT_UNLOCK (self);

  if (auth)
    client = kling_client_acquire (api_url, auth, &error);
  if (!client) {
    gst_kling_render_post_error (self, error);
    return FALSE;
  }

  stop_decoder (self);
  g_mutex_lock (&priv->lock);
  priv->client = client;
  priv->generation++;
  priv->flushing = FALSE;
  priv->failed = FALSE;
  g_clear_pointer (&priv->clip_path, g_free);
  g_clear_pointer (&priv->task, kling_task_free);
  g_clear_pointer (&priv->task_id, g_free);
  g_clear_pointer (&priv->video_id, g_free);
  g_clear_pointer (&priv->run_settings, gst_kling_render_settings_free);
  priv->elapsed_s = 0.0;
  g_mutex_unlock (&priv->lock);
  return TRUE;
}

/* Makes every waiter leave and cancels the job; does not wait for the worker. */
static void
begin_shutdown (GstKlingRender * self)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  KlingJob *job;
  gboolean clip_ready;

  g_mutex_lock (&priv->lock);
  priv->flushing = TRUE;
  priv->generation++;
  job = g_steal_pointer (&priv->job);
  clip_ready = priv->clip_path != NULL || priv->failed;
  g_cond_broadcast (&priv->cond);
  g_mutex_unlock (&priv->lock);

  if (job) {
    if (!clip_ready)
      post_progress (self, GST_PROGRESS_TYPE_CANCELED, "kling-task",
          "Kling render cancelled");
    kling_job_cancel (job);
    kling_job_unref (job);
  }
}

static void
finish_shutdown (GstKlingRender * self)
{
  GstKlingRenderPrivate *priv = PRIV (self);
  GstKlingRenderClass *klass = GST_KLING_RENDER_GET_CLASS (self);
  KlingClient *client;

  stop_decoder (self);

  g_mutex_lock (&priv->lock);
  client = g_steal_pointer (&priv->client);
  g_mutex_unlock (&priv->lock);
  /* The last reference joins the client's worker: never with a lock held. */
  if (client)
    kling_client_unref (client);

  if (klass->reset)
    klass->reset (self);
}

static GstStateChangeReturn
gst_kling_render_change_state (GstElement * element, GstStateChange transition)
{
  GstKlingRender *self = GST_KLING_RENDER (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (!start_run (self))
        return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      begin_shutdown (self);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (gst_kling_render_parent_class)->change_state
      (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      finish_shutdown (self);
      break;
    default:
      break;
  }
  return ret;
}
