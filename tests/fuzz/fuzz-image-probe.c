/* libFuzzer target: the JPEG/PNG header probe and the still checks built on it read
 * attacker-sized lengths; any input must end in a clean answer, and an accepted image must
 * agree with what the probe saw. */
#include "kling-requests.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  g_autoptr (GBytes) image = g_bytes_new_static (data, size);
  g_autoptr (GError) error = NULL;
  KlingImageFormat format = KLING_IMAGE_FORMAT_UNKNOWN;
  guint width = 0, height = 0;
  gboolean probed = kling_image_probe (image, &format, &width, &height);

  if (probed) {
    g_assert_true (format == KLING_IMAGE_FORMAT_JPEG
        || format == KLING_IMAGE_FORMAT_PNG);
    g_assert_cmpuint (width, >, 0);
    g_assert_cmpuint (height, >, 0);
  }
  if (kling_validate_image (image, "image", &error)) {
    g_assert_true (probed);
    g_assert_cmpuint (MIN (width, height), >=, KLING_IMAGE_MIN_SIDE);
  } else {
    g_assert_nonnull (error);
    g_assert_true (g_error_matches (error, KLING_ERROR,
            KLING_ERROR_INVALID_INPUT));
  }
  return 0;
}
