/* gst-kling: the MP4 check a download passes before it enters the cache. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The file holds @expected_size bytes (-1: not checked) and starts like an MP4 (an 'ftyp'
 * box at offset 4). KLING_ERROR_PROTOCOL otherwise. */
gboolean  kling_mp4_check            (const gchar *path, goffset expected_size,
                                      GError **error);

G_END_DECLS
