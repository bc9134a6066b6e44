/* gst-kling: the Kling REST client's public side: credentials, the process-wide table of
 * shared clients, their settings, the worker thread (its GMainContext and SoupSession),
 * one-shot calls and shutdown. One API call is kling-call.c, a job kling-job.c, a
 * download kling-download.c; the rules they share are in kling-client-private.h. */
#include "config.h"
#include "kling-client-private.h"
#include "kling-call.h"
#include "kling-backoff.h"
#include "kling-poller.h"

#include <string.h>

/* Idle keep-alive connections are closed after this long. Transfers have no session-wide
 * timeout: each attempt has its own I/O inactivity timeout (KlingRetryPolicy). */
#define HTTP_IDLE_TIMEOUT_S 30
/* The defaults of KlingRetryPolicy (kling-client.h says why). */
#define DEFAULT_BUSY_MAX_DELAY_MS 30000
#define DEFAULT_IO_TIMEOUT_MS 20000
#define DEFAULT_RATE_WINDOW_MS 30000
/* libsoup's default of 2 per host would queue every element's polls behind two downloads. */
#define HTTP_MAX_CONNS_PER_HOST 8

G_LOCK_DEFINE_STATIC (clients);
static GHashTable *clients;     /* table_key -> KlingClient (weak: no reference) */

/* ====================================================================================== */
/* Credentials and the shared client table                                                */
/* ====================================================================================== */

static const gchar *
non_empty (const gchar * value)
{
  return value && *value ? value : NULL;
}

KlingAuth *
kling_auth_new_from_settings (const gchar * access_key,
    const gchar * secret_key, const gchar * api_key, KlingAuthHeader header,
    GError ** error)
{
  const gchar *ak = non_empty (access_key), *sk = non_empty (secret_key);
  const gchar *key = non_empty (api_key);

  /* What the element was given wins as a whole over the environment. */
  if (key)
    return kling_auth_new_static (key, header);
  if (!ak && !sk) {
    key = non_empty (g_getenv ("KLING_API_KEY"));
    if (key)
      return kling_auth_new_static (key, header);
  }
  if (!ak)
    ak = non_empty (g_getenv ("KLING_ACCESS_KEY"));
  if (!sk)
    sk = non_empty (g_getenv ("KLING_SECRET_KEY"));
  if (ak && sk)
    return kling_auth_new_jwt (ak, sk);

  g_propagate_error (error, kling_error_new_no_credentials (ak != NULL,
          sk != NULL));
  return NULL;
}

static gchar *
normalize_base_url (const gchar * base_url, GError ** error)
{
  const gchar *url = non_empty (base_url);
  g_autoptr (GUri) uri = NULL;
  gchar *copy;
  gsize len;

  if (url == NULL)
    url = non_empty (g_getenv ("KLING_API_URL"));
  if (url == NULL)
    url = KLING_DEFAULT_API_URL;
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL ||
      (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 &&
          g_strcmp0 (g_uri_get_scheme (uri), "https") != 0)) {
    g_propagate_error (error, kling_error_new_full (KLING_ERROR_INVALID_INPUT,
            0, -1, NULL, NULL, NULL, "api-url \"%s\" is not an http(s) URL",
            url));
    return NULL;
  }
  copy = g_strdup (url);
  len = strlen (copy);
  while (len > 0 && copy[len - 1] == '/')
    copy[--len] = '\0';
  /* Kling's docs name endpoints "/v1/videos/...": an api-url with the /v1 already in it
   * means the same server. */
  if (g_str_has_suffix (copy, "/v1") && *g_uri_get_path (uri) != '\0' &&
      g_uri_get_query (uri) == NULL && g_uri_get_fragment (uri) == NULL) {
    copy[len - 3] = '\0';
    g_debug
        ("api-url %s ends in /v1: using %s (the paths carry /v1 themselves)",
        url, copy);
  }
  return copy;
}

static gpointer worker_main (gpointer data);

static void
client_free (KlingClient * client)
{
  if (client->thread)
    g_thread_unref (client->thread);
  g_main_loop_unref (client->loop);
  g_main_context_unref (client->context);
  kling_auth_free (client->auth);
  kling_network_clear (&client->net);
  g_list_free (client->jobs);
  g_hash_table_unref (client->leaders);
  g_mutex_clear (&client->lock);
  g_mutex_clear (&client->ready_lock);
  g_cond_clear (&client->ready_cond);
  g_free (client->base_url);
  g_free (client->account);
  g_free (client->table_key);
  g_free (client);
}

/* Takes @base_url, @auth, @account, @table_key and the contents of @net. */
static KlingClient *
client_new (gchar * base_url, KlingAuth * auth, gchar * account,
    gchar * table_key, KlingNetwork * net)
{
  KlingClient *client = g_new0 (KlingClient, 1);

  client->ref_count = 1;
  client->base_url = base_url;
  client->auth = auth;
  client->account = account;
  client->table_key = table_key;
  client->net = *net;
  g_mutex_init (&client->lock);
  g_mutex_init (&client->ready_lock);
  g_cond_init (&client->ready_cond);
  client->policy = (KlingRetryPolicy) {
  .max_attempts = kling_network_max_attempts (&client->net),.base_delay_ms =
        1000,.max_delay_ms = 30000,.deadline_s = 120,.busy_max_delay_ms =
        DEFAULT_BUSY_MAX_DELAY_MS,.io_timeout_ms =
        DEFAULT_IO_TIMEOUT_MS,.min_download_rate = 8192,.rate_window_ms =
        DEFAULT_RATE_WINDOW_MS,};
  client->leaders =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  client->context = g_main_context_new ();
  client->loop = g_main_loop_new (client->context, FALSE);

  client->thread = g_thread_new ("kling-client", worker_main, client);
  /* The session is created on the worker: wait until it exists. */
  g_mutex_lock (&client->ready_lock);
  while (!client->ready)
    g_cond_wait (&client->ready_cond, &client->ready_lock);
  g_mutex_unlock (&client->ready_lock);
  return client;
}

KlingClient *
kling_client_acquire (const gchar * base_url, KlingAuth * auth, GError ** error)
{
  return kling_client_acquire_full (base_url, auth, NULL, error);
}

KlingClient *
kling_client_acquire_full (const gchar * base_url, KlingAuth * auth,
    const KlingNetworkSettings * settings, GError ** error)
{
  g_autofree gchar *url = NULL, *fingerprint = NULL, *account =
      NULL, *table_key = NULL;
  KlingNetwork net;
  KlingClient *client;

  g_return_val_if_fail (auth != NULL, NULL);
  url = normalize_base_url (base_url, error);
  if (url == NULL || !kling_network_init (&net, settings, error)) {
    kling_auth_free (auth);
    return NULL;
  }
  fingerprint = kling_auth_fingerprint (auth);
  account = g_strconcat (url, "\n", fingerprint, NULL);
  /* The account decides whose slots a render takes; the network settings only which
   * client (session, proxy, trust) carries it. */
  table_key = g_strconcat (account, "\n", net.key, NULL);

  G_LOCK (clients);
  if (clients == NULL)
    clients = g_hash_table_new (g_str_hash, g_str_equal);
  client = g_hash_table_lookup (clients, table_key);
  if (client) {
    g_atomic_int_inc (&client->ref_count);
    G_UNLOCK (clients);
    kling_network_clear (&net);
    kling_auth_free (auth);
    return client;
  }
  client = client_new (g_steal_pointer (&url), auth, g_steal_pointer (&account),
      g_steal_pointer (&table_key), &net);
  g_hash_table_insert (clients, client->table_key, client);
  G_UNLOCK (clients);
  g_debug ("new client for %s", client->base_url);
  return client;
}

KlingClient *
kling_client_ref (KlingClient * client)
{
  g_return_val_if_fail (client != NULL, NULL);
  g_atomic_int_inc (&client->ref_count);
  return client;
}

const gchar *
kling_client_get_base_url (KlingClient * client)
{
  return client->base_url;
}

void
kling_client_get_policy (KlingClient * client, KlingRetryPolicy * policy)
{
  g_mutex_lock (&client->lock);
  *policy = client->policy;
  g_mutex_unlock (&client->lock);
}

void
kling_client_set_policy (KlingClient * client, const KlingRetryPolicy * policy)
{
  g_return_if_fail (policy != NULL);
  g_mutex_lock (&client->lock);
  client->policy = *policy;
  client->policy.max_attempts = MAX (client->policy.max_attempts, 1);
  if (client->policy.busy_max_delay_ms == 0)
    client->policy.busy_max_delay_ms = DEFAULT_BUSY_MAX_DELAY_MS;
  if (client->policy.io_timeout_ms == 0)
    client->policy.io_timeout_ms = DEFAULT_IO_TIMEOUT_MS;
  if (client->policy.rate_window_ms == 0)
    client->policy.rate_window_ms = DEFAULT_RATE_WINDOW_MS;
  g_mutex_unlock (&client->lock);
}

void
kling_client_run_on_worker (GMainContext * context, GSourceFunc func,
    gpointer data, GDestroyNotify notify)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, notify);
  g_source_attach (source, context);
  g_source_unref (source);
}

/* ====================================================================================== */
/* Shared helpers: errors, timers, the retry policy                                        */
/* ====================================================================================== */

gdouble
kling_elapsed_s_since (gint64 start_us)
{
  return (g_get_monotonic_time () - start_us) / (gdouble) G_USEC_PER_SEC;
}

GError *
kling_cancelled_error (void)
{
  return kling_error_new_full (KLING_ERROR_CANCELLED, 0, -1, NULL, NULL, NULL,
      "cancelled");
}

GSource *
kling_wait_source_new (guint delay_ms, GCancellable * cancellable)
{
  GSource *timer = g_timeout_source_new (delay_ms);

  if (cancellable) {
    GSource *cancel = g_cancellable_source_new (cancellable);
    g_source_set_dummy_callback (cancel);
    g_source_add_child_source (timer, cancel);
    g_source_unref (cancel);
  }
  return timer;
}

gboolean
kling_client_next_retry_delay (KlingClient * client, guint attempts_made,
    gint64 started_us, const GError * error, guint * delay_ms)
{
  KlingRetryPolicy policy;
  KlingBackoff backoff;
  guint64 elapsed_ms = 0, deadline_ms = 0;

  kling_client_get_policy (client, &policy);
  backoff.base_delay_ms = policy.base_delay_ms;
  backoff.max_delay_ms = policy.max_delay_ms;
  *delay_ms = kling_backoff_delay_ms (&backoff, attempts_made,
      kling_error_get_retry_after (error),
      error->code == KLING_ERROR_RATE_LIMITED, g_random_double ());
  if (started_us > 0) {
    elapsed_ms = (g_get_monotonic_time () - started_us) / 1000;
    deadline_ms = (guint64) policy.deadline_s * 1000;
  }
  return kling_backoff_may_retry (attempts_made, policy.max_attempts,
      elapsed_ms, *delay_ms, deadline_ms);
}

void
kling_client_get_effective_policy (KlingClient * client,
    const KlingJobOptions * options, KlingRetryPolicy * policy)
{
  kling_client_get_policy (client, policy);
  if (options == NULL)
    return;
  if (options->io_timeout_ms)
    policy->io_timeout_ms = options->io_timeout_ms;
  if (options->min_download_rate)
    policy->min_download_rate = options->min_download_rate;
  if (options->rate_window_ms)
    policy->rate_window_ms = options->rate_window_ms;
}

const gchar *
kling_wait_reason_to_string (KlingWaitReason reason)
{
  static const gchar *const names[] = {
    [KLING_WAIT_RATE_LIMIT] = "rate-limit",
    [KLING_WAIT_BUSY_ACCOUNT] = "busy-account",
    [KLING_WAIT_LOCAL_QUEUE] = "local-queue",
    [KLING_WAIT_SERVER_ERROR] = "server-error",
    [KLING_WAIT_NETWORK] = "network",
  };

  g_return_val_if_fail ((guint) reason < G_N_ELEMENTS (names), NULL);
  return names[reason];
}

KlingWaitReason
kling_wait_reason_for_error (const GError * error)
{
  if (g_error_matches (error, KLING_ERROR, KLING_ERROR_RATE_LIMITED))
    return kling_error_get_kling_code (error) ==
        1303 ? KLING_WAIT_BUSY_ACCOUNT : KLING_WAIT_RATE_LIMIT;
  if (g_error_matches (error, KLING_ERROR, KLING_ERROR_NETWORK))
    return KLING_WAIT_NETWORK;
  return KLING_WAIT_SERVER_ERROR;
}

/* --- transfers: their failures and their inactivity timer -------------------------------- */

static const struct
{
  GTlsCertificateFlags flag;
  const gchar *what;
} tls_checks[] = {
  {G_TLS_CERTIFICATE_UNKNOWN_CA,
      "is not signed by a trusted certificate authority"},
  {G_TLS_CERTIFICATE_BAD_IDENTITY, "does not name the host"},
  {G_TLS_CERTIFICATE_NOT_ACTIVATED, "is not valid yet"},
  {G_TLS_CERTIFICATE_EXPIRED, "has expired"},
  {G_TLS_CERTIFICATE_REVOKED, "has been revoked"},
  {G_TLS_CERTIFICATE_INSECURE, "uses an insecure algorithm"},
  {G_TLS_CERTIFICATE_GENERIC_ERROR, "failed a check"},
};

GError *
kling_error_from_transfer (SoupMessage * msg, const GError * io_error,
    const gchar * what)
{
  GTlsCertificateFlags flags =
      msg ? soup_message_get_tls_peer_certificate_errors (msg) : 0;
  GUri *uri = msg ? soup_message_get_uri (msg) : NULL;
  const gchar *host = uri
      && g_uri_get_host (uri) ? g_uri_get_host (uri) : "the server";
  g_autoptr (GString) reasons = NULL;
  guint i;

  if (flags != 0
      || g_error_matches (io_error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE)) {
    reasons = g_string_new (NULL);
    for (i = 0; i < G_N_ELEMENTS (tls_checks); i++) {
      if (flags & tls_checks[i].flag)
        g_string_append_printf (reasons, "%s%s", reasons->len ? ", " : "",
            tls_checks[i].what);
    }
    return kling_error_new_full (KLING_ERROR_TLS, 0, -1, NULL, NULL, NULL,
        "the certificate of %s %s", host, reasons->len ? reasons->str :
        (io_error ? io_error->message : "was refused"));
  }
  return kling_error_new_full (KLING_ERROR_NETWORK, 0, -1, NULL, NULL, NULL,
      "%s%s%s", io_error ? io_error->message : "transfer failed", what
      && *what ? " " : "", what ? what : "");
}

gboolean
kling_transfer_never_sent (const GError * io_error)
{
  return io_error != NULL && (io_error->domain == G_RESOLVER_ERROR ||
      g_error_matches (io_error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED) ||
      g_error_matches (io_error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE) ||
      g_error_matches (io_error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE));
}

static gboolean
watchdog_dispatch (GSource * source, GSourceFunc callback, gpointer data)
{
  return callback (data);
}

static GSourceFuncs watchdog_funcs =
    { NULL, NULL, watchdog_dispatch, NULL, NULL, NULL };

static gboolean
watchdog_fire (gpointer data)
{
  KlingWatchdog *dog = data;

  dog->fired = TRUE;
  g_cancellable_cancel (dog->cancellable);
  return G_SOURCE_REMOVE;
}

void
kling_watchdog_start (KlingWatchdog * dog, GMainContext * context,
    guint timeout_ms, GCancellable * cancellable)
{
  kling_watchdog_stop (dog);
  dog->fired = FALSE;
  dog->timeout_us = (gint64) MAX (timeout_ms, 1) * 1000;
  dog->cancellable = g_object_ref (cancellable);
  dog->source = g_source_new (&watchdog_funcs, sizeof (GSource));
  g_source_set_callback (dog->source, watchdog_fire, dog, NULL);
  g_source_set_ready_time (dog->source,
      g_get_monotonic_time () + dog->timeout_us);
  g_source_attach (dog->source, context);
}

void
kling_watchdog_kick (KlingWatchdog * dog)
{
  if (dog->source && !dog->fired)
    g_source_set_ready_time (dog->source,
        g_get_monotonic_time () + dog->timeout_us);
}

void
kling_watchdog_stop (KlingWatchdog * dog)
{
  if (dog->source) {
    g_source_destroy (dog->source);
    g_clear_pointer (&dog->source, g_source_unref);
  }
  g_clear_object (&dog->cancellable);
}

/* ====================================================================================== */
/* One-shot calls (identify-face)                                                          */
/* ====================================================================================== */

typedef struct
{
  GCancellable *internal;       /* what the call uses, cancelled on the worker only */
  GCancellable *external;       /* the caller's, may be NULL */
  gulong handler;
  KlingCallCallback callback;
  KlingCallWaitingCallback waiting;     /* may be NULL */
  gpointer user_data;
} OneShot;

static gboolean
cancel_on_worker (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

typedef struct
{
  GMainContext *context;
  GCancellable *internal;
} CancelForward;

static void
cancel_forward_free (gpointer data)
{
  CancelForward *forward = data;

  g_main_context_unref (forward->context);
  g_object_unref (forward->internal);
  g_free (forward);
}

/* The caller may cancel from any thread: hand it to the worker, where soup runs. */
static void
external_cancelled (GCancellable * external, gpointer data)
{
  CancelForward *forward = data;

  kling_client_run_on_worker (forward->context, cancel_on_worker,
      g_object_ref (forward->internal), g_object_unref);
}

static void
oneshot_done (KlingClient * client, JsonNode * data, const gchar * request_id,
    const GError * error, gpointer user_data)
{
  OneShot *shot = user_data;

  client->oneshot_cancellables = g_list_remove (client->oneshot_cancellables,
      shot->internal);
  if (shot->external)
    g_cancellable_disconnect (shot->external, shot->handler);
  shot->callback (error ? NULL : data, error, shot->user_data);
  g_clear_object (&shot->external);
  g_object_unref (shot->internal);
  g_free (shot);
}

/* A retry of the call is about to wait: tell the caller (on the worker, as ever). */
static void
oneshot_waiting (KlingWaitReason reason, guint delay_ms, guint attempt,
    const GError * cause, gpointer user_data)
{
  OneShot *shot = user_data;

  if (shot->waiting)
    shot->waiting (reason, delay_ms, attempt, cause, shot->user_data);
}

typedef struct
{
  KlingClient *client;
  KlingEndpoint endpoint;
  JsonNode *body;
  OneShot *shot;
} OneShotStart;

static gboolean
oneshot_begin (gpointer data)
{
  OneShotStart *start = data;
  KlingClient *client = start->client;
  OneShot *shot = start->shot;

  if (client->shutting_down) {
    /* The session may be gone already: answer without touching it. */
    g_autoptr (GError) error = kling_cancelled_error ();

    oneshot_done (client, NULL, NULL, error, shot);
    start->shot = NULL;
    return G_SOURCE_REMOVE;
  }
  client->oneshot_cancellables = g_list_prepend (client->oneshot_cancellables,
      shot->internal);
  {
    /* identify-face makes a session and is charged for it, a little (docs/kling-api.md),
     * but no query finds a session whose answer was lost or garbled: the only way on is
     * a new one, which is what a rerun would pay too. So an ambiguous failure is retried
     * like a query's, within the policy's attempts. */
    KlingCallSpec spec = {
      .method = "POST",.path = kling_endpoint_path (start->endpoint),.body =
          start->body,
      .cancellable = shot->internal,.retry_ambiguous = TRUE,.done =
          oneshot_done,
      .waiting = oneshot_waiting,.user_data = shot,
    };
    kling_call_start (client, &spec);
  }
  start->shot = NULL;
  return G_SOURCE_REMOVE;
}

static void
oneshot_start_free (gpointer data)
{
  OneShotStart *start = data;

  json_node_unref (start->body);
  g_free (start);
}

void
kling_client_call (KlingClient * client, KlingEndpoint endpoint,
    JsonNode * body, GCancellable * cancellable, KlingCallCallback callback,
    gpointer user_data)
{
  kling_client_call_full (client, endpoint, body, cancellable, NULL, callback,
      user_data);
}

void
kling_client_call_full (KlingClient * client, KlingEndpoint endpoint,
    JsonNode * body, GCancellable * cancellable,
    KlingCallWaitingCallback waiting, KlingCallCallback callback,
    gpointer user_data)
{
  OneShotStart *start;
  OneShot *shot;

  g_return_if_fail (client != NULL && body != NULL && callback != NULL);
  shot = g_new0 (OneShot, 1);
  shot->internal = g_cancellable_new ();
  shot->callback = callback;
  shot->waiting = waiting;
  shot->user_data = user_data;
  if (cancellable) {
    CancelForward *forward = g_new0 (CancelForward, 1);

    forward->context = g_main_context_ref (client->context);
    forward->internal = g_object_ref (shot->internal);
    shot->external = g_object_ref (cancellable);
    shot->handler =
        g_cancellable_connect (cancellable, G_CALLBACK (external_cancelled),
        forward, cancel_forward_free);
  }
  start = g_new0 (OneShotStart, 1);
  start->client = client;
  start->endpoint = endpoint;
  start->body = json_node_copy (body);
  start->shot = shot;
  kling_client_run_on_worker (client->context, oneshot_begin, start,
      oneshot_start_free);
}

KlingPoller *
kling_client_get_poller (KlingClient * client)
{
  if (client->poller == NULL)
    client->poller = kling_poller_new (client);
  return client->poller;
}

/* ====================================================================================== */
/* The worker thread and shutdown                                                          */
/* ====================================================================================== */

static gpointer
worker_main (gpointer data)
{
  KlingClient *client = data;

  g_main_context_push_thread_default (client->context);
  /* libsoup 3 binds a session to the thread-default context it was created in. */
  client->session =
      kling_network_session_new (&client->net, HTTP_IDLE_TIMEOUT_S,
      HTTP_MAX_CONNS_PER_HOST);

  g_mutex_lock (&client->ready_lock);
  client->ready = TRUE;
  g_cond_signal (&client->ready_cond);
  g_mutex_unlock (&client->ready_lock);

  g_main_loop_run (client->loop);

  /* Every operation was cancelled: let their completions run, so nothing leaks. */
  while (client->pending_ops > 0)
    g_main_context_iteration (client->context, TRUE);
  g_clear_pointer (&client->poller, kling_poller_free);
  soup_session_abort (client->session);
  g_clear_object (&client->session);
  while (g_main_context_iteration (client->context, FALSE));
  g_main_context_pop_thread_default (client->context);

  if (client->free_on_worker)
    client_free (client);
  return NULL;
}

static gboolean
shutdown_on_worker (gpointer data)
{
  KlingClient *client = data;
  GList *jobs, *l;

  client->shutting_down = TRUE;
  g_mutex_lock (&client->lock);
  jobs = g_list_copy (client->jobs);
  for (l = jobs; l; l = l->next)
    kling_job_ref (l->data);
  g_mutex_unlock (&client->lock);
  for (l = jobs; l; l = l->next)
    kling_job_finish_cancelled (l->data);
  g_list_free_full (jobs, (GDestroyNotify) kling_job_unref);
  for (l = client->oneshot_cancellables; l; l = l->next)
    g_cancellable_cancel (l->data);
  if (client->poller)
    kling_poller_cancel (client->poller);
  g_main_loop_quit (client->loop);
  return G_SOURCE_REMOVE;
}

void
kling_client_unref (KlingClient * client)
{
  g_return_if_fail (client != NULL);

  /* Decided under the table lock, so kling_client_acquire() never revives a dying one. */
  G_LOCK (clients);
  if (!g_atomic_int_dec_and_test (&client->ref_count)) {
    G_UNLOCK (clients);
    return;
  }
  if (clients && g_hash_table_lookup (clients, client->table_key) == client)
    g_hash_table_remove (clients, client->table_key);
  G_UNLOCK (clients);

  g_debug ("stopping client for %s", client->base_url);
  kling_client_run_on_worker (client->context, shutdown_on_worker, client,
      NULL);
  if (g_thread_self () == client->thread) {
    /* Called from a callback: the worker cannot join itself; it frees the client when
     * its loop ends. */
    client->free_on_worker = TRUE;
    return;
  }
  g_thread_join (client->thread);
  client->thread = NULL;
  client_free (client);
}
