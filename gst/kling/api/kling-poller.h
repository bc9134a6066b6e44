/* gst-kling: the batched poller of Kling's per-model API (private to the client layer).
 *
 * On that API one "GET /tasks?task_ids=a,b,c" answers for several tasks, so a client
 * polls every task it follows there with one request per interval instead of one per
 * task: 50 renders cost one request every 5 s, not 50 (Kling paces queries per account;
 * docs/kling-api.md "Concurrency"). The client owns one poller, created on first use; it
 * lives on the worker thread (everything here is worker-only) with one timer.
 *
 * A job registers its task id (kling_poller_add) and asks for a poll (poll_in: at the
 * latest then, earlier when a batch goes out sooner, which is how tasks started at
 * different times come to share one request; hold: not before then, for a backoff). When
 * the timer fires, every entry due within half the shortest interval registered goes
 * out, at most KLING_POLLER_MAX_IDS ids per request. Each entry then gets its task's object from
 * the answer, or NULL when the answer did not list it, or the request's error (one failed
 * request concerns every entry it carried). Between results an entry is parked: it goes
 * out again only when asked. /v1 tasks are polled one by one (kling-job-task.c).
 */
#pragma once

#include "kling-client-private.h"

G_BEGIN_DECLS

/* Ids per request. Kling documents no cap; 50 ids of ~40 characters keep the URL near
 * 2 KB, far below the 8 KB that servers and proxies commonly allow, and the answer (about
 * 1 KB a task) far below the client's 16 MB answer cap. */
#define KLING_POLLER_MAX_IDS 50

typedef struct _KlingPoller KlingPoller;
typedef struct _KlingPollEntry KlingPollEntry;

/* After a request that carried @entry: @task is its object in the answer ("data" array
 * element; NULL when the answer did not list it), or @error is why the request failed
 * (then @task is NULL). The entry is parked when this runs; it may be removed in it. */
typedef void (*KlingPollResult) (KlingPollEntry *entry, JsonNode *task,
                                 const gchar *request_id, const GError *error,
                                 gpointer user_data);

KlingPoller    *kling_poller_new        (KlingClient *client);
/* Shutdown: cancels the requests in flight (their entries get no result once removed). */
void            kling_poller_cancel     (KlingPoller *poller);
/* After every request completed (the client drains them first). */
void            kling_poller_free       (KlingPoller *poller);

/* Registers @task_id, parked. @interval_ms is how often its job polls: half the shortest
 * one registered is how far ahead a batch takes entries along. */
KlingPollEntry *kling_poller_add        (KlingPoller *poller, const gchar *task_id,
                                         guint interval_ms, KlingPollResult result,
                                         gpointer user_data);
/* Unregisters: no result runs for @entry after this, even for a request in flight. */
void            kling_poller_remove     (KlingPollEntry *entry);
/* Poll within @delay_ms (0: in the next batch, sent at once), or earlier with a batch. */
void            kling_poller_poll_in    (KlingPollEntry *entry, guint delay_ms);
/* Poll in the first batch after @delay_ms, not earlier (a backoff). */
void            kling_poller_hold       (KlingPollEntry *entry, guint delay_ms);
const gchar    *kling_poller_entry_get_task_id (KlingPollEntry *entry);

/* The requests sent so far (for tests and the log). */
guint           kling_poller_get_requests (KlingPoller *poller);

G_END_DECLS
