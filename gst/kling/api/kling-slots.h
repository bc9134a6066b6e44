/* gst-kling: the local cap on renders in flight, per Kling account, across the process.
 *
 * Kling caps parallel tasks per account, and every client and element of a process that
 * uses the same account (base URL + credential fingerprint) shares that cap; clients may
 * be split by network settings, so the count lives here, keyed by account, not in a
 * client. A render takes a slot before it creates (or resumes) a task and gives it back
 * when the task ends. A render capped at N waits while N or more of its account's renders
 * hold slots; one with no cap (0) never waits but still counts.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _KlingSlot KlingSlot;

/* Asks for a slot of @account for a render capped at @max_parallel (0: no cap). Returns
 * the slot at once, granted (*granted TRUE) or queued (*granted FALSE). A queued slot,
 * once granted, attaches @func to @context (the render's worker) with @data / @notify;
 * that happens at most once, and not at all if the slot is released first. */
KlingSlot *kling_slot_acquire   (const gchar *account, guint max_parallel,
                                 GMainContext *context, GSourceFunc func, gpointer data,
                                 GDestroyNotify notify, gboolean *granted);
/* Gives the slot back (or leaves the queue) and grants what the freed slot allows. Safe
 * from any thread; @slot is freed. */
void       kling_slot_release   (KlingSlot *slot);
/* Slots of @account held now (for tests and logs). */
guint      kling_slots_in_flight (const gchar *account);

G_END_DECLS
