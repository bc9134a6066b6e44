/* Two processes, same input, same cache directory, same instant: one task. The journal
 * alone was read, then written, with no lock, and 8 of 20 such races paid twice; the
 * claim on the key (journal/<key>.lock, flock()ed) makes the second process follow the
 * first one's task. Real processes (tests/unit/kling-render-once.c), so nothing of the
 * client is shared between them but the cache directory. */
#include <gst/check/gstcheck.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>
#include "kling-sandbox.h"
#include "client-test-util.h"

#define ACCESS_KEY "AK-race"
#define SECRET_KEY "SK-race-do-not-log-me"
/* Races per run; KLING_RACE_TRIALS (1..50) asks for more, to measure by hand. */
#define TRIALS 8

static KlingSandbox *sandbox;
static gchar *work_dir;

static void
setup (void)
{
  KlingSandboxOptions options;

  kling_sandbox_options_init (&options);
  options.access_key = ACCESS_KEY;
  options.secret_key = SECRET_KEY;
  options.queue_delay_s = 0.1;
  options.render_delay_s = 0.3;
  options.video_scale = 0.25;
  sandbox = kling_sandbox_start (&options, NULL);
  fail_unless (sandbox != NULL);
  work_dir = g_dir_make_tmp ("kling-race-XXXXXX", NULL);
  g_setenv ("KLING_ACCESS_KEY", ACCESS_KEY, TRUE);
  g_setenv ("KLING_SECRET_KEY", SECRET_KEY, TRUE);
}

static void
teardown (void)
{
  g_clear_pointer (&sandbox, kling_sandbox_stop);
  test_remove_tree (work_dir);
  g_clear_pointer (&work_dir, g_free);
}

static GSubprocess *
spawn_render (const gchar * cache_dir, const gchar * prompt, gint64 start_at)
{
  g_autofree gchar *at = g_strdup_printf ("%" G_GINT64_FORMAT, start_at);
  g_autoptr (GError) err = NULL;
  GSubprocess *process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &err,
      KLING_RENDER_ONCE, kling_sandbox_get_base_url (sandbox), cache_dir,
      prompt, at, NULL);

  fail_unless (process != NULL, "%s", err ? err->message : "");
  return process;
}

/* Waits for @process; its "task=..." line (the test fails on anything else). */
static gchar *
finish_render (GSubprocess * process)
{
  g_autoptr (GError) err = NULL;
  g_autofree gchar *out = NULL;

  fail_unless (g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL,
          &err), "%s", err ? err->message : "");
  fail_unless (g_subprocess_get_if_exited (process)
      && g_subprocess_get_exit_status (process) == 0, "the render failed: %s",
      out);
  g_object_unref (process);
  return g_strstrip (g_steal_pointer (&out));
}

static gint64
tasks_created (void)
{
  return kling_sandbox_get_counter (sandbox, "tasks_created", "image2video");
}

GST_START_TEST (test_two_processes_pay_once)
{
  const gchar *asked = g_getenv ("KLING_RACE_TRIALS");
  guint trials = asked ? CLAMP (atoi (asked), 1, 50) : TRIALS, trial;

  for (trial = 0; trial < trials; trial++) {
    g_autofree gchar *name = g_strdup_printf ("cache-%u", trial);
    g_autofree gchar *cache_dir = g_build_filename (work_dir, name, NULL);
    g_autofree gchar *a_out = NULL, *b_out = NULL;
    gint64 start_at = g_get_monotonic_time () + 300 * 1000;
    gint64 before = tasks_created ();
    GSubprocess *a, *b;

    a = spawn_render (cache_dir, "the same clip", start_at);
    b = spawn_render (cache_dir, "the same clip", start_at);
    a_out = finish_render (a);
    b_out = finish_render (b);
    fail_unless_equals_int (tasks_created () - before, 1);
    if (asked)
      g_print ("race %u: 1 task\n", trial + 1);
    /* both got the clip of that one task; one of them without rendering it */
    fail_unless (g_str_has_prefix (a_out, "task=")
        && g_str_has_prefix (b_out, "task="), "%s / %s", a_out, b_out);
    fail_unless (strncmp (a_out, b_out, strcspn (a_out, " ")) == 0, "%s / %s",
        a_out, b_out);
    fail_unless ((g_str_has_suffix (a_out,
                "hit=1") ? 1 : 0) + (g_str_has_suffix (b_out,
                "hit=1") ? 1 : 0) == 1, "%s / %s", a_out, b_out);
  }
  GST_INFO ("%" G_GINT64_FORMAT " tasks for %u races", tasks_created (),
      trials);
}

GST_END_TEST;

static guint
journal_entries (const gchar * cache_dir)
{
  g_autofree gchar *path = g_build_filename (cache_dir, "journal", NULL);
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const gchar *name;
  guint n = 0;

  while (dir && (name = g_dir_read_name (dir)))
    n += g_str_has_suffix (name, ".json");
  return n;
}

/* A process killed in the middle of its create leaves its claim behind: the kernel drops
 * it with the process, so the next render goes ahead at once, and finds (or makes) the
 * one task from the journal. */
GST_START_TEST (test_killed_claim_holder_does_not_block)
{
  g_autofree gchar *cache_dir = g_build_filename (work_dir, "killed", NULL);
  g_autoptr (KlingRequest) request =
      test_still_request ("killed mid-create", NULL);
  KlingJobOptions options = {.poll_interval_s = 0.1,.timeout_s = 30,
    .cache_dir = cache_dir
  };
  GSubprocess *victim;
  KlingClient *client;
  KlingJob *job;
  JobOutcome o;
  gint64 start;

  fail_unless (kling_sandbox_add_fault_json (sandbox,
          "{\"method\": \"POST\", \"path\": "
          "\"/v1/videos/image2video\", \"action\": \"delay\", \"seconds\": 1}",
          NULL));
  victim = spawn_render (cache_dir, "killed mid-create", 0);
  while (journal_entries (cache_dir) == 0)
    g_usleep (10 * 1000);
  g_subprocess_force_exit (victim);
  fail_unless (g_subprocess_wait (victim, NULL, NULL));
  g_object_unref (victim);

  client = kling_client_acquire (kling_sandbox_get_base_url (sandbox),
      kling_auth_new_jwt (ACCESS_KEY, SECRET_KEY), NULL);
  job_outcome_init (&o);
  start = g_get_monotonic_time ();
  job =
      kling_client_start_job (client, request, &options, &job_outcome_callbacks,
      &o, job_outcome_notify);
  fail_unless (job_outcome_wait (&o, 30));
  fail_unless (o.error == NULL, "%s", o.error ? o.error->message : "");
  fail_unless (g_get_monotonic_time () - start < 10 * G_USEC_PER_SEC);
  fail_unless_equals_int (tasks_created (), 1);
  kling_job_unref (job);
  fail_unless (job_outcome_wait_notified (&o, 5));
  kling_client_unref (client);
  job_outcome_clear (&o);
}

GST_END_TEST;

static Suite *
race_suite (void)
{
  Suite *s = suite_create ("kling-client-race");
  TCase *tc = tcase_create ("processes");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 90);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_two_processes_pay_once);
  tcase_add_test (tc, test_killed_claim_holder_does_not_block);
  return s;
}

GST_CHECK_MAIN (race);
