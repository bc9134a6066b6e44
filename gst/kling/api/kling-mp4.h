/* gst-kling: the MP4 verifier a download passes before it enters the cache.
 *
 * A pure function on bytes (no I/O, no allocation beyond the error), so it can be fuzzed
 * and tested on crafted files. It proves that the file is whole, not that it decodes:
 * - the top-level boxes tile the file: each one's size fits, the first is 'ftyp', one
 *   'moov' and at least one 'mdat' are there and complete;
 * - the moov is parsed: mvhd, and per track tkhd, mdia/mdhd/hdlr and minf/stbl with
 *   stsz (or stz2), stsc and stco (or co64). Every chunk, with the sizes of the samples
 *   stsc puts in it, lies inside one mdat, and the chunks hold exactly the samples stsz
 *   counts;
 * - there is a video track with samples and a duration.
 * A fragmented file (mvex in the moov) is accepted on its box structure alone: each moof
 * and mdat complete. Kling serves progressive, faststart files.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* No clip Kling makes comes near this; a download beyond it is refused whatever it says. */
#define KLING_MP4_MAX_BYTES ((guint64) 400 * 1024 * 1024)

typedef struct {
  gdouble duration_s;        /* the movie's (mvhd), else the longest track's */
  guint n_tracks;
  gboolean has_video;
  gboolean has_audio;
  guint width;               /* of the first video track (tkhd), 0 when unknown */
  guint height;
  gboolean fragmented;       /* mvex present: sample tables not checked */
  gboolean faststart;        /* the moov comes before the first mdat */
  guint64 moov_end;          /* the offset just past the moov box */
} KlingMp4Info;

/* KLING_ERROR_PROTOCOL naming what is wrong ("box 'mdat' at 4096 needs 10000 bytes, the
 * file ends at 6000") unless @data is a whole MP4 as described above. @info may be NULL. */
gboolean kling_mp4_verify        (const guint8 *data, gsize len, KlingMp4Info *info,
                                  GError **error);
/* The same for a file (mapped, not read whole). KLING_ERROR_LOCAL_IO when it cannot be
 * opened. */
gboolean kling_mp4_verify_file   (const gchar *path, KlingMp4Info *info, GError **error);

/* The most bytes a clip of @duration_s seconds at @height lines can plausibly take:
 * generous bit-rate ceilings (16 Mbit/s up to 720 lines, 32 up to 1080, 100 above; Kling
 * serves a few Mbit/s) plus 4 MB for headers and audio, and never more than
 * KLING_MP4_MAX_BYTES. An unknown duration (<= 0) counts as 60 s, an unknown height (0)
 * as 1080. */
guint64  kling_mp4_max_plausible_bytes (gdouble duration_s, guint height);

/* The clip height Kling renders for a request's "mode": std 720, pro 1080, 4k 2160;
 * 0 (unknown) for anything else or NULL. */
guint    kling_mp4_height_for_mode (const gchar *mode);

G_END_DECLS
