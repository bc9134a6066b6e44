/* The rows of the fault matrix (fault-matrix.h says what a row holds).
 *
 * Once: a single glitch, which the client must survive with the clip byte for byte and
 * one task. Always: the fault never ends; the render must fail with the right sentence,
 * keep nothing broken in the cache and have paid for at most one task. A fault that
 * spoils the answer of a create after the sandbox made its task (drop-after, malformed,
 * the cuts, oversize, deep-json) still leaves one task, and the client must find it
 * rather than pay again: then even "always" ends with the clip.
 */
#include <gst/gst.h>

#include "fault-matrix.h"

#define I2V      FAULT_IMAGE2VIDEO
#define LIP      FAULT_LIP_SYNC
#define ADV      FAULT_ADVANCED_LIP_SYNC

/* Where a rule hits. */
#define CREATE   "\"method\":\"POST\",\"path\":\"/v1/videos/image2video\""
#define POLL     "\"method\":\"GET\",\"path\":\"/v1/videos/image2video/\""
#define FILES    "\"method\":\"GET\",\"path\":\"/files/\""
#define LS_CREATE "\"method\":\"POST\",\"path\":\"/v1/videos/lip-sync\""
/* The task list and the queries by id share this prefix: after a lost create the list
 * comes first. */
#define LS_GET   "\"method\":\"GET\",\"path\":\"/v1/videos/lip-sync\""
#define LS_POLL  "\"method\":\"GET\",\"path\":\"/v1/videos/lip-sync/\""
#define FACE     "\"method\":\"POST\",\"path\":\"/v1/videos/identify-face\""
#define ADV_CREATE "\"method\":\"POST\",\"path\":\"/v1/videos/advanced-lip-sync\""
#define ADV_POLL "\"method\":\"GET\",\"path\":\"/v1/videos/advanced-lip-sync/\""

#define ONCE     ",\"times\":1}"
#define ALWAYS   ",\"times\":0}"
#define AT(where, kind) "{" where ",\"kind\":" kind

/* The faults, as the sandbox's README names them. */
#define S404     "\"status\",\"http\":404,\"code\":1203"
#define S429     "\"status\",\"http\":429,\"code\":1302"
#define S1303    "\"status\",\"http\":429,\"code\":1303,\"retry_after\":1"
#define S500     "\"status\",\"http\":500,\"code\":5000"
#define S503     "\"status\",\"http\":503,\"code\":5001"
#define S403     "\"status\",\"http\":403,\"code\":1103"
#define HTML200  "\"html\""
#define HTML502  "\"html\",\"http\":502"
#define HTML_AFTER "\"html-after\",\"http\":502"
#define DROP     "\"drop\""
#define DROP_AFTER "\"drop-after\""
#define STALL    "\"stall\",\"seconds\":30"
#define DELAY    "\"delay\",\"seconds\":0.3"
#define MALFORMED "\"malformed\""
#define TRUNCATED "\"truncated\""
#define CHUNKED_CUT "\"chunked-cut\""
#define EOF_CUT  "\"eof-cut\""
#define SHORT    "\"short-length\""
#define ENDLESS  "\"endless\",\"seconds\":20"
#define ENDLESS_SHORT "\"endless\",\"bytes\":400000"
#define OVERSIZE "\"oversize\""
#define OVERSIZE_FILE "\"oversize\",\"bytes\":1000000"
#define HUGE_FILE "\"oversize\",\"bytes\":2000000000"
#define DEEP     "\"deep-json\""
#define TYPO     "\"task-status\",\"value\":\"procesing\""
#define NUMBER   "\"task-status\",\"value\":3"
#define NULLSTAT "\"task-status\",\"value\":null"
#define THROTTLE "\"throttle\",\"bytes_per_second\":20000"
#define SLOW_JSON "\"throttle\",\"bytes_per_second\":2000"
#define SAME_ORIGIN "\"redirect\",\"http\":307,\"append_path\":true,\"location\":\"@SAME@\""
#define OTHER_ORIGIN "\"redirect\",\"http\":307,\"append_path\":true,\"location\":\"@OTHER@\""
#define ELSEWHERE "\"redirect\",\"http\":307,\"append_path\":true,\"location\":\"@ELSEWHERE@\""
#define EXPIRE   "\"expire-url\""
#define FAIL_TASK "\"fail-task\",\"message\":\"the render farm caught fire\""

#define CLIP(n, el, r, t) \
  { .name = n, .element = el, .rule = r, .expect = FAULT_EXPECT_CLIP, .tasks = t, \
    .kling_code = -1 }
#define CLIP2(n, el, r, r2, t) \
  { .name = n, .element = el, .rule = r, .rule2 = r2, .expect = FAULT_EXPECT_CLIP, \
    .tasks = t, .kling_code = -1 }
#define FAILS(n, el, r, t, code, w, h, k) \
  { .name = n, .element = el, .rule = r, .expect = FAULT_EXPECT_ERROR, .tasks = t, \
    .gst_code = GST_RESOURCE_ERROR_ ## code, .words = w, .http = h, .kling_code = k }
/* Advanced lip-sync rows also say how many identify-face sessions were paid for. */
#define ADV_CLIP(n, r, t, s) \
  { .name = n, .element = ADV, .rule = r, .expect = FAULT_EXPECT_CLIP, .tasks = t, \
    .sessions = s, .kling_code = -1 }
#define ADV_FAILS(n, r, t, s, code, w, h, k) \
  { .name = n, .element = ADV, .rule = r, .expect = FAULT_EXPECT_ERROR, .tasks = t, \
    .sessions = s, .gst_code = GST_RESOURCE_ERROR_ ## code, .words = w, .http = h, \
    .kling_code = k }
#define FAILS_AFTER(n, el, r, t, code, w, s) \
  { .name = n, .element = el, .rule = r, .expect = FAULT_EXPECT_ERROR, .tasks = t, \
    .gst_code = GST_RESOURCE_ERROR_ ## code, .words = w, .kling_code = -1, \
    .timeout_s = s }

/* image2video rows whose redirect points at a second sandbox, with each credential: the
 * API's redirects are refused (nothing reaches it), a result URL's is followed without
 * any credential. */
#define ELSEWHERE_CLIP(n, r, a, e) \
  { .name = n, .element = I2V, .rule = r, .expect = FAULT_EXPECT_CLIP, .tasks = 1, \
    .auth = FAULT_AUTH_ ## a, .elsewhere_requests = e, .kling_code = -1 }
#define ELSEWHERE_FAILS(n, r, a) \
  { .name = n, .element = I2V, .rule = r, .expect = FAULT_EXPECT_ERROR, .tasks = 1, \
    .auth = FAULT_AUTH_ ## a, .gst_code = GST_RESOURCE_ERROR_FAILED, .words = "redirect", \
    .http = 307, .kling_code = -1 }

/* The sentences' gist. */
#define KEPT_FAILING   "kept failing"
#define NOT_KLING      "does not answer like a Kling server"
#define UNREACHABLE    "Could not reach Kling"
#define SHAPE          "unexpected shape"
#define TOO_MANY       "too many requests"
#define MAY_EXIST      "may have created a task"
#define FILE_HOST      "Kling's file host"
#define LINK_GONE      "gone from its download link"

/* *INDENT-OFF* */
const FaultCase fault_cases[] = {
  /* ---- image2video: the create ------------------------------------------------------ */
  CLIP ("create-429-1302-once", I2V, AT (CREATE, S429) ONCE, 1),
  CLIP ("create-429-1303-once", I2V, AT (CREATE, S1303) ONCE, 1),
  CLIP ("create-500-once", I2V, AT (CREATE, S500) ONCE, 1),
  CLIP ("create-503-once", I2V, AT (CREATE, S503) ONCE, 1),
  CLIP ("create-html-502-once", I2V, AT (CREATE, HTML502) ONCE, 1),
  CLIP ("create-drop-once", I2V, AT (CREATE, DROP) ONCE, 1),
  CLIP ("create-drop-after-once", I2V, AT (CREATE, DROP_AFTER) ONCE, 1),
  CLIP ("create-stall-once", I2V, AT (CREATE, STALL) ONCE, 1),
  CLIP ("create-delay-once", I2V, AT (CREATE, DELAY) ONCE, 1),
  CLIP ("create-malformed-once", I2V, AT (CREATE, MALFORMED) ONCE, 1),
  CLIP ("create-truncated-once", I2V, AT (CREATE, TRUNCATED) ONCE, 1),
  CLIP ("create-chunked-cut-once", I2V, AT (CREATE, CHUNKED_CUT) ONCE, 1),
  CLIP ("create-eof-cut-once", I2V, AT (CREATE, EOF_CUT) ONCE, 1),
  CLIP ("create-short-length-once", I2V, AT (CREATE, SHORT) ONCE, 1),
  CLIP ("create-endless-once", I2V, AT (CREATE, ENDLESS) ONCE, 1),
  CLIP ("create-oversize-once", I2V, AT (CREATE, OVERSIZE) ONCE, 1),
  CLIP ("create-deep-json-once", I2V, AT (CREATE, DEEP) ONCE, 1),
  CLIP ("create-task-status-once", I2V, AT (CREATE, TYPO) ONCE, 1),
  CLIP ("create-throttle-once", I2V, AT (CREATE, SLOW_JSON) ONCE, 1),
  CLIP ("create-redirect-same-origin-once", I2V, AT (CREATE, SAME_ORIGIN) ONCE, 1),
  CLIP ("create-html-200-once", I2V, AT (CREATE, HTML200) ONCE, 1),
  FAILS ("create-404-once", I2V, AT (CREATE, S404) ONCE, 0, SETTINGS, "kling-v3", 404,
      1203),
  /* Refused, not followed (credentials stay home); then a create no one saw is made. */
  CLIP ("create-redirect-other-origin-once", I2V, AT (CREATE, OTHER_ORIGIN) ONCE, 1),
  FAILS ("create-fail-task-once", I2V, AT (CREATE, FAIL_TASK) ONCE, 1, FAILED,
      "the render farm caught fire", 0, -1),

  FAILS ("create-500-always", I2V, AT (CREATE, S500) ALWAYS, 0, FAILED, KEPT_FAILING,
      500, 5000),
  FAILS ("create-503-always", I2V, AT (CREATE, S503) ALWAYS, 0, FAILED, KEPT_FAILING,
      503, 5001),
  FAILS ("create-429-1302-always", I2V, AT (CREATE, S429) ALWAYS, 0, FAILED, TOO_MANY,
      429, 1302),
  FAILS_AFTER ("create-429-1303-always", I2V, AT (CREATE, S1303) ALWAYS, 0, FAILED,
      "within 3 s", 3.0),
  FAILS ("create-html-502-always", I2V, AT (CREATE, HTML502) ALWAYS, 0, FAILED,
      "without a Kling answer", 502, -1),
  FAILS ("create-html-200-always", I2V, AT (CREATE, HTML200) ALWAYS, 0, FAILED,
      NOT_KLING, 200, -1),
  FAILS ("create-drop-always", I2V, AT (CREATE, DROP) ALWAYS, 0, OPEN_READ,
      UNREACHABLE, 0, -1),
  FAILS ("create-stall-always", I2V, AT (CREATE, STALL) ALWAYS, 0, OPEN_READ,
      UNREACHABLE, 0, -1),
  /* Each create makes a task and loses its answer; the first one is found. */
  CLIP ("create-drop-after-always", I2V, AT (CREATE, DROP_AFTER) ALWAYS, 1),
  CLIP ("create-malformed-always", I2V, AT (CREATE, MALFORMED) ALWAYS, 1),
  CLIP ("create-truncated-always", I2V, AT (CREATE, TRUNCATED) ALWAYS, 1),
  CLIP ("create-chunked-cut-always", I2V, AT (CREATE, CHUNKED_CUT) ALWAYS, 1),
  CLIP ("create-eof-cut-always", I2V, AT (CREATE, EOF_CUT) ALWAYS, 1),
  CLIP ("create-short-length-always", I2V, AT (CREATE, SHORT) ALWAYS, 1),
  CLIP ("create-endless-always", I2V, AT (CREATE, ENDLESS) ALWAYS, 1),
  CLIP ("create-oversize-always", I2V, AT (CREATE, OVERSIZE) ALWAYS, 1),
  CLIP ("create-deep-json-always", I2V, AT (CREATE, DEEP) ALWAYS, 1),

  /* ---- image2video: polling --------------------------------------------------------- */
  CLIP ("poll-404-once", I2V, AT (POLL, S404) ONCE, 1),
  CLIP ("poll-429-1302-once", I2V, AT (POLL, S429) ONCE, 1),
  CLIP ("poll-500-once", I2V, AT (POLL, S500) ONCE, 1),
  CLIP ("poll-503-once", I2V, AT (POLL, S503) ONCE, 1),
  CLIP ("poll-html-200-once", I2V, AT (POLL, HTML200) ONCE, 1),
  CLIP ("poll-html-502-once", I2V, AT (POLL, HTML502) ONCE, 1),
  CLIP ("poll-drop-once", I2V, AT (POLL, DROP) ONCE, 1),
  CLIP ("poll-drop-after-once", I2V, AT (POLL, DROP_AFTER) ONCE, 1),
  CLIP ("poll-stall-once", I2V, AT (POLL, STALL) ONCE, 1),
  CLIP ("poll-malformed-once", I2V, AT (POLL, MALFORMED) ONCE, 1),
  CLIP ("poll-truncated-once", I2V, AT (POLL, TRUNCATED) ONCE, 1),
  CLIP ("poll-chunked-cut-once", I2V, AT (POLL, CHUNKED_CUT) ONCE, 1),
  CLIP ("poll-eof-cut-once", I2V, AT (POLL, EOF_CUT) ONCE, 1),
  CLIP ("poll-short-length-once", I2V, AT (POLL, SHORT) ONCE, 1),
  CLIP ("poll-endless-once", I2V, AT (POLL, ENDLESS) ONCE, 1),
  CLIP ("poll-oversize-once", I2V, AT (POLL, OVERSIZE) ONCE, 1),
  CLIP ("poll-deep-json-once", I2V, AT (POLL, DEEP) ONCE, 1),
  CLIP ("poll-task-status-typo-once", I2V, AT (POLL, TYPO) ONCE, 1),
  CLIP ("poll-task-status-number-once", I2V, AT (POLL, NUMBER) ONCE, 1),
  CLIP ("poll-task-status-null-once", I2V, AT (POLL, NULLSTAT) ONCE, 1),
  CLIP ("poll-redirect-same-origin-once", I2V, AT (POLL, SAME_ORIGIN) ONCE, 1),
  CLIP ("poll-expire-url-once", I2V, AT (POLL, EXPIRE) ONCE, 1),

  FAILS ("poll-404-always", I2V, AT (POLL, S404) ALWAYS, 1, SETTINGS, "", 404, 1203),
  FAILS ("poll-500-always", I2V, AT (POLL, S500) ALWAYS, 1, FAILED, KEPT_FAILING, 500,
      5000),
  FAILS ("poll-429-1302-always", I2V, AT (POLL, S429) ALWAYS, 1, FAILED, TOO_MANY, 429,
      1302),
  FAILS ("poll-html-200-always", I2V, AT (POLL, HTML200) ALWAYS, 1, FAILED, NOT_KLING,
      200, -1),
  FAILS ("poll-html-502-always", I2V, AT (POLL, HTML502) ALWAYS, 1, FAILED,
      "without a Kling answer", 502, -1),
  FAILS ("poll-stall-always", I2V, AT (POLL, STALL) ALWAYS, 1, OPEN_READ, UNREACHABLE,
      0, -1),
  FAILS ("poll-malformed-always", I2V, AT (POLL, MALFORMED) ALWAYS, 1, FAILED, SHAPE,
      200, -1),
  /* A chunked answer whose connection ended inside its JSON: the network, not Kling. */
  FAILS ("poll-chunked-cut-always", I2V, AT (POLL, CHUNKED_CUT) ALWAYS, 1, OPEN_READ,
      UNREACHABLE, 200, -1),
  FAILS ("poll-deep-json-always", I2V, AT (POLL, DEEP) ALWAYS, 1, FAILED, SHAPE, 200,
      -1),
  FAILS ("poll-oversize-always", I2V, AT (POLL, OVERSIZE) ALWAYS, 1, FAILED, SHAPE, 200,
      -1),
  FAILS_AFTER ("poll-task-status-always", I2V, AT (POLL, TYPO) ALWAYS, 1, FAILED,
      "within 3 s", 3.0),
  FAILS ("poll-redirect-other-origin-always", I2V, AT (POLL, OTHER_ORIGIN) ALWAYS, 1,
      FAILED, "redirect", 307, -1),

  /* ---- image2video: the download ---------------------------------------------------- */
  CLIP ("download-404-once", I2V, AT (FILES, S404) ONCE, 1),
  CLIP ("download-403-once", I2V, AT (FILES, S403) ONCE, 1),
  CLIP ("download-429-1302-once", I2V, AT (FILES, S429) ONCE, 1),
  CLIP ("download-500-once", I2V, AT (FILES, S500) ONCE, 1),
  CLIP ("download-503-once", I2V, AT (FILES, S503) ONCE, 1),
  CLIP ("download-html-200-once", I2V, AT (FILES, HTML200) ONCE, 1),
  CLIP ("download-html-502-once", I2V, AT (FILES, HTML502) ONCE, 1),
  CLIP ("download-drop-once", I2V, AT (FILES, DROP) ONCE, 1),
  CLIP ("download-drop-after-once", I2V, AT (FILES, DROP_AFTER) ONCE, 1),
  CLIP ("download-stall-once", I2V, AT (FILES, STALL) ONCE, 1),
  CLIP ("download-delay-once", I2V, AT (FILES, DELAY) ONCE, 1),
  CLIP ("download-truncated-once", I2V, AT (FILES, TRUNCATED) ONCE, 1),
  CLIP ("download-chunked-cut-once", I2V, AT (FILES, CHUNKED_CUT) ONCE, 1),
  CLIP ("download-eof-cut-once", I2V, AT (FILES, EOF_CUT) ONCE, 1),
  CLIP ("download-short-length-once", I2V, AT (FILES, SHORT) ONCE, 1),
  CLIP ("download-endless-once", I2V, AT (FILES, ENDLESS_SHORT) ONCE, 1),
  CLIP ("download-oversize-once", I2V, AT (FILES, OVERSIZE_FILE) ONCE, 1),
  /* Announces 2 GB: refused unread, and the next attempt gets the clip. */
  CLIP ("download-huge-once", I2V, AT (FILES, HUGE_FILE) ONCE, 1),
  CLIP ("download-throttle-once", I2V, AT (FILES, THROTTLE) ONCE, 1),
  CLIP ("download-redirect-same-origin-once", I2V, AT (FILES, SAME_ORIGIN) ONCE, 1),
  /* Result URLs carry no credentials: another origin may serve them. */
  CLIP ("download-redirect-other-origin-once", I2V, AT (FILES, OTHER_ORIGIN) ONCE, 1),

  /* The clip exists; its file host (or the way there) fails: the sentences say so, and
   * what a rerun does (test-faults.c checks that it fetches the clip, paying nothing). */
  FAILS ("download-404-always", I2V, AT (FILES, S404) ALWAYS, 1, SETTINGS, LINK_GONE,
      404, -1),
  FAILS ("download-500-always", I2V, AT (FILES, S500) ALWAYS, 1, FAILED, FILE_HOST, 500,
      -1),
  FAILS ("download-429-always", I2V, AT (FILES, S429) ALWAYS, 1, FAILED, FILE_HOST, 429,
      -1),
  FAILS ("download-403-always", I2V, AT (FILES, S403) ALWAYS, 1, FAILED, FILE_HOST, 403,
      -1),
  FAILS ("download-html-200-always", I2V, AT (FILES, HTML200) ALWAYS, 1, FAILED,
      FILE_HOST, 0, -1),
  FAILS ("download-stall-always", I2V, AT (FILES, STALL) ALWAYS, 1, OPEN_READ, FILE_HOST,
      0, -1),
  FAILS ("download-truncated-always", I2V, AT (FILES, TRUNCATED) ALWAYS, 1, OPEN_READ,
      "kept breaking off", 0, -1),
  FAILS ("download-chunked-cut-always", I2V, AT (FILES, CHUNKED_CUT) ALWAYS, 1, FAILED,
      "not a whole MP4", 0, -1),
  FAILS ("download-eof-cut-always", I2V, AT (FILES, EOF_CUT) ALWAYS, 1, FAILED,
      FILE_HOST, 0, -1),
  FAILS ("download-short-length-always", I2V, AT (FILES, SHORT) ALWAYS, 1, FAILED,
      FILE_HOST, 0, -1),
  FAILS ("download-endless-always", I2V, AT (FILES, ENDLESS) ALWAYS, 1, FAILED,
      FILE_HOST, 0, -1),
  FAILS ("download-huge-always", I2V, AT (FILES, HUGE_FILE) ALWAYS, 1, FAILED,
      "plausibly", 0, -1),
  FAILS ("download-throttle-always", I2V, AT (FILES, THROTTLE) ALWAYS, 1, OPEN_READ,
      FILE_HOST, 0, -1),
  FAILS ("poll-expire-url-always", I2V, AT (POLL, EXPIRE) ALWAYS, 1, FAILED,
      "kept refusing", 403, -1),

  /* ---- credentials never reach another origin ---------------------------------------- */
  ELSEWHERE_CLIP ("create-redirect-elsewhere-once-jwt", AT (CREATE, ELSEWHERE) ONCE, JWT, 0),
  ELSEWHERE_CLIP ("create-redirect-elsewhere-once-bearer", AT (CREATE, ELSEWHERE) ONCE,
      BEARER, 0),
  ELSEWHERE_CLIP ("create-redirect-elsewhere-once-x-api-key", AT (CREATE, ELSEWHERE) ONCE,
      X_API_KEY, 0),
  ELSEWHERE_FAILS ("poll-redirect-elsewhere-always-jwt", AT (POLL, ELSEWHERE) ALWAYS, JWT),
  ELSEWHERE_FAILS ("poll-redirect-elsewhere-always-bearer", AT (POLL, ELSEWHERE) ALWAYS,
      BEARER),
  ELSEWHERE_FAILS ("poll-redirect-elsewhere-always-x-api-key", AT (POLL, ELSEWHERE) ALWAYS,
      X_API_KEY),
  ELSEWHERE_CLIP ("download-redirect-elsewhere-once-jwt", AT (FILES, ELSEWHERE) ONCE, JWT,
      1),
  ELSEWHERE_CLIP ("download-redirect-elsewhere-once-x-api-key", AT (FILES, ELSEWHERE) ONCE,
      X_API_KEY, 1),

  /* ---- lip-sync: Kling does not resolve its external_task_id ------------------------ */
  /* Kling's envelope with 5000 on a 500: Kling refused, no task: created again. */
  CLIP ("lipsync-create-500-once", LIP, AT (LS_CREATE, S500) ONCE, 1),
  CLIP ("lipsync-create-503-once", LIP, AT (LS_CREATE, S503) ONCE, 1),
  /* A 5xx without the envelope may come after the task was made: looked for in the
   * list; found, it is followed; not found, it is not made again (the journal keeps the
   * entry; a rerun after the grace period creates it). */
  CLIP ("lipsync-create-html-after-once", LIP, AT (LS_CREATE, HTML_AFTER) ONCE, 1),
  CLIP ("lipsync-create-html-after-always", LIP, AT (LS_CREATE, HTML_AFTER) ALWAYS, 1),
  FAILS ("lipsync-create-html-502-once", LIP, AT (LS_CREATE, HTML502) ONCE, 0, FAILED,
      MAY_EXIST, 0, -1),
  CLIP ("lipsync-create-429-1303-once", LIP, AT (LS_CREATE, S1303) ONCE, 1),
  CLIP ("lipsync-create-drop-after-once", LIP, AT (LS_CREATE, DROP_AFTER) ONCE, 1),
  CLIP ("lipsync-create-malformed-once", LIP, AT (LS_CREATE, MALFORMED) ONCE, 1),
  CLIP ("lipsync-create-chunked-cut-once", LIP, AT (LS_CREATE, CHUNKED_CUT) ONCE, 1),
  CLIP ("lipsync-create-deep-json-once", LIP, AT (LS_CREATE, DEEP) ONCE, 1),
  CLIP2 ("lipsync-create-lost-then-list-500-once", LIP, AT (LS_CREATE, DROP_AFTER) ONCE,
      AT (LS_GET, S500) ONCE, 1),
  CLIP ("lipsync-create-drop-after-always", LIP, AT (LS_CREATE, DROP_AFTER) ALWAYS, 1),
  /* Nothing was made, but nothing says so: the client must not guess. */
  FAILS ("lipsync-create-drop-once", LIP, AT (LS_CREATE, DROP) ONCE, 0, FAILED,
      MAY_EXIST, 0, -1),
  FAILS ("lipsync-create-stall-once", LIP, AT (LS_CREATE, STALL) ONCE, 0, FAILED,
      MAY_EXIST, 0, -1),
  FAILS ("lipsync-create-500-always", LIP, AT (LS_CREATE, S500) ALWAYS, 0, FAILED,
      KEPT_FAILING, 500, 5000),
  CLIP ("lipsync-poll-404-once", LIP, AT (LS_POLL, S404) ONCE, 1),
  CLIP ("lipsync-poll-task-status-once", LIP, AT (LS_POLL, TYPO) ONCE, 1),
  CLIP ("lipsync-download-chunked-cut-once", LIP, AT (FILES, CHUNKED_CUT) ONCE, 1),
  FAILS ("lipsync-create-fail-task-once", LIP, AT (LS_CREATE, FAIL_TASK) ONCE, 1,
      FAILED, "the render farm caught fire", 0, -1),

  /* ---- advanced lip-sync: identify-face, then the task ------------------------------ */
  ADV_CLIP ("face-500-once", AT (FACE, S500) ONCE, 1, 1),
  /* A lost or garbled session cannot be looked up: a new one is made (and paid for,
   * as a rerun would). */
  ADV_CLIP ("face-drop-after-once", AT (FACE, DROP_AFTER) ONCE, 1, 2),
  ADV_CLIP ("face-malformed-once", AT (FACE, MALFORMED) ONCE, 1, 2),
  ADV_CLIP ("face-chunked-cut-once", AT (FACE, CHUNKED_CUT) ONCE, 1, 2),
  ADV_CLIP ("face-stall-once", AT (FACE, STALL) ONCE, 1, 1),
  ADV_FAILS ("face-500-always", AT (FACE, S500) ALWAYS, 0, 0, FAILED, KEPT_FAILING, 500,
      5000),
  /* The policy's 3 attempts, no more. */
  ADV_FAILS ("face-malformed-always", AT (FACE, MALFORMED) ALWAYS, 0, 3, FAILED, SHAPE,
      200, -1),
  /* Kling's envelope with 5000: Kling refused, no task: created again. */
  ADV_CLIP ("advanced-create-500-once", AT (ADV_CREATE, S500) ONCE, 1, 1),
  ADV_FAILS ("advanced-create-500-always", AT (ADV_CREATE, S500) ALWAYS, 0, 1, FAILED,
      KEPT_FAILING, 500, 5000),
  /* A proxy's page after the task was made: found in the list, not paid twice. */
  ADV_CLIP ("advanced-create-html-after-once", AT (ADV_CREATE, HTML_AFTER) ONCE, 1, 1),
  ADV_CLIP ("advanced-create-drop-after-once", AT (ADV_CREATE, DROP_AFTER) ONCE, 1, 1),
  ADV_CLIP ("advanced-poll-404-once", AT (ADV_POLL, S404) ONCE, 1, 1),
};
/* *INDENT-ON* */

const guint n_fault_cases = G_N_ELEMENTS (fault_cases);
