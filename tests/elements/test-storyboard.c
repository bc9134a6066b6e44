/* gst-kling: klingimage2video's storyboards (storyboard, skip-failed) and re-renders on a
 * live input (allow-rerender, the `render` signal), through GstHarness against an
 * in-process kling-sandbox.
 *
 * The stills are flat colours (red, green, blue): the sandbox zooms over the still, so the
 * middle of every frame has its still's colour, and the order of the colours on the output
 * is the order of the clips. Each test has its own sandbox and cache directory.
 */
#include <string.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "test-fs.h"
#include "harness-util.h"
#include "kling-sandbox.h"
#include "element-fixture.h"

#define ACCESS_KEY  "ak-storyboard-tests"
#define SECRET_KEY  "sk-storyboard-tests-secret"
#define PROMPT      "a slow zoom"
#define CLIP_FPS    24          /* kling-v3, the default model */
#define CLIP_S      5
#define OUT_WIDTH   64
#define OUT_HEIGHT  36
#define OUT_CAPS    "video/x-raw,format=RGB,width=64,height=36"
#define WAIT_US     (60 * G_USEC_PER_SEC)
#define CREATE_PATH "/v1/videos/image2video"

typedef enum
{
  RED,
  GREEN,
  BLUE,
} Colour;

static const gchar *colour_names[] = { "red", "green", "blue" };

static void
fixture_start (Fixture * f, gdouble render_delay_s)
{
  FixtureOptions options = {.access_key = ACCESS_KEY,.secret_key = SECRET_KEY,
    .cache_template = "kling-storyboard-XXXXXX",.queue_delay_s = 0.1,
    .render_delay_s = render_delay_s
  };

  fixture_start_sandbox (f, &options);
}

/* A klingimage2video on the sandbox, extra properties as name/value pairs up to NULL, in a
 * harness whose sink takes small RGB frames (the output scales to them). */
static void
start (Fixture * f, const gchar * sink_caps, const gchar * first_property, ...)
{
  GstElement *element = fixture_new_element (f, "klingimage2video");
  va_list args;

  g_object_set (element, "prompt", PROMPT, NULL);
  va_start (args, first_property);
  if (first_property)
    g_object_set_valist (G_OBJECT (element), first_property, args);
  va_end (args);
  f->h = gst_harness_new_with_element (element, "sink", "src");
  gst_harness_set_sink_caps_str (f->h, sink_caps ? sink_caps : OUT_CAPS);
  gst_harness_set_src_caps_str (f->h,
      "video/x-raw,format=RGB,width=320,height=320,framerate=0/1");
  gst_object_unref (element);
}

/* A flat 320x320 still of @colour at @level (its other channels at 20). */
static GstBuffer *
still_at (Colour colour, guint8 level)
{
  gsize size = 320 * 320 * 3, i;
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, size, NULL);
  GstMapInfo map;

  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  for (i = 0; i < size; i++)
    map.data[i] = i % 3 == (gsize) colour ? level : 20;
  gst_buffer_unmap (buffer, &map);
  return buffer;
}

static GstBuffer *
still (Colour colour)
{
  return still_at (colour, 220);
}

static void
add_fault (Fixture * f, const gchar * rule)
{
  GError *error = NULL;

  fail_unless (kling_sandbox_add_fault_json (f->sandbox, rule, &error),
      "fault %s: %s", rule, error ? error->message : "?");
}

/* The colour of the middle of an OUT_CAPS frame: its strongest channel. */
static Colour
frame_colour (GstBuffer * buffer)
{
  GstMapInfo map;
  const guint8 *px;
  Colour colour;

  gst_buffer_map (buffer, &map, GST_MAP_READ);
  fail_unless_equals_int (map.size, OUT_WIDTH * OUT_HEIGHT * 3);
  /* RGB rows of 64 px are 192 bytes: no padding. */
  px = map.data + ((OUT_HEIGHT / 2) * OUT_WIDTH + OUT_WIDTH / 2) * 3;
  colour = px[0] >= px[1] && px[0] >= px[2] ? RED : px[1] >= px[2] ? GREEN :
      BLUE;
  gst_buffer_unmap (buffer, &map);
  return colour;
}

/* Pulls events up to EOS; adds the kling-task-id of every tag event to @task_ids. */
static void
pull_tags_until_eos (Fixture * f, GPtrArray * task_ids)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_US;
  GstEvent *event;

  for (;;) {
    fail_unless (g_get_monotonic_time () < deadline, "no EOS");
    if (!(event = gst_harness_try_pull_event (f->h))) {
      g_usleep (5000);
      continue;
    }
    if (GST_EVENT_TYPE (event) == GST_EVENT_TAG) {
      GstTagList *tags;
      gchar *task_id = NULL;

      gst_event_parse_tag (event, &tags);
      if (gst_tag_list_get_string (tags, "kling-task-id", &task_id))
        g_ptr_array_add (task_ids, task_id);
    }
    if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
      gst_event_unref (event);
      return;
    }
    gst_event_unref (event);
  }
}

/* What came out up to EOS: the colours of the runs of frames, in order, and the frames
 * of each run; the timestamps must run on without a gap or an overlap from 0. Checks
 * that exactly one EOS came, and that each clip had the tags of its own task. Returns
 * the number of runs. */
static guint
pull_until_eos (Fixture * f, Colour * runs, guint * run_frames, guint max_runs,
    GstClockTime * total)
{
  GPtrArray *task_ids = g_ptr_array_new_with_free_func (g_free);
  GstClockTime expected = 0;
  GstEvent *event;
  GstBuffer *buffer;
  guint n_runs = 0, eos = 1, i, j;

  pull_tags_until_eos (f, task_ids);
  while ((buffer = gst_harness_try_pull (f->h))) {
    Colour colour = frame_colour (buffer);

    fail_unless (GST_BUFFER_PTS_IS_VALID (buffer)
        && GST_BUFFER_DURATION_IS_VALID (buffer));
    fail_unless (ABS (GST_CLOCK_DIFF (expected, GST_BUFFER_PTS (buffer))) <
        GST_MSECOND, "expected %" GST_TIME_FORMAT ", got %" GST_TIME_FORMAT,
        GST_TIME_ARGS (expected), GST_TIME_ARGS (GST_BUFFER_PTS (buffer)));
    expected = GST_BUFFER_PTS (buffer) + GST_BUFFER_DURATION (buffer);
    if (n_runs == 0 || runs[n_runs - 1] != colour) {
      fail_unless (n_runs < max_runs, "more than %u runs of colour", max_runs);
      runs[n_runs] = colour;
      run_frames[n_runs++] = 0;
    }
    run_frames[n_runs - 1]++;
    gst_buffer_unref (buffer);
  }
  while ((event = gst_harness_try_pull_event (f->h))) {
    eos += GST_EVENT_TYPE (event) == GST_EVENT_EOS;
    gst_event_unref (event);
  }
  fail_unless_equals_int (eos, 1);
  fail_unless_equals_int (task_ids->len, n_runs);
  for (i = 0; i < task_ids->len; i++)
    for (j = 0; j < i; j++)
      fail_if (g_str_equal (task_ids->pdata[i], task_ids->pdata[j]),
          "clips %u and %u have the tags of task %s", j + 1, i + 1,
          (gchar *) task_ids->pdata[i]);
  g_ptr_array_unref (task_ids);
  *total = expected;
  return n_runs;
}

/* The output is exactly @n clips of @colours, 5 s each, in that order. */
static void
check_film (Fixture * f, const Colour * colours, guint n)
{
  Colour runs[8];
  guint frames[8], i;
  GstClockTime total;

  fail_unless_equals_int (pull_until_eos (f, runs, frames, 8, &total), n);
  for (i = 0; i < n; i++) {
    fail_unless (runs[i] == colours[i], "clip %u is %s, not %s", i + 1,
        colour_names[runs[i]], colour_names[colours[i]]);
    /* The sandbox's MP4s may end a frame short. */
    fail_unless (ABS ((gint) frames[i] - CLIP_S * CLIP_FPS) <= 1,
        "clip %u has %u frames", i + 1, frames[i]);
  }
  fail_unless (ABS (GST_CLOCK_DIFF (total, n * CLIP_S * GST_SECOND)) <=
      (GstClockTimeDiff) (n * GST_SECOND / CLIP_FPS), "%" GST_TIME_FORMAT,
      GST_TIME_ARGS (total));
}

/* Pushes @n stills then EOS; a colour that comes again is a darker shade, so that every
 * still is a request of its own (the same still twice is one render). */
static void
push_stills (Fixture * f, const Colour * colours, guint n)
{
  guint i, j, seen;

  for (i = 0; i < n; i++) {
    for (j = seen = 0; j < i; j++)
      seen += colours[j] == colours[i];
    fail_unless_equals_int (gst_harness_push (f->h, still_at (colours[i],
                220 - 30 * seen)), GST_FLOW_OK);
  }
  fail_unless (gst_harness_push_event (f->h, gst_event_new_eos ()));
}

static GstMessage *
pop_message (Fixture * f, GstMessageType types)
{
  return gst_bus_timed_pop_filtered (f->bus, WAIT_US * GST_USECOND, types);
}

static const Colour rgb[] = { RED, GREEN, BLUE };

/* Counts the storyboard's progress messages on the bus by type (START, CONTINUE, ...,
 * CANCELED: GstProgressType's order); every still's START must be closed once. */
static void
count_progress (Fixture * f, guint counts[6])
{
  GstMessage *message;

  memset (counts, 0, 6 * sizeof (guint));
  while ((message = gst_bus_pop_filtered (f->bus, GST_MESSAGE_PROGRESS))) {
    GstProgressType type;
    gchar *code = NULL;

    gst_message_parse_progress (message, &type, &code, NULL);
    if (g_strcmp0 (code, "kling-storyboard") == 0)
      counts[type]++;
    g_free (code);
    gst_message_unref (message);
  }
}

/* ------------------------------------------------------------------------- */

/* Three stills are three tasks rendered at once, then 15 s in input order and one EOS;
 * a rerun is three cache hits. */
GST_START_TEST (test_three_stills_in_order)
{
  Fixture f;
  guint progress[6];

  fixture_start (&f, 1.0);
  start (&f, NULL, "storyboard", TRUE, NULL);
  push_stills (&f, rgb, 3);
  check_film (&f, rgb, 3);
  fail_unless_equals_int (tasks_created (&f, "image2video"), 3);
  fail_unless_equals_int (counter (&f, NULL, "peak_parallel"), 3);
  count_progress (&f, progress);
  fail_unless_equals_int (progress[GST_PROGRESS_TYPE_START], 3);
  fail_unless_equals_int (progress[GST_PROGRESS_TYPE_COMPLETE], 3);
  fail_unless_equals_int (progress[GST_PROGRESS_TYPE_ERROR], 0);
  stop_element (&f);

  start (&f, NULL, "storyboard", TRUE, NULL);
  push_stills (&f, rgb, 3);
  check_film (&f, rgb, 3);
  fail_unless_equals_int (tasks_created (&f, "image2video"), 3);
  fixture_stop (&f);
}

GST_END_TEST;

/* The first still's clip comes last (its create is held): the clips still leave in
 * input order. */
GST_START_TEST (test_order_is_the_input_order)
{
  Fixture f;

  fixture_start (&f, 0.3);
  add_fault (&f, "{\"kind\": \"delay\", \"method\": \"POST\", \"path\": \""
      CREATE_PATH "\", \"times\": 1, \"seconds\": 2}");
  start (&f, NULL, "storyboard", TRUE, NULL);
  push_stills (&f, rgb, 3);
  check_film (&f, rgb, 3);
  fail_unless_equals_int (tasks_created (&f, "image2video"), 3);
  fixture_stop (&f);
}

GST_END_TEST;

/* max-parallel bounds the renders of a storyboard. */
GST_START_TEST (test_max_parallel_bounds_the_renders)
{
  const Colour four[] = { RED, GREEN, BLUE, RED };
  Fixture f;

  fixture_start (&f, 0.5);
  start (&f, NULL, "storyboard", TRUE, "max-parallel", 2, NULL);
  push_stills (&f, four, 4);
  check_film (&f, four, 4);
  fail_unless_equals_int (tasks_created (&f, "image2video"), 4);
  fail_unless_equals_int (counter (&f, NULL, "peak_parallel"), 2);
  fixture_stop (&f);
}

GST_END_TEST;

/* One render at a time, so the second create is the middle still's. */
static void
fail_middle_still (Fixture * f)
{
  add_fault (f, "{\"kind\": \"fail-task\", \"method\": \"POST\", \"path\": \""
      CREATE_PATH "\", \"skip\": 1, \"times\": 1, "
      "\"message\": \"the sandbox fails the middle still\"}");
}

GST_START_TEST (test_failed_clip_is_an_error)
{
  const GstStructure *details = NULL;
  GstMessage *message;
  GError *error = NULL;
  Fixture f;

  fixture_start (&f, 0.2);
  fail_middle_still (&f);
  start (&f, NULL, "storyboard", TRUE, "max-parallel", 1, NULL);
  push_stills (&f, rgb, 3);
  message = pop_message (&f, GST_MESSAGE_ERROR);
  fail_unless (message != NULL, "no error");
  gst_message_parse_error (message, &error, NULL);
  fail_unless (g_error_matches (error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_FAILED), "%s", error->message);
  gst_message_parse_error_details (message, &details);
  fail_unless (details != NULL && gst_structure_has_field (details, "task-id"));
  g_error_free (error);
  gst_message_unref (message);
  /* The stream ends after the first clip: the error, not more clips. */
  gst_event_unref (pull_event_of_type (f.h, GST_EVENT_EOS));
  fail_unless (gst_harness_buffers_received (f.h) <= CLIP_S * CLIP_FPS);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_skip_failed_goes_on)
{
  const Colour red_blue[] = { RED, BLUE };
  const GstStructure *details = NULL;
  GstMessage *message;
  GError *error = NULL;
  guint still_number = 0;
  Fixture f;

  fixture_start (&f, 0.2);
  fail_middle_still (&f);
  start (&f, NULL, "storyboard", TRUE, "skip-failed", TRUE, "max-parallel", 1,
      NULL);
  push_stills (&f, rgb, 3);
  check_film (&f, red_blue, 2);
  fail_unless_equals_int (tasks_created (&f, "image2video"), 3);

  message = pop_message (&f, GST_MESSAGE_WARNING);
  fail_unless (message != NULL, "no warning");
  gst_message_parse_warning (message, &error, NULL);
  fail_unless (strstr (error->message, "Storyboard still 2 ") != NULL, "%s",
      error->message);
  gst_message_parse_warning_details (message, &details);
  fail_unless (details && gst_structure_get_uint (details, "still",
          &still_number));
  fail_unless_equals_int (still_number, 2);
  g_error_free (error);
  gst_message_unref (message);
  fail_unless (gst_bus_pop_filtered (f.bus, GST_MESSAGE_ERROR) == NULL);
  fixture_stop (&f);
}

GST_END_TEST;

/* MP4 passthrough cannot join clips: refused before any request. */
GST_START_TEST (test_passthrough_is_refused)
{
  GstMessage *message;
  GError *error = NULL;
  Fixture f;

  fixture_start (&f, 0.2);
  start (&f, "video/quicktime", "storyboard", TRUE, NULL);
  fail_unless_equals_int (gst_harness_push (f.h, still (RED)), GST_FLOW_ERROR);
  message = pop_message (&f, GST_MESSAGE_ERROR);
  fail_unless (message != NULL);
  gst_message_parse_error (message, &error, NULL);
  fail_unless (g_error_matches (error, GST_STREAM_ERROR,
          GST_STREAM_ERROR_FORMAT));
  fail_unless (strstr (error->message, "storyboard=true") != NULL, "%s",
      error->message);
  g_error_free (error);
  gst_message_unref (message);
  fail_unless_equals_int (counter (&f, "requests", "POST " CREATE_PATH), 0);
  fixture_stop (&f);
}

GST_END_TEST;

/* A storyboard takes no end frame: a linked end_frame is refused before any request. */
GST_START_TEST (test_end_frame_is_refused)
{
  GstMessage *message;
  GError *error = NULL;
  GstHarness *end;
  Fixture f;

  fixture_start (&f, 0.2);
  start (&f, NULL, "storyboard", TRUE, NULL);
  end = gst_harness_new_with_element (f.h->element, "end_frame", NULL);
  fail_unless_equals_int (gst_harness_push (f.h, still (RED)), GST_FLOW_ERROR);
  message = pop_message (&f, GST_MESSAGE_ERROR);
  fail_unless (message != NULL);
  gst_message_parse_error (message, &error, NULL);
  fail_unless (g_error_matches (error, GST_STREAM_ERROR,
          GST_STREAM_ERROR_FORMAT));
  fail_unless (strstr (error->message, "end_frame") != NULL, "%s",
      error->message);
  g_error_free (error);
  gst_message_unref (message);
  fail_unless_equals_int (counter (&f, "requests", "POST " CREATE_PATH), 0);
  gst_harness_teardown (end);
  fixture_stop (&f);
}

GST_END_TEST;

/* ------------------------------------------------------------------------- */
/* The `render` signal                                                       */

/* Waits until @n buffers came out. */
static void
wait_for_buffers (Fixture * f, guint n)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_US;

  while (gst_harness_buffers_received (f->h) < n) {
    fail_unless (g_get_monotonic_time () < deadline, "%u buffers, not %u",
        gst_harness_buffers_received (f->h), n);
    g_usleep (10 * 1000);
  }
}

/* A live feed: the first buffer is the still, the later ones are dropped (no task) until
 * `render` makes the next one a new still, whose clip follows in the same stream. */
GST_START_TEST (test_render_signal_takes_the_next_buffer)
{
  const Colour red_green[] = { RED, GREEN };
  gboolean taken = FALSE;
  Fixture f;

  fixture_start (&f, 0.2);
  start (&f, NULL, "allow-rerender", TRUE, NULL);
  fail_unless_equals_int (gst_harness_push (f.h, still (RED)), GST_FLOW_OK);
  /* The feed goes on: not taken as stills. */
  fail_unless_equals_int (gst_harness_push (f.h, still (BLUE)), GST_FLOW_OK);
  wait_for_buffers (&f, CLIP_S * CLIP_FPS - 1);
  fail_unless_equals_int (gst_harness_push (f.h, still (BLUE)), GST_FLOW_OK);
  fail_unless_equals_int (tasks_created (&f, "image2video"), 1);

  g_signal_emit_by_name (f.h->element, "render", &taken);
  fail_unless (taken);
  fail_unless_equals_int (gst_harness_push (f.h, still (GREEN)), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (f.h, still (BLUE)), GST_FLOW_OK);
  fail_unless (gst_harness_push_event (f.h, gst_event_new_eos ()));
  check_film (&f, red_green, 2);
  fail_unless_equals_int (tasks_created (&f, "image2video"), 2);
  fixture_stop (&f);
}

GST_END_TEST;

/* `render` while the first still renders: that render is cancelled (one CANCELED) and
 * the new still's clip is the one that comes. */
GST_START_TEST (test_render_replaces_a_render_in_flight)
{
  const Colour green[] = { GREEN };
  gboolean taken = FALSE;
  guint canceled = 0;
  GstMessage *message;
  Fixture f;

  fixture_start (&f, 0.2);
  add_fault (&f, "{\"kind\": \"delay\", \"method\": \"POST\", \"path\": \""
      CREATE_PATH "\", \"times\": 1, \"seconds\": 2}");
  start (&f, NULL, "allow-rerender", TRUE, NULL);
  fail_unless_equals_int (gst_harness_push (f.h, still (RED)), GST_FLOW_OK);
  g_signal_emit_by_name (f.h->element, "render", &taken);
  fail_unless (taken);
  fail_unless_equals_int (gst_harness_push (f.h, still (GREEN)), GST_FLOW_OK);
  fail_unless (gst_harness_push_event (f.h, gst_event_new_eos ()));
  check_film (&f, green, 1);
  while ((message = gst_bus_pop_filtered (f.bus, GST_MESSAGE_PROGRESS))) {
    GstProgressType type;

    gst_message_parse_progress (message, &type, NULL, NULL);
    canceled += type == GST_PROGRESS_TYPE_CANCELED;
    gst_message_unref (message);
  }
  fail_unless_equals_int (canceled, 1);
  fixture_stop (&f);
}

GST_END_TEST;

/* `render`, then the feed ends before another buffer: the stream ends after the clip of
 * the first still. */
GST_START_TEST (test_render_then_eos_ends_after_the_clip)
{
  const Colour red[] = { RED };
  gboolean taken = FALSE;
  Fixture f;

  fixture_start (&f, 0.3);
  start (&f, NULL, "allow-rerender", TRUE, NULL);
  fail_unless_equals_int (gst_harness_push (f.h, still (RED)), GST_FLOW_OK);
  g_signal_emit_by_name (f.h->element, "render", &taken);
  fail_unless (taken);
  fail_unless (gst_harness_push_event (f.h, gst_event_new_eos ()));
  check_film (&f, red, 1);
  fail_unless_equals_int (tasks_created (&f, "image2video"), 1);
  fixture_stop (&f);
}

GST_END_TEST;

/* Without allow-rerender the sink stopped its input: `render` says so. */
GST_START_TEST (test_render_needs_allow_rerender)
{
  GstMessage *message;
  GError *error = NULL;
  gboolean taken = TRUE;
  Fixture f;

  fixture_start (&f, 0.2);
  start (&f, NULL, NULL);
  fail_unless_equals_int (gst_harness_push (f.h, still (RED)), GST_FLOW_EOS);
  g_signal_emit_by_name (f.h->element, "render", &taken);
  fail_if (taken);
  message = pop_message (&f, GST_MESSAGE_WARNING);
  fail_unless (message != NULL);
  gst_message_parse_warning (message, &error, NULL);
  fail_unless (strstr (error->message, "allow-rerender=true") != NULL, "%s",
      error->message);
  g_error_free (error);
  gst_message_unref (message);
  gst_event_unref (pull_event_of_type (f.h, GST_EVENT_EOS));
  fail_unless_equals_int (tasks_created (&f, "image2video"), 1);
  fixture_stop (&f);
}

GST_END_TEST;

static Suite *
storyboard_suite (void)
{
  Suite *s = suite_create ("storyboard");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 90);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_three_stills_in_order);
  tcase_add_test (tc, test_order_is_the_input_order);
  tcase_add_test (tc, test_max_parallel_bounds_the_renders);
  tcase_add_test (tc, test_failed_clip_is_an_error);
  tcase_add_test (tc, test_skip_failed_goes_on);
  tcase_add_test (tc, test_passthrough_is_refused);
  tcase_add_test (tc, test_end_frame_is_refused);
  tcase_add_test (tc, test_render_signal_takes_the_next_buffer);
  tcase_add_test (tc, test_render_replaces_a_render_in_flight);
  tcase_add_test (tc, test_render_then_eos_ends_after_the_clip);
  tcase_add_test (tc, test_render_needs_allow_rerender);
  return s;
}

GST_CHECK_MAIN (storyboard);
