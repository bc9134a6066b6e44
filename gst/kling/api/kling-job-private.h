/* gst-kling: the job's state, shared by kling-job.c and kling-download.c (private).
 *
 * job->lock guards job->client, which is cleared once the job has finished (after that,
 * cancelling it is a no-op and the client may go away); everything else is worker-only.
 * A job holds no reference on its client: the last kling_client_unref() finishes every
 * job with KLING_ERROR_CANCELLED, drains the pending operations and joins the thread.
 */
#pragma once

#include "kling-client-private.h"

G_BEGIN_DECLS

struct _KlingJob {
  gint ref_count;
  GMutex lock;
  KlingClient *client;         /* lock; NULL once finished: what kling_job_cancel() uses */
  KlingClient *worker_client;  /* worker-only; valid while the job or one of its operations
                                  is pending (the client drains them before it is freed) */

  KlingRequest *request;
  gchar *key;
  gchar *cache_dir;            /* the cache, or the job's own temporary directory */
  gboolean own_dir;            /* no cache: cache_dir is ours and removed with the job */
  gdouble poll_interval_s;
  gdouble timeout_s;
  KlingJobCallbacks callbacks;
  gpointer user_data;
  GDestroyNotify notify;
  gchar *result_path;          /* own_dir only: the clip handed to finished() */

  /* worker-only */
  GCancellable *cancellable;
  gint64 started_us;
  gboolean finished;
  gboolean holds_slot;
  gchar *leader_key;           /* NULL without a cache: such jobs share nothing */
  gboolean is_leader;          /* this job renders the clip its twins wait for */
  KlingJob *leader;            /* a twin: the job it waits for (no ref) */
  GQueue twins;                /* leader: jobs for the same clip waiting for it (refs) */
  gchar *external_task_id;
  KlingTask *task;
  GSource *poll_source;
  GSource *deadline_source;
  GSource *wait_source;
  guint create_attempts;
  gint64 create_started_us;    /* the first create call: its retries' deadline counts here */
  gboolean unconfirmed_resume; /* following a journal's task id no answer confirmed yet */
  gboolean id_conflict_seen;   /* Kling said our external id was taken: looked it up once */
  guint download_attempts;
  guint url_refreshes;
  GError *start_error;         /* set when the job cannot even start */
  /* the download in progress */
  SoupMessage *download_msg;
  gchar *part_path;
};

KlingClient *kling_job_get_client   (KlingJob *job);
/* Ends the job: exactly once, on the worker. */
void         kling_job_finish       (KlingJob *job, const gchar *mp4_path, const GError *error);
/* Ends the job with @error (a copy gets the task id when it has none). */
void         kling_job_fail         (KlingJob *job, const GError *error);
/* The same, taking @error. */
void         kling_job_fail_new     (KlingJob *job, GError *error);
/* Queries the task now (a fresh result URL, say). */
void         kling_job_poll_now     (KlingJob *job);
/* Runs @func on the worker after @delay_ms unless the job finishes first. */
void         kling_job_wait_then    (KlingJob *job, guint delay_ms, GSourceFunc func);
void         kling_destroy_source   (GSource **source);

/* kling-download.c: downloads the finished task's clip into the cache, verifies it and
 * ends the job. */
void         kling_job_download     (KlingJob *job);
/* Removes the partial file of the download in progress, if any. */
void         kling_job_download_discard (KlingJob *job);

G_END_DECLS
