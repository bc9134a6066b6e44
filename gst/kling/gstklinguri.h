/* gst-kling: kling:// URIs, read as the properties of the element that handles them.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * `kling://<task>?<property>=<value>&...`: the host names the task, the query keys are
 * the element's property names, each value URL-decoded and read as the property's type
 * (gst_value_deserialize(): enum nicks, booleans, numbers; strings as they are). The
 * server and the keys (api-url, access-key, secret-key, api-key) are refused: they come
 * from the environment only, so a URI from elsewhere cannot send the keys to another
 * server.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_KLING_URI_SCHEME "kling"

/* Sets the properties @uri names on @object, all or none. FALSE with @error
 * (GST_URI_ERROR, one sentence naming the key) when @uri is not kling://@task?..., a
 * key is not a writable property or must not be in a URI, or a value does not read as
 * its property's type or lies outside its range. */
gboolean gst_kling_uri_apply (GObject *object, const gchar *uri, const gchar *task,
                              GError **error);

G_END_DECLS
