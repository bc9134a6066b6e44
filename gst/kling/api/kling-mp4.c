/* gst-kling: the MP4 check a download passes before it enters the cache. */
#include "kling-mp4.h"
#include "kling-error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>

static gboolean
io_error (GError **error, const gchar *what, const gchar *path, gint errsv)
{
  g_propagate_error (error, kling_error_new_full (KLING_ERROR_PROTOCOL, 0, -1, NULL, NULL,
          NULL, "cannot %s %s: %s", what, path, g_strerror (errsv)));
  return FALSE;
}

gboolean
kling_mp4_check (const gchar *path, goffset expected_size, GError **error)
{
  GStatBuf st;
  guint8 head[8];
  FILE *f;
  gsize got;

  if (g_stat (path, &st) != 0)
    return io_error (error, "read", path, errno);
  if (expected_size >= 0 && (goffset) st.st_size != expected_size) {
    g_propagate_error (error, kling_error_new_full (KLING_ERROR_PROTOCOL, 0, -1, NULL, NULL,
            NULL, "the download has %" G_GOFFSET_FORMAT " bytes, the server announced %"
            G_GOFFSET_FORMAT, (goffset) st.st_size, expected_size));
    return FALSE;
  }
  f = g_fopen (path, "rb");
  if (f == NULL)
    return io_error (error, "open", path, errno);
  got = fread (head, 1, sizeof (head), f);
  fclose (f);
  if (got < sizeof (head) || memcmp (head + 4, "ftyp", 4) != 0) {
    g_propagate_error (error, kling_error_new_full (KLING_ERROR_PROTOCOL, 0, -1, NULL, NULL,
            NULL, "the download is not an MP4 file (no ftyp box)"));
    return FALSE;
  }
  return TRUE;
}
