/* Unit tests: backoff delays with injected randomness (no clock, no sleeping). */
#include <gst/check/gstcheck.h>
#include "kling-backoff.h"

static const KlingBackoff policy = {.base_delay_ms = 1000,.max_delay_ms = 30000
};

GST_START_TEST (test_backoff_bounds_grow_and_cap)
{
  guint retry, prev_high = 0;

  for (retry = 1; retry <= 12; retry++) {
    guint nominal = MIN (30000u, 1000u << MIN (retry - 1, 20u));
    guint low = kling_backoff_delay_ms (&policy, retry, 0, FALSE, 0.0);
    guint high = kling_backoff_delay_ms (&policy, retry, 0, FALSE, 0.999999);
    guint mid = kling_backoff_delay_ms (&policy, retry, 0, FALSE, 0.5);

    fail_unless_equals_int (low, nominal / 2);
    fail_unless (high <= nominal
        && high >= nominal - 1, "retry %u: %u", retry, high);
    fail_unless (mid > low && mid < high);
    fail_unless (high >= prev_high);
    prev_high = high;
  }
  /* Huge retry counts neither overflow nor exceed the cap. */
  fail_unless (kling_backoff_delay_ms (&policy, G_MAXUINT, 0, FALSE,
          0.99) <= 30000);
}

GST_END_TEST;

GST_START_TEST (test_backoff_jitter_spreads)
{
  guint i, distinct = 0, last = 0;

  for (i = 0; i < 10; i++) {
    guint d = kling_backoff_delay_ms (&policy, 3, 0, FALSE, i / 10.0);
    fail_unless (d >= 2000 && d <= 4000);
    if (d != last)
      distinct++;
    last = d;
  }
  fail_unless_equals_int (distinct, 10);
  /* Out-of-range randomness is clamped, never a wild delay. */
  fail_unless_equals_int (kling_backoff_delay_ms (&policy, 1, 0, FALSE, -3.0),
      500);
  fail_unless_equals_int (kling_backoff_delay_ms (&policy, 1, 0, FALSE, 7.0),
      1000);
}

GST_END_TEST;

GST_START_TEST (test_backoff_rate_limit_and_retry_after)
{
  KlingBackoff fast = {.base_delay_ms = 10,.max_delay_ms = 100 };

  /* A 1303 waits at least one second even with a tiny base delay. */
  fail_unless_equals_int (kling_backoff_delay_ms (&fast, 1, 0, TRUE, 0.0),
      1000);
  fail_unless_equals_int (kling_backoff_delay_ms (&fast, 1, 0, FALSE, 0.0), 5);
  /* Retry-After is a floor, above the cap too. */
  fail_unless_equals_int (kling_backoff_delay_ms (&fast, 1, 3, FALSE, 0.5),
      3000);
  fail_unless_equals_int (kling_backoff_delay_ms (&policy, 1, 45, TRUE, 0.9),
      45000);
  /* ... and never shortens a longer backoff. */
  fail_unless (kling_backoff_delay_ms (&policy, 6, 1, FALSE, 0.0) >= 15000);
}

GST_END_TEST;

GST_START_TEST (test_backoff_attempts_and_deadline)
{
  fail_unless (kling_backoff_may_retry (1, 6, 0, 1000, 300000));
  fail_unless (kling_backoff_may_retry (5, 6, 0, 1000, 300000));
  fail_unless (!kling_backoff_may_retry (6, 6, 0, 1000, 300000));
  fail_unless (!kling_backoff_may_retry (1, 1, 0, 0, 0));
  /* The wait itself must end before the deadline. */
  fail_unless (kling_backoff_may_retry (2, 6, 299000, 1000, 300000));
  fail_unless (!kling_backoff_may_retry (2, 6, 299001, 1000, 300000));
  fail_unless (kling_backoff_may_retry (2, 6, G_MAXUINT32, 1000, 0));
}

GST_END_TEST;

static Suite *
backoff_suite (void)
{
  Suite *s = suite_create ("kling-backoff");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_backoff_bounds_grow_and_cap);
  tcase_add_test (tc, test_backoff_jitter_spreads);
  tcase_add_test (tc, test_backoff_rate_limit_and_retry_after);
  tcase_add_test (tc, test_backoff_attempts_and_deadline);
  return s;
}

GST_CHECK_MAIN (backoff);
