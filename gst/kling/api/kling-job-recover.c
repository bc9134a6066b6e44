/* gst-kling: finding a task again after its create's answer was lost, without paying
 * twice: by external_task_id where Kling resolves it (on the per-model API with
 * "GET /tasks?external_task_ids=<ours>"), else (lip-sync) in the task list,
 * matched on our external id or on the parent video and the time of our create. When it
 * cannot be found it may still exist: KLING_ERROR_UNCONFIRMED, and the journal entry
 * stays, until the list has not shown it for LIST_GRACE_MS (then it never reached Kling
 * and is created again). */
#include "config.h"
#include "kling-job-private.h"
#include "kling-call.h"
#include "kling-private.h"
#include "kling-requests.h"

#include <string.h>

/* After a lost lip-sync create, the list is read with this page size (newest first). */
#define LIST_PAGE_SIZE 30
/* Kling's clock and ours may differ by this much when matching a task's created_at. */
#define LIST_CLOCK_SKEW_MS (120 * 1000)
/* A create this old that the task list does not show never reached Kling. */
#define LIST_GRACE_MS (180 * 1000)

static gint64
now_ms (void)
{
  return g_get_real_time () / 1000;
}

static void
external_query_done (KlingClient * client, JsonNode * data,
    const gchar * request_id, const GError * error, gpointer user_data)
{
  KlingJob *job = user_data;
  g_autoptr (GError) parse_error = NULL;
  KlingTask *task;

  if (job->finished)
    goto out;
  if (error && kling_job_is_not_found (error)) {
    kling_job_debug (job, "job %s: no task with external id %s, creating it",
        job->key, job->external_task_id);
    kling_job_create (job);
    goto out;
  }
  if (error) {
    /* The lookup's own failure is the news (the create's is in the log above). */
    kling_job_fail (job, error);
    goto out;
  }
  task = kling_task_new_from_json (data, request_id, &parse_error);
  if (task == NULL) {
    kling_job_fail (job, parse_error);
    goto out;
  }
  kling_job_debug (job, "job %s: found task %s by its external id", job->key,
      task->task_id);
  kling_job_task_known (job, task, FALSE);
out:
  kling_job_unref (job);
}

/* The per-model API answers an array: ours is the entry with our external id; none means
 * Kling has no such task (the create never reached it), as /v1's 404 does. */
static void
v2_external_query_done (KlingClient * client, JsonNode * data,
    const gchar * request_id, const GError * error, gpointer user_data)
{
  KlingJob *job = user_data;
  g_autoptr (GError) parse_error = NULL;
  JsonNode *found;
  KlingTask *task;

  if (job->finished)
    goto out;
  if (error) {
    kling_job_fail (job, error);
    goto out;
  }
  found = kling_tasks_v2_find (data, job->external_task_id, TRUE);
  if (found == NULL) {
    g_debug ("job %s: no task with external id %s, creating it", job->key,
        job->external_task_id);
    kling_job_create (job);
    goto out;
  }
  task = kling_task_new_from_v2_json (found, request_id, &parse_error);
  if (task == NULL) {
    kling_job_fail (job, parse_error);
    goto out;
  }
  g_debug ("job %s: found task %s by its external id", job->key, task->task_id);
  kling_job_task_known (job, task, FALSE);
out:
  kling_job_unref (job);
}

void
kling_job_query_by_external_id (KlingJob * job)
{
  g_autofree gchar *path = NULL, *escaped = NULL;

  if (kling_request_is_per_model (job->request)) {
    escaped = g_uri_escape_string (job->external_task_id, NULL, FALSE);
    path = g_strconcat ("/tasks?external_task_ids=", escaped, NULL);
    kling_job_call (job, "GET", path, NULL, TRUE, FALSE,
        v2_external_query_done);
    return;
  }
  path = kling_job_task_path (job, job->external_task_id);
  kling_job_call (job, "GET", path, NULL, TRUE, FALSE, external_query_done);
}

/* The request's clip (lip-sync input.video_id / input.video_url) is the listed task's
 * parent video. */
static gboolean
same_parent_video (KlingJob * job, JsonObject * listed)
{
  JsonObject *input =
      kling_json_get_object (json_node_get_object (job->request->body),
      "input");
  JsonObject *parent =
      kling_json_get_object (kling_json_get_object (listed, "task_info"),
      "parent_video");
  const gchar *want_id = kling_json_get_string (input, "video_id");
  const gchar *want_url = kling_json_get_string (input, "video_url");

  if (parent == NULL)
    return FALSE;
  return (want_id
      && g_strcmp0 (want_id, kling_json_get_string (parent, "id")) == 0)
      || (want_url
      && g_strcmp0 (want_url, kling_json_get_string (parent, "url")) == 0);
}

static gboolean
same_session (KlingJob * job, JsonObject * listed)
{
  const gchar *want =
      kling_json_get_string (json_node_get_object (job->request->body),
      "session_id");
  const gchar *got =
      kling_json_get_string (kling_json_get_object (listed, "task_info"),
      "session_id");

  return want && got && g_str_equal (want, got);
}

/* The listed tasks that may be the one our lost create made: ours by external id (the
 * only sure sign), else created since our create (allowing for clock skew), not another
 * journal entry's, with our clip as parent (or our face session). Returns the match, and
 * *n_candidates. */
static JsonNode *
match_listed_task (KlingJob * job, JsonArray * tasks, guint * n_candidates)
{
  g_auto (GStrv) taken = kling_journal_dup_task_ids (job->cache_dir, job->key);
  JsonNode *candidate = NULL;
  guint i;

  *n_candidates = 0;
  for (i = 0; tasks && i < json_array_get_length (tasks); i++) {
    JsonNode *node = json_array_get_element (tasks, i);
    JsonObject *listed =
        JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    const gchar *ext =
        kling_json_get_string (kling_json_get_object (listed, "task_info"),
        "external_task_id");
    const gchar *id = kling_json_get_string (listed, "task_id");
    gint64 created = 0;

    if (listed == NULL || id == NULL)
      continue;
    if (ext && g_strcmp0 (ext, job->external_task_id) == 0) {
      *n_candidates = 1;
      return node;
    }
    if (ext || g_strv_contains ((const gchar * const *) taken, id) ||
        !kling_json_get_int (listed, "created_at", &created) ||
        created < job->create_sent_ms - LIST_CLOCK_SKEW_MS)
      continue;
    if (same_parent_video (job, listed) || same_session (job, listed)) {
      candidate = node;
      (*n_candidates)++;
    }
  }
  return *n_candidates == 1 ? candidate : NULL;
}

static void job_query_list (KlingJob * job);

void
kling_job_fail_unconfirmed (KlingJob * job, const gchar * why)
{
  g_autofree gchar *journal =
      g_build_filename (job->cache_dir, "journal", job->key, NULL);

  kling_job_fail_new (job, kling_error_new_full (KLING_ERROR_UNCONFIRMED, 0, -1,
          NULL, NULL, NULL,
          "the %s create's answer was lost and %s; the journal entry %s.json "
          "keeps the task from being paid twice",
          kling_endpoint_name (job->request->endpoint), why, journal));
}

/* Nothing in the list: maybe not yet. Look again while the policy allows; a create that
 * the list has not shown for LIST_GRACE_MS never reached Kling and is made again. */
static void
list_found_nothing (KlingJob * job, const GError * error)
{
  g_autoptr (GError) cause = NULL;
  guint delay_ms;

  if (error == NULL)
    error = cause =
        kling_error_new_full (KLING_ERROR_SERVER, 0, -1, NULL, NULL, NULL,
        "the task list does not show the task yet");
  if (kling_client_next_retry_delay (kling_job_get_client (job),
          job->list_queries, 0, error, &delay_ms)) {
    kling_job_report_waiting (kling_wait_reason_for_error (error), delay_ms,
        job->list_queries, error, job);
    kling_job_wait_then (job, delay_ms, job_query_list);
    return;
  }
  if (job->create_sent_ms > 0
      && now_ms () - job->create_sent_ms > LIST_GRACE_MS) {
    kling_job_info (job,
        "job %s: the task list has not shown our create of %.0f s ago: it never "
        "reached Kling; creating again", job->key,
        (now_ms () - job->create_sent_ms) / 1000.0);
    job->create_sent_ms = 0;
    kling_job_create (job);
    return;
  }
  kling_job_fail_unconfirmed (job,
      "the task list does not show the task (yet)");
}

static void
list_done (KlingClient * client, JsonNode * data, const gchar * request_id,
    const GError * error, gpointer user_data)
{
  KlingJob *job = user_data;
  g_autoptr (GError) parse_error = NULL;
  JsonNode *found;
  KlingTask *task;
  guint n = 0;

  if (job->finished)
    goto out;
  if (error && error->code == KLING_ERROR_CANCELLED)
    goto out;
  if (error || data == NULL || !JSON_NODE_HOLDS_ARRAY (data)) {
    list_found_nothing (job, error);
    goto out;
  }
  found = match_listed_task (job, json_node_get_array (data), &n);
  if (n > 1) {
    g_autofree gchar *why =
        g_strdup_printf ("%u lip-sync tasks of the same clip were "
        "created since then: which one is ours cannot be told", n);
    kling_job_fail_unconfirmed (job, why);
  } else if (found == NULL) {
    list_found_nothing (job, NULL);
  } else if ((task =
          kling_task_new_from_json (found, request_id, &parse_error))) {
    kling_job_debug (job, "job %s: found task %s in the task list", job->key,
        task->task_id);
    kling_job_task_known (job, task, FALSE);
  } else {
    list_found_nothing (job, parse_error);
  }
out:
  kling_job_unref (job);
}

static void
job_query_list (KlingJob * job)
{
  g_autofree gchar *path = g_strdup_printf ("%s?pageNum=1&pageSize=%u",
      kling_endpoint_path (job->request->endpoint), LIST_PAGE_SIZE);

  job->list_queries++;
  kling_job_call (job, "GET", path, NULL, TRUE, FALSE, list_done);
}

void
kling_job_find_lost_task (KlingJob * job)
{
  if (kling_endpoint_resolves_external_id (job->request->endpoint)) {
    kling_job_query_by_external_id (job);
    return;
  }
  job->list_queries = 0;
  job_query_list (job);
}
