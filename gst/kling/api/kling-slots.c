/* gst-kling: per-account slots for renders in flight (see kling-slots.h). One process-wide
 * lock guards the table; the granted callbacks run on the waiters' own worker threads. */
#include "kling-slots.h"

typedef struct
{
  gchar *name;
  guint in_flight;
  GQueue waiting;               /* KlingSlot, in arrival order */
} Account;

struct _KlingSlot
{
  Account *account;
  guint max_parallel;
  gboolean granted;
  GMainContext *context;        /* while queued */
  GSourceFunc func;
  gpointer data;
  GDestroyNotify notify;
};

G_LOCK_DEFINE_STATIC (slots);
static GHashTable *accounts;    /* name -> Account; an account goes when it is idle */

static Account *
account_get (const gchar * name)
{
  Account *account;

  if (accounts == NULL)
    accounts = g_hash_table_new (g_str_hash, g_str_equal);
  account = g_hash_table_lookup (accounts, name);
  if (account == NULL) {
    account = g_new0 (Account, 1);
    account->name = g_strdup (name);
    g_queue_init (&account->waiting);
    g_hash_table_insert (accounts, account->name, account);
  }
  return account;
}

static void
account_drop_if_idle (Account * account)
{
  if (account->in_flight > 0 || !g_queue_is_empty (&account->waiting))
    return;
  g_hash_table_remove (accounts, account->name);
  if (g_hash_table_size (accounts) == 0)
    g_clear_pointer (&accounts, g_hash_table_unref);
  g_free (account->name);
  g_free (account);
}

static gboolean
has_room (const Account * account, guint max_parallel)
{
  return max_parallel == 0 || account->in_flight < max_parallel;
}

/* Called with the lock held: hands the callback to the waiter's worker. */
static void
grant_queued (KlingSlot * slot)
{
  GSource *source = g_idle_source_new ();

  slot->granted = TRUE;
  slot->account->in_flight++;
  g_source_set_callback (source, slot->func, slot->data, slot->notify);
  g_source_attach (source, slot->context);
  g_source_unref (source);
  g_main_context_unref (slot->context);
  slot->context = NULL;
  slot->func = NULL;
  slot->data = NULL;
  slot->notify = NULL;
}

/* Called with the lock held. Every waiter whose own cap allows it now goes, in order. */
static void
grant_waiters (Account * account)
{
  GList *l = account->waiting.head;

  while (l) {
    GList *next = l->next;
    KlingSlot *slot = l->data;

    if (has_room (account, slot->max_parallel)) {
      g_queue_delete_link (&account->waiting, l);
      grant_queued (slot);
    }
    l = next;
  }
}

KlingSlot *
kling_slot_acquire (const gchar * account_name, guint max_parallel,
    GMainContext * context, GSourceFunc func, gpointer data,
    GDestroyNotify notify, gboolean * granted)
{
  KlingSlot *slot = g_new0 (KlingSlot, 1);
  Account *account;

  G_LOCK (slots);
  account = account_get (account_name);
  slot->account = account;
  slot->max_parallel = max_parallel;
  /* Waiters of the same cap never see room here: a freed slot goes to them first, in
   * order, under this lock (grant_waiters()). */
  if (has_room (account, max_parallel)) {
    slot->granted = TRUE;
    account->in_flight++;
  } else {
    slot->context = g_main_context_ref (context);
    slot->func = func;
    slot->data = data;
    slot->notify = notify;
    g_queue_push_tail (&account->waiting, slot);
  }
  *granted = slot->granted;
  G_UNLOCK (slots);
  if (slot->granted && notify)
    notify (data);
  return slot;
}

void
kling_slot_release (KlingSlot * slot)
{
  GDestroyNotify notify = NULL;
  gpointer data = NULL;
  GMainContext *context = NULL;
  Account *account;

  if (slot == NULL)
    return;
  G_LOCK (slots);
  account = slot->account;
  if (slot->granted) {
    account->in_flight--;
  } else {
    g_queue_remove (&account->waiting, slot);
    notify = slot->notify;
    data = slot->data;
    context = slot->context;
  }
  grant_waiters (account);
  account_drop_if_idle (account);
  G_UNLOCK (slots);
  /* Outside the lock: the notify may drop the last reference of a job. */
  if (notify)
    notify (data);
  if (context)
    g_main_context_unref (context);
  g_free (slot);
}

guint
kling_slots_in_flight (const gchar * account_name)
{
  Account *account;
  guint n = 0;

  G_LOCK (slots);
  account = accounts ? g_hash_table_lookup (accounts, account_name) : NULL;
  if (account)
    n = account->in_flight;
  G_UNLOCK (slots);
  return n;
}
