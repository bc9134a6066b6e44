/* gst-kling: request bodies, their cache keys, and Kling's input limits. */
#include "kling-requests.h"
#include "kling-private.h"

#include <math.h>
#include <string.h>

/* --- KlingRequest ------------------------------------------------------------------- */

KlingRequest *
kling_request_new (KlingEndpoint endpoint, JsonNode *body, JsonNode *summary)
{
  KlingRequest *request;

  g_return_val_if_fail (body != NULL && JSON_NODE_HOLDS_OBJECT (body), NULL);
  request = g_new0 (KlingRequest, 1);
  request->endpoint = endpoint;
  request->body = body;
  request->summary = summary ? summary : kling_json_node_take_object (json_object_new ());
  return request;
}

KlingRequest *
kling_request_copy (const KlingRequest *request)
{
  g_return_val_if_fail (request != NULL, NULL);
  return kling_request_new (request->endpoint, json_node_copy (request->body),
      json_node_copy (request->summary));
}

void
kling_request_free (KlingRequest *request)
{
  if (request == NULL)
    return;
  json_node_unref (request->body);
  json_node_unref (request->summary);
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
canonical_copy (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node)) {
    JsonObject *src = json_node_get_object (node), *dst = json_object_new ();
    GList *members = g_list_sort (json_object_get_members (src), compare_strings), *l;

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
      json_array_add_element (dst, canonical_copy (json_array_get_element (src, i)));
    return kling_json_node_take_array (dst);
  }
  return json_node_copy (node);
}

gchar *
kling_request_cache_key (const KlingRequest *request)
{
  g_autoptr (JsonNode) canonical = NULL;
  g_autofree gchar *json = NULL;
  g_autoptr (GString) material = NULL;
  JsonObject *object;

  g_return_val_if_fail (request != NULL, NULL);
  canonical = canonical_copy (request->body);
  object = json_node_get_object (canonical);
  /* Neither changes the clip: a rerun gets a new external id, and may listen elsewhere. */
  json_object_remove_member (object, "external_task_id");
  json_object_remove_member (object, "callback_url");
  json = json_to_string (canonical, FALSE);

  material = g_string_new (kling_endpoint_path (request->endpoint));
  g_string_append_c (material, '\n');
  g_string_append (material, json);
  return kling_sha256_hex ((const guint8 *) material->str, material->len);
}

/* --- images ------------------------------------------------------------------------- */

static guint
read_be16 (const guint8 *p)
{
  return ((guint) p[0] << 8) | p[1];
}

static guint32
read_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
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
probe_jpeg (const guint8 *data, gsize size, guint *width, guint *height)
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
probe_png (const guint8 *data, gsize size, guint *width, guint *height)
{
  guint32 w, h;

  /* signature (8), chunk length (4), "IHDR" (4), width (4), height (4) */
  if (size < 24 || read_be32 (data + 8) < 13 || memcmp (data + 12, "IHDR", 4) != 0)
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
kling_image_probe (GBytes *image, KlingImageFormat *format, guint *width, guint *height)
{
  static const guint8 png_signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };
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
invalid_input (GError **error, const gchar *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid_input (GError **error, const gchar *format, ...)
{
  g_autofree gchar *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_propagate_error (error, kling_error_new_full (KLING_ERROR_INVALID_INPUT, 0, -1, NULL,
          NULL, NULL, "%s", message));
  return FALSE;
}

gboolean
kling_validate_image (GBytes *image, const gchar *field, GError **error)
{
  gsize size = image ? g_bytes_get_size (image) : 0;
  KlingImageFormat format;
  guint width, height, longer, shorter;

  if (size == 0)
    return invalid_input (error, "%s is empty", field);
  if (size > KLING_IMAGE_MAX_BYTES)
    return invalid_input (error, "%s has %" G_GSIZE_FORMAT " bytes, Kling takes at most %d",
        field, size, KLING_IMAGE_MAX_BYTES);
  if (!kling_image_probe (image, &format, &width, &height))
    return invalid_input (error, "%s is not a readable JPEG or PNG image", field);
  if (width < KLING_IMAGE_MIN_SIDE || height < KLING_IMAGE_MIN_SIDE)
    return invalid_input (error, "%s is %ux%u, Kling needs at least %d px on each side",
        field, width, height, KLING_IMAGE_MIN_SIDE);
  longer = MAX (width, height);
  shorter = MIN (width, height);
  if ((gdouble) longer > KLING_IMAGE_MAX_ASPECT * shorter)
    return invalid_input (error, "%s is %ux%u, its aspect ratio is beyond 1:%.1f", field,
        width, height, KLING_IMAGE_MAX_ASPECT);
  return TRUE;
}

gboolean
kling_validate_text (const gchar *text, const gchar *field, guint max_chars, GError **error)
{
  glong chars;

  if (text == NULL)
    return TRUE;
  if (!g_utf8_validate (text, -1, NULL))
    return invalid_input (error, "%s is not valid UTF-8", field);
  chars = g_utf8_strlen (text, -1);
  if (chars > (glong) max_chars)
    return invalid_input (error, "%s has %ld characters, Kling takes at most %u", field,
        chars, max_chars);
  return TRUE;
}

/* --- models ------------------------------------------------------------------------- */

static const gchar *const known_models[] = {
  "kling-v1", "kling-v1-5", "kling-v1-6", "kling-v2-master", "kling-v2-1",
  "kling-v2-1-master", "kling-v2-5-turbo", "kling-v2-6", "kling-v3",
};

gboolean
kling_model_takes_cfg_scale (const gchar *model_name)
{
  if (model_name == NULL)
    model_name = KLING_DEFAULT_MODEL;
  return g_str_equal (model_name, "kling-v1") || g_str_has_prefix (model_name, "kling-v1-");
}

gboolean
kling_model_is_known (const gchar *model_name)
{
  guint i;

  for (i = 0; model_name && i < G_N_ELEMENTS (known_models); i++)
    if (g_str_equal (model_name, known_models[i]))
      return TRUE;
  return FALSE;
}

const gchar *
kling_mode_to_string (KlingMode mode)
{
  switch (mode) {
    case KLING_MODE_STD:
      return "std";
    case KLING_MODE_PRO:
      return "pro";
  }
  return NULL;
}

/* --- camera control ----------------------------------------------------------------- */

static const gchar *const camera_axes[] = {
  "horizontal", "vertical", "pan", "tilt", "roll", "zoom",
};

static const gchar *const camera_presets[] = {
  "down_back", "forward_up", "right_turn_forward", "left_turn_forward",
};

static gboolean
validate_simple_camera (JsonObject *control, GError **error)
{
  JsonObject *config = kling_json_get_object (control, "config");
  guint i, non_zero = 0;

  if (config == NULL)
    return invalid_input (error, "camera_control of type simple needs a \"config\" object");
  for (i = 0; i < G_N_ELEMENTS (camera_axes); i++) {
    gdouble value;

    if (!json_object_has_member (config, camera_axes[i]))
      continue;
    if (!kling_json_get_double (config, camera_axes[i], &value) ||
        json_node_get_value_type (json_object_get_member (config, camera_axes[i])) ==
        G_TYPE_STRING)
      return invalid_input (error, "camera_control.config.%s is not a number",
          camera_axes[i]);
    if (value < -10 || value > 10)
      return invalid_input (error, "camera_control.config.%s = %g, the range is -10..10",
          camera_axes[i], value);
    if (value != 0)
      non_zero++;
  }
  if (non_zero != 1)
    return invalid_input (error, "camera_control.config needs exactly one non-zero axis "
        "(horizontal, vertical, pan, tilt, roll or zoom)");
  return TRUE;
}

static JsonNode *
parse_camera_control (const gchar *json, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *control;
  const gchar *type;
  guint i;

  if (!json_parser_load_from_data (parser, json, -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    invalid_input (error, "camera_control is not a JSON object");
    return NULL;
  }
  control = json_node_get_object (root);
  type = kling_json_get_string (control, "type");
  if (type == NULL) {
    invalid_input (error, "camera_control has no \"type\"");
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
  invalid_input (error, "camera_control type \"%s\" is not simple or a known preset", type);
  return NULL;
}

/* --- image2video -------------------------------------------------------------------- */

static gboolean
validate_image2video (const KlingImage2VideoParams *params, GError **error)
{
  const gchar *model = params->model_name ? params->model_name : KLING_DEFAULT_MODEL;

  if ((params->image != NULL) == (params->image_url != NULL))
    return invalid_input (error, "give either image bytes or image_url, exactly one");
  if (params->image && !kling_validate_image (params->image, "image", error))
    return FALSE;
  if (params->image_url && !g_str_has_prefix (params->image_url, "https://") &&
      !g_str_has_prefix (params->image_url, "http://"))
    return invalid_input (error, "image_url must be an http(s) URL");
  if (*model == '\0')
    return invalid_input (error, "model_name is empty");
  if (kling_mode_to_string (params->mode) == NULL)
    return invalid_input (error, "mode must be std or pro");
  if (params->duration_s != 5 && params->duration_s != 10)
    return invalid_input (error, "duration is %u s, Kling renders 5 or 10 s",
        params->duration_s);
  if (isnan (params->cfg_scale) || params->cfg_scale < 0 || params->cfg_scale > 1)
    return invalid_input (error, "cfg_scale %g is outside 0..1", params->cfg_scale);
  if (!kling_validate_text (params->prompt, "prompt", KLING_PROMPT_MAX_CHARS, error) ||
      !kling_validate_text (params->negative_prompt, "negative_prompt",
          KLING_PROMPT_MAX_CHARS, error))
    return FALSE;
  if (params->callback_url && !g_str_has_prefix (params->callback_url, "https://") &&
      !g_str_has_prefix (params->callback_url, "http://"))
    return invalid_input (error, "callback_url must be an http(s) URL");
  return TRUE;
}

static void
set_optional_string (JsonObject *object, const gchar *member, const gchar *value)
{
  if (value && *value)
    json_object_set_string_member (object, member, value);
}

static void
copy_members (JsonObject *dst, JsonObject *src)
{
  GList *members = json_object_get_members (src), *l;

  for (l = members; l; l = l->next)
    json_object_set_member (dst, l->data, json_node_copy (json_object_get_member (src,
                l->data)));
  g_list_free (members);
}

/* The image as the summary shows it: what it was, never its bytes. */
static JsonObject *
describe_image (GBytes *image)
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

KlingRequest *
kling_image2video_request_new (const KlingImage2VideoParams *params, GError **error)
{
  const gchar *model;
  g_autoptr (JsonNode) camera = NULL;
  JsonObject *body, *summary;
  g_autofree gchar *duration = NULL;

  g_return_val_if_fail (params != NULL, NULL);
  if (!validate_image2video (params, error))
    return NULL;
  if (params->camera_control_json && *params->camera_control_json &&
      (camera = parse_camera_control (params->camera_control_json, error)) == NULL)
    return NULL;

  model = params->model_name ? params->model_name : KLING_DEFAULT_MODEL;
  duration = g_strdup_printf ("%u", params->duration_s);
  body = json_object_new ();
  summary = json_object_new ();

  json_object_set_string_member (body, "model_name", model);
  json_object_set_string_member (body, "mode", kling_mode_to_string (params->mode));
  json_object_set_string_member (body, "duration", duration);
  set_optional_string (body, "prompt", params->prompt);
  set_optional_string (body, "negative_prompt", params->negative_prompt);
  if (kling_model_takes_cfg_scale (model))
    json_object_set_double_member (body, "cfg_scale", params->cfg_scale);
  if (camera)
    json_object_set_member (body, "camera_control", json_node_copy (camera));

  /* The summary repeats every setting that shapes the clip, but only describes the image. */

  /* The summary repeats every setting that shapes the clip, but only describes the image. */
  copy_members (summary, body);

  if (params->image) {
    g_autofree gchar *b64 = g_base64_encode (g_bytes_get_data (params->image, NULL),
        g_bytes_get_size (params->image));
    json_object_set_string_member (body, "image", b64);
    json_object_set_object_member (summary, "image", describe_image (params->image));
  } else {
    json_object_set_string_member (body, "image", params->image_url);
    json_object_set_string_member (summary, "image_url", params->image_url);
  }
  set_optional_string (body, "callback_url", params->callback_url);

  return kling_request_new (KLING_ENDPOINT_IMAGE2VIDEO,
      kling_json_node_take_object (body), kling_json_node_take_object (summary));
}
