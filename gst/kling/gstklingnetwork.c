/* gst-kling: the network properties every Kling element shares (gstklingnetwork.h).
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstklingnetwork.h"

#include <string.h>

#define DEFAULT_USER_AGENT "gst-kling/{VERSION}"
#define DEFAULT_SSL_STRICT TRUE
#define DEFAULT_RETRIES    5

#define RW_FLAGS (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | \
    GST_PARAM_MUTABLE_READY)

void
gst_kling_network_install_properties (GObjectClass * gobject_class)
{
  /**
   * GstKlingRender:proxy:
   *
   * The HTTP proxy for every request to Kling and every download, as
   * "http://host:port" (a bare "host:port" is taken as http); https URLs go through it
   * with CONNECT. Unset: the `http_proxy` / `https_proxy` / `no_proxy` environment, as
   * souphttpsrc does. Takes effect at the next READY->PAUSED.
   *
   * Default: NULL.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, GST_KLING_NET_PROP_PROXY,
      g_param_spec_string ("proxy", "Proxy",
          "HTTP proxy server URI (http://host:port); unset: the http_proxy / "
          "https_proxy environment", NULL, RW_FLAGS));
  /**
   * GstKlingRender:user-agent:
   *
   * The User-Agent header of every request; "{VERSION}" in it becomes the plugin's
   * version, as in souphttpsrc.
   *
   * Default: `gst-kling/{VERSION}`.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, GST_KLING_NET_PROP_USER_AGENT,
      g_param_spec_string ("user-agent", "User-Agent",
          "Value of the User-Agent HTTP request header field ({VERSION} becomes the "
          "plugin's version)", DEFAULT_USER_AGENT, RW_FLAGS));
  /**
   * GstKlingRender:ssl-strict:
   *
   * Refuse a server whose TLS certificate does not check out (the default). FALSE
   * accepts any certificate: only for a test server, never for real keys.
   *
   * Default: TRUE.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, GST_KLING_NET_PROP_SSL_STRICT,
      g_param_spec_boolean ("ssl-strict", "SSL Strict",
          "Refuse servers whose TLS certificate cannot be verified",
          DEFAULT_SSL_STRICT, RW_FLAGS));
  /**
   * GstKlingRender:ssl-ca-file:
   *
   * A PEM file of the certificate authorities to trust instead of the system's, e.g.
   * a company proxy's or a self-hosted reseller's. An unreadable file fails the run
   * before any request, naming the file.
   *
   * Default: NULL.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class,
      GST_KLING_NET_PROP_SSL_CA_FILE, g_param_spec_string ("ssl-ca-file",
          "SSL CA File",
          "Location of a PEM file of certificate authorities to trust", NULL,
          RW_FLAGS));
  /**
   * GstKlingRender:tls-database:
   *
   * The #GTlsDatabase to check server certificates with (wins over
   * #GstKlingRender:ssl-ca-file). Unset: the system's.
   *
   * Default: NULL.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class,
      GST_KLING_NET_PROP_TLS_DATABASE, g_param_spec_object ("tls-database",
          "TLS database", "TLS database with anchor certificate authorities "
          "used to validate the server certificate", G_TYPE_TLS_DATABASE,
          RW_FLAGS));
  /**
   * GstKlingRender:retries:
   *
   * How often one HTTP call (a create, a poll, a download) is retried after a network
   * error, a 5xx or Kling's 1302 before the render fails; -1: as often as the render's
   * #GstKlingRender:timeout allows. A busy account (1303) is waited out regardless.
   * The default is 5 (souphttpsrc's is 3): a render spends minutes polling, and one
   * lost poll must not cost it.
   *
   * Default: 5.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, GST_KLING_NET_PROP_RETRIES,
      g_param_spec_int ("retries", "Retries",
          "Maximum number of retries of one HTTP call until giving up "
          "(-1 = as many as the timeout allows)", -1, G_MAXINT,
          DEFAULT_RETRIES, RW_FLAGS));
}

void
gst_kling_network_init (GstKlingNetworkProperties * net)
{
  memset (net, 0, sizeof (*net));
  net->user_agent = g_strdup (DEFAULT_USER_AGENT);
  net->ssl_strict = DEFAULT_SSL_STRICT;
  net->retries = DEFAULT_RETRIES;
}

void
gst_kling_network_clear (GstKlingNetworkProperties * net)
{
  g_clear_pointer (&net->proxy, g_free);
  g_clear_pointer (&net->user_agent, g_free);
  g_clear_pointer (&net->ssl_ca_file, g_free);
  g_clear_object (&net->tls_database);
}

void
gst_kling_network_copy (GstKlingNetworkProperties * dest,
    const GstKlingNetworkProperties * src)
{
  dest->proxy = g_strdup (src->proxy);
  dest->user_agent = g_strdup (src->user_agent);
  dest->ssl_strict = src->ssl_strict;
  dest->ssl_ca_file = g_strdup (src->ssl_ca_file);
  dest->tls_database = src->tls_database ?
      g_object_ref (src->tls_database) : NULL;
  dest->retries = src->retries;
}

gboolean
gst_kling_network_set (GstKlingNetworkProperties * net, guint prop_id,
    const GValue * value)
{
  switch (prop_id) {
    case GST_KLING_NET_PROP_PROXY:
      g_free (net->proxy);
      net->proxy = g_value_dup_string (value);
      return TRUE;
    case GST_KLING_NET_PROP_USER_AGENT:
      g_free (net->user_agent);
      net->user_agent = g_value_dup_string (value);
      return TRUE;
    case GST_KLING_NET_PROP_SSL_STRICT:
      net->ssl_strict = g_value_get_boolean (value);
      return TRUE;
    case GST_KLING_NET_PROP_SSL_CA_FILE:
      g_free (net->ssl_ca_file);
      net->ssl_ca_file = g_value_dup_string (value);
      return TRUE;
    case GST_KLING_NET_PROP_TLS_DATABASE:
      g_clear_object (&net->tls_database);
      net->tls_database = g_value_dup_object (value);
      return TRUE;
    case GST_KLING_NET_PROP_RETRIES:
      net->retries = g_value_get_int (value);
      return TRUE;
    default:
      return FALSE;
  }
}

gboolean
gst_kling_network_get (const GstKlingNetworkProperties * net, guint prop_id,
    GValue * value)
{
  switch (prop_id) {
    case GST_KLING_NET_PROP_PROXY:
      g_value_set_string (value, net->proxy);
      return TRUE;
    case GST_KLING_NET_PROP_USER_AGENT:
      g_value_set_string (value, net->user_agent);
      return TRUE;
    case GST_KLING_NET_PROP_SSL_STRICT:
      g_value_set_boolean (value, net->ssl_strict);
      return TRUE;
    case GST_KLING_NET_PROP_SSL_CA_FILE:
      g_value_set_string (value, net->ssl_ca_file);
      return TRUE;
    case GST_KLING_NET_PROP_TLS_DATABASE:
      g_value_set_object (value, net->tls_database);
      return TRUE;
    case GST_KLING_NET_PROP_RETRIES:
      g_value_set_int (value, net->retries);
      return TRUE;
    default:
      return FALSE;
  }
}

void
gst_kling_network_to_settings (const GstKlingNetworkProperties * net,
    KlingNetworkSettings * settings)
{
  kling_network_settings_init (settings);
  settings->proxy = net->proxy;
  settings->user_agent = net->user_agent;
  settings->ssl_strict = net->ssl_strict;
  settings->ssl_ca_file = net->ssl_ca_file;
  settings->tls_database = net->tls_database;
  settings->retries = net->retries;
}
