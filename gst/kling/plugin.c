/* gst-kling: the "kling" plugin, Kling AI renders as GStreamer elements.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

#include "gstklingaudio.h"
#include "gstklingimage2video.h"
#include "gstklinglipsync.h"
#include "gstklingstill.h"
#include "gstklingtext2video.h"

GST_DEBUG_CATEGORY_STATIC (kling_api_debug);

static GstDebugLevel
glib_to_gst_level (GLogLevelFlags level)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    return GST_LEVEL_ERROR;
  if (level & G_LOG_LEVEL_WARNING)
    return GST_LEVEL_WARNING;
  if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
    return GST_LEVEL_INFO;
  return GST_LEVEL_DEBUG;
}

/* The client library logs through g_log (domain "kling-api"), free of secrets by
 * contract; its lines go into the GStreamer debug log (GST_DEBUG=klingapi:6) and its
 * warnings are still shown the usual GLib way. */
static void
kling_api_log_handler (const gchar * domain, GLogLevelFlags level,
    const gchar * message, gpointer user_data)
{
  gst_debug_log (kling_api_debug, glib_to_gst_level (level), "kling-api", "",
      0, NULL, "%s", message);
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    g_log_default_handler (domain, level, message, user_data);
}

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ok = FALSE;

  GST_DEBUG_CATEGORY_INIT (kling_api_debug, "klingapi", 0,
      "Kling REST client (the kling-api library)");
  g_log_set_handler ("kling-api", G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL
      | G_LOG_FLAG_RECURSION, kling_api_log_handler, NULL);
  /* The helpers without a class of their own: registered here, once, before any element
   * can use them (a lazy registration on first use races between streaming threads). */
  gst_kling_still_init_debug ();
  gst_kling_audio_init_debug ();

  ok |= GST_ELEMENT_REGISTER (klingimage2video, plugin);
  ok |= GST_ELEMENT_REGISTER (klinglipsync, plugin);
  ok |= GST_ELEMENT_REGISTER (klingtext2video, plugin);

  return ok;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, kling,
    "Kling AI video renders as GStreamer elements", plugin_init, VERSION,
    GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
