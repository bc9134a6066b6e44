/* gst-kling: GstKlingClipOutput alone, with local MP4s and no server.
 *
 * A small test element ("testclipsrc", src + audio_src) owns an output; the tests hand it
 * clips made at start-up with x264enc, voaacenc and mp4mux, and look at what leaves its
 * pads through GstHarness or a real pipeline.
 */
#include <string.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/app/gstappsink.h>
#include <gst/audio/audio.h>
#include <gst/video/video.h>

#include "gstklingclipoutput.h"
#include "test-fs.h"
#include "harness-util.h"

#ifdef HAVE_VALGRIND_H
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#define WIDTH        320
#define HEIGHT       180
#define FPS          30
#define CLIP_S       5
#define FRAMES       (CLIP_S * FPS)
#define FRAME        (GST_SECOND / FPS)
#define PULL_TIMEOUT (20 * G_USEC_PER_SEC)

static gchar *media_dir;
static gchar *av_clip;          /* 5 s: video, and AAC audio */
static gchar *video_clip;       /* 5 s: video only */

/* ------------------------------------------------------------------------- */
/* The test element                                                          */

typedef struct
{
  GstElement parent;
  GstKlingClipOutput *output;
} TestClipSrc;

typedef struct
{
  GstElementClass parent_class;
} TestClipSrcClass;

static GType test_clip_src_get_type (void);
G_DEFINE_TYPE (TestClipSrc, test_clip_src, GST_TYPE_ELEMENT);

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-raw; video/quicktime"));
static GstStaticPadTemplate audio_src_template =
GST_STATIC_PAD_TEMPLATE ("audio_src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("audio/x-raw"));

static void
test_clip_src_constructed (GObject * object)
{
  TestClipSrc *self = (TestClipSrc *) object;

  G_OBJECT_CLASS (test_clip_src_parent_class)->constructed (object);
  self->output = gst_kling_clip_output_new (GST_ELEMENT (self));
}

static void
test_clip_src_finalize (GObject * object)
{
  gst_object_unref (((TestClipSrc *) object)->output);
  G_OBJECT_CLASS (test_clip_src_parent_class)->finalize (object);
}

/* As the render base does: a fresh output each run. */
static GstStateChangeReturn
test_clip_src_change_state (GstElement * element, GstStateChange transition)
{
  TestClipSrc *self = (TestClipSrc *) element;
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    gst_kling_clip_output_reset (self->output);
  ret = GST_ELEMENT_CLASS (test_clip_src_parent_class)->change_state (element,
      transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    gst_kling_clip_output_reset (self->output);
  return ret;
}

static void
test_clip_src_class_init (TestClipSrcClass * klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  G_OBJECT_CLASS (klass)->constructed = test_clip_src_constructed;
  G_OBJECT_CLASS (klass)->finalize = test_clip_src_finalize;
  element_class->change_state = test_clip_src_change_state;
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_add_static_pad_template (element_class,
      &audio_src_template);
  gst_element_class_set_static_metadata (element_class, "Test clip source",
      "Source/Video", "Plays clips through a GstKlingClipOutput", "gst-kling");
}

static void
test_clip_src_init (TestClipSrc * self)
{
}

static GstKlingClipOutput *
output_of (GstElement * element)
{
  return ((TestClipSrc *) element)->output;
}

/* ------------------------------------------------------------------------- */
/* Clips                                                                     */

static void
run_pipeline (const gchar * description)
{
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (description, &error);
  GstBus *bus;
  GstMessage *message;

  fail_unless (pipeline != NULL, "%s: %s", description,
      error ? error->message : "");
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  message = gst_bus_timed_pop_filtered (bus, 120 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (message && GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS,
      "making a clip failed: %s", description);
  gst_message_unref (message);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}

/* Constrained baseline, so openh264dec decodes it too (the valgrind run ranks the libav
 * decoders down: valgrind cannot run them). */
#define VIDEO_BRANCH \
  "videotestsrc num-buffers=%d pattern=ball ! video/x-raw,format=I420,width=%d," \
  "height=%d,framerate=%d/1 ! x264enc speed-preset=ultrafast key-int-max=15 ! " \
  "video/x-h264,profile=constrained-baseline ! h264parse ! mux. "

/* Made by the first test that needs them, in its own process: GStreamer's thread pools
 * do not survive the fork check does for each test, so main() must not start them. */
static void
ensure_media (void)
{
  gchar *launch;

  if (g_file_test (video_clip, G_FILE_TEST_EXISTS))
    return;
  launch = g_strdup_printf (VIDEO_BRANCH "audiotestsrc num-buffers=%d "
      "samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=1 ! voaacenc ! "
      "aacparse ! mux. mp4mux name=mux faststart=true ! filesink location=%s",
      FRAMES, WIDTH, HEIGHT, FPS, CLIP_S * 50, av_clip);
  run_pipeline (launch);
  g_free (launch);
  launch = g_strdup_printf (VIDEO_BRANCH "mp4mux name=mux faststart=true ! "
      "filesink location=%s.part", FRAMES, WIDTH, HEIGHT, FPS, video_clip);
  run_pipeline (launch);
  g_free (launch);
  launch = g_strconcat (video_clip, ".part", NULL);
  fail_unless (g_rename (launch, video_clip) == 0);
  g_free (launch);
}

/* A clip of @path whose tags carry @title. */
static GstKlingClip *
make_clip (const gchar * path, const gchar * title)
{
  GError *error = NULL;
  GstTagList *tags = gst_tag_list_new (GST_TAG_TITLE, title, NULL);
  GstKlingClip *clip;

  ensure_media ();
  gst_tag_list_set_scope (tags, GST_TAG_SCOPE_GLOBAL);
  clip =
      gst_kling_clip_new_for_file (path, tags, CLIP_S * GST_SECOND, NULL, NULL,
      &error);
  fail_unless (clip != NULL, "%s", error ? error->message : "");
  return clip;
}

static void
give_clip (GstElement * element, const gchar * path, const gchar * title,
    gboolean last)
{
  GstKlingClip *clip = make_clip (path, title);

  gst_kling_clip_output_append_clip (output_of (element), clip);
  if (last)
    gst_kling_clip_output_end (output_of (element));
  gst_kling_clip_unref (clip);
}

/* ------------------------------------------------------------------------- */
/* Harnesses and what comes out                                              */

typedef struct
{
  GstElement *element;
  GstBus *bus;
  GstHarness *video;
  GstHarness *audio;            /* NULL when audio_src is left unlinked */
} Fixture;

static void
fixture_start (Fixture * f, gboolean audio, const gchar * video_caps)
{
  memset (f, 0, sizeof (*f));
  f->element = g_object_new (test_clip_src_get_type (), NULL);
  f->bus = gst_bus_new ();
  gst_element_set_bus (f->element, f->bus);
  f->video = gst_harness_new_with_element (f->element, NULL, "src");
  if (video_caps)
    gst_harness_set_sink_caps_str (f->video, video_caps);
  if (audio)
    f->audio = gst_harness_new_with_element (f->element, NULL, "audio_src");
  gst_harness_play (f->video);
}

static void
fixture_stop (Fixture * f)
{
  g_clear_pointer (&f->audio, gst_harness_teardown);
  g_clear_pointer (&f->video, gst_harness_teardown);
  gst_object_unref (f->element);
  gst_bus_set_flushing (f->bus, TRUE);
  gst_object_unref (f->bus);
}

/* The events and buffers of one pad up to EOS, in order. */
typedef struct
{
  guint buffers;
  guint stream_starts, segments, caps_events, tag_events, eos;
  GstClockTime first_pts, end;
  gboolean continuous;          /* each buffer starts where the last one ended */
  GstSegment segment;           /* the last one */
  GstCaps *first_caps, *last_caps;
  gchar *last_title;
} Collected;

static void
collected_clear (Collected * c)
{
  gst_clear_caps (&c->first_caps);
  gst_clear_caps (&c->last_caps);
  g_free (c->last_title);
}

/* Everything @h received until EOS (waiting for it), buffers and events interleaved in
 * the order they were pushed; @tolerance is how far apart two buffers may be and still
 * be continuous. */
static void
collect_until_eos (GstHarness * h, GstClockTime tolerance, Collected * c)
{
  gint64 deadline = g_get_monotonic_time () + PULL_TIMEOUT;

  memset (c, 0, sizeof (*c));
  c->first_pts = c->end = GST_CLOCK_TIME_NONE;
  c->continuous = TRUE;
  while (!c->eos) {
    GstEvent *event = gst_harness_try_pull_event (h);
    GstBuffer *buffer;

    /* Buffers queued before the event came out first. */
    while ((buffer = gst_harness_try_pull (h))) {
      GstClockTime pts = GST_BUFFER_PTS (buffer);

      if (c->buffers == 0)
        c->first_pts = pts;
      else if (ABS (GST_CLOCK_DIFF (c->end,
                  pts)) > (GstClockTimeDiff) tolerance)
        c->continuous = FALSE;
      c->end = pts + GST_BUFFER_DURATION (buffer);
      c->buffers++;
      gst_buffer_unref (buffer);
    }
    if (!event) {
      fail_unless (g_get_monotonic_time () < deadline, "no EOS");
      g_usleep (2000);
      continue;
    }
    switch (GST_EVENT_TYPE (event)) {
      case GST_EVENT_STREAM_START:
        c->stream_starts++;
        break;
      case GST_EVENT_SEGMENT:{
        const GstSegment *segment;

        gst_event_parse_segment (event, &segment);
        c->segment = *segment;
        c->segments++;
        break;
      }
      case GST_EVENT_CAPS:{
        GstCaps *caps;

        gst_event_parse_caps (event, &caps);
        if (!c->first_caps)
          c->first_caps = gst_caps_ref (caps);
        gst_caps_replace (&c->last_caps, caps);
        c->caps_events++;
        break;
      }
      case GST_EVENT_TAG:{
        GstTagList *tags;

        gst_event_parse_tag (event, &tags);
        g_free (c->last_title);
        c->last_title = NULL;
        gst_tag_list_get_string (tags, GST_TAG_TITLE, &c->last_title);
        c->tag_events++;
        break;
      }
      case GST_EVENT_EOS:
        c->eos++;
        break;
      default:
        break;
    }
    gst_event_unref (event);
  }
  /* Nothing after EOS. */
  fail_unless (gst_harness_try_pull (h) == NULL);
}

static void
check_video_size (GstCaps * caps, gint width, gint height)
{
  GstVideoInfo info;

  fail_unless (caps != NULL);
  fail_unless (gst_video_info_from_caps (&info, caps), "%" GST_PTR_FORMAT,
      caps);
  fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&info), width);
  fail_unless_equals_int (GST_VIDEO_INFO_HEIGHT (&info), height);
}

/* Video and audio of one clip from @start: every frame, audio on the same timeline
 * ending with the video. */
static void
check_av_clip (Fixture * f, GstClockTime start, guint frames)
{
  Collected video, audio;

  collect_until_eos (f->video, GST_MSECOND, &video);
  fail_unless_equals_int (video.buffers, frames);
  fail_unless (video.continuous);
  fail_unless (ABS (GST_CLOCK_DIFF (video.first_pts, start)) < GST_MSECOND,
      "first frame at %" GST_TIME_FORMAT, GST_TIME_ARGS (video.first_pts));
  fail_unless_equals_uint64 (video.segment.start, start);
  /* After a seek the caps stay what they were: no new caps event. */
  if (video.first_caps)
    check_video_size (video.first_caps, WIDTH, HEIGHT);
  /* Tags are sticky: after a seek they are not sent again. */
  if (video.tag_events)
    fail_unless_equals_string (video.last_title, "first");

  collect_until_eos (f->audio, GST_MSECOND, &audio);
  fail_unless (audio.buffers > 0);
  fail_unless (audio.continuous);
  fail_unless_equals_uint64 (audio.segment.start, start);
  fail_unless_equals_uint64 (audio.segment.base, video.segment.base);
  fail_unless (ABS (GST_CLOCK_DIFF (audio.first_pts, start)) < 25 * GST_MSECOND,
      "audio starts at %" GST_TIME_FORMAT, GST_TIME_ARGS (audio.first_pts));
  fail_unless (ABS (GST_CLOCK_DIFF (audio.end, video.end)) < 2 * FRAME,
      "video ends at %" GST_TIME_FORMAT ", audio at %" GST_TIME_FORMAT,
      GST_TIME_ARGS (video.end), GST_TIME_ARGS (audio.end));
  collected_clear (&video);
  collected_clear (&audio);
}

static GstMessage *
pop_error (Fixture * f)
{
  GstMessage *message = gst_bus_timed_pop_filtered (f->bus,
      PULL_TIMEOUT * GST_USECOND, GST_MESSAGE_ERROR);

  fail_unless (message != NULL, "no error message");
  return message;
}

static gboolean
seek_to (GstHarness * h, GstClockTime position)
{
  return gst_harness_push_upstream_event (h, gst_event_new_seek (1.0,
          GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE,
          GST_SEEK_TYPE_SET, position, GST_SEEK_TYPE_NONE, -1));
}

/* ------------------------------------------------------------------------- */
/* Decoding, seeking, passthrough                                            */

GST_START_TEST (test_decode)
{
  Fixture f;
  gint64 value;

  fixture_start (&f, TRUE, NULL);
  /* Nothing to push yet: the pads wait without a task running. */
  fail_unless (gst_harness_try_pull_event (f.video) == NULL);
  give_clip (f.element, av_clip, "first", TRUE);
  check_av_clip (&f, 0, FRAMES);

  fail_unless (gst_element_query_duration (f.element, GST_FORMAT_TIME, &value));
  fail_unless_equals_int64 (value, CLIP_S * GST_SECOND);
  fail_unless (gst_element_query_position (f.element, GST_FORMAT_TIME, &value));
  fail_unless (ABS (value - CLIP_S * GST_SECOND) < GST_MSECOND, "at %"
      GST_TIME_FORMAT, GST_TIME_ARGS (value));
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_seek)
{
  Fixture f;

  fixture_start (&f, TRUE, NULL);
  give_clip (f.element, av_clip, "first", TRUE);
  check_av_clip (&f, 0, FRAMES);

  /* Seeks the output cannot honour are refused, not half done. */
  fail_if (gst_harness_push_upstream_event (f.video, gst_event_new_seek (1.0,
              GST_FORMAT_TIME, GST_SEEK_FLAG_NONE, GST_SEEK_TYPE_SET,
              GST_SECOND, GST_SEEK_TYPE_NONE, -1)));
  fail_if (gst_harness_push_upstream_event (f.video, gst_event_new_seek (1.0,
              GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_SEGMENT,
              GST_SEEK_TYPE_SET, GST_SECOND, GST_SEEK_TYPE_NONE, -1)));

  /* After EOS, back to 2 s: flush, a segment from there, the rest of the clip. */
  fail_unless (seek_to (f.video, 2 * GST_SECOND));
  gst_event_unref (pull_event_of_type (f.video, GST_EVENT_FLUSH_STOP));
  check_av_clip (&f, 2 * GST_SECOND, FRAMES - 2 * FPS);
  fixture_stop (&f);
}

GST_END_TEST;

/* A seek with a stop position: both streams end there, each with its own EOS, and
 * the stream that ends first does not hold up the other. */
GST_START_TEST (test_seek_with_stop)
{
  Fixture f;
  Collected video, audio;

  fixture_start (&f, TRUE, NULL);
  fail_unless (gst_harness_push_upstream_event (f.video,
          gst_event_new_seek (1.0, GST_FORMAT_TIME,
              GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE, GST_SEEK_TYPE_SET,
              GST_SECOND, GST_SEEK_TYPE_SET, 2 * GST_SECOND)));
  give_clip (f.element, av_clip, "first", TRUE);
  collect_until_eos (f.video, GST_MSECOND, &video);
  fail_unless_equals_int (video.buffers, FPS);
  fail_unless_equals_uint64 (video.segment.stop, 2 * GST_SECOND);
  collect_until_eos (f.audio, GST_MSECOND, &audio);
  fail_unless (audio.buffers > 0);
  fail_unless (audio.end <= 2 * GST_SECOND + 25 * GST_MSECOND,
      "audio ends at %" GST_TIME_FORMAT, GST_TIME_ARGS (audio.end));
  collected_clear (&video);
  collected_clear (&audio);
  fixture_stop (&f);
}

GST_END_TEST;

/* A seek before any clip: the clip starts there. */
GST_START_TEST (test_seek_before_clip)
{
  Fixture f;

  fixture_start (&f, TRUE, NULL);
  fail_unless (seek_to (f.video, 3 * GST_SECOND));
  give_clip (f.element, av_clip, "first", TRUE);
  check_av_clip (&f, 3 * GST_SECOND, FRAMES - 3 * FPS);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_passthrough)
{
  Fixture f;
  Collected audio;
  GByteArray *bytes = g_byte_array_new ();
  GstBuffer *buffer;
  GstEvent *event;
  GstCaps *caps;
  gchar *file;
  gsize size;
  gint64 value;

  fixture_start (&f, TRUE, "video/quicktime");
  give_clip (f.element, av_clip, "first", TRUE);

  event = pull_event_of_type (f.video, GST_EVENT_CAPS);
  gst_event_parse_caps (event, &caps);
  fail_unless (gst_structure_has_name (gst_caps_get_structure (caps, 0),
          "video/quicktime"));
  gst_event_unref (event);
  gst_event_unref (pull_event_of_type (f.video, GST_EVENT_EOS));
  while ((buffer = gst_harness_try_pull (f.video))) {
    GstMapInfo map;

    gst_buffer_map (buffer, &map, GST_MAP_READ);
    g_byte_array_append (bytes, map.data, map.size);
    gst_buffer_unmap (buffer, &map);
    gst_buffer_unref (buffer);
  }
  fail_unless (g_file_get_contents (av_clip, &file, &size, NULL));
  fail_unless_equals_uint64 (bytes->len, size);
  fail_unless (memcmp (file, bytes->data, size) == 0);

  /* The MP4 carries the audio: audio_src has a stream that ends at once. */
  collect_until_eos (f.audio, 0, &audio);
  fail_unless_equals_int (audio.buffers, 0);
  fail_unless_equals_int (audio.stream_starts, 1);
  fail_unless_equals_int (audio.caps_events, 0);
  collected_clear (&audio);

  fail_unless (gst_element_query_duration (f.element, GST_FORMAT_BYTES,
          &value));
  fail_unless_equals_int64 (value, size);
  fail_unless (gst_element_query_position (f.element, GST_FORMAT_BYTES,
          &value));
  fail_unless_equals_int64 (value, size);
  fail_if (seek_to (f.video, GST_SECOND),
      "seeks in MP4 passthrough are refused");
  g_free (file);
  g_byte_array_unref (bytes);
  fixture_stop (&f);
}

GST_END_TEST;

/* Only src is linked: the audio is dropped and nothing waits for it. */
GST_START_TEST (test_audio_unlinked_does_not_stall)
{
  Fixture f;
  Collected video;

  fixture_start (&f, FALSE, NULL);
  give_clip (f.element, av_clip, "first", TRUE);
  collect_until_eos (f.video, GST_MSECOND, &video);
  fail_unless_equals_int (video.buffers, FRAMES);
  fail_unless (video.continuous);
  collected_clear (&video);
  fixture_stop (&f);
}

GST_END_TEST;

/* ------------------------------------------------------------------------- */
/* Real pipelines: preroll, renegotiation                                    */

static GstElement *
launch (const gchar * description, GstElement ** source)
{
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (description, &error);

  fail_unless (pipeline != NULL, "%s", error ? error->message : "");
  *source = gst_bin_get_by_name (GST_BIN (pipeline), "s");
  return pipeline;
}

static void
wait_for_eos (GstElement * pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *message = gst_bus_timed_pop_filtered (bus,
      PULL_TIMEOUT * GST_USECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);

  fail_unless (message != NULL, "the pipeline neither ended nor failed");
  fail_unless (GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS,
      "error: %" GST_PTR_FORMAT, message);
  gst_message_unref (message);
  gst_object_unref (bus);
}

/* A seek while the clip plays, the way an application seeks a pipeline: the frames that
 * follow start at the new position and run to the end. */
GST_START_TEST (test_seek_while_playing)
{
  GstElement *source, *pipeline = launch ("testclipsrc name=s ! appsink "
      "name=sink sync=false max-buffers=1", &source);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstClockTime expected = 3 * GST_SECOND;
  GstSample *sample;
  guint frames = 0;

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  give_clip (source, av_clip, "first", TRUE);
  for (frames = 0; frames < 10; frames++)
    gst_sample_unref (gst_app_sink_pull_sample (GST_APP_SINK (sink)));
  fail_unless (gst_element_seek_simple (pipeline, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE, 3 * GST_SECOND));
  frames = 0;
  while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
              PULL_TIMEOUT * GST_USECOND))) {
    GstBuffer *buffer = gst_sample_get_buffer (sample);

    fail_unless (ABS (GST_CLOCK_DIFF (expected, GST_BUFFER_PTS (buffer))) <
        GST_MSECOND, "frame %u at %" GST_TIME_FORMAT, frames,
        GST_TIME_ARGS (GST_BUFFER_PTS (buffer)));
    expected = GST_BUFFER_PTS (buffer) + GST_BUFFER_DURATION (buffer);
    frames++;
    gst_sample_unref (sample);
    if (gst_app_sink_is_eos (GST_APP_SINK (sink)))
      break;
  }
  fail_unless_equals_int (frames, FRAMES - 3 * FPS);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (source);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* A clip without sound, both pads into syncing sinks: audio_src must not keep its sink
 * from prerolling, or the pipeline never plays. */
GST_START_TEST (test_clip_without_audio_prerolls)
{
  GstElement *source, *pipeline = launch ("testclipsrc name=s s.src ! "
      "fakesink sync=true s.audio_src ! fakesink sync=true", &source);

  fail_unless (gst_element_set_state (pipeline, GST_STATE_PAUSED) ==
      GST_STATE_CHANGE_ASYNC);
  give_clip (source, video_clip, "first", TRUE);
  fail_unless_equals_int (gst_element_get_state (pipeline, NULL, NULL,
          PULL_TIMEOUT * GST_USECOND), GST_STATE_CHANGE_SUCCESS);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  wait_for_eos (pipeline);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (source);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* A capsfilter's caps changed mid-clip: the rest of the clip leaves at the new size and
 * format, without losing or repeating a frame. */
GST_START_TEST (test_reconfigure)
{
  GstElement *source, *pipeline = launch ("testclipsrc name=s ! capsfilter "
      "name=filter caps=video/x-raw,format=I420 ! appsink name=sink sync=false "
      "max-buffers=1", &source);
  GstElement *filter = gst_bin_get_by_name (GST_BIN (pipeline), "filter");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstClockTime expected = 0;
  GstSample *sample;
  guint frames = 0, old_after_change = 0, changed_at = 30;
  gboolean changed = FALSE, new_seen = FALSE;

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  give_clip (source, av_clip, "first", TRUE);
  while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
              PULL_TIMEOUT * GST_USECOND))) {
    GstBuffer *buffer = gst_sample_get_buffer (sample);
    GstVideoInfo info;

    fail_unless (gst_video_info_from_caps (&info,
            gst_sample_get_caps (sample)));
    fail_unless (ABS (GST_CLOCK_DIFF (expected,
                GST_BUFFER_PTS (buffer))) < GST_MSECOND,
        "frame %u at %" GST_TIME_FORMAT, frames,
        GST_TIME_ARGS (GST_BUFFER_PTS (buffer)));
    expected = GST_BUFFER_PTS (buffer) + GST_BUFFER_DURATION (buffer);
    if (GST_VIDEO_INFO_WIDTH (&info) == WIDTH) {
      fail_if (new_seen, "old caps after new ones");
      fail_unless_equals_int (GST_VIDEO_INFO_FORMAT (&info),
          GST_VIDEO_FORMAT_I420);
      old_after_change += changed;
    } else {
      fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&info), 160);
      fail_unless_equals_int (GST_VIDEO_INFO_HEIGHT (&info), 90);
      fail_unless_equals_int (GST_VIDEO_INFO_FORMAT (&info),
          GST_VIDEO_FORMAT_RGBA);
      new_seen = TRUE;
    }
    frames++;
    gst_sample_unref (sample);
    if (frames == changed_at) {
      GstCaps *caps = gst_caps_from_string ("video/x-raw,format=RGBA,"
          "width=160,height=90");

      g_object_set (filter, "caps", caps, NULL);
      gst_caps_unref (caps);
      changed = TRUE;
    }
    if (gst_app_sink_is_eos (GST_APP_SINK (sink)))
      break;
  }
  fail_unless_equals_int (frames, FRAMES);
  fail_unless (new_seen, "the caps change was not honoured");
  /* Frames already decoded when the caps changed keep theirs: a handful at most. */
  fail_unless (old_after_change <= 8,
      "%u frames at the old size after the change", old_after_change);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (filter);
  gst_object_unref (sink);
  gst_object_unref (source);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* ------------------------------------------------------------------------- */
/* Errors, stopping, reuse                                                   */

GST_START_TEST (test_abort_while_decoding)
{
  Fixture f;
  Collected video, audio;
  GstBuffer *buffer;
  gint64 start;

  fixture_start (&f, TRUE, NULL);
  give_clip (f.element, av_clip, "first", TRUE);
  buffer = gst_harness_pull (f.video);
  fail_unless (buffer != NULL);
  gst_buffer_unref (buffer);

  gst_kling_clip_output_abort (output_of (f.element));
  /* Each pad ends as a source's does after an error: EOS, and nothing after it. */
  collect_until_eos (f.video, G_MAXUINT64, &video);
  fail_unless (video.buffers < FRAMES - 1, "%u frames after the abort",
      video.buffers);
  collect_until_eos (f.audio, G_MAXUINT64, &audio);
  fail_unless_equals_int (audio.eos, 1);

  start = g_get_monotonic_time ();
  fail_unless_equals_int (gst_element_set_state (f.element, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless (g_get_monotonic_time () - start < 10 * G_USEC_PER_SEC);
  collected_clear (&video);
  collected_clear (&audio);
  fixture_stop (&f);
}

GST_END_TEST;

/* Going down in the middle of a clip returns at once, whatever the output is doing:
 * blocked in a push to a full sink, starting a decoder, right after a seek. The sinks
 * hold one buffer and nobody pulls, so an output that waited for its clip to drain would
 * never return (the bound, generous for valgrind, only fails a hang sooner). */
GST_START_TEST (test_stop_while_decoding)
{
  guint run;

  for (run = 0; run < 6; run++) {
    GstElement *source, *pipeline = launch (run % 2 == 0 ?
        "testclipsrc name=s s.src ! appsink name=v max-buffers=1 sync=false "
        "s.audio_src ! appsink max-buffers=1 sync=false" :
        "testclipsrc name=s ! appsink name=v max-buffers=1 sync=false",
        &source);
    GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "v");
    gint64 start;

    gst_element_set_state (pipeline, GST_STATE_PLAYING);
    give_clip (source, av_clip, "first", TRUE);
    if (run >= 2)
      gst_sample_unref (gst_app_sink_pull_sample (GST_APP_SINK (sink)));
    if (run >= 4)
      fail_unless (gst_element_seek_simple (pipeline, GST_FORMAT_TIME,
              GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE, 3 * GST_SECOND));
    start = g_get_monotonic_time ();
    fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
    fail_unless (g_get_monotonic_time () - start < 10 * G_USEC_PER_SEC,
        "stopping took %" G_GINT64_FORMAT " us",
        g_get_monotonic_time () - start);
    gst_object_unref (sink);
    gst_object_unref (source);
    gst_object_unref (pipeline);
  }
}

GST_END_TEST;

/* stop() from the application: the tasks stop at once, nothing more is pushed (not even
 * EOS: it is not an error), clips are refused until the next run, which works again. */
GST_START_TEST (test_stop_mid_clip)
{
  Fixture f;
  guint received;
  GstBuffer *buffer;
  GstEvent *event;

  fixture_start (&f, TRUE, NULL);
  give_clip (f.element, av_clip, "first", TRUE);
  gst_buffer_unref (gst_harness_pull (f.video));
  gst_kling_clip_output_stop (output_of (f.element));
  received = gst_harness_buffers_received (f.video);
  fail_unless (received < FRAMES);
  give_clip (f.element, av_clip, "refused", TRUE);
  g_usleep (G_USEC_PER_SEC / 10);
  fail_unless_equals_int (gst_harness_buffers_received (f.video), received);
  while ((event = gst_harness_try_pull_event (f.video))) {
    fail_if (GST_EVENT_TYPE (event) == GST_EVENT_EOS);
    gst_event_unref (event);
  }

  fail_unless_equals_int (gst_element_set_state (f.element, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (gst_element_set_state (f.element, GST_STATE_PLAYING),
      GST_STATE_CHANGE_SUCCESS);
  /* What the first run pushed before the stop. */
  while ((buffer = gst_harness_try_pull (f.video)))
    gst_buffer_unref (buffer);
  while ((buffer = gst_harness_try_pull (f.audio)))
    gst_buffer_unref (buffer);
  give_clip (f.element, av_clip, "first", TRUE);
  check_av_clip (&f, 0, FRAMES);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_undecodable_clip)
{
  Fixture f;
  Collected video;
  GError *error = NULL;
  GstMessage *message;
  gchar *path = g_build_filename (media_dir, "noise.mp4", NULL);
  gchar *noise = g_strnfill (100000, 'x');

  memcpy (noise + 4, "ftypisom", 8);
  fail_unless (g_file_set_contents (path, noise, 100000, NULL));
  fixture_start (&f, TRUE, NULL);
  give_clip (f.element, path, "first", TRUE);
  message = pop_error (&f);
  gst_message_parse_error (message, &error, NULL);
  gst_message_unref (message);
  fail_unless (g_error_matches (error, GST_STREAM_ERROR,
          GST_STREAM_ERROR_DECODE), "%s", error->message);
  fail_unless (strstr (error->message, "Could not decode") != NULL);
  collect_until_eos (f.video, 0, &video);
  fail_unless_equals_int (video.buffers, 0);
  g_error_free (error);
  collected_clear (&video);
  fixture_stop (&f);
  g_unlink (path);
  g_free (path);
  g_free (noise);
}

GST_END_TEST;

/* Back to READY and up again: the output starts afresh and plays a new clip whole. */
GST_START_TEST (test_reset_and_reuse)
{
  Fixture f;
  guint run;

  fixture_start (&f, TRUE, NULL);
  for (run = 0; run < 2; run++) {
    if (run > 0) {
      fail_unless_equals_int (gst_element_set_state (f.element,
              GST_STATE_READY), GST_STATE_CHANGE_SUCCESS);
      fail_unless_equals_int (gst_element_set_state (f.element,
              GST_STATE_PLAYING), GST_STATE_CHANGE_SUCCESS);
    }
    give_clip (f.element, av_clip, "first", TRUE);
    check_av_clip (&f, 0, FRAMES);
  }
  fixture_stop (&f);
}

GST_END_TEST;

/* ------------------------------------------------------------------------- */
/* A queue of clips                                                          */

/* Two clips, the second given while the first plays: one stream, timestamps running on
 * from the first clip into the second, each clip's tags before its frames, one EOS. */
GST_START_TEST (test_append_two_clips)
{
  Fixture f;
  Collected video, audio;
  gint64 duration;

  fixture_start (&f, TRUE, NULL);
  give_clip (f.element, av_clip, "first", FALSE);
  gst_buffer_unref (gst_harness_pull (f.video));
  give_clip (f.element, av_clip, "second", TRUE);

  collect_until_eos (f.video, GST_MSECOND, &video);
  fail_unless_equals_int (video.buffers + 1, 2 * FRAMES);
  fail_unless (video.continuous);
  fail_unless_equals_int (video.stream_starts, 1);
  fail_unless_equals_int (video.segments, 1);
  fail_unless_equals_int (video.tag_events, 2);
  fail_unless_equals_string (video.last_title, "second");
  fail_unless_equals_int (video.eos, 1);
  fail_unless (ABS (GST_CLOCK_DIFF (video.end, 2 * CLIP_S * GST_SECOND)) <
      GST_MSECOND);

  /* AAC ends up to a frame (21 ms) before the video: a small gap between clips. */
  collect_until_eos (f.audio, 22 * GST_MSECOND, &audio);
  fail_unless_equals_int (audio.stream_starts, 1);
  fail_unless_equals_int (audio.segments, 1);
  fail_unless_equals_int (audio.tag_events, 2);
  fail_unless (audio.continuous);
  fail_unless (ABS (GST_CLOCK_DIFF (audio.end, video.end)) < 2 * FRAME);

  fail_unless (gst_element_query_duration (f.element, GST_FORMAT_TIME,
          &duration));
  fail_unless_equals_int64 (duration, 2 * CLIP_S * GST_SECOND);
  collected_clear (&video);
  collected_clear (&audio);
  fixture_stop (&f);
}

GST_END_TEST;

/* A silent clip, then one with sound: audio_src ends with the first (it never carried
 * data), and the second clip's audio, which nobody pulls, must not hold up its video. */
GST_START_TEST (test_silent_clip_then_sound)
{
  Fixture f;
  Collected video, audio;

  fixture_start (&f, TRUE, NULL);
  give_clip (f.element, video_clip, "first", FALSE);
  give_clip (f.element, av_clip, "second", TRUE);
  collect_until_eos (f.audio, 0, &audio);
  fail_unless_equals_int (audio.buffers, 0);
  collect_until_eos (f.video, GST_MSECOND, &video);
  fail_unless_equals_int (video.buffers, 2 * FRAMES);
  fail_unless (video.continuous);
  collected_clear (&video);
  collected_clear (&audio);
  fixture_stop (&f);
}

GST_END_TEST;

/* A seek into the second clip before anything played: the first is skipped. */
GST_START_TEST (test_seek_into_second_clip)
{
  Fixture f;
  Collected video;

  fixture_start (&f, FALSE, NULL);
  fail_unless (seek_to (f.video, 7 * GST_SECOND));
  give_clip (f.element, video_clip, "first", FALSE);
  give_clip (f.element, video_clip, "second", TRUE);
  collect_until_eos (f.video, GST_MSECOND, &video);
  fail_unless_equals_int (video.buffers, 2 * FRAMES - 7 * FPS);
  fail_unless (ABS (GST_CLOCK_DIFF (video.first_pts, 7 * GST_SECOND)) <
      GST_MSECOND);
  fail_unless_equals_string (video.last_title, "second");
  collected_clear (&video);
  fixture_stop (&f);
}

GST_END_TEST;

/* The queue stays open: between clips the pads idle; end() with nothing queued ends. */
GST_START_TEST (test_open_queue_then_end)
{
  Fixture f;
  Collected video;

  GstEvent *event;

  fixture_start (&f, FALSE, NULL);
  give_clip (f.element, video_clip, "first", FALSE);
  while (gst_harness_buffers_received (f.video) < FRAMES)
    g_usleep (1000);
  /* The clip is over, but more may come: no EOS. */
  g_usleep (G_USEC_PER_SEC / 10);
  while ((event = gst_harness_try_pull_event (f.video))) {
    fail_if (GST_EVENT_TYPE (event) == GST_EVENT_EOS, "EOS before end()");
    gst_event_unref (event);
  }
  gst_kling_clip_output_end (output_of (f.element));
  collect_until_eos (f.video, GST_MSECOND, &video);
  fail_unless_equals_int (video.buffers, FRAMES);
  collected_clear (&video);
  fixture_stop (&f);
}

GST_END_TEST;

static Suite *
clipoutput_suite (void)
{
  Suite *s = suite_create ("klingclipoutput");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_decode);
  tcase_add_test (tc, test_seek);
  tcase_add_test (tc, test_seek_before_clip);
  tcase_add_test (tc, test_seek_with_stop);
  tcase_add_test (tc, test_passthrough);
  tcase_add_test (tc, test_audio_unlinked_does_not_stall);
  tcase_add_test (tc, test_seek_while_playing);
  tcase_add_test (tc, test_clip_without_audio_prerolls);
  tcase_add_test (tc, test_reconfigure);
  tcase_add_test (tc, test_abort_while_decoding);
  tcase_add_test (tc, test_stop_while_decoding);
  tcase_add_test (tc, test_stop_mid_clip);
  tcase_add_test (tc, test_undecodable_clip);
  tcase_add_test (tc, test_reset_and_reuse);
  tcase_add_test (tc, test_append_two_clips);
  tcase_add_test (tc, test_silent_clip_then_sound);
  tcase_add_test (tc, test_seek_into_second_clip);
  tcase_add_test (tc, test_open_queue_then_end);
  return s;
}

/* valgrind stops at an instruction the libav decoders use (RDTSCP): under it, decodebin3
 * gets the other H.264 and AAC decoders (the clips are constrained baseline for that). */
static void
rank_down_libav_under_valgrind (void)
{
  const gchar *names[] = { "avdec_h264", "avdec_aac" };
  guint i;

  if (!RUNNING_ON_VALGRIND)
    return;
  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    GstPluginFeature *feature =
        gst_registry_lookup_feature (gst_registry_get (),
        names[i]);

    if (feature) {
      gst_plugin_feature_set_rank (feature, GST_RANK_NONE);
      gst_object_unref (feature);
    }
  }
}

int
main (int argc, char **argv)
{
  int failed;

  gst_check_init (&argc, &argv);
  rank_down_libav_under_valgrind ();
  gst_element_register (NULL, "testclipsrc", GST_RANK_NONE,
      test_clip_src_get_type ());
  media_dir = g_dir_make_tmp ("kling-clipoutput-XXXXXX", NULL);
  av_clip = g_build_filename (media_dir, "av.mp4", NULL);
  video_clip = g_build_filename (media_dir, "video.mp4", NULL);
  failed = gst_check_run_suite (clipoutput_suite (), "klingclipoutput",
      __FILE__);
  test_remove_tree (media_dir);
  g_free (av_clip);
  g_free (video_clip);
  g_free (media_dir);
  return failed;
}
