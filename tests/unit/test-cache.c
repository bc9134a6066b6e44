/* Unit tests: the clip cache, its sidecars, the journal and the MP4 check. */
#include <gst/check/gstcheck.h>
#include <string.h>
#include <glib/gstdio.h>
#include "kling-cache.h"
#include "client-test-util.h"

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
write_file (const gchar *name, const gchar *data, gsize len)
{
  gchar *path = g_build_filename (cache_dir, name, NULL);

  fail_unless (g_file_set_contents (path, data, len, NULL));
  return path;
}

static const gchar mp4_head[] = "\0\0\0\x18" "ftypisom" "\0\0\0\0isomiso2";

static KlingRequest *
make_request (void)
{
  return kling_request_new (KLING_ENDPOINT_IMAGE2VIDEO,
      json_from_string ("{\"prompt\":\"p\",\"image\":\"QUJD\"}", NULL),
      json_from_string ("{\"prompt\":\"p\",\"image\":{\"sha256\":\"abc\"}}", NULL));
}

static guint
count_entries (const gchar *path)
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
  g_autofree gchar *download = write_file ("download.part", mp4_head, sizeof (mp4_head));
  g_autofree gchar *path = NULL, *sidecar_text = NULL, *sidecar = NULL;
  g_autoptr (KlingTask) found = NULL;
  g_autoptr (GError) err = NULL;
  KlingTask task = {
    .task_id = "T-1", .status = KLING_TASK_SUCCEED, .external_task_id = "gstkling-x",
    .video_id = "V-1", .video_url = "http://127.0.0.1/files/V-1.mp4?sig=secretish",
    .video_duration_s = 5, .created_at_ms = 1000, .updated_at_ms = 2000,
    .request_id = "R-1",
  };

  fail_unless (!kling_cache_lookup (cache_dir, key, &path, &found));
  fail_unless (kling_cache_store (cache_dir, key, download, request, &task, &err),
      "%s", err ? err->message : "");
  fail_unless (!g_file_test (download, G_FILE_TEST_EXISTS));
  fail_unless (kling_cache_lookup (cache_dir, key, &path, &found));
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

GST_START_TEST (test_lookup_needs_both_files)
{
  g_autofree gchar *clip = NULL, *json = NULL;

  clip = write_file ("k1.mp4", mp4_head, sizeof (mp4_head));
  fail_unless (!kling_cache_lookup (cache_dir, "k1", NULL, NULL));
  json = write_file ("k2.json", "{\"task_id\":\"t\"}", 15);
  fail_unless (!kling_cache_lookup (cache_dir, "k2", NULL, NULL));
  g_free (json);
  json = write_file ("k1.json", "{\"task_id\": 5}", 14);
  fail_unless (!kling_cache_lookup (cache_dir, "k1", NULL, NULL));
  g_free (json);
  json = write_file ("k1.json", "{\"task_id\": \"t\"}", 16);
  fail_unless (kling_cache_lookup (cache_dir, "k1", NULL, NULL));
  /* A clip that is not an MP4 is no hit. */
  g_free (clip);
  clip = write_file ("k1.mp4", "<html>expired</html>", 20);
  fail_unless (!kling_cache_lookup (cache_dir, "k1", NULL, NULL));
}
GST_END_TEST;

GST_START_TEST (test_journal)
{
  g_autofree gchar *ext = NULL, *task_id = NULL, *journal_dir = NULL;

  fail_unless (!kling_journal_load (cache_dir, "k", &ext, &task_id));
  fail_unless (kling_journal_save (cache_dir, "k", KLING_ENDPOINT_LIP_SYNC, "gstkling-1",
          NULL, NULL));
  fail_unless (kling_journal_load (cache_dir, "k", &ext, &task_id));
  fail_unless_equals_string (ext, "gstkling-1");
  fail_unless (task_id == NULL);
  g_clear_pointer (&ext, g_free);

  fail_unless (kling_journal_save (cache_dir, "k", KLING_ENDPOINT_LIP_SYNC, "gstkling-1",
          "T-9", NULL));
  fail_unless (kling_journal_load (cache_dir, "k", &ext, &task_id));
  fail_unless_equals_string (task_id, "T-9");
  journal_dir = g_build_filename (cache_dir, "journal", NULL);
  fail_unless_equals_int (count_entries (journal_dir), 1);

  kling_journal_remove (cache_dir, "k");
  kling_journal_remove (cache_dir, "k");     /* twice is harmless */
  g_clear_pointer (&ext, g_free);
  g_clear_pointer (&task_id, g_free);
  fail_unless (!kling_journal_load (cache_dir, "k", &ext, &task_id));
  fail_unless_equals_int (count_entries (journal_dir), 0);
}
GST_END_TEST;

GST_START_TEST (test_journal_garbage)
{
  g_autofree gchar *dir = g_build_filename (cache_dir, "journal", NULL);
  g_autofree gchar *path = g_build_filename (dir, "k.json", NULL);
  g_autofree gchar *ext = NULL, *task_id = NULL;

  g_mkdir_with_parents (dir, 0700);
  fail_unless (g_file_set_contents (path, "{\"external_task_id\": 3}", -1, NULL));
  fail_unless (!kling_journal_load (cache_dir, "k", &ext, &task_id));
  fail_unless (g_file_set_contents (path, "{trunc", -1, NULL));
  fail_unless (!kling_journal_load (cache_dir, "k", &ext, &task_id));
}
GST_END_TEST;

GST_START_TEST (test_mp4_check)
{
  g_autofree gchar *good = write_file ("a.mp4", mp4_head, sizeof (mp4_head));
  g_autofree gchar *bad = write_file ("b.mp4", "\0\0\0\x18moov....", 12);
  g_autofree gchar *tiny = write_file ("c.mp4", "\0\0\0", 3);
  g_autoptr (GError) err = NULL;

  fail_unless (kling_mp4_check (good, sizeof (mp4_head), NULL));
  fail_unless (kling_mp4_check (good, -1, NULL));
  fail_unless (!kling_mp4_check (good, sizeof (mp4_head) * 2, &err));
  fail_unless (g_error_matches (err, KLING_ERROR, KLING_ERROR_PROTOCOL));
  fail_unless (strstr (err->message, "announced") != NULL);
  fail_unless (!kling_mp4_check (bad, -1, NULL));
  fail_unless (!kling_mp4_check (tiny, -1, NULL));
  fail_unless (!kling_mp4_check ("/nonexistent/x.mp4", -1, NULL));
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
  tcase_add_test (tc, test_lookup_needs_both_files);
  tcase_add_test (tc, test_journal);
  tcase_add_test (tc, test_journal_garbage);
  tcase_add_test (tc, test_mp4_check);
  return s;
}

GST_CHECK_MAIN (cache);
