/* gst-kling: request bodies, their cache keys, and Kling's input limits. */
#include "kling-requests.h"
#include "kling-requests-v2.h"
#include "kling-private.h"

#include <math.h>
#include <string.h>

/* --- KlingRequest ------------------------------------------------------------------- */

KlingRequest *
kling_request_new (KlingEndpoint endpoint, JsonNode * body, JsonNode * summary)
{
  KlingRequest *request;

  g_return_val_if_fail (body != NULL && JSON_NODE_HOLDS_OBJECT (body), NULL);
  request = g_new0 (KlingRequest, 1);
  request->endpoint = endpoint;
  request->body = body;
  request->summary =
      summary ? summary : kling_json_node_take_object (json_object_new ());
  return request;
}

KlingRequest *
kling_request_copy (const KlingRequest * request)
{
  KlingRequest *copy;

  g_return_val_if_fail (request != NULL, NULL);
  copy = kling_request_new (request->endpoint, json_node_copy (request->body),
      json_node_copy (request->summary));
  copy->create_path = g_strdup (request->create_path);
  return copy;
}

void
kling_request_free (KlingRequest * request)
{
  if (request == NULL)
    return;
  json_node_unref (request->body);
  json_node_unref (request->summary);
  g_free (request->create_path);
  g_free (request);
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (a, b);
}

/* A deep copy with every object's members in byte order, so the generator writes one
 * spelling for equal content whatever order the members were added in. */
static JsonNode *
canonical_copy (JsonNode * node)
{
  if (JSON_NODE_HOLDS_OBJECT (node)) {
    JsonObject *src = json_node_get_object (node), *dst = json_object_new ();
    GList *members =
        g_list_sort (json_object_get_members (src), compare_strings), *l;

    for (l = members; l; l = l->next)
      json_object_set_member (dst, l->data,
          canonical_copy (json_object_get_member (src, l->data)));
    g_list_free (members);
    return kling_json_node_take_object (dst);
  }
  if (JSON_NODE_HOLDS_ARRAY (node)) {
    JsonArray *src = json_node_get_array (node), *dst = json_array_new ();
    guint i;

    for (i = 0; i < json_array_get_length (src); i++)
      json_array_add_element (dst, canonical_copy (json_array_get_element (src,
                  i)));
    return kling_json_node_take_array (dst);
  }
  return json_node_copy (node);
}

gchar *
kling_request_cache_key (const KlingRequest * request)
{
  g_autoptr (JsonNode) canonical = NULL;
  g_autofree gchar *json = NULL;
  g_autoptr (GString) material = NULL;
  JsonObject *object;

  g_return_val_if_fail (request != NULL, NULL);
  canonical = canonical_copy (request->body);
  object = json_node_get_object (canonical);
  /* Neither changes the clip: a rerun gets a new external id, and may listen elsewhere.
   * The per-model API has them in "options", which is dropped when nothing else is in it,
   * so a callback_url or not gives the same key. */
  json_object_remove_member (object, "external_task_id");
  json_object_remove_member (object, "callback_url");
  if (request->create_path) {
    JsonObject *options = kling_json_get_object (object, "options");

    if (options) {
      json_object_remove_member (options, "external_task_id");
      json_object_remove_member (options, "callback_url");
      if (json_object_get_size (options) == 0)
        json_object_remove_member (object, "options");
    }
  }
  json = json_to_string (canonical, FALSE);

  material = g_string_new (kling_request_get_path (request));
  g_string_append_c (material, '\n');
  g_string_append (material, json);
  return kling_sha256_hex ((const guint8 *) material->str, material->len);
}

/* --- images ------------------------------------------------------------------------- */

static guint
read_be16 (const guint8 * p)
{
  return ((guint) p[0] << 8) | p[1];
}

static guint32
read_be32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8)
      | p[3];
}

/* SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but
 * are not frame headers. */
static gboolean
is_jpeg_sof (guint8 marker)
{
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 &&
      marker != 0xCC;
}

static gboolean
probe_jpeg (const guint8 * data, gsize size, guint * width, guint * height)
{
  gsize pos = 2;

  while (pos + 4 <= size) {
    guint8 marker;
    guint length;

    if (data[pos] != 0xFF)
      return FALSE;
    /* Any number of 0xFF fill bytes may precede a marker. */
    while (pos < size && data[pos] == 0xFF)
      pos++;
    if (pos >= size)
      return FALSE;
    marker = data[pos++];
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8))
      continue;                 /* TEM, RSTn, SOI: no length */
    if (marker == 0xD9 || marker == 0xDA || marker == 0x00)
      return FALSE;             /* EOI, or scan data before any frame header */
    if (pos + 2 > size)
      return FALSE;
    length = read_be16 (data + pos);
    if (length < 2 || pos + length > size)
      return FALSE;
    if (is_jpeg_sof (marker)) {
      if (length < 7)
        return FALSE;
      *height = read_be16 (data + pos + 3);
      *width = read_be16 (data + pos + 5);
      /* height 0 defers to a DNL marker: not something Kling takes. */
      return *width > 0 && *height > 0;
    }
    pos += length;
  }
  return FALSE;
}

static gboolean
probe_png (const guint8 * data, gsize size, guint * width, guint * height)
{
  guint32 w, h;

  /* signature (8), chunk length (4), "IHDR" (4), width (4), height (4) */
  if (size < 24 || read_be32 (data + 8) < 13
      || memcmp (data + 12, "IHDR", 4) != 0)
    return FALSE;
  w = read_be32 (data + 16);
  h = read_be32 (data + 20);
  if (w == 0 || h == 0 || w > G_MAXINT32 || h > G_MAXINT32)
    return FALSE;
  *width = w;
  *height = h;
  return TRUE;
}

gboolean
kling_image_probe (GBytes * image, KlingImageFormat * format, guint * width,
    guint * height)
{
  static const guint8 png_signature[8] =
      { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };
  const guint8 *data;
  gsize size = 0;
  guint w = 0, h = 0;
  KlingImageFormat found = KLING_IMAGE_FORMAT_UNKNOWN;

  if (image == NULL)
    return FALSE;
  data = g_bytes_get_data (image, &size);
  if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) {
    if (probe_jpeg (data, size, &w, &h))
      found = KLING_IMAGE_FORMAT_JPEG;
  } else if (size >= 8 && memcmp (data, png_signature, 8) == 0) {
    if (probe_png (data, size, &w, &h))
      found = KLING_IMAGE_FORMAT_PNG;
  }
  if (format)
    *format = found;
  if (found == KLING_IMAGE_FORMAT_UNKNOWN)
    return FALSE;
  if (width)
    *width = w;
  if (height)
    *height = h;
  return TRUE;
}

static const gchar *
image_format_name (KlingImageFormat format)
{
  switch (format) {
    case KLING_IMAGE_FORMAT_JPEG:
      return "jpeg";
    case KLING_IMAGE_FORMAT_PNG:
      return "png";
    default:
      return "unknown";
  }
}

static gboolean
invalid_input (GError ** error, const gchar * format, ...)
G_GNUC_PRINTF (2, 3);

     static gboolean invalid_input (GError ** error, const gchar * format, ...)
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

gboolean
kling_validate_image (GBytes * image, const gchar * field, GError ** error)
{
  return kling_validate_image_max (image, field, KLING_IMAGE_MAX_BYTES, error);
}

gboolean
kling_validate_image_max (GBytes * image, const gchar * field, gsize max_bytes,
    GError ** error)
{
  gsize size = image ? g_bytes_get_size (image) : 0;
  KlingImageFormat format;
  guint width, height, longer, shorter;

  if (size == 0)
    return invalid_input (error, "%s is empty: give a JPEG or PNG image",
        field);
  if (size > max_bytes)
    return invalid_input (error,
        "%s has %" G_GSIZE_FORMAT " bytes, Kling takes at most %" G_GSIZE_FORMAT
        ": give a smaller image", field, size, max_bytes);
  if (!kling_image_probe (image, &format, &width, &height))
    return invalid_input (error,
        "%s is not a readable JPEG or PNG image: give a whole JPEG "
        "or PNG file", field);
  if (width < KLING_IMAGE_MIN_SIDE || height < KLING_IMAGE_MIN_SIDE)
    return invalid_input (error,
        "%s is %ux%u, Kling needs at least %d px on each side: give "
        "a larger image", field, width, height, KLING_IMAGE_MIN_SIDE);
  longer = MAX (width, height);
  shorter = MIN (width, height);
  if ((gdouble) longer > KLING_IMAGE_MAX_ASPECT * shorter)
    return invalid_input (error,
        "%s is %ux%u, its aspect ratio is beyond 1:%.1f: crop it to "
        "between 1:%.1f and %.1f:1", field, width, height,
        KLING_IMAGE_MAX_ASPECT, KLING_IMAGE_MAX_ASPECT, KLING_IMAGE_MAX_ASPECT);
  return TRUE;
}

gboolean
kling_validate_text (const gchar * text, const gchar * field, guint max_chars,
    GError ** error)
{
  glong chars;

  if (text == NULL)
    return TRUE;
  if (!g_utf8_validate (text, -1, NULL))
    return invalid_input (error, "%s is not valid UTF-8: give it as UTF-8 text",
        field);
  chars = g_utf8_strlen (text, -1);
  if (chars > (glong) max_chars)
    return invalid_input (error,
        "%s has %ld characters, Kling takes at most %u: shorten it", field,
        chars, max_chars);
  return TRUE;
}

/* --- camera control ----------------------------------------------------------------- */

static const gchar *const camera_axes[] = {
  "horizontal", "vertical", "pan", "tilt", "roll", "zoom",
};

static const gchar *const camera_presets[] = {
  "down_back", "forward_up", "right_turn_forward", "left_turn_forward",
};

static gboolean
validate_simple_camera (JsonObject * control, GError ** error)
{
  JsonObject *config = kling_json_get_object (control, "config");
  guint i, non_zero = 0;

  if (config == NULL)
    return invalid_input (error,
        "camera_control of type simple needs a \"config\" object: give "
        "one axis, e.g. {\"zoom\": 5}");
  for (i = 0; i < G_N_ELEMENTS (camera_axes); i++) {
    gdouble value;

    if (!json_object_has_member (config, camera_axes[i]))
      continue;
    if (!kling_json_get_double (config, camera_axes[i], &value) ||
        json_node_get_value_type (json_object_get_member (config,
                camera_axes[i])) == G_TYPE_STRING)
      return invalid_input (error,
          "camera_control.config.%s is not a number: give one "
          "from -10 to 10", camera_axes[i]);
    if (value < -10 || value > 10)
      return invalid_input (error,
          "camera_control.config.%s = %g, the range is -10..10: "
          "give a value within it", camera_axes[i], value);
    if (value != 0)
      non_zero++;
  }
  if (non_zero != 1)
    return invalid_input (error,
        "camera_control.config needs exactly one non-zero axis "
        "(horizontal, vertical, pan, tilt, roll or zoom)");
  return TRUE;
}

static JsonNode *
parse_camera_control (const gchar * json, GError ** error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *control;
  const gchar *type;
  guint i;

  if (!json_parser_load_from_data (parser, json, -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL
      || !JSON_NODE_HOLDS_OBJECT (root)) {
    invalid_input (error,
        "camera_control is not a JSON object: write it like "
        "{\"type\": \"simple\", \"config\": {\"zoom\": 5}}");
    return NULL;
  }
  control = json_node_get_object (root);
  type = kling_json_get_string (control, "type");
  if (type == NULL) {
    invalid_input (error,
        "camera_control has no \"type\": give \"simple\" or a preset");
    return NULL;
  }
  if (g_str_equal (type, "simple")) {
    if (!validate_simple_camera (control, error))
      return NULL;
    return json_node_copy (root);
  }
  for (i = 0; i < G_N_ELEMENTS (camera_presets); i++)
    if (g_str_equal (type, camera_presets[i]))
      return json_node_copy (root);
  invalid_input (error,
      "camera_control type \"%s\" is not simple or a known preset: use "
      "simple, down_back, forward_up, right_turn_forward or left_turn_forward",
      type);
  return NULL;
}

/* --- image2video and text2video ----------------------------------------------------- */

const gchar *
kling_aspect_ratio_to_string (KlingAspectRatio ratio)
{
  switch (ratio) {
    case KLING_ASPECT_RATIO_16_9:
      return "16:9";
    case KLING_ASPECT_RATIO_9_16:
      return "9:16";
    case KLING_ASPECT_RATIO_1_1:
      return "1:1";
  }
  return NULL;
}

/* What image2video and text2video share, so both are checked and built by one code path. */
typedef struct
{
  KlingEndpoint endpoint;
  const gchar *model;           /* resolved: never NULL */
  KlingMode mode;
  guint duration_s;
  const gchar *prompt;
  const gchar *negative_prompt;
  gdouble cfg_scale;
  gboolean sound;
  gboolean end_frame;
  const gchar *camera_control_json;
  const gchar *callback_url;
} VideoSettings;

static gboolean
is_set (const gchar * text)
{
  return text != NULL && *text != '\0';
}

/* A prompt of only spaces is as empty as none to Kling. */
gboolean
kling_request_has_text (const gchar * text)
{
  for (; text && *text; text++)
    if (!g_ascii_isspace (*text))
      return TRUE;
  return FALSE;
}

gboolean
kling_request_validate_url (const gchar * url, const gchar * field,
    GError ** error)
{
  if (url == NULL || g_str_has_prefix (url, "https://")
      || g_str_has_prefix (url, "http://"))
    return TRUE;
  return invalid_input (error,
      "%s \"%s\" is not an http(s) URL: give an http:// or https:// " "URL",
      field, url);
}

/* The table's verdict on the model and the settings, then Kling's limits on each field.
 * *@camera gets the parsed camera_control (or NULL). */
static gboolean
validate_video (const VideoSettings * v, JsonNode ** camera, GError ** error)
{
  KlingRenderSpec spec = {
    .model_name = v->model,.endpoint = v->endpoint,.mode = v->mode,
    .duration_s = v->duration_s,.sound = v->sound,.end_frame = v->end_frame,
    .camera_control = is_set (v->camera_control_json),
    .prompt = kling_request_has_text (v->prompt),
  };

  *camera = NULL;
  if (!kling_models_check (&spec, NULL, error))
    return FALSE;
  if (isnan (v->cfg_scale) || v->cfg_scale < 0 || v->cfg_scale > 1)
    return invalid_input (error,
        "cfg_scale %g is outside 0..1: give a value from 0 to 1", v->cfg_scale);
  if (!kling_validate_text (v->prompt, "prompt", KLING_PROMPT_MAX_CHARS, error)
      || !kling_validate_text (v->negative_prompt, "negative_prompt",
          KLING_PROMPT_MAX_CHARS, error)
      || !kling_request_validate_url (v->callback_url, "callback_url", error))
    return FALSE;
  if (is_set (v->camera_control_json) &&
      (*camera = parse_camera_control (v->camera_control_json, error)) == NULL)
    return FALSE;
  return TRUE;
}

static void
set_optional_string (JsonObject * object, const gchar * member,
    const gchar * value)
{
  if (value && *value)
    json_object_set_string_member (object, member, value);
}

/* Every member that shapes the clip, strictly as Kling wants them. */
static JsonObject *
video_body_new (const VideoSettings * v, JsonNode * camera)
{
  const KlingModelInfo *info = kling_models_lookup (v->model, v->endpoint);
  JsonObject *body = json_object_new ();
  g_autofree gchar *duration = g_strdup_printf ("%u", v->duration_s);

  json_object_set_string_member (body, "model_name", v->model);
  json_object_set_string_member (body, "mode", kling_mode_to_string (v->mode));
  json_object_set_string_member (body, "duration", duration);
  set_optional_string (body, "prompt", v->prompt);
  set_optional_string (body, "negative_prompt", v->negative_prompt);
  /* Names the table does not know are newer models: none of those takes cfg_scale. */
  if (info && info->cfg_scale)
    json_object_set_double_member (body, "cfg_scale", v->cfg_scale);
  /* The check let sound through only where the model makes it (or the model is new). */
  if (v->sound)
    json_object_set_string_member (body, "sound", "on");
  if (camera)
    json_object_set_member (body, "camera_control", json_node_copy (camera));
  return body;
}

JsonObject *
kling_request_estimate_new (KlingEndpoint endpoint, const gchar * model,
    KlingMode mode, guint duration_s, gboolean sound)
{
  const KlingModelInfo *info = kling_models_lookup (model, endpoint);
  JsonObject *estimate = json_object_new ();
  gdouble usd;
  guint render_s;

  json_object_set_string_member (estimate, "model", model);
  json_object_set_string_member (estimate, "mode", kling_mode_to_string (mode));
  json_object_set_int_member (estimate, "duration_s", duration_s);
  json_object_set_boolean_member (estimate, "sound", info ?
      kling_model_info_makes_audio (info, mode, sound) : sound);
  if (kling_models_estimate (model, endpoint, mode, duration_s, sound, &usd,
          &render_s))
    json_object_set_double_member (estimate, "usd", usd);
  json_object_set_int_member (estimate, "render_s", render_s);
  return estimate;
}

/* The summary's estimate: what the table expects this render to cost and take. */
static JsonObject *
estimate_new (const VideoSettings * v)
{
  return kling_request_estimate_new (v->endpoint, v->model, v->mode,
      v->duration_s, v->sound);
}

static void
copy_members (JsonObject * dst, JsonObject * src)
{
  GList *members = json_object_get_members (src), *l;

  for (l = members; l; l = l->next)
    json_object_set_member (dst, l->data,
        json_node_copy (json_object_get_member (src, l->data)));
  g_list_free (members);
}

/* The image as the summary shows it: what it was, never its bytes. */
JsonObject *
kling_request_describe_image (GBytes * image)
{
  JsonObject *desc = json_object_new ();
  KlingImageFormat format;
  guint width = 0, height = 0;
  gsize size;
  const guint8 *data = g_bytes_get_data (image, &size);
  g_autofree gchar *sha = kling_sha256_hex (data, size);

  kling_image_probe (image, &format, &width, &height);
  json_object_set_string_member (desc, "format", image_format_name (format));
  json_object_set_int_member (desc, "width", width);
  json_object_set_int_member (desc, "height", height);
  json_object_set_int_member (desc, "bytes", (gint64) size);
  json_object_set_string_member (desc, "sha256", sha);
  return desc;
}

/* @field in the body (base64 without a data: prefix, or the URL) and in the summary (a
 * description, or the URL under "<field>_url"). */
static void
set_image (JsonObject * body, JsonObject * summary, const gchar * field,
    GBytes * bytes, const gchar * url)
{
  g_autofree gchar *url_field = g_strconcat (field, "_url", NULL);

  if (bytes) {
    g_autofree gchar *b64 = g_base64_encode (g_bytes_get_data (bytes, NULL),
        g_bytes_get_size (bytes));

    json_object_set_string_member (body, field, b64);
    json_object_set_object_member (summary, field,
        kling_request_describe_image (bytes));
  } else if (url) {
    json_object_set_string_member (body, field, url);
    json_object_set_string_member (summary, url_field, url);
  }
}

/* The request of a checked @v: @body (taken) and a summary of it without the images. */
static KlingRequest *
video_request_new (const VideoSettings * v, JsonObject * body, GBytes * image,
    const gchar * image_url, GBytes * tail, const gchar * tail_url)
{
  JsonObject *summary = json_object_new ();

  copy_members (summary, body);
  json_object_set_object_member (summary, "estimate", estimate_new (v));
  set_image (body, summary, "image", image, image_url);
  set_image (body, summary, "image_tail", tail, tail_url);
  set_optional_string (body, "callback_url", v->callback_url);
  return kling_request_new (v->endpoint, kling_json_node_take_object (body),
      kling_json_node_take_object (summary));
}

/* image and image_tail: bytes or a URL, each checked by the same rules. */
static gboolean
validate_images (const KlingImage2VideoParams * params, GError ** error)
{
  if ((params->image != NULL) == (params->image_url != NULL))
    return invalid_input (error,
        "give either image bytes or image_url, exactly one");
  if (params->image_tail && params->image_tail_url)
    return invalid_input (error,
        "give either image_tail bytes or image_tail_url, not both");
  return (params->image == NULL
      || kling_validate_image (params->image, "image", error))
      && kling_request_validate_url (params->image_url, "image_url", error)
      && (params->image_tail == NULL
      || kling_validate_image (params->image_tail, "image_tail", error))
      && kling_request_validate_url (params->image_tail_url, "image_tail_url",
      error);
}

static const gchar *
resolve_model (const gchar * model_name)
{
  return is_set (model_name) ? model_name : KLING_DEFAULT_MODEL;
}

KlingRequest *
kling_image2video_request_new (const KlingImage2VideoParams * params,
    GError ** error)
{
  g_autoptr (JsonNode) camera = NULL;
  VideoSettings v;

  g_return_val_if_fail (params != NULL, NULL);
  /* The table says which API generation serves the model; each has its own bodies. */
  if (kling_model_is_per_model (resolve_model (params->model_name),
          KLING_ENDPOINT_IMAGE2VIDEO))
    return kling_image2video_v2_request_new (params, error);
  v = (VideoSettings) {
  .endpoint = KLING_ENDPOINT_IMAGE2VIDEO,.model =
        resolve_model (params->model_name),.mode = params->mode,.duration_s =
        params->duration_s,.prompt = params->prompt,.negative_prompt =
        params->negative_prompt,.cfg_scale = params->cfg_scale,.sound =
        params->sound,.end_frame = params->image_tail
        || params->image_tail_url,.camera_control_json =
        params->camera_control_json,.callback_url = params->callback_url,};
  if (!validate_images (params, error) || !validate_video (&v, &camera, error))
    return NULL;
  return video_request_new (&v, video_body_new (&v, camera), params->image,
      params->image_url, params->image_tail, params->image_tail_url);
}

KlingRequest *
kling_text2video_request_new (const KlingText2VideoParams * params,
    GError ** error)
{
  g_autoptr (JsonNode) camera = NULL;
  const gchar *ratio;
  JsonObject *body;
  VideoSettings v;

  g_return_val_if_fail (params != NULL, NULL);
  if (kling_model_is_per_model (resolve_model (params->model_name),
          KLING_ENDPOINT_TEXT2VIDEO))
    return kling_text2video_v2_request_new (params, error);
  v = (VideoSettings) {
  .endpoint = KLING_ENDPOINT_TEXT2VIDEO,.model =
        resolve_model (params->model_name),.mode = params->mode,.duration_s =
        params->duration_s,.prompt = params->prompt,.negative_prompt =
        params->negative_prompt,.cfg_scale = params->cfg_scale,.sound =
        params->sound,.camera_control_json =
        params->camera_control_json,.callback_url = params->callback_url,};
  ratio = kling_aspect_ratio_to_string (params->aspect_ratio);
  if (ratio == NULL) {
    invalid_input (error,
        "aspect_ratio %d is not 16:9, 9:16 or 1:1: use one of them",
        (gint) params->aspect_ratio);
    return NULL;
  }
  if (!validate_video (&v, &camera, error))
    return NULL;
  body = video_body_new (&v, camera);
  json_object_set_string_member (body, "aspect_ratio", ratio);
  return video_request_new (&v, body, NULL, NULL, NULL, NULL);
}

const gchar *
kling_request_get_model_name (const KlingRequest * request)
{
  const gchar *slash;

  g_return_val_if_fail (request != NULL, NULL);
  /* The per-model API has the model as the create path's last segment. */
  if (request->create_path && (slash = strrchr (request->create_path, '/')))
    return slash[1] ? slash + 1 : NULL;
  return kling_json_get_string (json_node_get_object (request->body),
      "model_name");
}

const gchar *
kling_request_get_path (const KlingRequest * request)
{
  g_return_val_if_fail (request != NULL, NULL);
  return request->create_path ? request->create_path :
      kling_endpoint_path (request->endpoint);
}

gboolean
kling_request_is_per_model (const KlingRequest * request)
{
  g_return_val_if_fail (request != NULL, FALSE);
  return request->create_path != NULL;
}

gdouble
kling_request_get_duration_s (const KlingRequest * request)
{
  JsonObject *body = json_node_get_object (request->body);
  gdouble duration = 0;

  if (request->create_path)
    body = kling_json_get_object (body, "settings");
  return kling_json_get_double (body, "duration", &duration) ? duration : 0;
}

const gchar *
kling_request_get_mode (const KlingRequest * request)
{
  JsonObject *body = json_node_get_object (request->body);
  const gchar *resolution;
  guint mode;

  if (request->create_path == NULL)
    return kling_json_get_string (body, "mode");
  resolution = kling_json_get_string (kling_json_get_object (body, "settings"),
      "resolution");
  for (mode = 0; resolution && mode < KLING_N_MODES; mode++)
    if (g_str_equal (resolution, kling_mode_resolution ((KlingMode) mode)))
      return kling_mode_to_string ((KlingMode) mode);
  return NULL;
}
