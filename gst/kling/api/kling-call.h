/* gst-kling: one HTTP API call with its retries (private to the client layer).
 *
 * A call sends one request to the client's base URL and reads the answer as a stream:
 * at most KLING_CALL_MAX_ANSWER_BYTES (more is a protocol error, read no further), cut
 * short is a network error, nested deeper than KLING_CALL_MAX_JSON_DEPTH is refused
 * before json-glib (whose parser recurses) sees it. Credentials go to the base URL's
 * origin only: a redirect elsewhere is refused, never followed. Each attempt has an I/O
 * inactivity timeout. Its completion runs exactly once, on the worker, with an error that
 * names the server and the endpoint.
 */
#pragma once

#include "kling-client-private.h"

G_BEGIN_DECLS

#define KLING_CALL_MAX_ANSWER_BYTES ((gsize) 16 * 1024 * 1024)
#define KLING_CALL_MAX_JSON_DEPTH 64
#define KLING_CALL_MAX_REDIRECTS 5

typedef void (*KlingCallDone) (KlingClient *client, JsonNode *data, const gchar *request_id,
                               const GError *error, gpointer user_data);
/* Before each wait between attempts (see KlingJobCallbacks.waiting). */
typedef void (*KlingCallWaiting) (KlingWaitReason reason, guint delay_ms, guint attempt,
                                  const GError *cause, gpointer user_data);

typedef struct {
  const gchar *method;
  const gchar *path;           /* "/v1/videos/image2video/123", may carry a query */
  JsonNode *body;              /* sent as JSON; NULL for none */
  GCancellable *cancellable;
  /* FALSE for a create: a failure after which the request may have been processed is
   * handed back at once instead of being retried blindly (a 1302/1303 refusal or a
   * request that provably never left is still retried). */
  gboolean retry_ambiguous;
  /* A query of a task we know exists: a lone 404, or one answer that is not Kling's,
   * too large or too deep, is a glitch, retried like a 5xx. */
  gboolean retry_not_found;
  /* Monotonic time until which a 1303 (busy account) keeps being waited out; 0: the
   * policy's deadline_s from the start of the call; G_MAXINT64: no limit. */
  gint64 busy_until_us;
  guint io_timeout_ms;         /* 0: the policy's */
  KlingCallWaiting waiting;    /* may be NULL */
  const gchar *log_prefix;     /* starts each log line of the call (the job's label); may
                                  be NULL */
  KlingCallDone done;
  gpointer user_data;
} KlingCallSpec;

/* Starts the call on the worker (call it there); @spec->done runs exactly once. */
void     kling_call_start       (KlingClient *client, const KlingCallSpec *spec);

/* TRUE when the JSON text nests arrays/objects deeper than @max_depth. A linear scan that
 * skips strings (and their escapes); it does not validate the JSON. */
gboolean kling_json_too_deep    (const gchar *text, gsize len, guint max_depth);

/* TRUE when the text opens a JSON object or array and ends before closing it (or inside a
 * string), with nothing JSON cannot have on the way: a cut answer, not a garbled one. A
 * linear scan; it does not validate the JSON. */
gboolean kling_json_unfinished  (const gchar *text, gsize len);

G_END_DECLS
