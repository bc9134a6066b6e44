/* gst-kling: GstKlingStoryboard, one clip per still, played in input order as one stream.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * klingimage2video with storyboard=true gives every buffer on its sink to a storyboard:
 * each still becomes a job of its own (a render, or a cache hit), started at once, so the
 * renders run in parallel as far as max-parallel lets them (the client's per-account cap).
 * Clips reach the render base's output in input order, whatever order they finish in: a
 * finished clip waits for the ones before it. The sink's EOS says how many stills there
 * are; the output ends after the last clip. A failed clip posts the error (the stream
 * ends there), or, with skip-failed, a warning naming the still, and the stream goes on.
 *
 * Threads: add() and end() come from the sink's streaming thread and never block on the
 * network; what the jobs report is handed off to the element's own thread
 * (gst_kling_render_hand_off()), where the clips are put in order and given to the
 * output. Nothing runs on the client's worker but copying and handing off.
 */
#pragma once

#include "gstklingrender.h"

G_BEGIN_DECLS

typedef struct _GstKlingStoryboard GstKlingStoryboard;

/* The storyboard of @render (not referenced: the element owns the storyboard). */
GstKlingStoryboard *gst_kling_storyboard_new   (GstKlingRender *render);
/* Cancels what is in flight and frees. */
void                gst_kling_storyboard_free  (GstKlingStoryboard *storyboard);

/* Starts the job of the next still (@request copied; the still's number is the count of
 * add() calls so far, from 1). @skip_failed says what a failure of this still does.
 * FALSE when the element is shutting down. */
gboolean            gst_kling_storyboard_add   (GstKlingStoryboard *storyboard,
                                                const KlingRequest *request,
                                                gboolean skip_failed);
/* The input ended: no more stills. */
void                gst_kling_storyboard_end   (GstKlingStoryboard *storyboard);
/* How many stills were added in this run. */
guint               gst_kling_storyboard_count (GstKlingStoryboard *storyboard);

/* The run ended (PAUSED->READY): cancels the jobs in flight (posting CANCELED progress for
 * each) and forgets every still. */
void                gst_kling_storyboard_reset (GstKlingStoryboard *storyboard);

G_END_DECLS
