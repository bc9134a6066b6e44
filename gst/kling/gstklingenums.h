/* gst-kling: the enum property types of the Kling elements, all registered here.
 *
 * Registered GEnum types, so gst-inspect-1.0 lists their values and gst-launch-1.0 takes
 * their nicks (mode=pro, auth-header=x-api-key). The clip length is a plain guint
 * property (duration=10), checked against the model table.
 *
 * Registered by hand in gstklingenums.c rather than by meson's gnome.mkenums_simple():
 * gst-inspect-1.0 is the manual, and it prints each value's name, which mkenums makes the
 * C identifier (GST_KLING_MODE_STD) where a person needs "Standard, 720p"; nicks such as
 * "16:9" are no identifier either. Nine values do not need a generator.
 */
#pragma once

#include <gst/gst.h>
#include "kling-auth.h"
#include "kling-requests.h"

G_BEGIN_DECLS

/* Values equal KlingMode, so a cast converts. */
typedef enum {
  GST_KLING_MODE_STD = KLING_MODE_STD,
  GST_KLING_MODE_PRO = KLING_MODE_PRO,
  GST_KLING_MODE_4K = KLING_MODE_4K,      /* Since: 0.2; only where the model table allows */
} GstKlingMode;

/* Values equal KlingAuthHeader, so a cast converts. */
typedef enum {
  GST_KLING_AUTH_HEADER_BEARER = KLING_AUTH_HEADER_BEARER,
  GST_KLING_AUTH_HEADER_X_API_KEY = KLING_AUTH_HEADER_X_API_KEY,
} GstKlingAuthHeader;

/* What the element does with the cache (see #GstKlingRender:cache-mode). */
typedef enum {
  GST_KLING_CACHE_MODE_USE,
  GST_KLING_CACHE_MODE_REFRESH,
  GST_KLING_CACHE_MODE_OFF,
} GstKlingCacheMode;

/* klingtext2video's aspect-ratio. Values equal KlingAspectRatio, so a cast converts. */
typedef enum {
  GST_KLING_ASPECT_RATIO_16_9 = KLING_ASPECT_RATIO_16_9,
  GST_KLING_ASPECT_RATIO_9_16 = KLING_ASPECT_RATIO_9_16,
  GST_KLING_ASPECT_RATIO_1_1 = KLING_ASPECT_RATIO_1_1,
} GstKlingAspectRatio;

#define GST_TYPE_KLING_ASPECT_RATIO (gst_kling_aspect_ratio_get_type ())
GType gst_kling_aspect_ratio_get_type (void);

/* klinglipsync's lip-sync-method: which Kling endpoint does the work. */
typedef enum {
  GST_KLING_LIP_SYNC_METHOD_ONE_STEP,   /* /v1/videos/lip-sync */
  GST_KLING_LIP_SYNC_METHOD_ADVANCED,   /* identify-face, then advanced-lip-sync */
} GstKlingLipSyncMethod;

#define GST_TYPE_KLING_LIP_SYNC_METHOD (gst_kling_lip_sync_method_get_type ())
GType gst_kling_lip_sync_method_get_type (void);

/* klinglipsync's voice-language. */
typedef enum {
  GST_KLING_VOICE_LANGUAGE_EN,
  GST_KLING_VOICE_LANGUAGE_ZH,
} GstKlingVoiceLanguage;

#define GST_TYPE_KLING_VOICE_LANGUAGE (gst_kling_voice_language_get_type ())
GType gst_kling_voice_language_get_type (void);

#define GST_TYPE_KLING_MODE (gst_kling_mode_get_type ())
GType gst_kling_mode_get_type (void);

#define GST_TYPE_KLING_AUTH_HEADER (gst_kling_auth_header_get_type ())
GType gst_kling_auth_header_get_type (void);

#define GST_TYPE_KLING_CACHE_MODE (gst_kling_cache_mode_get_type ())
GType gst_kling_cache_mode_get_type (void);

G_END_DECLS
