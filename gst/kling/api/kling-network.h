/* gst-kling: a client's network settings (kling-client.h, KlingNetworkSettings) as the
 * client keeps them, and what they do to its SoupSession and messages. Not public. */
#pragma once

#include <libsoup/soup.h>
#include "kling-client.h"

G_BEGIN_DECLS

/* A validated, owned copy of KlingNetworkSettings; immutable once made. */
typedef struct {
  gchar *proxy;                /* normalised "http://host:port", or NULL: the environment */
  gchar *user_agent;           /* {VERSION} expanded */
  gboolean ssl_strict;
  gchar *ssl_ca_file;
  GTlsDatabase *tls_database;  /* the one given, else one read from ssl_ca_file, or NULL */
  gint retries;
  gchar *key;                  /* what joins the shared-client table key */
} KlingNetwork;

/* Copies @settings (NULL: the defaults) into @net; reads ssl_ca_file. FALSE with a
 * KLING_ERROR_INVALID_INPUT naming the setting when it is unusable. */
gboolean kling_network_init             (KlingNetwork *net,
                                         const KlingNetworkSettings *settings,
                                         GError **error);
void     kling_network_clear            (KlingNetwork *net);
/* The policy's max_attempts for the retries setting. */
guint    kling_network_max_attempts     (const KlingNetwork *net);
/* A session for the calling thread's default context with the proxy, user agent and
 * certificate database of @net, and @idle_timeout_s / @max_conns_per_host. */
SoupSession *kling_network_session_new  (const KlingNetwork *net, guint idle_timeout_s,
                                         guint max_conns_per_host);
/* What each message needs: with ssl_strict FALSE, any certificate is accepted. */
void     kling_network_prepare_message  (const KlingNetwork *net, SoupMessage *msg);

G_END_DECLS
