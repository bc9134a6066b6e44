/* kling-sandbox: the models it serves on /v1 image2video and text2video and on the
 * per-model API, as Kling serves them in December 2026 (the contract in
 * docs/kling-api.md). The sandbox's own table, written from the contract and not from the
 * client's, so tests can catch a client that reads the contract wrong. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The /v1 modes as a set: which of them a capability is offered in. */
typedef enum {
  SANDBOX_MODE_STD = 1 << 0,
  SANDBOX_MODE_PRO = 1 << 1,
} SandboxModes;

#define SANDBOX_MODES_ALL (SANDBOX_MODE_STD | SANDBOX_MODE_PRO)

typedef struct {
  const gchar *name;
  const gchar *retired_on;      /* NULL: served; else the day it stopped ("2026-09-15") */
  guint fps;
  guint32 durations;            /* bit n set: a clip of n seconds can be asked for */
  guint sound_modes;            /* SandboxModes in which sound "on" is taken */
  guint end_frame_modes;        /* ... in which image_tail is taken */
  guint camera_modes;           /* ... in which camera_control is taken */
  gboolean masks;               /* static_mask / dynamic_masks */
  gboolean multi_shot;          /* multi_shot / multi_prompt */
  gboolean cfg_scale;           /* takes cfg_scale (v1.x); v2.x and v3 refuse it */
  gboolean prompt_required;     /* image2video needs a prompt (text2video always does) */
  gboolean extendable;          /* its videos can be given to video-extend */
  gdouble usd_per_s[2][2];      /* price list, [pro][sound]; 0 where not offered */
} SandboxModel;

/* The row of @name (retired rows too: the caller refuses them unless @accept_any), or
 * NULL when the table has none. A NULL @name is the default model. With @accept_any an
 * unknown name gets the behaviour of a retired row: the old, unchecked one, for tests
 * written before the retirement. */
const SandboxModel *sandbox_model_lookup (const gchar *name, gboolean accept_any);
gboolean  sandbox_model_is_served (const SandboxModel *model);
/* "kling-v3, kling-v2-6 or kling-v2-5-turbo": the served models, for messages. */
gchar    *sandbox_model_dup_served_names (void);
gboolean  sandbox_model_takes_duration (const SandboxModel *model, guint seconds);
/* "3..15" or "5 or 10", for messages. */
gchar    *sandbox_model_dup_durations (const SandboxModel *model);
gboolean  sandbox_model_offers (guint modes, gboolean pro);
/* "std", "pro", "std and pro" or "no": where @modes are offered, for messages. */
const gchar *sandbox_model_modes_text (guint modes);

/* What a finished task was charged, in Kling's units (a string, as in the answers):
 * from the model's price list for image2video and text2video, a flat figure for the
 * other endpoints (@model NULL; @kind names the endpoint). */
gchar    *sandbox_units_charged (const gchar *kind, const SandboxModel *model, gboolean pro,
                                 gboolean sound, guint seconds);

/* ---- the per-model API (second generation): the model is in the path ---------------- */

/* Its resolutions as a set. */
typedef enum {
  SANDBOX_RES_720P = 1 << 0,
  SANDBOX_RES_1080P = 1 << 1,
  SANDBOX_RES_4K = 1 << 2,
} SandboxResolutions;

#define SANDBOX_RES_COUNT 3

typedef struct {
  const gchar *name;            /* as in the path: "kling-3.0" */
  guint fps;
  guint32 durations;            /* bit n set: n seconds (settings.duration, an integer) */
  guint resolutions;            /* SandboxResolutions it renders */
  guint audio_resolutions;      /* ... in which audio "native" is taken */
  gboolean audio_always;        /* native audio whatever is asked: "off" is refused */
  guint last_frame_resolutions; /* ... in which a last_frame is taken; 0: first only */
  gboolean multi_shot;          /* takes multi_shot (and it defaults to true) */
  gdouble usd_per_s[SANDBOX_RES_COUNT][2];      /* [resolution][audio]; 0: not offered */
} SandboxModelV2;

/* The row of @name, or NULL: the per-model API has no default and no retired rows. */
const SandboxModelV2 *sandbox_model_v2_lookup (const gchar *name);
/* "kling-3.0, kling-3.0-turbo, kling-2.6 or kling-2.5-turbo", for messages. */
gchar    *sandbox_model_v2_dup_names (void);
/* The @i-th row (for counters listing every model), NULL past the end. */
const SandboxModelV2 *sandbox_model_v2_nth (guint i);
gboolean  sandbox_model_v2_takes_duration (const SandboxModelV2 *model, guint seconds);
gchar    *sandbox_model_v2_dup_durations (const SandboxModelV2 *model);
/* "720p", "1080p" or "4k" of one SandboxResolutions bit; index of it in usd_per_s. */
const gchar *sandbox_resolution_name (guint resolution);
guint     sandbox_resolution_index (guint resolution);
/* "720p and 1080p", "1080p": the resolutions in @set, for messages. */
gchar    *sandbox_resolutions_text (guint set);
/* What a finished task was charged, in USD ("0.42"): price list x seconds. */
gchar    *sandbox_model_v2_usd_charged (const SandboxModelV2 *model, guint resolution,
                                       gboolean audio, guint seconds);

G_END_DECLS
