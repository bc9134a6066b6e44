/* gst-kling: the clip output's insides, shared by its files.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gstklingclipoutput.c: the object, its public functions, pad activation, seeking and
 * queries. gstklingcliptask.c: what the pad tasks do (decode or pass through, push).
 * gstklingcliprecover.c: what they do when a clip still downloading fails a read. The
 * lock and the fields it guards are described in gstklingclipoutput.c.
 */
#pragma once

#include "gstklingclipoutput.h"
#include "gstklingclipdecoder.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (kling_clip_output_debug);

typedef enum
{
  KIND_UNDECIDED,
  KIND_DECODE,
  KIND_PASSTHROUGH,
} OutputKind;

typedef enum
{
  DECODER_NONE,                 /* the next task to look starts one */
  DECODER_STARTING,             /* a task is starting it (without the lock) */
  DECODER_READY,
} DecoderState;

/* A clip in the queue. Entries live until reset(), so a seek can go back to one. */
typedef struct
{
  GstKlingClip *clip;
  GstClockTime start;           /* on the output's timeline; NONE until known */
  GstClockTime duration;        /* NONE until the clip was opened */
} Entry;

typedef struct
{
  GstKlingClipOutput *output;
  GstPad *pad;
  GstStreamType type;

  /* under lock */
  gboolean active;              /* activated in push mode, task created */
  gboolean clip_done;           /* has nothing more from the current clip */
  gboolean eos_pushed;
  gboolean need_segment;
  GstClockTime position;        /* timeline end of the last buffer pushed */
  GstClockTime last_pts;        /* timeline PTS of the last buffer pushed */
  GstClockTime resume_after;    /* after a restart of the clip's bytes: samples up to
                                 * this PTS went out already and are dropped */
  guint64 byte_offset;          /* passthrough: bytes pushed */
  GstCaps *wanted;              /* what the decoder's branch was asked for */

  /* task */
  gboolean need_stream_start;
  GstCaps *caps;                /* last pushed */
  gint tags_entry;              /* the entry whose tags went out last, or -1 */
} Stream;

struct _GstKlingClipOutput
{
  GstObject parent;

  GstElement *element;          /* our parent: not a reference */
  Stream streams[2];            /* [0] "src", [1] "audio_src" when the class has it */
  guint n_streams;

  GMutex lock;
  GCond cond;
  /* under lock */
  GPtrArray *entries;
  guint current;                /* the entry being played; entries->len once past all */
  GstClockTime next_start;      /* where a clip appended after the last one starts */
  gboolean ended;               /* end(): no more clips */
  gboolean aborted;
  gboolean stopping;            /* the pads are deactivating: every task leaves */
  gboolean seeking;             /* a flushing seek holds the tasks paused */
  gboolean clip_void;           /* the clip's download failed: the tasks wait for the
                                 * element's abort() (its error) or the stop */
  OutputKind kind;
  GstKlingClipDecoder *decoder;
  DecoderState decoder_state;
  GstKlingClipDecoder *starting;        /* the one a task is starting, to cancel it */
  gboolean decoder_began_whole; /* its clip was whole (verified) when it started: its
                                 * decode errors are the clip's own */
  guint start_serial;           /* bumped by every seek: a decoder started for an older
                                 * one is thrown away */
  GstClockTime pending_start;   /* timeline position the next decoder starts at */
  guint64 wakeups;              /* bumped by the decoder's wake function */
  gboolean pushed;              /* a buffer went out since the run began or a flush */
  GstSegment segment;
  guint32 seqnum;
  gboolean segment_placed;      /* the segment's base was set from the clock */
  gboolean follow_clock;        /* set_follow_clock(): re-placed when the queue ran dry */
  guint group_id;
  gchar *stream_id;
  GCancellable *cancellable;    /* passthrough reads */
};

/* gstklingclipoutput.c */
G_GNUC_INTERNAL void     clip_output_wake_tasks   (GstKlingClipOutput *self);
G_GNUC_INTERNAL void     clip_output_pause_self   (Stream *stream);
G_GNUC_INTERNAL gboolean clip_output_must_leave   (GstKlingClipOutput *self, Stream *stream);

/* gstklingcliptask.c */
G_GNUC_INTERNAL void     clip_output_loop         (gpointer stream);
G_GNUC_INTERNAL guint    clip_output_locate_entry (GstKlingClipOutput *self,
                                                   GstClockTime target);
G_GNUC_INTERNAL void     clip_output_post_error   (GstKlingClipOutput *self, GQuark domain,
                                                   gint code, const gchar *message,
                                                   const gchar *details);

/* gstklingcliprecover.c: a read of a clip still downloading failed (no lock held). */
G_GNUC_INTERNAL gboolean clip_output_handle_reader_error (GstKlingClipOutput *self,
                                                          GstKlingClipDecoder *decoder,
                                                          const GError *error);
G_GNUC_INTERNAL gboolean clip_output_decode_when_whole   (GstKlingClipOutput *self,
                                                          GstKlingClipDecoder *decoder,
                                                          gboolean began_whole,
                                                          const GError *error);

G_END_DECLS
