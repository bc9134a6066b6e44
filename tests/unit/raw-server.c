/* Test helper: a raw HTTP server on loopback (see raw-server.h). */
#include "raw-server.h"

#include <stdarg.h>
#include <string.h>

struct _RawServer
{
  GSocketService *service;
  GThread *thread;              /* accepts connections on its own main context */
  GMainContext *context;
  GMainLoop *loop;
  gchar *url;
  RawHandler handler;
  gpointer user_data;
  GMutex lock;
  GCond cond;
  guint running;                /* handlers in progress */
  gboolean stopping;
  GPtrArray *requests;          /* RawRequest, in arrival order */
};

static void
raw_request_free (RawRequest * request)
{
  g_free (request->method);
  g_free (request->path);
  g_free (request->headers);
  g_clear_pointer (&request->body, g_bytes_unref);
  g_free (request);
}

gchar *
raw_request_dup_header (const RawRequest * request, const gchar * name)
{
  g_auto (GStrv) lines = g_strsplit (request->headers, "\r\n", -1);
  gsize len = strlen (name);
  guint i;

  for (i = 0; lines[i]; i++) {
    if (g_ascii_strncasecmp (lines[i], name, len) == 0 && lines[i][len] == ':')
      return g_strstrip (g_strdup (lines[i] + len + 1));
  }
  return NULL;
}

/* The request head and body; NULL when the client sent nothing usable. */
static RawRequest *
read_request (GInputStream * in)
{
  g_autoptr (GDataInputStream) data = g_data_input_stream_new (in);
  g_autofree gchar *line = NULL, *length = NULL;
  g_auto (GStrv) parts = NULL;
  GString *headers = g_string_new (NULL);
  RawRequest *request;
  gsize n = 0;

  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (data),
      FALSE);
  g_data_input_stream_set_newline_type (data, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  line = g_data_input_stream_read_line (data, NULL, NULL, NULL);
  parts = line ? g_strsplit (line, " ", 3) : NULL;
  if (parts == NULL || g_strv_length (parts) < 2) {
    g_string_free (headers, TRUE);
    return NULL;
  }
  for (;;) {
    g_autofree gchar *header =
        g_data_input_stream_read_line (data, NULL, NULL, NULL);

    if (header == NULL || *header == '\0')
      break;
    g_string_append_printf (headers, "%s\r\n", header);
  }
  request = g_new0 (RawRequest, 1);
  request->method = g_strdup (parts[0]);
  request->path = g_strdup (parts[1]);
  request->headers = g_string_free (headers, FALSE);
  length = raw_request_dup_header (request, "Content-Length");
  if (length)
    n = g_ascii_strtoull (length, NULL, 10);
  if (n > 0) {
    guint8 *body = g_malloc (n);
    gsize got = 0;

    g_input_stream_read_all (G_INPUT_STREAM (data), body, n, &got, NULL, NULL);
    request->body = g_bytes_new_take (body, got);
  }
  return request;
}

static gboolean
on_run (GThreadedSocketService * service, GSocketConnection * connection,
    GObject * source, gpointer user_data)
{
  RawServer *server = user_data;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  RawRequest *request;

  g_mutex_lock (&server->lock);
  if (server->stopping) {
    g_mutex_unlock (&server->lock);
    return TRUE;
  }
  server->running++;
  g_mutex_unlock (&server->lock);

  request = read_request (in);
  if (request) {
    g_mutex_lock (&server->lock);
    request->index = server->requests->len;
    g_ptr_array_add (server->requests, request);
    g_mutex_unlock (&server->lock);
    server->handler (server, request, out, server->user_data);
  }
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);

  g_mutex_lock (&server->lock);
  server->running--;
  g_cond_broadcast (&server->cond);
  g_mutex_unlock (&server->lock);
  return TRUE;
}

/* The listening thread: a GSocketService accepts from the thread-default context it is
 * made in, so it is made here, on a context this thread runs. */
static gpointer
accept_thread (gpointer data)
{
  RawServer *server = data;
  g_autoptr (GInetAddress) loopback =
      g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) error = NULL;

  g_main_context_push_thread_default (server->context);
  server->service = g_threaded_socket_service_new (16);
  g_assert_true (g_socket_listener_add_address (G_SOCKET_LISTENER
          (server->service), address, G_SOCKET_TYPE_STREAM,
          G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error));
  g_signal_connect (server->service, "run", G_CALLBACK (on_run), server);
  g_socket_service_start (server->service);
  g_mutex_lock (&server->lock);
  server->url = g_strdup_printf ("http://127.0.0.1:%u",
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_cond_broadcast (&server->cond);
  g_mutex_unlock (&server->lock);
  g_main_loop_run (server->loop);
  g_socket_service_stop (server->service);
  g_socket_listener_close (G_SOCKET_LISTENER (server->service));
  g_main_context_pop_thread_default (server->context);
  return NULL;
}

RawServer *
raw_server_start (RawHandler handler, gpointer user_data)
{
  RawServer *server = g_new0 (RawServer, 1);

  server->handler = handler;
  server->user_data = user_data;
  g_mutex_init (&server->lock);
  g_cond_init (&server->cond);
  server->requests =
      g_ptr_array_new_with_free_func ((GDestroyNotify) raw_request_free);
  server->context = g_main_context_new ();
  server->loop = g_main_loop_new (server->context, FALSE);
  server->thread = g_thread_new ("raw-server", accept_thread, server);
  g_mutex_lock (&server->lock);
  while (server->url == NULL)
    g_cond_wait (&server->cond, &server->lock);
  g_mutex_unlock (&server->lock);
  return server;
}

const gchar *
raw_server_url (RawServer * server)
{
  return server->url;
}

gboolean
raw_server_stopping (RawServer * server)
{
  gboolean stopping;

  g_mutex_lock (&server->lock);
  stopping = server->stopping;
  g_mutex_unlock (&server->lock);
  return stopping;
}

void
raw_server_stop (RawServer * server)
{
  if (server == NULL)
    return;
  g_mutex_lock (&server->lock);
  server->stopping = TRUE;
  g_cond_broadcast (&server->cond);
  g_mutex_unlock (&server->lock);
  g_main_loop_quit (server->loop);
  g_thread_join (server->thread);
  g_mutex_lock (&server->lock);
  while (server->running > 0)
    g_cond_wait (&server->cond, &server->lock);
  g_mutex_unlock (&server->lock);
  g_object_unref (server->service);
  g_main_loop_unref (server->loop);
  g_main_context_unref (server->context);
  g_ptr_array_unref (server->requests);
  g_mutex_clear (&server->lock);
  g_cond_clear (&server->cond);
  g_free (server->url);
  g_free (server);
}

guint
raw_server_count (RawServer * server, const gchar * prefix)
{
  guint i, n = 0;

  g_mutex_lock (&server->lock);
  for (i = 0; i < server->requests->len; i++) {
    RawRequest *request = g_ptr_array_index (server->requests, i);
    if (prefix == NULL || g_str_has_prefix (request->path, prefix))
      n++;
  }
  g_mutex_unlock (&server->lock);
  return n;
}

gchar *
raw_server_dup_headers (RawServer * server, const gchar * prefix, guint n)
{
  gchar *headers = NULL;
  guint i;

  g_mutex_lock (&server->lock);
  for (i = 0; i < server->requests->len && headers == NULL; i++) {
    RawRequest *request = g_ptr_array_index (server->requests, i);
    if ((prefix == NULL || g_str_has_prefix (request->path, prefix))
        && n-- == 0)
      headers = g_strdup (request->headers);
  }
  g_mutex_unlock (&server->lock);
  return headers;
}

gboolean
raw_write (GOutputStream * out, const void *data, gsize len)
{
  return g_output_stream_write_all (out, data, len, NULL, NULL, NULL);
}

gboolean
raw_printf (GOutputStream * out, const gchar * format, ...)
{
  g_autofree gchar *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  return raw_write (out, text, strlen (text));
}

gboolean
raw_respond (GOutputStream * out, guint status, const gchar * type,
    const void *body, gsize len)
{
  return raw_printf (out,
      "HTTP/1.1 %u X\r\nContent-Type: %s\r\nContent-Length: %" G_GSIZE_FORMAT
      "\r\nConnection: close\r\n\r\n", status, type, len)
      && raw_write (out, body, len);
}

gboolean
raw_sleep (RawServer * server, guint ms)
{
  gint64 until = g_get_monotonic_time () + (gint64) ms * 1000;
  gboolean stopping;

  g_mutex_lock (&server->lock);
  while (!server->stopping
      && g_cond_wait_until (&server->cond, &server->lock, until));
  stopping = server->stopping;
  g_mutex_unlock (&server->lock);
  return !stopping;
}
