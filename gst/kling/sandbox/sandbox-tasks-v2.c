/* kling-sandbox: the per-model API (second generation, docs/kling-api.md): the creates
 * under /image-to-video/<model> and /text-to-video/<model>, the batch query GET /tasks
 * and the list POST /tasks. Its tasks live in the same table and walk the same life as
 * /v1's (sandbox-tasks.c: delays, parallel cap, rate limit, renders, callbacks); only
 * their shape on the wire differs. Everything here runs on the server thread. */
#include "sandbox-private.h"

#include <string.h>

/* Ids one GET /tasks may carry; more is 400 / 1201 (the contract gives no figure). */
#define QUERY_MAX_IDS       100
#define LIST_MAX_LIMIT      500
#define LIST_DEFAULT_LIMIT  50

static const gchar *const create_kinds[] =
    { "image-to-video", "text-to-video", NULL };
static const gchar *const status_names[] =
    { "submitted", "processing", "succeeded",
  "failed", NULL
};

/* ---- paths -------------------------------------------------------------------------- */

gboolean
sandbox_parse_v2_path (const gchar * path, const gchar ** kind, gchar ** model)
{
  if (g_str_equal (path, "/tasks")) {
    *kind = "tasks";
    *model = NULL;
    return TRUE;
  }
  for (guint i = 0; create_kinds[i]; i++) {
    gsize len = strlen (create_kinds[i]);
    const gchar *rest = path + 1 + len;

    if (path[0] == '/' && strncmp (path + 1, create_kinds[i], len) == 0 &&
        rest[0] == '/' && rest[1] != '\0' && strchr (rest + 1, '/') == NULL) {
      *kind = create_kinds[i];
      *model = g_strdup (rest + 1);
      return TRUE;
    }
  }
  return FALSE;
}

/* ---- task objects ------------------------------------------------------------------- */

static const gchar *
status_name (SandboxTaskStatus status)
{
  return status_names[status <=
      SANDBOX_TASK_FAILED ? status : SANDBOX_TASK_FAILED];
}

static void
add_string (JsonBuilder * builder, const gchar * name, const gchar * value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value ? value : "");
}

/* outputs[]: the clip once the task has succeeded; watermark_url only when
 * options.watermark_info asked for one (the sandbox draws none: the same file). */
static void
add_outputs (JsonBuilder * builder, SandboxTask * task, gboolean expired)
{
  json_builder_set_member_name (builder, "outputs");
  json_builder_begin_array (builder);
  if (task->status == SANDBOX_TASK_SUCCEED && task->video) {
    g_autofree gchar *url =
        sandbox_dup_video_url (task->sandbox, task->video, expired);
    g_autofree gchar *duration =
        sandbox_format_duration (task->video->duration_s);

    json_builder_begin_object (builder);
    add_string (builder, "type", "video");
    add_string (builder, "id", task->video->id);
    add_string (builder, "url", url);
    if (task->watermark)
      add_string (builder, "watermark_url", url);
    add_string (builder, "duration", duration);
    json_builder_end_object (builder);
  }
  json_builder_end_array (builder);
}

/* billing[]: what a succeeded task was charged, in cash at list price (the sandbox has
 * no resource packs and no discounts). Nothing before the end, nothing for a failure. */
static void
add_billing (JsonBuilder * builder, SandboxTask * task)
{
  json_builder_set_member_name (builder, "billing");
  json_builder_begin_array (builder);
  if (task->status == SANDBOX_TASK_SUCCEED) {
    json_builder_begin_object (builder);
    add_string (builder, "charge_type", "cash");
    add_string (builder, "amount", task->units);
    add_string (builder, "currency", "USD");
    add_string (builder, "package_type", "pay_as_you_go");
    add_string (builder, "list_price", task->units);
    json_builder_end_object (builder);
  }
  json_builder_end_array (builder);
}

JsonNode *
sandbox_task_v2_to_json (SandboxTask * task, gboolean expired)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_string (builder, "id", task->task_id);
  add_string (builder, "status", status_name (task->status));
  add_string (builder, "message", task->status_msg);
  json_builder_set_member_name (builder, "create_time");
  json_builder_add_int_value (builder, task->created_ms);
  json_builder_set_member_name (builder, "update_time");
  json_builder_add_int_value (builder, task->updated_ms);
  add_string (builder, "external_id", task->external_task_id);
  add_outputs (builder, task, expired);
  add_billing (builder, task);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
answer_array (SandboxResponse * resp, JsonArray * array)
{
  g_autoptr (JsonNode) data = json_node_new (JSON_NODE_ARRAY);

  json_node_set_array (data, json_array_ref (array));
  sandbox_response_json (resp, 200, 0, "SUCCEED", data);
}

/* ---- create ------------------------------------------------------------------------- */

static void
handle_create (KlingSandbox * sandbox, const gchar * kind, const gchar * name,
    GBytes * body, SandboxResponse * resp)
{
  const SandboxModelV2 *model = sandbox_model_v2_lookup (name);
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (JsonNode) data = NULL;
  g_autofree gchar *key = NULL;
  SandboxTask *task;

  if (model == NULL) {
    g_autofree gchar *names = sandbox_model_v2_dup_names ();
    sandbox_response_error (resp, 404, 1203, "Unknown model %s: /%s/ serves %s",
        g_utf8_validate (name, -1, NULL) ? name : "(not UTF-8)", kind, names);
    return;
  }
  if (!sandbox_check_rate_limit (sandbox, resp))
    return;
  object = sandbox_parse_body (body, resp);
  if (object == NULL)
    return;
  task = sandbox_task_new (sandbox, kind);
  if (!sandbox_parse_v2_create (sandbox, model, object, task, resp)) {
    sandbox_task_free (task);
    return;
  }
  if (!sandbox_task_launch (sandbox, task, resp))
    return;
  key = g_strconcat (kind, "/", model->name, NULL);
  sandbox_count_model_create (sandbox, key);
  if (task->multi_shot)
    sandbox_count (sandbox, &sandbox->multi_shot_creates);
  data = sandbox_task_v2_to_json (task, resp->expire_urls);
  sandbox_response_json (resp, 200, 0, "SUCCEED", data);
}

/* ---- GET /tasks: several tasks in one request --------------------------------------- */

/* The tasks of @ids that exist, once each, in the order asked. An unknown id is left
 * out of the array, not an error: one stale id must not hide the others. Only tasks of
 * this generation are found (a /v1 task is queried under its own path). */
static JsonArray *
find_tasks (KlingSandbox * sandbox, gchar ** ids, gboolean external,
    gboolean expired)
{
  JsonArray *array = json_array_new ();
  g_autoptr (GHashTable) seen = g_hash_table_new (NULL, NULL);

  for (guint i = 0; ids[i]; i++) {
    SandboxTask *task = external ? sandbox_find_external_id (sandbox, ids[i]) :
        g_hash_table_lookup (sandbox->tasks, ids[i]);

    if (task == NULL || !task->v2 || !g_hash_table_add (seen, task))
      continue;
    json_array_add_element (array, sandbox_task_v2_to_json (task, expired));
  }
  return array;
}

static void
handle_query (KlingSandbox * sandbox, GHashTable * query,
    SandboxResponse * resp)
{
  const gchar *ids = query ? g_hash_table_lookup (query, "task_ids") : NULL;
  const gchar *external =
      query ? g_hash_table_lookup (query, "external_task_ids") : NULL;
  const gchar *field = ids ? "task_ids" : "external_task_ids";
  g_auto (GStrv) parts = NULL;
  g_autoptr (JsonArray) array = NULL;
  guint n;

  if (ids && external) {
    sandbox_refuse (resp, "task_ids",
        "give task_ids or external_task_ids, not both");
    return;
  }
  if (!ids && !external) {
    sandbox_refuse (resp, "task_ids",
        "task_ids or external_task_ids is required");
    return;
  }
  parts = g_strsplit (ids ? ids : external, ",", -1);
  n = g_strv_length (parts);
  if (n > QUERY_MAX_IDS) {
    sandbox_refuse (resp, field, "holds %u ids; at most %u in one query", n,
        QUERY_MAX_IDS);
    return;
  }
  for (guint i = 0; i < n; i++) {
    if (*parts[i] == '\0') {
      sandbox_refuse (resp, field,
          "holds an empty id (\"a,,b\" or a comma at an end)");
      return;
    }
  }
  sandbox_count_tasks_query (sandbox, n);
  array = find_tasks (sandbox, parts, external != NULL, resp->expire_urls);
  answer_array (resp, array);
}

/* ---- POST /tasks: the list by time -------------------------------------------------- */

typedef struct
{
  gint64 start_ms, end_ms, limit, cursor;
  guint statuses;               /* bit per SandboxTaskStatus; 0: any */
  guint kinds;                  /* bit per create_kinds entry; 0: any */
} ListQuery;

/* {key: status|product_type, values: [...]}: a bit set of what the values name. */
static gboolean
parse_filter (JsonNode * node, guint i, ListQuery * list,
    SandboxResponse * resp)
{
  g_autofree gchar *field = g_strdup_printf ("filters[%u]", i);
  g_autofree gchar *key_field = g_strconcat (field, ".key", NULL);
  g_autofree gchar *values_field = g_strconcat (field, ".values", NULL);
  static const gchar *const keys[] = { "status", "product_type", NULL };
  const gchar *key = NULL;
  JsonNode *values;
  gboolean status;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return sandbox_refuse (resp, field, "must be an object {key, values}");
  if (!sandbox_input_choice (json_node_get_object (node), key_field, "key",
          keys, &key, resp))
    return FALSE;
  if (key == NULL)
    return sandbox_refuse (resp, key_field, "is required");
  status = g_str_equal (key, "status");
  values = json_object_get_member (json_node_get_object (node), "values");
  if (values == NULL || !JSON_NODE_HOLDS_ARRAY (values))
    return sandbox_refuse (resp, values_field, "must be an array of strings");
  for (guint v = 0; v < json_array_get_length (json_node_get_array (values));
      v++) {
    JsonNode *value = json_array_get_element (json_node_get_array (values), v);
    const gchar *const *names = status ? status_names : create_kinds;
    const gchar *text = JSON_NODE_HOLDS_VALUE (value) &&
        json_node_get_value_type (value) == G_TYPE_STRING ?
        json_node_get_string (value) : "";
    guint k = 0;

    while (names[k] && !g_str_equal (names[k], text))
      k++;
    if (names[k] == NULL) {
      g_autofree gchar *list_text = g_strjoinv (", ", (gchar **) names);
      return sandbox_refuse (resp, values_field, "must hold %s", list_text);
    }
    if (status)
      list->statuses |= 1u << k;
    else
      list->kinds |= 1u << k;
  }
  return TRUE;
}

static gboolean
parse_list_query (JsonObject * body, ListQuery * list, SandboxResponse * resp)
{
  const gchar *cursor = NULL;
  JsonNode *filters = json_object_get_member (body, "filters");
  guint64 position = 0;

  if (!sandbox_input_integer (body, "start_time", "start_time", 0, G_MAXINT64,
          &list->start_ms, resp) ||
      !sandbox_input_integer (body, "end_time", "end_time", 0, G_MAXINT64,
          &list->end_ms, resp)
      || !sandbox_input_integer (body, "limit", "limit", 1, LIST_MAX_LIMIT,
          &list->limit, resp)
      || !sandbox_input_string (body, "cursor", "cursor", FALSE, 32, &cursor,
          resp))
    return FALSE;
  if (list->start_ms > list->end_ms)
    return sandbox_refuse (resp, "end_time", "is before start_time");
  /* The cursor is ours: where the previous page stopped. */
  if (cursor && *cursor
      && !g_ascii_string_to_unsigned (cursor, 10, 0, G_MAXINT32, &position,
          NULL))
    return sandbox_refuse (resp, "cursor", "is not a cursor this API gave");
  list->cursor = (gint64) position;
  if (filters == NULL || JSON_NODE_HOLDS_NULL (filters))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (filters))
    return sandbox_refuse (resp, "filters",
        "must be an array of {key, values}");
  for (guint i = 0; i < json_array_get_length (json_node_get_array (filters));
      i++)
    if (!parse_filter (json_array_get_element (json_node_get_array (filters),
                i), i, list, resp))
      return FALSE;
  return TRUE;
}

static gboolean
list_takes (const ListQuery * list, SandboxTask * task)
{
  guint kind = g_str_equal (task->kind, create_kinds[0]) ? 0 : 1;

  return task->v2 && task->created_ms >= list->start_ms &&
      task->created_ms <= list->end_ms &&
      (list->statuses == 0 || (list->statuses & (1u << task->status))) &&
      (list->kinds == 0 || (list->kinds & (1u << kind)));
}

/* Oldest first within [start_time, end_time] (ms, both ends in); data is {tasks,
 * next_cursor}, next_cursor "" on the last page. */
static void
handle_list (KlingSandbox * sandbox, GBytes * body, SandboxResponse * resp)
{
  ListQuery list = { 0, G_MAXINT64, LIST_DEFAULT_LIMIT, 0, 0, 0 };
  g_autoptr (JsonObject) object = sandbox_parse_body (body, resp);
  g_autoptr (JsonBuilder) builder = NULL;
  g_autoptr (JsonNode) data = NULL;
  g_autofree gchar *next = NULL;
  guint i, taken = 0;

  if (object == NULL || !parse_list_query (object, &list, resp))
    return;
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "tasks");
  json_builder_begin_array (builder);
  for (i = (guint) MIN (list.cursor, (gint64) sandbox->task_order->len);
      i < sandbox->task_order->len; i++) {
    SandboxTask *task = g_ptr_array_index (sandbox->task_order, i);

    if (!list_takes (&list, task))
      continue;
    if (taken == list.limit)
      break;
    json_builder_add_value (builder, sandbox_task_v2_to_json (task,
            resp->expire_urls));
    taken++;
  }
  json_builder_end_array (builder);
  next =
      i < sandbox->task_order->len ? g_strdup_printf ("%u", i) : g_strdup ("");
  add_string (builder, "next_cursor", next);
  json_builder_end_object (builder);
  data = json_builder_get_root (builder);
  sandbox_response_json (resp, 200, 0, "SUCCEED", data);
}

void
sandbox_handle_v2 (KlingSandbox * sandbox, const gchar * method,
    const gchar * kind, const gchar * model, GHashTable * query, GBytes * body,
    SandboxResponse * resp)
{
  gboolean post = g_str_equal (method, "POST");

  if (model != NULL && post)
    handle_create (sandbox, kind, model, body, resp);
  else if (model == NULL && g_str_equal (method, "GET"))
    handle_query (sandbox, query, resp);
  else if (model == NULL && post)
    handle_list (sandbox, body, resp);
  else
    sandbox_response_error (resp, 404, 1202,
        "Method %s is not supported on this path", g_utf8_validate (method, -1,
            NULL) ? method : "?");
}
