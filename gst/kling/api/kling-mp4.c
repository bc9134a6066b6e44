/* gst-kling: the MP4 verifier (see kling-mp4.h for what it proves).
 *
 * Every read is bounds-checked against the box it belongs to, and every loop is bounded
 * by the bytes of the table it walks, so any input (a fuzzer's, a hostile server's) ends
 * in a verdict, never in a crash or a long spin. */
#include "kling-mp4.h"
#include "kling-error.h"

#include <stdarg.h>
#include <string.h>

#define FOURCC(a, b, c, d) \
  (((guint32) (a) << 24) | ((guint32) (b) << 16) | ((guint32) (c) << 8) | (guint32) (d))
#define BOX_FTYP FOURCC ('f', 't', 'y', 'p')
#define BOX_MOOV FOURCC ('m', 'o', 'o', 'v')
#define BOX_MDAT FOURCC ('m', 'd', 'a', 't')
#define BOX_MVHD FOURCC ('m', 'v', 'h', 'd')
#define BOX_MVEX FOURCC ('m', 'v', 'e', 'x')
#define BOX_TRAK FOURCC ('t', 'r', 'a', 'k')
#define BOX_TKHD FOURCC ('t', 'k', 'h', 'd')
#define BOX_MDIA FOURCC ('m', 'd', 'i', 'a')
#define BOX_MDHD FOURCC ('m', 'd', 'h', 'd')
#define BOX_HDLR FOURCC ('h', 'd', 'l', 'r')
#define BOX_MINF FOURCC ('m', 'i', 'n', 'f')
#define BOX_STBL FOURCC ('s', 't', 'b', 'l')
#define BOX_STSZ FOURCC ('s', 't', 's', 'z')
#define BOX_STZ2 FOURCC ('s', 't', 'z', '2')
#define BOX_STSC FOURCC ('s', 't', 's', 'c')
#define BOX_STCO FOURCC ('s', 't', 'c', 'o')
#define BOX_CO64 FOURCC ('c', 'o', '6', '4')
#define HANDLER_VIDE FOURCC ('v', 'i', 'd', 'e')
#define HANDLER_SOUN FOURCC ('s', 'o', 'u', 'n')

/* More media data boxes than any muxer writes for a short clip. */
#define MAX_MDATS 64

typedef struct
{
  guint32 type;
  guint64 start;                /* the box's first byte */
  guint64 payload;              /* the first byte after its header */
  guint64 end;                  /* one past its last byte */
} Box;

typedef struct
{
  const guint8 *data;
  guint64 len;
  GError **error;
  guint n_mdats;
  guint64 mdat_start[MAX_MDATS];        /* payload ranges of the mdat boxes */
  guint64 mdat_end[MAX_MDATS];
} Verifier;

static gboolean
G_GNUC_PRINTF (2, 3)
fail (Verifier * v, const gchar * format, ...)
{
  g_autofree gchar *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_propagate_error (v->error, kling_error_new_full (KLING_ERROR_PROTOCOL, 0,
          -1, NULL, NULL, NULL, "the clip is not a whole MP4 file: %s", what));
  return FALSE;
}

static guint32
be32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8)
      | p[3];
}

static guint64
be64 (const guint8 * p)
{
  return ((guint64) be32 (p) << 32) | be32 (p + 4);
}

/* 'moov', or '....' for bytes that are not printable. */
static const gchar *
fourcc_name (guint32 type, gchar out[5])
{
  guint i;

  for (i = 0; i < 4; i++) {
    gchar c = (gchar) ((type >> (24 - 8 * i)) & 0xff);
    out[i] = g_ascii_isprint (c) ? c : '.';
  }
  out[4] = '\0';
  return out;
}

/* The box that starts at @pos and must end by @limit. At the top level a size of 0
 * means "to the end of the file"; only an 'mdat' may say so (muxers write that for the
 * media data of a stream they cannot seek back into), since the sample tables still show
 * where its data ends. A 'moov' (or anything else) of size 0 would hide a cut. */
static gboolean
read_box (Verifier * v, guint64 pos, guint64 limit, gboolean top_level,
    Box * box)
{
  guint64 size, header = 8;
  gchar name[5];

  if (limit - pos < 8)
    return fail (v,
        "a box header at %" G_GUINT64_FORMAT " is cut short (%" G_GUINT64_FORMAT
        " bytes left)", pos, limit - pos);
  size = be32 (v->data + pos);
  box->type = be32 (v->data + pos + 4);
  if (size == 1) {
    if (limit - pos < 16)
      return fail (v,
          "the large size of box '%s' at %" G_GUINT64_FORMAT " is cut short",
          fourcc_name (box->type, name), pos);
    size = be64 (v->data + pos + 8);
    header = 16;
  } else if (size == 0 && top_level) {
    if (box->type != BOX_MDAT)
      return fail (v,
          "box '%s' at %" G_GUINT64_FORMAT " has no size (\"to the end of the "
          "file\"), which only 'mdat' may have", fourcc_name (box->type, name),
          pos);
    size = limit - pos;
  }
  if (size < header)
    return fail (v,
        "box '%s' at %" G_GUINT64_FORMAT " declares %" G_GUINT64_FORMAT
        " bytes, less than its header", fourcc_name (box->type, name), pos,
        size);
  if (size > limit - pos)
    return fail (v, "box '%s' at %" G_GUINT64_FORMAT " needs %" G_GUINT64_FORMAT
        " bytes, %s ends at %" G_GUINT64_FORMAT, fourcc_name (box->type, name),
        pos, size, top_level ? "the file" : "its parent", limit);
  box->start = pos;
  box->payload = pos + header;
  box->end = pos + size;
  return TRUE;
}

/* The first child of @parent of @type; *found FALSE when there is none. Fewer than 8
 * bytes after the last child are padding (some muxers end a container with zeros). */
static gboolean
find_child (Verifier * v, const Box * parent, guint32 type, Box * child,
    gboolean * found)
{
  guint64 pos = parent->payload;

  *found = FALSE;
  while (parent->end - pos >= 8) {
    if (!read_box (v, pos, parent->end, FALSE, child))
      return FALSE;
    if (child->type == type) {
      *found = TRUE;
      return TRUE;
    }
    pos = child->end;
  }
  return TRUE;
}

/* Like find_child(), but a missing child is an error. */
static gboolean
need_child (Verifier * v, const Box * parent, guint32 type, Box * child)
{
  gboolean found;
  gchar a[5], b[5];

  if (!find_child (v, parent, type, child, &found))
    return FALSE;
  if (!found)
    return fail (v, "box '%s' has no '%s'", fourcc_name (parent->type, a),
        fourcc_name (type, b));
  return TRUE;
}

static guint64
payload_size (const Box * box)
{
  return box->end - box->payload;
}

/* Timescale and duration of an mvhd or mdhd (they share the layout). */
static gboolean
read_time_header (Verifier * v, const Box * box, guint32 * timescale,
    guint64 * duration)
{
  const guint8 *p = v->data + box->payload;
  gchar name[5];

  if (payload_size (box) >= 20 && p[0] == 0) {
    *timescale = be32 (p + 12);
    *duration = be32 (p + 16);
  } else if (payload_size (box) >= 32 && p[0] == 1) {
    *timescale = be32 (p + 20);
    *duration = be64 (p + 24);
  } else {
    return fail (v, "box '%s' is too short or of an unknown version",
        fourcc_name (box->type, name));
  }
  return TRUE;
}

/* --- sample tables -------------------------------------------------------------------- */

typedef struct
{
  guint64 count;
  guint32 constant_size;        /* 0: one size per sample in the table */
  const guint8 *table;
  guint field_bits;             /* 4, 8, 16 or 32 */
} SampleSizes;

static gboolean
read_sample_sizes (Verifier * v, const Box * stbl, SampleSizes * sizes)
{
  Box box;
  gboolean found;
  const guint8 *p;
  guint64 room;

  if (!find_child (v, stbl, BOX_STSZ, &box, &found))
    return FALSE;
  if (!found) {
    if (!find_child (v, stbl, BOX_STZ2, &box, &found))
      return FALSE;
    if (!found)
      return fail (v, "a track has no sample sizes (stsz)");
  }
  if (payload_size (&box) < 12)
    return fail (v, "the sample size table is cut short");
  p = v->data + box.payload;
  room = payload_size (&box) - 12;
  sizes->count = be32 (p + 8);
  sizes->table = p + 12;
  if (box.type == BOX_STSZ) {
    sizes->constant_size = be32 (p + 4);
    sizes->field_bits = 32;
    if (sizes->constant_size != 0)
      return TRUE;
  } else {
    sizes->constant_size = 0;
    sizes->field_bits = p[7];
    if (sizes->field_bits != 4 && sizes->field_bits != 8
        && sizes->field_bits != 16)
      return fail (v, "stz2 has a field size of %u bits", sizes->field_bits);
  }
  if ((sizes->count * sizes->field_bits + 7) / 8 > room)
    return fail (v,
        "stsz lists %" G_GUINT64_FORMAT " samples but holds room for fewer",
        sizes->count);
  return TRUE;
}

static guint64
sample_size (const SampleSizes * sizes, guint64 index)
{
  switch (sizes->field_bits) {
    case 4:{
      guint8 byte = sizes->table[index / 2];
      return index % 2 ? byte & 0x0f : byte >> 4;
    }
    case 8:
      return sizes->table[index];
    case 16:
      return ((guint) sizes->table[2 * index] << 8) | sizes->table[2 * index +
          1];
    default:
      return be32 (sizes->table + 4 * index);
  }
}

/* Bytes of samples @first .. @first + @n - 1. */
static guint64
samples_bytes (const SampleSizes * sizes, guint64 first, guint64 n)
{
  guint64 total = 0, i;

  if (sizes->constant_size)
    return n * sizes->constant_size;
  for (i = 0; i < n; i++)
    total += sample_size (sizes, first + i);
  return total;
}

typedef struct
{
  guint64 count;
  const guint8 *table;
  gboolean wide;                /* co64 */
} ChunkOffsets;

/* A full box holding an entry count and that many entries of @entry_size bytes. */
static gboolean
read_table (Verifier * v, const Box * box, guint entry_size, guint64 * count,
    const guint8 ** table)
{
  gchar name[5];

  if (payload_size (box) < 8)
    return fail (v, "box '%s' is cut short", fourcc_name (box->type, name));
  *count = be32 (v->data + box->payload + 4);
  *table = v->data + box->payload + 8;
  if (*count * entry_size > payload_size (box) - 8)
    return fail (v,
        "box '%s' lists %" G_GUINT64_FORMAT " entries but holds room for "
        "fewer", fourcc_name (box->type, name), *count);
  return TRUE;
}

static gboolean
read_chunk_offsets (Verifier * v, const Box * stbl, ChunkOffsets * chunks)
{
  Box box;
  gboolean found;

  if (!find_child (v, stbl, BOX_STCO, &box, &found))
    return FALSE;
  chunks->wide = FALSE;
  if (!found) {
    if (!find_child (v, stbl, BOX_CO64, &box, &found))
      return FALSE;
    if (!found)
      return fail (v, "a track has no chunk offsets (stco or co64)");
    chunks->wide = TRUE;
  }
  return read_table (v, &box, chunks->wide ? 8 : 4, &chunks->count,
      &chunks->table);
}

static guint64
chunk_offset (const ChunkOffsets * chunks, guint64 index)
{
  return chunks->wide ? be64 (chunks->table + 8 * index) : be32 (chunks->table +
      4 * index);
}

typedef struct
{
  guint64 count;
  const guint8 *table;          /* (first_chunk, samples_per_chunk, description) x count */
} SampleToChunk;

static gboolean
read_sample_to_chunk (Verifier * v, const Box * stbl, SampleToChunk * stsc)
{
  Box box;
  guint64 i, previous = 0;

  if (!need_child (v, stbl, BOX_STSC, &box) ||
      !read_table (v, &box, 12, &stsc->count, &stsc->table))
    return FALSE;
  for (i = 0; i < stsc->count; i++) {
    guint64 first = be32 (stsc->table + 12 * i);

    if ((i == 0 && first != 1) || (i > 0 && first <= previous))
      return fail (v,
          "stsc entry %" G_GUINT64_FORMAT " starts at chunk %" G_GUINT64_FORMAT,
          i, first);
    previous = first;
  }
  return TRUE;
}

/* TRUE when [start, start + size) lies inside one mdat payload. */
static gboolean
inside_mdat (Verifier * v, guint64 start, guint64 size)
{
  guint i;

  for (i = 0; i < v->n_mdats; i++) {
    if (start >= v->mdat_start[i] && start <= v->mdat_end[i] &&
        size <= v->mdat_end[i] - start)
      return TRUE;
  }
  return FALSE;
}

/* Walks the chunks: each one's samples lie inside an mdat, and together the chunks hold
 * exactly the samples stsz counts. */
static gboolean
check_sample_table (Verifier * v, const Box * stbl, guint track,
    guint64 * n_samples)
{
  SampleSizes sizes = { 0, };
  ChunkOffsets chunks = { 0, };
  SampleToChunk stsc = { 0, };
  guint64 chunk, sample = 0, entry = 0;

  if (!read_sample_sizes (v, stbl, &sizes))
    return FALSE;
  *n_samples = sizes.count;
  if (sizes.count == 0)
    return TRUE;
  if (!read_chunk_offsets (v, stbl, &chunks)
      || !read_sample_to_chunk (v, stbl, &stsc))
    return FALSE;
  if (stsc.count == 0)
    return fail (v, "track %u has samples but an empty stsc", track);

  for (chunk = 0; chunk < chunks.count; chunk++) {
    guint64 per_chunk, n, offset, bytes;

    while (entry + 1 < stsc.count
        && be32 (stsc.table + 12 * (entry + 1)) <= chunk + 1)
      entry++;
    per_chunk = be32 (stsc.table + 12 * entry + 4);
    if (sample >= sizes.count)
      return fail (v, "track %u has more chunks than samples", track);
    n = MIN (per_chunk, sizes.count - sample);
    if (n == 0)
      return fail (v, "track %u puts no sample in chunk %" G_GUINT64_FORMAT,
          track, chunk + 1);
    offset = chunk_offset (&chunks, chunk);
    bytes = samples_bytes (&sizes, sample, n);
    if (!inside_mdat (v, offset, bytes))
      return fail (v,
          "chunk %" G_GUINT64_FORMAT " of track %u (%" G_GUINT64_FORMAT
          " bytes at %" G_GUINT64_FORMAT
          ") is not inside the media data of a file of %" G_GUINT64_FORMAT
          " bytes", chunk + 1, track, bytes, offset, v->len);
    sample += n;
  }
  if (sample != sizes.count)
    return fail (v, "the chunks of track %u hold %" G_GUINT64_FORMAT " of its %"
        G_GUINT64_FORMAT " samples", track, sample, sizes.count);
  return TRUE;
}

/* --- tracks and the movie ------------------------------------------------------------- */

static void
read_track_size (Verifier * v, const Box * tkhd, guint * width, guint * height)
{
  const guint8 *p = v->data + tkhd->payload;
  guint64 at = p[0] == 1 ? 88 : 76;

  *width = *height = 0;
  if (payload_size (tkhd) >= at + 8) {
    *width = be32 (p + at) >> 16;
    *height = be32 (p + at + 4) >> 16;
  }
}

static gboolean
check_track (Verifier * v, const Box * trak, guint track, gboolean fragmented,
    KlingMp4Info * info)
{
  Box tkhd, mdia, mdhd, hdlr, minf, stbl;
  guint32 timescale, handler;
  guint64 duration, n_samples = 0;
  guint width, height;

  if (!need_child (v, trak, BOX_TKHD, &tkhd)
      || !need_child (v, trak, BOX_MDIA, &mdia)
      || !need_child (v, &mdia, BOX_MDHD, &mdhd)
      || !need_child (v, &mdia, BOX_HDLR, &hdlr)
      || !need_child (v, &mdia, BOX_MINF, &minf)
      || !need_child (v, &minf, BOX_STBL, &stbl)
      || !read_time_header (v, &mdhd, &timescale, &duration))
    return FALSE;
  if (timescale == 0)
    return fail (v, "track %u has a timescale of 0", track);
  if (payload_size (&hdlr) < 12)
    return fail (v, "the handler of track %u is cut short", track);
  handler = be32 (v->data + hdlr.payload + 8);
  if (!fragmented && !check_sample_table (v, &stbl, track, &n_samples))
    return FALSE;

  info->duration_s = MAX (info->duration_s, (gdouble) duration / timescale);
  if (handler == HANDLER_SOUN)
    info->has_audio = TRUE;
  if (handler == HANDLER_VIDE && (fragmented || n_samples > 0)) {
    read_track_size (v, &tkhd, &width, &height);
    if (!info->has_video) {
      info->width = width;
      info->height = height;
    }
    info->has_video = TRUE;
  }
  return TRUE;
}

static gboolean
check_moov (Verifier * v, const Box * moov, KlingMp4Info * info)
{
  Box mvhd, child;
  guint32 timescale;
  guint64 duration, pos;
  gboolean fragmented;
  gdouble tracks_duration;

  if (!need_child (v, moov, BOX_MVHD, &mvhd) ||
      !read_time_header (v, &mvhd, &timescale, &duration) ||
      !find_child (v, moov, BOX_MVEX, &child, &fragmented))
    return FALSE;
  info->fragmented = fragmented;
  for (pos = moov->payload; moov->end - pos >= 8; pos = child.end) {
    if (!read_box (v, pos, moov->end, FALSE, &child))
      return FALSE;
    if (child.type == BOX_TRAK
        && !check_track (v, &child, ++info->n_tracks, fragmented, info))
      return FALSE;
  }
  tracks_duration = info->duration_s;
  if (timescale > 0 && duration > 0)
    info->duration_s = (gdouble) duration / timescale;
  if (info->duration_s <= 0)
    info->duration_s = tracks_duration;
  if (!info->has_video)
    return fail (v, "there is no video track with samples");
  /* Fragmented or not: a clip of unknown length cannot be checked for a plausible size
   * (kling_mp4_max_plausible_bytes()), and Kling's clips always say theirs. */
  if (!(info->duration_s > 0))
    return fail (v, "the movie has no duration");
  return TRUE;
}

/* The top-level boxes: ftyp first, one moov, the mdats, all complete. */
static gboolean
scan_top_level (Verifier * v, Box * moov)
{
  gboolean have_moov = FALSE;
  guint64 pos = 0;
  Box box;
  gchar name[5];

  while (pos < v->len) {
    if (!read_box (v, pos, v->len, TRUE, &box))
      return FALSE;
    if (pos == 0 && box.type != BOX_FTYP)
      return fail (v, "it starts with '%s', not 'ftyp'", fourcc_name (box.type,
              name));
    if (box.type == BOX_MOOV) {
      if (have_moov)
        return fail (v, "it has two 'moov' boxes");
      *moov = box;
      have_moov = TRUE;
    } else if (box.type == BOX_MDAT) {
      if (v->n_mdats == MAX_MDATS)
        return fail (v, "it has more than %u 'mdat' boxes", MAX_MDATS);
      v->mdat_start[v->n_mdats] = box.payload;
      v->mdat_end[v->n_mdats] = box.end;
      v->n_mdats++;
    }
    pos = box.end;
  }
  if (v->len == 0)
    return fail (v, "it is empty");
  if (!have_moov)
    return fail (v, "it has no 'moov' box");
  if (v->n_mdats == 0)
    return fail (v, "it has no 'mdat' box");
  return TRUE;
}

gboolean
kling_mp4_verify (const guint8 * data, gsize len, KlingMp4Info * info,
    GError ** error)
{
  Verifier v = {.data = data,.len = len,.error = error };
  KlingMp4Info local;
  Box moov;

  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  if (info == NULL)
    info = &local;
  memset (info, 0, sizeof (*info));
  if (!scan_top_level (&v, &moov) || !check_moov (&v, &moov, info))
    return FALSE;
  info->moov_end = moov.end;
  info->faststart = moov.end <= v.mdat_start[0];
  return TRUE;
}

gboolean
kling_mp4_verify_file (const gchar * path, KlingMp4Info * info, GError ** error)
{
  g_autoptr (GMappedFile) mapped = NULL;
  g_autoptr (GError) local = NULL;

  mapped = g_mapped_file_new (path, FALSE, &local);
  if (mapped == NULL) {
    g_propagate_error (error, kling_error_new_full (KLING_ERROR_LOCAL_IO, 0, -1,
            NULL, NULL, NULL, "cannot read %s: %s", path, local->message));
    return FALSE;
  }
  return kling_mp4_verify ((const guint8 *) g_mapped_file_get_contents (mapped),
      g_mapped_file_get_length (mapped), info, error);
}

guint64
kling_mp4_max_plausible_bytes (gdouble duration_s, guint height)
{
  guint64 bits_per_s;
  gdouble bytes;

  if (!(duration_s > 0))
    duration_s = 60;
  if (height == 0)
    height = 1080;
  bits_per_s = height <= 720 ? 16000000 : height <= 1080 ? 32000000 : 100000000;
  bytes = duration_s * (bits_per_s / 8) + 4.0 * 1024 * 1024;
  return bytes >=
      (gdouble) KLING_MP4_MAX_BYTES ? KLING_MP4_MAX_BYTES : (guint64) bytes;
}

guint
kling_mp4_height_for_mode (const gchar * mode)
{
  if (g_strcmp0 (mode, "std") == 0)
    return 720;
  if (g_strcmp0 (mode, "pro") == 0)
    return 1080;
  if (g_strcmp0 (mode, "4k") == 0)
    return 2160;
  return 0;
}
