/* gst-kling: the download of a clip into the cache's tmp/ (see kling-download.h).
 *
 * Lifetime: the owner (a job) holds one reference, each operation in flight (the request,
 * a read) another. kling_download_free() marks the download abandoned and cancels what
 * runs; completions of an abandoned download only clean up, so no callback reaches an
 * owner that is gone. The part file is written with plain write(2) on the worker: 64 KB
 * to a local disk at a time, as a pipe would. */
#include "config.h"
#include "kling-download.h"
#include "kling-download-progress.h"
#include "kling-mp4.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#define READ_CHUNK_BYTES 65536
/* See attempt_failed(). */
#define PROGRESS_RENEWS_ATTEMPTS_BYTES (1024 * 1024)

struct _KlingDownload
{
  gint ref_count;
  KlingClient *client;
  KlingDownloadCallbacks callbacks;
  gpointer user_data;
  KlingRetryPolicy policy;
  GCancellable *cancellable;    /* the owner's */
  gchar *part_path;
  gdouble duration_s;
  guint height;
  guint64 max_bytes;
  KlingDownloadProgress *progress;
  gboolean abandoned;
  gboolean finished;            /* the part file became the cached clip */
  gboolean started;             /* callbacks.started ran */
  gchar *url;

  /* across attempts */
  guint64 written;              /* valid bytes in the part file */
  gint64 total;                 /* the clip's size, -1 until known */
  guint64 best_written;         /* the most bytes any attempt reached */
  gboolean restart_next;        /* the next attempt begins the file anew */
  guint failures;
  GSource *retry_source;

  /* the attempt in flight */
  SoupMessage *msg;
  GInputStream *stream;
  gint fd;
  GCancellable *attempt_cancellable;
  gulong cancel_handler;
  KlingWatchdog watchdog;
  GSource *rate_source;
  gint64 window_start_us;
  guint64 window_start_bytes;
  guint64 attempt_bytes;
  gboolean too_slow;
  gboolean final;               /* the attempt's failure is not worth another */
};

static void attempt_start (KlingDownload * dl);

static KlingDownload *
dl_ref (KlingDownload * dl)
{
  dl->ref_count++;              /* worker-only */
  dl->client->pending_ops++;
  return dl;
}

static void
dl_free_now (KlingDownload * dl)
{
  g_clear_object (&dl->cancellable);
  g_clear_pointer (&dl->progress, kling_download_progress_unref);
  g_free (dl->part_path);
  g_free (dl->url);
  g_free (dl);
}

/* Drops an operation's reference. */
static void
dl_op_unref (KlingDownload * dl)
{
  dl->client->pending_ops--;
  if (--dl->ref_count == 0)
    dl_free_now (dl);
}

/* The URL without its query: signed URLs carry their signature there. */
static gchar *
url_for_log (const gchar * url)
{
  const gchar *query = strchr (url, '?');

  return query ? g_strndup (url, query - url) : g_strdup (url);
}

static gchar *
format_size (guint64 bytes)
{
  return g_format_size_full (bytes, G_FORMAT_SIZE_DEFAULT);
}

KlingDownload *
kling_download_new (KlingClient * client, const KlingDownloadSpec * spec,
    const KlingDownloadCallbacks * callbacks, gpointer user_data)
{
  KlingDownload *dl = g_new0 (KlingDownload, 1);
  g_autofree gchar *name =
      g_strdup_printf ("%s.%08x.part", spec->key, g_random_int ());

  dl->ref_count = 1;
  dl->client = client;
  dl->callbacks = *callbacks;
  dl->user_data = user_data;
  dl->policy = *spec->policy;
  dl->cancellable = spec->cancellable ? g_object_ref (spec->cancellable) : NULL;
  dl->part_path = g_build_filename (spec->tmp_dir, name, NULL);
  dl->duration_s = spec->duration_s;
  dl->height = spec->height;
  dl->max_bytes =
      kling_mp4_max_plausible_bytes (spec->duration_s, spec->height);
  dl->progress = kling_download_progress_new (dl->part_path);
  dl->total = -1;
  dl->fd = -1;
  return dl;
}

const gchar *
kling_download_get_part_path (KlingDownload * dl)
{
  return dl->part_path;
}

/* --- the end of an attempt --------------------------------------------------------------- */

static void
attempt_clear (KlingDownload * dl)
{
  kling_watchdog_stop (&dl->watchdog);
  if (dl->rate_source) {
    g_source_destroy (dl->rate_source);
    g_clear_pointer (&dl->rate_source, g_source_unref);
  }
  if (dl->cancel_handler && dl->cancellable)
    g_cancellable_disconnect (dl->cancellable, dl->cancel_handler);
  dl->cancel_handler = 0;
  g_clear_object (&dl->attempt_cancellable);
  g_clear_object (&dl->stream);
  g_clear_object (&dl->msg);
  if (dl->fd >= 0) {
    close (dl->fd);
    dl->fd = -1;
  }
}

static void
report_done (KlingDownload * dl, KlingDownloadOutcome outcome,
    const GError * error)
{
  attempt_clear (dl);
  dl->callbacks.done (dl, outcome, error, dl->user_data);
}

static gboolean
retry_fire (gpointer data)
{
  KlingDownload *dl = data;

  g_clear_pointer (&dl->retry_source, g_source_unref);
  attempt_start (dl);
  return G_SOURCE_REMOVE;
}

/* A 404, 408, 429 or 5xx once, a cut, a stall, a crawl, a damaged file, an absurd size:
 * worth another attempt while the policy allows one. */
static gboolean
worth_retrying (const GError * error)
{
  guint status = kling_error_get_http_status (error);

  switch (error->code) {
    case KLING_ERROR_NETWORK:
    case KLING_ERROR_SERVER:
    case KLING_ERROR_RATE_LIMITED:
    case KLING_ERROR_PROTOCOL:
      return TRUE;
    case KLING_ERROR_INVALID_INPUT:
      return status == 404 || status == 408;
    default:
      return FALSE;
  }
}

/* The attempt failed with @error (taken). */
static void
attempt_failed (KlingDownload * dl, GError * error_taken)
{
  g_autoptr (GError) error = error_taken;
  guint delay_ms;

  attempt_clear (dl);
  /* An attempt that carried the file well beyond where any got before, and was then cut,
   * was a healthy transfer: the next cut gets the policy's attempts afresh. A crawl
   * moves on a little at each attempt, and must not: it fails after the attempts. */
  if (!dl->too_slow
      && dl->written >= dl->best_written + PROGRESS_RENEWS_ATTEMPTS_BYTES)
    dl->failures = 0;
  dl->best_written = MAX (dl->best_written, dl->written);
  dl->failures++;
  if (dl->final || !worth_retrying (error) ||
      !kling_client_next_retry_delay (dl->client, dl->failures, 0, error,
          &delay_ms)) {
    report_done (dl, KLING_DOWNLOAD_GAVE_UP, error);
    return;
  }
  g_info ("download of %s failed (%s): retrying in %u ms%s", dl->part_path,
      error->message, delay_ms, dl->restart_next
      || dl->written == 0 ? "" : ", from the byte reached");
  if (dl->callbacks.waiting)
    dl->callbacks.waiting (kling_wait_reason_for_error (error), delay_ms,
        dl->failures, error, dl->user_data);
  dl->retry_source = g_timeout_source_new (delay_ms);
  g_source_set_callback (dl->retry_source, retry_fire, dl, NULL);
  g_source_attach (dl->retry_source, dl->client->context);
}

/* A size no clip of this length and mode can have: this answer is wrong, not the clip, so
 * it is refused unread, and another attempt (from byte 0: whatever came with it is
 * suspect) may be right; only a size that persists over the policy's attempts fails. */
static void
refuse_size (KlingDownload * dl, guint64 bytes)
{
  g_autofree gchar *size = format_size (bytes), *limit =
      format_size (dl->max_bytes);

  dl->restart_next = TRUE;
  attempt_failed (dl, kling_error_new_full (KLING_ERROR_PROTOCOL, 0, -1, NULL,
          NULL, NULL,
          "the clip would be %s, more than the %s such a clip can plausibly take: refused",
          size, limit));
}

/* An attempt's transfer failed (or stalled, or crawled, or was cancelled). */
static void
attempt_transfer_failed (KlingDownload * dl, const GError * io_error)
{
  if (g_cancellable_is_cancelled (dl->cancellable)) {
    attempt_clear (dl);         /* the owner is ending; it frees us */
    return;
  }
  if (dl->watchdog.fired)
    attempt_failed (dl, kling_error_new_full (KLING_ERROR_NETWORK, 0, -1, NULL,
            NULL, NULL, "the download stalled: no data for %.1f s",
            dl->watchdog.timeout_us / (gdouble) G_USEC_PER_SEC));
  else if (dl->too_slow)
    attempt_failed (dl, kling_error_new_full (KLING_ERROR_NETWORK, 0, -1, NULL,
            NULL, NULL, "the download is slower than %u bytes/s over %.1f s",
            dl->policy.min_download_rate, dl->policy.rate_window_ms / 1000.0));
  else
    attempt_failed (dl, kling_error_from_transfer (dl->msg, io_error,
            "(the download was cut)"));
}

/* --- verification ------------------------------------------------------------------------ */

static void
verify_and_report (KlingDownload * dl)
{
  g_autoptr (GError) error = NULL;
  KlingMp4Info info;
  guint64 plausible;

  close (dl->fd);
  dl->fd = -1;
  if (!kling_mp4_verify_file (dl->part_path, &info, &error)) {
    /* The bytes are wrong, not missing: a Range request cannot mend them. */
    dl->restart_next = TRUE;
    attempt_failed (dl, g_steal_pointer (&error));
    return;
  }
  plausible =
      kling_mp4_max_plausible_bytes (MAX (info.duration_s, dl->duration_s),
      info.height ? info.height : dl->height);
  if (dl->written > plausible) {
    dl->max_bytes = plausible;
    refuse_size (dl, dl->written);
    return;
  }
  g_debug ("%s verified: %" G_GUINT64_FORMAT " bytes, %.2f s, %ux%u%s",
      dl->part_path, dl->written, info.duration_s, info.width, info.height,
      info.has_audio ? ", with audio" : "");
  report_done (dl, KLING_DOWNLOAD_VERIFIED, NULL);
}

/* --- reading the body -------------------------------------------------------------------- */

static gboolean
write_all (gint fd, const guint8 * data, gsize len)
{
  while (len > 0) {
    gssize n = write (fd, data, len);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    data += n;
    len -= n;
  }
  return TRUE;
}

static void read_more (KlingDownload * dl);

/* The body ended: was it whole? */
static void
body_ended (KlingDownload * dl)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (dl->msg);
  goffset announced = soup_message_headers_get_encoding (headers) ==
      SOUP_ENCODING_CONTENT_LENGTH ?
      soup_message_headers_get_content_length (headers) : -1;

  if ((announced >= 0 && (guint64) announced != dl->attempt_bytes) ||
      (dl->total >= 0 && dl->written != (guint64) dl->total)) {
    gint64 expected = dl->total >= 0 ? dl->total :
        (gint64) (dl->written - dl->attempt_bytes + announced);

    attempt_failed (dl, kling_error_new_full (KLING_ERROR_NETWORK, 0, -1, NULL,
            NULL, NULL,
            "the download was cut short at byte %" G_GUINT64_FORMAT " of %"
            G_GINT64_FORMAT, dl->written, expected));
    return;
  }
  verify_and_report (dl);
}

static void
read_done (GObject * source, GAsyncResult * result, gpointer data)
{
  KlingDownload *dl = data;
  g_autoptr (GError) io_error = NULL;
  g_autoptr (GBytes) chunk =
      g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result,
      &io_error);
  gsize size;

  if (dl->abandoned) {
    dl_op_unref (dl);
    return;
  }
  if (chunk == NULL) {
    attempt_transfer_failed (dl, io_error);
  } else if ((size = g_bytes_get_size (chunk)) == 0) {
    body_ended (dl);
  } else if (dl->written + size > dl->max_bytes) {
    refuse_size (dl, dl->written + size);
  } else if (!write_all (dl->fd, g_bytes_get_data (chunk, NULL), size)) {
    dl->final = TRUE;
    attempt_failed (dl, kling_error_new_full (KLING_ERROR_LOCAL_IO, 0, -1, NULL,
            NULL, NULL, "cannot write %s: %s", dl->part_path,
            g_strerror (errno)));
  } else {
    dl->written += size;
    dl->attempt_bytes += size;
    kling_download_progress_update (dl->progress, dl->written, dl->total,
        FALSE);
    kling_watchdog_kick (&dl->watchdog);
    read_more (dl);
  }
  dl_op_unref (dl);
}

static void
read_more (KlingDownload * dl)
{
  g_input_stream_read_bytes_async (dl->stream, READ_CHUNK_BYTES,
      G_PRIORITY_DEFAULT, dl->attempt_cancellable, read_done, dl_ref (dl));
}

/* Like curl's speed-limit: over each window, at least min_download_rate bytes/s. */
static gboolean
rate_check (gpointer data)
{
  KlingDownload *dl = data;
  gint64 now = g_get_monotonic_time ();
  gint64 elapsed_us = now - dl->window_start_us;

  if (elapsed_us < (gint64) dl->policy.rate_window_ms * 1000)
    return G_SOURCE_CONTINUE;
  if ((dl->attempt_bytes - dl->window_start_bytes) * G_USEC_PER_SEC <
      (guint64) dl->policy.min_download_rate * (guint64) elapsed_us) {
    dl->too_slow = TRUE;
    g_cancellable_cancel (dl->attempt_cancellable);
    return G_SOURCE_CONTINUE;   /* attempt_clear() removes it */
  }
  dl->window_start_us = now;
  dl->window_start_bytes = dl->attempt_bytes;
  return G_SOURCE_CONTINUE;
}

static void
start_rate_check (KlingDownload * dl)
{
  if (dl->policy.min_download_rate == 0 || dl->policy.rate_window_ms == 0)
    return;
  dl->window_start_us = g_get_monotonic_time ();
  dl->window_start_bytes = 0;
  dl->rate_source =
      g_timeout_source_new (MAX (dl->policy.rate_window_ms / 4, 50));
  g_source_set_callback (dl->rate_source, rate_check, dl, NULL);
  g_source_attach (dl->rate_source, dl->client->context);
}

/* --- the answer's head ------------------------------------------------------------------- */

/* Opens the part file: anew (a new file at the same path, so readers of the old one keep
 * their bytes and learn of the restart), or to append from the byte reached. */
static gboolean
open_part (KlingDownload * dl, gboolean anew)
{
  gboolean restarted = anew && dl->written > 0;

  if (anew) {
    g_unlink (dl->part_path);
    dl->written = 0;
    dl->fd =
        g_open (dl->part_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  } else {
    dl->fd = g_open (dl->part_path, O_WRONLY | O_APPEND | O_CLOEXEC, 0600);
    if (dl->fd >= 0 && ftruncate (dl->fd, (off_t) dl->written) != 0) {
      close (dl->fd);
      dl->fd = -1;
    }
  }
  if (dl->fd < 0)
    return FALSE;
  dl->restart_next = FALSE;
  kling_download_progress_update (dl->progress, dl->written, dl->total,
      restarted);
  return TRUE;
}

/* What the status says about the body to come: FALSE when the attempt is over. */
static gboolean
accept_status (KlingDownload * dl, guint status, gboolean * anew)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (dl->msg);
  goffset start = 0, end = 0, total = -1;

  *anew = TRUE;
  if (status == SOUP_STATUS_PARTIAL_CONTENT) {
    if (dl->written > 0
        && soup_message_headers_get_content_range (headers, &start, &end,
            &total) && (guint64) start == dl->written) {
      *anew = FALSE;
      dl->total = total;
      return TRUE;
    }
    dl->restart_next = TRUE;
    attempt_failed (dl, kling_error_new_full (KLING_ERROR_SERVER, status, -1,
            NULL, NULL, NULL,
            "the result URL answered a range that was not asked for"));
    return FALSE;
  }
  if (status == SOUP_STATUS_OK) {
    dl->total =
        soup_message_headers_get_encoding (headers) ==
        SOUP_ENCODING_CONTENT_LENGTH ?
        soup_message_headers_get_content_length (headers) : -1;
    return TRUE;
  }
  if (status == SOUP_STATUS_FORBIDDEN) {
    report_done (dl, KLING_DOWNLOAD_EXPIRED, NULL);
    return FALSE;
  }
  if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE)
    dl->restart_next = TRUE;
  attempt_failed (dl, kling_error_new_full (kling_error_code_from_http (status,
              -1), status, -1, NULL, NULL, NULL,
          "the result URL answered HTTP %u", status));
  return FALSE;
}

static void
headers_received (GObject * source, GAsyncResult * result, gpointer data)
{
  KlingDownload *dl = data;
  g_autoptr (GError) io_error = NULL;
  GInputStream *stream =
      soup_session_send_finish (SOUP_SESSION (source), result,
      &io_error);
  gboolean anew;

  if (dl->abandoned) {
    g_clear_object (&stream);
    dl_op_unref (dl);
    return;
  }
  dl->stream = stream;
  if (dl->stream == NULL) {
    attempt_transfer_failed (dl, io_error);
  } else if (accept_status (dl, soup_message_get_status (dl->msg), &anew)) {
    if (dl->total >= 0 && (guint64) dl->total > dl->max_bytes) {
      refuse_size (dl, dl->total);
    } else if (!open_part (dl, anew)) {
      dl->final = TRUE;
      attempt_failed (dl, kling_error_new_full (KLING_ERROR_LOCAL_IO, 0, -1,
              NULL, NULL, NULL, "cannot write %s: %s", dl->part_path,
              g_strerror (errno)));
    } else {
      if (!dl->started) {
        dl->started = TRUE;
        if (dl->callbacks.started)
          dl->callbacks.started (dl, dl->progress, dl->user_data);
      }
      kling_watchdog_kick (&dl->watchdog);
      start_rate_check (dl);
      read_more (dl);
    }
  }
  dl_op_unref (dl);
}

static void
cancel_attempt (GCancellable * owner, gpointer attempt)
{
  g_cancellable_cancel (attempt);
}

static void
attempt_start (KlingDownload * dl)
{
  g_autofree gchar *shown = url_for_log (dl->url), *range = NULL;
  SoupMessageHeaders *headers;

  dl->msg = soup_message_new ("GET", dl->url);
  if (dl->msg == NULL) {
    dl->final = TRUE;
    attempt_failed (dl, kling_error_new_full (KLING_ERROR_PROTOCOL, 0, -1, NULL,
            NULL, NULL, "the result URL %s is not a URL", shown));
    return;
  }
  kling_network_prepare_message (&dl->client->net, dl->msg);
  dl->final = dl->too_slow = FALSE;
  dl->attempt_bytes = 0;
  headers = soup_message_get_request_headers (dl->msg);
  /* No credentials: the URL is signed by itself and may live on another host. */
  soup_message_headers_replace (headers, "Accept-Encoding", "identity");
  if (dl->written > 0 && !dl->restart_next) {
    range = g_strdup_printf ("bytes=%" G_GUINT64_FORMAT "-", dl->written);
    soup_message_headers_replace (headers, "Range", range);
  }
  dl->attempt_cancellable = g_cancellable_new ();
  if (dl->cancellable)
    dl->cancel_handler = g_cancellable_connect (dl->cancellable,
        G_CALLBACK (cancel_attempt), dl->attempt_cancellable, NULL);
  kling_watchdog_start (&dl->watchdog, dl->client->context,
      dl->policy.io_timeout_ms, dl->attempt_cancellable);
  g_debug ("downloading %s into %s%s%s", shown, dl->part_path,
      range ? ", " : "", range ? range : "");
  soup_session_send_async (dl->client->session, dl->msg, G_PRIORITY_DEFAULT,
      dl->attempt_cancellable, headers_received, dl_ref (dl));
}

/* --- the owner's side -------------------------------------------------------------------- */

void
kling_download_fetch (KlingDownload * dl, const gchar * url)
{
  g_free (dl->url);
  dl->url = g_strdup (url);
  attempt_start (dl);
}

void
kling_download_finished (KlingDownload * dl, const gchar * final_path)
{
  dl->finished = TRUE;
  kling_download_progress_end (dl->progress, final_path);
}

void
kling_download_free (KlingDownload * dl)
{
  if (dl == NULL)
    return;
  dl->abandoned = TRUE;
  if (dl->retry_source) {
    g_source_destroy (dl->retry_source);
    g_clear_pointer (&dl->retry_source, g_source_unref);
  }
  if (dl->attempt_cancellable)
    g_cancellable_cancel (dl->attempt_cancellable);
  attempt_clear (dl);
  if (!dl->finished) {
    g_unlink (dl->part_path);
    kling_download_progress_end (dl->progress, NULL);
  }
  if (--dl->ref_count == 0)
    dl_free_now (dl);
}
