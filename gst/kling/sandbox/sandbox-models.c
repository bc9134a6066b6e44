/* kling-sandbox: the model table (see sandbox-models.h). Every per-model rule the
 * sandbox applies is a column here; the request checks read it and hold no model name. */
#include "sandbox-models.h"
#include "sandbox-private.h"

#include <math.h>

#define SECONDS(n)      (1u << (n))
#define FIVE_OR_TEN     (SECONDS (5) | SECONDS (10))
#define THREE_TO_FIFTEEN 0xfff8u        /* bits 3..15 */
#define STD             SANDBOX_MODE_STD
#define PRO             SANDBOX_MODE_PRO
#define ALL             SANDBOX_MODES_ALL

/* One unit of a Kling resource pack costs USD 0.14 (30,000 units for USD 4,200): the
 * price list divided by it gives the units a task is charged. */
#define USD_PER_UNIT    0.14

/* Retired models answered as before the retirement (--accept-any-model): 5 or 10 s,
 * both modes, cfg_scale, camera_control, masks and an end frame anywhere, no prompt
 * needed, no sound, kling-v1.6 prices. */
#define RETIRED(model, frames_per_s) \
  { model, "2026-09-15", frames_per_s, FIVE_OR_TEN, 0, ALL, ALL, TRUE, FALSE, TRUE, FALSE, \
    TRUE, { { 0.028, 0 }, { 0.098, 0 } } }

/* The first row is what an absent model_name means. */
/* *INDENT-OFF* */
static const SandboxModel models[] = {
  /* name, retired, fps, durations, sound, end frame, camera, masks, multi-shot,
   * cfg_scale, prompt required, extendable, USD/s [std, pro][silent, sound] */
  { "kling-v3", NULL, 24, THREE_TO_FIFTEEN, ALL, ALL, 0, FALSE, TRUE, FALSE, TRUE, FALSE,
    { { 0.084, 0.112 }, { 0.112, 0.14 } } },
  { "kling-v2-6", NULL, 24, FIVE_OR_TEN, PRO, STD, 0, FALSE, FALSE, FALSE, TRUE, FALSE,
    { { 0.042, 0 }, { 0.07, 0.14 } } },
  { "kling-v2-5-turbo", NULL, 24, FIVE_OR_TEN, 0, PRO, 0, FALSE, FALSE, FALSE, TRUE, FALSE,
    { { 0.042, 0 }, { 0.07, 0 } } },
  RETIRED ("kling-v1", 30),
  RETIRED ("kling-v1-5", 30),
  RETIRED ("kling-v1-6", 30),
  RETIRED ("kling-v2-master", 24),
  RETIRED ("kling-v2-1", 24),
  RETIRED ("kling-v2-1-master", 24),
};
/* *INDENT-ON* */

/* A name the table does not know, under --accept-any-model (Kling adds models). */
static const SandboxModel any_model = RETIRED (NULL, 24);

/* What the endpoints without a model charge per task: the sandbox's own figures. */
static const struct
{
  const gchar *kind;
  gdouble units;
} flat_units[] = {
  {"video-extend", 1.0},
  {"lip-sync", 1.0},
  {"advanced-lip-sync", 1.0},
  {"identify-face", 0.1},
};

const SandboxModel *
sandbox_model_lookup (const gchar * name, gboolean accept_any)
{
  if (name == NULL)
    return &models[0];
  for (guint i = 0; i < G_N_ELEMENTS (models); i++) {
    if (g_str_equal (models[i].name, name))
      return &models[i];
  }
  return accept_any ? &any_model : NULL;
}

gboolean
sandbox_model_is_served (const SandboxModel * model)
{
  return model->retired_on == NULL;
}

gchar *
sandbox_model_dup_served_names (void)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (models); i++)
    if (sandbox_model_is_served (&models[i]))
      g_ptr_array_add (names, (gpointer) models[i].name);
  for (guint i = 0; i < names->len; i++) {
    if (i > 0)
      g_string_append (text, i + 1 == names->len ? " or " : ", ");
    g_string_append (text, g_ptr_array_index (names, i));
  }
  return g_string_free (text, FALSE);
}

gboolean
sandbox_model_takes_duration (const SandboxModel * model, guint seconds)
{
  return seconds < 32 && (model->durations & SECONDS (seconds)) != 0;
}

gchar *
sandbox_model_dup_durations (const SandboxModel * model)
{
  GString *text = g_string_new (NULL);
  guint first = 0, last = 0, count = 0;

  for (guint s = 1; s < 32; s++) {
    if (!sandbox_model_takes_duration (model, s))
      continue;
    first = first ? first : s;
    last = s;
    count++;
  }
  /* A run of whole seconds reads as a range, a few values as a list. */
  if (count > 2 && last - first + 1 == count) {
    g_string_printf (text, "\"%u\" to \"%u\"", first, last);
    return g_string_free (text, FALSE);
  }
  for (guint s = first; count > 0 && s <= last; s++) {
    if (!sandbox_model_takes_duration (model, s))
      continue;
    if (text->len > 0)
      g_string_append (text, s == last ? " or " : ", ");
    g_string_append_printf (text, "\"%u\"", s);
  }
  return g_string_free (text, FALSE);
}

gboolean
sandbox_model_offers (guint modes, gboolean pro)
{
  return (modes & (pro ? PRO : STD)) != 0;
}

const gchar *
sandbox_model_modes_text (guint modes)
{
  switch (modes & ALL) {
    case ALL:
      return "std and pro";
    case STD:
      return "std";
    case PRO:
      return "pro";
    default:
      return "no";
  }
}

gchar *
sandbox_units_charged (const gchar * kind, const SandboxModel * model,
    gboolean pro, gboolean sound, guint seconds)
{
  gdouble units = 0;

  if (model != NULL) {
    units =
        model->usd_per_s[pro ? 1 : 0][sound ? 1 : 0] * seconds / USD_PER_UNIT;
  } else {
    for (guint i = 0; i < G_N_ELEMENTS (flat_units); i++)
      if (g_str_equal (flat_units[i].kind, kind))
        units = flat_units[i].units;
  }
  /* Cents of a unit, as Kling writes them ("1.5", "3"). */
  return sandbox_format_decimal (round (units * 100.0) / 100.0, 2);
}

/* ---- the per-model API ----------------------------------------------------------------
 * From the per-model table of docs/kling-api.md. Where the contract gives no price
 * (kling-3.0 4k with audio) the silent one applies. */

#define R720   SANDBOX_RES_720P
#define R1080  SANDBOX_RES_1080P
#define R4K    SANDBOX_RES_4K

/* *INDENT-OFF* */
static const SandboxModelV2 models_v2[] = {
  /* name, fps, durations, resolutions, audio in, audio always, last frame in, multi-shot,
   * USD/s [720p, 1080p, 4k][silent, audio] */
  { "kling-3.0", 24, THREE_TO_FIFTEEN, R720 | R1080 | R4K, R720 | R1080 | R4K, FALSE,
    R720 | R1080 | R4K, TRUE, { { 0.084, 0.112 }, { 0.112, 0.14 }, { 0.42, 0.42 } } },
  { "kling-3.0-turbo", 24, THREE_TO_FIFTEEN, R720 | R1080, R720 | R1080, TRUE, 0, FALSE,
    { { 0, 0.112 }, { 0, 0.14 }, { 0, 0 } } },
  { "kling-2.6", 24, FIVE_OR_TEN, R720 | R1080, R1080, FALSE, R720 | R1080, FALSE,
    { { 0.042, 0 }, { 0.07, 0.14 }, { 0, 0 } } },
  { "kling-2.5-turbo", 24, FIVE_OR_TEN, R720 | R1080, 0, FALSE, R1080, FALSE,
    { { 0.042, 0 }, { 0.07, 0 }, { 0, 0 } } },
};
/* *INDENT-ON* */

static const gchar *const resolution_names[SANDBOX_RES_COUNT] =
    { "720p", "1080p", "4k" };

const SandboxModelV2 *
sandbox_model_v2_lookup (const gchar * name)
{
  for (guint i = 0; name && i < G_N_ELEMENTS (models_v2); i++)
    if (g_str_equal (models_v2[i].name, name))
      return &models_v2[i];
  return NULL;
}

const SandboxModelV2 *
sandbox_model_v2_nth (guint i)
{
  return i < G_N_ELEMENTS (models_v2) ? &models_v2[i] : NULL;
}

/* "a, b, c or d" */
static void
append_listed (GString * text, guint i, guint count, const gchar * word,
    const gchar * last)
{
  if (i > 0)
    g_string_append (text, i + 1 == count ? last : ", ");
  g_string_append (text, word);
}

gchar *
sandbox_model_v2_dup_names (void)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (models_v2); i++)
    append_listed (text, i, G_N_ELEMENTS (models_v2), models_v2[i].name,
        " or ");
  return g_string_free (text, FALSE);
}

gboolean
sandbox_model_v2_takes_duration (const SandboxModelV2 * model, guint seconds)
{
  return seconds < 32 && (model->durations & SECONDS (seconds)) != 0;
}

gchar *
sandbox_model_v2_dup_durations (const SandboxModelV2 * model)
{
  /* Same bit set as the /v1 rows: reuse their wording, without the quotes (an int). */
  SandboxModel row = {.durations = model->durations };
  g_autofree gchar *quoted = sandbox_model_dup_durations (&row);
  g_auto (GStrv) parts = g_strsplit (quoted, "\"", -1);

  return g_strjoinv ("", parts);
}

guint
sandbox_resolution_index (guint resolution)
{
  return resolution == R4K ? 2 : resolution == R1080 ? 1 : 0;
}

const gchar *
sandbox_resolution_name (guint resolution)
{
  return resolution_names[sandbox_resolution_index (resolution)];
}

gchar *
sandbox_resolutions_text (guint set)
{
  GString *text = g_string_new (NULL);
  guint count = 0, i = 0;

  for (guint bit = R720; bit <= R4K; bit <<= 1)
    count += (set & bit) != 0;
  for (guint bit = R720; bit <= R4K; bit <<= 1)
    if (set & bit)
      append_listed (text, i++, count, sandbox_resolution_name (bit), " and ");
  return g_string_free (text, FALSE);
}

gchar *
sandbox_model_v2_usd_charged (const SandboxModelV2 * model, guint resolution,
    gboolean audio, guint seconds)
{
  gdouble usd =
      model->usd_per_s[sandbox_resolution_index (resolution)][audio ? 1 : 0] *
      seconds;

  /* Tenths of a cent: the prices have three decimals and the seconds are whole. */
  return sandbox_format_decimal (round (usd * 1000.0) / 1000.0, 3);
}
