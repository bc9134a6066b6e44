/* gst-kling: GstKlingClipDecoder, the private pipeline that decodes one clip.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * `appsrc ! decodebin3`, with `videoconvert ! videoscale ! capsfilter ! appsink` behind the
 * clip's video and `audioconvert ! audioresample ! capsfilter ! appsink` behind its audio
 * (every other stream goes to a fakesink, so nothing stalls). The appsrc is fed from the
 * clip's reader in seekable push mode, the way souphttpsrc feeds a decodebin, so the same
 * code plays a complete file and, later, a download still being written.
 *
 * Only the clip output uses it (gstklingclipoutput.c). Threads: gst_kling_clip_decoder_start()
 * blocks its caller until the clip's streams are exposed: on local work, and for a clip
 * still downloading also until the bytes that takes have come (cancellable); _pull() never
 * blocks and the @wake function, called from the private pipeline's threads, says when it is
 * worth pulling again; _cancel() may be called from any thread. The last unref sets the
 * private pipeline to NULL: never from the @wake function.
 */
#pragma once

#include <gst/gst.h>
#include "gstklingclip.h"

G_BEGIN_DECLS

typedef struct _GstKlingClipDecoder GstKlingClipDecoder;

typedef enum
{
  GST_KLING_CLIP_PULL_SAMPLE,   /* *sample holds the next decoded sample */
  GST_KLING_CLIP_PULL_AGAIN,    /* nothing yet: @wake runs when there may be */
  GST_KLING_CLIP_PULL_EOS,      /* this stream of the clip is over */
  GST_KLING_CLIP_PULL_NONE,     /* the clip has no such stream */
  GST_KLING_CLIP_PULL_ERROR,    /* the private pipeline failed: *error is set */
} GstKlingClipPull;

/* Called from the private pipeline's threads when a sample, an EOS or an error arrived.
 * It must only take a short lock and signal. */
typedef void (*GstKlingClipDecoderWake) (gpointer user_data);

/* A decoder for @clip. @video_caps / @audio_caps: what the branch of that kind must
 * deliver (e.g. what downstream takes), or NULL when nobody wants that kind of stream. */
/* Registers the "klingclipdecoder" debug category: GstKlingClipOutput's class_init does,
 * before any decoder exists (the only way decoders are made). */
void                 gst_kling_clip_decoder_init_debug (void);

GstKlingClipDecoder *gst_kling_clip_decoder_new   (GstKlingClip *clip, GstCaps *video_caps,
                                                   GstCaps *audio_caps,
                                                   GstKlingClipDecoderWake wake,
                                                   gpointer user_data);
GstKlingClipDecoder *gst_kling_clip_decoder_ref   (GstKlingClipDecoder *decoder);
void                 gst_kling_clip_decoder_unref (GstKlingClipDecoder *decoder);

/* Starts decoding at @start (time in the clip; 0 is its beginning) and returns once every
 * stream of the clip is exposed, so _pull() can tell a stream that is missing from one
 * that is late. FALSE on @error (GST_STREAM_ERROR_DECODE, a missing plugin, or the
 * reader's own error, e.g. GST_KLING_CLIP_ERROR_RESTARTED) or when cancelled (then @error
 * is G_IO_ERROR_CANCELLED). decodebin3 gets 10 s of its own time for it; the time spent
 * waiting for a growing clip's bytes does not count. Call once. */
gboolean             gst_kling_clip_decoder_start (GstKlingClipDecoder *decoder,
                                                   GstClockTime start, GError **error);

/* The next sample of the clip's video (@type GST_STREAM_TYPE_VIDEO) or audio stream. */
GstKlingClipPull     gst_kling_clip_decoder_pull  (GstKlingClipDecoder *decoder,
                                                   GstStreamType type, GstSample **sample,
                                                   GError **error);

/* A flushing, accurate seek to @position (time in the clip), with no _pull() running. */
gboolean             gst_kling_clip_decoder_seek  (GstKlingClipDecoder *decoder,
                                                   GstClockTime position, GError **error);

/* Downstream changed its mind: the branch of @type delivers @caps from now on (samples
 * already decoded keep the caps they have). */
void                 gst_kling_clip_decoder_set_caps (GstKlingClipDecoder *decoder,
                                                      GstStreamType type, GstCaps *caps);

/* Nobody pulls the stream of @type any more (its pad ended): its appsink drops what comes
 * from now on instead of filling up, so the clip's other streams go on. */
void                 gst_kling_clip_decoder_drop_stream (GstKlingClipDecoder *decoder,
                                                         GstStreamType type);

/* The clip's duration once started, or GST_CLOCK_TIME_NONE. */
GstClockTime         gst_kling_clip_decoder_get_duration (GstKlingClipDecoder *decoder);

/* Makes _start() return and the reader's reads stop; from any thread. */
void                 gst_kling_clip_decoder_cancel (GstKlingClipDecoder *decoder);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstKlingClipDecoder, gst_kling_clip_decoder_unref)

G_END_DECLS
