/* gst-kling: what the client's modules share (kling-client.c, kling-call.c, kling-job.c,
 * kling-download.c); not part of the public API.
 *
 * Threading rules (they keep the code free of data races without locking every field):
 * - Everything named "worker-only" is touched on the client's worker thread alone:
 *   sessions, messages, sources, job state. Public functions called from other threads
 *   hand work to the worker by attaching an idle source to its context.
 * - client->lock guards the policy and the list of unfinished jobs.
 */
#pragma once

#include <libsoup/soup.h>
#include "kling-client.h"
#include "kling-network.h"

G_BEGIN_DECLS

struct _KlingClient {
  gint ref_count;              /* the last unref is decided under the table's lock */
  gchar *table_key;
  gchar *base_url;
  gchar *account;              /* base URL + credential fingerprint: whose slots */
  KlingAuth *auth;
  KlingNetwork net;             /* immutable after client_new() */

  GMutex lock;
  KlingRetryPolicy policy;     /* lock */
  GList *jobs;                 /* lock: unfinished jobs, one reference each */

  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  GMutex ready_lock;
  GCond ready_cond;
  gboolean ready;

  /* worker-only */
  SoupSession *session;
  guint pending_ops;           /* calls and downloads whose completion has not run yet */
  GHashTable *leaders;         /* "cache_dir\nkey" -> the job rendering that clip (no ref) */
  GList *oneshot_cancellables; /* of kling_client_call()s in progress */
  struct _KlingPoller *poller; /* the per-model API's batched polls; made on first use */
  gboolean shutting_down;
  gboolean free_on_worker;     /* the last unref ran on the worker itself */
};

/* Runs @func on the worker at its next iteration (never synchronously, even when called
 * on the worker, so a caller never sees a callback before the call returns). */
void      kling_client_run_on_worker (GMainContext *context, GSourceFunc func, gpointer data,
                                      GDestroyNotify notify);

/* The policy's answer for a failed operation: FALSE when @attempts_made (first try
 * included) or the deadline measured from @started_us (0: none) leave no room; otherwise
 * the delay before the next attempt. */
gboolean  kling_client_next_retry_delay (KlingClient *client, guint attempts_made,
                                         gint64 started_us, const GError *error,
                                         guint *delay_ms);

/* KLING_ERROR_CANCELLED. */
GError   *kling_cancelled_error      (void);

/* A timer that also fires at once when @cancellable is cancelled. */
GSource  *kling_wait_source_new      (guint delay_ms, GCancellable *cancellable);

gdouble   kling_elapsed_s_since      (gint64 start_us);

/* A KLING_ERROR for a failed transfer: KLING_ERROR_TLS naming the certificate checks that
 * failed (never retried), else KLING_ERROR_NETWORK with @what and the I/O error. */
GError   *kling_error_from_transfer  (SoupMessage *msg, const GError *io_error,
                                      const gchar *what);
/* The reason a failure with @error makes a call or a download wait. */
KlingWaitReason kling_wait_reason_for_error (const GError *error);
/* TRUE when @io_error proves the request never left (refused, no route, no such host):
 * sending it again cannot pay twice. */
gboolean  kling_transfer_never_sent  (const GError *io_error);

/* An I/O inactivity timer: it cancels @cancellable when kling_watchdog_kick() has not been
 * called for @timeout_ms. Worker-only. */
typedef struct {
  GSource *source;
  GCancellable *cancellable;
  gint64 timeout_us;
  gboolean fired;
} KlingWatchdog;

void      kling_watchdog_start       (KlingWatchdog *dog, GMainContext *context,
                                      guint timeout_ms, GCancellable *cancellable);
void      kling_watchdog_kick        (KlingWatchdog *dog);
void      kling_watchdog_stop        (KlingWatchdog *dog);

/* The policy with every 0 of @options (may be NULL) replaced by the client's setting. */
void      kling_client_get_effective_policy (KlingClient *client,
                                             const KlingJobOptions *options,
                                             KlingRetryPolicy *policy);

/* The client's batched poller (kling-poller.h), made on first use. Worker-only. */
struct _KlingPoller *kling_client_get_poller (KlingClient *client);

/* kling-job.c: ends @job with KLING_ERROR_CANCELLED, on the worker (client shutdown). */
void      kling_job_finish_cancelled (KlingJob *job);

G_END_DECLS
