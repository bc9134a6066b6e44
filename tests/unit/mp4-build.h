/* Test helper: crafted MP4 files for the verifier and the download tests. The files have
 * the structure of a real one (ftyp, moov with mvhd and tracks whose sample tables point
 * into the mdat) with made-up media bytes: whole for the verifier, not decodable. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint n_samples;           /* video samples; 0: 10 */
  guint sample_size;         /* bytes each; 0: 100 */
  guint samples_per_chunk;   /* 0: 4 (the last chunk holds the rest) */
  gboolean variable_sizes;   /* stsz with a table of sizes (sample_size + i % 7) */
  gboolean co64;             /* 64-bit chunk offsets */
  gboolean moov_last;        /* mdat first, moov after it (not faststart) */
  gboolean large_mdat;       /* the mdat header carries a 64-bit size */
  gboolean mdat_to_eof;      /* the mdat size is 0: "to the end of the file" */
  gboolean audio;            /* a second track, of sound */
  guint width;               /* 0: 320 */
  guint height;              /* 0: 240 */
  guint duration_s;          /* 0: 5 */
} TestMp4Spec;

/* NULL: every default. */
GBytes  *test_mp4_build (const TestMp4Spec *spec);
/* Writes test_mp4_build (@spec) to @path. */
void     test_mp4_write (const gchar *path, const TestMp4Spec *spec);

G_END_DECLS
