/* gst-kling: klinglipsync, a voice (audio pad or text) plus a Kling video in, the
 * lip-synced clip out. */
#pragma once

#include "gstklingrender.h"

G_BEGIN_DECLS

#define GST_TYPE_KLING_LIP_SYNC (gst_kling_lip_sync_get_type ())
G_DECLARE_FINAL_TYPE (GstKlingLipSync, gst_kling_lip_sync, GST, KLING_LIP_SYNC,
    GstKlingRender)

GST_ELEMENT_REGISTER_DECLARE (klinglipsync);

G_END_DECLS
