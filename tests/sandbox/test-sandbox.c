/* The kling-sandbox library in process: lifecycle, the C control API, and a render
 * running next to the test's own GStreamer (what the element tests rely on). */
#include <gst/check/gstcheck.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "kling-sandbox.h"

typedef struct
{
  guint status;
  gchar *body;                  /* as text (JSON answers) */
  GBytes *bytes;                /* as received (files) */
} Reply;

static void
reply_clear (Reply * reply)
{
  g_clear_pointer (&reply->body, g_free);
  g_clear_pointer (&reply->bytes, g_bytes_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Reply, reply_clear)
     static Reply
         http (KlingSandbox * sandbox, const gchar * method, const gchar * path,
    const gchar * body)
{
  g_autoptr (SoupSession) session =
      soup_session_new_with_options ("proxy-resolver", NULL, NULL);
  g_autofree gchar *url =
      g_strconcat (kling_sandbox_get_base_url (sandbox), path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GBytes) answer = NULL;
  g_autoptr (GError) error = NULL;
  Reply reply = { 0, };

  fail_unless (msg != NULL);
  if (body) {
    g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));
    soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  }
  answer = soup_session_send_and_read (session, msg, NULL, &error);
  fail_unless (answer != NULL, "%s", error ? error->message : "");
  reply.status = soup_message_get_status (msg);
  reply.body =
      g_strndup (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer));
  reply.bytes = g_steal_pointer (&answer);
  return reply;
}

/* A member of a JSON object, by a path of names ("requests", "GET /v1/videos/..."). */
static JsonNode *
json_lookup (JsonParser * parser, const gchar * text, const gchar * const *path)
{
  JsonNode *node;

  fail_unless (json_parser_load_from_data (parser, text, -1, NULL),
      "not JSON: %s", text);
  node = json_parser_get_root (parser);
  for (guint i = 0; path[i]; i++) {
    fail_unless (JSON_NODE_HOLDS_OBJECT (node), "no object at %s in %s",
        path[i], text);
    node = json_object_get_member (json_node_get_object (node), path[i]);
    fail_unless (node != NULL, "no %s in %s", path[i], text);
  }
  return node;
}

static gint64
counter (KlingSandbox * sandbox, const gchar * group, const gchar * name)
{
  g_autofree gchar *json = kling_sandbox_dup_counters_json (sandbox);
  g_autoptr (JsonParser) parser = json_parser_new ();
  const gchar *path[] = { group, name, NULL };

  return json_node_get_int (json_lookup (parser, json,
          group ? path : path + 1));
}

static KlingSandbox *
start_sandbox_with (gboolean control, gboolean accept_any_model)
{
  KlingSandboxOptions options;
  g_autoptr (GError) error = NULL;
  KlingSandbox *sandbox;

  kling_sandbox_options_init (&options);
  options.queue_delay_s = 0.05;
  options.render_delay_s = 0.1;
  options.video_scale = 0.25;
  options.control = control;
  options.accept_any_model = accept_any_model;
  sandbox = kling_sandbox_start (&options, &error);
  fail_unless (sandbox != NULL, "%s", error ? error->message : "");
  return sandbox;
}

static KlingSandbox *
start_sandbox (gboolean control)
{
  return start_sandbox_with (control, FALSE);
}

GST_START_TEST (test_options_defaults)
{
  KlingSandboxOptions options;

  memset (&options, 0xff, sizeof (options));
  kling_sandbox_options_init (&options);
  fail_unless (options.access_key == NULL && options.secret_key == NULL);
  fail_unless (options.api_key == NULL);
  fail_unless_equals_float (options.queue_delay_s, 1.0);
  fail_unless_equals_float (options.render_delay_s, 3.0);
  fail_unless_equals_int (options.max_parallel, 0);
  fail_unless_equals_int (options.rate_limit_per_min, 0);
  fail_unless_equals_float (options.video_scale, 1.0);
  fail_unless_equals_int (options.url_ttl_s, 3600);
  fail_unless (!options.control);
  fail_unless (!options.accept_any_model);
  fail_unless_equals_int (options.port, 0);
}

GST_END_TEST;

GST_START_TEST (test_start_serve_stop)
{
  KlingSandbox *sandbox = start_sandbox (FALSE);
  g_auto (Reply) reply = { 0, };

  fail_unless (g_str_has_prefix (kling_sandbox_get_base_url (sandbox),
          "http://127.0.0.1:"));
  /* No keys configured: an open sandbox. */
  reply = http (sandbox, "GET", "/v1/videos/image2video", NULL);
  fail_unless_equals_int (reply.status, 200);
  kling_sandbox_stop (sandbox);
  kling_sandbox_stop (NULL);
}

GST_END_TEST;

static guint16
port_of (KlingSandbox * sandbox)
{
  return (guint16) atoi (strrchr (kling_sandbox_get_base_url (sandbox),
          ':') + 1);
}

/* Whether anything accepts a TCP connection on 127.0.0.1:@port (no proxy). */
static gboolean
port_accepts (guint16 port)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;

  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_timeout (client, 2);
  connection =
      g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);
  return connection != NULL;
}

/* A stop right after the start must not be lost (the thread may not run its loop yet):
 * each stop returns at once and the server is gone (nothing listens on its port, which a
 * new sandbox can take). */
GST_START_TEST (test_stop_right_after_start)
{
  KlingSandboxOptions options;
  g_autoptr (GError) error = NULL;
  KlingSandbox *again;
  guint16 port = 0;

  for (guint i = 0; i < 20; i++) {
    KlingSandbox *sandbox = start_sandbox (i % 2);
    gint64 start;

    port = port_of (sandbox);
    fail_unless (port_accepts (port));
    start = g_get_monotonic_time ();
    kling_sandbox_stop (sandbox);
    fail_unless (g_get_monotonic_time () - start < G_USEC_PER_SEC,
        "stop %u took %" G_GINT64_FORMAT " us", i,
        g_get_monotonic_time () - start);
    fail_unless (!port_accepts (port), "port %u still accepts after stop %u",
        port, i);
  }
  kling_sandbox_options_init (&options);
  options.port = port;
  again = kling_sandbox_start (&options, &error);
  fail_unless (again != NULL, "%s", error ? error->message : "");
  fail_unless_equals_int (port_of (again), port);
  kling_sandbox_stop (again);
}

GST_END_TEST;

GST_START_TEST (test_c_faults_and_counters_without_control)
{
  KlingSandbox *sandbox = start_sandbox (FALSE);
  g_autoptr (GError) error = NULL;
  g_auto (Reply) faulted = { 0, };
  g_auto (Reply) normal = { 0, };
  g_auto (Reply) control = { 0, };

  fail_unless (kling_sandbox_add_fault_json (sandbox,
          "{\"path\": \"/v1/videos/text2video\","
          " \"action\": \"status\", \"http\": 503, \"code\": 5001}", &error));
  faulted = http (sandbox, "GET", "/v1/videos/text2video", NULL);
  fail_unless_equals_int (faulted.status, 503);
  fail_unless (strstr (faulted.body, "5001") != NULL);
  normal = http (sandbox, "GET", "/v1/videos/text2video", NULL);
  fail_unless_equals_int (normal.status, 200);

  fail_unless_equals_int (counter (sandbox, NULL, "faults_hit"), 1);
  fail_unless_equals_int (counter (sandbox, "requests",
          "GET /v1/videos/text2video"), 2);
  /* The C reader agrees with the JSON; what was never counted reads 0. */
  fail_unless_equals_int (kling_sandbox_get_counter (sandbox, NULL,
          "faults_hit"), 1);
  fail_unless_equals_int (kling_sandbox_get_counter (sandbox, "requests",
          "GET /v1/videos/text2video"), 2);
  fail_unless_equals_int (kling_sandbox_get_counter (sandbox, "requests",
          "PUT /nowhere"), 0);
  fail_unless_equals_int (kling_sandbox_get_counter (sandbox, "no-group", "x"),
      0);

  /* The HTTP control API stays closed. */
  control = http (sandbox, "GET", "/sandbox/counters", NULL);
  fail_unless_equals_int (control.status, 404);

  fail_if (kling_sandbox_add_fault_json (sandbox, "{\"action\": \"nope\"}",
          &error));
  g_clear_error (&error);
  fail_if (kling_sandbox_add_fault_json (sandbox, "not json", &error));
  fail_unless (error != NULL);

  kling_sandbox_reset (sandbox);
  fail_unless_equals_int (counter (sandbox, NULL, "faults_hit"), 0);
  kling_sandbox_stop (sandbox);
}

GST_END_TEST;

GST_START_TEST (test_clear_faults_keeps_counters)
{
  KlingSandbox *sandbox = start_sandbox (TRUE);
  g_auto (Reply) with_fault = { 0, };
  g_auto (Reply) after_clear = { 0, };

  fail_unless (kling_sandbox_add_fault_json (sandbox,
          "{\"action\": \"status\", " "\"http\": 500, \"times\": 0}", NULL));
  with_fault = http (sandbox, "GET", "/v1/videos/lip-sync", NULL);
  fail_unless_equals_int (with_fault.status, 500);
  kling_sandbox_clear_faults (sandbox);
  after_clear = http (sandbox, "GET", "/v1/videos/lip-sync", NULL);
  fail_unless_equals_int (after_clear.status, 200);
  fail_unless_equals_int (counter (sandbox, "requests",
          "GET /v1/videos/lip-sync"), 2);
  kling_sandbox_stop (sandbox);
}

GST_END_TEST;

GST_START_TEST (test_bad_options_and_busy_port)
{
  KlingSandboxOptions options;
  g_autoptr (GError) error = NULL;
  KlingSandbox *first, *second;
  g_autofree gchar *port = NULL;

  kling_sandbox_options_init (&options);
  options.access_key = "AK";
  fail_unless (kling_sandbox_start (&options, &error) == NULL);
  fail_unless (error != NULL);
  g_clear_error (&error);

  kling_sandbox_options_init (&options);
  options.video_scale = 0;
  fail_unless (kling_sandbox_start (&options, &error) == NULL);
  g_clear_error (&error);

  kling_sandbox_options_init (&options);
  first = kling_sandbox_start (&options, &error);
  fail_unless (first != NULL);
  port = g_strdup (strrchr (kling_sandbox_get_base_url (first), ':') + 1);
  options.port = atoi (port);
  second = kling_sandbox_start (&options, &error);
  fail_unless (second == NULL);
  fail_unless (error != NULL);
  kling_sandbox_stop (first);
}

GST_END_TEST;

static gchar *
media_base64 (const gchar * name)
{
  g_autofree gchar *path = g_build_filename (KLING_MEDIA_DIR, name, NULL);
  g_autofree gchar *data = NULL;
  gsize size;

  fail_unless (g_file_get_contents (path, &data, &size, NULL));
  return g_base64_encode ((const guchar *) data, size);
}

static JsonObject *
wait_for_task (KlingSandbox * sandbox, const gchar * task_id)
{
  g_autofree gchar *path =
      g_strconcat ("/v1/videos/image2video/", task_id, NULL);

  for (guint i = 0; i < 400; i++) {
    g_auto (Reply) reply = http (sandbox, "GET", path, NULL);
    g_autoptr (JsonParser) parser = json_parser_new ();
    const gchar *data_path[] = { "data", NULL };
    JsonObject *task =
        json_node_get_object (json_lookup (parser, reply.body, data_path));
    const gchar *status = json_object_get_string_member (task, "task_status");

    if (g_str_equal (status, "succeed") || g_str_equal (status, "failed"))
      return json_object_ref (task);
    g_usleep (25 * 1000);
  }
  fail ("task %s did not end", task_id);
  return NULL;
}

GST_START_TEST (test_render_next_to_gstreamer)
{
  KlingSandbox *sandbox = start_sandbox (FALSE);
  g_autofree gchar *image = media_base64 ("square.png");
  g_autofree gchar *body =
      g_strdup_printf ("{\"image\": \"%s\", \"prompt\": \"in "
      "process\", \"model_name\": \"kling-v2-6\"}", image);
  g_auto (Reply) created =
      http (sandbox, "POST", "/v1/videos/image2video", body);
  g_autoptr (JsonParser) parser = json_parser_new ();
  const gchar *id_path[] = { "data", "task_id", NULL };
  g_autoptr (JsonObject) task = NULL;
  JsonObject *video;
  g_auto (Reply) clip = { 0, };
  g_autofree gchar *file_path = NULL;

  fail_unless_equals_int (created.status, 200);
  task = wait_for_task (sandbox,
      json_node_get_string (json_lookup (parser, created.body, id_path)));
  fail_unless_equals_string (json_object_get_string_member (task,
          "task_status"), "succeed");
  video =
      json_array_get_object_element (json_object_get_array_member
      (json_object_get_object_member (task, "task_result"), "videos"), 0);
  fail_unless_equals_string (json_object_get_string_member (video, "duration"),
      "5");

  file_path =
      g_strdup (strstr (json_object_get_string_member (video, "url"),
          "/files/"));
  clip = http (sandbox, "GET", file_path, NULL);
  fail_unless_equals_int (clip.status, 200);
  /* An ISO MP4: the ftyp box first. */
  fail_unless (g_bytes_get_size (clip.bytes) > 1000);
  fail_unless (memcmp ((const guint8 *) g_bytes_get_data (clip.bytes, NULL) + 4,
          "ftyp", 4) == 0);
  kling_sandbox_stop (sandbox);
}

GST_END_TEST;

/* The per-model API in process: the counters a client's test reads through the C API
 * (model_creates, the batch queries and their ids), and a stop while its render runs. */
GST_START_TEST (test_per_model_api_counters_in_process)
{
  KlingSandbox *sandbox = start_sandbox (FALSE);
  const gchar *body =
      "{\"contents\": [{\"type\": \"prompt\", \"text\": \"in process\"}], "
      "\"settings\": {\"resolution\": \"720p\", \"duration\": 5, \"multi_shot\": false}}";
  g_auto (Reply) made_a =
      http (sandbox, "POST", "/text-to-video/kling-2.6", body);
  g_auto (Reply) made_b =
      http (sandbox, "POST", "/text-to-video/kling-3.0", body);
  g_autoptr (JsonParser) parser = json_parser_new ();
  const gchar *id_path[] = { "data", "id", NULL };
  g_autofree gchar *a = NULL, *b = NULL, *path = NULL;
  g_auto (Reply) batch = { 0, };
  JsonNode *tasks;

  fail_unless_equals_int (made_a.status, 200);
  fail_unless_equals_int (made_b.status, 200);
  a = g_strdup (json_node_get_string (json_lookup (parser, made_a.body,
              id_path)));
  b = g_strdup (json_node_get_string (json_lookup (parser, made_b.body,
              id_path)));
  path = g_strdup_printf ("/tasks?task_ids=%s,%s,unknown", b, a);
  batch = http (sandbox, "GET", path, NULL);
  fail_unless_equals_int (batch.status, 200);
  tasks = json_lookup (parser, batch.body, (const gchar *[]) { "data", NULL });
  fail_unless_equals_int (json_array_get_length (json_node_get_array (tasks)),
      2);
  fail_unless_equals_string (json_object_get_string_member
      (json_array_get_object_element (json_node_get_array (tasks), 0), "id"),
      b);

  fail_unless_equals_int (kling_sandbox_get_counter (sandbox, "model_creates",
          "text-to-video/kling-2.6"), 1);
  fail_unless_equals_int (kling_sandbox_get_counter (sandbox, "model_creates",
          "image-to-video/kling-3.0"), 0);
  fail_unless_equals_int (kling_sandbox_get_counter (sandbox, NULL,
          "tasks_queries"), 1);
  fail_unless_equals_int (kling_sandbox_get_counter (sandbox, NULL,
          "tasks_query_ids_max"), 3);
  fail_unless_equals_int (kling_sandbox_get_counter (sandbox, "requests",
          "GET /tasks"), 1);
  kling_sandbox_reset (sandbox);
  fail_unless_equals_int (kling_sandbox_get_counter (sandbox, NULL,
          "tasks_query_ids_total"), 0);
  /* Stopped with both tasks still in flight: nothing leaks, nothing waits. */
  kling_sandbox_stop (sandbox);
}

GST_END_TEST;

/* A retired model is refused at create (nothing created) unless the option for old tests
 * is set, which takes it, and its cfg_scale, as before the retirement. */
GST_START_TEST (test_retired_model_and_accept_any_model)
{
  const gchar *body = "{\"model_name\": \"kling-v1-6\", \"prompt\": \"old\", "
      "\"cfg_scale\": 0.5}";
  KlingSandbox *strict = start_sandbox (FALSE);
  KlingSandbox *lenient = start_sandbox_with (FALSE, TRUE);
  g_auto (Reply) refused = http (strict, "POST", "/v1/videos/text2video", body);
  g_auto (Reply) taken = http (lenient, "POST", "/v1/videos/text2video", body);
  g_autoptr (JsonParser) parser = json_parser_new ();
  const gchar *code_path[] = { "code", NULL };

  fail_unless_equals_int (refused.status, 404);
  fail_unless_equals_int (json_node_get_int (json_lookup (parser, refused.body,
              code_path)), 1203);
  fail_unless (strstr (refused.body, "kling-v3") != NULL, "%s", refused.body);
  fail_unless_equals_int (kling_sandbox_get_counter (strict, "tasks_created",
          "text2video"), 0);
  fail_unless_equals_int (taken.status, 200);
  fail_unless_equals_int (kling_sandbox_get_counter (lenient, "tasks_created",
          "text2video"), 1);
  kling_sandbox_stop (strict);
  kling_sandbox_stop (lenient);
}

GST_END_TEST;

/* Sends a bare GET of @path to @sandbox on a socket left open (the caller closes it). */
static GSocketConnection *
send_get (KlingSandbox * sandbox, const gchar * path)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  /* Loopback: no proxy resolver (libproxy), which also keeps ASan quiet. */
  g_autoptr (GError) error = NULL;
  const gchar *base = kling_sandbox_get_base_url (sandbox);
  g_autofree gchar *request =
      g_strdup_printf ("GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
  GSocketConnection *connection;

  g_socket_client_set_enable_proxy (client, FALSE);
  connection =
      g_socket_client_connect_to_host (client, base + strlen ("http://"), 0,
      NULL, &error);

  fail_unless (connection != NULL, "%s", error ? error->message : "");
  fail_unless (g_output_stream_write_all (g_io_stream_get_output_stream
          (G_IO_STREAM (connection)), request, strlen (request), NULL, NULL,
          &error));
  return connection;
}

/* Stopping never waits for what a fault rule holds: a 600 s stall and a 600 s delay
 * end at once, their clients see the connection close unanswered, nothing leaks. */
GST_START_TEST (test_stop_ends_stalls_and_delays)
{
  KlingSandbox *sandbox = start_sandbox (FALSE);
  GSocketConnection *stalled, *delayed;
  gchar answer[64];
  gint64 start;

  fail_unless (kling_sandbox_add_fault_json (sandbox,
          "{\"path\": \"/v1/videos/lip-sync\","
          " \"kind\": \"stall\", \"seconds\": 600}", NULL));
  fail_unless (kling_sandbox_add_fault_json (sandbox,
          "{\"path\": \"/v1/videos/text2video"
          "\", \"kind\": \"delay\", \"seconds\": 600}", NULL));
  stalled = send_get (sandbox, "/v1/videos/lip-sync");
  delayed = send_get (sandbox, "/v1/videos/text2video");
  for (guint i = 0;
      i < 200 && kling_sandbox_get_counter (sandbox, NULL, "faults_hit") < 2;
      i++)
    g_usleep (10 * 1000);
  fail_unless_equals_int (kling_sandbox_get_counter (sandbox, NULL,
          "faults_hit"), 2);
  fail_unless_equals_int (kling_sandbox_get_counter (sandbox, NULL,
          "connections_held"), 1);

  start = g_get_monotonic_time ();
  kling_sandbox_stop (sandbox);
  fail_unless (g_get_monotonic_time () - start < 2 * G_USEC_PER_SEC);
  fail_unless_equals_int (g_input_stream_read (g_io_stream_get_input_stream
          (G_IO_STREAM (stalled)), answer, sizeof (answer), NULL, NULL), 0);
  fail_unless_equals_int (g_input_stream_read (g_io_stream_get_input_stream
          (G_IO_STREAM (delayed)), answer, sizeof (answer), NULL, NULL), 0);
  g_object_unref (stalled);
  g_object_unref (delayed);
}

GST_END_TEST;

/* A redirect rule points a client at a second in-process sandbox, whose counters say
 * whether credentials came along. */
GST_START_TEST (test_redirect_and_credential_counters)
{
  KlingSandbox *origin = start_sandbox (FALSE);
  KlingSandbox *other = start_sandbox (FALSE);
  g_autofree gchar *rule =
      g_strdup_printf ("{\"kind\": \"redirect\", \"http\": 307, "
      "\"location\": \"%s\", \"append_path\": true}",
      kling_sandbox_get_base_url (other));
  g_autofree gchar *url = g_strconcat (kling_sandbox_get_base_url (origin),
      "/v1/videos/text2video", NULL);
  g_autoptr (SoupSession) session =
      soup_session_new_with_options ("proxy-resolver", NULL, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (GBytes) body = NULL;
  g_autofree gchar *expected = g_strconcat (kling_sandbox_get_base_url (other),
      "/v1/videos/text2video", NULL);
  g_auto (Reply) with_key = { 0, };

  fail_unless (kling_sandbox_add_fault_json (origin, rule, NULL));
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  soup_message_headers_append (soup_message_get_request_headers (msg),
      "X-API-Key", "k");
  body = soup_session_send_and_read (session, msg, NULL, NULL);
  fail_unless_equals_int (soup_message_get_status (msg), 307);
  fail_unless_equals_string (soup_message_headers_get_one
      (soup_message_get_response_headers (msg), "Location"), expected);
  fail_unless_equals_int (kling_sandbox_get_counter (origin, NULL,
          "credentialed_requests"), 1);
  fail_unless_equals_int (kling_sandbox_get_counter (other, NULL,
          "credentialed_requests"), 0);

  with_key = http (other, "GET", "/v1/videos/text2video?api_key=k", NULL);
  fail_unless_equals_int (with_key.status, 200);
  fail_unless_equals_int (kling_sandbox_get_counter (other, "credentialed",
          "GET /v1/videos/text2video"), 1);
  kling_sandbox_stop (origin);
  kling_sandbox_stop (other);
}

GST_END_TEST;

static Suite *
sandbox_suite (void)
{
  Suite *s = suite_create ("kling-sandbox");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_options_defaults);
  tcase_add_test (tc, test_start_serve_stop);
  tcase_add_test (tc, test_stop_right_after_start);
  tcase_add_test (tc, test_c_faults_and_counters_without_control);
  tcase_add_test (tc, test_clear_faults_keeps_counters);
  tcase_add_test (tc, test_bad_options_and_busy_port);
  tcase_add_test (tc, test_render_next_to_gstreamer);
  tcase_add_test (tc, test_retired_model_and_accept_any_model);
  tcase_add_test (tc, test_per_model_api_counters_in_process);
  tcase_add_test (tc, test_stop_ends_stalls_and_delays);
  tcase_add_test (tc, test_redirect_and_credential_counters);
  return s;
}

GST_CHECK_MAIN (sandbox);
