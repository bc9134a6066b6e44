/* gst-kling: the properties every Kling element shares.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstklingproperties.h"
#include "kling-models.h"
#include "kling-requests.h"

#define DEFAULT_AUTH_HEADER     GST_KLING_AUTH_HEADER_BEARER
#define DEFAULT_MODE            GST_KLING_MODE_STD
#define DEFAULT_DURATION        5
#define MIN_DURATION            3       /* the widest range a model renders; the table */
#define MAX_DURATION            15      /* says which lengths each model takes */
#define DEFAULT_SOUND           FALSE
#define DEFAULT_CFG_SCALE       0.5
#define DEFAULT_POLL_INTERVAL   5.0
#define DEFAULT_TIMEOUT         1800.0
#define MIN_POLL_INTERVAL       0.01

static GParamSpec *
string_pspec (const gchar * name, const gchar * nick, const gchar * blurb,
    const gchar * default_value, GParamFlags flags)
{
  return g_param_spec_string (name, nick, blurb, default_value,
      flags | G_PARAM_STATIC_STRINGS);
}

/* The cache and the account's cap. */
static void
make_cache_pspecs (GParamSpec ** pspecs)
{
  const GParamFlags rw = G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
      G_PARAM_STATIC_STRINGS;

  /**
   * GstKlingRender:cache-mode:
   *
   * What the element does with the cache under #GstKlingRender:cache-dir: `use` plays a
   * cached clip of the same request (no request, no charge) or renders and keeps the
   * clip; `refresh` renders again and replaces the cached clip (a task of the same
   * request already in flight is still followed, not paid twice); `off` keeps no cache
   * and no journal, as `cache-dir=""` does, but can be typed in a shell.
   *
   * Default: `use`.
   *
   * Since: 0.2
   */
  pspecs[GST_KLING_PROP_CACHE_MODE] = g_param_spec_enum ("cache-mode",
      "Cache mode", "use: play a cached clip of the same request; refresh: "
      "render again and replace it; off: no cache, no resume",
      GST_TYPE_KLING_CACHE_MODE, GST_KLING_CACHE_MODE_USE, rw);
  /**
   * GstKlingRender:max-parallel:
   *
   * How many renders of this account (API URL and credentials) may run at once in this
   * process, across every element; a render beyond that waits (and says so in a
   * progress message) until one ends. 0 = no local cap (Kling's own limit still holds).
   *
   * Default: 0.
   *
   * Since: 0.2
   */
  pspecs[GST_KLING_PROP_MAX_PARALLEL] = g_param_spec_uint ("max-parallel",
      "Max parallel", "Renders of this account running at once in this "
      "process; 0 = no local cap", 0, G_MAXUINT, 0, rw);
}

void
gst_kling_properties_make_pspecs (GParamSpec ** pspecs)
{
  const GParamFlags rw = G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY;
  const GParamFlags wo = G_PARAM_WRITABLE | GST_PARAM_MUTABLE_READY;

  /**
   * GstKlingRender:api-url:
   *
   * The base URL of the Kling API. A URL ending in `/v1` names the same server. The
   * KLING_API_URL environment variable, when set, replaces the default; a kling:// URI
   * cannot set it.
   *
   * Default: `https://api-singapore.klingai.com`.
   *
   * Since: 0.1
   */
  pspecs[GST_KLING_PROP_API_URL] = string_pspec ("api-url", "API URL",
      "Base URL of the Kling API (the KLING_API_URL environment variable "
      "replaces the default)", KLING_DEFAULT_API_URL, rw);
  /**
   * GstKlingRender:access-key:
   *
   * The access key of a Kling account, the issuer of the JWT signed with
   * #GstKlingRender:secret-key. Write-only. Prefer the KLING_ACCESS_KEY environment
   * variable, which is read when the property is not set: a key on a gst-launch-1.0
   * line shows in `ps`.
   *
   * Default: NULL (KLING_ACCESS_KEY).
   *
   * Since: 0.1
   */
  pspecs[GST_KLING_PROP_ACCESS_KEY] = string_pspec ("access-key",
      "Access key", "Kling access key for JWT authentication (write-only; "
      "default: the KLING_ACCESS_KEY environment variable)", NULL, wo);
  /**
   * GstKlingRender:secret-key:
   *
   * The secret key that signs the JWT (HS256) of #GstKlingRender:access-key. Write-only;
   * never logged. Read from KLING_SECRET_KEY when not set.
   *
   * Default: NULL (KLING_SECRET_KEY).
   *
   * Since: 0.1
   */
  pspecs[GST_KLING_PROP_SECRET_KEY] = string_pspec ("secret-key",
      "Secret key", "Kling secret key that signs the JWT (write-only; "
      "default: the KLING_SECRET_KEY environment variable)", NULL, wo);
  /**
   * GstKlingRender:api-key:
   *
   * A static API key (a reseller's, or the per-model API's), sent as
   * #GstKlingRender:auth-header says, instead of a JWT. Write-only; never logged. Read
   * from KLING_API_KEY when not set.
   *
   * Default: NULL (KLING_API_KEY).
   *
   * Since: 0.1
   */
  pspecs[GST_KLING_PROP_API_KEY] = string_pspec ("api-key", "API key",
      "Static API key of a reseller, used instead of access-key/secret-key "
      "(write-only; default: the KLING_API_KEY environment variable)", NULL,
      wo);
  /**
   * GstKlingRender:auth-header:
   *
   * How #GstKlingRender:api-key is sent: `Authorization: Bearer KEY` or `X-API-Key: KEY`.
   * A JWT always goes as Bearer.
   *
   * Default: `bearer`.
   *
   * Since: 0.1
   */
  pspecs[GST_KLING_PROP_AUTH_HEADER] = g_param_spec_enum ("auth-header",
      "Auth header", "How a static api-key is sent (JWTs always go as Bearer)",
      GST_TYPE_KLING_AUTH_HEADER, DEFAULT_AUTH_HEADER,
      rw | G_PARAM_STATIC_STRINGS);
  /**
   * GstKlingRender:model-name:
   *
   * The Kling model that renders. Its description in gst-inspect-1.0 lists the models
   * served and retired, from the model table; a retired one is refused before any
   * request, and an unknown one is sent with a warning (Kling adds models).
   *
   * Default: the newest model of the table (`KLING_DEFAULT_MODEL`).
   *
   * Since: 0.1
   */
  pspecs[GST_KLING_PROP_MODEL_NAME] = string_pspec ("model-name",
      "Model name", kling_models_blurb (KLING_ENDPOINT_IMAGE2VIDEO),
      KLING_DEFAULT_MODEL, rw);
  /**
   * GstKlingRender:mode:
   *
   * std (720p), pro (1080p) or 4k (2160p). A mode the model does not render is refused
   * before any request, with the reason, from the model table.
   *
   * Default: `std`.
   *
   * Since: 0.1 (4k: 0.2)
   */
  pspecs[GST_KLING_PROP_MODE] = g_param_spec_enum ("mode", "Mode",
      "Render mode: std (720p), pro (1080p) or 4k (2160p, refused before any "
      "request where the model does not render it)", GST_TYPE_KLING_MODE,
      DEFAULT_MODE, rw | G_PARAM_STATIC_STRINGS);
  /**
   * GstKlingRender:duration:
   *
   * The clip length in seconds, 3 to 15. Which lengths a model renders comes from the
   * model table (the newest models: any of 3 to 15; older ones: 5 or 10); another one is
   * refused before any request. In 0.1 this was an enum of 5 and 10: the same values
   * still work (`duration=5` on a gst-launch-1.0 line, an int from Python).
   *
   * Default: 5.
   *
   * Since: 0.1 (a guint since 0.2)
   */
  pspecs[GST_KLING_PROP_DURATION] = g_param_spec_uint ("duration", "Duration",
      "Length of the clip in seconds (the model table says which lengths each "
      "model renders; another one is refused before any request)", MIN_DURATION,
      MAX_DURATION, DEFAULT_DURATION, rw | G_PARAM_STATIC_STRINGS);
  /**
   * GstKlingRender:prompt:
   *
   * What should happen in the clip, at most 2500 characters. Required by the models
   * the table marks so (klingtext2video always needs one): without it nothing is sent.
   *
   * Default: NULL.
   *
   * Since: 0.1
   */
  pspecs[GST_KLING_PROP_PROMPT] = string_pspec ("prompt", "Prompt",
      "What should happen in the clip (at most 2500 characters)", NULL, rw);
  /**
   * GstKlingRender:negative-prompt:
   *
   * What the clip should avoid, at most 2500 characters.
   *
   * Default: NULL.
   *
   * Since: 0.1
   */
  pspecs[GST_KLING_PROP_NEGATIVE_PROMPT] =
      string_pspec ("negative-prompt", "Negative prompt",
      "What the clip should avoid (at most 2500 characters)", NULL, rw);
  /**
   * GstKlingRender:cfg-scale:
   *
   * How closely the clip follows the prompt, 0 to 1. Sent only to the models that take
   * it (the model table says which); the others ignore it.
   *
   * Default: 0.5.
   *
   * Since: 0.1
   */
  pspecs[GST_KLING_PROP_CFG_SCALE] =
      g_param_spec_double ("cfg-scale", "CFG scale",
      "How closely the clip follows the prompt (sent only to the models that "
      "take it; Kling's newer models do not)", 0.0, 1.0, DEFAULT_CFG_SCALE,
      rw | G_PARAM_STATIC_STRINGS);
  /**
   * GstKlingRender:callback-url:
   *
   * A URL Kling POSTs the task's status changes to. Optional: the element polls
   * anyway, every #GstKlingRender:poll-interval seconds.
   *
   * Default: NULL.
   *
   * Since: 0.1
   */
  pspecs[GST_KLING_PROP_CALLBACK_URL] = string_pspec ("callback-url",
      "Callback URL",
      "URL Kling POSTs status changes to (optional; the element "
      "polls anyway)", NULL, rw);
  /**
   * GstKlingRender:poll-interval:
   *
   * Seconds between two status queries of the task, 0.01 to 3600.
   *
   * Default: 5.
   *
   * Since: 0.1
   */
  pspecs[GST_KLING_PROP_POLL_INTERVAL] = g_param_spec_double ("poll-interval",
      "Poll interval", "Seconds between two status queries of the task",
      MIN_POLL_INTERVAL, 3600.0, DEFAULT_POLL_INTERVAL,
      rw | G_PARAM_STATIC_STRINGS);
  /**
   * GstKlingRender:timeout:
   *
   * Seconds the whole render (submit, wait, download) may take before it fails with
   * RESOURCE FAILED; 0 = no limit. A task already created is kept in the journal, so a
   * rerun follows it instead of paying again.
   *
   * Default: 1800.
   *
   * Since: 0.1
   */
  pspecs[GST_KLING_PROP_TIMEOUT] = g_param_spec_double ("timeout", "Timeout",
      "Seconds the whole render (submit, wait, download) may take before it "
      "fails; 0 = no limit", 0.0, G_MAXDOUBLE, DEFAULT_TIMEOUT,
      rw | G_PARAM_STATIC_STRINGS);
  /**
   * GstKlingRender:cache-dir:
   *
   * Where finished clips and the journal of tasks in flight are kept. NULL is
   * `$XDG_CACHE_HOME/gst-kling`; an empty string keeps no cache and no journal (as
   * #GstKlingRender:cache-mode `off`, which a shell can type).
   *
   * Default: NULL.
   *
   * Since: 0.1
   */
  pspecs[GST_KLING_PROP_CACHE_DIR] = string_pspec ("cache-dir",
      "Cache directory", "Where finished clips and the journal of tasks in "
      "flight are kept (NULL: $XDG_CACHE_HOME/gst-kling; empty: no cache, no "
      "resume)", NULL, rw);
  /**
   * GstKlingRender:sound:
   *
   * Ask the model for native audio (Kling's "sound": "on"), pushed on `audio_src` or
   * kept in the MP4. Which models make it, and in which modes, comes from the model
   * table: a combination it forbids is refused before any request.
   *
   * Default: FALSE.
   *
   * Since: 0.2
   */
  pspecs[GST_KLING_PROP_SOUND] = g_param_spec_boolean ("sound", "Sound",
      "Ask the model for native audio (the model table says which models and "
      "modes make it; refused before any request where the model makes none)",
      DEFAULT_SOUND, rw | G_PARAM_STATIC_STRINGS);
  make_cache_pspecs (pspecs);
}

void
gst_kling_properties_init (GstKlingProperties * props)
{
  const gchar *env_url = g_getenv ("KLING_API_URL");

  memset (props, 0, sizeof (*props));
  props->api_url = g_strdup (env_url && *env_url ? env_url :
      KLING_DEFAULT_API_URL);
  props->auth_header = DEFAULT_AUTH_HEADER;
  props->model_name = g_strdup (KLING_DEFAULT_MODEL);
  props->mode = DEFAULT_MODE;
  props->duration = DEFAULT_DURATION;
  props->sound = DEFAULT_SOUND;
  props->cfg_scale = DEFAULT_CFG_SCALE;
  props->poll_interval = DEFAULT_POLL_INTERVAL;
  props->timeout = DEFAULT_TIMEOUT;
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

void
gst_kling_properties_clear (GstKlingProperties * props)
{
  g_clear_pointer (&props->api_url, g_free);
  free_secret (&props->access_key);
  free_secret (&props->secret_key);
  free_secret (&props->api_key);
  g_clear_pointer (&props->model_name, g_free);
  g_clear_pointer (&props->prompt, g_free);
  g_clear_pointer (&props->negative_prompt, g_free);
  g_clear_pointer (&props->callback_url, g_free);
  g_clear_pointer (&props->cache_dir, g_free);
}

gboolean
gst_kling_properties_set (GstKlingProperties * props, guint prop_id,
    const GValue * value)
{
  switch (prop_id) {
    case GST_KLING_PROP_API_URL:
      g_free (props->api_url);
      props->api_url = g_value_dup_string (value);
      return TRUE;
    case GST_KLING_PROP_ACCESS_KEY:
      replace_secret (&props->access_key, value);
      return TRUE;
    case GST_KLING_PROP_SECRET_KEY:
      replace_secret (&props->secret_key, value);
      return TRUE;
    case GST_KLING_PROP_API_KEY:
      replace_secret (&props->api_key, value);
      return TRUE;
    case GST_KLING_PROP_AUTH_HEADER:
      props->auth_header = g_value_get_enum (value);
      return TRUE;
    case GST_KLING_PROP_MODEL_NAME:
      g_free (props->model_name);
      props->model_name = g_value_dup_string (value);
      return TRUE;
    case GST_KLING_PROP_MODE:
      props->mode = g_value_get_enum (value);
      return TRUE;
    case GST_KLING_PROP_DURATION:
      props->duration = g_value_get_uint (value);
      return TRUE;
    case GST_KLING_PROP_SOUND:
      props->sound = g_value_get_boolean (value);
      return TRUE;
    case GST_KLING_PROP_PROMPT:
      g_free (props->prompt);
      props->prompt = g_value_dup_string (value);
      return TRUE;
    case GST_KLING_PROP_NEGATIVE_PROMPT:
      g_free (props->negative_prompt);
      props->negative_prompt = g_value_dup_string (value);
      return TRUE;
    case GST_KLING_PROP_CFG_SCALE:
      props->cfg_scale = g_value_get_double (value);
      return TRUE;
    case GST_KLING_PROP_CALLBACK_URL:
      g_free (props->callback_url);
      props->callback_url = g_value_dup_string (value);
      return TRUE;
    case GST_KLING_PROP_POLL_INTERVAL:
      props->poll_interval = g_value_get_double (value);
      return TRUE;
    case GST_KLING_PROP_TIMEOUT:
      props->timeout = g_value_get_double (value);
      return TRUE;
    case GST_KLING_PROP_CACHE_DIR:
      g_free (props->cache_dir);
      props->cache_dir = g_value_dup_string (value);
      return TRUE;
    case GST_KLING_PROP_CACHE_MODE:
      props->cache_mode = g_value_get_enum (value);
      return TRUE;
    case GST_KLING_PROP_MAX_PARALLEL:
      props->max_parallel = g_value_get_uint (value);
      return TRUE;
    default:
      return FALSE;
  }
}

gboolean
gst_kling_properties_get (const GstKlingProperties * props, guint prop_id,
    GValue * value)
{
  switch (prop_id) {
    case GST_KLING_PROP_API_URL:
      g_value_set_string (value, props->api_url);
      return TRUE;
    case GST_KLING_PROP_AUTH_HEADER:
      g_value_set_enum (value, props->auth_header);
      return TRUE;
    case GST_KLING_PROP_MODEL_NAME:
      g_value_set_string (value, props->model_name);
      return TRUE;
    case GST_KLING_PROP_MODE:
      g_value_set_enum (value, props->mode);
      return TRUE;
    case GST_KLING_PROP_DURATION:
      g_value_set_uint (value, props->duration);
      return TRUE;
    case GST_KLING_PROP_SOUND:
      g_value_set_boolean (value, props->sound);
      return TRUE;
    case GST_KLING_PROP_PROMPT:
      g_value_set_string (value, props->prompt);
      return TRUE;
    case GST_KLING_PROP_NEGATIVE_PROMPT:
      g_value_set_string (value, props->negative_prompt);
      return TRUE;
    case GST_KLING_PROP_CFG_SCALE:
      g_value_set_double (value, props->cfg_scale);
      return TRUE;
    case GST_KLING_PROP_CALLBACK_URL:
      g_value_set_string (value, props->callback_url);
      return TRUE;
    case GST_KLING_PROP_POLL_INTERVAL:
      g_value_set_double (value, props->poll_interval);
      return TRUE;
    case GST_KLING_PROP_TIMEOUT:
      g_value_set_double (value, props->timeout);
      return TRUE;
    case GST_KLING_PROP_CACHE_DIR:
      g_value_set_string (value, props->cache_dir);
      return TRUE;
    case GST_KLING_PROP_CACHE_MODE:
      g_value_set_enum (value, props->cache_mode);
      return TRUE;
    case GST_KLING_PROP_MAX_PARALLEL:
      g_value_set_uint (value, props->max_parallel);
      return TRUE;
    default:
      return FALSE;
  }
}
