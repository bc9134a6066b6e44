/* The client's network settings (KlingNetworkSettings, named after souphttpsrc's
 * properties) against the in-process kling-sandbox, over HTTPS with a self-signed
 * certificate where trust is the point, and through a tiny HTTP proxy on loopback. */
#include "config.h"
#include <gst/check/gstcheck.h>
#include <libsoup/soup.h>
#include <string.h>
#include "kling-sandbox.h"
#include "kling-error.h"
#include "kling-mp4.h"
#include "client-test-util.h"
#include "raw-server.h"

#define API_KEY "network-test-key-do-not-log"
#define CREATE_PATH "/v1/videos/image2video"

static KlingSandbox *sandbox;
static gchar *cache_dir;

static gchar *
pem_path (void)
{
  return g_build_filename (KLING_TEST_DATA_DIR, "tls-selfsigned.pem", NULL);
}

static void
start_sandbox (gboolean https)
{
  g_autofree gchar *pem = pem_path ();
  KlingSandboxOptions options;
  g_autoptr (GError) err = NULL;

  kling_sandbox_options_init (&options);
  options.api_key = API_KEY;
  options.queue_delay_s = 0.1;
  options.render_delay_s = 0.3;
  options.video_scale = 0.25;
  options.tls_certificate_file = https ? pem : NULL;
  sandbox = kling_sandbox_start (&options, &err);
  fail_unless (sandbox != NULL, "sandbox: %s", err ? err->message : "");
  cache_dir = g_dir_make_tmp ("kling-network-XXXXXX", NULL);
}

static void
teardown (void)
{
  g_clear_pointer (&sandbox, kling_sandbox_stop);
  if (cache_dir)
    test_remove_tree (cache_dir);
  g_clear_pointer (&cache_dir, g_free);
}

static KlingAuth *
key (void)
{
  return kling_auth_new_static (API_KEY, KLING_AUTH_HEADER_BEARER);
}

/* A client for @url with @net and quick backoffs; the attempts are the settings'. */
static KlingClient *
client_with (const gchar * url, const KlingNetworkSettings * net)
{
  g_autoptr (GError) err = NULL;
  KlingClient *client = kling_client_acquire_full (url, key (), net, &err);
  KlingRetryPolicy policy;

  fail_unless (client != NULL, "%s", err ? err->message : "");
  kling_client_get_policy (client, &policy);
  policy.base_delay_ms = 10;
  policy.max_delay_ms = 20;
  policy.deadline_s = 20;
  policy.min_download_rate = 0;
  kling_client_set_policy (client, &policy);
  return client;
}

/* Renders one clip with @client and waits for the end (the outcome is in @o). */
static void
render (KlingClient * client, const gchar * prompt, JobOutcome * o)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (KlingRequest) request = test_still_request (prompt, &err);
  KlingJobOptions options = {
    .poll_interval_s = 0.1,.timeout_s = 30,.cache_dir = cache_dir,
  };
  KlingJob *job;

  fail_unless (request != NULL, "%s", err ? err->message : "");
  job_outcome_init (o);
  job =
      kling_client_start_job (client, request, &options, &job_outcome_callbacks,
      o, job_outcome_notify);
  fail_unless (job_outcome_wait (o, 30), "the job did not finish");
  kling_job_unref (job);
  fail_unless (job_outcome_wait_notified (o, 5));
}

static void
check_rendered (JobOutcome * o)
{
  fail_unless (o->error == NULL, "job failed: %s",
      o->error ? o->error->message : "");
  fail_unless (o->mp4_path != NULL
      && kling_mp4_verify_file (o->mp4_path, NULL, NULL));
}

static gint64
creates_sent (void)
{
  return kling_sandbox_get_counter (sandbox, "requests", "POST " CREATE_PATH);
}

/* --- trust ------------------------------------------------------------------------------- */

GST_START_TEST (test_self_signed_refused_by_default)
{
  KlingClient *client;
  JobOutcome o;
  gint64 start;
  g_autofree gchar *sentence = NULL;

  start_sandbox (TRUE);
  fail_unless (g_str_has_prefix (kling_sandbox_get_base_url (sandbox),
          "https://"));
  client = client_with (kling_sandbox_get_base_url (sandbox), NULL);
  start = g_get_monotonic_time ();
  render (client, "untrusted", &o);
  /* Not retried: a retry would wait at least the 10 ms backoff per attempt, but above
   * all the sandbox would count the attempts; a handshake refused sends no request. */
  fail_unless (g_get_monotonic_time () - start < 2 * G_USEC_PER_SEC);
  fail_unless (g_error_matches (o.error, KLING_ERROR, KLING_ERROR_TLS), "%s",
      o.error ? o.error->message : "no error");
  sentence = kling_error_dup_user_message (o.error);
  fail_unless (strstr (sentence,
          "not signed by a trusted certificate authority") != NULL, "%s",
      sentence);
  fail_unless (strstr (sentence, "ssl-ca-file") != NULL, "%s", sentence);
  fail_unless_equals_int (creates_sent (), 0);
  kling_client_unref (client);
  job_outcome_clear (&o);
}

GST_END_TEST;

GST_START_TEST (test_self_signed_trusted_with_ca_file)
{
  g_autofree gchar *pem = pem_path ();
  KlingNetworkSettings net;
  KlingClient *client;
  JobOutcome o;

  start_sandbox (TRUE);
  kling_network_settings_init (&net);
  net.ssl_ca_file = pem;
  client = client_with (kling_sandbox_get_base_url (sandbox), &net);
  render (client, "trusted by file", &o);
  check_rendered (&o);
  fail_unless_equals_int (creates_sent (), 1);
  kling_client_unref (client);
  job_outcome_clear (&o);
}

GST_END_TEST;

GST_START_TEST (test_self_signed_trusted_with_tls_database)
{
  g_autofree gchar *pem = pem_path ();
  g_autoptr (GError) err = NULL;
  g_autoptr (GTlsDatabase) db = g_tls_file_database_new (pem, &err);
  KlingNetworkSettings net;
  KlingClient *client;
  JobOutcome o;

  fail_unless (db != NULL, "%s", err ? err->message : "");
  start_sandbox (TRUE);
  kling_network_settings_init (&net);
  net.tls_database = db;
  client = client_with (kling_sandbox_get_base_url (sandbox), &net);
  render (client, "trusted by database", &o);
  check_rendered (&o);
  kling_client_unref (client);
  job_outcome_clear (&o);
}

GST_END_TEST;

GST_START_TEST (test_ssl_strict_false_accepts_any)
{
  KlingNetworkSettings net;
  KlingClient *client;
  JobOutcome o;

  start_sandbox (TRUE);
  kling_network_settings_init (&net);
  net.ssl_strict = FALSE;
  client = client_with (kling_sandbox_get_base_url (sandbox), &net);
  render (client, "not strict", &o);
  check_rendered (&o);
  kling_client_unref (client);
  job_outcome_clear (&o);
}

GST_END_TEST;

GST_START_TEST (test_unreadable_ca_file_refused)
{
  KlingNetworkSettings net;
  g_autoptr (GError) err = NULL;

  kling_network_settings_init (&net);
  net.ssl_ca_file = "/nonexistent/ca.pem";
  fail_unless (kling_client_acquire_full ("https://127.0.0.1:9", key (), &net,
          &err) == NULL);
  fail_unless (g_error_matches (err, KLING_ERROR, KLING_ERROR_INVALID_INPUT));
  fail_unless (strstr (err->message,
          "ssl-ca-file \"/nonexistent/ca.pem\"") != NULL, "%s", err->message);
}

GST_END_TEST;

/* --- the proxy --------------------------------------------------------------------------- */

/* A forward proxy of a few lines: the request line carries the absolute URL (that is how
 * a client speaks to an HTTP proxy), which it fetches without a proxy and answers. */
static void
proxy_handler (RawServer * server, const RawRequest * request,
    GOutputStream * out, gpointer user_data)
{
  g_autoptr (SoupSession) session =
      soup_session_new_with_options ("proxy-resolver", NULL, NULL);
  g_autoptr (SoupMessage) msg =
      soup_message_new (request->method, request->path);
  g_autoptr (GBytes) body = NULL;
  g_auto (GStrv) lines = g_strsplit (request->headers, "\r\n", -1);
  const gchar *type;
  gchar **line;

  (void) server;
  (void) user_data;
  if (msg == NULL) {
    raw_respond (out, 400, "text/plain", "not a proxy request", 19);
    return;
  }
  for (line = lines; *line; line++) {
    g_auto (GStrv) pair = g_strsplit (*line, ":", 2);

    if (pair[0] == NULL || pair[1] == NULL
        || g_ascii_strcasecmp (pair[0], "Host") == 0
        || g_ascii_strcasecmp (pair[0], "Connection") == 0
        || g_ascii_strncasecmp (pair[0], "Proxy-", 6) == 0
        || g_ascii_strcasecmp (pair[0], "Content-Length") == 0)
      continue;
    soup_message_headers_replace (soup_message_get_request_headers (msg),
        pair[0], g_strstrip (pair[1]));
  }
  if (request->body) {
    type = soup_message_headers_get_one (soup_message_get_request_headers (msg),
        "Content-Type");
    soup_message_set_request_body_from_bytes (msg, type, request->body);
  }
  body = soup_session_send_and_read (session, msg, NULL, NULL);
  type = soup_message_headers_get_one (soup_message_get_response_headers (msg),
      "Content-Type");
  raw_respond (out, soup_message_get_status (msg),
      type ? type : "application/octet-stream", body ? g_bytes_get_data (body,
          NULL) : "", body ? g_bytes_get_size (body) : 0);
}

GST_START_TEST (test_proxy_sees_the_requests)
{
  RawServer *proxy = raw_server_start (proxy_handler, NULL);
  g_autofree gchar *via = NULL, *headers = NULL;
  KlingNetworkSettings net;
  KlingClient *client;
  JobOutcome o;

  start_sandbox (FALSE);
  kling_network_settings_init (&net);
  /* souphttpsrc takes a bare host:port too. */
  net.proxy = raw_server_url (proxy) + strlen ("http://");
  client = client_with (kling_sandbox_get_base_url (sandbox), &net);
  render (client, "through a proxy", &o);
  check_rendered (&o);
  via = g_strconcat (kling_sandbox_get_base_url (sandbox), CREATE_PATH, NULL);
  /* The create, the polls and the download all went through it. */
  fail_unless_equals_int (raw_server_count (proxy, via), creates_sent () +
      kling_sandbox_get_counter (sandbox, "requests", "GET " CREATE_PATH));
  fail_unless_equals_int (creates_sent (), 1);
  fail_unless (raw_server_count (proxy, NULL) >= 3);
  /* What reached the sandbox came with the default User-Agent. */
  fail_unless (kling_sandbox_get_counter (sandbox, "user_agents",
          "gst-kling/" PACKAGE_VERSION) >= 2);
  headers = raw_server_dup_headers (proxy, via, 0);
  fail_unless (headers && strstr (headers, "Bearer") != NULL);
  kling_client_unref (client);
  raw_server_stop (proxy);
  job_outcome_clear (&o);
}

GST_END_TEST;

GST_START_TEST (test_bad_proxy_refused)
{
  KlingNetworkSettings net;
  g_autoptr (GError) err = NULL;

  kling_network_settings_init (&net);
  net.proxy = "socks5://127.0.0.1:1080";
  fail_unless (kling_client_acquire_full ("http://127.0.0.1:9", key (), &net,
          &err) == NULL);
  fail_unless (g_error_matches (err, KLING_ERROR, KLING_ERROR_INVALID_INPUT));
  fail_unless (strstr (err->message, "not an http:// proxy URL") != NULL, "%s",
      err->message);
}

GST_END_TEST;

/* --- user agent, retries, sharing ---------------------------------------------------------- */

static void
refuse_handler (RawServer * server, const RawRequest * request,
    GOutputStream * out, gpointer user_data)
{
  static const gchar body[] =
      "{\"code\":1201,\"message\":\"bad\",\"request_id\":\"r\"}";

  (void) server;
  (void) request;
  (void) user_data;
  raw_respond (out, 400, "application/json", body, sizeof (body) - 1);
}

GST_START_TEST (test_user_agent_version_expanded)
{
  RawServer *origin = raw_server_start (refuse_handler, NULL);
  g_autofree gchar *headers = NULL;
  KlingNetworkSettings net;
  KlingClient *client;
  JobOutcome o;

  cache_dir = g_dir_make_tmp ("kling-network-XXXXXX", NULL);
  kling_network_settings_init (&net);
  net.user_agent = "my-app/2 gst-kling/{VERSION}";
  client = client_with (raw_server_url (origin), &net);
  render (client, "user agent", &o);
  fail_unless (o.error != NULL);
  headers = raw_server_dup_headers (origin, CREATE_PATH, 0);
  fail_unless (headers != NULL);
  fail_unless (strstr (headers,
          "User-Agent: my-app/2 gst-kling/" PACKAGE_VERSION "\r\n")
      != NULL, "%s", headers);
  kling_client_unref (client);
  raw_server_stop (origin);
  job_outcome_clear (&o);
}

GST_END_TEST;

GST_START_TEST (test_default_user_agent)
{
  RawServer *origin = raw_server_start (refuse_handler, NULL);
  g_autofree gchar *headers = NULL;
  KlingClient *client;
  JobOutcome o;

  cache_dir = g_dir_make_tmp ("kling-network-XXXXXX", NULL);
  client = client_with (raw_server_url (origin), NULL);
  render (client, "default agent", &o);
  headers = raw_server_dup_headers (origin, CREATE_PATH, 0);
  fail_unless (headers
      && strstr (headers, "User-Agent: gst-kling/" PACKAGE_VERSION "\r\n"),
      "%s", headers);
  kling_client_unref (client);
  raw_server_stop (origin);
  job_outcome_clear (&o);
}

GST_END_TEST;

static const gchar query_5xx[] =
    "{\"method\": \"GET\", \"path\": \"" CREATE_PATH "/\", "
    "\"times\": 1, \"kind\": \"status\", \"http\": 500, \"code\": 5000}";

GST_START_TEST (test_retries_zero_fails_on_first_5xx)
{
  g_autoptr (GError) err = NULL;
  KlingNetworkSettings net;
  KlingClient *client;
  JobOutcome o;

  start_sandbox (FALSE);
  fail_unless (kling_sandbox_add_fault_json (sandbox, query_5xx, &err), "%s",
      err ? err->message : "");
  kling_network_settings_init (&net);
  net.retries = 0;
  client = client_with (kling_sandbox_get_base_url (sandbox), &net);
  render (client, "no retries", &o);
  fail_unless (g_error_matches (o.error, KLING_ERROR, KLING_ERROR_SERVER), "%s",
      o.error ? o.error->message : "no error");
  fail_unless_equals_int (kling_sandbox_get_counter (sandbox, "requests",
          "GET " CREATE_PATH), 1);
  kling_client_unref (client);
  job_outcome_clear (&o);
}

GST_END_TEST;

/* The same fault with the default budget: the poll is retried and the render ends well. */
GST_START_TEST (test_default_retries_ride_out_a_5xx)
{
  g_autoptr (GError) err = NULL;
  KlingClient *client;
  JobOutcome o;

  start_sandbox (FALSE);
  fail_unless (kling_sandbox_add_fault_json (sandbox, query_5xx, &err), "%s",
      err ? err->message : "");
  client = client_with (kling_sandbox_get_base_url (sandbox), NULL);
  render (client, "default retries", &o);
  check_rendered (&o);
  kling_client_unref (client);
  job_outcome_clear (&o);
}

GST_END_TEST;

GST_START_TEST (test_clients_shared_only_with_equal_settings)
{
  KlingNetworkSettings net, other;
  KlingClient *a, *b, *c, *d;

  kling_network_settings_init (&net);
  a = kling_client_acquire_full ("http://127.0.0.1:9", key (), &net, NULL);
  b = kling_client_acquire ("http://127.0.0.1:9", key (), NULL);
  other = net;
  other.user_agent = "else/1";
  c = kling_client_acquire_full ("http://127.0.0.1:9", key (), &other, NULL);
  other = net;
  other.retries = 0;
  d = kling_client_acquire_full ("http://127.0.0.1:9", key (), &other, NULL);
  fail_unless (a == b, "the defaults are the defaults");
  fail_unless (a != c && a != d && c != d);
  kling_client_unref (a);
  kling_client_unref (b);
  kling_client_unref (c);
  kling_client_unref (d);
}

GST_END_TEST;

static Suite *
network_suite (void)
{
  Suite *s = suite_create ("kling-network");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, NULL, teardown);
  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_self_signed_refused_by_default);
  tcase_add_test (tc, test_self_signed_trusted_with_ca_file);
  tcase_add_test (tc, test_self_signed_trusted_with_tls_database);
  tcase_add_test (tc, test_ssl_strict_false_accepts_any);
  tcase_add_test (tc, test_unreadable_ca_file_refused);
  tcase_add_test (tc, test_proxy_sees_the_requests);
  tcase_add_test (tc, test_bad_proxy_refused);
  tcase_add_test (tc, test_user_agent_version_expanded);
  tcase_add_test (tc, test_default_user_agent);
  tcase_add_test (tc, test_retries_zero_fails_on_first_5xx);
  tcase_add_test (tc, test_default_retries_ride_out_a_5xx);
  tcase_add_test (tc, test_clients_shared_only_with_equal_settings);
  return s;
}

GST_CHECK_MAIN (network);
