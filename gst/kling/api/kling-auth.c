/* gst-kling: JWT HS256 and static keys for the Kling API. */
#include "kling-auth.h"

#include <string.h>
#include <json-glib/json-glib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

struct _KlingAuth
{
  GMutex lock;
  gboolean is_jwt;
  KlingAuthHeader header;
  gchar *access_key;            /* JWT: the issuer; static: the key itself */
  gchar *secret_key;            /* JWT only */
  gchar *token;                 /* JWT only: the token minted last, or NULL */
  gint64 token_exp;
};

static const gchar b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

gchar *
kling_base64url_encode (const guint8 * data, gsize len)
{
  GString *out = g_string_sized_new ((len + 2) / 3 * 4 + 1);
  gsize i;

  for (i = 0; i + 2 < len; i += 3) {
    guint32 v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    g_string_append_c (out, b64url_alphabet[(v >> 18) & 63]);
    g_string_append_c (out, b64url_alphabet[(v >> 12) & 63]);
    g_string_append_c (out, b64url_alphabet[(v >> 6) & 63]);
    g_string_append_c (out, b64url_alphabet[v & 63]);
  }
  if (len - i == 1) {
    guint32 v = data[i] << 16;
    g_string_append_c (out, b64url_alphabet[(v >> 18) & 63]);
    g_string_append_c (out, b64url_alphabet[(v >> 12) & 63]);
  } else if (len - i == 2) {
    guint32 v = (data[i] << 16) | (data[i + 1] << 8);
    g_string_append_c (out, b64url_alphabet[(v >> 18) & 63]);
    g_string_append_c (out, b64url_alphabet[(v >> 12) & 63]);
    g_string_append_c (out, b64url_alphabet[(v >> 6) & 63]);
  }
  return g_string_free (out, FALSE);
}

static gint
b64url_value (gchar c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '-')
    return 62;
  if (c == '_')
    return 63;
  return -1;
}

guint8 *
kling_base64url_decode (const gchar * text, gsize * out_len)
{
  gsize len, i, n = 0;
  guint32 acc = 0;
  gint bits = 0;
  guint8 *out;

  g_return_val_if_fail (text != NULL, NULL);

  len = strlen (text);
  while (len > 0 && text[len - 1] == '=')
    len--;
  /* A single leftover character carries fewer than 8 bits: never valid. */
  if (len % 4 == 1)
    return NULL;

  out = g_malloc (len * 3 / 4 + 1);
  for (i = 0; i < len; i++) {
    gint v = b64url_value (text[i]);
    if (v < 0) {
      g_free (out);
      return NULL;
    }
    acc = (acc << 6) | (guint32) v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  if (out_len)
    *out_len = n;
  out[n] = 0;
  return out;
}

void
kling_hmac_sha256 (const guint8 * key, gsize key_len, const guint8 * data,
    gsize data_len, guint8 out[32])
{
  unsigned int out_len = 32;

  if (!HMAC (EVP_sha256 (), key, (int) key_len, data, data_len, out, &out_len))
    g_error ("OpenSSL HMAC-SHA256 failed");
}

gboolean
kling_secure_equal (const guint8 * a, const guint8 * b, gsize len)
{
  return CRYPTO_memcmp (a, b, len) == 0;
}

/* json-glib escapes the issuer properly (quotes, control and non-ASCII characters). */
static gchar *
jwt_payload_json (const gchar * issuer, gint64 exp, gint64 nbf)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "iss");
  json_builder_add_string_value (b, issuer);
  json_builder_set_member_name (b, "exp");
  json_builder_add_int_value (b, exp);
  json_builder_set_member_name (b, "nbf");
  json_builder_add_int_value (b, nbf);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

gchar *
kling_jwt_mint (const gchar * access_key, const gchar * secret_key,
    gint64 now_s, gint64 lifetime_s)
{
  static const gchar header_json[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
  g_autofree gchar *payload_json = NULL;
  g_autofree gchar *header_b64 = NULL;
  g_autofree gchar *payload_b64 = NULL;
  g_autofree gchar *signing_input = NULL;
  g_autofree gchar *signature_b64 = NULL;
  guint8 mac[32];
  gchar *token;

  g_return_val_if_fail (access_key != NULL && secret_key != NULL, NULL);

  payload_json = jwt_payload_json (access_key, now_s + lifetime_s,
      now_s - KLING_JWT_NBF_SKEW_S);
  header_b64 = kling_base64url_encode ((const guint8 *) header_json,
      strlen (header_json));
  payload_b64 = kling_base64url_encode ((const guint8 *) payload_json,
      strlen (payload_json));
  signing_input = g_strconcat (header_b64, ".", payload_b64, NULL);

  kling_hmac_sha256 ((const guint8 *) secret_key, strlen (secret_key),
      (const guint8 *) signing_input, strlen (signing_input), mac);
  signature_b64 = kling_base64url_encode (mac, sizeof (mac));
  OPENSSL_cleanse (mac, sizeof (mac));

  token = g_strconcat (signing_input, ".", signature_b64, NULL);
  return token;
}

static void
wipe_string (gchar ** s)
{
  if (*s) {
    OPENSSL_cleanse (*s, strlen (*s));
    g_clear_pointer (s, g_free);
  }
}

KlingAuth *
kling_auth_new_jwt (const gchar * access_key, const gchar * secret_key)
{
  KlingAuth *auth;

  g_return_val_if_fail (access_key && *access_key, NULL);
  g_return_val_if_fail (secret_key && *secret_key, NULL);

  auth = g_new0 (KlingAuth, 1);
  g_mutex_init (&auth->lock);
  auth->is_jwt = TRUE;
  auth->header = KLING_AUTH_HEADER_BEARER;
  auth->access_key = g_strdup (access_key);
  auth->secret_key = g_strdup (secret_key);
  return auth;
}

KlingAuth *
kling_auth_new_static (const gchar * api_key, KlingAuthHeader header)
{
  KlingAuth *auth;

  g_return_val_if_fail (api_key && *api_key, NULL);

  auth = g_new0 (KlingAuth, 1);
  g_mutex_init (&auth->lock);
  auth->header = header;
  auth->access_key = g_strdup (api_key);
  return auth;
}

void
kling_auth_free (KlingAuth * auth)
{
  if (!auth)
    return;
  wipe_string (&auth->access_key);
  wipe_string (&auth->secret_key);
  wipe_string (&auth->token);
  g_mutex_clear (&auth->lock);
  g_free (auth);
}

gboolean
kling_auth_is_jwt (const KlingAuth * auth)
{
  return auth->is_jwt;
}

gchar *
kling_auth_dup_header (KlingAuth * auth, gint64 now_s,
    const gchar ** header_name)
{
  gchar *value;

  if (!auth->is_jwt) {
    if (auth->header == KLING_AUTH_HEADER_X_API_KEY) {
      *header_name = "X-API-Key";
      return g_strdup (auth->access_key);
    }
    *header_name = "Authorization";
    return g_strconcat ("Bearer ", auth->access_key, NULL);
  }

  g_mutex_lock (&auth->lock);
  if (!auth->token || now_s >= auth->token_exp - KLING_JWT_REFRESH_S) {
    wipe_string (&auth->token);
    auth->token = kling_jwt_mint (auth->access_key, auth->secret_key, now_s,
        KLING_JWT_LIFETIME_S);
    auth->token_exp = now_s + KLING_JWT_LIFETIME_S;
  }
  value = g_strconcat ("Bearer ", auth->token, NULL);
  g_mutex_unlock (&auth->lock);

  *header_name = "Authorization";
  return value;
}

void
kling_auth_invalidate (KlingAuth * auth)
{
  g_mutex_lock (&auth->lock);
  wipe_string (&auth->token);
  g_mutex_unlock (&auth->lock);
}

gchar *
kling_auth_fingerprint (const KlingAuth * auth)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  const gchar *tag = auth->is_jwt ? "jwt" : (auth->header ==
      KLING_AUTH_HEADER_X_API_KEY ? "x-api-key" : "bearer");

  /* Separators keep ("ab","c") and ("a","bc") apart. */
  g_checksum_update (sum, (const guchar *) tag, -1);
  g_checksum_update (sum, (const guchar *) "\n", 1);
  g_checksum_update (sum, (const guchar *) auth->access_key, -1);
  g_checksum_update (sum, (const guchar *) "\n", 1);
  if (auth->secret_key)
    g_checksum_update (sum, (const guchar *) auth->secret_key, -1);
  return g_strdup (g_checksum_get_string (sum));
}
