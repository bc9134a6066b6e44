/* gst-kling: the clip cache and the journal of tasks in flight. */
#include "kling-cache.h"
#include "kling-private.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

#define JOURNAL_DIR "journal"
#define TMP_DIR "tmp"

gchar *
kling_cache_clip_path (const gchar *cache_dir, const gchar *key)
{
  g_autofree gchar *name = g_strconcat (key, ".mp4", NULL);
  return g_build_filename (cache_dir, name, NULL);
}

static gchar *
sidecar_path (const gchar *cache_dir, const gchar *key)
{
  g_autofree gchar *name = g_strconcat (key, ".json", NULL);
  return g_build_filename (cache_dir, name, NULL);
}

static gchar *
journal_path (const gchar *cache_dir, const gchar *key)
{
  g_autofree gchar *name = g_strconcat (key, ".json", NULL);
  return g_build_filename (cache_dir, JOURNAL_DIR, name, NULL);
}

static gboolean
io_error (GError **error, const gchar *what, const gchar *path, gint errsv)
{
  g_propagate_error (error, kling_error_new_full (KLING_ERROR_PROTOCOL, 0, -1, NULL, NULL,
          NULL, "cannot %s %s: %s", what, path, g_strerror (errsv)));
  return FALSE;
}

static gboolean
ensure_dir (const gchar *path, GError **error)
{
  if (g_mkdir_with_parents (path, 0700) != 0)
    return io_error (error, "create directory", path, errno);
  return TRUE;
}

/* Temporary file + fsync + rename: a reader sees the old file or the new one, whole.
 * Takes @object. */
static gboolean
write_json_atomically (const gchar *path, JsonObject *object, GError **error)
{
  g_autoptr (JsonNode) node = kling_json_node_take_object (object);
  g_autofree gchar *text = json_to_string (node, TRUE);
  g_autofree gchar *dir = g_path_get_dirname (path);
  GError *local = NULL;

  if (!ensure_dir (dir, error))
    return FALSE;
  if (!g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
          &local)) {
    g_propagate_error (error, kling_error_new_full (KLING_ERROR_PROTOCOL, 0, -1, NULL, NULL,
            NULL, "cannot write %s: %s", path, local->message));
    g_error_free (local);
    return FALSE;
  }
  return TRUE;
}

static JsonObject *
read_json_object (const gchar *path)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (!json_parser_load_from_mapped_file (parser, path, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

static void
set_optional_string (JsonObject *object, const gchar *member, const gchar *value)
{
  if (value)
    json_object_set_string_member (object, member, value);
}

gboolean
kling_cache_lookup (const gchar *cache_dir, const gchar *key, gchar **mp4_path,
    KlingTask **task)
{
  g_autofree gchar *clip = kling_cache_clip_path (cache_dir, key);
  g_autofree gchar *sidecar = sidecar_path (cache_dir, key);
  g_autoptr (JsonObject) meta = NULL;
  gint64 value;

  if (!kling_mp4_check (clip, -1, NULL))
    return FALSE;
  meta = read_json_object (sidecar);
  if (meta == NULL || kling_json_get_string (meta, "task_id") == NULL)
    return FALSE;
  if (task) {
    KlingTask *t = g_new0 (KlingTask, 1);

    t->status = KLING_TASK_SUCCEED;
    t->task_id = g_strdup (kling_json_get_string (meta, "task_id"));
    t->external_task_id = g_strdup (kling_json_get_string (meta, "external_task_id"));
    t->video_id = g_strdup (kling_json_get_string (meta, "video_id"));
    t->request_id = g_strdup (kling_json_get_string (meta, "request_id"));
    if (!kling_json_get_double (meta, "video_duration_s", &t->video_duration_s))
      t->video_duration_s = 0;
    if (kling_json_get_int (meta, "created_at_ms", &value))
      t->created_at_ms = value;
    if (kling_json_get_int (meta, "updated_at_ms", &value))
      t->updated_at_ms = value;
    *task = t;
  }
  if (mp4_path)
    *mp4_path = g_steal_pointer (&clip);
  return TRUE;
}

gboolean
kling_cache_store (const gchar *cache_dir, const gchar *key, const gchar *downloaded,
    const KlingRequest *request, const KlingTask *task, GError **error)
{
  g_autofree gchar *clip = kling_cache_clip_path (cache_dir, key);
  g_autofree gchar *sidecar = sidecar_path (cache_dir, key);
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree gchar *stamp = g_date_time_format_iso8601 (now);
  JsonObject *meta = json_object_new ();

  if (g_rename (downloaded, clip) != 0) {
    json_object_unref (meta);
    return io_error (error, "move the clip to", clip, errno);
  }
  json_object_set_string_member (meta, "key", key);
  json_object_set_string_member (meta, "endpoint", kling_endpoint_name (request->endpoint));
  json_object_set_string_member (meta, "path", kling_endpoint_path (request->endpoint));
  json_object_set_member (meta, "request", json_node_copy (request->summary));
  json_object_set_string_member (meta, "task_id", task->task_id);
  set_optional_string (meta, "external_task_id", task->external_task_id);
  set_optional_string (meta, "video_id", task->video_id);
  set_optional_string (meta, "request_id", task->request_id);
  json_object_set_double_member (meta, "video_duration_s", task->video_duration_s);
  json_object_set_int_member (meta, "created_at_ms", task->created_at_ms);
  json_object_set_int_member (meta, "updated_at_ms", task->updated_at_ms);
  json_object_set_string_member (meta, "downloaded_at", stamp);
  return write_json_atomically (sidecar, meta, error);
}

gchar *
kling_cache_ensure_tmp_dir (const gchar *cache_dir, GError **error)
{
  g_autofree gchar *dir = g_build_filename (cache_dir, TMP_DIR, NULL);

  if (!ensure_dir (dir, error))
    return NULL;
  return g_steal_pointer (&dir);
}

gboolean
kling_journal_load (const gchar *cache_dir, const gchar *key, gchar **external_task_id,
    gchar **task_id)
{
  g_autofree gchar *path = journal_path (cache_dir, key);
  g_autoptr (JsonObject) entry = read_json_object (path);
  const gchar *ext;

  if (entry == NULL)
    return FALSE;
  ext = kling_json_get_string (entry, "external_task_id");
  if (ext == NULL || *ext == '\0')
    return FALSE;
  *external_task_id = g_strdup (ext);
  *task_id = g_strdup (kling_json_get_string (entry, "task_id"));
  return TRUE;
}

gboolean
kling_journal_save (const gchar *cache_dir, const gchar *key, KlingEndpoint endpoint,
    const gchar *external_task_id, const gchar *task_id, GError **error)
{
  g_autofree gchar *path = journal_path (cache_dir, key);
  JsonObject *entry = json_object_new ();

  json_object_set_string_member (entry, "endpoint", kling_endpoint_name (endpoint));
  json_object_set_string_member (entry, "external_task_id", external_task_id);
  set_optional_string (entry, "task_id", task_id);
  json_object_set_int_member (entry, "written_at_s", g_get_real_time () / G_USEC_PER_SEC);
  return write_json_atomically (path, entry, error);
}

void
kling_journal_remove (const gchar *cache_dir, const gchar *key)
{
  g_autofree gchar *path = journal_path (cache_dir, key);

  if (g_unlink (path) != 0 && errno != ENOENT)
    g_info ("could not remove journal entry %s: %s", path, g_strerror (errno));
}
