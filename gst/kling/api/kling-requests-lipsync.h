/* gst-kling: lip-sync request bodies (one-step lip-sync, identify-face, advanced
 * lip-sync) and the checks Kling applies to their audio, text and voice fields.
 *
 * Everything here runs before a request is sent: a bad input is a
 * KLING_ERROR_INVALID_INPUT naming the field, so no money is spent on it.
 */
#pragma once

#include <glib.h>
#include "kling-client.h"
#include "kling-requests.h"

G_BEGIN_DECLS

typedef enum {
  KLING_AUDIO_FORMAT_UNKNOWN,
  KLING_AUDIO_FORMAT_WAV,     /* RIFF/WAVE, PCM or float */
  KLING_AUDIO_FORMAT_MP3,     /* MPEG-1/2/2.5 layer III, optional ID3v2 in front */
} KlingAudioFormat;

/* "wav", "mp3" or "unknown". */
const gchar *kling_audio_format_to_string (KlingAudioFormat format);

/* A WAV file (44-byte RIFF header + the samples) of 16-bit little-endian PCM,
 * interleaved when @channels > 1. Takes @pcm. */
GBytes  *kling_audio_wav_new_s16le (GByteArray *pcm, guint rate, guint channels);

/* Reads the format and the playing time from the bytes themselves: the WAV header
 * (fmt and data chunks) or, for MP3, by walking every frame header (a Xing/Info
 * frame is not counted). FALSE when the bytes are neither. */
gboolean kling_audio_probe (GBytes *audio, KlingAudioFormat *format, gdouble *duration_s);

/* WAV or MP3, <= KLING_AUDIO_MAX_BYTES, KLING_AUDIO_MIN_S .. KLING_AUDIO_MAX_S long.
 * KLING_ERROR_INVALID_INPUT naming @field otherwise. On success the probed format and
 * duration are returned through the optional out arguments. */
gboolean kling_validate_audio (GBytes *audio, const gchar *field,
                               KlingAudioFormat *format, gdouble *duration_s,
                               GError **error);

/* "zh" or "en". */
gboolean kling_validate_voice_language (const gchar *language, GError **error);
/* KLING_VOICE_SPEED_MIN .. KLING_VOICE_SPEED_MAX. */
gboolean kling_validate_voice_speed    (gdouble speed, GError **error);
/* Exactly one of the two is set (non-empty): the clip to lip-sync. */
gboolean kling_validate_video_source   (const gchar *video_id, const gchar *video_url,
                                        GError **error);

typedef enum {
  KLING_LIP_SYNC_AUDIO2VIDEO,   /* the voice comes from an audio file */
  KLING_LIP_SYNC_TEXT2VIDEO,    /* Kling speaks @text with a stock voice */
} KlingLipSyncMode;

typedef struct {
  /* The clip: a Kling video id (last 30 days) or a URL Kling fetches; exactly one. */
  const gchar *video_id;
  const gchar *video_url;
  KlingLipSyncMode mode;
  /* audio2video: WAV or MP3 bytes (sent base64, audio_type "file"), or a URL
   * (audio_type "url"); exactly one. */
  GBytes *audio;
  const gchar *audio_url;
  /* text2video */
  const gchar *text;             /* 1..KLING_LIPSYNC_TEXT_MAX_CHARS characters */
  const gchar *voice_id;         /* a Kling voice, e.g. "oversea_male1" */
  const gchar *voice_language;   /* "zh" or "en" */
  gdouble voice_speed;           /* 0.8 .. 2.0 */
  const gchar *callback_url;     /* may be NULL */
} KlingLipSyncParams;

/* Checks the voice half of @params (the audio, or the text and voice fields), not the
 * video: what can be checked before the video is known. */
gboolean      kling_lip_sync_validate_voice (const KlingLipSyncParams *params,
                                             GError **error);

/* POST /v1/videos/lip-sync:
 * {"input": {"video_id"|"video_url", "mode", "audio_type", "audio_file"|"audio_url"}}
 * or {"input": {"video_id"|"video_url", "mode", "text", "voice_id", "voice_language",
 * "voice_speed"}}, plus "callback_url" when set. The summary carries the size, format,
 * duration and SHA-256 of the audio instead of its bytes. This body has no
 * external_task_id field at all (kling_endpoint_takes_external_id() is FALSE for it). */
KlingRequest *kling_lip_sync_request_new (const KlingLipSyncParams *params,
                                          GError **error);

/* POST /v1/videos/identify-face: {"video_id": ...} or {"video_url": ...}. Not a task:
 * send it with kling_client_call(). */
JsonNode     *kling_identify_face_body_new (const gchar *video_id, const gchar *video_url,
                                            GError **error);

typedef struct {
  gchar *face_id;
  gchar *face_image;     /* a URL of the face thumbnail; may be NULL */
  gint64 start_time_ms;  /* when the face is visible in the clip */
  gint64 end_time_ms;
} KlingFace;

typedef struct {
  gchar *session_id;
  GPtrArray *faces;      /* of KlingFace, in the order Kling listed them */
} KlingFaceSession;

/* Reads the "data" of an identify-face answer. A missing session_id, or a face without
 * face_id, is a KLING_ERROR_PROTOCOL; an empty face list is KLING_ERROR_INVALID_INPUT
 * ("no face found in the video"). Unknown fields are ignored. */
KlingFaceSession *kling_face_session_new_from_json (JsonNode *data, GError **error);
void              kling_face_session_free          (KlingFaceSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KlingFaceSession, kling_face_session_free)

#define KLING_SOUND_VOLUME_DEFAULT 1.0   /* Kling's defaults, range 0..2 */
#define KLING_SOUND_VOLUME_MAX     2.0

typedef struct {
  const gchar *session_id;
  const KlingFace *face;         /* the face to animate */
  GBytes *sound;                 /* WAV or MP3 bytes; or */
  const gchar *sound_url;
  /* Length of the sound (needed with @sound_url, which cannot be probed; ignored with
   * @sound, whose duration is read from the bytes). */
  gdouble sound_duration_s;
  gdouble sound_volume;          /* 0..2 */
  gdouble original_audio_volume; /* 0..2 */
  const gchar *callback_url;     /* may be NULL */
  /* Since 0.2: the real length of the video being lip-synced, in seconds: the
   * video_duration_s of the task that made it, or the probed length of a video_url. 0 when
   * unknown (see kling_lip_sync_face_window_ms()). */
  gdouble video_duration_s;
} KlingAdvancedLipSyncParams;

/* Where in the video the sound may go, in ms: from the face's start_time to the earlier
 * of its end_time and the video's end. identify-face overstates end_time (Kling's own
 * example gives 5200 ms for a 5 s video), so the video's end is what bounds the sound:
 * - @video_duration_s > 0: the window ends at most at that length (whole ms, rounded down);
 * - 0 (unknown): at end_time rounded down to a whole second. Kling renders whole seconds
 *   and the overstatement it documents is a fraction of one, so this never ends after the
 *   video; a video_url of another length may lose up to a second of face.
 * FALSE when the window is empty (the face starts at or after the video's end). */
gboolean      kling_lip_sync_face_window_ms (const KlingFace *face, gdouble video_duration_s,
                                             gint64 *start_ms, gint64 *end_ms);

/* POST /v1/videos/advanced-lip-sync: {"session_id", "face_choose": [{"face_id",
 * "sound_file", "sound_start_time", "sound_end_time", "sound_insert_time", "sound_volume",
 * "original_audio_volume"}]}. The sound is inserted where the face appears
 * (sound_insert_time = the window's start) and cut to the face's window in the video
 * (kling_lip_sync_face_window_ms()): sound that outlasts it is trimmed, never refused, and
 * never ends after the video; less than KLING_AUDIO_MIN_S of overlap is an error. Times are
 * whole milliseconds. The body has no external_task_id: the job adds one where the
 * endpoint takes it (kling_endpoint_takes_external_id()). */
KlingRequest *kling_advanced_lip_sync_request_new (const KlingAdvancedLipSyncParams *params,
                                                   GError **error);

G_END_DECLS
