/* gst-kling: the delay before the next retry, as a pure function (no clock, no sleeping)
 * so tests can check its bounds with injected randomness. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Rate limits (1302/1303) are never retried sooner than this. */
#define KLING_BACKOFF_RATE_LIMIT_MIN_MS 1000

typedef struct {
  guint base_delay_ms;   /* the first retry's nominal delay */
  guint max_delay_ms;    /* cap of the nominal delay */
} KlingBackoff;

/* Delay before retry number @retry (1 = the first retry) of a failed call.
 * Nominal delay d = min (max_delay_ms, base_delay_ms * 2^(retry-1)); with "equal jitter"
 * the result is d/2 + @random01 * d/2, so it lies in [d/2, d] and grows with @retry.
 * @rate_limited raises it to at least KLING_BACKOFF_RATE_LIMIT_MIN_MS; a server's
 * Retry-After (@retry_after_s, 0 = none) is a floor that wins over the cap.
 * @random01 is a uniform number in [0, 1), injected so tests can pin it. */
guint    kling_backoff_delay_ms  (const KlingBackoff *backoff, guint retry,
                                  guint retry_after_s, gboolean rate_limited,
                                  gdouble random01);

/* TRUE when another attempt is allowed: fewer than @max_attempts made so far (the first
 * try included) and waiting @delay_ms from @elapsed_ms still ends within @deadline_ms
 * (0 = no deadline). */
gboolean kling_backoff_may_retry (guint attempts_made, guint max_attempts,
                                  guint64 elapsed_ms, guint delay_ms, guint64 deadline_ms);

G_END_DECLS
