/* Test helper: crafted MP4 files (see mp4-build.h). */
#include "mp4-build.h"

#include <string.h>

typedef struct
{
  GByteArray *out;
} Writer;

static void
put32 (Writer * w, guint32 v)
{
  guint8 b[4] = { v >> 24, v >> 16, v >> 8, v };
  g_byte_array_append (w->out, b, 4);
}

static void
put64 (Writer * w, guint64 v)
{
  put32 (w, (guint32) (v >> 32));
  put32 (w, (guint32) v);
}

static void
put_zeros (Writer * w, guint n)
{
  static const guint8 zeros[64];

  while (n > 0) {
    guint k = MIN (n, sizeof (zeros));
    g_byte_array_append (w->out, zeros, k);
    n -= k;
  }
}

static guint
begin_box (Writer * w, const gchar * type)
{
  guint at = w->out->len;

  put32 (w, 0);
  g_byte_array_append (w->out, (const guint8 *) type, 4);
  return at;
}

static void
end_box (Writer * w, guint at)
{
  guint32 size = w->out->len - at;
  guint8 *p = w->out->data + at;

  p[0] = size >> 24;
  p[1] = size >> 16;
  p[2] = size >> 8;
  p[3] = size;
}

static void
full_header (Writer * w, guint8 version, guint32 flags)
{
  put32 (w, ((guint32) version << 24) | (flags & 0xffffff));
}

static void
write_matrix (Writer * w)
{
  put32 (w, 0x00010000);
  put32 (w, 0);
  put32 (w, 0);
  put32 (w, 0);
  put32 (w, 0x00010000);
  put32 (w, 0);
  put32 (w, 0);
  put32 (w, 0);
  put32 (w, 0x40000000);
}

typedef struct
{
  guint n_samples, sample_size, per_chunk;
  gboolean variable, co64, video;
  guint width, height, duration_s;
  guint64 data_offset;          /* where the track's first chunk lies */
} Track;

static guint
track_sample_size (const Track * t, guint i)
{
  return t->variable ? t->sample_size + i % 7 : t->sample_size;
}

static guint64
track_bytes (const Track * t)
{
  guint64 total = 0;
  guint i;

  for (i = 0; i < t->n_samples; i++)
    total += track_sample_size (t, i);
  return total;
}

static void
write_stbl (Writer * w, const Track * t)
{
  guint stbl = begin_box (w, "stbl"), box, i, n_chunks;
  guint64 offset = t->data_offset;

  box = begin_box (w, "stsd");
  full_header (w, 0, 0);
  put32 (w, 0);
  end_box (w, box);
  box = begin_box (w, "stts");
  full_header (w, 0, 0);
  put32 (w, 1);
  put32 (w, t->n_samples);
  put32 (w, 1000);
  end_box (w, box);

  n_chunks = (t->n_samples + t->per_chunk - 1) / t->per_chunk;
  box = begin_box (w, "stsc");
  full_header (w, 0, 0);
  put32 (w, 1);
  put32 (w, 1);
  put32 (w, t->per_chunk);
  put32 (w, 1);
  end_box (w, box);

  box = begin_box (w, "stsz");
  full_header (w, 0, 0);
  put32 (w, t->variable ? 0 : t->sample_size);
  put32 (w, t->n_samples);
  for (i = 0; t->variable && i < t->n_samples; i++)
    put32 (w, track_sample_size (t, i));
  end_box (w, box);

  box = begin_box (w, t->co64 ? "co64" : "stco");
  full_header (w, 0, 0);
  put32 (w, n_chunks);
  for (i = 0; i < n_chunks; i++) {
    guint first = i * t->per_chunk, k;

    if (t->co64)
      put64 (w, offset);
    else
      put32 (w, (guint32) offset);
    for (k = first; k < MIN (first + t->per_chunk, t->n_samples); k++)
      offset += track_sample_size (t, k);
  }
  end_box (w, box);
  end_box (w, stbl);
}

static void
write_trak (Writer * w, const Track * t, guint id)
{
  guint trak = begin_box (w, "trak"), box, mdia, minf;

  box = begin_box (w, "tkhd");
  full_header (w, 0, 3);
  put32 (w, 0);
  put32 (w, 0);
  put32 (w, id);
  put32 (w, 0);
  put32 (w, t->duration_s * 1000);
  put_zeros (w, 8);
  put32 (w, 0);                 /* layer, alternate group */
  put32 (w, t->video ? 0 : 0x01000000);
  write_matrix (w);
  put32 (w, t->width << 16);
  put32 (w, t->height << 16);
  end_box (w, box);

  mdia = begin_box (w, "mdia");
  box = begin_box (w, "mdhd");
  full_header (w, 0, 0);
  put32 (w, 0);
  put32 (w, 0);
  put32 (w, 1000);
  put32 (w, t->duration_s * 1000);
  put32 (w, 0x55c40000);
  end_box (w, box);
  box = begin_box (w, "hdlr");
  full_header (w, 0, 0);
  put32 (w, 0);
  g_byte_array_append (w->out, (const guint8 *) (t->video ? "vide" : "soun"),
      4);
  put_zeros (w, 13);
  end_box (w, box);
  minf = begin_box (w, "minf");
  box = begin_box (w, t->video ? "vmhd" : "smhd");
  full_header (w, 0, 1);
  put_zeros (w, t->video ? 8 : 4);
  end_box (w, box);
  write_stbl (w, t);
  end_box (w, minf);
  end_box (w, mdia);
  end_box (w, trak);
}

static void
write_moov (Writer * w, Track * tracks, guint n_tracks, guint duration_s)
{
  guint moov = begin_box (w, "moov"), box, i;

  box = begin_box (w, "mvhd");
  full_header (w, 0, 0);
  put32 (w, 0);
  put32 (w, 0);
  put32 (w, 1000);
  put32 (w, duration_s * 1000);
  put32 (w, 0x00010000);
  put32 (w, 0x01000000);
  put_zeros (w, 8);
  write_matrix (w);
  put_zeros (w, 24);
  put32 (w, n_tracks + 1);
  end_box (w, box);
  for (i = 0; i < n_tracks; i++)
    write_trak (w, &tracks[i], i + 1);
  end_box (w, moov);
}

static void
write_ftyp (Writer * w)
{
  guint box = begin_box (w, "ftyp");

  g_byte_array_append (w->out, (const guint8 *) "isom", 4);
  put32 (w, 0x200);
  g_byte_array_append (w->out, (const guint8 *) "isomiso2avc1mp41", 16);
  end_box (w, box);
}

/* The mdat: its header, then each track's samples in turn. */
static void
write_mdat (Writer * w, const Track * tracks, guint n_tracks,
    const TestMp4Spec * spec, guint64 payload_bytes)
{
  guint i, k;

  if (spec->large_mdat) {
    put32 (w, 1);
    g_byte_array_append (w->out, (const guint8 *) "mdat", 4);
    put64 (w, payload_bytes + 16);
  } else {
    put32 (w, spec->mdat_to_eof ? 0 : (guint32) (payload_bytes + 8));
    g_byte_array_append (w->out, (const guint8 *) "mdat", 4);
  }
  for (i = 0; i < n_tracks; i++) {
    for (k = 0; k < track_bytes (&tracks[i]); k++) {
      guint8 b = (guint8) (k * 31 + i);
      g_byte_array_append (w->out, &b, 1);
    }
  }
}

GBytes *
test_mp4_build (const TestMp4Spec * spec_or_null)
{
  TestMp4Spec spec = spec_or_null ? *spec_or_null : (TestMp4Spec) { 0, };
  Track tracks[2];
  guint n_tracks = spec.audio ? 2 : 1, i;
  guint64 payload_bytes = 0, header = spec.large_mdat ? 16 : 8, start;
  Writer probe = { g_byte_array_new () }, w = { g_byte_array_new () };
  guint ftyp_len, moov_len;

  tracks[0] = (Track) {
  .n_samples = spec.n_samples ? spec.n_samples : 10,.sample_size =
        spec.sample_size ? spec.sample_size : 100,.per_chunk =
        spec.samples_per_chunk ? spec.samples_per_chunk : 4,.variable =
        spec.variable_sizes,.co64 = spec.co64,.video = TRUE,.width =
        spec.width ? spec.width : 320,.height =
        spec.height ? spec.height : 240,.duration_s =
        spec.duration_s ? spec.duration_s : 5,};
  tracks[1] = tracks[0];
  tracks[1].video = FALSE;
  tracks[1].sample_size = 20;
  tracks[1].n_samples = 30;
  tracks[1].width = tracks[1].height = 0;
  for (i = 0; i < n_tracks; i++)
    payload_bytes += track_bytes (&tracks[i]);

  /* The moov's size does not depend on the offsets in it: measure it, then lay out. */
  write_ftyp (&probe);
  ftyp_len = probe.out->len;
  write_moov (&probe, tracks, n_tracks, tracks[0].duration_s);
  moov_len = probe.out->len - ftyp_len;
  g_byte_array_unref (probe.out);

  start = ftyp_len + header + (spec.moov_last ? 0 : moov_len);
  for (i = 0; i < n_tracks; i++) {
    tracks[i].data_offset = start;
    start += track_bytes (&tracks[i]);
  }
  write_ftyp (&w);
  if (!spec.moov_last)
    write_moov (&w, tracks, n_tracks, tracks[0].duration_s);
  write_mdat (&w, tracks, n_tracks, &spec, payload_bytes);
  if (spec.moov_last)
    write_moov (&w, tracks, n_tracks, tracks[0].duration_s);
  return g_byte_array_free_to_bytes (w.out);
}

void
test_mp4_write (const gchar * path, const TestMp4Spec * spec)
{
  g_autoptr (GBytes) bytes = test_mp4_build (spec);

  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL),
          g_bytes_get_size (bytes), NULL));
}
