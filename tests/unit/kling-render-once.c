/* Test helper for test-client-race.c: renders one clip through the client in a process
 * of its own, starting at a given instant, so that two of them race for the same clip.
 *
 *   kling-render-once BASE_URL CACHE_DIR PROMPT START_AT_US
 *
 * START_AT_US is a g_get_monotonic_time() value (CLOCK_MONOTONIC is the same for every
 * process). Keys come from KLING_ACCESS_KEY / KLING_SECRET_KEY. Prints
 * "task=<id> hit=<0|1>" and exits 0 on success; "error=<message>" and 1 otherwise. */
#include <string.h>
#include "client-test-util.h"

typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean done;
  gchar *task_id;
  gboolean hit;
  gchar *error;
} Outcome;

static void
on_finished (KlingJob * job, const gchar * mp4_path, const KlingTask * task,
    const GError * error, gpointer user_data)
{
  Outcome *o = user_data;

  g_mutex_lock (&o->lock);
  o->task_id = task ? g_strdup (task->task_id) : NULL;
  o->hit = kling_job_is_cache_hit (job);
  o->error = error ? g_strdup (error->message) : NULL;
  o->done = TRUE;
  g_cond_broadcast (&o->cond);
  g_mutex_unlock (&o->lock);
}

int
main (int argc, char **argv)
{
  static const KlingJobCallbacks callbacks = {.finished = on_finished };
  g_autoptr (GError) error = NULL;
  g_autoptr (KlingRequest) request = NULL;
  KlingJobOptions options = {.poll_interval_s = 0.1,.timeout_s = 60 };
  KlingClient *client;
  KlingJob *job;
  Outcome o = { 0, };
  gint64 start_at, wait_us;
  gint rc;

  if (argc != 5) {
    g_printerr ("usage: %s BASE_URL CACHE_DIR PROMPT START_AT_US\n", argv[0]);
    return 2;
  }
  options.cache_dir = argv[2];
  request = test_still_request (argv[3], &error);
  client =
      kling_client_acquire (argv[1],
      kling_auth_new_jwt (g_getenv ("KLING_ACCESS_KEY"),
          g_getenv ("KLING_SECRET_KEY")), &error);
  if (request == NULL || client == NULL) {
    g_print ("error=%s\n", error->message);
    return 1;
  }
  start_at = g_ascii_strtoll (argv[4], NULL, 10);
  wait_us = start_at - g_get_monotonic_time ();
  if (wait_us > 0)
    g_usleep (wait_us);

  g_mutex_init (&o.lock);
  g_cond_init (&o.cond);
  job =
      kling_client_start_job (client, request, &options, &callbacks, &o, NULL);
  g_mutex_lock (&o.lock);
  while (!o.done)
    g_cond_wait (&o.cond, &o.lock);
  g_mutex_unlock (&o.lock);
  kling_job_unref (job);
  kling_client_unref (client);
  rc = o.error ? 1 : 0;
  if (o.error)
    g_print ("error=%s\n", o.error);
  else
    g_print ("task=%s hit=%d\n", o.task_id, o.hit);
  g_free (o.task_id);
  g_free (o.error);
  g_mutex_clear (&o.lock);
  g_cond_clear (&o.cond);
  return rc;
}
