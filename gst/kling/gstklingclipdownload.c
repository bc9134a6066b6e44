/* gst-kling: a GstKlingClip read while its download is still being written.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The reader keeps one descriptor on the part file of the download's current generation
 * (a restart makes the file anew at the same path; the end renames it into the cache, and
 * an open descriptor follows the rename). Its lock guards that descriptor and the
 * generation it belongs to; it is never held while waiting for bytes (only for the
 * moment a restart or the end leaves no file at the path), so a reader being torn down (a
 * decoder dropped after a restart) does not hold up the next one.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "gstklingclipdownload.h"

/* A restart unlinks the part file and creates it again, the end renames it: between the
 * two the path names nothing for a moment. How long to look again, and how often. */
#define REOPEN_WAIT_US   (50 * G_TIME_SPAN_MILLISECOND)
#define REOPEN_ATTEMPTS  100

typedef struct
{
  KlingDownloadProgress *progress;
  gpointer owner;
  GDestroyNotify owner_free;

  GMutex lock;
  gint fd;                      /* lock: -1 until opened, and after a restart */
  guint restarts;               /* lock: the generation fd reads */
} DownloadReader;

static gboolean
set_void (GError ** error)
{
  g_set_error_literal (error, GST_KLING_CLIP_ERROR, GST_KLING_CLIP_ERROR_VOID,
      "the download of the clip failed or was cancelled");
  return FALSE;
}

/* Lock held. Opens the file of the download's current generation: the part file while it
 * runs, the cached file once it is done. The status is read before the file is opened: a
 * restart in between then looks like one more restart to the next read (a harmless start
 * over), never like valid bytes of a generation that is gone. */
static gboolean
open_current (DownloadReader * reader, GCancellable * cancellable,
    GError ** error)
{
  guint attempt;

  for (attempt = 0;; attempt++) {
    KlingDownloadStatus status;
    g_autofree gchar *final_path = NULL;
    gint fd, saved;

    kling_download_progress_get_status (reader->progress, &status);
    if (status.state == KLING_DOWNLOAD_FAILED)
      return set_void (error);
    if (status.state == KLING_DOWNLOAD_DONE)
      final_path = kling_download_progress_dup_final_path (reader->progress);
    fd = g_open (final_path ? final_path :
        kling_download_progress_get_part_path (reader->progress),
        O_RDONLY | O_CLOEXEC, 0);
    if (fd >= 0) {
      reader->fd = fd;
      reader->restarts = status.restarts;
      return TRUE;
    }
    saved = errno;
    if (saved != ENOENT || attempt >= REOPEN_ATTEMPTS) {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
          "cannot open the clip being downloaded (%s): %s",
          kling_download_progress_get_part_path (reader->progress),
          g_strerror (saved));
      return FALSE;
    }
    kling_download_progress_wait (reader->progress, status.written,
        status.restarts, REOPEN_WAIT_US, cancellable, NULL);
    if (g_cancellable_set_error_if_cancelled (cancellable, error))
      return FALSE;
  }
}

/* A restart made generation @restarts void: the next read opens the new file. */
static void
forget_generation (DownloadReader * reader, guint restarts)
{
  g_mutex_lock (&reader->lock);
  if (reader->fd >= 0 && reader->restarts == restarts) {
    g_close (reader->fd, NULL);
    reader->fd = -1;
  }
  g_mutex_unlock (&reader->lock);
}

/* Waits until @offset is written (or the download ended or started over), then reads what
 * there is, up to @size bytes, from @fd (generation @restarts). */
static gssize
read_when_written (DownloadReader * reader, gint fd, guint restarts,
    guint64 offset, guint8 * buffer, gsize size, GCancellable * cancellable,
    GError ** error)
{
  KlingDownloadStatus status;
  gssize n;

  kling_download_progress_wait (reader->progress, offset, restarts, -1,
      cancellable, &status);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return -1;
  if (status.restarts != restarts) {
    forget_generation (reader, restarts);
    g_set_error (error, GST_KLING_CLIP_ERROR, GST_KLING_CLIP_ERROR_RESTARTED,
        "the download of the clip started over from byte 0 (restart %u)",
        status.restarts);
    return -1;
  }
  if (status.state == KLING_DOWNLOAD_FAILED) {
    set_void (error);
    return -1;
  }
  if (offset >= status.written)
    return 0;                   /* DONE, and @offset is the end */

  size = MIN (size, status.written - offset);
  do
    n = pread (fd, buffer, size, (off_t) offset);
  while (n < 0 && errno == EINTR);
  if (n <= 0) {
    /* The status says these bytes are written: a short file is an error, not the end. */
    g_set_error (error, G_IO_ERROR, n < 0 ? g_io_error_from_errno (errno) :
        G_IO_ERROR_PARTIAL_INPUT, "reading the clip being downloaded at %"
        G_GUINT64_FORMAT ": %s", offset, n < 0 ? g_strerror (errno) :
        "the file is shorter than its download says");
    return -1;
  }
  return n;
}

static gssize
download_reader_read (gpointer data, guint64 offset, guint8 * buffer,
    gsize size, GCancellable * cancellable, GError ** error)
{
  DownloadReader *reader = data;
  guint restarts;
  gssize n;
  gint fd;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return -1;
  g_mutex_lock (&reader->lock);
  if (reader->fd < 0 && !open_current (reader, cancellable, error)) {
    g_mutex_unlock (&reader->lock);
    return -1;
  }
  /* A descriptor of our own: a restart seen by another read may close the reader's. */
  fd = dup (reader->fd);
  restarts = reader->restarts;
  g_mutex_unlock (&reader->lock);
  if (fd < 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
        "reading the clip being downloaded: %s", g_strerror (errno));
    return -1;
  }

  n = read_when_written (reader, fd, restarts, offset, buffer, size,
      cancellable, error);
  g_close (fd, NULL);
  return n;
}

static gint64
download_reader_get_size (gpointer data)
{
  DownloadReader *reader = data;
  KlingDownloadStatus status;

  kling_download_progress_get_status (reader->progress, &status);
  return status.state == KLING_DOWNLOAD_FAILED ? -1 : status.total;
}

static gboolean
download_reader_wait_whole (gpointer data, gboolean block,
    GCancellable * cancellable, GError ** error)
{
  DownloadReader *reader = data;
  KlingDownloadStatus status;

  kling_download_progress_get_status (reader->progress, &status);
  /* Bytes and restarts are news too: wait on until the state changes. */
  while (block && status.state == KLING_DOWNLOAD_RUNNING
      && !g_cancellable_is_cancelled (cancellable))
    kling_download_progress_wait (reader->progress, status.written,
        status.restarts, -1, cancellable, &status);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (status.state == KLING_DOWNLOAD_FAILED)
    return set_void (error);
  return status.state == KLING_DOWNLOAD_DONE;
}

static void
download_reader_free (gpointer data)
{
  DownloadReader *reader = data;

  if (reader->fd >= 0)
    g_close (reader->fd, NULL);
  kling_download_progress_unref (reader->progress);
  if (reader->owner_free)
    reader->owner_free (reader->owner);
  g_mutex_clear (&reader->lock);
  g_free (reader);
}

static const GstKlingClipReaderFuncs download_reader_funcs = {
  .read = download_reader_read,
  .get_size = download_reader_get_size,
  .free = download_reader_free,
  .wait_whole = download_reader_wait_whole,
};

GstKlingClip *
gst_kling_clip_new_for_download (KlingDownloadProgress * progress,
    const gchar * name, GstTagList * tags, GstClockTime duration_hint,
    gpointer owner, GDestroyNotify owner_free)
{
  DownloadReader *reader;

  g_return_val_if_fail (progress != NULL, NULL);

  reader = g_new0 (DownloadReader, 1);
  reader->progress = kling_download_progress_ref (progress);
  reader->owner = owner;
  reader->owner_free = owner_free;
  reader->fd = -1;
  g_mutex_init (&reader->lock);
  return gst_kling_clip_new (name ? name :
      kling_download_progress_get_part_path (progress), &download_reader_funcs,
      reader, tags, duration_hint);
}
