/* gst-kling: exponential backoff with equal jitter. */
#include "kling-backoff.h"

guint
kling_backoff_delay_ms (const KlingBackoff * backoff, guint retry,
    guint retry_after_s, gboolean rate_limited, gdouble random01)
{
  guint64 nominal = MAX (backoff->base_delay_ms, 1);
  guint64 cap = MAX (backoff->max_delay_ms, 1);
  guint64 delay, floor_ms = 0;
  guint i;

  /* Doubling stops at the cap, so no overflow whatever @retry is. */
  for (i = 1; i < retry && nominal < cap; i++)
    nominal *= 2;
  nominal = MIN (nominal, cap);

  random01 = CLAMP (random01, 0.0, 1.0);
  delay =
      nominal / 2 + (guint64) (random01 * (gdouble) (nominal - nominal / 2));

  if (rate_limited)
    floor_ms = KLING_BACKOFF_RATE_LIMIT_MIN_MS;
  floor_ms = MAX (floor_ms, (guint64) retry_after_s * 1000);
  delay = MAX (delay, floor_ms);
  return (guint) MIN (delay, (guint64) G_MAXUINT);
}

gboolean
kling_backoff_may_retry (guint attempts_made, guint max_attempts,
    guint64 elapsed_ms, guint delay_ms, guint64 deadline_ms)
{
  if (attempts_made >= max_attempts)
    return FALSE;
  if (deadline_ms > 0 && elapsed_ms + delay_ms > deadline_ms)
    return FALSE;
  return TRUE;
}
