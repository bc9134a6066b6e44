/* gst-kling: helpers shared by the client layer's modules; not part of the public API. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Type-checked member access: NULL / FALSE when the member is absent or of another type,
 * never a critical warning (answers come from the network). */
const gchar *kling_json_get_string   (JsonObject *object, const gchar *member);
JsonObject  *kling_json_get_object   (JsonObject *object, const gchar *member);
JsonArray   *kling_json_get_array    (JsonObject *object, const gchar *member);
gboolean     kling_json_get_int      (JsonObject *object, const gchar *member, gint64 *value);
/* Numbers, and strings holding a number ("5.0" for durations). */
gboolean     kling_json_get_double   (JsonObject *object, const gchar *member, gdouble *value);

/* A node that owns @object (json_node_init_object() would take a second reference). */
JsonNode    *kling_json_node_take_object (JsonObject *object);
JsonNode    *kling_json_node_take_array  (JsonArray *array);

/* Hex SHA-256 of @data. */
gchar       *kling_sha256_hex        (const guint8 *data, gsize len);

G_END_DECLS
