/* kling-sandbox internals shared by its source files (not installed). */
#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "kling-sandbox.h"
#include "sandbox-models.h"
#include "sandbox-render.h"

G_BEGIN_DECLS

/* Bodies above this are refused with 413 before they are read: a 10 MB image is 13.4 MB
 * in base64, plus an optional image_tail. */
#define SANDBOX_MAX_BODY_BYTES   (32 * 1024 * 1024)
/* Deeper JSON than this is refused before parsing (json-glib's parser recurses). */
#define SANDBOX_MAX_JSON_DEPTH   64

typedef enum {
  SANDBOX_TASK_SUBMITTED,
  SANDBOX_TASK_PROCESSING,
  SANDBOX_TASK_SUCCEED,
  SANDBOX_TASK_FAILED,
} SandboxTaskStatus;

/* A clip this sandbox made: what /files/ serves and what video_id refers to. */
typedef struct {
  gchar *id;
  gchar *path;
  gdouble duration_s;
  guint width, height, fps;
  const SandboxModel *model;    /* the model that made it; NULL: not image2video,
                                 * text2video or an extension of one */
} SandboxVideo;

typedef struct {
  KlingSandbox *sandbox;
  gchar *task_id;
  gchar *external_task_id;
  const gchar *kind;            /* endpoint name: "image2video", "lip-sync", ... */
  SandboxTaskStatus status;
  gchar *status_msg;
  gint64 created_ms, updated_ms;
  gchar *callback_url;
  gchar *fail_message;          /* from a fail-task fault: ends failed with this */
  gchar *parent_video_id;       /* extend / lip-sync source, when a sandbox video */
  gchar *parent_video_url;      /* the source's URL as the create gave it, if it did */
  gchar *units;                 /* final_unit_deduction once it succeeds */
  SandboxRenderSpec *spec;      /* owned until the render job takes it */
  gboolean render_done, delay_done;
  gchar *render_error;
  SandboxVideo *video;          /* the result (owned by sandbox->videos) */
  guint timer_id;
  GQueue callback_queue;        /* bodies waiting to be POSTed, in order */
  gboolean callback_busy;
  gboolean v2;                  /* made by the per-model API: answered in its shape, and
                                 * units is the USD amount charged */
  gboolean watermark;           /* v2: options.watermark_info.enabled */
  gboolean multi_shot;          /* v2: settings.multi_shot, as sent or by default */
} SandboxTask;

/* An identify-face session: the video it found the face in, and the URL it was given
 * for it (NULL when it was given a video_id). */
typedef struct {
  gchar *video_id;
  gchar *video_url;
} SandboxSession;

/* A fault rule, see README.md. */
typedef enum {
  SANDBOX_FAULT_STATUS,
  SANDBOX_FAULT_DELAY,
  SANDBOX_FAULT_DROP,
  SANDBOX_FAULT_DROP_AFTER,
  SANDBOX_FAULT_MALFORMED,
  SANDBOX_FAULT_TRUNCATED,
  SANDBOX_FAULT_FAIL_TASK,
  SANDBOX_FAULT_EXPIRE_URL,
  SANDBOX_FAULT_CHUNKED_CUT,
  SANDBOX_FAULT_EOF_CUT,
  SANDBOX_FAULT_SHORT_LENGTH,
  SANDBOX_FAULT_ENDLESS,
  SANDBOX_FAULT_THROTTLE,
  SANDBOX_FAULT_OVERSIZE,
  SANDBOX_FAULT_DEEP_JSON,
  SANDBOX_FAULT_TASK_STATUS,
  SANDBOX_FAULT_HTML,
  SANDBOX_FAULT_HTML_AFTER,
  SANDBOX_FAULT_STALL,
  SANDBOX_FAULT_REDIRECT,
} SandboxFaultKind;

typedef struct {
  guint id;
  gchar *method;                /* NULL: any */
  gchar *path;                  /* prefix of the request path */
  guint skip, times;            /* times 0: forever */
  guint seen, hits;
  SandboxFaultKind kind;
  guint http, code;
  gchar *message;
  guint retry_after;
  gdouble seconds;              /* < 0: the kind's default */
  guint64 bytes;                /* cut point, size or cap; 0: the kind's default */
  guint bytes_per_second;
  guint depth;
  gchar *location;
  gboolean append_path;
  JsonNode *value;              /* task-status: what task_status becomes */
} SandboxFault;

struct _KlingSandbox {
  /* Options, with owned copies of the strings. */
  KlingSandboxOptions options;
  gchar *access_key, *secret_key, *api_key;

  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  SoupServer *server;
  SoupSession *session;         /* callbacks */
  GCancellable *cancellable;    /* cancels the callbacks in flight at stop */
  gchar *base_url;
  guint port;
  gchar *tmp_dir;
  guint8 url_secret[32];
  gint stopping;                /* atomic: set by kling_sandbox_stop() */
  gpointer startup;             /* only while kling_sandbox_start() waits */

  /* Guards faults and counters: the C API reads them from other threads. */
  GMutex lock;
  GPtrArray *faults;
  guint next_fault_id;
  GHashTable *request_counts;   /* "POST /v1/videos/image2video" -> count */
  GHashTable *task_counts;      /* "image2video" -> count */
  GHashTable *credentialed_counts;      /* request key -> requests with credentials */
  GHashTable *download_counts;  /* "/files/<id>.mp4" -> files served */
  GHashTable *user_agent_counts;        /* User-Agent header -> requests ("" when none) */
  guint tasks_in_flight, peak_parallel, responses_429, downloads, callbacks_sent,
      faults_hit, credentialed_requests, sessions_created;
  GHashTable *model_creates;    /* "image-to-video/kling-3.0" -> tasks created */
  guint tasks_queries, tasks_query_ids_total, tasks_query_ids_max, multi_shot_creates;
  guint connections_held;       /* state, not a counter: wires open now */

  /* Server thread only. */
  GHashTable *tasks;            /* task_id -> SandboxTask */
  GPtrArray *task_order;        /* creation order, for lists */
  GHashTable *videos;           /* video id -> SandboxVideo */
  GHashTable *sessions;         /* identify-face session id -> video id */
  GQueue create_times;          /* monotonic µs of recent creates (rate limit) */
  GThreadPool *render_pool;
  gint cancel_renders;          /* atomic, read by the render threads */
  GHashTable *wires;            /* connections sandbox-wire.c writes or holds */
  GHashTable *delayed;          /* GSource of each request a delay rule holds */
};

/* What a handler answers; kling-sandbox.c writes it, applying any output fault. */
typedef struct {
  guint status;
  GBytes *body;
  const gchar *content_type;
  guint retry_after;            /* 0: no header */
  gchar *content_range;
  gchar *location;              /* a redirect's Location */
  gboolean expire_urls;         /* set by an expire-url fault before the handler runs */
  gboolean fail_task;           /* set by a fail-task fault */
  const gchar *fail_message;
} SandboxResponse;

/* kling-sandbox.c */
void      sandbox_response_text (SandboxResponse *resp, guint status, const gchar *text);
void      sandbox_response_json (SandboxResponse *resp, guint status, guint code,
                                 const gchar *message, JsonNode *data);
void      sandbox_response_error (SandboxResponse *resp, guint status, guint code,
                                  const gchar *format, ...) G_GNUC_PRINTF (4, 5);
/* Frees what @resp holds (not @resp). */
void      sandbox_response_clear (SandboxResponse *resp);
gchar    *sandbox_new_id (const gchar *prefix);
/* @value with at most @decimals decimals and no trailing zeros: "5", "4.2", "1.25". */
gchar    *sandbox_format_decimal (gdouble value, guint decimals);

/* Runs @func on the server thread, from any thread. */
void      sandbox_idle_add (KlingSandbox *sandbox, GSourceFunc func, gpointer data,
                            GDestroyNotify destroy);
/* A timeout on the sandbox's own context (g_timeout_add would use the global one). */
guint     sandbox_timeout_add (KlingSandbox *sandbox, gdouble seconds, GSourceFunc func,
                               gpointer data, GDestroyNotify destroy);

/* sandbox-respond.c: @resp to @msg, reshaped by @fault (may be NULL: as it is). */
void      sandbox_respond (KlingSandbox *sandbox, SoupServerMessage *msg,
                           const gchar *method, const SandboxFault *fault,
                           SandboxResponse *resp);
/* Answers @msg in place of the handler when @fault is a kind that does (status, html,
 * redirect, drop, stall): the request is not processed. FALSE for the other kinds. */
gboolean  sandbox_respond_instead (KlingSandbox *sandbox, SoupServerMessage *msg,
                                   const gchar *path, GHashTable *query,
                                   const SandboxFault *fault);
/* A whole answer with its Content-Length, written by hand, then the connection closed:
 * for requests libsoup will not be allowed to finish reading. */
void      sandbox_respond_raw (KlingSandbox *sandbox, SoupServerMessage *msg,
                               const SandboxResponse *resp);

/* sandbox-auth.c: FALSE with a 401 answer in @resp when the credentials fail. */
gboolean  sandbox_check_auth (KlingSandbox *sandbox, SoupServerMessage *msg,
                              SandboxResponse *resp);
/* The same for the per-model API, which takes API keys only: a JWT is 401 / 1002. */
gboolean  sandbox_check_api_key_auth (KlingSandbox *sandbox, SoupServerMessage *msg,
                                      SandboxResponse *resp);

/* sandbox-files.c */
gchar    *sandbox_dup_video_url (KlingSandbox *sandbox, const SandboxVideo *video,
                                 gboolean expired);
/* Does @url carry a valid, unexpired signature for a /files/ video? Sets @video_id. */
gboolean  sandbox_url_is_valid (KlingSandbox *sandbox, const gchar *url, gchar **video_id);
void      sandbox_serve_file (KlingSandbox *sandbox, SoupServerMessage *msg,
                              const gchar *path, GHashTable *query, SandboxResponse *resp);

/* sandbox-counters.c */
void      sandbox_counters_init (KlingSandbox *sandbox);
void      sandbox_counters_free (KlingSandbox *sandbox);
void      sandbox_counters_clear (KlingSandbox *sandbox);
void      sandbox_count_request (KlingSandbox *sandbox, const gchar *key);
void      sandbox_count_credentialed (KlingSandbox *sandbox, const gchar *key);
void      sandbox_count_user_agent (KlingSandbox *sandbox, const gchar *user_agent);
void      sandbox_count_download (KlingSandbox *sandbox, const gchar *path);
void      sandbox_count_task (KlingSandbox *sandbox, const gchar *kind);
/* A per-model create ("image-to-video/kling-3.0"), and a GET /tasks asking @ids ids. */
void      sandbox_count_model_create (KlingSandbox *sandbox, const gchar *key);
void      sandbox_count_tasks_query (KlingSandbox *sandbox, guint ids);
void      sandbox_count (KlingSandbox *sandbox, guint *counter);
/* Adds @delta (+1 or -1) to a state kept with the counters (connections_held). */
void      sandbox_count_add (KlingSandbox *sandbox, guint *state, gint delta);
void      sandbox_task_started (KlingSandbox *sandbox);
void      sandbox_task_ended (KlingSandbox *sandbox);
guint     sandbox_tasks_in_flight (KlingSandbox *sandbox);

/* sandbox-faults.c */
SandboxFault *sandbox_fault_new_from_json (const gchar *json, GError **error);
void      sandbox_fault_free (SandboxFault *fault);
guint     sandbox_add_fault (KlingSandbox *sandbox, SandboxFault *fault);
/* The fault that fires for this request, as a copy, or NULL. */
SandboxFault *sandbox_pick_fault (KlingSandbox *sandbox, const gchar *method,
                                  const gchar *path, gboolean creates_task);

/* sandbox-requests.c: each fills @task (its render spec, parent video) from a create
 * body, or answers 400 in @resp. */
typedef gboolean (*SandboxParseFunc) (KlingSandbox *sandbox, JsonObject *body,
                                      SandboxTask *task, SandboxResponse *resp);
gboolean  sandbox_parse_image2video (KlingSandbox *sandbox, JsonObject *body,
                                     SandboxTask *task, SandboxResponse *resp);
gboolean  sandbox_parse_text2video (KlingSandbox *sandbox, JsonObject *body,
                                    SandboxTask *task, SandboxResponse *resp);
gboolean  sandbox_parse_video_extend (KlingSandbox *sandbox, JsonObject *body,
                                      SandboxTask *task, SandboxResponse *resp);
gboolean  sandbox_parse_lip_sync (KlingSandbox *sandbox, JsonObject *body,
                                  SandboxTask *task, SandboxResponse *resp);
gboolean  sandbox_parse_advanced_lip_sync (KlingSandbox *sandbox, JsonObject *body,
                                           SandboxTask *task, SandboxResponse *resp);
/* video_id (one of ours) or video_url (ours, or fetched from loopback) in @object;
 * @prefix ("input." or "") names the fields in errors. @given_url: the video_url as
 * sent (pointing into @object), or NULL. */
SandboxVideo *sandbox_parse_source_video (KlingSandbox *sandbox, JsonObject *object,
                                          const gchar *prefix, const gchar **given_url,
                                          SandboxResponse *resp);
/* The identify-face answer (a session, one face) for the create body @body. */
void      sandbox_identify_face (KlingSandbox *sandbox, JsonObject *body,
                                 SandboxResponse *resp);
void      sandbox_session_free (SandboxSession *session);
/* Advanced lip-sync: NULL when the sound cut from @spec's audio (@sound_ms long; 0:
 * not known yet) ends by @video_ms and lasts 2 s at least, else the problem, with the
 * field it is about in @field. */
gchar    *sandbox_sound_fit_problem (const SandboxRenderSpec *spec, guint sound_ms,
                                     guint video_ms, const gchar **field);

/* sandbox-tasks.c */
void      sandbox_tasks_init (KlingSandbox *sandbox);
/* The pieces of a create both API generations share. */
JsonObject *sandbox_parse_body (GBytes *body, SandboxResponse *resp);
gboolean  sandbox_check_rate_limit (KlingSandbox *sandbox, SandboxResponse *resp);
SandboxTask *sandbox_task_new (KlingSandbox *sandbox, const gchar *kind);
void      sandbox_task_free (SandboxTask *task);
/* The task that already uses @external_task_id (ids are unique across the sandbox). */
SandboxTask *sandbox_find_external_id (KlingSandbox *sandbox, const gchar *external_task_id);
/* Admits a parsed @task under the parallel cap and starts its life (submitted, ...);
 * FALSE with 429 / 1303 in @resp, @task then freed. */
gboolean  sandbox_task_launch (KlingSandbox *sandbox, SandboxTask *task,
                               SandboxResponse *resp);
/* "5", "4.2": durations as strings of seconds. */
gchar    *sandbox_format_duration (gdouble seconds);

/* sandbox-tasks-v2.c: the per-model API (second generation, docs/kling-api.md). */
/* Splits "/image-to-video/<model>" or "/text-to-video/<model>" (@kind then
 * "image-to-video", @model the path's model, unchecked), or "/tasks" (@kind "tasks",
 * @model NULL); FALSE for anything else. */
gboolean  sandbox_parse_v2_path (const gchar *path, const gchar **kind, gchar **model);
void      sandbox_handle_v2 (KlingSandbox *sandbox, const gchar *method, const gchar *kind,
                             const gchar *model, GHashTable *query, GBytes *body,
                             SandboxResponse *resp);
JsonNode *sandbox_task_v2_to_json (SandboxTask *task, gboolean expired);
/* sandbox-requests-v2.c: fills @task from a per-model create body, or answers 4xx. */
gboolean  sandbox_parse_v2_create (KlingSandbox *sandbox, const SandboxModelV2 *model,
                                   JsonObject *body, SandboxTask *task,
                                   SandboxResponse *resp);
void      sandbox_tasks_shutdown (KlingSandbox *sandbox);
/* Is @name ("image2video", ...) an endpoint under /v1/videos/? */
gboolean  sandbox_is_endpoint (const gchar *name);
gboolean  sandbox_endpoint_creates_task (const gchar *name);
void      sandbox_handle_api (KlingSandbox *sandbox, const gchar *method,
                              const gchar *endpoint, const gchar *id, GHashTable *query,
                              GBytes *body, SandboxResponse *resp);
SandboxVideo *sandbox_lookup_video_url (KlingSandbox *sandbox, const gchar *url);
void      sandbox_video_free (SandboxVideo *video);
/* Its real duration in whole milliseconds. */
guint     sandbox_video_ms (const SandboxVideo *video);

/* sandbox-media.c: header probes, no decoding. */
typedef enum {
  SANDBOX_IMAGE_UNKNOWN,
  SANDBOX_IMAGE_JPEG,
  SANDBOX_IMAGE_PNG,
} SandboxImageFormat;

SandboxImageFormat sandbox_probe_image (const guint8 *data, gsize size, guint *width,
                                        guint *height);
/* "wav", "mp3", "m4a", "aac" or NULL. */
const gchar *sandbox_probe_audio_format (const guint8 *data, gsize size);
/* Is @url http on 127.0.0.1 / localhost / [::1]? With @port non-zero: on that port. */
gboolean  sandbox_url_is_loopback (const gchar *url);
gboolean  sandbox_url_is_loopback_port (const gchar *url, guint port);

G_END_DECLS

/* sandbox-input.c: request fields, checked like Kling (400 / 1201 naming the field). */
G_BEGIN_DECLS
/* Answers 400 / 1201 "Invalid parameter <field>: <problem>"; returns FALSE. */
gboolean  sandbox_refuse (SandboxResponse *resp, const gchar *field, const gchar *format,
                          ...) G_GNUC_PRINTF (3, 4);
gboolean  sandbox_input_string (JsonObject *object, const gchar *field, const gchar *name,
                                gboolean required, guint max_chars, const gchar **value,
                                SandboxResponse *resp);
gboolean  sandbox_input_number (JsonObject *object, const gchar *field, const gchar *name,
                                gdouble min, gdouble max, gdouble *value,
                                SandboxResponse *resp);
gboolean  sandbox_input_choice (JsonObject *object, const gchar *field, const gchar *name,
                                const gchar *const *choices, const gchar **value,
                                SandboxResponse *resp);
gboolean  sandbox_input_seconds (JsonObject *object, const gchar *field, const gchar *name,
                                 guint *seconds, SandboxResponse *resp);
gboolean  sandbox_input_integer (JsonObject *object, const gchar *field, const gchar *name,
                                 gint64 min, gint64 max, gint64 *value,
                                 SandboxResponse *resp);
gboolean  sandbox_input_boolean (JsonObject *object, const gchar *field, const gchar *name,
                                 gboolean *value, SandboxResponse *resp);
gboolean  sandbox_input_object (JsonObject *object, const gchar *field, const gchar *name,
                                gboolean required, JsonObject **value,
                                SandboxResponse *resp);
gboolean  sandbox_input_loopback_url (const gchar *field, const gchar *url,
                                      SandboxResponse *resp);
gboolean  sandbox_input_image (JsonObject *object, const gchar *field, const gchar *name,
                               gboolean required, GBytes **bytes, gchar **url,
                               SandboxResponse *resp);
/* The same with another size limit (the per-model API takes 50 MB). */
gboolean  sandbox_input_image_max (JsonObject *object, const gchar *field,
                                   const gchar *name, gboolean required, gsize max_bytes,
                                   GBytes **bytes, gchar **url, SandboxResponse *resp);
gboolean  sandbox_input_audio (const gchar *tmp_dir, JsonObject *object, const gchar *field,
                               const gchar *name, gboolean allow_url, GBytes **bytes,
                               gchar **url, gdouble *length_s, SandboxResponse *resp);
gboolean  sandbox_json_depth_ok (const gchar *text, gsize len, guint max_depth);
/* NULL when the input passes Kling's checks, else what is wrong with it ("is larger than
 * 10 MB"). Images: JPEG/PNG, <= 10 MB, sides >= 300 px, aspect 1:2.5..2.5:1. Audio
 * (also stored at @path, for its length, set in @length_s when it passes; may be NULL):
 * mp3/wav/m4a/aac, <= 5 MB, 2..60 s. */
gchar    *sandbox_image_problem (GBytes *image);
gchar    *sandbox_image_problem_max (GBytes *image, gsize max_bytes);
gchar    *sandbox_audio_problem (GBytes *audio, const gchar *path, gdouble *length_s);
G_END_DECLS
