/* gst-kling: Kling endpoints, the answer envelope and the task object. */
#include "kling-task.h"
#include "kling-error.h"
#include "kling-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>

/* docs/kling-api.md "Endpoints": which bodies have external_task_id, and which queries
 * take it in place of the task id. */
static const struct
{
  const gchar *path;
  const gchar *name;
  gboolean takes_external_id;
  gboolean resolves_external_id;
} endpoints[] = {
  [KLING_ENDPOINT_IMAGE2VIDEO] =
      {"/v1/videos/image2video", "image2video", TRUE, TRUE},
  [KLING_ENDPOINT_TEXT2VIDEO] =
      {"/v1/videos/text2video", "text2video", TRUE, TRUE},
  [KLING_ENDPOINT_LIP_SYNC] = {"/v1/videos/lip-sync", "lip-sync", FALSE, FALSE},
  [KLING_ENDPOINT_IDENTIFY_FACE] =
      {"/v1/videos/identify-face", "identify-face", FALSE,
      FALSE},
  [KLING_ENDPOINT_ADVANCED_LIP_SYNC] =
      {"/v1/videos/advanced-lip-sync", "advanced-lip-sync",
      TRUE, FALSE},
  [KLING_ENDPOINT_VIDEO_EXTEND] =
      {"/v1/videos/video-extend", "video-extend", TRUE, TRUE},
};

const gchar *
kling_endpoint_path (KlingEndpoint endpoint)
{
  g_return_val_if_fail ((guint) endpoint < G_N_ELEMENTS (endpoints), NULL);
  return endpoints[endpoint].path;
}

const gchar *
kling_endpoint_name (KlingEndpoint endpoint)
{
  g_return_val_if_fail ((guint) endpoint < G_N_ELEMENTS (endpoints), NULL);
  return endpoints[endpoint].name;
}

gboolean
kling_endpoint_from_name (const gchar * name, KlingEndpoint * endpoint)
{
  guint i;

  for (i = 0; name && i < G_N_ELEMENTS (endpoints); i++) {
    if (g_str_equal (name, endpoints[i].name)) {
      *endpoint = (KlingEndpoint) i;
      return TRUE;
    }
  }
  return FALSE;
}

gboolean
kling_endpoint_from_path (const gchar * path, KlingEndpoint * endpoint)
{
  guint i;

  for (i = 0; path && i < G_N_ELEMENTS (endpoints); i++) {
    if (g_str_equal (path, endpoints[i].path)) {
      *endpoint = (KlingEndpoint) i;
      return TRUE;
    }
  }
  return FALSE;
}

gboolean
kling_endpoint_takes_external_id (KlingEndpoint endpoint)
{
  g_return_val_if_fail ((guint) endpoint < G_N_ELEMENTS (endpoints), FALSE);
  return endpoints[endpoint].takes_external_id;
}

gboolean
kling_endpoint_resolves_external_id (KlingEndpoint endpoint)
{
  g_return_val_if_fail ((guint) endpoint < G_N_ELEMENTS (endpoints), FALSE);
  return endpoints[endpoint].resolves_external_id;
}

static const gchar *const status_names[] = {
  [KLING_TASK_SUBMITTED] = "submitted",
  [KLING_TASK_PROCESSING] = "processing",
  [KLING_TASK_SUCCEED] = "succeed",
  [KLING_TASK_FAILED] = "failed",
};

const gchar *
kling_task_status_to_string (KlingTaskStatus status)
{
  g_return_val_if_fail ((guint) status < G_N_ELEMENTS (status_names), NULL);
  return status_names[status];
}

static gboolean
status_from_string (const gchar * text, KlingTaskStatus * status)
{
  guint i;

  for (i = 0; text && i < G_N_ELEMENTS (status_names); i++) {
    if (g_str_equal (text, status_names[i])) {
      *status = (KlingTaskStatus) i;
      return TRUE;
    }
  }
  return FALSE;
}

/* --- type-checked JSON access ------------------------------------------------------- */

static JsonNode *
get_member (JsonObject * object, const gchar * member)
{
  return object ? json_object_get_member (object, member) : NULL;
}

const gchar *
kling_json_get_string (JsonObject * object, const gchar * member)
{
  JsonNode *node = get_member (object, member);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

JsonObject *
kling_json_get_object (JsonObject * object, const gchar * member)
{
  JsonNode *node = get_member (object, member);
  return node
      && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

JsonArray *
kling_json_get_array (JsonObject * object, const gchar * member)
{
  JsonNode *node = get_member (object, member);
  return node
      && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

gboolean
kling_json_get_int (JsonObject * object, const gchar * member, gint64 * value)
{
  JsonNode *node = get_member (object, member);
  GType type = node ? json_node_get_value_type (node) : G_TYPE_INVALID;

  if (type == G_TYPE_INT64) {
    *value = json_node_get_int (node);
    return TRUE;
  }
  if (type == G_TYPE_DOUBLE) {
    gdouble d = json_node_get_double (node);
    /* Whole and within gint64 before the cast: converting 1e41 is undefined behaviour
     * (found by tests/fuzz/fuzz-envelope). 2^63 itself is one past G_MAXINT64. */
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)
        || d != floor (d))
      return FALSE;
    *value = (gint64) d;
    return TRUE;
  }
  return FALSE;
}

gboolean
kling_json_get_double (JsonObject * object, const gchar * member,
    gdouble * value)
{
  JsonNode *node = get_member (object, member);
  GType type = node ? json_node_get_value_type (node) : G_TYPE_INVALID;
  const gchar *text;
  gchar *end = NULL;

  if (type == G_TYPE_INT64 || type == G_TYPE_DOUBLE) {
    *value = json_node_get_double (node);
    return TRUE;
  }
  if (type != G_TYPE_STRING)
    return FALSE;
  text = json_node_get_string (node);
  *value = g_ascii_strtod (text, &end);
  /* "nan" and "inf" parse, but no field of an answer is one. */
  return end != text && *end == '\0' && isfinite (*value);
}

JsonNode *
kling_json_node_take_object (JsonObject * object)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, object);
  return node;
}

JsonNode *
kling_json_node_take_array (JsonArray * array)
{
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);

  json_node_take_array (node, array);
  return node;
}

gchar *
kling_sha256_hex (const guint8 * data, gsize len)
{
  guint8 digest[SHA256_DIGEST_LENGTH];
  GString *hex = g_string_sized_new (2 * SHA256_DIGEST_LENGTH);
  guint i;

  SHA256 (data, len, digest);
  for (i = 0; i < SHA256_DIGEST_LENGTH; i++)
    g_string_append_printf (hex, "%02x", digest[i]);
  return g_string_free (hex, FALSE);
}

/* --- the envelope ------------------------------------------------------------------- */

static GError *
envelope_error (guint http_status, gint kling_code, const gchar * request_id,
    const gchar * message)
{
  KlingErrorCode code = kling_error_code_from_http (http_status, kling_code);

  return kling_error_new_full (code, http_status, kling_code, request_id, NULL,
      NULL, "%s", message ? message : "no message");
}

/* What came instead of Kling's envelope, for the sentence that blames api-url. */
static const gchar *
describe_foreign_body (const gchar * body, gsize len, JsonNode * root)
{
  gsize i = 0;

  if (root != NULL)
    return JSON_NODE_HOLDS_OBJECT (root) ? "JSON without Kling's code and data"
        : "JSON that is not an object";
  while (body && i < len && g_ascii_isspace (body[i]))
    i++;
  if (body == NULL || i == len)
    return "an empty answer";
  return body[i] == '<' ? "an HTML page" : "an answer that is not JSON";
}

/* Not Kling's envelope at all: the status alone decides the code, and the error says that
 * api-url may not be a Kling server. */
static GError *
foreign_answer_error (guint http_status, const gchar * body, gsize len,
    JsonNode * root)
{
  JsonObject *object = root
      && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  const gchar *words = kling_json_get_string (object, "message");
  g_autofree gchar *what = NULL;
  GError *error;

  if (words == NULL)
    words = kling_json_get_string (object, "detail");
  what =
      words ? g_strdup_printf ("%s: %s", describe_foreign_body (body, len,
          root), words) : g_strdup (describe_foreign_body (body, len, root));
  if (http_status >= 400)
    error = envelope_error (http_status, -1, NULL, what);
  else
    error =
        kling_error_new_full (KLING_ERROR_PROTOCOL, http_status, -1, NULL, NULL,
        NULL, "%s", what);
  kling_error_set_foreign_answer (error, TRUE);
  return error;
}

/* A body that opens a JSON object but does not parse: Kling's answer garbled or cut short
 * on the way (a glitch a query may retry), not another server. */
static gboolean
is_garbled_object (const gchar * body, gsize len)
{
  gsize i = 0;

  while (body && i < len && g_ascii_isspace (body[i]))
    i++;
  return body && i < len && body[i] == '{';
}

/* Kling's envelope has "code" and "data"; resellers answer {"error": ..., "code": ...}. */
static gboolean
is_envelope (JsonObject * object)
{
  return json_object_has_member (object, "code")
      || json_object_has_member (object, "data")
      || json_object_has_member (object, "error");
}

JsonNode *
kling_envelope_parse (guint http_status, const gchar * body, gsize len,
    gchar ** request_id, GError ** error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root = NULL;
  JsonObject *envelope;
  JsonNode *data;
  const gchar *rid, *message;
  gint64 code = -1;
  gboolean has_code;

  if (request_id)
    *request_id = NULL;
  if (body != NULL && len > 0 && len <= G_MAXSSIZE &&
      json_parser_load_from_data (parser, body, (gssize) len, NULL))
    root = json_parser_get_root (parser);
  if (root == NULL && is_garbled_object (body, len)) {
    g_propagate_error (error, http_status >= 400 ? envelope_error (http_status,
            -1, NULL,
            "the answer is JSON cut short or garbled") :
        kling_error_new_full (KLING_ERROR_PROTOCOL, http_status, -1, NULL, NULL,
            NULL, "the answer is JSON cut short or garbled"));
    return NULL;
  }
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root) ||
      !is_envelope (json_node_get_object (root))) {
    g_propagate_error (error, foreign_answer_error (http_status, body, len,
            root));
    return NULL;
  }
  envelope = json_node_get_object (root);
  rid = kling_json_get_string (envelope, "request_id");
  if (request_id)
    *request_id = g_strdup (rid);

  has_code = kling_json_get_int (envelope, "code", &code);
  if (has_code && (code < G_MININT || code > G_MAXINT))
    has_code = FALSE;
  message = kling_json_get_string (envelope, "message");
  if (message == NULL)
    message = kling_json_get_string (envelope, "error");        /* resellers */
  if (message == NULL)
    message = kling_json_get_string (envelope, "detail");

  if (http_status >= 400 || (has_code && code != 0)) {
    g_propagate_error (error, envelope_error (http_status,
            has_code ? (gint) code : -1, rid,
            message ? message : "the server gave no message"));
    return NULL;
  }
  if (!has_code) {
    g_propagate_error (error, kling_error_new_full (KLING_ERROR_PROTOCOL,
            http_status, -1, rid, NULL, NULL,
            "the answer has no numeric \"code\""));
    return NULL;
  }
  data = json_object_get_member (envelope, "data");
  if (data == NULL || JSON_NODE_HOLDS_NULL (data)) {
    g_propagate_error (error, kling_error_new_full (KLING_ERROR_PROTOCOL,
            http_status, 0, rid, NULL, NULL, "the answer has no \"data\""));
    return NULL;
  }
  return json_node_copy (data);
}

/* --- the task object ---------------------------------------------------------------- */

static gboolean
protocol_error (GError ** error, const gchar * request_id, const gchar * what)
{
  g_propagate_error (error, kling_error_new_full (KLING_ERROR_PROTOCOL, 0, -1,
          request_id, NULL, NULL, "%s", what));
  return FALSE;
}

static gboolean
parse_first_video (KlingTask * task, JsonObject * data, GError ** error)
{
  JsonObject *result = kling_json_get_object (data, "task_result");
  JsonArray *videos = kling_json_get_array (result, "videos");
  JsonNode *first;
  JsonObject *video;
  const gchar *id, *url;
  gint64 id_num;

  if (videos == NULL || json_array_get_length (videos) == 0)
    return protocol_error (error, task->request_id,
        "a finished task has no task_result.videos[]");
  first = json_array_get_element (videos, 0);
  if (!JSON_NODE_HOLDS_OBJECT (first))
    return protocol_error (error, task->request_id,
        "task_result.videos[0] is not an object");
  video = json_node_get_object (first);
  url = kling_json_get_string (video, "url");
  if (url == NULL || *url == '\0')
    return protocol_error (error, task->request_id,
        "task_result.videos[0].url is missing");
  id = kling_json_get_string (video, "id");
  if (id)
    task->video_id = g_strdup (id);
  else if (kling_json_get_int (video, "id", &id_num))
    task->video_id = g_strdup_printf ("%" G_GINT64_FORMAT, id_num);
  task->video_url = g_strdup (url);
  url = kling_json_get_string (video, "watermark_url");
  task->video_watermark_url = url && *url ? g_strdup (url) : NULL;
  if (!kling_json_get_double (video, "duration", &task->video_duration_s) ||
      !(task->video_duration_s >= 0))
    task->video_duration_s = 0;
  return TRUE;
}

/* final_unit_deduction: "1", 1, 0.2 or absent. Anything else is ignored (unknown shapes
 * are never fatal), as is a negative amount. */
static void
parse_final_unit_deduction (KlingTask * task, JsonObject * data)
{
  JsonNode *node = json_object_get_member (data, "final_unit_deduction");
  gchar text[G_ASCII_DTOSTR_BUF_SIZE];
  gdouble amount;
  gint64 whole;

  if (node == NULL
      || !kling_json_get_double (data, "final_unit_deduction", &amount)
      || !(amount >= 0))
    return;
  if (json_node_get_value_type (node) == G_TYPE_STRING)
    task->charge = g_strdup (json_node_get_string (node));
  else if (kling_json_get_int (data, "final_unit_deduction", &whole))
    task->charge = g_strdup_printf ("%" G_GINT64_FORMAT, whole);
  else
    task->charge = g_strdup (g_ascii_dtostr (text, sizeof (text), amount));
  task->charge_amount = amount;
  task->charge_unit = g_strdup ("credits");
}

KlingTask *
kling_task_new_from_json (JsonNode * data, const gchar * request_id,
    GError ** error)
{
  g_autoptr (KlingTask) task = g_new0 (KlingTask, 1);
  JsonObject *object, *info;
  const gchar *id, *status, *text;

  task->request_id = g_strdup (request_id);
  if (data == NULL || !JSON_NODE_HOLDS_OBJECT (data)) {
    protocol_error (error, request_id, "the task is not a JSON object");
    return NULL;
  }
  object = json_node_get_object (data);
  id = kling_json_get_string (object, "task_id");
  if (id == NULL || *id == '\0') {
    protocol_error (error, request_id, "the task has no string \"task_id\"");
    return NULL;
  }
  task->task_id = g_strdup (id);
  status = kling_json_get_string (object, "task_status");
  if (!status_from_string (status, &task->status)) {
    protocol_error (error, request_id, "the task has no known \"task_status\"");
    return NULL;
  }
  text = kling_json_get_string (object, "task_status_msg");
  task->status_msg = text && *text ? g_strdup (text) : NULL;
  info = kling_json_get_object (object, "task_info");
  task->external_task_id =
      g_strdup (kling_json_get_string (info, "external_task_id"));
  kling_json_get_int (object, "created_at", &task->created_at_ms);
  kling_json_get_int (object, "updated_at", &task->updated_at_ms);
  parse_final_unit_deduction (task, object);

  if (task->status == KLING_TASK_SUCCEED
      && !parse_first_video (task, object, error))
    return NULL;
  return g_steal_pointer (&task);
}

KlingTask *
kling_task_copy (const KlingTask * task)
{
  KlingTask *copy;

  g_return_val_if_fail (task != NULL, NULL);
  copy = g_memdup2 (task, sizeof (KlingTask));
  copy->task_id = g_strdup (task->task_id);
  copy->status_msg = g_strdup (task->status_msg);
  copy->external_task_id = g_strdup (task->external_task_id);
  copy->video_id = g_strdup (task->video_id);
  copy->video_url = g_strdup (task->video_url);
  copy->video_watermark_url = g_strdup (task->video_watermark_url);
  copy->request_id = g_strdup (task->request_id);
  copy->charge = g_strdup (task->charge);
  copy->charge_unit = g_strdup (task->charge_unit);
  return copy;
}

void
kling_task_free (KlingTask * task)
{
  if (task == NULL)
    return;
  g_free (task->task_id);
  g_free (task->status_msg);
  g_free (task->external_task_id);
  g_free (task->video_id);
  g_free (task->video_url);
  g_free (task->video_watermark_url);
  g_free (task->request_id);
  g_free (task->charge);
  g_free (task->charge_unit);
  g_free (task);
}
