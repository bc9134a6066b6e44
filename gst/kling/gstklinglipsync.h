/* gst-kling: klinglipsync, a voice (audio pad or text) plus a Kling video in, the
 * lip-synced clip out. */
#pragma once

#include "gstklingrender.h"

G_BEGIN_DECLS

/* Which Kling endpoint does the work. */
typedef enum {
  GST_KLING_LIP_SYNC_METHOD_ONE_STEP,   /* /v1/videos/lip-sync */
  GST_KLING_LIP_SYNC_METHOD_ADVANCED,   /* identify-face, then advanced-lip-sync */
} GstKlingLipSyncMethod;

#define GST_TYPE_KLING_LIP_SYNC_METHOD (gst_kling_lip_sync_method_get_type ())
GType gst_kling_lip_sync_method_get_type (void);

typedef enum {
  GST_KLING_VOICE_LANGUAGE_EN,
  GST_KLING_VOICE_LANGUAGE_ZH,
} GstKlingVoiceLanguage;

#define GST_TYPE_KLING_VOICE_LANGUAGE (gst_kling_voice_language_get_type ())
GType gst_kling_voice_language_get_type (void);

#define GST_TYPE_KLING_LIP_SYNC (gst_kling_lip_sync_get_type ())
G_DECLARE_FINAL_TYPE (GstKlingLipSync, gst_kling_lip_sync, GST, KLING_LIP_SYNC,
    GstKlingRender)

GST_ELEMENT_REGISTER_DECLARE (klinglipsync);

G_END_DECLS
