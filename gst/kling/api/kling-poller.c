/* gst-kling: the batched poller of the per-model API (see kling-poller.h). */
#include "config.h"
#include "kling-poller.h"
#include "kling-call.h"
#include "kling-private.h"
#include "kling-task.h"

#include <string.h>

struct _KlingPollEntry
{
  gint ref_count;               /* the poller's list, and each request carrying it */
  KlingPoller *poller;          /* NULL once removed */
  gchar *task_id;
  guint interval_ms;
  KlingPollResult result;
  gpointer user_data;
  gboolean wanted;              /* asked for a poll: due_us / hold_us apply */
  gint64 due_us;                /* at the latest (monotonic) */
  gint64 hold_us;               /* not before */
  gboolean in_flight;
};

struct _KlingPoller
{
  KlingClient *client;          /* the owner: no reference */
  GList *entries;               /* KlingPollEntry, one reference each */
  GSource *timer;
  gint64 timer_at_us;
  GCancellable *cancellable;
  guint requests;
};

/* One request: the entries it carries. */
typedef struct
{
  KlingPoller *poller;
  GPtrArray *entries;           /* KlingPollEntry, a reference each */
  GString *ids;                 /* "a,b,c", escaped */
  guint n_ids;
} Batch;

static void poller_reschedule (KlingPoller * poller);

static KlingPollEntry *
entry_ref (KlingPollEntry * entry)
{
  entry->ref_count++;
  return entry;
}

static void
entry_unref (KlingPollEntry * entry)
{
  if (--entry->ref_count > 0)
    return;
  g_free (entry->task_id);
  g_free (entry);
}

KlingPoller *
kling_poller_new (KlingClient * client)
{
  KlingPoller *poller = g_new0 (KlingPoller, 1);

  poller->client = client;
  poller->cancellable = g_cancellable_new ();
  return poller;
}

static void
poller_stop_timer (KlingPoller * poller)
{
  if (poller->timer) {
    g_source_destroy (poller->timer);
    g_clear_pointer (&poller->timer, g_source_unref);
  }
}

void
kling_poller_cancel (KlingPoller * poller)
{
  poller_stop_timer (poller);
  g_cancellable_cancel (poller->cancellable);
}

void
kling_poller_free (KlingPoller * poller)
{
  GList *l;

  if (poller == NULL)
    return;
  poller_stop_timer (poller);
  for (l = poller->entries; l; l = l->next) {
    KlingPollEntry *entry = l->data;

    entry->poller = NULL;
    entry_unref (entry);
  }
  g_list_free (poller->entries);
  g_object_unref (poller->cancellable);
  g_free (poller);
}

guint
kling_poller_get_requests (KlingPoller * poller)
{
  return poller->requests;
}

KlingPollEntry *
kling_poller_add (KlingPoller * poller, const gchar * task_id,
    guint interval_ms, KlingPollResult result, gpointer user_data)
{
  KlingPollEntry *entry = g_new0 (KlingPollEntry, 1);

  entry->ref_count = 1;
  entry->poller = poller;
  entry->task_id = g_strdup (task_id);
  entry->interval_ms = MAX (interval_ms, 1);
  entry->result = result;
  entry->user_data = user_data;
  poller->entries = g_list_prepend (poller->entries, entry);
  return entry;
}

void
kling_poller_remove (KlingPollEntry * entry)
{
  KlingPoller *poller = entry->poller;

  if (poller == NULL)
    return;
  entry->poller = NULL;
  poller->entries = g_list_remove (poller->entries, entry);
  entry_unref (entry);
  poller_reschedule (poller);
}

const gchar *
kling_poller_entry_get_task_id (KlingPollEntry * entry)
{
  return entry->task_id;
}

static void
entry_want (KlingPollEntry * entry, guint delay_ms, gboolean hold)
{
  gint64 at = g_get_monotonic_time () + (gint64) delay_ms * 1000;

  entry->wanted = TRUE;
  entry->due_us = at;
  entry->hold_us = hold ? at : 0;
  if (entry->poller && !entry->in_flight)
    poller_reschedule (entry->poller);
}

void
kling_poller_poll_in (KlingPollEntry * entry, guint delay_ms)
{
  entry_want (entry, delay_ms, FALSE);
}

void
kling_poller_hold (KlingPollEntry * entry, guint delay_ms)
{
  entry_want (entry, delay_ms, TRUE);
}

/* --- the timer --------------------------------------------------------------------------- */

static gboolean
entry_waits (const KlingPollEntry * entry)
{
  return entry->wanted && !entry->in_flight;
}

/* How far ahead of its due time an entry rides with a batch: half the shortest interval of
 * the entries waiting. Two groups of tasks out of step by less than that merge at the next
 * batch; by more, the later batch takes the earlier group along one interval later: so
 * tasks started at different times share one request after their first polls. No task is
 * polled sooner than half its interval after its last answer, whatever fires a batch (a
 * new task, a backoff ending). */
static gint64
ride_along_us (KlingPoller * poller)
{
  gint64 shortest = G_MAXINT64;
  GList *l;

  for (l = poller->entries; l; l = l->next) {
    KlingPollEntry *entry = l->data;

    if (entry_waits (entry))
      shortest = MIN (shortest, (gint64) entry->interval_ms * 1000);
  }
  return shortest / 2;
}

static gboolean poller_fire (gpointer data);

/* The timer is set for the earliest entry: its due time, or its hold if later. */
static void
poller_reschedule (KlingPoller * poller)
{
  gint64 earliest = G_MAXINT64;
  GList *l;

  if (g_cancellable_is_cancelled (poller->cancellable))
    return;
  for (l = poller->entries; l; l = l->next) {
    KlingPollEntry *entry = l->data;

    if (entry_waits (entry))
      earliest = MIN (earliest, MAX (entry->due_us, entry->hold_us));
  }
  if (earliest == G_MAXINT64) {
    poller_stop_timer (poller);
    return;
  }
  if (poller->timer && poller->timer_at_us == earliest)
    return;
  poller_stop_timer (poller);
  poller->timer_at_us = earliest;
  poller->timer = g_timeout_source_new (0);
  g_source_set_ready_time (poller->timer, earliest);
  g_source_set_callback (poller->timer, poller_fire, poller, NULL);
  g_source_attach (poller->timer, poller->client->context);
}

/* --- a batch ----------------------------------------------------------------------------- */

static void
batch_free (Batch * batch)
{
  g_ptr_array_unref (batch->entries);
  g_string_free (batch->ids, TRUE);
  g_free (batch);
}

static void
batch_done (KlingClient * client, JsonNode * data, const gchar * request_id,
    const GError * error, gpointer user_data)
{
  Batch *batch = user_data;
  KlingPoller *poller = batch->poller;
  g_autoptr (GError) shape_error = NULL;
  guint i;

  if (error == NULL && (data == NULL || !JSON_NODE_HOLDS_ARRAY (data)))
    error = shape_error =
        kling_error_new_full (KLING_ERROR_PROTOCOL, 200, 0, request_id, NULL,
        NULL, "the /tasks answer's \"data\" is not an array");
  for (i = 0; i < batch->entries->len; i++) {
    KlingPollEntry *entry = g_ptr_array_index (batch->entries, i);

    entry->in_flight = FALSE;
    entry->wanted = FALSE;
    /* Removed while the request ran (its job finished): its answer is nobody's. */
    if (entry->poller == NULL)
      continue;
    entry->result (entry, error ? NULL : kling_tasks_v2_find (data,
            entry->task_id, FALSE), request_id, error, entry->user_data);
  }
  /* The entries asked again (or were removed) in their results. */
  if (!g_cancellable_is_cancelled (poller->cancellable))
    poller_reschedule (poller);
  batch_free (batch);
}

static void
batch_send (KlingPoller * poller, Batch * batch)
{
  g_autofree gchar *path =
      g_strconcat ("/tasks?task_ids=", batch->ids->str, NULL);
  KlingCallSpec spec = {
    .method = "GET",.path = path,.cancellable = poller->cancellable,
    .retry_ambiguous = TRUE,.done = batch_done,.user_data = batch,
  };

  poller->requests++;
  g_debug ("polling %u tasks in one request", batch->n_ids);
  kling_call_start (poller->client, &spec);
}

static Batch *
batch_new (KlingPoller * poller)
{
  Batch *batch = g_new0 (Batch, 1);

  batch->poller = poller;
  batch->entries =
      g_ptr_array_new_with_free_func ((GDestroyNotify) entry_unref);
  batch->ids = g_string_new (NULL);
  return batch;
}

/* Every entry due within the ride-along window goes out, KLING_POLLER_MAX_IDS distinct
 * ids per request (two entries of one task share its id and its request). The requests
 * are sent once the list is walked: a result may change the list. */
static gboolean
poller_fire (gpointer data)
{
  KlingPoller *poller = data;
  gint64 now = g_get_monotonic_time ();
  gint64 window = ride_along_us (poller);
  g_autoptr (GHashTable) batch_of = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) batches = g_ptr_array_new ();
  Batch *open = NULL;
  GList *l;
  guint i;

  g_clear_pointer (&poller->timer, g_source_unref);
  for (l = poller->entries; l; l = l->next) {
    KlingPollEntry *entry = l->data;
    Batch *batch;

    if (!entry_waits (entry) || entry->hold_us > now
        || entry->due_us - now > window)
      continue;
    batch = g_hash_table_lookup (batch_of, entry->task_id);
    if (batch == NULL) {
      if (open == NULL || open->n_ids == KLING_POLLER_MAX_IDS) {
        open = batch_new (poller);
        g_ptr_array_add (batches, open);
      }
      batch = open;
      g_hash_table_insert (batch_of, entry->task_id, batch);
      if (batch->n_ids++ > 0)
        g_string_append_c (batch->ids, ',');
      g_string_append_uri_escaped (batch->ids, entry->task_id, NULL, FALSE);
    }
    entry->in_flight = TRUE;
    g_ptr_array_add (batch->entries, entry_ref (entry));
  }
  for (i = 0; i < batches->len; i++)
    batch_send (poller, g_ptr_array_index (batches, i));
  poller_reschedule (poller);
  return G_SOURCE_REMOVE;
}
