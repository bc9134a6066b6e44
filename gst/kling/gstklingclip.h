/* gst-kling: GstKlingClip, one MP4 for the clip output to play, read through a reader.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The clip output (gstklingclipoutput.h) decodes or passes through the bytes of a clip, and
 * reads them only through the reader below: a complete file in the cache is one reader
 * (gst_kling_clip_new_for_file()); a download still being written is another (see
 * docs/design.md, "The clip output"). A clip is immutable and reference counted, so the
 * output's threads can share it without a lock.
 */
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * GstKlingClipReaderFuncs:
 * @read: reads up to @size bytes at @offset into @data. It may block until the bytes are
 *   there (a growing file) but must return when @cancellable is cancelled. Returns the
 *   number of bytes read (fewer than @size only at the end of the clip, 0 past it), or -1
 *   with @error set. Called from one thread at a time.
 * @get_size: the size of the clip in bytes when it is known, else -1.
 * @free: frees the reader (any thread).
 * @wait_whole: for a clip still being written: TRUE once its bytes are final (every read
 *   from then on gives the whole, verified clip), FALSE before (@block FALSE) or with
 *   @error (GST_KLING_CLIP_ERROR_VOID, or cancelled). With @block it waits, until
 *   @cancellable is cancelled. NULL: the clip is whole from the start (a file). Any thread.
 */
typedef struct
{
  gssize (*read)     (gpointer reader, guint64 offset, guint8 *data, gsize size,
                      GCancellable *cancellable, GError **error);
  gint64 (*get_size) (gpointer reader);
  void   (*free)     (gpointer reader);
  gboolean (*wait_whole) (gpointer reader, gboolean block, GCancellable *cancellable,
                          GError **error);
} GstKlingClipReaderFuncs;

typedef struct _GstKlingClip GstKlingClip;

/* What a reader of a clip still being written may fail with, besides I/O errors. */
#define GST_KLING_CLIP_ERROR (gst_kling_clip_error_quark ())
GQuark gst_kling_clip_error_quark (void);

typedef enum
{
  /* The clip's bytes began anew (its download started over from byte 0): whatever was
   * read before is void. The next reads give the new bytes, from offset 0 on. */
  GST_KLING_CLIP_ERROR_RESTARTED,
  /* The clip will never be whole (its download failed or was cancelled). Whoever made
   * the clip reports why: the reader's user says nothing of its own. */
  GST_KLING_CLIP_ERROR_VOID,
} GstKlingClipError;

/* A clip read through @funcs and @reader (taken over). @name is for logs; @tags (taken,
 * may be NULL) are pushed before the clip's first buffer; @duration_hint (or
 * GST_CLOCK_TIME_NONE) answers duration queries until the decoder knows better. */
GstKlingClip *gst_kling_clip_new          (const gchar *name,
                                           const GstKlingClipReaderFuncs *funcs,
                                           gpointer reader, GstTagList *tags,
                                           GstClockTime duration_hint);

/* A complete file, opened now (so a later rename or unlink of @path does not matter).
 * @owner (may be NULL) is freed with @owner_free when the clip is: e.g. the job whose
 * temporary directory holds the file. NULL with @error when the file cannot be opened. */
GstKlingClip *gst_kling_clip_new_for_file (const gchar *path, GstTagList *tags,
                                           GstClockTime duration_hint, gpointer owner,
                                           GDestroyNotify owner_free, GError **error);

GstKlingClip *gst_kling_clip_ref          (GstKlingClip *clip);
void          gst_kling_clip_unref        (GstKlingClip *clip);

gssize        gst_kling_clip_read         (GstKlingClip *clip, guint64 offset, guint8 *data,
                                           gsize size, GCancellable *cancellable,
                                           GError **error);
gint64        gst_kling_clip_get_size     (GstKlingClip *clip);
/* See GstKlingClipReaderFuncs.wait_whole. */
gboolean      gst_kling_clip_wait_whole   (GstKlingClip *clip, gboolean block,
                                           GCancellable *cancellable, GError **error);
const gchar  *gst_kling_clip_get_name     (GstKlingClip *clip);
/* Borrowed; NULL when the clip has no tags. */
GstTagList   *gst_kling_clip_get_tags     (GstKlingClip *clip);
GstClockTime  gst_kling_clip_get_duration_hint (GstKlingClip *clip);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstKlingClip, gst_kling_clip_unref)

G_END_DECLS
