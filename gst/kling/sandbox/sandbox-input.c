/* kling-sandbox: request fields read and checked like Kling does. Each reader answers
 * 400 with code 1201 and a message naming the field when the value is wrong, and leaves
 * the output untouched when an optional field is absent. */
#include "sandbox-private.h"

#include <string.h>
#include <glib/gstdio.h>

#define IMAGE_MAX_BYTES   (10 * 1024 * 1024)
#define IMAGE_MIN_SIDE    300
#define IMAGE_MAX_ASPECT  2.5
#define AUDIO_MAX_BYTES   (5 * 1024 * 1024)
#define AUDIO_MIN_S       2.0
#define AUDIO_MAX_S       60.0

static gboolean
invalid (SandboxResponse * resp, const gchar * field, const gchar * problem)
{
  sandbox_response_error (resp, 400, 1201, "Invalid parameter %s: %s", field,
      problem);
  return FALSE;
}

gboolean
sandbox_refuse (SandboxResponse * resp, const gchar * field,
    const gchar * format, ...)
{
  g_autofree gchar *problem = NULL;
  va_list args;

  va_start (args, format);
  problem = g_strdup_vprintf (format, args);
  va_end (args);
  return invalid (resp, field, problem);
}

static JsonNode *
member (JsonObject * object, const gchar * name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node && !JSON_NODE_HOLDS_NULL (node) ? node : NULL;
}

static gboolean
holds (JsonNode * node, GType type)
{
  return JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == type;
}

gboolean
sandbox_input_string (JsonObject * object, const gchar * field,
    const gchar * name, gboolean required, guint max_chars,
    const gchar ** value, SandboxResponse * resp)
{
  JsonNode *node = member (object, name);
  const gchar *text;

  if (node == NULL)
    return required ? invalid (resp, field, "is required") : TRUE;
  if (!holds (node, G_TYPE_STRING))
    return invalid (resp, field, "must be a string");
  text = json_node_get_string (node);
  if (required && *text == '\0')
    return invalid (resp, field, "must not be empty");
  if (max_chars > 0 && g_utf8_strlen (text, -1) > max_chars) {
    g_autofree gchar *problem =
        g_strdup_printf ("is longer than %u characters", max_chars);
    return invalid (resp, field, problem);
  }
  *value = text;
  return TRUE;
}

gboolean
sandbox_input_number (JsonObject * object, const gchar * field,
    const gchar * name, gdouble min, gdouble max, gdouble * value,
    SandboxResponse * resp)
{
  JsonNode *node = member (object, name);
  gdouble number;

  if (node == NULL)
    return TRUE;
  if (holds (node, G_TYPE_INT64))
    number = json_node_get_int (node);
  else if (holds (node, G_TYPE_DOUBLE))
    number = json_node_get_double (node);
  else
    return invalid (resp, field, "must be a number");
  if (!(number >= min && number <= max)) {
    g_autofree gchar *problem =
        g_strdup_printf ("must be within %g..%g", min, max);
    return invalid (resp, field, problem);
  }
  *value = number;
  return TRUE;
}

gboolean
sandbox_input_choice (JsonObject * object, const gchar * field,
    const gchar * name, const gchar * const *choices, const gchar ** value,
    SandboxResponse * resp)
{
  const gchar *text = NULL;
  g_autofree gchar *list = NULL;
  g_autofree gchar *problem = NULL;

  if (!sandbox_input_string (object, field, name, FALSE, 0, &text, resp))
    return FALSE;
  if (text == NULL || g_strv_contains (choices, text)) {
    if (text)
      *value = text;
    return TRUE;
  }
  list = g_strjoinv (", ", (gchar **) choices);
  problem = g_strdup_printf ("must be one of %s", list);
  return invalid (resp, field, problem);
}

/* A string of whole seconds ("5"), as Kling takes durations; which ones a model takes is
 * for the model table. */
gboolean
sandbox_input_seconds (JsonObject * object, const gchar * field,
    const gchar * name, guint * seconds, SandboxResponse * resp)
{
  JsonNode *node = member (object, name);
  const gchar *text;
  guint64 value;

  if (node == NULL)
    return TRUE;
  if (!holds (node, G_TYPE_STRING))
    return invalid (resp, field,
        "must be a string of whole seconds, such as \"5\"");
  text = json_node_get_string (node);
  /* Digits only: no sign, no space, no fraction, no leading zero. */
  if (text[0] == '0' || strspn (text, "0123456789") != strlen (text) ||
      !g_ascii_string_to_unsigned (text, 10, 1, 999, &value, NULL))
    return invalid (resp, field,
        "must be a string of whole seconds, such as \"5\"");
  *seconds = (guint) value;
  return TRUE;
}

/* A JSON integer (5, not "5" nor 5.0), as the per-model API takes durations and times. */
gboolean
sandbox_input_integer (JsonObject * object, const gchar * field,
    const gchar * name, gint64 min, gint64 max, gint64 * value,
    SandboxResponse * resp)
{
  JsonNode *node = member (object, name);
  g_autofree gchar *problem = NULL;

  if (node == NULL)
    return TRUE;
  if (holds (node, G_TYPE_INT64) && json_node_get_int (node) >= min &&
      json_node_get_int (node) <= max) {
    *value = json_node_get_int (node);
    return TRUE;
  }
  problem = g_strdup_printf ("must be an integer in %" G_GINT64_FORMAT "..%"
      G_GINT64_FORMAT " (a number, not a string)", min, max);
  return invalid (resp, field, problem);
}

gboolean
sandbox_input_boolean (JsonObject * object, const gchar * field,
    const gchar * name, gboolean * value, SandboxResponse * resp)
{
  JsonNode *node = member (object, name);

  if (node == NULL)
    return TRUE;
  if (!holds (node, G_TYPE_BOOLEAN))
    return invalid (resp, field, "must be true or false");
  *value = json_node_get_boolean (node);
  return TRUE;
}

gboolean
sandbox_input_object (JsonObject * object, const gchar * field,
    const gchar * name, gboolean required, JsonObject ** value,
    SandboxResponse * resp)
{
  JsonNode *node = member (object, name);

  if (node == NULL)
    return required ? invalid (resp, field, "is required") : TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return invalid (resp, field, "must be an object");
  *value = json_node_get_object (node);
  return TRUE;
}

gboolean
sandbox_input_loopback_url (const gchar * field, const gchar * url,
    SandboxResponse * resp)
{
  if (sandbox_url_is_loopback (url))
    return TRUE;
  return invalid (resp, field,
      "URL cannot be fetched: the sandbox fetches only "
      "http://127.0.0.1 or http://localhost URLs");
}

static gboolean
is_url (const gchar * text)
{
  return g_str_has_prefix (text, "http://")
      || g_str_has_prefix (text, "https://");
}

/* Strict base64 (g_base64_decode skips garbage silently, Kling does not). */
static GBytes *
decode_base64 (const gchar * text)
{
  gsize len = strlen (text), data_chars = 0, padding = 0;
  guchar *data;
  gsize size;

  for (gsize i = 0; i < len; i++) {
    gchar c = text[i];
    if (g_ascii_isalnum (c) || c == '+' || c == '/') {
      if (padding > 0)
        return NULL;
      data_chars++;
    } else if (c == '=') {
      padding++;
    } else if (!g_ascii_isspace (c)) {
      return NULL;
    }
  }
  if (data_chars == 0 || padding > 2 || (data_chars + padding) % 4 == 1)
    return NULL;
  data = g_base64_decode (text, &size);
  return g_bytes_new_take (data, size);
}

gchar *
sandbox_image_problem (GBytes * image)
{
  return sandbox_image_problem_max (image, IMAGE_MAX_BYTES);
}

gchar *
sandbox_image_problem_max (GBytes * image, gsize max_bytes)
{
  guint width, height;
  gdouble aspect;

  if (g_bytes_get_size (image) > max_bytes)
    return g_strdup_printf ("is larger than %" G_GSIZE_FORMAT " MB",
        max_bytes / (1024 * 1024));
  if (sandbox_probe_image (g_bytes_get_data (image, NULL),
          g_bytes_get_size (image), &width, &height) == SANDBOX_IMAGE_UNKNOWN)
    return g_strdup ("must be a JPEG or PNG image");
  if (width < IMAGE_MIN_SIDE || height < IMAGE_MIN_SIDE)
    return g_strdup_printf ("is %ux%u; both sides must be at least %u px",
        width, height, IMAGE_MIN_SIDE);
  aspect = (gdouble) width / height;
  if (aspect > IMAGE_MAX_ASPECT || aspect < 1.0 / IMAGE_MAX_ASPECT)
    return
        g_strdup_printf
        ("is %ux%u; the aspect ratio must be between 1:2.5 and 2.5:1", width,
        height);
  return NULL;
}

static gboolean
check_image (const gchar * field, GBytes * image, gsize max_bytes,
    SandboxResponse * resp)
{
  g_autofree gchar *problem = sandbox_image_problem_max (image, max_bytes);

  return problem == NULL || invalid (resp, field, problem);
}

/* An image as base64 (no data: prefix) or a URL; sets exactly one of @bytes and @url. */
gboolean
sandbox_input_image (JsonObject * object, const gchar * field,
    const gchar * name, gboolean required, GBytes ** bytes, gchar ** url,
    SandboxResponse * resp)
{
  return sandbox_input_image_max (object, field, name, required,
      IMAGE_MAX_BYTES, bytes, url, resp);
}

gboolean
sandbox_input_image_max (JsonObject * object, const gchar * field,
    const gchar * name, gboolean required, gsize max_bytes, GBytes ** bytes,
    gchar ** url, SandboxResponse * resp)
{
  const gchar *text = NULL;
  g_autoptr (GBytes) image = NULL;

  if (!sandbox_input_string (object, field, name, required, 0, &text, resp))
    return FALSE;
  if (text == NULL)
    return TRUE;
  if (is_url (text)) {
    if (!sandbox_input_loopback_url (field, text, resp))
      return FALSE;
    *url = g_strdup (text);
    return TRUE;
  }
  if (g_str_has_prefix (text, "data:"))
    return invalid (resp, field,
        "must be plain base64, without a data: prefix");
  image = decode_base64 (text);
  if (image == NULL)
    return invalid (resp, field, "is neither base64 nor a URL");
  if (!check_image (field, image, max_bytes, resp))
    return FALSE;
  *bytes = g_steal_pointer (&image);
  return TRUE;
}

gchar *
sandbox_audio_problem (GBytes * audio, const gchar * path, gdouble * length_s)
{
  g_autoptr (GError) error = NULL;
  gdouble seconds;

  if (g_bytes_get_size (audio) > AUDIO_MAX_BYTES)
    return g_strdup ("is larger than 5 MB");
  if (sandbox_probe_audio_format (g_bytes_get_data (audio, NULL),
          g_bytes_get_size (audio)) == NULL)
    return g_strdup ("must be mp3, wav, m4a or aac audio");
  seconds = sandbox_media_duration (path, FALSE, NULL, NULL, NULL, &error);
  if (seconds < 0)
    return g_strdup ("cannot be decoded as audio");
  if (seconds < AUDIO_MIN_S || seconds > AUDIO_MAX_S)
    return g_strdup_printf ("lasts %.1f s; it must last 2 to 60 s", seconds);
  if (length_s)
    *length_s = seconds;
  return NULL;
}

/* The length is read by GstDiscoverer from a temporary copy in @tmp_dir. */
static gboolean
check_audio (const gchar * tmp_dir, const gchar * field, GBytes * audio,
    gdouble * length_s, SandboxResponse * resp)
{
  g_autofree gchar *name = sandbox_new_id ("audio-");
  g_autofree gchar *path = g_build_filename (tmp_dir, name, NULL);
  g_autofree gchar *problem = NULL;

  if (!g_file_set_contents (path, g_bytes_get_data (audio, NULL),
          g_bytes_get_size (audio), NULL)) {
    sandbox_response_error (resp, 500, 5000, "cannot store the audio");
    return FALSE;
  }
  problem = sandbox_audio_problem (audio, path, length_s);
  g_unlink (path);
  return problem == NULL || invalid (resp, field, problem);
}

/* Audio as base64 or (when @allow_url) a URL; sets one of @bytes and @url, and for bytes
 * their length in @length_s (may be NULL). */
gboolean
sandbox_input_audio (const gchar * tmp_dir, JsonObject * object,
    const gchar * field, const gchar * name, gboolean allow_url,
    GBytes ** bytes, gchar ** url, gdouble * length_s, SandboxResponse * resp)
{
  const gchar *text = NULL;
  g_autoptr (GBytes) audio = NULL;

  if (!sandbox_input_string (object, field, name, TRUE, 0, &text, resp))
    return FALSE;
  if (is_url (text)) {
    if (!allow_url)
      return invalid (resp, field, "must be base64 (use audio_url for a URL)");
    if (!sandbox_input_loopback_url (field, text, resp))
      return FALSE;
    *url = g_strdup (text);
    return TRUE;
  }
  audio = decode_base64 (text);
  if (audio == NULL)
    return invalid (resp, field, "is not base64");
  if (!check_audio (tmp_dir, field, audio, length_s, resp))
    return FALSE;
  *bytes = g_steal_pointer (&audio);
  return TRUE;
}

/* The nesting depth of a JSON text, strings skipped; json-glib's parser recurses, so a
 * hostile "[[[[..." must be refused before it reaches it. */
gboolean
sandbox_json_depth_ok (const gchar * text, gsize len, guint max_depth)
{
  guint depth = 0;
  gboolean in_string = FALSE;

  for (gsize i = 0; i < len; i++) {
    gchar c = text[i];

    if (in_string) {
      if (c == '\\')
        i++;
      else if (c == '"')
        in_string = FALSE;
    } else if (c == '"') {
      in_string = TRUE;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth)
        return FALSE;
    } else if ((c == ']' || c == '}') && depth > 0) {
      depth--;
    }
  }
  return TRUE;
}
