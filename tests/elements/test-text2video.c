/* gst-kling: klingtext2video (and its kling:// URIs) through GstHarness against an
 * in-process kling-sandbox.
 *
 * Each test starts its own sandbox (small video, short delays) and cache directory, so
 * counters and cache hits belong to that test alone.
 */
#include <string.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#include "test-fs.h"
#include "harness-util.h"
#include "kling-sandbox.h"
#include "element-fixture.h"

#define API_KEY     "key-text2video-tests"
#define PROMPT      "a red fox runs through snow"
/* The sandbox's std size (1280x720) times its video_scale. */
#define CLIP_WIDTH  320
#define CLIP_HEIGHT 180
#define CLIP_FPS    24          /* kling-v3, the default model */
#define CLIP_S      5
#define POP_TIMEOUT (20 * GST_SECOND)

static void
fixture_start (Fixture * f)
{
  FixtureOptions options = {.api_key = API_KEY,.cache_template =
        "kling-text2video-XXXXXX",
    .queue_delay_s = 0.05,.render_delay_s = 0.1
  };

  fixture_start_sandbox (f, &options);
}

/* A klingtext2video pointed at the sandbox, with the test's bus; extra properties as
 * name/value pairs ending with NULL. */
static GstElement *
make_element (Fixture * f, const gchar * first_property, ...)
{
  GstElement *element = fixture_new_element (f, "klingtext2video");
  va_list args;

  g_object_set (element, "prompt", PROMPT, NULL);
  va_start (args, first_property);
  if (first_property)
    g_object_set_valist (G_OBJECT (element), first_property, args);
  va_end (args);
  return element;
}

/* The harness on "src", then PLAYING: going to PAUSED submits the task. */
static void
start_harness (Fixture * f, GstElement * element, const gchar * sink_caps)
{
  f->h = gst_harness_new_with_element (element, NULL, "src");
  gst_harness_set_sink_caps_str (f->h, sink_caps);
  gst_harness_play (f->h);
  gst_object_unref (element);
}

static gint64
create_requests (Fixture * f)
{
  return kling_sandbox_get_counter (f->sandbox, "requests",
      "POST /v1/videos/text2video");
}

/* Pulls the video up to EOS; returns the frames and the caps they had. */
static guint
pull_frames (GstHarness * h, gint * width, gint * height)
{
  GstEvent *eos = pull_event_of_type (h, GST_EVENT_EOS);
  GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
  GstStructure *s;
  GstBuffer *buffer;
  guint frames = 0;

  gst_event_unref (eos);
  fail_unless (caps != NULL);
  s = gst_caps_get_structure (caps, 0);
  fail_unless (gst_structure_has_name (s, "video/x-raw"));
  fail_unless (gst_structure_get_int (s, "width", width));
  fail_unless (gst_structure_get_int (s, "height", height));
  gst_caps_unref (caps);
  while ((buffer = gst_harness_try_pull (h))) {
    fail_unless (GST_BUFFER_PTS_IS_VALID (buffer));
    frames++;
    gst_buffer_unref (buffer);
  }
  return frames;
}

GST_START_TEST (test_decoded_render)
{
  Fixture f;
  gint width = 0, height = 0;

  fixture_start (&f);
  start_harness (&f, make_element (&f, NULL), "video/x-raw");
  fail_unless_equals_int (pull_frames (f.h, &width, &height),
      CLIP_S * CLIP_FPS);
  fail_unless_equals_int (width, CLIP_WIDTH);
  fail_unless_equals_int (height, CLIP_HEIGHT);
  fail_unless_equals_int (tasks_created (&f, "text2video"), 1);
  fail_unless (gst_bus_pop_filtered (f.bus, GST_MESSAGE_ERROR) == NULL);
  fixture_stop (&f);
}

GST_END_TEST;

/* The sandbox renders 9:16 as a portrait clip: the property reached the request. */
GST_START_TEST (test_aspect_ratio_reaches_the_request)
{
  Fixture f;
  gint width = 0, height = 0;
  GstElement *element;

  fixture_start (&f);
  element = make_element (&f, NULL);
  gst_util_set_object_arg (G_OBJECT (element), "aspect-ratio", "9:16");
  start_harness (&f, element, "video/x-raw");
  pull_frames (f.h, &width, &height);
  fail_unless_equals_int (width, CLIP_HEIGHT);
  fail_unless_equals_int (height, CLIP_WIDTH);
  fixture_stop (&f);

  fixture_start (&f);
  element = make_element (&f, NULL);
  gst_util_set_object_arg (G_OBJECT (element), "aspect-ratio", "1:1");
  start_harness (&f, element, "video/x-raw");
  pull_frames (f.h, &width, &height);
  fail_unless_equals_int (width, CLIP_HEIGHT);
  fail_unless_equals_int (height, CLIP_HEIGHT);
  fixture_stop (&f);
}

GST_END_TEST;

/* With downstream taking only video/quicktime, the cached MP4 leaves byte for byte. */
GST_START_TEST (test_passthrough_render)
{
  Fixture f;
  GByteArray *bytes = g_byte_array_new ();
  GstBuffer *buffer;
  GstEvent *eos;
  GDir *dir;
  const gchar *name;
  gchar *cached = NULL, *data = NULL;
  gsize size = 0;

  fixture_start (&f);
  start_harness (&f, make_element (&f, NULL), "video/quicktime");
  eos = pull_event_of_type (f.h, GST_EVENT_EOS);
  gst_event_unref (eos);
  while ((buffer = gst_harness_try_pull (f.h))) {
    GstMapInfo map;

    gst_buffer_map (buffer, &map, GST_MAP_READ);
    g_byte_array_append (bytes, map.data, map.size);
    gst_buffer_unmap (buffer, &map);
    gst_buffer_unref (buffer);
  }
  dir = g_dir_open (f.cache_dir, 0, NULL);
  fail_unless (dir != NULL);
  while ((name = g_dir_read_name (dir)))
    if (g_str_has_suffix (name, ".mp4"))
      cached = g_build_filename (f.cache_dir, name, NULL);
  g_dir_close (dir);
  fail_unless (cached != NULL, "no clip in the cache");
  fail_unless (g_file_get_contents (cached, &data, &size, NULL));
  fail_unless (size > 0);
  fail_unless_equals_uint64 (bytes->len, size);
  fail_unless (memcmp (bytes->data, data, size) == 0);
  fail_unless_equals_int (tasks_created (&f, "text2video"), 1);
  g_free (data);
  g_free (cached);
  g_byte_array_unref (bytes);
  fixture_stop (&f);
}

GST_END_TEST;

static void
check_refused_without_request (Fixture * f, const gchar * prompt)
{
  GstMessage *message;
  GError *error = NULL;

  start_harness (f, make_element (f, "prompt", prompt, NULL), "video/x-raw");
  message = gst_bus_timed_pop_filtered (f->bus, POP_TIMEOUT, GST_MESSAGE_ERROR);
  fail_unless (message != NULL, "no error for prompt \"%s\"", prompt);
  gst_message_parse_error (message, &error, NULL);
  fail_unless (g_error_matches (error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_SETTINGS), "%s", error->message);
  fail_unless_equals_string (error->message,
      "klingtext2video has no prompt: set prompt to what the clip should show.");
  /* The pads end as a source's do after an error. */
  gst_event_unref (pull_event_of_type (f->h, GST_EVENT_EOS));
  fail_unless_equals_int (create_requests (f), 0);
  g_error_free (error);
  gst_message_unref (message);
}

GST_START_TEST (test_no_prompt_is_refused_before_any_request)
{
  Fixture f;

  fixture_start (&f);
  check_refused_without_request (&f, NULL);
  fixture_stop (&f);
  fixture_start (&f);
  check_refused_without_request (&f, "   ");
  fixture_stop (&f);
}

GST_END_TEST;

/* sound=true: the clip has Kling's native audio and audio_src carries it. */
GST_START_TEST (test_sound_leaves_on_audio_src)
{
  Fixture f;
  GstElement *pipeline, *element, *video_sink, *audio_sink;
  GstSample *sample;
  guint64 audio_ns = 0;
  guint video_frames = 0;
  GstMessage *message;

  fixture_start (&f);
  pipeline = gst_pipeline_new (NULL);
  element = make_element (&f, "sound", TRUE, NULL);
  gst_element_set_bus (element, NULL);
  video_sink = gst_element_factory_make ("appsink", NULL);
  audio_sink = gst_element_factory_make ("appsink", NULL);
  g_object_set (video_sink, "sync", FALSE, NULL);
  g_object_set (audio_sink, "sync", FALSE, NULL);
  gst_bin_add_many (GST_BIN (pipeline), element, video_sink, audio_sink, NULL);
  fail_unless (gst_element_link_pads (element, "src", video_sink, "sink"));
  fail_unless (gst_element_link_pads (element, "audio_src", audio_sink,
          "sink"));
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING)
      != GST_STATE_CHANGE_FAILURE);

  while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (video_sink),
              POP_TIMEOUT))) {
    video_frames++;
    gst_sample_unref (sample);
  }
  while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (audio_sink),
              POP_TIMEOUT))) {
    audio_ns += GST_BUFFER_DURATION (gst_sample_get_buffer (sample));
    gst_sample_unref (sample);
  }
  message =
      gst_bus_pop_filtered (GST_ELEMENT_BUS (pipeline), GST_MESSAGE_ERROR);
  fail_unless (message == NULL);
  fail_unless (gst_app_sink_is_eos (GST_APP_SINK (audio_sink)));
  fail_unless_equals_int (video_frames, CLIP_S * CLIP_FPS);
  /* The sound lasts the clip, to a frame. */
  fail_unless (audio_ns > (CLIP_S - 0.1) * GST_SECOND
      && audio_ns < (CLIP_S + 0.1) * GST_SECOND,
      "%" G_GUINT64_FORMAT " ns of audio", audio_ns);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  fixture_stop (&f);
}

GST_END_TEST;

/* ------------------------------------------------------------------------- */
/* kling:// URIs (no server: only the properties they set)                   */

GST_START_TEST (test_uri_sets_the_properties)
{
  GError *error = NULL;
  GstElement *element;
  gchar *prompt = NULL, *model = NULL, *uri;
  gint ratio, duration;
  gboolean sound;

  element = gst_element_make_from_uri (GST_URI_SRC,
      "kling://text2video?prompt=a%20red+fox&model-name=kling-v2-6&duration=10"
      "&aspect-ratio=9%3A16&sound=true", NULL, &error);
  fail_unless (element != NULL, "%s", error ? error->message : "?");
  fail_unless_equals_string (GST_OBJECT_NAME (gst_element_get_factory
          (element)), "klingtext2video");
  g_object_get (element, "prompt", &prompt, "model-name", &model, "duration",
      &duration, "aspect-ratio", &ratio, "sound", &sound, NULL);
  fail_unless_equals_string (prompt, "a red fox");
  fail_unless_equals_string (model, "kling-v2-6");
  fail_unless_equals_int (duration, 10);
  fail_unless_equals_int (ratio, 1);    /* 9:16 */
  fail_unless (sound);
  uri = gst_uri_handler_get_uri (GST_URI_HANDLER (element));
  fail_unless (g_str_has_prefix (uri, "kling://text2video?prompt="));
  g_free (uri);
  g_free (prompt);
  g_free (model);
  gst_object_unref (element);
}

GST_END_TEST;

static void
check_uri_refused (const gchar * uri, const gchar * expected_part)
{
  GstElement *element = gst_element_factory_make ("klingtext2video", NULL);
  GError *error = NULL;
  gchar *prompt = NULL;

  fail_if (gst_uri_handler_set_uri (GST_URI_HANDLER (element), uri, &error),
      "%s was taken", uri);
  fail_unless (error != NULL && error->domain == GST_URI_ERROR);
  fail_unless (strstr (error->message, expected_part) != NULL, "%s: %s", uri,
      error->message);
  /* All or none: the prompt given before the bad key was not set. */
  g_object_get (element, "prompt", &prompt, NULL);
  fail_unless (prompt == NULL, "prompt \"%s\" was set", prompt);
  g_error_free (error);
  gst_object_unref (element);
}

GST_START_TEST (test_uri_refusals)
{
  check_uri_refused ("kling://text2video?prompt=x&colour=red",
      "\"colour\", which is not a property");
  check_uri_refused ("kling://text2video?prompt=x&api-key=secret",
      "cannot carry api-key");
  check_uri_refused ("kling://text2video?prompt=x&api-url=http://evil.example",
      "cannot carry api-url");
  check_uri_refused ("kling://text2video?prompt=x&task-id=abc",
      "\"task-id\", which is not a property");
  check_uri_refused ("kling://text2video?prompt=x&duration=16",
      "duration=\"16\", outside");
  check_uri_refused ("kling://text2video?prompt=x&cfg-scale=2",
      "cfg-scale=\"2\", outside");
  check_uri_refused ("kling://image2video?prompt=x",
      "is not a kling://text2video URI");
}

GST_END_TEST;

static Suite *
text2video_suite (void)
{
  Suite *s = suite_create ("klingtext2video");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_decoded_render);
  tcase_add_test (tc, test_aspect_ratio_reaches_the_request);
  tcase_add_test (tc, test_passthrough_render);
  tcase_add_test (tc, test_no_prompt_is_refused_before_any_request);
  tcase_add_test (tc, test_sound_leaves_on_audio_src);
  tcase_add_test (tc, test_uri_sets_the_properties);
  tcase_add_test (tc, test_uri_refusals);
  return s;
}

GST_CHECK_MAIN (text2video);
