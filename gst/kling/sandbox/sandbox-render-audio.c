/* kling-sandbox: the audio of the clips. Lip-sync audio is decoded to PCM, cut, placed
 * and padded in memory; the native sound of a sound "on" request is a tone. Either is
 * encoded to AAC and muxed next to the clip's H.264, so that it ends within one AAC frame
 * (23 ms) of the video.
 */
#include "sandbox-pipeline.h"
#include "sandbox-private.h"

#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#define AUDIO_RATE      44100
#define AUDIO_CHANNELS  2
#define AUDIO_FRAME     (AUDIO_CHANNELS * 2)    /* S16LE interleaved */
/* avenc_aac's priming: decoders put this many samples of silence first, and mp4mux
 * writes no edit list for them, so the encoder gets the track this much ahead. */
#define AAC_ENCODER_DELAY 1024
/* The native sound: a tone two octaves wide (220 Hz up, in semitones), picked by the
 * prompt, at a quarter of full scale, faded in and out over 10 ms. */
#define TONE_BASE_HZ    220.0
#define TONE_SEMITONES  24
#define TONE_LEVEL      (0.25 * G_MAXINT16)
#define TONE_FADE_S     0.010

/* ---- lip-sync ----------------------------------------------------------------------- */

/* Decodes any audio GStreamer reads into S16LE stereo at AUDIO_RATE. */
static GByteArray *
decode_audio (GBytes * audio, GError ** error)
{
  g_autofree gchar *description =
      g_strdup_printf ("appsrc name=src ! decodebin ! "
      "audioconvert ! audioresample ! audio/x-raw,format=S16LE,layout=interleaved,"
      "rate=%u,channels=%u ! appsink name=pcm sync=false", AUDIO_RATE,
      AUDIO_CHANNELS);
  GstElement *pipeline = sandbox_pipeline_launch (description, error);
  GByteArray *pcm;
  GstSample *sample;
  GstAppSink *sink;
  g_autoptr (GError) decode_error = NULL;

  if (pipeline == NULL)
    return NULL;
  sink = GST_APP_SINK (sandbox_pipeline_get (pipeline, "pcm"));
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  gst_app_src_push_buffer (GST_APP_SRC (sandbox_pipeline_get (pipeline, "src")),
      gst_buffer_new_wrapped_bytes (audio));
  gst_app_src_end_of_stream (GST_APP_SRC (sandbox_pipeline_get (pipeline,
              "src")));

  pcm = g_byte_array_new ();
  while ((sample =
          sandbox_pipeline_next_sample (pipeline, sink,
              &decode_error)) != NULL) {
    GstMapInfo map;
    GstBuffer *buffer = gst_sample_get_buffer (sample);

    if (gst_buffer_map (buffer, &map, GST_MAP_READ)) {
      g_byte_array_append (pcm, map.data, map.size);
      gst_buffer_unmap (buffer, &map);
    }
    gst_sample_unref (sample);
  }
  sandbox_pipeline_stop (pipeline);
  if (decode_error != NULL || pcm->len == 0) {
    g_set_error (error, SANDBOX_RENDER_ERROR, 0, "cannot decode the audio");
    g_byte_array_unref (pcm);
    return NULL;
  }
  return pcm;
}

/* A voice-like track for text mode: one short tone per letter, a pause per space, at a
 * pitch that follows the letters; voice_speed shortens the syllables. */
static GByteArray *
synthesize_voice (const gchar * text, gdouble speed)
{
  GByteArray *pcm = g_byte_array_new ();
  guint syllable = (guint) (AUDIO_RATE * 0.11 / MAX (speed, 0.1));

  for (const gchar * p = text; *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);
    gdouble freq = 140.0 + (c % 32) * 6.0;
    gboolean silent = g_unichar_isspace (c) || g_unichar_ispunct (c);

    for (guint i = 0; i < syllable; i++) {
      gdouble envelope = silent ? 0.0 : sin (G_PI * i / syllable);
      gint16 value =
          (gint16) (9000.0 * envelope * sin (2 * G_PI * freq * i / AUDIO_RATE));
      gint16 frame[AUDIO_CHANNELS] = { value, value };

      g_byte_array_append (pcm, (const guint8 *) frame, sizeof (frame));
    }
  }
  return pcm;
}

static gsize
ms_to_bytes (guint ms)
{
  return (gsize) ((guint64) ms * AUDIO_RATE / 1000) * AUDIO_FRAME;
}

/* The final track: silence of the video's length with [start, end) of @pcm placed at
 * the insert time and scaled by the volume; what does not fit is cut off. */
static GByteArray *
place_audio (const SandboxRenderSpec * spec, GByteArray * pcm, gdouble video_s)
{
  gsize total = (gsize) (video_s * AUDIO_RATE + 0.5) * AUDIO_FRAME;
  gsize start = MIN (ms_to_bytes (spec->audio_start_ms), pcm->len);
  gsize end = spec->audio_end_ms ? MIN (ms_to_bytes (spec->audio_end_ms),
      pcm->len) : pcm->len;
  gsize insert = MIN (ms_to_bytes (spec->audio_insert_ms), total);
  gsize n = end > start ? MIN (end - start, total - insert) : 0;
  GByteArray *track = g_byte_array_sized_new (total);
  gint16 *out;
  const gint16 *in;

  g_byte_array_set_size (track, total);
  memset (track->data, 0, total);
  out = (gint16 *) (track->data + insert);
  in = (const gint16 *) (pcm->data + start);
  for (gsize i = 0; i < n / 2; i++)
    out[i] =
        (gint16) CLAMP (in[i] * spec->audio_volume, G_MININT16, G_MAXINT16);
  return track;
}

static gboolean
mux_with_audio (const SandboxRenderSpec * spec, const gchar * video_path,
    GByteArray * track, GError ** error)
{
  g_autofree gchar *description =
      g_strdup_printf ("filesrc name=src ! qtdemux name=demux "
      "demux.video_0 ! queue ! h264parse ! mp4mux name=mux faststart=true ! "
      "filesink name=sink appsrc name=asrc format=time caps=\"audio/x-raw,format=S16LE,"
      "layout=interleaved,rate=%u,channels=%u\" ! audioconvert ! avenc_aac ! aacparse ! "
      "queue ! mux.", AUDIO_RATE, AUDIO_CHANNELS);
  GstElement *pipeline = sandbox_pipeline_launch (description, error);
  GstBuffer *buffer;
  gsize skip;
  gboolean ok;

  if (pipeline == NULL)
    return FALSE;
  g_object_set (sandbox_pipeline_get (pipeline, "src"), "location", video_path,
      NULL);
  g_object_set (sandbox_pipeline_get (pipeline, "sink"), "location",
      spec->output_path, NULL);
  if (gst_element_set_state (pipeline,
          GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, SANDBOX_RENDER_ERROR, 0,
        "cannot mux the source video (is it H.264?)");
    sandbox_pipeline_stop (pipeline);
    return FALSE;
  }
  skip = MIN (track->len, AAC_ENCODER_DELAY * AUDIO_FRAME);
  buffer = gst_buffer_new_memdup (track->data + skip, track->len - skip);
  GST_BUFFER_PTS (buffer) = 0;
  GST_BUFFER_DURATION (buffer) =
      gst_util_uint64_scale ((track->len - skip) / AUDIO_FRAME, GST_SECOND,
      AUDIO_RATE);
  gst_app_src_push_buffer (GST_APP_SRC (sandbox_pipeline_get (pipeline,
              "asrc")), buffer);
  gst_app_src_end_of_stream (GST_APP_SRC (sandbox_pipeline_get (pipeline,
              "asrc")));
  ok = sandbox_pipeline_wait_eos (pipeline, error);
  sandbox_pipeline_stop (pipeline);
  return ok;
}

/* Advanced lip-sync: a sound given by URL is checked now that its length is known, as a
 * base64 one was at create (and is not again: the decoded length can differ by a few
 * samples from the header's). */
static gboolean
sound_fits (const SandboxRenderSpec * spec, GByteArray * pcm, gdouble video_s,
    GError ** error)
{
  guint sound_ms =
      (guint) ((guint64) (pcm->len / AUDIO_FRAME) * 1000 / AUDIO_RATE);
  g_autofree gchar *problem = NULL;
  const gchar *field = NULL;

  if (!spec->audio_must_end_by_ms || spec->audio_url == NULL)
    return TRUE;
  problem =
      sandbox_sound_fit_problem (spec, sound_ms, spec->audio_must_end_by_ms,
      &field);
  if (problem == NULL)
    return TRUE;
  g_set_error (error, SANDBOX_RENDER_ERROR, 0, "%s %s", field, problem);
  return FALSE;
}

gboolean
sandbox_render_lipsync (SandboxRenderSpec * spec, gdouble * video_s,
    GError ** error)
{
  g_autoptr (GByteArray) pcm = NULL;
  g_autoptr (GByteArray) track = NULL;

  *video_s = sandbox_media_duration (spec->source_path, TRUE, &spec->width,
      &spec->height, &spec->fps, error);
  if (*video_s < 0)
    return FALSE;
  if (spec->speech_text) {
    pcm = synthesize_voice (spec->speech_text, spec->voice_speed);
  } else {
    pcm = decode_audio (spec->audio, error);
    if (pcm == NULL)
      return FALSE;
  }
  if (sandbox_render_cancelled (spec, error))
    return FALSE;
  if (!sound_fits (spec, pcm, *video_s, error))
    return FALSE;
  track = place_audio (spec, pcm, *video_s);
  return mux_with_audio (spec, spec->source_path, track, error);
}

/* ---- native sound ------------------------------------------------------------------- */

gdouble
sandbox_sound_pitch (const gchar * prompt)
{
  guint step = g_str_hash (prompt ? prompt : "") % TONE_SEMITONES;

  return TONE_BASE_HZ * pow (2.0, step / 12.0);
}

static GByteArray *
synthesize_tone (gdouble freq, gdouble seconds)
{
  gsize frames = (gsize) (seconds * AUDIO_RATE + 0.5);
  gsize fade = (gsize) (TONE_FADE_S * AUDIO_RATE);
  GByteArray *pcm = g_byte_array_sized_new (frames * AUDIO_FRAME);

  for (gsize i = 0; i < frames; i++) {
    gdouble envelope =
        MIN (1.0, MIN ((gdouble) i / fade, (gdouble) (frames - i) / fade));
    gint16 value =
        (gint16) (TONE_LEVEL * envelope * sin (2 * G_PI * freq * i /
            AUDIO_RATE));
    gint16 frame[AUDIO_CHANNELS] = { value, value };

    g_byte_array_append (pcm, (const guint8 *) frame, sizeof (frame));
  }
  return pcm;
}

gboolean
sandbox_render_add_sound (const SandboxRenderSpec * spec,
    const gchar * video_path, gdouble video_s, GError ** error)
{
  g_autoptr (GByteArray) track =
      synthesize_tone (sandbox_sound_pitch (spec->prompt), video_s);

  return mux_with_audio (spec, video_path, track, error);
}
