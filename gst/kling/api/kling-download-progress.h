/* gst-kling: the writer's side of KlingDownloadProgress (private to the client layer; the
 * readers' side is public, in kling-client.h). */
#pragma once

#include "kling-client.h"

G_BEGIN_DECLS

KlingDownloadProgress *kling_download_progress_new (const gchar *part_path);
/* @written valid bytes of @total (-1: unknown); @restarted: the file began anew. */
void kling_download_progress_update (KlingDownloadProgress *progress, guint64 written,
                                     gint64 total, gboolean restarted);
/* DONE at @final_path, or FAILED when it is NULL. Only the first call counts. */
void kling_download_progress_end    (KlingDownloadProgress *progress,
                                     const gchar *final_path);

G_END_DECLS
