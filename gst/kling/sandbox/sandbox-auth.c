/* kling-sandbox: credentials checked like Kling checks them. A JWT (HS256 over our
 * secret key, iss = our access key, nbf and exp against the clock, at most 30 minutes
 * ahead) or a static key, as a Bearer token or an X-API-Key header. Failures are 401
 * with Kling's codes 1000-1004. Nothing here logs a key or a token. */
#include "sandbox-private.h"

#include <string.h>

#include "kling-auth.h"

/* A client clock a few seconds ahead of ours must not turn a 30-minute token into a refusal. */
#define JWT_CLOCK_SLACK_S   5
#define JWT_MAX_LIFETIME_S  1800

static gboolean
json_member_int (JsonObject * object, const gchar * name, gint64 * value)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  switch (json_node_get_value_type (node)) {
    case G_TYPE_INT64:
      *value = json_node_get_int (node);
      return TRUE;
    case G_TYPE_DOUBLE:
      *value = (gint64) json_node_get_double (node);
      return TRUE;
    default:
      return FALSE;
  }
}

static JsonObject *
decode_json_part (const gchar * part)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree guint8 *raw = NULL;
  gsize len = 0;
  JsonNode *root;

  raw = kling_base64url_decode (part, &len);
  if (raw == NULL || len == 0 || len > 4096 ||
      !sandbox_json_depth_ok ((const gchar *) raw, len, SANDBOX_MAX_JSON_DEPTH))
    return NULL;
  if (!json_parser_load_from_data (parser, (const gchar *) raw, len, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

/* Checks a compact JWT like Kling: HS256 signature with our secret, iss, nbf, exp. */
static gboolean
verify_jwt (KlingSandbox * sandbox, const gchar * token, SandboxResponse * resp)
{
  g_auto (GStrv) parts = g_strsplit (token, ".", 4);
  g_autoptr (JsonObject) header = NULL;
  g_autoptr (JsonObject) payload = NULL;
  g_autofree guint8 *signature = NULL;
  g_autofree gchar *signed_part = NULL;
  guint8 expected[32];
  gsize sig_len = 0;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC, exp = 0, nbf = 0;
  const gchar *alg, *iss;

  if (g_strv_length (parts) != 3 || !*parts[0] || !*parts[1] || !*parts[2])
    goto invalid;
  header = decode_json_part (parts[0]);
  alg =
      header ? json_object_get_string_member_with_default (header, "alg",
      NULL) : NULL;
  if (g_strcmp0 (alg, "HS256") != 0)
    goto invalid;

  signature = kling_base64url_decode (parts[2], &sig_len);
  signed_part = g_strconcat (parts[0], ".", parts[1], NULL);
  kling_hmac_sha256 ((const guint8 *) sandbox->secret_key,
      strlen (sandbox->secret_key), (const guint8 *) signed_part,
      strlen (signed_part), expected);
  if (signature == NULL || sig_len != sizeof (expected)
      || !kling_secure_equal (signature, expected, sizeof (expected)))
    goto invalid;

  payload = decode_json_part (parts[1]);
  if (payload == NULL)
    goto invalid;
  iss = json_object_get_string_member_with_default (payload, "iss", NULL);
  if (g_strcmp0 (iss, sandbox->access_key) != 0
      || !json_member_int (payload, "exp", &exp))
    goto invalid;
  if (json_member_int (payload, "nbf", &nbf) && nbf > now) {
    sandbox_response_error (resp, 401, 1003,
        "Authorization is not yet valid (nbf)");
    return FALSE;
  }
  if (exp <= now) {
    sandbox_response_error (resp, 401, 1004, "Authorization has expired (exp)");
    return FALSE;
  }
  if (exp > now + JWT_MAX_LIFETIME_S + JWT_CLOCK_SLACK_S) {
    sandbox_response_error (resp, 401, 1002,
        "Authorization is invalid: exp is more than 30 minutes ahead");
    return FALSE;
  }
  return TRUE;

invalid:
  sandbox_response_error (resp, 401, 1002, "Authorization is invalid");
  return FALSE;
}

static gboolean
static_key_matches (KlingSandbox * sandbox, const gchar * value)
{
  gsize len = strlen (value);

  return sandbox->api_key != NULL && len == strlen (sandbox->api_key) &&
      kling_secure_equal ((const guint8 *) value,
      (const guint8 *) sandbox->api_key, len);
}

/* Three non-empty dot-separated parts: what a JWT looks like, signed right or not. */
static gboolean
looks_like_jwt (const gchar * token)
{
  g_auto (GStrv) parts = g_strsplit (token, ".", 4);

  return g_strv_length (parts) == 3 && *parts[0] && *parts[1] && *parts[2];
}

static gboolean
check_auth (KlingSandbox * sandbox, SoupServerMessage * msg, gboolean allow_jwt,
    SandboxResponse * resp)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const gchar *x_api_key = soup_message_headers_get_one (headers, "X-API-Key");
  const gchar *authorization =
      soup_message_headers_get_one (headers, "Authorization");
  const gchar *token;

  if (sandbox->access_key == NULL && sandbox->api_key == NULL)
    return TRUE;

  if (x_api_key != NULL && sandbox->api_key != NULL) {
    if (static_key_matches (sandbox, x_api_key))
      return TRUE;
    sandbox_response_error (resp, 401, 1002,
        "Authorization is invalid (X-API-Key)");
    return FALSE;
  }
  /* "Bearer " loses its trailing space on the way: it is as empty as no header. */
  if (authorization == NULL || *authorization == '\0' ||
      g_ascii_strcasecmp (authorization, "Bearer") == 0) {
    sandbox_response_error (resp, 401, 1001, "Authorization is empty");
    return FALSE;
  }
  if (g_ascii_strncasecmp (authorization, "Bearer ", 7) != 0) {
    sandbox_response_error (resp, 401, 1000,
        "Authentication failed: expected 'Authorization: Bearer <token>'");
    return FALSE;
  }
  token = authorization + 7;
  while (*token == ' ')
    token++;
  if (*token == '\0') {
    sandbox_response_error (resp, 401, 1001, "Authorization is empty");
    return FALSE;
  }
  if (static_key_matches (sandbox, token))
    return TRUE;
  /* Kling's per-model API takes API keys only: an AK/SK token is refused as invalid, not
   * as expired, so a client does not re-mint it in a loop. */
  if (!allow_jwt && looks_like_jwt (token)) {
    sandbox_response_error (resp, 401, 1002,
        "Authorization is invalid: this API takes an "
        "API key (Authorization: Bearer <key>), not an Access Key / Secret Key JWT");
    return FALSE;
  }
  if (allow_jwt && sandbox->access_key != NULL)
    return verify_jwt (sandbox, token, resp);
  sandbox_response_error (resp, 401, 1002, "Authorization is invalid");
  return FALSE;
}

gboolean
sandbox_check_auth (KlingSandbox * sandbox, SoupServerMessage * msg,
    SandboxResponse * resp)
{
  return check_auth (sandbox, msg, TRUE, resp);
}

gboolean
sandbox_check_api_key_auth (KlingSandbox * sandbox, SoupServerMessage * msg,
    SandboxResponse * resp)
{
  return check_auth (sandbox, msg, FALSE, resp);
}
