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

/* "/v1/videos/image2video" etc.; the query path is "<path>/<task id or external id>". */
const gchar *kling_endpoint_path (KlingEndpoint endpoint);
/* "image2video", "lip-sync", ...: for logs, tags and cache sidecars. */
const gchar *kling_endpoint_name (KlingEndpoint endpoint);
/* The reverse of kling_endpoint_name(); FALSE for unknown names. */
gboolean     kling_endpoint_from_name (const gchar *name, KlingEndpoint *endpoint);

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
  gchar *request_id;          /* of the answer this object came from */
} KlingTask;

/* Parses the "data" member of an envelope. Unknown fields are ignored; a missing or
 * wrongly typed required field (task_id, task_status) is a KLING_ERROR_PROTOCOL. */
KlingTask   *kling_task_new_from_json (JsonNode *data, const gchar *request_id,
                                       GError **error);
/* Reads one answer: {"code": 0, "message", "request_id", "data"}. Returns a copy of "data"
 * on success; otherwise a KLING_ERROR mapped from @http_status and the envelope's code
 * (reseller shapes {"error": "...", "code": 401} included), or KLING_ERROR_PROTOCOL when the
 * answer is not the documented shape. *request_id (may be NULL) gets the answer's id. */
JsonNode    *kling_envelope_parse     (guint http_status, const gchar *body, gsize len,
                                       gchar **request_id, GError **error);
KlingTask   *kling_task_copy          (const KlingTask *task);
void         kling_task_free          (KlingTask *task);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KlingTask, kling_task_free)

G_END_DECLS
