/* kling-sandbox: the create bodies of lip-sync, identify-face's source video and
 * advanced-lip-sync, read and checked like Kling, turned into the render that will answer
 * them. */
#include "sandbox-private.h"

#include <glib/gstdio.h>

#define LIPSYNC_TEXT_MAX      120
#define SOURCE_VIDEO_MAX_BYTES (100 * 1024 * 1024)
#define SOURCE_VIDEO_MIN_S    2.0
#define SOURCE_VIDEO_MAX_S    10.0
/* A source video by URL is fetched while the create waits, on the HTTP thread: other
 * requests wait too, so not for long. */
#define SOURCE_FETCH_TIMEOUT_S 5
/* Kling's advanced lip-sync wants at least 2 s of sound over the face. */
#define MIN_SOUND_MS          2000
/* How much later than the video's end identify-face says the face ends. */
#define FACE_END_OVERSTATED_MS 200

/* video_id (a video this sandbox made) or video_url (fetched when on loopback). */
static SandboxVideo *
fetch_source_video (KlingSandbox * sandbox, const gchar * field,
    const gchar * url, SandboxResponse * resp)
{
  g_autofree gchar *id = sandbox_new_id ("source-");
  g_autofree gchar *name = g_strconcat (id, ".mp4", NULL);
  g_autofree gchar *path = g_build_filename (sandbox->tmp_dir, name, NULL);
  g_autoptr (GError) error = NULL;
  SandboxVideo *video;
  gdouble seconds;
  guint width = 0, height = 0, fps = 0;

  if (!sandbox_fetch_to_file (url, path, SOURCE_VIDEO_MAX_BYTES,
          SOURCE_FETCH_TIMEOUT_S, &error)) {
    g_unlink (path);
    sandbox_response_error (resp, 400, 1201,
        "Invalid parameter %s: the video cannot be " "fetched (%s)", field,
        error->message);
    return NULL;
  }
  seconds = sandbox_media_duration (path, TRUE, &width, &height, &fps, &error);
  if (seconds < SOURCE_VIDEO_MIN_S || seconds > SOURCE_VIDEO_MAX_S) {
    g_unlink (path);
    sandbox_response_error (resp, 400, 1201, seconds < 0 ?
        "Invalid parameter %s: not a readable video" :
        "Invalid parameter %s: the video must last 2 to 10 s", field);
    return NULL;
  }
  video = g_new0 (SandboxVideo, 1);
  video->id = g_steal_pointer (&id);
  video->path = g_steal_pointer (&path);
  video->duration_s = seconds;
  video->width = width;
  video->height = height;
  video->fps = fps;
  g_hash_table_insert (sandbox->videos, video->id, video);
  return video;
}

SandboxVideo *
sandbox_parse_source_video (KlingSandbox * sandbox, JsonObject * object,
    const gchar * prefix, const gchar ** given_url, SandboxResponse * resp)
{
  g_autofree gchar *id_field = g_strconcat (prefix, "video_id", NULL);
  g_autofree gchar *url_field = g_strconcat (prefix, "video_url", NULL);
  const gchar *id = NULL, *url = NULL;
  SandboxVideo *video;

  if (!sandbox_input_string (object, id_field, "video_id", FALSE, 128, &id,
          resp)
      || !sandbox_input_string (object, url_field, "video_url", FALSE, 0, &url,
          resp))
    return NULL;
  *given_url = url;
  if ((id == NULL) == (url == NULL)) {
    sandbox_response_error (resp, 400, 1201,
        "Invalid parameter %s: give either %s or %s", id_field, id_field,
        url_field);
    return NULL;
  }
  if (id != NULL) {
    video = g_hash_table_lookup (sandbox->videos, id);
    if (video == NULL)
      sandbox_response_error (resp, 400, 1201,
          "Invalid parameter %s: no such video", id_field);
    return video;
  }
  video = sandbox_lookup_video_url (sandbox, url);
  if (video != NULL)
    return video;
  /* Never fetch from ourselves on the server thread: it would wait for itself. */
  if (sandbox_url_is_loopback_port (url, sandbox->port)) {
    sandbox_response_error (resp, 400, 1201,
        "Invalid parameter %s: not a valid result "
        "URL of this server (expired or badly signed)", url_field);
    return NULL;
  }
  if (!sandbox_input_loopback_url (url_field, url, resp))
    return NULL;
  return fetch_source_video (sandbox, url_field, url, resp);
}

/* ---- the endpoints ------------------------------------------------------------------ */

static gboolean
parse_lipsync_audio (KlingSandbox * sandbox, JsonObject * input,
    SandboxRenderSpec * spec, SandboxResponse * resp)
{
  static const gchar *const audio_types[] = { "file", "url", NULL };
  const gchar *audio_type = NULL;

  if (!sandbox_input_choice (input, "input.audio_type", "audio_type",
          audio_types, &audio_type, resp))
    return FALSE;
  if (audio_type == NULL) {
    sandbox_response_error (resp, 400, 1201,
        "Invalid parameter input.audio_type: is "
        "required for audio2video (file or url)");
    return FALSE;
  }
  if (g_str_equal (audio_type, "file"))
    return sandbox_input_audio (sandbox->tmp_dir, input, "input.audio_file",
        "audio_file", FALSE, &spec->audio, &spec->audio_url, NULL, resp);
  return sandbox_input_audio (sandbox->tmp_dir, input, "input.audio_url",
      "audio_url", TRUE, &spec->audio, &spec->audio_url, NULL, resp);
}

static gboolean
parse_lipsync_text (JsonObject * input, SandboxRenderSpec * spec,
    SandboxResponse * resp)
{
  static const gchar *const languages[] = { "zh", "en", NULL };
  const gchar *text = NULL, *voice_id = NULL, *language = "en";

  if (!sandbox_input_string (input, "input.text", "text", TRUE,
          LIPSYNC_TEXT_MAX, &text, resp)
      || !sandbox_input_string (input, "input.voice_id", "voice_id", TRUE, 128,
          &voice_id, resp)
      || !sandbox_input_choice (input, "input.voice_language", "voice_language",
          languages, &language, resp)
      || !sandbox_input_number (input, "input.voice_speed", "voice_speed", 0.8,
          2.0, &spec->voice_speed, resp))
    return FALSE;
  spec->speech_text = g_strdup (text);
  return TRUE;
}

gboolean
sandbox_parse_lip_sync (KlingSandbox * sandbox, JsonObject * body,
    SandboxTask * task, SandboxResponse * resp)
{
  static const gchar *const lipsync_modes[] =
      { "audio2video", "text2video", NULL };
  SandboxRenderSpec *spec = task->spec =
      sandbox_render_spec_new (SANDBOX_RENDER_LIPSYNC);
  JsonObject *input = NULL;
  const gchar *mode = NULL, *url = NULL;
  SandboxVideo *video;

  if (!sandbox_input_object (body, "input", "input", TRUE, &input, resp) ||
      !sandbox_input_choice (input, "input.mode", "mode", lipsync_modes, &mode,
          resp))
    return FALSE;
  if (mode == NULL) {
    sandbox_response_error (resp, 400, 1201,
        "Invalid parameter input.mode: is required "
        "(audio2video or text2video)");
    return FALSE;
  }
  if (g_str_equal (mode, "audio2video") ? !parse_lipsync_audio (sandbox, input,
          spec, resp)
      : !parse_lipsync_text (input, spec, resp))
    return FALSE;
  video = sandbox_parse_source_video (sandbox, input, "input.", &url, resp);
  if (video == NULL)
    return FALSE;
  spec->source_path = g_strdup (video->path);
  task->parent_video_id = g_strdup (video->id);
  task->parent_video_url = g_strdup (url);
  return TRUE;
}

/* identify-face answers at once: one face over the whole video, its end_time overstated
 * as Kling's own is (their example gives 5200 ms for a 5 s video). */
void
sandbox_identify_face (KlingSandbox * sandbox, JsonObject * body,
    SandboxResponse * resp)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) data = NULL;
  g_autofree gchar *session_id = NULL;
  g_autofree gchar *units =
      sandbox_units_charged ("identify-face", NULL, FALSE, FALSE, 0);
  SandboxSession *session;
  const gchar *url = NULL;
  SandboxVideo *video =
      sandbox_parse_source_video (sandbox, body, "", &url, resp);

  if (video == NULL)
    return;
  session_id = sandbox_new_id ("session-");
  session = g_new0 (SandboxSession, 1);
  session->video_id = g_strdup (video->id);
  session->video_url = g_strdup (url);
  g_hash_table_insert (sandbox->sessions, g_strdup (session_id), session);
  sandbox_count (sandbox, &sandbox->sessions_created);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "session_id");
  json_builder_add_string_value (builder, session_id);
  json_builder_set_member_name (builder, "final_unit_deduction");
  json_builder_add_string_value (builder, units);
  json_builder_set_member_name (builder, "face_data");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "face_id");
  json_builder_add_string_value (builder, "0");
  json_builder_set_member_name (builder, "face_image");
  json_builder_add_string_value (builder, "");
  json_builder_set_member_name (builder, "start_time");
  json_builder_add_int_value (builder, 0);
  json_builder_set_member_name (builder, "end_time");
  json_builder_add_int_value (builder,
      sandbox_video_ms (video) + FACE_END_OVERSTATED_MS);
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  data = json_builder_get_root (builder);
  sandbox_response_json (resp, 200, 0, "SUCCEED", data);
}

void
sandbox_session_free (SandboxSession * session)
{
  g_free (session->video_id);
  g_free (session->video_url);
  g_free (session);
}

gchar *
sandbox_sound_fit_problem (const SandboxRenderSpec * spec, guint sound_ms,
    guint video_ms, const gchar ** field)
{
  guint end = spec->audio_end_ms ? spec->audio_end_ms : sound_ms;

  /* An end past the sound's own is not refused: lengths differ a little with who
   * measures them (a header, a decoder), and the cut simply stops at the sound's end. */
  *field = spec->audio_end_ms ? "face_choose[0].sound_end_time" :
      "face_choose[0].sound_insert_time";
  if (end == 0)
    return NULL;                /* by URL: the render knows its length */
  if (end < spec->audio_start_ms + MIN_SOUND_MS)
    return
        g_strdup_printf
        ("the sound from sound_start_time to its end must last at "
        "least 2 s (it lasts %u ms)",
        end > spec->audio_start_ms ? end - spec->audio_start_ms : 0);
  if (spec->audio_insert_ms + (end - spec->audio_start_ms) > video_ms)
    return g_strdup_printf ("the sound would end at %u ms (sound_insert_time + "
        "sound_end_time - sound_start_time), after the video ends at %u ms",
        spec->audio_insert_ms + (end - spec->audio_start_ms), video_ms);
  return NULL;
}

/* The sound over the face must not end after the video really ends (not after
 * identify-face's overstated end_time). A sound given by URL is checked by the render,
 * once its length is known. */
static gboolean
check_sound_fits (SandboxVideo * video, gdouble sound_s,
    SandboxRenderSpec * spec, SandboxResponse * resp)
{
  guint sound_ms = sound_s > 0 ? (guint) (sound_s * 1000.0 + 0.5) : 0;
  const gchar *field = NULL;
  g_autofree gchar *problem = NULL;

  spec->audio_must_end_by_ms = sandbox_video_ms (video);
  problem =
      sandbox_sound_fit_problem (spec, sound_ms, spec->audio_must_end_by_ms,
      &field);
  return problem == NULL || sandbox_refuse (resp, field, "%s", problem);
}

static gboolean
parse_face_choice (KlingSandbox * sandbox, JsonObject * face,
    SandboxVideo * video, SandboxRenderSpec * spec, SandboxResponse * resp)
{
  const gchar *face_id = NULL;
  gdouble start = 0, end = 0, insert = 0, original = 1.0, sound_s = 0;

  if (!sandbox_input_string (face, "face_choose[0].face_id", "face_id", TRUE,
          64, &face_id, resp)
      || !sandbox_input_audio (sandbox->tmp_dir, face,
          "face_choose[0].sound_file", "sound_file", TRUE, &spec->audio,
          &spec->audio_url, &sound_s, resp)
      || !sandbox_input_number (face, "face_choose[0].sound_start_time",
          "sound_start_time", 0, 60000, &start, resp)
      || !sandbox_input_number (face, "face_choose[0].sound_end_time",
          "sound_end_time", 0, 60000, &end, resp)
      || !sandbox_input_number (face, "face_choose[0].sound_insert_time",
          "sound_insert_time", 0, sandbox_video_ms (video), &insert, resp)
      || !sandbox_input_number (face, "face_choose[0].sound_volume",
          "sound_volume", 0, 2, &spec->audio_volume, resp)
      || !sandbox_input_number (face, "face_choose[0].original_audio_volume",
          "original_audio_volume", 0, 2, &original, resp))
    return FALSE;
  if (!g_str_equal (face_id, "0"))
    return sandbox_refuse (resp, "face_choose[0].face_id",
        "the session has one face, " "\"0\"");
  if (end != 0 && end <= start)
    return sandbox_refuse (resp, "face_choose[0].sound_end_time",
        "must be after " "sound_start_time");
  spec->audio_start_ms = (guint) start;
  spec->audio_end_ms = (guint) end;
  spec->audio_insert_ms = (guint) insert;
  return check_sound_fits (video, sound_s, spec, resp);
}

gboolean
sandbox_parse_advanced_lip_sync (KlingSandbox * sandbox, JsonObject * body,
    SandboxTask * task, SandboxResponse * resp)
{
  SandboxRenderSpec *spec = task->spec =
      sandbox_render_spec_new (SANDBOX_RENDER_LIPSYNC);
  const gchar *session_id = NULL;
  JsonNode *faces = json_object_get_member (body, "face_choose");
  SandboxSession *session;
  SandboxVideo *video;
  JsonNode *face;

  if (!sandbox_input_string (body, "session_id", "session_id", TRUE, 128,
          &session_id, resp))
    return FALSE;
  session = g_hash_table_lookup (sandbox->sessions, session_id);
  video =
      session ? g_hash_table_lookup (sandbox->videos, session->video_id) : NULL;
  if (video == NULL)
    return sandbox_refuse (resp, "session_id",
        "unknown session (call identify-face " "first)");
  if (faces == NULL || !JSON_NODE_HOLDS_ARRAY (faces)
      || json_array_get_length (json_node_get_array (faces)) == 0)
    return sandbox_refuse (resp, "face_choose", "must be a non-empty array");
  face = json_array_get_element (json_node_get_array (faces), 0);
  if (!JSON_NODE_HOLDS_OBJECT (face))
    return sandbox_refuse (resp, "face_choose[0]", "must be an object");
  if (!parse_face_choice (sandbox, json_node_get_object (face), video, spec,
          resp))
    return FALSE;
  spec->source_path = g_strdup (video->path);
  task->parent_video_id = g_strdup (video->id);
  task->parent_video_url = g_strdup (session->video_url);
  return TRUE;
}
