/* gst-kling: GstKlingClipDecoder, the private pipeline that decodes one clip.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Locks: decoder->lock guards what the private pipeline's threads report (the kinds of
 * stream, which are exposed, the first error, the first sample) and the branches; it is
 * never held while calling into GStreamer. decoder->caps_lock serialises the callers that
 * set a branch's caps.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>

#include "gstklingclipdecoder.h"

GST_DEBUG_CATEGORY_STATIC (kling_clip_decoder_debug);
#define GST_CAT_DEFAULT kling_clip_decoder_debug

/* How much one read from the clip's reader asks for. */
#define READ_CHUNK          (64 * 1024)
/* How long decodebin3 may go without asking for bytes, or with bytes it asked for, before
 * it has exposed the clip's streams. The time a read waits for a download to bring its
 * bytes does not count: a slow link must not make a growing clip fail. */
#define START_TIMEOUT_US    (10 * G_USEC_PER_SEC)
/* Samples an appsink holds: few, so a downstream caps change shows soon. */
#define APPSINK_MAX_BUFFERS 2

typedef struct
{
  GstStreamType type;
  GstCaps *caps;                /* what the branch delivers; NULL: not wanted */
  GstElement *capsfilter;       /* once the branch exists */
  GstElement *appsink;
} Branch;

struct _GstKlingClipDecoder
{
  gint ref_count;
  GstKlingClip *clip;
  GstKlingClipDecoderWake wake;
  gpointer wake_data;
  GCancellable *cancellable;

  GstElement *pipeline;
  GstElement *appsrc;
  guint64 read_offset;          /* appsrc's streaming thread (and seek-data, which
                                 * runs while that thread is stopped) */

  GMutex lock;
  GCond cond;
  /* Held while a capsfilter's caps are set, so the last caps asked for are the ones set;
   * taken before lock, never by the private pipeline's threads. */
  GMutex caps_lock;
  GstStreamType types;          /* in the clip, from the stream collection */
  gboolean types_known;
  GstStreamType exposed;
  GstStreamType flowing;        /* the branches that delivered a sample */
  gboolean reading;             /* a read of the clip is in progress (may wait) */
  gint64 fed_us;                /* when the last read returned, or the start */
  gboolean cancelled;
  GError *error;
  Branch branches[2];           /* [0] video, [1] audio */
};

void
gst_kling_clip_decoder_init_debug (void)
{
  GST_DEBUG_CATEGORY_INIT (kling_clip_decoder_debug, "klingclipdecoder", 0,
      "Kling clip output: the private decoding pipeline");
}

static Branch *
branch_for_type (GstKlingClipDecoder * decoder, GstStreamType type)
{
  if (type & GST_STREAM_TYPE_VIDEO)
    return &decoder->branches[0];
  if (type & GST_STREAM_TYPE_AUDIO)
    return &decoder->branches[1];
  return NULL;
}

static void
wake (GstKlingClipDecoder * decoder)
{
  g_mutex_lock (&decoder->lock);
  g_cond_broadcast (&decoder->cond);
  g_mutex_unlock (&decoder->lock);
  decoder->wake (decoder->wake_data);
}

/* Keeps the first error of the private pipeline; @error is taken. */
static void
set_error (GstKlingClipDecoder * decoder, GError * error)
{
  g_mutex_lock (&decoder->lock);
  if (!decoder->error)
    decoder->error = error;
  else
    g_error_free (error);
  g_cond_broadcast (&decoder->cond);
  g_mutex_unlock (&decoder->lock);
  decoder->wake (decoder->wake_data);
}

/* ------------------------------------------------------------------------- */
/* Feeding appsrc from the clip's reader                                     */

static void
appsrc_need_data (GstAppSrc * appsrc, guint length, gpointer user_data)
{
  GstKlingClipDecoder *decoder = user_data;
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, READ_CHUNK, NULL);
  GError *error = NULL;
  GstMapInfo map;
  gssize n;

  g_mutex_lock (&decoder->lock);
  decoder->reading = TRUE;
  g_mutex_unlock (&decoder->lock);
  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  n = gst_kling_clip_read (decoder->clip, decoder->read_offset, map.data,
      READ_CHUNK, decoder->cancellable, &error);
  gst_buffer_unmap (buffer, &map);
  g_mutex_lock (&decoder->lock);
  decoder->reading = FALSE;
  decoder->fed_us = g_get_monotonic_time ();
  g_cond_broadcast (&decoder->cond);
  g_mutex_unlock (&decoder->lock);

  if (n > 0) {
    gst_buffer_set_size (buffer, n);
    GST_BUFFER_OFFSET (buffer) = decoder->read_offset;
    decoder->read_offset += n;
    GST_BUFFER_OFFSET_END (buffer) = decoder->read_offset;
    gst_app_src_push_buffer (appsrc, buffer);
    return;
  }
  gst_buffer_unref (buffer);
  if (n == 0) {
    gst_app_src_end_of_stream (appsrc);
  } else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_error_free (error);       /* going down: nothing more to read */
  } else {
    GST_WARNING ("reading %s: %s", gst_kling_clip_get_name (decoder->clip),
        error->message);
    set_error (decoder, error);
  }
}

static gboolean
appsrc_seek_data (GstAppSrc * appsrc, guint64 offset, gpointer user_data)
{
  GstKlingClipDecoder *decoder = user_data;

  decoder->read_offset = offset;
  return TRUE;
}

static GstAppSrcCallbacks appsrc_callbacks = {
  .need_data = appsrc_need_data,
  .seek_data = appsrc_seek_data,
};

/* ------------------------------------------------------------------------- */
/* The appsinks and the bus                                                  */

static void
appsink_eos (GstAppSink * appsink, gpointer user_data)
{
  wake (user_data);
}

static GstFlowReturn
appsink_new_sample (GstAppSink * appsink, gpointer user_data)
{
  GstKlingClipDecoder *decoder = user_data;
  guint i;

  g_mutex_lock (&decoder->lock);
  for (i = 0; i < G_N_ELEMENTS (decoder->branches); i++)
    if (decoder->branches[i].appsink == GST_ELEMENT (appsink))
      decoder->flowing |= decoder->branches[i].type;
  g_mutex_unlock (&decoder->lock);
  wake (decoder);
  return GST_FLOW_OK;
}

static GstAppSinkCallbacks appsink_callbacks = {
  .eos = appsink_eos,
  .new_preroll = appsink_new_sample,
  .new_sample = appsink_new_sample,
};

/* The kinds of stream (video, audio) in a collection. */
static GstStreamType
collection_types (GstStreamCollection * collection)
{
  GstStreamType types = 0;
  guint i;

  for (i = 0; i < gst_stream_collection_get_size (collection); i++)
    types |= gst_stream_get_stream_type (gst_stream_collection_get_stream
        (collection, i)) & (GST_STREAM_TYPE_VIDEO | GST_STREAM_TYPE_AUDIO);
  return types;
}

/* The private pipeline's threads. Errors are kept; the stream collection says which
 * kinds of stream decodebin3 will expose; everything else is dropped, so nothing piles
 * up on a bus nobody reads. A handler that drops a message owns it. */
static GstBusSyncReply
bus_sync_handler (GstBus * bus, GstMessage * message, gpointer user_data)
{
  GstKlingClipDecoder *decoder = user_data;

  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
    GError *error = NULL;
    gchar *debug = NULL;

    gst_message_parse_error (message, &error, &debug);
    GST_WARNING ("decoding %s: %s (%s)",
        gst_kling_clip_get_name (decoder->clip), error->message,
        debug ? debug : "");
    if (debug) {
      gchar *text = g_strdup_printf ("%s (%s)", error->message, debug);

      g_free (error->message);
      error->message = text;
    }
    g_free (debug);
    set_error (decoder, error);
  } else if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_STREAM_COLLECTION) {
    GstStreamCollection *collection = NULL;

    gst_message_parse_stream_collection (message, &collection);
    g_mutex_lock (&decoder->lock);
    decoder->types = collection_types (collection);
    decoder->types_known = TRUE;
    g_cond_broadcast (&decoder->cond);
    g_mutex_unlock (&decoder->lock);
    gst_object_unref (collection);
  }
  gst_message_unref (message);
  return GST_BUS_DROP;
}

/* ------------------------------------------------------------------------- */
/* Building the pipeline                                                     */

static GstStreamType
decoded_pad_type (GstPad * pad)
{
  GstStream *stream = gst_pad_get_stream (pad);
  GstStreamType type = GST_STREAM_TYPE_UNKNOWN;
  GstCaps *caps;

  if (stream) {
    type = gst_stream_get_stream_type (stream);
    gst_object_unref (stream);
  }
  if (type != GST_STREAM_TYPE_UNKNOWN)
    return type;

  caps = gst_pad_query_caps (pad, NULL);
  if (caps && !gst_caps_is_empty (caps)) {
    const gchar *name =
        gst_structure_get_name (gst_caps_get_structure (caps, 0));

    if (g_str_has_prefix (name, "video/"))
      type = GST_STREAM_TYPE_VIDEO;
    else if (g_str_has_prefix (name, "audio/"))
      type = GST_STREAM_TYPE_AUDIO;
  }
  gst_clear_caps (&caps);
  return type;
}

/* Adds @chain (@n elements, taken) to the pipeline after @pad; FALSE if it could not be
 * linked. */
static gboolean
add_branch (GstKlingClipDecoder * decoder, GstPad * pad, GstElement ** chain,
    guint n)
{
  gboolean linked = TRUE;
  GstPad *first_pad;
  guint i;

  for (i = 0; i < n; i++) {
    gst_bin_add (GST_BIN (decoder->pipeline), chain[i]);
    if (i > 0)
      linked &= gst_element_link (chain[i - 1], chain[i]);
  }
  /* The sink first, so data never reaches an element still in NULL. */
  for (i = n; i > 0; i--)
    gst_element_sync_state_with_parent (chain[i - 1]);

  first_pad = gst_element_get_static_pad (chain[0], "sink");
  linked &= gst_pad_link (pad, first_pad) == GST_PAD_LINK_OK;
  gst_object_unref (first_pad);
  return linked;
}

static GstElement *
make_appsink (GstKlingClipDecoder * decoder)
{
  GstElement *sink = gst_element_factory_make ("appsink", NULL);

  /* Not async: a flushing seek must not make the sinks preroll again, which with an
   * interleaved file can wait for ever for the stream that has not come yet. */
  g_object_set (sink, "sync", FALSE, "async", FALSE, "max-buffers",
      APPSINK_MAX_BUFFERS, "enable-last-sample", FALSE, NULL);
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &appsink_callbacks,
      decoder, NULL);
  return sink;
}

/* Puts branch->caps on the branch's capsfilter (which sends a reconfigure upstream, so
 * the converters renegotiate with their next buffer). */
static void
apply_branch_caps (GstKlingClipDecoder * decoder, Branch * branch)
{
  GstElement *capsfilter = NULL;
  GstCaps *caps = NULL;

  g_mutex_lock (&decoder->caps_lock);
  g_mutex_lock (&decoder->lock);
  if (branch->capsfilter && branch->caps) {
    capsfilter = gst_object_ref (branch->capsfilter);
    caps = gst_caps_ref (branch->caps);
  }
  g_mutex_unlock (&decoder->lock);
  if (capsfilter) {
    GST_DEBUG ("%s: %s branch delivers %" GST_PTR_FORMAT,
        gst_kling_clip_get_name (decoder->clip),
        gst_stream_type_get_name (branch->type), caps);
    g_object_set (capsfilter, "caps", caps, NULL);
    gst_object_unref (capsfilter);
    gst_caps_unref (caps);
  }
  g_mutex_unlock (&decoder->caps_lock);
}

/* Converters, a capsfilter with what the output wants, an appsink. */
static gboolean
add_wanted_branch (GstKlingClipDecoder * decoder, GstPad * pad, Branch * branch)
{
  gboolean video = branch->type == GST_STREAM_TYPE_VIDEO;
  GstElement *chain[4];
  GstElement *capsfilter, *sink;
  guint n = 0, i;

  chain[n++] = gst_element_factory_make (video ? "videoconvert" :
      "audioconvert", NULL);
  chain[n++] = gst_element_factory_make (video ? "videoscale" :
      "audioresample", NULL);
  chain[n++] = capsfilter = gst_element_factory_make ("capsfilter", NULL);
  chain[n++] = sink = make_appsink (decoder);
  for (i = 0; i < n; i++) {
    if (!chain[i]) {
      for (i = 0; i < n; i++)
        gst_clear_object (&chain[i]);
      return FALSE;
    }
  }

  g_mutex_lock (&decoder->lock);
  branch->appsink = sink;
  branch->capsfilter = gst_object_ref (capsfilter);
  g_mutex_unlock (&decoder->lock);
  apply_branch_caps (decoder, branch);
  GST_DEBUG ("%s: decoded %s pad %s", gst_kling_clip_get_name (decoder->clip),
      gst_stream_type_get_name (branch->type), GST_PAD_NAME (pad));
  return add_branch (decoder, pad, chain, n);
}

/* decodebin3 exposed a decoded stream (one of its streaming threads): a wanted branch
 * when the output wants that kind of stream and has none yet, a fakesink otherwise. */
static void
decodebin_pad_added (GstElement * decodebin, GstPad * pad, gpointer user_data)
{
  GstKlingClipDecoder *decoder = user_data;
  GstStreamType type = decoded_pad_type (pad);
  Branch *branch = branch_for_type (decoder, type);
  gboolean wanted, linked;

  g_mutex_lock (&decoder->lock);
  wanted = branch && branch->caps && !branch->appsink;
  g_mutex_unlock (&decoder->lock);

  if (wanted) {
    linked = add_wanted_branch (decoder, pad, branch);
  } else {
    GstElement *sink = gst_element_factory_make ("fakesink", NULL);

    g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
    linked = add_branch (decoder, pad, &sink, 1);
    GST_DEBUG ("%s: decoded pad %s dropped", gst_kling_clip_get_name
        (decoder->clip), GST_PAD_NAME (pad));
  }
  if (!linked)
    GST_WARNING ("%s: could not link decoded pad %s",
        gst_kling_clip_get_name (decoder->clip), GST_PAD_NAME (pad));

  g_mutex_lock (&decoder->lock);
  decoder->exposed |= type & (GST_STREAM_TYPE_VIDEO | GST_STREAM_TYPE_AUDIO);
  g_cond_broadcast (&decoder->cond);
  g_mutex_unlock (&decoder->lock);
  decoder->wake (decoder->wake_data);
}

GstKlingClipDecoder *
gst_kling_clip_decoder_new (GstKlingClip * clip, GstCaps * video_caps,
    GstCaps * audio_caps, GstKlingClipDecoderWake wake_func, gpointer user_data)
{
  GstKlingClipDecoder *decoder;

  g_return_val_if_fail (clip != NULL && wake_func != NULL, NULL);

  decoder = g_new0 (GstKlingClipDecoder, 1);
  decoder->ref_count = 1;
  decoder->clip = gst_kling_clip_ref (clip);
  decoder->wake = wake_func;
  decoder->wake_data = user_data;
  decoder->cancellable = g_cancellable_new ();
  g_mutex_init (&decoder->lock);
  g_cond_init (&decoder->cond);
  g_mutex_init (&decoder->caps_lock);
  decoder->branches[0].type = GST_STREAM_TYPE_VIDEO;
  decoder->branches[0].caps = video_caps ? gst_caps_ref (video_caps) : NULL;
  decoder->branches[1].type = GST_STREAM_TYPE_AUDIO;
  decoder->branches[1].caps = audio_caps ? gst_caps_ref (audio_caps) : NULL;
  return decoder;
}

GstKlingClipDecoder *
gst_kling_clip_decoder_ref (GstKlingClipDecoder * decoder)
{
  g_atomic_int_inc (&decoder->ref_count);
  return decoder;
}

void
gst_kling_clip_decoder_unref (GstKlingClipDecoder * decoder)
{
  guint i;

  if (!decoder || !g_atomic_int_dec_and_test (&decoder->ref_count))
    return;

  gst_kling_clip_decoder_cancel (decoder);
  if (decoder->pipeline) {
    gst_element_set_state (decoder->pipeline, GST_STATE_NULL);
    gst_object_unref (decoder->pipeline);
  }
  for (i = 0; i < G_N_ELEMENTS (decoder->branches); i++) {
    gst_clear_caps (&decoder->branches[i].caps);
    gst_clear_object (&decoder->branches[i].capsfilter);
  }
  g_clear_error (&decoder->error);
  g_object_unref (decoder->cancellable);
  gst_kling_clip_unref (decoder->clip);
  g_mutex_clear (&decoder->lock);
  g_cond_clear (&decoder->cond);
  g_mutex_clear (&decoder->caps_lock);
  g_free (decoder);
}

static gboolean
build_pipeline (GstKlingClipDecoder * decoder, GError ** error)
{
  GstElement *decodebin;
  GstCaps *caps;
  GstBus *bus;

  decoder->appsrc = gst_element_factory_make ("appsrc", NULL);
  decodebin = gst_element_factory_make ("decodebin3", NULL);
  if (!decoder->appsrc || !decodebin) {
    gst_clear_object (&decoder->appsrc);
    gst_clear_object (&decodebin);
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "appsrc or decodebin3 is missing: install GStreamer's base plugins.");
    return FALSE;
  }

  /* Seekable push mode: qtdemux reads a faststart MP4 as it comes and seeks with byte
   * seeks, which the reader answers. decodebin3 only builds its input for a push-mode
   * upstream once it has caps. */
  caps = gst_caps_new_empty_simple ("video/quicktime");
  g_object_set (decoder->appsrc, "stream-type", GST_APP_STREAM_TYPE_SEEKABLE,
      "format", GST_FORMAT_BYTES, "caps", caps, NULL);
  /* A size makes appsrc end the stream there: only once the clip's bytes are final (a
   * download's announced length may be that of an answer cut short). */
  if (gst_kling_clip_wait_whole (decoder->clip, FALSE, NULL, NULL))
    g_object_set (decoder->appsrc, "size", gst_kling_clip_get_size
        (decoder->clip), NULL);
  gst_caps_unref (caps);
  gst_app_src_set_callbacks (GST_APP_SRC (decoder->appsrc), &appsrc_callbacks,
      decoder, NULL);

  decoder->pipeline = gst_pipeline_new ("kling-clip-decoder");
  gst_bin_add_many (GST_BIN (decoder->pipeline), decoder->appsrc, decodebin,
      NULL);
  gst_element_link (decoder->appsrc, decodebin);
  g_signal_connect (decodebin, "pad-added", G_CALLBACK (decodebin_pad_added),
      decoder);
  bus = gst_element_get_bus (decoder->pipeline);
  gst_bus_set_sync_handler (bus, bus_sync_handler, decoder, NULL);
  gst_object_unref (bus);
  return TRUE;
}

/* Waits until @ready holds, the pipeline failed, the decoder is cancelled or decodebin3
 * spent the start timeout on its own (see START_TIMEOUT_US); decoder->lock is held. FALSE
 * with @error unless @ready holds. */
typedef gboolean (*ReadyFunc) (GstKlingClipDecoder * decoder);

static gboolean
wait_until (GstKlingClipDecoder * decoder, ReadyFunc ready, const gchar * what,
    GError ** error)
{
  while (!ready (decoder) && !decoder->error && !decoder->cancelled) {
    /* A read that waits for its bytes ends with a broadcast (or is cancelled). */
    gint64 deadline = decoder->fed_us + START_TIMEOUT_US;

    if (decoder->reading)
      g_cond_wait (&decoder->cond, &decoder->lock);
    else if (g_get_monotonic_time () >= deadline)
      break;
    else
      g_cond_wait_until (&decoder->cond, &decoder->lock, deadline);
  }
  if (ready (decoder))
    return TRUE;
  if (decoder->cancelled)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
  else if (decoder->error)
    *error = g_error_copy (decoder->error);
  else
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
        "decodebin3 %s in time", what);
  return FALSE;
}

static gboolean
streams_exposed (GstKlingClipDecoder * decoder)
{
  return decoder->types_known && (decoder->types & ~decoder->exposed) == 0;
}

/* decodebin3 is set up for good once every branch delivered: before, a flushing seek can
 * reach a decoder that is still being plugged. */
static gboolean
all_flowing (GstKlingClipDecoder * decoder)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (decoder->branches); i++)
    if (decoder->branches[i].appsink
        && !(decoder->flowing & decoder->branches[i].type))
      return FALSE;
  return TRUE;
}

gboolean
gst_kling_clip_decoder_start (GstKlingClipDecoder * decoder,
    GstClockTime start, GError ** error)
{
  GstClockTime duration;
  gboolean ok;

  g_return_val_if_fail (decoder->pipeline == NULL, FALSE);

  if (!build_pipeline (decoder, error))
    return FALSE;
  g_mutex_lock (&decoder->lock);
  decoder->fed_us = g_get_monotonic_time ();
  g_mutex_unlock (&decoder->lock);
  GST_DEBUG ("decoding %s from %" GST_TIME_FORMAT,
      gst_kling_clip_get_name (decoder->clip), GST_TIME_ARGS (start));

  if (gst_element_set_state (decoder->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_mutex_lock (&decoder->lock);
    if (decoder->error)
      *error = g_error_copy (decoder->error);
    else
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
          "cannot play %s", gst_kling_clip_get_name (decoder->clip));
    g_mutex_unlock (&decoder->lock);
    return FALSE;
  }

  g_mutex_lock (&decoder->lock);
  ok = wait_until (decoder, streams_exposed, "exposed no decoded stream",
      error);
  g_mutex_unlock (&decoder->lock);
  if (!ok || start == 0)
    return ok;

  /* A start past the end is the caller's business (it moves on to the next clip); a seek
   * there would leave qtdemux in a muddle. */
  duration = gst_kling_clip_decoder_get_duration (decoder);
  if (GST_CLOCK_TIME_IS_VALID (duration) && start >= duration)
    return TRUE;
  /* decodebin3 refuses seeks until data flows, and may still be plugging decoders until
   * it flows everywhere. */
  g_mutex_lock (&decoder->lock);
  ok = wait_until (decoder, all_flowing, "decoded nothing", error);
  g_mutex_unlock (&decoder->lock);
  return ok && gst_kling_clip_decoder_seek (decoder, start, error);
}

GstKlingClipPull
gst_kling_clip_decoder_pull (GstKlingClipDecoder * decoder,
    GstStreamType type, GstSample ** sample, GError ** error)
{
  Branch *branch = branch_for_type (decoder, type);
  GstElement *appsink = NULL;
  GstKlingClipPull result;

  g_mutex_lock (&decoder->lock);
  if (decoder->error) {
    *error = g_error_copy (decoder->error);
    g_mutex_unlock (&decoder->lock);
    return GST_KLING_CLIP_PULL_ERROR;
  }
  if (branch && branch->appsink)
    appsink = gst_object_ref (branch->appsink);
  g_mutex_unlock (&decoder->lock);
  if (!appsink)
    return GST_KLING_CLIP_PULL_NONE;

  *sample = gst_app_sink_try_pull_sample (GST_APP_SINK (appsink), 0);
  if (*sample)
    result = GST_KLING_CLIP_PULL_SAMPLE;
  else if (gst_app_sink_is_eos (GST_APP_SINK (appsink)))
    result = GST_KLING_CLIP_PULL_EOS;
  else
    result = GST_KLING_CLIP_PULL_AGAIN;
  gst_object_unref (appsink);
  return result;
}

gboolean
gst_kling_clip_decoder_seek (GstKlingClipDecoder * decoder,
    GstClockTime position, GError ** error)
{
  GST_DEBUG ("seeking %s to %" GST_TIME_FORMAT,
      gst_kling_clip_get_name (decoder->clip), GST_TIME_ARGS (position));
  if (gst_element_seek (decoder->pipeline, 1.0, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE, GST_SEEK_TYPE_SET,
          position, GST_SEEK_TYPE_NONE, GST_CLOCK_TIME_NONE))
    return TRUE;
  g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
      "seek to %" GST_TIME_FORMAT " in %s failed", GST_TIME_ARGS (position),
      gst_kling_clip_get_name (decoder->clip));
  return FALSE;
}

void
gst_kling_clip_decoder_set_caps (GstKlingClipDecoder * decoder,
    GstStreamType type, GstCaps * caps)
{
  Branch *branch = branch_for_type (decoder, type);

  g_return_if_fail (branch != NULL);

  g_mutex_lock (&decoder->lock);
  gst_caps_replace (&branch->caps, caps);
  g_mutex_unlock (&decoder->lock);
  apply_branch_caps (decoder, branch);
}

void
gst_kling_clip_decoder_drop_stream (GstKlingClipDecoder * decoder,
    GstStreamType type)
{
  Branch *branch = branch_for_type (decoder, type);
  GstElement *appsink = NULL;

  g_return_if_fail (branch != NULL);

  g_mutex_lock (&decoder->lock);
  /* A branch not built yet becomes a fakesink. */
  gst_clear_caps (&branch->caps);
  if (branch->appsink)
    appsink = gst_object_ref (branch->appsink);
  g_mutex_unlock (&decoder->lock);

  if (appsink) {
    GST_DEBUG ("%s: dropping the %s stream", gst_kling_clip_get_name
        (decoder->clip), gst_stream_type_get_name (type));
    g_object_set (appsink, "drop", TRUE, "max-buffers", 1, NULL);
    gst_object_unref (appsink);
  }
}

GstClockTime
gst_kling_clip_decoder_get_duration (GstKlingClipDecoder * decoder)
{
  gint64 duration;

  if (decoder->pipeline && gst_element_query_duration (decoder->pipeline,
          GST_FORMAT_TIME, &duration) && duration >= 0)
    return duration;
  return GST_CLOCK_TIME_NONE;
}

void
gst_kling_clip_decoder_cancel (GstKlingClipDecoder * decoder)
{
  g_mutex_lock (&decoder->lock);
  decoder->cancelled = TRUE;
  g_cond_broadcast (&decoder->cond);
  g_mutex_unlock (&decoder->lock);
  g_cancellable_cancel (decoder->cancellable);
}
