/* gst-kling: the enum property types shared by the Kling elements. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstklingenums.h"

GType
gst_kling_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_KLING_MODE_STD, "Standard: 720p, cheaper", "std"},
    {GST_KLING_MODE_PRO, "Professional: 1080p", "pro"},
    {GST_KLING_MODE_4K, "4K: 2160p, only on the models that render it", "4k"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstKlingMode", values));
  return type;
}

GType
gst_kling_auth_header_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_KLING_AUTH_HEADER_BEARER, "Authorization: Bearer <token or key>",
        "bearer"},
    {GST_KLING_AUTH_HEADER_X_API_KEY, "X-API-Key: <key> (static keys only)",
        "x-api-key"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstKlingAuthHeader", values));
  return type;
}


GType
gst_kling_cache_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_KLING_CACHE_MODE_USE,
          "Play a cached clip of the same request, else render " "and keep it",
        "use"},
    {GST_KLING_CACHE_MODE_REFRESH, "Render again and replace the cached clip",
        "refresh"},
    {GST_KLING_CACHE_MODE_OFF, "No cache and no journal: every run pays",
        "off"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstKlingCacheMode", values));
  return type;
}

GType
gst_kling_aspect_ratio_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_KLING_ASPECT_RATIO_16_9, "16:9, landscape", "16:9"},
    {GST_KLING_ASPECT_RATIO_9_16, "9:16, portrait", "9:16"},
    {GST_KLING_ASPECT_RATIO_1_1, "1:1, square", "1:1"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstKlingAspectRatio", values));
  return type;
}

GType
gst_kling_lip_sync_method_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_KLING_LIP_SYNC_METHOD_ONE_STEP,
        "One step: /v1/videos/lip-sync", "one-step"},
    {GST_KLING_LIP_SYNC_METHOD_ADVANCED,
          "Advanced: identify-face, then advanced-lip-sync on the first face",
        "advanced"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstKlingLipSyncMethod",
            values));
  return type;
}

GType
gst_kling_voice_language_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_KLING_VOICE_LANGUAGE_EN, "English", "en"},
    {GST_KLING_VOICE_LANGUAGE_ZH, "Chinese", "zh"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstKlingVoiceLanguage",
            values));
  return type;
}
