/* Unit tests: image probing, Kling's input limits, image2video and text2video bodies and
 * their cache keys. */
#include <gst/check/gstcheck.h>
#include <string.h>
#include "kling-requests.h"

static GBytes *
load_media (const gchar * name)
{
  g_autofree gchar *path = g_build_filename (KLING_MEDIA_DIR, name, NULL);
  gchar *data;
  gsize len;

  fail_unless (g_file_get_contents (path, &data, &len, NULL), "cannot read %s",
      path);
  return g_bytes_new_take (data, len);
}

/* A PNG signature and IHDR for @w x @h, followed by @padding zero bytes. */
static GBytes *
make_png (guint32 w, guint32 h, gsize padding)
{
  static const guint8 head[16] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n',
    0, 0, 0, 13, 'I', 'H', 'D', 'R'
  };
  gsize size = 24 + 5 + padding;
  guint8 *data = g_malloc0 (size);

  memcpy (data, head, 16);
  data[16] = w >> 24;
  data[17] = w >> 16;
  data[18] = w >> 8;
  data[19] = w;
  data[20] = h >> 24;
  data[21] = h >> 16;
  data[22] = h >> 8;
  data[23] = h;
  return g_bytes_new_take (data, size);
}

/* SOI, APP0, a DHT (0xC4: inside the SOF range but not a frame header), a DAC (0xCC),
 * fill bytes, then SOF@sof with @w x @h. */
static GBytes *
make_jpeg (guint8 sof, guint w, guint h)
{
  guint8 data[] = {
    0xFF, 0xD8,
    0xFF, 0xE0, 0x00, 0x06, 'J', 'F', 'I', 'F',
    0xFF, 0xC4, 0x00, 0x07, 0x00, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xCC, 0x00, 0x04, 0x00, 0x00,
    0xFF, 0xFF, 0xFF, sof, 0x00, 0x0B, 0x08, h >> 8, h & 0xFF, w >> 8, w & 0xFF,
    0x01,
    0x01, 0x11, 0x00,
    0xFF, 0xD9,
  };
  return g_bytes_new (data, sizeof (data));
}

GST_START_TEST (test_probe_real_files)
{
  g_autoptr (GBytes) jpeg = load_media ("still.jpg");
  g_autoptr (GBytes) png = load_media ("square.png");
  g_autoptr (GBytes) wav = load_media ("voice.wav");
  KlingImageFormat format;
  guint w = 0, h = 0;

  fail_unless (kling_image_probe (jpeg, &format, &w, &h));
  fail_unless (format == KLING_IMAGE_FORMAT_JPEG);
  fail_unless_equals_int (w, 1024);
  fail_unless_equals_int (h, 576);
  fail_unless (kling_image_probe (png, &format, &w, &h));
  fail_unless (format == KLING_IMAGE_FORMAT_PNG);
  fail_unless_equals_int (w, 640);
  fail_unless_equals_int (h, 640);
  fail_unless (!kling_image_probe (wav, &format, &w, &h));
  fail_unless (format == KLING_IMAGE_FORMAT_UNKNOWN);
}

GST_END_TEST;

GST_START_TEST (test_probe_jpeg_markers)
{
  static const guint8 sofs[] =
      { 0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA,
    0xCB, 0xCD, 0xCE, 0xCF
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (sofs); i++) {
    g_autoptr (GBytes) jpeg = make_jpeg (sofs[i], 1280, 720);
    guint w = 0, h = 0;

    fail_unless (kling_image_probe (jpeg, NULL, &w, &h), "SOF %02x", sofs[i]);
    fail_unless_equals_int (w, 1280);
    fail_unless_equals_int (h, 720);
  }
  /* A zero height (DNL) is not a size. */
  {
    g_autoptr (GBytes) dnl = make_jpeg (0xC0, 1280, 0);
    fail_unless (!kling_image_probe (dnl, NULL, NULL, NULL));
  }
}

GST_END_TEST;

/* Every prefix of a valid header, and corrupted lengths, are refused without reading past
 * the end (ASan checks the "without"). */
GST_START_TEST (test_probe_truncated_and_hostile)
{
  g_autoptr (GBytes) jpeg = make_jpeg (0xC0, 640, 480);
  g_autoptr (GBytes) png = make_png (640, 480, 0);
  gsize size, n;
  const guint8 *data = g_bytes_get_data (jpeg, &size);

  for (n = 0; n < 40; n++) {
    guint8 *copy = g_memdup2 (data, n);
    g_autoptr (GBytes) cut = g_bytes_new_take (copy, n);
    fail_unless (!kling_image_probe (cut, NULL, NULL, NULL), "JPEG prefix %zu",
        n);
  }
  data = g_bytes_get_data (png, &size);
  for (n = 0; n < 24; n++) {
    guint8 *copy = g_memdup2 (data, n);
    g_autoptr (GBytes) cut = g_bytes_new_take (copy, n);
    fail_unless (!kling_image_probe (cut, NULL, NULL, NULL), "PNG prefix %zu",
        n);
  }
  {
    /* A segment length of 0, of 1, and one running past the end. */
    static const guint8 zero[] =
        { 0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x00, 0xFF, 0xC0 };
    static const guint8 one[] =
        { 0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01, 0xFF, 0xC0 };
    static const guint8 past[] =
        { 0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xF0, 0xFF, 0xC0, 0, 0 };
    static const guint8 sos[] =
        { 0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x08, 0, 0, 0, 0, 0, 0 };
    g_autoptr (GBytes) b1 = g_bytes_new_static (zero, sizeof (zero));
    g_autoptr (GBytes) b2 = g_bytes_new_static (one, sizeof (one));
    g_autoptr (GBytes) b3 = g_bytes_new_static (past, sizeof (past));
    g_autoptr (GBytes) b4 = g_bytes_new_static (sos, sizeof (sos));
    g_autoptr (GBytes) huge = make_png (0x80000000u, 10, 0);
    g_autoptr (GBytes) empty = make_png (0, 10, 0);

    fail_unless (!kling_image_probe (b1, NULL, NULL, NULL));
    fail_unless (!kling_image_probe (b2, NULL, NULL, NULL));
    fail_unless (!kling_image_probe (b3, NULL, NULL, NULL));
    fail_unless (!kling_image_probe (b4, NULL, NULL, NULL));
    fail_unless (!kling_image_probe (huge, NULL, NULL, NULL));
    fail_unless (!kling_image_probe (empty, NULL, NULL, NULL));
    fail_unless (!kling_image_probe (NULL, NULL, NULL, NULL));
  }
}

GST_END_TEST;

/* Random corruptions of real headers, with a fixed seed: the probe never reads out of
 * bounds (ASan watches) and only ever reports a plausible size. */
GST_START_TEST (test_probe_mutations)
{
  const gchar *names[] = { "still.jpg", "square.png" };
  GRand *rand = g_rand_new_with_seed (20261122);
  guint n, i;

  for (n = 0; n < G_N_ELEMENTS (names); n++) {
    g_autoptr (GBytes) file = load_media (names[n]);
    gsize size = MIN (g_bytes_get_size (file), 4096);

    for (i = 0; i < 3000; i++) {
      gsize len = g_rand_int_range (rand, 0, size + 1);
      guint8 *data = g_memdup2 (g_bytes_get_data (file, NULL), len);
      guint flips = g_rand_int_range (rand, 1, 8), f;
      g_autoptr (GBytes) mutated = NULL;
      guint w = 0, h = 0;

      for (f = 0; len > 0 && f < flips; f++)
        data[g_rand_int_range (rand, 0, len)] = g_rand_int_range (rand, 0, 256);
      mutated = g_bytes_new_take (data, len);
      if (kling_image_probe (mutated, NULL, &w, &h))
        fail_unless (w > 0 && h > 0);
      kling_validate_image (mutated, "image", NULL);
    }
  }
  g_rand_free (rand);
}

GST_END_TEST;

static void
check_image (GBytes * image, gboolean valid, const gchar * needle)
{
  g_autoptr (GError) err = NULL;
  gboolean ok = kling_validate_image (image, "image_tail", &err);

  fail_unless (ok == valid, "%s", err ? err->message : "accepted");
  if (!valid) {
    fail_unless (g_error_matches (err, KLING_ERROR, KLING_ERROR_INVALID_INPUT));
    fail_unless (strstr (err->message, "image_tail") != NULL, "%s",
        err->message);
    fail_unless (strstr (err->message, needle) != NULL, "%s", err->message);
  }
}

GST_START_TEST (test_validate_image_limits)
{
  g_autoptr (GBytes) ok = make_png (300, 300, 0);
  g_autoptr (GBytes) small = make_png (299, 1000, 0);
  g_autoptr (GBytes) wide_ok = make_png (750, 300, 0);
  g_autoptr (GBytes) too_wide = make_png (751, 300, 0);
  g_autoptr (GBytes) tall_ok = make_png (400, 1000, 0);
  g_autoptr (GBytes) too_tall = make_png (400, 1001, 0);
  g_autoptr (GBytes) max_size = make_png (640, 480, KLING_IMAGE_MAX_BYTES - 29);
  g_autoptr (GBytes) too_big = make_png (640, 480, KLING_IMAGE_MAX_BYTES - 28);
  g_autoptr (GBytes) text = g_bytes_new_static ("GIF89a....", 10);
  g_autoptr (GBytes) empty = g_bytes_new_static ("", 0);

  check_image (ok, TRUE, NULL);
  check_image (small, FALSE, "299x1000");
  check_image (wide_ok, TRUE, NULL);
  check_image (too_wide, FALSE, "aspect");
  check_image (tall_ok, TRUE, NULL);
  check_image (too_tall, FALSE, "aspect");
  fail_unless_equals_int (g_bytes_get_size (max_size), KLING_IMAGE_MAX_BYTES);
  check_image (max_size, TRUE, NULL);
  check_image (too_big, FALSE, "bytes");
  check_image (text, FALSE, "JPEG or PNG");
  check_image (empty, FALSE, "empty");
}

GST_END_TEST;

GST_START_TEST (test_validate_text_counts_characters)
{
  GString *text = g_string_new (NULL);
  g_autoptr (GError) err = NULL;
  guint i;

  /* 2500 two-byte characters are 5000 bytes: still within the limit. */
  for (i = 0; i < KLING_PROMPT_MAX_CHARS; i++)
    g_string_append (text, "\xc3\xa9");
  fail_unless (kling_validate_text (text->str, "prompt", KLING_PROMPT_MAX_CHARS,
          NULL));
  g_string_append (text, "e");
  fail_unless (!kling_validate_text (text->str, "prompt",
          KLING_PROMPT_MAX_CHARS, &err));
  fail_unless (g_error_matches (err, KLING_ERROR, KLING_ERROR_INVALID_INPUT));
  fail_unless (strstr (err->message, "prompt has 2501 characters") != NULL,
      "%s", err->message);
  g_clear_error (&err);
  fail_unless (!kling_validate_text ("bad \xff utf8", "text", 120, &err));
  fail_unless (strstr (err->message, "UTF-8") != NULL);
  fail_unless (kling_validate_text (NULL, "prompt", 10, NULL));
  fail_unless (kling_validate_text ("", "prompt", 0, NULL));
  g_string_free (text, TRUE);
}

GST_END_TEST;

static KlingImage2VideoParams
default_params (GBytes * image)
{
  KlingImage2VideoParams p = {
    .mode = KLING_MODE_STD,.duration_s = 5,.cfg_scale = 0.5,.image = image,
    .prompt = "a slow zoom over the harbour",
  };
  return p;
}

static KlingRequest *
build (const KlingImage2VideoParams * p)
{
  g_autoptr (GError) err = NULL;
  KlingRequest *req = kling_image2video_request_new (p, &err);

  fail_unless (req != NULL, "%s", err ? err->message : "");
  return req;
}

static JsonObject *
body_of (const KlingRequest * req)
{
  return json_node_get_object (req->body);
}

/* The default render: kling-v3, strictly as Kling wants it. */
GST_START_TEST (test_image2video_body)
{
  g_autoptr (GBytes) jpeg = load_media ("still.jpg");
  KlingImage2VideoParams p = default_params (jpeg);
  g_autoptr (KlingRequest) req = NULL;
  g_autofree guchar *decoded = NULL;
  g_autofree gchar *sha = NULL;
  JsonObject *body, *summary, *image, *estimate;
  gsize len;

  p.callback_url = "http://127.0.0.1:9/cb";
  req = build (&p);
  fail_unless (req->endpoint == KLING_ENDPOINT_IMAGE2VIDEO);
  body = body_of (req);
  fail_unless_equals_string (json_object_get_string_member (body, "model_name"),
      "kling-v3");
  fail_unless_equals_string (kling_request_get_model_name (req), "kling-v3");
  fail_unless_equals_string (json_object_get_string_member (body, "mode"),
      "std");
  /* duration travels as a string */
  fail_unless (json_node_get_value_type (json_object_get_member (body,
              "duration")) == G_TYPE_STRING);
  fail_unless_equals_string (json_object_get_string_member (body, "duration"),
      "5");
  /* kling-v3 takes no cfg_scale; sound is off unless asked (Kling's default) */
  fail_unless (!json_object_has_member (body, "cfg_scale"));
  fail_unless (!json_object_has_member (body, "sound"));
  fail_unless (!json_object_has_member (body, "camera_control"));
  fail_unless (!json_object_has_member (body, "image_tail"));
  fail_unless (!json_object_has_member (body, "negative_prompt"));
  fail_unless_equals_string (json_object_get_string_member (body,
          "callback_url"), "http://127.0.0.1:9/cb");
  /* plain base64, no data: prefix, the exact bytes */
  fail_unless (!g_str_has_prefix (json_object_get_string_member (body, "image"),
          "data:"));
  decoded =
      g_base64_decode (json_object_get_string_member (body, "image"), &len);
  fail_unless_equals_int (len, g_bytes_get_size (jpeg));
  fail_unless (memcmp (decoded, g_bytes_get_data (jpeg, NULL), len) == 0);
  fail_unless (!json_object_has_member (body, "external_task_id"));
  fail_unless_equals_int (json_object_get_size (body), 6);

  /* The summary describes the image but never carries it, and carries the estimate. */
  summary = json_node_get_object (req->summary);
  image = json_object_get_object_member (summary, "image");
  fail_unless_equals_string (json_object_get_string_member (image, "format"),
      "jpeg");
  fail_unless_equals_int (json_object_get_int_member (image, "width"), 1024);
  fail_unless_equals_int (json_object_get_int_member (image, "bytes"), len);
  sha = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, jpeg);
  fail_unless_equals_string (json_object_get_string_member (image, "sha256"),
      sha);
  fail_unless_equals_string (json_object_get_string_member (summary, "prompt"),
      p.prompt);
  fail_unless (!json_object_has_member (summary, "image_tail"));
  estimate = json_object_get_object_member (summary, "estimate");
  fail_unless_equals_string (json_object_get_string_member (estimate, "model"),
      "kling-v3");
  fail_unless_equals_string (json_object_get_string_member (estimate, "mode"),
      "std");
  fail_unless_equals_int (json_object_get_int_member (estimate, "duration_s"),
      5);
  fail_unless (!json_object_get_boolean_member (estimate, "sound"));
  fail_unless (json_object_get_double_member (estimate, "usd") == 0.42);
  fail_unless_equals_int (json_object_get_int_member (estimate, "render_s"),
      180);
  {
    g_autofree gchar *text = json_to_string (req->summary, FALSE);
    fail_unless (strlen (text) < 1024);
  }
}

GST_END_TEST;

/* 15 s in pro with native audio and an end frame: what only kling-v3 renders. */
GST_START_TEST (test_image2video_end_frame_and_sound)
{
  g_autoptr (GBytes) jpeg = load_media ("still.jpg");
  g_autoptr (GBytes) png = load_media ("square.png");
  KlingImage2VideoParams p = default_params (jpeg);
  g_autoptr (KlingRequest) req = NULL;
  g_autofree guchar *tail = NULL;
  g_autofree gchar *sha = NULL, *summary_text = NULL, *b64 = NULL;
  JsonObject *body, *summary, *desc, *estimate;
  gsize len;

  p.mode = KLING_MODE_PRO;
  p.duration_s = 15;
  p.sound = TRUE;
  p.image_tail = png;
  req = build (&p);
  body = body_of (req);
  fail_unless_equals_string (json_object_get_string_member (body, "duration"),
      "15");
  fail_unless_equals_string (json_object_get_string_member (body, "mode"),
      "pro");
  fail_unless_equals_string (json_object_get_string_member (body, "sound"),
      "on");
  tail =
      g_base64_decode (json_object_get_string_member (body, "image_tail"),
      &len);
  fail_unless_equals_int (len, g_bytes_get_size (png));
  fail_unless (memcmp (tail, g_bytes_get_data (png, NULL), len) == 0);

  summary = json_node_get_object (req->summary);
  desc = json_object_get_object_member (summary, "image_tail");
  fail_unless_equals_string (json_object_get_string_member (desc, "format"),
      "png");
  fail_unless_equals_int (json_object_get_int_member (desc, "width"), 640);
  fail_unless_equals_int (json_object_get_int_member (desc, "height"), 640);
  fail_unless_equals_int (json_object_get_int_member (desc, "bytes"), len);
  sha = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, png);
  fail_unless_equals_string (json_object_get_string_member (desc, "sha256"),
      sha);
  summary_text = json_to_string (req->summary, FALSE);
  b64 = g_base64_encode (g_bytes_get_data (png, NULL), 64);
  fail_unless (strstr (summary_text, b64) == NULL);
  fail_unless (strlen (summary_text) < 1024);
  estimate = json_object_get_object_member (summary, "estimate");
  fail_unless (json_object_get_boolean_member (estimate, "sound"));
  fail_unless (json_object_get_double_member (estimate, "usd") == 2.1);

  /* An end frame by URL goes as the URL; the summary names it as such. */
  g_clear_pointer (&req, kling_request_free);
  p.image_tail = NULL;
  p.image_tail_url = "https://example.com/end.png";
  req = build (&p);
  fail_unless_equals_string (json_object_get_string_member (body_of (req),
          "image_tail"), "https://example.com/end.png");
  fail_unless_equals_string (json_object_get_string_member (json_node_get_object
          (req->summary), "image_tail_url"), "https://example.com/end.png");
}

GST_END_TEST;

/* cfg_scale goes only to models that take it: none that Kling serves, nor new names. */
GST_START_TEST (test_image2video_cfg_and_unknown_models)
{
  g_autoptr (GBytes) png = load_media ("square.png");
  static const gchar *const models[] =
      { "kling-v3", "kling-v2-6", "kling-v2-5-turbo",
    "kling-v9-future"
  };
  KlingImage2VideoParams p = default_params (png);
  guint i;

  p.duration_s = 10;
  p.mode = KLING_MODE_PRO;
  for (i = 0; i < G_N_ELEMENTS (models); i++) {
    g_autoptr (KlingRequest) req = NULL;

    p.model_name = models[i];
    req = build (&p);
    fail_unless (!json_object_has_member (body_of (req), "cfg_scale"), "%s",
        models[i]);
    fail_unless_equals_string (json_object_get_string_member (body_of (req),
            "model_name"), models[i]);
  }
  /* A new name keeps what it asks for: camera control and sound go to Kling as asked,
   * and the summary has no price for it. */
  {
    g_autoptr (KlingRequest) req = NULL;
    JsonObject *camera, *estimate;

    p.model_name = "kling-v9-future";
    p.sound = TRUE;
    p.camera_control_json =
        "{\"type\": \"simple\", \"config\": {\"zoom\": 5, \"pan\": 0}}";
    req = build (&p);
    camera = json_object_get_object_member (body_of (req), "camera_control");
    fail_unless_equals_int (json_object_get_int_member
        (json_object_get_object_member (camera, "config"), "zoom"), 5);
    fail_unless_equals_string (json_object_get_string_member (body_of (req),
            "sound"), "on");
    estimate =
        json_object_get_object_member (json_node_get_object (req->summary),
        "estimate");
    fail_unless (!json_object_has_member (estimate, "usd"));
    fail_unless_equals_int (json_object_get_int_member (estimate, "render_s"),
        180);
  }
}

GST_END_TEST;

GST_START_TEST (test_image2video_refusals)
{
  g_autoptr (GBytes) jpeg = load_media ("still.jpg");
  g_autoptr (GBytes) small = make_png (200, 200, 0);
  GString *long_prompt = g_string_new (NULL);
  struct
  {
    const gchar *what;
    const gchar *sentence;
    KlingImage2VideoParams p;
  } cases[24];
  guint i, n = 0;

  for (i = 0; i < 2501; i++)
    g_string_append_c (long_prompt, 'x');
#define CASE(w, nd) (cases[n].what = w, cases[n].sentence = nd, \
    cases[n].p = default_params (jpeg), &cases[n++].p)
  CASE ("mode",
      "mode 7 is not a Kling mode: set mode to std (720p) or pro (1080p)")->mode
      = (KlingMode) 7;
  CASE ("4k",
      "kling-v3 does not render 4k: set mode to std (720p) or pro (1080p); 4k is "
      "only on kling-3.0 of Kling's per-model API")->mode = KLING_MODE_4K;
  CASE ("duration",
      "kling-v3 renders 3 to 15 s, not 16 s: set duration between 3 and "
      "15")->duration_s = 16;
  CASE ("cfg",
      "cfg_scale 1.5 is outside 0..1: give a value from 0 to 1")->cfg_scale =
      1.5;
  CASE ("prompt",
      "prompt has 2501 characters, Kling takes at most 2500: shorten it")->prompt
      = long_prompt->str;
  CASE ("no prompt", "kling-v3 needs a prompt: set prompt")->prompt = NULL;
  CASE ("blank prompt", "kling-v3 needs a prompt: set prompt")->prompt =
      " \t\n";
  CASE ("negative",
      "negative_prompt has 2501 characters, Kling takes at most 2500: shorten "
      "it")->negative_prompt = long_prompt->str;
  CASE ("both images",
      "give either image bytes or image_url, exactly one")->image_url =
      "https://example.com/a.jpg";
  CASE ("small",
      "image is 200x200, Kling needs at least 300 px on each side: give a larger "
      "image")->image = small;
  CASE ("small tail",
      "image_tail is 200x200, Kling needs at least 300 px on each side: give "
      "a larger image")->image_tail = small;
  CASE ("tail url",
      "image_tail_url \"file:///end.png\" is not an http(s) URL: give an "
      "http:// or https:// URL")->image_tail_url = "file:///end.png";
  CASE ("callback",
      "callback_url \"ftp://h/\" is not an http(s) URL: give an http:// or "
      "https:// URL")->callback_url = "ftp://h/";
  CASE ("retired",
      "Kling no longer serves kling-v1-6 for image2video (retired 2026-09-15): "
      "use kling-v3, kling-v2-6 or kling-v2-5-turbo")->model_name =
      "kling-v1-6";
  /* A per-model name goes to its own builder, with the same table's rules. */
  CASE ("per-model",
      "kling-3.0-turbo takes no end frame: drop the end frame, or use "
      "kling-3.0")->model_name = "kling-3.0-turbo";
  cases[n - 1].p.image_tail = jpeg;
  CASE ("camera on v3",
      "camera-control is not available on kling-v3 (no model Kling serves "
      "for image2video takes it): unset camera-control")->camera_control_json =
      "{\"type\":\"simple\",\"config\":{\"zoom\":5}}";
  CASE ("sound",
      "kling-v2-5-turbo makes no native audio: set sound=false, or use "
      "kling-v3")->sound = TRUE;
  cases[n - 1].p.model_name = "kling-v2-5-turbo";
  CASE ("tail in pro",
      "kling-v2-6 takes an end frame only in std mode (720p): set mode=std, "
      "or drop the end frame")->image_tail = jpeg;
  cases[n - 1].p.model_name = "kling-v2-6";
  cases[n - 1].p.mode = KLING_MODE_PRO;
  CASE ("tail and camera",
      "An end frame and camera-control cannot be combined (Kling "
      "refuses it): drop one")->image_tail = jpeg;
  cases[n - 1].p.model_name = "kling-v9-future";
  cases[n - 1].p.camera_control_json = "{\"type\":\"down_back\"}";
  CASE ("camera axes",
      "camera_control.config needs exactly one non-zero axis (horizontal, "
      "vertical, pan, tilt, roll or zoom)")->camera_control_json =
      "{\"type\":\"simple\",\"config\":{\"zoom\":5,\"pan\":1}}";
  cases[n - 1].p.model_name = "kling-v9-future";
  CASE ("camera range",
      "camera_control.config.zoom = 11, the range is -10..10: give a value "
      "within it")->camera_control_json =
      "{\"type\":\"simple\",\"config\":{\"zoom\":11}}";
  cases[n - 1].p.model_name = "kling-v9-future";
  CASE ("camera json",
      "camera_control is not a JSON object: write it like {\"type\": "
      "\"simple\", \"config\": {\"zoom\": 5}}")->camera_control_json = "{zoom";
  cases[n - 1].p.model_name = "kling-v9-future";
#undef CASE
  fail_unless (n <= G_N_ELEMENTS (cases));
  for (i = 0; i < n; i++) {
    g_autoptr (GError) err = NULL;
    g_autoptr (KlingRequest) req =
        kling_image2video_request_new (&cases[i].p, &err);
    g_autofree gchar *user = NULL, *expected = NULL;

    fail_unless (req == NULL, "%s accepted", cases[i].what);
    fail_unless (g_error_matches (err, KLING_ERROR, KLING_ERROR_INVALID_INPUT));
    fail_unless_equals_int (kling_error_get_http_status (err), 0);
    fail_unless_equals_string (err->message, cases[i].sentence);
    user = kling_error_dup_user_message (err);
    expected = g_strconcat (cases[i].sentence, ".", NULL);
    fail_unless_equals_string (user, expected);
  }
  g_string_free (long_prompt, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_text2video_body)
{
  KlingText2VideoParams p = {.mode = KLING_MODE_PRO,.duration_s =
        10,.cfg_scale = 0.5,
    .prompt = "a lighthouse at dusk",.model_name = "kling-v2-6",.sound = TRUE,
    .aspect_ratio = KLING_ASPECT_RATIO_9_16
  };
  g_autoptr (GError) err = NULL;
  g_autoptr (KlingRequest) req = kling_text2video_request_new (&p, &err);
  g_autoptr (JsonNode) expected =
      json_from_string ("{\"model_name\": \"kling-v2-6\", "
      "\"mode\": \"pro\", \"duration\": \"10\", \"prompt\": \"a lighthouse at dusk\", "
      "\"sound\": \"on\", \"aspect_ratio\": \"9:16\"}", NULL);
  JsonObject *estimate;

  fail_unless (req != NULL, "%s", err ? err->message : "");
  fail_unless (req->endpoint == KLING_ENDPOINT_TEXT2VIDEO);
  fail_unless (json_node_equal (req->body, expected), "%s",
      json_to_string (req->body, 0));
  estimate =
      json_object_get_object_member (json_node_get_object (req->summary),
      "estimate");
  fail_unless (json_object_get_double_member (estimate, "usd") == 1.4);
  fail_unless_equals_int (json_object_get_int_member (estimate, "render_s"),
      300);

  /* The default aspect ratio is Kling's, 16:9, and it is sent. */
  {
    KlingText2VideoParams d = {.duration_s = 5,.prompt = "p" };
    g_autoptr (KlingRequest) r = kling_text2video_request_new (&d, NULL);

    fail_unless (r != NULL);
    fail_unless_equals_string (json_object_get_string_member (body_of (r),
            "aspect_ratio"), "16:9");
    fail_unless_equals_string (json_object_get_string_member (body_of (r),
            "model_name"), "kling-v3");
  }
  /* A prompt is required whatever the model; the ratio must be one of the three. */
  {
    KlingText2VideoParams d = {.duration_s = 5,.model_name = "kling-v9-future"
    };
    GError *e = NULL;

    fail_unless (kling_text2video_request_new (&d, &e) == NULL);
    fail_unless_equals_string (e->message,
        "text2video needs a prompt: set prompt");
    g_clear_error (&e);
    d.prompt = "p";
    d.aspect_ratio = (KlingAspectRatio) 9;
    fail_unless (kling_text2video_request_new (&d, &e) == NULL);
    fail_unless_equals_string (e->message,
        "aspect_ratio 9 is not 16:9, 9:16 or 1:1: use one " "of them");
    g_clear_error (&e);
  }
}

GST_END_TEST;

/* Every field that shapes the clip changes the key; the callback and external id do not. */
GST_START_TEST (test_image2video_cache_key_follows_the_clip)
{
  g_autoptr (GBytes) jpeg = load_media ("still.jpg");
  g_autoptr (GBytes) png = load_media ("square.png");
  g_autoptr (GBytes) png_changed = NULL;
  KlingImage2VideoParams base = default_params (jpeg), p;
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  guint i, j;
  gsize size;
  guint8 *bytes =
      g_memdup2 (g_bytes_get_data (png, &size), g_bytes_get_size (png));

  bytes[size - 20] ^= 0x01;     /* same header, other pixels */
  png_changed = g_bytes_new_take (bytes, size);

#define KEY(change) G_STMT_START { \
    g_autoptr (KlingRequest) r_ = NULL; \
    p = base; change; r_ = build (&p); \
    g_ptr_array_add (keys, kling_request_cache_key (r_)); \
  } G_STMT_END
  KEY ((void) 0);
  KEY (p.prompt = "another prompt");
  KEY (p.negative_prompt = "no people");
  KEY (p.duration_s = 6);
  KEY (p.mode = KLING_MODE_PRO);
  KEY (p.sound = TRUE);
  KEY (p.model_name = "kling-v2-6");
  KEY (p.image = png);
  KEY (p.image_tail = png);
  KEY (p.image_tail = png_changed);
  KEY ((p.image = NULL, p.image_url = "https://example.com/a.jpg"));
#undef KEY
  for (i = 0; i < keys->len; i++)
    for (j = i + 1; j < keys->len; j++)
      fail_if (g_str_equal (keys->pdata[i], keys->pdata[j]),
          "cases %u and %u share a key", i, j);
  /* Neither the callback nor the cfg_scale kling-v3 ignores shape the clip. */
  {
    g_autoptr (KlingRequest) a = NULL, b = NULL;
    g_autofree gchar *ka = NULL, *kb = NULL;

    p = base;
    p.callback_url = "http://127.0.0.1:1/cb";
    p.cfg_scale = 0.9;
    a = build (&p);
    json_object_set_string_member (body_of (a), "external_task_id",
        "gstkling-x");
    b = build (&base);
    ka = kling_request_cache_key (a);
    kb = kling_request_cache_key (b);
    fail_unless_equals_string (ka, kb);
    fail_unless_equals_string (kb, keys->pdata[0]);
  }
}

GST_END_TEST;

static KlingRequest *
request_from (KlingEndpoint endpoint, const gchar * json)
{
  return kling_request_new (endpoint, json_from_string (json, NULL), NULL);
}

GST_START_TEST (test_cache_key)
{
  g_autoptr (KlingRequest) a = request_from (KLING_ENDPOINT_IMAGE2VIDEO,
      "{\"prompt\":\"p\",\"mode\":\"std\",\"camera_control\":{\"type\":\"simple\","
      "\"config\":{\"zoom\":5,\"pan\":0}}}");
  g_autoptr (KlingRequest) reordered = request_from (KLING_ENDPOINT_IMAGE2VIDEO,
      "{\"camera_control\":{\"config\":{\"pan\":0,\"zoom\":5},\"type\":\"simple\"},"
      "\"mode\":\"std\",\"prompt\":\"p\",\"external_task_id\":\"x\","
      "\"callback_url\":\"http://h/\"}");
  g_autoptr (KlingRequest) other_prompt =
      request_from (KLING_ENDPOINT_IMAGE2VIDEO,
      "{\"prompt\":\"q\",\"mode\":\"std\",\"camera_control\":{\"type\":\"simple\","
      "\"config\":{\"zoom\":5,\"pan\":0}}}");
  g_autoptr (KlingRequest) other_endpoint =
      request_from (KLING_ENDPOINT_TEXT2VIDEO,
      "{\"prompt\":\"p\",\"mode\":\"std\",\"camera_control\":{\"type\":\"simple\","
      "\"config\":{\"zoom\":5,\"pan\":0}}}");
  g_autoptr (KlingRequest) copy = kling_request_copy (a);
  g_autofree gchar *ka = kling_request_cache_key (a);
  g_autofree gchar *kr = kling_request_cache_key (reordered);
  g_autofree gchar *kp = kling_request_cache_key (other_prompt);
  g_autofree gchar *ke = kling_request_cache_key (other_endpoint);
  g_autofree gchar *kc = kling_request_cache_key (copy);

  fail_unless_equals_int (strlen (ka), 64);
  fail_unless_equals_string (ka, kr);
  fail_unless_equals_string (ka, kc);
  fail_unless (!g_str_equal (ka, kp));
  fail_unless (!g_str_equal (ka, ke));
  /* The key left the request itself untouched. */
  fail_unless (json_object_has_member (json_node_get_object (reordered->body),
          "external_task_id"));
}

GST_END_TEST;

static Suite *
requests_suite (void)
{
  Suite *s = suite_create ("kling-requests");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_probe_real_files);
  tcase_add_test (tc, test_probe_jpeg_markers);
  tcase_add_test (tc, test_probe_truncated_and_hostile);
  tcase_add_test (tc, test_probe_mutations);
  tcase_add_test (tc, test_validate_image_limits);
  tcase_add_test (tc, test_validate_text_counts_characters);
  tcase_add_test (tc, test_image2video_body);
  tcase_add_test (tc, test_image2video_end_frame_and_sound);
  tcase_add_test (tc, test_image2video_cfg_and_unknown_models);
  tcase_add_test (tc, test_image2video_refusals);
  tcase_add_test (tc, test_text2video_body);
  tcase_add_test (tc, test_image2video_cache_key_follows_the_clip);
  tcase_add_test (tc, test_cache_key);
  return s;
}

GST_CHECK_MAIN (requests);
