/* Helpers the GstHarness suites of tests/elements share. */
#pragma once

#include <gst/check/gstharness.h>

G_BEGIN_DECLS

/* How long a suite waits for what an element should push. */
#define HARNESS_PULL_TIMEOUT_US (20 * G_USEC_PER_SEC)

/* Pulls @h's events until one of @type (returned, unref it); fails the test after
 * HARNESS_PULL_TIMEOUT_US. */
GstEvent *pull_event_of_type (GstHarness *h, GstEventType type);

G_END_DECLS
