/* Unit tests: the clip cache, its sidecars, the journal, the claims and the leftovers of
 * killed downloads. */
#include <gst/check/gstcheck.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <utime.h>
#include <sys/wait.h>
#include <glib/gstdio.h>
#include "kling-cache.h"
#include "client-test-util.h"
#include "mp4-build.h"

static gchar *cache_dir;

static void
setup (void)
{
  cache_dir = g_dir_make_tmp ("kling-cache-test-XXXXXX", NULL);
  fail_unless (cache_dir != NULL);
}

static void
teardown (void)
{
  test_remove_tree (cache_dir);
  g_clear_pointer (&cache_dir, g_free);
}

static gchar *
write_file (const gchar * name, const gchar * data, gsize len)
{
  gchar *path = g_build_filename (cache_dir, name, NULL);

  fail_unless (g_file_set_contents (path, data, len, NULL));
  return path;
}

/* A whole (crafted) MP4 file in the cache directory. */
static gchar *
write_mp4 (const gchar * name)
{
  gchar *path = g_build_filename (cache_dir, name, NULL);

  test_mp4_write (path, NULL);
  return path;
}

static KlingRequest *
make_request (void)
{
  return kling_request_new (KLING_ENDPOINT_IMAGE2VIDEO,
      json_from_string ("{\"prompt\":\"p\",\"image\":\"QUJD\"}", NULL),
      json_from_string ("{\"prompt\":\"p\",\"image\":{\"sha256\":\"abc\"}}",
          NULL));
}

static guint
count_entries (const gchar * path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  while (dir && g_dir_read_name (dir))
    n++;
  return n;
}

GST_START_TEST (test_store_and_lookup)
{
  g_autoptr (KlingRequest) request = make_request ();
  g_autofree gchar *key = kling_request_cache_key (request);
  g_autofree gchar *download = write_mp4 ("download.part");
  g_autofree gchar *path = NULL, *sidecar_text = NULL, *sidecar = NULL;
  g_autoptr (KlingTask) found = NULL;
  g_autoptr (GError) err = NULL;
  KlingTask task = {
    .task_id = "T-1",.status = KLING_TASK_SUCCEED,.external_task_id =
        "gstkling-x",
    .video_id = "V-1",.video_url =
        "http://127.0.0.1/files/V-1.mp4?sig=secretish",
    .video_duration_s = 5,.created_at_ms = 1000,.updated_at_ms = 2000,
    .request_id = "R-1",
  };

  fail_unless_equals_int (kling_cache_lookup (cache_dir, key, 0, &path, &found),
      KLING_CACHE_MISS);
  fail_unless (kling_cache_store (cache_dir, key, download, request, &task,
          &err), "%s", err ? err->message : "");
  fail_unless (!g_file_test (download, G_FILE_TEST_EXISTS));
  fail_unless_equals_int (kling_cache_lookup (cache_dir, key, 0, &path, &found),
      KLING_CACHE_HIT);
  fail_unless (g_str_has_suffix (path, ".mp4") && strstr (path, key) != NULL);
  fail_unless_equals_string (found->task_id, "T-1");
  fail_unless (found->status == KLING_TASK_SUCCEED);
  fail_unless_equals_string (found->video_id, "V-1");
  fail_unless_equals_string (found->external_task_id, "gstkling-x");
  fail_unless (found->video_duration_s == 5);
  fail_unless_equals_int64 (found->updated_at_ms, 2000);

  /* The sidecar has the summary, never the image bytes nor the signed URL. */
  sidecar = g_strconcat (cache_dir, "/", key, ".json", NULL);
  fail_unless (g_file_get_contents (sidecar, &sidecar_text, NULL, NULL));
  fail_unless (strstr (sidecar_text, "\"sha256\"") != NULL);
  fail_unless (strstr (sidecar_text, "QUJD") == NULL);
  fail_unless (strstr (sidecar_text, "sig=") == NULL);
  fail_unless (strstr (sidecar_text, "\"image2video\"") != NULL);
  /* mp4 + sidecar, and no temporary file left by the atomic write */
  fail_unless_equals_int (count_entries (cache_dir), 2);
}

GST_END_TEST;

/* The sidecar keeps what Kling charged and how long it took; a lookup gives the charge
 * back, and the next estimate reads the time. */
GST_START_TEST (test_store_records_charge_and_render_time)
{
  g_autoptr (KlingRequest) request =
      kling_request_new (KLING_ENDPOINT_IMAGE2VIDEO,
      json_from_string ("{\"model_name\":\"kling-v3\",\"image\":\"QUJD\"}",
          NULL), NULL);
  g_autofree gchar *key = kling_request_cache_key (request);
  g_autofree gchar *download = write_mp4 ("download.part");
  g_autoptr (KlingTask) found = NULL;
  gdouble median = -1;
  KlingTask task = {
    .task_id = "T-1",.status = KLING_TASK_SUCCEED,.created_at_ms = 1000,
    .updated_at_ms = 43500,.charge = "3",.charge_amount = 3,.charge_unit =
        "credits",
  };

  fail_unless (kling_cache_store (cache_dir, key, download, request, &task,
          NULL));
  fail_unless_equals_int (kling_cache_lookup (cache_dir, key, 0, NULL, &found),
      KLING_CACHE_HIT);
  fail_unless_equals_string (found->charge, "3");
  fail_unless (found->charge_amount == 3);
  fail_unless_equals_string (found->charge_unit, "credits");
  fail_unless_equals_int (kling_cache_recent_render_s (cache_dir,
          KLING_ENDPOINT_IMAGE2VIDEO, "kling-v3", 5, &median), 1);
  fail_unless (median == 42.5, "%f", median);
  fail_unless_equals_int (kling_cache_recent_render_s (cache_dir,
          KLING_ENDPOINT_IMAGE2VIDEO, "kling-v2-6", 5, &median), 0);
  fail_unless (median == 0);
}

GST_END_TEST;

/* A sidecar of @model rendered in @render_s, written @age_s ago. */
static void
write_timed_sidecar (const gchar * name, const gchar * model, gdouble render_s,
    gint age_s)
{
  g_autofree gchar *file = g_strconcat (name, ".json", NULL);
  g_autofree gchar *json = g_strdup_printf ("{\"endpoint\":\"image2video\","
      "\"model\":\"%s\",\"task_id\":\"%s\",\"render_s\":%g}", model, name,
      render_s);
  g_autofree gchar *path = write_file (file, json, strlen (json));
  struct utimbuf times = {.actime = time (NULL) - age_s,.modtime =
        time (NULL) - age_s
  };

  fail_unless (utime (path, &times) == 0);
}

/* The median of the newest renders of that endpoint and model, not all of them. */
GST_START_TEST (test_recent_render_times)
{
  gdouble median = -1;
  guint i;

  /* Old and slow: beyond the 3 newest, so they do not count. */
  for (i = 0; i < 4; i++) {
    g_autofree gchar *name = g_strdup_printf ("old%u", i);
    write_timed_sidecar (name, "kling-v3", 900, 1000 + i);
  }
  write_timed_sidecar ("new0", "kling-v3", 30, 10);
  write_timed_sidecar ("new1", "kling-v3", 60, 11);
  write_timed_sidecar ("new2", "kling-v3", 50, 12);
  write_timed_sidecar ("other", "kling-v2-6", 1, 5);
  g_free (write_file ("garbage.json", "{", 1));
  fail_unless_equals_int (kling_cache_recent_render_s (cache_dir,
          KLING_ENDPOINT_IMAGE2VIDEO, "kling-v3", 3, &median), 3);
  fail_unless (median == 50, "%f", median);
  /* Even count: the mean of the middle two. */
  fail_unless_equals_int (kling_cache_recent_render_s (cache_dir,
          KLING_ENDPOINT_IMAGE2VIDEO, "kling-v3", 4, &median), 4);
  fail_unless (median == 55, "%f", median);
  fail_unless_equals_int (kling_cache_recent_render_s (cache_dir,
          KLING_ENDPOINT_TEXT2VIDEO, "kling-v3", 3, &median), 0);
}

GST_END_TEST;

GST_START_TEST (test_lookup_needs_both_files)
{
  g_autofree gchar *clip = NULL, *json = NULL;
  g_autoptr (GBytes) whole = test_mp4_build (NULL);
  g_autoptr (KlingTask) task = NULL;
  g_autofree gchar *path = NULL;

  clip = write_mp4 ("k1.mp4");
  fail_unless_equals_int (kling_cache_lookup (cache_dir, "k1", 0, NULL, NULL),
      KLING_CACHE_MISS);
  json = write_file ("k1.json", "{\"task_id\": 5}", 14);
  fail_unless_equals_int (kling_cache_lookup (cache_dir, "k1", 0, NULL, NULL),
      KLING_CACHE_MISS);
  g_free (json);
  json = write_file ("k1.json", "{\"task_id\": \"t\"}", 16);
  fail_unless_equals_int (kling_cache_lookup (cache_dir, "k1", 0, NULL, NULL),
      KLING_CACHE_HIT);
  /* A sidecar without its clip, or with a clip that is not a whole MP4 (an error page, a
   * cut download an older version cached): damaged, and the task to fetch it again from
   * is named, so it is never rendered (paid) again. */
  g_free (json);
  json = write_file ("k2.json", "{\"task_id\":\"t2\"}", 16);
  fail_unless_equals_int (kling_cache_lookup (cache_dir, "k2", 0, &path, &task),
      KLING_CACHE_DAMAGED);
  fail_unless (path == NULL);
  fail_unless_equals_string (task->task_id, "t2");
  g_clear_pointer (&task, kling_task_free);
  g_free (clip);
  clip = write_file ("k1.mp4", "<html>expired</html>", 20);
  fail_unless_equals_int (kling_cache_lookup (cache_dir, "k1", 0, NULL, &task),
      KLING_CACHE_DAMAGED);
  fail_unless_equals_string (task->task_id, "t");
  g_free (clip);
  clip = write_file ("k1.mp4", g_bytes_get_data (whole, NULL),
      g_bytes_get_size (whole) - 1);
  fail_unless_equals_int (kling_cache_lookup (cache_dir, "k1", 0, NULL, NULL),
      KLING_CACHE_DAMAGED);
}

GST_END_TEST;

/* A refresh ignores the clip it replaces, and sees the new one once it is in place. */
GST_START_TEST (test_lookup_ignores_replaced_clip)
{
  g_autoptr (KlingRequest) request = make_request ();
  g_autofree gchar *key = kling_request_cache_key (request);
  g_autofree gchar *part1 = write_mp4 ("first.part"), *part2 =
      write_mp4 ("second.part");
  KlingTask task = {.task_id = "T-1",.status = KLING_TASK_SUCCEED };
  guint64 old_id;

  fail_unless_equals_uint64 (kling_cache_clip_id (cache_dir, key), 0);
  fail_unless (kling_cache_store (cache_dir, key, part1, request, &task, NULL));
  old_id = kling_cache_clip_id (cache_dir, key);
  fail_unless (old_id != 0);
  fail_unless_equals_int (kling_cache_lookup (cache_dir, key, old_id, NULL,
          NULL), KLING_CACHE_MISS);
  fail_unless (kling_cache_store (cache_dir, key, part2, request, &task, NULL));
  fail_unless (kling_cache_clip_id (cache_dir, key) != old_id);
  fail_unless_equals_int (kling_cache_lookup (cache_dir, key, old_id, NULL,
          NULL), KLING_CACHE_HIT);
}

GST_END_TEST;

GST_START_TEST (test_journal)
{
  g_autofree gchar *journal_dir = NULL;
  g_auto (GStrv) ids = NULL;
  KlingJournalEntry entry;
  KlingJournalEntry saved = {.external_task_id = "gstkling-1",.create_sent_ms =
        1234
  };

  fail_unless (!kling_journal_load (cache_dir, "k", &entry));
  fail_unless (kling_journal_save (cache_dir, "k", KLING_ENDPOINT_LIP_SYNC,
          &saved, NULL));
  fail_unless (kling_journal_load (cache_dir, "k", &entry));
  fail_unless_equals_string (entry.external_task_id, "gstkling-1");
  fail_unless (entry.task_id == NULL);
  fail_unless_equals_int64 (entry.create_sent_ms, 1234);
  kling_journal_entry_clear (&entry);

  saved.task_id = "T-9";
  fail_unless (kling_journal_save (cache_dir, "k", KLING_ENDPOINT_LIP_SYNC,
          &saved, NULL));
  fail_unless (kling_journal_load (cache_dir, "k", &entry));
  fail_unless_equals_string (entry.task_id, "T-9");
  kling_journal_entry_clear (&entry);
  journal_dir = g_build_filename (cache_dir, "journal", NULL);
  fail_unless_equals_int (count_entries (journal_dir), 1);

  /* the task ids of the other entries */
  saved.task_id = "T-10";
  fail_unless (kling_journal_save (cache_dir, "k2", KLING_ENDPOINT_LIP_SYNC,
          &saved, NULL));
  ids = kling_journal_dup_task_ids (cache_dir, "k");
  fail_unless_equals_int (g_strv_length (ids), 1);
  fail_unless_equals_string (ids[0], "T-10");
  kling_journal_remove (cache_dir, "k2");

  kling_journal_remove (cache_dir, "k");
  kling_journal_remove (cache_dir, "k");        /* twice is harmless */
  fail_unless (!kling_journal_load (cache_dir, "k", &entry));
  fail_unless_equals_int (count_entries (journal_dir), 0);
}

GST_END_TEST;

GST_START_TEST (test_journal_garbage)
{
  g_autofree gchar *dir = g_build_filename (cache_dir, "journal", NULL);
  g_autofree gchar *path = g_build_filename (dir, "k.json", NULL);
  KlingJournalEntry entry;

  g_mkdir_with_parents (dir, 0700);
  fail_unless (g_file_set_contents (path, "{\"external_task_id\": 3}", -1,
          NULL));
  fail_unless (!kling_journal_load (cache_dir, "k", &entry));
  fail_unless (g_file_set_contents (path, "{trunc", -1, NULL));
  fail_unless (!kling_journal_load (cache_dir, "k", &entry));
}

GST_END_TEST;

/* One holder per key: a second claim (another process, or a second open claim in this
 * one) is refused without an error, and the key is free again once released. */
GST_START_TEST (test_claims)
{
  KlingClaim *a = NULL, *b = NULL, *other = NULL;
  g_autoptr (GError) err = NULL;

  fail_unless (kling_cache_claim (cache_dir, "k", &a, &err));
  fail_unless (a != NULL && err == NULL);
  fail_unless (!kling_cache_claim (cache_dir, "k", &b, &err));
  fail_unless (b == NULL && err == NULL);
  fail_unless (kling_cache_claim (cache_dir, "other", &other, NULL));
  kling_claim_release (a);
  fail_unless (kling_cache_claim (cache_dir, "k", &b, NULL));
  kling_claim_release (b);
  kling_claim_release (other);
  kling_claim_release (NULL);
}

GST_END_TEST;

/* A claim held by a process that dies is free at once: flock() dies with its holder. */
GST_START_TEST (test_claim_of_a_dead_process)
{
  KlingClaim *claim = NULL;
  gint to_parent[2];
  gchar ready;
  pid_t pid;
  gint status;

  fail_unless (pipe (to_parent) == 0);
  pid = fork ();
  if (pid == 0) {
    KlingClaim *held = NULL;

    close (to_parent[0]);
    if (!kling_cache_claim (cache_dir, "k", &held, NULL))
      _exit (2);
    if (write (to_parent[1], "r", 1) != 1)
      _exit (3);
    pause ();                   /* until killed, claim in hand */
    _exit (0);
  }
  close (to_parent[1]);
  fail_unless (read (to_parent[0], &ready, 1) == 1);
  close (to_parent[0]);
  fail_unless (!kling_cache_claim (cache_dir, "k", &claim, NULL));
  kill (pid, SIGKILL);
  fail_unless (waitpid (pid, &status, 0) == pid);
  fail_unless (kling_cache_claim (cache_dir, "k", &claim, NULL));
  kling_claim_release (claim);
}

GST_END_TEST;

/* An unwritable directory is the directory's fault, said before any request. */
GST_START_TEST (test_prepare_unwritable)
{
  g_autofree gchar *file = write_file ("plain-file", "x", 1);
  g_autofree gchar *below = g_build_filename (file, "cache", NULL);
  g_autofree gchar *tmp_as_file = NULL;
  g_autoptr (GError) err = NULL;

  fail_unless (kling_cache_prepare (cache_dir, NULL));
  fail_unless (!kling_cache_prepare (below, &err));
  fail_unless (g_error_matches (err, KLING_ERROR, KLING_ERROR_LOCAL_IO), "%s",
      err->message);
  fail_unless (strstr (err->message, below) != NULL, "%s", err->message);
  g_clear_error (&err);
  /* the journal writable, but tmp/ (where a paid clip would land) not */
  test_remove_tree (cache_dir);
  g_mkdir_with_parents (cache_dir, 0700);
  tmp_as_file = write_file ("tmp", "x", 1);
  fail_unless (!kling_cache_prepare (cache_dir, &err));
  fail_unless (g_error_matches (err, KLING_ERROR, KLING_ERROR_LOCAL_IO));
  fail_unless (strstr (err->message, "tmp") != NULL, "%s", err->message);
}

GST_END_TEST;

static void
touch_old (const gchar * path, gint64 age_s)
{
  struct utimbuf times;

  times.actime = times.modtime = g_get_real_time () / G_USEC_PER_SEC - age_s;
  fail_unless (g_utime (path, &times) == 0);
}

/* Partial downloads: a claim holder removes its key's leftovers; others' only when they
 * are old and nobody claims their key. */
GST_START_TEST (test_clean_parts)
{
  g_autofree gchar *tmp = kling_cache_ensure_tmp_dir (cache_dir, NULL);
  g_autofree gchar *mine = g_build_filename (tmp, "aaaa.0001.part", NULL);
  g_autofree gchar *old = g_build_filename (tmp, "bbbb.0002.part", NULL);
  g_autofree gchar *young = g_build_filename (tmp, "cccc.0003.part", NULL);
  g_autofree gchar *claimed = g_build_filename (tmp, "dddd.0004.part", NULL);
  g_autofree gchar *other = g_build_filename (tmp, "notes.txt", NULL);
  KlingClaim *claim = NULL;

  fail_unless (g_file_set_contents (mine, "x", 1, NULL));
  fail_unless (g_file_set_contents (old, "x", 1, NULL));
  fail_unless (g_file_set_contents (young, "x", 1, NULL));
  fail_unless (g_file_set_contents (claimed, "x", 1, NULL));
  fail_unless (g_file_set_contents (other, "x", 1, NULL));
  touch_old (old, 7200);
  touch_old (claimed, 7200);
  touch_old (other, 7200);
  fail_unless (kling_cache_claim (cache_dir, "dddd", &claim, NULL));

  fail_unless_equals_int (kling_cache_clean_parts (cache_dir, "aaaa", 3600), 2);
  fail_unless (!g_file_test (mine, G_FILE_TEST_EXISTS));
  fail_unless (!g_file_test (old, G_FILE_TEST_EXISTS));
  fail_unless (g_file_test (young, G_FILE_TEST_EXISTS));
  fail_unless (g_file_test (claimed, G_FILE_TEST_EXISTS));
  fail_unless (g_file_test (other, G_FILE_TEST_EXISTS));
  kling_claim_release (claim);
}

GST_END_TEST;

static Suite *
cache_suite (void)
{
  Suite *s = suite_create ("kling-cache");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_store_and_lookup);
  tcase_add_test (tc, test_store_records_charge_and_render_time);
  tcase_add_test (tc, test_recent_render_times);
  tcase_add_test (tc, test_lookup_needs_both_files);
  tcase_add_test (tc, test_journal);
  tcase_add_test (tc, test_journal_garbage);
  tcase_add_test (tc, test_lookup_ignores_replaced_clip);
  tcase_add_test (tc, test_claims);
  tcase_add_test (tc, test_claim_of_a_dead_process);
  tcase_add_test (tc, test_prepare_unwritable);
  tcase_add_test (tc, test_clean_parts);
  return s;
}

GST_CHECK_MAIN (cache);
