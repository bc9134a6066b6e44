/* gst-kling: klingimage2video through GstHarness against an in-process kling-sandbox.
 *
 * Each test starts its own sandbox (small video, short delays) and cache directory, so
 * counters and cache hits belong to that test alone.
 */
#include <string.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>

#include <gst/app/gstappsink.h>

#include "test-fs.h"
#include "harness-util.h"
#include "still-util.h"
#include "kling-requests.h"
#include "kling-sandbox.h"
#include "element-fixture.h"

#define ACCESS_KEY  "ak-element-tests"
#define SECRET_KEY  "sk-element-tests-secret"
#define PROMPT      "a slow zoom over colour bars"
/* The sandbox's std size (1280x720) times its video_scale. */
#define CLIP_WIDTH  320
#define CLIP_HEIGHT 180
#define CLIP_FPS    24          /* kling-v3, the default model */
#define CLIP_S      5
#define PULL_TIMEOUT (20 * G_USEC_PER_SEC)

static void
fixture_start (Fixture * f, gdouble queue_delay_s, gdouble render_delay_s)
{
  FixtureOptions options = {.access_key = ACCESS_KEY,.secret_key = SECRET_KEY,
    .cache_template = "kling-elements-XXXXXX",.queue_delay_s = queue_delay_s,
    .render_delay_s = render_delay_s
  };

  fixture_start_sandbox (f, &options);
}

/* A klingimage2video pointed at the sandbox, with the test's bus; extra properties as
 * name/value pairs ending with NULL. */
static GstElement *
make_element (Fixture * f, const gchar * first_property, ...)
{
  GstElement *element = fixture_new_element (f, "klingimage2video");
  va_list args;

  g_object_set (element, "prompt", PROMPT, NULL);
  va_start (args, first_property);
  if (first_property)
    g_object_set_valist (G_OBJECT (element), first_property, args);
  va_end (args);
  return element;
}

static void
start_harness (Fixture * f, GstElement * element, const gchar * sink_caps)
{
  f->h = gst_harness_new_with_element (element, "sink", "src");
  if (sink_caps)
    gst_harness_set_sink_caps_str (f->h, sink_caps);
  gst_object_unref (element);
}

static GstBuffer *
raw_frame (GstHarness * h, gint width, gint height)
{
  GstVideoInfo info;
  GstBuffer *buffer;
  GstMapInfo map;
  gsize i;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, width, height);
  gst_harness_set_src_caps (h, gst_video_info_to_caps (&info));
  buffer = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  for (i = 0; i < map.size; i++)
    map.data[i] = (guint8) (i * 7);     /* not flat, so the JPEG has content */
  gst_buffer_unmap (buffer, &map);
  GST_BUFFER_PTS (buffer) = 0;
  return buffer;
}

static GstBuffer *
media_file_buffer (const gchar * name)
{
  gchar *path = g_build_filename (MEDIA_DIR, name, NULL);
  gchar *data;
  gsize size;

  fail_unless (g_file_get_contents (path, &data, &size, NULL), "%s", path);
  g_free (path);
  return gst_buffer_new_wrapped (data, size);
}

static gint64
create_requests (Fixture * f)
{
  return counter (f, "requests", "POST /v1/videos/image2video");
}

static void
add_fault (Fixture * f, const gchar * rule)
{
  GError *error = NULL;

  fail_unless (kling_sandbox_add_fault_json (f->sandbox, rule, &error),
      "fault %s: %s", rule, error ? error->message : "?");
}

static GstMessage *
pop_message (Fixture * f, GstMessageType types)
{
  return gst_bus_timed_pop_filtered (f->bus, PULL_TIMEOUT * GST_USECOND, types);
}

/* The output's buffers up to EOS: checks the timestamps run from 0 without gaps or
 * overlaps and returns how many there were. */
static guint
check_clip_until_eos (GstHarness * h, GstClockTime start)
{
  GstClockTime expected = start;
  GstEvent *eos = pull_event_of_type (h, GST_EVENT_EOS);
  GstBuffer *buffer;
  guint frames = 0;

  gst_event_unref (eos);
  while ((buffer = gst_harness_try_pull (h))) {
    fail_unless (GST_BUFFER_PTS_IS_VALID (buffer));
    fail_unless (GST_BUFFER_DURATION_IS_VALID (buffer));
    if (frames == 0)
      fail_unless (GST_BUFFER_PTS (buffer) <= start + GST_MSECOND
          && GST_BUFFER_PTS (buffer) + GST_BUFFER_DURATION (buffer) > start,
          "first frame at %" GST_TIME_FORMAT,
          GST_TIME_ARGS (GST_BUFFER_PTS (buffer)));
    else
      fail_unless (ABS (GST_CLOCK_DIFF (expected, GST_BUFFER_PTS (buffer))) <
          GST_MSECOND, "gap before %" GST_TIME_FORMAT,
          GST_TIME_ARGS (GST_BUFFER_PTS (buffer)));
    expected = GST_BUFFER_PTS (buffer) + GST_BUFFER_DURATION (buffer);
    frames++;
    gst_buffer_unref (buffer);
  }
  return frames;
}

static void
check_output_caps (GstHarness * h)
{
  GstEvent *event = pull_event_of_type (h, GST_EVENT_CAPS);
  GstCaps *caps;
  GstVideoInfo info;

  gst_event_parse_caps (event, &caps);
  fail_unless (gst_video_info_from_caps (&info, caps));
  fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&info), CLIP_WIDTH);
  fail_unless_equals_int (GST_VIDEO_INFO_HEIGHT (&info), CLIP_HEIGHT);
  fail_unless_equals_int (GST_VIDEO_INFO_FPS_N (&info), CLIP_FPS);
  fail_unless_equals_int (GST_VIDEO_INFO_FPS_D (&info), 1);
  gst_event_unref (event);
}

/* A whole clip: caps, a time segment from 0, the tags, every frame, EOS. */
static void
check_full_clip (Fixture * f)
{
  GstEvent *event;
  const GstSegment *segment;
  GstTagList *tags;
  gchar *text = NULL, *task_id = NULL;

  check_output_caps (f->h);
  event = pull_event_of_type (f->h, GST_EVENT_SEGMENT);
  gst_event_parse_segment (event, &segment);
  fail_unless_equals_int (segment->format, GST_FORMAT_TIME);
  fail_unless_equals_uint64 (segment->start, 0);
  gst_event_unref (event);

  event = pull_event_of_type (f->h, GST_EVENT_TAG);
  gst_event_parse_tag (event, &tags);
  fail_unless (gst_tag_list_get_string (tags, GST_TAG_DESCRIPTION, &text));
  fail_unless_equals_string (text, PROMPT);
  g_free (text);
  fail_unless (gst_tag_list_get_string (tags, "kling-model", &text));
  fail_unless_equals_string (text, "kling-v3");
  g_free (text);
  fail_unless (gst_tag_list_get_string (tags, "kling-mode", &text));
  fail_unless_equals_string (text, "std");
  g_free (text);
  fail_unless (gst_tag_list_get_string (tags, "kling-task-id", &text));
  g_object_get (f->h->element, "task-id", &task_id, NULL);
  fail_unless_equals_string (text, task_id);
  g_free (text);
  g_free (task_id);
  fail_unless (gst_tag_list_get_string (tags, "kling-video-id", &text));
  g_object_get (f->h->element, "video-id", &task_id, NULL);
  fail_unless_equals_string (text, task_id);
  g_free (text);
  g_free (task_id);
  gst_event_unref (event);

  fail_unless_equals_int (check_clip_until_eos (f->h, 0), CLIP_S * CLIP_FPS);
}

static void wait_for_progress (Fixture * f, GstProgressType type);

/* Runs a JPEG still through a fresh element and expects an error. */
static void
run_expecting_error (Fixture * f, GstElement * element, GQuark domain,
    gint code, const gchar * words)
{
  start_harness (f, element, NULL);
  push_jpeg_still (f);
  /* The progress of the submitted task ends in ERROR, then the error itself. */
  wait_for_progress (f, GST_PROGRESS_TYPE_ERROR);
  check_error (pop_error (f), domain, code, words);
  stop_element (f);
}

/* ------------------------------------------------------------------------- */

GST_START_TEST (test_raw_input)
{
  Fixture f;

  fixture_start (&f, 0.1, 0.2);
  start_harness (&f, make_element (&f, NULL), NULL);
  fail_unless_equals_int (gst_harness_push (f.h, raw_frame (f.h, 640, 360)),
      GST_FLOW_EOS);
  check_full_clip (&f);
  fail_unless_equals_int (tasks_created (&f, "image2video"), 1);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_jpeg_input_and_later_buffers_refused)
{
  Fixture f;

  fixture_start (&f, 0.1, 0.2);
  start_harness (&f, make_element (&f, NULL), NULL);
  push_jpeg_still (&f);
  /* Only the first buffer is the still: upstream is told to stop. */
  fail_unless_equals_int (gst_harness_push (f.h,
          media_file_buffer ("still.jpg")), GST_FLOW_EOS);
  check_full_clip (&f);
  fail_unless_equals_int (tasks_created (&f, "image2video"), 1);
  fail_unless_equals_int (create_requests (&f), 1);
  fixture_stop (&f);
}

GST_END_TEST;

static gboolean
progress_is (GstMessage * message, GstProgressType type)
{
  GstProgressType got;

  gst_message_parse_progress (message, &got, NULL, NULL);
  return got == type;
}

GST_START_TEST (test_progress_and_task_messages)
{
  Fixture f;
  GstMessage *message;
  gboolean started = FALSE, continued = FALSE, completed = FALSE;
  gboolean saw_task = FALSE, saw_succeed = FALSE;
  gchar *task_id;

  fixture_start (&f, 0.1, 0.3);
  start_harness (&f, make_element (&f, NULL), NULL);
  push_jpeg_still (&f);
  gst_event_unref (pull_event_of_type (f.h, GST_EVENT_EOS));
  g_object_get (f.h->element, "task-id", &task_id, NULL);
  fail_unless (task_id != NULL);

  while ((message = gst_bus_pop (f.bus))) {
    if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_PROGRESS) {
      fail_if (completed, "progress after COMPLETE");
      if (progress_is (message, GST_PROGRESS_TYPE_START))
        started = TRUE;
      else if (progress_is (message, GST_PROGRESS_TYPE_CONTINUE))
        continued = started;
      else if (progress_is (message, GST_PROGRESS_TYPE_COMPLETE))
        completed = continued;
    } else if (gst_message_has_name (message, "kling-task")) {
      const GstStructure *s = gst_message_get_structure (message);
      gdouble elapsed;

      fail_unless_equals_string (gst_structure_get_string (s, "task-id"),
          task_id);
      fail_unless_equals_string (gst_structure_get_string (s, "endpoint"),
          "image2video");
      fail_unless (gst_structure_get_double (s, "elapsed", &elapsed));
      fail_unless (elapsed >= 0.0);
      saw_task = TRUE;
      if (!g_strcmp0 (gst_structure_get_string (s, "status"), "succeed"))
        saw_succeed = TRUE;
    }
    gst_message_unref (message);
  }
  fail_unless (started && continued && completed,
      "progress start %d continue %d complete %d", started, continued,
      completed);
  fail_unless (saw_task && saw_succeed);
  g_free (task_id);
  fixture_stop (&f);
}

GST_END_TEST;

/* Downstream that only takes RGBA at 160x90 gets it, without a videoconvert of its own. */
GST_START_TEST (test_output_follows_downstream_caps)
{
  Fixture f;
  GstEvent *event;
  GstCaps *caps;
  GstVideoInfo info;

  fixture_start (&f, 0.1, 0.2);
  start_harness (&f, make_element (&f, NULL),
      "video/x-raw, format=RGBA, width=160, height=90");
  push_jpeg_still (&f);
  event = pull_event_of_type (f.h, GST_EVENT_CAPS);
  gst_event_parse_caps (event, &caps);
  fail_unless (gst_video_info_from_caps (&info, caps));
  fail_unless_equals_int (GST_VIDEO_INFO_FORMAT (&info), GST_VIDEO_FORMAT_RGBA);
  fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&info), 160);
  fail_unless_equals_int (GST_VIDEO_INFO_HEIGHT (&info), 90);
  gst_event_unref (event);
  fail_unless_equals_int (check_clip_until_eos (f.h, 0), CLIP_S * CLIP_FPS);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_passthrough)
{
  Fixture f;
  GstEvent *event;
  GstCaps *caps;
  GstBuffer *buffer;
  GByteArray *bytes = g_byte_array_new ();
  gchar *video_id, *clip_path, *clip;
  gsize clip_size;
  gint64 size;

  fixture_start (&f, 0.1, 0.2);
  start_harness (&f, make_element (&f, NULL), "video/quicktime");
  push_jpeg_still (&f);

  event = pull_event_of_type (f.h, GST_EVENT_CAPS);
  gst_event_parse_caps (event, &caps);
  fail_unless (gst_structure_has_name (gst_caps_get_structure (caps, 0),
          "video/quicktime"));
  gst_event_unref (event);
  gst_event_unref (pull_event_of_type (f.h, GST_EVENT_EOS));
  while ((buffer = gst_harness_try_pull (f.h))) {
    GstMapInfo map;

    gst_buffer_map (buffer, &map, GST_MAP_READ);
    g_byte_array_append (bytes, map.data, map.size);
    gst_buffer_unmap (buffer, &map);
    gst_buffer_unref (buffer);
  }

  /* An MP4 (ftyp first), byte for byte the file in the cache. */
  fail_unless (bytes->len > 8);
  fail_unless (memcmp (bytes->data + 4, "ftyp", 4) == 0);
  g_object_get (f.h->element, "video-id", &video_id, NULL);
  fail_unless (video_id != NULL);
  clip_path = NULL;
  {
    GDir *dir = g_dir_open (f.cache_dir, 0, NULL);
    const gchar *name;

    while (dir && (name = g_dir_read_name (dir)))
      if (g_str_has_suffix (name, ".mp4"))
        clip_path = g_build_filename (f.cache_dir, name, NULL);
    if (dir)
      g_dir_close (dir);
  }
  fail_unless (clip_path != NULL, "no clip in the cache");
  fail_unless (g_file_get_contents (clip_path, &clip, &clip_size, NULL));
  fail_unless_equals_uint64 (clip_size, bytes->len);
  /* Byte queries answer with the file. */
  fail_unless (gst_element_query_duration (f.h->element, GST_FORMAT_BYTES,
          &size));
  fail_unless_equals_int64 (size, clip_size);
  fail_unless (gst_element_query_position (f.h->element, GST_FORMAT_BYTES,
          &size));
  fail_unless_equals_int64 (size, clip_size);
  fail_unless (memcmp (clip, bytes->data, clip_size) == 0);
  g_free (clip);
  g_free (clip_path);
  g_free (video_id);
  g_byte_array_unref (bytes);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_seek)
{
  Fixture f;
  GstBuffer *buffer;
  GstEvent *event;
  const GstSegment *segment;
  const GstClockTime target = 2 * GST_SECOND;

  fixture_start (&f, 0.1, 0.2);
  start_harness (&f, make_element (&f, NULL), NULL);
  push_jpeg_still (&f);
  check_full_clip (&f);

  /* Seeks the element cannot honour are refused, not half done. */
  fail_if (gst_harness_push_upstream_event (f.h,
          gst_event_new_seek (1.0, GST_FORMAT_TIME, GST_SEEK_FLAG_NONE,
              GST_SEEK_TYPE_SET, target, GST_SEEK_TYPE_NONE, -1)));
  fail_if (gst_harness_push_upstream_event (f.h,
          gst_event_new_seek (1.0, GST_FORMAT_TIME,
              GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_SEGMENT,
              GST_SEEK_TYPE_SET, target, GST_SEEK_TYPE_NONE, -1)));
  fail_if (gst_harness_push_upstream_event (f.h,
          gst_event_new_seek (1.0, GST_FORMAT_BYTES, GST_SEEK_FLAG_FLUSH,
              GST_SEEK_TYPE_SET, 0, GST_SEEK_TYPE_NONE, -1)));

  /* The whole clip went out: seek back into it. */
  fail_unless (gst_harness_push_upstream_event (f.h,
          gst_event_new_seek (1.0, GST_FORMAT_TIME,
              GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE,
              GST_SEEK_TYPE_SET, target, GST_SEEK_TYPE_NONE, -1)));
  gst_event_unref (pull_event_of_type (f.h, GST_EVENT_FLUSH_START));
  gst_event_unref (pull_event_of_type (f.h, GST_EVENT_FLUSH_STOP));
  event = pull_event_of_type (f.h, GST_EVENT_SEGMENT);
  gst_event_parse_segment (event, &segment);
  fail_unless_equals_uint64 (segment->start, target);
  fail_unless_equals_uint64 (segment->time, target);
  gst_event_unref (event);

  fail_unless_equals_int (check_clip_until_eos (f.h, target),
      (CLIP_S - 2) * CLIP_FPS);
  buffer = gst_harness_try_pull (f.h);
  fail_unless (buffer == NULL);
  fixture_stop (&f);
}

GST_END_TEST;

/* A seek before the clip exists: the clip starts there. */
GST_START_TEST (test_seek_before_clip)
{
  Fixture f;
  GstEvent *event;
  const GstSegment *segment;
  const GstClockTime target = 3 * GST_SECOND;

  fixture_start (&f, 0.1, 0.2);
  start_harness (&f, make_element (&f, NULL), NULL);
  fail_unless (gst_harness_push_upstream_event (f.h,
          gst_event_new_seek (1.0, GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH,
              GST_SEEK_TYPE_SET, target, GST_SEEK_TYPE_NONE, -1)));
  push_jpeg_still (&f);
  check_output_caps (f.h);
  event = pull_event_of_type (f.h, GST_EVENT_SEGMENT);
  gst_event_parse_segment (event, &segment);
  fail_unless_equals_uint64 (segment->start, target);
  gst_event_unref (event);
  fail_unless_equals_int (check_clip_until_eos (f.h, target),
      (CLIP_S - 3) * CLIP_FPS);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_cache_reuse)
{
  Fixture f;

  fixture_start (&f, 0.1, 0.2);
  start_harness (&f, make_element (&f, NULL), NULL);
  push_jpeg_still (&f);
  check_full_clip (&f);
  stop_element (&f);
  fail_unless_equals_int (tasks_created (&f, "image2video"), 1);

  /* Same still, same properties: the clip comes from the cache. */
  start_harness (&f, make_element (&f, NULL), NULL);
  push_jpeg_still (&f);
  check_full_clip (&f);
  fail_unless_equals_int (tasks_created (&f, "image2video"), 1);
  fail_unless_equals_int (create_requests (&f), 1);

  /* Another prompt is another render. */
  stop_element (&f);
  start_harness (&f, make_element (&f, "prompt", "something else", NULL), NULL);
  push_jpeg_still (&f);
  gst_event_unref (pull_event_of_type (f.h, GST_EVENT_EOS));
  fail_unless_equals_int (tasks_created (&f, "image2video"), 2);
  fixture_stop (&f);
}

GST_END_TEST;

/* cache-dir="" turns the cache off: the clip still comes out, and every run pays. */
GST_START_TEST (test_without_cache)
{
  Fixture f;
  gint run;

  fixture_start (&f, 0.1, 0.2);
  for (run = 1; run <= 2; run++) {
    start_harness (&f, make_element (&f, "cache-dir", "", NULL), NULL);
    push_jpeg_still (&f);
    check_full_clip (&f);
    stop_element (&f);
    fail_unless_equals_int (tasks_created (&f, "image2video"), run);
  }
  fixture_stop (&f);
}

GST_END_TEST;

static guint
count_entries (const gchar * dir_path)
{
  GDir *dir = g_dir_open (dir_path, 0, NULL);
  guint n = 0;

  fail_unless (dir != NULL);
  while (g_dir_read_name (dir))
    n++;
  g_dir_close (dir);
  return n;
}

static void
count_notify (GObject * object, GParamSpec * pspec, gpointer user_data)
{
  g_atomic_int_inc ((gint *) user_data);
}

/* The location of the clip in the cache, checked to be a whole file there; NULL
 * without one. */
static gchar *
cached_location (Fixture * f)
{
  gchar *location = NULL;

  g_object_get (f->h->element, "location", &location, NULL);
  if (location) {
    fail_unless (g_str_has_prefix (location, f->cache_dir), "%s", location);
    fail_unless (g_str_has_suffix (location, ".mp4"), "%s", location);
    fail_unless (g_file_test (location, G_FILE_TEST_IS_REGULAR), "%s",
        location);
  }
  return location;
}

/* cache-mode=off does what cache-dir="" does, and can be typed in a shell: the clip
 * comes out, every run pays, nothing is written under cache-dir. */
GST_START_TEST (test_cache_mode_off)
{
  GstElement *element;
  Fixture f;
  gint run;

  fixture_start (&f, 0.1, 0.2);
  for (run = 1; run <= 2; run++) {
    element = make_element (&f, NULL);
    gst_util_set_object_arg (G_OBJECT (element), "cache-mode", "off");
    start_harness (&f, element, NULL);
    push_jpeg_still (&f);
    check_full_clip (&f);
    fail_unless (cached_location (&f) == NULL);
    stop_element (&f);
    fail_unless_equals_int (tasks_created (&f, "image2video"), run);
  }
  fail_unless_equals_int (count_entries (f.cache_dir), 0);
  fixture_stop (&f);
}

GST_END_TEST;

/* cache-mode=refresh renders again although the clip is cached, and the clip it keeps
 * is then what a later run with the default mode plays. `location` names the cached
 * clip, notified once it is there, NULL before. */
GST_START_TEST (test_cache_mode_refresh)
{
  GstElement *element;
  gchar *first_location, *location = NULL;
  gint notified = 0;
  Fixture f;

  fixture_start (&f, 0.1, 0.2);
  element = make_element (&f, NULL);
  g_object_get (element, "location", &location, NULL);
  fail_unless (location == NULL);
  g_signal_connect (element, "notify::location", G_CALLBACK (count_notify),
      &notified);
  start_harness (&f, element, NULL);
  push_jpeg_still (&f);
  check_full_clip (&f);
  first_location = cached_location (&f);
  fail_unless (first_location != NULL);
  fail_unless_equals_int (g_atomic_int_get (&notified), 1);
  stop_element (&f);
  fail_unless_equals_int (tasks_created (&f, "image2video"), 1);

  element = make_element (&f, NULL);
  gst_util_set_object_arg (G_OBJECT (element), "cache-mode", "refresh");
  start_harness (&f, element, NULL);
  push_jpeg_still (&f);
  check_full_clip (&f);
  stop_element (&f);
  fail_unless_equals_int (tasks_created (&f, "image2video"), 2);

  start_harness (&f, make_element (&f, NULL), NULL);
  push_jpeg_still (&f);
  check_full_clip (&f);
  location = cached_location (&f);
  fail_unless_equals_string (location, first_location);
  g_free (location);
  g_free (first_location);
  stop_element (&f);
  fail_unless_equals_int (tasks_created (&f, "image2video"), 2);
  fixture_stop (&f);
}

GST_END_TEST;

/* Renders @n clips at once, each element with @max_parallel, each its own prompt; returns
 * the most tasks the sandbox had in flight at once. */
static gint64
render_at_once (Fixture * f, guint n, guint max_parallel)
{
  GstHarness *harnesses[3];
  guint i;

  fail_unless (n <= G_N_ELEMENTS (harnesses));
  kling_sandbox_reset (f->sandbox);
  for (i = 0; i < n; i++) {
    gchar *prompt = g_strdup_printf ("render %u of %u, cap %u", i, n,
        max_parallel);
    GstElement *element = make_element (f, "prompt", prompt, "max-parallel",
        max_parallel, NULL);

    harnesses[i] = gst_harness_new_with_element (element, "sink", "src");
    gst_object_unref (element);
    g_free (prompt);
    gst_harness_set_src_caps_str (harnesses[i], "image/jpeg");
    fail_unless_equals_int (gst_harness_push (harnesses[i],
            media_file_buffer ("still.jpg")), GST_FLOW_EOS);
  }
  for (i = 0; i < n; i++) {
    gst_event_unref (pull_event_of_type (harnesses[i], GST_EVENT_EOS));
    gst_harness_teardown (harnesses[i]);
  }
  fail_unless_equals_int (tasks_created (f, "image2video"), n);
  return counter (f, NULL, "peak_parallel");
}

/* max-parallel=1: three renders of one account never overlap at the server; without the
 * cap (the control) they do. */
GST_START_TEST (test_max_parallel)
{
  Fixture f;

  fixture_start (&f, 0.3, 0.6);
  fail_unless_equals_int (render_at_once (&f, 3, 1), 1);
  fail_unless (render_at_once (&f, 3, 0) > 1, "the control never overlapped");
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_error_auth)
{
  Fixture f;

  fixture_start (&f, 0.1, 0.2);
  run_expecting_error (&f, make_element (&f, "secret-key", "not-the-secret",
          NULL), GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_AUTHORIZED,
      "secret-key");
  fail_unless_equals_int (tasks_created (&f, "image2video"), 0);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_error_money)
{
  Fixture f;

  fixture_start (&f, 0.1, 0.2);
  add_fault (&f, "{\"method\":\"POST\",\"path\":\"/v1/videos/image2video\","
      "\"action\":\"status\",\"http\":429,\"code\":1102,"
      "\"message\":\"resource pack exhausted\"}");
  run_expecting_error (&f, make_element (&f, NULL), GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_FAILED, "credit");
  /* Money problems are never retried. */
  fail_unless_equals_int (create_requests (&f), 1);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_error_policy)
{
  Fixture f;

  fixture_start (&f, 0.1, 0.2);
  add_fault (&f, "{\"method\":\"POST\",\"path\":\"/v1/videos/image2video\","
      "\"action\":\"status\",\"http\":400,\"code\":1301,"
      "\"message\":\"content safety\"}");
  run_expecting_error (&f, make_element (&f, NULL), GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, "content");
  fail_unless_equals_int (create_requests (&f), 1);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_error_task_failed)
{
  Fixture f;
  GstMessage *message;
  GError *error = NULL;
  gchar *debug = NULL;

  fixture_start (&f, 0.1, 0.2);
  add_fault (&f,
      "{\"path\":\"/v1/videos/image2video\",\"action\":\"fail-task\","
      "\"message\":\"the render farm caught fire\"}");
  start_harness (&f, make_element (&f, NULL), NULL);
  push_jpeg_still (&f);
  message = pop_error (&f);
  gst_message_parse_error (message, &error, &debug);
  fail_unless (g_error_matches (error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_FAILED), "%s", error->message);
  fail_unless (strstr (debug, "the render farm caught fire") != NULL, "%s",
      debug);
  g_error_free (error);
  g_free (debug);
  gst_message_unref (message);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_error_timeout)
{
  Fixture f;
  gint64 start;

  fixture_start (&f, 0.1, 30.0);
  start = g_get_monotonic_time ();
  run_expecting_error (&f, make_element (&f, "timeout", 0.5, NULL),
      GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED, "did not finish");
  fail_unless (g_get_monotonic_time () - start < 5 * G_USEC_PER_SEC);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_error_bad_image)
{
  Fixture f;

  fixture_start (&f, 0.1, 0.2);
  start_harness (&f, make_element (&f, NULL), NULL);
  fail_unless_equals_int (gst_harness_push (f.h, raw_frame (f.h, 300, 200)),
      GST_FLOW_ERROR);
  check_error (pop_error (&f), GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
      "300");
  /* Refused before any request. */
  fail_unless_equals_int (create_requests (&f), 0);
  fixture_stop (&f);
}

GST_END_TEST;

/* A property Kling would refuse fails before any request. */
GST_START_TEST (test_error_prompt_too_long)
{
  Fixture f;
  gchar *prompt = g_strnfill (2501, 'a');

  fixture_start (&f, 0.1, 0.2);
  start_harness (&f, make_element (&f, "prompt", prompt, NULL), NULL);
  gst_harness_set_src_caps_str (f.h, "image/jpeg");
  fail_unless_equals_int (gst_harness_push (f.h,
          media_file_buffer ("still.jpg")), GST_FLOW_ERROR);
  check_error (pop_error (&f), GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
      "prompt");
  fail_unless_equals_int (create_requests (&f), 0);
  g_free (prompt);
  fixture_stop (&f);
}

GST_END_TEST;

/* A JPEG cut in pieces (filesrc without jpegparse) is refused before any request. */
GST_START_TEST (test_error_partial_jpeg)
{
  Fixture f;
  GstBuffer *whole = media_file_buffer ("still.jpg");

  fixture_start (&f, 0.1, 0.2);
  start_harness (&f, make_element (&f, NULL), NULL);
  gst_harness_set_src_caps_str (f.h, "image/jpeg");
  fail_unless_equals_int (gst_harness_push (f.h,
          gst_buffer_copy_region (whole, GST_BUFFER_COPY_MEMORY, 0, 4096)),
      GST_FLOW_ERROR);
  check_error (pop_error (&f), GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
      "jpegparse");
  fail_unless_equals_int (create_requests (&f), 0);
  gst_buffer_unref (whole);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_png_input)
{
  Fixture f;

  fixture_start (&f, 0.1, 0.2);
  start_harness (&f, make_element (&f, NULL), "video/quicktime");
  gst_harness_set_src_caps_str (f.h, "image/png");
  fail_unless_equals_int (gst_harness_push (f.h,
          media_file_buffer ("square.png")), GST_FLOW_EOS);
  gst_event_unref (pull_event_of_type (f.h, GST_EVENT_EOS));
  fail_unless (gst_bus_pop_filtered (f.bus, GST_MESSAGE_ERROR) == NULL);
  fail_unless_equals_int (tasks_created (&f, "image2video"), 1);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_error_eos_without_image)
{
  Fixture f;

  fixture_start (&f, 0.1, 0.2);
  start_harness (&f, make_element (&f, NULL), NULL);
  gst_harness_set_src_caps_str (f.h, "image/jpeg");
  fail_unless (gst_harness_push_event (f.h, gst_event_new_eos ()));
  check_error (pop_error (&f), GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
      "No image reached klingimage2video");
  fail_unless_equals_int (create_requests (&f), 0);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_error_bad_camera_control)
{
  Fixture f;

  fixture_start (&f, 0.1, 0.2);
  start_harness (&f, make_element (&f, "camera-control",
          "simple, zoom=(string)lots", NULL), NULL);
  gst_harness_set_src_caps_str (f.h, "image/jpeg");
  fail_unless_equals_int (gst_harness_push (f.h,
          media_file_buffer ("still.jpg")), GST_FLOW_ERROR);
  check_error (pop_error (&f), GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
      "camera-control");
  fail_unless_equals_int (create_requests (&f), 0);
  fixture_stop (&f);
}

GST_END_TEST;

/* No model Kling serves takes camera control: refused before any request. */
GST_START_TEST (test_camera_control_refused_on_live_models)
{
  Fixture f;

  fixture_start (&f, 0.1, 0.2);
  start_harness (&f, make_element (&f, "camera-control", "simple, zoom=(int)5",
          NULL), "video/quicktime");
  gst_harness_set_src_caps_str (f.h, "image/jpeg");
  fail_unless_equals_int (gst_harness_push (f.h,
          media_file_buffer ("still.jpg")), GST_FLOW_ERROR);
  check_error (pop_error (&f), GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
      "camera-control is not available on kling-v3");
  fail_unless_equals_int (create_requests (&f), 0);
  fixture_stop (&f);
}

GST_END_TEST;

/* duration is a guint 3..15 (it was an enum of 5 and 10): the old spellings still set it,
 * as gst-launch-1.0 and Python write them. */
GST_START_TEST (test_duration_property)
{
  Fixture f;
  GParamSpec *pspec;
  guint duration;
  gboolean sound;

  fixture_start (&f, 0.1, 0.2);
  {
    GstElement *element = make_element (&f, NULL);

    pspec =
        g_object_class_find_property (G_OBJECT_GET_CLASS (element), "duration");
    fail_unless (G_IS_PARAM_SPEC_UINT (pspec));
    fail_unless_equals_int (G_PARAM_SPEC_UINT (pspec)->minimum, 3);
    fail_unless_equals_int (G_PARAM_SPEC_UINT (pspec)->maximum, 15);
    g_object_get (element, "duration", &duration, "sound", &sound, NULL);
    fail_unless_equals_int (duration, 5);
    fail_unless (!sound);
    gst_util_set_object_arg (G_OBJECT (element), "duration", "10");
    g_object_get (element, "duration", &duration, NULL);
    fail_unless_equals_int (duration, 10);
    gst_util_set_object_arg (G_OBJECT (element), "mode", "4k");
    gst_util_set_object_arg (G_OBJECT (element), "sound", "true");
    g_object_get (element, "sound", &sound, NULL);
    fail_unless (sound);
    gst_object_unref (element);
  }
  fixture_stop (&f);
}

GST_END_TEST;

/* What the model does not render is refused before any request, in the table's words. */
static void
check_refused_locally (const gchar * words, const gchar * first_property, ...)
{
  Fixture f;
  GstElement *element;
  va_list args;

  fixture_start (&f, 0.1, 0.2);
  element = make_element (&f, NULL);
  va_start (args, first_property);
  g_object_set_valist (G_OBJECT (element), first_property, args);
  va_end (args);
  start_harness (&f, element, "video/quicktime");
  gst_harness_set_src_caps_str (f.h, "image/jpeg");
  fail_unless_equals_int (gst_harness_push (f.h,
          media_file_buffer ("still.jpg")), GST_FLOW_ERROR);
  check_error (pop_error (&f), GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
      words);
  fail_unless_equals_int (create_requests (&f), 0);
  fixture_stop (&f);
}

GST_START_TEST (test_model_limits_refused_locally)
{
  check_refused_locally ("set duration to 5 or 10", "model-name", "kling-v2-6",
      "duration", 15, NULL);
  check_refused_locally ("4k is only on", "mode", KLING_MODE_4K, NULL);
  check_refused_locally ("kling-v2-6 makes native audio only in pro mode",
      "model-name", "kling-v2-6", "sound", TRUE, NULL);
  check_refused_locally
      ("kling-v2-5-turbo makes no native audio: set sound=false", "model-name",
      "kling-v2-5-turbo", "sound", TRUE, "mode", KLING_MODE_PRO, NULL);
  check_refused_locally ("kling-v3 needs a prompt: set prompt.", "prompt", "",
      NULL);
  check_refused_locally
      ("Kling no longer serves kling-v1 for image2video (retired "
      "2026-09-15): use kling-v3, kling-v2-6 or kling-v2-5-turbo.",
      "model-name", "kling-v1", NULL);
}

GST_END_TEST;

static gboolean
has_bytes (const GByteArray * haystack, const gchar * needle)
{
  gsize n = strlen (needle), i;

  for (i = 0; i + n <= haystack->len; i++)
    if (memcmp (haystack->data + i, needle, n) == 0)
      return TRUE;
  return FALSE;
}

/* kling-v3 renders 15 s with native audio: the request carries both, and the MP4 that
 * passes through has an audio track ("soun" handler). */
GST_START_TEST (test_long_clip_with_sound_passthrough)
{
  Fixture f;
  GstBuffer *buffer;
  GByteArray *bytes = g_byte_array_new ();

  fixture_start (&f, 0.1, 0.2);
  start_harness (&f, make_element (&f, "duration", 15, "sound", TRUE, NULL),
      "video/quicktime");
  push_jpeg_still (&f);
  gst_event_unref (pull_event_of_type (f.h, GST_EVENT_EOS));
  while ((buffer = gst_harness_try_pull (f.h))) {
    GstMapInfo map;

    gst_buffer_map (buffer, &map, GST_MAP_READ);
    g_byte_array_append (bytes, map.data, map.size);
    gst_buffer_unmap (buffer, &map);
    gst_buffer_unref (buffer);
  }
  fail_unless (bytes->len > 8 && memcmp (bytes->data + 4, "ftyp", 4) == 0);
  fail_unless (has_bytes (bytes, "soun"), "the MP4 has no audio track");
  fail_unless_equals_int (create_requests (&f), 1);
  g_byte_array_unref (bytes);
  fixture_stop (&f);
}

GST_END_TEST;

/* Decoded, the clip's native audio comes out on audio_src: 15 s of it, timestamped from 0
 * like the video. */
GST_START_TEST (test_long_clip_with_sound_decoded)
{
  Fixture f;
  GstElement *element;
  GstHarness *audio;
  GstBuffer *buffer;
  GstClockTime end = 0;
  GstCaps *caps;

  fixture_start (&f, 0.1, 0.2);
  element = make_element (&f, "duration", 15, "sound", TRUE, NULL);
  f.h = gst_harness_new_with_element (element, "sink", "src");
  audio = gst_harness_new_with_element (element, NULL, "audio_src");
  gst_object_unref (element);
  push_jpeg_still (&f);

  gst_event_unref (pull_event_of_type (audio, GST_EVENT_EOS));
  caps = gst_pad_get_current_caps (audio->sinkpad);
  fail_unless (caps != NULL
      && gst_structure_has_name (gst_caps_get_structure (caps, 0),
          "audio/x-raw"));
  gst_caps_unref (caps);
  while ((buffer = gst_harness_try_pull (audio))) {
    fail_unless (GST_BUFFER_PTS_IS_VALID (buffer)
        && GST_BUFFER_DURATION_IS_VALID (buffer));
    end = MAX (end, GST_BUFFER_PTS (buffer) + GST_BUFFER_DURATION (buffer));
    gst_buffer_unref (buffer);
  }
  fail_unless (ABS (GST_CLOCK_DIFF (end, 15 * GST_SECOND)) < GST_SECOND / 10,
      "audio ends at %" GST_TIME_FORMAT, GST_TIME_ARGS (end));
  fail_unless_equals_int (check_clip_until_eos (f.h, 0), 15 * CLIP_FPS);
  gst_harness_teardown (audio);
  fixture_stop (&f);
}

GST_END_TEST;

/* A flat I420 frame of one colour. */
static GstBuffer *
flat_frame (GstHarness * h, gint width, gint height, guint8 y, guint8 u,
    guint8 v)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  GstBuffer *buffer;
  gint plane;
  const guint8 values[3] = { y, u, v };

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, width, height);
  gst_harness_set_src_caps (h, gst_video_info_to_caps (&info));
  buffer = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  fail_unless (gst_video_frame_map (&frame, &info, buffer, GST_MAP_WRITE));
  for (plane = 0; plane < 3; plane++)
    memset (GST_VIDEO_FRAME_PLANE_DATA (&frame, plane), values[plane],
        GST_VIDEO_FRAME_PLANE_STRIDE (&frame, plane) *
        GST_VIDEO_FRAME_COMP_HEIGHT (&frame, plane));
  gst_video_frame_unmap (&frame);
  GST_BUFFER_PTS (buffer) = 0;
  return buffer;
}

/* The mean of one plane of an I420 frame of the clip's size. */
static gdouble
plane_mean (GstBuffer * buffer, gint plane)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  gdouble sum = 0;
  gint x, y, w, h;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, CLIP_WIDTH,
      CLIP_HEIGHT);
  fail_unless (gst_video_frame_map (&frame, &info, buffer, GST_MAP_READ));
  w = GST_VIDEO_FRAME_COMP_WIDTH (&frame, plane);
  h = GST_VIDEO_FRAME_COMP_HEIGHT (&frame, plane);
  for (y = 0; y < h; y++)
    for (x = 0; x < w; x++)
      sum += ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, plane))
          [y * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, plane) + x];
  gst_video_frame_unmap (&frame);
  return sum / (w * h);
}

/* A still on the end_frame request pad goes as image_tail: nothing is sent until both
 * stills are in, and the clip ends on the end frame's colour. */
GST_START_TEST (test_end_frame_shows_at_the_end)
{
  const guint8 red[3] = { 81, 90, 240 };
  Fixture f;
  GstElement *element;
  GstHarness *end;
  GstBuffer *buffer, *first_frame = NULL, *last = NULL;
  gint plane;

  fixture_start (&f, 0.1, 0.2);
  element = make_element (&f, NULL);
  f.h = gst_harness_new_with_element (element, "sink", "src");
  gst_harness_set_sink_caps_str (f.h, "video/x-raw, format=I420");
  end = gst_harness_new_with_element (element, "end_frame", NULL);
  gst_object_unref (element);
  fail_unless_equals_int (gst_harness_push (end, flat_frame (end, 640, 360,
              red[0], red[1], red[2])), GST_FLOW_EOS);
  /* Still waiting for the first frame: no request yet. */
  fail_unless_equals_int (create_requests (&f), 0);
  fail_unless_equals_int (gst_harness_push (f.h, raw_frame (f.h, 640, 360)),
      GST_FLOW_EOS);

  gst_event_unref (pull_event_of_type (f.h, GST_EVENT_EOS));
  while ((buffer = gst_harness_try_pull (f.h))) {
    if (!first_frame)
      first_frame = gst_buffer_ref (buffer);
    if (last)
      gst_buffer_unref (last);
    last = buffer;
  }
  fail_unless (last != NULL);
  /* The clip starts on the first still (nowhere near red), ends on the end frame (within
   * what H.264 and the sandbox's colour conversion leave of a flat red). */
  fail_unless (ABS (plane_mean (first_frame, 2) - red[2]) > 60);
  gst_buffer_unref (first_frame);
  for (plane = 0; plane < 3; plane++)
    fail_unless (ABS (plane_mean (last, plane) - red[plane]) < 24,
        "plane %d of the last frame: %f, the end frame: %d", plane,
        plane_mean (last, plane), red[plane]);
  gst_buffer_unref (last);
  fail_unless_equals_int (create_requests (&f), 1);
  gst_harness_teardown (end);
  fixture_stop (&f);
}

GST_END_TEST;

/* kling-v2-6 takes an end frame only in std: refused before any request. */
GST_START_TEST (test_end_frame_refused_in_pro_on_v2_6)
{
  Fixture f;
  GstElement *element;
  GstHarness *end;

  fixture_start (&f, 0.1, 0.2);
  element =
      make_element (&f, "model-name", "kling-v2-6", "mode", KLING_MODE_PRO,
      NULL);
  f.h = gst_harness_new_with_element (element, "sink", "src");
  end = gst_harness_new_with_element (element, "end_frame", NULL);
  gst_object_unref (element);
  fail_unless_equals_int (gst_harness_push (end, flat_frame (end, 640, 360, 81,
              90, 240)), GST_FLOW_EOS);
  gst_harness_set_src_caps_str (f.h, "image/jpeg");
  fail_unless_equals_int (gst_harness_push (f.h,
          media_file_buffer ("still.jpg")), GST_FLOW_ERROR);
  check_error (pop_error (&f), GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
      "kling-v2-6 takes an end frame only in std mode (720p): set mode=std, or drop "
      "the end frame.");
  fail_unless_equals_int (create_requests (&f), 0);
  gst_harness_teardown (end);
  fixture_stop (&f);
}

GST_END_TEST;

/* A name the table does not know is sent (Kling adds models) with a warning; Kling's own
 * refusal (404, code 1203) then becomes the sentence that names the live models. */
GST_START_TEST (test_unknown_model_warns_then_is_refused)
{
  Fixture f;
  GstMessage *message;
  GError *error = NULL;

  fixture_start (&f, 0.1, 0.2);
  start_harness (&f, make_element (&f, "model-name", "kling-v9-imaginary",
          NULL), "video/quicktime");
  push_jpeg_still (&f);
  message = pop_message (&f, GST_MESSAGE_WARNING);
  fail_unless (message != NULL);
  gst_message_parse_warning (message, &error, NULL);
  fail_unless (strstr (error->message, "kling-v9-imaginary") != NULL);
  g_error_free (error);
  gst_message_unref (message);
  check_error (pop_error (&f), GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
      "Kling does not serve kling-v9-imaginary for image2video (404, code 1203): use "
      "kling-v3, kling-v2-6 or kling-v2-5-turbo.");
  fail_unless_equals_int (create_requests (&f), 1);
  fail_unless_equals_int (tasks_created (&f, "image2video"), 0);
  fixture_stop (&f);
}

GST_END_TEST;

/* A raw frame whose JPEG would exceed Kling's 10 MB is scaled down, not refused. */
GST_START_TEST (test_huge_raw_frame_is_shrunk)
{
  Fixture f;
  GstBuffer *buffer;
  GstMapInfo map;
  GRand *rand = g_rand_new_with_seed (42);
  gsize i;

  fixture_start (&f, 0.1, 0.2);
  start_harness (&f, make_element (&f, NULL), "video/quicktime");
  /* Noise does not compress: well over 10 MB as a JPEG at this size. */
  buffer = raw_frame (f.h, 4000, 4000);
  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  for (i = 0; i < map.size; i++)
    map.data[i] = g_rand_int (rand) & 0xff;
  gst_buffer_unmap (buffer, &map);
  g_rand_free (rand);
  fail_unless_equals_int (gst_harness_push (f.h, buffer), GST_FLOW_EOS);
  gst_event_unref (pull_event_of_type (f.h, GST_EVENT_EOS));
  fail_unless (gst_bus_pop_filtered (f.bus, GST_MESSAGE_ERROR) == NULL);
  fail_unless_equals_int (tasks_created (&f, "image2video"), 1);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_retry_then_success)
{
  Fixture f;

  fixture_start (&f, 0.1, 0.2);
  add_fault (&f, "{\"method\":\"POST\",\"path\":\"/v1/videos/image2video\","
      "\"action\":\"status\",\"http\":429,\"code\":1303,\"retry_after\":1,"
      "\"message\":\"too many parallel tasks\"}");
  start_harness (&f, make_element (&f, NULL), NULL);
  push_jpeg_still (&f);
  check_full_clip (&f);
  fail_unless_equals_int (tasks_created (&f, "image2video"), 1);
  fail_unless (create_requests (&f) >= 2);
  fail_unless (gst_bus_pop_filtered (f.bus, GST_MESSAGE_ERROR) == NULL);
  fixture_stop (&f);
}

GST_END_TEST;

/* A failing poll and a download cut in half are retried; the clip comes out whole. */
GST_START_TEST (test_server_error_and_truncated_download_retried)
{
  Fixture f;

  fixture_start (&f, 0.1, 0.2);
  add_fault (&f, "{\"method\":\"GET\",\"path\":\"/v1/videos/image2video/\","
      "\"action\":\"status\",\"http\":500,\"code\":5000,"
      "\"message\":\"internal error\"}");
  add_fault (&f, "{\"method\":\"GET\",\"path\":\"/files/\","
      "\"action\":\"truncated\"}");
  start_harness (&f, make_element (&f, NULL), NULL);
  push_jpeg_still (&f);
  check_full_clip (&f);
  fail_unless (gst_bus_pop_filtered (f.bus, GST_MESSAGE_ERROR) == NULL);
  fail_unless_equals_int (counter (&f, NULL, "faults_hit"), 2);
  fail_unless_equals_int (tasks_created (&f, "image2video"), 1);
  fixture_stop (&f);
}

GST_END_TEST;

/* Waits for a kling-task message whose status is @status. */
static void
wait_for_task_status (Fixture * f, const gchar * status)
{
  GstMessage *message;

  while ((message = pop_message (f, GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR))) {
    const GstStructure *s = gst_message_get_structure (message);

    fail_if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR);
    if (gst_structure_has_name (s, "kling-task")
        && !g_strcmp0 (gst_structure_get_string (s, "status"), status)) {
      gst_message_unref (message);
      return;
    }
    gst_message_unref (message);
  }
  fail ("no kling-task message with status %s", status);
}

static void
wait_for_progress (Fixture * f, GstProgressType type)
{
  GstMessage *message;

  while ((message = pop_message (f, GST_MESSAGE_PROGRESS))) {
    gboolean match = progress_is (message, type);

    gst_message_unref (message);
    if (match)
      return;
  }
  fail ("no progress message of type %d", type);
}

/* Goes to NULL at once and checks that it was prompt, posted CANCELED (when a job was
 * running) and no error. */
static void
cancel_now (Fixture * f, gboolean expect_canceled)
{
  gint64 start = g_get_monotonic_time ();
  GstMessage *message;
  gboolean canceled = FALSE;

  fail_unless_equals_int (gst_element_set_state (f->h->element,
          GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  fail_unless (g_get_monotonic_time () - start < G_USEC_PER_SEC / 2,
      "state change took %" G_GINT64_FORMAT " us",
      g_get_monotonic_time () - start);
  while ((message = gst_bus_pop (f->bus))) {
    fail_if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR);
    if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_PROGRESS
        && progress_is (message, GST_PROGRESS_TYPE_CANCELED))
      canceled = TRUE;
    gst_message_unref (message);
  }
  fail_unless_equals_int (canceled, expect_canceled);
  stop_element (f);
}

/* After a cancellation the element works again, and a task already created is resumed
 * rather than paid twice. */
static void
check_rerun_succeeds (Fixture * f, gint64 expected_tasks)
{
  kling_sandbox_clear_faults (f->sandbox);
  start_harness (f, make_element (f, NULL), NULL);
  push_jpeg_still (f);
  check_full_clip (f);
  fail_unless_equals_int (tasks_created (f, "image2video"), expected_tasks);
}

GST_START_TEST (test_cancel_while_submitting)
{
  Fixture f;

  fixture_start (&f, 0.1, 0.2);
  add_fault (&f, "{\"method\":\"POST\",\"path\":\"/v1/videos/image2video\","
      "\"action\":\"delay\",\"seconds\":5}");
  start_harness (&f, make_element (&f, NULL), NULL);
  push_jpeg_still (&f);
  wait_for_progress (&f, GST_PROGRESS_TYPE_START);
  cancel_now (&f, TRUE);
  /* Whether the delayed create went through or not, there is one task in the end. */
  check_rerun_succeeds (&f, 1);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_cancel_while_polling)
{
  Fixture f;

  fixture_start (&f, 0.1, 1.5);
  start_harness (&f, make_element (&f, NULL), NULL);
  push_jpeg_still (&f);
  wait_for_task_status (&f, "processing");
  cancel_now (&f, TRUE);
  /* The task in flight is resumed from the journal: still one task. */
  check_rerun_succeeds (&f, 1);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_cancel_while_downloading)
{
  Fixture f;

  fixture_start (&f, 0.1, 0.2);
  add_fault (&f, "{\"method\":\"GET\",\"path\":\"/files/\","
      "\"action\":\"delay\",\"seconds\":5}");
  start_harness (&f, make_element (&f, NULL), NULL);
  push_jpeg_still (&f);
  wait_for_task_status (&f, "succeed");
  cancel_now (&f, TRUE);
  check_rerun_succeeds (&f, 1);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_cancel_while_decoding)
{
  Fixture f;
  GstBuffer *buffer;

  fixture_start (&f, 0.1, 0.2);
  start_harness (&f, make_element (&f, NULL), NULL);
  push_jpeg_still (&f);
  buffer = gst_harness_pull (f.h);
  fail_unless (buffer != NULL);
  gst_buffer_unref (buffer);
  cancel_now (&f, FALSE);
  /* The clip is in the cache now. */
  check_rerun_succeeds (&f, 1);
  fixture_stop (&f);
}

GST_END_TEST;

/* Keeps the boxes of every cached clip (so the cache still takes it as whole) and names
 * a codec in its sample description that no decoder knows. */
static void
spoil_cached_clips (const gchar * cache_dir)
{
  GDir *dir = g_dir_open (cache_dir, 0, NULL);
  const gchar *name;
  gint spoiled = 0;

  fail_unless (dir != NULL);
  while ((name = g_dir_read_name (dir))) {
    gchar *path = g_build_filename (cache_dir, name, NULL);
    gchar *data;
    gsize size, i;

    if (g_str_has_suffix (name, ".mp4")
        && g_file_get_contents (path, &data, &size, NULL)) {
      for (i = 0; i + 4 <= size; i++) {
        if (memcmp (data + i, "avc1", 4) == 0
            || memcmp (data + i, "mp4a", 4) == 0)
          memcpy (data + i, "zzzz", 4);
      }
      fail_unless (g_file_set_contents (path, data, size, NULL));
      g_free (data);
      spoiled++;
    }
    g_free (path);
  }
  g_dir_close (dir);
  fail_unless (spoiled > 0, "no cached clip in %s", cache_dir);
}

/* A bus sync handler that asks the element for its duration on an error, as an
 * application that handles errors synchronously may: the element must not post with
 * a lock held that the query takes too. */
static GstBusSyncReply
query_on_error (GstBus * bus, GstMessage * message, gpointer user_data)
{
  gint64 duration;

  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR)
    gst_element_query_duration (GST_ELEMENT (GST_MESSAGE_SRC (message)),
        GST_FORMAT_TIME, &duration);
  return GST_BUS_PASS;
}

GST_START_TEST (test_error_undecodable_clip)
{
  Fixture f;
  GstMessage *message;

  fixture_start (&f, 0.1, 0.2);
  start_harness (&f, make_element (&f, NULL), NULL);
  push_jpeg_still (&f);
  check_full_clip (&f);
  stop_element (&f);
  spoil_cached_clips (f.cache_dir);

  gst_bus_set_sync_handler (f.bus, query_on_error, NULL, NULL);
  start_harness (&f, make_element (&f, NULL), NULL);
  push_jpeg_still (&f);
  message = pop_error (&f);
  check_error (message, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
      "Could not decode");
  fail_unless_equals_int (tasks_created (&f, "image2video"), 1);
  stop_element (&f);
  gst_bus_set_sync_handler (f.bus, NULL, NULL, NULL);
  fixture_stop (&f);
}

GST_END_TEST;

/* The same element, back to READY after a clip, renders again (from the cache). */
GST_START_TEST (test_same_element_runs_again)
{
  Fixture f;
  gint run;

  fixture_start (&f, 0.1, 0.2);
  start_harness (&f, make_element (&f, NULL), NULL);
  for (run = 0; run < 2; run++) {
    if (run > 0) {
      fail_unless_equals_int (gst_element_set_state (f.h->element,
              GST_STATE_READY), GST_STATE_CHANGE_SUCCESS);
      fail_unless_equals_int (gst_element_set_state (f.h->element,
              GST_STATE_PLAYING), GST_STATE_CHANGE_SUCCESS);
    }
    push_jpeg_still (&f);
    gst_event_unref (pull_event_of_type (f.h, GST_EVENT_STREAM_START));
    check_full_clip (&f);
  }
  fail_unless_equals_int (tasks_created (&f, "image2video"), 1);
  fixture_stop (&f);
}

GST_END_TEST;

/* No key anywhere: the state change fails before any request, saying what to set. */
GST_START_TEST (test_missing_credentials)
{
  Fixture f;
  GstElement *element;

  fixture_start (&f, 0.1, 0.2);
  element = gst_element_factory_make ("klingimage2video", NULL);
  g_object_set (element, "api-url", kling_sandbox_get_base_url (f.sandbox),
      "cache-dir", f.cache_dir, NULL);
  gst_element_set_bus (element, f.bus);
  fail_unless_equals_int (gst_element_set_state (element, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  check_error (pop_error (&f), GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_AUTHORIZED, "key");
  gst_element_set_state (element, GST_STATE_NULL);
  gst_object_unref (element);
  fail_unless_equals_int (counter (&f, NULL, "tasks_in_flight"), 0);
  fail_unless_equals_int (create_requests (&f), 0);
  fixture_stop (&f);
}

GST_END_TEST;

/* ------------------------------------------------------------------------- */
/* Stills whose data is damaged, upstream that must stop, renegotiation      */

/* A JPEG or PNG whose headers are fine but whose data is damaged is refused before any
 * request, saying so (issue 9 item 10). */
GST_START_TEST (test_error_damaged_stills)
{
  struct
  {
    GBytes *(*make) (void);
    const gchar *caps;
  } stills[] = {
    {still_jpeg_cut_in_middle, "image/jpeg"},
    {still_jpeg_scrambled, "image/jpeg"},
    {still_png_scrambled, "image/png"},
    {still_png_half_rows, "image/png"},
  };
  Fixture f;
  guint i;

  fixture_start (&f, 0.1, 0.2);
  for (i = 0; i < G_N_ELEMENTS (stills); i++) {
    GBytes *image = stills[i].make ();
    GstBuffer *buffer = gst_buffer_new_wrapped_bytes (image);

    fail_unless (kling_image_probe (image, NULL, NULL, NULL));
    g_bytes_unref (image);
    start_harness (&f, make_element (&f, NULL), NULL);
    gst_harness_set_src_caps_str (f.h, stills[i].caps);
    fail_unless_equals_int (gst_harness_push (f.h, buffer), GST_FLOW_ERROR);
    check_error (pop_error (&f), GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "The image data is damaged");
    stop_element (&f);
  }
  fail_unless_equals_int (counter (&f, "requests",
          "POST /v1/videos/image2video"), 0);
  fixture_stop (&f);
}

GST_END_TEST;

static GstPadProbeReturn
count_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  g_atomic_int_inc ((gint *) user_data);
  return GST_PAD_PROBE_OK;
}

/* Runs @description (with a klingimage2video named "kling" pointed at the sandbox) until
 * EOS; fails on an error. */
static GstElement *
launch_with_kling (Fixture * f, const gchar * description)
{
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (description, &error);
  GstElement *kling;

  fail_unless (pipeline != NULL, "%s", error ? error->message : "");
  kling = gst_bin_get_by_name (GST_BIN (pipeline), "kling");
  g_object_set (kling, "api-url", kling_sandbox_get_base_url (f->sandbox),
      "access-key", ACCESS_KEY, "secret-key", SECRET_KEY, "prompt", PROMPT,
      "poll-interval", 0.05, "cache-dir", f->cache_dir, NULL);
  gst_object_unref (kling);
  return pipeline;
}

static void
run_to_eos (GstElement * pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *message;

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  message = gst_bus_timed_pop_filtered (bus, PULL_TIMEOUT * GST_USECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (message != NULL, "the pipeline neither ended nor failed");
  fail_unless (GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS,
      "%" GST_PTR_FORMAT, message);
  gst_message_unref (message);
  gst_object_unref (bus);
}

/* An endless source costs what num-buffers=1 costs: once the still is taken the sink
 * answers EOS, so videotestsrc stops after one buffer instead of running for the whole
 * render (issue 10 feature 1). */
GST_START_TEST (test_endless_source_stops)
{
  Fixture f;
  GstElement *pipeline, *source;
  GstPad *pad;
  gint pushed = 0;

  fixture_start (&f, 0.1, 0.5);
  pipeline = launch_with_kling (&f, "videotestsrc name=source ! "
      "video/x-raw,width=640,height=360 ! klingimage2video name=kling ! fakesink");
  source = gst_bin_get_by_name (GST_BIN (pipeline), "source");
  pad = gst_element_get_static_pad (source, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, &pushed,
      NULL);
  run_to_eos (pipeline);
  fail_unless_equals_int (g_atomic_int_get (&pushed), 1);
  fail_unless_equals_int (tasks_created (&f, "image2video"), 1);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pad);
  gst_object_unref (source);
  gst_object_unref (pipeline);
  fixture_stop (&f);
}

GST_END_TEST;

/* Downstream changes its caps mid-clip (a capsfilter's caps set while frames flow): the
 * rest of the clip comes at the new size and format, as `decodebin3 ! videoconvert !
 * videoscale` would give it, and no frame is lost. */
GST_START_TEST (test_reconfigure_mid_clip)
{
  Fixture f;
  GstElement *pipeline, *filter, *sink;
  GstSample *sample;
  gchar *description;
  guint frames = 0, old_size = 0;
  gboolean new_seen = FALSE;

  fixture_start (&f, 0.1, 0.2);
  description = g_strdup_printf ("filesrc location=%s/still.jpg ! jpegparse ! "
      "klingimage2video name=kling ! capsfilter name=filter "
      "caps=video/x-raw,format=I420 ! appsink name=sink sync=false max-buffers=1",
      MEDIA_DIR);
  pipeline = launch_with_kling (&f, description);
  filter = gst_bin_get_by_name (GST_BIN (pipeline), "filter");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
              PULL_TIMEOUT * GST_USECOND))) {
    GstVideoInfo info;

    fail_unless (gst_video_info_from_caps (&info,
            gst_sample_get_caps (sample)));
    if (GST_VIDEO_INFO_WIDTH (&info) == CLIP_WIDTH) {
      fail_if (new_seen, "the old size after the new one");
      old_size++;
    } else {
      fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&info), 160);
      fail_unless_equals_int (GST_VIDEO_INFO_HEIGHT (&info), 90);
      fail_unless_equals_int (GST_VIDEO_INFO_FORMAT (&info),
          GST_VIDEO_FORMAT_RGBA);
      new_seen = TRUE;
    }
    gst_sample_unref (sample);
    if (++frames == 20) {
      GstCaps *caps = gst_caps_from_string ("video/x-raw,format=RGBA,width=160,"
          "height=90");

      g_object_set (filter, "caps", caps, NULL);
      gst_caps_unref (caps);
    }
    if (gst_app_sink_is_eos (GST_APP_SINK (sink)))
      break;
  }
  fail_unless_equals_int (frames, CLIP_S * CLIP_FPS);
  fail_unless (new_seen, "the caps change mid-clip was not honoured");
  fail_unless (old_size < 30, "%u frames at the old size", old_size);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (filter);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_free (description);
  fixture_stop (&f);
}

GST_END_TEST;

/* ------------------------------------------------------------------------- */
/* Structured error details; application code off the shared worker         */

static const GstStructure *
error_details (GstMessage * message)
{
  const GstStructure *details = NULL;

  gst_message_parse_error_details (message, &details);
  fail_unless (details != NULL, "the error has no details");
  return details;
}

GST_START_TEST (test_error_details)
{
  Fixture f;
  GstMessage *message;
  const GstStructure *details;
  guint http_status;
  gint kling_code;
  gchar *task_id;

  fixture_start (&f, 0.1, 0.2);
  add_fault (&f, "{\"method\":\"POST\",\"path\":\"/v1/videos/image2video\","
      "\"action\":\"status\",\"http\":429,\"code\":1102,"
      "\"message\":\"resource pack exhausted\"}");
  start_harness (&f, make_element (&f, NULL), NULL);
  push_jpeg_still (&f);
  message = pop_error (&f);
  details = error_details (message);
  fail_unless (gst_structure_get_uint (details, "http-status-code",
          &http_status));
  fail_unless_equals_int (http_status, 429);
  fail_unless (gst_structure_get_int (details, "kling-code", &kling_code));
  fail_unless_equals_int (kling_code, 1102);
  fail_unless_equals_string (gst_structure_get_string (details, "endpoint"),
      "/v1/videos/image2video");
  fail_unless (gst_structure_get_string (details, "request-id") != NULL);
  fail_if (gst_structure_has_field (details, "task-id"), "no task was created");
  gst_message_unref (message);
  stop_element (&f);

  /* A task that failed: its id is in the details. */
  kling_sandbox_clear_faults (f.sandbox);
  add_fault (&f,
      "{\"path\":\"/v1/videos/image2video\",\"action\":\"fail-task\","
      "\"message\":\"the render farm caught fire\"}");
  start_harness (&f, make_element (&f, "prompt", "another prompt", NULL), NULL);
  push_jpeg_still (&f);
  message = pop_error (&f);
  details = error_details (message);
  g_object_get (f.h->element, "task-id", &task_id, NULL);
  fail_unless (task_id != NULL);
  fail_unless_equals_string (gst_structure_get_string (details, "task-id"),
      task_id);
  fail_unless (strstr (gst_structure_get_string (details,
              "task-status-message"), "caught fire") != NULL);
  g_free (task_id);
  gst_message_unref (message);
  fixture_stop (&f);
}

GST_END_TEST;

typedef struct
{
  KlingSandbox *sandbox;
  gint sleeping;                /* the handler is in its wait */
  gint saw_other_task;          /* the other element's task was created meanwhile */
} SlowHandler;

/* Element A's bus sync handler, as slow as an application's can be: on A's first
 * kling-task message it waits (up to 5 s) for element B's task to be created. On the
 * client's shared worker it would block B's create for the whole wait. */
static GstBusSyncReply
slow_sync_handler (GstBus * bus, GstMessage * message, gpointer user_data)
{
  SlowHandler *slow = user_data;
  gint64 deadline;

  if (GST_MESSAGE_TYPE (message) != GST_MESSAGE_ELEMENT
      || !gst_message_has_name (message, "kling-task")
      || g_atomic_int_get (&slow->sleeping))
    return GST_BUS_PASS;
  g_atomic_int_set (&slow->sleeping, 1);
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline) {
    if (kling_sandbox_get_counter (slow->sandbox, "tasks_created",
            "image2video") >= 2) {
      g_atomic_int_set (&slow->saw_other_task, 1);
      break;
    }
    g_usleep (10000);
  }
  return GST_BUS_PASS;
}

/* Two elements share one client (same server and keys). Element A's application blocks
 * in a bus sync handler; element B's render goes on meanwhile: B's task is created while
 * A's handler still waits. Nothing the shared worker runs may call application code. */
GST_START_TEST (test_slow_sync_handler_does_not_delay_others)
{
  SlowHandler slow = { 0, };
  Fixture f;
  GstElement *b;
  GstHarness *hb;
  GstBus *bus_b = gst_bus_new ();
  gint64 deadline;

  fixture_start (&f, 0.1, 0.3);
  slow.sandbox = f.sandbox;
  gst_bus_set_sync_handler (f.bus, slow_sync_handler, &slow, NULL);
  start_harness (&f, make_element (&f, NULL), NULL);
  push_jpeg_still (&f);
  deadline = g_get_monotonic_time () + PULL_TIMEOUT;
  while (!g_atomic_int_get (&slow.sleeping)) {
    fail_unless (g_get_monotonic_time () < deadline, "A posted no kling-task");
    g_usleep (1000);
  }

  b = make_element (&f, "prompt", "element B's own prompt", NULL);
  gst_element_set_bus (b, bus_b);
  hb = gst_harness_new_with_element (b, "sink", "src");
  gst_object_unref (b);
  gst_harness_set_src_caps_str (hb, "image/jpeg");
  fail_unless_equals_int (gst_harness_push (hb,
          media_file_buffer ("still.jpg")), GST_FLOW_EOS);

  /* B's clip comes; A's too, once its handler let go. */
  gst_event_unref (pull_event_of_type (hb, GST_EVENT_EOS));
  gst_event_unref (pull_event_of_type (f.h, GST_EVENT_EOS));
  fail_unless (g_atomic_int_get (&slow.saw_other_task),
      "B's task waited for A's bus sync handler");
  fail_unless_equals_int (tasks_created (&f, "image2video"), 2);

  gst_harness_teardown (hb);
  stop_element (&f);
  gst_bus_set_sync_handler (f.bus, NULL, NULL, NULL);
  gst_bus_set_flushing (bus_b, TRUE);
  gst_object_unref (bus_b);
  fixture_stop (&f);
}

GST_END_TEST;

static Suite *
image2video_suite (void)
{
  Suite *s = suite_create ("klingimage2video");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_raw_input);
  tcase_add_test (tc, test_jpeg_input_and_later_buffers_refused);
  tcase_add_test (tc, test_progress_and_task_messages);
  tcase_add_test (tc, test_output_follows_downstream_caps);
  tcase_add_test (tc, test_passthrough);
  tcase_add_test (tc, test_seek);
  tcase_add_test (tc, test_seek_before_clip);
  tcase_add_test (tc, test_cache_reuse);
  tcase_add_test (tc, test_without_cache);
  tcase_add_test (tc, test_cache_mode_off);
  tcase_add_test (tc, test_cache_mode_refresh);
  tcase_add_test (tc, test_max_parallel);
  tcase_add_test (tc, test_error_auth);
  tcase_add_test (tc, test_error_money);
  tcase_add_test (tc, test_error_policy);
  tcase_add_test (tc, test_error_task_failed);
  tcase_add_test (tc, test_error_timeout);
  tcase_add_test (tc, test_error_bad_image);
  tcase_add_test (tc, test_error_eos_without_image);
  tcase_add_test (tc, test_error_partial_jpeg);
  tcase_add_test (tc, test_error_undecodable_clip);
  tcase_add_test (tc, test_error_prompt_too_long);
  tcase_add_test (tc, test_png_input);
  tcase_add_test (tc, test_error_bad_camera_control);
  tcase_add_test (tc, test_camera_control_refused_on_live_models);
  tcase_add_test (tc, test_duration_property);
  tcase_add_test (tc, test_model_limits_refused_locally);
  tcase_add_test (tc, test_long_clip_with_sound_passthrough);
  tcase_add_test (tc, test_long_clip_with_sound_decoded);
  tcase_add_test (tc, test_end_frame_shows_at_the_end);
  tcase_add_test (tc, test_end_frame_refused_in_pro_on_v2_6);
  tcase_add_test (tc, test_unknown_model_warns_then_is_refused);
  tcase_add_test (tc, test_huge_raw_frame_is_shrunk);
  tcase_add_test (tc, test_retry_then_success);
  tcase_add_test (tc, test_server_error_and_truncated_download_retried);
  tcase_add_test (tc, test_cancel_while_submitting);
  tcase_add_test (tc, test_cancel_while_polling);
  tcase_add_test (tc, test_cancel_while_downloading);
  tcase_add_test (tc, test_cancel_while_decoding);
  tcase_add_test (tc, test_same_element_runs_again);
  tcase_add_test (tc, test_missing_credentials);
  tcase_add_test (tc, test_error_damaged_stills);
  tcase_add_test (tc, test_endless_source_stops);
  tcase_add_test (tc, test_reconfigure_mid_clip);
  tcase_add_test (tc, test_error_details);
  tcase_add_test (tc, test_slow_sync_handler_does_not_delay_others);
  return s;
}

GST_CHECK_MAIN (image2video);
