/* gst-kling: what the Kling elements tell the application, as GStreamer messages.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Progress messages (which gst-launch prints), the `kling-task` element message, and the
 * mapping of a KLING_ERROR to a GStreamer error code with its structured details. None of
 * these may run on the client's worker thread: posting runs the application's bus sync
 * handlers.
 */
#pragma once

#include <gst/gst.h>
#include "kling-task.h"

G_BEGIN_DECLS

void          gst_kling_post_progress      (GstElement *element, GstProgressType type,
                                            const gchar *code, const gchar *format,
                                            ...) G_GNUC_PRINTF (4, 5);

/* A `kling-task` structure: task-id (when @task is given), status (@status, else the
 * task's), elapsed (seconds), endpoint (the name, e.g. "image2video"), video-id and
 * status-message when known, and what Kling charged once it said so: charged (the amount
 * as Kling wrote it), charged-amount (gdouble), charged-unit ("credits"). The caller adds
 * the progress fields (gstklingprogress.h) and posts it with gst_kling_post_structure(). */
GstStructure *gst_kling_task_structure_new (const KlingTask *task, const gchar *status,
                                            gdouble elapsed_s, KlingEndpoint endpoint);

/* Posts @s (taken) as an element message of @element. */
void          gst_kling_post_structure     (GstElement *element, GstStructure *s);

/* The GST_RESOURCE_ERROR code for a KLING_ERROR (the table in gstklingrender.c's
 * documentation). */
gint          gst_kling_error_resource_code (const GError *error);

/* The "details" structure of an error message: http-status-code (guint), kling-code
 * (gint), request-id, task-id, endpoint (the path), task-status-message, each where known;
 * @task_id and @endpoint stand in for what @error does not carry (may be NULL). */
GstStructure *gst_kling_error_details      (const GError *error, const gchar *task_id,
                                            const gchar *endpoint);

G_END_DECLS
