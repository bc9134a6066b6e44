/* gst-kling: what klingimage2video tells a person while it renders: progress messages
 * (their texts, their pairing), the `kling-task` and `kling-wait` element messages, the
 * estimate and the charge in the tags and the sidecar. Against an in-process sandbox; the
 * percentage arithmetic also alone. docs/design.md, "Progress and cost".
 */
#include <string.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <json-glib/json-glib.h>

#include "test-fs.h"
#include "harness-util.h"
#include "kling-sandbox.h"
#include "element-fixture.h"
#include "gstklingprogress.h"

#define ACCESS_KEY  "ak-progress-tests"
#define SECRET_KEY  "sk-progress-tests-secret"
#define PROMPT      "a slow zoom over colour bars"
#define PULL_TIMEOUT (20 * G_USEC_PER_SEC)
/* kling-v3, std, 5 s, no sound: 0.084 USD/s in the table; the sandbox charges it as
 * 3 units (docs/kling-api.md "Prices", the sandbox's README). */
#define ESTIMATE_USD 0.42
#define CHARGED      "3"

static void
fixture_start (Fixture * f, gdouble queue_delay_s, gdouble render_delay_s)
{
  FixtureOptions options = {.access_key = ACCESS_KEY,.secret_key = SECRET_KEY,
    .cache_template = "kling-progress-XXXXXX",.queue_delay_s = queue_delay_s,
    .render_delay_s = render_delay_s
  };

  fixture_start_sandbox (f, &options);
}

static void
start_element (Fixture * f, const gchar * first_property, ...)
{
  GstElement *element = gst_element_factory_make ("klingimage2video", NULL);
  va_list args;

  fail_unless (element != NULL, "klingimage2video is not in GST_PLUGIN_PATH");
  g_object_set (element,
      "api-url", kling_sandbox_get_base_url (f->sandbox),
      "access-key", ACCESS_KEY, "secret-key", SECRET_KEY,
      "prompt", PROMPT, "poll-interval", 0.05, "cache-dir", f->cache_dir, NULL);
  va_start (args, first_property);
  if (first_property)
    g_object_set_valist (G_OBJECT (element), first_property, args);
  va_end (args);
  gst_element_set_bus (element, f->bus);
  f->h = gst_harness_new_with_element (element, "sink", "src");
  gst_object_unref (element);
}

static GstFlowReturn
push_still (Fixture * f)
{
  gchar *path = g_build_filename (MEDIA_DIR, "still.jpg", NULL);
  gchar *data;
  gsize size;

  fail_unless (g_file_get_contents (path, &data, &size, NULL), "%s", path);
  g_free (path);
  gst_harness_set_src_caps_str (f->h, "image/jpeg");
  return gst_harness_push (f->h, gst_buffer_new_wrapped (data, size));
}

static gint64
creates (Fixture * f)
{
  return kling_sandbox_get_counter (f->sandbox, "requests",
      "POST /v1/videos/image2video");
}

/* ------------------------------------------------------------------------- */
/* What the bus got                                                          */

typedef struct
{
  GstProgressType type;
  gchar *code;
  gchar *text;
} Progress;

typedef struct
{
  GPtrArray *progress;          /* Progress */
  GPtrArray *tasks;             /* GstStructure: kling-task */
  GPtrArray *waits;             /* GstStructure: kling-wait */
  guint errors;
} Seen;

static void
progress_free (gpointer data)
{
  Progress *p = data;

  g_free (p->code);
  g_free (p->text);
  g_free (p);
}

static void
seen_init (Seen * seen)
{
  seen->progress = g_ptr_array_new_with_free_func (progress_free);
  seen->tasks =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free);
  seen->waits =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free);
  seen->errors = 0;
}

static void
seen_clear (Seen * seen)
{
  g_ptr_array_unref (seen->progress);
  g_ptr_array_unref (seen->tasks);
  g_ptr_array_unref (seen->waits);
}

static void
seen_add (Seen * seen, GstMessage * message)
{
  const GstStructure *s = gst_message_get_structure (message);

  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_PROGRESS) {
    Progress *p = g_new0 (Progress, 1);

    gst_message_parse_progress (message, &p->type, &p->code, &p->text);
    g_ptr_array_add (seen->progress, p);
  } else if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
    seen->errors++;
  } else if (s && gst_structure_has_name (s, "kling-task")) {
    g_ptr_array_add (seen->tasks, gst_structure_copy (s));
  } else if (s && gst_structure_has_name (s, "kling-wait")) {
    g_ptr_array_add (seen->waits, gst_structure_copy (s));
  }
}

/* Everything on the bus now. */
static void
drain (Fixture * f, Seen * seen)
{
  GstMessage *message;

  while ((message = gst_bus_pop (f->bus))) {
    seen_add (seen, message);
    gst_message_unref (message);
  }
}

/* Collects until a progress message of @type (or an error) comes. */
static void
collect_until (Fixture * f, Seen * seen, GstProgressType type)
{
  gint64 deadline = g_get_monotonic_time () + PULL_TIMEOUT;
  GstMessage *message;

  while (g_get_monotonic_time () < deadline) {
    gboolean done;

    message = gst_bus_timed_pop (f->bus, 100 * GST_MSECOND);
    if (!message)
      continue;
    seen_add (seen, message);
    done = GST_MESSAGE_TYPE (message) == GST_MESSAGE_PROGRESS
        && seen->progress->len > 0
        && ((Progress *) g_ptr_array_index (seen->progress,
            seen->progress->len - 1))->type == type;
    gst_message_unref (message);
    if (done)
      return;
  }
  fail ("no progress message of type %d", type);
}

static Progress *
nth_progress (Seen * seen, guint i)
{
  fail_unless (i < seen->progress->len, "only %u progress messages",
      seen->progress->len);
  return g_ptr_array_index (seen->progress, i);
}

static Progress *
last_progress (Seen * seen)
{
  return nth_progress (seen, seen->progress->len - 1);
}

static const gchar *
type_name (GstProgressType type)
{
  static const gchar *names[] = { "START", "CONTINUE", "COMPLETE", "CANCELED",
    "ERROR"
  };
  return type <= GST_PROGRESS_TYPE_ERROR ? names[type] : "?";
}

/* Every START is followed by CONTINUEs only and then exactly one COMPLETE, ERROR or
 * CANCELED; nothing comes outside a START, nothing is left open. Returns the pairs. */
static guint
assert_paired (Seen * seen)
{
  gboolean open = FALSE;
  guint i, pairs = 0;

  for (i = 0; i < seen->progress->len; i++) {
    Progress *p = nth_progress (seen, i);

    if (p->type == GST_PROGRESS_TYPE_START) {
      fail_if (open, "START #%u before the last one ended: %s", i, p->text);
      open = TRUE;
    } else {
      fail_unless (open, "%s #%u outside a START: %s", type_name (p->type), i,
          p->text);
      if (p->type != GST_PROGRESS_TYPE_CONTINUE) {
        open = FALSE;
        pairs++;
      }
    }
  }
  fail_if (open, "the last START was never ended");
  return pairs;
}

static gdouble
get_double (const GstStructure * s, const gchar * field)
{
  gdouble value = -1;

  fail_unless (gst_structure_get_double (s, field, &value), "%s has no %s",
      gst_structure_get_name (s), field);
  return value;
}

/* ------------------------------------------------------------------------- */
/* The arithmetic alone                                                      */

GST_START_TEST (test_percent_arithmetic)
{
  GstKlingProgress p;
  KlingJobPreview history = {.history_renders = 3,.history_median_s = 100 };
  gdouble eta, percent, last = 0;
  gchar *text;
  guint i;

  gst_kling_progress_init (&p, KLING_ENDPOINT_IMAGE2VIDEO, NULL, KLING_MODE_STD,
      5, FALSE, NULL);
  fail_unless_equals_string (p.typical_source, GST_KLING_TYPICAL_FROM_TABLE);
  fail_unless (p.priced);
  fail_unless_equals_float (p.usd, ESTIMATE_USD);

  gst_kling_progress_init (&p, KLING_ENDPOINT_IMAGE2VIDEO, NULL, KLING_MODE_STD,
      5, FALSE, &history);
  fail_unless_equals_string (p.typical_source, GST_KLING_TYPICAL_FROM_CACHE);
  fail_unless_equals_float (gst_kling_progress_update (&p, 42, &eta), 42);
  fail_unless_equals_float (eta, 58);
  text = gst_kling_progress_describe (&p, 42);
  fail_unless_equals_string (text, ", 42 % (about 58 s left)");
  g_free (text);
  /* An older report (reordered elapsed) never lowers it. */
  fail_unless_equals_float (gst_kling_progress_update (&p, 10, NULL), 42);
  /* Past the typical time: capped below 100, and said so. */
  for (i = 0; i < 40; i++) {
    percent = gst_kling_progress_update (&p, 42 + i * 10, &eta);
    fail_unless (percent >= last && percent <= GST_KLING_PROGRESS_MAX_PERCENT);
    last = percent;
  }
  fail_unless_equals_float (eta, 0);
  text = gst_kling_progress_describe (&p, 250);
  fail_unless_equals_string (text,
      ", 99 % (taking longer than usual: 4 min 10 s so far, "
      "typically 1 min 40 s)");
  g_free (text);
  text = gst_kling_format_duration (3900);
  fail_unless_equals_string (text, "1 h 5 min");
  g_free (text);
}

GST_END_TEST;

/* The sentences that have no sandbox path of their own in this file. */
GST_START_TEST (test_texts_alone)
{
  GstKlingProgress p;
  KlingJobPreview lost = {.outlook = KLING_JOB_WILL_RESUME };
  KlingTask task = {.task_id = (gchar *) "t1" };
  gchar *text;

  gst_kling_progress_init (&p, KLING_ENDPOINT_IMAGE2VIDEO, "kling-v2-6",
      KLING_MODE_PRO, 10, FALSE, NULL);
  text = gst_kling_progress_start_text (&p, &lost, "http://x");
  fail_unless_equals_string (text,
      "Looking for the Kling image2video task this cache "
      "created before (its answer was lost), so as not to pay twice (kling-v2-6, pro, "
      "10 s: about USD 0.70, typically 3 min)");
  g_free (text);
  text = gst_kling_progress_complete_text (&p, &task, "/c.mp4", 125, FALSE);
  fail_unless_equals_string (text,
      "Kling task t1: clip ready after 2 min 5 s (Kling "
      "did not say what it charged; estimated USD 0.70)");
  g_free (text);
  text = gst_kling_progress_wait_text (KLING_ENDPOINT_LIP_SYNC,
      KLING_WAIT_BUSY_ACCOUNT, 4000, 2);
  fail_unless_equals_string (text,
      "Kling lip-sync: every parallel task of the account "
      "is busy (code 1303); trying again in 4 s (attempt 2 failed)");
  g_free (text);
  text =
      gst_kling_progress_wait_text (KLING_ENDPOINT_IMAGE2VIDEO,
      KLING_WAIT_NETWORK, 1500, 1);
  fail_unless_equals_string (text,
      "Kling image2video: network trouble; trying again "
      "in 2 s (attempt 1 failed)");
  g_free (text);
  /* Lip-sync has no price in the table: no estimate is made up. */
  gst_kling_progress_init (&p, KLING_ENDPOINT_LIP_SYNC, NULL, KLING_MODE_STD, 5,
      FALSE, NULL);
  fail_if (p.priced);
  text = gst_kling_progress_describe_estimate (&p);
  fail_unless_equals_string (text,
      "kling-v3, std, 5 s: no price known, typically 7 min");
  g_free (text);
}

GST_END_TEST;

/* ------------------------------------------------------------------------- */
/* A render, then the same again from the cache                               */

static gchar *
read_sidecar_string (const gchar * cache_dir, const gchar * location,
    const gchar * member, gdouble * number)
{
  gchar *base = g_path_get_basename (location);
  gchar *json, *path, *value = NULL;
  JsonParser *parser = json_parser_new ();
  JsonObject *meta;

  /* <key>.mp4 -> <key>.json */
  fail_unless (g_str_has_suffix (base, ".mp4"), "%s", base);
  base[strlen (base) - strlen (".mp4")] = '\0';
  json = g_strconcat (base, ".json", NULL);
  path = g_build_filename (cache_dir, json, NULL);
  fail_unless (json_parser_load_from_file (parser, path, NULL), "%s", path);
  meta = json_node_get_object (json_parser_get_root (parser));
  if (number)
    *number = json_object_get_double_member (meta, member);
  else
    value = g_strdup (json_object_get_string_member (meta, member));
  g_object_unref (parser);
  g_free (path);
  g_free (json);
  g_free (base);
  return value;
}

static void
check_cost_tags (Fixture * f)
{
  GstEvent *event = pull_event_of_type (f->h, GST_EVENT_TAG);
  GstTagList *tags;
  gchar *text = NULL;
  gdouble usd = 0;

  gst_event_parse_tag (event, &tags);
  fail_unless (gst_tag_list_get_double (tags, "kling-estimate-usd", &usd));
  fail_unless_equals_float (usd, ESTIMATE_USD);
  fail_unless (gst_tag_list_get_string (tags, "kling-charge", &text));
  fail_unless_equals_string (text, CHARGED " credits");
  g_free (text);
  fail_unless (gst_tag_list_get_string (tags, GST_TAG_COMMENT, &text));
  fail_unless (strstr (text, ", estimate USD 0.42, charged 3 credits") != NULL,
      "%s", text);
  g_free (text);
  gst_event_unref (event);
}

/* The kling-task messages of one render: the estimate in each, a percentage that never
 * goes down and is 100 only with the clip, then what Kling charged. */
static void
check_task_messages (Seen * seen, gdouble typical_s, const gchar * source)
{
  gdouble last = 0;
  guint i;

  fail_unless (seen->tasks->len >= 3, "%u kling-task messages",
      seen->tasks->len);
  for (i = 0; i < seen->tasks->len; i++) {
    const GstStructure *s = g_ptr_array_index (seen->tasks, i);
    gboolean succeed = !g_strcmp0 (gst_structure_get_string (s, "status"),
        "succeed");
    gdouble percent = get_double (s, "percent");

    fail_unless_equals_float (get_double (s, "estimate-usd"), ESTIMATE_USD);
    fail_unless_equals_float (get_double (s, "typical-s"), typical_s);
    fail_unless_equals_string (gst_structure_get_string (s, "typical-source"),
        source);
    fail_unless (percent >= last, "percent went down: %f after %f", percent,
        last);
    fail_unless (get_double (s, "eta-s") >= 0);
    last = percent;
    if (i + 1 < seen->tasks->len) {
      /* Rendered, not downloaded yet: still below 100. */
      fail_unless (percent < 100, "100 %% before the clip");
      if (!succeed)
        fail_if (gst_structure_has_field (s, "charged"));
    } else {
      fail_unless (succeed);
      fail_unless_equals_float (percent, 100);
      fail_unless_equals_float (get_double (s, "eta-s"), 0);
      fail_unless_equals_string (gst_structure_get_string (s, "charged"),
          CHARGED);
      fail_unless_equals_float (get_double (s, "charged-amount"), 3);
      fail_unless_equals_string (gst_structure_get_string (s, "charged-unit"),
          "credits");
    }
  }
}

GST_START_TEST (test_render_then_cache_hit)
{
  Fixture f;
  Seen seen;
  gchar *task_id, *location, *expected, *charge;
  GRegex *continued =
      g_regex_new ("^Kling task [^ ]+: ((submitted|processing), "
      "[0-9]+ % \\(about [0-9]+ min( [0-9]+ s)? left\\)|rendered, downloading the "
      "clip)$", 0, 0, NULL);
  gdouble render_s = 0;
  guint i;

  fixture_start (&f, 0.1, 0.5);
  seen_init (&seen);
  start_element (&f, NULL);
  fail_unless_equals_int (push_still (&f), GST_FLOW_EOS);
  check_cost_tags (&f);
  gst_event_unref (pull_event_of_type (f.h, GST_EVENT_EOS));
  collect_until (&f, &seen, GST_PROGRESS_TYPE_COMPLETE);
  g_object_get (f.h->element, "task-id", &task_id, "location", &location, NULL);

  expected =
      g_strdup_printf ("Submitting a Kling image2video task to %s (kling-v3, "
      "std, 5 s: about USD 0.42, typically 3 min)",
      kling_sandbox_get_base_url (f.sandbox));
  fail_unless_equals_int (nth_progress (&seen, 0)->type,
      GST_PROGRESS_TYPE_START);
  fail_unless_equals_string (nth_progress (&seen, 0)->code, "kling-submit");
  fail_unless_equals_string (nth_progress (&seen, 0)->text, expected);
  g_free (expected);
  fail_unless (seen.progress->len >= 3);
  for (i = 1; i + 1 < seen.progress->len; i++) {
    Progress *p = nth_progress (&seen, i);

    fail_unless_equals_int (p->type, GST_PROGRESS_TYPE_CONTINUE);
    fail_unless (g_str_has_prefix (p->text + strlen ("Kling task "), task_id));
    fail_unless (g_regex_match (continued, p->text, 0, NULL), "%s", p->text);
  }
  fail_unless_equals_string (last_progress (&seen)->code, "kling-task");
  expected = g_strdup_printf ("Kling task %s: clip ready after ", task_id);
  fail_unless (g_str_has_prefix (last_progress (&seen)->text, expected), "%s",
      last_progress (&seen)->text);
  fail_unless (g_str_has_suffix (last_progress (&seen)->text,
          " s (charged 3 credits; estimated USD 0.42)"), "%s",
      last_progress (&seen)->text);
  g_free (expected);
  check_task_messages (&seen, 180, GST_KLING_TYPICAL_FROM_TABLE);
  fail_unless_equals_int (assert_paired (&seen), 1);

  /* The sidecar records both, and Kling's own render time for the next estimates. */
  charge = read_sidecar_string (f.cache_dir, location, "charge", NULL);
  fail_unless_equals_string (charge, CHARGED);
  g_free (charge);
  read_sidecar_string (f.cache_dir, location, "render_s", &render_s);
  fail_unless (render_s >= 0.5 && render_s < 10, "render_s %f", render_s);

  /* READY -> PLAYING again: the same request is a cache hit, said as such. */
  seen_clear (&seen);
  seen_init (&seen);
  fail_unless_equals_int (gst_element_set_state (f.h->element, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (gst_element_set_state (f.h->element,
          GST_STATE_PLAYING), GST_STATE_CHANGE_SUCCESS);
  drain (&f, &seen);
  fail_unless_equals_int (push_still (&f), GST_FLOW_EOS);
  check_cost_tags (&f);         /* what the clip cost when it was rendered */
  gst_event_unref (pull_event_of_type (f.h, GST_EVENT_EOS));
  collect_until (&f, &seen, GST_PROGRESS_TYPE_COMPLETE);
  fail_unless_equals_int (creates (&f), 1);
  fail_unless_equals_int (assert_paired (&seen), 1);
  expected =
      g_strdup_printf ("Kling image2video: cache hit: %s (nothing is requested "
      "or paid)", location);
  fail_unless_equals_string (nth_progress (&seen, 0)->code, "kling-cache");
  fail_unless_equals_string (nth_progress (&seen, 0)->text, expected);
  g_free (expected);
  expected =
      g_strdup_printf ("Kling task %s: clip ready from the cache: %s (nothing "
      "charged now)", task_id, location);
  fail_unless_equals_string (last_progress (&seen)->code, "kling-cache");
  fail_unless_equals_string (last_progress (&seen)->text, expected);
  g_free (expected);

  g_regex_unref (continued);
  g_free (task_id);
  g_free (location);
  seen_clear (&seen);
  fixture_stop (&f);
}

GST_END_TEST;

/* ------------------------------------------------------------------------- */
/* Earlier renders in the cache                                              */

/* A sidecar as the cache writes one, for a clip of @endpoint and @model that took
 * @render_s at Kling. */
static void
write_history (Fixture * f, const gchar * name, const gchar * endpoint,
    const gchar * model, gdouble render_s)
{
  gchar *path = g_strdup_printf ("%s/%s.json", f->cache_dir, name);
  gchar *json =
      g_strdup_printf ("{\"key\":\"%s\",\"endpoint\":\"%s\",\"model\":\"%s\","
      "\"task_id\":\"old-%s\",\"render_s\":%g}", name, endpoint, model, name,
      render_s);

  fail_unless (g_file_set_contents (path, json, -1, NULL));
  g_free (json);
  g_free (path);
}

GST_START_TEST (test_estimate_from_earlier_renders)
{
  Fixture f;
  Seen seen;
  gchar *expected;

  fixture_start (&f, 0.1, 0.3);
  seen_init (&seen);
  write_history (&f, "a", "image2video", "kling-v3", 10);
  write_history (&f, "b", "image2video", "kling-v3", 1000);
  write_history (&f, "c", "image2video", "kling-v3", 20);
  /* Not the same model or endpoint: not counted. */
  write_history (&f, "d", "image2video", "kling-v2-6", 1);
  write_history (&f, "e", "text2video", "kling-v3", 1);
  start_element (&f, NULL);
  fail_unless_equals_int (push_still (&f), GST_FLOW_EOS);
  gst_event_unref (pull_event_of_type (f.h, GST_EVENT_EOS));
  collect_until (&f, &seen, GST_PROGRESS_TYPE_COMPLETE);

  expected =
      g_strdup_printf ("Submitting a Kling image2video task to %s (kling-v3, "
      "std, 5 s: about USD 0.42, typically 20 s (median of 3 earlier renders in this "
      "cache))", kling_sandbox_get_base_url (f.sandbox));
  fail_unless_equals_string (nth_progress (&seen, 0)->text, expected);
  g_free (expected);
  check_task_messages (&seen, 20, GST_KLING_TYPICAL_FROM_CACHE);
  seen_clear (&seen);
  fixture_stop (&f);
}

GST_END_TEST;

/* A render slower than this cache's usual: the percentage stops below 100 and the text
 * says it takes longer, until the clip is there. */
GST_START_TEST (test_slower_than_usual)
{
  Fixture f;
  Seen seen;
  gboolean honest = FALSE;
  guint i;

  fixture_start (&f, 0.1, 2.0);
  seen_init (&seen);
  write_history (&f, "a", "image2video", "kling-v3", 1);
  start_element (&f, NULL);
  fail_unless_equals_int (push_still (&f), GST_FLOW_EOS);
  gst_event_unref (pull_event_of_type (f.h, GST_EVENT_EOS));
  collect_until (&f, &seen, GST_PROGRESS_TYPE_COMPLETE);
  for (i = 1; i + 1 < seen.progress->len; i++) {
    const gchar *text = nth_progress (&seen, i)->text;

    if (strstr (text, ", 99 % (taking longer than usual: ")
        && g_str_has_suffix (text, " s so far, typically 1 s)"))
      honest = TRUE;
    else if (strstr (text, " %"))
      fail_if (honest, "after saying it takes longer: %s", text);
  }
  fail_unless (honest, "no progress said it takes longer than usual");
  check_task_messages (&seen, 1, GST_KLING_TYPICAL_FROM_CACHE);
  fail_unless_equals_int (assert_paired (&seen), 1);
  seen_clear (&seen);
  fixture_stop (&f);
}

GST_END_TEST;

/* ------------------------------------------------------------------------- */
/* Waits and retries                                                         */

static void
add_fault (Fixture * f, const gchar * rule)
{
  GError *error = NULL;

  fail_unless (kling_sandbox_add_fault_json (f->sandbox, rule, &error),
      "fault %s: %s", rule, error ? error->message : "?");
}

GST_START_TEST (test_rate_limit_is_said)
{
  Fixture f;
  Seen seen;
  const GstStructure *wait;
  Progress *p = NULL;
  guint i;

  fixture_start (&f, 0.1, 0.2);
  seen_init (&seen);
  add_fault (&f, "{\"method\":\"POST\",\"path\":\"/v1/videos/image2video\","
      "\"kind\":\"status\",\"http\":429,\"code\":1302,\"times\":1}");
  start_element (&f, NULL);
  fail_unless_equals_int (push_still (&f), GST_FLOW_EOS);
  gst_event_unref (pull_event_of_type (f.h, GST_EVENT_EOS));
  collect_until (&f, &seen, GST_PROGRESS_TYPE_COMPLETE);
  fail_unless_equals_int (assert_paired (&seen), 1);

  fail_unless_equals_int (seen.waits->len, 1);
  wait = g_ptr_array_index (seen.waits, 0);
  fail_unless_equals_string (gst_structure_get_string (wait, "reason"),
      "rate-limit");
  fail_unless (get_double (wait, "delay-s") >= 1.0);
  fail_unless_equals_string (gst_structure_get_string (wait, "endpoint"),
      "image2video");
  for (i = 0; i < seen.progress->len; i++)
    if (!g_strcmp0 (nth_progress (&seen, i)->code, "kling-wait"))
      p = nth_progress (&seen, i);
  fail_unless (p != NULL, "no kling-wait progress");
  fail_unless_equals_int (p->type, GST_PROGRESS_TYPE_CONTINUE);
  fail_unless (g_str_has_prefix (p->text,
          "Kling image2video: rate limited (too many "
          "requests); trying again in "), "%s", p->text);
  fail_unless (g_str_has_suffix (p->text, " s (attempt 1 failed)"), "%s",
      p->text);
  fail_unless_equals_int (creates (&f), 2);
  seen_clear (&seen);
  fixture_stop (&f);
}

GST_END_TEST;

/* Waiting for a render slot of this process (max-parallel=1, one render in flight) is
 * said; cancelled while it waits, the element ends its START with CANCELED. */
GST_START_TEST (test_local_queue_is_said)
{
  Fixture f;
  Seen seen;
  GstHarness *earlier;
  GstBus *first_bus;
  const GstStructure *wait = NULL;
  gint64 deadline;

  fixture_start (&f, 0.1, 1.5);
  seen_init (&seen);
  start_element (&f, "max-parallel", 1, NULL);
  fail_unless_equals_int (push_still (&f), GST_FLOW_EOS);
  earlier = f.h;
  /* The second element on a bus of its own. */
  first_bus = f.bus;
  f.bus = gst_bus_new ();
  start_element (&f, "max-parallel", 1, "prompt", "another prompt", NULL);
  fail_unless_equals_int (push_still (&f), GST_FLOW_EOS);
  deadline = g_get_monotonic_time () + PULL_TIMEOUT;
  while (seen.waits->len == 0 && g_get_monotonic_time () < deadline) {
    GstMessage *message = gst_bus_timed_pop (f.bus, 50 * GST_MSECOND);

    if (message) {
      seen_add (&seen, message);
      gst_message_unref (message);
    }
  }
  fail_unless (seen.waits->len == 1, "no kling-wait");
  wait = g_ptr_array_index (seen.waits, 0);
  fail_unless_equals_string (gst_structure_get_string (wait, "reason"),
      "local-queue");
  fail_unless_equals_float (get_double (wait, "delay-s"), 0);
  fail_unless_equals_string (nth_progress (&seen, 1)->text,
      "Kling image2video: "
      "waiting for a render slot (max-parallel renders of this account are in flight "
      "in this process)");
  fail_unless_equals_int (gst_element_set_state (f.h->element, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  drain (&f, &seen);
  fail_unless_equals_int (assert_paired (&seen), 1);
  fail_unless_equals_int (last_progress (&seen)->type,
      GST_PROGRESS_TYPE_CANCELED);
  teardown_element (&f);
  gst_bus_set_flushing (f.bus, TRUE);   /* its messages hold the element */
  gst_object_unref (f.bus);
  f.bus = first_bus;
  f.h = earlier;
  gst_event_unref (pull_event_of_type (f.h, GST_EVENT_EOS));
  fail_unless_equals_int (creates (&f), 1);
  seen_clear (&seen);
  fixture_stop (&f);
}

GST_END_TEST;

/* ------------------------------------------------------------------------- */
/* START and its end, whatever the path                                      */

/* Refused before any request: no START, so nothing to end; one error. */
GST_START_TEST (test_pairing_refused_locally)
{
  Fixture f;
  Seen seen;

  fixture_start (&f, 0.1, 0.2);
  seen_init (&seen);
  start_element (&f, "model-name", "kling-v2-6", "duration", 7, NULL);
  fail_unless (push_still (&f) != GST_FLOW_OK);
  drain (&f, &seen);
  fail_unless_equals_int (seen.errors, 1);
  fail_unless_equals_int (assert_paired (&seen), 0);
  fail_unless_equals_int (creates (&f), 0);
  seen_clear (&seen);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_pairing_failed_task)
{
  Fixture f;
  Seen seen;
  GstMessage *message;

  fixture_start (&f, 0.1, 0.2);
  seen_init (&seen);
  add_fault (&f, "{\"method\":\"POST\",\"path\":\"/v1/videos/image2video\","
      "\"kind\":\"fail-task\",\"message\":\"the render farm caught fire\",\"times\":1}");
  start_element (&f, NULL);
  fail_unless_equals_int (push_still (&f), GST_FLOW_EOS);
  collect_until (&f, &seen, GST_PROGRESS_TYPE_ERROR);
  /* The error message follows the progress ERROR, from the same thread. */
  message = gst_bus_timed_pop_filtered (f.bus, PULL_TIMEOUT * GST_USECOND,
      GST_MESSAGE_ERROR);
  fail_unless (message != NULL, "no error message");
  seen_add (&seen, message);
  gst_message_unref (message);
  drain (&f, &seen);
  fail_unless_equals_int (assert_paired (&seen), 1);
  fail_unless_equals_int (last_progress (&seen)->type, GST_PROGRESS_TYPE_ERROR);
  fail_unless_equals_int (seen.errors, 1);
  seen_clear (&seen);
  fixture_stop (&f);
}

GST_END_TEST;

/* Cancelled after @what (a progress code seen, or a task status): START ... CANCELED;
 * then a run of the same request resumes the task, which says so. */
static void
check_cancel_then_resume (const gchar * status)
{
  Fixture f;
  Seen seen;
  gint64 deadline;
  gboolean reached = FALSE;
  gchar *expected;
  gdouble percent;
  guint i;

  fixture_start (&f, 0.6, 0.6);
  seen_init (&seen);
  write_history (&f, "a", "image2video", "kling-v3", 10);
  start_element (&f, NULL);
  fail_unless_equals_int (push_still (&f), GST_FLOW_EOS);
  deadline = g_get_monotonic_time () + PULL_TIMEOUT;
  while (!reached && g_get_monotonic_time () < deadline) {
    GstMessage *message = gst_bus_timed_pop (f.bus, 50 * GST_MSECOND);
    const GstStructure *s =
        message ? gst_message_get_structure (message) : NULL;

    if (!message)
      continue;
    seen_add (&seen, message);
    reached = s && gst_structure_has_name (s, "kling-task")
        && !g_strcmp0 (gst_structure_get_string (s, "status"), status);
    gst_message_unref (message);
  }
  fail_unless (reached, "no kling-task with status %s", status);
  fail_unless_equals_int (gst_element_set_state (f.h->element, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  drain (&f, &seen);
  fail_unless_equals_int (assert_paired (&seen), 1);
  fail_unless_equals_int (last_progress (&seen)->type,
      GST_PROGRESS_TYPE_CANCELED);
  fail_unless_equals_int (seen.errors, 0);
  teardown_element (&f);
  g_usleep (G_USEC_PER_SEC);

  seen_clear (&seen);
  seen_init (&seen);
  start_element (&f, NULL);
  fail_unless_equals_int (push_still (&f), GST_FLOW_EOS);
  gst_event_unref (pull_event_of_type (f.h, GST_EVENT_EOS));
  collect_until (&f, &seen, GST_PROGRESS_TYPE_COMPLETE);
  fail_unless_equals_int (assert_paired (&seen), 1);
  fail_unless_equals_string (nth_progress (&seen, 0)->code, "kling-resume");
  expected =
      g_strdup_printf ("Resuming Kling image2video task %s from the cache's "
      "journal (", gst_structure_get_string (g_ptr_array_index (seen.tasks, 0),
          "task-id"));
  fail_unless (g_str_has_prefix (nth_progress (&seen, 0)->text, expected), "%s",
      nth_progress (&seen, 0)->text);
  g_free (expected);
  /* The task is over a second old: its age counts, not this run's (about 0 s), and
   * elapsed never goes back, up to the clip. */
  fail_unless (seen.tasks->len >= 3);
  percent = get_double (g_ptr_array_index (seen.tasks, 1), "percent");
  fail_unless (percent >= 10 && percent < 100, "resumed at %f %%", percent);
  for (i = 2; i < seen.tasks->len; i++)
    fail_unless (get_double (g_ptr_array_index (seen.tasks, i), "elapsed") >=
        get_double (g_ptr_array_index (seen.tasks, i - 1), "elapsed"),
        "elapsed went back at #%u", i);
  fail_unless (get_double (g_ptr_array_index (seen.tasks, seen.tasks->len - 1),
          "elapsed") >= 1.0);
  fail_unless_equals_int (creates (&f), 1);
  seen_clear (&seen);
  fixture_stop (&f);
}

GST_START_TEST (test_pairing_cancel_submitted)
{
  check_cancel_then_resume ("submitted");
}

GST_END_TEST;

GST_START_TEST (test_pairing_cancel_processing)
{
  check_cancel_then_resume ("processing");
}

GST_END_TEST;

/* Cancelled before the create has answered (the create is held back). */
GST_START_TEST (test_pairing_cancel_before_task)
{
  Fixture f;
  Seen seen;

  fixture_start (&f, 0.1, 0.2);
  seen_init (&seen);
  add_fault (&f, "{\"method\":\"POST\",\"path\":\"/v1/videos/image2video\","
      "\"kind\":\"delay\",\"seconds\":2,\"times\":1}");
  start_element (&f, NULL);
  fail_unless_equals_int (push_still (&f), GST_FLOW_EOS);
  collect_until (&f, &seen, GST_PROGRESS_TYPE_START);
  fail_unless_equals_int (gst_element_set_state (f.h->element, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  drain (&f, &seen);
  fail_unless_equals_int (assert_paired (&seen), 1);
  fail_unless_equals_int (last_progress (&seen)->type,
      GST_PROGRESS_TYPE_CANCELED);
  seen_clear (&seen);
  fixture_stop (&f);
}

GST_END_TEST;

/* Cancelled while the clip downloads (slowly): START ... CANCELED, and no COMPLETE. */
GST_START_TEST (test_pairing_cancel_downloading)
{
  Fixture f;
  Seen seen;
  gint64 deadline;
  gboolean rendered = FALSE;

  fixture_start (&f, 0.1, 0.2);
  seen_init (&seen);
  add_fault (&f,
      "{\"method\":\"GET\",\"path\":\"/files/\",\"kind\":\"throttle\","
      "\"bytes_per_second\":20000,\"times\":1}");
  start_element (&f, NULL);
  fail_unless_equals_int (push_still (&f), GST_FLOW_EOS);
  deadline = g_get_monotonic_time () + PULL_TIMEOUT;
  while (!rendered && g_get_monotonic_time () < deadline) {
    GstMessage *message = gst_bus_timed_pop (f.bus, 50 * GST_MSECOND);

    if (!message)
      continue;
    seen_add (&seen, message);
    rendered = seen.progress->len > 0
        && !g_strcmp0 (last_progress (&seen)->text +
        strlen (last_progress (&seen)->text) - strlen ("downloading the clip"),
        "downloading the clip");
    gst_message_unref (message);
  }
  fail_unless (rendered, "the download never started");
  g_usleep (G_USEC_PER_SEC / 5);
  fail_unless_equals_int (gst_element_set_state (f.h->element, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  drain (&f, &seen);
  fail_unless_equals_int (assert_paired (&seen), 1);
  fail_unless_equals_int (last_progress (&seen)->type,
      GST_PROGRESS_TYPE_CANCELED);
  fail_unless_equals_int (seen.errors, 0);
  seen_clear (&seen);
  fixture_stop (&f);
}

GST_END_TEST;

static Suite *
progress_suite (void)
{
  Suite *s = suite_create ("klingprogress");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_percent_arithmetic);
  tcase_add_test (tc, test_texts_alone);
  tcase_add_test (tc, test_render_then_cache_hit);
  tcase_add_test (tc, test_estimate_from_earlier_renders);
  tcase_add_test (tc, test_slower_than_usual);
  tcase_add_test (tc, test_rate_limit_is_said);
  tcase_add_test (tc, test_local_queue_is_said);
  tcase_add_test (tc, test_pairing_refused_locally);
  tcase_add_test (tc, test_pairing_failed_task);
  tcase_add_test (tc, test_pairing_cancel_submitted);
  tcase_add_test (tc, test_pairing_cancel_processing);
  tcase_add_test (tc, test_pairing_cancel_before_task);
  tcase_add_test (tc, test_pairing_cancel_downloading);
  return s;
}

GST_CHECK_MAIN (progress);
