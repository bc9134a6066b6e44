/* gst-kling: still capture (gstklingstill.c) alone, no server.
 *
 * What a sink pad hands it (a raw frame, a JPEG, a PNG, with their caps) and what comes
 * back: the bytes Kling is sent, or a STREAM FORMAT error with one sentence, before any
 * request could be made.
 */
#include <string.h>
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

#include "gstklingstill.h"
#include "kling-requests.h"
#include "still-util.h"

#define WHO "klingimage2video"

static GstBuffer *
raw_frame (gint width, gint height, GstCaps ** caps)
{
  GstVideoInfo info;
  GstBuffer *buffer;
  GstMapInfo map;
  gsize i;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, width, height);
  *caps = gst_video_info_to_caps (&info);
  buffer = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  for (i = 0; i < map.size; i++)
    map.data[i] = (guint8) (i * 7);
  gst_buffer_unmap (buffer, &map);
  return buffer;
}

/* Captures @bytes (taken) as a still of @media_type; returns what came back (or NULL),
 * with the error's sentence in *@sentence. */
static GBytes *
capture_encoded (GBytes * bytes, const gchar * media_type,
    GstKlingStillRole role, gchar ** sentence)
{
  GstBuffer *buffer = gst_buffer_new_wrapped_bytes (bytes);
  GstCaps *caps = gst_caps_new_empty_simple (media_type);
  GError *error = NULL;
  gchar *details = NULL;
  GBytes *image;

  g_bytes_unref (bytes);        /* the buffer holds its own reference */
  image = gst_kling_still_capture (buffer, caps, role, WHO, &details, &error);
  fail_unless ((image == NULL) == (error != NULL));
  if (error) {
    GST_INFO ("refused: %s (%s)", error->message, details);
    fail_unless (g_error_matches (error, GST_STREAM_ERROR,
            GST_STREAM_ERROR_FORMAT), "%s", error->message);
    fail_unless (details != NULL && *details);
    *sentence = g_strdup (error->message);
    g_error_free (error);
  }
  g_free (details);
  gst_caps_unref (caps);
  gst_buffer_unref (buffer);
  return image;
}

static void
check_refused (GBytes * bytes, const gchar * media_type, GstKlingStillRole role,
    const gchar * words)
{
  gchar *sentence = NULL;
  GBytes *image = capture_encoded (bytes, media_type, role, &sentence);

  /* Takes @bytes. */
  fail_unless (image == NULL, "%s was taken", media_type);
  fail_unless (strstr (sentence, words) != NULL, "\"%s\" not in \"%s\"", words,
      sentence);
  g_free (sentence);
}

GST_START_TEST (test_raw_frame_becomes_jpeg)
{
  GstCaps *caps;
  GstBuffer *frame = raw_frame (640, 360, &caps);
  GError *error = NULL;
  gchar *details = NULL;
  KlingImageFormat format;
  guint width, height;
  GBytes *image;

  image =
      gst_kling_still_capture (frame, caps, GST_KLING_STILL_FIRST_FRAME, WHO,
      &details, &error);
  fail_unless (image != NULL, "%s", error ? error->message : "");
  fail_unless (kling_image_probe (image, &format, &width, &height));
  fail_unless_equals_int (format, KLING_IMAGE_FORMAT_JPEG);
  fail_unless_equals_int (width, 640);
  fail_unless_equals_int (height, 360);
  fail_unless (gst_kling_still_check_data (image, &details), "%s", details);
  g_bytes_unref (image);
  gst_caps_unref (caps);
  gst_buffer_unref (frame);
}

GST_END_TEST;

/* Intact JPEG and PNG files go to Kling byte for byte. */
GST_START_TEST (test_encoded_stills_taken_as_they_are)
{
  const gchar *names[] = { "still.jpg", "square.png" };
  const gchar *types[] = { "image/jpeg", "image/png" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    GBytes *file = still_media_file (names[i]);
    gchar *sentence = NULL;
    GBytes *image = capture_encoded (g_bytes_ref (file), types[i],
        GST_KLING_STILL_FIRST_FRAME, &sentence);

    fail_unless (image != NULL, "%s: %s", names[i], sentence);
    fail_unless (g_bytes_equal (image, file));
    g_bytes_unref (image);
    g_bytes_unref (file);
  }
}

GST_END_TEST;

GST_START_TEST (test_pieces_refused)
{
  GBytes *file = still_media_file ("still.jpg");
  GBytes *piece = g_bytes_new_from_bytes (file, 0, 4096);

  check_refused (piece, "image/jpeg", GST_KLING_STILL_FIRST_FRAME,
      "The image reached " WHO " in pieces: put jpegparse or pngparse");
  g_bytes_unref (file);
}

GST_END_TEST;

GST_START_TEST (test_no_caps_refused)
{
  GBytes *file = still_media_file ("still.jpg");
  GstBuffer *buffer = gst_buffer_new_wrapped_bytes (file);
  GError *error = NULL;
  gchar *details = NULL;

  g_bytes_unref (file);

  fail_unless (gst_kling_still_capture (buffer, NULL,
          GST_KLING_STILL_FIRST_FRAME, WHO, &details, &error) == NULL);
  fail_unless (strstr (error->message, "without caps") != NULL);
  g_error_free (error);
  g_free (details);
  gst_buffer_unref (buffer);
}

GST_END_TEST;

/* Kling's limits, checked here: 300 px a side. */
GST_START_TEST (test_too_small_refused)
{
  GstCaps *caps;
  GstBuffer *frame = raw_frame (300, 200, &caps);
  GError *error = NULL;
  gchar *details = NULL;

  fail_unless (gst_kling_still_capture (frame, caps,
          GST_KLING_STILL_FIRST_FRAME, WHO, &details, &error) == NULL);
  fail_unless (g_error_matches (error, GST_STREAM_ERROR,
          GST_STREAM_ERROR_FORMAT));
  fail_unless (strstr (error->message, "300") != NULL, "%s", error->message);
  g_error_free (error);
  g_free (details);
  gst_caps_unref (caps);
  gst_buffer_unref (frame);
}

GST_END_TEST;

/* Headers intact (kling_image_probe() and the EOI/IEND check pass), data not: refused,
 * saying the data is damaged. Takes @image. */
static void
check_damaged (GBytes * image, const gchar * media_type)
{
  gchar *details = NULL;

  fail_unless (kling_image_probe (image, NULL, NULL, NULL),
      "the damaged %s must keep its headers", media_type);
  fail_if (gst_kling_still_check_data (image, &details));
  GST_INFO ("%s: %s", media_type, details);
  g_free (details);
  check_refused (image, media_type, GST_KLING_STILL_FIRST_FRAME,
      "The image data is damaged");
}

GST_START_TEST (test_damaged_jpeg_cut_in_middle)
{
  check_damaged (still_jpeg_cut_in_middle (), "image/jpeg");
}

GST_END_TEST;

GST_START_TEST (test_damaged_jpeg_scrambled)
{
  check_damaged (still_jpeg_scrambled (), "image/jpeg");
}

GST_END_TEST;

GST_START_TEST (test_damaged_png_scrambled)
{
  check_damaged (still_png_scrambled (), "image/png");
}

GST_END_TEST;

GST_START_TEST (test_damaged_png_half_rows)
{
  check_damaged (still_png_half_rows (), "image/png");
}

GST_END_TEST;

/* libjpeg also warns about harmless things: padding before EOI is not damage. */
GST_START_TEST (test_jpeg_padding_is_not_damage)
{
  GBytes *file = still_media_file ("still.jpg");
  gsize size;
  const guint8 *data = g_bytes_get_data (file, &size);
  guint8 *padded = g_malloc (size + 3);
  GBytes *image;
  gchar *details = NULL;

  memcpy (padded, data, size - 2);
  memcpy (padded + size - 2, "\x00\x00\x00\xff\xd9", 5);
  image = g_bytes_new_take (padded, size + 3);
  fail_unless (gst_kling_still_check_data (image, &details), "%s", details);
  g_bytes_unref (image);
  g_bytes_unref (file);
}

GST_END_TEST;

/* The end frame is captured the same way; its sentences and Kling's field say so. */
GST_START_TEST (test_end_frame)
{
  GBytes *file = still_media_file ("still.jpg");
  gchar *sentence = NULL;
  GBytes *image;

  fail_unless_equals_string (gst_kling_still_role_field
      (GST_KLING_STILL_END_FRAME), "image_tail");
  fail_unless_equals_string (gst_kling_still_role_field
      (GST_KLING_STILL_FIRST_FRAME), "image");
  image = capture_encoded (g_bytes_ref (file), "image/jpeg",
      GST_KLING_STILL_END_FRAME, &sentence);
  fail_unless (image != NULL);
  g_bytes_unref (image);
  check_refused (g_bytes_new_from_bytes (file, 0, 4096), "image/jpeg",
      GST_KLING_STILL_END_FRAME, "The end frame reached " WHO " in pieces");
  check_refused (still_jpeg_cut_in_middle (), "image/jpeg",
      GST_KLING_STILL_END_FRAME, "The end frame data is damaged");
  g_bytes_unref (file);
}

GST_END_TEST;

static Suite *
still_suite (void)
{
  Suite *s = suite_create ("klingstill");
  TCase *tc = tcase_create ("general");

  /* What the plugin's init does for the still capture it uses. */
  gst_kling_still_init_debug ();
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_raw_frame_becomes_jpeg);
  tcase_add_test (tc, test_encoded_stills_taken_as_they_are);
  tcase_add_test (tc, test_pieces_refused);
  tcase_add_test (tc, test_no_caps_refused);
  tcase_add_test (tc, test_too_small_refused);
  tcase_add_test (tc, test_damaged_jpeg_cut_in_middle);
  tcase_add_test (tc, test_damaged_jpeg_scrambled);
  tcase_add_test (tc, test_damaged_png_scrambled);
  tcase_add_test (tc, test_damaged_png_half_rows);
  tcase_add_test (tc, test_jpeg_padding_is_not_damage);
  tcase_add_test (tc, test_end_frame);
  return s;
}

GST_CHECK_MAIN (still);
