/* gst-kling: one HTTP API call, with retries (see kling-call.h). */
#include "config.h"
#include "kling-call.h"
#include "kling-backoff.h"

#include <string.h>

#define READ_CHUNK_BYTES 65536

typedef struct
{
  KlingClient *client;
  KlingCallSpec spec;           /* strings copied below */
  gchar *method;
  gchar *path;
  gchar *log_prefix;            /* "" without one */
  GUri *uri;                    /* where the next attempt goes: the base URL + path, or a
                                   same-origin redirect of it */
  GBytes *body;
  GCancellable *cancellable;
  guint attempts;
  guint busy_waits;             /* 1303 answers waited out (they do not use up attempts) */
  guint redirects;
  gint64 started_us;
  gboolean reminted;
  gboolean never_sent;          /* the last attempt provably did not reach the server */
  gboolean final;               /* the last answer is refused for good (oversize, too deep,
                                   a redirect elsewhere): no retry */

  /* the attempt in flight */
  SoupMessage *msg;
  GInputStream *stream;
  GByteArray *answer;
  GCancellable *attempt_cancellable;
  gulong cancel_handler;
  KlingWatchdog watchdog;
} KlingCall;

static void call_send (KlingCall * call);

/* The path without its query, for errors and logs. */
static gchar *
path_for_errors (const gchar * path)
{
  const gchar *query = strchr (path, '?');

  return query ? g_strndup (path, query - path) : g_strdup (path);
}

static void
attempt_clear (KlingCall * call)
{
  kling_watchdog_stop (&call->watchdog);
  if (call->cancel_handler && call->cancellable)
    g_cancellable_disconnect (call->cancellable, call->cancel_handler);
  call->cancel_handler = 0;
  g_clear_object (&call->attempt_cancellable);
  g_clear_object (&call->stream);
  g_clear_object (&call->msg);
  g_clear_pointer (&call->answer, g_byte_array_unref);
}

static void
call_complete (KlingCall * call, JsonNode * data, const gchar * request_id,
    const GError * error)
{
  KlingClient *client = call->client;
  g_autoptr (GError) decorated = NULL;

  attempt_clear (call);
  if (error && error->domain == KLING_ERROR) {
    g_autofree gchar *endpoint = path_for_errors (call->path);

    decorated = g_error_copy (error);
    kling_error_set_api_url (decorated, client->base_url);
    kling_error_set_endpoint (decorated, endpoint);
    error = decorated;
  }
  call->spec.done (client, data, request_id, error, call->spec.user_data);
  g_clear_object (&call->cancellable);
  g_clear_pointer (&call->body, g_bytes_unref);
  g_clear_pointer (&call->uri, g_uri_unref);
  g_free (call->method);
  g_free (call->path);
  g_free (call->log_prefix);
  g_free (call);
  client->pending_ops--;
}

/* Seconds from a Retry-After header: delta-seconds or an HTTP date. */
static guint
parse_retry_after (SoupMessage * msg)
{
  const gchar *value =
      soup_message_headers_get_one (soup_message_get_response_headers (msg),
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
    gint64 delta =
        g_date_time_to_unix (when) - g_get_real_time () / G_USEC_PER_SEC;
    return (guint) CLAMP (delta, 0, 3600);
  }
  return 0;
}

/* --- retries ----------------------------------------------------------------------------- */

static gboolean
is_not_found (const GError * error)
{
  return error->domain == KLING_ERROR && !kling_error_is_foreign_answer (error)
      && (kling_error_get_http_status (error) == 404
      || kling_error_get_kling_code (error) == 1203);
}

static gboolean
call_should_retry (KlingCall * call, const GError * error)
{
  if (error->code == KLING_ERROR_TLS)
    return FALSE;
  /* A query of a task we know exists (and Kling answered before): one HTML page, one
   * answer too large or too deep is a glitch on the way, not the end of a paid render.
   * Each attempt still reads at most KLING_CALL_MAX_ANSWER_BYTES. */
  if (call->spec.retry_not_found && error->code == KLING_ERROR_PROTOCOL)
    return TRUE;
  if (call->final)
    return FALSE;
  if (error->code == KLING_ERROR_RATE_LIMITED || call->never_sent)
    return TRUE;                /* refused before any processing: even a create may repeat */
  if (!call->spec.retry_ambiguous)
    return FALSE;
  if (kling_error_is_retryable (error))
    return TRUE;
  if (call->spec.retry_not_found && is_not_found (error))
    return TRUE;
  /* A garbled answer is worth another look where repeating the request is safe (a query,
   * identify-face); a create's is the job's call (it never gets here). */
  return error->code == KLING_ERROR_PROTOCOL
      && !kling_error_is_foreign_answer (error);
}

/* 1303 is a queue: the wait grows from 1 s to the policy's busy cap and goes on while
 * the job may (its deadline, which ends the job with its own timeout error, usually in
 * the middle of a wait); it does not use up the call's attempts. */
static gboolean
busy_retry_delay (KlingCall * call, const GError * error, guint * delay_ms)
{
  KlingRetryPolicy policy;
  KlingBackoff backoff;
  gint64 until = call->spec.busy_until_us;

  kling_client_get_policy (call->client, &policy);
  backoff.base_delay_ms =
      MAX (policy.base_delay_ms, KLING_BACKOFF_RATE_LIMIT_MIN_MS);
  backoff.max_delay_ms =
      MAX (policy.busy_max_delay_ms, KLING_BACKOFF_RATE_LIMIT_MIN_MS);
  *delay_ms =
      kling_backoff_delay_ms (&backoff, call->busy_waits + 1,
      kling_error_get_retry_after (error), TRUE, g_random_double ());
  if (until == 0)
    until = call->started_us + (gint64) policy.deadline_s * G_USEC_PER_SEC;
  return g_get_monotonic_time () < until;
}

static gboolean
call_resend (gpointer data)
{
  call_send (data);
  return G_SOURCE_REMOVE;
}

/* Schedules the next attempt when the policy allows it; FALSE when it does not. */
static gboolean
call_schedule_retry (KlingCall * call, const GError * error)
{
  gboolean busy = g_error_matches (error, KLING_ERROR, KLING_ERROR_RATE_LIMITED)
      && kling_error_get_kling_code (error) == 1303;
  guint delay_ms, attempt = call->attempts;
  GSource *wait;

  if (busy) {
    if (!busy_retry_delay (call, error, &delay_ms))
      return FALSE;
    call->busy_waits++;
    call->attempts--;           /* waiting for a slot is not a failed attempt */
  } else if (!kling_client_next_retry_delay (call->client, call->attempts,
          call->started_us, error, &delay_ms)) {
    return FALSE;
  }
  g_debug ("%s%s %s failed (%s), attempt %u; retrying in %u ms",
      call->log_prefix, call->method, call->path, error->message, attempt,
      delay_ms);
  if (call->spec.waiting)
    call->spec.waiting (kling_wait_reason_for_error (error), delay_ms, attempt,
        error, call->spec.user_data);
  wait = kling_wait_source_new (delay_ms, call->cancellable);
  g_source_set_callback (wait, call_resend, call, NULL);
  g_source_attach (wait, call->client->context);
  g_source_unref (wait);
  return TRUE;
}

/* What the last attempt ended with: the answer's data, or an error (taken). */
static void
call_attempt_done (KlingCall * call, JsonNode * answer,
    const gchar * request_id, GError * error_taken)
{
  g_autoptr (GError) error = error_taken;

  attempt_clear (call);
  if (error == NULL) {
    call_complete (call, answer, request_id, NULL);
    return;
  }
  if (error->code == KLING_ERROR_CANCELLED) {
    call_complete (call, NULL, request_id, error);
    return;
  }
  /* 1003 not yet valid / 1004 expired: a fresh token, once. A 1003 after it is the local
   * clock's fault, and surfaces as it is. */
  if (error->code == KLING_ERROR_AUTH && !call->reminted &&
      (kling_error_get_kling_code (error) == 1003 ||
          kling_error_get_kling_code (error) == 1004) &&
      kling_auth_is_jwt (call->client->auth)) {
    g_info ("%sKling refused the token (code %d): minting a new one",
        call->log_prefix, kling_error_get_kling_code (error));
    kling_auth_invalidate (call->client->auth);
    call->reminted = TRUE;
    call_send (call);
    return;
  }
  if (call_should_retry (call, error) && call_schedule_retry (call, error))
    return;
  call_complete (call, NULL, request_id, error);
}

/* --- the answer -------------------------------------------------------------------------- */

gboolean
kling_json_too_deep (const gchar * text, gsize len, guint max_depth)
{
  gboolean in_string = FALSE, escaped = FALSE;
  guint depth = 0;
  gsize i;

  for (i = 0; i < len; i++) {
    gchar c = text[i];

    if (in_string) {
      if (escaped)
        escaped = FALSE;
      else if (c == '\\')
        escaped = TRUE;
      else if (c == '"')
        in_string = FALSE;
    } else if (c == '"') {
      in_string = TRUE;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth)
        return TRUE;
    } else if ((c == '}' || c == ']') && depth > 0) {
      depth--;
    }
  }
  return FALSE;
}

/* Bytes JSON may have outside its strings (letters only of true, false and null). */
static gboolean
is_json_byte (gchar c)
{
  return g_ascii_isspace (c) || g_ascii_isdigit (c)
      || strchr ("{}[]:,-+.eEtruefalsn", c);
}

gboolean
kling_json_unfinished (const gchar * text, gsize len)
{
  gboolean in_string = FALSE, escaped = FALSE;
  guint depth = 0;
  gsize i = 0;

  while (i < len && g_ascii_isspace (text[i]))
    i++;
  if (i == len || (text[i] != '{' && text[i] != '['))
    return FALSE;
  for (; i < len; i++) {
    gchar c = text[i];

    if (in_string) {
      if (escaped)
        escaped = FALSE;
      else if (c == '\\')
        escaped = TRUE;
      else if (c == '"')
        in_string = FALSE;
    } else if (c == '"') {
      in_string = TRUE;
    } else if (c == '{' || c == '[') {
      depth++;
    } else if ((c == '}' || c == ']') && depth > 0) {
      depth--;
    } else if (c == '\0' || !is_json_byte (c)) {
      return FALSE;             /* garbled, not merely cut */
    }
  }
  return in_string || depth > 0;
}

/* Not Kling's JSON envelope at all: an HTML page, a proxy's error, another service. */
static gboolean
answer_is_foreign (SoupMessage * msg, const guint8 * data, gsize len)
{
  const gchar *type =
      soup_message_headers_get_content_type (soup_message_get_response_headers
      (msg), NULL);
  gsize i = 0;

  while (i < len && g_ascii_isspace (data[i]))
    i++;
  if (i == len || data[i] != '{')
    return TRUE;
  return type != NULL && (g_str_has_prefix (type, "text/html") ||
      g_str_has_prefix (type, "application/xhtml"));
}

static GError *
answer_error (KlingCall * call, guint status, const gchar * what,
    gboolean final)
{
  call->final = final;
  return kling_error_new_full (KLING_ERROR_PROTOCOL, status, -1, NULL, NULL,
      NULL, "%s", what);
}

/* The answer is all in: check its shape, then read the envelope. */
static void
call_parse_answer (KlingCall * call)
{
  guint status = soup_message_get_status (call->msg);
  const guint8 *data = call->answer->data;
  gsize len = call->answer->len;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) answer = NULL;
  g_autofree gchar *request_id = NULL;
  gboolean foreign;

  if (kling_json_too_deep ((const gchar *) data, len,
          KLING_CALL_MAX_JSON_DEPTH)) {
    error =
        answer_error (call, status,
        "the answer nests JSON deeper than 64 levels", TRUE);
  } else {
    answer =
        kling_envelope_parse (status, (const gchar *) data, len, &request_id,
        &error);
  }
  if (error && !call->final
      && (foreign = answer_is_foreign (call->msg, data, len))) {
    /* Retry what a proxy in front of Kling says when busy; the rest is not Kling. */
    if (!kling_error_is_retryable (error)) {
      const gchar *type =
          soup_message_headers_get_content_type
          (soup_message_get_response_headers (call->msg), NULL);
      g_autofree gchar *what =
          g_strdup_printf ("HTTP %u with a %s body of %" G_GSIZE_FORMAT
          " bytes, not Kling's JSON envelope", status, type ? type : "typeless",
          len);

      g_clear_error (&error);
      error = answer_error (call, status, what, FALSE);
    }
    kling_error_set_foreign_answer (error, foreign);
  }
  if (error)
    kling_error_set_retry_after (error, parse_retry_after (call->msg));
  g_debug ("%s%s %s -> %u%s%s (request_id %s)", call->log_prefix, call->method,
      call->path, status, error ? ": " : "", error ? error->message : "",
      request_id ? request_id : "-");
  call_attempt_done (call, answer, request_id, g_steal_pointer (&error));
}

/* An attempt's transfer failed (or stalled, or was cancelled). */
static void
call_transfer_failed (KlingCall * call, const GError * io_error,
    const gchar * what)
{
  GError *error;

  if (g_cancellable_is_cancelled (call->cancellable)) {
    error = kling_cancelled_error ();
  } else if (call->watchdog.fired) {
    error = kling_error_new_full (KLING_ERROR_NETWORK, 0, -1, NULL, NULL, NULL,
        "no data for %.1f s %s",
        call->watchdog.timeout_us / (gdouble) G_USEC_PER_SEC, what);
  } else {
    call->never_sent = call->answer == NULL
        && kling_transfer_never_sent (io_error);
    error = kling_error_from_transfer (call->msg, io_error, what);
  }
  g_debug ("%s%s %s: %s", call->log_prefix, call->method, call->path,
      error->message);
  call_attempt_done (call, NULL, NULL, error);
}

static void call_read_more (KlingCall * call);

static void
call_read_done (GObject * source, GAsyncResult * result, gpointer data)
{
  KlingCall *call = data;
  g_autoptr (GError) io_error = NULL;
  g_autoptr (GBytes) chunk =
      g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result,
      &io_error);
  SoupMessageHeaders *headers;
  gsize size;

  if (chunk == NULL) {
    call_transfer_failed (call, io_error, "while reading the answer");
    return;
  }
  size = g_bytes_get_size (chunk);
  if (size > 0) {
    if (call->answer->len + size > KLING_CALL_MAX_ANSWER_BYTES) {
      call_attempt_done (call, NULL, NULL, answer_error (call,
              soup_message_get_status (call->msg),
              "the answer is larger than 16 MB: "
              "no Kling answer is; read no further", TRUE));
      return;
    }
    g_byte_array_append (call->answer, g_bytes_get_data (chunk, NULL), size);
    kling_watchdog_kick (&call->watchdog);
    call_read_more (call);
    return;
  }
  /* The end of the body: libsoup fails a chunked body cut short, we check the length. */
  headers = soup_message_get_response_headers (call->msg);
  if (soup_message_headers_get_encoding (headers) ==
      SOUP_ENCODING_CONTENT_LENGTH
      && soup_message_headers_get_content_length (headers) !=
      (goffset) call->answer->len) {
    call_attempt_done (call, NULL, NULL,
        kling_error_new_full (KLING_ERROR_NETWORK, 0, -1, NULL, NULL, NULL,
            "the answer was cut short: %u of %" G_GOFFSET_FORMAT " bytes",
            call->answer->len,
            soup_message_headers_get_content_length (headers)));
    return;
  }
  /* libsoup takes a chunked body whose connection closed between two chunks, before the
   * last one, for a whole body (and a body without a length ends with its connection):
   * JSON that stops inside its brackets was cut on the way, not garbled by the server. */
  if (soup_message_headers_get_encoding (headers) !=
      SOUP_ENCODING_CONTENT_LENGTH
      && kling_json_unfinished ((const gchar *) call->answer->data,
          call->answer->len)) {
    call_attempt_done (call, NULL, NULL,
        kling_error_new_full (KLING_ERROR_NETWORK,
            soup_message_get_status (call->msg), -1, NULL, NULL, NULL,
            "the answer was cut "
            "short: the connection ended after %u bytes, inside its JSON",
            call->answer->len));
    return;
  }
  call_parse_answer (call);
}

static void
call_read_more (KlingCall * call)
{
  g_input_stream_read_bytes_async (call->stream, READ_CHUNK_BYTES,
      G_PRIORITY_DEFAULT, call->attempt_cancellable, call_read_done, call);
}

/* --- redirects --------------------------------------------------------------------------- */

static gint
uri_port (GUri * uri)
{
  gint port = g_uri_get_port (uri);

  if (port > 0)
    return port;
  return g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0 ? 443 : 80;
}

static gboolean
same_origin (GUri * a, GUri * b)
{
  return g_ascii_strcasecmp (g_uri_get_scheme (a), g_uri_get_scheme (b)) == 0 &&
      g_ascii_strcasecmp (g_uri_get_host (a), g_uri_get_host (b)) == 0 &&
      uri_port (a) == uri_port (b);
}

/* A 3xx answer: follow it when it stays on the base URL's origin (the credentials may go
 * there), refuse it otherwise. Returns FALSE when the answer is no redirect. */
static gboolean
call_handle_redirect (KlingCall * call, guint status)
{
  const gchar *location =
      soup_message_headers_get_one (soup_message_get_response_headers
      (call->msg), "Location");
  g_autoptr (GUri) base = NULL, target = NULL;
  g_autofree gchar *shown = NULL;
  gboolean keeps_method = status == 307 || status == 308;

  if (!SOUP_STATUS_IS_REDIRECTION (status) || location == NULL)
    return FALSE;
  base = g_uri_parse (call->client->base_url, G_URI_FLAGS_NONE, NULL);
  target = g_uri_parse_relative (call->uri, location, G_URI_FLAGS_NONE, NULL);
  if (target == NULL || g_uri_get_host (target) == NULL) {
    call_attempt_done (call, NULL, NULL, answer_error (call, status,
            "the answer redirects to a location that is not a URL", TRUE));
    return TRUE;
  }
  shown =
      g_uri_to_string_partial (target,
      G_URI_HIDE_USERINFO | G_URI_HIDE_QUERY | G_URI_HIDE_FRAGMENT);
  if (!same_origin (base, target)) {
    g_autofree gchar *what =
        g_strdup_printf ("the server redirects to %s, another "
        "server: credentials are never sent there, set api-url to it if it is right",
        shown);
    call_attempt_done (call, NULL, NULL, answer_error (call, status, what,
            TRUE));
  } else if (!keeps_method && !g_str_equal (call->method, "GET")) {
    g_autofree gchar *what =
        g_strdup_printf ("the server redirects this %s to %s with "
        "HTTP %u, which would turn it into a GET: set api-url to it",
        call->method, shown,
        status);
    call_attempt_done (call, NULL, NULL, answer_error (call, status, what,
            TRUE));
  } else if (++call->redirects > KLING_CALL_MAX_REDIRECTS) {
    call_attempt_done (call, NULL, NULL, answer_error (call, status,
            "the server redirects in a loop", TRUE));
  } else {
    g_debug ("%s%s %s: redirected to %s", call->log_prefix, call->method,
        call->path, shown);
    g_uri_unref (call->uri);
    call->uri = g_steal_pointer (&target);
    attempt_clear (call);
    call->attempts--;           /* the same attempt, somewhere else */
    call_send (call);
  }
  return TRUE;
}

/* --- sending ----------------------------------------------------------------------------- */

static void
call_headers_received (GObject * source, GAsyncResult * result, gpointer data)
{
  KlingCall *call = data;
  g_autoptr (GError) io_error = NULL;
  SoupMessageHeaders *headers;
  guint status;

  call->stream =
      soup_session_send_finish (SOUP_SESSION (source), result, &io_error);
  if (call->stream == NULL) {
    call_transfer_failed (call, io_error, "");
    return;
  }
  status = soup_message_get_status (call->msg);
  if (call_handle_redirect (call, status))
    return;
  headers = soup_message_get_response_headers (call->msg);
  if (soup_message_headers_get_encoding (headers) ==
      SOUP_ENCODING_CONTENT_LENGTH
      && soup_message_headers_get_content_length (headers) >
      (goffset) KLING_CALL_MAX_ANSWER_BYTES) {
    call_attempt_done (call, NULL, NULL, answer_error (call, status,
            "the answer announces "
            "more than 16 MB: no Kling answer is; read no further", TRUE));
    return;
  }
  call->answer = g_byte_array_new ();
  kling_watchdog_kick (&call->watchdog);
  call_read_more (call);
}

static void
on_bytes_moved (SoupMessage * msg, gpointer data)
{
  kling_watchdog_kick (data);
}

static void
on_body_data (SoupMessage * msg, guint chunk_size, gpointer data)
{
  kling_watchdog_kick (data);
}

static void
set_auth_header (KlingClient * client, SoupMessage * msg)
{
  const gchar *name = NULL;
  gchar *value =
      kling_auth_dup_header (client->auth, g_get_real_time () / G_USEC_PER_SEC,
      &name);

  soup_message_headers_replace (soup_message_get_request_headers (msg), name,
      value);
  /* The header copy lives in the message only; wipe ours. */
  memset (value, 0, strlen (value));
  g_free (value);
}

static void
cancel_attempt (GCancellable * outer, gpointer attempt)
{
  g_cancellable_cancel (attempt);
}

static void
call_send (KlingCall * call)
{
  KlingClient *client = call->client;
  KlingRetryPolicy policy;

  if (g_cancellable_is_cancelled (call->cancellable)) {
    g_autoptr (GError) error = kling_cancelled_error ();

    call_complete (call, NULL, NULL, error);
    return;
  }
  call->attempts++;
  call->final = call->never_sent = FALSE;
  call->msg = soup_message_new_from_uri (call->method, call->uri);
  kling_network_prepare_message (&client->net, call->msg);
  soup_message_add_flags (call->msg, SOUP_MESSAGE_NO_REDIRECT);
  set_auth_header (client, call->msg);
  soup_message_headers_replace (soup_message_get_request_headers (call->msg),
      "Accept", "application/json");
  if (call->body)
    soup_message_set_request_body_from_bytes (call->msg, "application/json",
        call->body);

  kling_client_get_policy (client, &policy);
  call->attempt_cancellable = g_cancellable_new ();
  if (call->cancellable)
    call->cancel_handler = g_cancellable_connect (call->cancellable,
        G_CALLBACK (cancel_attempt), call->attempt_cancellable, NULL);
  kling_watchdog_start (&call->watchdog, client->context,
      call->spec.io_timeout_ms ? call->spec.
      io_timeout_ms : policy.io_timeout_ms, call->attempt_cancellable);
  g_signal_connect (call->msg, "wrote-headers", G_CALLBACK (on_bytes_moved),
      &call->watchdog);
  g_signal_connect (call->msg, "wrote-body-data", G_CALLBACK (on_body_data),
      &call->watchdog);
  g_signal_connect (call->msg, "got-headers", G_CALLBACK (on_bytes_moved),
      &call->watchdog);
  g_debug ("%s%s %s (attempt %u)", call->log_prefix, call->method, call->path,
      call->attempts);
  soup_session_send_async (client->session, call->msg, G_PRIORITY_DEFAULT,
      call->attempt_cancellable, call_headers_received, call);
}

void
kling_call_start (KlingClient * client, const KlingCallSpec * spec)
{
  KlingCall *call = g_new0 (KlingCall, 1);
  g_autofree gchar *url = g_strconcat (client->base_url, spec->path, NULL);

  call->client = client;
  call->spec = *spec;
  call->method = g_strdup (spec->method);
  call->path = g_strdup (spec->path);
  call->spec.method = call->method;
  call->spec.path = call->path;
  call->log_prefix = g_strdup (spec->log_prefix ? spec->log_prefix : "");
  call->spec.log_prefix = call->log_prefix;
  call->spec.body = NULL;
  call->uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);
  if (spec->body) {
    gchar *text = json_to_string (spec->body, FALSE);
    call->body = g_bytes_new_take (text, strlen (text));
  }
  call->cancellable =
      spec->cancellable ? g_object_ref (spec->cancellable) : NULL;
  call->spec.cancellable = NULL;
  call->started_us = g_get_monotonic_time ();
  client->pending_ops++;
  if (call->uri == NULL) {
    g_autoptr (GError) error =
        kling_error_new_full (KLING_ERROR_INVALID_INPUT, 0, -1, NULL, NULL,
        NULL, "cannot make a URL from api-url and %s", spec->path);
    call_complete (call, NULL, NULL, error);
    return;
  }
  call_send (call);
}
