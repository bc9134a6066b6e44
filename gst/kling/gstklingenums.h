/* gst-kling: the enum property types shared by the Kling elements.
 *
 * Registered GEnum types, so gst-inspect-1.0 lists their values and gst-launch-1.0 takes
 * their nicks (mode=pro, auth-header=x-api-key). The clip
 * length is a plain guint property (duration=10), checked against the model table..
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

#define GST_TYPE_KLING_MODE (gst_kling_mode_get_type ())
GType gst_kling_mode_get_type (void);

#define GST_TYPE_KLING_AUTH_HEADER (gst_kling_auth_header_get_type ())
GType gst_kling_auth_header_get_type (void);

#define GST_TYPE_KLING_CACHE_MODE (gst_kling_cache_mode_get_type ())
GType gst_kling_cache_mode_get_type (void);

G_END_DECLS
