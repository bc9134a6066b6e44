/* kling-sandbox: what Kling checks before it accepts an input, read from the headers
 * only (no decoder sees a hostile upload before it passed these checks). */
#include "sandbox-private.h"

#include <string.h>

static guint
read_be16 (const guint8 * p)
{
  return (p[0] << 8) | p[1];
}

static guint32
read_be32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8)
      | p[3];
}

static gboolean
probe_png (const guint8 * data, gsize size, guint * width, guint * height)
{
  static const guint8 signature[8] =
      { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

  /* The signature, then the IHDR chunk: length (13), "IHDR", width, height. */
  if (size < 24 || memcmp (data, signature, 8) != 0
      || memcmp (data + 12, "IHDR", 4) != 0)
    return FALSE;
  *width = read_be32 (data + 16);
  *height = read_be32 (data + 20);
  return TRUE;
}

static gboolean
is_jpeg_sof (guint8 marker)
{
  /* SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC). */
  return marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 &&
      marker != 0xcc;
}

static gboolean
probe_jpeg (const guint8 * data, gsize size, guint * width, guint * height)
{
  gsize pos = 2;

  if (size < 4 || data[0] != 0xff || data[1] != 0xd8)
    return FALSE;
  /* Walk the marker segments up to the first start-of-frame. */
  while (pos + 4 <= size) {
    guint8 marker;
    guint length;

    if (data[pos] != 0xff)
      return FALSE;
    marker = data[pos + 1];
    if (marker == 0xff) {       /* fill byte */
      pos++;
      continue;
    }
    if (marker == 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker == 0x01) {
      pos += 2;
      continue;
    }
    length = read_be16 (data + pos + 2);
    if (length < 2)
      return FALSE;
    if (is_jpeg_sof (marker)) {
      if (pos + 9 > size || length < 7)
        return FALSE;
      *height = read_be16 (data + pos + 5);
      *width = read_be16 (data + pos + 7);
      return TRUE;
    }
    if (marker == 0xd9 || marker == 0xda)
      return FALSE;             /* image data before any frame header */
    pos += 2 + length;
  }
  return FALSE;
}

SandboxImageFormat
sandbox_probe_image (const guint8 * data, gsize size, guint * width,
    guint * height)
{
  *width = *height = 0;
  if (probe_png (data, size, width, height))
    return SANDBOX_IMAGE_PNG;
  if (probe_jpeg (data, size, width, height))
    return SANDBOX_IMAGE_JPEG;
  return SANDBOX_IMAGE_UNKNOWN;
}

const gchar *
sandbox_probe_audio_format (const guint8 * data, gsize size)
{
  if (size >= 12 && memcmp (data, "RIFF", 4) == 0
      && memcmp (data + 8, "WAVE", 4) == 0)
    return "wav";
  if (size >= 12 && memcmp (data + 4, "ftyp", 4) == 0)
    return "m4a";
  if (size >= 3 && memcmp (data, "ID3", 3) == 0)
    return "mp3";
  /* ADTS: a 12-bit sync word and layer 0; MPEG audio: an 11-bit sync, layer != 0. */
  if (size >= 2 && data[0] == 0xff && (data[1] & 0xf6) == 0xf0)
    return "aac";
  if (size >= 2 && data[0] == 0xff && (data[1] & 0xe0) == 0xe0
      && (data[1] & 0x06) != 0)
    return "mp3";
  return NULL;
}

gboolean
sandbox_url_is_loopback_port (const gchar * url, guint port)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const gchar *host;

  if (uri == NULL || g_strcmp0 (g_uri_get_scheme (uri), "http") != 0)
    return FALSE;
  host = g_uri_get_host (uri);
  if (host == NULL || !(g_str_equal (host, "127.0.0.1") ||
          g_ascii_strcasecmp (host, "localhost") == 0
          || g_str_equal (host, "::1")))
    return FALSE;
  return port == 0 || (guint) MAX (g_uri_get_port (uri), 0) == port ||
      (g_uri_get_port (uri) == -1 && port == 80);
}

gboolean
sandbox_url_is_loopback (const gchar * url)
{
  return sandbox_url_is_loopback_port (url, 0);
}
