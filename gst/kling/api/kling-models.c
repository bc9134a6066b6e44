/* gst-kling: the model table, and everything that reads it (lookups, checks, sentences,
 * blurbs, estimates).
 *
 * The rows follow docs/kling-api.md (the contract, December 2026): "image2video body" for
 * the /v1 models, "The per-model API" for the second generation, "Prices" for the prices.
 * What the contract does not say is left out of a row (0 / FALSE), never guessed: the
 * retired models keep only what the refusal and old cache entries need.
 */
#include "kling-models.h"
#include "kling-error.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#define MODE(m)          KLING_MODE_BIT (KLING_MODE_##m)
#define STD_PRO          (MODE (STD) | MODE (PRO))
#define ALL_MODES        (MODE (STD) | MODE (PRO) | MODE (4K))
#define DUR(s)           KLING_DURATION_BIT (s)
#define DUR_RANGE(a, b)  ((KLING_DURATION_BIT ((b) + 1) - 1) & ~(KLING_DURATION_BIT (a) - 1))
#define DUR_5_10         (DUR (5) | DUR (10))
#define VIDEO            (KLING_ENDPOINT_BIT (KLING_ENDPOINT_IMAGE2VIDEO) | \
                          KLING_ENDPOINT_BIT (KLING_ENDPOINT_TEXT2VIDEO))
#define LIP_SYNC         KLING_ENDPOINT_BIT (KLING_ENDPOINT_LIP_SYNC)
/* End of life on /v1 image2video and text2video: ComfyUI's notes, and griptape's nodes
 * measured 404 / 1203 for every such name on 2026-10-01. */
#define RETIRED_2026_09  "2026-09-15"

/* Typical waits from submit to result, seconds: docs/kling-api.md "Results" (image2video
 * about 3 min, text2video 5, lip-sync 7). Kling publishes no per-model figures, so every
 * served row has the endpoint's. */
#define RENDER_S_VIDEO   { [KLING_ENDPOINT_IMAGE2VIDEO] = 180, [KLING_ENDPOINT_TEXT2VIDEO] = 300 }
#define RENDER_S_LIPSYNC { [KLING_ENDPOINT_LIP_SYNC] = 420, [KLING_ENDPOINT_ADVANCED_LIP_SYNC] = 420 }

/* Prices [mode][native audio], USD per second of output (Kling's pricing page, mid 2026). */
#define PRICE(std, std_audio, pro, pro_audio) \
  { [KLING_MODE_STD] = { std, std_audio }, [KLING_MODE_PRO] = { pro, pro_audio } }

/* *INDENT-OFF* */
static const KlingModelInfo models[] = {
  /* --- /v1, served for image2video and text2video since 2026-09-15, in the order the
   * refusals list them (the default first). */
  { .name = "kling-v3", .endpoints = VIDEO, .generation = KLING_API_V1,
    .render_s = RENDER_S_VIDEO,
    .durations = DUR_RANGE (3, 15), .modes = STD_PRO, .audio_modes = STD_PRO,
    .end_frame_modes = STD_PRO, .multi_shot = TRUE, .prompt_required = TRUE,
    .usd_per_s = PRICE (0.084, 0.112, 0.112, 0.14) },
  /* Start + end frame only at 720p, native audio only at 1080p (the 2026 notes). */
  { .name = "kling-v2-6", .endpoints = VIDEO, .generation = KLING_API_V1,
    .render_s = RENDER_S_VIDEO,
    .durations = DUR_5_10, .modes = STD_PRO, .audio_modes = MODE (PRO),
    .end_frame_modes = MODE (STD), .prompt_required = TRUE,
    .usd_per_s = PRICE (0.042, 0, 0.07, 0.14) },
  /* Start + end frame only at 1080p; no native audio. */
  { .name = "kling-v2-5-turbo", .endpoints = VIDEO, .generation = KLING_API_V1,
    .render_s = RENDER_S_VIDEO,
    .durations = DUR_5_10, .modes = STD_PRO, .end_frame_modes = MODE (PRO),
    .prompt_required = TRUE, .usd_per_s = PRICE (0.042, 0, 0.07, 0) },

  /* --- /v1, retired for image2video and text2video (404 / 1203 at create). cfg_scale and
   * camera control as they were: v1.x took cfg_scale; camera control was kling-v1-5's, in
   * pro mode at 5 s only (documented for image2video; the row shares it with text2video,
   * where a retired name is refused before this matters). */
  { .name = "kling-v1", .endpoints = VIDEO, .generation = KLING_API_V1,
    .retired = RETIRED_2026_09, .durations = DUR_5_10, .modes = STD_PRO, .cfg_scale = TRUE },
  { .name = "kling-v1-5", .endpoints = VIDEO, .generation = KLING_API_V1,
    .retired = RETIRED_2026_09, .durations = DUR_5_10, .modes = STD_PRO, .cfg_scale = TRUE,
    .camera_modes = MODE (PRO), .camera_durations = DUR (5) },
  { .name = "kling-v1-6", .endpoints = VIDEO, .generation = KLING_API_V1,
    .retired = RETIRED_2026_09, .durations = DUR_5_10, .modes = STD_PRO, .cfg_scale = TRUE },
  { .name = "kling-v2-master", .endpoints = VIDEO, .generation = KLING_API_V1,
    .retired = RETIRED_2026_09, .durations = DUR_5_10, .modes = STD_PRO },
  { .name = "kling-v2-1", .endpoints = VIDEO, .generation = KLING_API_V1,
    .retired = RETIRED_2026_09, .durations = DUR_5_10, .modes = STD_PRO },
  { .name = "kling-v2-1-master", .endpoints = VIDEO, .generation = KLING_API_V1,
    .retired = RETIRED_2026_09, .durations = DUR_5_10, .modes = STD_PRO },

  /* --- The per-model API (API keys only; bodies of contents/settings/options). Its
   * documents do not say the prompt is required for image-to-video. */
  { .name = "kling-3.0", .endpoints = VIDEO, .generation = KLING_API_PER_MODEL,
    .render_s = RENDER_S_VIDEO,
    .durations = DUR_RANGE (3, 15), .modes = ALL_MODES, .audio_modes = ALL_MODES,
    .end_frame_modes = ALL_MODES, .multi_shot = TRUE,
    /* The price page lists one 4k price, without audio. */
    .usd_per_s = { [KLING_MODE_STD] = { 0.084, 0.112 }, [KLING_MODE_PRO] = { 0.112, 0.14 },
        [KLING_MODE_4K] = { 0.42, 0 } } },
  /* First frame only; every clip has native audio, so it has only the audio price. */
  { .name = "kling-3.0-turbo", .endpoints = VIDEO, .generation = KLING_API_PER_MODEL,
    .render_s = RENDER_S_VIDEO,
    .durations = DUR_RANGE (3, 15), .modes = STD_PRO, .audio_always = TRUE,
    .usd_per_s = PRICE (0, 0.112, 0, 0.14) },
  /* The same model as kling-v2-6: the same end-frame and audio modes. */
  { .name = "kling-2.6", .endpoints = VIDEO, .generation = KLING_API_PER_MODEL,
    .render_s = RENDER_S_VIDEO,
    .durations = DUR_5_10, .modes = STD_PRO, .audio_modes = MODE (PRO),
    .end_frame_modes = MODE (STD), .usd_per_s = PRICE (0.042, 0, 0.07, 0.14) },
  { .name = "kling-2.5-turbo", .endpoints = VIDEO, .generation = KLING_API_PER_MODEL,
    .render_s = RENDER_S_VIDEO,
    .durations = DUR_5_10, .modes = STD_PRO, .end_frame_modes = MODE (PRO),
    .usd_per_s = PRICE (0.042, 0, 0.07, 0) },
  /* Omni: 5 or 10 s without a reference video; nothing else is documented, no price. */
  { .name = "kling-o1", .endpoints = VIDEO, .generation = KLING_API_PER_MODEL,
    .render_s = RENDER_S_VIDEO,
    .create_path = "/omni-video/kling-o1", .durations = DUR_5_10, .modes = STD_PRO },

  /* --- Lip-sync (one-step and advanced): the models whose videos it animates. It retired
   * nothing. The video is 2 to 10 s, 720p or 1080p; Kling publishes no per-second price. */
  { .name = "kling-v1-5", .endpoints = LIP_SYNC, .generation = KLING_API_V1,
    .render_s = RENDER_S_LIPSYNC,
    .durations = DUR_RANGE (2, 10), .modes = STD_PRO },
  { .name = "kling-v1-6", .endpoints = LIP_SYNC, .generation = KLING_API_V1,
    .render_s = RENDER_S_LIPSYNC,
    .durations = DUR_RANGE (2, 10), .modes = STD_PRO },
  { .name = "kling-v2", .endpoints = LIP_SYNC, .generation = KLING_API_V1,
    .render_s = RENDER_S_LIPSYNC,
    .durations = DUR_RANGE (2, 10), .modes = STD_PRO },
  { .name = "kling-v2-1", .endpoints = LIP_SYNC, .generation = KLING_API_V1,
    .render_s = RENDER_S_LIPSYNC,
    .durations = DUR_RANGE (2, 10), .modes = STD_PRO },
};
/* *INDENT-ON* */

/* --- modes ------------------------------------------------------------------------------ */

static const struct
{
  const gchar *name;
  const gchar *resolution;
} mode_names[KLING_N_MODES] = {
  [KLING_MODE_STD] = {"std", "720p"},
  [KLING_MODE_PRO] = {"pro", "1080p"},
  [KLING_MODE_4K] = {"4k", "4k"},
};

static gboolean
mode_is_valid (KlingMode mode)
{
  return (guint) mode < KLING_N_MODES;
}

const gchar *
kling_mode_to_string (KlingMode mode)
{
  return mode_is_valid (mode) ? mode_names[mode].name : NULL;
}

const gchar *
kling_mode_resolution (KlingMode mode)
{
  return mode_is_valid (mode) ? mode_names[mode].resolution : NULL;
}

/* --- lookups ---------------------------------------------------------------------------- */

/* Both lip-sync flows animate the same videos. */
static guint
endpoint_bit (KlingEndpoint endpoint)
{
  if (endpoint == KLING_ENDPOINT_ADVANCED_LIP_SYNC)
    endpoint = KLING_ENDPOINT_LIP_SYNC;
  return KLING_ENDPOINT_BIT (endpoint);
}

const KlingModelInfo *
kling_models_lookup (const gchar * name, KlingEndpoint endpoint)
{
  guint i;

  for (i = 0; name && i < G_N_ELEMENTS (models); i++)
    if ((models[i].endpoints & endpoint_bit (endpoint))
        && g_str_equal (models[i].name, name))
      return &models[i];
  return NULL;
}

gboolean
kling_model_is_per_model (const gchar * model_name, KlingEndpoint endpoint)
{
  const KlingModelInfo *info = kling_models_lookup (model_name, endpoint);

  return info != NULL && info->generation == KLING_API_PER_MODEL;
}

gboolean
kling_model_is_known (const gchar * model_name)
{
  guint i;

  for (i = 0; model_name && i < G_N_ELEMENTS (models); i++)
    if (g_str_equal (models[i].name, model_name))
      return TRUE;
  return FALSE;
}

gboolean
kling_model_info_has_duration (const KlingModelInfo * info, guint duration_s)
{
  return info && duration_s <= KLING_MAX_DURATION_S &&
      (info->durations & KLING_DURATION_BIT (duration_s));
}

gboolean
kling_model_info_has_mode (const KlingModelInfo * info, KlingMode mode)
{
  return info && mode_is_valid (mode) && (info->modes & KLING_MODE_BIT (mode));
}

gboolean
kling_model_info_makes_audio (const KlingModelInfo * info, KlingMode mode,
    gboolean sound)
{
  if (info == NULL || !mode_is_valid (mode))
    return FALSE;
  return info->audio_always || (sound
      && (info->audio_modes & KLING_MODE_BIT (mode)));
}

gchar *
kling_model_info_dup_create_path (const KlingModelInfo * info,
    KlingEndpoint endpoint)
{
  g_return_val_if_fail (info != NULL, NULL);

  if (info->generation != KLING_API_PER_MODEL
      || !(info->endpoints & endpoint_bit (endpoint)))
    return NULL;
  if (info->create_path)
    return g_strdup (info->create_path);
  if (endpoint == KLING_ENDPOINT_IMAGE2VIDEO)
    return g_strconcat ("/image-to-video/", info->name, NULL);
  if (endpoint == KLING_ENDPOINT_TEXT2VIDEO)
    return g_strconcat ("/text-to-video/", info->name, NULL);
  return NULL;
}

/* --- lists for sentences ---------------------------------------------------------------- */

typedef gboolean (*RowFilter) (const KlingModelInfo * info, gconstpointer data);

/* Appends "a, b or c" for the served rows of @endpoint / @generation that pass @filter
 * (NULL: all), leaving out @except. Returns how many were listed. */
static guint
append_names (GString * out, KlingEndpoint endpoint,
    KlingApiGeneration generation, const gchar * except, RowFilter filter,
    gconstpointer data)
{
  const gchar *names[G_N_ELEMENTS (models)];
  guint i, n = 0;

  for (i = 0; i < G_N_ELEMENTS (models); i++) {
    const KlingModelInfo *info = &models[i];

    if (info->retired || info->generation != generation ||
        !(info->endpoints & endpoint_bit (endpoint))
        || g_strcmp0 (info->name, except) == 0 || (filter
            && !filter (info, data)))
      continue;
    names[n++] = info->name;
  }
  for (i = 0; i < n; i++)
    g_string_append_printf (out, "%s%s",
        i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i]);
  return n;
}

gchar *
kling_models_live_names (KlingEndpoint endpoint, KlingApiGeneration generation)
{
  GString *out = g_string_new (NULL);

  append_names (out, endpoint, generation, NULL, NULL, NULL);
  return g_string_free (out, FALSE);
}

/* "5 or 10 s", "3 to 15 s", "5, 8 or 10 s" */
static void
append_durations (GString * out, guint32 durations)
{
  guint s, first = 0, last = 0, count = 0, listed = 0;

  for (s = 0; s <= KLING_MAX_DURATION_S; s++) {
    if (!(durations & KLING_DURATION_BIT (s)))
      continue;
    if (count++ == 0)
      first = s;
    last = s;
  }
  if (count > 2 && last - first + 1 == count) {
    g_string_append_printf (out, "%u to %u s", first, last);
    return;
  }
  for (s = first; s <= last; s++) {
    if (!(durations & KLING_DURATION_BIT (s)))
      continue;
    listed++;
    g_string_append_printf (out, "%s%u",
        listed == 1 ? "" : listed == count ? " or " : ", ", s);
  }
  g_string_append (out, " s");
}

/* "set duration to 5 or 10", "set duration between 3 and 15" */
static void
append_duration_advice (GString * out, guint32 durations)
{
  g_autoptr (GString) list = g_string_new (NULL);
  guint s, first = 0, last = 0, count = 0;

  for (s = 0; s <= KLING_MAX_DURATION_S; s++) {
    if (durations & KLING_DURATION_BIT (s)) {
      first = count++ == 0 ? s : first;
      last = s;
    }
  }
  if (count > 2 && last - first + 1 == count) {
    g_string_append_printf (out, "set duration between %u and %u", first, last);
    return;
  }
  append_durations (list, durations);
  g_string_truncate (list, list->len - 2);      /* " s" */
  g_string_append_printf (out, "set duration to %s", list->str);
}

/* "std mode (720p)", "pro mode (1080p)", "4k" */
static void
append_mode (GString * out, KlingMode mode)
{
  if (mode == KLING_MODE_4K)
    g_string_append (out, "4k");
  else
    g_string_append_printf (out, "%s mode (%s)", mode_names[mode].name,
        mode_names[mode].resolution);
}

/* "std (720p) or pro (1080p)" */
static guint
append_modes (GString * out, guint modes)
{
  guint m, n = 0, count = 0;

  for (m = 0; m < KLING_N_MODES; m++)
    count += (modes & KLING_MODE_BIT (m)) != 0;
  for (m = 0; m < KLING_N_MODES; m++) {
    if (!(modes & KLING_MODE_BIT (m)))
      continue;
    n++;
    g_string_append_printf (out, "%s%s",
        n == 1 ? "" : n == count ? " or " : ", ", mode_names[m].name);
    if (m != KLING_MODE_4K)
      g_string_append_printf (out, " (%s)", mode_names[m].resolution);
  }
  return count;
}

/* The only mode of @modes, or -1 when there are several (or none). */
static gint
single_mode (guint modes)
{
  guint m;

  for (m = 0; m < KLING_N_MODES; m++)
    if (modes == KLING_MODE_BIT (m))
      return (gint) m;
  return -1;
}

/* --- blurbs ----------------------------------------------------------------------------- */

/* "3 to 15 s, native audio, an end frame, multi-shot": what the default model offers. */
static void
append_features (GString * out, const KlingModelInfo * info,
    KlingEndpoint endpoint)
{
  append_durations (out, info->durations);
  if (info->audio_modes || info->audio_always)
    g_string_append (out, ", native audio");
  if (info->end_frame_modes && endpoint == KLING_ENDPOINT_IMAGE2VIDEO)
    g_string_append (out, ", an end frame");
  if (info->multi_shot)
    g_string_append (out, ", multi-shot");
}

static gchar *
build_blurb (KlingEndpoint endpoint)
{
  const KlingModelInfo *fallback =
      kling_models_lookup (KLING_DEFAULT_MODEL, endpoint);
  GString *out = g_string_new ("Kling model: ");

  append_names (out, endpoint, KLING_API_V1, NULL, NULL, NULL);
  if (fallback) {
    g_string_append_printf (out, " (the default, %s, is the newest: ",
        fallback->name);
    append_features (out, fallback, endpoint);
    g_string_append_c (out, ')');
  }
  g_string_append (out, "; on Kling's per-model API (API key only): ");
  append_names (out, endpoint, KLING_API_PER_MODEL, NULL, NULL, NULL);
  g_string_append (out,
      ". Retired models are refused before any request; names gst-kling "
      "does not know are sent with a warning");
  return g_string_free (out, FALSE);
}

const gchar *
kling_models_blurb (KlingEndpoint endpoint)
{
  static gchar *blurbs[2];
  guint slot;

  g_return_val_if_fail (endpoint == KLING_ENDPOINT_IMAGE2VIDEO ||
      endpoint == KLING_ENDPOINT_TEXT2VIDEO, NULL);
  slot = endpoint == KLING_ENDPOINT_TEXT2VIDEO;
  /* Built once and kept: a GParamSpec blurb must live as long as the program. */
  if (g_once_init_enter (&blurbs[slot]))
    g_once_init_leave (&blurbs[slot], build_blurb (endpoint));
  return blurbs[slot];
}

/* --- the check -------------------------------------------------------------------------- */

static gboolean
refuse (GError ** error, GString * sentence)
{
  g_propagate_error (error, kling_error_new_full (KLING_ERROR_INVALID_INPUT, 0,
          -1, NULL, NULL, NULL, "%s", sentence->str));
  g_string_free (sentence, TRUE);
  return FALSE;
}

static gboolean
has_duration_filter (const KlingModelInfo * info, gconstpointer data)
{
  return kling_model_info_has_duration (info, GPOINTER_TO_UINT (data));
}

static gboolean
end_frame_filter (const KlingModelInfo * info, gconstpointer data)
{
  return (info->end_frame_modes & KLING_MODE_BIT (GPOINTER_TO_UINT (data))) !=
      0;
}

static gboolean
audio_filter (const KlingModelInfo * info, gconstpointer data)
{
  return kling_model_info_makes_audio (info,
      (KlingMode) GPOINTER_TO_UINT (data), TRUE);
}

static gboolean
multi_shot_filter (const KlingModelInfo * info, gconstpointer data)
{
  return info->multi_shot;
}

static gboolean
camera_filter (const KlingModelInfo * info, gconstpointer data)
{
  return info->camera_modes != 0;
}

/* The first served model of the same generation that passes @filter, or NULL. */
static const KlingModelInfo *
first_alternative (const KlingModelInfo * info, KlingEndpoint endpoint,
    RowFilter filter, gconstpointer data)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (models); i++) {
    const KlingModelInfo *other = &models[i];

    if (other != info && !other->retired
        && other->generation == info->generation
        && (other->endpoints & endpoint_bit (endpoint)) && filter (other, data))
      return other;
  }
  return NULL;
}

/* The durations any served /v1 model renders on @endpoint: what an unknown name may ask. */
static guint32
served_durations (KlingEndpoint endpoint)
{
  guint32 durations = 0;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (models); i++)
    if (!models[i].retired && models[i].generation == KLING_API_V1 &&
        (models[i].endpoints & endpoint_bit (endpoint)))
      durations |= models[i].durations;
  return durations;
}

static gboolean
refuse_retired (const KlingModelInfo * info, KlingEndpoint endpoint,
    GError ** error)
{
  GString *s = g_string_new (NULL);

  g_string_append_printf (s,
      "Kling no longer serves %s for %s (retired %s): use ", info->name,
      kling_endpoint_name (endpoint), info->retired);
  append_names (s, endpoint, info->generation, NULL, NULL, NULL);
  return refuse (error, s);
}

/* 4k names the models that render it; any other mode names the model's own modes. */
static gboolean
refuse_mode (const gchar * name, guint modes, KlingMode mode, GError ** error)
{
  GString *s = g_string_new (NULL);
  guint i, n = 0;

  if (!mode_is_valid (mode)) {
    g_string_append_printf (s, "mode %d is not a Kling mode: set mode to ",
        (gint) mode);
    append_modes (s, modes);
    return refuse (error, s);
  }
  g_string_append_printf (s, "%s does not render ", name);
  append_mode (s, mode);
  g_string_append (s, ": set mode to ");
  append_modes (s, modes);
  if (mode != KLING_MODE_4K)
    return refuse (error, s);
  /* Only the per-model API renders 4k today: a /v1 model with 4k would pass this check. */
  for (i = 0; i < G_N_ELEMENTS (models); i++) {
    if (models[i].retired || models[i].generation != KLING_API_PER_MODEL ||
        !(models[i].modes & KLING_MODE_BIT (KLING_MODE_4K)))
      continue;
    g_string_append_printf (s, "%s%s", n++ == 0 ? "; 4k is only on " : " or ",
        models[i].name);
  }
  if (n > 0)
    g_string_append (s, " of Kling's per-model API");
  return refuse (error, s);
}

static gboolean
refuse_duration (const KlingModelInfo * info, const KlingRenderSpec * spec,
    GError ** error)
{
  const KlingModelInfo *other = first_alternative (info, spec->endpoint,
      has_duration_filter, GUINT_TO_POINTER (spec->duration_s));
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "%s renders ", info->name);
  append_durations (s, info->durations);
  g_string_append_printf (s, ", not %u s: ", spec->duration_s);
  append_duration_advice (s, info->durations);
  if (other) {
    g_string_append_printf (s, ", or use %s (", other->name);
    append_durations (s, other->durations);
    g_string_append_c (s, ')');
  }
  return refuse (error, s);
}

/* "<model> <does what> only in pro mode (1080p): set mode=pro<or undo>". */
static gboolean
refuse_only_in_modes (const KlingModelInfo * info, const gchar * does,
    guint modes, const gchar * or_undo, GError ** error)
{
  GString *s = g_string_new (NULL);
  gint only = single_mode (modes);

  g_string_append_printf (s, "%s %s only in ", info->name, does);
  if (only >= 0) {
    append_mode (s, (KlingMode) only);
    g_string_append_printf (s, ": set mode=%s%s", mode_names[only].name,
        or_undo);
  } else {
    append_modes (s, modes);
    g_string_append_printf (s, " mode: change mode%s", or_undo);
  }
  return refuse (error, s);
}

static gboolean
refuse_end_frame (const KlingModelInfo * info, const KlingRenderSpec * spec,
    GError ** error)
{
  GString *s;
  const KlingModelInfo *other;

  if (info->end_frame_modes != 0)
    return refuse_only_in_modes (info, "takes an end frame",
        info->end_frame_modes, ", or drop the end frame", error);
  other =
      first_alternative (info, spec->endpoint, end_frame_filter,
      GUINT_TO_POINTER (spec->mode));
  s = g_string_new (NULL);
  g_string_append_printf (s, "%s takes no end frame: drop the end frame",
      info->name);
  if (other)
    g_string_append_printf (s, ", or use %s", other->name);
  return refuse (error, s);
}

static gboolean
end_frame_and_audio_filter (const KlingModelInfo * info, gconstpointer data)
{
  return (info->end_frame_modes & info->audio_modes) != 0;
}

/* kling-v2-6: audio only in pro, an end frame only in std: no mode has both, so the two
 * single-rule sentences would send a person back and forth. */
static gboolean
refuse_end_frame_with_audio (const KlingModelInfo * info,
    const KlingRenderSpec * spec, GError ** error)
{
  const KlingModelInfo *other = first_alternative (info, spec->endpoint,
      end_frame_and_audio_filter, NULL);
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "%s makes native audio only in ", info->name);
  append_modes (s, info->audio_modes);
  g_string_append (s, " mode and takes an end frame only in ");
  append_modes (s, info->end_frame_modes);
  g_string_append (s, " mode: drop the end frame or set sound=false");
  if (other)
    g_string_append_printf (s, ", or use %s", other->name);
  return refuse (error, s);
}

static gboolean
refuse_audio (const KlingModelInfo * info, const KlingRenderSpec * spec,
    GError ** error)
{
  GString *s;

  if (info->audio_modes != 0)
    return refuse_only_in_modes (info, "makes native audio", info->audio_modes,
        " or sound=false", error);
  s = g_string_new (NULL);
  g_string_append_printf (s, "%s makes no native audio: set sound=false",
      info->name);
  if (first_alternative (info, spec->endpoint, audio_filter,
          GUINT_TO_POINTER (spec->mode))) {
    g_string_append (s, ", or use ");
    append_names (s, spec->endpoint, info->generation, info->name, audio_filter,
        GUINT_TO_POINTER (spec->mode));
  }
  return refuse (error, s);
}

static gboolean
refuse_camera (const KlingModelInfo * info, const KlingRenderSpec * spec,
    GError ** error)
{
  GString *s = g_string_new (NULL);
  const KlingModelInfo *other;

  if (info->camera_modes != 0) {
    g_string_append_printf (s, "camera-control on %s needs mode ", info->name);
    append_modes (s, info->camera_modes);
    g_string_append (s, " and a duration of ");
    append_durations (s, info->camera_durations);
    g_string_append (s, ": change them, or unset camera-control");
    return refuse (error, s);
  }
  other = first_alternative (info, spec->endpoint, camera_filter, NULL);
  g_string_append_printf (s, "camera-control is not available on %s",
      info->name);
  if (other)
    g_string_append_printf (s, ": unset camera-control, or use %s",
        other->name);
  else
    g_string_append_printf (s,
        " (no model Kling serves for %s takes it): unset " "camera-control",
        kling_endpoint_name (spec->endpoint));
  return refuse (error, s);
}

static gboolean
refuse_multi_shot (const KlingModelInfo * info, const KlingRenderSpec * spec,
    GError ** error)
{
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "%s makes no multi-shot clips: unset multi-shot",
      info->name);
  if (first_alternative (info, spec->endpoint, multi_shot_filter, NULL)) {
    g_string_append (s, ", or use ");
    append_names (s, spec->endpoint, info->generation, info->name,
        multi_shot_filter, NULL);
  }
  return refuse (error, s);
}

static gboolean
refuse_printf (GError ** error, const gchar * format, ...)
G_GNUC_PRINTF (2, 3);

     static gboolean refuse_printf (GError ** error, const gchar * format, ...)
{
  GString *s = g_string_new (NULL);
  va_list args;

  va_start (args, format);
  g_string_append_vprintf (s, format, args);
  va_end (args);
  return refuse (error, s);
}

static gboolean
camera_fits (const KlingModelInfo * info, const KlingRenderSpec * spec)
{
  return (info->camera_modes & KLING_MODE_BIT (spec->mode)) &&
      spec->duration_s <= KLING_MAX_DURATION_S &&
      (info->camera_durations & KLING_DURATION_BIT (spec->duration_s));
}

/* The rules of one known row, in the order a person would fix them. */
static gboolean
check_known (const KlingModelInfo * info, const KlingRenderSpec * spec,
    GError ** error)
{
  if (info->retired)
    return refuse_retired (info, spec->endpoint, error);
  if (!kling_model_info_has_mode (info, spec->mode))
    return refuse_mode (info->name, info->modes, spec->mode, error);
  if (!kling_model_info_has_duration (info, spec->duration_s))
    return refuse_duration (info, spec, error);
  if (spec->end_frame && spec->sound && info->end_frame_modes
      && info->audio_modes && !(info->end_frame_modes & info->audio_modes))
    return refuse_end_frame_with_audio (info, spec, error);
  if (spec->end_frame && !(info->end_frame_modes & KLING_MODE_BIT (spec->mode)))
    return refuse_end_frame (info, spec, error);
  if (spec->sound && !kling_model_info_makes_audio (info, spec->mode, TRUE))
    return refuse_audio (info, spec, error);
  if (spec->camera_control && !camera_fits (info, spec))
    return refuse_camera (info, spec, error);
  if (spec->multi_shot && !info->multi_shot)
    return refuse_multi_shot (info, spec, error);
  if (!spec->prompt && info->prompt_required)
    return refuse_printf (error, "%s needs a prompt: set prompt", info->name);
  return TRUE;
}

/* A name the table does not know goes to the /v1 API: what that API takes at all. */
static gboolean
check_unknown (const gchar * name, const KlingRenderSpec * spec,
    GError ** error)
{
  guint32 durations = served_durations (spec->endpoint);

  if (!mode_is_valid (spec->mode) || spec->mode == KLING_MODE_4K)
    return refuse_mode (name, STD_PRO, spec->mode, error);
  if (spec->duration_s > KLING_MAX_DURATION_S ||
      !(durations & KLING_DURATION_BIT (spec->duration_s))) {
    GString *s = g_string_new (NULL);

    g_string_append_printf (s, "No model Kling serves renders %u s for %s: ",
        spec->duration_s, kling_endpoint_name (spec->endpoint));
    append_duration_advice (s, durations);
    return refuse (error, s);
  }
  return TRUE;
}

gboolean
kling_models_check (const KlingRenderSpec * spec, gboolean * unknown_model,
    GError ** error)
{
  const gchar *name;
  const KlingModelInfo *info;

  g_return_val_if_fail (spec != NULL, FALSE);

  name = spec->model_name
      && *spec->model_name ? spec->model_name : KLING_DEFAULT_MODEL;
  info = kling_models_lookup (name, spec->endpoint);
  if (unknown_model)
    *unknown_model = info == NULL;
  if (info ? !check_known (info, spec, error) : !check_unknown (name, spec,
          error))
    return FALSE;
  /* Rules of the endpoint, whatever the model. */
  if (spec->end_frame && spec->camera_control)
    return refuse_printf (error,
        "An end frame and camera-control cannot be combined (Kling "
        "refuses it): drop one");
  if (spec->endpoint == KLING_ENDPOINT_TEXT2VIDEO && !spec->prompt)
    return refuse_printf (error, "text2video needs a prompt: set prompt");
  return TRUE;
}

/* --- estimates and the 1203 sentence ---------------------------------------------------- */

gboolean
kling_models_estimate (const gchar * model_name, KlingEndpoint endpoint,
    KlingMode mode, guint duration_s, gboolean sound, gdouble * usd,
    guint * render_s)
{
  const KlingModelInfo *info = kling_models_lookup (model_name
      && *model_name ? model_name : KLING_DEFAULT_MODEL, endpoint);
  /* A name the table does not know (or no longer serves) would wait about as long as the
   * endpoint's default model, or, where that has no row (lip-sync: the rows name the
   * models whose videos it animates), as the endpoint's first row says. */
  const KlingModelInfo *timing = info && info->render_s[endpoint] ? info :
      kling_models_lookup (KLING_DEFAULT_MODEL, endpoint);
  gdouble price;
  guint i;

  for (i = 0; !timing && i < G_N_ELEMENTS (models); i++)
    if ((models[i].endpoints & endpoint_bit (endpoint))
        && models[i].render_s[endpoint])
      timing = &models[i];
  if (render_s)
    *render_s = timing ? timing->render_s[endpoint] : 0;
  if (usd)
    *usd = 0;
  if (info == NULL || info->retired || !kling_model_info_has_mode (info, mode))
    return FALSE;
  price =
      info->usd_per_s[mode][kling_model_info_makes_audio (info, mode, sound)];
  if (price <= 0)
    return FALSE;
  /* To a tenth of a cent: 0.084 x 5 is 0.42, not 0.42000000000000004. */
  if (usd)
    *usd = round (price * duration_s * 1000.0) / 1000.0;
  return TRUE;
}

gchar *
kling_models_dup_not_served_sentence (const gchar * model_name,
    KlingEndpoint endpoint, const gchar * tag)
{
  GString *s;

  if (endpoint != KLING_ENDPOINT_IMAGE2VIDEO
      && endpoint != KLING_ENDPOINT_TEXT2VIDEO)
    return NULL;
  s = g_string_new (NULL);
  g_string_append_printf (s, "Kling does not serve %s for %s%s: use ",
      model_name && *model_name ? model_name : "the requested model",
      kling_endpoint_name (endpoint), tag ? tag : "");
  append_names (s, endpoint, KLING_API_V1, model_name, NULL, NULL);
  return g_string_free (s, FALSE);
}
