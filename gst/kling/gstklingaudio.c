/* gst-kling: collects an audio stream into one WAV or MP3 file for Kling.
 * See gstklingaudio.h for the choices (mono 16 kHz WAV, MP3 kept as it is).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/audio/audio.h>

#include "gstklingaudio.h"

GST_DEBUG_CATEGORY_STATIC (kling_audio_debug);
#define GST_CAT_DEFAULT kling_audio_debug

typedef enum
{
  COLLECT_NONE,
  COLLECT_RAW,
  COLLECT_MP3,
} CollectKind;

struct _GstKlingAudioCollector
{
  CollectKind kind;
  GByteArray *data;             /* mono S16LE PCM at GST_KLING_AUDIO_RATE, or MP3 bytes */

  /* raw */
  GstAudioInfo in_info;
  GstAudioConverter *converter;
  gboolean resampling;

  /* MP3: the sum of the buffer durations, to refuse an over-long stream early */
  GstClockTime mp3_duration;

  GstSegment segment;           /* GST_FORMAT_UNDEFINED until a segment came */
};

#define OUT_BYTES_PER_SECOND (GST_KLING_AUDIO_RATE * GST_KLING_AUDIO_CHANNELS * 2)
/* Raw audio is refused once it is past the limit by more than rounding can explain. */
#define MAX_PCM_BYTES ((guint) (KLING_AUDIO_MAX_S * OUT_BYTES_PER_SECOND))

/* A KLING_ERROR_INVALID_INPUT; evaluates to FALSE so checks read "return INVALID (...)". */
#define set_invalid_input(error, ...) \
  (g_propagate_error ((error), kling_error_new_full (KLING_ERROR_INVALID_INPUT, 0, -1, \
          NULL, NULL, NULL, __VA_ARGS__)), FALSE)

void
gst_kling_audio_init_debug (void)
{
  GST_DEBUG_CATEGORY_INIT (kling_audio_debug, "klingaudio", 0,
      "Kling lip-sync audio capture");
}

GstKlingAudioCollector *
gst_kling_audio_collector_new (void)
{
  GstKlingAudioCollector *collector = g_new0 (GstKlingAudioCollector, 1);

  collector->data = g_byte_array_new ();
  gst_audio_info_init (&collector->in_info);
  collector->mp3_duration = 0;
  gst_segment_init (&collector->segment, GST_FORMAT_UNDEFINED);
  return collector;
}

static void
free_converter (GstKlingAudioCollector * collector)
{
  g_clear_pointer (&collector->converter, gst_audio_converter_free);
  collector->resampling = FALSE;
}

void
gst_kling_audio_collector_reset (GstKlingAudioCollector * collector)
{
  g_return_if_fail (collector != NULL);

  g_byte_array_set_size (collector->data, 0);
  free_converter (collector);
  gst_audio_info_init (&collector->in_info);
  collector->kind = COLLECT_NONE;
  collector->mp3_duration = 0;
  gst_segment_init (&collector->segment, GST_FORMAT_UNDEFINED);
}

void
gst_kling_audio_collector_set_segment (GstKlingAudioCollector * collector,
    const GstSegment * segment)
{
  g_return_if_fail (collector != NULL && segment != NULL);

  gst_segment_copy_into (segment, &collector->segment);
}

/* MP3 frames cannot be cut: a buffer goes when it lies wholly outside the segment. */
static gboolean
mp3_buffer_in_segment (GstKlingAudioCollector * collector, GstBuffer * buffer)
{
  GstClockTime start = GST_BUFFER_PTS (buffer);
  GstClockTime stop = start;

  if (collector->segment.format != GST_FORMAT_TIME
      || !GST_CLOCK_TIME_IS_VALID (start))
    return TRUE;
  if (GST_BUFFER_DURATION_IS_VALID (buffer))
    stop += GST_BUFFER_DURATION (buffer);
  return gst_segment_clip (&collector->segment, GST_FORMAT_TIME, start, stop,
      NULL, NULL);
}

void
gst_kling_audio_collector_free (GstKlingAudioCollector * collector)
{
  if (collector == NULL)
    return;
  free_converter (collector);
  g_byte_array_unref (collector->data);
  g_free (collector);
}

/* The resampler holds back a few input frames; this pushes them out with silence so
 * the WAV is as long as the input. */
static void
drain_converter (GstKlingAudioCollector * collector)
{
  gsize latency, out_frames, old_len;
  gpointer out[1];

  if (collector->converter == NULL || !collector->resampling)
    return;
  latency = gst_audio_converter_get_max_latency (collector->converter);
  out_frames =
      gst_audio_converter_get_out_frames (collector->converter, latency);
  if (latency == 0 || out_frames == 0)
    return;
  old_len = collector->data->len;
  g_byte_array_set_size (collector->data, old_len + out_frames * 2);
  out[0] = collector->data->data + old_len;
  if (!gst_audio_converter_samples (collector->converter, 0, NULL, latency, out,
          out_frames))
    g_byte_array_set_size (collector->data, old_len);
}

static gboolean
set_raw_caps (GstKlingAudioCollector * collector, GstCaps * caps,
    GError ** error)
{
  GstAudioInfo info, out_info;

  if (!gst_audio_info_from_caps (&info, caps))
    return set_invalid_input (error,
        "audio caps %" GST_PTR_FORMAT " are incomplete", caps);
  if (collector->converter
      && gst_audio_info_is_equal (&info, &collector->in_info))
    return TRUE;

  /* What the old converter still holds belongs before the new format's samples. */
  drain_converter (collector);
  free_converter (collector);

  gst_audio_info_set_format (&out_info, GST_AUDIO_FORMAT_S16LE,
      GST_KLING_AUDIO_RATE, GST_KLING_AUDIO_CHANNELS, NULL);
  collector->converter =
      gst_audio_converter_new (GST_AUDIO_CONVERTER_FLAG_NONE, &info, &out_info,
      NULL);
  if (collector->converter == NULL)
    return set_invalid_input (error, "cannot convert audio %" GST_PTR_FORMAT
        " to mono 16-bit %d Hz", caps, GST_KLING_AUDIO_RATE);
  collector->resampling = GST_AUDIO_INFO_RATE (&info) != GST_KLING_AUDIO_RATE;
  collector->in_info = info;
  GST_DEBUG ("converting %" GST_PTR_FORMAT " to mono S16LE %d Hz", caps,
      GST_KLING_AUDIO_RATE);
  return TRUE;
}

gboolean
gst_kling_audio_collector_set_caps (GstKlingAudioCollector * collector,
    GstCaps * caps, GError ** error)
{
  const GstStructure *s;
  CollectKind kind;

  g_return_val_if_fail (collector != NULL, FALSE);
  g_return_val_if_fail (GST_IS_CAPS (caps), FALSE);

  s = gst_caps_get_structure (caps, 0);
  if (gst_structure_has_name (s, "audio/x-raw"))
    kind = COLLECT_RAW;
  else if (gst_structure_has_name (s, "audio/mpeg"))
    kind = COLLECT_MP3;
  else
    return set_invalid_input (error, "audio: %s is neither raw audio nor MP3",
        gst_structure_get_name (s));

  if (collector->kind != COLLECT_NONE && collector->kind != kind
      && collector->data->len > 0)
    return set_invalid_input (error,
        "audio: the stream switched between raw audio and "
        "MP3; give one or the other");
  collector->kind = kind;
  return kind == COLLECT_MP3 || set_raw_caps (collector, caps, error);
}

static gboolean
push_raw (GstKlingAudioCollector * collector, GstBuffer * buffer,
    GError ** error)
{
  GstAudioBuffer in;
  gsize out_frames, old_len;
  gpointer out[1];
  gboolean ok;

  if (collector->segment.format == GST_FORMAT_TIME) {
    buffer =
        gst_audio_buffer_clip (gst_buffer_ref (buffer), &collector->segment,
        GST_AUDIO_INFO_RATE (&collector->in_info),
        GST_AUDIO_INFO_BPF (&collector->in_info));
    if (!buffer)
      return TRUE;              /* wholly outside the segment */
  } else {
    gst_buffer_ref (buffer);
  }
  if (!gst_audio_buffer_map (&in, &collector->in_info, buffer, GST_MAP_READ)) {
    gst_buffer_unref (buffer);
    return set_invalid_input (error, "audio: cannot read a buffer as %s",
        GST_AUDIO_INFO_NAME (&collector->in_info));
  }

  out_frames =
      gst_audio_converter_get_out_frames (collector->converter, in.n_samples);
  old_len = collector->data->len;
  g_byte_array_set_size (collector->data, old_len + out_frames * 2);
  out[0] = collector->data->data + old_len;
  ok = gst_audio_converter_samples (collector->converter, 0, in.planes,
      in.n_samples, out, out_frames);
  gst_audio_buffer_unmap (&in);
  gst_buffer_unref (buffer);
  if (!ok) {
    g_byte_array_set_size (collector->data, old_len);
    return set_invalid_input (error, "audio: conversion to mono 16-bit failed");
  }
  if (collector->data->len > MAX_PCM_BYTES + OUT_BYTES_PER_SECOND / 100)
    return set_invalid_input (error,
        "audio: longer than Kling's %.0f s limit; trim it "
        "before the element (or seek upstream with a stop position)",
        KLING_AUDIO_MAX_S);
  return TRUE;
}

static gboolean
push_mp3 (GstKlingAudioCollector * collector, GstBuffer * buffer,
    GError ** error)
{
  GstMapInfo map;

  if (!mp3_buffer_in_segment (collector, buffer))
    return TRUE;
  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return set_invalid_input (error, "audio: cannot read an MP3 buffer");
  if (collector->data->len + map.size > KLING_AUDIO_MAX_BYTES) {
    gst_buffer_unmap (buffer, &map);
    return set_invalid_input (error,
        "audio: the MP3 is larger than Kling's %d MB limit; "
        "use a lower bitrate or send raw audio",
        KLING_AUDIO_MAX_BYTES / (1024 * 1024));
  }
  g_byte_array_append (collector->data, map.data, map.size);
  gst_buffer_unmap (buffer, &map);

  if (GST_BUFFER_DURATION_IS_VALID (buffer))
    collector->mp3_duration += GST_BUFFER_DURATION (buffer);
  if (collector->mp3_duration >
      KLING_AUDIO_MAX_S * GST_SECOND + GST_SECOND / 10)
    return set_invalid_input (error,
        "audio: longer than Kling's %.0f s limit; trim it "
        "before the element", KLING_AUDIO_MAX_S);
  return TRUE;
}

gboolean
gst_kling_audio_collector_push (GstKlingAudioCollector * collector,
    GstBuffer * buffer, GError ** error)
{
  g_return_val_if_fail (collector != NULL, FALSE);
  g_return_val_if_fail (GST_IS_BUFFER (buffer), FALSE);

  switch (collector->kind) {
    case COLLECT_RAW:
      return push_raw (collector, buffer, error);
    case COLLECT_MP3:
      return push_mp3 (collector, buffer, error);
    case COLLECT_NONE:
    default:
      return set_invalid_input (error, "audio: a buffer came before its caps");
  }
}

gdouble
gst_kling_audio_collector_get_duration (GstKlingAudioCollector * collector)
{
  g_return_val_if_fail (collector != NULL, 0);

  if (collector->kind == COLLECT_RAW)
    return (gdouble) collector->data->len / OUT_BYTES_PER_SECOND;
  if (collector->kind == COLLECT_MP3)
    return (gdouble) collector->mp3_duration / GST_SECOND;
  return 0;
}

GBytes *
gst_kling_audio_collector_finish (GstKlingAudioCollector * collector,
    KlingAudioFormat * format, gdouble * duration_s, GError ** error)
{
  GBytes *file;

  g_return_val_if_fail (collector != NULL, NULL);

  if (collector->kind == COLLECT_NONE || collector->data->len == 0) {
    (void) set_invalid_input (error,
        "audio: the stream ended without any audio");
    gst_kling_audio_collector_reset (collector);
    return NULL;
  }
  if (collector->kind == COLLECT_RAW) {
    drain_converter (collector);
    /* Rounding in the resampler may leave a few samples over the limit. */
    if (collector->data->len > MAX_PCM_BYTES)
      g_byte_array_set_size (collector->data, MAX_PCM_BYTES);
    file = kling_audio_wav_new_s16le (g_steal_pointer (&collector->data),
        GST_KLING_AUDIO_RATE, GST_KLING_AUDIO_CHANNELS);
  } else {
    file = g_byte_array_free_to_bytes (g_steal_pointer (&collector->data));
  }
  collector->data = g_byte_array_new ();
  gst_kling_audio_collector_reset (collector);

  if (!kling_validate_audio (file, "audio", format, duration_s, error))
    g_clear_pointer (&file, g_bytes_unref);
  return file;
}
