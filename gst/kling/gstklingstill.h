/* gst-kling: still capture, a frame from a sink pad as Kling takes it.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A raw frame is encoded to JPEG (smaller when it would exceed Kling's 10 MB); a JPEG or a
 * PNG is taken as it is once it is known to be whole (one buffer, ending with EOI / IEND)
 * and its data decodes completely; either way the result is checked against Kling's limits
 * (size, sides, aspect ratio). Every refusal happens here, before any request, so nobody
 * pays for a render of a broken image. Runs on a streaming thread: local work only. Used
 * for klingimage2video's sink, its end_frame pad and klinglipsync's image pad alike.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum
{
  GST_KLING_STILL_FIRST_FRAME,  /* Kling's "image": the clip starts from it */
  GST_KLING_STILL_END_FRAME,    /* Kling's "image_tail": the clip ends on it */
} GstKlingStillRole;

/* The still that arrived as @buffer with @caps (NULL when the pad had none) on a sink pad
 * of the element named @element_name ("klingimage2video", for the sentences), as JPEG or
 * PNG bytes Kling takes. NULL on failure, with @error a GST_STREAM_ERROR_FORMAT whose
 * message is one sentence for a person and *@details the technical line (free it). */
GBytes   *gst_kling_still_capture    (GstBuffer *buffer, GstCaps *caps,
                                      GstKlingStillRole role, const gchar *element_name,
                                      gchar **details, GError **error);

/* Decodes the JPEG or PNG @image completely. FALSE when its data is damaged (a scan cut
 * short or corrupted, a PNG whose compressed data or checksums are wrong), with *@details
 * saying what the decoder found. Headers alone are kling_image_probe()'s business. */
gboolean  gst_kling_still_check_data (GBytes *image, gchar **details);

/* Registers the "klingstill" debug category: the plugin's init does, and a program that
 * captures stills without the plugin (tests/elements/test-still.c) calls it first. */
void      gst_kling_still_init_debug (void);

/* The Kling request field of @role: "image" or "image_tail". */
const gchar *gst_kling_still_role_field (GstKlingStillRole role);

G_END_DECLS
