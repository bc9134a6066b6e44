/* gst-kling: request bodies and Kling's input limits, checked before any request is sent. */
#pragma once

#include <glib.h>
#include "kling-client.h"

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
#define KLING_DEFAULT_MODEL          "kling-v1-6"

typedef enum {
  KLING_MODE_STD,   /* 720p */
  KLING_MODE_PRO,   /* 1080p */
} KlingMode;

const gchar *kling_mode_to_string (KlingMode mode);

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
/* Counts characters (UTF-8), not bytes. */
gboolean kling_validate_text  (const gchar *text, const gchar *field, guint max_chars,
                               GError **error);

/* TRUE for the v2.x+ models that ignore or refuse cfg_scale. */
gboolean kling_model_takes_cfg_scale (const gchar *model_name);
/* FALSE (and a warning is the caller's job) for names not in KLING-API.md's list. */
gboolean kling_model_is_known        (const gchar *model_name);

typedef struct {
  const gchar *model_name;       /* NULL: KLING_DEFAULT_MODEL */
  KlingMode mode;
  guint duration_s;              /* 5 or 10 */
  const gchar *prompt;           /* may be NULL */
  const gchar *negative_prompt;  /* may be NULL */
  gdouble cfg_scale;             /* 0..1; sent only when the model takes it */
  const gchar *camera_control_json; /* {"type":"simple","config":{"zoom":5}} or NULL; the
                                       element turns its GstStructure string into this */
  const gchar *callback_url;     /* may be NULL */
  GBytes *image;                 /* JPEG or PNG bytes; or */
  const gchar *image_url;        /* a URL Kling fetches itself */
} KlingImage2VideoParams;

/* Validates every field and builds the request; nothing is sent. */
KlingRequest *kling_image2video_request_new (const KlingImage2VideoParams *params,
                                             GError **error);

G_END_DECLS
