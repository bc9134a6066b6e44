/* gst-kling: what the Kling elements' sink sides share, on top of the render base.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The image2video request of the element's properties (and the camera-control string as
 * Kling's JSON), still capture and the sink pads' query function: used by klingimage2video's sink (one still, or one per clip of a
 * storyboard) and klinglipsync's image pad alike. Only the base's public functions are
 * used here (gstklingrender.h), so the base keeps the run and this file the input.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstklingrender.h"
#include <json-glib/json-glib.h>

#include "kling-models.h"

KlingRequest *
gst_kling_render_new_image2video_request (GstKlingRender * self, GBytes * image,
    GBytes * image_tail, const gchar * camera_control_json)
{
  g_autoptr (GstKlingRenderSettings) settings = NULL;
  KlingImage2VideoParams params = { 0, };
  g_autoptr (GError) error = NULL;
  KlingRequest *request;

  g_return_val_if_fail (GST_IS_KLING_RENDER (self), NULL);
  g_return_val_if_fail (image != NULL, NULL);

  settings = gst_kling_render_dup_settings (self);
  if (!kling_models_lookup (settings->model_name, KLING_ENDPOINT_IMAGE2VIDEO))
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
        ("Unknown Kling model \"%s\": sending it anyway.",
            settings->model_name),
        ("model-name is not in the list of known models; Kling may refuse it"));

  params.model_name = settings->model_name;
  params.mode = (KlingMode) settings->mode;
  params.duration_s = settings->duration_s;
  params.sound = settings->sound;
  params.prompt = settings->prompt;
  params.negative_prompt = settings->negative_prompt;
  params.cfg_scale = settings->cfg_scale;
  params.camera_control_json = camera_control_json;
  params.callback_url = settings->callback_url;
  params.image = image;
  params.image_tail = image_tail;

  request = kling_image2video_request_new (&params, &error);
  if (!request)
    gst_kling_render_post_error (self, error);
  return request;
}

GBytes *
gst_kling_render_capture_still (GstKlingRender * self, GstPad * pad,
    GstBuffer * buffer, GstKlingStillRole role)
{
  GstElementFactory *factory = gst_element_get_factory (GST_ELEMENT (self));
  GstCaps *caps = gst_pad_get_current_caps (pad);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *details = NULL;
  GBytes *image;

  image = gst_kling_still_capture (buffer, caps, role, factory ?
      GST_OBJECT_NAME (factory) : G_OBJECT_TYPE_NAME (self), &details, &error);
  gst_clear_caps (&caps);
  if (!image)
    gst_kling_render_fail_input (self, error->message, details);
  return image;
}

gboolean
gst_kling_render_sink_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_CAPS:
    case GST_QUERY_ACCEPT_CAPS:
      return gst_pad_query_default (pad, parent, query);
    default:
      /* The output is not a transformation of the input: answer nothing for it. */
      return FALSE;
  }
}

/* "simple, zoom=(int)5" -> {"type":"simple","config":{"zoom":5}}; "down_back" ->
 * {"type":"down_back"}. NULL with @details set when the string is not usable. */
gchar *
gst_kling_camera_control_to_json (const gchar * text, gchar ** details)
{
  GstStructure *s = gst_structure_from_string (text, NULL);
  JsonBuilder *builder;
  JsonNode *root;
  gchar *json = NULL;
  gint i, n;

  if (!s) {
    *details = g_strdup_printf ("camera-control \"%s\" is not a GstStructure "
        "string", text);
    return NULL;
  }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, gst_structure_get_name (s));
  n = gst_structure_n_fields (s);
  if (n > 0) {
    json_builder_set_member_name (builder, "config");
    json_builder_begin_object (builder);
  }
  for (i = 0; i < n; i++) {
    const gchar *field = gst_structure_nth_field_name (s, i);
    gint value;

    if (!gst_structure_get_int (s, field, &value)) {
      *details = g_strdup_printf ("camera-control field \"%s\" is not an "
          "integer", field);
      break;
    }
    json_builder_set_member_name (builder, field);
    json_builder_add_int_value (builder, value);
  }
  if (n > 0)
    json_builder_end_object (builder);
  json_builder_end_object (builder);

  if (!*details) {
    root = json_builder_get_root (builder);
    json = json_to_string (root, FALSE);
    json_node_unref (root);
  }
  g_object_unref (builder);
  gst_structure_free (s);
  return json;
}
