/* gst-kling: Kling endpoints and the task object they answer with. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  KLING_ENDPOINT_IMAGE2VIDEO,
  KLING_ENDPOINT_TEXT2VIDEO,
  KLING_ENDPOINT_LIP_SYNC,
  KLING_ENDPOINT_IDENTIFY_FACE,
  KLING_ENDPOINT_ADVANCED_LIP_SYNC,
  KLING_ENDPOINT_VIDEO_EXTEND,
} KlingEndpoint;

#define KLING_N_ENDPOINTS (KLING_ENDPOINT_VIDEO_EXTEND + 1)

/* "/v1/videos/image2video" etc.; the query path is "<path>/<task id or external id>". */
const gchar *kling_endpoint_path (KlingEndpoint endpoint);
/* "image2video", "lip-sync", ...: for logs, tags and cache sidecars. */
const gchar *kling_endpoint_name (KlingEndpoint endpoint);
/* The reverse of kling_endpoint_name(); FALSE for unknown names. */
gboolean     kling_endpoint_from_name (const gchar *name, KlingEndpoint *endpoint);
/* The reverse of kling_endpoint_path() (the create path exactly, no task id after it);
 * FALSE for other paths and NULL. */
gboolean     kling_endpoint_from_path (const gchar *path, KlingEndpoint *endpoint);
/* Whether a create body of @endpoint has an "external_task_id" field at all (one-step
 * lip-sync and identify-face have none: never add one there). */
gboolean     kling_endpoint_takes_external_id    (KlingEndpoint endpoint);
/* Whether "GET <create path>/<external_task_id>" finds the task (image2video, text2video,
 * video-extend). Where it does not (both lip-sync flows), a create whose answer was lost
 * is found with the list query, never by creating again. */
gboolean     kling_endpoint_resolves_external_id (KlingEndpoint endpoint);

typedef enum {
  KLING_TASK_SUBMITTED,
  KLING_TASK_PROCESSING,
  KLING_TASK_SUCCEED,
  KLING_TASK_FAILED,
} KlingTaskStatus;

const gchar *kling_task_status_to_string (KlingTaskStatus status);

typedef struct {
  gchar *task_id;
  KlingTaskStatus status;
  gchar *status_msg;          /* task_status_msg, may be NULL */
  gchar *external_task_id;    /* task_info.external_task_id, may be NULL */
  gint64 created_at_ms;       /* 0 when absent */
  gint64 updated_at_ms;
  /* First entry of task_result.videos[] once the task succeeded. */
  gchar *video_id;
  gchar *video_url;
  gdouble video_duration_s;   /* parsed from the string Kling sends; 0 when absent */
  gchar *video_watermark_url; /* the same video with Kling's watermark; may be NULL */
  gchar *request_id;          /* of the answer this object came from */
  /* What Kling charged for the task, once it says so; NULL / 0 until then. On /v1 it is
   * final_unit_deduction (a string or a number of credits); the per-model API's billing[]
   * entries {charge_type, amount, currency} fill the same fields (amount, and the currency
   * or, for charge_type "unit", "units"). */
  gchar *charge;              /* the amount as Kling wrote it, e.g. "1" or "0.2" */
  gdouble charge_amount;      /* the same, as a number */
  gchar *charge_unit;         /* "credits" for final_unit_deduction */
} KlingTask;

/* Parses the "data" member of an envelope. Unknown fields are ignored; a missing or
 * wrongly typed required field (task_id, task_status) is a KLING_ERROR_PROTOCOL. */
KlingTask   *kling_task_new_from_json (JsonNode *data, const gchar *request_id,
                                       GError **error);
/* Reads one answer: {"code": 0, "message", "request_id", "data"}. Returns a copy of "data"
 * on success; otherwise a KLING_ERROR mapped from @http_status and the envelope's code
 * (reseller shapes {"error": "...", "code": 401} included), or KLING_ERROR_PROTOCOL when the
 * answer is not the documented shape. An answer that is not Kling's envelope at all (not
 * JSON, not an object, or an object with neither "code" nor "data": an HTML page, a proxy's
 * text, another service) is marked with kling_error_set_foreign_answer() and its message
 * says what came instead ("an HTML page"); the error code still follows @http_status, so
 * retries do not change. *request_id (may be NULL) gets the answer's id. */
JsonNode    *kling_envelope_parse     (guint http_status, const gchar *body, gsize len,
                                       gchar **request_id, GError **error);
/* The per-model API (kling-task-v2.c): a task object of a create's "data", or one entry
 * of the /tasks query's "data" array: {id, status (submitted, processing, succeeded,
 * failed), message, create_time, update_time, external_id, outputs[{type "video", id,
 * url, watermark_url, duration}], billing[{charge_type, amount, currency}]}, read into
 * the same KlingTask (status KLING_TASK_SUCCEED for "succeeded"; billing fills the
 * charge). Unknown fields are ignored; a missing id or status is a KLING_ERROR_PROTOCOL. */
KlingTask   *kling_task_new_from_v2_json (JsonNode *data, const gchar *request_id,
                                          GError **error);
/* The entry of a /tasks answer's "data" array whose "id" (or, with @by_external,
 * "external_id") is @id; NULL when the array has none (Kling leaves unknown ids out). */
JsonNode    *kling_tasks_v2_find      (JsonNode *data, const gchar *id, gboolean by_external);
/* TRUE when @entry names a task but with a status the per-model API does not document
 * (a new status, a typo): not an error, the task is polled on. *@status gets it. */
gboolean     kling_task_v2_has_unknown_status (JsonNode *entry, const gchar **status);
KlingTask   *kling_task_copy          (const KlingTask *task);
void         kling_task_free          (KlingTask *task);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KlingTask, kling_task_free)

G_END_DECLS
