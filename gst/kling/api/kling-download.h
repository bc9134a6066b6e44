/* gst-kling: the download of a clip into the cache's tmp/ (private to the client layer).
 *
 * A KlingDownload streams one result URL into a part file, as many attempts as the policy
 * allows: a cut is resumed with a Range request from the byte reached, a 404/408/429/5xx
 * is retried, an endless or oversized body is refused, an attempt that stalls (no byte
 * for io_timeout_ms) or crawls (below min_download_rate over rate_window_ms) is given up
 * and retried. The file is verified (kling-mp4.h) before it is reported whole; only then
 * may the job rename it into the cache. No credential is ever sent with it: result URLs
 * are signed by themselves and may live on another host. Worker-only, like the job that
 * owns it; the KlingDownloadProgress it publishes is readable from any thread.
 */
#pragma once

#include "kling-client-private.h"

G_BEGIN_DECLS

typedef struct _KlingDownload KlingDownload;

typedef enum {
  KLING_DOWNLOAD_VERIFIED,   /* the part file is a whole MP4 of a plausible size */
  KLING_DOWNLOAD_EXPIRED,    /* the URL answered 403: give kling_download_fetch() a fresh one */
  KLING_DOWNLOAD_GAVE_UP,    /* @error says why */
} KlingDownloadOutcome;

typedef struct {
  /* Once, when the first bytes are about to arrive. */
  void (*started) (KlingDownload *download, KlingDownloadProgress *progress,
                   gpointer user_data);
  /* Before each wait for another attempt. */
  void (*waiting) (KlingWaitReason reason, guint delay_ms, guint attempt,
                   const GError *cause, gpointer user_data);
  /* After kling_download_fetch(), once: the outcome of that URL. */
  void (*done)    (KlingDownload *download, KlingDownloadOutcome outcome,
                   const GError *error, gpointer user_data);
} KlingDownloadCallbacks;

typedef struct {
  const gchar *tmp_dir;      /* the part file is <tmp_dir>/<key>.<n>.part */
  const gchar *key;
  gdouble duration_s;        /* what the clip should last (0: unknown) ... */
  guint height;              /* ... and its lines (0: unknown): they bound its size */
  GCancellable *cancellable; /* the job's */
  const KlingRetryPolicy *policy;
} KlingDownloadSpec;

KlingDownload *kling_download_new        (KlingClient *client, const KlingDownloadSpec *spec,
                                          const KlingDownloadCallbacks *callbacks,
                                          gpointer user_data);
/* Starts fetching @url, or resumes from the byte reached with a fresh URL. */
void           kling_download_fetch      (KlingDownload *download, const gchar *url);
const gchar   *kling_download_get_part_path (KlingDownload *download);
/* The caller moved the verified part file to @final_path: readers are told. */
void           kling_download_finished   (KlingDownload *download, const gchar *final_path);
/* Stops what runs; no callback follows. Unless kling_download_finished() was called, the
 * part file is removed and readers are told the download failed. */
void           kling_download_free       (KlingDownload *download);

G_END_DECLS
