/* gst-kling: the task object of Kling's per-model API (docs/kling-api.md "The per-model
 * API"), read into the same KlingTask as /v1's, so the job, the cache and the elements do
 * not care which generation rendered a clip. */
#include "kling-task.h"
#include "kling-error.h"
#include "kling-private.h"

#include <string.h>

/* Times below this are seconds since the epoch, not milliseconds (the documents do not
 * say which; /v1 sends milliseconds): 1e11 ms is 1973, 1e11 s the year 5138. */
#define SECONDS_OR_MS_LIMIT G_GINT64_CONSTANT (100000000000)

static const struct
{
  const gchar *name;
  KlingTaskStatus status;
} v2_statuses[] = {
  {"submitted", KLING_TASK_SUBMITTED},
  {"processing", KLING_TASK_PROCESSING},
  {"succeeded", KLING_TASK_SUCCEED},
  {"failed", KLING_TASK_FAILED},
};

static gboolean
v2_status_from_string (const gchar * text, KlingTaskStatus * status)
{
  guint i;

  for (i = 0; text && i < G_N_ELEMENTS (v2_statuses); i++) {
    if (g_str_equal (text, v2_statuses[i].name)) {
      *status = v2_statuses[i].status;
      return TRUE;
    }
  }
  return FALSE;
}

static gboolean
protocol_error (GError ** error, const gchar * request_id, const gchar * what)
{
  g_propagate_error (error, kling_error_new_full (KLING_ERROR_PROTOCOL, 0, -1,
          request_id, NULL, NULL, "%s", what));
  return FALSE;
}

/* A string, or a number written as one (ids are strings in the documents). */
static gchar *
dup_id (JsonObject * object, const gchar * member)
{
  const gchar *text = kling_json_get_string (object, member);
  gint64 number;

  if (text)
    return *text ? g_strdup (text) : NULL;
  if (kling_json_get_int (object, member, &number))
    return g_strdup_printf ("%" G_GINT64_FORMAT, number);
  return NULL;
}

static gint64
read_time_ms (JsonObject * object, const gchar * member)
{
  gint64 value = 0;

  if (!kling_json_get_int (object, member, &value) || value < 0)
    return 0;
  return value < SECONDS_OR_MS_LIMIT ? value * 1000 : value;
}

/* The first output of type "video" (an output without a type counts as one). */
static gboolean
parse_first_video (KlingTask * task, JsonObject * data, GError ** error)
{
  JsonArray *outputs = kling_json_get_array (data, "outputs");
  guint i;

  for (i = 0; outputs && i < json_array_get_length (outputs); i++) {
    JsonNode *node = json_array_get_element (outputs, i);
    JsonObject *output =
        JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    const gchar *type = kling_json_get_string (output, "type");
    const gchar *url = kling_json_get_string (output, "url");

    if (output == NULL || (type && !g_str_equal (type, "video")))
      continue;
    if (url == NULL || *url == '\0')
      return protocol_error (error, task->request_id,
          "a finished task's video output has " "no url");
    task->video_url = g_strdup (url);
    task->video_id = dup_id (output, "id");
    url = kling_json_get_string (output, "watermark_url");
    task->video_watermark_url = url && *url ? g_strdup (url) : NULL;
    if (!kling_json_get_double (output, "duration", &task->video_duration_s) ||
        !(task->video_duration_s >= 0))
      task->video_duration_s = 0;
    return TRUE;
  }
  return protocol_error (error, task->request_id,
      "a finished task has no video in " "outputs[]");
}

/* billing[]: what was charged, in the unit of its first readable entry: the currency for
 * charge_type "cash", "units" for "unit". Entries in the same unit add up (a task may be
 * billed in parts); others, and unreadable ones, are ignored, as are negative amounts. */
static void
parse_billing (KlingTask * task, JsonObject * data)
{
  JsonArray *billing = kling_json_get_array (data, "billing");
  const gchar *first_text = NULL;
  gchar text[G_ASCII_DTOSTR_BUF_SIZE];
  gdouble total = 0;
  guint i, n = 0;

  for (i = 0; billing && i < json_array_get_length (billing); i++) {
    JsonNode *node = json_array_get_element (billing, i);
    JsonObject *entry =
        JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    const gchar *type = kling_json_get_string (entry, "charge_type");
    const gchar *unit = g_strcmp0 (type, "unit") == 0 ? "units" :
        kling_json_get_string (entry, "currency");
    gdouble amount;

    if (unit == NULL || !kling_json_get_double (entry, "amount", &amount)
        || amount < 0)
      continue;
    if (task->charge_unit == NULL)
      task->charge_unit = g_strdup (unit);
    else if (!g_str_equal (task->charge_unit, unit))
      continue;
    if (n++ == 0)
      first_text = kling_json_get_string (entry, "amount");
    total += amount;
  }
  if (n == 0)
    return;
  task->charge_amount = total;
  /* One entry: the amount as Kling wrote it ("0.42"); several: their sum, to 10
   * significant digits (0.3 + 0.12 is 0.42, not 0.41999999999999998). */
  task->charge = g_strdup (n == 1 && first_text ? first_text :
      g_ascii_formatd (text, sizeof (text), "%.10g", total));
}

KlingTask *
kling_task_new_from_v2_json (JsonNode * data, const gchar * request_id,
    GError ** error)
{
  g_autoptr (KlingTask) task = g_new0 (KlingTask, 1);
  JsonObject *object;
  const gchar *text;

  task->request_id = g_strdup (request_id);
  if (data == NULL || !JSON_NODE_HOLDS_OBJECT (data)) {
    protocol_error (error, request_id, "the task is not a JSON object");
    return NULL;
  }
  object = json_node_get_object (data);
  task->task_id = dup_id (object, "id");
  if (task->task_id == NULL) {
    protocol_error (error, request_id, "the task has no \"id\"");
    return NULL;
  }
  if (!v2_status_from_string (kling_json_get_string (object, "status"),
          &task->status)) {
    protocol_error (error, request_id, "the task has no known \"status\"");
    return NULL;
  }
  text = kling_json_get_string (object, "message");
  task->status_msg = text && *text ? g_strdup (text) : NULL;
  task->external_task_id = dup_id (object, "external_id");
  task->created_at_ms = read_time_ms (object, "create_time");
  task->updated_at_ms = read_time_ms (object, "update_time");
  parse_billing (task, object);
  if (task->status == KLING_TASK_SUCCEED
      && !parse_first_video (task, object, error))
    return NULL;
  return g_steal_pointer (&task);
}

JsonNode *
kling_tasks_v2_find (JsonNode * data, const gchar * id, gboolean by_external)
{
  JsonArray *tasks = data
      && JSON_NODE_HOLDS_ARRAY (data) ? json_node_get_array (data) : NULL;
  guint i;

  for (i = 0; tasks && id && i < json_array_get_length (tasks); i++) {
    JsonNode *node = json_array_get_element (tasks, i);
    g_autofree gchar *got = JSON_NODE_HOLDS_OBJECT (node) ?
        dup_id (json_node_get_object (node),
        by_external ? "external_id" : "id") : NULL;

    if (g_strcmp0 (got, id) == 0)
      return node;
  }
  return NULL;
}

gboolean
kling_task_v2_has_unknown_status (JsonNode * entry, const gchar ** status)
{
  JsonObject *object = entry && JSON_NODE_HOLDS_OBJECT (entry) ?
      json_node_get_object (entry) : NULL;
  KlingTaskStatus ignored;

  *status = kling_json_get_string (object, "status");
  return object && json_object_has_member (object, "id") &&
      !v2_status_from_string (*status, &ignored);
}
