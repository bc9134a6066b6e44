/* kling-sandbox: the create bodies of each endpoint, read and checked like Kling,
 * turned into the render that will answer them. */
#include "sandbox-private.h"

#include <glib/gstdio.h>

#define PROMPT_MAX_CHARS      2500
#define LIPSYNC_TEXT_MAX      120
#define EXTEND_SECONDS        5
#define SOURCE_VIDEO_MAX_BYTES (100 * 1024 * 1024)
#define SOURCE_VIDEO_MIN_S    2.0
#define SOURCE_VIDEO_MAX_S    10.0
/* A source video by URL is fetched while the create waits, on the HTTP thread: other
 * requests wait too, so not for long. */
#define SOURCE_FETCH_TIMEOUT_S 5

static const gchar *const modes[] = { "std", "pro", NULL };

static guint
scaled_even (guint size, gdouble scale)
{
  guint scaled = (guint) (size * scale + 0.5);

  return MAX (16u, scaled & ~1u);
}

static guint
model_fps (const gchar *model_name)
{
  return g_str_has_prefix (model_name, "kling-v1") ? 30 : 24;
}

/* model_name, mode, duration: the output's size, rate and length. */
static gboolean
parse_format (KlingSandbox *sandbox, JsonObject *body, SandboxRenderSpec *spec,
    SandboxResponse *resp)
{
  const gchar *model = "kling-v1-6", *mode = "std";
  guint duration = 5;
  gboolean pro;

  if (!sandbox_input_string (body, "model_name", "model_name", FALSE, 64, &model, resp) ||
      !sandbox_input_choice (body, "mode", "mode", modes, &mode, resp) ||
      !sandbox_input_duration (body, "duration", &duration, resp))
    return FALSE;
  pro = g_str_equal (mode, "pro");
  spec->width = scaled_even (pro ? 1920 : 1280, sandbox->options.video_scale);
  spec->height = scaled_even (pro ? 1080 : 720, sandbox->options.video_scale);
  spec->fps = model_fps (model);
  spec->duration_s = duration;
  return TRUE;
}

/* prompt, negative_prompt, cfg_scale. */
static gboolean
parse_prompts (JsonObject *body, gboolean prompt_required, SandboxRenderSpec *spec,
    SandboxResponse *resp)
{
  const gchar *prompt = NULL, *negative = NULL;
  gdouble cfg_scale = 0.5;

  if (!sandbox_input_string (body, "prompt", "prompt", prompt_required, PROMPT_MAX_CHARS,
          &prompt, resp) ||
      !sandbox_input_string (body, "negative_prompt", "negative_prompt", FALSE,
          PROMPT_MAX_CHARS, &negative, resp) ||
      !sandbox_input_number (body, "cfg_scale", "cfg_scale", 0.0, 1.0, &cfg_scale, resp))
    return FALSE;
  spec->prompt = g_strdup (prompt);
  return TRUE;
}

static gboolean
parse_camera_control (JsonObject *body, gboolean *present, SandboxResponse *resp)
{
  static const gchar *const axes[] = { "horizontal", "vertical", "pan", "tilt", "roll",
    "zoom", NULL
  };
  JsonObject *camera = NULL, *config = NULL;
  const gchar *type = NULL;
  guint non_zero = 0;

  if (!sandbox_input_object (body, "camera_control", "camera_control", FALSE, &camera, resp))
    return FALSE;
  *present = camera != NULL;
  if (camera == NULL)
    return TRUE;
  if (!sandbox_input_string (camera, "camera_control.type", "type", TRUE, 64, &type, resp))
    return FALSE;
  if (!g_str_equal (type, "simple"))
    return TRUE;                /* a preset movement: nothing more to check */
  if (!sandbox_input_object (camera, "camera_control.config", "config", TRUE, &config,
          resp))
    return FALSE;
  for (guint i = 0; axes[i]; i++) {
    g_autofree gchar *field = g_strconcat ("camera_control.config.", axes[i], NULL);
    gdouble value = 0;

    if (!sandbox_input_number (config, field, axes[i], -10, 10, &value, resp))
      return FALSE;
    non_zero += value != 0;
  }
  if (non_zero != 1) {
    sandbox_response_error (resp, 400, 1201, "Invalid parameter camera_control.config: "
        "exactly one axis must be non-zero");
    return FALSE;
  }
  return TRUE;
}

/* video_id (a video this sandbox made) or video_url (fetched when on loopback). */
static SandboxVideo *
fetch_source_video (KlingSandbox *sandbox, const gchar *field, const gchar *url,
    SandboxResponse *resp)
{
  g_autofree gchar *id = sandbox_new_id ("source-");
  g_autofree gchar *name = g_strconcat (id, ".mp4", NULL);
  g_autofree gchar *path = g_build_filename (sandbox->tmp_dir, name, NULL);
  g_autoptr (GError) error = NULL;
  SandboxVideo *video;
  gdouble seconds;
  guint width = 0, height = 0, fps = 0;

  if (!sandbox_fetch_to_file (url, path, SOURCE_VIDEO_MAX_BYTES, SOURCE_FETCH_TIMEOUT_S,
          &error)) {
    g_unlink (path);
    sandbox_response_error (resp, 400, 1201, "Invalid parameter %s: the video cannot be "
        "fetched (%s)", field, error->message);
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
sandbox_parse_source_video (KlingSandbox *sandbox, JsonObject *object, const gchar *prefix,
    SandboxResponse *resp)
{
  g_autofree gchar *id_field = g_strconcat (prefix, "video_id", NULL);
  g_autofree gchar *url_field = g_strconcat (prefix, "video_url", NULL);
  const gchar *id = NULL, *url = NULL;
  SandboxVideo *video;

  if (!sandbox_input_string (object, id_field, "video_id", FALSE, 128, &id, resp) ||
      !sandbox_input_string (object, url_field, "video_url", FALSE, 0, &url, resp))
    return NULL;
  if ((id == NULL) == (url == NULL)) {
    sandbox_response_error (resp, 400, 1201, "Invalid parameter %s: give either %s or %s",
        id_field, id_field, url_field);
    return NULL;
  }
  if (id != NULL) {
    video = g_hash_table_lookup (sandbox->videos, id);
    if (video == NULL)
      sandbox_response_error (resp, 400, 1201, "Invalid parameter %s: no such video",
          id_field);
    return video;
  }
  video = sandbox_lookup_video_url (sandbox, url);
  if (video != NULL)
    return video;
  /* Never fetch from ourselves on the server thread: it would wait for itself. */
  if (sandbox_url_is_loopback_port (url, sandbox->port)) {
    sandbox_response_error (resp, 400, 1201, "Invalid parameter %s: not a valid result "
        "URL of this server (expired or badly signed)", url_field);
    return NULL;
  }
  if (!sandbox_input_loopback_url (url_field, url, resp))
    return NULL;
  return fetch_source_video (sandbox, url_field, url, resp);
}

/* ---- the endpoints ------------------------------------------------------------------ */

gboolean
sandbox_parse_image2video (KlingSandbox *sandbox, JsonObject *body, SandboxTask *task,
    SandboxResponse *resp)
{
  SandboxRenderSpec *spec = task->spec = sandbox_render_spec_new (SANDBOX_RENDER_ZOOM);
  g_autoptr (GBytes) tail = NULL;
  g_autofree gchar *tail_url = NULL;
  gboolean camera = FALSE;
  JsonNode *static_mask = json_object_get_member (body, "static_mask");
  JsonNode *dynamic_masks = json_object_get_member (body, "dynamic_masks");
  gboolean masks = (static_mask && !JSON_NODE_HOLDS_NULL (static_mask)) ||
      (dynamic_masks && !JSON_NODE_HOLDS_NULL (dynamic_masks));

  if (!parse_format (sandbox, body, spec, resp) ||
      !parse_prompts (body, FALSE, spec, resp) ||
      !sandbox_input_image (body, "image", "image", TRUE, &spec->image, &spec->image_url,
          resp) ||
      !sandbox_input_image (body, "image_tail", "image_tail", FALSE, &tail, &tail_url,
          resp) ||
      !parse_camera_control (body, &camera, resp))
    return FALSE;
  if ((tail || tail_url) + camera + masks > 1) {
    sandbox_response_error (resp, 400, 1201, "Invalid parameter image_tail: image_tail, "
        "static_mask/dynamic_masks and camera_control are mutually exclusive");
    return FALSE;
  }
  return TRUE;
}

gboolean
sandbox_parse_text2video (KlingSandbox *sandbox, JsonObject *body, SandboxTask *task,
    SandboxResponse *resp)
{
  static const gchar *const ratios[] = { "16:9", "9:16", "1:1", NULL };
  SandboxRenderSpec *spec = task->spec = sandbox_render_spec_new (SANDBOX_RENDER_SCENE);
  const gchar *ratio = "16:9";
  gboolean camera = FALSE;

  if (!parse_format (sandbox, body, spec, resp) ||
      !parse_prompts (body, TRUE, spec, resp) ||
      !sandbox_input_choice (body, "aspect_ratio", "aspect_ratio", ratios, &ratio, resp) ||
      !parse_camera_control (body, &camera, resp))
    return FALSE;
  if (g_str_equal (ratio, "9:16")) {
    guint width = spec->width;
    spec->width = spec->height;
    spec->height = width;
  } else if (g_str_equal (ratio, "1:1")) {
    spec->width = spec->height;
  }
  return TRUE;
}

gboolean
sandbox_parse_video_extend (KlingSandbox *sandbox, JsonObject *body, SandboxTask *task,
    SandboxResponse *resp)
{
  SandboxRenderSpec *spec = task->spec = sandbox_render_spec_new (SANDBOX_RENDER_EXTEND);
  const gchar *id = NULL;
  SandboxVideo *video;

  if (!sandbox_input_string (body, "video_id", "video_id", TRUE, 128, &id, resp) ||
      !parse_prompts (body, FALSE, spec, resp))
    return FALSE;
  video = g_hash_table_lookup (sandbox->videos, id);
  if (video == NULL) {
    sandbox_response_error (resp, 400, 1201, "Invalid parameter video_id: no such video");
    return FALSE;
  }
  spec->source_path = g_strdup (video->path);
  spec->width = video->width;
  spec->height = video->height;
  spec->fps = video->fps ? video->fps : 30;
  spec->duration_s = EXTEND_SECONDS;
  task->parent_video_id = g_strdup (video->id);
  return TRUE;
}

static gboolean
parse_lipsync_audio (KlingSandbox *sandbox, JsonObject *input, SandboxRenderSpec *spec,
    SandboxResponse *resp)
{
  static const gchar *const audio_types[] = { "file", "url", NULL };
  const gchar *audio_type = NULL;

  if (!sandbox_input_choice (input, "input.audio_type", "audio_type", audio_types,
          &audio_type, resp))
    return FALSE;
  if (audio_type == NULL) {
    sandbox_response_error (resp, 400, 1201, "Invalid parameter input.audio_type: is "
        "required for audio2video (file or url)");
    return FALSE;
  }
  if (g_str_equal (audio_type, "file"))
    return sandbox_input_audio (sandbox->tmp_dir, input, "input.audio_file", "audio_file",
        FALSE, &spec->audio, &spec->audio_url, resp);
  return sandbox_input_audio (sandbox->tmp_dir, input, "input.audio_url", "audio_url",
      TRUE, &spec->audio, &spec->audio_url, resp);
}

static gboolean
parse_lipsync_text (JsonObject *input, SandboxRenderSpec *spec, SandboxResponse *resp)
{
  static const gchar *const languages[] = { "zh", "en", NULL };
  const gchar *text = NULL, *voice_id = NULL, *language = "en";

  if (!sandbox_input_string (input, "input.text", "text", TRUE, LIPSYNC_TEXT_MAX, &text,
          resp) ||
      !sandbox_input_string (input, "input.voice_id", "voice_id", TRUE, 128, &voice_id,
          resp) ||
      !sandbox_input_choice (input, "input.voice_language", "voice_language", languages,
          &language, resp) ||
      !sandbox_input_number (input, "input.voice_speed", "voice_speed", 0.8, 2.0,
          &spec->voice_speed, resp))
    return FALSE;
  spec->speech_text = g_strdup (text);
  return TRUE;
}

gboolean
sandbox_parse_lip_sync (KlingSandbox *sandbox, JsonObject *body, SandboxTask *task,
    SandboxResponse *resp)
{
  static const gchar *const lipsync_modes[] = { "audio2video", "text2video", NULL };
  SandboxRenderSpec *spec = task->spec = sandbox_render_spec_new (SANDBOX_RENDER_LIPSYNC);
  JsonObject *input = NULL;
  const gchar *mode = NULL;
  SandboxVideo *video;

  if (!sandbox_input_object (body, "input", "input", TRUE, &input, resp) ||
      !sandbox_input_choice (input, "input.mode", "mode", lipsync_modes, &mode, resp))
    return FALSE;
  if (mode == NULL) {
    sandbox_response_error (resp, 400, 1201, "Invalid parameter input.mode: is required "
        "(audio2video or text2video)");
    return FALSE;
  }
  if (g_str_equal (mode, "audio2video") ? !parse_lipsync_audio (sandbox, input, spec, resp)
      : !parse_lipsync_text (input, spec, resp))
    return FALSE;
  video = sandbox_parse_source_video (sandbox, input, "input.", resp);
  if (video == NULL)
    return FALSE;
  spec->source_path = g_strdup (video->path);
  task->parent_video_id = g_strdup (video->id);
  return TRUE;
}

static gboolean
parse_face_choice (KlingSandbox *sandbox, JsonObject *face, SandboxVideo *video,
    SandboxRenderSpec *spec, SandboxResponse *resp)
{
  const gchar *face_id = NULL;
  gdouble start = 0, end = 0, insert = 0, original = 1.0;
  guint video_ms = (guint) (video->duration_s * 1000);

  if (!sandbox_input_string (face, "face_choose[0].face_id", "face_id", TRUE, 64, &face_id,
          resp) ||
      !sandbox_input_audio (sandbox->tmp_dir, face, "face_choose[0].sound_file",
          "sound_file", TRUE, &spec->audio, &spec->audio_url, resp) ||
      !sandbox_input_number (face, "face_choose[0].sound_start_time", "sound_start_time",
          0, 60000, &start, resp) ||
      !sandbox_input_number (face, "face_choose[0].sound_end_time", "sound_end_time", 0,
          60000, &end, resp) ||
      !sandbox_input_number (face, "face_choose[0].sound_insert_time", "sound_insert_time",
          0, video_ms, &insert, resp) ||
      !sandbox_input_number (face, "face_choose[0].sound_volume", "sound_volume", 0, 2,
          &spec->audio_volume, resp) ||
      !sandbox_input_number (face, "face_choose[0].original_audio_volume",
          "original_audio_volume", 0, 2, &original, resp))
    return FALSE;
  if (!g_str_equal (face_id, "0")) {
    sandbox_response_error (resp, 400, 1201, "Invalid parameter face_choose[0].face_id: "
        "the session has one face, \"0\"");
    return FALSE;
  }
  if (end != 0 && end <= start) {
    sandbox_response_error (resp, 400, 1201, "Invalid parameter "
        "face_choose[0].sound_end_time: must be after sound_start_time");
    return FALSE;
  }
  spec->audio_start_ms = (guint) start;
  spec->audio_end_ms = (guint) end;
  spec->audio_insert_ms = (guint) insert;
  return TRUE;
}

gboolean
sandbox_parse_advanced_lip_sync (KlingSandbox *sandbox, JsonObject *body, SandboxTask *task,
    SandboxResponse *resp)
{
  SandboxRenderSpec *spec = task->spec = sandbox_render_spec_new (SANDBOX_RENDER_LIPSYNC);
  const gchar *session_id = NULL, *video_id;
  JsonNode *faces = json_object_get_member (body, "face_choose");
  JsonNode *face;
  SandboxVideo *video;

  if (!sandbox_input_string (body, "session_id", "session_id", TRUE, 128, &session_id,
          resp))
    return FALSE;
  video_id = g_hash_table_lookup (sandbox->sessions, session_id);
  video = video_id ? g_hash_table_lookup (sandbox->videos, video_id) : NULL;
  if (video == NULL) {
    sandbox_response_error (resp, 400, 1201, "Invalid parameter session_id: unknown "
        "session (call identify-face first)");
    return FALSE;
  }
  if (faces == NULL || !JSON_NODE_HOLDS_ARRAY (faces) ||
      json_array_get_length (json_node_get_array (faces)) == 0) {
    sandbox_response_error (resp, 400, 1201, "Invalid parameter face_choose: must be a "
        "non-empty array");
    return FALSE;
  }
  face = json_array_get_element (json_node_get_array (faces), 0);
  if (!JSON_NODE_HOLDS_OBJECT (face)) {
    sandbox_response_error (resp, 400, 1201, "Invalid parameter face_choose[0]: must be "
        "an object");
    return FALSE;
  }
  if (!parse_face_choice (sandbox, json_node_get_object (face), video, spec, resp))
    return FALSE;
  spec->source_path = g_strdup (video->path);
  task->parent_video_id = g_strdup (video->id);
  return TRUE;
}
