/* gst-kling: the job's state, shared by kling-job.c (its life: cache, twins, claim,
 * followers, slots, finish) and kling-job-task.c (its task: journal, create, recovery
 * after a lost answer, polling, the download). Private to the client layer.
 *
 * job->lock guards job->client, which is cleared once the job has finished (after that,
 * cancelling it is a no-op and the client may go away); cache_hit is atomic; everything
 * else is worker-only. A job holds no reference on its client: the last
 * kling_client_unref() finishes every job with KLING_ERROR_CANCELLED, drains the pending
 * operations and joins the thread.
 */
#pragma once

#include "kling-client-private.h"
#include "kling-call.h"
#include "kling-cache.h"
#include "kling-download.h"
#include "kling-slots.h"

G_BEGIN_DECLS

typedef void (*KlingJobStep) (KlingJob *job);

struct _KlingJob {
  gint ref_count;
  GMutex lock;
  KlingClient *client;         /* lock; NULL once finished: what kling_job_cancel() uses */
  KlingClient *worker_client;  /* worker-only; valid while the job or one of its operations
                                  is pending (the client drains them before it is freed) */

  KlingRequest *request;
  gchar *key;
  gchar *log_prefix;           /* "<label>: ", or "" without a label */
  gchar *cache_dir;            /* the cache, or the job's own temporary directory */
  gboolean own_dir;            /* no cache: cache_dir is ours and removed with the job */
  gdouble poll_interval_s;
  gdouble timeout_s;
  gboolean refresh;
  guint max_parallel;
  KlingRetryPolicy policy;     /* the client's, with the job's own timeouts */
  KlingJobCallbacks callbacks;
  gpointer user_data;
  GDestroyNotify notify;
  gchar *result_path;          /* own_dir only: the clip handed to finished() */
  gint cache_hit;              /* atomic */

  /* worker-only */
  GCancellable *cancellable;
  gint64 started_us;
  gint64 deadline_us;          /* monotonic; G_MAXINT64 without a timeout */
  gboolean finished;
  guint64 stale_clip_id;       /* refresh: the cached clip this job replaces */
  KlingTask *damaged;          /* the sidecar's task of a damaged cached clip */
  /* sharing the clip with others */
  gchar *leader_key;           /* NULL without a cache: such jobs share nothing */
  gboolean is_leader;          /* this job renders the clip its twins wait for */
  KlingJob *leader;            /* a twin: the job it waits for (no ref) */
  GQueue twins;                /* leader: jobs for the same clip waiting for it (refs) */
  KlingClaim *claim;           /* this process renders the clip */
  gboolean following;          /* another process holds the claim: wait for its clip */
  gchar *followed_task_id;
  KlingSlot *slot;
  /* the task */
  gchar *external_task_id;
  gint64 create_sent_ms;       /* wall clock before the first create call, from the journal */
  KlingTask *task;
  GSource *deadline_source;
  GSource *timer;              /* the next step after a delay (a poll, a retry, a look) */
  KlingJobStep timer_step;
  guint create_attempts;
  gint64 create_started_us;    /* the first create call: its retries' deadline counts here */
  gboolean unconfirmed_resume; /* following a journal's task id no answer confirmed yet */
  gboolean id_conflict_seen;   /* Kling said our external id was taken: looked it up once */
  guint poll_glitches;         /* unreadable poll answers in a row */
  struct _KlingPollEntry *poll_entry; /* per-model API: the task in the client's poller */
  gboolean unknown_status_seen;
  guint list_queries;          /* list queries after a lost lip-sync create */
  guint url_refreshes;
  KlingDownload *download;
  GError *start_error;         /* set when the job cannot even start */
};

KlingClient *kling_job_get_client   (KlingJob *job);
/* A log line of the job (domain kling-api), after its label. */
void         kling_job_log          (KlingJob *job, GLogLevelFlags level,
                                     const gchar *format, ...) G_GNUC_PRINTF (3, 4);
#define kling_job_debug(job, ...)   kling_job_log ((job), G_LOG_LEVEL_DEBUG, __VA_ARGS__)
#define kling_job_info(job, ...)    kling_job_log ((job), G_LOG_LEVEL_INFO, __VA_ARGS__)
#define kling_job_message(job, ...) kling_job_log ((job), G_LOG_LEVEL_MESSAGE, __VA_ARGS__)
/* Ends the job: exactly once, on the worker. */
void         kling_job_finish       (KlingJob *job, const gchar *mp4_path, const GError *error);
/* Ends the job with @error (a copy gets the task id when it has none). */
void         kling_job_fail         (KlingJob *job, const GError *error);
/* The same, taking @error. */
void         kling_job_fail_new     (KlingJob *job, GError *error);
/* Runs @step on the worker after @delay_ms unless the job finishes first; replaces the
 * step scheduled before, if any. */
void         kling_job_wait_then    (KlingJob *job, guint delay_ms, KlingJobStep step);
void         kling_destroy_source   (GSource **source);
/* Tells the caller the job waits (KlingJobCallbacks.waiting); @data is the job. */
void         kling_job_report_waiting (KlingWaitReason reason, guint delay_ms, guint attempt,
                                       const GError *cause, gpointer data);
/* The task ended (either way): its Kling slot, and so the local one, is free again. */
void         kling_job_release_slot (KlingJob *job);

/* kling-job-task.c: with the claim and a slot, resume the journal's task or create one. */
void         kling_job_create       (KlingJob *job);
/* The task exists (created, found, resumed): record it, tell the caller, poll it. */
void         kling_job_task_known   (KlingJob *job, KlingTask *task, gboolean just_created);
/* A call for the job (its cancellable, deadline, timeouts and waiting() callback), which
 * holds a reference on it until @done has run (@done unrefs it). */
void         kling_job_call         (KlingJob *job, const gchar *method, const gchar *path,
                                     JsonNode *body, gboolean retry_ambiguous,
                                     gboolean retry_not_found, KlingCallDone done);
/* "<create path>/<id>" */
gchar       *kling_job_task_path    (KlingJob *job, const gchar *id);
/* Kling's own "no such task" (not a foreign page's 404). */
gboolean     kling_job_is_not_found (const GError *error);

/* The task object of a create's or a one-task query's answer, in @job's API generation
 * (a per-model query's array gives its first entry). */
KlingTask   *kling_job_parse_task   (KlingJob *job, JsonNode *data, const gchar *request_id,
                                     GError **error);
/* A poll brought @task (taken): record it, report progress, then download, fail or poll
 * again as its status says. */
void         kling_job_task_polled  (KlingJob *job, KlingTask *task);
/* One poll answer that did not give the task: poll again after a backoff while the
 * policy allows, else fail with @error. */
void         kling_job_poll_glitch  (KlingJob *job, const GError *error);
/* The journal's task id is unknown to the server: forget it and submit anew. */
void         kling_job_forget_stale_entry (KlingJob *job);

/* kling-job-v2.c: polling on the per-model API, through the client's batched poller. A
 * poll within @delay_ms (or with an earlier batch); with @hold, not before it. */
void         kling_job_poll_batched (KlingJob *job, guint delay_ms, gboolean hold);
/* Leaves the poller (the job finished, or its task changed). */
void         kling_job_stop_polling (KlingJob *job);

/* kling-job-recover.c: the create may or may not have reached Kling: find the task
 * before paying twice (it creates only when Kling provably does not have it). */
void         kling_job_find_lost_task (KlingJob *job);
void         kling_job_query_by_external_id (KlingJob *job);
/* Fails with KLING_ERROR_UNCONFIRMED; the journal entry stays. */
void         kling_job_fail_unconfirmed (KlingJob *job, const gchar *why);
void         kling_job_submit       (KlingJob *job);
/* A follower: queries @task_id (the task another process renders for this clip) once, for
 * the caller's progress, then calls kling_job_follow_later(). */
void         kling_job_poll_followed (KlingJob *job, const gchar *task_id);
/* kling-job.c: a follower looks again (cache, claim, journal) after a poll interval. */
void         kling_job_follow_later (KlingJob *job);

G_END_DECLS
