/* The fixture the element suites of tests/elements share (element-fixture.h). */
#include <string.h>
#include <gst/check/gstcheck.h>

#include "element-fixture.h"
#include "harness-util.h"
#include "still-util.h"
#include "test-fs.h"

void
fixture_start_sandbox (Fixture * f, const FixtureOptions * options)
{
  KlingSandboxOptions sandbox_options;
  GError *error = NULL;

  memset (f, 0, sizeof (*f));
  kling_sandbox_options_init (&sandbox_options);
  sandbox_options.access_key = f->access_key = options->access_key;
  sandbox_options.secret_key = f->secret_key = options->secret_key;
  sandbox_options.api_key = f->api_key = options->api_key;
  sandbox_options.queue_delay_s = options->queue_delay_s;
  sandbox_options.render_delay_s = options->render_delay_s;
  sandbox_options.tls_certificate_file = options->tls_certificate_file;
  sandbox_options.video_scale = 0.25;
  f->sandbox = kling_sandbox_start (&sandbox_options, &error);
  fail_unless (f->sandbox != NULL, "sandbox: %s", error ? error->message : "?");
  f->cache_dir = g_dir_make_tmp (options->cache_template, &error);
  fail_unless (f->cache_dir != NULL);
  f->bus = gst_bus_new ();
}

void
teardown_element (Fixture * f)
{
  g_clear_pointer (&f->audio_out, gst_harness_teardown);
  g_clear_pointer (&f->image, gst_harness_teardown);
  g_clear_pointer (&f->h, gst_harness_teardown);
  gst_clear_object (&f->element);
}

void
stop_element (Fixture * f)
{
  teardown_element (f);
  gst_bus_set_flushing (f->bus, TRUE);
  gst_bus_set_flushing (f->bus, FALSE);
}

void
fixture_stop (Fixture * f)
{
  stop_element (f);
  g_clear_pointer (&f->client, kling_client_unref);
  gst_object_unref (f->bus);
  kling_sandbox_stop (f->sandbox);
  test_remove_tree (f->cache_dir);
  g_free (f->cache_dir);
  g_free (f->video_id);
  g_free (f->video_url);
}

GstElement *
fixture_new_element (Fixture * f, const gchar * factory)
{
  GstElement *element = gst_element_factory_make (factory, NULL);

  fail_unless (element != NULL, "%s is not in GST_PLUGIN_PATH", factory);
  g_object_set (element, "api-url", kling_sandbox_get_base_url (f->sandbox),
      "poll-interval", 0.05, "cache-dir", f->cache_dir, NULL);
  if (f->api_key)
    g_object_set (element, "api-key", f->api_key, NULL);
  else
    g_object_set (element, "access-key", f->access_key, "secret-key",
        f->secret_key, NULL);
  gst_element_set_bus (element, f->bus);
  return element;
}

void
push_jpeg_still (Fixture * f)
{
  GBytes *jpeg = still_media_file ("still.jpg");
  GstBuffer *buffer = gst_buffer_new_wrapped_bytes (jpeg);
  GstHarness *h = f->image ? f->image : f->h;

  g_bytes_unref (jpeg);         /* the buffer holds its own reference */
  gst_harness_set_src_caps_str (h, "image/jpeg");
  fail_unless_equals_int (gst_harness_push (h, buffer), GST_FLOW_EOS);
}

gint64
counter (Fixture * f, const gchar * group, const gchar * name)
{
  return kling_sandbox_get_counter (f->sandbox, group, name);
}

gint64
tasks_created (Fixture * f, const gchar * endpoint)
{
  return counter (f, "tasks_created", endpoint);
}

GstMessage *
pop_error (Fixture * f)
{
  GstMessage *message = gst_bus_timed_pop_filtered (f->bus,
      HARNESS_PULL_TIMEOUT_US * GST_USECOND, GST_MESSAGE_ERROR);

  fail_unless (message != NULL, "no error message");
  return message;
}

void
check_error (GstMessage * message, GQuark domain, gint code,
    const gchar * words)
{
  GError *error = NULL;
  gchar *debug = NULL;

  gst_message_parse_error (message, &error, &debug);
  GST_INFO ("error: %s (%s)", error->message, debug);
  fail_unless (error->domain == domain && error->code == code,
      "unexpected error %s %d: %s", g_quark_to_string (error->domain),
      error->code, error->message);
  fail_unless (strstr (error->message, words) != NULL,
      "\"%s\" not in \"%s\"", words, error->message);
  fail_unless (debug != NULL && *debug);
  g_error_free (error);
  g_free (debug);
  gst_message_unref (message);
}
