/* gst-kling: GstKlingClipOutput, the source pads of an element that plays MP4 clips.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The output owns an element's "src" pad (video, or the MP4 itself) and, when the element's
 * class has that template, its "audio_src" pad, and everything behind them: the pad tasks,
 * decoding (a private pipeline per clip, gstklingclipdecoder.h) or MP4 passthrough (when
 * downstream takes video/quicktime and no raw video), seeking, queries, tags, sticky events,
 * and downstream renegotiation. It knows nothing of Kling: it plays GstKlingClips, so it can
 * be tested alone with a local MP4 (tests/elements/test-clipoutput.c).
 *
 * Clips are taken in order: append_clip() queues one, end() says no more will come, and the
 * queue plays as one stream (one stream-start, one segment, timestamps continuing from one
 * clip to the next, one EOS after the last). set_clip() is the common case of exactly one.
 *
 * Threads and the lock: the pad tasks are created paused when the pads activate and run only
 * while there is something to push (a clip, an error's EOS). One mutex guards the output's
 * state (the queue, the decoder, the segment, each stream's position and flags); it is never
 * held while waiting for the decoder, while pushing, while posting a message or while
 * stopping a task. See docs/design.md, "The clip output".
 */
#pragma once

#include <gst/gst.h>
#include "gstklingclip.h"

G_BEGIN_DECLS

#define GST_TYPE_KLING_CLIP_OUTPUT (gst_kling_clip_output_get_type ())
G_DECLARE_FINAL_TYPE (GstKlingClipOutput, gst_kling_clip_output, GST,
    KLING_CLIP_OUTPUT, GstObject)

/* Creates "src" from @element's class template of that name (required) and "audio_src"
 * (when the class has that template; its samples are dropped while it is not linked) and
 * adds them to @element. Call from the element's constructed() (in _init() a subclass's
 * templates are not visible yet); the element owns the returned reference. */
GstKlingClipOutput *gst_kling_clip_output_new        (GstElement *element);

/* Queues @clip (a reference is taken) after the clips already given; its pad tasks start
 * if they were idle. Any thread. Ignored once the output is stopped or aborted. */
void                gst_kling_clip_output_append_clip (GstKlingClipOutput *output,
                                                       GstKlingClip *clip);
/* No more clips: EOS follows the last one queued (at once when there is none). */
void                gst_kling_clip_output_end         (GstKlingClipOutput *output);
/* The one clip of this run: append_clip() then end(). */
void                gst_kling_clip_output_set_clip    (GstKlingClipOutput *output,
                                                       GstKlingClip *clip);

/* For clips that come one by one on a live feed (Since: 0.2): a clip appended after the
 * queue ran dry plays from the running time it came at in a PLAYING pipeline (a new
 * segment moves the base on), not right after the previous clip, where a synchronised
 * sink would find every frame late. Off by default (a storyboard's clips stay
 * continuous, whatever their wait); reset() turns it off. */
void                gst_kling_clip_output_set_follow_clock (GstKlingClipOutput *output,
                                                            gboolean follow);

/* An error was posted (by the element, or by the output itself when a clip does not
 * decode): each pad pushes what a source pushes after an error (stream-start if none went
 * out yet, then EOS) and stops. Never blocks. Any thread. */
void                gst_kling_clip_output_abort       (GstKlingClipOutput *output);

/* Stops the pad tasks and the decoder and returns when they stopped: nothing more is
 * pushed (no EOS: this is not an error) and clips are no longer taken until reset(). The
 * pads' own deactivation does the same. Not from a pad task, and not while downstream may
 * hold a push (a sink waiting for preroll): deactivation flushes first. */
void                gst_kling_clip_output_stop        (GstKlingClipOutput *output);

/* Forgets the clips, the segment, a pending seek, an abort: ready for the next run. Call
 * while the pads are inactive (before READY->PAUSED, or after PAUSED->READY). */
void                gst_kling_clip_output_reset       (GstKlingClipOutput *output);

G_END_DECLS
