/* gst-kling: klingtext2video, a prompt in, the rendered clip out (and kling:// URIs). */
#pragma once

#include "gstklingrender.h"

G_BEGIN_DECLS

#define GST_TYPE_KLING_TEXT2VIDEO (gst_kling_text2video_get_type ())
G_DECLARE_FINAL_TYPE (GstKlingText2Video, gst_kling_text2video, GST,
    KLING_TEXT2VIDEO, GstKlingRender)

GST_ELEMENT_REGISTER_DECLARE (klingtext2video);

G_END_DECLS
