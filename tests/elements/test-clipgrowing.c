/* gst-kling: the clip output playing a clip while it is written, with no server.
 *
 * A writer thread plays the download's part (gst/kling/api/kling-download-progress.h): it
 * copies a local MP4 into a part file chunk by chunk and reports each chunk, and can wait
 * before the first byte, start the file over, or fail. The clip is read through
 * gst_kling_clip_new_for_download(), as the render base reads a Kling download; what comes
 * out is checked against the same MP4 read as a complete file (count, PTS, bytes).
 */
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include "gstklingclipoutput.h"
#include "gstklingclipdownload.h"
#include "kling-download-progress.h"
#include "harness-util.h"
#include "test-fs.h"

#ifdef HAVE_VALGRIND_H
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#define FRAMES       (3 * 30)
#define CHUNK        (16 * 1024)

static gchar *media_dir;
static gchar *clip_path;        /* 3 s of video, faststart */

/* ------------------------------------------------------------------------- */
/* A source element around an output                                         */

typedef struct
{
  GstElement parent;
  GstKlingClipOutput *output;
} TestSrc;

typedef struct
{
  GstElementClass parent_class;
} TestSrcClass;

static GType test_src_get_type (void);
G_DEFINE_TYPE (TestSrc, test_src, GST_TYPE_ELEMENT);

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-raw; video/quicktime"));

static void
test_src_constructed (GObject * object)
{
  G_OBJECT_CLASS (test_src_parent_class)->constructed (object);
  ((TestSrc *) object)->output =
      gst_kling_clip_output_new (GST_ELEMENT (object));
}

static void
test_src_finalize (GObject * object)
{
  gst_object_unref (((TestSrc *) object)->output);
  G_OBJECT_CLASS (test_src_parent_class)->finalize (object);
}

/* As the render base does: a fresh output each run. */
static GstStateChangeReturn
test_src_change_state (GstElement * element, GstStateChange transition)
{
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    gst_kling_clip_output_reset (((TestSrc *) element)->output);
  return GST_ELEMENT_CLASS (test_src_parent_class)->change_state (element,
      transition);
}

static void
test_src_class_init (TestSrcClass * klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  element_class->change_state = test_src_change_state;
  G_OBJECT_CLASS (klass)->constructed = test_src_constructed;
  G_OBJECT_CLASS (klass)->finalize = test_src_finalize;
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Test growing clip source", "Source/Video",
      "Plays a clip as it is written", "gst-kling");
}

static void
test_src_init (TestSrc * self)
{
}

static void ensure_media (void);

/* ------------------------------------------------------------------------- */
/* The writer                                                                */

typedef enum
{
  WRITE_ALL,
  WRITE_RESTART,                /* part of it, then (once let go) anew from byte 0 */
  WRITE_FAIL,                   /* part of it, then (once let go) FAILED */
} WriteKind;

typedef struct
{
  WriteKind kind;
  gint64 delay_us;              /* before the first byte */
  gchar *part_path, *final_path;
  KlingDownloadProgress *progress;
  GBytes *bytes;
  GThread *thread;
  GMutex lock;
  GCond cond;
  gboolean go;                  /* the test saw what it waited for */
} Writer;

static void
write_range (Writer * w, gsize from, gsize to, gboolean restarted)
{
  gsize size, offset = from;
  const guint8 *data = g_bytes_get_data (w->bytes, &size);
  gint fd = g_open (w->part_path, O_WRONLY | O_CREAT | (from ? O_APPEND :
          O_TRUNC), 0600);

  fail_unless (fd >= 0);
  kling_download_progress_update (w->progress, from, size, restarted);
  while (offset < to) {
    gsize n = MIN (CHUNK, to - offset);

    fail_unless (write (fd, data + offset, n) == (gssize) n);
    offset += n;
    kling_download_progress_update (w->progress, offset, size, FALSE);
    g_usleep (5000);            /* a link, not a disk */
  }
  close (fd);
}

static gpointer
writer_run (gpointer data)
{
  Writer *w = data;
  gsize size = g_bytes_get_size (w->bytes), part = size * 6 / 10;

  g_usleep (w->delay_us);
  write_range (w, 0, w->kind == WRITE_ALL ? size : part, FALSE);
  if (w->kind != WRITE_ALL) {
    g_mutex_lock (&w->lock);
    while (!w->go)
      g_cond_wait (&w->cond, &w->lock);
    g_mutex_unlock (&w->lock);
    /* As kling-download.c does: a new file at the same path. */
    g_unlink (w->part_path);
    if (w->kind == WRITE_FAIL) {
      kling_download_progress_end (w->progress, NULL);
      return NULL;
    }
    write_range (w, 0, size, TRUE);
  }
  fail_unless (g_rename (w->part_path, w->final_path) == 0);
  kling_download_progress_end (w->progress, w->final_path);
  return NULL;
}

static Writer *
writer_start (WriteKind kind, gint64 delay_us)
{
  Writer *w = g_new0 (Writer, 1);
  gchar *data;
  gsize size;

  ensure_media ();
  fail_unless (g_file_get_contents (clip_path, &data, &size, NULL));
  w->bytes = g_bytes_new_take (data, size);
  w->kind = kind;
  w->delay_us = delay_us;
  w->part_path = g_build_filename (media_dir, "clip.part", NULL);
  w->final_path = g_build_filename (media_dir, "clip.mp4", NULL);
  g_unlink (w->final_path);
  /* The part file exists when the download reports its start. */
  fail_unless (g_file_set_contents (w->part_path, "", 0, NULL));
  w->progress = kling_download_progress_new (w->part_path);
  g_mutex_init (&w->lock);
  g_cond_init (&w->cond);
  w->thread = g_thread_new ("writer", writer_run, w);
  return w;
}

static void
writer_let_go (Writer * w)
{
  g_mutex_lock (&w->lock);
  w->go = TRUE;
  g_cond_signal (&w->cond);
  g_mutex_unlock (&w->lock);
}

static void
writer_free (Writer * w)
{
  writer_let_go (w);
  g_thread_join (w->thread);
  kling_download_progress_unref (w->progress);
  g_bytes_unref (w->bytes);
  g_unlink (w->final_path);
  g_unlink (w->part_path);
  g_free (w->part_path);
  g_free (w->final_path);
  g_mutex_clear (&w->lock);
  g_cond_clear (&w->cond);
  g_free (w);
}

/* ------------------------------------------------------------------------- */
/* The element and what leaves it                                            */

typedef struct
{
  GstElement *element;
  GstBus *bus;
  GstHarness *h;
} Fixture;

static void
fixture_start (Fixture * f)
{
  f->element = g_object_new (test_src_get_type (), NULL);
  f->bus = gst_bus_new ();
  gst_element_set_bus (f->element, f->bus);
  f->h = gst_harness_new_with_element (f->element, NULL, "src");
  gst_harness_play (f->h);
}

static void
fixture_stop (Fixture * f)
{
  gst_harness_teardown (f->h);
  gst_object_unref (f->element);
  gst_bus_set_flushing (f->bus, TRUE);
  gst_object_unref (f->bus);
}

static GstKlingClipOutput *
output_of (Fixture * f)
{
  return ((TestSrc *) f->element)->output;
}

static void
give_growing_clip (Fixture * f, Writer * w)
{
  GstKlingClip *clip = gst_kling_clip_new_for_download (w->progress, NULL, NULL,
      GST_CLOCK_TIME_NONE, NULL, NULL);

  gst_kling_clip_output_set_clip (output_of (f), clip);
  gst_kling_clip_unref (clip);
}

static void
describe_frame (GString * frames, GstBuffer * buffer)
{
  GstMapInfo map;
  gchar *md5;

  fail_unless (gst_buffer_map (buffer, &map, GST_MAP_READ));
  md5 = g_compute_checksum_for_data (G_CHECKSUM_MD5, map.data, map.size);
  gst_buffer_unmap (buffer, &map);
  g_string_append_printf (frames, "%" GST_TIME_FORMAT " %s\n",
      GST_TIME_ARGS (GST_BUFFER_PTS (buffer)), md5);
  g_free (md5);
  gst_buffer_unref (buffer);
}

/* Pulls buffers until @count came (or, @count 0, until EOS), appending to @frames. */
static guint
pull_frames (Fixture * f, GString * frames, guint count)
{
  gint64 deadline = g_get_monotonic_time () + HARNESS_PULL_TIMEOUT_US;
  guint n = 0;

  if (count == 0) {
    gst_event_unref (pull_event_of_type (f->h, GST_EVENT_EOS));
    deadline = 0;
  }
  while (count == 0 || n < count) {
    GstBuffer *buffer = gst_harness_try_pull (f->h);

    if (!buffer) {
      if (count == 0)
        break;
      fail_unless (g_get_monotonic_time () < deadline, "no buffer");
      g_usleep (1000);
      continue;
    }
    describe_frame (frames, buffer);
    n++;
  }
  return n;
}

/* The clip read as a complete file. */
static gchar *
describe_complete_clip (void)
{
  GString *frames = g_string_new (NULL);
  GError *error = NULL;
  GstKlingClip *clip = gst_kling_clip_new_for_file (clip_path, NULL,
      GST_CLOCK_TIME_NONE, NULL, NULL, &error);
  Fixture f;

  fail_unless (clip != NULL, "%s", error ? error->message : "");
  fixture_start (&f);
  gst_kling_clip_output_set_clip (output_of (&f), clip);
  gst_kling_clip_unref (clip);
  fail_unless_equals_int (pull_frames (&f, frames, 0), FRAMES);
  fixture_stop (&f);
  return g_string_free (frames, FALSE);
}

/* Made by the first test, in its own process: GStreamer's thread pools do not survive the
 * fork check does for each test. Constrained baseline, so openh264dec decodes it too
 * (under valgrind, which cannot run the libav decoders). */
static void
ensure_media (void)
{
  gchar *part = g_strconcat (clip_path, ".making", NULL);
  gchar *launch = g_strdup_printf ("videotestsrc num-buffers=%d pattern=ball ! "
      "video/x-raw,format=I420,width=320,height=180,framerate=30/1 ! x264enc "
      "speed-preset=ultrafast key-int-max=15 ! video/x-h264,profile=constrained-baseline"
      " ! h264parse ! mp4mux faststart=true ! filesink location=%s", FRAMES,
      part);
  GstElement *pipeline = gst_parse_launch (launch, NULL);
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *message;

  if (g_file_test (clip_path, G_FILE_TEST_EXISTS)) {
    gst_object_unref (bus);
    gst_object_unref (pipeline);
    g_free (launch);
    g_free (part);
    return;
  }
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  message = gst_bus_timed_pop_filtered (bus, 120 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (message && GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS);
  gst_message_unref (message);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  fail_unless (g_rename (part, clip_path) == 0);
  g_free (part);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_free (launch);
}

/* ------------------------------------------------------------------------- */

/* The first byte comes after longer than the decoder's 10 s for exposing the streams:
 * waiting for bytes does not count, and every frame comes out. */
GST_START_TEST (test_slow_first_bytes)
{
  Writer *w = writer_start (WRITE_ALL, 11 * G_USEC_PER_SEC);
  GString *frames = g_string_new (NULL);
  gchar *complete;
  Fixture f;

  fixture_start (&f);
  give_growing_clip (&f, w);
  fail_unless_equals_int (pull_frames (&f, frames, 0), FRAMES);
  fail_unless (gst_bus_pop_filtered (f.bus, GST_MESSAGE_ERROR) == NULL);
  fixture_stop (&f);
  writer_free (w);

  complete = describe_complete_clip ();
  fail_unless_equals_string (frames->str, complete);
  g_free (complete);
  g_string_free (frames, TRUE);
}

GST_END_TEST;

/* The file starts over after frames went out: each frame comes out once, the same as
 * from the complete file. */
GST_START_TEST (test_restart_after_frames)
{
  Writer *w = writer_start (WRITE_RESTART, 0);
  GString *frames = g_string_new (NULL);
  gchar *complete;
  guint n;
  Fixture f;

  fixture_start (&f);
  give_growing_clip (&f, w);
  n = pull_frames (&f, frames, 10);
  writer_let_go (w);
  n += pull_frames (&f, frames, 0);
  fail_unless_equals_int (n, FRAMES);
  fail_unless (gst_bus_pop_filtered (f.bus, GST_MESSAGE_ERROR) == NULL);
  fixture_stop (&f);
  writer_free (w);

  complete = describe_complete_clip ();
  fail_unless_equals_string (frames->str, complete);
  g_free (complete);
  g_string_free (frames, TRUE);
}

GST_END_TEST;

/* The download fails after frames went out: the output says nothing and does not end
 * the stream (the element's error will); abort() then ends it. */
GST_START_TEST (test_failed_download_is_quiet)
{
  Writer *w = writer_start (WRITE_FAIL, 0);
  GString *frames = g_string_new (NULL);
  GstEvent *event;
  Fixture f;

  fixture_start (&f);
  give_growing_clip (&f, w);
  pull_frames (&f, frames, 10);
  writer_let_go (w);
  g_usleep (500 * 1000);
  fail_unless (gst_bus_pop_filtered (f.bus, GST_MESSAGE_ERROR) == NULL);
  while ((event = gst_harness_try_pull_event (f.h))) {
    fail_if (GST_EVENT_TYPE (event) == GST_EVENT_EOS, "EOS before the error");
    gst_event_unref (event);
  }
  gst_kling_clip_output_abort (output_of (&f));
  gst_event_unref (pull_event_of_type (f.h, GST_EVENT_EOS));
  fixture_stop (&f);
  writer_free (w);
  g_string_free (frames, TRUE);
}

GST_END_TEST;

/* Stopped while a read waits for bytes that do not come: at once. */
GST_START_TEST (test_stop_while_waiting)
{
  Writer *w = writer_start (WRITE_RESTART, 0);
  GString *frames = g_string_new (NULL);
  gint64 start;
  Fixture f;

  fixture_start (&f);
  give_growing_clip (&f, w);
  pull_frames (&f, frames, 10);
  start = g_get_monotonic_time ();
  fail_unless (gst_element_set_state (f.element, GST_STATE_NULL) ==
      GST_STATE_CHANGE_SUCCESS);
  fail_unless (g_get_monotonic_time () - start < G_USEC_PER_SEC);
  fixture_stop (&f);
  writer_free (w);
  g_string_free (frames, TRUE);
}

GST_END_TEST;

static Suite *
clipgrowing_suite (void)
{
  Suite *s = suite_create ("klingclipgrowing");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_slow_first_bytes);
  tcase_add_test (tc, test_restart_after_frames);
  tcase_add_test (tc, test_failed_download_is_quiet);
  tcase_add_test (tc, test_stop_while_waiting);
  suite_add_tcase (s, tc);
  return s;
}

/* valgrind stops at an instruction the libav decoders use (RDTSCP). */
static void
rank_down_libav_under_valgrind (void)
{
  GstPluginFeature *feature;

  if (!RUNNING_ON_VALGRIND)
    return;
  feature = gst_registry_lookup_feature (gst_registry_get (), "avdec_h264");
  if (feature) {
    gst_plugin_feature_set_rank (feature, GST_RANK_NONE);
    gst_object_unref (feature);
  }
}

int
main (int argc, char **argv)
{
  int failed;

  gst_check_init (&argc, &argv);
  rank_down_libav_under_valgrind ();
  media_dir = g_dir_make_tmp ("kling-clipgrowing-XXXXXX", NULL);
  clip_path = g_build_filename (media_dir, "clip.src.mp4", NULL);
  failed = gst_check_run_suite (clipgrowing_suite (), "klingclipgrowing",
      __FILE__);
  test_remove_tree (media_dir);
  g_free (clip_path);
  g_free (media_dir);
  return failed;
}
