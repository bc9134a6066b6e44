/* gst-kling: THE model table. Which model each Kling endpoint and API generation serves,
 * and what each one takes: durations, modes, native audio, end frame, multi-shot, camera
 * control, cfg_scale, prompt, price. Everything that depends on a model (request checks,
 * request bodies, gst-inspect blurbs, ETA and cost estimates, the 1203 sentence) reads this
 * table; nothing else in the tree names a model. The rows and their sources are in
 * kling-models.c; docs/design.md ("The model table") says how the table is used.
 *
 * Default model: kling-v3. It is the newest model of the /v1 API and the one that takes
 * the most: clips of 3 to 15 s (the others render 5 or 10 s), native audio in both modes
 * (kling-v2-6 only in pro, kling-v2-5-turbo never), an end frame in both modes, and
 * multi-shot. Kling's current documents say it needs a prompt, and it takes no cfg_scale.
 */
#pragma once

#include <glib.h>
#include "kling-task.h"

G_BEGIN_DECLS

#define KLING_DEFAULT_MODEL "kling-v3"

typedef enum {
  KLING_MODE_STD,   /* 720p */
  KLING_MODE_PRO,   /* 1080p */
  KLING_MODE_4K,    /* 2160p: only kling-3.0 of the per-model API */
} KlingMode;

#define KLING_N_MODES 3

/* "std", "pro", "4k"; NULL for values outside KlingMode. */
const gchar *kling_mode_to_string   (KlingMode mode);
/* "720p", "1080p", "4k" (the per-model API's "resolution"); NULL outside KlingMode. */
const gchar *kling_mode_resolution  (KlingMode mode);

typedef enum {
  KLING_API_V1,         /* POST /v1/videos/<endpoint>, the model in "model_name" */
  KLING_API_PER_MODEL,  /* POST /<kind>/<model>, contents/settings/options (API keys only) */
} KlingApiGeneration;

#define KLING_MODE_BIT(mode)     (1u << (mode))
#define KLING_DURATION_BIT(s)    (1u << (s))
#define KLING_MAX_DURATION_S     30   /* the widest duration a set can hold */
#define KLING_ENDPOINT_BIT(e)    (1u << (e))

/* One row of the table: one model on one or more endpoints of one API generation. For
 * lip-sync the "model" is the one that made the video being lip-synced. */
typedef struct {
  const gchar *name;
  guint endpoints;              /* KLING_ENDPOINT_BIT set */
  KlingApiGeneration generation;
  /* Per-model API: the create path when it is not "/image-to-video/<name>" or
   * "/text-to-video/<name>" (Omni: "/omni-video/kling-o1"). NULL otherwise. */
  const gchar *create_path;
  const gchar *retired;         /* "2026-09-15": no longer served there; NULL: served */
  guint32 durations;            /* KLING_DURATION_BIT set: the clip lengths it renders */
  guint modes;                  /* KLING_MODE_BIT set */
  guint audio_modes;            /* modes in which it makes native audio on request */
  gboolean audio_always;        /* every clip has native audio, asked for or not */
  guint end_frame_modes;        /* modes in which it takes an end frame (image_tail) */
  gboolean multi_shot;
  guint camera_modes;           /* modes in which it takes camera_control ... */
  guint32 camera_durations;     /* ... and at which durations */
  gboolean cfg_scale;           /* takes cfg_scale (don't send it otherwise) */
  gboolean prompt_required;
  /* Kling's price per second of output, USD, [mode][with native audio]; 0: not priced. */
  gdouble usd_per_s[KLING_N_MODES][2];
  /* The typical wait from submit to result on each endpoint, seconds (0: not known). */
  guint render_s[KLING_N_ENDPOINTS];
} KlingModelInfo;

/* The row for @name on @endpoint, NULL when the table does not know that pair. The
 * advanced lip-sync endpoint shares the lip-sync rows. */
const KlingModelInfo *kling_models_lookup (const gchar *name, KlingEndpoint endpoint);

/* TRUE when @name is in the table for any endpoint (retired rows included). */
gboolean kling_model_is_known (const gchar *model_name);
/* TRUE when the table's row for @model_name on @endpoint is of the per-model API (its
 * requests have their own bodies, API-key auth and the /tasks query). */
gboolean kling_model_is_per_model (const gchar *model_name, KlingEndpoint endpoint);

/* Whether @info renders @duration_s / in @mode (FALSE for a NULL @info). */
gboolean kling_model_info_has_duration (const KlingModelInfo *info, guint duration_s);
gboolean kling_model_info_has_mode     (const KlingModelInfo *info, KlingMode mode);
/* Whether a clip of @info in @mode has an audio track when @sound is asked for. */
gboolean kling_model_info_makes_audio  (const KlingModelInfo *info, KlingMode mode,
                                        gboolean sound);

/* The create path of a per-model row: "/image-to-video/kling-3.0", "/omni-video/kling-o1";
 * NULL for a /v1 row (its path is kling_endpoint_path()) or an endpoint it does not serve. */
gchar   *kling_model_info_dup_create_path (const KlingModelInfo *info, KlingEndpoint endpoint);

/* The models served on @endpoint by @generation, in table order, as a sentence would list
 * them: "kling-v3, kling-v2-6 or kling-v2-5-turbo". "" when there is none. */
gchar   *kling_models_live_names (KlingEndpoint endpoint, KlingApiGeneration generation);

/* The model-name property's blurb for an element of @endpoint, from the table: the live
 * models, why the default is the default, what happens to other names. A static string. */
const gchar *kling_models_blurb (KlingEndpoint endpoint);

/* What a render asks of its model: checked against the table before anything is sent. */
typedef struct {
  const gchar *model_name;      /* NULL or "": KLING_DEFAULT_MODEL */
  KlingEndpoint endpoint;       /* image2video or text2video */
  KlingMode mode;
  guint duration_s;
  gboolean sound;               /* native audio asked for */
  gboolean end_frame;           /* an image_tail is given */
  gboolean camera_control;      /* a camera_control is given */
  gboolean prompt;              /* a non-empty prompt (or multi-shot prompts) is given */
  gboolean multi_shot;
} KlingRenderSpec;

/* TRUE when the table allows @spec. Otherwise FALSE with one KLING_ERROR_INVALID_INPUT
 * (http_status 0) whose message is the sentence for a person, e.g. "kling-v2-6 makes native
 * audio only in pro mode (1080p): set mode=pro or sound=false". A name the table does not
 * know for the endpoint is accepted (Kling adds models) with *@unknown_model (optional) set
 * TRUE so the caller can warn; only the rules that hold for every model apply to it. */
gboolean kling_models_check (const KlingRenderSpec *spec, gboolean *unknown_model,
                             GError **error);

/* The estimate of a render from the table. *@render_s (optional): the typical wait from
 * submit to result. *@usd (optional): @duration_s times the price per second for @mode
 * and the audio the clip will have. Returns FALSE (and *@usd = 0) when the table has no
 * price for that model and mode (unknown models, retired ones, lip-sync). */
gboolean kling_models_estimate (const gchar *model_name, KlingEndpoint endpoint,
                                KlingMode mode, guint duration_s, gboolean sound,
                                gdouble *usd, guint *render_s);

/* The sentence for a create Kling refused with 1203 (the model is not served): "Kling
 * does not serve <model> for image2video (404, code 1203): use kling-v3, kling-v2-6 or
 * kling-v2-5-turbo". @model_name may be NULL (then "the requested model"); @tag is the
 * status tag, e.g. " (404, code 1203)". NULL when @endpoint has no model rows. */
gchar   *kling_models_dup_not_served_sentence (const gchar *model_name, KlingEndpoint endpoint,
                                               const gchar *tag);

G_END_DECLS
