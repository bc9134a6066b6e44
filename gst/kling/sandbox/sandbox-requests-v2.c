/* kling-sandbox: the create bodies of the per-model API (`contents`, `settings`,
 * `options`; docs/kling-api.md), checked against the per-model rows of the model table
 * (sandbox-models.c) and turned into the same renders as /v1's. Nothing here names a
 * model: every per-model rule is a column of the table. */
#include "sandbox-private.h"

#define PROMPT_MAX_CHARS      3072
#define EXTERNAL_ID_MAX_CHARS 256
#define DEFAULT_SECONDS       5
/* The per-model API takes larger images than /v1 (a body is still at most 32 MB). */
#define IMAGE_MAX_BYTES       (50 * 1024 * 1024)

enum
{ CONTENT_PROMPT, CONTENT_FIRST_FRAME, CONTENT_LAST_FRAME, CONTENT_COUNT };

static const gchar *const content_types[] =
    { "prompt", "first_frame", "last_frame", NULL };
static const gchar *const resolutions[] = { "720p", "1080p", "4k", NULL };
static const gchar *const audio_choices[] = { "native", "off", NULL };
static const gchar *const ratios[] = { "16:9", "9:16", "1:1", NULL };

/* What the checks of one create share. */
typedef struct
{
  const SandboxModelV2 *model;
  gboolean image_to_video;
  guint resolution;             /* one SandboxResolutions bit */
  gboolean audio, multi_shot, last_frame;
  guint seconds;
  const gchar *aspect_ratio;
} V2Request;

static guint
scaled_even (guint size, gdouble scale)
{
  guint scaled = (guint) (size * scale + 0.5);

  return MAX (16u, scaled & ~1u);
}

static guint
content_index (const gchar * type)
{
  for (guint i = 0; content_types[i]; i++)
    if (g_str_equal (content_types[i], type))
      return i;
  return CONTENT_COUNT;
}

/* One entry of `contents`: its type once at most, a prompt's text or a frame's image. */
static gboolean
parse_content (JsonNode * node, guint i, V2Request * req, gboolean * seen,
    SandboxRenderSpec * spec, SandboxResponse * resp)
{
  g_autofree gchar *field = g_strdup_printf ("contents[%u]", i);
  g_autofree gchar *type_field = g_strconcat (field, ".type", NULL);
  g_autofree gchar *text_field = g_strconcat (field, ".text", NULL);
  g_autofree gchar *url_field = g_strconcat (field, ".url", NULL);
  const gchar *type = NULL, *text = NULL;
  JsonObject *object;
  guint k;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return sandbox_refuse (resp, field, "must be an object with a type");
  object = json_node_get_object (node);
  if (!sandbox_input_choice (object, type_field, "type", content_types, &type,
          resp))
    return FALSE;
  if (type == NULL)
    return sandbox_refuse (resp, type_field, "is required");
  k = content_index (type);
  if (seen[k])
    return sandbox_refuse (resp, type_field,
        "a second %s: each type appears once", type);
  seen[k] = TRUE;
  if (k == CONTENT_PROMPT) {
    if (!sandbox_input_string (object, text_field, "text", TRUE,
            PROMPT_MAX_CHARS, &text, resp))
      return FALSE;
    spec->prompt = g_strdup (text);
    return TRUE;
  }
  if (!req->image_to_video)
    return sandbox_refuse (resp, type_field,
        "text-to-video takes a prompt only, not a %s", type);
  if (k == CONTENT_LAST_FRAME && req->model->last_frame_resolutions == 0)
    return sandbox_refuse (resp, type_field,
        "%s takes a first_frame only, not a " "last_frame", req->model->name);
  req->last_frame = k == CONTENT_LAST_FRAME;
  return k == CONTENT_FIRST_FRAME ?
      sandbox_input_image_max (object, url_field, "url", TRUE, IMAGE_MAX_BYTES,
      &spec->image, &spec->image_url, resp) :
      sandbox_input_image_max (object, url_field, "url", TRUE, IMAGE_MAX_BYTES,
      &spec->image_tail, &spec->image_tail_url, resp);
}

static gboolean
parse_contents (JsonObject * body, V2Request * req, SandboxRenderSpec * spec,
    SandboxResponse * resp)
{
  JsonNode *node = json_object_get_member (body, "contents");
  gboolean seen[CONTENT_COUNT + 1] = { FALSE, };
  JsonArray *array;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return sandbox_refuse (resp, "contents", "is required");
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return sandbox_refuse (resp, "contents",
        "must be an array of {\"type\": ...} objects");
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (!parse_content (json_array_get_element (array, i), i, req, seen, spec,
            resp))
      return FALSE;
  if (!req->image_to_video && !seen[CONTENT_PROMPT])
    return sandbox_refuse (resp, "contents",
        "text-to-video needs a prompt ({\"type\": "
        "\"prompt\", \"text\": ...})");
  if (req->image_to_video && !seen[CONTENT_FIRST_FRAME])
    return sandbox_refuse (resp, "contents",
        "image-to-video needs a first_frame ({\"type\": "
        "\"first_frame\", \"url\": ...})");
  return TRUE;
}

/* settings.audio: "native" or "off", where the table offers them. */
static gboolean
check_audio (const gchar * audio, V2Request * req, SandboxResponse * resp)
{
  const SandboxModelV2 *model = req->model;
  g_autofree gchar *where = sandbox_resolutions_text (model->audio_resolutions);

  req->audio = audio ? g_str_equal (audio, "native") : model->audio_always;
  if (!req->audio && model->audio_always)
    return sandbox_refuse (resp, "settings.audio",
        "%s always makes native audio: send " "\"native\" or leave it out",
        model->name);
  if (req->audio && model->audio_resolutions == 0)
    return sandbox_refuse (resp, "settings.audio", "%s has no native audio",
        model->name);
  if (req->audio && !(model->audio_resolutions & req->resolution))
    return sandbox_refuse (resp, "settings.audio",
        "%s takes audio \"native\" only at %s", model->name, where);
  return TRUE;
}

static gboolean
parse_settings (JsonObject * body, V2Request * req, SandboxResponse * resp)
{
  const SandboxModelV2 *model = req->model;
  JsonObject *settings = NULL;
  const gchar *resolution = "720p", *audio = NULL;
  gint64 seconds = DEFAULT_SECONDS;
  g_autofree gchar *offered = NULL;

  if (!sandbox_input_object (body, "settings", "settings", FALSE, &settings,
          resp))
    return FALSE;
  /* multi_shot defaults to true where the model takes it (docs/kling-api.md). */
  req->multi_shot = model->multi_shot;
  if (settings != NULL &&
      (!sandbox_input_choice (settings, "settings.resolution", "resolution",
              resolutions, &resolution, resp)
          || !sandbox_input_integer (settings, "settings.duration", "duration",
              1, 999, &seconds, resp)
          || !sandbox_input_choice (settings, "settings.audio", "audio",
              audio_choices, &audio, resp)
          || !sandbox_input_boolean (settings, "settings.multi_shot",
              "multi_shot", &req->multi_shot, resp)
          || !sandbox_input_choice (settings, "settings.aspect_ratio",
              "aspect_ratio", ratios, &req->aspect_ratio, resp)))
    return FALSE;
  req->resolution = g_str_equal (resolution, "4k") ? SANDBOX_RES_4K :
      g_str_equal (resolution, "1080p") ? SANDBOX_RES_1080P : SANDBOX_RES_720P;
  req->seconds = (guint) seconds;
  offered = sandbox_resolutions_text (model->resolutions);
  if (!(model->resolutions & req->resolution))
    return sandbox_refuse (resp, "settings.resolution", "%s renders %s",
        model->name, offered);
  if (!sandbox_model_v2_takes_duration (model, req->seconds)) {
    g_autofree gchar *allowed = sandbox_model_v2_dup_durations (model);
    return sandbox_refuse (resp, "settings.duration", "%s takes %s seconds",
        model->name, allowed);
  }
  if (req->multi_shot && !model->multi_shot)
    return sandbox_refuse (resp, "settings.multi_shot",
        "%s does not take multi-shot", model->name);
  if (req->aspect_ratio && req->image_to_video)
    return sandbox_refuse (resp, "settings.aspect_ratio",
        "image-to-video takes the " "first frame's aspect ratio");
  return check_audio (audio, req, resp);
}

/* options: external_task_id (unique across the sandbox, /v1 tasks included),
 * callback_url (loopback) and watermark_info.enabled. */
static gboolean
parse_options (KlingSandbox * sandbox, JsonObject * body, SandboxTask * task,
    SandboxResponse * resp)
{
  JsonObject *options = NULL, *watermark = NULL;
  const gchar *external = NULL, *callback = NULL;
  SandboxTask *other;

  if (!sandbox_input_object (body, "options", "options", FALSE, &options, resp))
    return FALSE;
  if (options == NULL)
    return TRUE;
  if (!sandbox_input_string (options, "options.external_task_id",
          "external_task_id", FALSE, EXTERNAL_ID_MAX_CHARS, &external, resp)
      || !sandbox_input_string (options, "options.callback_url", "callback_url",
          FALSE, 2048, &callback, resp)
      || !sandbox_input_object (options, "options.watermark_info",
          "watermark_info", FALSE, &watermark, resp) || (watermark
          && !sandbox_input_boolean (watermark,
              "options.watermark_info.enabled", "enabled", &task->watermark,
              resp)) || (callback
          && !sandbox_input_loopback_url ("options.callback_url", callback,
              resp)))
    return FALSE;
  if (external && *external) {
    other = sandbox_find_external_id (sandbox, external);
    if (other != NULL)
      return sandbox_refuse (resp, "options.external_task_id",
          "already used by task %s", other->task_id);
    task->external_task_id = g_strdup (external);
  }
  task->callback_url = g_strdup (callback);
  return TRUE;
}

/* The clip: the resolution's size (scaled), turned for text-to-video's aspect ratio. */
static void
fill_spec (KlingSandbox * sandbox, const V2Request * req,
    SandboxRenderSpec * spec)
{
  static const guint widths[] = { 1280, 1920, 3840 };
  static const guint heights[] = { 720, 1080, 2160 };
  guint r = sandbox_resolution_index (req->resolution);

  spec->width = scaled_even (widths[r], sandbox->options.video_scale);
  spec->height = scaled_even (heights[r], sandbox->options.video_scale);
  if (g_strcmp0 (req->aspect_ratio, "9:16") == 0) {
    guint width = spec->width;
    spec->width = spec->height;
    spec->height = width;
  } else if (g_strcmp0 (req->aspect_ratio, "1:1") == 0) {
    spec->width = spec->height;
  }
  spec->fps = req->model->fps;
  spec->duration_s = req->seconds;
  spec->sound = req->audio;
}

gboolean
sandbox_parse_v2_create (KlingSandbox * sandbox, const SandboxModelV2 * model,
    JsonObject * body, SandboxTask * task, SandboxResponse * resp)
{
  V2Request req = {.model = model };
  SandboxRenderSpec *spec;

  req.image_to_video = g_str_equal (task->kind, "image-to-video");
  spec = task->spec = sandbox_render_spec_new (req.image_to_video ?
      SANDBOX_RENDER_ZOOM : SANDBOX_RENDER_SCENE);
  spec->image_max_bytes = IMAGE_MAX_BYTES;
  spec->image_field = "first_frame";
  spec->image_tail_field = "last_frame";
  if (!parse_settings (body, &req, resp) ||
      !parse_contents (body, &req, spec, resp))
    return FALSE;
  if (req.last_frame && !(model->last_frame_resolutions & req.resolution)) {
    g_autofree gchar *where =
        sandbox_resolutions_text (model->last_frame_resolutions);
    return sandbox_refuse (resp, "settings.resolution",
        "%s takes a last_frame only at %s", model->name, where);
  }
  if (!parse_options (sandbox, body, task, resp))
    return FALSE;
  fill_spec (sandbox, &req, spec);
  task->v2 = TRUE;
  task->units = sandbox_model_v2_usd_charged (model, req.resolution, req.audio,
      req.seconds);
  task->multi_shot = req.multi_shot;
  return TRUE;
}
