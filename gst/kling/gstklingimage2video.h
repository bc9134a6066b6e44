/* gst-kling: klingimage2video, a still frame plus a prompt in, the rendered clip out. */
#pragma once

#include "gstklingrender.h"

G_BEGIN_DECLS

#define GST_TYPE_KLING_IMAGE2VIDEO (gst_kling_image2video_get_type ())
G_DECLARE_FINAL_TYPE (GstKlingImage2Video, gst_kling_image2video, GST,
    KLING_IMAGE2VIDEO, GstKlingRender)

GST_ELEMENT_REGISTER_DECLARE (klingimage2video);

G_END_DECLS
