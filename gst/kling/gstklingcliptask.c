/* gst-kling: what the clip output's pad tasks do: decode or pass through, and push.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * clip_output_loop() is the task function of every source pad. Each call does one step
 * (decide the output, start a decoder, pull and push one sample or one chunk, move on to
 * the next clip, end the stream) and returns; with nothing to do the task pauses itself
 * until the public functions or a seek start it again. The lock rules are in
 * gstklingclipoutput.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstklingclipoutput-private.h"

#define GST_CAT_DEFAULT kling_clip_output_debug

#define PASSTHROUGH_CHUNK (64 * 1024)
#define DECODE_FAILED_MESSAGE "Could not decode the clip Kling rendered."

/* Lock held: waits once for news (the function returns afterwards and the task calls it
 * again), unless there is news already. */
static void
wait_for_news (GstKlingClipOutput * self, Stream * stream, guint64 seen)
{
  if (self->wakeups == seen && !clip_output_must_leave (self, stream)
      && !self->aborted)
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

/* Lock held. The stream id of the run: from the first clip's name (a cached clip's path
 * is the request's hash), so the same render gets the same ids in every process; GES
 * matches a GESUriClipAsset's streams to the playing ones by stream id, as found by its
 * discoverer in an earlier run. The run's random id when no clip came (an error). */
static const gchar *
stream_id_base (GstKlingClipOutput * self)
{
  Entry *first;

  if (self->entries->len == 0)
    return self->stream_id;
  first = g_ptr_array_index (self->entries, 0);
  g_free (self->stream_id);
  self->stream_id = g_compute_checksum_for_string (G_CHECKSUM_SHA256,
      gst_kling_clip_get_name (first->clip), -1);
  return self->stream_id;
}

/* Lock held. Running time @now is where entry @index's first sample plays: the segment's
 * base is moved on so that it does, unless it plays later already. At the first segment
 * that is the base itself; after the queue ran dry (set_follow_clock()) it is the time the
 * new clip waited for, so a synchronised sink does not find its frames late. */
static void
place_segment (GstKlingClipOutput * self, gint index, GstClockTime now)
{
  GstClockTime first = self->segment.start, offset;

  if (index >= 0 && index < (gint) self->entries->len) {
    Entry *entry = g_ptr_array_index (self->entries, index);

    if (GST_CLOCK_TIME_IS_VALID (entry->start))
      first = MAX (entry->start, self->segment.start);
  }
  offset = first - self->segment.start;
  if (now > offset && now - offset > self->segment.base)
    self->segment.base = now - offset;
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
    id = g_strdup_printf ("%s/%s", stream_id_base (self),
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
      place_segment (self, index, now);
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

/* The stream is over: stream-start if it never went out, then EOS, once. The decoder
 * (if the other stream still plays) stops keeping this stream's samples. */
static void
finish_stream (Stream * stream)
{
  GstKlingClipOutput *self = stream->output;
  GstKlingClipDecoder *decoder = NULL;
  GstEvent *eos = gst_event_new_eos ();

  push_sticky_events (stream, NULL, -1, GST_FORMAT_TIME);
  g_mutex_lock (&self->lock);
  gst_event_set_seqnum (eos, self->seqnum);
  g_mutex_unlock (&self->lock);
  GST_DEBUG_OBJECT (stream->pad, "EOS");
  gst_pad_push_event (stream->pad, eos);

  g_mutex_lock (&self->lock);
  stream->eos_pushed = TRUE;
  if (self->decoder)
    decoder = gst_kling_clip_decoder_ref (self->decoder);
  clip_output_pause_self (stream);
  g_mutex_unlock (&self->lock);
  if (decoder) {
    gst_kling_clip_decoder_drop_stream (decoder, stream->type);
    gst_kling_clip_decoder_unref (decoder);
  }
}

/* An error (no lock held): @domain/@code with @message for a person and @details, then
 * every pad ends like a source after an error. */
void
clip_output_post_error (GstKlingClipOutput * self, GQuark domain, gint code,
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
    clip_output_post_error (self, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        error->message, NULL);
  else
    clip_output_post_error (self, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
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
    clip_output_pause_self (stream);
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
guint
clip_output_locate_entry (GstKlingClipOutput * self, GstClockTime target)
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
  GST_DEBUG_OBJECT (self, "clip %u ends at %" GST_TIME_FORMAT,
      self->current - 1, GST_TIME_ARGS (end));
  self->decoder_state = DECODER_NONE;
  clip_output_wake_tasks (self);
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
  if (!clip_output_must_leave (self, stream) && index == self->current) {
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
  GstClockTime start, stop, offset, resume;

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
  resume = stream->resume_after;
  g_mutex_unlock (&self->lock);
  if (GST_CLOCK_TIME_IS_VALID (pts) && GST_CLOCK_TIME_IS_VALID (offset))
    pts += offset;

  if (GST_CLOCK_TIME_IS_VALID (pts)) {
    /* Decoded again after the clip's bytes started over: this one went out before. */
    if (GST_CLOCK_TIME_IS_VALID (resume) && pts <= resume)
      return;
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
  if (GST_CLOCK_TIME_IS_VALID (pts)) {
    stream->position = pts + (GST_CLOCK_TIME_IS_VALID (duration) ?
        duration : 0);
    stream->last_pts = pts;
    stream->resume_after = GST_CLOCK_TIME_NONE;
  }
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
  gboolean ended[2] = { FALSE, FALSE };
  GstClockTime target, local = 0, duration = GST_CLOCK_TIME_NONE;
  GError *error = NULL;
  guint serial, index, i;
  Entry *entry;
  gboolean ok, began_whole, current = FALSE;

  /* A stream that has ended gets no branch: nobody would pull it. */
  g_mutex_lock (&self->lock);
  for (i = 0; i < self->n_streams; i++)
    ended[i] = self->streams[i].eos_pushed;
  g_mutex_unlock (&self->lock);
  for (i = 0; i < self->n_streams; i++)
    if (!ended[i])
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

  began_whole = gst_kling_clip_wait_whole (entry->clip, FALSE, NULL, NULL);
  decoder = gst_kling_clip_decoder_new (entry->clip, caps[0], caps[1],
      decoder_wake, self);
  /* A stop or a seek may cancel the start: it waits for decodebin3. */
  g_mutex_lock (&self->lock);
  self->starting = gst_kling_clip_decoder_ref (decoder);
  g_mutex_unlock (&self->lock);
  ok = gst_kling_clip_decoder_start (decoder, local, &error);
  if (ok)
    duration = gst_kling_clip_decoder_get_duration (decoder);
  gst_clear_caps (&caps[0]);
  gst_clear_caps (&caps[1]);

  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->starting, gst_kling_clip_decoder_unref);
  if (self->stopping || self->seeking || self->aborted
      || serial != self->start_serial) {
    /* Going down, or a seek came meanwhile: the next start follows it. */
    self->decoder_state = DECODER_NONE;
    drop = decoder;
  } else if (!ok) {
    self->decoder_state = DECODER_NONE;
    drop = decoder;
    current = TRUE;
  } else {
    self->decoder_began_whole = began_whole;
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
      clip_output_wake_tasks (self);
    }
  }
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  g_clear_pointer (&drop, gst_kling_clip_decoder_unref);
  if (error) {
    /* A restart while starting: the next step starts the clip again. */
    if (!clip_output_handle_reader_error (self, NULL, error) && !(current
            && clip_output_decode_when_whole (self, NULL, began_whole, error)))
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
  gboolean began_whole;

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
      g_mutex_lock (&self->lock);
      began_whole = self->decoder_began_whole || decoder != self->decoder;
      g_mutex_unlock (&self->lock);
      if (!clip_output_handle_reader_error (self, decoder, error)
          && !clip_output_decode_when_whole (self, decoder, began_whole, error))
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
 * has nothing (the MP4 carries the audio). A clip still downloading passes through once
 * it is whole and verified: bytes that went out cannot be taken back, and a muxer or a
 * file downstream would keep those of a download that fails its check or starts over. */
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
    clip_output_post_error (self, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
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
  if (offset > 0 || gst_kling_clip_wait_whole (clip, TRUE, cancellable, &error)) {
    gst_buffer_map (buffer, &map, GST_MAP_WRITE);
    n = gst_kling_clip_read (clip, offset, map.data, PASSTHROUGH_CHUNK,
        cancellable, &error);
    gst_buffer_unmap (buffer, &map);
  } else {
    n = -1;
  }
  gst_kling_clip_unref (clip);
  g_object_unref (cancellable);

  if (n <= 0) {
    gst_buffer_unref (buffer);
    g_mutex_lock (&self->lock);
    /* The next step ends the stream, or refuses a second clip. */
    if (n == 0 && !clip_output_must_leave (self, stream))
      self->current++;
    g_mutex_unlock (&self->lock);
    if (n < 0 && !clip_output_handle_reader_error (self, NULL, error))
      clip_output_post_error (self, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
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

void
clip_output_loop (gpointer user_data)
{
  Stream *stream = user_data;
  GstKlingClipOutput *self = stream->output;

  g_mutex_lock (&self->lock);
  if (clip_output_must_leave (self, stream) || stream->eos_pushed) {
    clip_output_pause_self (stream);
    g_mutex_unlock (&self->lock);
    return;
  }
  if (self->aborted || (self->current >= self->entries->len && self->ended)) {
    g_mutex_unlock (&self->lock);
    finish_stream (stream);
    return;
  }
  if (self->clip_void) {
    /* The element's abort() (after its error) or the stop restarts the task. */
    clip_output_pause_self (stream);
    g_mutex_unlock (&self->lock);
    return;
  }
  if (self->current >= self->entries->len) {
    /* Nothing to push until the next clip comes: append_clip() restarts the task. */
    clip_output_pause_self (stream);
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
