/* gst-kling: kling:// URIs, read as the properties of the element that handles them.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstklinguri.h"

/* Never from a URI (gstklinguri.h says why). */
static const gchar *const refused_keys[] = {
  "api-url", "access-key", "secret-key", "api-key", NULL,
};

static void
uri_error (GError ** error, GstURIError code, const gchar * format, ...)
G_GNUC_PRINTF (3, 4);

     static void
         uri_error (GError ** error, GstURIError code, const gchar * format,
    ...)
{
  va_list args;

  va_start (args, format);
  if (error)
    *error = g_error_new_valist (GST_URI_ERROR, code, format, args);
  va_end (args);
}

/* The value of @text as @pspec's type, checked against its range; FALSE with @error. */
static gboolean
read_value (GParamSpec * pspec, const gchar * text, GValue * value,
    GError ** error)
{
  g_value_init (value, pspec->value_type);
  if (pspec->value_type == G_TYPE_STRING)
    g_value_set_string (value, text);
  else if (!gst_value_deserialize (value, text)) {
    uri_error (error, GST_URI_ERROR_BAD_URI,
        "The kling:// URI gives %s=\"%s\", "
        "which is not a value of that property: see gst-inspect-1.0 for its values.",
        pspec->name, text);
    return FALSE;
  }
  if (g_param_value_validate (pspec, value)) {
    uri_error (error, GST_URI_ERROR_BAD_URI,
        "The kling:// URI gives %s=\"%s\", "
        "outside what that property takes: see gst-inspect-1.0 for its range.",
        pspec->name, text);
    return FALSE;
  }
  return TRUE;
}

/* The writable property @key of @object, or NULL with @error. */
static GParamSpec *
find_property (GObject * object, const gchar * key, GError ** error)
{
  GParamSpec *pspec;

  if (g_strv_contains (refused_keys, key)) {
    uri_error (error, GST_URI_ERROR_BAD_URI, "A kling:// URI cannot carry %s: "
        "the server and the keys come from the environment (KLING_API_URL, "
        "KLING_API_KEY or KLING_ACCESS_KEY and KLING_SECRET_KEY).", key);
    return NULL;
  }
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (object), key);
  if (!pspec || !(pspec->flags & G_PARAM_WRITABLE)
      || (pspec->flags & G_PARAM_CONSTRUCT_ONLY)) {
    uri_error (error, GST_URI_ERROR_BAD_URI, "The kling:// URI has the key "
        "\"%s\", which is not a property %s takes: use the property names "
        "gst-inspect-1.0 %s lists.", key, G_OBJECT_TYPE_NAME (object),
        G_OBJECT_TYPE_NAME (object));
    return NULL;
  }
  return pspec;
}

gboolean
gst_kling_uri_apply (GObject * object, const gchar * uri, const gchar * task,
    GError ** error)
{
  g_autoptr (GUri) parsed = NULL;
  g_autoptr (GHashTable) params = NULL;
  g_autoptr (GError) parse_error = NULL;
  g_autoptr (GPtrArray) specs = NULL;
  g_autoptr (GArray) values = NULL;
  GHashTableIter iter;
  gpointer key, text;
  const gchar *query;
  guint i;

  g_return_val_if_fail (G_IS_OBJECT (object), FALSE);
  g_return_val_if_fail (task != NULL, FALSE);

  parsed =
      uri ? g_uri_parse (uri, G_URI_FLAGS_ENCODED_QUERY, &parse_error) : NULL;
  if (!parsed
      || g_strcmp0 (g_uri_get_scheme (parsed), GST_KLING_URI_SCHEME) != 0
      || g_strcmp0 (g_uri_get_host (parsed), task) != 0
      || (*g_uri_get_path (parsed)
          && g_strcmp0 (g_uri_get_path (parsed), "/"))) {
    uri_error (error, GST_URI_ERROR_BAD_URI,
        "\"%s\" is not a kling://%s URI: " "write it as kling://%s?prompt=...",
        uri ? uri : "(null)", task, task);
    return FALSE;
  }
  query = g_uri_get_query (parsed);
  /* WWW_FORM: a '+' is a space, as browsers and Python's urlencode() write it. */
  params = g_uri_parse_params (query ? query : "", -1, "&",
      G_URI_PARAMS_WWW_FORM, &parse_error);
  if (!params) {
    uri_error (error, GST_URI_ERROR_BAD_URI,
        "The query of the kling:// URI does "
        "not decode (%s): encode each value with %%XX escapes.",
        parse_error->message);
    return FALSE;
  }

  /* Every value first, so a bad key sets none of them. */
  specs = g_ptr_array_new ();
  values = g_array_new (FALSE, TRUE, sizeof (GValue));
  g_array_set_clear_func (values, (GDestroyNotify) g_value_unset);
  g_hash_table_iter_init (&iter, params);
  while (g_hash_table_iter_next (&iter, &key, &text)) {
    GParamSpec *pspec = find_property (object, key, error);
    GValue value = G_VALUE_INIT;

    if (!pspec)
      return FALSE;
    if (!read_value (pspec, text, &value, error)) {
      g_value_unset (&value);
      return FALSE;
    }
    g_ptr_array_add (specs, pspec);
    g_array_append_val (values, value);
  }
  for (i = 0; i < specs->len; i++)
    g_object_set_property (object,
        ((GParamSpec *) g_ptr_array_index (specs, i))->name,
        &g_array_index (values, GValue, i));
  return TRUE;
}
