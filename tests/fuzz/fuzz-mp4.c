/* libFuzzer target: the MP4 verifier reads box sizes, sample counts and chunk offsets a
 * server chose. Any input must end in a clean answer; what it accepts must be consistent
 * with what it reports, and a prefix of an accepted file that ends inside its moov must be
 * refused. (A prefix that keeps every sample may pass: with an 'mdat' of size 0, "to the
 * end of the file", the bytes after the last sample are not part of the clip.) */
#include "kling-mp4.h"
#include "kling-error.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  g_autoptr (GError) error = NULL;
  KlingMp4Info info = { 0, };

  if (!kling_mp4_verify (data, size, &info, &error)) {
    g_assert_true (g_error_matches (error, KLING_ERROR, KLING_ERROR_PROTOCOL));
    return 0;
  }
  g_assert_true (info.has_video);
  g_assert_cmpuint (info.n_tracks, >=, 1);
  g_assert_cmpuint (info.moov_end, <=, size);
  g_assert_true (info.duration_s > 0);
  /* Cut inside the moov, it must fail: try a few places, cheaply. */
  for (gsize cut = info.moov_end - 1; cut > 0; cut /= 3) {
    g_autoptr (GError) cut_error = NULL;

    g_assert_false (kling_mp4_verify (data, cut, NULL, &cut_error));
  }
  return 0;
}
