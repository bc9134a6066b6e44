/* kling-sandbox: the create bodies of image2video, text2video and video-extend, checked
 * like Kling checks them against the model table (sandbox-models.c), and turned into the
 * render that will answer them. Every per-model rule comes from the table. */
#include "sandbox-private.h"

#define PROMPT_MAX_CHARS      2500
#define SHOT_PROMPT_MAX_CHARS 512
#define MAX_SHOTS             6
#define EXTEND_SECONDS        5
#define EXTENDED_MAX_S        180.0
#define DEFAULT_SECONDS       5

static const gchar *const mode_names[] = { "std", "pro", NULL };
static const gchar *const on_off[] = { "on", "off", NULL };

/* What the checks of one create share: the model and the choices made so far. */
typedef struct
{
  const gchar *endpoint;
  const SandboxModel *model;
  const gchar *model_name;      /* as sent, or the default's name */
  gboolean pro, sound;
  guint seconds;
} VideoRequest;

/* A capability the table offers in @modes only: "kling-v2-6 takes an end frame only in
 * std mode", "kling-v3 does not take camera_control". */
static gboolean
refuse_capability (SandboxResponse * resp, const gchar * field,
    const VideoRequest * req, const gchar * what, guint modes)
{
  if ((modes & SANDBOX_MODES_ALL) == 0)
    return sandbox_refuse (resp, field, "%s does not take %s", req->model_name,
        what);
  return sandbox_refuse (resp, field, "%s takes %s only in %s mode",
      req->model_name, what, sandbox_model_modes_text (modes));
}

static gboolean
present (JsonObject * body, const gchar * name)
{
  JsonNode *node = json_object_get_member (body, name);

  return node != NULL && !JSON_NODE_HOLDS_NULL (node);
}

static guint
scaled_even (guint size, gdouble scale)
{
  guint scaled = (guint) (size * scale + 0.5);

  return MAX (16u, scaled & ~1u);
}

/* model_name: a model this endpoint serves (404 / 1203 otherwise, as Kling answers a
 * retired or unknown model: nothing is created). */
static gboolean
parse_model (KlingSandbox * sandbox, JsonObject * body, VideoRequest * req,
    SandboxResponse * resp)
{
  const gchar *name = NULL;
  g_autofree gchar *served = sandbox_model_dup_served_names ();
  gboolean any = sandbox->options.accept_any_model;

  if (!sandbox_input_string (body, "model_name", "model_name", FALSE, 64, &name,
          resp))
    return FALSE;
  req->model = sandbox_model_lookup (name, any);
  if (req->model == NULL) {
    sandbox_response_error (resp, 404, 1203,
        "Unknown model_name %s: %s serves %s", name, req->endpoint, served);
    return FALSE;
  }
  if (!sandbox_model_is_served (req->model) && !any) {
    sandbox_response_error (resp, 404, 1203,
        "model_name %s is no longer served for %s " "(retired %s): use %s",
        name, req->endpoint, req->model->retired_on, served);
    return FALSE;
  }
  req->model_name = name ? name : req->model->name;
  return TRUE;
}

/* mode, duration and sound: the clip's size, rate, length and audio. */
static gboolean
parse_format (KlingSandbox * sandbox, JsonObject * body, VideoRequest * req,
    SandboxRenderSpec * spec, SandboxResponse * resp)
{
  const gchar *mode = "std", *sound = "off";

  req->seconds = DEFAULT_SECONDS;
  if (!sandbox_input_choice (body, "mode", "mode", mode_names, &mode, resp) ||
      !sandbox_input_seconds (body, "duration", "duration", &req->seconds, resp)
      || !sandbox_input_choice (body, "sound", "sound", on_off, &sound, resp))
    return FALSE;
  req->pro = g_str_equal (mode, "pro");
  req->sound = g_str_equal (sound, "on");
  if (!sandbox_model_takes_duration (req->model, req->seconds)) {
    g_autofree gchar *allowed = sandbox_model_dup_durations (req->model);
    return sandbox_refuse (resp, "duration", "%s takes %s", req->model_name,
        allowed);
  }
  if (req->sound && !sandbox_model_offers (req->model->sound_modes, req->pro))
    return refuse_capability (resp, "sound", req, "sound \"on\"",
        req->model->sound_modes);
  spec->width =
      scaled_even (req->pro ? 1920 : 1280, sandbox->options.video_scale);
  spec->height =
      scaled_even (req->pro ? 1080 : 720, sandbox->options.video_scale);
  spec->fps = req->model->fps;
  spec->duration_s = req->seconds;
  spec->sound = req->sound;
  return TRUE;
}

/* One entry of multi_prompt: a string, or an object with a "prompt" string. */
static gboolean
parse_shot (JsonNode * node, guint index, GString * drawn,
    SandboxResponse * resp)
{
  g_autofree gchar *field = g_strdup_printf ("multi_prompt[%u]", index);
  const gchar *text = NULL;

  if (JSON_NODE_HOLDS_OBJECT (node)) {
    g_autofree gchar *prompt_field = g_strconcat (field, ".prompt", NULL);
    if (!sandbox_input_string (json_node_get_object (node), prompt_field,
            "prompt", TRUE, SHOT_PROMPT_MAX_CHARS, &text, resp))
      return FALSE;
  } else if (JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_STRING) {
    text = json_node_get_string (node);
    if (*text == '\0')
      return sandbox_refuse (resp, field, "must not be empty");
    if (g_utf8_strlen (text, -1) > SHOT_PROMPT_MAX_CHARS)
      return sandbox_refuse (resp, field, "is longer than %u characters",
          SHOT_PROMPT_MAX_CHARS);
  } else {
    return sandbox_refuse (resp, field,
        "must be a prompt (a string, or an object with a " "prompt)");
  }
  g_string_append_printf (drawn, "%s%s", drawn->len ? " / " : "", text);
  return TRUE;
}

/* multi_shot, shot_type, multi_prompt; sets @shots to the drawn text of the shots. */
static gboolean
parse_multi_shot (JsonObject * body, VideoRequest * req, gchar ** shots,
    SandboxResponse * resp)
{
  gboolean multi_shot = FALSE;
  const gchar *shot_type = NULL;
  JsonNode *prompts = json_object_get_member (body, "multi_prompt");
  g_autoptr (GString) drawn = g_string_new (NULL);
  JsonArray *array;

  if (!sandbox_input_boolean (body, "multi_shot", "multi_shot", &multi_shot,
          resp)
      || !sandbox_input_string (body, "shot_type", "shot_type", FALSE, 64,
          &shot_type, resp))
    return FALSE;
  if (multi_shot && !req->model->multi_shot)
    return sandbox_refuse (resp, "multi_shot",
        "%s does not take multi-shot prompts", req->model_name);
  if (prompts == NULL || JSON_NODE_HOLDS_NULL (prompts))
    return TRUE;
  if (!multi_shot)
    return sandbox_refuse (resp, "multi_prompt", "goes with multi_shot: true");
  if (!JSON_NODE_HOLDS_ARRAY (prompts))
    return sandbox_refuse (resp, "multi_prompt", "must be an array of prompts");
  array = json_node_get_array (prompts);
  if (json_array_get_length (array) == 0
      || json_array_get_length (array) > MAX_SHOTS)
    return sandbox_refuse (resp, "multi_prompt", "must hold 1 to %u shots",
        MAX_SHOTS);
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (!parse_shot (json_array_get_element (array, i), i, drawn, resp))
      return FALSE;
  *shots = g_string_free (g_steal_pointer (&drawn), FALSE);
  return TRUE;
}

/* prompt, negative_prompt, cfg_scale, and the multi-shot prompts that can stand in for
 * the prompt. */
static gboolean
parse_prompts (JsonObject * body, VideoRequest * req, gboolean prompt_required,
    SandboxRenderSpec * spec, SandboxResponse * resp)
{
  const gchar *prompt = NULL, *negative = NULL;
  g_autofree gchar *shots = NULL;
  gdouble cfg_scale = 0.5;

  if (!parse_multi_shot (body, req, &shots, resp) ||
      !sandbox_input_string (body, "prompt", "prompt", prompt_required
          && shots == NULL, PROMPT_MAX_CHARS, &prompt, resp)
      || !sandbox_input_string (body, "negative_prompt", "negative_prompt",
          FALSE, PROMPT_MAX_CHARS, &negative, resp))
    return FALSE;
  if (present (body, "cfg_scale") && !req->model->cfg_scale)
    return sandbox_refuse (resp, "cfg_scale", "%s does not take cfg_scale",
        req->model_name);
  if (!sandbox_input_number (body, "cfg_scale", "cfg_scale", 0.0, 1.0,
          &cfg_scale, resp))
    return FALSE;
  spec->prompt = g_strdup (shots ? shots : prompt);
  return TRUE;
}

static gboolean
parse_camera_config (JsonObject * camera, SandboxResponse * resp)
{
  static const gchar *const axes[] =
      { "horizontal", "vertical", "pan", "tilt", "roll",
    "zoom", NULL
  };
  JsonObject *config = NULL;
  const gchar *type = NULL;
  guint non_zero = 0;

  if (!sandbox_input_string (camera, "camera_control.type", "type", TRUE, 64,
          &type, resp))
    return FALSE;
  if (!g_str_equal (type, "simple"))
    return TRUE;                /* a preset movement: nothing more to check */
  if (!sandbox_input_object (camera, "camera_control.config", "config", TRUE,
          &config, resp))
    return FALSE;
  for (guint i = 0; axes[i]; i++) {
    g_autofree gchar *field =
        g_strconcat ("camera_control.config.", axes[i], NULL);
    gdouble value = 0;

    if (!sandbox_input_number (config, field, axes[i], -10, 10, &value, resp))
      return FALSE;
    non_zero += value != 0;
  }
  if (non_zero != 1)
    return sandbox_refuse (resp, "camera_control.config",
        "exactly one axis must be non-zero");
  return TRUE;
}

/* camera_control where the table offers it (no served model does). */
static gboolean
parse_camera_control (JsonObject * body, VideoRequest * req,
    gboolean * present_out, SandboxResponse * resp)
{
  JsonObject *camera = NULL;

  if (!sandbox_input_object (body, "camera_control", "camera_control", FALSE,
          &camera, resp))
    return FALSE;
  *present_out = camera != NULL;
  if (camera == NULL)
    return TRUE;
  if (!sandbox_model_offers (req->model->camera_modes, req->pro))
    return refuse_capability (resp, "camera_control", req, "camera_control",
        req->model->camera_modes);
  return parse_camera_config (camera, resp);
}

/* image_tail (the end frame), the masks and camera_control: one of them at most, each
 * where the table offers it. */
static gboolean
parse_frame_controls (JsonObject * body, VideoRequest * req,
    SandboxRenderSpec * spec, SandboxResponse * resp)
{
  gboolean camera = FALSE, tail;
  gboolean masks = present (body, "static_mask")
      || present (body, "dynamic_masks");

  if (!sandbox_input_image (body, "image_tail", "image_tail", FALSE,
          &spec->image_tail, &spec->image_tail_url, resp)
      || !parse_camera_control (body, req, &camera, resp))
    return FALSE;
  tail = spec->image_tail != NULL || spec->image_tail_url != NULL;
  if (tail + camera + masks > 1)
    return sandbox_refuse (resp, "image_tail",
        "image_tail, static_mask/dynamic_masks and "
        "camera_control are mutually exclusive");
  if (tail && !sandbox_model_offers (req->model->end_frame_modes, req->pro))
    return refuse_capability (resp, "image_tail", req,
        "an end frame (image_tail)", req->model->end_frame_modes);
  if (masks && !req->model->masks)
    return refuse_capability (resp, present (body,
            "static_mask") ? "static_mask" : "dynamic_masks", req, "masks", 0);
  return TRUE;
}

static void
take_request (SandboxTask * task, const VideoRequest * req)
{
  task->units =
      sandbox_units_charged (task->kind, req->model, req->pro, req->sound,
      req->seconds);
  task->spec->model = req->model;
}

/* ---- the endpoints ------------------------------------------------------------------ */

gboolean
sandbox_parse_image2video (KlingSandbox * sandbox, JsonObject * body,
    SandboxTask * task, SandboxResponse * resp)
{
  SandboxRenderSpec *spec = task->spec =
      sandbox_render_spec_new (SANDBOX_RENDER_ZOOM);
  VideoRequest req = {.endpoint = "image2video" };

  if (!parse_model (sandbox, body, &req, resp) ||
      !parse_format (sandbox, body, &req, spec, resp) ||
      !parse_prompts (body, &req, req.model->prompt_required, spec, resp) ||
      !sandbox_input_image (body, "image", "image", TRUE, &spec->image,
          &spec->image_url, resp)
      || !parse_frame_controls (body, &req, spec, resp))
    return FALSE;
  take_request (task, &req);
  return TRUE;
}

gboolean
sandbox_parse_text2video (KlingSandbox * sandbox, JsonObject * body,
    SandboxTask * task, SandboxResponse * resp)
{
  static const gchar *const ratios[] = { "16:9", "9:16", "1:1", NULL };
  SandboxRenderSpec *spec = task->spec =
      sandbox_render_spec_new (SANDBOX_RENDER_SCENE);
  VideoRequest req = {.endpoint = "text2video" };
  const gchar *ratio = "16:9";
  gboolean camera = FALSE;

  if (!parse_model (sandbox, body, &req, resp) ||
      !parse_format (sandbox, body, &req, spec, resp) ||
      !parse_prompts (body, &req, TRUE, spec, resp) ||
      !sandbox_input_choice (body, "aspect_ratio", "aspect_ratio", ratios,
          &ratio, resp) || !parse_camera_control (body, &req, &camera, resp))
    return FALSE;
  if (g_str_equal (ratio, "9:16")) {
    guint width = spec->width;
    spec->width = spec->height;
    spec->height = width;
  } else if (g_str_equal (ratio, "1:1")) {
    spec->width = spec->height;
  }
  take_request (task, &req);
  return TRUE;
}

gboolean
sandbox_parse_video_extend (KlingSandbox * sandbox, JsonObject * body,
    SandboxTask * task, SandboxResponse * resp)
{
  SandboxRenderSpec *spec = task->spec =
      sandbox_render_spec_new (SANDBOX_RENDER_EXTEND);
  const gchar *id = NULL, *prompt = NULL, *negative = NULL;
  gdouble cfg_scale = 0.5;
  SandboxVideo *video;

  if (!sandbox_input_string (body, "video_id", "video_id", TRUE, 128, &id, resp)
      || !sandbox_input_string (body, "prompt", "prompt", FALSE,
          PROMPT_MAX_CHARS, &prompt, resp)
      || !sandbox_input_string (body, "negative_prompt", "negative_prompt",
          FALSE, PROMPT_MAX_CHARS, &negative, resp)
      || !sandbox_input_number (body, "cfg_scale", "cfg_scale", 0.0, 1.0,
          &cfg_scale, resp))
    return FALSE;
  video = g_hash_table_lookup (sandbox->videos, id);
  if (video == NULL)
    return sandbox_refuse (resp, "video_id", "no such video");
  /* Kling extends what its v1.x models made (image2video, text2video, extend). */
  if (video->model == NULL || !video->model->extendable)
    return sandbox_refuse (resp, "video_id",
        "a video made by %s cannot be extended: "
        "video-extend takes videos that image2video, text2video or video-extend made with "
        "a kling-v1.x model",
        video->model ==
        NULL ? "lip-sync or the per-model API" : video->model->name);
  if (video->duration_s + EXTEND_SECONDS > EXTENDED_MAX_S)
    return sandbox_refuse (resp, "video_id",
        "an extended video lasts at most 3 minutes");
  spec->prompt = g_strdup (prompt);
  spec->source_path = g_strdup (video->path);
  spec->width = video->width;
  spec->height = video->height;
  spec->fps = video->fps ? video->fps : 30;
  spec->duration_s = EXTEND_SECONDS;
  spec->model = video->model;
  task->parent_video_id = g_strdup (video->id);
  return TRUE;
}
