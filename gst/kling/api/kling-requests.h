/* gst-kling: /v1 image2video and text2video request bodies, and Kling's input limits,
 * checked before any request is sent. What depends on the model (durations, modes, audio,
 * end frame, camera control, cfg_scale, prompt) comes from the table in kling-models.h.
 * Every refusal is a KLING_ERROR_INVALID_INPUT (http_status 0) whose message is one
 * sentence for a person: what is wrong, then what to do. */
#pragma once

#include <glib.h>
#include "kling-client.h"
#include "kling-models.h"

G_BEGIN_DECLS

#define KLING_IMAGE_MAX_BYTES        (10 * 1024 * 1024)
#define KLING_IMAGE_MIN_SIDE         300
#define KLING_IMAGE_MAX_ASPECT       2.5
#define KLING_PROMPT_MAX_CHARS       2500
#define KLING_AUDIO_MAX_BYTES        (5 * 1024 * 1024)
#define KLING_AUDIO_MIN_S            2.0
#define KLING_AUDIO_MAX_S            60.0
#define KLING_LIPSYNC_TEXT_MAX_CHARS 120
#define KLING_VOICE_SPEED_MIN        0.8
#define KLING_VOICE_SPEED_MAX        2.0

typedef enum {
  KLING_IMAGE_FORMAT_UNKNOWN,
  KLING_IMAGE_FORMAT_JPEG,
  KLING_IMAGE_FORMAT_PNG,
} KlingImageFormat;

/* Reads the format and the size from the JPEG (SOFn) or PNG (IHDR) header. */
gboolean kling_image_probe    (GBytes *image, KlingImageFormat *format,
                               guint *width, guint *height);
/* JPEG or PNG, <= 10 MB, both sides >= 300 px, aspect within 1:2.5 .. 2.5:1.
 * KLING_ERROR_INVALID_INPUT naming @field ("image", "image_tail") otherwise. */
gboolean kling_validate_image (GBytes *image, const gchar *field, GError **error);
/* The same with another size limit (the per-model API takes up to 50 MB). */
gboolean kling_validate_image_max (GBytes *image, const gchar *field, gsize max_bytes,
                                   GError **error);
/* Counts characters (UTF-8), not bytes. */
gboolean kling_validate_text  (const gchar *text, const gchar *field, guint max_chars,
                               GError **error);

typedef enum {
  KLING_ASPECT_RATIO_16_9,      /* Kling's default */
  KLING_ASPECT_RATIO_9_16,
  KLING_ASPECT_RATIO_1_1,
} KlingAspectRatio;

/* "16:9", "9:16", "1:1"; NULL outside KlingAspectRatio. */
const gchar *kling_aspect_ratio_to_string (KlingAspectRatio ratio);

typedef struct {
  const gchar *model_name;       /* NULL or "": KLING_DEFAULT_MODEL */
  KlingMode mode;
  guint duration_s;              /* whole seconds, as the model renders (3..15 at most) */
  const gchar *prompt;           /* required by the models whose table row says so */
  const gchar *negative_prompt;  /* may be NULL */
  gdouble cfg_scale;             /* 0..1; sent only when the model takes it */
  const gchar *camera_control_json; /* {"type":"simple","config":{"zoom":5}} or NULL; the
                                       element turns its GstStructure string into this */
  const gchar *callback_url;     /* may be NULL */
  GBytes *image;                 /* JPEG or PNG bytes; or */
  const gchar *image_url;        /* a URL Kling fetches itself */
  /* Since 0.2 */
  gboolean sound;                /* native audio ("sound": "on"), where the model makes it */
  GBytes *image_tail;            /* the end frame (same rules as image), or NULL; or */
  const gchar *image_tail_url;
} KlingImage2VideoParams;

typedef struct {
  const gchar *model_name;       /* NULL or "": KLING_DEFAULT_MODEL */
  KlingMode mode;
  guint duration_s;
  const gchar *prompt;           /* required */
  const gchar *negative_prompt;
  gdouble cfg_scale;
  const gchar *camera_control_json;
  const gchar *callback_url;
  gboolean sound;
  KlingAspectRatio aspect_ratio;
} KlingText2VideoParams;

/* Validate every field (against Kling's limits and the model table) and build the
 * request; nothing is sent. A model name the table does not know is sent as it is: the
 * caller warns (kling_models_lookup() == NULL). The body carries "duration" as a string,
 * "mode" std/pro, "sound": "on" only when asked for, "cfg_scale" and "camera_control"
 * only where the model takes them; the summary describes the images (never their bytes)
 * and carries "estimate" {model, mode, duration_s, sound, usd (when priced), render_s}. */
KlingRequest *kling_image2video_request_new (const KlingImage2VideoParams *params,
                                             GError **error);
KlingRequest *kling_text2video_request_new  (const KlingText2VideoParams *params,
                                             GError **error);

/* The "model_name" of @request's body (on the per-model API, the model in its create
 * path), or NULL: what kling_error_set_model() wants when Kling refuses the create. */
const gchar  *kling_request_get_model_name  (const KlingRequest *request);
/* Where the create is POSTed: request->create_path, else kling_endpoint_path(). */
const gchar  *kling_request_get_path        (const KlingRequest *request);
/* TRUE for a request of Kling's per-model API (create_path set). */
gboolean      kling_request_is_per_model    (const KlingRequest *request);
/* The clip's length asked for (seconds; 0 when the body has none) and its mode ("std",
 * "pro", "4k"; NULL when none), whichever generation's body @request has. */
gdouble       kling_request_get_duration_s  (const KlingRequest *request);
const gchar  *kling_request_get_mode        (const KlingRequest *request);

G_END_DECLS
