/* gst-kling: one GError domain for every failure of a Kling request.
 *
 * The structured fields live in an extended GError (G_DEFINE_EXTENDED_ERROR), so they are
 * copied by g_error_copy() and freed with the error: an error can cross threads and still
 * tell the element which task failed and why.
 */
#include "config.h"
#include "kling-error.h"
#include "kling-models.h"

#include <stdarg.h>
#include <string.h>

typedef struct
{
  guint http_status;
  gint kling_code;
  gchar *request_id;
  gchar *task_id;
  gchar *task_status_msg;
  guint retry_after_s;
  guint timeout_s;
  gchar *api_url;
  gchar *endpoint;
  gchar *model;
  gboolean foreign_answer;
  gchar *download_url;
  gboolean task_journaled;
} KlingErrorPrivate;

static void
kling_error_private_init (KlingErrorPrivate * priv)
{
  priv->kling_code = -1;
}

static void
kling_error_private_copy (const KlingErrorPrivate * src,
    KlingErrorPrivate * dest)
{
  dest->http_status = src->http_status;
  dest->kling_code = src->kling_code;
  dest->request_id = g_strdup (src->request_id);
  dest->task_id = g_strdup (src->task_id);
  dest->task_status_msg = g_strdup (src->task_status_msg);
  dest->retry_after_s = src->retry_after_s;
  dest->timeout_s = src->timeout_s;
  dest->api_url = g_strdup (src->api_url);
  dest->endpoint = g_strdup (src->endpoint);
  dest->model = g_strdup (src->model);
  dest->foreign_answer = src->foreign_answer;
  dest->download_url = g_strdup (src->download_url);
  dest->task_journaled = src->task_journaled;
}

static void
kling_error_private_clear (KlingErrorPrivate * priv)
{
  g_clear_pointer (&priv->request_id, g_free);
  g_clear_pointer (&priv->task_id, g_free);
  g_clear_pointer (&priv->task_status_msg, g_free);
  g_clear_pointer (&priv->api_url, g_free);
  g_clear_pointer (&priv->endpoint, g_free);
  g_clear_pointer (&priv->model, g_free);
  g_clear_pointer (&priv->download_url, g_free);
}

G_DEFINE_EXTENDED_ERROR (KlingError, kling_error)
/* NULL for errors of other domains: every accessor then answers "none". */
     static KlingErrorPrivate *get_private (const GError * error)
{
  if (error == NULL || error->domain != KLING_ERROR)
    return NULL;
  return kling_error_get_private (error);
}

GError *
kling_error_new_full (KlingErrorCode code, guint http_status, gint kling_code,
    const gchar * request_id, const gchar * task_id,
    const gchar * task_status_msg, const gchar * format, ...)
{
  GError *error;
  KlingErrorPrivate *priv;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (KLING_ERROR, code, format, args);
  va_end (args);

  priv = kling_error_get_private (error);
  priv->http_status = http_status;
  priv->kling_code = kling_code;
  priv->request_id = g_strdup (request_id);
  priv->task_id = g_strdup (task_id);
  priv->task_status_msg = g_strdup (task_status_msg);
  return error;
}

static gboolean
in_range (gint value, gint low, gint high)
{
  return value >= low && value <= high;
}

static KlingErrorCode
code_from_kling_code (gint kling_code, gboolean * known)
{
  *known = TRUE;
  if (in_range (kling_code, 1000, 1004))
    return KLING_ERROR_AUTH;
  if (in_range (kling_code, 1100, 1102))
    return KLING_ERROR_QUOTA;
  if (kling_code == 1103 || kling_code == 1304)
    return KLING_ERROR_PERMISSION;
  if (in_range (kling_code, 1200, 1203))
    return KLING_ERROR_INVALID_INPUT;
  if (kling_code == 1300 || kling_code == 1301)
    return KLING_ERROR_CONTENT_POLICY;
  if (kling_code == 1302 || kling_code == 1303)
    return KLING_ERROR_RATE_LIMITED;
  if (in_range (kling_code, 5000, 5099))
    return KLING_ERROR_SERVER;
  *known = FALSE;
  return KLING_ERROR_PROTOCOL;
}

static KlingErrorCode
code_from_http_status (guint http_status)
{
  switch (http_status) {
    case 401:
      return KLING_ERROR_AUTH;
    case 402:
      return KLING_ERROR_QUOTA;
    case 403:
      return KLING_ERROR_PERMISSION;
    case 408:
      return KLING_ERROR_SERVER;
    case 429:
      return KLING_ERROR_RATE_LIMITED;
    default:
      break;
  }
  if (http_status >= 500 && http_status < 600)
    return KLING_ERROR_SERVER;
  if (http_status >= 400 && http_status < 500)
    return KLING_ERROR_INVALID_INPUT;
  return KLING_ERROR_PROTOCOL;
}

KlingErrorCode
kling_error_code_from_http (guint http_status, gint kling_code)
{
  gboolean known;
  KlingErrorCode code;

  /* Resellers put an HTTP status in "code" ({"error": "...", "code": 401}). */
  if (in_range (kling_code, 400, 599))
    return code_from_http_status ((guint) kling_code);
  if (kling_code > 0) {
    code = code_from_kling_code (kling_code, &known);
    if (known)
      return code;
  }
  return code_from_http_status (http_status);
}

gboolean
kling_error_is_retryable (const GError * error)
{
  if (error == NULL || error->domain != KLING_ERROR)
    return FALSE;
  switch (error->code) {
    case KLING_ERROR_RATE_LIMITED:
    case KLING_ERROR_SERVER:
    case KLING_ERROR_NETWORK:
      return TRUE;
    default:
      return FALSE;
  }
}

guint
kling_error_get_http_status (const GError * error)
{
  KlingErrorPrivate *priv = get_private (error);
  return priv ? priv->http_status : 0;
}

gint
kling_error_get_kling_code (const GError * error)
{
  KlingErrorPrivate *priv = get_private (error);
  return priv ? priv->kling_code : -1;
}

const gchar *
kling_error_get_request_id (const GError * error)
{
  KlingErrorPrivate *priv = get_private (error);
  return priv ? priv->request_id : NULL;
}

const gchar *
kling_error_get_task_id (const GError * error)
{
  KlingErrorPrivate *priv = get_private (error);
  return priv ? priv->task_id : NULL;
}

const gchar *
kling_error_get_task_status_msg (const GError * error)
{
  KlingErrorPrivate *priv = get_private (error);
  return priv ? priv->task_status_msg : NULL;
}

guint
kling_error_get_retry_after (const GError * error)
{
  KlingErrorPrivate *priv = get_private (error);
  return priv ? priv->retry_after_s : 0;
}

void
kling_error_set_retry_after (GError * error, guint seconds)
{
  KlingErrorPrivate *priv = get_private (error);
  g_return_if_fail (priv != NULL);
  priv->retry_after_s = seconds;
}

void
kling_error_set_task_id (GError * error, const gchar * task_id)
{
  KlingErrorPrivate *priv = get_private (error);
  g_return_if_fail (priv != NULL);
  g_free (priv->task_id);
  priv->task_id = g_strdup (task_id);
}

guint
kling_error_get_timeout (const GError * error)
{
  KlingErrorPrivate *priv = get_private (error);
  return priv ? priv->timeout_s : 0;
}

void
kling_error_set_timeout (GError * error, guint seconds)
{
  KlingErrorPrivate *priv = get_private (error);
  g_return_if_fail (priv != NULL);
  priv->timeout_s = seconds;
}

const gchar *
kling_error_get_api_url (const GError * error)
{
  KlingErrorPrivate *priv = get_private (error);
  return priv ? priv->api_url : NULL;
}

void
kling_error_set_api_url (GError * error, const gchar * api_url)
{
  KlingErrorPrivate *priv = get_private (error);
  g_return_if_fail (priv != NULL);
  g_free (priv->api_url);
  priv->api_url = g_strdup (api_url);
}

const gchar *
kling_error_get_endpoint (const GError * error)
{
  KlingErrorPrivate *priv = get_private (error);
  return priv ? priv->endpoint : NULL;
}

void
kling_error_set_endpoint (GError * error, const gchar * endpoint)
{
  KlingErrorPrivate *priv = get_private (error);
  g_return_if_fail (priv != NULL);
  g_free (priv->endpoint);
  priv->endpoint = g_strdup (endpoint);
}

const gchar *
kling_error_get_model (const GError * error)
{
  KlingErrorPrivate *priv = get_private (error);
  return priv ? priv->model : NULL;
}

void
kling_error_set_model (GError * error, const gchar * model)
{
  KlingErrorPrivate *priv = get_private (error);
  g_return_if_fail (priv != NULL);
  g_free (priv->model);
  priv->model = g_strdup (model);
}

gboolean
kling_error_is_foreign_answer (const GError * error)
{
  KlingErrorPrivate *priv = get_private (error);
  return priv ? priv->foreign_answer : FALSE;
}

void
kling_error_set_foreign_answer (GError * error, gboolean foreign)
{
  KlingErrorPrivate *priv = get_private (error);
  g_return_if_fail (priv != NULL);
  priv->foreign_answer = foreign;
}

const gchar *
kling_error_get_download_url (const GError * error)
{
  KlingErrorPrivate *priv = get_private (error);
  return priv ? priv->download_url : NULL;
}

void
kling_error_set_download_url (GError * error, const gchar * url)
{
  KlingErrorPrivate *priv = get_private (error);
  g_return_if_fail (priv != NULL);
  g_free (priv->download_url);
  priv->download_url = g_strdup (url);
}

gboolean
kling_error_get_task_journaled (const GError * error)
{
  KlingErrorPrivate *priv = get_private (error);
  return priv ? priv->task_journaled : FALSE;
}

void
kling_error_set_task_journaled (GError * error, gboolean journaled)
{
  KlingErrorPrivate *priv = get_private (error);
  g_return_if_fail (priv != NULL);
  priv->task_journaled = journaled;
}

/* "(401, code 1002)", "(402)", "(code 1303)" or "" */
static gchar *
dup_status_tag (const KlingErrorPrivate * priv)
{
  if (priv->http_status && priv->kling_code >= 0)
    return g_strdup_printf (" (%u, code %d)", priv->http_status,
        priv->kling_code);
  if (priv->http_status)
    return g_strdup_printf (" (%u)", priv->http_status);
  if (priv->kling_code >= 0)
    return g_strdup_printf (" (code %d)", priv->kling_code);
  return g_strdup ("");
}

/* The server's own words, or our technical line, without a trailing period. */
static gchar *
dup_reason (const GError * error, const gchar * fallback)
{
  const gchar *text = error->message
      && *error->message ? error->message : fallback;
  gchar *reason = g_strdup (text);
  gsize len = strlen (reason);

  while (len > 0 && (reason[len - 1] == '.'
          || g_ascii_isspace (reason[len - 1])))
    reason[--len] = '\0';
  return reason;
}

/* --- the sentences ------------------------------------------------------------------- */

/* The messages of kling_error_new_no_credentials(); kling_auth_new_from_settings() writes
 * the same two for half a pair. */
#define HALF_PAIR_ACCESS "an access key is set but no secret key"
#define HALF_PAIR_SECRET "a secret key is set but no access key"

#define API_KEY_NEEDED "the per-model API takes an API key only"

GError *
kling_error_new_api_key_needed (const gchar * model)
{
  GError *error =
      kling_error_new_full (KLING_ERROR_AUTH, 0, -1, NULL, NULL, NULL,
      API_KEY_NEEDED ", not an access key and secret key (model %s)",
      model ? model : "?");

  kling_error_set_model (error, model);
  return error;
}

GError *
kling_error_new_no_credentials (gboolean access_key_set,
    gboolean secret_key_set)
{
  return kling_error_new_full (KLING_ERROR_AUTH, 0, -1, NULL, NULL, NULL, "%s",
      access_key_set && !secret_key_set ? HALF_PAIR_ACCESS :
      secret_key_set
      && !access_key_set ? HALF_PAIR_SECRET : "no credentials are set");
}

static gchar *
dup_auth_sentence (const GError * error, const KlingErrorPrivate * priv,
    const gchar * tag)
{
  /* Nothing was sent: the element and the environment gave no usable credential. */
  if (priv->http_status == 0 && priv->kling_code < 0) {
    if (g_str_has_prefix (error->message, HALF_PAIR_ACCESS))
      return
          g_strdup
          ("Only an access key is set, without its secret key: set secret-key "
          "(or KLING_SECRET_KEY), or use api-key instead.");
    if (g_str_has_prefix (error->message, HALF_PAIR_SECRET))
      return
          g_strdup
          ("Only a secret key is set, without its access key: set access-key "
          "(or KLING_ACCESS_KEY), or use api-key instead.");
    if (g_str_has_prefix (error->message, API_KEY_NEEDED))
      return
          g_strdup_printf
          ("%s is on Kling's per-model API, which takes an API key, not "
          "an access key and secret key: set api-key (or KLING_API_KEY), or use a model of "
          "the /v1 API.", priv->model ? priv->model : "The model");
    return
        g_strdup
        ("No Kling credentials are set: set access-key and secret-key (or the "
        "KLING_ACCESS_KEY and KLING_SECRET_KEY environment variables), or api-key (or "
        "KLING_API_KEY).");
  }
  /* The client mints a fresh token once on 1003/1004: one surfacing is about the clock. */
  if (priv->kling_code == 1003)
    return
        g_strdup_printf
        ("Kling says the token is not valid yet%s, even freshly minted: "
        "this computer's clock is ahead, sync it (e.g. timedatectl set-ntp true) and run "
        "again.", tag);
  if (priv->kling_code == 1004)
    return
        g_strdup_printf
        ("Kling says the token has expired%s, even freshly minted: this "
        "computer's clock is behind, sync it (e.g. timedatectl set-ntp true) and run again.",
        tag);
  return
      g_strdup_printf ("Kling refused the credentials%s: check access-key and "
      "secret-key (or KLING_ACCESS_KEY/KLING_SECRET_KEY), or api-key.", tag);
}

static gchar *
dup_quota_sentence (const KlingErrorPrivate * priv, const gchar * tag)
{
  switch (priv->kling_code) {
    case 1100:
      return
          g_strdup_printf
          ("Kling reports a problem with the account%s: check the "
          "account's settings and status in Kling's console, then run again.",
          tag);
    case 1101:
      return
          g_strdup_printf
          ("The Kling account is in arrears%s: pay the outstanding bill, "
          "then run again.", tag);
    case 1102:
      return
          g_strdup_printf
          ("The Kling account's resource pack is used up%s: buy more "
          "credits or wait for the pack to renew, then run again.", tag);
    default:
      return
          g_strdup_printf
          ("The account has no credit left%s: top it up or renew its "
          "plan, then run again.", tag);
  }
}

static gchar *
dup_permission_sentence (const KlingErrorPrivate * priv, const gchar * tag)
{
  if (priv->kling_code == 1304)
    return
        g_strdup_printf
        ("Kling refused this IP address%s: add it to the account's "
        "IP allow-list.", tag);
  if (priv->model)
    return
        g_strdup_printf
        ("Kling denied the account access to %s%s: check that the "
        "account's plan includes it, or set another model-name.", priv->model,
        tag);
  return
      g_strdup_printf ("Kling denied access to this API or model%s: check the "
      "account's plan and model-name.", tag);
}

/* "(200, an HTML page)": the status and what came instead of Kling's envelope. */
static gchar *
dup_foreign_sentence (const GError * error, const KlingErrorPrivate * priv)
{
  g_autofree gchar *what = dup_reason (error, "an answer that is not Kling's");
  g_autofree gchar *status = priv->http_status ?
      g_strdup_printf ("%u, ", priv->http_status) : g_strdup ("");

  return
      g_strdup_printf
      ("api-url %s does not answer like a Kling server (%s%s): check "
      "api-url, the base URL of Kling's API or of a compatible service (the default is "
      KLING_DEFAULT_API_URL ").", priv->api_url ? priv->api_url : "(unset)",
      status, what);
}

static gchar *
dup_invalid_input_sentence (const GError * error,
    const KlingErrorPrivate * priv, const gchar * tag)
{
  g_autofree gchar *reason = dup_reason (error, "invalid parameters");
  KlingEndpoint endpoint;

  /* Refused before any request: the message is the sentence already. */
  if (priv->http_status == 0 && priv->kling_code < 0)
    return g_strdup_printf ("%s.", reason);
  if (priv->foreign_answer)
    return dup_foreign_sentence (error, priv);
  if (priv->kling_code == 1203
      && kling_endpoint_from_path (priv->endpoint, &endpoint)) {
    gchar *sentence =
        kling_models_dup_not_served_sentence (priv->model, endpoint, tag);

    if (sentence) {
      gchar *full = g_strconcat (sentence, ".", NULL);

      g_free (sentence);
      return full;
    }
  }
  return g_strdup_printf ("Kling refused the request%s: %s.", tag, reason);
}

/* Words of Kling's moderation in a failed task's task_status_msg. */
static gboolean
is_content_refusal (const gchar * status_msg)
{
  static const gchar *const words[] = {
    "risk", "policy", "sensitive", "safety", "moderat", "violat",
    "inappropriate",
    "prohibit", "audit", "censor",
  };
  g_autofree gchar *lower = status_msg ? g_utf8_strdown (status_msg, -1) : NULL;
  guint i;

  for (i = 0; lower && i < G_N_ELEMENTS (words); i++)
    if (strstr (lower, words[i]))
      return TRUE;
  return FALSE;
}

static gchar *
dup_task_failed_sentence (const KlingErrorPrivate * priv)
{
  const gchar *task = priv->task_id ? priv->task_id : "(unknown)";
  const gchar *why =
      priv->task_status_msg ? priv->task_status_msg : "no reason given";

  if (is_content_refusal (priv->task_status_msg))
    return
        g_strdup_printf
        ("Kling's content checks stopped task %s (%s): change the "
        "prompt or the image, then run again.", task, why);
  return
      g_strdup_printf
      ("The Kling task %s failed (%s): run again, and if it fails "
      "again change the prompt or the image.", task, why);
}

static gchar *
dup_server_sentence (const KlingErrorPrivate * priv, const gchar * tag)
{
  if (priv->foreign_answer)
    return
        g_strdup_printf
        ("The server at api-url %s kept failing%s without a Kling "
        "answer: try again later, and check api-url if it goes on.",
        priv->api_url ? priv->api_url : "(unset)", tag);
  return g_strdup_printf ("Kling's server kept failing%s: try again later.",
      tag);
}

static gchar *
dup_protocol_sentence (const GError * error, const KlingErrorPrivate * priv,
    const gchar * tag)
{
  g_autofree gchar *reason = dup_reason (error, "unexpected answer");

  if (priv->foreign_answer)
    return dup_foreign_sentence (error, priv);
  return
      g_strdup_printf
      ("Kling answered in an unexpected shape%s (%s): check that "
      "api-url points at a Kling-compatible server.", tag, reason);
}

/* What a rerun does after a failed download: the truth depends on the journal. */
static gchar *
dup_rerun_clause (const KlingErrorPrivate * priv, const gchar * task)
{
  if (priv->task_journaled)
    return
        g_strdup_printf
        ("the journal in cache-dir keeps task %s, so a rerun fetches its "
        "clip again, with a fresh link, and pays nothing again", task);
  return
      g_strdup
      ("without a cache-dir nothing keeps the task, so a rerun renders (and "
      "pays for) the clip again: set cache-dir to keep it");
}

/* A download that gave up: Kling made the clip; what failed is its file host or the
 * way there, never api-url. */
static gchar *
dup_download_sentence (const GError * error, const KlingErrorPrivate * priv,
    const gchar * tag)
{
  const gchar *task = priv->task_id ? priv->task_id : "(unknown)";
  g_autoptr (GUri) uri =
      g_uri_parse (priv->download_url, G_URI_FLAGS_NONE, NULL);
  const gchar *host = uri
      && g_uri_get_host (uri) ? g_uri_get_host (uri) : "(unknown)";
  g_autofree gchar *reason = dup_reason (error, "download failed");
  g_autofree gchar *rerun = dup_rerun_clause (priv, task);

  if (priv->http_status == 404 || priv->http_status == 410)
    return
        g_strdup_printf
        ("The clip of task %s is gone from its download link%s: the "
        "link expired or Kling deleted the file (it keeps clips for 30 days); run again: "
        "%s.", task, tag, rerun);
  switch ((KlingErrorCode) error->code) {
    case KLING_ERROR_NETWORK:
      return
          g_strdup_printf
          ("The download of task %s's clip from Kling's file host %s "
          "kept breaking off (%s): the network between here and that host is at fault, "
          "not api-url; check the connection (proxy, firewall, VPN), then run again: %s.",
          task, host, reason, rerun);
    case KLING_ERROR_PROTOCOL:
      return
          g_strdup_printf
          ("The clip of task %s came from Kling's file host %s damaged "
          "at every attempt (%s): run again later: %s.", task, host, reason,
          rerun);
    default:
      return
          g_strdup_printf
          ("Kling's file host %s kept refusing the clip of task %s%s "
          "(%s): try again later: %s.", host, task, tag, reason, rerun);
  }
}

gchar *
kling_error_dup_user_message (const GError * error)
{
  KlingErrorPrivate *priv = get_private (error);
  g_autofree gchar *tag = NULL, *reason = NULL;
  const gchar *task;

  g_return_val_if_fail (error != NULL, NULL);
  if (priv == NULL)
    return g_strdup (error->message);

  tag = dup_status_tag (priv);
  task = priv->task_id ? priv->task_id : "(unknown)";
  if (priv->download_url && error->code != KLING_ERROR_LOCAL_IO &&
      error->code != KLING_ERROR_CANCELLED && error->code != KLING_ERROR_TLS)
    return dup_download_sentence (error, priv, tag);
  switch ((KlingErrorCode) error->code) {
    case KLING_ERROR_AUTH:
      return dup_auth_sentence (error, priv, tag);
    case KLING_ERROR_PERMISSION:
      return dup_permission_sentence (priv, tag);
    case KLING_ERROR_QUOTA:
      return dup_quota_sentence (priv, tag);
    case KLING_ERROR_RATE_LIMITED:
      return
          g_strdup_printf
          ("Kling kept refusing for too many requests or parallel "
          "tasks%s: run fewer renders at once or try again later.", tag);
    case KLING_ERROR_INVALID_INPUT:
      return dup_invalid_input_sentence (error, priv, tag);
    case KLING_ERROR_CONTENT_POLICY:
      return
          g_strdup_printf
          ("Kling's content policy refused the request%s: change the "
          "prompt or the image.", tag);
    case KLING_ERROR_TASK_FAILED:
      return dup_task_failed_sentence (priv);
    case KLING_ERROR_SERVER:
      return dup_server_sentence (priv, tag);
    case KLING_ERROR_NETWORK:
      reason = dup_reason (error, "network failure");
      return
          g_strdup_printf
          ("Could not reach Kling (%s): check api-url and the network.",
          reason);
    case KLING_ERROR_PROTOCOL:
      return dup_protocol_sentence (error, priv, tag);
    case KLING_ERROR_TIMEOUT:
      return
          g_strdup_printf
          ("Kling did not finish task %s within %u s: raise the timeout "
          "property; the task is kept and a rerun picks it up.", task,
          priv->timeout_s);
    case KLING_ERROR_CANCELLED:
      return g_strdup ("The Kling request was cancelled.");
    case KLING_ERROR_TLS:
      reason = dup_reason (error, "certificate check failed");
      return
          g_strdup_printf
          ("The server's TLS certificate failed the check (%s): give "
          "ssl-ca-file or tls-database for a private CA, or fix api-url.",
          reason);
    case KLING_ERROR_LOCAL_IO:
      reason = dup_reason (error, "cannot write");
      return
          g_strdup_printf
          ("The cache directory cannot be written (%s): make it "
          "writable or set cache-dir to another directory.", reason);
    case KLING_ERROR_UNCONFIRMED:
      return
          g_strdup_printf
          ("Kling may have created a task for this request, but its answer "
          "was lost and the task could not be found%s: wait a few minutes and run again "
          "(the journal in cache-dir keeps it from being paid twice).", tag);
  }
  return g_strdup (error->message);
}

gchar *
kling_error_dup_details (const GError * error)
{
  KlingErrorPrivate *priv = get_private (error);
  GString *out;

  g_return_val_if_fail (error != NULL, NULL);
  if (priv == NULL)
    return g_strdup (error->message);

  out = g_string_new (NULL);
  if (priv->http_status)
    g_string_append_printf (out, "http=%u ", priv->http_status);
  if (priv->kling_code >= 0)
    g_string_append_printf (out, "code=%d ", priv->kling_code);
  if (priv->request_id)
    g_string_append_printf (out, "request_id=%s ", priv->request_id);
  if (priv->task_id)
    g_string_append_printf (out, "task_id=%s ", priv->task_id);
  if (priv->task_status_msg)
    g_string_append_printf (out, "status_msg=%s ", priv->task_status_msg);
  if (priv->model)
    g_string_append_printf (out, "model=%s ", priv->model);
  if (priv->api_url || priv->endpoint)
    g_string_append_printf (out, "url=%s%s ",
        priv->api_url ? priv->api_url : "",
        priv->endpoint ? priv->endpoint : "");
  if (priv->download_url)
    g_string_append_printf (out, "download=%s ", priv->download_url);
  if (out->len > 0)
    g_string_truncate (out, out->len - 1);
  if (error->message && *error->message)
    g_string_append_printf (out, "%s%s", out->len ? ": " : "", error->message);
  return g_string_free (out, FALSE);
}
