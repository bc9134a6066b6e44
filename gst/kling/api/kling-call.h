/* gst-kling: one HTTP API call with its retries (private to the client layer).
 *
 * A call sends one request to the client's base URL, reads the answer's envelope and
 * retries what the policy allows; its completion runs exactly once, on the worker.
 */
#pragma once

#include "kling-client-private.h"

G_BEGIN_DECLS

typedef void (*KlingCallDone) (KlingClient *client, JsonNode *data, const gchar *request_id,
                               const GError *error, gpointer user_data);

/* Starts an API call on the worker; @done runs exactly once, on the worker. With
 * @retry_ambiguous FALSE (a create) a failure after which the request may have been
 * processed is handed back at once instead of being retried blindly. */
void kling_call_start (KlingClient *client, const gchar *method, const gchar *path,
                       JsonNode *body, GCancellable *cancellable, gboolean retry_ambiguous,
                       KlingCallDone done, gpointer user_data);

G_END_DECLS
