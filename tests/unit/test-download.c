/* Unit tests of a job's download (and its odd poll answers) against a fake Kling on a raw
 * server (tests/unit/raw-server.c): the clip's body cut short with and without a length,
 * a length smaller than the body, an endless body, a body dripping at 1 KB/s, a cut that
 * is resumed with a Range request while a reader follows the growing file, a server that
 * ignores the Range, and task statuses Kling never documented. Only a whole, verified
 * clip may enter the cache. */
#include <gst/check/gstcheck.h>
#include <string.h>
#include <glib/gstdio.h>
#include "kling-client.h"
#include "kling-cache.h"
#include "client-test-util.h"
#include "mp4-build.h"
#include "raw-server.h"

#define CREATE_PATH "/v1/videos/image2video"
#define TASK_PATH CREATE_PATH "/T-1"
#define CLIP_PATH "/files/clip.mp4"

typedef enum
{
  SERVE_WHOLE,
  SERVE_CHUNKED_CUT,            /* chunked, half the file, then the connection closes */
  SERVE_UNSIZED_CUT,            /* no length, half the file, then the connection closes */
  SERVE_LENGTH_TOO_SMALL,       /* Content-Length of half, the whole file after it */
  SERVE_ENDLESS,                /* chunked: the file's head, then zeros without end */
  SERVE_HUGE_LENGTH,            /* Content-Length: 2 GB, then the file's head */
  SERVE_DRIP,                   /* 1 KB/s */
  SERVE_CUT_THEN_RANGE,         /* full length announced, 60% sent; Range honoured after */
  SERVE_CUT_IGNORE_RANGE,       /* the same, but a Range request gets the whole file */
} ServeMode;

typedef struct
{
  ServeMode mode;
  guint bad_attempts;           /* how many downloads get the fault; then SERVE_WHOLE */
  GBytes *mp4;
  const gchar *const *statuses; /* the task_status of successive polls; then "succeed" */
  gint creates;                 /* atomic */
  gint polls;                   /* atomic */
  gint downloads;               /* atomic */
} FakeKling;

static RawServer *server;
static FakeKling fake;
static gchar *cache_dir;

static void
answer_json (GOutputStream * out, const gchar * data_json)
{
  g_autofree gchar *body =
      g_strdup_printf ("{\"code\": 0, \"message\": \"SUCCEED\", "
      "\"request_id\": \"R\", \"data\": %s}", data_json);

  raw_respond (out, 200, "application/json", body, strlen (body));
}

static void
answer_task (GOutputStream * out, const gchar * status)
{
  g_autofree gchar *url =
      g_strconcat (raw_server_url (server), CLIP_PATH "?sig=abc", NULL);
  g_autofree gchar *task =
      g_strdup_printf ("{\"task_id\": \"T-1\", \"task_status\": %s, "
      "\"task_result\": {\"videos\": [{\"id\": \"V-1\", \"url\": \"%s\", \"duration\": "
      "\"5\"}]}}", status, url);

  answer_json (out, task);
}

static gboolean
drip (RawServer * s, GOutputStream * out, const guint8 * data, gsize len)
{
  gsize i;

  for (i = 0; i < len; i += 64) {
    if (!raw_write (out, data + i, MIN (64, len - i)) || !raw_sleep (s, 62))
      return FALSE;
  }
  return TRUE;
}

static void
serve_endless (RawServer * s, GOutputStream * out, const guint8 * data,
    gsize len)
{
  static const guint8 zeros[65536];
  guint64 sent;

  raw_printf (out, "HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\n"
      "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n%"
      G_GSIZE_MODIFIER "x\r\n", len);
  raw_write (out, data, len);
  raw_write (out, "\r\n", 2);
  for (sent = 0; sent < (guint64) 1 << 30 && !raw_server_stopping (s); sent +=
      sizeof (zeros)) {
    if (!raw_printf (out, "%" G_GSIZE_MODIFIER "x\r\n", sizeof (zeros)) ||
        !raw_write (out, zeros, sizeof (zeros)) || !raw_write (out, "\r\n", 2))
      break;
  }
}

/* A Range request honoured: 206 from the asked byte. */
static gboolean
serve_range (GOutputStream * out, const RawRequest * request,
    const guint8 * data, gsize len)
{
  g_autofree gchar *range = raw_request_dup_header (request, "Range");
  guint64 from;

  if (range == NULL || !g_str_has_prefix (range, "bytes="))
    return FALSE;
  from = g_ascii_strtoull (range + strlen ("bytes="), NULL, 10);
  raw_printf (out, "HTTP/1.1 206 Partial Content\r\nContent-Type: video/mp4\r\n"
      "Content-Range: bytes %" G_GUINT64_FORMAT "-%" G_GSIZE_FORMAT "/%"
      G_GSIZE_FORMAT "\r\nContent-Length: %" G_GUINT64_FORMAT
      "\r\nConnection: close\r\n\r\n", from, len - 1, len, len - from);
  raw_write (out, data + from, len - from);
  return TRUE;
}

static void
serve_clip (RawServer * s, const RawRequest * request, GOutputStream * out)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (fake.mp4, &len);
  gint n = g_atomic_int_add (&fake.downloads, 1);
  ServeMode mode = n < (gint) fake.bad_attempts ? fake.mode : SERVE_WHOLE;

  switch (mode) {
    case SERVE_WHOLE:
      if (fake.mode != SERVE_CUT_THEN_RANGE
          || !serve_range (out, request, data, len))
        raw_respond (out, 200, "video/mp4", data, len);
      break;
    case SERVE_CHUNKED_CUT:
      raw_printf (out, "HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\n"
          "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n%"
          G_GSIZE_MODIFIER "x\r\n", len / 2);
      raw_write (out, data, len / 2);
      break;
    case SERVE_UNSIZED_CUT:
      raw_printf (out, "HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\n"
          "Connection: close\r\n\r\n");
      raw_write (out, data, len / 2);
      break;
    case SERVE_LENGTH_TOO_SMALL:
      raw_printf (out,
          "HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: %"
          G_GSIZE_FORMAT "\r\nConnection: close\r\n\r\n", len / 2);
      raw_write (out, data, len);
      break;
    case SERVE_ENDLESS:
      serve_endless (s, out, data, len / 2);
      break;
    case SERVE_HUGE_LENGTH:
      raw_printf (out,
          "HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: "
          "2000000000\r\nConnection: close\r\n\r\n");
      raw_write (out, data, len / 2);
      break;
    case SERVE_DRIP:{
      /* honours Range: every attempt moves the file on by a little */
      g_autofree gchar *range = raw_request_dup_header (request, "Range");
      guint64 from =
          range ? g_ascii_strtoull (range + strlen ("bytes="), NULL, 10) : 0;

      if (range)
        raw_printf (out,
            "HTTP/1.1 206 Partial Content\r\nContent-Type: video/mp4\r\n"
            "Content-Range: bytes %" G_GUINT64_FORMAT "-%" G_GSIZE_FORMAT "/%"
            G_GSIZE_FORMAT "\r\nContent-Length: %" G_GUINT64_FORMAT
            "\r\nConnection: close\r\n\r\n", from, len - 1, len, len - from);
      else
        raw_printf (out,
            "HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: %"
            G_GSIZE_FORMAT "\r\nConnection: close\r\n\r\n", len);
      drip (s, out, data + from, len - from);
      break;
    }
    case SERVE_CUT_THEN_RANGE:
    case SERVE_CUT_IGNORE_RANGE:
      raw_printf (out,
          "HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: %"
          G_GSIZE_FORMAT "\r\nConnection: close\r\n\r\n", len);
      raw_write (out, data, len * 6 / 10);
      break;
  }
}

static void
fake_kling (RawServer * s, const RawRequest * request, GOutputStream * out,
    gpointer data)
{
  if (g_str_equal (request->method, "POST")
      && g_str_equal (request->path, CREATE_PATH)) {
    g_atomic_int_inc (&fake.creates);
    answer_json (out, "{\"task_id\": \"T-1\", \"task_status\": \"submitted\"}");
  } else if (g_str_equal (request->path, TASK_PATH)) {
    gint n = g_atomic_int_add (&fake.polls, 1);
    const gchar *status = "\"succeed\"";

    if (fake.statuses && n < (gint) g_strv_length ((gchar **) fake.statuses))
      status = fake.statuses[n];
    answer_task (out, status);
  } else if (g_str_has_prefix (request->path, CLIP_PATH)) {
    serve_clip (s, request, out);
  } else {
    raw_respond (out, 404, "text/plain", "no", 2);
  }
}

static void
setup (void)
{
  const TestMp4Spec spec = {.n_samples = 120,.sample_size = 400,.audio = TRUE };

  memset (&fake, 0, sizeof (fake));
  fake.mp4 = test_mp4_build (&spec);
  server = raw_server_start (fake_kling, NULL);
  cache_dir = g_dir_make_tmp ("kling-download-XXXXXX", NULL);
}

static void
teardown (void)
{
  raw_server_stop (server);
  g_clear_pointer (&fake.mp4, g_bytes_unref);
  test_remove_tree (cache_dir);
  g_clear_pointer (&cache_dir, g_free);
}

static KlingClient *
fake_client (void)
{
  return test_fast_client (raw_server_url (server),
      kling_auth_new_static ("key", KLING_AUTH_HEADER_BEARER), 2000);
}

static KlingRequest *
make_request (void)
{
  return kling_request_new (KLING_ENDPOINT_IMAGE2VIDEO,
      json_from_string ("{\"prompt\": "
          "\"p\", \"mode\": \"std\", \"duration\": \"5\", \"image\": \"QUJD\"}",
          NULL), json_from_string ("{\"prompt\": \"p\"}", NULL));
}

static KlingJob *
start_job (KlingClient * client, const KlingJobOptions * extra, JobOutcome * o)
{
  g_autoptr (KlingRequest) request = make_request ();
  KlingJobOptions options = {.poll_interval_s = 0.05,.timeout_s = 30,
    .cache_dir = cache_dir
  };

  if (extra) {
    options.min_download_rate = extra->min_download_rate;
    options.rate_window_ms = extra->rate_window_ms;
  }
  job_outcome_init (o);
  return kling_client_start_job (client, request, &options,
      &job_outcome_callbacks, o, job_outcome_notify);
}

static void
end_job (KlingClient * client, KlingJob * job, JobOutcome * o)
{
  kling_job_unref (job);
  fail_unless (job_outcome_wait_notified (o, 5));
  kling_client_unref (client);
  job_outcome_clear (o);
}

static guint
entries (const gchar * sub)
{
  g_autofree gchar *path = g_build_filename (cache_dir, sub, NULL);
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  while (dir && g_dir_read_name (dir))
    n++;
  return n;
}

/* The job succeeded with the very bytes of the clip, and the cache holds it. */
static void
check_whole_clip (JobOutcome * o)
{
  g_autofree gchar *bytes = NULL;
  gsize len;

  fail_unless (o->error == NULL, "%s", o->error ? o->error->message : "");
  fail_unless (g_file_get_contents (o->mp4_path, &bytes, &len, NULL));
  fail_unless_equals_uint64 (len, g_bytes_get_size (fake.mp4));
  fail_unless (memcmp (bytes, g_bytes_get_data (fake.mp4, NULL), len) == 0);
  fail_unless_equals_int (entries ("tmp"), 0);
  fail_unless_equals_int (entries ("journal"), 0);
}

/* The job failed, nothing entered the cache, and the paid task stays in the journal. */
static void
check_nothing_cached (JobOutcome * o, KlingErrorCode code, const gchar * words)
{
  fail_unless (o->error != NULL, "a damaged clip passed");
  fail_unless (g_error_matches (o->error, KLING_ERROR, code), "%s",
      o->error->message);
  fail_unless (strstr (o->error->message, words) != NULL, "'%s' not in %s",
      words, o->error->message);
  fail_unless_equals_int (entries ("tmp"), 0);
  fail_unless_equals_int (entries ("journal"), 1);
  {
    g_autoptr (GDir) dir = g_dir_open (cache_dir, 0, NULL);
    const gchar *name;

    while ((name = g_dir_read_name (dir)))
      fail_if (g_str_has_suffix (name, ".mp4"), "%s entered the cache", name);
  }
}

/* The first @bad_attempts downloads get @mode, the others the whole clip. */
static KlingJob *
run_job (KlingClient * client, ServeMode mode, guint bad_attempts,
    const KlingJobOptions * extra, JobOutcome * o)
{
  KlingJob *job;

  fake.mode = mode;
  fake.bad_attempts = bad_attempts;
  job = start_job (client, extra, o);
  fail_unless (job_outcome_wait (o, 30));
  return job;
}

static void
check_bad_then_good (ServeMode mode, guint expected_downloads)
{
  KlingClient *client = fake_client ();
  JobOutcome o;
  KlingJob *job = run_job (client, mode, 1, NULL, &o);

  check_whole_clip (&o);
  fail_unless_equals_int (g_atomic_int_get (&fake.downloads),
      expected_downloads);
  end_job (client, job, &o);
}

/* --- truncations ------------------------------------------------------------------------- */

GST_START_TEST (test_chunked_body_cut_short)
{
  check_bad_then_good (SERVE_CHUNKED_CUT, 2);
}

GST_END_TEST;

/* Without a length, the end of the connection looks like the end of the body: only the
 * MP4's own structure tells it was cut. */
GST_START_TEST (test_unsized_body_cut_short)
{
  check_bad_then_good (SERVE_UNSIZED_CUT, 2);
}

GST_END_TEST;

GST_START_TEST (test_length_smaller_than_body)
{
  KlingClient *client = fake_client ();
  JobOutcome o;
  KlingJob *job = run_job (client, SERVE_LENGTH_TOO_SMALL, 100, NULL, &o);

  check_nothing_cached (&o, KLING_ERROR_PROTOCOL, "not a whole MP4");
  /* downloaded again (never rendered again) as often as the policy allows */
  fail_unless_equals_int (g_atomic_int_get (&fake.downloads), 3);
  fail_unless_equals_int (g_atomic_int_get (&fake.creates), 1);
  end_job (client, job, &o);
}

GST_END_TEST;

/* An endless body after a valid head was cached as a 1 GB clip: now refused once it
 * passes what a 5 s 720p clip can plausibly take (14 MB), at each of the policy's
 * attempts, and memory stays flat. */
GST_START_TEST (test_endless_body_refused)
{
  KlingClient *client = fake_client ();
  gint64 start = g_get_monotonic_time ();
  JobOutcome o;
  KlingJob *job = run_job (client, SERVE_ENDLESS, 100, NULL, &o);

  check_nothing_cached (&o, KLING_ERROR_PROTOCOL, "plausibly");
  fail_unless_equals_int (g_atomic_int_get (&fake.downloads), 3);
  fail_unless (g_get_monotonic_time () - start < 10 * G_USEC_PER_SEC);
  end_job (client, job, &o);
}

GST_END_TEST;

/* One answer announcing 2 GB (or one endless body) is that answer's fault, not the
 * clip's: refused unread, downloaded again, never rendered again. */
GST_START_TEST (test_huge_length_once_downloaded_again)
{
  check_bad_then_good (SERVE_HUGE_LENGTH, 2);
  fail_unless_equals_int (g_atomic_int_get (&fake.creates), 1);
}

GST_END_TEST;

GST_START_TEST (test_endless_body_once_downloaded_again)
{
  check_bad_then_good (SERVE_ENDLESS, 2);
  fail_unless_equals_int (g_atomic_int_get (&fake.creates), 1);
}

GST_END_TEST;

GST_START_TEST (test_huge_length_always_refused)
{
  KlingClient *client = fake_client ();
  JobOutcome o;
  KlingJob *job = run_job (client, SERVE_HUGE_LENGTH, 100, NULL, &o);

  check_nothing_cached (&o, KLING_ERROR_PROTOCOL, "plausibly");
  fail_unless_equals_int (g_atomic_int_get (&fake.downloads), 3);
  fail_unless_equals_int (g_atomic_int_get (&fake.creates), 1);
  end_job (client, job, &o);
}

GST_END_TEST;

/* 1 KB/s: given up after the rate window, retried (resuming, so each attempt moves on a
 * little), then failed after the policy's attempts, in seconds, not the half hour the
 * old default allowed. */
GST_START_TEST (test_drip_fails_fast)
{
  KlingClient *client = fake_client ();
  KlingJobOptions slow = {.min_download_rate = 8192,.rate_window_ms = 500 };
  gint64 start = g_get_monotonic_time ();
  JobOutcome o;
  KlingJob *job = run_job (client, SERVE_DRIP, 100, &slow, &o);

  check_nothing_cached (&o, KLING_ERROR_NETWORK, "slower than 8192 bytes/s");
  fail_unless (g_get_monotonic_time () - start < 5 * G_USEC_PER_SEC);
  fail_unless_equals_int (g_atomic_int_get (&fake.downloads), 3);
  fail_unless (o.waiting_calls >= 1);
  fail_unless_equals_int (o.last_wait_reason, KLING_WAIT_NETWORK);
  end_job (client, job, &o);
}

GST_END_TEST;

/* --- resuming, and reading while it grows ------------------------------------------------ */

typedef struct
{
  KlingDownloadProgress *progress;
  GByteArray *read;             /* what a reader read from the part file as it grew */
  guint restarts;
  KlingDownloadStatus last;
} Reader;

/* Reads the part file as a demuxer would: whatever is written, as it comes. */
static gpointer
read_growing_file (gpointer data)
{
  Reader *r = data;
  KlingDownloadStatus status = { 0, };
  FILE *f = NULL;
  guint8 buffer[4096];

  while (kling_download_progress_wait (r->progress, r->read->len,
          status.restarts, 10 * G_USEC_PER_SEC, NULL, &status)) {
    if (status.restarts != r->restarts) {
      /* The bytes read so far are void: start over on the new file. */
      r->restarts = status.restarts;
      g_byte_array_set_size (r->read, 0);
      g_clear_pointer (&f, fclose);
    }
    if (status.state == KLING_DOWNLOAD_FAILED)
      break;
    if (f == NULL)
      f = fopen (kling_download_progress_get_part_path (r->progress), "rb");
    if (f == NULL) {
      /* renamed into the cache meanwhile: the same file, by its new name */
      g_autofree gchar *final_path = NULL;

      kling_download_progress_wait (r->progress, G_MAXUINT64, r->restarts,
          10 * G_USEC_PER_SEC, NULL, &status);
      final_path = kling_download_progress_dup_final_path (r->progress);
      f = final_path ? fopen (final_path, "rb") : NULL;
    }
    fail_unless (f != NULL);
    while (r->read->len < status.written) {
      gsize n = fread (buffer, 1, MIN (sizeof (buffer),
              status.written - r->read->len), f);
      fail_unless (n > 0);
      g_byte_array_append (r->read, buffer, n);
    }
    if (status.state == KLING_DOWNLOAD_DONE && r->read->len == status.written)
      break;
  }
  g_clear_pointer (&f, fclose);
  r->last = status;
  return NULL;
}

static void
check_read_while_growing (ServeMode mode, guint expected_restarts)
{
  KlingClient *client = fake_client ();
  g_autofree gchar *resumed = NULL, *final_path = NULL;
  Reader r = { 0, };
  GThread *reader;
  JobOutcome o;
  KlingJob *job;

  fake.mode = mode;
  fake.bad_attempts = 1;
  job = start_job (client, NULL, &o);
  fail_unless (job_outcome_wait_download (&o, 30));
  r.progress = kling_download_progress_ref (o.progress);
  r.read = g_byte_array_new ();
  reader = g_thread_new ("reader", read_growing_file, &r);
  fail_unless (job_outcome_wait (&o, 30));
  g_thread_join (reader);
  check_whole_clip (&o);

  /* the reader got every byte of the clip, in order, before or after the rename */
  fail_unless_equals_int (r.last.state, KLING_DOWNLOAD_DONE);
  fail_unless_equals_uint64 (r.read->len, g_bytes_get_size (fake.mp4));
  fail_unless (memcmp (r.read->data, g_bytes_get_data (fake.mp4, NULL),
          r.read->len) == 0);
  fail_unless_equals_int (r.last.restarts, expected_restarts);
  fail_unless_equals_int64 (r.last.total, (gint64) g_bytes_get_size (fake.mp4));
  final_path = kling_download_progress_dup_final_path (r.progress);
  fail_unless_equals_string (final_path, o.mp4_path);
  fail_unless (!g_file_test (kling_download_progress_get_part_path (r.progress),
          G_FILE_TEST_EXISTS));
  /* the second request resumed from the byte reached */
  resumed = raw_server_dup_headers (server, CLIP_PATH, 1);
  fail_unless (resumed != NULL
      && strstr (resumed, "Range: bytes=") != NULL, "%s", resumed);
  fail_unless_equals_int (o.download_started_calls, 1);
  kling_download_progress_unref (r.progress);
  g_byte_array_unref (r.read);
  end_job (client, job, &o);
}

GST_START_TEST (test_cut_resumed_with_range)
{
  check_read_while_growing (SERVE_CUT_THEN_RANGE, 0);
}

GST_END_TEST;

/* The server answers the Range request with the whole file: the part file starts over,
 * and the reader is told its bytes are void. */
GST_START_TEST (test_range_ignored_restarts)
{
  check_read_while_growing (SERVE_CUT_IGNORE_RANGE, 1);
}

GST_END_TEST;

/* --- odd task statuses ------------------------------------------------------------------- */

/* A status Kling never documented, or a mistyped one, is waited out, not fatal. */
GST_START_TEST (test_unknown_status_keeps_polling)
{
  static const gchar *const statuses[] = {
    "\"submitted\"", "\"queueing\"", "\"SUCCEED\"", "3", "\"processing\"", NULL,
  };
  KlingClient *client = fake_client ();
  JobOutcome o;
  KlingJob *job;

  fake.statuses = statuses;
  job = start_job (client, NULL, &o);
  fail_unless (job_outcome_wait (&o, 30));
  check_whole_clip (&o);
  fail_unless_equals_int (g_atomic_int_get (&fake.polls), 6);
  end_job (client, job, &o);
}

GST_END_TEST;

static Suite *
download_suite (void)
{
  Suite *s = suite_create ("kling-download");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_chunked_body_cut_short);
  tcase_add_test (tc, test_unsized_body_cut_short);
  tcase_add_test (tc, test_length_smaller_than_body);
  tcase_add_test (tc, test_endless_body_refused);
  tcase_add_test (tc, test_huge_length_once_downloaded_again);
  tcase_add_test (tc, test_endless_body_once_downloaded_again);
  tcase_add_test (tc, test_huge_length_always_refused);
  tcase_add_test (tc, test_drip_fails_fast);
  tcase_add_test (tc, test_cut_resumed_with_range);
  tcase_add_test (tc, test_range_ignored_restarts);
  tcase_add_test (tc, test_unknown_status_keeps_polling);
  return s;
}

GST_CHECK_MAIN (download);
