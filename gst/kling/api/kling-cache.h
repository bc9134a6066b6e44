/* gst-kling: finished clips on disk, and a journal of tasks in flight.
 *
 * Layout under a cache directory:
 *   <key>.mp4            a verified clip (renamed into place when complete)
 *   <key>.json           its sidecar: request summary, task id, video id, endpoint, times
 *   journal/<key>.json   a task in flight: external_task_id (written before the create
 *                        call), then the task id
 *   tmp/                 downloads in progress
 * Every write is atomic (temporary file + rename). Nothing here ever holds image or audio
 * bytes or a credential: the sidecar gets the request's summary only.
 */
#pragma once

#include "kling-client.h"
#include "kling-mp4.h"

G_BEGIN_DECLS

gchar    *kling_cache_clip_path      (const gchar *cache_dir, const gchar *key);

/* TRUE when <key>.mp4 and its sidecar are both there; *task (may be NULL) is rebuilt from
 * the sidecar (status succeed, task id, video id, duration, times). */
gboolean  kling_cache_lookup         (const gchar *cache_dir, const gchar *key,
                                      gchar **mp4_path, KlingTask **task);
/* Moves @downloaded (a verified MP4) to <key>.mp4 and writes the sidecar. */
gboolean  kling_cache_store          (const gchar *cache_dir, const gchar *key,
                                      const gchar *downloaded, const KlingRequest *request,
                                      const KlingTask *task, GError **error);

/* <cache_dir>/tmp, created if needed; NULL with @error when it cannot be. */
gchar    *kling_cache_ensure_tmp_dir (const gchar *cache_dir, GError **error);

gboolean  kling_journal_load         (const gchar *cache_dir, const gchar *key,
                                      gchar **external_task_id, gchar **task_id);
/* @task_id may be NULL (before the create call). */
gboolean  kling_journal_save         (const gchar *cache_dir, const gchar *key,
                                      KlingEndpoint endpoint,
                                      const gchar *external_task_id, const gchar *task_id,
                                      GError **error);
void      kling_journal_remove       (const gchar *cache_dir, const gchar *key);

G_END_DECLS
