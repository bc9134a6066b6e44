/* gst-kling: klingtext2video, a prompt in, the rendered clip out (and kling:// URIs). */
#pragma once

#include "gstklingrender.h"

G_BEGIN_DECLS

/* Values equal KlingAspectRatio, so a cast converts. */
typedef enum {
  GST_KLING_ASPECT_RATIO_16_9 = KLING_ASPECT_RATIO_16_9,
  GST_KLING_ASPECT_RATIO_9_16 = KLING_ASPECT_RATIO_9_16,
  GST_KLING_ASPECT_RATIO_1_1 = KLING_ASPECT_RATIO_1_1,
} GstKlingAspectRatio;

#define GST_TYPE_KLING_ASPECT_RATIO (gst_kling_aspect_ratio_get_type ())
GType gst_kling_aspect_ratio_get_type (void);

#define GST_TYPE_KLING_TEXT2VIDEO (gst_kling_text2video_get_type ())
G_DECLARE_FINAL_TYPE (GstKlingText2Video, gst_kling_text2video, GST,
    KLING_TEXT2VIDEO, GstKlingRender)

GST_ELEMENT_REGISTER_DECLARE (klingtext2video);

G_END_DECLS
