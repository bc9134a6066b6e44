/* gst-kling: image2video and text2video bodies of Kling's per-model API (see
 * kling-requests-v2.h; the contract is docs/kling-api.md "The per-model API"). */
#include "kling-requests-v2.h"
#include "kling-private.h"

#include <stdarg.h>
#include <string.h>

/* What both kinds share, checked and built by one code path. */
typedef struct
{
  KlingEndpoint endpoint;
  const KlingModelInfo *info;
  KlingMode mode;
  guint duration_s;
  const gchar *prompt;
  const gchar *negative_prompt;
  const gchar *camera_control_json;
  const gchar *callback_url;
  gboolean sound;
  GBytes *first;                /* image2video: the first frame, bytes or ... */
  const gchar *first_url;       /* ... a URL */
  GBytes *last;                 /* the end frame, or NULL */
  const gchar *last_url;
} V2Settings;

static gboolean
refuse (GError ** error, const gchar * format, ...)
G_GNUC_PRINTF (2, 3);

     static gboolean refuse (GError ** error, const gchar * format, ...)
{
  g_autofree gchar *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_propagate_error (error, kling_error_new_full (KLING_ERROR_INVALID_INPUT, 0,
          -1, NULL, NULL, NULL, "%s", message));
  return FALSE;
}

static gboolean
is_set (const gchar * text)
{
  return text != NULL && *text != '\0';
}

static gboolean
validate_images (const V2Settings * v, GError ** error)
{
  if (v->endpoint != KLING_ENDPOINT_IMAGE2VIDEO)
    return TRUE;
  if ((v->first != NULL) == (v->first_url != NULL))
    return refuse (error, "give either image bytes or image_url, exactly one");
  if (v->last && v->last_url)
    return refuse (error,
        "give either image_tail bytes or image_tail_url, not both");
  return (v->first == NULL
      || kling_validate_image_max (v->first, "image", KLING_V2_IMAGE_MAX_BYTES,
          error))
      && kling_request_validate_url (v->first_url, "image_url", error)
      && (v->last == NULL
      || kling_validate_image_max (v->last, "image_tail",
          KLING_V2_IMAGE_MAX_BYTES, error))
      && kling_request_validate_url (v->last_url, "image_tail_url", error);
}

/* The table's verdict first (the same sentences as on /v1), then what this API does not
 * document at all: strict in what we send, so it is refused here rather than by Kling. */
static gboolean
validate (const V2Settings * v, GError ** error)
{
  KlingRenderSpec spec = {
    .model_name = v->info->name,.endpoint = v->endpoint,.mode = v->mode,
    .duration_s = v->duration_s,.sound = v->sound,
    .end_frame = v->last != NULL || v->last_url != NULL,
    .camera_control = is_set (v->camera_control_json),
    .prompt = kling_request_has_text (v->prompt),
  };

  if (!validate_images (v, error) || !kling_models_check (&spec, NULL, error))
    return FALSE;
  if (kling_request_has_text (v->negative_prompt))
    return refuse (error,
        "%s is on Kling's per-model API, which takes no negative prompt: "
        "unset negative-prompt, or use a model of the /v1 API", v->info->name);
  return kling_validate_text (v->prompt, "prompt", KLING_V2_PROMPT_MAX_CHARS,
      error)
      && kling_request_validate_url (v->callback_url, "callback_url", error);
}

static void
add_content (JsonArray * contents, const gchar * type, const gchar * member,
    const gchar * value)
{
  JsonObject *item = json_object_new ();

  json_object_set_string_member (item, "type", type);
  json_object_set_string_member (item, member, value);
  json_array_add_object_element (contents, item);
}

/* A frame goes as "url": a URL, or base64 without a data: prefix. The summary gets its
 * description (never its bytes) or the URL. */
static void
add_frame (JsonArray * contents, JsonArray * described, const gchar * type,
    GBytes * bytes, const gchar * url)
{
  JsonObject *desc;

  if (bytes) {
    g_autofree gchar *b64 = g_base64_encode (g_bytes_get_data (bytes, NULL),
        g_bytes_get_size (bytes));

    add_content (contents, type, "url", b64);
    desc = kling_request_describe_image (bytes);
    json_object_set_string_member (desc, "type", type);
    json_array_add_object_element (described, desc);
  } else if (url) {
    add_content (contents, type, "url", url);
    add_content (described, type, "url", url);
  }
}

/* Everything that shapes the clip. multi_shot is sent as false: its default is true,
 * and no parameter of ours asks for several shots. */
static JsonObject *
settings_new (const V2Settings * v)
{
  JsonObject *settings = json_object_new ();
  gboolean audio = kling_model_info_makes_audio (v->info, v->mode, v->sound);

  json_object_set_string_member (settings, "resolution",
      kling_mode_resolution (v->mode));
  json_object_set_int_member (settings, "duration", v->duration_s);
  json_object_set_string_member (settings, "audio", audio ? "native" : "off");
  json_object_set_boolean_member (settings, "multi_shot", FALSE);
  return settings;
}

static KlingRequest *
request_new (const V2Settings * v)
{
  JsonObject *body = json_object_new (), *summary = json_object_new ();
  JsonArray *contents = json_array_new (), *described = json_array_new ();
  JsonObject *settings = settings_new (v);
  KlingRequest *request;

  if (kling_request_has_text (v->prompt)) {
    add_content (contents, "prompt", "text", v->prompt);
    add_content (described, "prompt", "text", v->prompt);
  }
  add_frame (contents, described, "first_frame", v->first, v->first_url);
  add_frame (contents, described, "last_frame", v->last, v->last_url);
  json_object_set_array_member (body, "contents", contents);
  json_object_set_object_member (summary, "settings",
      json_object_ref (settings));
  json_object_set_object_member (body, "settings", settings);
  if (is_set (v->callback_url)) {
    JsonObject *options = json_object_new ();

    json_object_set_string_member (options, "callback_url", v->callback_url);
    json_object_set_object_member (body, "options", options);
  }
  json_object_set_string_member (summary, "model", v->info->name);
  json_object_set_array_member (summary, "contents", described);
  json_object_set_object_member (summary, "estimate", kling_request_estimate_new
      (v->endpoint, v->info->name, v->mode, v->duration_s, v->sound));
  request = kling_request_new (v->endpoint, kling_json_node_take_object (body),
      kling_json_node_take_object (summary));
  request->create_path =
      kling_model_info_dup_create_path (v->info, v->endpoint);
  json_object_set_string_member (json_node_get_object (request->summary),
      "path", request->create_path);
  return request;
}

KlingRequest *
kling_image2video_v2_request_new (const KlingImage2VideoParams * params,
    GError ** error)
{
  V2Settings v;

  g_return_val_if_fail (params != NULL, NULL);
  v = (V2Settings) {
  .endpoint = KLING_ENDPOINT_IMAGE2VIDEO,.info =
        kling_models_lookup (params->model_name,
        KLING_ENDPOINT_IMAGE2VIDEO),.mode = params->mode,.duration_s =
        params->duration_s,.prompt = params->prompt,.negative_prompt =
        params->negative_prompt,.camera_control_json =
        params->camera_control_json,.callback_url =
        params->callback_url,.sound = params->sound,.first =
        params->image,.first_url = params->image_url,.last =
        params->image_tail,.last_url = params->image_tail_url,};
  g_return_val_if_fail (v.info
      && v.info->generation == KLING_API_PER_MODEL, NULL);
  return validate (&v, error) ? request_new (&v) : NULL;
}

KlingRequest *
kling_text2video_v2_request_new (const KlingText2VideoParams * params,
    GError ** error)
{
  V2Settings v;

  g_return_val_if_fail (params != NULL, NULL);
  v = (V2Settings) {
  .endpoint = KLING_ENDPOINT_TEXT2VIDEO,.info =
        kling_models_lookup (params->model_name,
        KLING_ENDPOINT_TEXT2VIDEO),.mode = params->mode,.duration_s =
        params->duration_s,.prompt = params->prompt,.negative_prompt =
        params->negative_prompt,.camera_control_json =
        params->camera_control_json,.callback_url =
        params->callback_url,.sound = params->sound,};
  g_return_val_if_fail (v.info
      && v.info->generation == KLING_API_PER_MODEL, NULL);
  /* The per-model text-to-video documents no aspect ratio: it renders Kling's default. */
  if (params->aspect_ratio != KLING_ASPECT_RATIO_16_9) {
    refuse (error,
        "%s is on Kling's per-model API, whose text-to-video renders 16:9 only: "
        "set aspect-ratio=16:9, or use a model of the /v1 API for %s",
        v.info->name,
        kling_aspect_ratio_to_string (params->aspect_ratio) ?
        kling_aspect_ratio_to_string (params->aspect_ratio) :
        "another aspect ratio");
    return NULL;
  }
  return validate (&v, error) ? request_new (&v) : NULL;
}
