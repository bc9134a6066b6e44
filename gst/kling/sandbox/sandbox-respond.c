/* kling-sandbox: how an answer reaches the client. A handler's answer goes out through
 * libsoup, unless a fault rule reshapes it (cut, dripped, padded, rewritten: the request
 * was processed) or answers in its place (a status, an HTML page, a redirect, a stall, a
 * dropped connection: it was not). Answers libsoup would never write are written by
 * hand on the stolen connection (sandbox-wire.c). README.md lists the kinds.
 */
#include "config.h"
#include "sandbox-private.h"
#include "sandbox-wire.h"

#include <string.h>

#define JSON_PADDING_OPEN  ",\"padding\":\""
#define JSON_PADDING_CLOSE "\"}"

typedef enum
{
  FRAMING_LENGTH,               /* Content-Length: the length given */
  FRAMING_CHUNKED,              /* Transfer-Encoding: chunked */
  FRAMING_EOF,                  /* neither: the body ends when the connection does */
} Framing;

static gsize
bytes_size (GBytes * bytes)
{
  return bytes ? g_bytes_get_size (bytes) : 0;
}

static gsize
body_size (const SandboxResponse * resp)
{
  return bytes_size (resp->body);
}

static GBytes *
build_head (const SandboxResponse * resp, Framing framing, guint64 length)
{
  GString *head = g_string_new (NULL);

  g_string_append_printf (head, "HTTP/1.1 %u %s\r\n", resp->status,
      soup_status_get_phrase (resp->status));
  g_string_append (head, "Server: kling-sandbox/" VERSION "\r\n");
  if (resp->content_type)
    g_string_append_printf (head, "Content-Type: %s\r\n", resp->content_type);
  if (framing == FRAMING_LENGTH)
    g_string_append_printf (head, "Content-Length: %" G_GUINT64_FORMAT "\r\n",
        length);
  else if (framing == FRAMING_CHUNKED)
    g_string_append (head, "Transfer-Encoding: chunked\r\n");
  if (resp->content_range)
    g_string_append_printf (head, "Content-Range: %s\r\n", resp->content_range);
  if (resp->retry_after > 0)
    g_string_append_printf (head, "Retry-After: %u\r\n", resp->retry_after);
  g_string_append (head, "Connection: close\r\n\r\n");
  return g_string_free_to_bytes (head);
}

void
sandbox_respond_raw (KlingSandbox * sandbox, SoupServerMessage * msg,
    const SandboxResponse * resp)
{
  SandboxWirePlan plan = { 0, };

  plan.head = build_head (resp, FRAMING_LENGTH, body_size (resp));
  plan.prefix = resp->body ? g_bytes_ref (resp->body) : NULL;
  plan.cut_after = G_MAXUINT64;
  sandbox_wire_start (sandbox, msg, &plan);
}

static gboolean
is_json_object (const SandboxResponse * resp)
{
  gsize size = body_size (resp);

  return size >= 2 && g_strcmp0 (resp->content_type, "application/json") == 0 &&
      ((const gchar *) g_bytes_get_data (resp->body, NULL))[size - 1] == '}';
}

static guint32
read_be32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8)
      | p[3];
}

/* The real answer's start: a JSON object opened for a padding string that follows, or
 * a file's boxes up to the payload of its mdat (a valid MP4 header), or all of it. */
static GBytes *
body_head (const SandboxResponse * resp, gboolean * json)
{
  const guint8 *data = resp->body ? g_bytes_get_data (resp->body, NULL) : NULL;
  gsize size = body_size (resp), pos = 0;
  GString *text;

  *json = is_json_object (resp);
  if (*json) {
    text = g_string_new_len ((const gchar *) data, size - 1);
    g_string_append (text, JSON_PADDING_OPEN);
    return g_string_free_to_bytes (text);
  }
  while (pos + 16 <= size) {
    guint64 box = read_be32 (data + pos);
    guint header = 8;

    if (box == 1) {             /* a 64-bit size follows the type */
      box =
          (guint64) read_be32 (data + pos + 8) << 32 | read_be32 (data + pos +
          12);
      header = 16;
    }
    if (memcmp (data + pos + 4, "mdat", 4) == 0)
      return g_bytes_new_from_bytes (resp->body, 0, pos + header);
    if (box < header || box > size - pos)
      break;
    pos += box;
  }
  return resp->body ? g_bytes_ref (resp->body) : NULL;
}

static gdouble
seconds_or_default (const SandboxFault * fault)
{
  return fault->seconds < 0 ? SANDBOX_WIRE_DEFAULT_SECONDS : fault->seconds;
}

/* The faults that write the real answer differently: cut, framed wrongly, dripped,
 * endless or padded. */
static void
write_shaped (KlingSandbox * sandbox, SoupServerMessage * msg,
    const gchar * method, const SandboxFault * fault,
    const SandboxResponse * resp)
{
  SandboxWirePlan plan = { 0, };
  gsize size = body_size (resp);
  guint64 cut = fault->bytes ? MIN (fault->bytes, size) : size / 2;
  Framing framing = FRAMING_LENGTH;
  guint64 length = size;
  gboolean json;

  plan.prefix = resp->body ? g_bytes_ref (resp->body) : NULL;
  plan.cut_after = G_MAXUINT64;
  plan.max_seconds = seconds_or_default (fault);
  plan.bytes_per_second = fault->bytes_per_second;
  switch (fault->kind) {
    case SANDBOX_FAULT_TRUNCATED:      /* the full length promised, less sent */
      plan.cut_after = cut;
      break;
    case SANDBOX_FAULT_CHUNKED_CUT:    /* chunks, and no last chunk */
      framing = FRAMING_CHUNKED;
      plan.cut_after = cut;
      break;
    case SANDBOX_FAULT_EOF_CUT:        /* no length: the close looks like the end */
      framing = FRAMING_EOF;
      plan.cut_after = cut;
      break;
    case SANDBOX_FAULT_SHORT_LENGTH:   /* a smaller length, honestly kept */
      length = plan.cut_after = cut;
      break;
    case SANDBOX_FAULT_ENDLESS:
      g_clear_pointer (&plan.prefix, g_bytes_unref);
      plan.prefix = body_head (resp, &json);
      plan.filler = json ? 'x' : 0;
      plan.filler_len = G_MAXUINT64;
      plan.cut_after = fault->bytes;
      framing = FRAMING_CHUNKED;
      break;
    case SANDBOX_FAULT_OVERSIZE:
      if (is_json_object (resp)) {
        g_clear_pointer (&plan.prefix, g_bytes_unref);
        plan.prefix = body_head (resp, &json);
        plan.suffix =
            g_bytes_new_static (JSON_PADDING_CLOSE,
            strlen (JSON_PADDING_CLOSE));
      }
      length =
          MAX (fault->bytes,
          bytes_size (plan.prefix) + bytes_size (plan.suffix));
      plan.filler = plan.suffix ? 'x' : 0;
      plan.filler_len =
          length - bytes_size (plan.prefix) - bytes_size (plan.suffix);
      break;
    default:                   /* throttle: the real answer, slowly */
      break;
  }
  plan.head = build_head (resp, framing, length);
  plan.chunked = framing == FRAMING_CHUNKED;
  if (g_str_equal (method, "HEAD"))
    plan.cut_after = 0;
  sandbox_wire_start (sandbox, msg, &plan);
}

/* {"code":0,...,"data": [[[[...]]]]}: deeper than any parser should follow. */
static void
replace_with_deep_json (SandboxResponse * resp, guint depth)
{
  GString *text = g_string_sized_new (64 + 2 * (gsize) depth);

  g_string_append (text,
      "{\"code\": 0, \"message\": \"SUCCEED\", \"request_id\": "
      "\"deep\", \"data\": ");
  for (guint i = 0; i < depth; i++)
    g_string_append_c (text, '[');
  for (guint i = 0; i < depth; i++)
    g_string_append_c (text, ']');
  g_string_append_c (text, '}');
  g_clear_pointer (&resp->body, g_bytes_unref);
  resp->status = SOUP_STATUS_OK;
  resp->content_type = "application/json";
  resp->body = g_string_free_to_bytes (text);
}

/* task_status on /v1, status on the per-model API. */
static void
set_status_of (JsonNode * task, JsonNode * value)
{
  static const gchar *const names[] = { "task_status", "status" };

  for (guint i = 0;
      task && JSON_NODE_HOLDS_OBJECT (task) && i < G_N_ELEMENTS (names); i++)
    if (json_object_has_member (json_node_get_object (task), names[i]))
      json_object_set_member (json_node_get_object (task), names[i],
          json_node_copy (value));
}

/* data.task_status (each task's, in a list) becomes @value: a mistyped or unknown status
 * in an otherwise good answer. Answers without one are left alone. */
static void
rewrite_task_status (SandboxResponse * resp, JsonNode * value)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *data;
  gchar *text;

  if (!is_json_object (resp) || !json_parser_load_from_data (parser,
          g_bytes_get_data (resp->body, NULL), g_bytes_get_size (resp->body),
          NULL))
    return;
  data =
      json_object_get_member (json_node_get_object (json_parser_get_root
          (parser)), "data");
  if (data && JSON_NODE_HOLDS_ARRAY (data)) {
    for (guint i = 0; i < json_array_get_length (json_node_get_array (data));
        i++)
      set_status_of (json_array_get_element (json_node_get_array (data), i),
          value);
  } else {
    set_status_of (data, value);
  }
  text = json_to_string (json_parser_get_root (parser), FALSE);
  g_bytes_unref (resp->body);
  resp->body = g_bytes_new_take (text, strlen (text));
}

static void answer_html (SandboxResponse * resp, guint status);

static void
send_through_soup (KlingSandbox * sandbox, SoupServerMessage * msg,
    const SandboxResponse * resp)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_server_message_set_status (msg, resp->status, NULL);
  if (resp->retry_after > 0) {
    g_autofree gchar *value = g_strdup_printf ("%u", resp->retry_after);
    soup_message_headers_replace (headers, "Retry-After", value);
  }
  if (resp->content_range)
    soup_message_headers_replace (headers, "Content-Range",
        resp->content_range);
  if (resp->location)
    soup_message_headers_replace (headers, "Location", resp->location);
  if (resp->body) {
    soup_message_headers_set_content_type (headers, resp->content_type, NULL);
    soup_message_body_append_bytes (soup_server_message_get_response_body (msg),
        resp->body);
  }
  soup_message_headers_set_content_length (headers, body_size (resp));
}

void
sandbox_respond (KlingSandbox * sandbox, SoupServerMessage * msg,
    const gchar * method, const SandboxFault * fault, SandboxResponse * resp)
{
  if (resp->status == 429)
    sandbox_count (sandbox, &sandbox->responses_429);
  switch (fault ? fault->kind : SANDBOX_FAULT_DELAY) {
    case SANDBOX_FAULT_DROP_AFTER:
      sandbox_wire_drop (sandbox, msg);
      return;
    case SANDBOX_FAULT_TRUNCATED:
    case SANDBOX_FAULT_CHUNKED_CUT:
    case SANDBOX_FAULT_EOF_CUT:
    case SANDBOX_FAULT_SHORT_LENGTH:
    case SANDBOX_FAULT_ENDLESS:
    case SANDBOX_FAULT_THROTTLE:
    case SANDBOX_FAULT_OVERSIZE:
      write_shaped (sandbox, msg, method, fault, resp);
      return;
    case SANDBOX_FAULT_MALFORMED:
      sandbox_response_text (resp, SOUP_STATUS_OK,
          "{\"code\": 0, \"data\": <html>not json");
      resp->content_type = "application/json";
      break;
    case SANDBOX_FAULT_DEEP_JSON:
      replace_with_deep_json (resp, fault->depth);
      break;
    case SANDBOX_FAULT_TASK_STATUS:
      rewrite_task_status (resp, fault->value);
      break;
    case SANDBOX_FAULT_HTML_AFTER:
      /* A proxy in front that gave up on the server's answer after the server acted. */
      answer_html (resp, fault->http);
      break;
    default:
      break;
  }
  send_through_soup (sandbox, msg, resp);
}

/* ---- answers in place of the server --------------------------------------------------- */

static const gchar *
html_page (guint status)
{
  if (status == SOUP_STATUS_OK)
    return
        "<!DOCTYPE html>\n<html><head><title>Welcome</title></head><body><h1>It "
        "works!</h1><p>This is a web server, not an API.</p></body></html>\n";
  return NULL;
}

static void
answer_html (SandboxResponse * resp, guint status)
{
  const gchar *page = html_page (status);
  g_autofree gchar *text =
      page ? NULL : g_strdup_printf ("<html>\r\n<head><title>%u %s"
      "</title></head>\r\n<body>\r\n<center><h1>%u %s</h1></center>\r\n<hr><center>nginx"
      "</center>\r\n</body>\r\n</html>\r\n", status,
      soup_status_get_phrase (status),
      status, soup_status_get_phrase (status));

  sandbox_response_text (resp, status, page ? page : text);
  resp->content_type = "text/html";
}

static gchar *
redirect_location (const SandboxFault * fault, const gchar * path,
    GHashTable * query)
{
  GString *location = g_string_new (fault->location);
  g_autofree gchar *encoded = NULL;

  if (!fault->append_path)
    return g_string_free (location, FALSE);
  while (location->len > 0 && location->str[location->len - 1] == '/')
    g_string_truncate (location, location->len - 1);
  g_string_append (location, path);
  if (query && g_hash_table_size (query) > 0) {
    encoded = soup_form_encode_hash (query);
    g_string_append_printf (location, "?%s", encoded);
  }
  return g_string_free (location, FALSE);
}

gboolean
sandbox_respond_instead (KlingSandbox * sandbox, SoupServerMessage * msg,
    const gchar * path, GHashTable * query, const SandboxFault * fault)
{
  SandboxResponse resp = { 0, };
  SandboxWirePlan plan = { 0, };

  switch (fault->kind) {
    case SANDBOX_FAULT_STATUS:
      sandbox_response_json (&resp, fault->http, fault->code,
          fault->message ? fault->message : "injected fault", NULL);
      resp.retry_after = fault->retry_after;
      break;
    case SANDBOX_FAULT_HTML:
      answer_html (&resp, fault->http);
      break;
    case SANDBOX_FAULT_REDIRECT:
      resp.status = fault->http;
      resp.location = redirect_location (fault, path, query);
      break;
    case SANDBOX_FAULT_DROP:
      sandbox_wire_drop (sandbox, msg);
      return TRUE;
    case SANDBOX_FAULT_STALL:
      plan.hold = TRUE;
      plan.max_seconds = seconds_or_default (fault);
      sandbox_wire_start (sandbox, msg, &plan);
      return TRUE;
    default:
      return FALSE;
  }
  sandbox_respond (sandbox, msg, soup_server_message_get_method (msg), NULL,
      &resp);
  sandbox_response_clear (&resp);
  return TRUE;
}
