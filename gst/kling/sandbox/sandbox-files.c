/* kling-sandbox: the result files under /files/<video id>.mp4, behind URLs signed with
 * a random per-process key (HMAC-SHA256 over the id and the expiry time), with single
 * Range requests for players and download resumers. */
#include "sandbox-private.h"

#include <string.h>

#include "kling-auth.h"

static gchar *
url_signature (KlingSandbox * sandbox, const gchar * video_id, gint64 expires)
{
  g_autofree gchar *text =
      g_strdup_printf ("%s.%" G_GINT64_FORMAT, video_id, expires);
  guint8 mac[32];
  GString *hex = g_string_sized_new (64);

  kling_hmac_sha256 (sandbox->url_secret, sizeof (sandbox->url_secret),
      (const guint8 *) text, strlen (text), mac);
  for (guint i = 0; i < sizeof (mac); i++)
    g_string_append_printf (hex, "%02x", mac[i]);
  return g_string_free (hex, FALSE);
}

gchar *
sandbox_dup_video_url (KlingSandbox * sandbox, const SandboxVideo * video,
    gboolean expired)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 expires = expired ? now - 1 : now + sandbox->options.url_ttl_s;
  g_autofree gchar *sig = url_signature (sandbox, video->id, expires);

  return g_strdup_printf ("%s/files/%s.mp4?expires=%" G_GINT64_FORMAT "&sig=%s",
      sandbox->base_url, video->id, expires, sig);
}

/* NULL when @sig signs @video_id until @expires_text and that time has not come, else
 * why not. */
static const gchar *
signature_problem (KlingSandbox * sandbox, const gchar * video_id,
    const gchar * expires_text, const gchar * sig)
{
  g_autofree gchar *expected = NULL;
  gint64 expires;
  gchar *end = NULL;

  if (expires_text == NULL || sig == NULL)
    return "unsigned URL";
  expires = g_ascii_strtoll (expires_text, &end, 10);
  expected = url_signature (sandbox, video_id, expires);
  if (end == expires_text || *end != '\0' || strlen (sig) != strlen (expected)
      || !kling_secure_equal ((const guint8 *) sig, (const guint8 *) expected,
          strlen (expected)))
    return "bad signature";
  if (expires <= g_get_real_time () / G_USEC_PER_SEC)
    return "URL expired";
  return NULL;
}

/* The video id in "/files/<id>.mp4", or NULL. */
static gchar *
file_path_to_video_id (const gchar * path)
{
  const gchar *name;

  if (!g_str_has_prefix (path, "/files/"))
    return NULL;
  name = path + strlen ("/files/");
  if (!g_str_has_suffix (name, ".mp4") || strchr (name, '/') != NULL)
    return NULL;
  return g_strndup (name, strlen (name) - 4);
}

gboolean
sandbox_url_is_valid (KlingSandbox * sandbox, const gchar * url,
    gchar ** video_id)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED_QUERY, NULL);
  g_autoptr (GHashTable) params = NULL;
  g_autofree gchar *id = NULL;
  const gchar *query;

  if (uri == NULL)
    return FALSE;
  query = g_uri_get_query (uri);
  id = file_path_to_video_id (g_uri_get_path (uri));
  params =
      query ? g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE,
      NULL) : NULL;
  if (id == NULL || params == NULL
      || signature_problem (sandbox, id, g_hash_table_lookup (params,
              "expires"), g_hash_table_lookup (params, "sig")) != NULL)
    return FALSE;
  *video_id = g_steal_pointer (&id);
  return TRUE;
}

/* The video a /files/ path and query name, when the signature holds and has not expired.
 * Sets a 403/404 answer otherwise. */
static SandboxVideo *
verify_file_request (KlingSandbox * sandbox, const gchar * path,
    GHashTable * query, SandboxResponse * resp)
{
  g_autofree gchar *video_id = file_path_to_video_id (path);
  SandboxVideo *video =
      video_id ? g_hash_table_lookup (sandbox->videos, video_id) : NULL;
  const gchar *problem;

  if (video == NULL) {
    sandbox_response_text (resp, 404, "Not Found\n");
    return NULL;
  }
  problem = signature_problem (sandbox, video_id,
      query ? g_hash_table_lookup (query, "expires") : NULL,
      query ? g_hash_table_lookup (query, "sig") : NULL);
  if (problem != NULL) {
    g_autofree gchar *text = g_strdup_printf ("Forbidden: %s\n", problem);
    sandbox_response_text (resp, 403, text);
    return NULL;
  }
  return video;
}

void
sandbox_serve_file (KlingSandbox * sandbox, SoupServerMessage * msg,
    const gchar * path, GHashTable * query, SandboxResponse * resp)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr (GMappedFile) mapped = NULL;
  g_autoptr (GBytes) all = NULL;
  SoupRange *ranges = NULL;
  SandboxVideo *video;
  gint n_ranges = 0;
  gsize size;

  video = verify_file_request (sandbox, path, query, resp);
  if (video == NULL)
    return;
  mapped = g_mapped_file_new (video->path, FALSE, NULL);
  if (mapped == NULL) {
    sandbox_response_text (resp, 500,
        "Internal Server Error: result file is gone\n");
    return;
  }
  all = g_mapped_file_get_bytes (mapped);
  size = g_bytes_get_size (all);
  sandbox_count_download (sandbox, path);

  resp->status = SOUP_STATUS_OK;
  resp->content_type = "video/mp4";
  if (soup_message_headers_get_one (headers, "Range") == NULL) {
    resp->body = g_bytes_ref (all);
    return;
  }
  if (!soup_message_headers_get_ranges (headers, size, &ranges, &n_ranges) ||
      ranges[0].start < 0 || ranges[0].start >= (goffset) size ||
      ranges[0].end < ranges[0].start || ranges[0].end >= (goffset) size) {
    if (ranges)
      soup_message_headers_free_ranges (headers, ranges);
    sandbox_response_text (resp, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE,
        "Range Not Satisfiable\n");
    resp->content_range = g_strdup_printf ("bytes */%" G_GSIZE_FORMAT, size);
    return;
  }
  /* One range is what players and download resumers ask for; the first one wins. */
  resp->status = SOUP_STATUS_PARTIAL_CONTENT;
  resp->body = g_bytes_new_from_bytes (all, ranges[0].start,
      ranges[0].end - ranges[0].start + 1);
  resp->content_range =
      g_strdup_printf ("bytes %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT "/%"
      G_GSIZE_FORMAT, ranges[0].start, ranges[0].end, size);
  soup_message_headers_free_ranges (headers, ranges);
}
