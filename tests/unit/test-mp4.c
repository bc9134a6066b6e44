/* Unit tests: the MP4 verifier on crafted files. Whole files pass in every layout; a file
 * cut at any byte fails, and so does each kind of damage a download or a hostile server
 * can produce. */
#include <gst/check/gstcheck.h>
#include <string.h>
#include <glib/gstdio.h>
#include "kling-mp4.h"
#include "kling-error.h"
#include "mp4-build.h"

static gboolean
verify_bytes (GBytes * bytes, KlingMp4Info * info, GError ** error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  return kling_mp4_verify (data, len, info, error);
}

/* A copy of @bytes to change. */
static GByteArray *
copy_of (GBytes * bytes)
{
  GByteArray *copy = g_byte_array_new ();

  g_byte_array_append (copy, g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes));
  return copy;
}

/* The offset of the first @fourcc in @data (a box type), -1 when absent. */
static gssize
find_fourcc (const guint8 * data, gsize len, const gchar * fourcc)
{
  gsize i;

  for (i = 4; i + 4 <= len; i++) {
    if (memcmp (data + i, fourcc, 4) == 0)
      return (gssize) (i - 4);
  }
  return -1;
}

static void
put_be32 (guint8 * p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

/* Fails unless @data is refused with a KLING_ERROR_PROTOCOL whose message has @words. */
static void
check_refused (const guint8 * data, gsize len, const gchar * words)
{
  g_autoptr (GError) err = NULL;

  fail_if (kling_mp4_verify (data, len, NULL, &err), "accepted (%s)", words);
  fail_unless (g_error_matches (err, KLING_ERROR, KLING_ERROR_PROTOCOL));
  fail_unless (strstr (err->message, words) != NULL, "'%s' not in: %s", words,
      err->message);
}

GST_START_TEST (test_whole_files_pass)
{
  const TestMp4Spec specs[] = {
    {0,},
    {.co64 = TRUE},
    {.moov_last = TRUE},
    {.large_mdat = TRUE},
    {.mdat_to_eof = TRUE},
    {.variable_sizes = TRUE,.samples_per_chunk = 3},
    {.audio = TRUE,.width = 1280,.height = 720,.duration_s = 10},
    {.n_samples = 1,.samples_per_chunk = 1},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (specs); i++) {
    g_autoptr (GBytes) mp4 = test_mp4_build (&specs[i]);
    g_autoptr (GError) err = NULL;
    KlingMp4Info info;

    fail_unless (verify_bytes (mp4, &info, &err), "spec %u: %s", i,
        err ? err->message : "");
    fail_unless (info.has_video);
    fail_unless_equals_int (info.has_audio, specs[i].audio);
    fail_unless_equals_int (info.n_tracks, specs[i].audio ? 2 : 1);
    fail_unless_equals_int (info.width, specs[i].width ? specs[i].width : 320);
    fail_unless_equals_int (info.height,
        specs[i].height ? specs[i].height : 240);
    fail_unless (info.duration_s ==
        (specs[i].duration_s ? specs[i].duration_s : 5));
    fail_unless_equals_int (info.faststart, !specs[i].moov_last);
    fail_unless (!info.fragmented);
    fail_unless (info.moov_end > 0 && info.moov_end <= g_bytes_get_size (mp4));
  }
}

GST_END_TEST;

/* Whatever byte a download stops at, the file is refused: the audit's truncated clips
 * (a body cut short with or without Content-Length) can no longer pass. */
GST_START_TEST (test_every_truncation_fails)
{
  const TestMp4Spec specs[] = {
    {0,}, {.moov_last = TRUE}, {.mdat_to_eof = TRUE}, {.large_mdat = TRUE},
    {.audio = TRUE,.co64 = TRUE},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (specs); i++) {
    g_autoptr (GBytes) mp4 = test_mp4_build (&specs[i]);
    gsize len, cut;
    const guint8 *data = g_bytes_get_data (mp4, &len);

    for (cut = 0; cut < len; cut++)
      fail_if (kling_mp4_verify (data, cut, NULL, NULL),
          "spec %u cut at %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " passed", i,
          cut, len);
  }
}

GST_END_TEST;

/* What a server can append or announce wrongly: junk after the last box, a header cut. */
GST_START_TEST (test_trailing_bytes)
{
  g_autoptr (GBytes) mp4 = test_mp4_build (NULL);
  g_autoptr (GByteArray) junk = copy_of (mp4);
  static const guint8 tail[] = "\0\0\0\x40" "free" "0123";

  g_byte_array_append (junk, tail, 4);
  check_refused (junk->data, junk->len, "cut short");
  g_byte_array_set_size (junk, g_bytes_get_size (mp4));
  g_byte_array_append (junk, tail, sizeof (tail) - 1);
  check_refused (junk->data, junk->len, "'free'");
}

GST_END_TEST;

GST_START_TEST (test_chunk_outside_media_data)
{
  g_autoptr (GBytes) mp4 = test_mp4_build (NULL);
  g_autoptr (GByteArray) bad = copy_of (mp4);
  gssize stco = find_fourcc (bad->data, bad->len, "stco");
  gssize moov = find_fourcc (bad->data, bad->len, "moov");

  fail_unless (stco > 0 && moov > 0);
  /* the first chunk offset (after size, type, version/flags and the count) */
  put_be32 (bad->data + stco + 16, bad->len - 50);
  check_refused (bad->data, bad->len, "not inside the media data");
  /* pointing into the moov instead of the mdat is no better */
  put_be32 (bad->data + stco + 16, (guint32) moov + 8);
  check_refused (bad->data, bad->len, "not inside the media data");
}

GST_END_TEST;

GST_START_TEST (test_sample_count_mismatch)
{
  const TestMp4Spec two_chunks = {.samples_per_chunk = 5 };
  g_autoptr (GBytes) mp4 = test_mp4_build (NULL), mp4_5 =
      test_mp4_build (&two_chunks);
  g_autoptr (GByteArray) more = copy_of (mp4_5), fewer = copy_of (mp4), huge =
      copy_of (mp4);
  gssize stsz = find_fourcc (more->data, more->len, "stsz");

  fail_unless (stsz > 0);
  /* stsz: size, type, version/flags, sample_size, sample_count: 11 samples counted,
   * two chunks of 5 */
  put_be32 (more->data + stsz + 16, 11);
  check_refused (more->data, more->len, "of its 11 samples");
  /* 8 samples counted for three chunks of 4, 4 and 2 */
  stsz = find_fourcc (fewer->data, fewer->len, "stsz");
  put_be32 (fewer->data + stsz + 16, 8);
  check_refused (fewer->data, fewer->len, "more chunks than samples");
  /* 4 billion samples of 100 bytes: refused at once, no 4-billion-step loop */
  put_be32 (huge->data + stsz + 16, 0xffffffff);
  check_refused (huge->data, huge->len, "not inside the media data");
}

GST_END_TEST;

GST_START_TEST (test_structure_errors)
{
  g_autoptr (GBytes) mp4 = test_mp4_build (NULL);
  g_autoptr (GByteArray) no_ftyp = copy_of (mp4), no_moov = copy_of (mp4),
      no_mdat = copy_of (mp4), two_moov = copy_of (mp4), tiny = copy_of (mp4);
  gssize moov = find_fourcc (no_moov->data, no_moov->len, "moov");
  gssize mdat = find_fourcc (no_mdat->data, no_mdat->len, "mdat");
  gssize hdlr = find_fourcc (no_moov->data, no_moov->len, "hdlr");
  g_autoptr (GByteArray) audio_only = copy_of (mp4);

  memcpy (no_ftyp->data + 4, "free", 4);
  check_refused (no_ftyp->data, no_ftyp->len, "not 'ftyp'");
  memcpy (no_moov->data + moov + 4, "free", 4);
  check_refused (no_moov->data, no_moov->len, "no 'moov'");
  memcpy (no_mdat->data + mdat + 4, "free", 4);
  check_refused (no_mdat->data, no_mdat->len, "no 'mdat'");
  memcpy (two_moov->data + mdat + 4, "moov", 4);
  check_refused (two_moov->data, two_moov->len, "two 'moov'");
  memcpy (audio_only->data + hdlr + 16, "soun", 4);
  check_refused (audio_only->data, audio_only->len, "no video track");
  /* a box declaring less than its own header */
  put_be32 (tiny->data + moov, 4);
  check_refused (tiny->data, tiny->len, "less than its header");
  check_refused ((const guint8 *) "", 0, "empty");
}

GST_END_TEST;

/* Size 0 ("to the end of the file") is taken for an 'mdat' only: a 'moov' without a size
 * ends wherever the download was cut (found by tests/fuzz/fuzz-mp4). */
GST_START_TEST (test_size_zero_boxes)
{
  TestMp4Spec moov_last = {.moov_last = TRUE };
  g_autoptr (GBytes) faststart = test_mp4_build (NULL);
  g_autoptr (GBytes) moov_at_end = test_mp4_build (&moov_last);
  g_autoptr (GByteArray) open_moov = copy_of (moov_at_end), open_mdat =
      copy_of (faststart);
  gssize moov = find_fourcc (open_moov->data, open_moov->len, "moov");
  gssize mdat = find_fourcc (open_mdat->data, open_mdat->len, "mdat");
  g_autoptr (GError) err = NULL;

  /* The last box each time, so "to the end of the file" covers the same bytes. */
  put_be32 (open_moov->data + moov, 0);
  check_refused (open_moov->data, open_moov->len, "only 'mdat' may have");
  put_be32 (open_mdat->data + mdat, 0);
  fail_unless (kling_mp4_verify (open_mdat->data, open_mdat->len, NULL, &err),
      "%s", err ? err->message : "");
}

GST_END_TEST;

/* Random damage (bytes flipped, runs zeroed) never crashes or hangs the verifier; run
 * under AddressSanitizer and valgrind this is a small, deterministic fuzz pass. */
GST_START_TEST (test_random_damage_is_safe)
{
  const TestMp4Spec spec = {.audio = TRUE,.variable_sizes = TRUE };
  g_autoptr (GBytes) mp4 = test_mp4_build (&spec);
  g_autoptr (GRand) rand = g_rand_new_with_seed (20261202);
  guint round, accepted = 0;

  for (round = 0; round < 3000; round++) {
    g_autoptr (GByteArray) bad = copy_of (mp4);
    guint flips = g_rand_int_range (rand, 1, 6), i;

    for (i = 0; i < flips; i++) {
      guint at = g_rand_int_range (rand, 0, bad->len);
      if (g_rand_boolean (rand))
        bad->data[at] = (guint8) g_rand_int (rand);
      else
        memset (bad->data + at, 0xff, MIN (4, bad->len - at));
    }
    if (kling_mp4_verify (bad->data, g_rand_int_range (rand, bad->len / 2,
                bad->len + 1), NULL, NULL))
      accepted++;
  }
  /* Flips inside the media bytes leave a whole file: some pass, most do not. */
  fail_unless (accepted < 3000);
}

GST_END_TEST;

GST_START_TEST (test_file)
{
  g_autofree gchar *dir = g_dir_make_tmp ("kling-mp4-XXXXXX", NULL);
  g_autofree gchar *path = g_build_filename (dir, "clip.mp4", NULL);
  g_autoptr (GError) err = NULL;
  KlingMp4Info info;

  test_mp4_write (path, NULL);
  fail_unless (kling_mp4_verify_file (path, &info, NULL));
  fail_unless (info.duration_s == 5);
  fail_unless (!kling_mp4_verify_file ("/nonexistent/clip.mp4", NULL, &err));
  fail_unless (g_error_matches (err, KLING_ERROR, KLING_ERROR_LOCAL_IO));
  g_unlink (path);
  g_rmdir (dir);
}

GST_END_TEST;

GST_START_TEST (test_plausible_size)
{
  const guint64 mb = 1024 * 1024;

  fail_unless_equals_uint64 (kling_mp4_max_plausible_bytes (5, 720),
      5 * 2000000 + 4 * mb);
  fail_unless_equals_uint64 (kling_mp4_max_plausible_bytes (10, 1080),
      10 * 4000000 + 4 * mb);
  /* unknown duration and height: 60 s at 1080 lines */
  fail_unless_equals_uint64 (kling_mp4_max_plausible_bytes (0, 0),
      60 * 4000000 + 4 * mb);
  /* never beyond the ceiling */
  fail_unless_equals_uint64 (kling_mp4_max_plausible_bytes (3600, 2160),
      KLING_MP4_MAX_BYTES);
  fail_unless_equals_int (kling_mp4_height_for_mode ("std"), 720);
  fail_unless_equals_int (kling_mp4_height_for_mode ("pro"), 1080);
  fail_unless_equals_int (kling_mp4_height_for_mode ("4k"), 2160);
  fail_unless_equals_int (kling_mp4_height_for_mode ("standard"), 0);
  fail_unless_equals_int (kling_mp4_height_for_mode (NULL), 0);
}

GST_END_TEST;

static Suite *
mp4_suite (void)
{
  Suite *s = suite_create ("kling-mp4");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_whole_files_pass);
  tcase_add_test (tc, test_every_truncation_fails);
  tcase_add_test (tc, test_trailing_bytes);
  tcase_add_test (tc, test_chunk_outside_media_data);
  tcase_add_test (tc, test_sample_count_mismatch);
  tcase_add_test (tc, test_structure_errors);
  tcase_add_test (tc, test_size_zero_boxes);
  tcase_add_test (tc, test_random_damage_is_safe);
  tcase_add_test (tc, test_file);
  tcase_add_test (tc, test_plausible_size);
  return s;
}

GST_CHECK_MAIN (mp4);
