/* Stills for the suites of tests/elements; see still-util.h. */
#include <string.h>
#include <gst/check/gstcheck.h>
#include <zlib.h>

#include "still-util.h"

GBytes *
still_media_file (const gchar * name)
{
  gchar *path = g_build_filename (MEDIA_DIR, name, NULL);
  gchar *data;
  gsize size;

  fail_unless (g_file_get_contents (path, &data, &size, NULL), "%s", path);
  g_free (path);
  return g_bytes_new_take (data, size);
}

/* Where the entropy-coded data starts: after the SOS segment. */
static gsize
jpeg_scan_start (const guint8 * data, gsize size)
{
  gsize i;

  for (i = 2; i + 4 < size; i++)
    if (data[i] == 0xFF && data[i + 1] == 0xDA)
      return i + 2 + ((data[i + 2] << 8) | data[i + 3]);
  fail ("no SOS marker");
  return 0;
}

GBytes *
still_jpeg_cut_in_middle (void)
{
  GBytes *whole = still_media_file ("still.jpg");
  gsize size, scan, cut;
  const guint8 *data = g_bytes_get_data (whole, &size);
  guint8 *out;

  scan = jpeg_scan_start (data, size);
  cut = scan + (size - scan) / 2;
  out = g_malloc (cut + 2);
  memcpy (out, data, cut);
  out[cut] = 0xFF;
  out[cut + 1] = 0xD9;
  g_bytes_unref (whole);
  return g_bytes_new_take (out, cut + 2);
}

GBytes *
still_jpeg_scrambled (void)
{
  GBytes *whole = still_media_file ("still.jpg");
  GRand *rand = g_rand_new_with_seed (7);
  gsize size, scan, i;
  guint8 *out = g_bytes_unref_to_data (whole, &size);

  scan = jpeg_scan_start (out, size);
  fail_unless (scan + 2200 < size);
  /* No 0xFF: a marker would end the scan early, which is a different damage. */
  for (i = scan + 200; i < scan + 2200; i++)
    out[i] = g_rand_int_range (rand, 0, 0xFF);
  g_rand_free (rand);
  return g_bytes_new_take (out, size);
}

static guint32
read_be32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

static void
append_chunk (GByteArray * png, const gchar * type, const guint8 * data,
    guint32 length)
{
  guint8 be[4] = { length >> 24, length >> 16, length >> 8, length };
  guint32 crc = crc32 (0, (const Bytef *) type, 4);

  crc = crc32 (crc, data, length);
  g_byte_array_append (png, be, 4);
  g_byte_array_append (png, (const guint8 *) type, 4);
  g_byte_array_append (png, data, length);
  be[0] = crc >> 24;
  be[1] = crc >> 16;
  be[2] = crc >> 8;
  be[3] = crc;
  g_byte_array_append (png, be, 4);
}

/* square.png rebuilt as signature, IHDR, one IDAT of @idat (taken), IEND. */
static GBytes *
png_with_idat (GByteArray * idat)
{
  GBytes *whole = still_media_file ("square.png");
  gsize size;
  const guint8 *data = g_bytes_get_data (whole, &size);
  GByteArray *png = g_byte_array_new ();

  fail_unless (size > 33 && memcmp (data + 12, "IHDR", 4) == 0);
  g_byte_array_append (png, data, 8);
  append_chunk (png, "IHDR", data + 16, read_be32 (data + 8));
  append_chunk (png, "IDAT", idat->data, idat->len);
  append_chunk (png, "IEND", NULL, 0);
  g_byte_array_unref (idat);
  g_bytes_unref (whole);
  return g_byte_array_free_to_bytes (png);
}

/* The concatenated IDAT data of square.png. */
static GByteArray *
png_idat (void)
{
  GBytes *whole = still_media_file ("square.png");
  gsize size, pos = 8;
  const guint8 *data = g_bytes_get_data (whole, &size);
  GByteArray *idat = g_byte_array_new ();

  while (pos + 12 <= size) {
    guint32 length = read_be32 (data + pos);

    if (memcmp (data + pos + 4, "IDAT", 4) == 0)
      g_byte_array_append (idat, data + pos + 8, length);
    pos += 12 + length;
  }
  g_bytes_unref (whole);
  fail_unless (idat->len > 2000);
  return idat;
}

GBytes *
still_png_scrambled (void)
{
  GByteArray *idat = png_idat ();
  GRand *rand = g_rand_new_with_seed (3);
  guint i;

  for (i = 200; i < 1200; i++)
    idat->data[i] = g_rand_int_range (rand, 0, 256);
  g_rand_free (rand);
  return png_with_idat (idat);
}

GBytes *
still_png_half_rows (void)
{
  GByteArray *idat = png_idat (), *half;
  uLongf raw_size = 64 * 1024 * 1024, packed_size;
  guint8 *raw = g_malloc (raw_size), *packed;

  fail_unless (uncompress (raw, &raw_size, idat->data, idat->len) == Z_OK);
  packed_size = compressBound (raw_size / 2);
  packed = g_malloc (packed_size);
  fail_unless (compress (packed, &packed_size, raw, raw_size / 2) == Z_OK);
  half = g_byte_array_new_take (packed, packed_size);
  g_free (raw);
  g_byte_array_unref (idat);
  return png_with_idat (half);
}
