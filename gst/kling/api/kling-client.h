/* gst-kling: the Kling REST client.
 *
 * A KlingClient owns one worker thread running its own GMainContext and SoupSession: every
 * HTTP request, poll timer and download happens there, never on the caller's thread. One
 * client exists per (base URL, credentials) in a process and is shared by every element, so
 * they share one token, one retry/rate policy and one cap on tasks in flight.
 *
 * A KlingJob is one paid render followed to its end: look in the cache, resume a task in
 * flight from the journal, or create the task (with an external_task_id written to the
 * journal first), poll it, download the MP4 into the cache and verify it. Callbacks run on
 * the worker thread and must not block.
 */
#pragma once

#include <gio/gio.h>
#include "kling-auth.h"
#include "kling-error.h"
#include "kling-task.h"

G_BEGIN_DECLS

typedef struct _KlingClient KlingClient;
typedef struct _KlingJob KlingJob;

/* The credentials an element was given, with the environment as fallback for what is unset
 * (KLING_ACCESS_KEY, KLING_SECRET_KEY, KLING_API_KEY). An api_key wins over an access/secret
 * pair. Fails with KLING_ERROR_AUTH when nothing usable is set anywhere. */
KlingAuth   *kling_auth_new_from_settings  (const gchar *access_key, const gchar *secret_key,
                                            const gchar *api_key, KlingAuthHeader header,
                                            GError **error);

/* The client for @base_url (NULL: KLING_API_URL, else the Singapore host) and @auth (taken
 * over). Returns a new reference to the shared instance. */
KlingClient *kling_client_acquire          (const gchar *base_url, KlingAuth *auth,
                                            GError **error);
KlingClient *kling_client_ref              (KlingClient *client);
/* The last unref stops the worker thread (cancelling what runs) and joins it. */
void         kling_client_unref            (KlingClient *client);
const gchar *kling_client_get_base_url     (KlingClient *client);

typedef struct {
  guint   max_attempts;      /* per HTTP call, first try included; default 6 */
  guint   base_delay_ms;     /* first backoff; default 1000 */
  guint   max_delay_ms;      /* cap of one backoff; default 30000 */
  guint   deadline_s;        /* total time one call may spend retrying; default 300 */
  guint   max_parallel_tasks; /* tasks in flight per client; 0 = no cap; default 0 */
} KlingRetryPolicy;

void         kling_client_get_policy       (KlingClient *client, KlingRetryPolicy *policy);
void         kling_client_set_policy       (KlingClient *client, const KlingRetryPolicy *policy);

/* A request ready to send: the body, plus a summary of it without bulky or private data
 * (no image or audio bytes, never a key) for the cache sidecar and for logs. */
typedef struct {
  KlingEndpoint endpoint;
  JsonNode *body;            /* object; the job adds external_task_id itself */
  JsonNode *summary;         /* object */
} KlingRequest;

KlingRequest *kling_request_new            (KlingEndpoint endpoint, JsonNode *body,
                                            JsonNode *summary);  /* takes both */
KlingRequest *kling_request_copy           (const KlingRequest *request);
void          kling_request_free           (KlingRequest *request);
/* Hex SHA-256 of the endpoint and the canonical body (members sorted), without
 * external_task_id and callback_url: equal inputs and settings give equal keys. */
gchar        *kling_request_cache_key      (const KlingRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KlingRequest, kling_request_free)

/* The key a job of @client files @request under in the cache and the journal: the request's
 * key above combined with the client's base URL, so a clip rendered by one server (the
 * sandbox, say) is never handed out for a request to another. */
gchar        *kling_client_cache_key       (KlingClient *client, const KlingRequest *request);

typedef struct {
  /* The task exists (created now, or found in the journal / by external id). */
  void (*submitted)  (KlingJob *job, const KlingTask *task, gpointer user_data);
  /* After each poll, and when the status changes; elapsed since the job started. */
  void (*progress)   (KlingJob *job, const KlingTask *task, gdouble elapsed_s,
                      gpointer user_data);
  /* Exactly once per job, also after kling_job_cancel(). On success @mp4_path is the
   * verified file in the cache (or in the job's own temporary directory when there is no
   * cache: that file and directory are removed when the job is freed, so keep a reference
   * to the job while the file is read) and
   * @task the final task (from the cache sidecar when nothing was requested); on failure
   * @error is a KLING_ERROR and @task the last known task or NULL. */
  void (*finished)   (KlingJob *job, const gchar *mp4_path, const KlingTask *task,
                      const GError *error, gpointer user_data);
} KlingJobCallbacks;

typedef struct {
  gdouble poll_interval_s;   /* default 5 */
  gdouble timeout_s;         /* whole job; 0 = none; default 1800 */
  const gchar *cache_dir;    /* NULL: no cache, no journal (a temporary directory is used) */
} KlingJobOptions;

/* Notes on the job's life:
 * - @notify (kling_client_start_job) runs when the job is freed, on whichever thread drops
 *   the last reference (often the worker, which holds references while requests run).
 * - The last kling_client_unref() finishes every unfinished job with KLING_ERROR_CANCELLED
 *   before it returns (or, when called on the worker itself, soon after).
 * - Errors that leave a task alive (timeout, cancel, network/server failures while
 *   polling or downloading) keep its journal entry: a new job for the same request resumes
 *   that task instead of paying for another. A failed task, a refused create and a
 *   finished download remove it. */

/* Starts following @request (copied). Returns at once; callbacks run on the worker. */
KlingJob    *kling_client_start_job        (KlingClient *client, const KlingRequest *request,
                                            const KlingJobOptions *options,
                                            const KlingJobCallbacks *callbacks,
                                            gpointer user_data, GDestroyNotify notify);
/* Stops the job as soon as possible: finished() follows with KLING_ERROR_CANCELLED unless
 * it already ran. A task already created is not lost: its journal entry stays, and the
 * next job for the same request resumes it instead of paying again. */
void         kling_job_cancel              (KlingJob *job);
KlingJob    *kling_job_ref                 (KlingJob *job);
void         kling_job_unref               (KlingJob *job);

/* One-shot call that is not a task (identify-face): the answer's "data" node, on the
 * worker; @callback gets either data or error. */
typedef void (*KlingCallCallback) (JsonNode *data, const GError *error, gpointer user_data);
void         kling_client_call             (KlingClient *client, KlingEndpoint endpoint,
                                            JsonNode *body, GCancellable *cancellable,
                                            KlingCallCallback callback, gpointer user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KlingClient, kling_client_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KlingJob, kling_job_unref)

G_END_DECLS
