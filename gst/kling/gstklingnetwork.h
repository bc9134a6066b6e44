/* gst-kling: the network properties every Kling element shares, named and meant as
 * souphttpsrc's (proxy, user-agent, ssl-strict, ssl-ca-file, tls-database, retries).
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The values live in a GstKlingNetworkProperties the render base keeps under its object
 * lock, next to the other shared properties (gstklingproperties.h); the client of a run is
 * acquired with them (kling_client_acquire_full()), so two elements share a client only
 * when these are equal too.
 */
#pragma once

#include <gst/gst.h>
#include "kling-client.h"

G_BEGIN_DECLS

/* Property ids of their own range, after the base's. */
enum
{
  GST_KLING_NET_PROP_PROXY = 200,
  GST_KLING_NET_PROP_USER_AGENT,
  GST_KLING_NET_PROP_SSL_STRICT,
  GST_KLING_NET_PROP_SSL_CA_FILE,
  GST_KLING_NET_PROP_TLS_DATABASE,
  GST_KLING_NET_PROP_RETRIES,
  GST_KLING_NET_PROP_END
};

typedef struct
{
  gchar *proxy;
  gchar *user_agent;
  gboolean ssl_strict;
  gchar *ssl_ca_file;
  GTlsDatabase *tls_database;
  gint retries;
} GstKlingNetworkProperties;

void     gst_kling_network_install_properties (GObjectClass *gobject_class);
void     gst_kling_network_init      (GstKlingNetworkProperties *net);
void     gst_kling_network_clear     (GstKlingNetworkProperties *net);
/* Fills @dest (uninitialised) with copies of @src's values: for use without the lock. */
void     gst_kling_network_copy      (GstKlingNetworkProperties *dest,
                                      const GstKlingNetworkProperties *src);
/* FALSE when @prop_id is not a network property. */
gboolean gst_kling_network_set       (GstKlingNetworkProperties *net, guint prop_id,
                                      const GValue *value);
gboolean gst_kling_network_get       (const GstKlingNetworkProperties *net, guint prop_id,
                                      GValue *value);
/* @settings borrows from @net (and takes no reference): use it under the same lock. */
void     gst_kling_network_to_settings (const GstKlingNetworkProperties *net,
                                        KlingNetworkSettings *settings);

G_END_DECLS
