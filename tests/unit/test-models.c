/* Unit tests: the model table against docs/kling-api.md row by row, the estimates, and
 * every sentence a refusal can say. */
#include <gst/check/gstcheck.h>
#include <string.h>
#include "kling-models.h"
#include "kling-error.h"

#define STD  KLING_MODE_BIT (KLING_MODE_STD)
#define PRO  KLING_MODE_BIT (KLING_MODE_PRO)
#define UHD  KLING_MODE_BIT (KLING_MODE_4K)
#define I2V  KLING_ENDPOINT_IMAGE2VIDEO
#define T2V  KLING_ENDPOINT_TEXT2VIDEO

/* One row as docs/kling-api.md describes it. Durations as the seconds 1..16 it renders. */
typedef struct
{
  const gchar *name;
  KlingApiGeneration generation;
  const gchar *retired;
  const gchar *durations;       /* "5,10" or "3-15" */
  guint modes, audio_modes;
  gboolean audio_always;
  guint end_frame_modes;
  gboolean multi_shot;
  guint camera_modes;
  guint camera_duration;
  gboolean cfg_scale, prompt_required;
  gdouble usd[KLING_N_MODES][2];
} Expected;

/* *INDENT-OFF* */
static const Expected video_rows[] = {
  {"kling-v3", KLING_API_V1, NULL, "3-15", STD | PRO, STD | PRO, FALSE, STD | PRO, TRUE, 0, 0,
    FALSE, TRUE, {{0.084, 0.112}, {0.112, 0.14}, {0, 0}}},
  {"kling-v2-6", KLING_API_V1, NULL, "5,10", STD | PRO, PRO, FALSE, STD, FALSE, 0, 0, FALSE,
    TRUE, {{0.042, 0}, {0.07, 0.14}, {0, 0}}},
  {"kling-v2-5-turbo", KLING_API_V1, NULL, "5,10", STD | PRO, 0, FALSE, PRO, FALSE, 0, 0,
    FALSE, TRUE, {{0.042, 0}, {0.07, 0}, {0, 0}}},
  {"kling-v1", KLING_API_V1, "2026-09-15", "5,10", STD | PRO, 0, FALSE, 0, FALSE, 0, 0, TRUE,
    FALSE, {{0}}},
  {"kling-v1-5", KLING_API_V1, "2026-09-15", "5,10", STD | PRO, 0, FALSE, 0, FALSE, PRO, 5,
    TRUE, FALSE, {{0}}},
  {"kling-v1-6", KLING_API_V1, "2026-09-15", "5,10", STD | PRO, 0, FALSE, 0, FALSE, 0, 0,
    TRUE, FALSE, {{0}}},
  {"kling-v2-master", KLING_API_V1, "2026-09-15", "5,10", STD | PRO, 0, FALSE, 0, FALSE, 0,
    0, FALSE, FALSE, {{0}}},
  {"kling-v2-1", KLING_API_V1, "2026-09-15", "5,10", STD | PRO, 0, FALSE, 0, FALSE, 0, 0,
    FALSE, FALSE, {{0}}},
  {"kling-v2-1-master", KLING_API_V1, "2026-09-15", "5,10", STD | PRO, 0, FALSE, 0, FALSE,
    0, 0, FALSE, FALSE, {{0}}},
  {"kling-3.0", KLING_API_PER_MODEL, NULL, "3-15", STD | PRO | UHD, STD | PRO | UHD, FALSE,
    STD | PRO | UHD, TRUE, 0, 0, FALSE, FALSE, {{0.084, 0.112}, {0.112, 0.14}, {0.42, 0}}},
  {"kling-3.0-turbo", KLING_API_PER_MODEL, NULL, "3-15", STD | PRO, 0, TRUE, 0, FALSE, 0, 0,
    FALSE, FALSE, {{0, 0.112}, {0, 0.14}, {0, 0}}},
  {"kling-2.6", KLING_API_PER_MODEL, NULL, "5,10", STD | PRO, PRO, FALSE, STD, FALSE, 0, 0,
    FALSE, FALSE, {{0.042, 0}, {0.07, 0.14}, {0, 0}}},
  {"kling-2.5-turbo", KLING_API_PER_MODEL, NULL, "5,10", STD | PRO, 0, FALSE, PRO, FALSE, 0,
    0, FALSE, FALSE, {{0.042, 0}, {0.07, 0}, {0, 0}}},
  {"kling-o1", KLING_API_PER_MODEL, NULL, "5,10", STD | PRO, 0, FALSE, 0, FALSE, 0, 0, FALSE,
    FALSE, {{0}}},
};
/* *INDENT-ON* */

static gboolean
expected_duration (const gchar * spec, guint s)
{
  if (g_str_equal (spec, "3-15"))
    return s >= 3 && s <= 15;
  if (g_str_equal (spec, "2-10"))
    return s >= 2 && s <= 10;
  return s == 5 || s == 10;
}

static void
check_row (const Expected * e, KlingEndpoint endpoint)
{
  const KlingModelInfo *info = kling_models_lookup (e->name, endpoint);
  guint s, m;

  fail_unless (info != NULL, "%s is not in the table for %s", e->name,
      kling_endpoint_name (endpoint));
  fail_unless_equals_string (info->name, e->name);
  fail_unless_equals_int (info->generation, e->generation);
  fail_unless_equals_string (info->retired, e->retired);
  for (s = 0; s <= 16; s++)
    fail_unless (kling_model_info_has_duration (info,
            s) == expected_duration (e->durations, s), "%s: %u s", e->name, s);
  fail_unless_equals_int (info->modes, e->modes);
  fail_unless_equals_int (info->audio_modes, e->audio_modes);
  fail_unless (info->audio_always == e->audio_always, "%s audio_always",
      e->name);
  /* An end frame needs an image: text2video rows have the field, never the use. */
  fail_unless_equals_int (info->end_frame_modes, e->end_frame_modes);
  fail_unless (info->multi_shot == e->multi_shot, "%s multi_shot", e->name);
  fail_unless_equals_int (info->camera_modes, e->camera_modes);
  fail_unless_equals_int (info->camera_durations, e->camera_duration ?
      KLING_DURATION_BIT (e->camera_duration) : 0);
  fail_unless (info->cfg_scale == e->cfg_scale, "%s cfg_scale", e->name);
  fail_unless (info->prompt_required == e->prompt_required, "%s prompt",
      e->name);
  for (m = 0; m < KLING_N_MODES; m++) {
    fail_unless (info->usd_per_s[m][0] == e->usd[m][0], "%s price %u", e->name,
        m);
    fail_unless (info->usd_per_s[m][1] == e->usd[m][1], "%s audio price %u",
        e->name, m);
  }
}

GST_START_TEST (test_table_video_rows)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (video_rows); i++) {
    check_row (&video_rows[i], I2V);
    check_row (&video_rows[i], T2V);
  }
  /* The per-model API's names are not /v1 names, and the other way round. */
  fail_unless (kling_models_lookup ("kling-v3",
          I2V)->generation == KLING_API_V1);
  fail_unless (kling_models_lookup ("kling-3.0",
          I2V)->generation == KLING_API_PER_MODEL);
  fail_unless (kling_models_lookup ("kling-v9", I2V) == NULL);
  fail_unless (kling_models_lookup (NULL, I2V) == NULL);
  fail_unless (kling_models_lookup ("kling-v3",
          KLING_ENDPOINT_LIP_SYNC) == NULL);
  fail_unless (kling_models_lookup ("kling-v3",
          KLING_ENDPOINT_VIDEO_EXTEND) == NULL);
}

GST_END_TEST;

GST_START_TEST (test_table_lip_sync_rows)
{
  static const gchar *const names[] =
      { "kling-v1-5", "kling-v1-6", "kling-v2", "kling-v2-1" };
  guint i, s;

  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    const KlingModelInfo *one =
        kling_models_lookup (names[i], KLING_ENDPOINT_LIP_SYNC);
    const KlingModelInfo *adv = kling_models_lookup (names[i],
        KLING_ENDPOINT_ADVANCED_LIP_SYNC);

    fail_unless (one != NULL && one == adv, "%s", names[i]);
    fail_unless (one->retired == NULL, "lip-sync retired nothing, not %s",
        names[i]);
    fail_unless_equals_int (one->modes, STD | PRO);
    for (s = 0; s <= 12; s++)
      fail_unless (kling_model_info_has_duration (one,
              s) == expected_duration ("2-10", s));
  }
  /* kling-v1-5 retired from image2video, still lip-synced. */
  fail_unless (kling_models_lookup ("kling-v1-5", I2V)->retired != NULL);
  fail_unless (kling_models_lookup ("kling-v2", I2V) == NULL);
  fail_unless (kling_model_is_known ("kling-v2"));
  fail_unless (kling_model_is_known ("kling-v1-6"));
  fail_unless (kling_model_is_known ("kling-3.0-turbo"));
  fail_unless (!kling_model_is_known ("kling-v9"));
  fail_unless (!kling_model_is_known (NULL));
}

GST_END_TEST;

GST_START_TEST (test_modes_and_paths)
{
  g_autofree gchar *p1 = NULL, *p2 = NULL, *p3 = NULL, *p4 = NULL;

  fail_unless_equals_string (kling_mode_to_string (KLING_MODE_STD), "std");
  fail_unless_equals_string (kling_mode_to_string (KLING_MODE_PRO), "pro");
  fail_unless_equals_string (kling_mode_to_string (KLING_MODE_4K), "4k");
  fail_unless (kling_mode_to_string ((KlingMode) 7) == NULL);
  fail_unless_equals_string (kling_mode_resolution (KLING_MODE_STD), "720p");
  fail_unless_equals_string (kling_mode_resolution (KLING_MODE_PRO), "1080p");
  fail_unless_equals_string (kling_mode_resolution (KLING_MODE_4K), "4k");

  p1 = kling_model_info_dup_create_path (kling_models_lookup ("kling-3.0", I2V),
      I2V);
  p2 = kling_model_info_dup_create_path (kling_models_lookup ("kling-2.6", T2V),
      T2V);
  p3 = kling_model_info_dup_create_path (kling_models_lookup ("kling-o1", T2V),
      T2V);
  p4 = kling_model_info_dup_create_path (kling_models_lookup ("kling-v3", I2V),
      I2V);
  fail_unless_equals_string (p1, "/image-to-video/kling-3.0");
  fail_unless_equals_string (p2, "/text-to-video/kling-2.6");
  fail_unless_equals_string (p3, "/omni-video/kling-o1");
  fail_unless (p4 == NULL);

  /* Audio: asked for and allowed, or always on. */
  fail_unless (kling_model_info_makes_audio (kling_models_lookup ("kling-v2-6",
              I2V), KLING_MODE_PRO, TRUE));
  fail_unless (!kling_model_info_makes_audio (kling_models_lookup ("kling-v2-6",
              I2V), KLING_MODE_STD, TRUE));
  fail_unless (!kling_model_info_makes_audio (kling_models_lookup ("kling-v3",
              I2V), KLING_MODE_STD, FALSE));
  fail_unless (kling_model_info_makes_audio (kling_models_lookup
          ("kling-3.0-turbo", I2V), KLING_MODE_STD, FALSE));
}

GST_END_TEST;

GST_START_TEST (test_live_names_and_blurb)
{
  g_autofree gchar *i2v = kling_models_live_names (I2V, KLING_API_V1);
  g_autofree gchar *t2v = kling_models_live_names (T2V, KLING_API_V1);
  g_autofree gchar *per_model =
      kling_models_live_names (I2V, KLING_API_PER_MODEL);
  g_autofree gchar *lip =
      kling_models_live_names (KLING_ENDPOINT_ADVANCED_LIP_SYNC,
      KLING_API_V1);
  g_autofree gchar *extend =
      kling_models_live_names (KLING_ENDPOINT_VIDEO_EXTEND,
      KLING_API_V1);

  fail_unless_equals_string (i2v, "kling-v3, kling-v2-6 or kling-v2-5-turbo");
  fail_unless_equals_string (t2v, "kling-v3, kling-v2-6 or kling-v2-5-turbo");
  fail_unless_equals_string (per_model,
      "kling-3.0, kling-3.0-turbo, kling-2.6, kling-2.5-turbo or kling-o1");
  fail_unless_equals_string (lip,
      "kling-v1-5, kling-v1-6, kling-v2 or kling-v2-1");
  fail_unless_equals_string (extend, "");

  fail_unless_equals_string (KLING_DEFAULT_MODEL, "kling-v3");
  fail_unless_equals_string (kling_models_blurb (I2V),
      "Kling model: kling-v3, kling-v2-6 "
      "or kling-v2-5-turbo (the default, kling-v3, is the newest: 3 to 15 s, native audio, "
      "an end frame, multi-shot); on Kling's per-model API (API key only): kling-3.0, "
      "kling-3.0-turbo, kling-2.6, kling-2.5-turbo or kling-o1. Retired models are refused "
      "before any request; names gst-kling does not know are sent with a warning");
  fail_unless_equals_string (kling_models_blurb (T2V),
      "Kling model: kling-v3, kling-v2-6 "
      "or kling-v2-5-turbo (the default, kling-v3, is the newest: 3 to 15 s, native audio, "
      "multi-shot); on Kling's per-model API (API key only): kling-3.0, kling-3.0-turbo, "
      "kling-2.6, kling-2.5-turbo or kling-o1. Retired models are refused before any "
      "request; names gst-kling does not know are sent with a warning");
  /* Static: the same pointer every time, fit for a GParamSpec. */
  fail_unless (kling_models_blurb (I2V) == kling_models_blurb (I2V));
}

GST_END_TEST;

static void
check_estimate (const gchar * model, KlingEndpoint endpoint, KlingMode mode,
    guint duration, gboolean sound, gboolean priced, gdouble usd,
    guint render_s)
{
  gdouble got_usd = -1;
  guint got_render = 0;

  fail_unless (kling_models_estimate (model, endpoint, mode, duration, sound,
          &got_usd, &got_render) == priced, "%s %u s", model, duration);
  fail_unless (got_usd == usd, "%s %s %u s sound %d: %.6f, expected %.6f",
      model, kling_mode_to_string (mode), duration, sound, got_usd, usd);
  fail_unless_equals_int (got_render, render_s);
}

GST_START_TEST (test_estimates)
{
  check_estimate ("kling-v3", I2V, KLING_MODE_STD, 5, FALSE, TRUE, 0.42, 180);
  check_estimate (NULL, I2V, KLING_MODE_STD, 5, FALSE, TRUE, 0.42, 180);
  check_estimate ("kling-v3", I2V, KLING_MODE_STD, 5, TRUE, TRUE, 0.56, 180);
  check_estimate ("kling-v3", I2V, KLING_MODE_PRO, 15, TRUE, TRUE, 2.1, 180);
  check_estimate ("kling-v3", T2V, KLING_MODE_PRO, 3, FALSE, TRUE, 0.336, 300);
  check_estimate ("kling-v2-6", I2V, KLING_MODE_PRO, 10, TRUE, TRUE, 1.4, 180);
  check_estimate ("kling-v2-6", I2V, KLING_MODE_PRO, 10, FALSE, TRUE, 0.7, 180);
  /* No audio in std: the clip is silent, so it costs the silent price. */
  check_estimate ("kling-v2-6", I2V, KLING_MODE_STD, 5, TRUE, TRUE, 0.21, 180);
  check_estimate ("kling-v2-5-turbo", I2V, KLING_MODE_PRO, 10, FALSE, TRUE, 0.7,
      180);
  check_estimate ("kling-v2-5-turbo", T2V, KLING_MODE_STD, 10, TRUE, TRUE, 0.42,
      300);
  check_estimate ("kling-3.0", I2V, KLING_MODE_4K, 5, FALSE, TRUE, 2.1, 180);
  check_estimate ("kling-3.0", I2V, KLING_MODE_4K, 5, TRUE, FALSE, 0, 180);
  /* Always audio: the audio price, asked for or not. */
  check_estimate ("kling-3.0-turbo", I2V, KLING_MODE_STD, 5, FALSE, TRUE, 0.56,
      180);
  check_estimate ("kling-3.0-turbo", T2V, KLING_MODE_PRO, 15, FALSE, TRUE, 2.1,
      300);
  check_estimate ("kling-o1", I2V, KLING_MODE_STD, 5, FALSE, FALSE, 0, 180);
  check_estimate ("kling-v1-6", I2V, KLING_MODE_STD, 5, FALSE, FALSE, 0, 180);
  check_estimate ("kling-v9", I2V, KLING_MODE_STD, 5, FALSE, FALSE, 0, 180);
  check_estimate ("kling-v3", I2V, KLING_MODE_4K, 5, FALSE, FALSE, 0, 180);
  check_estimate ("kling-v1-6", KLING_ENDPOINT_LIP_SYNC, KLING_MODE_STD, 5,
      FALSE, FALSE, 0, 420);
  check_estimate ("kling-v2", KLING_ENDPOINT_ADVANCED_LIP_SYNC, KLING_MODE_PRO,
      5, FALSE, FALSE, 0, 420);
  /* klinglipsync names the model of its image2video step: lip-sync has no row for it,
   * and still waits the endpoint's typical time. */
  check_estimate ("kling-v3", KLING_ENDPOINT_LIP_SYNC, KLING_MODE_STD, 5, FALSE,
      FALSE, 0, 420);
  check_estimate (NULL, KLING_ENDPOINT_ADVANCED_LIP_SYNC, KLING_MODE_STD, 5,
      FALSE, FALSE, 0, 420);
  /* Both outputs are optional. */
  fail_unless (kling_models_estimate ("kling-v3", I2V, KLING_MODE_STD, 5, FALSE,
          NULL, NULL));
}

GST_END_TEST;

/* A render of kling-v3 that every rule accepts; each case changes what it names. */
static KlingRenderSpec
good_spec (const gchar * model, KlingEndpoint endpoint)
{
  KlingRenderSpec spec = {.model_name = model,.endpoint = endpoint,.mode =
        KLING_MODE_STD,
    .duration_s = 5,.prompt = TRUE
  };
  return spec;
}

static void
check_refusal (const KlingRenderSpec * spec, const gchar * sentence)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *user = NULL, *expected = NULL;
  gboolean unknown = TRUE;

  fail_unless (!kling_models_check (spec, &unknown, &error), "accepted: %s",
      sentence);
  fail_unless (g_error_matches (error, KLING_ERROR, KLING_ERROR_INVALID_INPUT));
  fail_unless_equals_int (kling_error_get_http_status (error), 0);
  fail_unless_equals_int (kling_error_get_kling_code (error), -1);
  fail_unless_equals_string (error->message, sentence);
  /* What the person reads is that sentence, once, with its period. */
  user = kling_error_dup_user_message (error);
  expected = g_strconcat (sentence, ".", NULL);
  fail_unless_equals_string (user, expected);
  fail_unless (unknown == (kling_models_lookup (spec->model_name
              && *spec->model_name ? spec->model_name : KLING_DEFAULT_MODEL,
              spec->endpoint) == NULL));
}

#define REFUSED(sentence, field_assignments) G_STMT_START { \
    KlingRenderSpec s_ = good_spec ("kling-v3", I2V); \
    field_assignments; \
    check_refusal (&s_, sentence); \
  } G_STMT_END

GST_START_TEST (test_refusal_sentences)
{
  REFUSED
      ("Kling no longer serves kling-v1-6 for image2video (retired 2026-09-15): use "
      "kling-v3, kling-v2-6 or kling-v2-5-turbo", s_.model_name = "kling-v1-6");
  REFUSED
      ("Kling no longer serves kling-v2-1-master for text2video (retired 2026-09-15): "
      "use kling-v3, kling-v2-6 or kling-v2-5-turbo", (s_.model_name =
          "kling-v2-1-master", s_.endpoint = T2V));
  REFUSED
      ("kling-v2-6 renders 5 or 10 s, not 7 s: set duration to 5 or 10, or use kling-v3 "
      "(3 to 15 s)", (s_.model_name = "kling-v2-6", s_.duration_s = 7));
  REFUSED
      ("kling-v2-5-turbo renders 5 or 10 s, not 3 s: set duration to 5 or 10, or use "
      "kling-v3 (3 to 15 s)", (s_.model_name =
          "kling-v2-5-turbo", s_.duration_s = 3));
  REFUSED
      ("kling-v3 renders 3 to 15 s, not 20 s: set duration between 3 and 15",
      s_.duration_s = 20);
  REFUSED ("kling-v3 renders 3 to 15 s, not 0 s: set duration between 3 and 15",
      s_.duration_s = 0);
  REFUSED
      ("kling-v3 renders 3 to 15 s, not 4000000000 s: set duration between 3 and 15",
      s_.duration_s = 4000000000u);
  REFUSED
      ("kling-v2-6 makes native audio only in pro mode (1080p): set mode=pro or "
      "sound=false", (s_.model_name = "kling-v2-6", s_.sound = TRUE));
  REFUSED
      ("kling-v2-5-turbo makes no native audio: set sound=false, or use kling-v3",
      (s_.model_name = "kling-v2-5-turbo", s_.sound = TRUE));
  REFUSED
      ("kling-v2-5-turbo makes no native audio: set sound=false, or use kling-v3 or "
      "kling-v2-6", (s_.model_name = "kling-v2-5-turbo", s_.sound =
          TRUE, s_.mode = KLING_MODE_PRO));
  REFUSED
      ("kling-v2-6 takes an end frame only in std mode (720p): set mode=std, or drop "
      "the end frame", (s_.model_name = "kling-v2-6", s_.end_frame =
          TRUE, s_.mode = KLING_MODE_PRO));
  REFUSED
      ("kling-v2-5-turbo takes an end frame only in pro mode (1080p): set mode=pro, or "
      "drop the end frame", (s_.model_name = "kling-v2-5-turbo", s_.end_frame =
          TRUE));
  REFUSED
      ("kling-v2-6 makes native audio only in pro (1080p) mode and takes an end frame "
      "only in std (720p) mode: drop the end frame or set sound=false, or use kling-v3",
      (s_.model_name = "kling-v2-6", s_.end_frame = TRUE, s_.sound = TRUE));
  REFUSED
      ("kling-3.0-turbo takes no end frame: drop the end frame, or use kling-3.0",
      (s_.model_name = "kling-3.0-turbo", s_.end_frame = TRUE));
  REFUSED
      ("camera-control is not available on kling-v3 (no model Kling serves for "
      "image2video takes it): unset camera-control", s_.camera_control = TRUE);
  REFUSED
      ("camera-control is not available on kling-v2-6 (no model Kling serves for "
      "text2video takes it): unset camera-control", (s_.model_name =
          "kling-v2-6", s_.endpoint = T2V, s_.camera_control = TRUE));
  REFUSED
      ("kling-v2-6 makes no multi-shot clips: unset multi-shot, or use kling-v3",
      (s_.model_name = "kling-v2-6", s_.multi_shot = TRUE));
  REFUSED ("kling-v3 needs a prompt: set prompt", s_.prompt = FALSE);
  REFUSED ("kling-v3 needs a prompt: set prompt", (s_.model_name =
          "", s_.prompt = FALSE));
  REFUSED ("kling-v2-5-turbo needs a prompt: set prompt", (s_.model_name =
          "kling-v2-5-turbo", s_.prompt = FALSE));
  REFUSED ("text2video needs a prompt: set prompt", (s_.model_name =
          "kling-3.0", s_.endpoint = T2V, s_.prompt = FALSE));
  REFUSED
      ("kling-v3 does not render 4k: set mode to std (720p) or pro (1080p); 4k is only "
      "on kling-3.0 of Kling's per-model API", s_.mode = KLING_MODE_4K);
  REFUSED
      ("kling-3.0-turbo does not render 4k: set mode to std (720p) or pro (1080p); 4k "
      "is only on kling-3.0 of Kling's per-model API", (s_.model_name =
          "kling-3.0-turbo", s_.mode = KLING_MODE_4K));
  REFUSED ("mode 7 is not a Kling mode: set mode to std (720p) or pro (1080p)",
      s_.mode = (KlingMode) 7);
  /* Names the table does not know: only what every model must obey. */
  REFUSED
      ("kling-v9 does not render 4k: set mode to std (720p) or pro (1080p); 4k is only "
      "on kling-3.0 of Kling's per-model API", (s_.model_name =
          "kling-v9", s_.mode = KLING_MODE_4K));
  REFUSED
      ("No model Kling serves renders 20 s for image2video: set duration between 3 and "
      "15", (s_.model_name = "kling-v9", s_.duration_s = 20));
  REFUSED
      ("No model Kling serves renders 2 s for text2video: set duration between 3 and 15",
      (s_.model_name = "kling-v9", s_.endpoint = T2V, s_.duration_s = 2));
  REFUSED
      ("An end frame and camera-control cannot be combined (Kling refuses it): drop one",
      (s_.model_name = "kling-v9", s_.end_frame = TRUE, s_.camera_control =
          TRUE));
  REFUSED ("text2video needs a prompt: set prompt", (s_.model_name =
          "kling-v9", s_.endpoint = T2V, s_.prompt = FALSE));
}

GST_END_TEST;

#define ACCEPTED(expect_unknown, field_assignments) G_STMT_START { \
    KlingRenderSpec s_ = good_spec ("kling-v3", I2V); \
    g_autoptr (GError) e_ = NULL; \
    gboolean unknown_ = !(expect_unknown); \
    field_assignments; \
    fail_unless (kling_models_check (&s_, &unknown_, &e_), "%s", e_ ? e_->message : ""); \
    fail_unless (unknown_ == (expect_unknown)); \
  } G_STMT_END

GST_START_TEST (test_accepted_settings)
{
  guint s;

  for (s = 3; s <= 15; s++)
    ACCEPTED (FALSE, s_.duration_s = s);
  ACCEPTED (FALSE, (s_.model_name = NULL, s_.duration_s = 15, s_.sound = TRUE,
          s_.end_frame = TRUE, s_.mode = KLING_MODE_PRO, s_.multi_shot = TRUE));
  ACCEPTED (FALSE, (s_.model_name = "kling-v2-6", s_.duration_s = 10, s_.sound =
          TRUE, s_.mode = KLING_MODE_PRO));
  ACCEPTED (FALSE, (s_.model_name = "kling-v2-6", s_.end_frame = TRUE));
  ACCEPTED (FALSE, (s_.model_name = "kling-v2-5-turbo", s_.end_frame = TRUE,
          s_.mode = KLING_MODE_PRO));
  /* Multi-shot prompts stand in for the prompt (the caller says so with .prompt). */
  ACCEPTED (FALSE, (s_.model_name = "kling-3.0", s_.mode =
          KLING_MODE_4K, s_.sound = TRUE, s_.end_frame = TRUE, s_.prompt =
          FALSE));
  ACCEPTED (FALSE, (s_.model_name = "kling-3.0-turbo", s_.endpoint =
          T2V, s_.sound = FALSE));
  ACCEPTED (FALSE, (s_.endpoint = T2V, s_.sound = TRUE));
  /* Kling adds models: an unknown name keeps its features, with a flag to warn. */
  ACCEPTED (TRUE, (s_.model_name = "kling-v9", s_.sound = TRUE, s_.end_frame =
          TRUE, s_.prompt = FALSE, s_.duration_s = 15));
  ACCEPTED (TRUE, (s_.model_name = "kling-v9", s_.camera_control = TRUE));
  ACCEPTED (TRUE, (s_.model_name = "kling-v2", s_.duration_s = 10));
}

GST_END_TEST;

GST_START_TEST (test_not_served_sentence)
{
  g_autofree gchar *unknown =
      kling_models_dup_not_served_sentence ("kling-v9", I2V,
      " (404, code 1203)");
  g_autofree gchar *live =
      kling_models_dup_not_served_sentence ("kling-v2-6", T2V,
      " (404, code 1203)");
  g_autofree gchar *nameless =
      kling_models_dup_not_served_sentence (NULL, I2V, NULL);

  fail_unless_equals_string (unknown,
      "Kling does not serve kling-v9 for image2video (404, "
      "code 1203): use kling-v3, kling-v2-6 or kling-v2-5-turbo");
  /* A model the table thought served: the others. */
  fail_unless_equals_string (live,
      "Kling does not serve kling-v2-6 for text2video (404, "
      "code 1203): use kling-v3 or kling-v2-5-turbo");
  fail_unless_equals_string (nameless,
      "Kling does not serve the requested model for "
      "image2video: use kling-v3, kling-v2-6 or kling-v2-5-turbo");
  fail_unless (kling_models_dup_not_served_sentence ("x",
          KLING_ENDPOINT_LIP_SYNC, NULL) == NULL);
}

GST_END_TEST;

static Suite *
models_suite (void)
{
  Suite *s = suite_create ("kling-models");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_table_video_rows);
  tcase_add_test (tc, test_table_lip_sync_rows);
  tcase_add_test (tc, test_modes_and_paths);
  tcase_add_test (tc, test_live_names_and_blurb);
  tcase_add_test (tc, test_estimates);
  tcase_add_test (tc, test_refusal_sentences);
  tcase_add_test (tc, test_accepted_settings);
  tcase_add_test (tc, test_not_served_sentence);
  return s;
}

GST_CHECK_MAIN (models);
