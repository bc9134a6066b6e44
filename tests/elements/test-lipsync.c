/* gst-kling: klinglipsync through GstHarness against an in-process kling-sandbox.
 *
 * Each test starts its own sandbox (small video, short delays) and cache directory. The
 * clip to lip-sync is made first through the client (an image2video job on the same
 * sandbox), the way an application would chain klingimage2video into klinglipsync.
 */
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>
#include <gst/audio/audio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "kling-client.h"
#include "kling-requests.h"
#include "test-fs.h"
#include "harness-util.h"
#include "still-util.h"
#include "kling-sandbox.h"
#include "element-fixture.h"

#define ACCESS_KEY   "ak-lipsync-tests"
#define SECRET_KEY   "sk-lipsync-tests-secret"
/* The sandbox's std size (1280x720) times its video_scale; kling-v3 (the default model)
 * is 24 fps. */
#define CLIP_WIDTH   320
#define CLIP_HEIGHT  180
#define CLIP_FPS     24
#define CLIP_S       5
#define FRAME        (GST_SECOND / CLIP_FPS)
#define PULL_TIMEOUT (20 * G_USEC_PER_SEC)
/* GstKlingLipSyncMethod: advanced is the default. */
#define METHOD_ONE_STEP 0
#define METHOD_ADVANCED 1

/* ------------------------------------------------------------------------- */
/* The sandbox, and a clip on it                                             */

typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean done;
  KlingTask *task;
} JobWait;

static void
job_finished (KlingJob * job, const gchar * mp4_path, const KlingTask * task,
    const GError * error, gpointer user_data)
{
  JobWait *wait = user_data;

  g_mutex_lock (&wait->lock);
  fail_unless (error == NULL, "source clip: %s", error ? error->message : "");
  wait->task = kling_task_copy (task);
  wait->done = TRUE;
  g_cond_signal (&wait->cond);
  g_mutex_unlock (&wait->lock);
}

/* Renders still.jpg on the sandbox through the client: its video id and URL. */
static void
make_source_clip (Fixture * f)
{
  static const KlingJobCallbacks callbacks = {.finished = job_finished };
  KlingImage2VideoParams params = {.mode = KLING_MODE_STD,.duration_s = CLIP_S,
    .prompt = "a face, talking",.cfg_scale = 0.5
  };
  KlingJobOptions options = {.poll_interval_s = 0.05,.timeout_s = 60 };
  JobWait wait = { 0, };
  KlingClient *client;
  KlingRequest *request;
  KlingJob *job;
  GError *error = NULL;

  client = kling_client_acquire (kling_sandbox_get_base_url (f->sandbox),
      kling_auth_new_jwt (ACCESS_KEY, SECRET_KEY), &error);
  fail_unless (client != NULL, "%s", error ? error->message : "");
  params.image = still_media_file ("still.jpg");
  request = kling_image2video_request_new (&params, &error);
  fail_unless (request != NULL, "%s", error ? error->message : "");

  g_mutex_init (&wait.lock);
  g_cond_init (&wait.cond);
  job =
      kling_client_start_job (client, request, &options, &callbacks, &wait,
      NULL);
  g_mutex_lock (&wait.lock);
  while (!wait.done)
    g_cond_wait (&wait.cond, &wait.lock);
  g_mutex_unlock (&wait.lock);

  f->video_id = g_strdup (wait.task->video_id);
  f->video_url = g_strdup (wait.task->video_url);
  fail_unless (f->video_id && f->video_url);
  kling_task_free (wait.task);
  kling_job_unref (job);
  kling_request_free (request);
  g_bytes_unref (params.image);
  kling_client_unref (client);
  g_mutex_clear (&wait.lock);
  g_cond_clear (&wait.cond);
}

static void
fixture_start (Fixture * f, gdouble render_delay_s)
{
  FixtureOptions options = {.access_key = ACCESS_KEY,.secret_key = SECRET_KEY,
    .cache_template = "kling-lipsync-XXXXXX",.queue_delay_s = 0.05,
    .render_delay_s = render_delay_s
  };

  fixture_start_sandbox (f, &options);
  make_source_clip (f);
  kling_sandbox_reset (f->sandbox);     /* counters from here on are the element's */
}

/* ------------------------------------------------------------------------- */
/* The element and its harnesses                                             */

/* A klinglipsync pointed at the sandbox, with the test's bus; extra properties as
 * name/value pairs ending with NULL. */
static void
make_element_valist (Fixture * f, const gchar * first_property, va_list args)
{
  f->element = fixture_new_element (f, "klinglipsync");
  if (first_property)
    g_object_set_valist (G_OBJECT (f->element), first_property, args);
}

static void
make_element (Fixture * f, const gchar * first_property, ...)
{
  va_list args;

  va_start (args, first_property);
  make_element_valist (f, first_property, args);
  va_end (args);
}

/* Links the harnesses. The image request pad is requested first (it must exist before the
 * element leaves READY), then audio -> src starts the element with its audio linked (with
 * neither audio nor text it refuses to start), then the image and audio_src harnesses
 * attach to pads that exist. */
static void
start_harnesses (Fixture * f, gboolean image, gboolean audio_in,
    gboolean audio_out)
{
  if (image)
    gst_object_unref (gst_element_request_pad_simple (f->element, "image"));
  f->h =
      gst_harness_new_with_element (f->element, audio_in ? "audio" : NULL,
      "src");
  if (image)
    f->image = gst_harness_new_with_element (f->element, "image", NULL);
  if (audio_out)
    f->audio_out = gst_harness_new_with_element (f->element, NULL, "audio_src");
  gst_harness_play (f->h);
}

/* The usual element: audio pad in, src out (and audio_src when @audio_out); its
 * properties as name/value pairs ending with NULL. */
static void
start_element (Fixture * f, gboolean audio_out, const gchar * first_property,
    ...)
{
  va_list args;

  va_start (args, first_property);
  make_element_valist (f, first_property, args);
  va_end (args);
  start_harnesses (f, FALSE, TRUE, audio_out);
}

/* One sample of the tone, @value on the S16 scale, in the test's format: every byte of
 * the buffer is written, so the element hashes and sends what the test meant. */
static void
write_tone_sample (const GstAudioInfo * info, guint8 * data, guint index,
    gdouble value)
{
  switch (GST_AUDIO_INFO_FORMAT (info)) {
    case GST_AUDIO_FORMAT_S16LE:
      ((gint16 *) data)[index] = (gint16) value;
      break;
    case GST_AUDIO_FORMAT_F32LE:
      ((gfloat *) data)[index] = (gfloat) (value / 32768.0);
      break;
    default:
      g_assert_not_reached ();
  }
}

/* @seconds of a 300 Hz tone in @format at @rate Hz, @channels channels, pushed in
 * 100 ms buffers, then EOS; in a segment that ends at @stop (or never). */
static void
push_tone_until (GstHarness * h, const gchar * format, gint rate, gint channels,
    gdouble seconds, GstClockTime stop)
{
  GstAudioInfo info;
  guint total = (guint) (seconds * rate + 0.5), done = 0;

  gst_audio_info_set_format (&info, gst_audio_format_from_string (format), rate,
      channels, NULL);
  gst_harness_set_src_caps (h, gst_audio_info_to_caps (&info));
  if (GST_CLOCK_TIME_IS_VALID (stop)) {
    GstSegment segment;

    gst_segment_init (&segment, GST_FORMAT_TIME);
    segment.stop = stop;
    gst_harness_push_event (h, gst_event_new_segment (&segment));
  }
  while (done < total) {
    guint n = MIN ((guint) rate / 10, total - done), i, c;
    GstBuffer *buffer = gst_buffer_new_allocate (NULL, n * info.bpf, NULL);
    GstMapInfo map;

    gst_buffer_map (buffer, &map, GST_MAP_WRITE);
    for (i = 0; i < n; i++)
      for (c = 0; c < (guint) channels; c++)
        write_tone_sample (&info, map.data, i * channels + c,
            8000 * sin (2 * G_PI * 300 * (done + i) / rate));
    gst_buffer_unmap (buffer, &map);
    GST_BUFFER_PTS (buffer) = gst_util_uint64_scale (done, GST_SECOND, rate);
    GST_BUFFER_DURATION (buffer) = gst_util_uint64_scale (n, GST_SECOND, rate);
    if (gst_harness_push (h, buffer) != GST_FLOW_OK)
      break;                    /* the element refused the audio: the test checks why */
    done += n;
  }
  gst_harness_push_event (h, gst_event_new_eos ());
}

static void
push_tone (GstHarness * h, const gchar * format, gint rate, gint channels,
    gdouble seconds)
{
  push_tone_until (h, format, rate, channels, seconds, GST_CLOCK_TIME_NONE);
}

/* @seconds of MP3 from lamemp3enc, pushed as audio/mpeg buffers, then EOS. */
static void
push_mp3 (GstHarness * h, gdouble seconds)
{
  gchar *launch =
      g_strdup_printf ("audiotestsrc num-buffers=%d samplesperbuffer=4410 "
      "freq=300 ! audio/x-raw,rate=44100,channels=1 ! lamemp3enc ! mpegaudioparse ! "
      "appsink name=sink sync=false", (gint) (seconds * 10));
  GstElement *pipeline = gst_parse_launch (launch, NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstSample *sample;
  gboolean caps_set = FALSE;

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while ((sample = gst_app_sink_pull_sample (GST_APP_SINK (sink)))) {
    if (!caps_set) {
      gst_harness_set_src_caps (h,
          gst_caps_copy (gst_sample_get_caps (sample)));
      caps_set = TRUE;
    }
    fail_unless_equals_int (gst_harness_push (h,
            gst_buffer_ref (gst_sample_get_buffer (sample))), GST_FLOW_OK);
    gst_sample_unref (sample);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_free (launch);
  gst_harness_push_event (h, gst_event_new_eos ());
}

/* ------------------------------------------------------------------------- */
/* What comes out                                                            */

/* Every buffer up to EOS, checked to run from 0 without gaps; returns the end time. */
static GstClockTime
stream_end (GstHarness * h, guint * n_buffers)
{
  GstClockTime expected = 0;
  GstBuffer *buffer;
  guint n = 0;

  gst_event_unref (pull_event_of_type (h, GST_EVENT_EOS));
  while ((buffer = gst_harness_try_pull (h))) {
    fail_unless (GST_BUFFER_PTS_IS_VALID (buffer)
        && GST_BUFFER_DURATION_IS_VALID (buffer));
    fail_unless (ABS (GST_CLOCK_DIFF (expected,
                GST_BUFFER_PTS (buffer))) < 2 * GST_MSECOND,
        "buffer %u at %" GST_TIME_FORMAT ", expected %" GST_TIME_FORMAT, n,
        GST_TIME_ARGS (GST_BUFFER_PTS (buffer)), GST_TIME_ARGS (expected));
    expected = GST_BUFFER_PTS (buffer) + GST_BUFFER_DURATION (buffer);
    n++;
    gst_buffer_unref (buffer);
  }
  if (n_buffers)
    *n_buffers = n;
  return expected;
}

static void
check_video_caps (GstHarness * h)
{
  GstEvent *event = pull_event_of_type (h, GST_EVENT_CAPS);
  GstCaps *caps;
  GstVideoInfo info;

  gst_event_parse_caps (event, &caps);
  fail_unless (gst_video_info_from_caps (&info, caps), "%" GST_PTR_FORMAT,
      caps);
  fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&info), CLIP_WIDTH);
  fail_unless_equals_int (GST_VIDEO_INFO_HEIGHT (&info), CLIP_HEIGHT);
  gst_event_unref (event);
}

/* The whole clip on src (and audio_src when linked): the source clip's frames, audio
 * ending with the video within one frame, the result id in the tags and property. */
static void
check_lip_synced_clip (Fixture * f)
{
  GstClockTime video_end, audio_end;
  guint frames;
  GstEvent *event;
  GstTagList *tags;
  gchar *tag_id = NULL, *result_id = NULL;

  check_video_caps (f->h);
  event = pull_event_of_type (f->h, GST_EVENT_TAG);
  gst_event_parse_tag (event, &tags);
  fail_unless (gst_tag_list_get_string (tags, "kling-video-id", &tag_id));
  gst_event_unref (event);

  video_end = stream_end (f->h, &frames);
  fail_unless_equals_int (frames, CLIP_S * CLIP_FPS);

  g_object_get (f->element, "result-video-id", &result_id, NULL);
  fail_unless (result_id != NULL);
  fail_unless_equals_string (tag_id, result_id);
  fail_if (g_str_equal (result_id, f->video_id), "the result is a new video");
  g_free (tag_id);
  g_free (result_id);

  if (f->audio_out) {
    GstEvent *caps_event = pull_event_of_type (f->audio_out, GST_EVENT_CAPS);
    GstCaps *caps;
    GstAudioInfo info;

    gst_event_parse_caps (caps_event, &caps);
    fail_unless (gst_audio_info_from_caps (&info, caps));
    gst_event_unref (caps_event);
    audio_end = stream_end (f->audio_out, NULL);
    fail_unless (ABS (GST_CLOCK_DIFF (video_end,
                audio_end)) <= (GstClockTimeDiff) FRAME,
        "video ends at %" GST_TIME_FORMAT ", audio at %" GST_TIME_FORMAT,
        GST_TIME_ARGS (video_end), GST_TIME_ARGS (audio_end));
  }
}

/* Not the shared check_error(): the lip-sync refusals put the detail the tests look for
 * in the debug string as often as in the message. */
static void
check_error_or_debug (GstMessage * message, GQuark domain, gint code,
    const gchar * words)
{
  GError *error = NULL;
  gchar *debug = NULL;

  gst_message_parse_error (message, &error, &debug);
  GST_INFO ("error: %s (%s)", error->message, debug);
  fail_unless (error->domain == domain && error->code == code,
      "unexpected error %s %d: %s", g_quark_to_string (error->domain),
      error->code, error->message);
  fail_unless (strstr (error->message, words) != NULL || (debug
          && strstr (debug, words) != NULL), "\"%s\" not in \"%s\" (%s)", words,
      error->message, debug);
  g_error_free (error);
  g_free (debug);
  gst_message_unref (message);
}

/* ------------------------------------------------------------------------- */
/* The main paths                                                            */

/* The kling-task messages name the lip-sync endpoint and end with "succeed"; progress
 * goes START ... COMPLETE. */
static void
check_lip_sync_messages (Fixture * f)
{
  GstMessage *message;
  gboolean started = FALSE, completed = FALSE, succeeded = FALSE;

  while ((message = gst_bus_pop (f->bus))) {
    const GstStructure *s = gst_message_get_structure (message);
    GstProgressType type;

    if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_PROGRESS) {
      gst_message_parse_progress (message, &type, NULL, NULL);
      started |= type == GST_PROGRESS_TYPE_START;
      completed |= type == GST_PROGRESS_TYPE_COMPLETE;
    } else if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ELEMENT
        && gst_structure_has_name (s, "kling-task")) {
      fail_unless_equals_string (gst_structure_get_string (s, "endpoint"),
          "lip-sync");
      succeeded |=
          g_strcmp0 (gst_structure_get_string (s, "status"), "succeed") == 0;
    }
    gst_message_unref (message);
  }
  fail_unless (started && completed
      && succeeded, "start %d complete %d succeed %d", started, completed,
      succeeded);
}

GST_START_TEST (test_raw_audio_and_video_id)
{
  Fixture f;

  fixture_start (&f, 0.1);
  start_element (&f, TRUE, "source-video-id", f.video_id,
      "lip-sync-method", METHOD_ONE_STEP, NULL);
  push_tone (f.h, "S16LE", 48000, 2, 3.0);
  check_lip_synced_clip (&f);
  fail_unless_equals_int (tasks_created (&f, "lip-sync"), 1);
  check_lip_sync_messages (&f);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_mp3_audio)
{
  Fixture f;

  fixture_start (&f, 0.1);
  start_element (&f, TRUE, "source-video-id", f.video_id,
      "lip-sync-method", METHOD_ONE_STEP, NULL);
  push_mp3 (f.h, 3.0);
  check_lip_synced_clip (&f);
  fail_unless_equals_int (tasks_created (&f, "lip-sync"), 1);
  fixture_stop (&f);
}

GST_END_TEST;

/* Nothing linked to "audio" and text set: Kling speaks the text. */
GST_START_TEST (test_text_mode)
{
  Fixture f;

  fixture_start (&f, 0.1);
  make_element (&f, "source-video-id", f.video_id, "text",
      "Hello from the sandbox", "voice-speed", 1.2, "lip-sync-method",
      METHOD_ONE_STEP, NULL);
  start_harnesses (&f, FALSE, FALSE, TRUE);
  check_lip_synced_clip (&f);
  fail_unless_equals_int (tasks_created (&f, "lip-sync"), 1);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_video_url)
{
  Fixture f;

  fixture_start (&f, 0.1);
  start_element (&f, TRUE, "video-url", f.video_url,
      "lip-sync-method", METHOD_ONE_STEP, NULL);
  push_tone (f.h, "S16LE", 16000, 1, 2.5);
  check_lip_synced_clip (&f);
  fail_unless_equals_int (tasks_created (&f, "lip-sync"), 1);
  fixture_stop (&f);
}

GST_END_TEST;

/* A still on the image pad: image2video first, then lip-sync of that clip. */
GST_START_TEST (test_image_pad_chain)
{
  Fixture f;

  fixture_start (&f, 0.1);
  make_element (&f, "prompt", "a person talking",
      "lip-sync-method", METHOD_ONE_STEP, NULL);
  start_harnesses (&f, TRUE, TRUE, TRUE);
  push_jpeg_still (&f);
  push_tone (f.h, "F32LE", 44100, 1, 2.2);
  check_lip_synced_clip (&f);
  fail_unless_equals_int (tasks_created (&f, "image2video"), 1);
  fail_unless_equals_int (tasks_created (&f, "lip-sync"), 1);
  fixture_stop (&f);
}

GST_END_TEST;

/* The progress messages on the bus: each START (its text begins with @starts[i], the
 * list ends with NULL) is followed by CONTINUEs only, then one COMPLETE, before the next;
 * nothing outside them. Returns how many `kling-wait` CONTINUEs came. */
static guint
check_progress_pairs (Fixture * f, const gchar * const *starts)
{
  GstMessage *message;
  gboolean open = FALSE;
  guint n = 0, waits = 0;
  gchar *text, *code;

  while ((message = gst_bus_pop (f->bus))) {
    GstProgressType type;

    if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_PROGRESS) {
      gst_message_parse_progress (message, &type, &code, &text);
      if (type == GST_PROGRESS_TYPE_START) {
        fail_if (open, "START before the last one ended: %s", text);
        fail_unless (starts[n] != NULL, "one START too many: %s", text);
        fail_unless (g_str_has_prefix (text, starts[n]), "%s", text);
        open = TRUE;
        n++;
      } else {
        fail_unless (open, "progress outside a START: %s", text);
        waits += !g_strcmp0 (code, "kling-wait");
        if (type != GST_PROGRESS_TYPE_CONTINUE) {
          fail_unless_equals_int (type, GST_PROGRESS_TYPE_COMPLETE);
          open = FALSE;
        }
      }
      g_free (text);
      g_free (code);
    }
    gst_message_unref (message);
  }
  fail_if (open);
  fail_unless (starts[n] == NULL, "no START \"%s\"", starts[n]);
  return waits;
}

/* A chained render (image2video, then lip-sync) posts two START ... COMPLETE pairs, the
 * first ended before the second starts. */
GST_START_TEST (test_image_pad_chain_progress_pairs)
{
  Fixture f;
  const gchar *starts[] = { "Submitting a Kling image2video task",
    "Submitting a Kling lip-sync task", NULL
  };

  fixture_start (&f, 0.1);
  make_element (&f, "prompt", "a person talking",
      "lip-sync-method", METHOD_ONE_STEP, NULL);
  start_harnesses (&f, TRUE, TRUE, TRUE);
  push_jpeg_still (&f);
  push_tone (f.h, "F32LE", 44100, 1, 2.2);
  check_lip_synced_clip (&f);
  check_progress_pairs (&f, starts);
  fixture_stop (&f);
}

GST_END_TEST;

/* identify-face is a step of its own before the advanced lip-sync: its START, its retry
 * after a rate limit said, then the lip-sync's START. */
GST_START_TEST (test_advanced_progress_pairs)
{
  Fixture f;
  const gchar *starts[] = { "Looking for the face to animate",
    "Submitting a Kling advanced-lip-sync task", NULL
  };

  fixture_start (&f, 0.1);
  fail_unless (kling_sandbox_add_fault_json (f.sandbox, "{\"method\":\"POST\","
          "\"path\":\"/v1/videos/identify-face\",\"kind\":\"status\",\"http\":429,"
          "\"code\":1302,\"times\":1}", NULL));
  start_element (&f, TRUE, "video-id", f.video_id, "lip-sync-method", 1, NULL);
  push_tone (f.h, "S16LE", 16000, 1, 3.0);
  check_lip_synced_clip (&f);
  fail_unless_equals_int (counter (&f, "requests",
          "POST /v1/videos/identify-face"), 2);
  fail_unless_equals_int (check_progress_pairs (&f, starts), 1);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_advanced_method)
{
  Fixture f;

  fixture_start (&f, 0.1);
  start_element (&f, TRUE, "source-video-id", f.video_id, "lip-sync-method",
      METHOD_ADVANCED, NULL);
  push_tone (f.h, "S16LE", 16000, 1, 3.0);
  check_lip_synced_clip (&f);
  fail_unless_equals_int (counter (&f, "requests",
          "POST /v1/videos/identify-face"), 1);
  fail_unless_equals_int (tasks_created (&f, "advanced-lip-sync"), 1);
  fail_unless_equals_int (tasks_created (&f, "lip-sync"), 0);
  fixture_stop (&f);
}

GST_END_TEST;

/* With lip-sync-method left alone, the flow Kling documents: identify-face, then
 * advanced-lip-sync, and no one-step request. */
GST_START_TEST (test_default_method_is_advanced)
{
  Fixture f;

  fixture_start (&f, 0.1);
  start_element (&f, TRUE, "source-video-id", f.video_id, NULL);
  push_tone (f.h, "S16LE", 16000, 1, 3.0);
  check_lip_synced_clip (&f);
  fail_unless_equals_int (counter (&f, "requests",
          "POST /v1/videos/identify-face"), 1);
  fail_unless_equals_int (tasks_created (&f, "advanced-lip-sync"), 1);
  fail_unless_equals_int (counter (&f, "requests", "POST /v1/videos/lip-sync"),
      0);
  fixture_stop (&f);
}

GST_END_TEST;

/* The input's old name, video-id, set the way gst-launch-1.0 sets it, still reaches the
 * request; reading video-id afterwards gives the result, as on every Kling element. */
GST_START_TEST (test_old_video_id_spelling)
{
  Fixture f;
  gchar *source = NULL, *video_id = NULL, *result_id = NULL;

  fixture_start (&f, 0.1);
  make_element (&f, NULL);
  gst_util_set_object_arg (G_OBJECT (f.element), "video-id", f.video_id);
  g_object_get (f.element, "source-video-id", &source, "video-id", &video_id,
      NULL);
  fail_unless_equals_string (source, f.video_id);
  fail_unless (video_id == NULL, "video-id reads the result, none yet: %s",
      video_id);
  start_harnesses (&f, FALSE, TRUE, FALSE);
  push_tone (f.h, "S16LE", 16000, 1, 3.0);
  check_lip_synced_clip (&f);
  fail_unless_equals_int (tasks_created (&f, "advanced-lip-sync"), 1);

  g_free (video_id);
  g_object_get (f.element, "video-id", &video_id, "result-video-id", &result_id,
      NULL);
  fail_unless (video_id != NULL);
  fail_unless_equals_string (video_id, result_id);
  fail_if (g_str_equal (video_id, f.video_id),
      "video-id reads the input, not the result");
  g_free (source);
  g_free (video_id);
  g_free (result_id);
  fixture_stop (&f);
}

GST_END_TEST;

/* source-video-id is a property gst-launch-1.0 can set; gst-inspect-1.0 shows video-id as
 * deprecated. */
GST_START_TEST (test_source_video_id_property)
{
  GstElement *element = gst_element_factory_make ("klinglipsync", NULL);
  GParamSpec *source =
      g_object_class_find_property (G_OBJECT_GET_CLASS (element),
      "source-video-id");
  GParamSpec *old = g_object_class_find_property (G_OBJECT_GET_CLASS (element),
      "video-id");
  gchar *value = NULL;

  fail_unless (source && (source->flags & G_PARAM_WRITABLE));
  fail_unless (old && (old->flags & G_PARAM_DEPRECATED)
      && (old->flags & G_PARAM_READABLE));
  gst_util_set_object_arg (G_OBJECT (element), "source-video-id", "abc");
  g_object_get (element, "source-video-id", &value, NULL);
  fail_unless_equals_string (value, "abc");
  g_free (value);
  gst_object_unref (element);
}

GST_END_TEST;

/* The sidecar the cache wrote for the clip of @endpoint ("advanced-lip-sync",
 * "image2video"): its "request" summary, as sent. */
static JsonObject *
sidecar_request (Fixture * f, const gchar * endpoint, JsonParser ** parser)
{
  GDir *dir = g_dir_open (f->cache_dir, 0, NULL);
  const gchar *name;
  JsonObject *found = NULL;

  fail_unless (dir != NULL);
  while (!found && (name = g_dir_read_name (dir))) {
    gchar *path = g_build_filename (f->cache_dir, name, NULL);
    JsonObject *meta;

    *parser = json_parser_new ();
    if (g_str_has_suffix (name, ".json")
        && json_parser_load_from_file (*parser, path, NULL)
        && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (*parser))) {
      meta = json_node_get_object (json_parser_get_root (*parser));
      if (g_strcmp0 (json_object_get_string_member_with_default (meta,
                  "endpoint", ""), endpoint) == 0)
        found = json_object_get_object_member (meta, "request");
    }
    if (!found)
      g_clear_object (parser);
    g_free (path);
  }
  g_dir_close (dir);
  fail_unless (found != NULL, "no %s clip in %s", endpoint, f->cache_dir);
  return found;
}

/* The advanced request's sound ends where the video ends at the latest: at most
 * @video_ms after the start of the video, and exactly there when the sound is longer
 * than the face's window (which starts at 0 on the sandbox). */
static void
check_sound_window (Fixture * f, gint64 video_ms)
{
  JsonParser *parser = NULL;
  JsonObject *request = sidecar_request (f, "advanced-lip-sync", &parser);
  JsonObject *face = json_array_get_object_element (json_object_get_array_member
      (request, "face_choose"), 0);
  gint64 start = json_object_get_int_member (face, "sound_start_time");
  gint64 end = json_object_get_int_member (face, "sound_end_time");
  gint64 insert = json_object_get_int_member (face, "sound_insert_time");

  fail_unless_equals_int64 (insert, 0);
  fail_unless_equals_int64 (insert + end - start, video_ms);
  g_object_unref (parser);
}

/* An INFO message saying the video's length was not known (or none). */
static gboolean
said_length_unknown (Fixture * f)
{
  GstMessage *message;
  gboolean said = FALSE;

  while ((message = gst_bus_pop_filtered (f->bus, GST_MESSAGE_INFO))) {
    GError *error = NULL;

    gst_message_parse_info (message, &error, NULL);
    said |= strstr (error->message, "length is not known") != NULL;
    g_error_free (error);
    gst_message_unref (message);
  }
  return said;
}

/* A voice longer than the clip the element made from a still: the sound is cut at the
 * clip's real end (5 s), not at identify-face's overstated end_time, and Kling takes the
 * first request (no refused create, nothing paid twice). */
GST_START_TEST (test_long_voice_on_made_clip_ends_with_video)
{
  Fixture f;

  fixture_start (&f, 0.1);
  make_element (&f, "prompt", "a person talking", NULL);
  start_harnesses (&f, TRUE, TRUE, TRUE);
  push_jpeg_still (&f);
  push_tone (f.h, "S16LE", 16000, 1, 8.0);
  check_lip_synced_clip (&f);
  check_sound_window (&f, CLIP_S * 1000);
  fail_unless (!said_length_unknown (&f), "the clip's length was known");
  fail_unless_equals_int (counter (&f, "requests",
          "POST /v1/videos/identify-face"), 1);
  fail_unless_equals_int (counter (&f, "requests",
          "POST /v1/videos/advanced-lip-sync"), 1);
  fail_unless_equals_int (tasks_created (&f, "advanced-lip-sync"), 1);
  fixture_stop (&f);
}

GST_END_TEST;

/* The same with a video given by id, whose length the element cannot know: it says what
 * it assumes, and the sound still ends with the video. */
GST_START_TEST (test_long_voice_on_video_id_ends_with_video)
{
  Fixture f;

  fixture_start (&f, 0.1);
  start_element (&f, TRUE, "source-video-id", f.video_id, NULL);
  push_tone (f.h, "S16LE", 16000, 1, 8.0);
  check_lip_synced_clip (&f);
  check_sound_window (&f, CLIP_S * 1000);
  fail_unless (said_length_unknown (&f), "no word on the assumed length");
  fail_unless_equals_int (counter (&f, "requests",
          "POST /v1/videos/advanced-lip-sync"), 1);
  fixture_stop (&f);
}

GST_END_TEST;

/* The image pad's clip takes duration, mode and sound like klingimage2video: a 10 s pro
 * clip with native audio is asked for, rendered, and lip-synced over its whole length. */
GST_START_TEST (test_image_pad_duration_mode_sound)
{
  Fixture f;
  JsonParser *parser = NULL;
  JsonObject *request;
  GstClockTime end;
  guint frames;

  fixture_start (&f, 0.1);
  make_element (&f, "prompt", "a person talking", "duration", 10, "mode", 1,
      "sound", TRUE, NULL);
  start_harnesses (&f, TRUE, TRUE, FALSE);
  push_jpeg_still (&f);
  push_tone (f.h, "S16LE", 16000, 1, 12.0);
  end = stream_end (f.h, &frames);
  fail_unless_equals_int (frames, 10 * CLIP_FPS);
  fail_unless (ABS (GST_CLOCK_DIFF (end, 10 * GST_SECOND)) < 2 * GST_MSECOND,
      "the clip ends at %" GST_TIME_FORMAT, GST_TIME_ARGS (end));

  request = sidecar_request (&f, "image2video", &parser);
  fail_unless_equals_string (json_object_get_string_member (request,
          "duration"), "10");
  fail_unless_equals_string (json_object_get_string_member (request, "mode"),
      "pro");
  fail_unless_equals_string (json_object_get_string_member (request, "sound"),
      "on");
  g_object_unref (parser);
  check_sound_window (&f, 10 * 1000);
  fixture_stop (&f);
}

GST_END_TEST;

/* A length the model does not render is refused before any request, as on
 * klingimage2video. */
GST_START_TEST (test_image_pad_bad_duration_refused)
{
  Fixture f;

  fixture_start (&f, 0.1);
  make_element (&f, "prompt", "a person talking", "model-name", "kling-v2-6",
      "duration", 7, NULL);
  start_harnesses (&f, TRUE, TRUE, FALSE);
  push_jpeg_still (&f);
  push_tone (f.h, "S16LE", 16000, 1, 3.0);
  check_error_or_debug (pop_error (&f), GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, "7");
  fail_unless_equals_int (counter (&f, "requests",
          "POST /v1/videos/image2video"), 0);
  fail_unless_equals_int (counter (&f, "requests",
          "POST /v1/videos/identify-face"), 0);
  fixture_stop (&f);
}

GST_END_TEST;

/* ------------------------------------------------------------------------- */
/* A video of our own by URL: an MP4 of any length, served on loopback      */

typedef struct
{
  GMutex lock;
  GCond cond;
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  GBytes *file;
  gchar *url;
} FileServer;

static void
serve_file (SoupServer * server, SoupServerMessage * message, const char *path,
    GHashTable * query, gpointer user_data)
{
  FileServer *fs = user_data;
  gsize size;
  gconstpointer data = g_bytes_get_data (fs->file, &size);

  soup_server_message_set_status (message, 200, NULL);
  soup_server_message_set_response (message, "video/mp4", SOUP_MEMORY_COPY,
      data, size);
}

static gpointer
file_server_thread (gpointer data)
{
  FileServer *fs = data;
  GInetAddress *loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *address = g_inet_socket_address_new (loopback, 0);
  SoupServer *server;
  GSList *listeners;
  GSocketAddress *local;

  g_main_context_push_thread_default (fs->context);
  server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, NULL, serve_file, fs, NULL);
  fail_unless (soup_server_listen (server, address, 0, NULL));
  listeners = soup_server_get_listeners (server);
  local = g_socket_get_local_address (listeners->data, NULL);
  g_mutex_lock (&fs->lock);
  fs->url = g_strdup_printf ("http://127.0.0.1:%u/clip.mp4",
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)));
  g_cond_signal (&fs->cond);
  g_mutex_unlock (&fs->lock);
  g_main_loop_run (fs->loop);

  g_object_unref (local);
  g_slist_free (listeners);
  g_object_unref (server);
  g_object_unref (address);
  g_object_unref (loopback);
  g_main_context_pop_thread_default (fs->context);
  return NULL;
}

/* Writes @frames frames (24 fps, 320x180) to an MP4 and serves it: its URL. */
static FileServer *
file_server_start (guint frames)
{
  FileServer *fs = g_new0 (FileServer, 1);
  gchar *path =
      g_build_filename (g_get_tmp_dir (), "kling-lipsync-clip-XXXXXX.mp4",
      NULL);
  gint fd = g_mkstemp (path);
  gchar *launch, *contents;
  gsize size;
  GstElement *pipeline;
  GstMessage *message;

  fail_unless (fd >= 0);
  close (fd);
  launch =
      g_strdup_printf ("videotestsrc num-buffers=%u ! video/x-raw,width=%d,"
      "height=%d,framerate=%d/1,format=I420 ! x264enc ! h264parse ! mp4mux ! "
      "filesink location=%s", frames, CLIP_WIDTH, CLIP_HEIGHT, CLIP_FPS, path);
  pipeline = gst_parse_launch (launch, NULL);
  fail_unless (pipeline != NULL);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  message =
      gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline), 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (message && GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS);
  gst_message_unref (message);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  fail_unless (g_file_get_contents (path, &contents, &size, NULL));
  fs->file = g_bytes_new_take (contents, size);
  g_unlink (path);
  g_free (path);
  g_free (launch);

  g_mutex_init (&fs->lock);
  g_cond_init (&fs->cond);
  fs->context = g_main_context_new ();
  fs->loop = g_main_loop_new (fs->context, FALSE);
  fs->thread = g_thread_new ("file-server", file_server_thread, fs);
  g_mutex_lock (&fs->lock);
  while (!fs->url)
    g_cond_wait (&fs->cond, &fs->lock);
  g_mutex_unlock (&fs->lock);
  return fs;
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
file_server_stop (FileServer * fs)
{
  g_main_context_invoke (fs->context, quit_loop, fs->loop);
  g_thread_join (fs->thread);
  g_main_loop_unref (fs->loop);
  g_main_context_unref (fs->context);
  g_bytes_unref (fs->file);
  g_free (fs->url);
  g_mutex_clear (&fs->lock);
  g_cond_clear (&fs->cond);
  g_free (fs);
}

/* A video-url of 4.5 s (not a whole second): the element reads its length from the file,
 * so the sound runs to 4500 ms, the video's real end (not to identify-face's overstated
 * 4700, nor to the 4000 of the whole-second assumption). */
GST_START_TEST (test_video_url_length_probed)
{
  Fixture f;
  FileServer *fs;
  guint frames;

  fixture_start (&f, 0.1);
  fs = file_server_start (108);
  start_element (&f, FALSE, "video-url", fs->url, NULL);
  push_tone (f.h, "S16LE", 16000, 1, 8.0);
  stream_end (f.h, &frames);
  fail_unless_equals_int (frames, 108);
  check_sound_window (&f, 4500);
  fail_unless (!said_length_unknown (&f), "the length was probed");
  fail_unless_equals_int (counter (&f, "requests",
          "POST /v1/videos/advanced-lip-sync"), 1);
  file_server_stop (fs);
  fixture_stop (&f);
}

GST_END_TEST;

/* A video-url Kling would refuse (12 s: it takes 2 to 10) is refused before identify-face,
 * which Kling charges for. */
GST_START_TEST (test_video_url_too_long_refused)
{
  Fixture f;
  FileServer *fs;

  fixture_start (&f, 0.1);
  fs = file_server_start (12 * CLIP_FPS);
  start_element (&f, FALSE, "video-url", fs->url, NULL);
  push_tone (f.h, "S16LE", 16000, 1, 3.0);
  check_error_or_debug (pop_error (&f), GST_STREAM_ERROR,
      GST_STREAM_ERROR_FORMAT,
      "lasts 12.0 s: Kling lip-syncs videos of 2 to 10 s");
  fail_unless_equals_int (counter (&f, "requests",
          "POST /v1/videos/identify-face"), 0);
  file_server_stop (fs);
  fixture_stop (&f);
}

GST_END_TEST;

/* A photo and a text: image2video, then the one-step lip-sync in text mode. */
GST_START_TEST (test_image_pad_text_mode)
{
  Fixture f;

  fixture_start (&f, 0.1);
  make_element (&f, "prompt", "a person talking", "text", "Hi, I am a photo",
      "voice-language", 1, "lip-sync-method", METHOD_ONE_STEP, NULL);
  start_harnesses (&f, TRUE, FALSE, TRUE);
  push_jpeg_still (&f);
  check_lip_synced_clip (&f);
  fail_unless_equals_int (tasks_created (&f, "image2video"), 1);
  fail_unless_equals_int (tasks_created (&f, "lip-sync"), 1);
  fixture_stop (&f);
}

GST_END_TEST;

/* The advanced method on a still: image2video, identify-face, advanced-lip-sync. */
GST_START_TEST (test_image_pad_chain_advanced)
{
  Fixture f;

  fixture_start (&f, 0.1);
  make_element (&f, "prompt", "a person talking", "lip-sync-method",
      METHOD_ADVANCED, NULL);
  start_harnesses (&f, TRUE, TRUE, TRUE);
  push_jpeg_still (&f);
  push_tone (f.h, "S16LE", 16000, 1, 4.0);
  check_lip_synced_clip (&f);
  fail_unless_equals_int (tasks_created (&f, "image2video"), 1);
  fail_unless_equals_int (counter (&f, "requests",
          "POST /v1/videos/identify-face"), 1);
  fail_unless_equals_int (tasks_created (&f, "advanced-lip-sync"), 1);
  fixture_stop (&f);
}

GST_END_TEST;

/* A rerun of the advanced method reuses the face session, so the cache finds the clip. */
GST_START_TEST (test_advanced_rerun_uses_cache)
{
  Fixture f;
  guint run;

  fixture_start (&f, 0.1);
  for (run = 0; run < 2; run++) {
    start_element (&f, FALSE, "source-video-id", f.video_id, "lip-sync-method",
        METHOD_ADVANCED, NULL);
    push_tone (f.h, "S16LE", 16000, 1, 3.0);
    check_lip_synced_clip (&f);
    stop_element (&f);
  }
  fail_unless_equals_int (counter (&f, "requests",
          "POST /v1/videos/identify-face"), 1);
  fail_unless_equals_int (tasks_created (&f, "advanced-lip-sync"), 1);
  fixture_stop (&f);
}

GST_END_TEST;

/* A remembered face session Kling no longer knows: refused, forgotten, asked again. */
GST_START_TEST (test_advanced_stale_session)
{
  Fixture f;
  gchar *source, *key, *name, *dir, *path, *memo;

  fixture_start (&f, 0.1);
  source =
      g_strconcat (kling_sandbox_get_base_url (f.sandbox), " id:", f.video_id,
      NULL);
  key = g_compute_checksum_for_string (G_CHECKSUM_SHA256, source, -1);
  name = g_strconcat (key, ".json", NULL);
  dir = g_build_filename (f.cache_dir, "face-sessions", NULL);
  path = g_build_filename (dir, name, NULL);
  memo = g_strdup_printf ("{\"saved_at\": %" G_GINT64_FORMAT ", \"data\": "
      "{\"session_id\": \"forgotten\", \"face_data\": [{\"face_id\": \"0\", "
      "\"start_time\": 0, \"end_time\": 5000}]}}",
      g_get_real_time () / G_USEC_PER_SEC);
  fail_unless (g_mkdir_with_parents (dir, 0700) == 0);
  fail_unless (g_file_set_contents (path, memo, -1, NULL));

  start_element (&f, FALSE, "source-video-id", f.video_id, "lip-sync-method",
      METHOD_ADVANCED, NULL);
  push_tone (f.h, "S16LE", 16000, 1, 3.0);
  check_lip_synced_clip (&f);
  fail_unless_equals_int (counter (&f, "requests",
          "POST /v1/videos/advanced-lip-sync"), 2);
  fail_unless_equals_int (counter (&f, "requests",
          "POST /v1/videos/identify-face"), 1);
  fail_unless_equals_int (tasks_created (&f, "advanced-lip-sync"), 1);

  g_free (source);
  g_free (key);
  g_free (name);
  g_free (dir);
  g_free (path);
  g_free (memo);
  fixture_stop (&f);
}

GST_END_TEST;

/* Only "src" linked: the audio is dropped and nothing waits for it. */
GST_START_TEST (test_only_src_linked)
{
  Fixture f;

  fixture_start (&f, 0.1);
  start_element (&f, FALSE, "source-video-id", f.video_id,
      "lip-sync-method", METHOD_ONE_STEP, NULL);
  push_tone (f.h, "S16LE", 16000, 1, 3.0);
  check_lip_synced_clip (&f);
  fixture_stop (&f);
}

GST_END_TEST;

/* The same voice and video again: the cached clip, no second task. */
GST_START_TEST (test_rerun_uses_cache)
{
  Fixture f;

  fixture_start (&f, 0.1);
  start_element (&f, FALSE, "source-video-id", f.video_id,
      "lip-sync-method", METHOD_ONE_STEP, NULL);
  push_tone (f.h, "S16LE", 16000, 1, 3.0);
  check_lip_synced_clip (&f);
  stop_element (&f);

  start_element (&f, FALSE, "source-video-id", f.video_id,
      "lip-sync-method", METHOD_ONE_STEP, NULL);
  push_tone (f.h, "S16LE", 16000, 1, 3.0);
  check_lip_synced_clip (&f);
  fail_unless_equals_int (tasks_created (&f, "lip-sync"), 1);
  fixture_stop (&f);
}

GST_END_TEST;

/* ------------------------------------------------------------------------- */
/* Refusals before any request, and failures after                           */

static void
check_no_lip_sync_request (Fixture * f)
{
  fail_unless_equals_int (counter (f, "requests", "POST /v1/videos/lip-sync"),
      0);
}

/* The input was refused as STREAM FORMAT, naming @words, and nothing was sent. */
static void
check_refused_input (Fixture * f, const gchar * words)
{
  check_error_or_debug (pop_error (f), GST_STREAM_ERROR,
      GST_STREAM_ERROR_FORMAT, words);
  check_no_lip_sync_request (f);
}

GST_START_TEST (test_audio_too_short)
{
  Fixture f;

  fixture_start (&f, 0.1);
  start_element (&f, FALSE, "source-video-id", f.video_id, NULL);
  push_tone (f.h, "S16LE", 16000, 1, 1.5);
  check_refused_input (&f, "1.50 s");
  fixture_stop (&f);
}

GST_END_TEST;

/* Refused as soon as it passes 60 s, before the stream ends. */
GST_START_TEST (test_audio_too_long)
{
  Fixture f;

  fixture_start (&f, 0.1);
  start_element (&f, FALSE, "source-video-id", f.video_id, NULL);
  push_tone (f.h, "S16LE", 8000, 1, 61.0);
  check_refused_input (&f, "60 s");
  fixture_stop (&f);
}

GST_END_TEST;

/* A segment that stops at 3 s trims 70 s of audio to a voice Kling takes. */
GST_START_TEST (test_audio_trimmed_by_segment)
{
  Fixture f;

  fixture_start (&f, 0.1);
  start_element (&f, FALSE, "source-video-id", f.video_id,
      "lip-sync-method", METHOD_ONE_STEP, NULL);
  push_tone_until (f.h, "S16LE", 8000, 1, 70.0, 3 * GST_SECOND);
  check_lip_synced_clip (&f);
  fail_unless_equals_int (tasks_created (&f, "lip-sync"), 1);
  fixture_stop (&f);
}

GST_END_TEST;

/* MP3 frames (MPEG-1 layer III, 128 kb/s, 44.1 kHz: 417 bytes) without durations, so
 * only the size can stop them: pushed until the element refuses them. */
static GstFlowReturn
push_mp3_frames_until_refused (GstHarness * h, guint max_bytes)
{
  static const guint8 header[4] = { 0xFF, 0xFB, 0x90, 0x00 };
  GstFlowReturn ret = GST_FLOW_OK;
  guint pushed = 0, i;

  gst_harness_set_src_caps_str (h, "audio/mpeg,mpegversion=1,layer=3");
  while (ret == GST_FLOW_OK && pushed < max_bytes) {
    GstBuffer *buffer = gst_buffer_new_allocate (NULL, 100 * 417, NULL);
    GstMapInfo map;

    gst_buffer_map (buffer, &map, GST_MAP_WRITE);
    memset (map.data, 0x55, map.size);
    for (i = 0; i < 100; i++)
      memcpy (map.data + i * 417, header, 4);
    gst_buffer_unmap (buffer, &map);
    pushed += 100 * 417;
    ret = gst_harness_push (h, buffer);
  }
  return ret;
}

GST_START_TEST (test_mp3_too_big)
{
  Fixture f;

  fixture_start (&f, 0.1);
  start_element (&f, FALSE, "source-video-id", f.video_id, NULL);
  fail_unless_equals_int (push_mp3_frames_until_refused (f.h, 6 * 1024 * 1024),
      GST_FLOW_ERROR);
  check_refused_input (&f, "5 MB");
  fixture_stop (&f);
}

GST_END_TEST;

/* audio/mpeg caps on bytes that are not MP3: refused at EOS, when they are probed. */
GST_START_TEST (test_not_mp3)
{
  Fixture f;
  GstBuffer *noise = gst_buffer_new_allocate (NULL, 64 * 1024, NULL);

  fixture_start (&f, 0.1);
  start_element (&f, FALSE, "source-video-id", f.video_id, NULL);
  gst_buffer_memset (noise, 0, 0x42, 64 * 1024);
  gst_harness_set_src_caps_str (f.h, "audio/mpeg,mpegversion=1,layer=3");
  fail_unless_equals_int (gst_harness_push (f.h, noise), GST_FLOW_OK);
  gst_harness_push_event (f.h, gst_event_new_eos ());
  check_refused_input (&f, "not WAV or MP3");
  fixture_stop (&f);
}

GST_END_TEST;

/* A still Kling would refuse (under 300 px) never reaches image2video. */
GST_START_TEST (test_small_still)
{
  Fixture f;
  GstVideoInfo info;
  GstBuffer *frame;

  fixture_start (&f, 0.1);
  make_element (&f, NULL);
  start_harnesses (&f, TRUE, TRUE, FALSE);
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, 200, 200);
  gst_harness_set_src_caps (f.image, gst_video_info_to_caps (&info));
  frame = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  gst_buffer_memset (frame, 0, 0x80, GST_VIDEO_INFO_SIZE (&info));
  fail_unless_equals_int (gst_harness_push (f.image, frame), GST_FLOW_ERROR);
  check_error_or_debug (pop_error (&f), GST_STREAM_ERROR,
      GST_STREAM_ERROR_FORMAT, "300");
  fail_unless_equals_int (counter (&f, "requests",
          "POST /v1/videos/image2video"), 0);
  fixture_stop (&f);
}

GST_END_TEST;

/* A JPEG in pieces (filesrc without jpegparse) on the image pad is refused before any
 * request, as on klingimage2video: Kling would be sent a broken image. */
GST_START_TEST (test_partial_jpeg_still)
{
  Fixture f;
  GBytes *jpeg = still_media_file ("still.jpg");
  GstBuffer *piece =
      gst_buffer_new_memdup (g_bytes_get_data (jpeg, NULL), 4096);

  g_bytes_unref (jpeg);
  fixture_start (&f, 0.1);
  make_element (&f, NULL);
  start_harnesses (&f, TRUE, TRUE, FALSE);
  gst_harness_set_src_caps_str (f.image, "image/jpeg");
  fail_unless_equals_int (gst_harness_push (f.image, piece), GST_FLOW_ERROR);
  check_error_or_debug (pop_error (&f), GST_STREAM_ERROR,
      GST_STREAM_ERROR_FORMAT, "klinglipsync in pieces: put jpegparse");
  fail_unless_equals_int (counter (&f, "requests",
          "POST /v1/videos/image2video"), 0);
  fixture_stop (&f);
}

GST_END_TEST;

static void
expect_start_failure (Fixture * f, const gchar * words)
{
  gst_element_set_bus (f->element, f->bus);
  fail_unless_equals_int (gst_element_set_state (f->element, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  check_error_or_debug (pop_error (f), GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, words);
  gst_element_set_state (f->element, GST_STATE_NULL);
  gst_clear_object (&f->element);
}

GST_START_TEST (test_setting_errors)
{
  Fixture f;
  GString *long_text = g_string_new (NULL);
  guint i;

  fixture_start (&f, 0.1);

  /* No video at all, then two videos. */
  make_element (&f, NULL);
  expect_start_failure (&f, "No video");
  make_element (&f, "source-video-id", f.video_id, "video-url", f.video_url,
      NULL);
  expect_start_failure (&f, "one way only");

  /* Text mode: 121 characters; advanced needs audio. */
  for (i = 0; i < 121; i++)
    g_string_append_c (long_text, 'a');
  make_element (&f, "source-video-id", f.video_id, "text", long_text->str,
      "lip-sync-method", METHOD_ONE_STEP, NULL);
  expect_start_failure (&f, "120");
  make_element (&f, "source-video-id", f.video_id, "text", "hi there",
      "lip-sync-method", METHOD_ADVANCED, NULL);
  expect_start_failure (&f, "set lip-sync-method=one-step to have Kling speak");
  /* The default is advanced: text alone says what to set. */
  make_element (&f, "source-video-id", f.video_id, "text", "hi there", NULL);
  expect_start_failure (&f, "set lip-sync-method=one-step to have Kling speak");

  check_no_lip_sync_request (&f);
  fail_unless_equals_int (counter (&f, "requests",
          "POST /v1/videos/identify-face"), 0);
  g_string_free (long_text, TRUE);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_failed_task)
{
  Fixture f;
  GError *error = NULL;

  fixture_start (&f, 0.1);
  fail_unless (kling_sandbox_add_fault_json (f.sandbox, "{\"path\": "
          "\"/v1/videos/lip-sync\", \"method\": \"POST\", \"action\": \"fail-task\", "
          "\"message\": \"no mouth found\"}", &error));
  start_element (&f, FALSE, "source-video-id", f.video_id,
      "lip-sync-method", METHOD_ONE_STEP, NULL);
  push_tone (f.h, "S16LE", 16000, 1, 3.0);
  check_error_or_debug (pop_error (&f), GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_FAILED, "no mouth found");
  fixture_stop (&f);
}

GST_END_TEST;

/* The image2video stage fails: its error is posted, nothing is lip-synced. */
GST_START_TEST (test_image_stage_fails)
{
  Fixture f;

  fixture_start (&f, 0.1);
  fail_unless (kling_sandbox_add_fault_json (f.sandbox, "{\"path\": "
          "\"/v1/videos/image2video\", \"method\": \"POST\", \"action\": "
          "\"fail-task\", \"message\": \"no person in the picture\"}", NULL));
  make_element (&f, "prompt", "a person talking",
      "lip-sync-method", METHOD_ONE_STEP, NULL);
  start_harnesses (&f, TRUE, TRUE, FALSE);
  push_jpeg_still (&f);
  push_tone (f.h, "S16LE", 16000, 1, 3.0);
  check_error_or_debug (pop_error (&f), GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_FAILED, "no person in the picture");
  check_no_lip_sync_request (&f);
  fixture_stop (&f);
}

GST_END_TEST;

/* Going down while identify-face is still waiting for its answer returns at once. */
GST_START_TEST (test_cancel_during_identify_face)
{
  Fixture f;
  gint64 start;

  fixture_start (&f, 0.1);
  fail_unless (kling_sandbox_add_fault_json (f.sandbox, "{\"path\": "
          "\"/v1/videos/identify-face\", \"action\": \"delay\", \"seconds\": 30}",
          NULL));
  start_element (&f, FALSE, "source-video-id", f.video_id, "lip-sync-method",
      METHOD_ADVANCED, NULL);
  push_tone (f.h, "S16LE", 16000, 1, 3.0);
  while (counter (&f, "requests", "POST /v1/videos/identify-face") == 0)
    g_usleep (10000);

  start = g_get_monotonic_time ();
  stop_element (&f);
  fail_unless (g_get_monotonic_time () - start < 2 * G_USEC_PER_SEC,
      "stopping took %" G_GINT64_FORMAT " us", g_get_monotonic_time () - start);
  fail_unless_equals_int (tasks_created (&f, "advanced-lip-sync"), 0);
  kling_sandbox_clear_faults (f.sandbox);
  fixture_stop (&f);
}

GST_END_TEST;

/* Going down while Kling renders returns at once and says CANCELED. */
GST_START_TEST (test_cancel_while_rendering)
{
  Fixture f;
  GstMessage *message;
  gboolean canceled = FALSE;
  gint64 start;

  fixture_start (&f, 0.1);
  /* The clip was made; now make lip-sync renders slow. */
  fail_unless (kling_sandbox_add_fault_json (f.sandbox, "{\"path\": "
          "\"/v1/videos/lip-sync/\", \"method\": \"GET\", \"action\": \"delay\", "
          "\"seconds\": 30, \"times\": 0}", NULL));
  start_element (&f, FALSE, "source-video-id", f.video_id,
      "lip-sync-method", METHOD_ONE_STEP, NULL);
  push_tone (f.h, "S16LE", 16000, 1, 3.0);
  while (counter (&f, "tasks_created", "lip-sync") == 0)
    g_usleep (10000);

  start = g_get_monotonic_time ();
  teardown_element (&f);
  fail_unless (g_get_monotonic_time () - start < 2 * G_USEC_PER_SEC,
      "stopping took %" G_GINT64_FORMAT " us", g_get_monotonic_time () - start);
  while ((message = gst_bus_pop_filtered (f.bus, GST_MESSAGE_PROGRESS))) {
    GstProgressType type;

    gst_message_parse_progress (message, &type, NULL, NULL);
    canceled |= type == GST_PROGRESS_TYPE_CANCELED;
    gst_message_unref (message);
  }
  fail_unless (canceled, "no CANCELED progress message");
  kling_sandbox_clear_faults (f.sandbox);
  fixture_stop (&f);
}

GST_END_TEST;

/* Neither a linked audio pad nor text: no voice can ever come, so the state change fails
 * at once, saying so, instead of waiting for ever (issue 10 feature 6). */
GST_START_TEST (test_no_voice_fails_at_once)
{
  Fixture f;

  fixture_start (&f, 0.1);
  make_element (&f, "source-video-id", f.video_id, NULL);
  expect_start_failure (&f, "no voice");
  check_no_lip_sync_request (&f);
  fixture_stop (&f);
}

GST_END_TEST;

typedef struct
{
  KlingSandbox *sandbox;
  gint sleeping;
  gint saw_other_task;
} SlowHandler;

/* klinglipsync's application, slow in its bus sync handler: when the advanced request is
 * submitted (after identify-face answered), it waits up to 5 s for another element's
 * image2video task to be created. Were identify-face's completion run on the client's
 * shared worker, that task could not be created meanwhile. */
static GstBusSyncReply
slow_on_advanced_submit (GstBus * bus, GstMessage * message, gpointer user_data)
{
  SlowHandler *slow = user_data;
  GstProgressType type;
  gchar *code = NULL, *text = NULL;
  gboolean advanced;
  gint64 deadline;

  if (GST_MESSAGE_TYPE (message) != GST_MESSAGE_PROGRESS)
    return GST_BUS_PASS;
  gst_message_parse_progress (message, &type, &code, &text);
  advanced = type == GST_PROGRESS_TYPE_START
      && strstr (text, "advanced") != NULL;
  g_free (code);
  g_free (text);
  if (!advanced || g_atomic_int_get (&slow->sleeping))
    return GST_BUS_PASS;

  g_atomic_int_set (&slow->sleeping, 1);
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline) {
    if (kling_sandbox_get_counter (slow->sandbox, "tasks_created",
            "image2video") >= 1) {
      g_atomic_int_set (&slow->saw_other_task, 1);
      break;
    }
    g_usleep (10000);
  }
  return GST_BUS_PASS;
}

GST_START_TEST (test_identify_face_completion_off_the_worker)
{
  SlowHandler slow = { 0, };
  Fixture f;
  GstElement *other;
  GstHarness *h2;
  GstBus *other_bus = gst_bus_new ();
  GBytes *jpeg;
  gint64 deadline;

  fixture_start (&f, 0.1);
  slow.sandbox = f.sandbox;
  gst_bus_set_sync_handler (f.bus, slow_on_advanced_submit, &slow, NULL);
  start_element (&f, FALSE, "source-video-id", f.video_id, "lip-sync-method",
      METHOD_ADVANCED, NULL);
  push_tone (f.h, "S16LE", 16000, 1, 3.0);
  deadline = g_get_monotonic_time () + PULL_TIMEOUT;
  while (!g_atomic_int_get (&slow.sleeping)) {
    fail_unless (g_get_monotonic_time () < deadline, "no advanced submit");
    g_usleep (1000);
  }

  /* Another element of the process, on the same client. */
  other = gst_element_factory_make ("klingimage2video", NULL);
  g_object_set (other, "api-url", kling_sandbox_get_base_url (f.sandbox),
      "access-key", ACCESS_KEY, "secret-key", SECRET_KEY, "poll-interval", 0.05,
      "prompt", "another element", "cache-dir", f.cache_dir, NULL);
  gst_element_set_bus (other, other_bus);
  h2 = gst_harness_new_with_element (other, "sink", "src");
  gst_object_unref (other);
  gst_harness_set_src_caps_str (h2, "image/jpeg");
  jpeg = still_media_file ("still.jpg");
  gst_harness_push (h2, gst_buffer_new_wrapped_bytes (jpeg));
  g_bytes_unref (jpeg);

  gst_event_unref (pull_event_of_type (h2, GST_EVENT_EOS));
  check_lip_synced_clip (&f);
  fail_unless (g_atomic_int_get (&slow.saw_other_task),
      "the other element's task waited for klinglipsync's bus sync handler");

  gst_harness_teardown (h2);
  stop_element (&f);
  gst_bus_set_sync_handler (f.bus, NULL, NULL, NULL);
  gst_bus_set_flushing (other_bus, TRUE);
  gst_object_unref (other_bus);
  fixture_stop (&f);
}

GST_END_TEST;

static Suite *
lipsync_suite (void)
{
  Suite *s = suite_create ("klinglipsync");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_raw_audio_and_video_id);
  tcase_add_test (tc, test_mp3_audio);
  tcase_add_test (tc, test_text_mode);
  tcase_add_test (tc, test_video_url);
  tcase_add_test (tc, test_image_pad_chain);
  tcase_add_test (tc, test_image_pad_chain_progress_pairs);
  tcase_add_test (tc, test_advanced_progress_pairs);
  tcase_add_test (tc, test_image_pad_text_mode);
  tcase_add_test (tc, test_advanced_method);
  tcase_add_test (tc, test_default_method_is_advanced);
  tcase_add_test (tc, test_old_video_id_spelling);
  tcase_add_test (tc, test_source_video_id_property);
  tcase_add_test (tc, test_long_voice_on_made_clip_ends_with_video);
  tcase_add_test (tc, test_long_voice_on_video_id_ends_with_video);
  tcase_add_test (tc, test_image_pad_duration_mode_sound);
  tcase_add_test (tc, test_image_pad_bad_duration_refused);
  tcase_add_test (tc, test_video_url_length_probed);
  tcase_add_test (tc, test_video_url_too_long_refused);
  tcase_add_test (tc, test_image_pad_chain_advanced);
  tcase_add_test (tc, test_advanced_rerun_uses_cache);
  tcase_add_test (tc, test_advanced_stale_session);
  tcase_add_test (tc, test_only_src_linked);
  tcase_add_test (tc, test_rerun_uses_cache);
  tcase_add_test (tc, test_audio_too_short);
  tcase_add_test (tc, test_audio_too_long);
  tcase_add_test (tc, test_audio_trimmed_by_segment);
  tcase_add_test (tc, test_mp3_too_big);
  tcase_add_test (tc, test_not_mp3);
  tcase_add_test (tc, test_small_still);
  tcase_add_test (tc, test_partial_jpeg_still);
  tcase_add_test (tc, test_setting_errors);
  tcase_add_test (tc, test_failed_task);
  tcase_add_test (tc, test_image_stage_fails);
  tcase_add_test (tc, test_cancel_during_identify_face);
  tcase_add_test (tc, test_cancel_while_rendering);
  tcase_add_test (tc, test_no_voice_fails_at_once);
  tcase_add_test (tc, test_identify_face_completion_off_the_worker);
  return s;
}

GST_CHECK_MAIN (lipsync);
