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

#include "gstklingclipoutput-private.h"

GST_DEBUG_CATEGORY (kling_clip_output_debug);
#define GST_CAT_DEFAULT kling_clip_output_debug

G_DEFINE_TYPE (GstKlingClipOutput, gst_kling_clip_output, GST_TYPE_OBJECT);

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
  g_clear_pointer (&self->starting, gst_kling_clip_decoder_unref);
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
  gst_kling_clip_decoder_init_debug ();
}

static void
stream_init (GstKlingClipOutput * self, Stream * stream, GstPadTemplate * templ,
    GstStreamType type)
{
  stream->output = self;
  stream->type = type;
  stream->position = GST_CLOCK_TIME_NONE;
  stream->last_pts = stream->resume_after = GST_CLOCK_TIME_NONE;
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

/* ------------------------------------------------------------------------- */
/* Waking and pausing the tasks                                              */

/* Lock held. Restarts the tasks of the active pads (they exist: no message, no wait). */
void
clip_output_wake_tasks (GstKlingClipOutput * self)
{
  guint i;

  g_cond_broadcast (&self->cond);
  for (i = 0; i < self->n_streams; i++)
    if (self->streams[i].active)
      gst_pad_start_task (self->streams[i].pad, clip_output_loop,
          &self->streams[i], NULL);
}

/* Lock held, from the stream's own task: it pauses once the function returns. */
void
clip_output_pause_self (Stream * stream)
{
  GST_LOG_OBJECT (stream->pad, "pausing");
  gst_pad_pause_task (stream->pad);
}

/* Lock held; the task leaves when this returns TRUE. */
gboolean
clip_output_must_leave (GstKlingClipOutput * self, Stream * stream)
{
  return self->stopping || self->seeking || !stream->active;
}

/* ------------------------------------------------------------------------- */
/* The public functions                                                      */

/* Lock held: the queue ran dry and a clip comes: its segment is placed on the clock again
 * (gstklingcliptask.c, place_segment()). */
static void
replace_segment (GstKlingClipOutput * self)
{
  guint i;

  self->segment_placed = FALSE;
  for (i = 0; i < self->n_streams; i++)
    self->streams[i].need_segment = TRUE;
}

void
gst_kling_clip_output_set_follow_clock (GstKlingClipOutput * self,
    gboolean follow)
{
  g_return_if_fail (GST_IS_KLING_CLIP_OUTPUT (self));

  g_mutex_lock (&self->lock);
  self->follow_clock = follow;
  g_mutex_unlock (&self->lock);
}

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
  if (self->follow_clock && self->current == self->entries->len && self->pushed)
    replace_segment (self);
  g_ptr_array_add (self->entries, entry);
  GST_INFO_OBJECT (self, "clip %u: %s", self->entries->len - 1,
      gst_kling_clip_get_name (clip));
  clip_output_wake_tasks (self);
  g_mutex_unlock (&self->lock);
}

void
gst_kling_clip_output_end (GstKlingClipOutput * self)
{
  g_return_if_fail (GST_IS_KLING_CLIP_OUTPUT (self));

  g_mutex_lock (&self->lock);
  self->ended = TRUE;
  clip_output_wake_tasks (self);
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
    clip_output_wake_tasks (self);
  }
  g_mutex_unlock (&self->lock);
}

/* Stops what runs for @stream (NULL: every stream) and, once no pad is active any more,
 * the decoder. */
static void
stop_streams (GstKlingClipOutput * self, Stream * only)
{
  GstKlingClipDecoder *decoder = NULL, *starting = NULL;
  gboolean any_active = FALSE;
  guint i;

  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  for (i = 0; i < self->n_streams; i++)
    if (!only || only == &self->streams[i])
      self->streams[i].active = FALSE;
  if (self->decoder)
    decoder = gst_kling_clip_decoder_ref (self->decoder);
  if (self->starting)
    starting = gst_kling_clip_decoder_ref (self->starting);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  g_cancellable_cancel (self->cancellable);
  if (decoder) {
    gst_kling_clip_decoder_cancel (decoder);
    gst_kling_clip_decoder_unref (decoder);
  }
  if (starting) {
    gst_kling_clip_decoder_cancel (starting);
    gst_kling_clip_decoder_unref (starting);
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
  self->clip_void = FALSE;
  self->kind = KIND_UNDECIDED;
  self->start_serial++;
  self->pending_start = GST_CLOCK_TIME_NONE;
  self->pushed = FALSE;
  gst_segment_init (&self->segment, GST_FORMAT_TIME);
  self->seqnum = gst_util_seqnum_next ();
  self->segment_placed = FALSE;
  self->follow_clock = FALSE;
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
    stream->last_pts = stream->resume_after = GST_CLOCK_TIME_NONE;
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
  if (!gst_pad_start_task (pad, clip_output_loop, stream, NULL))
    return FALSE;
  g_mutex_lock (&self->lock);
  for (i = 0; i < self->n_streams; i++)
    any_active |= self->streams[i].active;
  if (!any_active)
    self->stopping = FALSE;     /* a new run */
  stream->active = TRUE;
  clip_output_wake_tasks (self);
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
    stream->last_pts = stream->resume_after = GST_CLOCK_TIME_NONE;
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
  GstKlingClipDecoder *decoder = NULL, *drop = NULL, *starting = NULL;
  guint32 seqnum = gst_event_get_seqnum (seek);
  GstClockTime target, local = 0;
  GstSeekType start_type, stop_type;
  GstSeekFlags flags;
  GstFormat format;
  gint64 start, stop;
  gdouble rate;
  GstEvent *event;
  GError *error = NULL;
  gboolean ok = TRUE, any_ended = FALSE;
  guint i, index;

  gst_event_parse_seek (seek, &rate, &format, &flags, &start_type, &start,
      &stop_type, &stop);

  g_mutex_lock (&self->lock);
  self->seeking = TRUE;
  self->start_serial++;
  if (self->starting)
    starting = gst_kling_clip_decoder_ref (self->starting);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  /* A decoder being started is for the old position: no need to wait for it. */
  if (starting) {
    gst_kling_clip_decoder_cancel (starting);
    gst_kling_clip_decoder_unref (starting);
  }

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
  index = clip_output_locate_entry (self, target);
  /* A stream that ended had its branch dropped: that decoder cannot play it again. */
  for (i = 0; i < self->n_streams; i++)
    any_ended |= self->streams[i].eos_pushed;
  if (self->decoder_state == DECODER_READY && index == self->current
      && !any_ended) {
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

  GST_DEBUG_OBJECT (self, "seek to %" GST_TIME_FORMAT "%s",
      GST_TIME_ARGS (target), decoder ? " in the clip playing" : "");
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
  clip_output_wake_tasks (self);
  g_mutex_unlock (&self->lock);

  if (!ok) {
    clip_output_post_error (self, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
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
    GST_DEBUG_OBJECT (self, "refusing seek: %s",
        self->kind == KIND_PASSTHROUGH ? "the MP4 passes through" : "stopped");
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
    self->current = MIN (clip_output_locate_entry (self, self->pending_start),
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
      gst_query_set_scheduling (query, GST_SCHEDULING_FLAG_SEQUENTIAL, 1, -1,
          0);
      gst_query_add_scheduling_mode (query, GST_PAD_MODE_PUSH);
      return TRUE;
    case GST_QUERY_CAPS:
    case GST_QUERY_ACCEPT_CAPS:
      return gst_pad_query_default (pad, parent, query);
    default:
      return FALSE;
  }
}
