/* gst-kling: still capture, a frame from a sink pad as Kling takes it.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Why libjpeg and libpng here, not jpegdec/pngdec: both GStreamer decoders turn a JPEG
 * whose scan is cut short or corrupted into a whole frame without a word (libjpeg reports
 * such damage as warnings, which jpegdec drops; so does avdec_mjpeg), and pngdec outputs a
 * frame for a PNG whose compressed data ends early. Kling would be paid to animate the grey
 * half of such an image. libjpeg's warnings about the entropy-coded data and libpng's errors
 * are the reliable signal; they are the libraries those elements use anyway.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <gst/video/video.h>
#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#include "gstklingstill.h"
#include "kling-error.h"
#include "kling-requests.h"

GST_DEBUG_CATEGORY_STATIC (kling_still_debug);
#define GST_CAT_DEFAULT kling_still_debug

/* gst_video_convert_sample() may take a while on a large frame. */
#define ENCODE_TIMEOUT   (30 * GST_SECOND)
/* Shrink attempts for a raw frame whose JPEG exceeds Kling's 10 MB limit. */
#define MAX_ENCODE_TRIES 4

void
gst_kling_still_init_debug (void)
{
  GST_DEBUG_CATEGORY_INIT (kling_still_debug, "klingstill", 0,
      "Kling still capture");
}

const gchar *
gst_kling_still_role_field (GstKlingStillRole role)
{
  return role == GST_KLING_STILL_END_FRAME ? "image_tail" : "image";
}

/* "The image", "The end frame": how the sentences name the still. */
static const gchar *
role_noun (GstKlingStillRole role)
{
  return role == GST_KLING_STILL_END_FRAME ? "The end frame" : "The image";
}

static GBytes *
buffer_to_bytes (GstBuffer * buffer)
{
  gsize size = gst_buffer_get_size (buffer);
  gpointer data = g_malloc (size);

  gst_buffer_extract (buffer, 0, data, size);
  return g_bytes_new_take (data, size);
}

/* ------------------------------------------------------------------------- */
/* Raw frames                                                                */

/* Encodes a raw frame to JPEG at its own size, or smaller when the JPEG would exceed
 * Kling's size limit. NULL with @details set when the frame cannot be encoded. */
static GBytes *
encode_raw_still (GstBuffer * buffer, GstCaps * caps, gchar ** details)
{
  GstVideoInfo info;
  GstSample *sample;
  GBytes *jpeg = NULL;
  gint width, height, attempt;

  if (!gst_video_info_from_caps (&info, caps)) {
    *details =
        g_strdup_printf ("unusable raw video caps %" GST_PTR_FORMAT, caps);
    return NULL;
  }
  width = GST_VIDEO_INFO_WIDTH (&info);
  height = GST_VIDEO_INFO_HEIGHT (&info);
  sample = gst_sample_new (buffer, caps, NULL, NULL);

  for (attempt = 0; attempt < MAX_ENCODE_TRIES; attempt++) {
    GstCaps *target = gst_caps_new_simple ("image/jpeg",
        "width", G_TYPE_INT, width, "height", G_TYPE_INT, height, NULL);
    GError *error = NULL;
    GstSample *encoded;
    gdouble scale;

    encoded = gst_video_convert_sample (sample, target, ENCODE_TIMEOUT, &error);
    gst_caps_unref (target);
    if (!encoded) {
      g_clear_pointer (&jpeg, g_bytes_unref);
      *details = g_strdup_printf ("JPEG encoding of a %dx%d frame failed: %s",
          width, height, error ? error->message : "unknown error");
      g_clear_error (&error);
      break;
    }
    g_clear_pointer (&jpeg, g_bytes_unref);
    jpeg = buffer_to_bytes (gst_sample_get_buffer (encoded));
    gst_sample_unref (encoded);

    GST_DEBUG ("encoded the still at %dx%d: %" G_GSIZE_FORMAT " bytes", width,
        height, g_bytes_get_size (jpeg));
    if (g_bytes_get_size (jpeg) <= KLING_IMAGE_MAX_BYTES)
      break;

    /* JPEG size goes roughly with the pixel count; aim a little under the limit. */
    scale = 0.9 * sqrt ((gdouble) KLING_IMAGE_MAX_BYTES /
        g_bytes_get_size (jpeg));
    width = MAX (2, (gint) (width * scale) & ~1);
    height = MAX (2, (gint) (height * scale) & ~1);
  }
  gst_sample_unref (sample);
  return jpeg;
}

/* ------------------------------------------------------------------------- */
/* Encoded stills: whole, and intact                                         */

/* An encoded still must arrive whole in one buffer: a JPEG ends with EOI, a PNG with its
 * IEND chunk. filesrc alone cuts files into 4 KiB blocks: jpegparse/pngparse fix that. */
static gboolean
encoded_still_is_complete (GBytes * image, const gchar * media_type)
{
  static const guint8 jpeg_eoi[] = { 0xff, 0xd9 };
  static const guint8 png_iend[] = { 'I', 'E', 'N', 'D' };
  gsize size;
  const guint8 *data = g_bytes_get_data (image, &size);

  if (g_str_equal (media_type, "image/jpeg"))
    return size >= 4 && memcmp (data + size - 2, jpeg_eoi, 2) == 0;
  /* The IEND chunk: length (0), "IEND", CRC. */
  return size >= 12 && memcmp (data + size - 8, png_iend, 4) == 0;
}

typedef struct
{
  struct jpeg_error_mgr mgr;
  jmp_buf jump;
  gchar *damage;                /* the first warning about the image data */
} JpegErrors;

static void
jpeg_error_exit (j_common_ptr cinfo)
{
  longjmp (((JpegErrors *) cinfo->err)->jump, 1);
}

/* libjpeg reports damage in the entropy-coded data as warnings and decodes on, filling in
 * what is missing. Those warnings mean the image is broken; warnings about headers
 * (an unknown JFIF revision, extraneous padding bytes) do not. */
static void
jpeg_emit_message (j_common_ptr cinfo, int level)
{
  JpegErrors *errors = (JpegErrors *) cinfo->err;
  gchar text[JMSG_LENGTH_MAX];

  if (level >= 0)
    return;                     /* trace messages */
  switch (cinfo->err->msg_code) {
    case JWRN_HIT_MARKER:
    case JWRN_JPEG_EOF:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_MUST_RESYNC:
    case JWRN_BOGUS_PROGRESSION:
    case JWRN_NOT_SEQUENTIAL:
      if (!errors->damage) {
        cinfo->err->format_message (cinfo, text);
        errors->damage = g_strdup (text);
      }
      break;
    default:
      break;
  }
  cinfo->err->num_warnings++;
}

static gboolean
check_jpeg (GBytes * image, gchar ** details)
{
  struct jpeg_decompress_struct cinfo;
  JpegErrors errors = { 0, };
  gsize size;
  const guint8 *data = g_bytes_get_data (image, &size);
  JSAMPARRAY row;
  volatile gboolean ok = FALSE;

  cinfo.err = jpeg_std_error (&errors.mgr);
  errors.mgr.error_exit = jpeg_error_exit;
  errors.mgr.emit_message = jpeg_emit_message;
  jpeg_create_decompress (&cinfo);
  if (setjmp (errors.jump)) {
    gchar text[JMSG_LENGTH_MAX];

    errors.mgr.format_message ((j_common_ptr) & cinfo, text);
    *details = g_strdup_printf ("JPEG: %s", text);
    goto done;
  }

  jpeg_mem_src (&cinfo, data, size);
  jpeg_read_header (&cinfo, TRUE);
  /* Every coefficient is still entropy-decoded at 1/8 scale; only the pixels are
   * cheaper. */
  cinfo.scale_num = 1;
  cinfo.scale_denom = 8;
  cinfo.dct_method = JDCT_IFAST;
  cinfo.do_fancy_upsampling = FALSE;
  jpeg_start_decompress (&cinfo);
  row = (*cinfo.mem->alloc_sarray) ((j_common_ptr) & cinfo, JPOOL_IMAGE,
      cinfo.output_width * cinfo.output_components, 1);
  while (cinfo.output_scanline < cinfo.output_height)
    jpeg_read_scanlines (&cinfo, row, 1);
  jpeg_finish_decompress (&cinfo);

  ok = errors.damage == NULL;
  if (!ok)
    *details = g_strdup_printf ("JPEG: %s", errors.damage);

done:
  jpeg_destroy_decompress (&cinfo);
  g_free (errors.damage);
  return ok;
}

typedef struct
{
  const guint8 *data;
  gsize size;
  gsize offset;
  gchar *error;
} PngInput;

static void
png_error_fn (png_structp png, png_const_charp message)
{
  PngInput *input = png_get_error_ptr (png);

  if (!input->error)
    input->error = g_strdup (message);
  png_longjmp (png, 1);
}

static void
png_warning_fn (png_structp png, png_const_charp message)
{
  /* Ancillary-chunk quirks (an odd iCCP profile, say) are common in intact files. */
  GST_DEBUG ("PNG warning: %s", message);
}

static void
png_read_fn (png_structp png, png_bytep out, png_size_t length)
{
  PngInput *input = png_get_io_ptr (png);

  if (length > input->size - input->offset)
    png_error (png, "the file ends early");
  memcpy (out, input->data + input->offset, length);
  input->offset += length;
}

/* Row by row, so a huge image needs one row of memory, not the whole picture. */
static gboolean
check_png (GBytes * image, gchar ** details)
{
  PngInput input = { 0, };
  png_structp png;
  png_infop info = NULL;
  png_bytep volatile row = NULL;
  volatile gboolean ok = FALSE;

  input.data = g_bytes_get_data (image, &input.size);
  png = png_create_read_struct (PNG_LIBPNG_VER_STRING, &input, png_error_fn,
      png_warning_fn);
  if (!png) {
    *details = g_strdup ("PNG: out of memory");
    return FALSE;
  }
  info = png_create_info_struct (png);
  if (setjmp (png_jmpbuf (png))) {
    *details = g_strdup_printf ("PNG: %s", input.error ? input.error : "error");
    goto done;
  }
  if (!info)
    png_error (png, "out of memory");

  png_set_read_fn (png, &input, png_read_fn);
  png_read_info (png, info);
  {
    gint passes = png_set_interlace_handling (png);
    png_uint_32 height = png_get_image_height (png, info);
    png_uint_32 y;
    gint pass;

    png_read_update_info (png, info);
    row = g_malloc (png_get_rowbytes (png, info));
    for (pass = 0; pass < passes; pass++)
      for (y = 0; y < height; y++)
        png_read_row (png, row, NULL);
  }
  /* The chunks after the image data, up to IEND, with their checksums. */
  png_read_end (png, NULL);
  ok = TRUE;

done:
  png_destroy_read_struct (&png, info ? &info : NULL, NULL);
  g_free (row);
  g_free (input.error);
  return ok;
}

gboolean
gst_kling_still_check_data (GBytes * image, gchar ** details)
{
  KlingImageFormat format = KLING_IMAGE_FORMAT_UNKNOWN;

  g_return_val_if_fail (image != NULL, FALSE);

  if (!kling_image_probe (image, &format, NULL, NULL)) {
    *details = g_strdup ("not a JPEG or PNG image");
    return FALSE;
  }
  if (format == KLING_IMAGE_FORMAT_JPEG)
    return check_jpeg (image, details);
  return check_png (image, details);
}

/* ------------------------------------------------------------------------- */
/* Capture                                                                   */

static GBytes *
refuse (GError ** error, gchar ** details, gchar * debug, const gchar * format,
    ...)
G_GNUC_PRINTF (4, 5);

/* Sets @error (STREAM FORMAT, the sentence of @format) and *@details (@debug, taken). */
     static GBytes *refuse (GError ** error, gchar ** details, gchar * debug,
    const gchar * format, ...)
{
  va_list args;
  gchar *sentence;

  va_start (args, format);
  sentence = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
      sentence);
  g_free (sentence);
  *details = debug;
  return NULL;
}

GBytes *
gst_kling_still_capture (GstBuffer * buffer, GstCaps * caps,
    GstKlingStillRole role, const gchar * element_name, gchar ** details,
    GError ** error)
{
  const gchar *noun = role_noun (role);
  g_autoptr (GError) invalid = NULL;
  gchar *debug = NULL;
  const gchar *media_type;
  GBytes *image;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);
  g_return_val_if_fail (details != NULL && *details == NULL, NULL);

  if (!caps)
    return refuse (error, details, g_strdup ("no CAPS event before the first "
            "buffer"), "%s reached %s without caps.", noun, element_name);

  media_type = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  if (g_str_equal (media_type, "video/x-raw")) {
    image = encode_raw_still (buffer, caps, &debug);
    if (!image)
      return refuse (error, details, debug, "Could not encode %s for Kling.",
          role == GST_KLING_STILL_END_FRAME ? "the end frame" : "the image");
  } else {
    image = buffer_to_bytes (buffer);
    if (!encoded_still_is_complete (image, media_type)) {
      debug = g_strdup_printf ("the first %s buffer (%" G_GSIZE_FORMAT
          " bytes) is not a whole image", media_type, g_bytes_get_size (image));
      g_bytes_unref (image);
      return refuse (error, details, debug, "%s reached %s in pieces: put "
          "jpegparse or pngparse before it.", noun, element_name);
    }
  }

  if (!kling_validate_image (image, gst_kling_still_role_field (role),
          &invalid)) {
    gchar *sentence = kling_error_dup_user_message (invalid);

    g_bytes_unref (image);
    refuse (error, details, kling_error_dup_details (invalid), "%s", sentence);
    g_free (sentence);
    return NULL;
  }

  /* A frame we encoded ourselves is intact; an image from upstream may not be. */
  if (!g_str_equal (media_type, "video/x-raw")
      && !gst_kling_still_check_data (image, &debug)) {
    g_bytes_unref (image);
    return refuse (error, details, debug, "%s data is damaged (it does not "
        "decode completely): %s refuses to send it to Kling; use an intact "
        "file.", noun, element_name);
  }
  return image;
}
