/* Helpers the GstHarness suites of tests/elements share. */
#include <gst/check/gstcheck.h>

#include "harness-util.h"

GstEvent *
pull_event_of_type (GstHarness * h, GstEventType type)
{
  gint64 deadline = g_get_monotonic_time () + HARNESS_PULL_TIMEOUT_US;

  while (g_get_monotonic_time () < deadline) {
    GstEvent *event = gst_harness_try_pull_event (h);

    if (!event) {
      g_usleep (2000);
      continue;
    }
    if (GST_EVENT_TYPE (event) == type)
      return event;
    gst_event_unref (event);
  }
  fail ("no %s event", gst_event_type_get_name (type));
  return NULL;
}
