/* gst-kling: the Kling REST client.
 *
 * A KlingClient owns one worker thread running its own GMainContext and SoupSession: every
 * HTTP request, poll timer and download happens there, never on the caller's thread. One
 * client exists per (base URL, credentials) in a process and is shared by every element, so
 * they share one token and one retry/rate policy; the cap on renders in flight is shared
 * per account by every client of the process.
 *
 * A KlingJob is one paid render followed to its end: look in the cache, claim the clip
 * (one process of all that share a cache directory pays for it; the others follow), resume
 * a task in flight from the journal, or create the task (with an external_task_id written
 * to the journal first), poll it, download the MP4 into the cache and verify it.
 *
 * Callbacks run on the client's worker thread, which every element of the process shares:
 * they must not block and must not call application code (no signal emission, no bus sync
 * handler, no property notification). Copy what you need and hand it to your own thread
 * (the elements use gst_element_call_async()).
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

/* The client for @base_url (NULL: KLING_API_URL, else the Singapore host; a trailing /v1
 * is dropped, the paths carry it) and @auth (taken over). Returns a new reference to the
 * shared instance. */
KlingClient *kling_client_acquire          (const gchar *base_url, KlingAuth *auth,
                                            GError **error);

/* The network settings of a client, named and meant as souphttpsrc's properties. They
 * join the shared-client table key: a client is shared only by elements whose URL,
 * credentials and settings are all the same. */
typedef struct {
  /* "http://host:port" of an HTTP proxy (CONNECT for https); NULL or "": the http_proxy /
   * https_proxy / no_proxy environment (GLib's default resolver). */
  const gchar *proxy;
  /* The User-Agent header; "{VERSION}" in it becomes the plugin's version. NULL or "":
   * "gst-kling/{VERSION}". */
  const gchar *user_agent;
  /* FALSE: accept any server certificate (a warning is logged once per client). */
  gboolean ssl_strict;
  /* A PEM file of the certificate authorities to trust instead of the system's. */
  const gchar *ssl_ca_file;
  /* The database to check certificates with (wins over ssl_ca_file); NULL: the default. */
  GTlsDatabase *tls_database;
  /* Retries of one HTTP call after its first attempt; -1: as many as its deadline allows.
   * It sets KlingRetryPolicy.max_attempts to retries + 1. */
  gint retries;
} KlingNetworkSettings;

/* The defaults: environment proxy, "gst-kling/{VERSION}", ssl_strict TRUE, the system's
 * CAs, 5 retries (6 attempts, the policy's default). */
void         kling_network_settings_init   (KlingNetworkSettings *settings);

/* kling_client_acquire() with @settings (copied; NULL: the defaults). A bad proxy URL or
 * an unreadable ssl_ca_file fails with KLING_ERROR_INVALID_INPUT before any request. */
KlingClient *kling_client_acquire_full     (const gchar *base_url, KlingAuth *auth,
                                            const KlingNetworkSettings *settings,
                                            GError **error);
KlingClient *kling_client_ref              (KlingClient *client);
/* The last unref stops the worker thread (cancelling what runs) and joins it. */
void         kling_client_unref            (KlingClient *client);
const gchar *kling_client_get_base_url     (KlingClient *client);

/* The client's settings for every call and download it makes. A 0 in busy_max_delay_ms,
 * io_timeout_ms or rate_window_ms given to kling_client_set_policy() means the default. */
typedef struct {
  guint   max_attempts;      /* per HTTP call, first try included; default 6 */
  guint   base_delay_ms;     /* first backoff; default 1000 */
  guint   max_delay_ms;      /* cap of one backoff; default 30000 */
  guint   deadline_s;        /* total time one call may spend retrying; default 120 */
  /* Kling's 1303 (every parallel slot of the account taken) is a queue, not an error: the
   * call keeps waiting, backing off from 1 s up to this cap, for as long as the job's own
   * timeout allows (a one-shot call: deadline_s). Default 30000; at least 1000. */
  guint   busy_max_delay_ms;
  /* One attempt fails when nothing is sent or received for this long (connecting,
   * waiting for the answer, reading it, downloading), separately from the job's timeout.
   * Default 20000: Kling answers a create or a query within a few seconds, and 6 attempts
   * of 20 s with their backoff end a stalled call in about 2 minutes (139 s measured). */
  guint   io_timeout_ms;
  /* A download slower than min_download_rate bytes/s over any rate_window_ms (after its
   * first window) is given up and retried, like curl's speed-limit / speed-time; 0: no
   * minimum. Defaults 8192 and 30000: a 20 MB clip takes 40 minutes at that rate. */
  guint   min_download_rate;
  guint   rate_window_ms;
} KlingRetryPolicy;

void         kling_client_get_policy       (KlingClient *client, KlingRetryPolicy *policy);
void         kling_client_set_policy       (KlingClient *client, const KlingRetryPolicy *policy);

/* A request ready to send: the body, plus a summary of it without bulky or private data
 * (no image or audio bytes, never a key) for the cache sidecar and for logs. */
typedef struct {
  KlingEndpoint endpoint;
  JsonNode *body;            /* object; the job adds external_task_id itself */
  JsonNode *summary;         /* object */
  /* Since 0.2: the create path on Kling's per-model API ("/image-to-video/kling-3.0"),
   * whose bodies are contents/settings/options and whose tasks are queried at /tasks;
   * NULL for a /v1 request (its path is kling_endpoint_path()). */
  gchar *create_path;
} KlingRequest;

KlingRequest *kling_request_new            (KlingEndpoint endpoint, JsonNode *body,
                                            JsonNode *summary);  /* takes both */
KlingRequest *kling_request_copy           (const KlingRequest *request);
void          kling_request_free           (KlingRequest *request);
/* Hex SHA-256 of the create path and the canonical body (members sorted), without
 * external_task_id and callback_url (at the top on /v1, in "options" on the per-model
 * API): equal inputs and settings give equal keys. */
gchar        *kling_request_cache_key      (const KlingRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KlingRequest, kling_request_free)

/* The key a job of @client files @request under in the cache and the journal: the request's
 * key above combined with the client's base URL, so a clip rendered by one server (the
 * sandbox, say) is never handed out for a request to another. */
gchar        *kling_client_cache_key       (KlingClient *client, const KlingRequest *request);

/* Why a job waits before its next attempt (the waiting() callback). */
typedef enum {
  KLING_WAIT_RATE_LIMIT,     /* 1302: too many requests (Retry-After honoured) */
  KLING_WAIT_BUSY_ACCOUNT,   /* 1303: every parallel task slot of the account is taken */
  KLING_WAIT_LOCAL_QUEUE,    /* max_parallel renders of this account run in this process */
  KLING_WAIT_SERVER_ERROR,   /* 5xx, or one odd answer (a lone 404, an unreadable body) */
  KLING_WAIT_NETWORK,        /* no connection, a reset, a stall, a body cut short */
} KlingWaitReason;

/* "rate-limit", "busy-account", "local-queue", "server-error", "network". */
const gchar *kling_wait_reason_to_string (KlingWaitReason reason);

/* A download in progress, readable from any thread while the clip grows: the MP4 arrives
 * in a part file under the cache's tmp/ (Kling's files are faststart, so a reader can
 * start at byte 0 before the end has come), and only the whole, verified file is renamed
 * into the cache. When a download must start over from byte 0 (the server ignored a Range
 * request, or the bytes failed the check), the part file is made anew at the same path
 * and `restarts` grows: bytes read before are void. A re-download after a cut resumes
 * from the byte reached (Range), so bytes already read stay valid. */
typedef struct _KlingDownloadProgress KlingDownloadProgress;

typedef enum {
  KLING_DOWNLOAD_RUNNING,    /* bytes are arriving (or a retry is pending) */
  KLING_DOWNLOAD_DONE,       /* the whole file is verified and in the cache */
  KLING_DOWNLOAD_FAILED,     /* the job failed or was cancelled; the part file is gone */
} KlingDownloadState;

typedef struct {
  KlingDownloadState state;
  guint64 written;           /* valid bytes at the start of the part file */
  gint64 total;              /* the clip's size, -1 until the server said it */
  guint restarts;            /* times the part file was started over from byte 0 */
} KlingDownloadStatus;

KlingDownloadProgress *kling_download_progress_ref   (KlingDownloadProgress *progress);
void         kling_download_progress_unref           (KlingDownloadProgress *progress);
/* <cache>/tmp/<key>.<n>.part: fixed for the life of the download. */
const gchar *kling_download_progress_get_part_path   (KlingDownloadProgress *progress);
void         kling_download_progress_get_status      (KlingDownloadProgress *progress,
                                                      KlingDownloadStatus *status);
/* The clip in the cache once DONE (the part file was renamed to it), else NULL. */
gchar       *kling_download_progress_dup_final_path  (KlingDownloadProgress *progress);
/* Blocks until more than @offset bytes are written, the state leaves RUNNING, `restarts`
 * differs from @restarts, @timeout_us passes (-1: no limit) or @cancellable is cancelled;
 * fills @status (may be NULL) either way. FALSE on timeout or cancellation. Never call it
 * on the client's worker (from a callback). */
gboolean     kling_download_progress_wait            (KlingDownloadProgress *progress,
                                                      guint64 offset, guint restarts,
                                                      gint64 timeout_us,
                                                      GCancellable *cancellable,
                                                      KlingDownloadStatus *status);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KlingDownloadProgress, kling_download_progress_unref)

/* Every callback runs on the client's worker thread (see the top of this file). */
typedef struct {
  /* The task exists (created now, or found in the journal / by external id / in the
   * task list, or followed while another process renders it). */
  void (*submitted)  (KlingJob *job, const KlingTask *task, gpointer user_data);
  /* After each poll, and when the status changes; elapsed since the job started. */
  void (*progress)   (KlingJob *job, const KlingTask *task, gdouble elapsed_s,
                      gpointer user_data);
  /* Exactly once per job, also after kling_job_cancel(). On success @mp4_path is the
   * verified file in the cache (or in the job's own temporary directory when there is no
   * cache: that file and directory are removed when the job is freed, so keep a reference
   * to the job while the file is read) and @task the final task (from the cache sidecar
   * when kling_job_is_cache_hit()); on failure @error is a KLING_ERROR and @task the last
   * known task or NULL. */
  void (*finished)   (KlingJob *job, const gchar *mp4_path, const KlingTask *task,
                      const GError *error, gpointer user_data);
  /* Before each wait for another attempt: @reason, the wait (@delay_ms; 0 when it lasts
   * until a local slot frees), the attempt that failed (1 = the first), and the answer or
   * failure that caused it (NULL for the local queue). May be NULL. */
  void (*waiting)    (KlingJob *job, KlingWaitReason reason, guint delay_ms, guint attempt,
                      const GError *cause, gpointer user_data);
  /* Once per job, when the clip's first bytes are about to arrive: take a reference to
   * @progress to read the clip while it downloads. May be NULL. */
  void (*download_started) (KlingJob *job, KlingDownloadProgress *progress,
                            gpointer user_data);
} KlingJobCallbacks;

typedef struct {
  gdouble poll_interval_s;   /* default 5 */
  gdouble timeout_s;         /* whole job; 0 = none; default 1800 */
  const gchar *cache_dir;    /* NULL: no cache, no journal (a temporary directory is used) */
  /* Skip the cache lookup, render again and replace the cached clip. A task of the same
   * request already in flight (in the journal, or rendered by another process) is still
   * followed rather than paid twice. Default FALSE. */
  gboolean refresh;
  /* Renders of this account (base URL + credentials) in flight at once in this process,
   * across every client and element; this job waits while that many or more run. 0 = no
   * cap; default 0. */
  guint max_parallel;
  /* The client's policy (KlingRetryPolicy) for this job's calls and download when 0. */
  guint io_timeout_ms;
  guint min_download_rate;
  guint rate_window_ms;
  /* Whose job this is, e.g. the element's name: the job's log lines and those of its API
   * calls start with "<label>: ", since one client serves every element of the process.
   * Copied. NULL (the default): no prefix. */
  const gchar *label;
} KlingJobOptions;

/* Notes on the job's life:
 * - @notify (kling_client_start_job) runs when the job is freed, on whichever thread drops
 *   the last reference (often the worker, which holds references while requests run).
 * - The last kling_client_unref() finishes every unfinished job with KLING_ERROR_CANCELLED
 *   before it returns (or, when called on the worker itself, soon after).
 * - Errors that leave a task alive (timeout, cancel, network/server failures while
 *   polling or downloading, an unconfirmed create) keep its journal entry: a new job for
 *   the same request resumes that task instead of paying for another. A failed task, a
 *   refused create and a finished download remove it. */

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
/* TRUE once finished() reported a clip this job neither rendered nor downloaded: it was
 * in the cache already (or another process put it there while this job followed). */
gboolean     kling_job_is_cache_hit        (KlingJob *job);

/* What a job for a request is about to do, as the cache tells before it starts: a local
 * preview (files only, no request), so a caller can say it before any money is spent. The
 * job decides again on the worker: a clip another process stores meanwhile is a cache
 * hit all the same (kling_job_is_cache_hit()). */
typedef enum {
  KLING_JOB_WILL_CREATE,     /* a new task (a paid render) */
  KLING_JOB_WILL_USE_CACHE,  /* the clip is in the cache, whole: nothing is requested */
  KLING_JOB_WILL_RESUME,     /* a task of this request is in the journal (or the cached
                              * clip is damaged): it is followed, not paid again */
} KlingJobOutlook;

/* How many earlier renders the preview takes the median of. */
#define KLING_JOB_HISTORY_RENDERS 5

typedef struct {
  KlingJobOutlook outlook;
  gchar *clip_path;          /* WILL_USE_CACHE: the cached clip */
  gchar *cache_path;         /* where the clip is, or will be, in the cache (NULL without
                              * a cache): what a clip playing while it downloads is named */
  gchar *task_id;            /* WILL_RESUME: the task followed; NULL while the journal
                              * knows only our external id (the create's answer was lost) */
  /* The median render time (Kling's submit -> succeed) of the newest
   * KLING_JOB_HISTORY_RENDERS clips of the same endpoint and model in the cache directory,
   * and how many there were (0: none, median 0). */
  guint history_renders;
  gdouble history_median_s;
} KlingJobPreview;

/* Fills @preview for a job of @request with @options (NULL or no cache_dir: CREATE, no
 * history). Reads the cache directory (stat and a few small JSON files); never the
 * network. Clear @preview with kling_job_preview_clear(). */
void         kling_client_preview_job      (KlingClient *client, const KlingRequest *request,
                                            const KlingJobOptions *options,
                                            KlingJobPreview *preview);
void         kling_job_preview_clear       (KlingJobPreview *preview);

/* One-shot call that is not a task (identify-face): the answer's "data" node, on the
 * worker (hand off, as for the job callbacks); @callback gets either data or error. Retried
 * like a query, a 1303 within the policy's deadline_s. */
typedef void (*KlingCallCallback) (JsonNode *data, const GError *error, gpointer user_data);
void         kling_client_call             (KlingClient *client, KlingEndpoint endpoint,
                                            JsonNode *body, GCancellable *cancellable,
                                            KlingCallCallback callback, gpointer user_data);
/* Before each wait between the call's attempts, on the worker (hand off): as
 * KlingJobCallbacks.waiting. */
typedef void (*KlingCallWaitingCallback) (KlingWaitReason reason, guint delay_ms,
                                          guint attempt, const GError *cause,
                                          gpointer user_data);
/* kling_client_call() that also reports its waits to @waiting (may be NULL), with
 * @user_data, before @callback. */
void         kling_client_call_full        (KlingClient *client, KlingEndpoint endpoint,
                                            JsonNode *body, GCancellable *cancellable,
                                            KlingCallWaitingCallback waiting,
                                            KlingCallCallback callback, gpointer user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KlingClient, kling_client_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KlingJob, kling_job_unref)

G_END_DECLS
