/* gst-kling: credentials for the Kling API.
 *
 * Official accounts sign a short-lived JWT (HS256) with an Access Key and a Secret Key;
 * resellers hand out one static key sent as a Bearer token or an X-API-Key header.
 * Nothing here logs, prints or stores a key or a token: the only way out is the header
 * value handed to the HTTP layer.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Kling refuses tokens that live longer than 30 minutes. */
#define KLING_JWT_LIFETIME_S   1800
/* nbf is back-dated so a client clock a little ahead of the server's is accepted. */
#define KLING_JWT_NBF_SKEW_S   5
/* A token is replaced this long before it expires, never used up to the last second. */
#define KLING_JWT_REFRESH_S    300

typedef enum {
  KLING_AUTH_HEADER_BEARER,     /* Authorization: Bearer <token or key> */
  KLING_AUTH_HEADER_X_API_KEY,  /* X-API-Key: <key> (static keys only) */
} KlingAuthHeader;

typedef struct _KlingAuth KlingAuth;

/* base64url without padding (RFC 7515 appendix C). */
gchar   *kling_base64url_encode     (const guint8 *data, gsize len);
/* Returns NULL when @text is not base64url (padding is tolerated, '+' and '/' are not). */
guint8  *kling_base64url_decode     (const gchar *text, gsize *out_len);

void     kling_hmac_sha256          (const guint8 *key, gsize key_len,
                                     const guint8 *data, gsize data_len,
                                     guint8 out[32]);

/* Constant-time comparison, for signatures and keys. */
gboolean kling_secure_equal         (const guint8 *a, const guint8 *b, gsize len);

/* A complete compact JWT: header {"alg":"HS256","typ":"JWT"},
 * payload {"iss": access_key, "exp": now + lifetime, "nbf": now - KLING_JWT_NBF_SKEW_S}. */
gchar   *kling_jwt_mint             (const gchar *access_key, const gchar *secret_key,
                                     gint64 now_s, gint64 lifetime_s);

KlingAuth *kling_auth_new_jwt       (const gchar *access_key, const gchar *secret_key);
KlingAuth *kling_auth_new_static    (const gchar *api_key, KlingAuthHeader header);
void       kling_auth_free          (KlingAuth *auth);

gboolean   kling_auth_is_jwt        (const KlingAuth *auth);

/* The header to send at wall-clock time @now_s (seconds since the epoch). For JWT
 * credentials the token minted earlier is reused until KLING_JWT_REFRESH_S before its
 * expiry. Thread-safe. Returns the header value; *header_name is static. */
gchar     *kling_auth_dup_header    (KlingAuth *auth, gint64 now_s,
                                     const gchar **header_name);

/* Forget the cached token (the server said 1003 "not yet valid" or 1004 "expired"):
 * the next kling_auth_dup_header() mints a fresh one. */
void       kling_auth_invalidate    (KlingAuth *auth);

/* A stable, non-reversible identity of the credentials (hex SHA-256 over a domain tag and
 * the keys), so clients can be shared per credentials without keeping keys in a table. */
gchar     *kling_auth_fingerprint   (const KlingAuth *auth);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KlingAuth, kling_auth_free)

G_END_DECLS
