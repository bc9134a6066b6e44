/* gst-kling: the clip cache, the journal of tasks in flight and the claims on keys. */
#include "kling-cache.h"
#include "kling-private.h"
#include "kling-requests.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#define JOURNAL_DIR "journal"
#define TMP_DIR "tmp"
#define PART_SUFFIX ".part"
/* A claim file is re-opened this often when its holder removes it under us. */
#define CLAIM_OPEN_TRIES 8

gchar *
kling_cache_clip_path (const gchar * cache_dir, const gchar * key)
{
  g_autofree gchar *name = g_strconcat (key, ".mp4", NULL);
  return g_build_filename (cache_dir, name, NULL);
}

static gchar *
sidecar_path (const gchar * cache_dir, const gchar * key)
{
  g_autofree gchar *name = g_strconcat (key, ".json", NULL);
  return g_build_filename (cache_dir, name, NULL);
}

static gchar *
journal_file (const gchar * cache_dir, const gchar * key, const gchar * suffix)
{
  g_autofree gchar *name = g_strconcat (key, suffix, NULL);
  return g_build_filename (cache_dir, JOURNAL_DIR, name, NULL);
}

static gboolean
io_error (GError ** error, const gchar * what, const gchar * path, gint errsv)
{
  g_propagate_error (error, kling_error_new_full (KLING_ERROR_LOCAL_IO, 0, -1,
          NULL, NULL, NULL, "cannot %s %s: %s", what, path,
          g_strerror (errsv)));
  return FALSE;
}

static gboolean
ensure_dir (const gchar * path, GError ** error)
{
  if (g_mkdir_with_parents (path, 0700) != 0)
    return io_error (error, "create directory", path, errno);
  return TRUE;
}

/* A new file can be made in @dir (root ignores the mode bits, so only trying tells). */
static gboolean
probe_writable (const gchar * dir, GError ** error)
{
  g_autofree gchar *probe = g_build_filename (dir, ".probe-XXXXXX", NULL);
  gint fd;

  if (!ensure_dir (dir, error))
    return FALSE;
  fd = g_mkstemp_full (probe, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    return io_error (error, "write in", dir, errno);
  close (fd);
  g_unlink (probe);
  return TRUE;
}

gboolean
kling_cache_prepare (const gchar * cache_dir, GError ** error)
{
  g_autofree gchar *journal = g_build_filename (cache_dir, JOURNAL_DIR, NULL);
  g_autofree gchar *tmp = g_build_filename (cache_dir, TMP_DIR, NULL);

  return probe_writable (cache_dir, error) && probe_writable (journal, error) &&
      probe_writable (tmp, error);
}

/* Temporary file + fsync + rename: a reader sees the old file or the new one, whole.
 * Takes @object. */
static gboolean
write_json_atomically (const gchar * path, JsonObject * object, GError ** error)
{
  g_autoptr (JsonNode) node = kling_json_node_take_object (object);
  g_autofree gchar *text = json_to_string (node, TRUE);
  g_autofree gchar *dir = g_path_get_dirname (path);
  g_autoptr (GError) local = NULL;

  if (!ensure_dir (dir, error))
    return FALSE;
  if (!g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT,
          0600, &local)) {
    g_propagate_error (error, kling_error_new_full (KLING_ERROR_LOCAL_IO, 0, -1,
            NULL, NULL, NULL, "cannot write %s: %s", path, local->message));
    return FALSE;
  }
  return TRUE;
}

/* Our own files only (sidecars, journal entries): small and written by us. */
static JsonObject *
read_json_object (const gchar * path)
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
set_optional_string (JsonObject * object, const gchar * member,
    const gchar * value)
{
  if (value)
    json_object_set_string_member (object, member, value);
}

/* --- clips and sidecars ------------------------------------------------------------------ */

static KlingTask *
task_from_sidecar (JsonObject * meta)
{
  KlingTask *t = g_new0 (KlingTask, 1);
  gint64 value;

  t->status = KLING_TASK_SUCCEED;
  t->task_id = g_strdup (kling_json_get_string (meta, "task_id"));
  t->external_task_id =
      g_strdup (kling_json_get_string (meta, "external_task_id"));
  t->video_id = g_strdup (kling_json_get_string (meta, "video_id"));
  t->request_id = g_strdup (kling_json_get_string (meta, "request_id"));
  if (!kling_json_get_double (meta, "video_duration_s", &t->video_duration_s))
    t->video_duration_s = 0;
  if (kling_json_get_int (meta, "created_at_ms", &value))
    t->created_at_ms = value;
  if (kling_json_get_int (meta, "updated_at_ms", &value))
    t->updated_at_ms = value;
  t->charge = g_strdup (kling_json_get_string (meta, "charge"));
  t->charge_unit = g_strdup (kling_json_get_string (meta, "charge_unit"));
  if (t->charge
      && !kling_json_get_double (meta, "charge_amount", &t->charge_amount))
    t->charge_amount = 0;
  return t;
}

guint64
kling_cache_clip_id (const gchar * cache_dir, const gchar * key)
{
  g_autofree gchar *clip = kling_cache_clip_path (cache_dir, key);
  GStatBuf st;

  if (g_stat (clip, &st) != 0)
    return 0;
  return ((guint64) st.st_dev << 40) ^ (guint64) st.st_ino ^ 1;
}

KlingCacheResult
kling_cache_lookup (const gchar * cache_dir, const gchar * key,
    guint64 ignore_id, gchar ** mp4_path, KlingTask ** task)
{
  g_autofree gchar *clip = kling_cache_clip_path (cache_dir, key);
  g_autofree gchar *sidecar = sidecar_path (cache_dir, key);
  g_autoptr (JsonObject) meta = read_json_object (sidecar);
  KlingCacheResult result;

  if (meta == NULL || kling_json_get_string (meta, "task_id") == NULL)
    return KLING_CACHE_MISS;
  if (ignore_id != 0 && kling_cache_clip_id (cache_dir, key) == ignore_id)
    return KLING_CACHE_MISS;
  result =
      kling_mp4_verify_file (clip, NULL,
      NULL) ? KLING_CACHE_HIT : KLING_CACHE_DAMAGED;
  if (task)
    *task = task_from_sidecar (meta);
  if (mp4_path && result == KLING_CACHE_HIT)
    *mp4_path = g_steal_pointer (&clip);
  return result;
}

gboolean
kling_cache_store (const gchar * cache_dir, const gchar * key,
    const gchar * downloaded, const KlingRequest * request,
    const KlingTask * task, GError ** error)
{
  g_autofree gchar *clip = kling_cache_clip_path (cache_dir, key);
  g_autofree gchar *sidecar = sidecar_path (cache_dir, key);
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree gchar *stamp = g_date_time_format_iso8601 (now);
  JsonObject *meta;

  if (g_rename (downloaded, clip) != 0)
    return io_error (error, "move the clip to", clip, errno);
  meta = json_object_new ();
  json_object_set_string_member (meta, "key", key);
  json_object_set_string_member (meta, "endpoint",
      kling_endpoint_name (request->endpoint));
  json_object_set_string_member (meta, "path",
      kling_request_get_path (request));
  if (request->summary)
    json_object_set_member (meta, "request", json_node_copy (request->summary));
  json_object_set_string_member (meta, "task_id", task->task_id);
  set_optional_string (meta, "external_task_id", task->external_task_id);
  set_optional_string (meta, "video_id", task->video_id);
  set_optional_string (meta, "request_id", task->request_id);
  json_object_set_double_member (meta, "video_duration_s",
      task->video_duration_s);
  json_object_set_int_member (meta, "created_at_ms", task->created_at_ms);
  json_object_set_int_member (meta, "updated_at_ms", task->updated_at_ms);
  json_object_set_string_member (meta, "downloaded_at", stamp);
  set_optional_string (meta, "model", kling_request_get_model_name (request));
  /* Kling's own submit -> succeed time: what later renders of this model take. */
  if (task->created_at_ms > 0 && task->updated_at_ms >= task->created_at_ms)
    json_object_set_double_member (meta, "render_s",
        (task->updated_at_ms - task->created_at_ms) / 1000.0);
  if (task->charge) {
    json_object_set_string_member (meta, "charge", task->charge);
    json_object_set_double_member (meta, "charge_amount", task->charge_amount);
    set_optional_string (meta, "charge_unit", task->charge_unit);
  }
  return write_json_atomically (sidecar, meta, error);
}

/* --- render times of earlier clips ------------------------------------------------------- */

typedef struct
{
  gchar *path;
  gint64 mtime;
} SidecarFile;

static void
sidecar_file_free (gpointer data)
{
  SidecarFile *file = data;

  g_free (file->path);
  g_free (file);
}

static gint
newest_first (gconstpointer a, gconstpointer b)
{
  const SidecarFile *fa = *(SidecarFile * const *) a, *fb =
      *(SidecarFile * const *) b;

  return fa->mtime < fb->mtime ? 1 : fa->mtime > fb->mtime ? -1 : 0;
}

static gint
compare_doubles (gconstpointer a, gconstpointer b)
{
  gdouble da = *(const gdouble *) a, db = *(const gdouble *) b;

  return da < db ? -1 : da > db ? 1 : 0;
}

/* The sidecars of @cache_dir (<key>.json at the top; the journal is a folder), newest
 * first by modification time (a sidecar is written once, when its clip arrives). */
static GPtrArray *
list_sidecars (const gchar * cache_dir)
{
  GPtrArray *files = g_ptr_array_new_with_free_func (sidecar_file_free);
  GDir *dir = g_dir_open (cache_dir, 0, NULL);
  const gchar *name;

  while (dir && (name = g_dir_read_name (dir))) {
    SidecarFile *file;
    GStatBuf st;

    if (!g_str_has_suffix (name, ".json"))
      continue;
    file = g_new0 (SidecarFile, 1);
    file->path = g_build_filename (cache_dir, name, NULL);
    if (g_stat (file->path, &st) != 0 || !S_ISREG (st.st_mode)) {
      sidecar_file_free (file);
      continue;
    }
    file->mtime = st.st_mtime;
    g_ptr_array_add (files, file);
  }
  if (dir)
    g_dir_close (dir);
  g_ptr_array_sort (files, newest_first);
  return files;
}

/* The render time a sidecar records when it is of @endpoint and @model; -1 otherwise. */
static gdouble
sidecar_render_s (const gchar * path, const gchar * endpoint,
    const gchar * model)
{
  g_autoptr (JsonObject) meta = read_json_object (path);
  gdouble render_s;

  if (meta == NULL
      || g_strcmp0 (kling_json_get_string (meta, "endpoint"), endpoint) != 0
      || g_strcmp0 (kling_json_get_string (meta, "model"), model) != 0
      || !kling_json_get_double (meta, "render_s", &render_s)
      || !(render_s > 0))
    return -1;
  return render_s;
}

guint
kling_cache_recent_render_s (const gchar * cache_dir, KlingEndpoint endpoint,
    const gchar * model_name, guint max_renders, gdouble * median_s)
{
  g_autoptr (GPtrArray) files = NULL;
  g_autofree gdouble *times = NULL;
  guint i, n = 0;

  *median_s = 0;
  if (cache_dir == NULL || max_renders == 0)
    return 0;
  files = list_sidecars (cache_dir);
  times = g_new0 (gdouble, max_renders);
  /* Reading is bounded: a cache of thousands of clips costs a stat each, and at most
   * KLING_CACHE_HISTORY_READS small files are parsed. */
  for (i = 0;
      i < files->len && i < KLING_CACHE_HISTORY_READS && n < max_renders; i++) {
    SidecarFile *file = g_ptr_array_index (files, i);
    gdouble render_s =
        sidecar_render_s (file->path, kling_endpoint_name (endpoint),
        model_name);

    if (render_s > 0)
      times[n++] = render_s;
  }
  if (n == 0)
    return 0;
  qsort (times, n, sizeof (gdouble), compare_doubles);
  *median_s = n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
  return n;
}

gchar *
kling_cache_ensure_tmp_dir (const gchar * cache_dir, GError ** error)
{
  g_autofree gchar *dir = g_build_filename (cache_dir, TMP_DIR, NULL);

  if (!ensure_dir (dir, error))
    return NULL;
  return g_steal_pointer (&dir);
}

/* --- the journal ------------------------------------------------------------------------- */

void
kling_journal_entry_clear (KlingJournalEntry * entry)
{
  g_clear_pointer (&entry->external_task_id, g_free);
  g_clear_pointer (&entry->task_id, g_free);
  entry->create_sent_ms = 0;
}

gboolean
kling_journal_load (const gchar * cache_dir, const gchar * key,
    KlingJournalEntry * entry)
{
  g_autofree gchar *path = journal_file (cache_dir, key, ".json");
  g_autoptr (JsonObject) object = read_json_object (path);
  const gchar *ext;

  memset (entry, 0, sizeof (*entry));
  if (object == NULL)
    return FALSE;
  ext = kling_json_get_string (object, "external_task_id");
  if (ext == NULL || *ext == '\0')
    return FALSE;
  entry->external_task_id = g_strdup (ext);
  entry->task_id = g_strdup (kling_json_get_string (object, "task_id"));
  if (!kling_json_get_int (object, "create_sent_ms", &entry->create_sent_ms))
    entry->create_sent_ms = 0;
  return TRUE;
}

gboolean
kling_journal_save (const gchar * cache_dir, const gchar * key,
    KlingEndpoint endpoint, const KlingJournalEntry * entry, GError ** error)
{
  g_autofree gchar *path = journal_file (cache_dir, key, ".json");
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "endpoint",
      kling_endpoint_name (endpoint));
  json_object_set_string_member (object, "external_task_id",
      entry->external_task_id);
  set_optional_string (object, "task_id", entry->task_id);
  if (entry->create_sent_ms > 0)
    json_object_set_int_member (object, "create_sent_ms",
        entry->create_sent_ms);
  json_object_set_int_member (object, "written_at_s",
      g_get_real_time () / G_USEC_PER_SEC);
  return write_json_atomically (path, object, error);
}

void
kling_journal_remove (const gchar * cache_dir, const gchar * key)
{
  g_autofree gchar *path = journal_file (cache_dir, key, ".json");

  if (g_unlink (path) != 0 && errno != ENOENT)
    g_info ("could not remove journal entry %s: %s", path, g_strerror (errno));
}

gchar **
kling_journal_dup_task_ids (const gchar * cache_dir, const gchar * except_key)
{
  g_autofree gchar *dir_path = g_build_filename (cache_dir, JOURNAL_DIR, NULL);
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
  g_autoptr (GPtrArray) ids = g_ptr_array_new ();
  const gchar *name;

  while (dir && (name = g_dir_read_name (dir))) {
    g_autofree gchar *key = NULL;
    KlingJournalEntry entry;

    if (!g_str_has_suffix (name, ".json"))
      continue;
    key = g_strndup (name, strlen (name) - strlen (".json"));
    if (g_strcmp0 (key, except_key) == 0
        || !kling_journal_load (cache_dir, key, &entry))
      continue;
    if (entry.task_id)
      g_ptr_array_add (ids, g_steal_pointer (&entry.task_id));
    kling_journal_entry_clear (&entry);
  }
  g_ptr_array_add (ids, NULL);
  return (gchar **) g_ptr_array_free (g_steal_pointer (&ids), FALSE);
}

/* --- claims ------------------------------------------------------------------------------ */

struct _KlingClaim
{
  gint fd;
  gchar *path;
};

/* Locks @path. A holder that releases removes the file while it still holds the lock, so
 * a lock taken on a file that is no longer at @path is void: open again. */
static gint
lock_claim_file (const gchar * path, gboolean * busy, GError ** error)
{
  guint tries;

  *busy = FALSE;
  for (tries = 0; tries < CLAIM_OPEN_TRIES; tries++) {
    struct stat held, named;
    gint fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

    if (fd < 0) {
      io_error (error, "create", path, errno);
      return -1;
    }
    if (flock (fd, LOCK_EX | LOCK_NB) != 0) {
      gint errsv = errno;

      close (fd);
      if (errsv == EWOULDBLOCK) {
        *busy = TRUE;
      } else {
        io_error (error, "lock", path, errsv);
      }
      return -1;
    }
    if (fstat (fd, &held) == 0 && stat (path, &named) == 0
        && held.st_dev == named.st_dev && held.st_ino == named.st_ino)
      return fd;
    close (fd);
  }
  *busy = TRUE;
  return -1;
}

gboolean
kling_cache_claim (const gchar * cache_dir, const gchar * key,
    KlingClaim ** claim, GError ** error)
{
  g_autofree gchar *dir = g_build_filename (cache_dir, JOURNAL_DIR, NULL);
  g_autofree gchar *path = journal_file (cache_dir, key, ".lock");
  gboolean busy;
  gint fd;

  *claim = NULL;
  if (!ensure_dir (dir, error))
    return FALSE;
  fd = lock_claim_file (path, &busy, error);
  if (fd < 0)
    return FALSE;
  *claim = g_new0 (KlingClaim, 1);
  (*claim)->fd = fd;
  (*claim)->path = g_steal_pointer (&path);
  return TRUE;
}

void
kling_claim_release (KlingClaim * claim)
{
  if (claim == NULL)
    return;
  g_unlink (claim->path);
  close (claim->fd);
  g_free (claim->path);
  g_free (claim);
}

/* --- leftovers of killed downloads ------------------------------------------------------ */

/* "<key>.<n>.part" -> "<key>"; NULL for other names. */
static gchar *
part_key (const gchar * name)
{
  const gchar *dot = strchr (name, '.');

  if (dot == NULL || dot == name || !g_str_has_suffix (name, PART_SUFFIX))
    return NULL;
  return g_strndup (name, dot - name);
}

static gboolean
part_is_stale (const gchar * cache_dir, const gchar * path, const gchar * key,
    gint64 max_age_s)
{
  KlingClaim *claim = NULL;
  GStatBuf st;

  if (g_stat (path, &st) != 0
      || g_get_real_time () / G_USEC_PER_SEC - st.st_mtime < max_age_s)
    return FALSE;
  /* Old, but is someone still on it? Only a free claim says no. */
  if (!kling_cache_claim (cache_dir, key, &claim, NULL))
    return FALSE;
  kling_claim_release (claim);
  return TRUE;
}

guint
kling_cache_clean_parts (const gchar * cache_dir, const gchar * key,
    gint64 max_age_s)
{
  g_autofree gchar *tmp = g_build_filename (cache_dir, TMP_DIR, NULL);
  g_autoptr (GDir) dir = g_dir_open (tmp, 0, NULL);
  const gchar *name;
  guint removed = 0;

  while (dir && (name = g_dir_read_name (dir))) {
    g_autofree gchar *owner = part_key (name);
    g_autofree gchar *path = NULL;

    if (owner == NULL)
      continue;
    path = g_build_filename (tmp, name, NULL);
    if ((g_str_equal (owner, key)
            || part_is_stale (cache_dir, path, owner, max_age_s))
        && g_unlink (path) == 0)
      removed++;
  }
  if (removed > 0)
    g_debug ("removed %u partial download(s) left in %s", removed, tmp);
  return removed;
}
