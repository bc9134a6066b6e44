/* gst-kling: the network properties (proxy, user-agent, ssl-strict, ssl-ca-file,
 * tls-database, retries) set on an element reach its client: an HTTPS sandbox with a
 * self-signed certificate is refused by default, quickly and before any request, and
 * trusted through each of the three ways souphttpsrc offers.
 *
 * The client's side of each setting is tested in tests/unit/test-network.c; here the
 * point is that the element's properties are what the client gets.
 */
#include "config.h"

#include <string.h>
#include <gio/gio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include "test-fs.h"
#include "harness-util.h"
#include "kling-sandbox.h"
#include "element-fixture.h"

#define API_KEY     "key-network-tests"
#define POP_TIMEOUT (20 * GST_SECOND)

static void
fixture_start (Fixture * f, gboolean https)
{
  FixtureOptions options = {.api_key = API_KEY,.cache_template =
        "kling-network-XXXXXX",
    .tls_certificate_file = https ? TLS_CERTIFICATE : NULL,.queue_delay_s =
        0.05,
    .render_delay_s = 0.1
  };

  fixture_start_sandbox (f, &options);
}

/* A klingtext2video on the sandbox with @first_property... (NULL-terminated), PLAYING
 * into a harness that takes the MP4 as it is. */
static void
start_render (Fixture * f, const gchar * first_property, ...)
{
  GstElement *element = fixture_new_element (f, "klingtext2video");
  va_list args;

  g_object_set (element, "prompt", "a lighthouse at dusk", NULL);
  va_start (args, first_property);
  if (first_property)
    g_object_set_valist (G_OBJECT (element), first_property, args);
  va_end (args);
  f->h = gst_harness_new_with_element (element, NULL, "src");
  gst_harness_set_sink_caps_str (f->h, "video/quicktime");
  gst_harness_play (f->h);
  gst_object_unref (element);
}

static gint64
create_requests (Fixture * f)
{
  return kling_sandbox_get_counter (f->sandbox, "requests",
      "POST /v1/videos/text2video");
}

/* The render ends with EOS, no error, one task. */
static void
assert_rendered (Fixture * f)
{
  GstMessage *message;

  gst_event_unref (pull_event_of_type (f->h, GST_EVENT_EOS));
  message = gst_bus_pop_filtered (f->bus, GST_MESSAGE_ERROR);
  if (message) {
    GError *error = NULL;

    gst_message_parse_error (message, &error, NULL);
    fail ("render failed: %s", error->message);
  }
  fail_unless (gst_harness_buffers_received (f->h) > 0);
  fail_unless_equals_int (kling_sandbox_get_counter (f->sandbox,
          "tasks_created", "text2video"), 1);
}

GST_START_TEST (test_self_signed_refused_by_default)
{
  Fixture f;
  GstMessage *message;
  GError *error = NULL;
  gint64 start;

  fixture_start (&f, TRUE);
  start = g_get_monotonic_time ();
  start_render (&f, NULL);
  message = gst_bus_timed_pop_filtered (f.bus, POP_TIMEOUT, GST_MESSAGE_ERROR);
  fail_unless (message != NULL, "no error for an untrusted certificate");
  /* Not retried: well under one backoff round. */
  fail_unless (g_get_monotonic_time () - start < 3 * G_USEC_PER_SEC);
  gst_message_parse_error (message, &error, NULL);
  fail_unless (strstr (error->message, "certificate") != NULL, "%s",
      error->message);
  fail_unless (strstr (error->message, "ssl-ca-file") != NULL, "%s",
      error->message);
  fail_unless_equals_int (create_requests (&f), 0);
  g_error_free (error);
  gst_message_unref (message);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_ssl_ca_file_trusts_the_server)
{
  Fixture f;

  fixture_start (&f, TRUE);
  start_render (&f, "ssl-ca-file", TLS_CERTIFICATE, NULL);
  assert_rendered (&f);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_tls_database_trusts_the_server)
{
  Fixture f;
  GError *error = NULL;
  GTlsDatabase *database = g_tls_file_database_new (TLS_CERTIFICATE, &error);

  fail_unless (database != NULL, "%s", error ? error->message : "?");
  fixture_start (&f, TRUE);
  start_render (&f, "tls-database", database, NULL);
  assert_rendered (&f);
  g_object_unref (database);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_ssl_strict_false_accepts_any_certificate)
{
  Fixture f;

  fixture_start (&f, TRUE);
  start_render (&f, "ssl-strict", FALSE, NULL);
  assert_rendered (&f);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_user_agent_reaches_the_server)
{
  Fixture f;

  fixture_start (&f, FALSE);
  start_render (&f, "user-agent", "studio-tool/2 gst-kling/{VERSION}", NULL);
  assert_rendered (&f);
  fail_unless (kling_sandbox_get_counter (f.sandbox, "user_agents",
          "studio-tool/2 gst-kling/" VERSION) >= 2);
  fail_unless_equals_int (kling_sandbox_get_counter (f.sandbox, "user_agents",
          "gst-kling/" VERSION), 0);
  fixture_stop (&f);
}

GST_END_TEST;

/* retries=0: the first 5xx on the create ends the render, after one create request. */
GST_START_TEST (test_retries_zero_fails_on_the_first_5xx)
{
  Fixture f;
  GstMessage *message;
  GError *error = NULL;

  fixture_start (&f, FALSE);
  fail_unless (kling_sandbox_add_fault_json (f.sandbox,
          "{\"path\": \"/v1/videos/text2video\", \"method\": \"POST\","
          " \"kind\": \"status\", \"http\": 503, \"times\": 1}", &error), "%s",
      error ? error->message : "?");
  start_render (&f, "retries", 0, NULL);
  message = gst_bus_timed_pop_filtered (f.bus, POP_TIMEOUT, GST_MESSAGE_ERROR);
  fail_unless (message != NULL, "retries=0 rode out a 503");
  fail_unless_equals_int (create_requests (&f), 1);
  gst_message_unref (message);
  fixture_stop (&f);
}

GST_END_TEST;

/* Found when the run starts: READY->PAUSED fails with the file's name, nothing is sent. */
GST_START_TEST (test_unreadable_ssl_ca_file_refused_before_any_request)
{
  Fixture f;
  GstElement *element;
  GstMessage *message;
  GError *error = NULL;

  fixture_start (&f, TRUE);
  element = gst_element_factory_make ("klingtext2video", NULL);
  g_object_set (element, "api-url", kling_sandbox_get_base_url (f.sandbox),
      "api-key", API_KEY, "prompt", "a lighthouse at dusk",
      "cache-dir", f.cache_dir, "ssl-ca-file", "/nonexistent/ca.pem", NULL);
  gst_element_set_bus (element, f.bus);
  fail_unless_equals_int (gst_element_set_state (element, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  message = gst_bus_pop_filtered (f.bus, GST_MESSAGE_ERROR);
  fail_unless (message != NULL);
  gst_message_parse_error (message, &error, NULL);
  fail_unless (strstr (error->message, "/nonexistent/ca.pem") != NULL, "%s",
      error->message);
  fail_unless_equals_int (create_requests (&f), 0);
  g_error_free (error);
  gst_message_unref (message);
  gst_element_set_state (element, GST_STATE_NULL);
  gst_object_unref (element);
  fixture_stop (&f);
}

GST_END_TEST;

static Suite *
network_suite (void)
{
  Suite *s = suite_create ("network");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_self_signed_refused_by_default);
  tcase_add_test (tc, test_ssl_ca_file_trusts_the_server);
  tcase_add_test (tc, test_tls_database_trusts_the_server);
  tcase_add_test (tc, test_ssl_strict_false_accepts_any_certificate);
  tcase_add_test (tc, test_user_agent_reaches_the_server);
  tcase_add_test (tc, test_retries_zero_fails_on_the_first_5xx);
  tcase_add_test (tc, test_unreadable_ssl_ca_file_refused_before_any_request);
  return s;
}

GST_CHECK_MAIN (network);
