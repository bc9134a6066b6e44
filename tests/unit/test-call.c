/* Unit tests of one API call against answers kling-sandbox cannot give (tests/unit/
 * raw-server.c writes them byte for byte): nesting deep enough to crash a recursive
 * parser, answers too big to hold, redirects to another origin, a stalled server, pages
 * that are not Kling's, and a certificate nobody trusts. */
#include <gst/check/gstcheck.h>
#include <string.h>
#include <libsoup/soup.h>
#include "kling-client.h"
#include "kling-call.h"
#include "client-test-util.h"
#include "raw-server.h"

#define STATIC_KEY "static-key-that-must-stay-home"
#define IDENTIFY_PATH "/v1/videos/identify-face"

typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean done;
  GError *error;
  gchar *data;                  /* the answer's data as JSON */
} CallOutcome;

static void
on_call (JsonNode * data, const GError * error, gpointer user_data)
{
  CallOutcome *o = user_data;

  g_mutex_lock (&o->lock);
  o->error = error ? g_error_copy (error) : NULL;
  o->data = data ? json_to_string (data, FALSE) : NULL;
  o->done = TRUE;
  g_cond_broadcast (&o->cond);
  g_mutex_unlock (&o->lock);
}

/* A fast policy: short backoffs, a short inactivity timeout. */
static KlingClient *
test_client (const gchar * url, KlingAuthHeader header)
{
  return test_fast_client (url, kling_auth_new_static (STATIC_KEY, header),
      300);
}

/* identify-face through kling_client_call(); waits for its end (at most @seconds). */
static void
call_identify (KlingClient * client, CallOutcome * o, gdouble seconds)
{
  g_autoptr (JsonNode) body = json_from_string ("{\"video_id\": \"v\"}", NULL);
  gint64 until;

  memset (o, 0, sizeof (*o));
  g_mutex_init (&o->lock);
  g_cond_init (&o->cond);
  kling_client_call (client, KLING_ENDPOINT_IDENTIFY_FACE, body, NULL, on_call,
      o);
  until = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  g_mutex_lock (&o->lock);
  while (!o->done && g_cond_wait_until (&o->cond, &o->lock, until));
  g_mutex_unlock (&o->lock);
  fail_unless (o->done, "the call did not end within %.0f s", seconds);
}

static void
call_outcome_clear (CallOutcome * o)
{
  g_clear_error (&o->error);
  g_free (o->data);
  g_mutex_clear (&o->lock);
  g_cond_clear (&o->cond);
}

static void
check_error (CallOutcome * o, KlingErrorCode code, const gchar * words)
{
  fail_unless (o->error != NULL, "the call succeeded: %s", o->data);
  fail_unless (g_error_matches (o->error, KLING_ERROR, code), "%d: %s",
      o->error->code, o->error->message);
  fail_unless (words == NULL
      || strstr (o->error->message, words) != NULL, "'%s' not in: %s", words,
      o->error->message);
}

/* Kilobytes of the process's peak resident set (VmHWM). */
static guint64
peak_rss_kb (void)
{
  g_autofree gchar *status = NULL;
  const gchar *line;

  fail_unless (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  line = strstr (status, "VmHWM:");
  fail_unless (line != NULL);
  return g_ascii_strtoull (line + strlen ("VmHWM:"), NULL, 10);
}

static const gchar ok_answer[] =
    "{\"code\": 0, \"message\": \"ok\", \"request_id\": \"r\","
    " \"data\": {\"session_id\": \"s\", \"face_data\": []}}";

/* --- nesting ----------------------------------------------------------------------------- */

GST_START_TEST (test_depth_scan)
{
  static const gchar nested[] = "{\"a\": [[[{}]]]}";
  static const gchar in_string[] = "{\"a\": \"[[[[[[[[[[\\\"[[[[\"}";

  fail_unless (!kling_json_too_deep (nested, strlen (nested), 5));
  fail_unless (kling_json_too_deep (nested, strlen (nested), 4));
  /* brackets inside strings, escaped quotes included, do not count */
  fail_unless (!kling_json_too_deep (in_string, strlen (in_string), 1));
  fail_unless (!kling_json_too_deep ("", 0, 0));
}

GST_END_TEST;

static void
answer_deep (RawServer * server, const RawRequest * request,
    GOutputStream * out, gpointer user_data)
{
  const gsize levels = 80000;
  g_autofree gchar *body = g_malloc (2 * levels);

  memset (body, '[', levels);
  memset (body + levels, ']', levels);
  raw_respond (out, 200, "application/json", body, 2 * levels);
}

/* 80,000 levels (160 KB) crashed json-glib's recursive parser on the worker: refused
 * before it parses, not retried. */
GST_START_TEST (test_deep_answer_refused)
{
  RawServer *server = raw_server_start (answer_deep, NULL);
  KlingClient *client =
      test_client (raw_server_url (server), KLING_AUTH_HEADER_BEARER);
  CallOutcome o;

  call_identify (client, &o, 10);
  check_error (&o, KLING_ERROR_PROTOCOL, "deeper than 64");
  fail_unless_equals_int (raw_server_count (server, NULL), 1);
  kling_client_unref (client);
  raw_server_stop (server);
  call_outcome_clear (&o);
}

GST_END_TEST;

/* --- size caps --------------------------------------------------------------------------- */

/* 20 MB announced with a Content-Length. */
static void
answer_big (RawServer * server, const RawRequest * request, GOutputStream * out,
    gpointer user_data)
{
  const gsize size = 20 * 1024 * 1024, chunk = 65536;
  g_autofree gchar *block = g_malloc (chunk);
  gsize sent;

  memset (block, ' ', chunk);
  raw_printf (out,
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %"
      G_GSIZE_FORMAT "\r\nConnection: close\r\n\r\n{\"code\": 0, \"data\": \"",
      size);
  for (sent = 0; sent + chunk < size - 64 && raw_write (out, block, chunk);
      sent += chunk);
}

/* A chunked answer that never ends (until 1 GB, or the client goes). */
static void
answer_endless (RawServer * server, const RawRequest * request,
    GOutputStream * out, gpointer user_data)
{
  const gsize chunk = 65536;
  g_autofree gchar *block = g_malloc (chunk);
  guint64 sent;

  memset (block, 'x', chunk);
  raw_printf (out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
  raw_printf (out, "8\r\n{\"a\": \"x\r\n");
  for (sent = 0; sent < (guint64) 1 << 30 && !raw_server_stopping (server);
      sent += chunk) {
    if (!raw_printf (out, "%" G_GSIZE_MODIFIER "x\r\n", chunk)
        || !raw_write (out, block, chunk) || !raw_write (out, "\r\n", 2))
      break;
  }
}

static void
check_refused_without_holding_it (RawHandler handler, const gchar * words)
{
  RawServer *server = raw_server_start (handler, NULL);
  KlingClient *client =
      test_client (raw_server_url (server), KLING_AUTH_HEADER_BEARER);
  guint64 before = peak_rss_kb ();
  gint64 start = g_get_monotonic_time ();
  CallOutcome o;

  call_identify (client, &o, 30);
  check_error (&o, KLING_ERROR_PROTOCOL, words);
  /* read no further: one request, no retry, and memory stays bounded (about 30 MB; the
   * margin is for AddressSanitizer, whose freed blocks stay resident; reading it all
   * took gigabytes) */
  fail_unless_equals_int (raw_server_count (server, NULL), 1);
  fail_unless (peak_rss_kb () - before < 128 * 1024,
      "peak RSS grew by %" G_GUINT64_FORMAT " KB", peak_rss_kb () - before);
  GST_INFO ("%s: refused after %.2f s, peak RSS +%" G_GUINT64_FORMAT " KB",
      words, (g_get_monotonic_time () - start) / 1e6, peak_rss_kb () - before);
  kling_client_unref (client);
  raw_server_stop (server);
  call_outcome_clear (&o);
}

GST_START_TEST (test_big_answer_refused)
{
  check_refused_without_holding_it (answer_big, "announces more than 16 MB");
}

GST_END_TEST;

GST_START_TEST (test_endless_answer_refused)
{
  check_refused_without_holding_it (answer_endless, "larger than 16 MB");
}

GST_END_TEST;

/* --- cut and garbled answers ------------------------------------------------------------ */

GST_START_TEST (test_unfinished_scan)
{
  static const gchar *const cut[] = {
    "{\"code\": 0, \"data\": {\"task_id\": \"ab", "{\"code\": 0, \"da",
    "[1, 2", "{\"a\": \"\\\"}\"", "  {\"a\": tru", "{\"a\": -1.5e",
  };
  static const gchar *const not_cut[] = {
    "{\"code\": 0, \"data\": <html>not json", "{\"a\": 1}", "<html>", "",
    "{\"a\": x",
    "\"text\"",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cut); i++)
    fail_unless (kling_json_unfinished (cut[i], strlen (cut[i])), "%s", cut[i]);
  for (i = 0; i < G_N_ELEMENTS (not_cut); i++)
    fail_unless (!kling_json_unfinished (not_cut[i], strlen (not_cut[i])), "%s",
        not_cut[i]);
}

GST_END_TEST;

static gint identify_answers;

/* The first identify-face answer is JSON that does not parse (whole, by its length). */
static void
answer_garbled_once (RawServer * server, const RawRequest * request,
    GOutputStream * out, gpointer user_data)
{
  static const gchar garbled[] = "{\"code\": 0, \"data\": <html>not json";

  if (g_atomic_int_add (&identify_answers, 1) == 0)
    raw_respond (out, 200, "application/json", garbled, strlen (garbled));
  else
    raw_respond (out, 200, "application/json", ok_answer, strlen (ok_answer));
}

/* identify-face makes a session and nothing can find one whose answer was garbled: it is
 * asked again (the brief's "costs nothing" is wrong: a session is charged a little, as a
 * rerun would be). */
GST_START_TEST (test_garbled_identify_retried)
{
  RawServer *server = raw_server_start (answer_garbled_once, NULL);
  KlingClient *client =
      test_client (raw_server_url (server), KLING_AUTH_HEADER_BEARER);
  CallOutcome o;

  g_atomic_int_set (&identify_answers, 0);
  call_identify (client, &o, 10);
  fail_unless (o.error == NULL, "%s", o.error ? o.error->message : "");
  fail_unless (strstr (o.data, "\"session_id\":\"s\"") != NULL, "%s", o.data);
  fail_unless_equals_int (g_atomic_int_get (&identify_answers), 2);
  kling_client_unref (client);
  raw_server_stop (server);
  call_outcome_clear (&o);
}

GST_END_TEST;

/* Chunked, then the connection closes between two chunks, before the last one: libsoup
 * reports the end of the body. */
static void
answer_chunked_cut (RawServer * server, const RawRequest * request,
    GOutputStream * out, gpointer user_data)
{
  gsize half = strlen (ok_answer) / 2;

  raw_printf (out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n%"
      G_GSIZE_MODIFIER "x\r\n", half);
  raw_write (out, ok_answer, half);
  raw_printf (out, "\r\n");
}

/* An answer cut on the way is the network's doing: the sentence says so, not "Kling
 * answered in an unexpected shape". */
GST_START_TEST (test_chunked_cut_is_a_network_error)
{
  RawServer *server = raw_server_start (answer_chunked_cut, NULL);
  KlingClient *client =
      test_client (raw_server_url (server), KLING_AUTH_HEADER_BEARER);
  g_autofree gchar *sentence = NULL;
  CallOutcome o;

  call_identify (client, &o, 10);
  check_error (&o, KLING_ERROR_NETWORK, "cut short");
  fail_unless_equals_int (kling_error_get_http_status (o.error), 200);
  sentence = kling_error_dup_user_message (o.error);
  fail_unless (g_str_has_prefix (sentence, "Could not reach Kling"), "%s",
      sentence);
  fail_unless (strstr (sentence, "garbled") == NULL, "%s", sentence);
  kling_client_unref (client);
  raw_server_stop (server);
  call_outcome_clear (&o);
}

GST_END_TEST;

/* --- redirects --------------------------------------------------------------------------- */

static void
answer_ok (RawServer * server, const RawRequest * request, GOutputStream * out,
    gpointer user_data)
{
  raw_respond (out, 200, "application/json", ok_answer, strlen (ok_answer));
}

static const gchar created[] =
    "{\"code\": 0, \"message\": \"ok\", \"request_id\": \"r\","
    " \"data\": {\"task_id\": \"T-1\", \"task_status\": \"submitted\"}}";

/* Creates image2video tasks, and redirects every other request (identify-face with a
 * 307, a task query with a 302) to the server in @user_data (a URL), or to /moved on
 * itself when that is NULL, where it answers. */
static void
answer_redirect (RawServer * server, const RawRequest * request,
    GOutputStream * out, gpointer user_data)
{
  const gchar *target = user_data;

  if (g_str_has_prefix (request->path, "/moved")) {
    answer_ok (server, request, out, NULL);
  } else if (g_str_equal (request->path, "/v1/videos/image2video")) {
    raw_respond (out, 200, "application/json", created, strlen (created));
  } else {
    raw_printf (out,
        "HTTP/1.1 %s\r\nLocation: %s/moved%s\r\nContent-Length: 0\r\n"
        "Connection: close\r\n\r\n", g_str_equal (request->method,
            "GET") ? "302 Found" : "307 Temporary Redirect",
        target ? target : "", request->path);
  }
}

/* A job whose task queries are redirected. */
static void
poll_redirected (KlingClient * client, JobOutcome * o)
{
  g_autoptr (KlingRequest) request =
      kling_request_new (KLING_ENDPOINT_IMAGE2VIDEO,
      json_from_string ("{\"prompt\": \"p\", \"image\": \"QUJD\"}", NULL),
      NULL);
  KlingJobOptions options = {.poll_interval_s = 0.01,.timeout_s = 10 };
  KlingJob *job;

  job_outcome_init (o);
  job =
      kling_client_start_job (client, request, &options, &job_outcome_callbacks,
      o, job_outcome_notify);
  fail_unless (job_outcome_wait (o, 10));
  kling_job_unref (job);
  fail_unless (job_outcome_wait_notified (o, 5));
}

/* Nothing of ours reached @other (the key above all); the error names it. */
static void
check_nothing_reached (RawServer * other, const GError * error)
{
  g_autofree gchar *leaked = raw_server_dup_headers (other, NULL, 0);

  fail_unless (leaked == NULL, "the other server got: %s", leaked);
  fail_unless (g_error_matches (error, KLING_ERROR, KLING_ERROR_PROTOCOL), "%s",
      error ? error->message : "success?");
  fail_unless (strstr (error->message, "another server") != NULL, "%s",
      error->message);
  fail_unless (strstr (error->message, raw_server_url (other)) != NULL, "%s",
      error->message);
}

static void
check_redirect_stays_home (KlingAuthHeader header, const gchar * header_name)
{
  RawServer *other = raw_server_start (answer_ok, NULL);
  RawServer *server =
      raw_server_start (answer_redirect, (gpointer) raw_server_url (other));
  KlingClient *client = test_client (raw_server_url (server), header);
  g_autofree gchar *sent = NULL;
  CallOutcome o;
  JobOutcome job;

  /* A POST answered 307. The first request carried the key. */
  call_identify (client, &o, 10);
  sent = raw_server_dup_headers (server, IDENTIFY_PATH, 0);
  fail_unless (sent != NULL && strstr (sent, STATIC_KEY) != NULL);
  fail_unless (strstr (sent, header_name) != NULL, "%s", sent);
  check_nothing_reached (other, o.error);
  /* A task query answered 302. */
  poll_redirected (client, &job);
  check_nothing_reached (other, job.error);
  kling_client_unref (client);
  raw_server_stop (server);
  raw_server_stop (other);
  call_outcome_clear (&o);
  job_outcome_clear (&job);
}

/* A static key (X-API-Key or Bearer) must never reach another origin: the redirect is
 * refused, not followed without the key (the other host would only say 401). */
GST_START_TEST (test_redirect_to_another_origin)
{
  check_redirect_stays_home (KLING_AUTH_HEADER_X_API_KEY, "X-API-Key");
  check_redirect_stays_home (KLING_AUTH_HEADER_BEARER, "Authorization");
}

GST_END_TEST;

/* A redirect on the same origin is followed, with the credentials. */
GST_START_TEST (test_redirect_same_origin)
{
  RawServer *server = raw_server_start (answer_redirect, NULL);
  KlingClient *client =
      test_client (raw_server_url (server), KLING_AUTH_HEADER_X_API_KEY);
  g_autofree gchar *moved = NULL;
  CallOutcome o;

  call_identify (client, &o, 10);
  fail_unless (o.error == NULL, "%s", o.error ? o.error->message : "");
  fail_unless (strstr (o.data, "\"session_id\":\"s\"") != NULL, "%s", o.data);
  moved = raw_server_dup_headers (server, "/moved", 0);
  fail_unless (moved != NULL && strstr (moved, STATIC_KEY) != NULL);
  kling_client_unref (client);
  raw_server_stop (server);
  call_outcome_clear (&o);
}

GST_END_TEST;

/* --- stalls ------------------------------------------------------------------------------ */

/* Takes the request, then says nothing (or the head and half a body, then nothing). */
static void
answer_stall (RawServer * server, const RawRequest * request,
    GOutputStream * out, gpointer user_data)
{
  if (user_data)
    raw_printf (out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n{\"code\": 0,",
        strlen (ok_answer));
  raw_sleep (server, 20000);
}

/* A stalled call fails after its attempts of io_timeout_ms each, whatever the stall:
 * before the answer's head, or in the middle of its body. */
GST_START_TEST (test_stalled_call_fails_quickly)
{
  const gpointer modes[] = { NULL, GINT_TO_POINTER (1) };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (modes); i++) {
    RawServer *server = raw_server_start (answer_stall, modes[i]);
    KlingClient *client =
        test_client (raw_server_url (server), KLING_AUTH_HEADER_BEARER);
    gint64 start = g_get_monotonic_time ();
    CallOutcome o;

    call_identify (client, &o, 10);
    check_error (&o, KLING_ERROR_NETWORK, "no data for 0.3 s");
    /* 3 attempts of 0.3 s, and short backoffs between them */
    fail_unless (g_get_monotonic_time () - start < 3 * G_USEC_PER_SEC);
    fail_unless_equals_int (raw_server_count (server, NULL), 3);
    kling_client_unref (client);
    raw_server_stop (server);
    call_outcome_clear (&o);
  }
}

GST_END_TEST;

/* --- answers that are not Kling's -------------------------------------------------------- */

static void
answer_html (RawServer * server, const RawRequest * request,
    GOutputStream * out, gpointer user_data)
{
  static const gchar page[] = "<html><body>Not Found</body></html>";

  raw_respond (out, GPOINTER_TO_UINT (user_data), "text/html", page,
      strlen (page));
}

/* An HTML page (a wrong api-url, a proxy's error) is "not a Kling server", with the
 * server and endpoint named, and not retried unless its status says "try again". */
GST_START_TEST (test_foreign_answer)
{
  const guint statuses[] = { 404, 200, 502 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (statuses); i++) {
    RawServer *server =
        raw_server_start (answer_html, GUINT_TO_POINTER (statuses[i]));
    KlingClient *client =
        test_client (raw_server_url (server), KLING_AUTH_HEADER_BEARER);
    g_autofree gchar *user = NULL;
    CallOutcome o;

    call_identify (client, &o, 10);
    check_error (&o,
        statuses[i] == 502 ? KLING_ERROR_SERVER : KLING_ERROR_PROTOCOL, NULL);
    fail_unless (kling_error_is_foreign_answer (o.error), "%u", statuses[i]);
    fail_unless_equals_string (kling_error_get_api_url (o.error),
        raw_server_url (server));
    fail_unless_equals_string (kling_error_get_endpoint (o.error),
        IDENTIFY_PATH);
    fail_unless_equals_int (raw_server_count (server, NULL),
        statuses[i] == 502 ? 3 : 1);
    if (statuses[i] != 502) {
      user = kling_error_dup_user_message (o.error);
      fail_unless (strstr (user, "does not answer like a Kling server") != NULL,
          "%s", user);
    }
    kling_client_unref (client);
    raw_server_stop (server);
    call_outcome_clear (&o);
  }
}

GST_END_TEST;

/* Every error of the call layer names the server and the endpoint. */
GST_START_TEST (test_errors_name_the_server)
{
  KlingClient *client =
      test_client ("http://127.0.0.1:1", KLING_AUTH_HEADER_BEARER);
  CallOutcome o;

  call_identify (client, &o, 10);
  check_error (&o, KLING_ERROR_NETWORK, NULL);
  fail_unless_equals_string (kling_error_get_api_url (o.error),
      "http://127.0.0.1:1");
  fail_unless_equals_string (kling_error_get_endpoint (o.error), IDENTIFY_PATH);
  kling_client_unref (client);
  call_outcome_clear (&o);
}

GST_END_TEST;

/* --- TLS --------------------------------------------------------------------------------- */

static void
tls_handler (SoupServer * server, SoupServerMessage * msg, const gchar * path,
    GHashTable * query, gpointer user_data)
{
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
      ok_answer, strlen (ok_answer));
}

/* A certificate nobody trusts fails at once (no retry), saying which check failed. */
GST_START_TEST (test_tls_failure_not_retried)
{
  g_autofree gchar *pem =
      g_build_filename (KLING_TEST_DATA_DIR, "tls-selfsigned.pem", NULL);
  g_autoptr (GError) err = NULL;
  g_autoptr (GTlsCertificate) cert =
      g_tls_certificate_new_from_file (pem, &err);
  g_autoptr (SoupServer) server = NULL;
  g_autofree gchar *url = NULL;
  KlingClient *client;
  KlingRetryPolicy policy;
  gint64 start;
  CallOutcome o;

  fail_unless (cert != NULL, "%s", err ? err->message : "");
  server = soup_server_new ("tls-certificate", cert, NULL);
  soup_server_add_handler (server, NULL, tls_handler, NULL, NULL);
  {
    /* soup_server_listen_local() leaks an address in libsoup 3.2; this does not */
    g_autoptr (GInetAddress) loopback =
        g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    g_autoptr (GSocketAddress) address =
        g_inet_socket_address_new (loopback, 0);

    fail_unless (soup_server_listen (server, address, SOUP_SERVER_LISTEN_HTTPS,
            &err), "%s", err ? err->message : "");
  }
  {
    /* the port from the listening socket (soup_server_get_uris() leaks, too) */
    GSList *listeners = soup_server_get_listeners (server);
    g_autoptr (GSocketAddress) local =
        g_socket_get_local_address (listeners->data, NULL);

    url = g_strdup_printf ("https://127.0.0.1:%u",
        g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)));
    g_slist_free (listeners);
  }

  client = test_client (url, KLING_AUTH_HEADER_BEARER);
  kling_client_get_policy (client, &policy);
  policy.base_delay_ms = policy.max_delay_ms = 6000;    /* a retry would wait 3 s or more */
  policy.io_timeout_ms = 10000; /* a slow handshake (valgrind) */
  kling_client_set_policy (client, &policy);
  /* The TLS handshake runs on the client's worker; this thread's context serves it. */
  start = g_get_monotonic_time ();
  {
    g_autoptr (JsonNode) body =
        json_from_string ("{\"video_id\": \"v\"}", NULL);

    memset (&o, 0, sizeof (o));
    g_mutex_init (&o.lock);
    g_cond_init (&o.cond);
    kling_client_call (client, KLING_ENDPOINT_IDENTIFY_FACE, body, NULL,
        on_call, &o);
    while (!o.done && g_get_monotonic_time () - start < 10 * G_USEC_PER_SEC)
      g_main_context_iteration (NULL, FALSE), g_usleep (1000);
  }
  fail_unless (o.done);
  check_error (&o, KLING_ERROR_TLS,
      "not signed by a trusted certificate authority");
  fail_unless (g_get_monotonic_time () - start < 3 * G_USEC_PER_SEC);
  kling_client_unref (client);
  call_outcome_clear (&o);
}

GST_END_TEST;

static Suite *
call_suite (void)
{
  Suite *s = suite_create ("kling-call");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_depth_scan);
  tcase_add_test (tc, test_unfinished_scan);
  tcase_add_test (tc, test_garbled_identify_retried);
  tcase_add_test (tc, test_chunked_cut_is_a_network_error);
  tcase_add_test (tc, test_deep_answer_refused);
  tcase_add_test (tc, test_big_answer_refused);
  tcase_add_test (tc, test_endless_answer_refused);
  tcase_add_test (tc, test_redirect_to_another_origin);
  tcase_add_test (tc, test_redirect_same_origin);
  tcase_add_test (tc, test_stalled_call_fails_quickly);
  tcase_add_test (tc, test_foreign_answer);
  tcase_add_test (tc, test_errors_name_the_server);
  tcase_add_test (tc, test_tls_failure_not_retried);
  return s;
}

GST_CHECK_MAIN (call);
