/* gst-kling: the fault matrix (fault-matrix.c) through the elements and GstHarness,
 * against an in-process kling-sandbox.
 *
 * Each row is its own check case (named after the row, so CK_RUN_CASE=<name> runs one)
 * with its own sandbox and cache directory. The element passes the clip through
 * (video/quicktime downstream), so what comes out is the file's bytes: a survived fault
 * must give exactly the file the sandbox serves for the task when nothing interferes,
 * fetched by the test itself once the rules are gone. The client the elements share is
 * acquired first with a fast retry policy (short backoff, a 700 ms inactivity timeout),
 * so that a permanent fault ends within seconds.
 */
#include <string.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "fault-matrix.h"
#include "harness-util.h"
#include "kling-auth.h"
#include "kling-client.h"
#include "kling-requests.h"
#include "kling-sandbox.h"
#include "sandbox-http.h"
#include "still-util.h"
#include "test-fs.h"

#define ACCESS_KEY  "ak-fault-matrix"
#define SECRET_KEY  "sk-fault-matrix-secret"
#define API_KEY     "key-fault-matrix-static"
#define PROMPT      "a slow zoom over colour bars"
#define TIMEOUT_S   20.0
#define ERROR_WAIT  (20 * GST_SECOND)

/* Not element-fixture.h's Fixture: a row may need a second sandbox ("@ELSEWHERE@"), its
 * auth and timeout come from the row, and the client with the fast policy is always held. */
typedef struct
{
  const FaultCase *row;
  KlingSandbox *sandbox;
  KlingSandbox *elsewhere;      /* "@ELSEWHERE@": another origin and server, or NULL */
  KlingClient *client;          /* the elements' shared client, with the fast policy */
  gchar *cache_dir;
  gchar *video_id;              /* lip-sync rows: the clip to lip-sync */
  GstBus *bus;
  GstElement *element;
  GstHarness *h;
  GstHarness *audio;            /* the advanced rows' voice */
} Fixture;

/* ------------------------------------------------------------------------- */
/* Set-up                                                                    */

static KlingAuth *
row_auth (const FaultCase * row)
{
  switch (row->auth) {
    case FAULT_AUTH_BEARER:
      return kling_auth_new_static (API_KEY, KLING_AUTH_HEADER_BEARER);
    case FAULT_AUTH_X_API_KEY:
      return kling_auth_new_static (API_KEY, KLING_AUTH_HEADER_X_API_KEY);
    default:
      return kling_auth_new_jwt (ACCESS_KEY, SECRET_KEY);
  }
}

static void
acquire_fast_client (Fixture * f)
{
  KlingRetryPolicy policy;
  GError *error = NULL;

  f->client = kling_client_acquire (kling_sandbox_get_base_url (f->sandbox),
      row_auth (f->row), &error);
  fail_unless (f->client != NULL, "%s", error ? error->message : "?");
  kling_client_get_policy (f->client, &policy);
  policy.max_attempts = 3;
  policy.base_delay_ms = 20;
  policy.max_delay_ms = 100;
  policy.deadline_s = 20;
  policy.busy_max_delay_ms = 1000;
  policy.io_timeout_ms = 700;
  /* The clips are ~130 KB: a download under 50 KB/s over 500 ms is given up. */
  policy.min_download_rate = 50000;
  policy.rate_window_ms = 500;
  kling_client_set_policy (f->client, &policy);
}

static void
job_finished (KlingJob * job, const gchar * mp4_path, const KlingTask * task,
    const GError * error, gpointer user_data)
{
  GAsyncQueue *done = user_data;

  fail_unless (error == NULL, "source clip: %s", error ? error->message : "");
  g_async_queue_push (done, g_strdup (task->video_id));
}

/* The clip a lip-sync row lip-syncs, made by the sandbox before any rule. */
static void
make_source_clip (Fixture * f)
{
  static const KlingJobCallbacks callbacks = {.finished = job_finished };
  KlingImage2VideoParams params = {.mode = KLING_MODE_STD,.duration_s = 5,
    .prompt = "a face, talking",.cfg_scale = 0.5
  };
  KlingJobOptions options = {.poll_interval_s = 0.05,.timeout_s = 60 };
  GAsyncQueue *done = g_async_queue_new ();
  KlingRequest *request;
  KlingJob *job;
  GError *error = NULL;

  params.image = still_media_file ("still.jpg");
  request = kling_image2video_request_new (&params, &error);
  fail_unless (request != NULL, "%s", error ? error->message : "");
  job = kling_client_start_job (f->client, request, &options, &callbacks, done,
      NULL);
  f->video_id = g_async_queue_timeout_pop (done, 30 * G_USEC_PER_SEC);
  fail_unless (f->video_id != NULL, "no source clip");
  kling_job_unref (job);
  kling_request_free (request);
  g_bytes_unref (params.image);
  g_async_queue_unref (done);
}

/* "@SAME@", "@OTHER@" and "@ELSEWHERE@" in @rule: the sandbox's origin, the same server
 * under another origin (localhost instead of 127.0.0.1), the second sandbox's. */
static gchar *
expand_rule (Fixture * f, const gchar * rule)
{
  const gchar *base = kling_sandbox_get_base_url (f->sandbox);
  gchar *other = g_strconcat ("http://localhost", strrchr (base, ':'), NULL);
  GString *out = g_string_new (rule);

  g_string_replace (out, "@SAME@", base, 0);
  g_string_replace (out, "@OTHER@", other, 0);
  if (f->elsewhere)
    g_string_replace (out, "@ELSEWHERE@",
        kling_sandbox_get_base_url (f->elsewhere), 0);
  g_free (other);
  return g_string_free (out, FALSE);
}

static void
add_rule (Fixture * f, const gchar * rule)
{
  gchar *json;
  GError *error = NULL;

  if (rule == NULL)
    return;
  json = expand_rule (f, rule);
  fail_unless (kling_sandbox_add_fault_json (f->sandbox, json, &error),
      "%s: rule %s: %s", f->row->name, json, error ? error->message : "?");
  g_free (json);
}

static gboolean
row_mentions (const FaultCase * row, const gchar * what)
{
  return (row->rule && strstr (row->rule, what)) ||
      (row->rule2 && strstr (row->rule2, what));
}

/* A sandbox taking both the key pair and the static key. */
static KlingSandbox *
start_sandbox (void)
{
  KlingSandboxOptions options;
  KlingSandbox *sandbox;
  GError *error = NULL;

  kling_sandbox_options_init (&options);
  options.access_key = ACCESS_KEY;
  options.secret_key = SECRET_KEY;
  options.api_key = API_KEY;
  options.queue_delay_s = 0.05;
  options.render_delay_s = 0.1;
  options.video_scale = 0.25;
  sandbox = kling_sandbox_start (&options, &error);
  fail_unless (sandbox != NULL, "sandbox: %s", error ? error->message : "?");
  return sandbox;
}

static void
fixture_start (Fixture * f, const FaultCase * row)
{
  GError *error = NULL;

  memset (f, 0, sizeof (*f));
  f->row = row;
  f->sandbox = start_sandbox ();
  if (row_mentions (row, "@ELSEWHERE@"))
    f->elsewhere = start_sandbox ();
  f->cache_dir = g_dir_make_tmp ("kling-faults-XXXXXX", &error);
  fail_unless (f->cache_dir != NULL);
  f->bus = gst_bus_new ();
  acquire_fast_client (f);
  if (row->element != FAULT_IMAGE2VIDEO)
    make_source_clip (f);
  kling_sandbox_reset (f->sandbox);     /* counters from here on are the element's */
  add_rule (f, row->rule);
  add_rule (f, row->rule2);
}

static void
teardown_element (Fixture * f)
{
  g_clear_pointer (&f->audio, gst_harness_teardown);
  g_clear_pointer (&f->h, gst_harness_teardown);
  gst_clear_object (&f->element);
}

static void
fixture_stop (Fixture * f)
{
  teardown_element (f);
  gst_bus_set_flushing (f->bus, TRUE);
  gst_object_unref (f->bus);
  kling_client_unref (f->client);
  kling_sandbox_stop (f->sandbox);
  if (f->elsewhere)
    kling_sandbox_stop (f->elsewhere);
  test_remove_tree (f->cache_dir);
  g_free (f->cache_dir);
  g_free (f->video_id);
}

/* ------------------------------------------------------------------------- */
/* The render                                                                */

static const gchar *
row_endpoint (const FaultCase * row)
{
  switch (row->element) {
    case FAULT_IMAGE2VIDEO:
      return "image2video";
    case FAULT_LIP_SYNC:
      return "lip-sync";
    default:
      return "advanced-lip-sync";
  }
}

static void
make_element (Fixture * f)
{
  const gchar *factory = f->row->element == FAULT_IMAGE2VIDEO ?
      "klingimage2video" : "klinglipsync";

  f->element = gst_element_factory_make (factory, NULL);
  fail_unless (f->element != NULL, "%s is not in GST_PLUGIN_PATH", factory);
  g_object_set (f->element, "api-url", kling_sandbox_get_base_url (f->sandbox),
      NULL);
  if (f->row->auth == FAULT_AUTH_JWT)
    g_object_set (f->element, "access-key", ACCESS_KEY, "secret-key",
        SECRET_KEY, NULL);
  else
    g_object_set (f->element, "api-key", API_KEY, NULL);
  if (f->row->auth == FAULT_AUTH_X_API_KEY)
    gst_util_set_object_arg (G_OBJECT (f->element), "auth-header", "x-api-key");
  g_object_set (f->element, "poll-interval", 0.05, "cache-dir", f->cache_dir,
      "timeout", f->row->timeout_s > 0 ? f->row->timeout_s : TIMEOUT_S, NULL);
  if (f->row->element == FAULT_IMAGE2VIDEO)
    g_object_set (f->element, "prompt", PROMPT, NULL);
  else if (f->row->element == FAULT_LIP_SYNC) {
    g_object_set (f->element, "source-video-id", f->video_id,
        "text", "Hello from the fault matrix", NULL);
    gst_util_set_object_arg (G_OBJECT (f->element), "lip-sync-method",
        "one-step");
  } else {
    g_object_set (f->element, "source-video-id", f->video_id, NULL);
    gst_util_set_object_arg (G_OBJECT (f->element), "lip-sync-method",
        "advanced");
  }
  gst_element_set_bus (f->element, f->bus);
}

/* 3 s of a 300 Hz tone, S16LE mono 16 kHz, in 100 ms buffers, then EOS. */
static void
push_voice (GstHarness * h)
{
  const gint rate = 16000;
  gint n;

  gst_harness_set_src_caps_str (h,
      "audio/x-raw, format=S16LE, layout=interleaved, "
      "rate=16000, channels=1");
  for (n = 0; n < 30; n++) {
    GstBuffer *buffer = gst_buffer_new_allocate (NULL, rate / 10 * 2, NULL);
    GstMapInfo map;
    gint i;

    gst_buffer_map (buffer, &map, GST_MAP_WRITE);
    for (i = 0; i < rate / 10; i++)
      ((gint16 *) map.data)[i] = (gint16) (8000 * ((i / 26) % 2 ? 1 : -1));
    gst_buffer_unmap (buffer, &map);
    GST_BUFFER_PTS (buffer) = n * GST_SECOND / 10;
    GST_BUFFER_DURATION (buffer) = GST_SECOND / 10;
    if (gst_harness_push (h, buffer) != GST_FLOW_OK)
      break;                    /* the element already failed: the row checks why */
  }
  gst_harness_push_event (h, gst_event_new_eos ());
}

/* Starts the render with MP4 passthrough downstream. */
static void
start_render (Fixture * f)
{
  make_element (f);
  switch (f->row->element) {
    case FAULT_IMAGE2VIDEO:
      f->h = gst_harness_new_with_element (f->element, "sink", "src");
      gst_harness_set_sink_caps_str (f->h, "video/quicktime");
      gst_harness_set_src_caps_str (f->h, "image/jpeg");
      fail_unless_equals_int (gst_harness_push (f->h,
              gst_buffer_new_wrapped_bytes (still_media_file ("still.jpg"))),
          GST_FLOW_EOS);
      break;
    case FAULT_LIP_SYNC:
      f->h = gst_harness_new_with_element (f->element, NULL, "src");
      gst_harness_set_sink_caps_str (f->h, "video/quicktime");
      gst_harness_play (f->h);
      break;
    case FAULT_ADVANCED_LIP_SYNC:
      f->h = gst_harness_new_with_element (f->element, "audio", "src");
      gst_harness_set_sink_caps_str (f->h, "video/quicktime");
      gst_harness_play (f->h);
      push_voice (f->h);
      break;
  }
}

/* What src pushed up to EOS, as one byte array. */
static GByteArray *
collect_output (Fixture * f)
{
  GByteArray *bytes = g_byte_array_new ();
  GstBuffer *buffer;

  gst_event_unref (pull_event_of_type (f->h, GST_EVENT_EOS));
  while ((buffer = gst_harness_try_pull (f->h))) {
    GstMapInfo map;

    gst_buffer_map (buffer, &map, GST_MAP_READ);
    g_byte_array_append (bytes, map.data, map.size);
    gst_buffer_unmap (buffer, &map);
    gst_buffer_unref (buffer);
  }
  return bytes;
}

/* ------------------------------------------------------------------------- */
/* What the sandbox has                                                      */

/* The file the sandbox serves for @task_id when no rule interferes. */
static GBytes *
fetch_reference (Fixture * f, const gchar * task_id)
{
  gchar *url = g_strdup_printf ("%s/v1/videos/%s/%s",
      kling_sandbox_get_base_url (f->sandbox), row_endpoint (f->row), task_id);
  GBytes *answer = sandbox_http_get (url, ACCESS_KEY, SECRET_KEY);
  JsonParser *parser = json_parser_new ();
  JsonObject *data;
  JsonArray *videos;
  GBytes *file;
  gsize size;
  const gchar *body = g_bytes_get_data (answer, &size);

  fail_unless (json_parser_load_from_data (parser, body, size, NULL));
  data =
      json_object_get_object_member (json_node_get_object (json_parser_get_root
          (parser)), "data");
  fail_unless_equals_string (json_object_get_string_member (data,
          "task_status"), "succeed");
  videos =
      json_object_get_array_member (json_object_get_object_member (data,
          "task_result"), "videos");
  file =
      sandbox_http_get (json_object_get_string_member
      (json_array_get_object_element (videos, 0), "url"), NULL, NULL);
  g_object_unref (parser);
  g_bytes_unref (answer);
  g_free (url);
  return file;
}

/* The clips in the cache (its top level), and what is left in tmp/. */
static void
list_cache (Fixture * f, GPtrArray * clips, guint * parts)
{
  gchar *tmp = g_build_filename (f->cache_dir, "tmp", NULL);
  GDir *dir = g_dir_open (f->cache_dir, 0, NULL);
  const gchar *name;

  while (dir && (name = g_dir_read_name (dir)))
    if (g_str_has_suffix (name, ".mp4"))
      g_ptr_array_add (clips, g_build_filename (f->cache_dir, name, NULL));
  g_clear_pointer (&dir, g_dir_close);
  *parts = 0;
  dir = g_dir_open (tmp, 0, NULL);
  while (dir && (name = g_dir_read_name (dir)))
    *parts += g_str_has_suffix (name, ".part");
  g_clear_pointer (&dir, g_dir_close);
  g_free (tmp);
}

/* ------------------------------------------------------------------------- */
/* The checks                                                                */

static void
check_clip (Fixture * f)
{
  const gchar *name = f->row->name;
  GByteArray *output = collect_output (f);
  GPtrArray *clips = g_ptr_array_new_with_free_func (g_free);
  GstMessage *error;
  GBytes *reference;
  gchar *task_id = NULL, *cached;
  gsize cached_size;
  guint parts;

  error = gst_bus_pop_filtered (f->bus, GST_MESSAGE_ERROR);
  if (error) {
    GError *e = NULL;

    gst_message_parse_error (error, &e, NULL);
    fail ("%s: error instead of the clip: %s", name, e->message);
  }
  g_object_get (f->element, "task-id", &task_id, NULL);
  fail_unless (task_id != NULL, "%s: no task-id", name);
  teardown_element (f);

  kling_sandbox_clear_faults (f->sandbox);
  reference = fetch_reference (f, task_id);
  fail_unless (output->len == g_bytes_get_size (reference) &&
      memcmp (output->data, g_bytes_get_data (reference, NULL),
          output->len) == 0,
      "%s: %u bytes out, not the %" G_GSIZE_FORMAT " bytes the sandbox serves",
      name, output->len, g_bytes_get_size (reference));

  list_cache (f, clips, &parts);
  fail_unless_equals_int (clips->len, 1);
  fail_unless (g_file_get_contents (g_ptr_array_index (clips, 0), &cached,
          &cached_size, NULL));
  fail_unless (cached_size == output->len
      && memcmp (cached, output->data, cached_size) == 0,
      "%s: the cached clip is not the output", name);
  fail_unless_equals_int (parts, 0);
  g_free (cached);
  g_ptr_array_unref (clips);
  g_bytes_unref (reference);
  g_byte_array_unref (output);
  g_free (task_id);
}

static void
check_details (const FaultCase * row, const GstStructure * details)
{
  guint http = 0;
  gint code = -1;

  fail_unless (details != NULL, "%s: no details", row->name);
  gst_structure_get_uint (details, "http-status-code", &http);
  gst_structure_get_int (details, "kling-code", &code);
  if (row->http)
    fail_unless_equals_int (http, row->http);
  if (row->kling_code >= 0)
    fail_unless_equals_int (code, row->kling_code);
}

static void
check_error (Fixture * f)
{
  const FaultCase *row = f->row;
  GstMessage *message;
  const GstStructure *details = NULL;
  GByteArray *output;
  GPtrArray *clips = g_ptr_array_new_with_free_func (g_free);
  GError *error = NULL;
  gchar *debug = NULL;
  guint parts;

  message = gst_bus_timed_pop_filtered (f->bus, ERROR_WAIT, GST_MESSAGE_ERROR);
  fail_unless (message != NULL, "%s: no error message", row->name);
  gst_message_parse_error (message, &error, &debug);
  gst_message_parse_error_details (message, &details);
  GST_INFO ("%s: %s (%s)", row->name, error->message, debug);
  fail_unless (error->domain == GST_RESOURCE_ERROR
      && error->code == row->gst_code, "%s: error %s %d: %s", row->name,
      g_quark_to_string (error->domain), error->code, error->message);
  fail_unless (strstr (error->message, row->words) != NULL,
      "%s: \"%s\" not in \"%s\"", row->name, row->words, error->message);
  check_details (row, details);
  /* After an error the output ends (EOS) without a clip. */
  output = collect_output (f);
  fail_unless_equals_int (output->len, 0);
  teardown_element (f);

  list_cache (f, clips, &parts);
  fail_unless (clips->len == 0, "%s: a clip in the cache after an error",
      row->name);
  fail_unless (parts == 0, "%s: %u part files left", row->name, parts);
  g_ptr_array_unref (clips);
  g_byte_array_unref (output);
  g_error_free (error);
  g_free (debug);
  gst_message_unref (message);
}

/* Every request @sandbox counted. */
static gint64
count_requests (KlingSandbox * sandbox)
{
  gchar *json = kling_sandbox_dup_counters_json (sandbox);
  JsonNode *root = json_from_string (json, NULL);
  JsonObject *requests =
      json_object_get_object_member (json_node_get_object (root),
      "requests");
  GList *names = json_object_get_members (requests), *l;
  gint64 n = 0;

  for (l = names; l; l = l->next)
    n += json_object_get_int_member (requests, l->data);
  g_list_free (names);
  json_node_unref (root);
  g_free (json);
  return n;
}

/* Credentials go to the API's origin only, and result URLs carry none at all. */
static void
check_credentials (Fixture * f)
{
  const FaultCase *row = f->row;

  fail_unless_equals_int (kling_sandbox_get_counter (f->sandbox, "credentialed",
          "GET /files"), 0);
  if (f->elsewhere == NULL)
    return;
  fail_unless (kling_sandbox_get_counter (f->elsewhere, NULL,
          "credentialed_requests") == 0,
      "%s: a credential reached another origin", row->name);
  fail_unless (count_requests (f->elsewhere) == row->elsewhere_requests,
      "%s: %" G_GINT64_FORMAT " requests reached the other origin, not %d",
      row->name, count_requests (f->elsewhere), row->elsewhere_requests);
}

GST_START_TEST (test_fault_case)
{
  const FaultCase *row = &fault_cases[__i__];
  gint64 start = g_get_monotonic_time ();
  Fixture f;

  fixture_start (&f, row);
  start_render (&f);
  if (row->expect == FAULT_EXPECT_CLIP)
    check_clip (&f);
  else
    check_error (&f);
  /* Never paid twice: the tasks the sandbox made for the element. */
  fail_unless (kling_sandbox_get_counter (f.sandbox, "tasks_created",
          row_endpoint (row)) == row->tasks,
      "%s: %" G_GINT64_FORMAT " tasks, not %d", row->name,
      kling_sandbox_get_counter (f.sandbox, "tasks_created",
          row_endpoint (row)), row->tasks);
  check_credentials (&f);
  /* Nor for a face session more often than the row says (0 but on advanced rows). */
  fail_unless (kling_sandbox_get_counter (f.sandbox, NULL,
          "sessions_created") == row->sessions,
      "%s: %" G_GINT64_FORMAT " identify-face sessions, not %d", row->name,
      kling_sandbox_get_counter (f.sandbox, NULL, "sessions_created"),
      row->sessions);
  GST_INFO ("%s: %.2f s", row->name, (g_get_monotonic_time () - start) / 1e6);
  fixture_stop (&f);
}

GST_END_TEST;

/* The sentence of a download link that stays 404 says a rerun fetches the clip from the
 * same task, paying nothing: so it does, once the link works again. */
GST_START_TEST (test_rerun_after_lost_link)
{
  static const FaultCase row = {
    .name = "rerun-after-download-404-always",.element = FAULT_IMAGE2VIDEO,
    .rule = "{\"method\":\"GET\",\"path\":\"/files/\",\"kind\":\"status\","
        "\"http\":404,\"code\":1203,\"times\":0}",
    .expect = FAULT_EXPECT_ERROR,.tasks = 1,.gst_code =
        GST_RESOURCE_ERROR_SETTINGS,
    .words = "so a rerun fetches its clip again",.http = 404,.kling_code = -1,
  };
  Fixture f;

  fixture_start (&f, &row);
  start_render (&f);
  check_error (&f);
  kling_sandbox_clear_faults (f.sandbox);
  start_render (&f);
  check_clip (&f);
  fail_unless_equals_int (kling_sandbox_get_counter (f.sandbox, "tasks_created",
          "image2video"), 1);
  check_credentials (&f);
  fixture_stop (&f);
}

GST_END_TEST;

static Suite *
faults_suite (void)
{
  Suite *s = suite_create ("faults");
  TCase *rerun = tcase_create ("rerun-after-lost-link");
  guint i;

  for (i = 0; i < n_fault_cases; i++) {
    TCase *tc = tcase_create (fault_cases[i].name);

    tcase_set_timeout (tc, 60);
    tcase_add_loop_test (tc, test_fault_case, i, i + 1);
    suite_add_tcase (s, tc);
  }
  tcase_set_timeout (rerun, 60);
  tcase_add_test (rerun, test_rerun_after_lost_link);
  suite_add_tcase (s, rerun);
  return s;
}

GST_CHECK_MAIN (faults);
