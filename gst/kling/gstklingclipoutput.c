/* gst-kling: GstKlingClipOutput, the source pads of an element that plays MP4 clips.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The lock (output->lock, with output->cond) guards every field marked "under lock". It is
 * taken by the pad tasks, by the callers of the public functions, by the src pads' event and
 * query functions and, briefly, by the decoder's wake function (the private pipeline's
 * threads). Held: only to read or change that state, to signal cond, and to call
 * gst_pad_start_task() on a task that exists (which neither waits nor posts a message) or
 * gst_pad_pause_task() from the pad's own task (which does not wait either). Never held:
 * while a decoder starts, seeks or stops, while pushing, while posting a message, while
 * querying a peer, while pausing or stopping a task from another thread.
 *
 * Fields marked "task" belong to the pad's task: they are touched by it, by a seek that holds
 * the task paused, or by reset() while the task is stopped.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstklingclipoutput.h"
#include "gstklingclipdecoder.h"

GST_DEBUG_CATEGORY_STATIC (kling_clip_output_debug);
#define GST_CAT_DEFAULT kling_clip_output_debug

#define PASSTHROUGH_CHUNK (64 * 1024)
#define DECODE_FAILED_MESSAGE "Could not decode the clip Kling rendered."

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
  OutputKind kind;
  GstKlingClipDecoder *decoder;
  DecoderState decoder_state;
  guint start_serial;           /* bumped by every seek: a decoder started for an older
                                 * one is thrown away */
  GstClockTime pending_start;   /* timeline position the next decoder starts at */
  guint64 wakeups;              /* bumped by the decoder's wake function */
  gboolean pushed;              /* a buffer went out since the run began or a flush */
  GstSegment segment;
  guint32 seqnum;
  gboolean segment_placed;      /* the segment's base was set from the clock */
  guint group_id;
  gchar *stream_id;
  GCancellable *cancellable;    /* passthrough reads */
};

G_DEFINE_TYPE (GstKlingClipOutput, gst_kling_clip_output, GST_TYPE_OBJECT);

static void output_loop (gpointer user_data);
static gboolean src_activate_mode (GstPad * pad, GstObject * parent,
    GstPadMode mode, gboolean active);
static gboolean src_event (GstPad * pad, GstObject * parent, GstEvent * event);
static gboolean src_query (GstPad * pad, GstObject * parent, GstQuery * query);

/* ------------------------------------------------------------------------- */
/* Object                                                                    */

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  gst_kling_clip_unref (entry->clip);
  g_free (entry);
}

static void
gst_kling_clip_output_init (GstKlingClipOutput * self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->entries = g_ptr_array_new_with_free_func (entry_free);
  self->cancellable = g_cancellable_new ();
  self->pending_start = GST_CLOCK_TIME_NONE;
  gst_segment_init (&self->segment, GST_FORMAT_TIME);
  self->seqnum = gst_util_seqnum_next ();
}

static void
gst_kling_clip_output_finalize (GObject * object)
{
  GstKlingClipOutput *self = GST_KLING_CLIP_OUTPUT (object);
  guint i;

  g_clear_pointer (&self->decoder, gst_kling_clip_decoder_unref);
  g_ptr_array_unref (self->entries);
  for (i = 0; i < self->n_streams; i++) {
    gst_clear_caps (&self->streams[i].caps);
    gst_clear_caps (&self->streams[i].wanted);
  }
  g_free (self->stream_id);
  g_object_unref (self->cancellable);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (gst_kling_clip_output_parent_class)->finalize (object);
}

static void
gst_kling_clip_output_class_init (GstKlingClipOutputClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = gst_kling_clip_output_finalize;
  GST_DEBUG_CATEGORY_INIT (kling_clip_output_debug, "klingclipoutput", 0,
      "Kling clip output: source pads, decoding, passthrough, seeking");
}

static void
stream_init (GstKlingClipOutput * self, Stream * stream, GstPadTemplate * templ,
    GstStreamType type)
{
  stream->output = self;
  stream->type = type;
  stream->position = GST_CLOCK_TIME_NONE;
  stream->need_segment = TRUE;
  stream->need_stream_start = TRUE;
  stream->tags_entry = -1;
  stream->pad = gst_pad_new_from_template (templ,
      GST_PAD_TEMPLATE_NAME_TEMPLATE (templ));
  gst_pad_set_activatemode_function (stream->pad,
      GST_DEBUG_FUNCPTR (src_activate_mode));
  gst_pad_set_event_function (stream->pad, GST_DEBUG_FUNCPTR (src_event));
  gst_pad_set_query_function (stream->pad, GST_DEBUG_FUNCPTR (src_query));
  gst_pad_set_element_private (stream->pad, stream);
  gst_pad_use_fixed_caps (stream->pad);
  gst_element_add_pad (self->element, stream->pad);
}

GstKlingClipOutput *
gst_kling_clip_output_new (GstElement * element)
{
  GstElementClass *klass = GST_ELEMENT_GET_CLASS (element);
  GstPadTemplate *templ = gst_element_class_get_pad_template (klass, "src");
  GstKlingClipOutput *self;
  gchar *name;

  g_return_val_if_fail (templ != NULL, NULL);

  name = g_strdup_printf ("%s:output", GST_OBJECT_NAME (element));
  self = g_object_new (GST_TYPE_KLING_CLIP_OUTPUT, "name", name, NULL);
  g_free (name);
  gst_object_ref_sink (self);
  self->element = element;
  stream_init (self, &self->streams[self->n_streams++], templ,
      GST_STREAM_TYPE_VIDEO);
  templ = gst_element_class_get_pad_template (klass, "audio_src");
  if (templ)
    stream_init (self, &self->streams[self->n_streams++], templ,
        GST_STREAM_TYPE_AUDIO);
  return self;
}

GstPad *
gst_kling_clip_output_get_pad (GstKlingClipOutput * self, GstStreamType type)
{
  guint i;

  for (i = 0; i < self->n_streams; i++)
    if (self->streams[i].type & type)
      return self->streams[i].pad;
  return NULL;
}

/* ------------------------------------------------------------------------- */
/* Waking and pausing the tasks                                              */

/* Lock held. Restarts the tasks of the active pads (they exist: no message, no wait). */
static void
wake_tasks (GstKlingClipOutput * self)
{
  guint i;

  g_cond_broadcast (&self->cond);
  for (i = 0; i < self->n_streams; i++)
    if (self->streams[i].active)
      gst_pad_start_task (self->streams[i].pad, output_loop, &self->streams[i],
          NULL);
}

/* Lock held, from the stream's own task: it pauses once the function returns. */
static void
pause_self (Stream * stream)
{
  GST_LOG_OBJECT (stream->pad, "pausing");
  gst_pad_pause_task (stream->pad);
}

/* Lock held; the task leaves when this returns TRUE. */
static gboolean
must_leave (GstKlingClipOutput * self, Stream * stream)
{
  return self->stopping || self->seeking || !stream->active;
}

/* Lock held: waits once for news (the function returns afterwards and the task calls it
 * again), unless there is news already. */
static void
wait_for_news (GstKlingClipOutput * self, Stream * stream, guint64 seen)
{
  if (self->wakeups == seen && !must_leave (self, stream) && !self->aborted)
    g_cond_wait (&self->cond, &self->lock);
}

static void
decoder_wake (gpointer user_data)
{
  GstKlingClipOutput *self = user_data;

  g_mutex_lock (&self->lock);
  self->wakeups++;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/* ------------------------------------------------------------------------- */
/* The public functions                                                      */

void
gst_kling_clip_output_append_clip (GstKlingClipOutput * self,
    GstKlingClip * clip)
{
  Entry *entry;

  g_return_if_fail (GST_IS_KLING_CLIP_OUTPUT (self));
  g_return_if_fail (clip != NULL);

  g_mutex_lock (&self->lock);
  if (self->stopping || self->aborted || self->ended) {
    GST_DEBUG_OBJECT (self, "not taking %s: %s", gst_kling_clip_get_name (clip),
        self->ended ? "the queue was ended" : "stopped");
    g_mutex_unlock (&self->lock);
    return;
  }
  entry = g_new0 (Entry, 1);
  entry->clip = gst_kling_clip_ref (clip);
  entry->duration = GST_CLOCK_TIME_NONE;
  entry->start = self->current == self->entries->len ? self->next_start :
      GST_CLOCK_TIME_NONE;
  g_ptr_array_add (self->entries, entry);
  GST_INFO_OBJECT (self, "clip %u: %s", self->entries->len - 1,
      gst_kling_clip_get_name (clip));
  wake_tasks (self);
  g_mutex_unlock (&self->lock);
}

void
gst_kling_clip_output_end (GstKlingClipOutput * self)
{
  g_return_if_fail (GST_IS_KLING_CLIP_OUTPUT (self));

  g_mutex_lock (&self->lock);
  self->ended = TRUE;
  wake_tasks (self);
  g_mutex_unlock (&self->lock);
}

void
gst_kling_clip_output_set_clip (GstKlingClipOutput * self, GstKlingClip * clip)
{
  gst_kling_clip_output_append_clip (self, clip);
  gst_kling_clip_output_end (self);
}

void
gst_kling_clip_output_abort (GstKlingClipOutput * self)
{
  g_return_if_fail (GST_IS_KLING_CLIP_OUTPUT (self));

  g_mutex_lock (&self->lock);
  if (!self->aborted) {
    GST_DEBUG_OBJECT (self, "aborting");
    self->aborted = TRUE;
    wake_tasks (self);
  }
  g_mutex_unlock (&self->lock);
}

/* Stops what runs for @stream (NULL: every stream) and, once no pad is active any more,
 * the decoder. */
static void
stop_streams (GstKlingClipOutput * self, Stream * only)
{
  GstKlingClipDecoder *decoder = NULL;
  gboolean any_active = FALSE;
  guint i;

  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  for (i = 0; i < self->n_streams; i++)
    if (!only || only == &self->streams[i])
      self->streams[i].active = FALSE;
  if (self->decoder)
    decoder = gst_kling_clip_decoder_ref (self->decoder);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  g_cancellable_cancel (self->cancellable);
  if (decoder) {
    gst_kling_clip_decoder_cancel (decoder);
    gst_kling_clip_decoder_unref (decoder);
  }
  for (i = 0; i < self->n_streams; i++)
    if (!only || only == &self->streams[i])
      gst_pad_stop_task (self->streams[i].pad);

  g_mutex_lock (&self->lock);
  for (i = 0; i < self->n_streams; i++)
    any_active |= self->streams[i].active;
  decoder = NULL;
  if (!any_active) {
    decoder = g_steal_pointer (&self->decoder);
    self->decoder_state = DECODER_NONE;
  }
  g_mutex_unlock (&self->lock);
  /* Sets the private pipeline to NULL: without the lock, which its threads take. */
  g_clear_pointer (&decoder, gst_kling_clip_decoder_unref);
}

void
gst_kling_clip_output_stop (GstKlingClipOutput * self)
{
  g_return_if_fail (GST_IS_KLING_CLIP_OUTPUT (self));

  stop_streams (self, NULL);
}

void
gst_kling_clip_output_reset (GstKlingClipOutput * self)
{
  GstKlingClipDecoder *decoder;
  GPtrArray *entries;
  guint i;

  g_return_if_fail (GST_IS_KLING_CLIP_OUTPUT (self));

  g_mutex_lock (&self->lock);
  entries = self->entries;
  self->entries = g_ptr_array_new_with_free_func (entry_free);
  decoder = g_steal_pointer (&self->decoder);
  self->decoder_state = DECODER_NONE;
  self->current = 0;
  self->next_start = 0;
  self->ended = self->aborted = self->stopping = self->seeking = FALSE;
  self->kind = KIND_UNDECIDED;
  self->start_serial++;
  self->pending_start = GST_CLOCK_TIME_NONE;
  self->pushed = FALSE;
  gst_segment_init (&self->segment, GST_FORMAT_TIME);
  self->seqnum = gst_util_seqnum_next ();
  self->segment_placed = FALSE;
  self->group_id = gst_util_group_id_next ();
  g_free (self->stream_id);
  /* Not gst_pad_create_stream_id(): the clip does not derive from the element's input,
   * and with two sink pads (klinglipsync) that function asserts. */
  self->stream_id = g_strdup_printf ("%08x%08x%08x%08x", g_random_int (),
      g_random_int (), g_random_int (), g_random_int ());
  for (i = 0; i < self->n_streams; i++) {
    Stream *stream = &self->streams[i];

    stream->clip_done = stream->eos_pushed = FALSE;
    stream->need_segment = stream->need_stream_start = TRUE;
    stream->position = GST_CLOCK_TIME_NONE;
    stream->byte_offset = 0;
    stream->tags_entry = -1;
    gst_clear_caps (&stream->caps);
    gst_clear_caps (&stream->wanted);
  }
  g_object_unref (self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_mutex_unlock (&self->lock);

  g_clear_pointer (&decoder, gst_kling_clip_decoder_unref);
  g_ptr_array_unref (entries);
}

/* ------------------------------------------------------------------------- */
/* Pushing                                                                   */

/* Where "now" is on the pipeline's timeline. The clip arrives minutes after the input:
 * in a pipeline already PLAYING (a live input, sinks that do not preroll) its frames
 * must play from now, not from running time 0, or every one of them is late. In PAUSED
 * (the usual preroll) it is 0, and the pipeline's clock starts with the clip. */
static GstClockTime
current_running_time (GstKlingClipOutput * self)
{
  GstElement *element = self->element;
  GstClockTime now, base_time, running_time = 0;
  GstClock *clock;
  gboolean playing;

  GST_OBJECT_LOCK (element);
  playing = GST_STATE (element) == GST_STATE_PLAYING;
  base_time = element->base_time;
  clock = element->clock ? gst_object_ref (element->clock) : NULL;
  GST_OBJECT_UNLOCK (element);

  if (playing && clock) {
    now = gst_clock_get_time (clock);
    if (GST_CLOCK_TIME_IS_VALID (now) && now > base_time)
      running_time = now - base_time;
  }
  gst_clear_object (&clock);
  return running_time;
}

/* Stream-start (once a run), caps (when they change), the segment (after a start or a
 * flush) and the tags of entry @index (once), before data. @caps NULL: a stream that
 * ends without data, which gets stream-start only (segment and tags before caps would
 * break the sticky event order). */
static void
push_sticky_events (Stream * stream, GstCaps * caps, gint index,
    GstFormat format)
{
  GstKlingClipOutput *self = stream->output;
  GstTagList *tags = NULL;
  GstEvent *event = NULL;

  if (stream->need_stream_start) {
    gchar *id;

    g_mutex_lock (&self->lock);
    id = g_strdup_printf ("%s/%s", self->stream_id,
        stream->type == GST_STREAM_TYPE_VIDEO ? "video" : "audio");
    event = gst_event_new_stream_start (id);
    gst_event_set_group_id (event, self->group_id);
    g_mutex_unlock (&self->lock);
    gst_pad_push_event (stream->pad, event);
    g_free (id);
    stream->need_stream_start = FALSE;
  }
  if (caps && (!stream->caps || !gst_caps_is_equal (caps, stream->caps))) {
    gst_caps_replace (&stream->caps, caps);
    gst_pad_push_event (stream->pad, gst_event_new_caps (caps));
  }
  if (!stream->caps)
    return;

  event = NULL;
  g_mutex_lock (&self->lock);
  if (stream->need_segment && !self->segment_placed
      && format == GST_FORMAT_TIME) {
    GstClockTime now;

    g_mutex_unlock (&self->lock);
    now = current_running_time (self);
    g_mutex_lock (&self->lock);
    if (!self->segment_placed) {
      self->segment.base = now;
      self->segment_placed = TRUE;
    }
  }
  if (stream->need_segment) {
    GstSegment segment;

    if (format == GST_FORMAT_TIME)
      segment = self->segment;
    else
      gst_segment_init (&segment, format);
    event = gst_event_new_segment (&segment);
    gst_event_set_seqnum (event, self->seqnum);
    stream->need_segment = FALSE;
  }
  if (index != stream->tags_entry && index >= 0
      && index < (gint) self->entries->len) {
    Entry *entry = g_ptr_array_index (self->entries, index);

    if (gst_kling_clip_get_tags (entry->clip))
      tags = gst_tag_list_copy (gst_kling_clip_get_tags (entry->clip));
    stream->tags_entry = index;
  }
  g_mutex_unlock (&self->lock);

  if (event)
    gst_pad_push_event (stream->pad, event);
  if (tags)
    gst_pad_push_event (stream->pad, gst_event_new_tag (tags));
}

/* The stream is over: stream-start if it never went out, then EOS, once. */
static void
finish_stream (Stream * stream)
{
  GstKlingClipOutput *self = stream->output;
  GstEvent *eos = gst_event_new_eos ();

  push_sticky_events (stream, NULL, -1, GST_FORMAT_TIME);
  g_mutex_lock (&self->lock);
  gst_event_set_seqnum (eos, self->seqnum);
  g_mutex_unlock (&self->lock);
  GST_DEBUG_OBJECT (stream->pad, "EOS");
  gst_pad_push_event (stream->pad, eos);

  g_mutex_lock (&self->lock);
  stream->eos_pushed = TRUE;
  pause_self (stream);
  g_mutex_unlock (&self->lock);
}

/* An error (no lock held): @domain/@code with @message for a person and @details, then
 * every pad ends like a source after an error. */
static void
post_error (GstKlingClipOutput * self, GQuark domain, gint code,
    const gchar * message, const gchar * details)
{
  gst_element_message_full (self->element, GST_MESSAGE_ERROR, domain, code,
      g_strdup (message), g_strdup (details), __FILE__, GST_FUNCTION, __LINE__);
  gst_kling_clip_output_abort (self);
}

static void
post_decode_error (GstKlingClipOutput * self, const GError * error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (g_error_matches (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN))
    post_error (self, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        error->message, NULL);
  else
    post_error (self, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        DECODE_FAILED_MESSAGE, error->message);
}

/* What a push returned: an unlinked audio_src drops its samples; a flush leaves the
 * task to the seek or the stop; downstream's EOS ends this stream; anything else is an
 * error for the whole output, as in a source. */
static void
handle_flow_return (Stream * stream, GstFlowReturn ret)
{
  GstKlingClipOutput *self = stream->output;

  if (ret == GST_FLOW_OK)
    return;
  if (ret == GST_FLOW_NOT_LINKED && stream->type == GST_STREAM_TYPE_AUDIO)
    return;

  GST_DEBUG_OBJECT (stream->pad, "push: %s", gst_flow_get_name (ret));
  if (ret == GST_FLOW_FLUSHING) {
    g_mutex_lock (&self->lock);
    pause_self (stream);
    g_mutex_unlock (&self->lock);
  } else if (ret == GST_FLOW_EOS) {
    finish_stream (stream);
  } else {
    GST_ELEMENT_FLOW_ERROR (self->element, ret);
    gst_kling_clip_output_abort (self);
  }
}

/* ------------------------------------------------------------------------- */
/* Decoded output                                                            */

/* What downstream of @stream takes, narrowed to raw media: the caps the decoder's
 * branch must deliver, so its converters produce what downstream wants. */
static GstCaps *
downstream_raw_caps (Stream * stream)
{
  GstCaps *raw = gst_caps_new_empty_simple (stream->type ==
      GST_STREAM_TYPE_VIDEO ? "video/x-raw" : "audio/x-raw");
  GstCaps *wanted = gst_pad_peer_query_caps (stream->pad, raw);

  if (gst_caps_is_empty (wanted)) {
    /* Downstream takes no raw media: the push fails with not-negotiated. */
    gst_caps_unref (wanted);
    return raw;
  }
  gst_caps_unref (raw);
  return wanted;
}

/* The entry to open for timeline position @target: the last one whose start is known
 * and not after @target (lock held). Starting it finds out whether @target lies further. */
static guint
locate_entry (GstKlingClipOutput * self, GstClockTime target)
{
  guint i, found = 0;

  for (i = 0; i < self->entries->len; i++) {
    Entry *entry = g_ptr_array_index (self->entries, i);

    if (!GST_CLOCK_TIME_IS_VALID (entry->start) || entry->start > target)
      break;
    found = i;
  }
  return found;
}

/* Lock held: the current entry is over on every stream; the next one starts where it
 * ended. Returns the decoder to drop (without the lock). */
static GstKlingClipDecoder *
advance_entry (GstKlingClipOutput * self)
{
  Entry *entry = g_ptr_array_index (self->entries, self->current);
  GstClockTime end = GST_CLOCK_TIME_NONE;
  guint i;

  if (GST_CLOCK_TIME_IS_VALID (entry->start)
      && GST_CLOCK_TIME_IS_VALID (entry->duration))
    end = entry->start + entry->duration;
  for (i = 0; i < self->n_streams; i++) {
    GstClockTime position = self->streams[i].position;

    if (!GST_CLOCK_TIME_IS_VALID (end) && GST_CLOCK_TIME_IS_VALID (position))
      end = position;
    self->streams[i].clip_done = FALSE;
  }
  self->current++;
  self->next_start = GST_CLOCK_TIME_IS_VALID (end) ? end : 0;
  if (self->current < self->entries->len) {
    Entry *next = g_ptr_array_index (self->entries, self->current);

    next->start = self->next_start;
  }
  GST_DEBUG_OBJECT (self, "clip %u ends at %" GST_TIME_FORMAT, self->current - 1,
      GST_TIME_ARGS (end));
  self->decoder_state = DECODER_NONE;
  wake_tasks (self);
  return g_steal_pointer (&self->decoder);
}

/* Lock held; TRUE when every stream that still runs is done with the current entry. */
static gboolean
entry_done_everywhere (GstKlingClipOutput * self)
{
  guint i;

  for (i = 0; i < self->n_streams; i++) {
    Stream *stream = &self->streams[i];

    if (!stream->clip_done && !stream->eos_pushed)
      return FALSE;
  }
  return TRUE;
}

/* No lock held. @stream has nothing more from entry @index; the last stream to finish
 * the entry moves the output on to the next. A stream the clip lacks must not hold up
 * the preroll of downstream sinks: one that has carried data gets a gap for the clip's
 * length; one that never did ends at once (stream-start and EOS), as it always will in
 * practice, since the clips of one element all have or all lack a sound track. */
static void
finish_entry (Stream * stream, guint index, gboolean missing)
{
  GstKlingClipOutput *self = stream->output;
  GstKlingClipDecoder *old = NULL;
  GstClockTime start, duration;
  Entry *entry;

  if (missing && !stream->caps) {
    finish_stream (stream);
  } else if (missing) {
    g_mutex_lock (&self->lock);
    entry = g_ptr_array_index (self->entries, index);
    start = entry->start;
    duration = entry->duration;
    g_mutex_unlock (&self->lock);
    if (GST_CLOCK_TIME_IS_VALID (start) && GST_CLOCK_TIME_IS_VALID (duration)) {
      push_sticky_events (stream, NULL, index, GST_FORMAT_TIME);
      gst_pad_push_event (stream->pad, gst_event_new_gap (start, duration));
    }
  }

  g_mutex_lock (&self->lock);
  if (!must_leave (self, stream) && index == self->current) {
    stream->clip_done = TRUE;
    if (entry_done_everywhere (self))
      old = advance_entry (self);
  }
  g_mutex_unlock (&self->lock);
  g_clear_pointer (&old, gst_kling_clip_decoder_unref);
}

/* Downstream sent a reconfigure: the decoder's branch delivers what it takes now. */
static void
renegotiate (Stream * stream, GstKlingClipDecoder * decoder)
{
  GstKlingClipOutput *self = stream->output;
  GstCaps *wanted = downstream_raw_caps (stream);
  gboolean changed;

  g_mutex_lock (&self->lock);
  changed = !stream->wanted || !gst_caps_is_equal (wanted, stream->wanted);
  if (changed)
    gst_caps_replace (&stream->wanted, wanted);
  g_mutex_unlock (&self->lock);

  if (changed) {
    GST_INFO_OBJECT (stream->pad, "downstream now takes %" GST_PTR_FORMAT,
        wanted);
    gst_kling_clip_decoder_set_caps (decoder, stream->type, wanted);
  }
  gst_caps_unref (wanted);
}

/* Pushes a decoded sample of entry @index with its time on the output's timeline;
 * samples before the segment are dropped, one past its stop ends the stream. */
static void
push_sample (Stream * stream, GstKlingClipDecoder * decoder, guint index,
    GstSample * sample)
{
  GstKlingClipOutput *self = stream->output;
  GstBuffer *buffer = gst_sample_get_buffer (sample);
  const GstSegment *clip_segment = gst_sample_get_segment (sample);
  GstClockTime pts = GST_BUFFER_PTS (buffer);
  GstClockTime duration = GST_BUFFER_DURATION (buffer);
  GstClockTime start, stop, offset;

  if (GST_CLOCK_TIME_IS_VALID (pts) && clip_segment
      && clip_segment->format == GST_FORMAT_TIME) {
    pts = gst_segment_to_stream_time (clip_segment, GST_FORMAT_TIME, pts);
    if (!GST_CLOCK_TIME_IS_VALID (pts))
      return;                   /* outside the clip's segment */
  }

  g_mutex_lock (&self->lock);
  offset = ((Entry *) g_ptr_array_index (self->entries, index))->start;
  start = self->segment.start;
  stop = self->segment.stop;
  g_mutex_unlock (&self->lock);
  if (GST_CLOCK_TIME_IS_VALID (pts) && GST_CLOCK_TIME_IS_VALID (offset))
    pts += offset;

  if (GST_CLOCK_TIME_IS_VALID (pts)) {
    if (GST_CLOCK_TIME_IS_VALID (stop) && pts >= stop) {
      finish_stream (stream);
      return;
    }
    if (GST_CLOCK_TIME_IS_VALID (duration) && pts + duration <= start)
      return;                   /* before the seek position */
  }

  if (gst_pad_check_reconfigure (stream->pad))
    renegotiate (stream, decoder);
  push_sticky_events (stream, gst_sample_get_caps (sample), index,
      GST_FORMAT_TIME);

  buffer = gst_buffer_make_writable (gst_buffer_ref (buffer));
  GST_BUFFER_PTS (buffer) = pts;
  GST_BUFFER_DTS (buffer) = GST_CLOCK_TIME_NONE;
  g_mutex_lock (&self->lock);
  if (GST_CLOCK_TIME_IS_VALID (pts))
    stream->position = pts + (GST_CLOCK_TIME_IS_VALID (duration) ? duration : 0);
  self->pushed = TRUE;
  g_mutex_unlock (&self->lock);
  handle_flow_return (stream, gst_pad_push (stream->pad, buffer));
}

/* No lock held; this task set decoder_state to STARTING. Opens the current entry where
 * the pending start (a seek that came first) asks, or at its beginning. */
static void
start_decoder (GstKlingClipOutput * self)
{
  GstKlingClipDecoder *decoder, *drop = NULL;
  GstCaps *caps[2] = { NULL, NULL };
  GstClockTime target, local = 0, duration = GST_CLOCK_TIME_NONE;
  GError *error = NULL;
  guint serial, index, i;
  Entry *entry;
  gboolean ok;

  for (i = 0; i < self->n_streams; i++)
    caps[i] = downstream_raw_caps (&self->streams[i]);

  g_mutex_lock (&self->lock);
  index = self->current;
  entry = g_ptr_array_index (self->entries, index);
  target = self->pending_start;
  serial = self->start_serial;
  for (i = 0; i < self->n_streams; i++)
    gst_caps_replace (&self->streams[i].wanted, caps[i]);
  if (GST_CLOCK_TIME_IS_VALID (target) && GST_CLOCK_TIME_IS_VALID (entry->start)
      && target > entry->start)
    local = target - entry->start;
  g_mutex_unlock (&self->lock);

  decoder = gst_kling_clip_decoder_new (entry->clip, caps[0], caps[1],
      decoder_wake, self);
  ok = gst_kling_clip_decoder_start (decoder, local, &error);
  if (ok)
    duration = gst_kling_clip_decoder_get_duration (decoder);
  gst_clear_caps (&caps[0]);
  gst_clear_caps (&caps[1]);

  g_mutex_lock (&self->lock);
  if (self->stopping || self->seeking || self->aborted
      || serial != self->start_serial) {
    /* Going down, or a seek came meanwhile: the next start follows it. */
    self->decoder_state = DECODER_NONE;
    drop = decoder;
  } else if (!ok) {
    self->decoder_state = DECODER_NONE;
    drop = decoder;
  } else {
    entry->duration = duration;
    if (GST_CLOCK_TIME_IS_VALID (target) && GST_CLOCK_TIME_IS_VALID (duration)
        && GST_CLOCK_TIME_IS_VALID (entry->start)
        && target >= entry->start + duration) {
      /* The seek position lies past this clip: on to the next one. */
      GST_DEBUG_OBJECT (self, "skipping clip %u", index);
      self->decoder = decoder;
      drop = advance_entry (self);
    } else {
      GST_DEBUG_OBJECT (self, "clip %u decoding (%" GST_TIME_FORMAT ")", index,
          GST_TIME_ARGS (duration));
      self->pending_start = GST_CLOCK_TIME_NONE;
      self->decoder = decoder;
      self->decoder_state = DECODER_READY;
      for (i = 0; i < self->n_streams; i++)
        self->streams[i].clip_done = FALSE;
      wake_tasks (self);
    }
  }
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  g_clear_pointer (&drop, gst_kling_clip_decoder_unref);
  if (error) {
    post_decode_error (self, error);
    g_error_free (error);
  }
}

/* Lock held on entry, released on return: one step of a decoded stream. */
static void
decode_step (GstKlingClipOutput * self, Stream * stream)
{
  GstKlingClipDecoder *decoder;
  GstSample *sample = NULL;
  GError *error = NULL;
  GstKlingClipPull pulled;
  guint64 seen = self->wakeups;
  guint index = self->current;

  if (self->decoder_state == DECODER_NONE) {
    self->decoder_state = DECODER_STARTING;
    g_mutex_unlock (&self->lock);
    start_decoder (self);
    return;
  }
  if (self->decoder_state == DECODER_STARTING || stream->clip_done) {
    /* Another task starts the decoder, or the other stream still plays the clip. */
    g_cond_wait (&self->cond, &self->lock);
    g_mutex_unlock (&self->lock);
    return;
  }

  decoder = gst_kling_clip_decoder_ref (self->decoder);
  g_mutex_unlock (&self->lock);

  pulled = gst_kling_clip_decoder_pull (decoder, stream->type, &sample, &error);
  switch (pulled) {
    case GST_KLING_CLIP_PULL_SAMPLE:
      push_sample (stream, decoder, index, sample);
      gst_sample_unref (sample);
      break;
    case GST_KLING_CLIP_PULL_AGAIN:
      g_mutex_lock (&self->lock);
      wait_for_news (self, stream, seen);
      g_mutex_unlock (&self->lock);
      break;
    case GST_KLING_CLIP_PULL_EOS:
    case GST_KLING_CLIP_PULL_NONE:
      GST_DEBUG_OBJECT (stream->pad, "clip %u %s", index,
          pulled == GST_KLING_CLIP_PULL_EOS ? "done" : "has no such stream");
      finish_entry (stream, index, pulled == GST_KLING_CLIP_PULL_NONE);
      break;
    case GST_KLING_CLIP_PULL_ERROR:
      post_decode_error (self, error);
      g_error_free (error);
      break;
  }
  gst_kling_clip_decoder_unref (decoder);
}

/* ------------------------------------------------------------------------- */
/* Passthrough                                                               */

/* Downstream asked for video/quicktime and cannot take raw video: pass the MP4. */
static gboolean
downstream_wants_mp4 (GstKlingClipOutput * self)
{
  GstCaps *peer = gst_pad_peer_query_caps (self->streams[0].pad, NULL);
  GstCaps *raw = gst_caps_new_empty_simple ("video/x-raw");
  GstCaps *mp4 = gst_caps_new_empty_simple ("video/quicktime");
  gboolean wants;

  wants = !gst_caps_can_intersect (peer, raw) && gst_caps_can_intersect (peer,
      mp4);
  gst_caps_unref (peer);
  gst_caps_unref (raw);
  gst_caps_unref (mp4);
  return wants;
}

/* Lock held on entry, released on return: one chunk of the MP4 on "src"; "audio_src"
 * has nothing (the MP4 carries the audio). */
static void
passthrough_step (GstKlingClipOutput * self, Stream * stream)
{
  GCancellable *cancellable = g_object_ref (self->cancellable);
  guint index = self->current;
  GstKlingClip *clip;
  GError *error = NULL;
  GstBuffer *buffer;
  GstMapInfo map;
  guint64 offset;
  GstCaps *caps;
  gssize n;

  if (stream->type != GST_STREAM_TYPE_VIDEO) {
    g_mutex_unlock (&self->lock);
    g_object_unref (cancellable);
    finish_stream (stream);
    return;
  }
  if (index > 0) {
    g_mutex_unlock (&self->lock);
    g_object_unref (cancellable);
    post_error (self, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "Only one clip passes through as an MP4: decode the clips to join them "
        "(e.g. ! videoconvert ! x264enc ! mp4mux).",
        "a second clip was queued in MP4 passthrough");
    return;
  }
  clip = gst_kling_clip_ref (((Entry *) g_ptr_array_index (self->entries,
              index))->clip);
  offset = stream->byte_offset;
  g_mutex_unlock (&self->lock);

  buffer = gst_buffer_new_allocate (NULL, PASSTHROUGH_CHUNK, NULL);
  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  n = gst_kling_clip_read (clip, offset, map.data, PASSTHROUGH_CHUNK,
      cancellable, &error);
  gst_buffer_unmap (buffer, &map);
  gst_kling_clip_unref (clip);
  g_object_unref (cancellable);

  if (n <= 0) {
    gst_buffer_unref (buffer);
    g_mutex_lock (&self->lock);
    if (n == 0 && !must_leave (self, stream))
      self->current++;          /* the next step ends the stream, or refuses more */
    g_mutex_unlock (&self->lock);
    if (n < 0 && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      post_error (self, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
          "Could not read the clip Kling rendered.", error->message);
    g_clear_error (&error);
    return;
  }

  caps = gst_caps_new_simple ("video/quicktime", "variant", G_TYPE_STRING,
      "iso", NULL);
  push_sticky_events (stream, caps, index, GST_FORMAT_BYTES);
  gst_caps_unref (caps);

  gst_buffer_set_size (buffer, n);
  GST_BUFFER_OFFSET (buffer) = offset;
  GST_BUFFER_OFFSET_END (buffer) = offset + n;
  g_mutex_lock (&self->lock);
  stream->byte_offset = offset + n;
  self->pushed = TRUE;
  g_mutex_unlock (&self->lock);
  handle_flow_return (stream, gst_pad_push (stream->pad, buffer));
}

/* ------------------------------------------------------------------------- */
/* The pad task                                                              */

static void
decide_kind (GstKlingClipOutput * self)
{
  gboolean mp4 = downstream_wants_mp4 (self);

  g_mutex_lock (&self->lock);
  if (self->kind == KIND_UNDECIDED) {
    self->kind = mp4 ? KIND_PASSTHROUGH : KIND_DECODE;
    GST_INFO_OBJECT (self, "output: %s", mp4 ? "MP4 passthrough" : "decoded");
  }
  g_mutex_unlock (&self->lock);
}

static void
output_loop (gpointer user_data)
{
  Stream *stream = user_data;
  GstKlingClipOutput *self = stream->output;

  g_mutex_lock (&self->lock);
  if (must_leave (self, stream) || stream->eos_pushed) {
    pause_self (stream);
    g_mutex_unlock (&self->lock);
    return;
  }
  if (self->aborted
      || (self->current >= self->entries->len && self->ended)) {
    g_mutex_unlock (&self->lock);
    finish_stream (stream);
    return;
  }
  if (self->current >= self->entries->len) {
    /* Nothing to push until the next clip comes: append_clip() restarts the task. */
    pause_self (stream);
    g_mutex_unlock (&self->lock);
    return;
  }
  if (self->kind == KIND_UNDECIDED) {
    g_mutex_unlock (&self->lock);
    decide_kind (self);
    return;
  }
  if (self->kind == KIND_PASSTHROUGH)
    passthrough_step (self, stream);
  else
    decode_step (self, stream);
}

static gboolean
src_activate_mode (GstPad * pad, GstObject * parent, GstPadMode mode,
    gboolean active)
{
  Stream *stream = gst_pad_get_element_private (pad);
  GstKlingClipOutput *self = stream->output;
  gboolean any_active = FALSE;
  guint i;

  if (mode != GST_PAD_MODE_PUSH)
    return FALSE;
  if (!active) {
    stop_streams (self, stream);
    return TRUE;
  }

  /* Created here, without the lock: creating a task posts a stream-status message. Its
   * first run finds the pad inactive and pauses; from now on the lock holder may start
   * it. */
  if (!gst_pad_start_task (pad, output_loop, stream, NULL))
    return FALSE;
  g_mutex_lock (&self->lock);
  for (i = 0; i < self->n_streams; i++)
    any_active |= self->streams[i].active;
  if (!any_active)
    self->stopping = FALSE;     /* a new run */
  stream->active = TRUE;
  wake_tasks (self);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* ------------------------------------------------------------------------- */
/* Seeking                                                                   */

static void
push_event_to_all (GstKlingClipOutput * self, GstEvent * event)
{
  guint i;

  for (i = 0; i < self->n_streams; i++)
    gst_pad_push_event (self->streams[i].pad, gst_event_ref (event));
  gst_event_unref (event);
}

/* Lock held: every stream starts over after a flush. */
static void
reset_streams_for_flush (GstKlingClipOutput * self)
{
  guint i;

  for (i = 0; i < self->n_streams; i++) {
    Stream *stream = &self->streams[i];

    stream->need_segment = TRUE;
    stream->position = GST_CLOCK_TIME_NONE;
    stream->clip_done = FALSE;
    stream->eos_pushed = FALSE;
  }
  self->pushed = FALSE;
}

/* A flushing seek with buffers out (or a decoder ready): flush downstream, hold the tasks,
 * seek in the current clip's decoder or start the right clip afresh, resume. */
static gboolean
flushing_seek (GstKlingClipOutput * self, GstEvent * seek)
{
  GstKlingClipDecoder *decoder = NULL, *drop = NULL;
  guint32 seqnum = gst_event_get_seqnum (seek);
  GstClockTime target, local = 0;
  GstSeekType start_type, stop_type;
  GstSeekFlags flags;
  GstFormat format;
  gint64 start, stop;
  gdouble rate;
  GstEvent *event;
  GError *error = NULL;
  gboolean ok = TRUE;
  guint i, index;

  gst_event_parse_seek (seek, &rate, &format, &flags, &start_type, &start,
      &stop_type, &stop);

  g_mutex_lock (&self->lock);
  self->seeking = TRUE;
  self->start_serial++;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  event = gst_event_new_flush_start ();
  gst_event_set_seqnum (event, seqnum);
  push_event_to_all (self, event);
  for (i = 0; i < self->n_streams; i++)
    gst_pad_pause_task (self->streams[i].pad);

  g_mutex_lock (&self->lock);
  gst_segment_do_seek (&self->segment, rate, format, flags, start_type, start,
      stop_type, stop, NULL);
  self->seqnum = seqnum;
  target = self->segment.start;
  index = locate_entry (self, target);
  if (self->decoder_state == DECODER_READY && index == self->current) {
    Entry *entry = g_ptr_array_index (self->entries, index);

    if (GST_CLOCK_TIME_IS_VALID (entry->duration)
        && target < entry->start + entry->duration) {
      decoder = gst_kling_clip_decoder_ref (self->decoder);
      local = target - entry->start;
    }
  }
  if (!decoder) {
    drop = g_steal_pointer (&self->decoder);
    self->decoder_state = DECODER_NONE;
    self->current = MIN (index, self->entries->len);
    self->pending_start = target;
  }
  reset_streams_for_flush (self);
  g_mutex_unlock (&self->lock);

  GST_DEBUG_OBJECT (self, "seek to %" GST_TIME_FORMAT "%s", GST_TIME_ARGS (target),
      decoder ? " in the clip playing" : "");
  g_clear_pointer (&drop, gst_kling_clip_decoder_unref);
  if (decoder) {
    ok = gst_kling_clip_decoder_seek (decoder, local, &error);
    gst_kling_clip_decoder_unref (decoder);
  }

  event = gst_event_new_flush_stop (TRUE);
  gst_event_set_seqnum (event, seqnum);
  push_event_to_all (self, event);

  g_mutex_lock (&self->lock);
  self->seeking = FALSE;
  wake_tasks (self);
  g_mutex_unlock (&self->lock);

  if (!ok) {
    post_error (self, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        "Could not seek in the clip Kling rendered.", error->message);
    g_error_free (error);
  }
  return ok;
}

/* Flushing forward time seeks. One that comes before anything went out only moves the
 * start: the clip starts there. Segment seeks (whose SEGMENT_DONE the private pipeline
 * would keep), non-flushing ones and seeks in MP4 passthrough are refused. */
static gboolean
handle_seek (GstKlingClipOutput * self, GstEvent * seek)
{
  GstSeekType start_type, stop_type;
  GstSeekFlags flags;
  GstFormat format;
  gint64 start, stop;
  gdouble rate;
  gboolean ok = TRUE, full;

  gst_event_parse_seek (seek, &rate, &format, &flags, &start_type, &start,
      &stop_type, &stop);
  if (format != GST_FORMAT_TIME || !(flags & GST_SEEK_FLAG_FLUSH)
      || (flags & GST_SEEK_FLAG_SEGMENT) || rate <= 0) {
    GST_DEBUG_OBJECT (self, "refusing seek: only flushing forward time seeks");
    return FALSE;
  }

  g_mutex_lock (&self->lock);
  if (self->kind == KIND_PASSTHROUGH || self->aborted || self->stopping) {
    GST_DEBUG_OBJECT (self, "refusing seek: %s", self->kind == KIND_PASSTHROUGH ?
        "the MP4 passes through" : "stopped");
    ok = FALSE;
    full = FALSE;
  } else if (gst_event_get_seqnum (seek) == self->seqnum) {
    /* A pipeline seek reaches each source pad: the first one did the work. */
    full = FALSE;
  } else if (!self->pushed && self->decoder_state != DECODER_READY) {
    gst_segment_do_seek (&self->segment, rate, format, flags, start_type,
        start, stop_type, stop, NULL);
    self->seqnum = gst_event_get_seqnum (seek);
    self->pending_start = self->segment.start;
    self->start_serial++;
    self->current = MIN (locate_entry (self, self->pending_start),
        self->entries->len);
    GST_DEBUG_OBJECT (self, "the clips will start at %" GST_TIME_FORMAT,
        GST_TIME_ARGS (self->pending_start));
    full = FALSE;
  } else {
    full = TRUE;
  }
  g_mutex_unlock (&self->lock);

  return full ? flushing_seek (self, seek) : ok;
}

static gboolean
src_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  Stream *stream = gst_pad_get_element_private (pad);
  gboolean ret;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_SEEK:
      ret = handle_seek (stream->output, event);
      break;
    case GST_EVENT_RECONFIGURE:
      /* The pad is marked: its task renegotiates before its next buffer. */
      ret = TRUE;
      break;
    default:
      /* Upstream of the element is its input, not the clip: nothing to forward. */
      ret = FALSE;
      break;
  }
  gst_event_unref (event);
  return ret;
}

/* ------------------------------------------------------------------------- */
/* Queries                                                                   */

/* The timeline's length: every clip's (as decoded, or as announced) once the queue is
 * ended; unknown before. Lock held. */
static gboolean
total_duration (GstKlingClipOutput * self, gint64 * duration)
{
  GstClockTime total = 0;
  guint i;

  if (!self->ended || self->entries->len == 0)
    return FALSE;
  for (i = 0; i < self->entries->len; i++) {
    Entry *entry = g_ptr_array_index (self->entries, i);
    GstClockTime length = GST_CLOCK_TIME_IS_VALID (entry->duration) ?
        entry->duration : gst_kling_clip_get_duration_hint (entry->clip);

    if (!GST_CLOCK_TIME_IS_VALID (length))
      return FALSE;
    total += length;
  }
  *duration = total;
  return TRUE;
}

static gboolean
query_position (GstKlingClipOutput * self, Stream * stream, GstQuery * query)
{
  gboolean ok = FALSE;
  GstFormat format;

  gst_query_parse_position (query, &format, NULL);
  g_mutex_lock (&self->lock);
  if (format == GST_FORMAT_BYTES && self->kind == KIND_PASSTHROUGH
      && stream->type == GST_STREAM_TYPE_VIDEO) {
    gst_query_set_position (query, format, stream->byte_offset);
    ok = TRUE;
  } else if (format == GST_FORMAT_TIME
      && GST_CLOCK_TIME_IS_VALID (stream->position)) {
    gst_query_set_position (query, format, stream->position);
    ok = TRUE;
  }
  g_mutex_unlock (&self->lock);
  return ok;
}

static gboolean
query_duration (GstKlingClipOutput * self, Stream * stream, GstQuery * query)
{
  GstKlingClip *clip = NULL;
  gboolean ok = FALSE;
  GstFormat format;
  gint64 duration;

  gst_query_parse_duration (query, &format, NULL);
  g_mutex_lock (&self->lock);
  if (format == GST_FORMAT_TIME)
    ok = total_duration (self, &duration);
  else if (format == GST_FORMAT_BYTES && self->kind == KIND_PASSTHROUGH
      && stream->type == GST_STREAM_TYPE_VIDEO && self->entries->len > 0)
    clip = gst_kling_clip_ref (((Entry *) g_ptr_array_index (self->entries,
                0))->clip);
  g_mutex_unlock (&self->lock);

  if (clip) {
    duration = gst_kling_clip_get_size (clip);
    ok = duration >= 0;
    gst_kling_clip_unref (clip);
  }
  if (ok)
    gst_query_set_duration (query, format, duration);
  return ok;
}

static gboolean
src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  Stream *stream = gst_pad_get_element_private (pad);
  GstKlingClipOutput *self = stream->output;

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_POSITION:
      return query_position (self, stream, query);
    case GST_QUERY_DURATION:
      return query_duration (self, stream, query);
    case GST_QUERY_SEEKING:{
      GstFormat format;
      gboolean seekable;
      gint64 duration = -1;

      gst_query_parse_seeking (query, &format, NULL, NULL, NULL);
      g_mutex_lock (&self->lock);
      seekable = format == GST_FORMAT_TIME && self->kind != KIND_PASSTHROUGH
          && !self->aborted && self->entries->len > 0;
      if (seekable)
        total_duration (self, &duration);
      g_mutex_unlock (&self->lock);
      gst_query_set_seeking (query, format, seekable, 0, duration);
      return TRUE;
    }
    case GST_QUERY_LATENCY:
      /* Not live: the clip comes when it comes, then as fast as downstream takes it. */
      gst_query_set_latency (query, FALSE, 0, GST_CLOCK_TIME_NONE);
      return TRUE;
    case GST_QUERY_SCHEDULING:
      gst_query_set_scheduling (query, GST_SCHEDULING_FLAG_SEQUENTIAL, 1, -1, 0);
      gst_query_add_scheduling_mode (query, GST_PAD_MODE_PUSH);
      return TRUE;
    case GST_QUERY_CAPS:
    case GST_QUERY_ACCEPT_CAPS:
      return gst_pad_query_default (pad, parent, query);
    default:
      return FALSE;
  }
}
