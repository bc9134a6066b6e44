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
} JobOutcome;

void     job_outcome_init  (JobOutcome *o);
void     job_outcome_clear (JobOutcome *o);
/* TRUE once finished() ran, FALSE after @seconds. */
gboolean job_outcome_wait  (JobOutcome *o, gdouble seconds);
/* TRUE once submitted() ran, FALSE after @seconds. */
gboolean job_outcome_wait_submitted (JobOutcome *o, gdouble seconds);
/* submitted / progress / finished, recording into the JobOutcome given as user data. */
extern const KlingJobCallbacks job_outcome_callbacks;
/* The GDestroyNotify to pass with a JobOutcome. */
void     job_outcome_notify (gpointer data);
/* TRUE once the job was freed (its notify ran): only then may the JobOutcome go. */
gboolean job_outcome_wait_notified (JobOutcome *o, gdouble seconds);

G_END_DECLS
