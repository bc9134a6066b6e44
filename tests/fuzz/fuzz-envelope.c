/* libFuzzer target: every answer body the network can send goes through the depth check
 * and the envelope parser, then the task (both API generations: an object, or each entry
 * of a /tasks array) and face-session parsers. The first byte picks the HTTP status.
 * Whatever the bytes, the answer is data or one KLING_ERROR, never a crash or a critical. */
#include "kling-task.h"
#include "kling-call.h"
#include "kling-requests-lipsync.h"

static const guint statuses[] =
    { 200, 201, 400, 401, 402, 403, 404, 429, 500, 503 };

static void
check_error (const GError * error)
{
  g_assert_nonnull (error);
  g_assert_true (error->domain == KLING_ERROR);
  g_free (kling_error_dup_user_message (error));
  g_free (kling_error_dup_details (error));
}

/* The per-model API's task, as a create answers it or as one entry of GET /tasks. */
static void
check_v2_task (JsonNode * node, const gchar * request_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KlingTask) task =
      kling_task_new_from_v2_json (node, request_id, &error);
  const gchar *status;

  if (task) {
    g_assert_nonnull (task->task_id);
    g_assert_true (task->charge == NULL || task->charge_unit != NULL);
  } else {
    check_error (error);
  }
  kling_task_v2_has_unknown_status (node, &status);
}

static void
check_v2_answer (JsonNode * answer, const gchar * request_id)
{
  JsonArray *tasks;
  guint i;

  if (!JSON_NODE_HOLDS_ARRAY (answer)) {
    check_v2_task (answer, request_id);
    return;
  }
  tasks = json_node_get_array (answer);
  for (i = 0; i < json_array_get_length (tasks) && i < 64; i++) {
    JsonNode *entry = json_array_get_element (tasks, i);
    JsonObject *object =
        JSON_NODE_HOLDS_OBJECT (entry) ? json_node_get_object (entry) : NULL;
    JsonNode *id = object ? json_object_get_member (object, "id") : NULL;

    check_v2_task (entry, request_id);
    /* The poller's lookup finds an entry by the (non-empty) id it carries. */
    if (id && json_node_get_value_type (id) == G_TYPE_STRING
        && *json_node_get_string (id))
      g_assert_nonnull (kling_tasks_v2_find (answer, json_node_get_string (id),
              FALSE));
  }
}

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  g_autoptr (GError) error = NULL, task_error = NULL, face_error = NULL;
  g_autoptr (JsonNode) answer = NULL;
  g_autoptr (KlingTask) task = NULL;
  g_autoptr (KlingFaceSession) session = NULL;
  g_autofree gchar *request_id = NULL;
  guint status;

  if (size == 0)
    return 0;
  status = statuses[data[0] % G_N_ELEMENTS (statuses)];
  /* What the call layer does before json-glib's recursive parser sees an answer. */
  if (kling_json_too_deep ((const gchar *) data + 1, size - 1,
          KLING_CALL_MAX_JSON_DEPTH))
    return 0;
  answer =
      kling_envelope_parse (status, (const gchar *) data + 1, size - 1,
      &request_id, &error);
  if (!answer) {
    check_error (error);
    return 0;
  }
  task = kling_task_new_from_json (answer, request_id, &task_error);
  if (task) {
    g_assert_nonnull (task->task_id);
    g_assert_null (task_error);
  } else {
    check_error (task_error);
  }
  check_v2_answer (answer, request_id);
  session = kling_face_session_new_from_json (answer, &face_error);
  if (!session)
    check_error (face_error);
  else
    g_assert_nonnull (session->session_id);
  return 0;
}
