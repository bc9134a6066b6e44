/* gst-kling: KlingDownloadProgress, the thread-safe view of a download in progress (see
 * kling-client.h). The download (on the client's worker) writes it; readers on any thread
 * wait on it. Its lock guards every field but the constant part path. */
#include "kling-download-progress.h"

struct _KlingDownloadProgress
{
  gint ref_count;
  GMutex lock;
  GCond cond;
  gchar *part_path;
  gchar *final_path;            /* lock */
  KlingDownloadStatus status;   /* lock */
};

KlingDownloadProgress *
kling_download_progress_new (const gchar * part_path)
{
  KlingDownloadProgress *progress = g_new0 (KlingDownloadProgress, 1);

  progress->ref_count = 1;
  g_mutex_init (&progress->lock);
  g_cond_init (&progress->cond);
  progress->part_path = g_strdup (part_path);
  progress->status.state = KLING_DOWNLOAD_RUNNING;
  progress->status.total = -1;
  return progress;
}

KlingDownloadProgress *
kling_download_progress_ref (KlingDownloadProgress * progress)
{
  g_return_val_if_fail (progress != NULL, NULL);
  g_atomic_int_inc (&progress->ref_count);
  return progress;
}

void
kling_download_progress_unref (KlingDownloadProgress * progress)
{
  g_return_if_fail (progress != NULL);
  if (!g_atomic_int_dec_and_test (&progress->ref_count))
    return;
  g_mutex_clear (&progress->lock);
  g_cond_clear (&progress->cond);
  g_free (progress->part_path);
  g_free (progress->final_path);
  g_free (progress);
}

const gchar *
kling_download_progress_get_part_path (KlingDownloadProgress * progress)
{
  return progress->part_path;
}

void
kling_download_progress_get_status (KlingDownloadProgress * progress,
    KlingDownloadStatus * status)
{
  g_mutex_lock (&progress->lock);
  *status = progress->status;
  g_mutex_unlock (&progress->lock);
}

gchar *
kling_download_progress_dup_final_path (KlingDownloadProgress * progress)
{
  gchar *path;

  g_mutex_lock (&progress->lock);
  path = g_strdup (progress->final_path);
  g_mutex_unlock (&progress->lock);
  return path;
}

static void
wake_waiters (GCancellable * cancellable, gpointer data)
{
  KlingDownloadProgress *progress = data;

  g_mutex_lock (&progress->lock);
  g_cond_broadcast (&progress->cond);
  g_mutex_unlock (&progress->lock);
}

static gboolean
has_news (const KlingDownloadStatus * status, guint64 offset, guint restarts)
{
  return status->written > offset || status->state != KLING_DOWNLOAD_RUNNING ||
      status->restarts != restarts;
}

gboolean
kling_download_progress_wait (KlingDownloadProgress * progress, guint64 offset,
    guint restarts, gint64 timeout_us, GCancellable * cancellable,
    KlingDownloadStatus * status)
{
  gint64 until =
      timeout_us < 0 ? G_MAXINT64 : g_get_monotonic_time () + timeout_us;
  gulong handler = 0;
  gboolean news;

  /* Connected before the lock is taken: the handler runs at once if already cancelled. */
  if (cancellable)
    handler =
        g_cancellable_connect (cancellable, G_CALLBACK (wake_waiters), progress,
        NULL);
  g_mutex_lock (&progress->lock);
  while (!(news = has_news (&progress->status, offset, restarts)) &&
      !g_cancellable_is_cancelled (cancellable)) {
    if (until == G_MAXINT64)
      g_cond_wait (&progress->cond, &progress->lock);
    else if (!g_cond_wait_until (&progress->cond, &progress->lock, until))
      break;
  }
  news = has_news (&progress->status, offset, restarts);
  if (status)
    *status = progress->status;
  g_mutex_unlock (&progress->lock);
  if (handler)
    g_cancellable_disconnect (cancellable, handler);
  return news;
}

void
kling_download_progress_update (KlingDownloadProgress * progress,
    guint64 written, gint64 total, gboolean restarted)
{
  g_mutex_lock (&progress->lock);
  progress->status.written = written;
  progress->status.total = total;
  if (restarted)
    progress->status.restarts++;
  g_cond_broadcast (&progress->cond);
  g_mutex_unlock (&progress->lock);
}

void
kling_download_progress_end (KlingDownloadProgress * progress,
    const gchar * final_path)
{
  g_mutex_lock (&progress->lock);
  if (progress->status.state == KLING_DOWNLOAD_RUNNING) {
    progress->status.state =
        final_path ? KLING_DOWNLOAD_DONE : KLING_DOWNLOAD_FAILED;
    progress->final_path = g_strdup (final_path);
  }
  g_cond_broadcast (&progress->cond);
  g_mutex_unlock (&progress->lock);
}
