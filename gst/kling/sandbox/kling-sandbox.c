/* kling-sandbox: lifecycle, HTTP routing, the fault rules' hold on requests and the
 * control API (how answers and faults are written is sandbox-respond.c's).
 *
 * Everything HTTP runs on one thread with its own GMainContext (libsoup binds a server to
 * the context it was created on). Renders run on a thread pool and report back to that
 * context, so queries keep being answered while a clip renders.
 */
#include "config.h"
#include "sandbox-private.h"
#include "sandbox-wire.h"

#include <string.h>
#include <gst/gst.h>
#include <openssl/rand.h>


typedef struct
{
  KlingSandbox *sandbox;
  SoupServerMessage *msg;
  gchar *method;
  gchar *path;
  GHashTable *query;
  SandboxFault *fault;
} SandboxRequest;

void
kling_sandbox_options_init (KlingSandboxOptions * options)
{
  g_return_if_fail (options != NULL);

  memset (options, 0, sizeof (*options));
  options->queue_delay_s = 1.0;
  options->render_delay_s = 3.0;
  options->video_scale = 1.0;
  options->url_ttl_s = 3600;
}

gchar *
sandbox_new_id (const gchar * prefix)
{
  g_autofree gchar *uuid = g_uuid_string_random ();
  return g_strconcat (prefix, uuid, NULL);
}

gchar *
sandbox_format_decimal (gdouble value, guint decimals)
{
  gchar *text = g_strdup_printf ("%.*f", (gint) decimals, value);
  gchar *end = text + strlen (text) - 1;

  if (strchr (text, '.') == NULL)
    return text;
  while (*end == '0')
    *end-- = '\0';
  if (*end == '.')
    *end = '\0';
  return text;
}

/* ---- responses ---------------------------------------------------------------------- */

static gchar *
new_request_id (void)
{
  return g_uuid_string_random ();
}

void
sandbox_response_json (SandboxResponse * resp, guint status, guint code,
    const gchar * message, JsonNode * data)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree gchar *request_id = new_request_id ();
  gchar *text;
  gsize len;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_int_value (builder, code);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_set_member_name (builder, "request_id");
  json_builder_add_string_value (builder, request_id);
  if (data != NULL) {
    json_builder_set_member_name (builder, "data");
    json_builder_add_value (builder, json_node_ref (data));
  }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  len = strlen (text);

  g_clear_pointer (&resp->body, g_bytes_unref);
  resp->status = status;
  resp->body = g_bytes_new_take (text, len);
  resp->content_type = "application/json";
}

void
sandbox_response_error (SandboxResponse * resp, guint status, guint code,
    const gchar * format, ...)
{
  g_autofree gchar *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  sandbox_response_json (resp, status, code, message, NULL);
}

void
sandbox_response_text (SandboxResponse * resp, guint status, const gchar * text)
{
  g_clear_pointer (&resp->body, g_bytes_unref);
  resp->status = status;
  resp->body = g_bytes_new (text, strlen (text));
  resp->content_type = "text/plain";
}

void
sandbox_response_clear (SandboxResponse * resp)
{
  g_clear_pointer (&resp->body, g_bytes_unref);
  g_clear_pointer (&resp->content_range, g_free);
  g_clear_pointer (&resp->location, g_free);
}

/* ---- control API -------------------------------------------------------------------- */

static void
json_response_take_string (SandboxResponse * resp, guint status, gchar * text)
{
  g_clear_pointer (&resp->body, g_bytes_unref);
  resp->status = status;
  resp->body = g_bytes_new_take (text, strlen (text));
  resp->content_type = "application/json";
}

static void
handle_control (KlingSandbox * sandbox, const gchar * method,
    const gchar * path, GBytes * body, SandboxResponse * resp)
{
  g_autoptr (GError) error = NULL;

  if (!sandbox->options.control) {
    sandbox_response_text (resp, 404,
        "Not Found (start the sandbox with --control)\n");
    return;
  }
  if (g_str_equal (path, "/sandbox/faults") && g_str_equal (method, "POST")) {
    g_autofree gchar *text = g_strndup (g_bytes_get_data (body, NULL),
        g_bytes_get_size (body));
    SandboxFault *fault = sandbox_fault_new_from_json (text, &error);

    if (fault == NULL) {
      g_autofree gchar *escaped = g_strescape (error->message, NULL);
      json_response_take_string (resp, 400,
          g_strdup_printf ("{\"error\": \"%s\"}", escaped));
      return;
    }
    json_response_take_string (resp, 200,
        g_strdup_printf ("{\"id\": %u}", sandbox_add_fault (sandbox, fault)));
  } else if (g_str_equal (path, "/sandbox/faults")
      && g_str_equal (method, "DELETE")) {
    kling_sandbox_clear_faults (sandbox);
    json_response_take_string (resp, 200, g_strdup ("{}"));
  } else if (g_str_equal (path, "/sandbox/counters")
      && g_str_equal (method, "GET")) {
    json_response_take_string (resp, 200,
        kling_sandbox_dup_counters_json (sandbox));
  } else if (g_str_equal (path, "/sandbox/reset")
      && g_str_equal (method, "POST")) {
    kling_sandbox_reset (sandbox);
    json_response_take_string (resp, 200, g_strdup ("{}"));
  } else {
    sandbox_response_text (resp, 404, "Not Found\n");
  }
}

/* ---- routing ------------------------------------------------------------------------ */

static const gchar *
counted_method (const gchar * method)
{
  static const gchar *const known[] =
      { "GET", "POST", "PUT", "DELETE", "HEAD", "PATCH",
    "OPTIONS", NULL
  };

  for (guint i = 0; known[i]; i++)
    if (g_str_equal (method, known[i]))
      return known[i];
  return "OTHER";
}

/* Splits "/v1/videos/<endpoint>[/<id>]"; FALSE for anything else. */
static gboolean
parse_api_path (const gchar * path, gchar ** endpoint, gchar ** id)
{
  const gchar *rest, *slash;

  if (!g_str_has_prefix (path, "/v1/videos/"))
    return FALSE;
  rest = path + strlen ("/v1/videos/");
  slash = strchr (rest, '/');
  *endpoint = slash ? g_strndup (rest, slash - rest) : g_strdup (rest);
  *id = slash && slash[1] ? g_strdup (slash + 1) : NULL;
  if (!sandbox_is_endpoint (*endpoint) || (*id && strchr (*id, '/'))) {
    g_clear_pointer (endpoint, g_free);
    g_clear_pointer (id, g_free);
    return FALSE;
  }
  return TRUE;
}

static gchar *
counter_key (const gchar * method, const gchar * path)
{
  g_autofree gchar *endpoint = NULL;
  g_autofree gchar *id = NULL;

  g_autofree gchar *model = NULL;
  const gchar *kind;

  if (parse_api_path (path, &endpoint, &id))
    return g_strdup_printf ("%s /v1/videos/%s", counted_method (method),
        endpoint);
  /* The per-model API's path is its own key: "POST /image-to-video/kling-3.0". */
  if (sandbox_parse_v2_path (path, &kind, &model) && model == NULL)
    return g_strdup_printf ("%s /%s", counted_method (method), kind);
  /* Only the table's models get a key of their own: the counters stay bounded. */
  if (model != NULL)
    return g_strdup_printf ("%s /%s/%s", counted_method (method), kind,
        sandbox_model_v2_lookup (model) ? model : "(unknown model)");
  if (g_str_has_prefix (path, "/files/"))
    return g_strdup_printf ("%s /files", counted_method (method));
  return g_strdup_printf ("%s (unknown path)", counted_method (method));
}

static void
request_free (SandboxRequest * req)
{
  g_object_unref (req->msg);
  g_free (req->method);
  g_free (req->path);
  g_clear_pointer (&req->query, g_hash_table_unref);
  g_clear_pointer (&req->fault, sandbox_fault_free);
  g_free (req);
}

static void
dispatch (SandboxRequest * req)
{
  KlingSandbox *sandbox = req->sandbox;
  SoupMessageBody *request_body =
      soup_server_message_get_request_body (req->msg);
  g_autoptr (GBytes) body = soup_message_body_flatten (request_body);
  SandboxResponse resp = { 0, };
  g_autofree gchar *endpoint = NULL;
  g_autofree gchar *id = NULL;
  g_autofree gchar *model = NULL;
  const gchar *kind;

  if (req->fault && req->fault->kind == SANDBOX_FAULT_EXPIRE_URL)
    resp.expire_urls = TRUE;
  if (req->fault && req->fault->kind == SANDBOX_FAULT_FAIL_TASK) {
    resp.fail_task = TRUE;
    resp.fail_message = req->fault->message;
  }

  if (g_str_has_prefix (req->path, "/files/")) {
    if (g_str_equal (req->method, "GET") || g_str_equal (req->method, "HEAD"))
      sandbox_serve_file (sandbox, req->msg, req->path, req->query, &resp);
    else
      sandbox_response_text (&resp, 405, "Method Not Allowed\n");
  } else if (parse_api_path (req->path, &endpoint, &id)) {
    if (sandbox_check_auth (sandbox, req->msg, &resp))
      sandbox_handle_api (sandbox, req->method, endpoint, id, req->query, body,
          &resp);
  } else if (sandbox_parse_v2_path (req->path, &kind, &model)) {
    if (sandbox_check_api_key_auth (sandbox, req->msg, &resp))
      sandbox_handle_v2 (sandbox, req->method, kind, model, req->query, body,
          &resp);
  } else {
    sandbox_response_error (&resp, 404, 1203, "Unknown resource: %s",
        g_utf8_validate (req->path, -1, NULL) ? req->path : "(not UTF-8)");
  }
  sandbox_respond (sandbox, req->msg, req->method, req->fault, &resp);
  sandbox_response_clear (&resp);
}

static gboolean
delayed_dispatch (gpointer user_data)
{
  SandboxRequest *req = user_data;
  GSource *source = g_main_current_source ();

  /* The table's reference goes; the context keeps its own until this returns. */
  if (g_hash_table_steal (req->sandbox->delayed, source))
    g_source_unref (source);
  /* The delay is spent; whatever else the rule says does not apply a second time. */
  g_clear_pointer (&req->fault, sandbox_fault_free);
  dispatch (req);
  soup_server_message_unpause (req->msg);
  return G_SOURCE_REMOVE;
}

/* A delay holds the request, then serves it normally: even when the client has hung up
 * meanwhile (a create is then made all the same, as a server that got it would). At
 * stop, the held requests are dropped unserved. */
static void
hold_request (SandboxRequest * req)
{
  GSource *source = g_timeout_source_new ((guint) (MAX (0.0,
              req->fault->seconds) * 1000.0 + 0.5));

  soup_server_message_pause (req->msg);
  g_source_set_callback (source, delayed_dispatch, req,
      (GDestroyNotify) request_free);
  g_source_attach (source, req->sandbox->context);
  g_hash_table_add (req->sandbox->delayed, source);
}

static void
destroy_source (GSource * source)
{
  g_source_destroy (source);
  g_source_unref (source);
}

guint
sandbox_timeout_add (KlingSandbox * sandbox, gdouble seconds, GSourceFunc func,
    gpointer data, GDestroyNotify destroy)
{
  GSource *source =
      g_timeout_source_new ((guint) (MAX (0.0, seconds) * 1000.0 + 0.5));
  guint id;

  g_source_set_callback (source, func, data, destroy);
  id = g_source_attach (source, sandbox->context);
  g_source_unref (source);
  return id;
}

/* Runs @func on the server thread, whoever calls this and whenever: always queued
 * (g_main_context_invoke() runs it in the caller when the context is free, as it is
 * once the server thread has left its loop at shutdown). */
void
sandbox_idle_add (KlingSandbox * sandbox, GSourceFunc func, gpointer data,
    GDestroyNotify destroy)
{
  GSource *source = g_idle_source_new ();

  g_source_set_callback (source, func, data, destroy);
  g_source_attach (source, sandbox->context);
  g_source_unref (source);
}

static void
apply_fault (SandboxRequest * req)
{
  if (req->fault->kind == SANDBOX_FAULT_DELAY) {
    hold_request (req);
    return;
  }
  if (!sandbox_respond_instead (req->sandbox, req->msg, req->path, req->query,
          req->fault))
    dispatch (req);
  request_free (req);
}

/* Authorization, X-API-Key or an api_key in the query: counted (never read further), so
 * a test can tell that a client sent none to another origin. */
static gboolean
carries_credentials (SoupServerMessage * msg, GHashTable * query)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  return soup_message_headers_get_one (headers, "Authorization") != NULL ||
      soup_message_headers_get_one (headers, "X-API-Key") != NULL ||
      (query != NULL && g_hash_table_contains (query, "api_key"));
}

static void
server_callback (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  KlingSandbox *sandbox = user_data;
  const gchar *method = soup_server_message_get_method (msg);
  SandboxRequest *req;
  g_autofree gchar *key = NULL;
  g_autofree gchar *endpoint = NULL;
  g_autofree gchar *id = NULL;
  g_autofree gchar *model = NULL;
  const gchar *kind = NULL;
  gboolean creates_task;

  if (g_str_has_prefix (path, "/sandbox/")) {
    SoupMessageBody *request_body = soup_server_message_get_request_body (msg);
    g_autoptr (GBytes) body = soup_message_body_flatten (request_body);
    SandboxResponse resp = { 0, };

    handle_control (sandbox, method, path, body, &resp);
    sandbox_respond (sandbox, msg, method, NULL, &resp);
    sandbox_response_clear (&resp);
    return;
  }

  key = counter_key (method, path);
  sandbox_count_request (sandbox, key);
  sandbox_count_user_agent (sandbox,
      soup_message_headers_get_one (soup_server_message_get_request_headers
          (msg), "User-Agent"));
  if (carries_credentials (msg, query))
    sandbox_count_credentialed (sandbox, key);

  creates_task = g_str_equal (method, "POST") &&
      ((parse_api_path (path, &endpoint, &id) && id == NULL &&
          sandbox_endpoint_creates_task (endpoint)) ||
      (sandbox_parse_v2_path (path, &kind, &model) && model != NULL));

  req = g_new0 (SandboxRequest, 1);
  req->sandbox = sandbox;
  req->msg = g_object_ref (msg);
  req->method = g_strdup (method);
  req->path = g_strdup (path);
  req->query = query ? g_hash_table_ref (query) : NULL;
  req->fault = sandbox_pick_fault (sandbox, method, path, creates_task);

  if (req->fault != NULL) {
    apply_fault (req);
  } else {
    dispatch (req);
    request_free (req);
  }
}

/* Answers before libsoup reads the body, then closes: for bodies we will not read. */
static void
refuse_body (SoupServerMessage * msg, guint status, const gchar * message)
{
  KlingSandbox *sandbox = g_object_get_data (G_OBJECT (msg), "kling-sandbox");
  SandboxResponse resp = { 0, };

  sandbox_response_error (&resp, status, 1200, "Invalid request: %s", message);
  sandbox_respond_raw (sandbox, msg, &resp);
  sandbox_response_clear (&resp);
}

static void
refuse_too_large (SoupServerMessage * msg)
{
  refuse_body (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
      "the body is larger than 32 MB");
}

static void
count_chunk (SoupServerMessage * msg, GBytes * chunk, gpointer user_data)
{
  gsize *received =
      g_object_get_data (G_OBJECT (msg), "kling-sandbox-received");

  *received += g_bytes_get_size (chunk);
  if (*received > SANDBOX_MAX_BODY_BYTES) {
    g_signal_handlers_disconnect_by_func (msg, count_chunk, user_data);
    refuse_too_large (msg);
  }
}

/* Refuses huge bodies before libsoup holds them in memory: from the Content-Length, or
 * while a chunked body arrives. */
static void
early_callback (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  g_object_set_data (G_OBJECT (msg), "kling-sandbox", user_data);
  if (soup_message_headers_get_encoding (headers) ==
      SOUP_ENCODING_CONTENT_LENGTH) {
    goffset length = soup_message_headers_get_content_length (headers);

    /* libsoup parses "-5" as -5 and warns when it meets it again: stop here. */
    if (length < 0)
      refuse_body (msg, SOUP_STATUS_BAD_REQUEST, "bad Content-Length");
    else if (length > SANDBOX_MAX_BODY_BYTES)
      refuse_too_large (msg);
    return;
  }
  g_object_set_data_full (G_OBJECT (msg), "kling-sandbox-received",
      g_new0 (gsize, 1), g_free);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (count_chunk), NULL);
}

/* ---- lifecycle ---------------------------------------------------------------------- */

typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean done;
  GError *error;
} StartupState;

static gboolean
listen_on_loopback (KlingSandbox * sandbox, GError ** error)
{
  g_autoptr (GTlsCertificate) certificate = NULL;
  const gchar *pem = sandbox->options.tls_certificate_file;
  SoupServerListenOptions listen = SOUP_SERVER_LISTEN_IPV4_ONLY;
  GSList *uris;
  guint port;

  if (pem) {
    certificate = g_tls_certificate_new_from_file (pem, error);
    if (certificate == NULL)
      return FALSE;
    listen |= SOUP_SERVER_LISTEN_HTTPS;
  }
  sandbox->server = soup_server_new ("server-header", "kling-sandbox/" VERSION,
      "tls-certificate", certificate, NULL);
  soup_server_add_early_handler (sandbox->server, NULL, early_callback, sandbox,
      NULL);
  soup_server_add_handler (sandbox->server, NULL, server_callback, sandbox,
      NULL);
  if (!soup_server_listen_local (sandbox->server, sandbox->options.port, listen,
          error))
    return FALSE;

  uris = soup_server_get_uris (sandbox->server);
  port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  sandbox->port = port;
  sandbox->base_url =
      g_strdup_printf ("%s://127.0.0.1:%u", pem ? "https" : "http", port);
  return TRUE;
}

static gpointer
server_thread (gpointer user_data)
{
  KlingSandbox *sandbox = user_data;
  StartupState *startup = sandbox->startup;
  GError *error = NULL;
  gboolean ok;

  g_main_context_push_thread_default (sandbox->context);
  ok = listen_on_loopback (sandbox, &error);

  g_mutex_lock (&startup->lock);
  startup->error = error;
  startup->done = TRUE;
  g_cond_signal (&startup->cond);
  g_mutex_unlock (&startup->lock);

  if (ok)
    g_main_loop_run (sandbox->loop);

  /* Stop renders first: their completions are dropped once stopping is set. Then, with
   * no request coming in any more, what the fault rules hold: delayed requests, and the
   * connections written or held by hand. */
  sandbox_tasks_shutdown (sandbox);
  if (sandbox->server)
    soup_server_disconnect (sandbox->server);
  g_hash_table_remove_all (sandbox->delayed);
  sandbox_wire_shutdown (sandbox);
  g_clear_object (&sandbox->server);
  soup_session_abort (sandbox->session);
  g_clear_object (&sandbox->session);
  /* Drain whatever the teardown queued (closures holding messages and tasks). */
  while (g_main_context_iteration (sandbox->context, FALSE));
  g_main_context_pop_thread_default (sandbox->context);
  return NULL;
}

static void
sandbox_free (KlingSandbox * sandbox)
{
  if (sandbox->tmp_dir) {
    g_autoptr (GFile) dir = g_file_new_for_path (sandbox->tmp_dir);
    g_autoptr (GFileEnumerator) children = g_file_enumerate_children (dir,
        G_FILE_ATTRIBUTE_STANDARD_NAME, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
        NULL, NULL);
    GFileInfo *info;

    while (children
        && (info = g_file_enumerator_next_file (children, NULL, NULL))) {
      g_autoptr (GFile) child =
          g_file_get_child (dir, g_file_info_get_name (info));
      g_file_delete (child, NULL, NULL);
      g_object_unref (info);
    }
    g_file_delete (dir, NULL, NULL);
    g_free (sandbox->tmp_dir);
  }
  g_clear_pointer (&sandbox->loop, g_main_loop_unref);
  g_clear_pointer (&sandbox->context, g_main_context_unref);
  g_clear_pointer (&sandbox->faults, g_ptr_array_unref);
  g_clear_pointer (&sandbox->wires, g_hash_table_unref);
  g_clear_pointer (&sandbox->delayed, g_hash_table_unref);
  sandbox_counters_free (sandbox);
  g_mutex_clear (&sandbox->lock);
  g_free (sandbox->base_url);
  g_free (sandbox->access_key);
  if (sandbox->secret_key)
    memset (sandbox->secret_key, 0, strlen (sandbox->secret_key));
  g_free (sandbox->secret_key);
  if (sandbox->api_key)
    memset (sandbox->api_key, 0, strlen (sandbox->api_key));
  g_free (sandbox->api_key);
  memset (sandbox->url_secret, 0, sizeof (sandbox->url_secret));
  g_free (sandbox);
}

static gboolean
check_options (const KlingSandboxOptions * options, GError ** error)
{
  if ((options->access_key == NULL) != (options->secret_key == NULL)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "the access key and the secret key go together");
    return FALSE;
  }
  if (options->queue_delay_s < 0 || options->render_delay_s < 0 ||
      options->video_scale <= 0 || options->video_scale > 4.0
      || options->port > 65535) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "delays must be >= 0, the video scale in (0, 4], the port <= 65535");
    return FALSE;
  }
  return TRUE;
}

KlingSandbox *
kling_sandbox_start (const KlingSandboxOptions * options, GError ** error)
{
  KlingSandbox *sandbox;
  StartupState startup = { 0, };

  g_return_val_if_fail (options != NULL, NULL);
  if (!check_options (options, error))
    return NULL;
  if (!gst_is_initialized ())
    gst_init (NULL, NULL);

  sandbox = g_new0 (KlingSandbox, 1);
  sandbox->options = *options;
  sandbox->access_key = g_strdup (options->access_key);
  sandbox->secret_key = g_strdup (options->secret_key);
  sandbox->api_key = g_strdup (options->api_key);
  sandbox->options.access_key = sandbox->options.secret_key = NULL;
  sandbox->options.api_key = NULL;
  g_mutex_init (&sandbox->lock);
  sandbox->faults =
      g_ptr_array_new_with_free_func ((GDestroyNotify) sandbox_fault_free);
  sandbox->wires = g_hash_table_new (NULL, NULL);
  sandbox->delayed =
      g_hash_table_new_full (NULL, NULL, (GDestroyNotify) destroy_source, NULL);
  sandbox_counters_init (sandbox);

  if (RAND_bytes (sandbox->url_secret, sizeof (sandbox->url_secret)) != 1) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "no random bytes for URL signing");
    sandbox_free (sandbox);
    return NULL;
  }
  sandbox->tmp_dir = g_dir_make_tmp ("kling-sandbox-XXXXXX", error);
  if (sandbox->tmp_dir == NULL) {
    sandbox_free (sandbox);
    return NULL;
  }

  sandbox->context = g_main_context_new ();
  sandbox->loop = g_main_loop_new (sandbox->context, FALSE);
  g_main_context_push_thread_default (sandbox->context);
  /* Callbacks go to loopback only: never through a proxy from the environment. */
  sandbox->session =
      soup_session_new_with_options ("timeout", 10, "proxy-resolver", NULL,
      NULL);
  g_main_context_pop_thread_default (sandbox->context);
  sandbox_tasks_init (sandbox);

  g_mutex_init (&startup.lock);
  g_cond_init (&startup.cond);
  sandbox->startup = &startup;
  sandbox->thread = g_thread_new ("kling-sandbox", server_thread, sandbox);

  g_mutex_lock (&startup.lock);
  while (!startup.done)
    g_cond_wait (&startup.cond, &startup.lock);
  g_mutex_unlock (&startup.lock);
  sandbox->startup = NULL;
  g_mutex_clear (&startup.lock);
  g_cond_clear (&startup.cond);

  if (startup.error != NULL) {
    g_propagate_error (error, startup.error);
    g_thread_join (sandbox->thread);
    sandbox_free (sandbox);
    return NULL;
  }
  return sandbox;
}

const gchar *
kling_sandbox_get_base_url (KlingSandbox * sandbox)
{
  g_return_val_if_fail (sandbox != NULL, NULL);
  return sandbox->base_url;
}

static gboolean
quit_loop (gpointer user_data)
{
  KlingSandbox *sandbox = user_data;

  g_main_loop_quit (sandbox->loop);
  return G_SOURCE_REMOVE;
}

void
kling_sandbox_stop (KlingSandbox * sandbox)
{
  if (sandbox == NULL)
    return;

  g_atomic_int_set (&sandbox->cancel_renders, 1);
  g_atomic_int_set (&sandbox->stopping, 1);
  /* Queued on the server's context even before its loop runs, so never lost. */
  sandbox_idle_add (sandbox, quit_loop, sandbox, NULL);
  g_thread_join (sandbox->thread);
  sandbox_free (sandbox);
}
