/* Test helpers for the client suites: what a KlingJob reports, for a test thread to wait
 * on (and, through test-fs.h, removing a test's temporary directory). */
#pragma once

#include "kling-client.h"
#include "test-fs.h"

G_BEGIN_DECLS

typedef struct {
  GMutex lock;
  GCond cond;
  gboolean done;
  guint finished_calls;
  guint submitted_calls;
  guint progress_calls;
  gboolean notified;           /* the job's GDestroyNotify ran */
  GThread *callback_thread;    /* where finished() ran */
  gboolean callbacks_off_worker; /* some callback ran on another thread than finished() */
  gchar *mp4_path;
  GError *error;
  KlingTask *task;
  gchar *submitted_task_id;
  guint waiting_calls;
  KlingWaitReason last_wait_reason;
  guint last_wait_delay_ms;
  guint wait_reasons;          /* 1 << reason, for each reason seen */
  guint download_started_calls;
  KlingDownloadProgress *progress;
  gboolean cache_hit;          /* kling_job_is_cache_hit() in finished() */
  JsonNode *data;              /* a one-shot call's answer, when a test keeps it */
} JobOutcome;

void     job_outcome_init  (JobOutcome *o);
void     job_outcome_clear (JobOutcome *o);
/* TRUE once finished() ran, FALSE after @seconds. */
gboolean job_outcome_wait  (JobOutcome *o, gdouble seconds);
/* TRUE once submitted() ran, FALSE after @seconds. */
gboolean job_outcome_wait_submitted (JobOutcome *o, gdouble seconds);
/* TRUE once download_started() ran (o->progress is set), FALSE after @seconds. */
gboolean job_outcome_wait_download (JobOutcome *o, gdouble seconds);
/* TRUE once waiting() ran (a backoff began), FALSE after @seconds. */
gboolean job_outcome_wait_waiting (JobOutcome *o, gdouble seconds);
/* submitted / progress / finished / waiting / download_started, recording into the
 * JobOutcome given as user data. */
extern const KlingJobCallbacks job_outcome_callbacks;
/* The GDestroyNotify to pass with a JobOutcome. */
void     job_outcome_notify (gpointer data);
/* TRUE once the job was freed (its notify ran): only then may the JobOutcome go. */
gboolean job_outcome_wait_notified (JobOutcome *o, gdouble seconds);

/* An image2video request for examples/media/still.jpg (std, 5 s) with @prompt. */
KlingRequest *test_still_request (const gchar *prompt, GError **error);
/* A client for @url with @auth (taken) and a policy for tests: 3 attempts, backoffs of
 * 10-20 ms, @io_timeout_ms, no minimum download rate. */
KlingClient  *test_fast_client   (const gchar *url, KlingAuth *auth, guint io_timeout_ms);

G_END_DECLS
