/* What a sandbox suite fetches from the sandbox itself (sandbox-http.h). */
#include <gst/check/gstcheck.h>
#include <libsoup/soup.h>

#include "kling-auth.h"
#include "sandbox-http.h"

GBytes *
sandbox_http_get (const gchar * url, const gchar * access_key,
    const gchar * secret_key)
{
  SoupSession *session = soup_session_new ();
  SoupMessage *message = soup_message_new ("GET", url);
  GError *error = NULL;
  GBytes *body;

  fail_unless (message != NULL, "bad URL %s", url);
  if (access_key && secret_key) {
    gchar *jwt = kling_jwt_mint (access_key, secret_key,
        g_get_real_time () / G_USEC_PER_SEC, 600);
    gchar *value = g_strconcat ("Bearer ", jwt, NULL);

    soup_message_headers_replace (soup_message_get_request_headers (message),
        "Authorization", value);
    g_free (value);
    g_free (jwt);
  }
  body = soup_session_send_and_read (session, message, NULL, &error);
  fail_unless (body != NULL, "GET %s: %s", url, error ? error->message : "?");
  fail_unless_equals_int (soup_message_get_status (message), 200);
  g_object_unref (message);
  g_object_unref (session);
  return body;
}
