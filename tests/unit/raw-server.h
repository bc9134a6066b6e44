/* Test helper: a tiny HTTP server on 127.0.0.1 that answers with whatever bytes a test
 * writes, for the shapes kling-sandbox cannot produce (a chunked body cut short, an
 * endless body, a body dripping at 1 KB/s, a stall, a redirect to another origin, a
 * nested or oversized JSON answer). Each connection runs on its own thread and serves
 * one request; the handler writes the raw response and the connection is closed. Every
 * request is recorded. Handlers that wait or drip must check raw_server_stopping(). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _RawServer RawServer;

typedef struct {
  gchar *method;
  gchar *path;               /* with its query */
  gchar *headers;            /* the header lines as received, "Name: value\r\n" each */
  GBytes *body;
  guint index;               /* 0 for the server's first request */
} RawRequest;

typedef void (*RawHandler) (RawServer *server, const RawRequest *request,
                            GOutputStream *out, gpointer user_data);

RawServer   *raw_server_start      (RawHandler handler, gpointer user_data);
/* "http://127.0.0.1:PORT" */
const gchar *raw_server_url        (RawServer *server);
/* Stops listening, waits for the handlers to return, frees everything. */
void         raw_server_stop       (RawServer *server);
gboolean     raw_server_stopping   (RawServer *server);

/* Requests seen so far whose path starts with @prefix (NULL: all). */
guint        raw_server_count      (RawServer *server, const gchar *prefix);
/* The header block of the @n-th request whose path starts with @prefix, or NULL. */
gchar       *raw_server_dup_headers (RawServer *server, const gchar *prefix, guint n);
/* The value of header @name (case-insensitive) in @request, or NULL. */
gchar       *raw_request_dup_header (const RawRequest *request, const gchar *name);

/* Writes all of @data; FALSE once the client has gone. */
gboolean     raw_write             (GOutputStream *out, const void *data, gsize len);
gboolean     raw_printf            (GOutputStream *out, const gchar *format, ...)
                                   G_GNUC_PRINTF (2, 3);
/* A whole answer: status line, Content-Type, Content-Length, Connection: close, body. */
gboolean     raw_respond           (GOutputStream *out, guint status, const gchar *type,
                                    const void *body, gsize len);
/* Sleeps up to @ms, returning early (FALSE) when the server stops. */
gboolean     raw_sleep             (RawServer *server, guint ms);

G_END_DECLS
