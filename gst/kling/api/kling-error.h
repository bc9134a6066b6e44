/* gst-kling: one GError domain for every failure of a Kling request.
 *
 * The message of a KLING_ERROR is the technical detail line (HTTP status, Kling code,
 * request id, task id, the server's words); kling_error_dup_user_message() gives the one
 * sentence a person should read: what went wrong, then what to do. A refusal made before
 * any request (KLING_ERROR_INVALID_INPUT with http_status 0, e.g. from the model table) is
 * the exception: its message is that sentence already. The structured fields travel with
 * the GError itself (an extended GError), so they survive g_error_copy() and thread hops.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define KLING_ERROR (kling_error_quark ())

typedef enum {
  KLING_ERROR_AUTH,            /* 401, codes 1000-1004: the keys are wrong or missing */
  KLING_ERROR_PERMISSION,      /* 403/1103 no access to the API or model; 1304 IP allow-list */
  KLING_ERROR_QUOTA,           /* 1100-1102, reseller 402: money, never retried */
  KLING_ERROR_RATE_LIMITED,    /* 1302/1303 still refused after every retry */
  KLING_ERROR_INVALID_INPUT,   /* 1200-1203 or refused locally before any request */
  KLING_ERROR_CONTENT_POLICY,  /* 1300/1301 */
  KLING_ERROR_TASK_FAILED,     /* the task ended "failed"; see task_status_msg */
  KLING_ERROR_SERVER,          /* 5xx / 5000-5002 after every retry */
  KLING_ERROR_NETWORK,         /* connection refused, reset, DNS, TLS */
  KLING_ERROR_PROTOCOL,        /* an answer that is not the documented shape */
  KLING_ERROR_TIMEOUT,         /* the element's timeout ran out */
  KLING_ERROR_CANCELLED,       /* the caller cancelled (state change, flush) */
  KLING_ERROR_TLS,             /* the server's certificate failed a check: never retried */
  KLING_ERROR_LOCAL_IO,        /* the cache directory (or a temporary file) cannot be written */
  KLING_ERROR_UNCONFIRMED,     /* a create's answer was lost and the task could not be found:
                                * it may exist, so it is not created again */
} KlingErrorCode;

GQuark       kling_error_quark              (void);

/* Creates a KLING_ERROR with its structured fields; any of the strings may be NULL,
 * http_status 0 and kling_code -1 mean "none". @message is the technical detail. */
GError      *kling_error_new_full           (KlingErrorCode code, guint http_status,
                                             gint kling_code, const gchar *request_id,
                                             const gchar *task_id,
                                             const gchar *task_status_msg,
                                             const gchar *format, ...) G_GNUC_PRINTF (7, 8);

/* Maps an HTTP status and the envelope's code (or -1) to the domain, as the table in
 * docs/kling-api.md says. */
KlingErrorCode kling_error_code_from_http   (guint http_status, gint kling_code);

/* TRUE when the table says to retry with backoff (1302, 1303, 5xx/5000-5002, network). */
gboolean     kling_error_is_retryable       (const GError *error);

guint        kling_error_get_http_status    (const GError *error);
gint         kling_error_get_kling_code     (const GError *error);
const gchar *kling_error_get_request_id     (const GError *error);
const gchar *kling_error_get_task_id        (const GError *error);
const gchar *kling_error_get_task_status_msg (const GError *error);
/* Seconds the server asked us to wait (Retry-After), 0 when it did not. */
guint        kling_error_get_retry_after    (const GError *error);
void         kling_error_set_retry_after    (GError *error, guint seconds);
void         kling_error_set_task_id        (GError *error, const gchar *task_id);
/* The job's timeout (seconds) for KLING_ERROR_TIMEOUT, named in the user message. */
guint        kling_error_get_timeout        (const GError *error);
void         kling_error_set_timeout        (GError *error, guint seconds);
/* The server (api-url) and the endpoint path ("/v1/videos/image2video") the failed request
 * went to; set by the call layer, shown in the details and in structured element errors. */
const gchar *kling_error_get_api_url        (const GError *error);
void         kling_error_set_api_url        (GError *error, const gchar *api_url);
const gchar *kling_error_get_endpoint       (const GError *error);
void         kling_error_set_endpoint       (GError *error, const gchar *endpoint);
/* The model the failed request asked for (the create's model_name), set by the caller
 * that knows the request: a 1203 then names it and the models that are served instead. */
const gchar *kling_error_get_model          (const GError *error);
void         kling_error_set_model          (GError *error, const gchar *model);
/* TRUE when the answer was not Kling's JSON envelope at all (an HTML page, a proxy's error,
 * another service): the user message then blames api-url, not the server's mood. */
gboolean     kling_error_is_foreign_answer  (const GError *error);
void         kling_error_set_foreign_answer (GError *error, gboolean foreign);
/* The clip's download failed: the result URL it came from, without its query (which holds
 * the signature). Set by the job when a download gives up, so the user message speaks of
 * Kling's file host and of a rerun, not of api-url. */
const gchar *kling_error_get_download_url   (const GError *error);
void         kling_error_set_download_url   (GError *error, const gchar *url);
/* TRUE when the journal in the cache directory still holds the task: a rerun follows the
 * same task (and fetches its clip) instead of paying for a new one. */
gboolean     kling_error_get_task_journaled (const GError *error);
void         kling_error_set_task_journaled (GError *error, gboolean journaled);

/* KLING_ERROR_AUTH (http_status 0) for an element and environment that gave no usable
 * credential: nothing at all, or half of an access key / secret key pair. */
GError      *kling_error_new_no_credentials (gboolean access_key_set, gboolean secret_key_set);
/* Since 0.2: KLING_ERROR_AUTH (http_status 0) for a request to Kling's per-model API with an
 * access key + secret key, which that API does not take: refused before any request. The
 * sentence names @model and says to set api-key. */
GError      *kling_error_new_api_key_needed (const gchar *model);

/* One sentence for a person: what went wrong and what to do, e.g. "Kling refused the
 * credentials (401, code 1002): check access-key and secret-key." */
gchar       *kling_error_dup_user_message   (const GError *error);

/* "http=401 code=1002 request_id=... task_id=... status_msg=...: <message>" */
gchar       *kling_error_dup_details        (const GError *error);

G_END_DECLS
