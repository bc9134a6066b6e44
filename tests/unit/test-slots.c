/* Unit tests: the per-account cap on renders in flight, shared by every client (worker
 * thread) of a process. */
#include <gst/check/gstcheck.h>
#include "kling-slots.h"

#define ACCOUNT "http://kling.test\nfingerprint"

typedef struct
{
  GMainContext *context;        /* where the granted callback must run */
  gint granted;
  gint notified;                /* atomic */
  gboolean on_its_thread;
} Waiter;

static gboolean
on_granted (gpointer data)
{
  Waiter *w = data;

  w->on_its_thread = g_main_context_is_owner (w->context);
  g_atomic_int_inc (&w->granted);
  return G_SOURCE_REMOVE;
}

/* Runs @w's context until its slot is granted or @ms pass. */
static gboolean
wait_granted (Waiter * w, guint ms)
{
  gint64 until = g_get_monotonic_time () + (gint64) ms * 1000;

  while (!g_atomic_int_get (&w->granted) && g_get_monotonic_time () < until) {
    g_main_context_iteration (w->context, FALSE);
    g_usleep (1000);
  }
  return g_atomic_int_get (&w->granted) > 0;
}

GST_START_TEST (test_cap_and_order)
{
  Waiter a = {.context = g_main_context_new () };
  Waiter b = {.context = g_main_context_new () };
  KlingSlot *held1, *held2, *queued_a, *queued_b, *uncapped;
  gboolean granted;

  g_main_context_acquire (a.context);
  g_main_context_acquire (b.context);
  held1 =
      kling_slot_acquire (ACCOUNT, 2, a.context, on_granted, &a, NULL,
      &granted);
  fail_unless (granted);
  held2 =
      kling_slot_acquire (ACCOUNT, 2, a.context, on_granted, &a, NULL,
      &granted);
  fail_unless (granted);
  fail_unless_equals_int (kling_slots_in_flight (ACCOUNT), 2);
  /* two more, from two clients (two contexts): both queue */
  queued_a =
      kling_slot_acquire (ACCOUNT, 2, a.context, on_granted, &a, NULL,
      &granted);
  fail_unless (!granted);
  queued_b =
      kling_slot_acquire (ACCOUNT, 2, b.context, on_granted, &b, NULL,
      &granted);
  fail_unless (!granted);
  /* a render without a cap never waits, but counts */
  uncapped =
      kling_slot_acquire (ACCOUNT, 0, a.context, on_granted, &a, NULL,
      &granted);
  fail_unless (granted);
  fail_unless_equals_int (kling_slots_in_flight (ACCOUNT), 3);
  /* another account is not this one's business */
  {
    KlingSlot *other =
        kling_slot_acquire ("other", 1, a.context, on_granted, &a, NULL,
        &granted);
    fail_unless (granted);
    kling_slot_release (other);
  }

  kling_slot_release (uncapped);
  kling_slot_release (held1);
  /* one slot freed under the cap of 2: the first in line goes, on its own context */
  fail_unless (wait_granted (&a, 500));
  fail_unless (a.on_its_thread);
  fail_unless (!wait_granted (&b, 50));
  kling_slot_release (held2);
  fail_unless (wait_granted (&b, 500));
  fail_unless (b.on_its_thread);
  fail_unless_equals_int (kling_slots_in_flight (ACCOUNT), 2);
  kling_slot_release (queued_a);
  kling_slot_release (queued_b);
  fail_unless_equals_int (kling_slots_in_flight (ACCOUNT), 0);
  g_main_context_release (a.context);
  g_main_context_release (b.context);
  g_main_context_unref (a.context);
  g_main_context_unref (b.context);
}

GST_END_TEST;

static void
count_notify (gpointer data)
{
  Waiter *w = data;

  g_atomic_int_inc (&w->notified);
}

/* Leaving the queue before a slot came: no callback, the data is released. */
GST_START_TEST (test_leave_queue)
{
  GMainContext *context = g_main_context_new ();
  Waiter w = {.context = context };
  KlingSlot *held, *queued;
  gboolean granted;

  held =
      kling_slot_acquire (ACCOUNT, 1, context, on_granted, &w, NULL, &granted);
  queued =
      kling_slot_acquire (ACCOUNT, 1, context, on_granted, &w, count_notify,
      &granted);
  fail_unless (!granted);
  kling_slot_release (queued);
  fail_unless_equals_int (w.notified, 1);
  kling_slot_release (held);
  while (g_main_context_iteration (context, FALSE));
  fail_unless_equals_int (w.granted, 0);
  fail_unless_equals_int (kling_slots_in_flight (ACCOUNT), 0);
  g_main_context_unref (context);
}

GST_END_TEST;

static Suite *
slots_suite (void)
{
  Suite *s = suite_create ("kling-slots");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_cap_and_order);
  tcase_add_test (tc, test_leave_queue);
  return s;
}

GST_CHECK_MAIN (slots);
