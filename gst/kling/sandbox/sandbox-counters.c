/* kling-sandbox: the counters tests read (GET /sandbox/counters). They are guarded by
 * sandbox->lock because the C API reads them from the test's own thread. */
#include "sandbox-private.h"

#include <string.h>

/* The task kinds counted under "tasks_created", listed even while still zero. */
static const gchar *const task_kinds[] = {
  "image2video", "text2video", "video-extend", "lip-sync", "advanced-lip-sync",
  "image-to-video", "text-to-video", NULL
};

/* ---- counters ----------------------------------------------------------------------- */

/* The per-model creates, listed for every path of the model table even while zero. */
static const gchar *const v2_kinds[] =
    { "image-to-video", "text-to-video", NULL };

static void
reset_task_counts (KlingSandbox * sandbox)
{
  const SandboxModelV2 *model;

  g_hash_table_remove_all (sandbox->task_counts);
  for (guint i = 0; task_kinds[i]; i++)
    g_hash_table_insert (sandbox->task_counts, g_strdup (task_kinds[i]),
        GUINT_TO_POINTER (0));
  g_hash_table_remove_all (sandbox->model_creates);
  for (guint i = 0; v2_kinds[i]; i++)
    for (guint m = 0; (model = sandbox_model_v2_nth (m)) != NULL; m++)
      g_hash_table_insert (sandbox->model_creates, g_strconcat (v2_kinds[i],
              "/", model->name, NULL), GUINT_TO_POINTER (0));
  sandbox->tasks_queries = sandbox->tasks_query_ids_total = 0;
  sandbox->tasks_query_ids_max = sandbox->multi_shot_creates = 0;
}

void
sandbox_counters_init (KlingSandbox * sandbox)
{
  sandbox->request_counts =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sandbox->task_counts =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sandbox->credentialed_counts =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sandbox->download_counts =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sandbox->user_agent_counts =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sandbox->model_creates =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  reset_task_counts (sandbox);
}

void
sandbox_counters_free (KlingSandbox * sandbox)
{
  g_clear_pointer (&sandbox->request_counts, g_hash_table_unref);
  g_clear_pointer (&sandbox->task_counts, g_hash_table_unref);
  g_clear_pointer (&sandbox->credentialed_counts, g_hash_table_unref);
  g_clear_pointer (&sandbox->download_counts, g_hash_table_unref);
  g_clear_pointer (&sandbox->user_agent_counts, g_hash_table_unref);
  g_clear_pointer (&sandbox->model_creates, g_hash_table_unref);
}

/* Called with the lock held. Tasks in flight and connections held are state, not
 * counters: they stay. */
void
sandbox_counters_clear (KlingSandbox * sandbox)
{
  g_hash_table_remove_all (sandbox->request_counts);
  g_hash_table_remove_all (sandbox->credentialed_counts);
  g_hash_table_remove_all (sandbox->download_counts);
  g_hash_table_remove_all (sandbox->user_agent_counts);
  reset_task_counts (sandbox);
  sandbox->peak_parallel = sandbox->tasks_in_flight;
  sandbox->responses_429 = sandbox->downloads = sandbox->callbacks_sent = 0;
  sandbox->faults_hit = sandbox->credentialed_requests =
      sandbox->sessions_created = 0;
}

static void
increment (GHashTable * table, const gchar * key)
{
  gpointer value = g_hash_table_lookup (table, key);

  g_hash_table_replace (table, g_strdup (key),
      GUINT_TO_POINTER (GPOINTER_TO_UINT (value)
          + 1));
}

/* Counts @key in @table, and in @total too when it is not NULL. */
static void
count_in (KlingSandbox * sandbox, GHashTable * table, const gchar * key,
    guint * total)
{
  g_mutex_lock (&sandbox->lock);
  increment (table, key);
  if (total)
    (*total)++;
  g_mutex_unlock (&sandbox->lock);
}

void
sandbox_count_request (KlingSandbox * sandbox, const gchar * key)
{
  count_in (sandbox, sandbox->request_counts, key, NULL);
}

/* A request that carried credentials: counted, the values never looked at again. */
void
sandbox_count_credentialed (KlingSandbox * sandbox, const gchar * key)
{
  count_in (sandbox, sandbox->credentialed_counts, key,
      &sandbox->credentialed_requests);
}

/* The User-Agent a request came with, so tests can see what clients send. */
void
sandbox_count_user_agent (KlingSandbox * sandbox, const gchar * user_agent)
{
  count_in (sandbox, sandbox->user_agent_counts, user_agent ? user_agent : "",
      NULL);
}

/* A result file served (@path: "/files/<video id>.mp4"). */
void
sandbox_count_download (KlingSandbox * sandbox, const gchar * path)
{
  count_in (sandbox, sandbox->download_counts, path, &sandbox->downloads);
}

void
sandbox_count_task (KlingSandbox * sandbox, const gchar * kind)
{
  count_in (sandbox, sandbox->task_counts, kind, NULL);
}

void
sandbox_count_model_create (KlingSandbox * sandbox, const gchar * key)
{
  count_in (sandbox, sandbox->model_creates, key, NULL);
}

/* A batch query: how many there were, and how many ids they carried (total and the
 * most in one), so a test can tell one query for N tasks from N queries. */
void
sandbox_count_tasks_query (KlingSandbox * sandbox, guint ids)
{
  g_mutex_lock (&sandbox->lock);
  sandbox->tasks_queries++;
  sandbox->tasks_query_ids_total += ids;
  sandbox->tasks_query_ids_max = MAX (sandbox->tasks_query_ids_max, ids);
  g_mutex_unlock (&sandbox->lock);
}

/* Increments one of the sandbox's guint counters. */
void
sandbox_count (KlingSandbox * sandbox, guint * counter)
{
  g_mutex_lock (&sandbox->lock);
  (*counter)++;
  g_mutex_unlock (&sandbox->lock);
}

void
sandbox_count_add (KlingSandbox * sandbox, guint * state, gint delta)
{
  g_mutex_lock (&sandbox->lock);
  g_warn_if_fail (delta > 0 || *state > 0);
  if (delta > 0 || *state > 0)
    *state += delta;
  g_mutex_unlock (&sandbox->lock);
}

void
sandbox_task_started (KlingSandbox * sandbox)
{
  g_mutex_lock (&sandbox->lock);
  sandbox->tasks_in_flight++;
  sandbox->peak_parallel =
      MAX (sandbox->peak_parallel, sandbox->tasks_in_flight);
  g_mutex_unlock (&sandbox->lock);
}

void
sandbox_task_ended (KlingSandbox * sandbox)
{
  g_mutex_lock (&sandbox->lock);
  g_warn_if_fail (sandbox->tasks_in_flight > 0);
  if (sandbox->tasks_in_flight > 0)
    sandbox->tasks_in_flight--;
  g_mutex_unlock (&sandbox->lock);
}

guint
sandbox_tasks_in_flight (KlingSandbox * sandbox)
{
  guint n;

  g_mutex_lock (&sandbox->lock);
  n = sandbox->tasks_in_flight;
  g_mutex_unlock (&sandbox->lock);
  return n;
}

static void
add_counts (JsonBuilder * builder, const gchar * name, GHashTable * table)
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
add_count (JsonBuilder * builder, const gchar * name, guint value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

gchar *
kling_sandbox_dup_counters_json (KlingSandbox * sandbox)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  g_return_val_if_fail (sandbox != NULL, NULL);

  g_mutex_lock (&sandbox->lock);
  json_builder_begin_object (builder);
  add_counts (builder, "requests", sandbox->request_counts);
  add_counts (builder, "tasks_created", sandbox->task_counts);
  add_counts (builder, "model_creates", sandbox->model_creates);
  add_count (builder, "tasks_queries", sandbox->tasks_queries);
  add_count (builder, "tasks_query_ids_total", sandbox->tasks_query_ids_total);
  add_count (builder, "tasks_query_ids_max", sandbox->tasks_query_ids_max);
  add_count (builder, "multi_shot_creates", sandbox->multi_shot_creates);
  add_count (builder, "tasks_in_flight", sandbox->tasks_in_flight);
  add_count (builder, "peak_parallel", sandbox->peak_parallel);
  add_count (builder, "responses_429", sandbox->responses_429);
  add_count (builder, "downloads", sandbox->downloads);
  add_counts (builder, "downloads_by_path", sandbox->download_counts);
  add_counts (builder, "user_agents", sandbox->user_agent_counts);
  add_count (builder, "callbacks_sent", sandbox->callbacks_sent);
  add_count (builder, "sessions_created", sandbox->sessions_created);
  add_count (builder, "faults_hit", sandbox->faults_hit);
  add_count (builder, "credentialed_requests", sandbox->credentialed_requests);
  add_counts (builder, "credentialed", sandbox->credentialed_counts);
  add_count (builder, "connections_held", sandbox->connections_held);
  json_builder_end_object (builder);
  g_mutex_unlock (&sandbox->lock);

  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

gint64
kling_sandbox_get_counter (KlingSandbox * sandbox, const gchar * group,
    const gchar * name)
{
  /* Read back from the JSON the control API serves, so both always agree. */
  g_autofree gchar *json = kling_sandbox_dup_counters_json (sandbox);
  g_autoptr (JsonNode) root = json_from_string (json, NULL);
  JsonObject *object = json_node_get_object (root);

  JsonNode *node;

  g_return_val_if_fail (name != NULL, 0);
  if (group) {
    node = json_object_get_member (object, group);
    object = node
        && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  }
  node = object ? json_object_get_member (object, name) : NULL;
  return node && JSON_NODE_HOLDS_VALUE (node) ? json_node_get_int (node) : 0;
}

void
kling_sandbox_reset (KlingSandbox * sandbox)
{
  g_return_if_fail (sandbox != NULL);

  g_mutex_lock (&sandbox->lock);
  g_ptr_array_set_size (sandbox->faults, 0);
  sandbox_counters_clear (sandbox);
  g_mutex_unlock (&sandbox->lock);
}
