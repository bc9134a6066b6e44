/* gst-kling: the download of a finished task's clip into the cache's tmp/, its check,
 * and its retries (a fresh result URL when the signed one expired). */
#include "config.h"
#include "kling-job-private.h"
#include "kling-cache.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

/* How often an expired result URL is refreshed by querying the task again. */
#define MAX_URL_REFRESHES 2

void
kling_job_download_discard (KlingJob *job)
{
  if (job->part_path) {
    g_unlink (job->part_path);
    g_clear_pointer (&job->part_path, g_free);
  }
  g_clear_object (&job->download_msg);
}

/* The result is in @part_path and verified: move it into place and end the job. */
static void
download_complete (KlingJob *job)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *final_path = kling_cache_clip_path (job->cache_dir, job->key);

  if (job->own_dir) {
    if (g_rename (job->part_path, final_path) != 0) {
      error = kling_error_new_full (KLING_ERROR_PROTOCOL, 0, -1, NULL, NULL, NULL,
          "cannot move the clip to %s: %s", final_path, g_strerror (errno));
    } else {
      job->result_path = g_strdup (final_path);
    }
  } else if (kling_cache_store (job->cache_dir, job->key, job->part_path, job->request,
          job->task, &error)) {
    kling_journal_remove (job->cache_dir, job->key);
  }
  if (error) {
    kling_job_download_discard (job);
    kling_job_fail (job, error);
    return;
  }
  g_clear_pointer (&job->part_path, g_free);
  g_clear_object (&job->download_msg);
  g_debug ("job %s: clip ready at %s", job->key, final_path);
  kling_job_finish (job, final_path, NULL);
}

static gboolean
download_retry_fire (gpointer data)
{
  KlingJob *job = data;

  g_clear_pointer (&job->wait_source, g_source_unref);
  kling_job_download (job);
  return G_SOURCE_REMOVE;
}

static void
download_failed (KlingJob *job, const GError *error)
{
  guint delay_ms;

  kling_job_download_discard (job);
  if (kling_error_get_http_status (error) == 403) {
    /* Signed result URLs expire: ask the task for a fresh one, a couple of times. */
    if (job->url_refreshes < MAX_URL_REFRESHES) {
      job->url_refreshes++;
      g_info ("result URL of task %s refused (403): querying the task again",
          job->task->task_id);
      kling_job_poll_now (job);
      return;
    }
    kling_job_fail_new (job, kling_error_new_full (KLING_ERROR_SERVER, 403, -1, NULL,
            job->task->task_id, NULL, "the result URL of task %s keeps answering 403 "
            "(expired?) after %u fresh queries", job->task->task_id, MAX_URL_REFRESHES));
    return;
  }
  if ((error->code != KLING_ERROR_NETWORK && error->code != KLING_ERROR_SERVER &&
          error->code != KLING_ERROR_PROTOCOL) ||
      !kling_client_next_retry_delay (kling_job_get_client (job), job->download_attempts, 0,
          error, &delay_ms)) {
    kling_job_fail (job, error);
    return;
  }
  g_info ("download of task %s failed (%s): retrying in %u ms", job->task->task_id,
      error->message, delay_ms);
  kling_job_wait_then (job, delay_ms, download_retry_fire);
}

static void
download_spliced (GObject *source, GAsyncResult *result, gpointer data)
{
  KlingJob *job = data;
  g_autoptr (GError) io_error = NULL, error = NULL;
  SoupMessageHeaders *headers;
  goffset expected = -1;

  g_output_stream_splice_finish (G_OUTPUT_STREAM (source), result, &io_error);
  kling_job_get_client (job)->pending_ops--;
  if (job->finished) {
    kling_job_download_discard (job);
  } else if (io_error) {
    error = kling_error_new_full (KLING_ERROR_NETWORK, 0, -1, NULL, job->task->task_id,
        NULL, "download interrupted: %s", io_error->message);
    download_failed (job, error);
  } else {
    headers = soup_message_get_response_headers (job->download_msg);
    if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
      expected = soup_message_headers_get_content_length (headers);
    if (kling_mp4_check (job->part_path, expected, &error)) {
      download_complete (job);
    } else {
      kling_error_set_task_id (error, job->task->task_id);
      download_failed (job, error);
    }
  }
  kling_job_unref (job);
}

/* Opens the partial file and starts streaming @in into it; an error otherwise. */
static GError *
download_start_splice (KlingJob *job, GInputStream *in)
{
  g_autoptr (GError) io_error = NULL;
  g_autoptr (GFile) file = g_file_new_for_path (job->part_path);
  g_autoptr (GFileOutputStream) out = g_file_replace (file, NULL, FALSE,
      G_FILE_CREATE_PRIVATE, job->cancellable, &io_error);

  if (out == NULL)
    return kling_error_new_full (KLING_ERROR_PROTOCOL, 0, -1, NULL, job->task->task_id,
        NULL, "cannot write %s: %s", job->part_path, io_error->message);
  /* Streamed to disk: a clip never sits in memory whole. */
  kling_job_get_client (job)->pending_ops++;
  g_output_stream_splice_async (G_OUTPUT_STREAM (out), in,
      G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE | G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
      G_PRIORITY_DEFAULT, job->cancellable, download_spliced, kling_job_ref (job));
  return NULL;
}

static void
download_sent (GObject *source, GAsyncResult *result, gpointer data)
{
  KlingJob *job = data;
  g_autoptr (GError) io_error = NULL, error = NULL;
  g_autoptr (GInputStream) in = NULL;
  guint status;

  in = soup_session_send_finish (SOUP_SESSION (source), result, &io_error);
  kling_job_get_client (job)->pending_ops--;
  if (job->finished) {
    kling_job_download_discard (job);
    kling_job_unref (job);
    return;
  }
  status = soup_message_get_status (job->download_msg);
  if (in == NULL)
    error = kling_error_new_full (KLING_ERROR_NETWORK, 0, -1, NULL, job->task->task_id,
        NULL, "download failed: %s", io_error->message);
  else if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    error = kling_error_new_full (kling_error_code_from_http (status, -1), status, -1, NULL,
        job->task->task_id, NULL, "the result URL answered HTTP %u", status);
  else
    error = download_start_splice (job, in);
  if (error)
    download_failed (job, error);
  kling_job_unref (job);
}

/* The URL without its query: signed URLs carry their signature there. */
static gchar *
url_for_log (const gchar *url)
{
  const gchar *query = strchr (url, '?');
  return query ? g_strndup (url, query - url) : g_strdup (url);
}

void
kling_job_download (KlingJob *job)
{
  KlingClient *client = kling_job_get_client (job);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *tmp_dir = NULL, *name = NULL, *shown = NULL;

  job->download_attempts++;
  tmp_dir = kling_cache_ensure_tmp_dir (job->cache_dir, &error);
  if (tmp_dir == NULL) {
    kling_job_fail (job, error);
    return;
  }
  name = g_strdup_printf ("%s.%08x.part", job->key, g_random_int ());
  g_free (job->part_path);
  job->part_path = g_build_filename (tmp_dir, name, NULL);
  g_clear_object (&job->download_msg);
  job->download_msg = soup_message_new ("GET", job->task->video_url);
  if (job->download_msg == NULL) {
    kling_job_fail_new (job, kling_error_new_full (KLING_ERROR_PROTOCOL, 0, -1,
            job->task->request_id, job->task->task_id, NULL,
            "the result URL of task %s is not a URL", job->task->task_id));
    return;
  }
  /* No credentials: a result URL is signed by itself and may live on another host. */
  shown = url_for_log (job->task->video_url);
  g_debug ("job %s downloads %s (attempt %u)", job->key, shown, job->download_attempts);
  client->pending_ops++;
  soup_session_send_async (client->session, job->download_msg, G_PRIORITY_DEFAULT,
      job->cancellable, download_sent, kling_job_ref (job));
}
