/* Unit tests: the KLING_ERROR domain, the status/code table, user messages, envelopes. */
#include <gst/check/gstcheck.h>
#include <string.h>
#include "kling-error.h"
#include "kling-task.h"

/* Every row of the error table in docs/kling-api.md, plus the reseller shapes. */
static const struct
{
  guint http;
  gint code;
  KlingErrorCode expected;
  gboolean retryable;
} table[] = {
  {401, 1000, KLING_ERROR_AUTH, FALSE}, {401, 1001, KLING_ERROR_AUTH, FALSE},
  {401, 1002, KLING_ERROR_AUTH, FALSE}, {401, 1003, KLING_ERROR_AUTH, FALSE},
  {401, 1004, KLING_ERROR_AUTH, FALSE},
  {429, 1100, KLING_ERROR_QUOTA, FALSE}, {429, 1101, KLING_ERROR_QUOTA, FALSE},
  {429, 1102, KLING_ERROR_QUOTA, FALSE},
  {403, 1103, KLING_ERROR_PERMISSION, FALSE},
  {400, 1200, KLING_ERROR_INVALID_INPUT, FALSE}, {400, 1201,
      KLING_ERROR_INVALID_INPUT, FALSE},
  {404, 1202, KLING_ERROR_INVALID_INPUT, FALSE}, {404, 1203,
      KLING_ERROR_INVALID_INPUT, FALSE},
  {400, 1300, KLING_ERROR_CONTENT_POLICY, FALSE},
  {400, 1301, KLING_ERROR_CONTENT_POLICY, FALSE},
  {429, 1302, KLING_ERROR_RATE_LIMITED, TRUE}, {429, 1303,
      KLING_ERROR_RATE_LIMITED, TRUE},
  {429, 1304, KLING_ERROR_PERMISSION, FALSE},
  {500, 5000, KLING_ERROR_SERVER, TRUE}, {503, 5001, KLING_ERROR_SERVER, TRUE},
  {504, 5002, KLING_ERROR_SERVER, TRUE},
  /* resellers: {"error": "...", "code": 401}, 402 "Subscription required" */
  {401, 401, KLING_ERROR_AUTH, FALSE}, {200, 401, KLING_ERROR_AUTH, FALSE},
  {402, -1, KLING_ERROR_QUOTA, FALSE}, {402, 402, KLING_ERROR_QUOTA, FALSE},
  /* a status without an envelope code */
  {502, -1, KLING_ERROR_SERVER, TRUE}, {429, -1, KLING_ERROR_RATE_LIMITED,
      TRUE},
  {403, -1, KLING_ERROR_PERMISSION, FALSE}, {418, -1, KLING_ERROR_INVALID_INPUT,
      FALSE},
};

GST_START_TEST (test_error_table)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (table); i++) {
    KlingErrorCode code =
        kling_error_code_from_http (table[i].http, table[i].code);
    g_autoptr (GError) err =
        kling_error_new_full (code, table[i].http, table[i].code, "rid", NULL,
        NULL, "row %u", i);

    fail_unless (code == table[i].expected, "row %u (%u, %d): got %d", i,
        table[i].http, table[i].code, code);
    fail_unless (kling_error_is_retryable (err) == table[i].retryable, "row %u",
        i);
  }
}

GST_END_TEST;

/* The same rows, through the parser of real answers. */
GST_START_TEST (test_envelope_errors)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (table); i++) {
    g_autofree gchar *body = NULL, *rid = NULL;
    g_autoptr (GError) err = NULL;
    JsonNode *data;

    if (table[i].code < 0)
      body = g_strdup ("{\"detail\": \"nope\"}");
    else if (table[i].code >= 400)
      body =
          g_strdup_printf
          ("{\"error\": \"Subscription required\", \"code\": %d}",
          table[i].code);
    else
      body =
          g_strdup_printf
          ("{\"code\": %d, \"message\": \"m%u\", \"request_id\": "
          "\"req-%u\", \"data\": null, \"extra\": [1, 2]}", table[i].code, i,
          i);
    data =
        kling_envelope_parse (table[i].http, body, strlen (body), &rid, &err);
    fail_unless (data == NULL);
    fail_unless (g_error_matches (err, KLING_ERROR, table[i].expected),
        "row %u: %s", i, err->message);
    fail_unless_equals_int (kling_error_get_http_status (err), table[i].http);
    fail_unless_equals_int (kling_error_get_kling_code (err), table[i].code);
    if (table[i].code >= 0 && table[i].code < 400) {
      g_autofree gchar *expected_rid = g_strdup_printf ("req-%u", i);
      fail_unless_equals_string (rid, expected_rid);
      fail_unless_equals_string (kling_error_get_request_id (err),
          expected_rid);
    }
  }
}

GST_END_TEST;

GST_START_TEST (test_envelope_shapes)
{
  static const gchar *const bad[] = {
    "", "not json", "[1,2]", "\"str\"", "{}", "{\"code\": \"0\", \"data\": {}}",
    "{\"code\": 0}", "{\"code\": 0, \"data\": null}",
    "{\"code\": 0.5, \"data\": {}}",
    "{\"code\": 99999999999999, \"data\": {}}",
  };
  const gchar *good =
      "{\"code\":0,\"message\":\"SUCCEED\",\"request_id\":\"r1\","
      "\"data\":{\"task_id\":\"t\"},\"unknown\":{\"deep\":[null]}}";
  g_autoptr (GError) err = NULL;
  g_autofree gchar *rid = NULL;
  JsonNode *data;
  guint i;

  data = kling_envelope_parse (200, good, strlen (good), &rid, &err);
  fail_unless (data != NULL && JSON_NODE_HOLDS_OBJECT (data));
  fail_unless_equals_string (rid, "r1");
  json_node_unref (data);

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) e = NULL;
    fail_unless (kling_envelope_parse (200, bad[i], strlen (bad[i]), NULL,
            &e) == NULL);
    fail_unless (g_error_matches (e, KLING_ERROR, KLING_ERROR_PROTOCOL), "%s",
        bad[i]);
  }
  /* An error status with an HTML body is still the status's error. */
  {
    g_autoptr (GError) e = NULL;
    fail_unless (kling_envelope_parse (503, "<html>", 6, NULL, &e) == NULL);
    fail_unless (g_error_matches (e, KLING_ERROR, KLING_ERROR_SERVER));
    fail_unless (kling_error_is_retryable (e));
  }
}

GST_END_TEST;

GST_START_TEST (test_fields_survive_copy)
{
  g_autoptr (GError) err =
      kling_error_new_full (KLING_ERROR_TASK_FAILED, 200, 0, "req-9", "task-7",
      "image too dark", "task ended failed");
  g_autoptr (GError) copy = NULL;

  kling_error_set_retry_after (err, 12);
  copy = g_error_copy (err);
  g_clear_error (&err);
  fail_unless (g_error_matches (copy, KLING_ERROR, KLING_ERROR_TASK_FAILED));
  fail_unless_equals_int (kling_error_get_http_status (copy), 200);
  fail_unless_equals_int (kling_error_get_kling_code (copy), 0);
  fail_unless_equals_string (kling_error_get_request_id (copy), "req-9");
  fail_unless_equals_string (kling_error_get_task_id (copy), "task-7");
  fail_unless_equals_string (kling_error_get_task_status_msg (copy),
      "image too dark");
  fail_unless_equals_int (kling_error_get_retry_after (copy), 12);
  kling_error_set_task_id (copy, "task-8");
  fail_unless_equals_string (kling_error_get_task_id (copy), "task-8");
}

GST_END_TEST;

GST_START_TEST (test_other_domains)
{
  g_autoptr (GError) io =
      g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "disk");
  g_autofree gchar *msg = kling_error_dup_user_message (io);

  fail_unless_equals_int (kling_error_get_http_status (io), 0);
  fail_unless_equals_int (kling_error_get_kling_code (io), -1);
  fail_unless (kling_error_get_task_id (io) == NULL);
  fail_unless (!kling_error_is_retryable (io));
  fail_unless_equals_string (msg, "disk");
}

GST_END_TEST;

static gchar *
user_message (KlingErrorCode code, guint http, gint kling_code,
    const gchar * task_id, const gchar * status_msg, const gchar * message)
{
  g_autoptr (GError) err =
      kling_error_new_full (code, http, kling_code, "rid", task_id, status_msg,
      "%s", message);

  if (code == KLING_ERROR_TIMEOUT)
    kling_error_set_timeout (err, 600);
  return kling_error_dup_user_message (err);
}

#define CHECK_USER_MESSAGE(expected, ...) G_STMT_START { \
    g_autofree gchar *m_ = user_message (__VA_ARGS__); \
    fail_unless_equals_string (m_, expected); \
  } G_STMT_END

GST_START_TEST (test_user_messages)
{
  CHECK_USER_MESSAGE
      ("Kling refused the credentials (401, code 1002): check access-key and "
      "secret-key (or KLING_ACCESS_KEY/KLING_SECRET_KEY), or api-key.",
      KLING_ERROR_AUTH, 401, 1002, NULL, NULL, "invalid token");
  CHECK_USER_MESSAGE
      ("Kling reports a problem with the account (429, code 1100): check "
      "the account's settings and status in Kling's console, then run again.",
      KLING_ERROR_QUOTA, 429, 1100, NULL, NULL, "account exception");
  CHECK_USER_MESSAGE
      ("The Kling account is in arrears (429, code 1101): pay the outstanding "
      "bill, then run again.", KLING_ERROR_QUOTA, 429, 1101, NULL, NULL,
      "arrears");
  CHECK_USER_MESSAGE
      ("The Kling account's resource pack is used up (429, code 1102): buy "
      "more credits or wait for the pack to renew, then run again.",
      KLING_ERROR_QUOTA, 429, 1102, NULL, NULL, "x");
  CHECK_USER_MESSAGE
      ("The account has no credit left (402): top it up or renew its plan, "
      "then run again.", KLING_ERROR_QUOTA, 402, -1, NULL, NULL,
      "Subscription required");
  CHECK_USER_MESSAGE
      ("Kling says the token is not valid yet (401, code 1003), even freshly "
      "minted: this computer's clock is ahead, sync it (e.g. timedatectl set-ntp true) and "
      "run again.", KLING_ERROR_AUTH, 401, 1003, NULL, NULL,
      "token not yet valid");
  CHECK_USER_MESSAGE
      ("Kling says the token has expired (401, code 1004), even freshly "
      "minted: this computer's clock is behind, sync it (e.g. timedatectl set-ntp true) and "
      "run again.", KLING_ERROR_AUTH, 401, 1004, NULL, NULL, "token expired");
  CHECK_USER_MESSAGE
      ("Kling's content checks stopped task T-3 (Failure to pass the risk "
      "control system): change the prompt or the image, then run again.",
      KLING_ERROR_TASK_FAILED, 200, 0, "T-3",
      "Failure to pass the risk control system", "");
  CHECK_USER_MESSAGE
      ("Kling's content checks stopped task T-4 (The content violates the "
      "platform Policy): change the prompt or the image, then run again.",
      KLING_ERROR_TASK_FAILED, 200, 0, "T-4",
      "The content violates the platform Policy", "");
  CHECK_USER_MESSAGE
      ("Kling denied access to this API or model (403, code 1103): check the "
      "account's plan and model-name.", KLING_ERROR_PERMISSION, 403, 1103, NULL,
      NULL, "x");
  CHECK_USER_MESSAGE
      ("Kling's server kept failing (503, code 5001): try again later.",
      KLING_ERROR_SERVER, 503, 5001, NULL, NULL, "maintenance");
  CHECK_USER_MESSAGE
      ("Kling's content policy refused the request (400, code 1301): change "
      "the prompt or the image.", KLING_ERROR_CONTENT_POLICY, 400, 1301, NULL,
      NULL, "x");
  CHECK_USER_MESSAGE
      ("The Kling task T-1 failed (internal error): run again, and if it "
      "fails again change the prompt or the image.", KLING_ERROR_TASK_FAILED,
      200, 0, "T-1", "internal error", "");
  CHECK_USER_MESSAGE
      ("The Kling task (unknown) failed (no reason given): run again, and if "
      "it fails again change the prompt or the image.", KLING_ERROR_TASK_FAILED,
      200, 0, NULL, NULL, "");
  CHECK_USER_MESSAGE
      ("Kling did not finish task T-2 within 600 s: raise the timeout "
      "property; the task is kept and a rerun picks it up.",
      KLING_ERROR_TIMEOUT, 0, -1, "T-2", NULL, "timeout");
  CHECK_USER_MESSAGE
      ("Kling refused the request (400, code 1201): duration must be 5 or 10.",
      KLING_ERROR_INVALID_INPUT, 400, 1201, NULL, NULL,
      "duration must be 5 or 10");
  /* Refused before any request: the message is the sentence already. */
  CHECK_USER_MESSAGE
      ("prompt has 2501 characters, Kling takes at most 2500: shorten it.",
      KLING_ERROR_INVALID_INPUT, 0, -1, NULL, NULL,
      "prompt has 2501 characters, Kling takes at most 2500: shorten it");
  CHECK_USER_MESSAGE
      ("Kling refused this IP address (429, code 1304): add it to the "
      "account's IP allow-list.", KLING_ERROR_PERMISSION, 429, 1304, NULL, NULL,
      "ip");
  CHECK_USER_MESSAGE ("The Kling request was cancelled.", KLING_ERROR_CANCELLED,
      0, -1, NULL, NULL, "cancelled");
  CHECK_USER_MESSAGE
      ("The server's TLS certificate failed the check (api.example.com: "
      "signed by an unknown authority): give ssl-ca-file or tls-database for a private CA, "
      "or fix api-url.", KLING_ERROR_TLS, 0, -1, NULL, NULL,
      "api.example.com: signed by an unknown authority");
  CHECK_USER_MESSAGE
      ("The cache directory cannot be written (cannot create /ro/tmp: "
      "Permission denied): make it writable or set cache-dir to another directory.",
      KLING_ERROR_LOCAL_IO, 0, -1, NULL, NULL,
      "cannot create /ro/tmp: Permission denied");
  CHECK_USER_MESSAGE
      ("Kling may have created a task for this request, but its answer was "
      "lost and the task could not be found (502): wait a few minutes and run again (the "
      "journal in cache-dir keeps it from being paid twice).",
      KLING_ERROR_UNCONFIRMED, 502, -1, NULL, NULL,
      "lip-sync create: no answer");
}

GST_END_TEST;

/* A download that gave up, as the job hands it on (kling-job-task.c). */
static gchar *
download_sentence (KlingErrorCode code, guint http, gboolean journaled,
    const gchar * message)
{
  g_autoptr (GError) err =
      kling_error_new_full (code, http, -1, NULL, "T-9", NULL, "%s", message);
  g_autoptr (GError) copy = NULL;

  kling_error_set_download_url (err, "https://files.example.com/v/T-9.mp4");
  kling_error_set_task_journaled (err, journaled);
  copy = g_error_copy (err);    /* as it crosses to the element's thread */
  fail_unless_equals_string (kling_error_get_download_url (copy),
      "https://files.example.com/v/T-9.mp4");
  return kling_error_dup_user_message (copy);
}

#define ASSERT_HAS(sentence, words) \
  fail_unless (strstr (sentence, words) != NULL, "'%s' not in: %s", words, sentence)
#define ASSERT_LACKS(sentence, words) \
  fail_unless (strstr (sentence, words) == NULL, "'%s' in: %s", words, sentence)

/* A result URL that stays 404: the link is gone, not a refusal; with the journal a rerun
 * fetches the clip from the same task. */
GST_START_TEST (test_download_link_gone)
{
  g_autofree gchar *kept =
      download_sentence (KLING_ERROR_INVALID_INPUT, 404, TRUE,
      "the result URL answered HTTP 404");
  g_autofree gchar *lost =
      download_sentence (KLING_ERROR_INVALID_INPUT, 404, FALSE,
      "the result URL answered HTTP 404");

  fail_unless_equals_string (kept,
      "The clip of task T-9 is gone from its download link "
      "(404): the link expired or Kling deleted the file (it keeps clips for 30 days); run "
      "again: the journal in cache-dir keeps task T-9, so a rerun fetches its clip again, "
      "with a fresh link, and pays nothing again.");
  ASSERT_LACKS (kept, "refused");
  ASSERT_HAS (lost,
      "without a cache-dir nothing keeps the task, so a rerun renders (and "
      "pays for) the clip again");
}

GST_END_TEST;

/* A download cut at every attempt: the transfer from Kling's file host, not api-url. */
GST_START_TEST (test_download_cut)
{
  g_autofree gchar *sentence = download_sentence (KLING_ERROR_NETWORK, 0, TRUE,
      "the download was cut short at byte 65536 of 131072");

  fail_unless_equals_string (sentence,
      "The download of task T-9's clip from Kling's file "
      "host files.example.com kept breaking off (the download was cut short at byte 65536 "
      "of 131072): the network between here and that host is at fault, not api-url; check "
      "the connection (proxy, firewall, VPN), then run again: the journal in cache-dir "
      "keeps task T-9, so a rerun fetches its clip again, with a fresh link, and pays "
      "nothing again.");
  ASSERT_LACKS (sentence, "check api-url");
}

GST_END_TEST;

/* The file host's other failures, and what is no download matter at all. */
GST_START_TEST (test_download_other_failures)
{
  g_autofree gchar *busy = download_sentence (KLING_ERROR_SERVER, 503, TRUE,
      "the result URL answered HTTP 503");
  g_autofree gchar *damaged = download_sentence (KLING_ERROR_PROTOCOL, 0, TRUE,
      "not a whole MP4: no moov box");
  g_autofree gchar *disk = download_sentence (KLING_ERROR_LOCAL_IO, 0, TRUE,
      "cannot write /c/tmp/x.part: No space left on device");

  ASSERT_HAS (busy,
      "Kling's file host files.example.com kept refusing the clip of task "
      "T-9 (503)");
  ASSERT_HAS (damaged,
      "came from Kling's file host files.example.com damaged at every "
      "attempt (not a whole MP4: no moov box)");
  ASSERT_LACKS (damaged, "api-url");
  ASSERT_HAS (disk, "The cache directory cannot be written");
}

GST_END_TEST;

GST_START_TEST (test_details)
{
  g_autoptr (GError) err =
      kling_error_new_full (KLING_ERROR_AUTH, 401, 1002, "req-1", NULL, NULL,
      "Auth failed");
  g_autoptr (GError) full =
      kling_error_new_full (KLING_ERROR_TASK_FAILED, 200, 0, "r", "t", "bad",
      "failed");
  g_autofree gchar *d1 = kling_error_dup_details (err);
  g_autofree gchar *d2 = kling_error_dup_details (full);

  fail_unless_equals_string (d1,
      "http=401 code=1002 request_id=req-1: Auth failed");
  fail_unless_equals_string (d2,
      "http=200 code=0 request_id=r task_id=t status_msg=bad: " "failed");
}

GST_END_TEST;

/* An HTML page where Kling's JSON should be: the sentence blames api-url, by name. */
GST_START_TEST (test_foreign_answer)
{
  g_autoptr (GError) err =
      kling_error_new_full (KLING_ERROR_PROTOCOL, 200, -1, NULL, NULL, NULL,
      "text/html answer, not JSON");
  g_autoptr (GError) copy = NULL;
  g_autofree gchar *plain = kling_error_dup_user_message (err);
  g_autofree gchar *message = NULL, *details = NULL;

  fail_if (g_str_has_prefix (plain, "api-url"));
  kling_error_set_api_url (err, "https://example.com");
  kling_error_set_endpoint (err, "/v1/videos/image2video");
  kling_error_set_foreign_answer (err, TRUE);
  copy = g_error_copy (err);
  message = kling_error_dup_user_message (copy);
  details = kling_error_dup_details (copy);
  fail_unless_equals_string (message,
      "api-url https://example.com does not answer like a "
      "Kling server (200, text/html answer, not JSON): check api-url, the base URL of Kling's "
      "API or of a compatible service (the default is https://api-singapore.klingai.com).");
  fail_unless_equals_string (details,
      "http=200 url=https://example.com/v1/videos/image2video: "
      "text/html answer, not JSON");
  fail_unless_equals_string (kling_error_get_endpoint (copy),
      "/v1/videos/image2video");
}

GST_END_TEST;


/* KLING_ERROR_AUTH without any request: say that nothing (or half a pair) was set, and
 * how to set it; never "Kling refused". */
GST_START_TEST (test_no_credentials)
{
  static const struct
  {
    gboolean access, secret;
    const gchar *sentence;
  } cases[] = {
    {FALSE, FALSE,
        "No Kling credentials are set: set access-key and secret-key (or the "
          "KLING_ACCESS_KEY and KLING_SECRET_KEY environment variables), or api-key (or "
          "KLING_API_KEY)."},
    {TRUE, FALSE,
        "Only an access key is set, without its secret key: set secret-key (or "
          "KLING_SECRET_KEY), or use api-key instead."},
    {FALSE, TRUE,
        "Only a secret key is set, without its access key: set access-key (or "
          "KLING_ACCESS_KEY), or use api-key instead."},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) err = kling_error_new_no_credentials (cases[i].access,
        cases[i].secret);
    g_autofree gchar *message = kling_error_dup_user_message (err);

    fail_unless (g_error_matches (err, KLING_ERROR, KLING_ERROR_AUTH));
    fail_unless_equals_int (kling_error_get_http_status (err), 0);
    fail_unless_equals_string (message, cases[i].sentence);
  }
  /* Any AUTH error that never reached a server says nothing was set. */
  CHECK_USER_MESSAGE (cases[0].sentence, KLING_ERROR_AUTH, 0, -1, NULL, NULL,
      "no credentials in the element or the environment");
  CHECK_USER_MESSAGE (cases[1].sentence, KLING_ERROR_AUTH, 0, -1, NULL, NULL,
      "an access key is set but no secret key");
  CHECK_USER_MESSAGE (cases[2].sentence, KLING_ERROR_AUTH, 0, -1, NULL, NULL,
      "a secret key is set but no access key");
}

GST_END_TEST;

static gchar *
refused_create_message (const gchar * endpoint, const gchar * model)
{
  g_autoptr (GError) err =
      kling_error_new_full (KLING_ERROR_INVALID_INPUT, 404, 1203, "r", NULL,
      NULL, "model is not supported");

  kling_error_set_endpoint (err, endpoint);
  kling_error_set_model (err, model);
  return kling_error_dup_user_message (err);
}

/* 1203 at create: the same helpful sentence as a retired model, built from the table. */
GST_START_TEST (test_model_not_served)
{
  g_autofree gchar *unknown =
      refused_create_message ("/v1/videos/image2video", "kling-v9");
  g_autofree gchar *live =
      refused_create_message ("/v1/videos/text2video", "kling-v2-6");
  g_autofree gchar *nameless =
      refused_create_message ("/v1/videos/image2video", NULL);
  g_autofree gchar *query =
      refused_create_message ("/v1/videos/image2video/T-1", "kling-v9");
  g_autofree gchar *lipsync =
      refused_create_message ("/v1/videos/lip-sync", NULL);

  fail_unless_equals_string (unknown,
      "Kling does not serve kling-v9 for image2video (404, "
      "code 1203): use kling-v3, kling-v2-6 or kling-v2-5-turbo.");
  fail_unless_equals_string (live,
      "Kling does not serve kling-v2-6 for text2video (404, "
      "code 1203): use kling-v3 or kling-v2-5-turbo.");
  fail_unless_equals_string (nameless,
      "Kling does not serve the requested model for "
      "image2video (404, code 1203): use kling-v3, kling-v2-6 or kling-v2-5-turbo.");
  /* Not a create (a task that is not there), or an endpoint without models. */
  fail_unless_equals_string (query,
      "Kling refused the request (404, code 1203): model is " "not supported.");
  fail_unless_equals_string (lipsync,
      "Kling refused the request (404, code 1203): model is " "not supported.");
}

GST_END_TEST;

/* The model travels with the error, through copies. */
GST_START_TEST (test_model_field)
{
  g_autoptr (GError) err =
      kling_error_new_full (KLING_ERROR_PERMISSION, 403, 1103, NULL, NULL, NULL,
      "no access");
  g_autoptr (GError) copy = NULL;
  g_autofree gchar *message = NULL, *details = NULL;

  fail_unless (kling_error_get_model (err) == NULL);
  kling_error_set_model (err, "kling-v3");
  copy = g_error_copy (err);
  g_clear_error (&err);
  fail_unless_equals_string (kling_error_get_model (copy), "kling-v3");
  message = kling_error_dup_user_message (copy);
  fail_unless_equals_string (message,
      "Kling denied the account access to kling-v3 (403, "
      "code 1103): check that the account's plan includes it, or set another model-name.");
  details = kling_error_dup_details (copy);
  fail_unless_equals_string (details,
      "http=403 code=1103 model=kling-v3: no access");
}

GST_END_TEST;

/* Not Kling's envelope: a wrong api-url gets the sentence that blames api-url, whatever
 * status came with it, unless the status says more (credentials, money, a server down). */
GST_START_TEST (test_foreign_answer_sentences)
{
  static const struct
  {
    guint http;
    const gchar *body;
    const gchar *sentence;
  } cases[] = {
    {404, "<html><body>Not Found</body></html>",
        "api-url http://127.0.0.1:1 does not answer "
          "like a Kling server (404, an HTML page): check api-url, the base URL of Kling's API "
          "or of a compatible service (the default is https://api-singapore.klingai.com)."},
    {200, "hello",
        "api-url http://127.0.0.1:1 does not answer like a Kling server (200, an "
          "answer that is not JSON): check api-url, the base URL of Kling's API or of a "
          "compatible service (the default is https://api-singapore.klingai.com)."},
    {200, "{\"status\": \"ok\"}",
        "api-url http://127.0.0.1:1 does not answer like a Kling "
          "server (200, JSON without Kling's code and data): check api-url, the base URL of "
          "Kling's API or of a compatible service (the default is "
          "https://api-singapore.klingai.com)."},
    {405, "{\"message\": \"Method Not Allowed\"}",
        "api-url http://127.0.0.1:1 does not answer "
          "like a Kling server (405, JSON without Kling's code and data: Method Not Allowed): "
          "check api-url, the base URL of Kling's API or of a compatible service (the default "
          "is https://api-singapore.klingai.com)."},
    {502, "<html>Bad Gateway</html>",
        "The server at api-url http://127.0.0.1:1 kept failing "
          "(502) without a Kling answer: try again later, and check api-url if it goes on."},
    {401, "Unauthorized",
        "Kling refused the credentials (401): check access-key and "
          "secret-key (or KLING_ACCESS_KEY/KLING_SECRET_KEY), or api-key."},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) err = NULL;
    g_autofree gchar *message = NULL;

    fail_unless (kling_envelope_parse (cases[i].http, cases[i].body,
            strlen (cases[i].body), NULL, &err) == NULL);
    fail_unless (kling_error_is_foreign_answer (err), "%s", cases[i].body);
    kling_error_set_api_url (err, "http://127.0.0.1:1");
    message = kling_error_dup_user_message (err);
    fail_unless_equals_string (message, cases[i].sentence);
  }
}

GST_END_TEST;

static Suite *
error_suite (void)
{
  Suite *s = suite_create ("kling-error");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_error_table);
  tcase_add_test (tc, test_envelope_errors);
  tcase_add_test (tc, test_envelope_shapes);
  tcase_add_test (tc, test_fields_survive_copy);
  tcase_add_test (tc, test_other_domains);
  tcase_add_test (tc, test_user_messages);
  tcase_add_test (tc, test_details);
  tcase_add_test (tc, test_download_link_gone);
  tcase_add_test (tc, test_download_cut);
  tcase_add_test (tc, test_download_other_failures);
  tcase_add_test (tc, test_foreign_answer);
  tcase_add_test (tc, test_no_credentials);
  tcase_add_test (tc, test_model_not_served);
  tcase_add_test (tc, test_model_field);
  tcase_add_test (tc, test_foreign_answer_sentences);
  return s;
}

GST_CHECK_MAIN (error);
