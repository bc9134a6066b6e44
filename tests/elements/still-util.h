/* Stills for the suites of tests/elements: the media files, and damaged copies of them
 * whose headers are intact (kling_image_probe() reads them) but whose data is not. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The bytes of examples/media/@name. */
GBytes *still_media_file          (const gchar *name);

/* still.jpg with the second half of its scan cut out (EOI kept at the end). */
GBytes *still_jpeg_cut_in_middle  (void);
/* still.jpg with 2 KiB of its scan overwritten by noise. */
GBytes *still_jpeg_scrambled      (void);
/* square.png with noise in its compressed image data, every CRC still right. */
GBytes *still_png_scrambled       (void);
/* square.png whose image data (valid zlib, CRCs right) holds only half the rows. */
GBytes *still_png_half_rows       (void);

G_END_DECLS
