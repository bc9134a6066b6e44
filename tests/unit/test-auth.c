/* Unit tests: base64url, HMAC-SHA256, JWT minting and token reuse. */
#include <gst/check/gstcheck.h>
#include <string.h>
#include <json-glib/json-glib.h>
#include "kling-auth.h"

GST_START_TEST (test_base64url_roundtrip)
{
  static const struct
  {
    const gchar *plain, *encoded;
  } vectors[] = {
    {"", ""}, {"f", "Zg"}, {"fo", "Zm8"}, {"foo", "Zm9v"}, {"foob", "Zm9vYg"},
    {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
    /* 0xfb 0xff needs the url-safe alphabet: '+/' in plain base64. */
    {"\xfb\xff", "-_8"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (vectors); i++) {
    gsize len = strlen (vectors[i].plain), out_len = 0;
    g_autofree gchar *enc =
        kling_base64url_encode ((const guint8 *) vectors[i].plain, len);
    g_autofree guint8 *dec = NULL;

    fail_unless_equals_string (enc, vectors[i].encoded);
    dec = kling_base64url_decode (enc, &out_len);
    fail_unless (dec != NULL);
    fail_unless_equals_int (out_len, len);
    fail_unless (memcmp (dec, vectors[i].plain, len) == 0);
  }
}

GST_END_TEST;

GST_START_TEST (test_base64url_rejects_garbage)
{
  gsize len;
  g_autofree guint8 *padded = kling_base64url_decode ("Zg==", &len);

  fail_unless (padded != NULL && len == 1 && padded[0] == 'f');
  fail_unless (kling_base64url_decode ("Zm+v", &len) == NULL);
  fail_unless (kling_base64url_decode ("Zm/v", &len) == NULL);
  fail_unless (kling_base64url_decode ("Z", &len) == NULL);
  fail_unless (kling_base64url_decode ("Zm9 v", &len) == NULL);
}

GST_END_TEST;

GST_START_TEST (test_hmac_sha256_rfc4231)
{
  /* RFC 4231, test case 2. */
  static const guint8 expected[32] = {
    0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26,
    0x08, 0x95,
    0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec,
    0x58, 0xb9,
    0x64, 0xec, 0x38, 0x43,
  };
  const gchar *data = "what do ya want for nothing?";
  guint8 mac[32];

  kling_hmac_sha256 ((const guint8 *) "Jefe", 4, (const guint8 *) data,
      strlen (data), mac);
  fail_unless (kling_secure_equal (mac, expected, 32));
}

GST_END_TEST;

static JsonNode *
decode_segment (const gchar * segment)
{
  gsize len;
  g_autofree guint8 *raw = kling_base64url_decode (segment, &len);

  fail_unless (raw != NULL);
  return json_from_string ((const gchar *) raw, NULL);
}

GST_START_TEST (test_jwt_shape_and_signature)
{
  g_autofree gchar *token =
      kling_jwt_mint ("AK-test", "SK-test", 1700000000, 1800);
  g_auto (GStrv) parts = g_strsplit (token, ".", -1);
  g_autoptr (JsonNode) header = NULL, payload = NULL;
  g_autofree gchar *signing_input = NULL, *expected_sig = NULL;
  JsonObject *h, *p;
  guint8 mac[32];

  fail_unless_equals_int (g_strv_length (parts), 3);
  header = decode_segment (parts[0]);
  payload = decode_segment (parts[1]);
  h = json_node_get_object (header);
  p = json_node_get_object (payload);
  fail_unless_equals_string (json_object_get_string_member (h, "alg"), "HS256");
  fail_unless_equals_string (json_object_get_string_member (h, "typ"), "JWT");
  fail_unless_equals_string (json_object_get_string_member (p, "iss"),
      "AK-test");
  fail_unless_equals_int64 (json_object_get_int_member (p, "exp"), 1700001800);
  fail_unless_equals_int64 (json_object_get_int_member (p, "nbf"), 1699999995);

  signing_input = g_strconcat (parts[0], ".", parts[1], NULL);
  kling_hmac_sha256 ((const guint8 *) "SK-test", 7,
      (const guint8 *) signing_input, strlen (signing_input), mac);
  expected_sig = kling_base64url_encode (mac, 32);
  fail_unless_equals_string (parts[2], expected_sig);
  /* No padding anywhere in a compact JWT. */
  fail_unless (strchr (token, '=') == NULL);
}

GST_END_TEST;

GST_START_TEST (test_jwt_escapes_issuer)
{
  g_autofree gchar *token = kling_jwt_mint ("a\"b\\c", "sk", 1000, 1800);
  g_auto (GStrv) parts = g_strsplit (token, ".", -1);
  g_autoptr (JsonNode) payload = decode_segment (parts[1]);

  fail_unless (payload != NULL);
  fail_unless_equals_string (json_object_get_string_member (json_node_get_object
          (payload), "iss"), "a\"b\\c");
}

GST_END_TEST;

GST_START_TEST (test_token_reused_then_refreshed)
{
  g_autoptr (KlingAuth) auth = kling_auth_new_jwt ("AK", "SK");
  const gchar *name = NULL;
  g_autofree gchar *initial = kling_auth_dup_header (auth, 1000, &name);
  g_autofree gchar *later = NULL, *near_expiry = NULL, *after_invalidate = NULL;

  fail_unless_equals_string (name, "Authorization");
  fail_unless (g_str_has_prefix (initial, "Bearer ey"));

  /* Reused until 5 minutes before exp (exp = 1000 + 1800). */
  later = kling_auth_dup_header (auth, 1000 + 1800 - 300 - 1, &name);
  fail_unless_equals_string (later, initial);
  near_expiry = kling_auth_dup_header (auth, 1000 + 1800 - 300, &name);
  fail_if (g_str_equal (near_expiry, initial));

  kling_auth_invalidate (auth);
  after_invalidate = kling_auth_dup_header (auth, 1000 + 1800 - 300, &name);
  /* Same second, same claims: the token is identical, but it was minted again (the
   * old one was wiped). Check that a later second gives a new one. */
  fail_unless (after_invalidate != NULL);
  kling_auth_invalidate (auth);
  g_free (after_invalidate);
  after_invalidate = kling_auth_dup_header (auth, 1000 + 1800 - 299, &name);
  fail_if (g_str_equal (after_invalidate, near_expiry));
}

GST_END_TEST;

GST_START_TEST (test_static_key_headers)
{
  g_autoptr (KlingAuth) bearer =
      kling_auth_new_static ("key-123", KLING_AUTH_HEADER_BEARER);
  g_autoptr (KlingAuth) xkey =
      kling_auth_new_static ("key-123", KLING_AUTH_HEADER_X_API_KEY);
  const gchar *name = NULL;
  g_autofree gchar *v1 = kling_auth_dup_header (bearer, 0, &name);
  g_autofree gchar *v2 = NULL;

  fail_unless_equals_string (name, "Authorization");
  fail_unless_equals_string (v1, "Bearer key-123");
  v2 = kling_auth_dup_header (xkey, 0, &name);
  fail_unless_equals_string (name, "X-API-Key");
  fail_unless_equals_string (v2, "key-123");
  fail_if (kling_auth_is_jwt (bearer));
}

GST_END_TEST;

GST_START_TEST (test_fingerprint_hides_keys)
{
  g_autoptr (KlingAuth) a = kling_auth_new_jwt ("AKVISIBLE", "SKSECRET");
  g_autoptr (KlingAuth) b = kling_auth_new_jwt ("AKVISIBLE", "SKOTHER");
  g_autoptr (KlingAuth) c = kling_auth_new_jwt ("AKVISIBLE", "SKSECRET");
  g_autofree gchar *fa = kling_auth_fingerprint (a);
  g_autofree gchar *fb = kling_auth_fingerprint (b);
  g_autofree gchar *fc = kling_auth_fingerprint (c);

  fail_unless_equals_int (strlen (fa), 64);
  fail_if (strstr (fa, "SKSECRET") || strstr (fa, "AKVISIBLE"));
  fail_if (g_str_equal (fa, fb));
  fail_unless_equals_string (fa, fc);
}

GST_END_TEST;

static Suite *
auth_suite (void)
{
  Suite *s = suite_create ("kling-auth");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_base64url_roundtrip);
  tcase_add_test (tc, test_base64url_rejects_garbage);
  tcase_add_test (tc, test_hmac_sha256_rfc4231);
  tcase_add_test (tc, test_jwt_shape_and_signature);
  tcase_add_test (tc, test_jwt_escapes_issuer);
  tcase_add_test (tc, test_token_reused_then_refreshed);
  tcase_add_test (tc, test_static_key_headers);
  tcase_add_test (tc, test_fingerprint_hides_keys);
  return s;
}

GST_CHECK_MAIN (auth);
