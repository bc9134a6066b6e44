/* gst-kling: GstKlingClip, one MP4 for the clip output to play, read through a reader.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "gstklingclip.h"

struct _GstKlingClip
{
  gint ref_count;
  gchar *name;
  const GstKlingClipReaderFuncs *funcs;
  gpointer reader;
  GstTagList *tags;
  GstClockTime duration_hint;
};

G_DEFINE_QUARK (gst - kling - clip - error - quark, gst_kling_clip_error);

GstKlingClip *
gst_kling_clip_new (const gchar * name, const GstKlingClipReaderFuncs * funcs,
    gpointer reader, GstTagList * tags, GstClockTime duration_hint)
{
  GstKlingClip *clip;

  g_return_val_if_fail (funcs != NULL && funcs->read != NULL, NULL);

  clip = g_new0 (GstKlingClip, 1);
  clip->ref_count = 1;
  clip->name = g_strdup (name ? name : "clip");
  clip->funcs = funcs;
  clip->reader = reader;
  clip->tags = tags;
  clip->duration_hint = duration_hint;
  return clip;
}

GstKlingClip *
gst_kling_clip_ref (GstKlingClip * clip)
{
  g_return_val_if_fail (clip != NULL, NULL);

  g_atomic_int_inc (&clip->ref_count);
  return clip;
}

void
gst_kling_clip_unref (GstKlingClip * clip)
{
  if (!clip || !g_atomic_int_dec_and_test (&clip->ref_count))
    return;

  if (clip->funcs->free)
    clip->funcs->free (clip->reader);
  if (clip->tags)
    gst_tag_list_unref (clip->tags);
  g_free (clip->name);
  g_free (clip);
}

gssize
gst_kling_clip_read (GstKlingClip * clip, guint64 offset, guint8 * data,
    gsize size, GCancellable * cancellable, GError ** error)
{
  return clip->funcs->read (clip->reader, offset, data, size, cancellable,
      error);
}

gint64
gst_kling_clip_get_size (GstKlingClip * clip)
{
  return clip->funcs->get_size ? clip->funcs->get_size (clip->reader) : -1;
}

gboolean
gst_kling_clip_wait_whole (GstKlingClip * clip, gboolean block,
    GCancellable * cancellable, GError ** error)
{
  if (!clip->funcs->wait_whole)
    return TRUE;
  return clip->funcs->wait_whole (clip->reader, block, cancellable, error);
}

const gchar *
gst_kling_clip_get_name (GstKlingClip * clip)
{
  return clip->name;
}

GstTagList *
gst_kling_clip_get_tags (GstKlingClip * clip)
{
  return clip->tags;
}

GstClockTime
gst_kling_clip_get_duration_hint (GstKlingClip * clip)
{
  return clip->duration_hint;
}

/* ------------------------------------------------------------------------- */
/* A complete file                                                           */

typedef struct
{
  gint fd;
  gint64 size;
  gpointer owner;
  GDestroyNotify owner_free;
} FileReader;

static gssize
file_reader_read (gpointer data, guint64 offset, guint8 * buffer, gsize size,
    GCancellable * cancellable, GError ** error)
{
  FileReader *reader = data;
  gssize n;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return -1;
  do
    n = pread (reader->fd, buffer, size, (off_t) offset);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
        "reading at %" G_GUINT64_FORMAT ": %s", offset, g_strerror (errno));
  return n;
}

static gint64
file_reader_get_size (gpointer data)
{
  return ((FileReader *) data)->size;
}

static void
file_reader_free (gpointer data)
{
  FileReader *reader = data;

  g_close (reader->fd, NULL);
  if (reader->owner_free)
    reader->owner_free (reader->owner);
  g_free (reader);
}

static const GstKlingClipReaderFuncs file_reader_funcs = {
  .read = file_reader_read,
  .get_size = file_reader_get_size,
  .free = file_reader_free,
};

GstKlingClip *
gst_kling_clip_new_for_file (const gchar * path, GstTagList * tags,
    GstClockTime duration_hint, gpointer owner, GDestroyNotify owner_free,
    GError ** error)
{
  FileReader *reader;
  struct stat info;
  gint fd;

  g_return_val_if_fail (path != NULL, NULL);

  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0 || fstat (fd, &info) != 0) {
    gint saved = errno;

    if (fd >= 0)
      g_close (fd, NULL);
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s",
        path, g_strerror (saved));
    if (tags)
      gst_tag_list_unref (tags);
    if (owner_free)
      owner_free (owner);
    return NULL;
  }

  reader = g_new0 (FileReader, 1);
  reader->fd = fd;
  reader->size = info.st_size;
  reader->owner = owner;
  reader->owner_free = owner_free;
  return gst_kling_clip_new (path, &file_reader_funcs, reader, tags,
      duration_hint);
}
