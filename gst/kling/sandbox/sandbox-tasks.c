/* kling-sandbox: the /v1/videos/ endpoints, the tasks they create and how those tasks
 * walk submitted -> processing -> succeed / failed. All of it runs on the server thread;
 * only the render itself runs on the pool, and hands its result back to that thread. */
#include "sandbox-private.h"

#include <string.h>
#include <math.h>

#define EXTERNAL_ID_MAX_CHARS 256
#define RATE_WINDOW_US        (60 * G_USEC_PER_SEC)

typedef struct
{
  const gchar *name;
  SandboxParseFunc parse;       /* NULL: not a task endpoint (identify-face) */
  gboolean takes_external_id;   /* its body has an external_task_id field */
  gboolean finds_external_id;   /* GET <path>/<external_task_id> finds the task */
} Endpoint;

typedef struct
{
  KlingSandbox *sandbox;
  gchar *task_id;
  gchar *video_id;
  SandboxRenderSpec *spec;
  gboolean ok;
  gdouble duration_s;
  guint width, height;
  gchar *error;
} RenderJob;

/* ---- small helpers ------------------------------------------------------------------ */

static gint64
now_ms (void)
{
  return g_get_real_time () / 1000;
}

/* "5", "4.2": Kling sends durations as strings of seconds. */
gchar *
sandbox_format_duration (gdouble seconds)
{
  return sandbox_format_decimal (round (seconds * 1000.0) / 1000.0, 3);
}

static const gchar *
status_name (SandboxTaskStatus status)
{
  switch (status) {
    case SANDBOX_TASK_SUBMITTED:
      return "submitted";
    case SANDBOX_TASK_PROCESSING:
      return "processing";
    case SANDBOX_TASK_SUCCEED:
      return "succeed";
    case SANDBOX_TASK_FAILED:
    default:
      return "failed";
  }
}

guint
sandbox_video_ms (const SandboxVideo * video)
{
  return (guint) (video->duration_s * 1000.0 + 0.5);
}

void
sandbox_video_free (SandboxVideo * video)
{
  if (video == NULL)
    return;
  g_free (video->id);
  g_free (video->path);
  g_free (video);
}

void
sandbox_task_free (SandboxTask * task)
{
  if (task->timer_id) {
    GSource *source = g_main_context_find_source_by_id (task->sandbox->context,
        task->timer_id);
    if (source)
      g_source_destroy (source);
  }
  g_free (task->task_id);
  g_free (task->external_task_id);
  g_free (task->status_msg);
  g_free (task->callback_url);
  g_free (task->fail_message);
  g_free (task->parent_video_id);
  g_free (task->parent_video_url);
  g_free (task->units);
  g_free (task->render_error);
  sandbox_render_spec_free (task->spec);
  g_queue_clear_full (&task->callback_queue, g_free);
  g_free (task);
}

static void
render_job_free (RenderJob * job)
{
  g_free (job->task_id);
  g_free (job->video_id);
  g_free (job->error);
  sandbox_render_spec_free (job->spec);
  g_free (job);
}

/* ---- task objects ------------------------------------------------------------------- */

/* {id, url, duration}; the URL is a fresh signed one unless @given_url is set. */
static void
add_video_json (JsonBuilder * builder, KlingSandbox * sandbox,
    const SandboxVideo * video, const gchar * given_url, gboolean expired)
{
  g_autofree gchar *url = given_url ? g_strdup (given_url) :
      sandbox_dup_video_url (sandbox, video, expired);
  g_autofree gchar *duration = sandbox_format_duration (video->duration_s);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, video->id);
  json_builder_set_member_name (builder, "url");
  json_builder_add_string_value (builder, url);
  json_builder_set_member_name (builder, "duration");
  json_builder_add_string_value (builder, duration);
  json_builder_end_object (builder);
}

static void
add_task_info (JsonBuilder * builder, SandboxTask * task, gboolean expired)
{
  SandboxVideo *parent = task->parent_video_id ?
      g_hash_table_lookup (task->sandbox->videos, task->parent_video_id) : NULL;

  json_builder_set_member_name (builder, "task_info");
  json_builder_begin_object (builder);
  if (task->external_task_id) {
    json_builder_set_member_name (builder, "external_task_id");
    json_builder_add_string_value (builder, task->external_task_id);
  }
  if (parent) {
    /* As the create named it, so a client can find its task in a list by the URL it
     * sent, as well as by the id. */
    json_builder_set_member_name (builder, "parent_video");
    add_video_json (builder, task->sandbox, parent, task->parent_video_url,
        expired);
  }
  json_builder_end_object (builder);
}

static JsonNode *
task_to_json (SandboxTask * task, gboolean expired)
{
  g_autoptr (JsonBuilder) builder = NULL;

  if (task->v2)
    return sandbox_task_v2_to_json (task, expired);
  builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "task_id");
  json_builder_add_string_value (builder, task->task_id);
  json_builder_set_member_name (builder, "task_status");
  json_builder_add_string_value (builder, status_name (task->status));
  json_builder_set_member_name (builder, "task_status_msg");
  json_builder_add_string_value (builder,
      task->status_msg ? task->status_msg : "");
  add_task_info (builder, task, expired);
  json_builder_set_member_name (builder, "created_at");
  json_builder_add_int_value (builder, task->created_ms);
  json_builder_set_member_name (builder, "updated_at");
  json_builder_add_int_value (builder, task->updated_ms);
  if (task->status == SANDBOX_TASK_SUCCEED && task->video) {
    json_builder_set_member_name (builder, "task_result");
    json_builder_begin_object (builder);
    json_builder_set_member_name (builder, "videos");
    json_builder_begin_array (builder);
    add_video_json (builder, task->sandbox, task->video, NULL, expired);
    json_builder_end_array (builder);
    json_builder_end_object (builder);
  }
  /* Charged once the task has ended; a failed task costs nothing. */
  if (task->status == SANDBOX_TASK_SUCCEED
      || task->status == SANDBOX_TASK_FAILED) {
    json_builder_set_member_name (builder, "final_unit_deduction");
    json_builder_add_string_value (builder,
        task->status == SANDBOX_TASK_SUCCEED ? task->units : "0");
  }
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* ---- callbacks ---------------------------------------------------------------------- */

static void send_next_callback (SandboxTask * task);

static void
callback_done (GObject * source, GAsyncResult * result, gpointer user_data)
{
  SandboxTask *task = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) answer =
      soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);

  /* After a stop the task is gone: touch nothing. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (answer != NULL)
    sandbox_count (task->sandbox, &task->sandbox->callbacks_sent);
  task->callback_busy = FALSE;
  send_next_callback (task);
}

/* Callbacks go out one at a time per task, so the receiver sees the statuses in order. */
static void
send_next_callback (SandboxTask * task)
{
  KlingSandbox *sandbox = task->sandbox;
  g_autofree gchar *body = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) bytes = NULL;

  if (task->callback_busy || g_queue_is_empty (&task->callback_queue))
    return;
  body = g_queue_pop_head (&task->callback_queue);
  msg = soup_message_new ("POST", task->callback_url);
  if (msg == NULL)
    return;
  bytes = g_bytes_new (body, strlen (body));
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  task->callback_busy = TRUE;
  soup_session_send_and_read_async (sandbox->session, msg, G_PRIORITY_DEFAULT,
      sandbox->cancellable, callback_done, task);
}

static void
queue_callback (SandboxTask * task)
{
  g_autoptr (JsonNode) node = NULL;

  if (task->callback_url == NULL)
    return;
  node = task_to_json (task, FALSE);
  g_queue_push_tail (&task->callback_queue, json_to_string (node, FALSE));
  send_next_callback (task);
}

/* ---- the task's life ---------------------------------------------------------------- */

static void
task_set_status (SandboxTask * task, SandboxTaskStatus status,
    const gchar * message)
{
  task->status = status;
  g_free (task->status_msg);
  task->status_msg = g_strdup (message);
  task->updated_ms = MAX (now_ms (), task->created_ms);
  if (status == SANDBOX_TASK_SUCCEED || status == SANDBOX_TASK_FAILED)
    sandbox_task_ended (task->sandbox);
  queue_callback (task);
}

static void
maybe_finish (SandboxTask * task)
{
  g_autofree gchar *message = NULL;

  if (!task->delay_done || task->status != SANDBOX_TASK_PROCESSING)
    return;
  if (task->fail_message) {
    task_set_status (task, SANDBOX_TASK_FAILED, task->fail_message);
  } else if (!task->render_done) {
    return;                     /* the render outlasts the delay: it sets the pace */
  } else if (task->render_error) {
    message = g_strdup_printf ("Render failed: %s", task->render_error);
    task_set_status (task, SANDBOX_TASK_FAILED, message);
  } else {
    task_set_status (task, SANDBOX_TASK_SUCCEED, NULL);
  }
}

static gboolean
render_finished (gpointer user_data)
{
  RenderJob *job = user_data;
  KlingSandbox *sandbox = job->sandbox;
  SandboxTask *task;

  if (g_atomic_int_get (&sandbox->stopping))
    return G_SOURCE_REMOVE;
  task = g_hash_table_lookup (sandbox->tasks, job->task_id);
  if (task == NULL)
    return G_SOURCE_REMOVE;

  if (job->ok) {
    SandboxVideo *video = g_new0 (SandboxVideo, 1);

    video->id = g_strdup (job->video_id);
    video->path = g_strdup (job->spec->output_path);
    video->duration_s = job->duration_s;
    video->width = job->width;
    video->height = job->height;
    video->fps = job->spec->fps;
    video->model = job->spec->model;
    g_hash_table_insert (sandbox->videos, video->id, video);
    task->video = video;
  } else {
    task->render_error = g_strdup (job->error);
  }
  task->render_done = TRUE;
  maybe_finish (task);
  return G_SOURCE_REMOVE;
}

static void
render_thread (gpointer data, gpointer user_data)
{
  RenderJob *job = data;
  GError *error = NULL;

  job->ok =
      sandbox_render (job->spec, &job->duration_s, &job->width, &job->height,
      &error);
  if (!job->ok) {
    job->error = g_strdup (error ? error->message : "unknown error");
    g_clear_error (&error);
  }
  sandbox_idle_add (job->sandbox, render_finished, job,
      (GDestroyNotify) render_job_free);
}

static void
start_render (SandboxTask * task)
{
  KlingSandbox *sandbox = task->sandbox;
  RenderJob *job = g_new0 (RenderJob, 1);
  g_autofree gchar *file = NULL;

  job->sandbox = sandbox;
  job->task_id = g_strdup (task->task_id);
  job->video_id = sandbox_new_id ("");
  job->spec = g_steal_pointer (&task->spec);
  file = g_strconcat (job->video_id, ".mp4", NULL);
  job->spec->output_path = g_build_filename (sandbox->tmp_dir, file, NULL);
  job->spec->cancel = &sandbox->cancel_renders;
  g_thread_pool_push (sandbox->render_pool, job, NULL);
}

static gboolean
render_delay_elapsed (gpointer user_data)
{
  SandboxTask *task = user_data;

  task->timer_id = 0;
  task->delay_done = TRUE;
  maybe_finish (task);
  return G_SOURCE_REMOVE;
}

static gboolean
queue_delay_elapsed (gpointer user_data)
{
  SandboxTask *task = user_data;
  KlingSandbox *sandbox = task->sandbox;

  task_set_status (task, SANDBOX_TASK_PROCESSING, NULL);
  if (task->fail_message == NULL)
    start_render (task);
  task->timer_id =
      sandbox_timeout_add (sandbox, sandbox->options.render_delay_s,
      render_delay_elapsed, task, NULL);
  return G_SOURCE_REMOVE;
}

/* ---- limits ------------------------------------------------------------------------- */

static void
forget_old_creates (KlingSandbox * sandbox, gint64 now)
{
  while (!g_queue_is_empty (&sandbox->create_times)) {
    gint64 *oldest = g_queue_peek_head (&sandbox->create_times);
    if (now - *oldest < RATE_WINDOW_US)
      break;
    g_free (g_queue_pop_head (&sandbox->create_times));
  }
}

gboolean
sandbox_check_rate_limit (KlingSandbox * sandbox, SandboxResponse * resp)
{
  guint limit = sandbox->options.rate_limit_per_min;
  gint64 now = g_get_monotonic_time ();
  gint64 *oldest;

  if (limit == 0)
    return TRUE;
  forget_old_creates (sandbox, now);
  if (g_queue_get_length (&sandbox->create_times) < limit)
    return TRUE;
  oldest = g_queue_peek_head (&sandbox->create_times);
  sandbox_response_error (resp, 429, 1302,
      "Request rate too high: at most %u creates per minute", limit);
  resp->retry_after =
      MAX (1,
      (*oldest + RATE_WINDOW_US - now + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
  return FALSE;
}

static void
record_create (KlingSandbox * sandbox)
{
  gint64 *now = g_new (gint64, 1);

  *now = g_get_monotonic_time ();
  if (sandbox->options.rate_limit_per_min > 0)
    g_queue_push_tail (&sandbox->create_times, now);
  else
    g_free (now);
}

static gboolean
check_parallel_limit (KlingSandbox * sandbox, SandboxResponse * resp)
{
  guint limit = sandbox->options.max_parallel;

  if (limit == 0 || sandbox_tasks_in_flight (sandbox) < limit)
    return TRUE;
  sandbox_response_error (resp, 429, 1303,
      "Too many parallel tasks: the plan allows %u at a time", limit);
  resp->retry_after = 1;
  return FALSE;
}

/* Lip-sync tasks cannot be found by an external id on Kling: the one-step body has no
 * such field, and advanced-lip-sync is queried by task id only. */
static const Endpoint endpoints[] = {
  {"image2video", sandbox_parse_image2video, TRUE, TRUE},
  {"text2video", sandbox_parse_text2video, TRUE, TRUE},
  {"video-extend", sandbox_parse_video_extend, TRUE, TRUE},
  {"lip-sync", sandbox_parse_lip_sync, FALSE, FALSE},
  {"advanced-lip-sync", sandbox_parse_advanced_lip_sync, TRUE, FALSE},
  {"identify-face", NULL, FALSE, FALSE},
};

static const Endpoint *
find_endpoint (const gchar * name)
{
  for (guint i = 0; i < G_N_ELEMENTS (endpoints); i++)
    if (g_str_equal (endpoints[i].name, name))
      return &endpoints[i];
  return NULL;
}

gboolean
sandbox_is_endpoint (const gchar * name)
{
  return find_endpoint (name) != NULL;
}

gboolean
sandbox_endpoint_creates_task (const gchar * name)
{
  const Endpoint *endpoint = find_endpoint (name);

  return endpoint && endpoint->parse;
}

/* ---- request handling --------------------------------------------------------------- */

JsonObject *
sandbox_parse_body (GBytes * body, SandboxResponse * resp)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  const gchar *text = g_bytes_get_data (body, NULL);
  gsize len = g_bytes_get_size (body);
  JsonNode *root;

  if (len == 0) {
    sandbox_response_error (resp, 400, 1200,
        "Invalid request: the body is empty");
    return NULL;
  }
  if (!sandbox_json_depth_ok (text, len, SANDBOX_MAX_JSON_DEPTH)) {
    sandbox_response_error (resp, 400, 1200,
        "Invalid request: JSON nested too deeply");
    return NULL;
  }
  if (!json_parser_load_from_data (parser, text, len, &error)) {
    sandbox_response_error (resp, 400, 1200,
        "Invalid request: the body is not JSON");
    return NULL;
  }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    sandbox_response_error (resp, 400, 1200,
        "Invalid request: the body must be a JSON " "object");
    return NULL;
  }
  return json_object_ref (json_node_get_object (root));
}

static SandboxTask *
find_task (KlingSandbox * sandbox, const Endpoint * endpoint, const gchar * id)
{
  SandboxTask *task = g_hash_table_lookup (sandbox->tasks, id);

  if (task == NULL && endpoint->finds_external_id) {
    for (guint i = 0; i < sandbox->task_order->len; i++) {
      SandboxTask *candidate = g_ptr_array_index (sandbox->task_order, i);
      if (g_strcmp0 (candidate->external_task_id, id) == 0) {
        task = candidate;
        break;
      }
    }
  }
  return task && g_str_equal (task->kind, endpoint->name) ? task : NULL;
}

/* external_task_id (where the body has it; elsewhere ignored, as any unknown field)
 * and callback_url. */
static gboolean
parse_task_fields (KlingSandbox * sandbox, const Endpoint * endpoint,
    JsonObject * body, SandboxTask * task, SandboxResponse * resp)
{
  const gchar *external = NULL, *callback = NULL;

  if ((endpoint->takes_external_id &&
          !sandbox_input_string (body, "external_task_id", "external_task_id",
              FALSE, EXTERNAL_ID_MAX_CHARS, &external, resp))
      || !sandbox_input_string (body, "callback_url", "callback_url", FALSE,
          2048, &callback, resp))
    return FALSE;
  if (callback && !sandbox_input_loopback_url ("callback_url", callback, resp))
    return FALSE;
  if (external && *external) {
    SandboxTask *other = sandbox_find_external_id (sandbox, external);

    if (other != NULL) {
      sandbox_response_error (resp, 400, 1201,
          "Invalid parameter external_task_id: " "already used by task %s",
          other->task_id);
      return FALSE;
    }
    task->external_task_id = g_strdup (external);
  }
  task->callback_url = g_strdup (callback);
  return TRUE;
}

SandboxTask *
sandbox_find_external_id (KlingSandbox * sandbox,
    const gchar * external_task_id)
{
  for (guint i = 0; i < sandbox->task_order->len; i++) {
    SandboxTask *task = g_ptr_array_index (sandbox->task_order, i);
    if (g_strcmp0 (task->external_task_id, external_task_id) == 0)
      return task;
  }
  return NULL;
}

SandboxTask *
sandbox_task_new (KlingSandbox * sandbox, const gchar * kind)
{
  SandboxTask *task = g_new0 (SandboxTask, 1);

  task->sandbox = sandbox;
  task->kind = kind;
  return task;
}

gboolean
sandbox_task_launch (KlingSandbox * sandbox, SandboxTask * task,
    SandboxResponse * resp)
{
  if (!check_parallel_limit (sandbox, resp)) {
    sandbox_task_free (task);
    return FALSE;
  }
  task->task_id = sandbox_new_id ("");
  task->created_ms = task->updated_ms = now_ms ();
  task->status = SANDBOX_TASK_SUBMITTED;
  if (resp->fail_task)
    task->fail_message = g_strdup (resp->fail_message);
  g_hash_table_insert (sandbox->tasks, task->task_id, task);
  g_ptr_array_add (sandbox->task_order, task);
  record_create (sandbox);
  sandbox_count_task (sandbox, task->kind);
  sandbox_task_started (sandbox);
  task->timer_id = sandbox_timeout_add (sandbox, sandbox->options.queue_delay_s,
      queue_delay_elapsed, task, NULL);
  queue_callback (task);
  return TRUE;
}

static void
handle_create (KlingSandbox * sandbox, const Endpoint * endpoint, GBytes * body,
    SandboxResponse * resp)
{
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (JsonNode) data = NULL;
  SandboxTask *task;

  if (!sandbox_check_rate_limit (sandbox, resp))
    return;
  object = sandbox_parse_body (body, resp);
  if (object == NULL)
    return;

  task = sandbox_task_new (sandbox, endpoint->name);
  if (!parse_task_fields (sandbox, endpoint, object, task, resp) ||
      !endpoint->parse (sandbox, object, task, resp)) {
    sandbox_task_free (task);
    return;
  }
  if (task->units == NULL)
    task->units = sandbox_units_charged (task->kind, NULL, FALSE, FALSE, 0);
  if (!sandbox_task_launch (sandbox, task, resp))
    return;

  data = task_to_json (task, resp->expire_urls);
  sandbox_response_json (resp, 200, 0, "SUCCEED", data);
}

static gboolean
query_int (GHashTable * query, const gchar * name, gint64 min, gint64 max,
    gint64 * value, SandboxResponse * resp)
{
  const gchar *text = query ? g_hash_table_lookup (query, name) : NULL;

  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_signed (text, 10, min, max, value, NULL)) {
    sandbox_response_error (resp, 400, 1201,
        "Invalid parameter %s: must be an integer " "in %" G_GINT64_FORMAT "..%"
        G_GINT64_FORMAT, name, min, max);
    return FALSE;
  }
  return TRUE;
}

static void
handle_identify_face (KlingSandbox * sandbox, GBytes * body,
    SandboxResponse * resp)
{
  g_autoptr (JsonObject) object = sandbox_parse_body (body, resp);

  if (object != NULL)
    sandbox_identify_face (sandbox, object, resp);
}

/* Newest first, like Kling's console. */
static void
handle_list (KlingSandbox * sandbox, const gchar * kind, GHashTable * query,
    SandboxResponse * resp)
{
  g_autoptr (JsonArray) array = json_array_new ();
  g_autoptr (JsonNode) data = json_node_new (JSON_NODE_ARRAY);
  gint64 page = 1, size = 30, skip;

  if (!query_int (query, "pageNum", 1, 1000, &page, resp) ||
      !query_int (query, "pageSize", 1, 500, &size, resp))
    return;
  skip = (page - 1) * size;
  for (gint i = (gint) sandbox->task_order->len - 1; i >= 0; i--) {
    SandboxTask *task = g_ptr_array_index (sandbox->task_order, i);

    if (!g_str_equal (task->kind, kind) || skip-- > 0)
      continue;
    if ((gint64) json_array_get_length (array) >= size)
      break;
    json_array_add_element (array, task_to_json (task, resp->expire_urls));
  }
  json_node_set_array (data, array);
  sandbox_response_json (resp, 200, 0, "SUCCEED", data);
}

void
sandbox_handle_api (KlingSandbox * sandbox, const gchar * method,
    const gchar * name, const gchar * id, GHashTable * query, GBytes * body,
    SandboxResponse * resp)
{
  const Endpoint *endpoint = find_endpoint (name);
  gboolean get = g_str_equal (method, "GET");

  if (g_str_equal (method, "POST") && id == NULL) {
    if (endpoint->parse)
      handle_create (sandbox, endpoint, body, resp);
    else
      handle_identify_face (sandbox, body, resp);
  } else if (get && endpoint->parse && id == NULL) {
    handle_list (sandbox, name, query, resp);
  } else if (get && endpoint->parse) {
    SandboxTask *task = find_task (sandbox, endpoint, id);
    g_autoptr (JsonNode) data =
        task ? task_to_json (task, resp->expire_urls) : NULL;

    if (task)
      sandbox_response_json (resp, 200, 0, "SUCCEED", data);
    else
      sandbox_response_error (resp, 404, 1203, "Task not found");
  } else {
    sandbox_response_error (resp, 404, 1202,
        "Method %s is not supported on this path", g_utf8_validate (method, -1,
            NULL) ? method : "?");
  }
}

/* A URL this sandbox handed out for one of its own videos: no need to fetch it. The
 * signature and expiry still count, as they would for any other client. */
SandboxVideo *
sandbox_lookup_video_url (KlingSandbox * sandbox, const gchar * url)
{
  g_autofree gchar *id = NULL;

  if (!sandbox_url_is_loopback_port (url, sandbox->port) ||
      !sandbox_url_is_valid (sandbox, url, &id))
    return NULL;
  return g_hash_table_lookup (sandbox->videos, id);
}

/* ---- setup -------------------------------------------------------------------------- */

void
sandbox_tasks_init (KlingSandbox * sandbox)
{
  sandbox->tasks = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) sandbox_task_free);
  sandbox->task_order = g_ptr_array_new ();
  sandbox->videos = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) sandbox_video_free);
  sandbox->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) sandbox_session_free);
  sandbox->cancellable = g_cancellable_new ();
  /* Two renders at a time: the machines this runs on have two cores. */
  sandbox->render_pool = g_thread_pool_new_full (render_thread, sandbox,
      (GDestroyNotify) render_job_free, 2, FALSE, NULL);
  g_queue_init (&sandbox->create_times);
}

void
sandbox_tasks_shutdown (KlingSandbox * sandbox)
{
  g_atomic_int_set (&sandbox->cancel_renders, 1);
  g_thread_pool_free (sandbox->render_pool, TRUE, TRUE);
  sandbox->render_pool = NULL;
  g_cancellable_cancel (sandbox->cancellable);
  g_clear_object (&sandbox->cancellable);
  g_clear_pointer (&sandbox->task_order, g_ptr_array_unref);
  g_clear_pointer (&sandbox->tasks, g_hash_table_unref);
  g_clear_pointer (&sandbox->sessions, g_hash_table_unref);
  g_clear_pointer (&sandbox->videos, g_hash_table_unref);
  g_queue_clear_full (&sandbox->create_times, g_free);
}
