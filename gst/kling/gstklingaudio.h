/* gst-kling: collects an audio stream into one file Kling accepts.
 *
 * Raw audio (any format, rate, channel count and layout) is converted to mono 16-bit
 * 16 kHz and written as WAV: 32 000 bytes a second, so Kling's 60 s limit stays far
 * under its 5 MB limit (1.92 MB). MP3 (audio/mpeg, layer 3) is kept as it is; its
 * duration is read from its frames when the stream ends.
 *
 * Limits are checked while the audio arrives (over 60 s or 5 MB fails at once, without
 * buffering the rest) and when it ends (under 2 s). Raw audio up to 10 ms over 60 s
 * (resampler rounding, a "60 s" file cut a frame long) is trimmed to 60 s, not refused. Every failure is a
 * KLING_ERROR_INVALID_INPUT whose message says what was wrong.
 */
#pragma once

#include <gst/gst.h>
#include <gst/audio/audio.h>
#include "kling-requests-lipsync.h"

G_BEGIN_DECLS

/* What raw audio is converted to before it is written as WAV. */
#define GST_KLING_AUDIO_RATE     16000
#define GST_KLING_AUDIO_CHANNELS 1

/* The caps the collector takes. */
#define GST_KLING_AUDIO_CAPS \
    "audio/x-raw, format = (string) " GST_AUDIO_FORMATS_ALL ", " \
    "rate = (int) [ 1, MAX ], channels = (int) [ 1, MAX ], " \
    "layout = (string) { interleaved, non-interleaved }; " \
    "audio/mpeg, mpegversion = (int) 1, layer = (int) 3"

typedef struct _GstKlingAudioCollector GstKlingAudioCollector;

/* Registers the "klingaudio" debug category: the plugin's init does, and a program that
 * collects audio without the plugin (tests/unit/test-requests-lipsync.c) calls it first. */
void                    gst_kling_audio_init_debug         (void);

GstKlingAudioCollector *gst_kling_audio_collector_new      (void);
void                    gst_kling_audio_collector_free     (GstKlingAudioCollector *collector);

/* Forgets everything collected (a flush, or a new run). */
void     gst_kling_audio_collector_reset    (GstKlingAudioCollector *collector);

/* The stream's format; may change between buffers (raw formats may be mixed, raw and
 * MP3 may not). */
gboolean gst_kling_audio_collector_set_caps (GstKlingAudioCollector *collector,
                                             GstCaps *caps, GError **error);

/* The segment of the buffers that follow: raw audio outside it is clipped away, MP3
 * frames wholly outside it are dropped, so a segment seek upstream trims the voice. */
void     gst_kling_audio_collector_set_segment (GstKlingAudioCollector *collector,
                                                const GstSegment *segment);

/* Appends @buffer (not taken). Fails as soon as the audio is longer than
 * KLING_AUDIO_MAX_S or larger than KLING_AUDIO_MAX_BYTES. */
gboolean gst_kling_audio_collector_push     (GstKlingAudioCollector *collector,
                                             GstBuffer *buffer, GError **error);

/* Seconds collected so far (for MP3: from the buffer durations, when known; for raw
 * audio without the few milliseconds the resampler holds until the end). */
gdouble  gst_kling_audio_collector_get_duration (GstKlingAudioCollector *collector);

/* At EOS: the WAV or MP3 file, checked with kling_validate_audio(); the collector is
 * reset. @format and @duration_s are optional. */
GBytes  *gst_kling_audio_collector_finish   (GstKlingAudioCollector *collector,
                                             KlingAudioFormat *format, gdouble *duration_s,
                                             GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstKlingAudioCollector, gst_kling_audio_collector_free)

G_END_DECLS
