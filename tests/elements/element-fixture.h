/* The fixture the element suites of tests/elements share: a kling-sandbox of the test's
 * own, a cache directory, a bus, and the harnesses around the element under test. */
#pragma once

#include <gst/check/gstharness.h>

#include "kling-client.h"
#include "kling-sandbox.h"

G_BEGIN_DECLS

typedef struct
{
  KlingSandbox *sandbox;
  const gchar *access_key;      /* the sandbox's keys, given to every element */
  const gchar *secret_key;
  const gchar *api_key;         /* instead of the two, when set */
  KlingClient *client;          /* when a test shapes the shared client's policy */
  gchar *cache_dir;
  GstBus *bus;
  GstElement *element;          /* when the suite keeps it (request pads) */
  GstHarness *image;            /* the image request pad, when used */
  GstHarness *h;                /* the element's main harness, ending at "src" */
  GstHarness *audio_out;        /* "audio_src", when linked */
  gchar *video_id;              /* a clip the sandbox made, when the suite needs one */
  gchar *video_url;
} Fixture;

typedef struct
{
  const gchar *access_key;
  const gchar *secret_key;
  const gchar *api_key;         /* an API-key sandbox instead, when set */
  const gchar *cache_template;  /* for g_dir_make_tmp() */
  const gchar *tls_certificate_file;    /* serve HTTPS with it, when set */
  gdouble queue_delay_s;
  gdouble render_delay_s;
} FixtureOptions;

/* Starts the sandbox (video_scale 0.25: 320x180 clips) and makes the cache directory. */
void fixture_start_sandbox (Fixture *f, const FixtureOptions *options);
/* Takes the element and its harnesses down; its messages stay on the bus. */
void teardown_element (Fixture *f);
/* teardown_element(), then drops what the bus holds. */
void stop_element (Fixture *f);
void fixture_stop (Fixture *f);

/* A @factory element pointed at the sandbox (its keys, poll-interval 0.05, cache-dir) with
 * the test's bus; the suite sets its own properties after. */
GstElement *fixture_new_element (Fixture *f, const gchar *factory);

/* still.jpg on the image harness (or the main one); the sink answers EOS once the
 * still is taken, as imagefreeze does. */
void push_jpeg_still (Fixture *f);

gint64 counter (Fixture *f, const gchar *group, const gchar *name);
gint64 tasks_created (Fixture *f, const gchar *endpoint);

/* The next error on the bus; fails the test after HARNESS_PULL_TIMEOUT_US. */
GstMessage *pop_error (Fixture *f);
/* Checks (and unrefs) an error message: @domain, @code, @words in its text, a debug
 * string. */
void check_error (GstMessage *message, GQuark domain, gint code, const gchar *words);

G_END_DECLS
