/* The fault matrix of tests/elements/test-faults.c: one row per case, each a phase of a
 * render (create, poll, download; identify-face and the lip-sync creates where they
 * apply) times a fault the sandbox injects (gst/kling/sandbox/README.md), once or for
 * ever, with what the element must make of it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  FAULT_IMAGE2VIDEO,          /* klingimage2video, a JPEG still */
  FAULT_LIP_SYNC,             /* klinglipsync, one step, text mode */
  FAULT_ADVANCED_LIP_SYNC,    /* klinglipsync, identify-face + advanced-lip-sync, audio */
} FaultElement;

/* The credentials the element (and the sandbox) use. */
typedef enum {
  FAULT_AUTH_JWT,             /* access key + secret key, a JWT as Bearer */
  FAULT_AUTH_BEARER,          /* a static key as Authorization: Bearer */
  FAULT_AUTH_X_API_KEY,       /* a static key as X-API-Key */
} FaultAuth;

typedef enum {
  /* The clip comes out byte for byte as the sandbox serves it, and is in the cache. */
  FAULT_EXPECT_CLIP,
  /* An error message: no clip in the cache, no part file left. */
  FAULT_EXPECT_ERROR,
} FaultExpect;

typedef struct {
  const gchar *name;          /* the check case name: phase-fault-once|always */
  FaultElement element;
  /* Fault rules (kling_sandbox_add_fault_json), the second one optional. "@OTHER@" is
   * the sandbox's base URL under another origin (localhost: the same server), "@SAME@"
   * its own, "@ELSEWHERE@" a second sandbox's (another origin and server, which counts
   * what reaches it: never a credential). */
  const gchar *rule;
  const gchar *rule2;
  FaultExpect expect;
  gint tasks;                 /* tasks created on the element's endpoint: exactly */
  gint sessions;              /* identify-face sessions made (each is charged): exactly */
  /* FAULT_EXPECT_ERROR: GST_RESOURCE_ERROR_*, words of the user sentence, and the
   * details' http-status-code / kling-code when not 0 / -1. */
  gint gst_code;
  const gchar *words;
  guint http;
  gint kling_code;
  gdouble timeout_s;          /* the element's timeout; 0: the suite's default */
  FaultAuth auth;
  gint elsewhere_requests;    /* requests the "@ELSEWHERE@" sandbox gets: exactly */
} FaultCase;

extern const FaultCase fault_cases[];
extern const guint n_fault_cases;

G_END_DECLS
