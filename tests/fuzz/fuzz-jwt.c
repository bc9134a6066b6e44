/* libFuzzer target: base64url decoding of arbitrary text, encode/decode round trips, and
 * the JWT minted from arbitrary keys (its three parts decode, the header is exact, the
 * payload's issuer is the access key, and the signature is the HMAC of the first two). */
#include <string.h>
#include <json-glib/json-glib.h>
#include "kling-auth.h"

static void
check_round_trip (const guint8 * data, gsize size)
{
  g_autofree gchar *text = kling_base64url_encode (data, size);
  gsize len = 0;
  g_autofree guint8 *back = kling_base64url_decode (text, &len);

  g_assert_nonnull (back);
  g_assert_cmpuint (len, ==, size);
  g_assert_true (size == 0 || memcmp (back, data, size) == 0);
  g_assert_null (strpbrk (text, "+/="));
}

/* Arbitrary text: refused, or decoded to bytes whose encoding reads back the same. */
static void
check_decode (const guint8 * data, gsize size)
{
  g_autofree gchar *text = g_strndup ((const gchar *) data, size);
  gsize len = 0;
  g_autofree guint8 *decoded = kling_base64url_decode (text, &len);

  if (decoded) {
    g_autofree gchar *again = kling_base64url_encode (decoded, len);
    gsize len2 = 0;
    g_autofree guint8 *twice = kling_base64url_decode (again, &len2);

    g_assert_cmpuint (len2, ==, len);
    g_assert_true (len == 0 || memcmp (twice, decoded, len) == 0);
  }
}

static void
check_jwt (const guint8 * data, gsize size)
{
  const guint8 *split = memchr (data, 0, size);
  g_autofree gchar *ak = NULL, *sk = NULL, *token = NULL, *signed_part = NULL;
  g_auto (GStrv) parts = NULL;
  g_autofree guint8 *header = NULL, *payload = NULL, *signature = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  guint8 expected[32];
  gsize header_len, payload_len, signature_len;
  JsonObject *claims;

  if (!split)
    return;
  ak = g_strndup ((const gchar *) data, split - data);
  sk = g_strndup ((const gchar *) split + 1, size - (split - data) - 1);
  if (!g_utf8_validate (ak, -1, NULL))
    return;                     /* JSON strings carry UTF-8 only */
  token = kling_jwt_mint (ak, sk, 1800000000, 1800);
  parts = g_strsplit (token, ".", -1);
  g_assert_cmpuint (g_strv_length (parts), ==, 3);

  header = kling_base64url_decode (parts[0], &header_len);
  payload = kling_base64url_decode (parts[1], &payload_len);
  signature = kling_base64url_decode (parts[2], &signature_len);
  g_assert_nonnull (header);
  g_assert_nonnull (payload);
  g_assert_cmpuint (signature_len, ==, 32);
  g_assert_cmpstr ((const gchar *) header, ==,
      "{\"alg\":\"HS256\",\"typ\":\"JWT\"}");

  g_assert_true (json_parser_load_from_data (parser, (const gchar *) payload,
          payload_len, NULL));
  claims = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (claims, "iss"), ==, ak);
  g_assert_cmpint (json_object_get_int_member (claims, "exp"), ==, 1800001800);
  g_assert_cmpint (json_object_get_int_member (claims, "nbf"), ==,
      1800000000 - KLING_JWT_NBF_SKEW_S);

  signed_part = g_strconcat (parts[0], ".", parts[1], NULL);
  kling_hmac_sha256 ((const guint8 *) sk, strlen (sk),
      (const guint8 *) signed_part, strlen (signed_part), expected);
  g_assert_true (kling_secure_equal (expected, signature, 32));
}

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  check_round_trip (data, size);
  check_decode (data, size);
  check_jwt (data, size);
  return 0;
}
