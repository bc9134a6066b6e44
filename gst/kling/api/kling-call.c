/* gst-kling: one HTTP API call, with retries. */
#include "config.h"
#include "kling-call.h"
#include "kling-backoff.h"

#include <string.h>

typedef struct {
  KlingClient *client;
  gchar *method;
  gchar *path;
  GBytes *body;
  GCancellable *cancellable;
  /* FALSE for a create: a failure after which the task may exist is handed back to the
   * job (to query by external id) instead of being retried blindly. */
  gboolean retry_ambiguous;
  guint attempts;
  gint64 started_us;
  gboolean reminted;
  SoupMessage *msg;
  KlingCallDone done;
  gpointer user_data;
} KlingCall;

static void call_send (KlingCall *call);


static void
call_complete (KlingCall *call, JsonNode *data, const gchar *request_id, const GError *error)
{
  KlingClient *client = call->client;

  call->done (client, data, request_id, error, call->user_data);
  g_clear_object (&call->msg);
  g_clear_object (&call->cancellable);
  g_clear_pointer (&call->body, g_bytes_unref);
  g_free (call->method);
  g_free (call->path);
  g_free (call);
  client->pending_ops--;
}


/* Seconds from a Retry-After header: delta-seconds or an HTTP date. */
static guint
parse_retry_after (SoupMessage *msg)
{
  const gchar *value = soup_message_headers_get_one (soup_message_get_response_headers (msg),
      "Retry-After");
  g_autoptr (GDateTime) when = NULL;
  gchar *end = NULL;
  guint64 seconds;

  if (value == NULL)
    return 0;
  seconds = g_ascii_strtoull (value, &end, 10);
  if (end != value && *end == '\0')
    return (guint) MIN (seconds, 3600);
  when = soup_date_time_new_from_http_string (value);
  if (when) {
    gint64 delta = g_date_time_to_unix (when) - g_get_real_time () / G_USEC_PER_SEC;
    return (guint) CLAMP (delta, 0, 3600);
  }
  return 0;
}

static gboolean
call_resend (gpointer data)
{
  call_send (data);
  return G_SOURCE_REMOVE;
}


static gboolean
call_should_retry (KlingCall *call, const GError *error)
{
  if (error->code == KLING_ERROR_RATE_LIMITED)
    return TRUE;          /* refused before any processing: even a create may repeat */
  if (!call->retry_ambiguous)
    return FALSE;
  if (kling_error_is_retryable (error))
    return TRUE;
  /* A garbled answer to a query is worth another look; a create's is the job's call. */
  return error->code == KLING_ERROR_PROTOCOL && g_str_equal (call->method, "GET");
}


/* Schedules the next attempt when the policy allows it; FALSE when it does not. */
static gboolean
call_schedule_retry (KlingCall *call, const GError *error)
{
  guint delay_ms;
  GSource *wait;

  if (!kling_client_next_retry_delay (call->client, call->attempts, call->started_us, error,
          &delay_ms))
    return FALSE;

  g_debug ("%s %s failed (%s), attempt %u; retrying in %u ms", call->method, call->path,
      error->message, call->attempts, delay_ms);
  wait = kling_wait_source_new (delay_ms, call->cancellable);
  g_source_set_callback (wait, call_resend, call, NULL);
  g_source_attach (wait, call->client->context);
  g_source_unref (wait);
  return TRUE;
}

static void
call_sent (GObject *source, GAsyncResult *result, gpointer data)
{
  KlingCall *call = data;
  g_autoptr (GError) io_error = NULL, error = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonNode) answer = NULL;
  g_autofree gchar *request_id = NULL;
  guint status;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &io_error);
  status = soup_message_get_status (call->msg);
  if (g_cancellable_is_cancelled (call->cancellable)) {
    error = kling_cancelled_error ();
  } else if (body == NULL) {
    error = kling_error_new_full (KLING_ERROR_NETWORK, 0, -1, NULL, NULL, NULL, "%s",
        io_error->message);
  } else {
    answer = kling_envelope_parse (status, g_bytes_get_data (body, NULL),
        g_bytes_get_size (body), &request_id, &error);
    if (error)
      kling_error_set_retry_after (error, parse_retry_after (call->msg));
  }
  g_clear_object (&call->msg);
  g_debug ("%s %s -> %u%s%s (request_id %s)", call->method, call->path, status,
      error ? ": " : "", error ? error->message : "", request_id ? request_id : "-");

  if (error == NULL) {
    call_complete (call, answer, request_id, NULL);
    return;
  }
  if (error->code == KLING_ERROR_CANCELLED) {
    call_complete (call, NULL, request_id, error);
    return;
  }
  /* 1003 not yet valid / 1004 expired: a fresh token, once. */
  if (error->code == KLING_ERROR_AUTH && !call->reminted &&
      (kling_error_get_kling_code (error) == 1003 ||
          kling_error_get_kling_code (error) == 1004) &&
      kling_auth_is_jwt (call->client->auth)) {
    g_info ("Kling refused the token (code %d): minting a new one",
        kling_error_get_kling_code (error));
    kling_auth_invalidate (call->client->auth);
    call->reminted = TRUE;
    call_send (call);
    return;
  }
  if (call_should_retry (call, error) && call_schedule_retry (call, error))
    return;
  call_complete (call, NULL, request_id, error);
}

static void
set_auth_header (KlingClient *client, SoupMessage *msg)
{
  const gchar *name = NULL;
  gchar *value = kling_auth_dup_header (client->auth, g_get_real_time () / G_USEC_PER_SEC,
      &name);

  soup_message_headers_replace (soup_message_get_request_headers (msg), name, value);
  /* The header copy lives in the message only; wipe ours. */
  memset (value, 0, strlen (value));
  g_free (value);
}

static void
call_send (KlingCall *call)
{
  KlingClient *client = call->client;
  g_autofree gchar *url = NULL;
  g_autoptr (GError) error = NULL;

  if (g_cancellable_is_cancelled (call->cancellable)) {
    error = kling_cancelled_error ();
    call_complete (call, NULL, NULL, error);
    return;
  }
  call->attempts++;
  url = g_strconcat (client->base_url, call->path, NULL);
  call->msg = soup_message_new (call->method, url);
  if (call->msg == NULL) {
    error = kling_error_new_full (KLING_ERROR_INVALID_INPUT, 0, -1, NULL, NULL, NULL,
        "cannot make a URL from api-url and %s", call->path);
    call_complete (call, NULL, NULL, error);
    return;
  }
  set_auth_header (client, call->msg);
  soup_message_headers_replace (soup_message_get_request_headers (call->msg), "Accept",
      "application/json");
  if (call->body)
    soup_message_set_request_body_from_bytes (call->msg, "application/json", call->body);
  g_debug ("%s %s (attempt %u)", call->method, call->path, call->attempts);
  soup_session_send_and_read_async (client->session, call->msg, G_PRIORITY_DEFAULT,
      call->cancellable, call_sent, call);
}

void
kling_call_start (KlingClient *client, const gchar *method, const gchar *path, JsonNode *body,
    GCancellable *cancellable, gboolean retry_ambiguous, KlingCallDone done,
    gpointer user_data)
{
  KlingCall *call = g_new0 (KlingCall, 1);

  call->client = client;
  call->method = g_strdup (method);
  call->path = g_strdup (path);
  if (body) {
    gsize len;
    gchar *text = json_to_string (body, FALSE);
    len = strlen (text);
    call->body = g_bytes_new_take (text, len);
  }
  call->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  call->retry_ambiguous = retry_ambiguous;
  call->started_us = g_get_monotonic_time ();
  call->done = done;
  call->user_data = user_data;
  client->pending_ops++;
  call_send (call);
}

