/* gst-kling: a GstKlingClip read while its download is still being written.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The second reader of gstklingclip.h, over the client's KlingDownloadProgress: the clip
 * output decodes (or passes through) the MP4 as it arrives, while the download goes on
 * into its part file and only the whole, verified file enters the cache. A read blocks
 * (cancellably) until its bytes are written; it fails with GST_KLING_CLIP_ERROR_RESTARTED
 * when the download started over from byte 0 (the bytes read before are void) and with
 * GST_KLING_CLIP_ERROR_VOID when the download failed or was cancelled. See docs/design.md,
 * "The clip output".
 */
#pragma once

#include "gstklingclip.h"
#include "kling-client.h"

G_BEGIN_DECLS

/* A clip over @progress (a reference is taken). @name (NULL: the part file's path) is
 * what the clip will be called once whole (the cached file's path), so the stream ids are
 * the same as when the clip comes from the cache; @tags (taken, may be NULL),
 * @duration_hint, @owner and @owner_free as for gst_kling_clip_new_for_file(). Never
 * fails: the part file is opened at the first read. */
GstKlingClip *gst_kling_clip_new_for_download (KlingDownloadProgress *progress,
                                               const gchar *name, GstTagList *tags,
                                               GstClockTime duration_hint, gpointer owner,
                                               GDestroyNotify owner_free);

G_END_DECLS
