/* gst-kling: the length of a video given by URL (see kling-video-probe.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "kling-video-probe.h"
#include "kling-error.h"

#define CHUNK_BYTES (64 * 1024)

static gboolean
probe_error (GError ** error, KlingErrorCode code, const gchar * url,
    const gchar * why)
{
  g_propagate_error (error, kling_error_new_full (code, 0, -1, NULL, NULL, NULL,
          "video_url %s: %s", url, why));
  return FALSE;
}

/* A GIO error of the transfer as a KLING_ERROR: cancelled, or the network. */
static gboolean
transfer_error (GError ** error, const gchar * url, GError * cause)
{
  gboolean cancelled =
      g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  probe_error (error, cancelled ? KLING_ERROR_CANCELLED : KLING_ERROR_NETWORK,
      url, cause->message);
  g_error_free (cause);
  return FALSE;
}

/* Copies the body into @out, refusing more than @max_bytes. */
static gboolean
copy_body (GInputStream * body, GOutputStream * out, const gchar * url,
    guint64 max_bytes, GCancellable * cancellable, GError ** error)
{
  g_autofree guint8 *buffer = g_malloc (CHUNK_BYTES);
  guint64 total = 0;
  GError *cause = NULL;

  for (;;) {
    gssize n =
        g_input_stream_read (body, buffer, CHUNK_BYTES, cancellable, &cause);

    if (n < 0)
      return transfer_error (error, url, cause);
    if (n == 0)
      return TRUE;
    total += n;
    if (total > max_bytes) {
      g_autofree gchar *why =
          g_strdup_printf ("larger than %" G_GUINT64_FORMAT " MB",
          max_bytes / (1024 * 1024));

      return probe_error (error, KLING_ERROR_INVALID_INPUT, url, why);
    }
    if (!g_output_stream_write_all (out, buffer, n, NULL, cancellable, &cause))
      return transfer_error (error, url, cause);
  }
}

/* GET @url into the open temporary file @out. */
static gboolean
fetch (const gchar * url, GOutputStream * out, guint64 max_bytes,
    guint timeout_s, GCancellable * cancellable, GError ** error)
{
  const gchar *scheme = g_uri_peek_scheme (url);
  g_autoptr (SoupSession) session = NULL;
  g_autoptr (SoupMessage) message = NULL;
  g_autoptr (GInputStream) body = NULL;
  GError *cause = NULL;
  guint status;

  /* Kling fetches http(s) only; libsoup would complain loudly about other schemes. */
  if (g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0)
    return probe_error (error, KLING_ERROR_INVALID_INPUT, url,
        "not an http(s) URL");
  message = soup_message_new (SOUP_METHOD_GET, url);
  if (!message)
    return probe_error (error, KLING_ERROR_INVALID_INPUT, url,
        "not a valid URL");
  session =
      soup_session_new_with_options ("timeout", timeout_s, "user-agent",
      "gst-kling", NULL);
  body = soup_session_send (session, message, cancellable, &cause);
  if (!body)
    return transfer_error (error, url, cause);
  status = soup_message_get_status (message);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status)) {
    g_autofree gchar *why = g_strdup_printf ("HTTP %u", status);

    return probe_error (error, KLING_ERROR_NETWORK, url, why);
  }
  return copy_body (body, out, url, max_bytes, cancellable, error);
}

gboolean
kling_video_probe_url (const gchar * url, guint64 max_bytes, guint timeout_s,
    GCancellable * cancellable, KlingMp4Info * info, GError ** error)
{
  g_autofree gchar *path = NULL;
  g_autoptr (GFile) file = NULL;
  g_autoptr (GFileOutputStream) out = NULL;
  GError *cause = NULL;
  gboolean ok;
  gint fd;

  g_return_val_if_fail (url != NULL && info != NULL, FALSE);

  fd = g_file_open_tmp ("gst-kling-probe-XXXXXX.mp4", &path, &cause);
  if (fd >= 0) {
    g_close (fd, NULL);
    file = g_file_new_for_path (path);
    out =
        g_file_replace (file, NULL, FALSE, G_FILE_CREATE_PRIVATE, NULL, &cause);
  }
  if (!out) {
    probe_error (error, KLING_ERROR_LOCAL_IO, url, cause->message);
    g_error_free (cause);
    if (path)
      g_unlink (path);
    return FALSE;
  }
  ok = fetch (url, G_OUTPUT_STREAM (out), max_bytes, timeout_s, cancellable,
      error);
  if (ok && !g_output_stream_close (G_OUTPUT_STREAM (out), NULL, &cause)) {
    ok = probe_error (error, KLING_ERROR_LOCAL_IO, url, cause->message);
    g_error_free (cause);
  }
  ok = ok && kling_mp4_verify_file (path, info, error);
  g_unlink (path);
  return ok;
}
