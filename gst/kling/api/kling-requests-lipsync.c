/* gst-kling: lip-sync request bodies and their input checks.
 *
 * The audio checks read the bytes themselves (WAV header, MP3 frame headers) instead of
 * trusting what the element was told upstream: the duration Kling measures is the
 * duration of the file it receives.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include "kling-requests-lipsync.h"
#include "kling-private.h"

/* A KLING_ERROR_INVALID_INPUT; evaluates to FALSE so checks read "return INVALID (...)". */
#define set_invalid_input(error, ...) \
  (g_propagate_error ((error), kling_error_new_full (KLING_ERROR_INVALID_INPUT, 0, -1, \
          NULL, NULL, NULL, __VA_ARGS__)), FALSE)

static guint32
read_u32_le (const guint8 * p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32)
      p[3] << 24;
}

static gboolean
is_set (const gchar * s)
{
  return s != NULL && *s != '\0';
}

const gchar *
kling_audio_format_to_string (KlingAudioFormat format)
{
  switch (format) {
    case KLING_AUDIO_FORMAT_WAV:
      return "wav";
    case KLING_AUDIO_FORMAT_MP3:
      return "mp3";
    case KLING_AUDIO_FORMAT_UNKNOWN:
    default:
      return "unknown";
  }
}

/* --- WAV ------------------------------------------------------------------------- */

#define WAV_FORMAT_PCM        0x0001
#define WAV_FORMAT_FLOAT      0x0003
#define WAV_FORMAT_EXTENSIBLE 0xFFFE

#define WAV_HEADER_BYTES 44

static void
write_u32_le (guint8 * p, guint32 value)
{
  p[0] = value & 0xFF;
  p[1] = (value >> 8) & 0xFF;
  p[2] = (value >> 16) & 0xFF;
  p[3] = value >> 24;
}

static void
write_u16_le (guint8 * p, guint16 value)
{
  p[0] = value & 0xFF;
  p[1] = value >> 8;
}

GBytes *
kling_audio_wav_new_s16le (GByteArray * pcm, guint rate, guint channels)
{
  guint8 header[WAV_HEADER_BYTES];
  guint32 data_bytes;

  g_return_val_if_fail (pcm != NULL && rate > 0 && channels > 0, NULL);
  g_return_val_if_fail (pcm->len <= G_MAXUINT32 - WAV_HEADER_BYTES, NULL);

  data_bytes = pcm->len;
  memcpy (header, "RIFF", 4);
  write_u32_le (header + 4, 36 + data_bytes);
  memcpy (header + 8, "WAVEfmt ", 8);
  write_u32_le (header + 16, 16);       /* fmt chunk size */
  write_u16_le (header + 20, WAV_FORMAT_PCM);
  write_u16_le (header + 22, channels);
  write_u32_le (header + 24, rate);
  write_u32_le (header + 28, rate * channels * 2);      /* byte rate */
  write_u16_le (header + 32, channels * 2);     /* block align */
  write_u16_le (header + 34, 16);       /* bits per sample */
  memcpy (header + 36, "data", 4);
  write_u32_le (header + 40, data_bytes);

  g_byte_array_prepend (pcm, header, WAV_HEADER_BYTES);
  return g_byte_array_free_to_bytes (pcm);
}

/* Walks the RIFF chunks for "fmt " and "data". A data chunk whose size runs past the
 * end of the file (streaming writers leave 0 or 0xFFFFFFFF there) counts up to the end. */
static gboolean
probe_wav (const guint8 * data, gsize size, gdouble * duration_s)
{
  guint32 byte_rate = 0;
  gsize pos = 12;

  if (size < 12 || memcmp (data, "RIFF", 4) != 0
      || memcmp (data + 8, "WAVE", 4) != 0)
    return FALSE;

  while (pos + 8 <= size) {
    const guint8 *chunk = data + pos;
    gsize chunk_size = read_u32_le (chunk + 4);
    gsize available = size - pos - 8;

    if (memcmp (chunk, "fmt ", 4) == 0) {
      guint16 format_tag, channels;

      if (chunk_size < 16 || available < 16)
        return FALSE;
      format_tag = chunk[8] | (chunk[9] << 8);
      channels = chunk[10] | (chunk[11] << 8);
      byte_rate = read_u32_le (chunk + 16);
      if ((format_tag != WAV_FORMAT_PCM && format_tag != WAV_FORMAT_FLOAT
              && format_tag != WAV_FORMAT_EXTENSIBLE) || channels == 0
          || byte_rate == 0)
        return FALSE;
    } else if (memcmp (chunk, "data", 4) == 0) {
      if (byte_rate == 0)
        return FALSE;           /* data before fmt: not a file we can read */
      *duration_s = (gdouble) MIN (chunk_size, available) / byte_rate;
      return TRUE;
    }
    if (chunk_size > available)
      return FALSE;
    pos += 8 + chunk_size + (chunk_size & 1);
  }
  return FALSE;
}

/* --- MP3 ------------------------------------------------------------------------- */

typedef struct
{
  guint version;                /* 1 = MPEG-1, 2 = MPEG-2, 25 = MPEG-2.5 */
  guint sample_rate;
  guint frame_bytes;
  guint samples;
  gboolean mono;
} Mp3Frame;

/* Layer III only: that is what "mp3" means to Kling. */
static gboolean
parse_mp3_header (const guint8 * h, Mp3Frame * frame)
{
  static const guint16 kbps_v1[16] =
      { 0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0 };
  static const guint16 kbps_v2[16] =
      { 0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0 };
  static const guint32 rates_v1[3] = { 44100, 48000, 32000 };
  guint version_bits, layer_bits, bitrate_index, rate_index, padding, kbps;

  if (h[0] != 0xFF || (h[1] & 0xE0) != 0xE0)
    return FALSE;
  version_bits = (h[1] >> 3) & 3;
  layer_bits = (h[1] >> 1) & 3;
  bitrate_index = h[2] >> 4;
  rate_index = (h[2] >> 2) & 3;
  padding = (h[2] >> 1) & 1;
  /* version 01 is reserved; layer 01 is layer III; bitrate 0 is "free format", whose
   * frame size cannot be read from the header. */
  if (version_bits == 1 || layer_bits != 1 || bitrate_index == 0
      || bitrate_index == 15 || rate_index == 3)
    return FALSE;

  frame->version = version_bits == 3 ? 1 : (version_bits == 2 ? 2 : 25);
  frame->sample_rate = rates_v1[rate_index] / (frame->version == 1 ? 1 :
      (frame->version == 2 ? 2 : 4));
  kbps = frame->version == 1 ? kbps_v1[bitrate_index] : kbps_v2[bitrate_index];
  frame->samples = frame->version == 1 ? 1152 : 576;
  frame->frame_bytes =
      (frame->samples / 8) * kbps * 1000 / frame->sample_rate + padding;
  frame->mono = (h[3] >> 6) == 3;
  return TRUE;
}

/* A frame at @pos that fits in the data. Once in sync, a valid header of the same
 * stream is enough; to (re)gain sync the next frame's header must confirm it (or the
 * data end right there), as a lone 0xFFE sync pattern is too common in noise. */
static gboolean
mp3_frame_at (const guint8 * data, gsize size, gsize pos, guint synced_rate,
    Mp3Frame * frame)
{
  Mp3Frame next;
  gsize next_pos;

  if (pos + 4 > size || !parse_mp3_header (data + pos, frame))
    return FALSE;
  next_pos = pos + frame->frame_bytes;
  if (next_pos > size)
    return FALSE;
  if (synced_rate != 0)
    return frame->sample_rate == synced_rate;
  if (next_pos + 4 > size)
    return TRUE;
  return parse_mp3_header (data + next_pos, &next)
      && next.version == frame->version
      && next.sample_rate == frame->sample_rate;
}

/* The encoder's Xing/Info (or VBRI) frame carries no audio for players. */
static gboolean
mp3_is_info_frame (const guint8 * data, const Mp3Frame * frame)
{
  gsize side_info =
      frame->version == 1 ? (frame->mono ? 17 : 32) : (frame->mono ? 9 : 17);
  const guint8 *tag = data + 4 + side_info;

  if (4 + side_info + 4 <= frame->frame_bytes
      && (memcmp (tag, "Xing", 4) == 0 || memcmp (tag, "Info", 4) == 0))
    return TRUE;
  return 36 + 4 <= frame->frame_bytes && memcmp (data + 36, "VBRI", 4) == 0;
}

static gsize
id3v2_size (const guint8 * data, gsize size)
{
  gsize tag;

  if (size < 10 || memcmp (data, "ID3", 3) != 0)
    return 0;
  tag = 10 + (((gsize) data[6] & 0x7F) << 21 | (data[7] & 0x7F) << 14 |
      (data[8] & 0x7F) << 7 | (data[9] & 0x7F));
  if (data[5] & 0x10)
    tag += 10;                  /* footer */
  return MIN (tag, size);
}

/* Where the first frame must start, at the latest, after any ID3v2 tag. */
#define MP3_MAX_LEADING_JUNK 4096

static gboolean
probe_mp3 (const guint8 * data, gsize size, gdouble * duration_s)
{
  gsize pos = id3v2_size (data, size);
  gsize first_limit = pos + MP3_MAX_LEADING_JUNK;
  guint64 samples = 0;
  guint sample_rate = 0;        /* of the stream, once found */
  guint synced_rate = 0;        /* 0 while looking for sync */

  while (pos + 4 <= size) {
    Mp3Frame frame;

    if (!mp3_frame_at (data, size, pos, synced_rate, &frame)
        || (sample_rate != 0 && frame.sample_rate != sample_rate)) {
      if (sample_rate == 0 && pos >= first_limit)
        return FALSE;
      synced_rate = 0;
      pos++;                    /* resynchronise over junk (or an ID3v1 tag) */
      continue;
    }
    if (!(sample_rate == 0 && mp3_is_info_frame (data + pos, &frame)))
      samples += frame.samples;
    sample_rate = synced_rate = frame.sample_rate;
    pos += frame.frame_bytes;
  }
  if (sample_rate == 0)
    return FALSE;
  *duration_s = (gdouble) samples / sample_rate;
  return TRUE;
}

gboolean
kling_audio_probe (GBytes * audio, KlingAudioFormat * format,
    gdouble * duration_s)
{
  gsize size;
  const guint8 *data;
  gdouble duration = 0;
  KlingAudioFormat found = KLING_AUDIO_FORMAT_UNKNOWN;

  g_return_val_if_fail (audio != NULL, FALSE);

  data = g_bytes_get_data (audio, &size);
  if (size >= 4 && memcmp (data, "RIFF", 4) == 0) {
    if (probe_wav (data, size, &duration))
      found = KLING_AUDIO_FORMAT_WAV;
  } else if (probe_mp3 (data, size, &duration)) {
    found = KLING_AUDIO_FORMAT_MP3;
  }
  if (format)
    *format = found;
  if (duration_s)
    *duration_s = duration;
  return found != KLING_AUDIO_FORMAT_UNKNOWN;
}

gboolean
kling_validate_audio (GBytes * audio, const gchar * field,
    KlingAudioFormat * format, gdouble * duration_s, GError ** error)
{
  KlingAudioFormat found;
  gdouble duration;
  gsize size;

  g_return_val_if_fail (audio != NULL, FALSE);

  size = g_bytes_get_size (audio);
  if (size > KLING_AUDIO_MAX_BYTES)
    return set_invalid_input (error,
        "%s: %" G_GSIZE_FORMAT " bytes is more than Kling's " "%d MB limit",
        field, size, KLING_AUDIO_MAX_BYTES / (1024 * 1024));
  if (!kling_audio_probe (audio, &found, &duration))
    return set_invalid_input (error, "%s: not WAV or MP3 audio", field);
  if (duration < KLING_AUDIO_MIN_S || duration > KLING_AUDIO_MAX_S)
    return set_invalid_input (error,
        "%s: %.2f s of audio, Kling takes %.0f to %.0f s", field, duration,
        KLING_AUDIO_MIN_S, KLING_AUDIO_MAX_S);
  if (format)
    *format = found;
  if (duration_s)
    *duration_s = duration;
  return TRUE;
}

gboolean
kling_validate_voice_language (const gchar * language, GError ** error)
{
  if (g_strcmp0 (language, "zh") == 0 || g_strcmp0 (language, "en") == 0)
    return TRUE;
  return set_invalid_input (error,
      "voice_language: \"%s\" is not \"zh\" or \"en\"",
      language ? language : "");
}

gboolean
kling_validate_voice_speed (gdouble speed, GError ** error)
{
  /* The range is inclusive; a little slack absorbs 0.8 typed as a float. */
  if (speed >= KLING_VOICE_SPEED_MIN - 1e-9
      && speed <= KLING_VOICE_SPEED_MAX + 1e-9)
    return TRUE;
  return set_invalid_input (error, "voice_speed: %.2f is outside %.1f .. %.1f",
      speed, KLING_VOICE_SPEED_MIN, KLING_VOICE_SPEED_MAX);
}

gboolean
kling_validate_video_source (const gchar * video_id, const gchar * video_url,
    GError ** error)
{
  if (is_set (video_id) && is_set (video_url))
    return set_invalid_input (error,
        "video_id and video_url are both set: give one clip");
  if (!is_set (video_id) && !is_set (video_url))
    return set_invalid_input (error,
        "no video_id or video_url: which clip to lip-sync?");
  return TRUE;
}

/* --- request bodies ---------------------------------------------------------------- */

static void
set_video_source (JsonObject * object, const gchar * video_id,
    const gchar * video_url)
{
  if (is_set (video_id))
    json_object_set_string_member (object, "video_id", video_id);
  else
    json_object_set_string_member (object, "video_url", video_url);
}

/* Sets @member to the audio: base64 in a body; in a summary (sidecar, logs) a
 * description instead of the bytes. */
static void
set_audio_member (JsonObject * object, const gchar * member, GBytes * audio,
    gboolean summary)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (audio, &size);
  JsonObject *description;
  KlingAudioFormat format;
  gdouble duration_s;
  gchar *text;

  if (!summary) {
    text = g_base64_encode (data, size);
    json_object_set_string_member (object, member, text);
    g_free (text);
    return;
  }
  kling_audio_probe (audio, &format, &duration_s);
  description = json_object_new ();
  text = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, audio);
  json_object_set_int_member (description, "bytes", size);
  json_object_set_string_member (description, "format",
      kling_audio_format_to_string (format));
  json_object_set_double_member (description, "duration_s", duration_s);
  json_object_set_string_member (description, "sha256", text);
  json_object_set_object_member (object, member, description);
  g_free (text);
}

static gboolean
validate_lip_sync_audio (const KlingLipSyncParams * params, GError ** error)
{
  if (params->audio != NULL && is_set (params->audio_url))
    return set_invalid_input (error,
        "audio_file and audio_url are both set: give one");
  if (params->audio == NULL && !is_set (params->audio_url))
    return set_invalid_input (error,
        "no audio_file or audio_url for audio2video");
  return params->audio == NULL
      || kling_validate_audio (params->audio, "audio_file", NULL, NULL, error);
}

static gboolean
validate_lip_sync_text (const KlingLipSyncParams * params, GError ** error)
{
  if (!is_set (params->text))
    return set_invalid_input (error,
        "text: empty; text2video needs something to say");
  if (!kling_validate_text (params->text, "text", KLING_LIPSYNC_TEXT_MAX_CHARS,
          error))
    return FALSE;
  if (!is_set (params->voice_id))
    return set_invalid_input (error,
        "voice_id: empty; text2video needs a voice");
  return kling_validate_voice_language (params->voice_language, error)
      && kling_validate_voice_speed (params->voice_speed, error);
}

static void
set_lip_sync_audio (const KlingLipSyncParams * params, JsonObject * input,
    gboolean summary)
{
  json_object_set_string_member (input, "mode", "audio2video");
  if (params->audio == NULL) {
    json_object_set_string_member (input, "audio_type", "url");
    json_object_set_string_member (input, "audio_url", params->audio_url);
  } else {
    json_object_set_string_member (input, "audio_type", "file");
    set_audio_member (input, "audio_file", params->audio, summary);
  }
}

static void
set_lip_sync_text (const KlingLipSyncParams * params, JsonObject * input)
{
  json_object_set_string_member (input, "mode", "text2video");
  json_object_set_string_member (input, "text", params->text);
  json_object_set_string_member (input, "voice_id", params->voice_id);
  json_object_set_string_member (input, "voice_language",
      params->voice_language);
  json_object_set_double_member (input, "voice_speed", params->voice_speed);
}

/* The body of a checked request; or, with @summary, the same without the audio bytes. */
static JsonNode *
lip_sync_body_new (const KlingLipSyncParams * params, gboolean summary)
{
  JsonObject *input = json_object_new (), *body = json_object_new ();

  set_video_source (input, params->video_id, params->video_url);
  if (params->mode == KLING_LIP_SYNC_TEXT2VIDEO)
    set_lip_sync_text (params, input);
  else
    set_lip_sync_audio (params, input, summary);
  json_object_set_object_member (body, "input", input);
  if (is_set (params->callback_url))
    json_object_set_string_member (body, "callback_url", params->callback_url);
  return kling_json_node_take_object (body);
}

gboolean
kling_lip_sync_validate_voice (const KlingLipSyncParams * params,
    GError ** error)
{
  g_return_val_if_fail (params != NULL, FALSE);

  if (params->mode == KLING_LIP_SYNC_TEXT2VIDEO)
    return validate_lip_sync_text (params, error);
  return validate_lip_sync_audio (params, error);
}

KlingRequest *
kling_lip_sync_request_new (const KlingLipSyncParams * params, GError ** error)
{
  g_return_val_if_fail (params != NULL, NULL);

  if (!kling_validate_video_source (params->video_id, params->video_url, error)
      || !kling_lip_sync_validate_voice (params, error))
    return NULL;
  return kling_request_new (KLING_ENDPOINT_LIP_SYNC, lip_sync_body_new (params,
          FALSE), lip_sync_body_new (params, TRUE));
}

JsonNode *
kling_identify_face_body_new (const gchar * video_id, const gchar * video_url,
    GError ** error)
{
  JsonObject *body;

  if (!kling_validate_video_source (video_id, video_url, error))
    return NULL;
  body = json_object_new ();
  set_video_source (body, video_id, video_url);
  return kling_json_node_take_object (body);
}

/* --- identify-face answer ----------------------------------------------------------- */

static gboolean
set_protocol_error (GError ** error, const gchar * what)
{
  g_propagate_error (error, kling_error_new_full (KLING_ERROR_PROTOCOL, 0, -1,
          NULL, NULL, NULL, "identify-face answer: %s", what));
  return FALSE;
}

/* The longest a face can be on screen: far beyond any clip Kling lip-syncs (10 s), and
 * small enough that every time converts to gint64 exactly. */
#define MAX_FACE_TIME_MS (24.0 * 3600 * 1000)

/* Numbers, or strings holding one (liberal in what we read); absent is 0. FALSE for a time
 * no clip can have (negative, NaN, days long): converting it would be undefined. */
static gboolean
read_time_ms (JsonObject * object, const gchar * name, gint64 * time_ms)
{
  gdouble value;

  *time_ms = 0;
  if (!kling_json_get_double (object, name, &value))
    return TRUE;
  if (!(value >= 0 && value <= MAX_FACE_TIME_MS))
    return FALSE;
  *time_ms = (gint64) value;
  return TRUE;
}

static gchar *
dup_id (JsonNode * node)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  if (json_node_get_value_type (node) == G_TYPE_STRING)
    return is_set (json_node_get_string (node)) ?
        g_strdup (json_node_get_string (node)) : NULL;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  return NULL;
}

static void
kling_face_free (KlingFace * face)
{
  g_free (face->face_id);
  g_free (face->face_image);
  g_free (face);
}

static KlingFace *
face_new_from_json (JsonNode * node, GError ** error)
{
  JsonObject *object;
  KlingFace *face;

  if (!JSON_NODE_HOLDS_OBJECT (node)) {
    set_protocol_error (error, "face_data entry is not an object");
    return NULL;
  }
  object = json_node_get_object (node);
  face = g_new0 (KlingFace, 1);
  face->face_id = dup_id (json_object_get_member (object, "face_id"));
  face->face_image = g_strdup (kling_json_get_string (object, "face_image"));
  if (face->face_id == NULL) {
    kling_face_free (face);
    set_protocol_error (error, "face_data entry without face_id");
    return NULL;
  }
  if (!read_time_ms (object, "start_time", &face->start_time_ms) ||
      !read_time_ms (object, "end_time", &face->end_time_ms)) {
    kling_face_free (face);
    set_protocol_error (error,
        "face_data entry with a start_time or end_time that is "
        "negative or not a time");
    return NULL;
  }
  return face;
}

KlingFaceSession *
kling_face_session_new_from_json (JsonNode * data, GError ** error)
{
  g_autoptr (KlingFaceSession) session = NULL;
  JsonObject *object;
  JsonNode *faces;
  JsonArray *array;
  guint i;

  if (data == NULL || !JSON_NODE_HOLDS_OBJECT (data)) {
    set_protocol_error (error, "data is not an object");
    return NULL;
  }
  object = json_node_get_object (data);
  session = g_new0 (KlingFaceSession, 1);
  session->faces =
      g_ptr_array_new_with_free_func ((GDestroyNotify) kling_face_free);
  session->session_id = dup_id (json_object_get_member (object, "session_id"));
  if (session->session_id == NULL) {
    set_protocol_error (error, "no session_id");
    return NULL;
  }

  faces = json_object_get_member (object, "face_data");
  if (faces != NULL && !JSON_NODE_HOLDS_NULL (faces)
      && !JSON_NODE_HOLDS_ARRAY (faces)) {
    set_protocol_error (error, "face_data is not an array");
    return NULL;
  }
  array = faces
      && JSON_NODE_HOLDS_ARRAY (faces) ? json_node_get_array (faces) : NULL;
  for (i = 0; array != NULL && i < json_array_get_length (array); i++) {
    KlingFace *face =
        face_new_from_json (json_array_get_element (array, i), error);

    if (face == NULL)
      return NULL;
    g_ptr_array_add (session->faces, face);
  }
  if (session->faces->len == 0) {
    (void) set_invalid_input (error,
        "no face found in the video: advanced lip-sync " "needs one");
    return NULL;
  }
  return g_steal_pointer (&session);
}

void
kling_face_session_free (KlingFaceSession * session)
{
  if (session == NULL)
    return;
  g_free (session->session_id);
  g_ptr_array_unref (session->faces);
  g_free (session);
}

/* --- advanced lip-sync ---------------------------------------------------------------- */

static gboolean
validate_volume (gdouble volume, const gchar * field, GError ** error)
{
  if (volume >= 0 && volume <= KLING_SOUND_VOLUME_MAX)
    return TRUE;
  return set_invalid_input (error, "%s: %.2f is outside 0 .. %.0f", field,
      volume, KLING_SOUND_VOLUME_MAX);
}

/* The sound's length in ms, from the bytes or from the caller for a URL. */
static gboolean
advanced_sound_duration_ms (const KlingAdvancedLipSyncParams * params,
    gint64 * sound_ms, GError ** error)
{
  gdouble duration_s = params->sound_duration_s;

  if (params->sound != NULL && is_set (params->sound_url))
    return set_invalid_input (error,
        "sound_file: both bytes and a URL given: give one");
  if (params->sound != NULL) {
    if (!kling_validate_audio (params->sound, "sound_file", NULL, &duration_s,
            error))
      return FALSE;
  } else if (!is_set (params->sound_url)) {
    return set_invalid_input (error,
        "sound_file: no audio for advanced lip-sync");
  } else if (duration_s < KLING_AUDIO_MIN_S || duration_s > KLING_AUDIO_MAX_S) {
    return set_invalid_input (error,
        "sound_file: %.2f s of audio, Kling takes %.0f to " "%.0f s",
        duration_s, KLING_AUDIO_MIN_S, KLING_AUDIO_MAX_S);
  }
  *sound_ms = (gint64) (duration_s * 1000.0 + 0.5);
  return TRUE;
}

static JsonNode *
advanced_body_new (const KlingAdvancedLipSyncParams * params, gint64 insert_ms,
    gint64 sound_end_ms, gboolean summary)
{
  JsonObject *body = json_object_new (), *choice = json_object_new ();
  JsonArray *faces = json_array_new ();

  json_object_set_string_member (choice, "face_id", params->face->face_id);
  if (params->sound)
    set_audio_member (choice, "sound_file", params->sound, summary);
  else
    json_object_set_string_member (choice, "sound_file", params->sound_url);
  json_object_set_int_member (choice, "sound_start_time", 0);
  json_object_set_int_member (choice, "sound_end_time", sound_end_ms);
  json_object_set_int_member (choice, "sound_insert_time", insert_ms);
  json_object_set_double_member (choice, "sound_volume", params->sound_volume);
  json_object_set_double_member (choice, "original_audio_volume",
      params->original_audio_volume);
  json_array_add_object_element (faces, choice);

  json_object_set_string_member (body, "session_id", params->session_id);
  json_object_set_array_member (body, "face_choose", faces);
  if (is_set (params->callback_url))
    json_object_set_string_member (body, "callback_url", params->callback_url);
  return kling_json_node_take_object (body);
}

gboolean
kling_lip_sync_face_window_ms (const KlingFace * face, gdouble video_duration_s,
    gint64 * start_ms, gint64 * end_ms)
{
  gint64 start, end;

  g_return_val_if_fail (face != NULL, FALSE);

  start = MAX (face->start_time_ms, 0);
  if (video_duration_s > 0)
    /* The epsilon keeps 2.01 s at 2010 ms although 2.01 * 1000 is 2009.999... in binary. */
    end =
        MIN (face->end_time_ms,
        (gint64) floor (video_duration_s * 1000.0 + 1e-6));
  else
    end = face->end_time_ms / 1000 * 1000;
  *start_ms = start;
  *end_ms = MAX (end, start);
  return end > start;
}

KlingRequest *
kling_advanced_lip_sync_request_new (const KlingAdvancedLipSyncParams * params,
    GError ** error)
{
  gint64 sound_ms, window_start, window_end, sound_end_ms;

  g_return_val_if_fail (params != NULL, NULL);

  if (!is_set (params->session_id)) {
    (void) set_invalid_input (error,
        "session_id: empty; run identify-face first");
    return NULL;
  }
  if (params->face == NULL || !is_set (params->face->face_id)) {
    (void) set_invalid_input (error, "face_id: no face chosen");
    return NULL;
  }
  if (!validate_volume (params->sound_volume, "sound_volume", error)
      || !validate_volume (params->original_audio_volume,
          "original_audio_volume", error)
      || !advanced_sound_duration_ms (params, &sound_ms, error))
    return NULL;

  kling_lip_sync_face_window_ms (params->face, params->video_duration_s,
      &window_start, &window_end);
  sound_end_ms = MIN (sound_ms, window_end - window_start);
  if (sound_end_ms < (gint64) (KLING_AUDIO_MIN_S * 1000)) {
    (void) set_invalid_input (error,
        "face %s is visible for %" G_GINT64_FORMAT " ms of the "
        "video: Kling needs %.0f s of speech over a face",
        params->face->face_id, window_end - window_start, KLING_AUDIO_MIN_S);
    return NULL;
  }
  return kling_request_new (KLING_ENDPOINT_ADVANCED_LIP_SYNC,
      advanced_body_new (params, window_start, sound_end_ms, FALSE),
      advanced_body_new (params, window_start, sound_end_ms, TRUE));
}
