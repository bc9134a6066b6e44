/* kling-sandbox: fault rules tests inject, and the counters they read. Both are guarded
 * by sandbox->lock because the C API reaches them from the test's own thread. */
#include "sandbox-private.h"

#include <string.h>

/* The task kinds counted under "tasks_created", listed even while still zero. */
static const gchar *const task_kinds[] = {
  "image2video", "text2video", "video-extend", "lip-sync", "advanced-lip-sync", NULL
};

static const struct {
  const gchar *name;
  SandboxFaultKind kind;
} fault_kinds[] = {
  { "status", SANDBOX_FAULT_STATUS },
  { "delay", SANDBOX_FAULT_DELAY },
  { "drop", SANDBOX_FAULT_DROP },
  { "drop-after", SANDBOX_FAULT_DROP_AFTER },
  { "malformed", SANDBOX_FAULT_MALFORMED },
  { "truncated", SANDBOX_FAULT_TRUNCATED },
  { "fail-task", SANDBOX_FAULT_FAIL_TASK },
  { "expire-url", SANDBOX_FAULT_EXPIRE_URL },
};

/* ---- counters ----------------------------------------------------------------------- */

static void
reset_task_counts (KlingSandbox *sandbox)
{
  g_hash_table_remove_all (sandbox->task_counts);
  for (guint i = 0; task_kinds[i]; i++)
    g_hash_table_insert (sandbox->task_counts, g_strdup (task_kinds[i]),
        GUINT_TO_POINTER (0));
}

void
sandbox_counters_init (KlingSandbox *sandbox)
{
  sandbox->request_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sandbox->task_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  reset_task_counts (sandbox);
}

/* Called with the lock held. Tasks in flight are state, not a counter: they stay. */
void
sandbox_counters_clear (KlingSandbox *sandbox)
{
  g_hash_table_remove_all (sandbox->request_counts);
  reset_task_counts (sandbox);
  sandbox->peak_parallel = sandbox->tasks_in_flight;
  sandbox->responses_429 = sandbox->downloads = sandbox->callbacks_sent = 0;
  sandbox->faults_hit = 0;
}

static void
increment (GHashTable *table, const gchar *key)
{
  gpointer value = g_hash_table_lookup (table, key);

  g_hash_table_replace (table, g_strdup (key), GUINT_TO_POINTER (GPOINTER_TO_UINT (value)
          + 1));
}

void
sandbox_count_request (KlingSandbox *sandbox, const gchar *key)
{
  g_mutex_lock (&sandbox->lock);
  increment (sandbox->request_counts, key);
  g_mutex_unlock (&sandbox->lock);
}

void
sandbox_count_task (KlingSandbox *sandbox, const gchar *kind)
{
  g_mutex_lock (&sandbox->lock);
  increment (sandbox->task_counts, kind);
  g_mutex_unlock (&sandbox->lock);
}

/* Increments one of the sandbox's guint counters. */
void
sandbox_count (KlingSandbox *sandbox, guint *counter)
{
  g_mutex_lock (&sandbox->lock);
  (*counter)++;
  g_mutex_unlock (&sandbox->lock);
}

void
sandbox_task_started (KlingSandbox *sandbox)
{
  g_mutex_lock (&sandbox->lock);
  sandbox->tasks_in_flight++;
  sandbox->peak_parallel = MAX (sandbox->peak_parallel, sandbox->tasks_in_flight);
  g_mutex_unlock (&sandbox->lock);
}

void
sandbox_task_ended (KlingSandbox *sandbox)
{
  g_mutex_lock (&sandbox->lock);
  g_warn_if_fail (sandbox->tasks_in_flight > 0);
  if (sandbox->tasks_in_flight > 0)
    sandbox->tasks_in_flight--;
  g_mutex_unlock (&sandbox->lock);
}

guint
sandbox_tasks_in_flight (KlingSandbox *sandbox)
{
  guint n;

  g_mutex_lock (&sandbox->lock);
  n = sandbox->tasks_in_flight;
  g_mutex_unlock (&sandbox->lock);
  return n;
}

static void
add_counts (JsonBuilder *builder, const gchar *name, GHashTable *table)
{
  g_autoptr (GList) keys = g_list_sort (g_hash_table_get_keys (table),
      (GCompareFunc) g_strcmp0);

  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  for (GList * l = keys; l; l = l->next) {
    json_builder_set_member_name (builder, l->data);
    json_builder_add_int_value (builder,
        GPOINTER_TO_UINT (g_hash_table_lookup (table, l->data)));
  }
  json_builder_end_object (builder);
}

static void
add_count (JsonBuilder *builder, const gchar *name, guint value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

gchar *
kling_sandbox_dup_counters_json (KlingSandbox *sandbox)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  g_return_val_if_fail (sandbox != NULL, NULL);

  g_mutex_lock (&sandbox->lock);
  json_builder_begin_object (builder);
  add_counts (builder, "requests", sandbox->request_counts);
  add_counts (builder, "tasks_created", sandbox->task_counts);
  add_count (builder, "tasks_in_flight", sandbox->tasks_in_flight);
  add_count (builder, "peak_parallel", sandbox->peak_parallel);
  add_count (builder, "responses_429", sandbox->responses_429);
  add_count (builder, "downloads", sandbox->downloads);
  add_count (builder, "callbacks_sent", sandbox->callbacks_sent);
  add_count (builder, "faults_hit", sandbox->faults_hit);
  json_builder_end_object (builder);
  g_mutex_unlock (&sandbox->lock);

  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

gint64
kling_sandbox_get_counter (KlingSandbox *sandbox, const gchar *group, const gchar *name)
{
  /* Read back from the JSON the control API serves, so both always agree. */
  g_autofree gchar *json = kling_sandbox_dup_counters_json (sandbox);
  g_autoptr (JsonNode) root = json_from_string (json, NULL);
  JsonObject *object = json_node_get_object (root);

  JsonNode *node;

  g_return_val_if_fail (name != NULL, 0);
  if (group) {
    node = json_object_get_member (object, group);
    object = node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  }
  node = object ? json_object_get_member (object, name) : NULL;
  return node && JSON_NODE_HOLDS_VALUE (node) ? json_node_get_int (node) : 0;
}

void
kling_sandbox_reset (KlingSandbox *sandbox)
{
  g_return_if_fail (sandbox != NULL);

  g_mutex_lock (&sandbox->lock);
  g_ptr_array_set_size (sandbox->faults, 0);
  sandbox_counters_clear (sandbox);
  g_mutex_unlock (&sandbox->lock);
}

void
kling_sandbox_clear_faults (KlingSandbox *sandbox)
{
  g_return_if_fail (sandbox != NULL);

  g_mutex_lock (&sandbox->lock);
  g_ptr_array_set_size (sandbox->faults, 0);
  g_mutex_unlock (&sandbox->lock);
}

/* ---- fault rules -------------------------------------------------------------------- */

void
sandbox_fault_free (SandboxFault *fault)
{
  if (fault == NULL)
    return;
  g_free (fault->method);
  g_free (fault->path);
  g_free (fault->message);
  g_free (fault);
}

static SandboxFault *
fault_copy (const SandboxFault *fault)
{
  SandboxFault *copy = g_memdup2 (fault, sizeof (*fault));

  copy->method = g_strdup (fault->method);
  copy->path = g_strdup (fault->path);
  copy->message = g_strdup (fault->message);
  return copy;
}

/* Reads an optional member of the given JSON type; FALSE (with @error) on a wrong type. */
static gboolean
member_string (JsonObject *object, const gchar *name, gchar **value, GError **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "'%s' must be a string", name);
    return FALSE;
  }
  g_free (*value);
  *value = json_node_dup_string (node);
  return TRUE;
}

static gboolean
member_number (JsonObject *object, const gchar *name, gdouble min, gdouble max,
    gdouble *value, GError **error)
{
  JsonNode *node = json_object_get_member (object, name);
  GType type;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
  if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "'%s' must be a number", name);
    return FALSE;
  }
  *value = type == G_TYPE_INT64 ? (gdouble) json_node_get_int (node) :
      json_node_get_double (node);
  if (!(*value >= min && *value <= max)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "'%s' must be within %g..%g", name, min, max);
    return FALSE;
  }
  return TRUE;
}

static gboolean
member_uint (JsonObject *object, const gchar *name, guint max, guint *value,
    GError **error)
{
  gdouble number = *value;

  if (!member_number (object, name, 0, max, &number, error))
    return FALSE;
  *value = (guint) number;
  return TRUE;
}

static gboolean
parse_kind (const gchar *action, SandboxFaultKind *kind, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (fault_kinds); i++) {
    if (g_strcmp0 (action, fault_kinds[i].name) == 0) {
      *kind = fault_kinds[i].kind;
      return TRUE;
    }
  }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
      "'action' must be one of status, delay, drop, drop-after, malformed, truncated, "
      "fail-task, expire-url");
  return FALSE;
}

static gboolean
fault_fill (SandboxFault *fault, JsonObject *rule, GError **error)
{
  g_autofree gchar *action = NULL;

  if (!member_string (rule, "method", &fault->method, error) ||
      !member_string (rule, "path", &fault->path, error) ||
      !member_string (rule, "action", &action, error) ||
      !member_string (rule, "message", &fault->message, error) ||
      !member_uint (rule, "skip", G_MAXINT, &fault->skip, error) ||
      !member_uint (rule, "times", G_MAXINT, &fault->times, error) ||
      !member_uint (rule, "http", 599, &fault->http, error) ||
      !member_uint (rule, "code", G_MAXINT, &fault->code, error) ||
      !member_uint (rule, "retry_after", 86400, &fault->retry_after, error) ||
      !member_number (rule, "seconds", 0, 600, &fault->seconds, error) ||
      !parse_kind (action, &fault->kind, error))
    return FALSE;

  if (fault->kind == SANDBOX_FAULT_STATUS && fault->http < 100) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "a 'status' fault needs 'http' (100..599)");
    return FALSE;
  }
  if (fault->kind == SANDBOX_FAULT_FAIL_TASK && fault->message == NULL)
    fault->message = g_strdup ("Failure injected by kling-sandbox");
  if (fault->path == NULL)
    fault->path = g_strdup ("/");
  return TRUE;
}

SandboxFault *
sandbox_fault_new_from_json (const gchar *json, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  SandboxFault *fault;
  JsonNode *root;

  if (!sandbox_json_depth_ok (json, strlen (json), SANDBOX_MAX_JSON_DEPTH)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "JSON nested too deeply");
    return NULL;
  }
  if (!json_parser_load_from_data (parser, json, -1, error))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "a rule is a JSON object");
    return NULL;
  }

  fault = g_new0 (SandboxFault, 1);
  fault->times = 1;
  fault->code = 5000;
  if (!fault_fill (fault, json_node_get_object (root), error)) {
    sandbox_fault_free (fault);
    return NULL;
  }
  return fault;
}

guint
sandbox_add_fault (KlingSandbox *sandbox, SandboxFault *fault)
{
  guint id;

  g_mutex_lock (&sandbox->lock);
  id = fault->id = ++sandbox->next_fault_id;
  g_ptr_array_add (sandbox->faults, fault);
  g_mutex_unlock (&sandbox->lock);
  return id;
}

gboolean
kling_sandbox_add_fault_json (KlingSandbox *sandbox, const gchar *rule_json,
    GError **error)
{
  SandboxFault *fault;

  g_return_val_if_fail (sandbox != NULL, FALSE);
  g_return_val_if_fail (rule_json != NULL, FALSE);

  fault = sandbox_fault_new_from_json (rule_json, error);
  if (fault == NULL)
    return FALSE;
  sandbox_add_fault (sandbox, fault);
  return TRUE;
}

static gboolean
fault_matches (const SandboxFault *fault, const gchar *method, const gchar *path,
    gboolean creates_task)
{
  if (fault->method && g_ascii_strcasecmp (fault->method, method) != 0)
    return FALSE;
  if (!g_str_has_prefix (path, fault->path))
    return FALSE;
  /* A fail-task rule waits for a request that really creates a task. */
  return fault->kind != SANDBOX_FAULT_FAIL_TASK || creates_task;
}

/* Every matching rule counts the request (for its skip); the first one due fires. */
SandboxFault *
sandbox_pick_fault (KlingSandbox *sandbox, const gchar *method, const gchar *path,
    gboolean creates_task)
{
  SandboxFault *fired = NULL;

  g_mutex_lock (&sandbox->lock);
  for (guint i = 0; i < sandbox->faults->len; i++) {
    SandboxFault *fault = g_ptr_array_index (sandbox->faults, i);

    if (!fault_matches (fault, method, path, creates_task))
      continue;
    if (fault->times != 0 && fault->hits >= fault->times)
      continue;
    if (++fault->seen <= fault->skip || fired != NULL)
      continue;
    fault->hits++;
    sandbox->faults_hit++;
    fired = fault_copy (fault);
  }
  g_mutex_unlock (&sandbox->lock);
  return fired;
}
