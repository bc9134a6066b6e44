/* gst-kling: finished clips on disk, a journal of tasks in flight, and the claims that
 * make one process (of all that share a cache directory) the one that pays for a clip.
 *
 * Layout under a cache directory:
 *   <key>.mp4            a verified clip (renamed into place when complete)
 *   <key>.json           its sidecar: request summary (with the table's estimate), task
 *                        id, video id, endpoint, model, times, Kling's submit -> succeed
 *                        time (render_s), what Kling charged (charge, charge_amount,
 *                        charge_unit)
 *   journal/<key>.json   a task in flight: external_task_id and the time of the create
 *                        call (written before it), then the task id
 *   journal/<key>.lock   the claim: flock()ed by the process rendering <key>
 *   tmp/<key>.<n>.part   downloads in progress
 * Every write is atomic (temporary file + rename). Nothing here ever holds image or audio
 * bytes or a credential: the sidecar gets the request's summary only. A failure to write
 * is KLING_ERROR_LOCAL_IO naming the path: it is the directory's fault, not the server's.
 */
#pragma once

#include "kling-client.h"
#include "kling-mp4.h"

G_BEGIN_DECLS

gchar    *kling_cache_clip_path      (const gchar *cache_dir, const gchar *key);

/* Creates @cache_dir, journal/ and tmp/ when needed and proves each takes a new file,
 * so an unwritable directory is found before any money is spent. */
gboolean  kling_cache_prepare        (const gchar *cache_dir, GError **error);

typedef enum {
  KLING_CACHE_MISS,          /* nothing usable */
  KLING_CACHE_HIT,           /* a whole clip and its sidecar */
  KLING_CACHE_DAMAGED,       /* the sidecar names a task, but the clip is missing or not
                              * whole: download it again from that task, never render it
                              * again */
} KlingCacheResult;

/* Looks up @key. On a HIT *mp4_path (may be NULL) is the clip and *task (may be NULL) is
 * rebuilt from the sidecar (status succeed, task id, video id, duration, times); on
 * DAMAGED only *task is set. A clip whose kling_cache_clip_id() equals @ignore_id
 * (0: none) counts as a miss: it is the one a refresh replaces. */
KlingCacheResult kling_cache_lookup  (const gchar *cache_dir, const gchar *key,
                                      guint64 ignore_id, gchar **mp4_path,
                                      KlingTask **task);
/* An identity of the clip file now at <key>.mp4 (device and inode), 0 when there is
 * none: a new clip renamed into place has another. */
guint64   kling_cache_clip_id        (const gchar *cache_dir, const gchar *key);

/* Moves @downloaded (a verified MP4) to <key>.mp4, replacing an older clip, and writes
 * the sidecar. */
gboolean  kling_cache_store          (const gchar *cache_dir, const gchar *key,
                                      const gchar *downloaded, const KlingRequest *request,
                                      const KlingTask *task, GError **error);

/* How many sidecars kling_cache_recent_render_s() reads at most, newest first. */
#define KLING_CACHE_HISTORY_READS 64

/* The median render time (Kling's submit -> succeed, seconds) of the @max_renders newest
 * clips of @endpoint and @model_name in @cache_dir, in *@median_s; returns how many were
 * found (0: none, *@median_s = 0). Only the KLING_CACHE_HISTORY_READS newest sidecars are
 * read. Clips from before sidecars recorded render_s do not count. */
guint     kling_cache_recent_render_s (const gchar *cache_dir, KlingEndpoint endpoint,
                                       const gchar *model_name, guint max_renders,
                                       gdouble *median_s);

/* <cache_dir>/tmp, created if needed; NULL with @error when it cannot be. */
gchar    *kling_cache_ensure_tmp_dir (const gchar *cache_dir, GError **error);

/* Removes tmp/<key>.*.part (the caller holds the claim on @key, so they are leftovers of
 * a killed process) and any other .part file older than @max_age_s whose key no process
 * claims. Returns how many files went. */
guint     kling_cache_clean_parts    (const gchar *cache_dir, const gchar *key,
                                      gint64 max_age_s);

/* --- the journal ----------------------------------------------------------------------- */

typedef struct {
  gchar *external_task_id;
  gchar *task_id;            /* NULL until a create's answer (or a lookup) named it */
  gint64 create_sent_ms;     /* wall clock just before the first create call; 0: unknown */
} KlingJournalEntry;

void      kling_journal_entry_clear  (KlingJournalEntry *entry);
/* FALSE when there is no entry or it is unreadable; @entry is filled otherwise (clear it). */
gboolean  kling_journal_load         (const gchar *cache_dir, const gchar *key,
                                      KlingJournalEntry *entry);
gboolean  kling_journal_save         (const gchar *cache_dir, const gchar *key,
                                      KlingEndpoint endpoint, const KlingJournalEntry *entry,
                                      GError **error);
void      kling_journal_remove       (const gchar *cache_dir, const gchar *key);
/* The task ids of every journal entry of @cache_dir but @except_key's (NULL-terminated). */
gchar   **kling_journal_dup_task_ids (const gchar *cache_dir, const gchar *except_key);

/* --- claims ------------------------------------------------------------------------------ */

typedef struct _KlingClaim KlingClaim;

/* Takes the claim on @key for this process: an flock()ed journal/<key>.lock, which the
 * kernel releases if the process dies, so a killed renderer never blocks the next one.
 * TRUE with *claim set; FALSE with *claim NULL and no error when another holder (another
 * process, or another open claim in this one) has it; FALSE with a KLING_ERROR_LOCAL_IO
 * when the journal cannot be written. */
gboolean  kling_cache_claim          (const gchar *cache_dir, const gchar *key,
                                      KlingClaim **claim, GError **error);
/* Gives the claim up (removes the lock file first, so no one locks a stale one). */
void      kling_claim_release        (KlingClaim *claim);

G_END_DECLS
