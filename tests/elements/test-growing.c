/* gst-kling: the first frame while the clip downloads, against an in-process kling-sandbox.
 *
 * The sandbox's throttle fault writes the result file slowly (its bytes_per_second), so the
 * time of the first buffer can be set against the download's: the fault holds its
 * connection (the `connections_held` counter) until the last byte went out. The frames of
 * a growing clip are checked against those the same clip gives once it is in the cache
 * (a second run: a cache hit, read from the complete file): count, PTS, duration and
 * bytes. Each test has its own sandbox and cache directory.
 */
#include <string.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "harness-util.h"
#include "kling-auth.h"
#include "kling-client.h"
#include "kling-sandbox.h"
#include "element-fixture.h"
#include "sandbox-http.h"
#include "test-fs.h"

#define ACCESS_KEY  "ak-growing-tests"
#define SECRET_KEY  "sk-growing-tests-secret"
#define PROMPT      "a slow zoom over colour bars"
#define CLIP_FRAMES (5 * 24)    /* kling-v3's default 5 s at 24 fps */
/* The sandbox's clips at video_scale 0.25 are about 130 KB: 3 s or so at this rate. */
#define SLOW_RATE   "40000"

static void
fixture_start (Fixture * f)
{
  FixtureOptions options = {.access_key = ACCESS_KEY,.secret_key = SECRET_KEY,
    .cache_template = "kling-growing-XXXXXX",.queue_delay_s = 0.1,
    .render_delay_s = 0.2
  };

  fixture_start_sandbox (f, &options);
}

/* The client the elements will share, acquired first so its policy holds for them:
 * few attempts, short backoff, so a permanent download fault ends in a second or so. */
static void
acquire_fast_client (Fixture * f)
{
  KlingRetryPolicy policy;
  GError *error = NULL;

  f->client = kling_client_acquire (kling_sandbox_get_base_url (f->sandbox),
      kling_auth_new_jwt (ACCESS_KEY, SECRET_KEY), &error);
  fail_unless (f->client != NULL, "%s", error ? error->message : "?");
  kling_client_get_policy (f->client, &policy);
  policy.max_attempts = 3;
  policy.base_delay_ms = 20;
  policy.max_delay_ms = 100;
  kling_client_set_policy (f->client, &policy);
}

static void
add_fault (Fixture * f, const gchar * rule)
{
  GError *error = NULL;

  fail_unless (kling_sandbox_add_fault_json (f->sandbox, rule, &error),
      "fault %s: %s", rule, error ? error->message : "?");
}

static GstBuffer *
still_buffer (void)
{
  gchar *path = g_build_filename (MEDIA_DIR, "still.jpg", NULL);
  gchar *data;
  gsize size;

  fail_unless (g_file_get_contents (path, &data, &size, NULL), "%s", path);
  g_free (path);
  return gst_buffer_new_wrapped (data, size);
}

/* A klingimage2video on the sandbox, its still pushed (the sink answers EOS). */
static void
start_render (Fixture * f)
{
  GstElement *element = gst_element_factory_make ("klingimage2video", NULL);

  fail_unless (element != NULL, "klingimage2video is not in GST_PLUGIN_PATH");
  g_object_set (element, "api-url", kling_sandbox_get_base_url (f->sandbox),
      "access-key", ACCESS_KEY, "secret-key", SECRET_KEY, "prompt", PROMPT,
      "poll-interval", 0.05, "cache-dir", f->cache_dir, NULL);
  gst_element_set_bus (element, f->bus);
  f->h = gst_harness_new_with_element (element, "sink", "src");
  gst_object_unref (element);
  gst_harness_set_src_caps_str (f->h, "image/jpeg");
  fail_unless_equals_int (gst_harness_push (f->h, still_buffer ()),
      GST_FLOW_EOS);
}

/* The first buffer on src, as soon as it is there. */
static GstBuffer *
pull_first_buffer (Fixture * f)
{
  gint64 deadline = g_get_monotonic_time () + HARNESS_PULL_TIMEOUT_US;
  GstBuffer *buffer;

  while (!(buffer = gst_harness_try_pull (f->h))) {
    fail_unless (g_get_monotonic_time () < deadline, "no buffer");
    g_usleep (1000);
  }
  return buffer;
}

/* One line per frame: PTS, duration and the MD5 of its bytes. */
static void
describe_frame (GString * frames, GstBuffer * buffer)
{
  GstMapInfo map;
  gchar *md5;

  fail_unless (gst_buffer_map (buffer, &map, GST_MAP_READ));
  md5 = g_compute_checksum_for_data (G_CHECKSUM_MD5, map.data, map.size);
  gst_buffer_unmap (buffer, &map);
  g_string_append_printf (frames, "%" GST_TIME_FORMAT " %" GST_TIME_FORMAT
      " %s\n", GST_TIME_ARGS (GST_BUFFER_PTS (buffer)),
      GST_TIME_ARGS (GST_BUFFER_DURATION (buffer)), md5);
  g_free (md5);
}

/* Every buffer up to EOS (@head, taken, is the one pulled already); @count: how many. */
static gchar *
describe_until_eos (Fixture * f, GstBuffer * head, guint * count)
{
  GString *frames = g_string_new (NULL);
  GstBuffer *buffer;

  *count = 0;
  if (head) {
    describe_frame (frames, head);
    gst_buffer_unref (head);
    (*count)++;
  }
  gst_event_unref (pull_event_of_type (f->h, GST_EVENT_EOS));
  while ((buffer = gst_harness_try_pull (f->h))) {
    describe_frame (frames, buffer);
    gst_buffer_unref (buffer);
    (*count)++;
  }
  return g_string_free (frames, FALSE);
}

/* The clip in the cache (its top level), or NULL. */
static gchar *
cached_clip (Fixture * f)
{
  GDir *dir = g_dir_open (f->cache_dir, 0, NULL);
  gchar *path = NULL;
  const gchar *name;

  fail_unless (dir != NULL);
  while ((name = g_dir_read_name (dir)))
    if (g_str_has_suffix (name, ".mp4") && !path)
      path = g_build_filename (f->cache_dir, name, NULL);
  g_dir_close (dir);
  return path;
}

/* The cached clip is the file the sandbox serves for the element's task, byte for byte
 * (fetched once the fault rules are gone). */
static void
check_cache_is_served_file (Fixture * f)
{
  gchar *task_id = NULL, *url, *path = cached_clip (f), *cached;
  JsonParser *parser = json_parser_new ();
  JsonObject *data;
  GBytes *answer, *served;
  gsize size;
  const gchar *body;

  fail_unless (path != NULL, "no clip in the cache");
  kling_sandbox_clear_faults (f->sandbox);
  g_object_get (f->h->element, "task-id", &task_id, NULL);
  fail_unless (task_id != NULL);
  url = g_strdup_printf ("%s/v1/videos/image2video/%s",
      kling_sandbox_get_base_url (f->sandbox), task_id);
  answer = sandbox_http_get (url, ACCESS_KEY, SECRET_KEY);
  body = g_bytes_get_data (answer, &size);
  fail_unless (json_parser_load_from_data (parser, body, size, NULL));
  data = json_object_get_object_member (json_node_get_object
      (json_parser_get_root (parser)), "data");
  served = sandbox_http_get (json_object_get_string_member
      (json_array_get_object_element (json_object_get_array_member
              (json_object_get_object_member (data, "task_result"), "videos"),
              0), "url"), NULL, NULL);

  fail_unless (g_file_get_contents (path, &cached, &size, NULL));
  GST_INFO ("the clip is %" G_GSIZE_FORMAT " bytes", size);
  fail_unless_equals_uint64 (size, g_bytes_get_size (served));
  fail_unless (memcmp (cached, g_bytes_get_data (served, NULL), size) == 0,
      "the cached clip differs from the served one");
  g_free (cached);
  g_bytes_unref (served);
  g_bytes_unref (answer);
  g_object_unref (parser);
  g_free (url);
  g_free (task_id);
  g_free (path);
}

/* The same still again: a cache hit, played from the complete file. */
static gchar *
describe_cache_hit (Fixture * f, guint * count)
{
  gint64 tasks = counter (f, "tasks_created", "image2video");
  gint64 downloads = counter (f, NULL, "downloads");
  gchar *frames;

  stop_element (f);
  start_render (f);
  frames = describe_until_eos (f, NULL, count);
  fail_unless_equals_int64 (counter (f, "tasks_created", "image2video"), tasks);
  fail_unless_equals_int64 (counter (f, NULL, "downloads"), downloads);
  return frames;
}

/* ------------------------------------------------------------------------- */

/* On a slow link the first frame comes out while the file is still being written, the
 * frames are those of the complete file, and the cache gets the whole served file. */
GST_START_TEST (test_first_frame_while_downloading)
{
  gchar *growing, *complete;
  guint n_growing, n_complete;
  GstBuffer *head;
  gchar *clip;
  Fixture f;

  fixture_start (&f);
  add_fault (&f, "{\"kind\": \"throttle\", \"path\": \"/files/\", "
      "\"bytes_per_second\": " SLOW_RATE "}");
  start_render (&f);

  head = pull_first_buffer (&f);
  /* The throttled answer is still being written, and nothing is in the cache yet. */
  fail_unless_equals_int64 (counter (&f, NULL, "connections_held"), 1);
  clip = cached_clip (&f);
  fail_unless (clip == NULL,
      "the clip was in the cache before the first frame");
  fail_unless_equals_int64 (counter (&f, NULL, "downloads"), 1);

  growing = describe_until_eos (&f, head, &n_growing);
  fail_unless_equals_int (n_growing, CLIP_FRAMES);
  check_cache_is_served_file (&f);

  complete = describe_cache_hit (&f, &n_complete);
  fail_unless_equals_int (n_complete, n_growing);
  fail_unless_equals_string (growing, complete);
  g_free (growing);
  g_free (complete);
  fixture_stop (&f);
}

GST_END_TEST;

/* The download is cut short with a length that looks complete: the file fails its check
 * and the download starts over from byte 0, after frames went out. The clip is decoded
 * again and each frame comes out once: the frames are those of the complete file. */
GST_START_TEST (test_restart_mid_download)
{
  gchar *growing, *complete;
  guint n_growing, n_complete;
  GstBuffer *head;
  Fixture f;

  fixture_start (&f);
  add_fault (&f, "{\"kind\": \"short-length\", \"path\": \"/files/\", "
      "\"bytes\": 80000, \"bytes_per_second\": " SLOW_RATE "}");
  /* The second download (skip 1: the rule sees the first one go by). */
  add_fault (&f, "{\"kind\": \"throttle\", \"path\": \"/files/\", \"skip\": 1, "
      "\"bytes_per_second\": " SLOW_RATE "}");
  start_render (&f);

  head = pull_first_buffer (&f);
  /* The first attempt is still being written: the restart comes after this frame. */
  fail_unless_equals_int64 (counter (&f, NULL, "downloads"), 1);
  fail_unless_equals_int64 (counter (&f, NULL, "connections_held"), 1);

  growing = describe_until_eos (&f, head, &n_growing);
  fail_unless_equals_int64 (counter (&f, NULL, "downloads"), 2);
  fail_unless_equals_int (n_growing, CLIP_FRAMES);
  check_cache_is_served_file (&f);

  complete = describe_cache_hit (&f, &n_complete);
  fail_unless_equals_int (n_complete, n_growing);
  fail_unless_equals_string (growing, complete);
  g_free (growing);
  g_free (complete);
  fixture_stop (&f);
}

GST_END_TEST;

static void
check_stops_fast (Fixture * f)
{
  gint64 start = g_get_monotonic_time ();

  fail_unless (gst_element_set_state (f->h->element, GST_STATE_NULL) ==
      GST_STATE_CHANGE_SUCCESS);
  fail_unless (g_get_monotonic_time () - start < G_USEC_PER_SEC,
      "going to NULL mid-download took %" G_GINT64_FORMAT " ms",
      (g_get_monotonic_time () - start) / 1000);
}

/* Set to NULL while the clip drips in: after the first frame, and before it (the decoder
 * waits for the bytes that expose the streams). Each returns within a second, and the
 * cache has no clip. */
GST_START_TEST (test_stop_mid_download)
{
  gint64 deadline;
  gchar *clip;
  Fixture f;

  fixture_start (&f);
  add_fault (&f, "{\"kind\": \"throttle\", \"path\": \"/files/\", "
      "\"bytes_per_second\": 20000}");
  start_render (&f);
  gst_buffer_unref (pull_first_buffer (&f));
  fail_unless_equals_int64 (counter (&f, NULL, "connections_held"), 1);
  check_stops_fast (&f);
  stop_element (&f);

  /* A drip: the moov alone takes seconds. Stopped once the download runs. */
  kling_sandbox_clear_faults (f.sandbox);
  add_fault (&f, "{\"kind\": \"throttle\", \"path\": \"/files/\", "
      "\"bytes_per_second\": 300}");
  start_render (&f);
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (counter (&f, NULL, "connections_held") == 0) {
    fail_unless (g_get_monotonic_time () < deadline, "no download");
    g_usleep (10000);
  }
  g_usleep (300 * 1000);        /* the clip is with the output, its decoder waiting */
  fail_unless (gst_harness_try_pull (f.h) == NULL);
  check_stops_fast (&f);
  clip = cached_clip (&f);
  fail_unless (clip == NULL, "%s", clip);
  fixture_stop (&f);
}

GST_END_TEST;

/* The download fails for good after frames went out: the user sees the job's error (the
 * network's sentence), not a decoding error of the output's, and the pads end. */
GST_START_TEST (test_download_fails_quietly)
{
  GError *error = NULL;
  GstMessage *message;
  GstBuffer *head;
  gchar *debug = NULL;
  guint count;
  Fixture f;

  fixture_start (&f);
  acquire_fast_client (&f);
  /* Every attempt is cut at 60 KB: resumed with a Range, cut again, given up. */
  add_fault (&f, "{\"kind\": \"eof-cut\", \"path\": \"/files/\", \"times\": 0, "
      "\"bytes\": 60000, \"bytes_per_second\": " SLOW_RATE "}");
  start_render (&f);
  head = pull_first_buffer (&f);

  message = pop_error (&f);
  gst_message_parse_error (message, &error, &debug);
  GST_INFO ("error: %s (%s)", error->message, debug);
  fail_unless (error->domain == GST_RESOURCE_ERROR, "%s: %s",
      g_quark_to_string (error->domain), error->message);
  fail_unless (strstr (error->message, "Could not decode") == NULL, "%s",
      error->message);
  g_error_free (error);
  g_free (debug);
  gst_message_unref (message);
  /* Only the job's error. */
  message = gst_bus_timed_pop_filtered (f.bus, 300 * GST_MSECOND,
      GST_MESSAGE_ERROR);
  fail_unless (message == NULL);

  g_free (describe_until_eos (&f, head, &count));
  fail_unless (count >= 1 && count < CLIP_FRAMES, "%u frames", count);
  fail_unless (cached_clip (&f) == NULL);
  fixture_stop (&f);
}

GST_END_TEST;

static Suite *
growing_suite (void)
{
  Suite *s = suite_create ("growing");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_first_frame_while_downloading);
  tcase_add_test (tc, test_restart_mid_download);
  tcase_add_test (tc, test_stop_mid_download);
  tcase_add_test (tc, test_download_fails_quietly);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (growing);
