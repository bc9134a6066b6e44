/* gst-kling: a client's network settings, named and meant as souphttpsrc's properties
 * (proxy, user-agent, ssl-strict, ssl-ca-file, tls-database, retries), applied to the
 * client's SoupSession and to each of its messages. */
#include "config.h"
#include "kling-network.h"

#include <string.h>

#define DEFAULT_USER_AGENT "gst-kling/{VERSION}"
#define DEFAULT_RETRIES 5

void
kling_network_settings_init (KlingNetworkSettings * settings)
{
  g_return_if_fail (settings != NULL);
  memset (settings, 0, sizeof (*settings));
  settings->ssl_strict = TRUE;
  settings->retries = DEFAULT_RETRIES;
}

static GError *
invalid_setting (const gchar * format, ...)
G_GNUC_PRINTF (1, 2);

     static GError *invalid_setting (const gchar * format, ...)
{
  g_autofree gchar *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  return kling_error_new_full (KLING_ERROR_INVALID_INPUT, 0, -1, NULL, NULL,
      NULL, "%s", text);
}

/* souphttpsrc takes "host:port" as well as a URI: so do we. Only http proxies (libsoup
 * tunnels https through them with CONNECT). */
static gboolean
normalize_proxy (const gchar * proxy, gchar ** out, GError ** error)
{
  g_autofree gchar *uri_text = NULL;
  g_autoptr (GUri) uri = NULL;

  *out = NULL;
  if (proxy == NULL || *proxy == '\0')
    return TRUE;
  uri_text =
      strstr (proxy, "://") ? g_strdup (proxy) : g_strconcat ("http://", proxy,
      NULL);
  uri = g_uri_parse (uri_text, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL
      || *g_uri_get_host (uri) == '\0'
      || g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") != 0) {
    g_propagate_error (error,
        invalid_setting ("proxy \"%s\" is not an http:// proxy URL: "
            "give one like http://host:port, or leave proxy unset for the environment's",
            proxy));
    return FALSE;
  }
  *out = g_steal_pointer (&uri_text);
  return TRUE;
}

static gchar *
expand_user_agent (const gchar * user_agent)
{
  g_auto (GStrv) parts = NULL;

  if (user_agent == NULL || *user_agent == '\0')
    user_agent = DEFAULT_USER_AGENT;
  parts = g_strsplit (user_agent, "{VERSION}", -1);
  return g_strjoinv (PACKAGE_VERSION, parts);
}

gboolean
kling_network_init (KlingNetwork * net, const KlingNetworkSettings * settings,
    GError ** error)
{
  KlingNetworkSettings defaults;
  g_autoptr (GError) tls_error = NULL;

  memset (net, 0, sizeof (*net));
  if (settings == NULL) {
    kling_network_settings_init (&defaults);
    settings = &defaults;
  }
  if (!normalize_proxy (settings->proxy, &net->proxy, error))
    return FALSE;
  net->user_agent = expand_user_agent (settings->user_agent);
  net->ssl_strict = settings->ssl_strict;
  net->retries = MAX (settings->retries, -1);
  if (settings->ssl_ca_file && *settings->ssl_ca_file)
    net->ssl_ca_file = g_strdup (settings->ssl_ca_file);
  if (settings->tls_database) {
    net->tls_database = g_object_ref (settings->tls_database);
  } else if (net->ssl_ca_file) {
    net->tls_database = g_tls_file_database_new (net->ssl_ca_file, &tls_error);
    if (net->tls_database == NULL) {
      g_propagate_error (error,
          invalid_setting ("ssl-ca-file \"%s\" is not a readable PEM "
              "file of certificates (%s): give the CA's certificate in PEM",
              net->ssl_ca_file, tls_error->message));
      kling_network_clear (net);
      return FALSE;
    }
  }
  /* The database goes into the key by identity: two elements given the same object
   * share a client; the same CA file read twice is the same file name. */
  net->key =
      g_strdup_printf ("proxy=%s\nua=%s\nstrict=%d\nca=%s\ndb=%p\nretries=%d",
      net->proxy ? net->proxy : "", net->user_agent, net->ssl_strict ? 1 : 0,
      net->ssl_ca_file ? net->ssl_ca_file : "",
      settings->tls_database ? (gpointer) settings->tls_database : NULL,
      net->retries);
  return TRUE;
}

void
kling_network_clear (KlingNetwork * net)
{
  g_clear_pointer (&net->proxy, g_free);
  g_clear_pointer (&net->user_agent, g_free);
  g_clear_pointer (&net->ssl_ca_file, g_free);
  g_clear_object (&net->tls_database);
  g_clear_pointer (&net->key, g_free);
}

guint
kling_network_max_attempts (const KlingNetwork * net)
{
  return net->retries < 0 ? G_MAXUINT : (guint) net->retries + 1;
}

SoupSession *
kling_network_session_new (const KlingNetwork * net, guint idle_timeout_s,
    guint max_conns_per_host)
{
  SoupSession *session = soup_session_new_with_options ("timeout", 0,
      "idle-timeout", idle_timeout_s, "max-conns-per-host", max_conns_per_host,
      "max-conns", 4 * max_conns_per_host, "user-agent", net->user_agent, NULL);

  if (net->proxy) {
    g_autoptr (GProxyResolver) resolver =
        g_simple_proxy_resolver_new (net->proxy, NULL);
    soup_session_set_proxy_resolver (session, resolver);
  }
  if (net->tls_database)
    soup_session_set_tls_database (session, net->tls_database);
  if (!net->ssl_strict)
    g_message
        ("ssl-strict is FALSE: any server certificate is accepted, so the API key "
        "may go to whoever answers");
  return session;
}

static gboolean
accept_any_certificate (SoupMessage * msg, GTlsCertificate * certificate,
    GTlsCertificateFlags errors, gpointer user_data)
{
  (void) msg;
  (void) certificate;
  (void) user_data;
  g_debug
      ("ssl-strict is FALSE: accepting a certificate that failed checks 0x%x",
      errors);
  return TRUE;
}

void
kling_network_prepare_message (const KlingNetwork * net, SoupMessage * msg)
{
  if (!net->ssl_strict)
    g_signal_connect (msg, "accept-certificate",
        G_CALLBACK (accept_any_certificate), NULL);
}
