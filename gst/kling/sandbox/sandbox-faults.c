/* kling-sandbox: the fault rules tests inject (POST /sandbox/faults), read from JSON,
 * matched against requests and counted. Guarded by sandbox->lock because the C API
 * reaches them from the test's own thread. What each kind does on the wire is
 * sandbox-respond.c's. */
#include "sandbox-private.h"
#include "sandbox-wire.h"

#include <string.h>

#define DEFAULT_OVERSIZE_BYTES (20 * 1024 * 1024)
#define DEFAULT_DEPTH          80000
#define MAX_DEPTH              1000000

static const struct
{
  const gchar *name;
  SandboxFaultKind kind;
} fault_kinds[] = {
  {"status", SANDBOX_FAULT_STATUS},
  {"delay", SANDBOX_FAULT_DELAY},
  {"drop", SANDBOX_FAULT_DROP},
  {"drop-after", SANDBOX_FAULT_DROP_AFTER},
  {"malformed", SANDBOX_FAULT_MALFORMED},
  {"truncated", SANDBOX_FAULT_TRUNCATED},
  {"fail-task", SANDBOX_FAULT_FAIL_TASK},
  {"expire-url", SANDBOX_FAULT_EXPIRE_URL},
  {"chunked-cut", SANDBOX_FAULT_CHUNKED_CUT},
  {"eof-cut", SANDBOX_FAULT_EOF_CUT},
  {"short-length", SANDBOX_FAULT_SHORT_LENGTH},
  {"endless", SANDBOX_FAULT_ENDLESS},
  {"throttle", SANDBOX_FAULT_THROTTLE},
  {"oversize", SANDBOX_FAULT_OVERSIZE},
  {"deep-json", SANDBOX_FAULT_DEEP_JSON},
  {"task-status", SANDBOX_FAULT_TASK_STATUS},
  {"html", SANDBOX_FAULT_HTML},
  {"html-after", SANDBOX_FAULT_HTML_AFTER},
  {"stall", SANDBOX_FAULT_STALL},
  {"redirect", SANDBOX_FAULT_REDIRECT},
};

/* ---- fault rules -------------------------------------------------------------------- */

void
sandbox_fault_free (SandboxFault * fault)
{
  if (fault == NULL)
    return;
  g_free (fault->method);
  g_free (fault->path);
  g_free (fault->message);
  g_free (fault->location);
  g_clear_pointer (&fault->value, json_node_unref);
  g_free (fault);
}

static SandboxFault *
fault_copy (const SandboxFault * fault)
{
  SandboxFault *copy = g_memdup2 (fault, sizeof (*fault));

  copy->method = g_strdup (fault->method);
  copy->path = g_strdup (fault->path);
  copy->message = g_strdup (fault->message);
  copy->location = g_strdup (fault->location);
  copy->value = fault->value ? json_node_copy (fault->value) : NULL;
  return copy;
}

/* Reads an optional member of the given JSON type; FALSE (with @error) on a wrong type. */
static gboolean
member_string (JsonObject * object, const gchar * name, gchar ** value,
    GError ** error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "'%s' must be a string", name);
    return FALSE;
  }
  g_free (*value);
  *value = json_node_dup_string (node);
  return TRUE;
}

static gboolean
member_number (JsonObject * object, const gchar * name, gdouble min,
    gdouble max, gdouble * value, GError ** error)
{
  JsonNode *node = json_object_get_member (object, name);
  GType type;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  type =
      JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) :
      G_TYPE_INVALID;
  if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "'%s' must be a number", name);
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
member_uint (JsonObject * object, const gchar * name, guint max, guint * value,
    GError ** error)
{
  gdouble number = *value;

  if (!member_number (object, name, 0, max, &number, error))
    return FALSE;
  *value = (guint) number;
  return TRUE;
}

static gboolean
member_size (JsonObject * object, const gchar * name, guint64 * value,
    GError ** error)
{
  gdouble number = (gdouble) * value;

  if (!member_number (object, name, 0, (gdouble) SANDBOX_WIRE_MAX_BYTES,
          &number, error))
    return FALSE;
  *value = (guint64) number;
  return TRUE;
}

static gboolean
member_boolean (JsonObject * object, const gchar * name, gboolean * value,
    GError ** error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_BOOLEAN) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "'%s' must be true or false", name);
    return FALSE;
  }
  *value = json_node_get_boolean (node);
  return TRUE;
}

/* "kind", or "action" (its older name); both may be given if they agree. */
static gboolean
parse_kind (JsonObject * rule, SandboxFaultKind * kind, GError ** error)
{
  g_autofree gchar *action = NULL;
  g_autofree gchar *name = NULL;
  g_autoptr (GString) names = g_string_new (NULL);

  if (!member_string (rule, "action", &action, error) ||
      !member_string (rule, "kind", &name, error))
    return FALSE;
  if (action && name && !g_str_equal (action, name)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "'kind' and 'action' name the same thing: give one");
    return FALSE;
  }
  for (guint i = 0; i < G_N_ELEMENTS (fault_kinds); i++) {
    if (g_strcmp0 (name ? name : action, fault_kinds[i].name) == 0) {
      *kind = fault_kinds[i].kind;
      return TRUE;
    }
    g_string_append_printf (names, "%s%s", i ? ", " : "", fault_kinds[i].name);
  }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
      "'kind' must be one of %s", names->str);
  return FALSE;
}

static gboolean
invalid_rule (GError ** error, const gchar * message)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, message);
  return FALSE;
}

/* What each kind needs, and the defaults it has. */
static gboolean
check_kind (SandboxFault * fault, JsonObject * rule, GError ** error)
{
  static const guint redirects[] = { 301, 302, 303, 307, 308 };
  gboolean redirect_status = FALSE;

  if (fault->seconds == 0 && fault->kind != SANDBOX_FAULT_DELAY)
    return invalid_rule (error,
        "'seconds' bounds how long this fault lasts: give more "
        "than 0 (or leave it out)");

  switch (fault->kind) {
    case SANDBOX_FAULT_STATUS:
      if (fault->http < 100)
        return invalid_rule (error, "a 'status' fault needs 'http' (100..599)");
      break;
    case SANDBOX_FAULT_FAIL_TASK:
      if (fault->message == NULL)
        fault->message = g_strdup ("Failure injected by kling-sandbox");
      break;
    case SANDBOX_FAULT_THROTTLE:
      if (fault->bytes_per_second == 0)
        return invalid_rule (error,
            "a 'throttle' fault needs 'bytes_per_second' (>= 1)");
      break;

    case SANDBOX_FAULT_OVERSIZE:
      fault->bytes = fault->bytes ? fault->bytes : DEFAULT_OVERSIZE_BYTES;
      break;
    case SANDBOX_FAULT_ENDLESS:
      fault->bytes = fault->bytes ? fault->bytes : SANDBOX_WIRE_MAX_BYTES;
      break;
    case SANDBOX_FAULT_DEEP_JSON:
      fault->depth = fault->depth ? fault->depth : DEFAULT_DEPTH;
      break;
    case SANDBOX_FAULT_TASK_STATUS:
      if (!json_object_has_member (rule, "value"))
        return invalid_rule (error,
            "a 'task-status' fault needs 'value' (the task_status "
            "to answer: any JSON value)");
      fault->value = json_node_copy (json_object_get_member (rule, "value"));
      break;
    case SANDBOX_FAULT_HTML:
      fault->http = fault->http ? fault->http : 200;
      if (fault->http < 100)
        return invalid_rule (error, "'http' must be within 100..599");
      break;
    case SANDBOX_FAULT_HTML_AFTER:
      fault->http = fault->http ? fault->http : 502;
      if (fault->http < 100)
        return invalid_rule (error, "'http' must be within 100..599");
      break;
    case SANDBOX_FAULT_REDIRECT:
      fault->http = fault->http ? fault->http : 302;
      for (guint i = 0; i < G_N_ELEMENTS (redirects); i++)
        redirect_status |= fault->http == redirects[i];
      if (!redirect_status)
        return invalid_rule (error,
            "a 'redirect' answers 301, 302, 303, 307 or 308");
      if (fault->location == NULL
          || !(g_str_has_prefix (fault->location, "http://")
              || g_str_has_prefix (fault->location, "https://")))
        return invalid_rule (error,
            "a 'redirect' fault needs 'location' (an http:// or "
            "https:// URL)");
      break;
    default:
      break;
  }
  return TRUE;
}

static gboolean
fault_fill (SandboxFault * fault, JsonObject * rule, GError ** error)
{
  if (!member_string (rule, "method", &fault->method, error) ||
      !member_string (rule, "path", &fault->path, error) ||
      !parse_kind (rule, &fault->kind, error) ||
      !member_string (rule, "message", &fault->message, error) ||
      !member_uint (rule, "skip", G_MAXINT, &fault->skip, error) ||
      !member_uint (rule, "times", G_MAXINT, &fault->times, error) ||
      !member_uint (rule, "http", 599, &fault->http, error) ||
      !member_uint (rule, "code", G_MAXINT, &fault->code, error) ||
      !member_uint (rule, "retry_after", 86400, &fault->retry_after, error) ||
      !member_number (rule, "seconds", 0, SANDBOX_WIRE_MAX_SECONDS,
          &fault->seconds, error)
      || !member_size (rule, "bytes", &fault->bytes, error)
      || !member_uint (rule, "bytes_per_second", G_MAXINT,
          &fault->bytes_per_second, error)
      || !member_uint (rule, "depth", MAX_DEPTH, &fault->depth, error)
      || !member_string (rule, "location", &fault->location, error)
      || !member_boolean (rule, "append_path", &fault->append_path, error)
      || !check_kind (fault, rule, error))
    return FALSE;
  if (fault->path == NULL)
    fault->path = g_strdup ("/");
  return TRUE;
}

SandboxFault *
sandbox_fault_new_from_json (const gchar * json, GError ** error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  SandboxFault *fault;
  JsonNode *root;

  if (!sandbox_json_depth_ok (json, strlen (json), SANDBOX_MAX_JSON_DEPTH)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "JSON nested too deeply");
    return NULL;
  }
  if (!json_parser_load_from_data (parser, json, -1, error))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "a rule is a JSON object");
    return NULL;
  }

  fault = g_new0 (SandboxFault, 1);
  fault->times = 1;
  fault->code = 5000;
  fault->seconds = -1;          /* not given: the kind's default */
  if (!fault_fill (fault, json_node_get_object (root), error)) {
    sandbox_fault_free (fault);
    return NULL;
  }
  return fault;
}

guint
sandbox_add_fault (KlingSandbox * sandbox, SandboxFault * fault)
{
  guint id;

  g_mutex_lock (&sandbox->lock);
  id = fault->id = ++sandbox->next_fault_id;
  g_ptr_array_add (sandbox->faults, fault);
  g_mutex_unlock (&sandbox->lock);
  return id;
}

gboolean
kling_sandbox_add_fault_json (KlingSandbox * sandbox, const gchar * rule_json,
    GError ** error)
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
fault_matches (const SandboxFault * fault, const gchar * method,
    const gchar * path, gboolean creates_task)
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
sandbox_pick_fault (KlingSandbox * sandbox, const gchar * method,
    const gchar * path, gboolean creates_task)
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

void
kling_sandbox_clear_faults (KlingSandbox * sandbox)
{
  g_return_if_fail (sandbox != NULL);

  g_mutex_lock (&sandbox->lock);
  g_ptr_array_set_size (sandbox->faults, 0);
  g_mutex_unlock (&sandbox->lock);
}
