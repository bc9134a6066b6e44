/* gst-kling: what the Kling elements tell the application, as GStreamer messages.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstklingmessages.h"
#include "kling-error.h"

GST_DEBUG_CATEGORY_EXTERN (gst_kling_render_debug);
#define GST_CAT_DEFAULT gst_kling_render_debug

void
gst_kling_post_progress (GstElement * element, GstProgressType type,
    const gchar * code, const gchar * format, ...)
{
  va_list args;
  gchar *text;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  GST_INFO_OBJECT (element, "progress %s: %s", code, text);
  gst_element_post_message (element,
      gst_message_new_progress (GST_OBJECT (element), type, code, text));
  g_free (text);
}

GstStructure *
gst_kling_task_structure_new (const KlingTask * task, const gchar * status,
    gdouble elapsed_s, KlingEndpoint endpoint)
{
  GstStructure *s;

  s = gst_structure_new ("kling-task",
      "status", G_TYPE_STRING, status ? status :
      kling_task_status_to_string (task->status),
      "elapsed", G_TYPE_DOUBLE, elapsed_s,
      "endpoint", G_TYPE_STRING, kling_endpoint_name (endpoint), NULL);
  if (!task)
    return s;
  gst_structure_set (s, "task-id", G_TYPE_STRING, task->task_id, NULL);
  if (task->video_id)
    gst_structure_set (s, "video-id", G_TYPE_STRING, task->video_id, NULL);
  if (task->status_msg)
    gst_structure_set (s, "status-message", G_TYPE_STRING, task->status_msg,
        NULL);
  if (task->charge)
    gst_structure_set (s, "charged", G_TYPE_STRING, task->charge,
        "charged-amount", G_TYPE_DOUBLE, task->charge_amount,
        "charged-unit", G_TYPE_STRING,
        task->charge_unit ? task->charge_unit : "", NULL);
  return s;
}

void
gst_kling_post_structure (GstElement * element, GstStructure * s)
{
  gst_element_post_message (element,
      gst_message_new_element (GST_OBJECT (element), s));
}

/* Credentials -> NOT_AUTHORIZED; a request Kling refused for its content or parameters ->
 * SETTINGS (the properties or the input must change); network -> OPEN_READ; the cache
 * directory -> OPEN_WRITE; everything else (money, rate, server, protocol, failed task,
 * timeout) -> FAILED. */
gint
gst_kling_error_resource_code (const GError * error)
{
  switch ((KlingErrorCode) error->code) {
    case KLING_ERROR_AUTH:
    case KLING_ERROR_PERMISSION:
      return GST_RESOURCE_ERROR_NOT_AUTHORIZED;
    case KLING_ERROR_INVALID_INPUT:
    case KLING_ERROR_CONTENT_POLICY:
      return GST_RESOURCE_ERROR_SETTINGS;
    case KLING_ERROR_NETWORK:
    case KLING_ERROR_TLS:
      return GST_RESOURCE_ERROR_OPEN_READ;
    case KLING_ERROR_LOCAL_IO:
      return GST_RESOURCE_ERROR_OPEN_WRITE;
    default:
      return GST_RESOURCE_ERROR_FAILED;
  }
}

static void
set_string (GstStructure * details, const gchar * field, const gchar * value)
{
  if (value && *value)
    gst_structure_set (details, field, G_TYPE_STRING, value, NULL);
}

GstStructure *
gst_kling_error_details (const GError * error, const gchar * task_id,
    const gchar * endpoint)
{
  GstStructure *details = gst_structure_new_empty ("details");

  if (kling_error_get_http_status (error) > 0)
    gst_structure_set (details, "http-status-code", G_TYPE_UINT,
        kling_error_get_http_status (error), NULL);
  if (kling_error_get_kling_code (error) >= 0)
    gst_structure_set (details, "kling-code", G_TYPE_INT,
        kling_error_get_kling_code (error), NULL);
  set_string (details, "request-id", kling_error_get_request_id (error));
  set_string (details, "task-id", kling_error_get_task_id (error) ?
      kling_error_get_task_id (error) : task_id);
  set_string (details, "endpoint", kling_error_get_endpoint (error) ?
      kling_error_get_endpoint (error) : endpoint);
  set_string (details, "task-status-message",
      kling_error_get_task_status_msg (error));
  return details;
}
