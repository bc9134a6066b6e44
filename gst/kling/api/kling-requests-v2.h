/* gst-kling: image2video and text2video requests on Kling's per-model API (the second
 * generation, docs/kling-api.md "The per-model API"): "POST /image-to-video/<model>" or
 * "/text-to-video/<model>" with a body of contents (prompt, first_frame, last_frame),
 * settings (resolution, duration as an integer, audio, multi_shot) and options
 * (callback_url; the job adds external_task_id). The model table decides which models go
 * here (KlingModelInfo.generation) and what each takes; kling_image2video_request_new()
 * and kling_text2video_request_new() dispatch to these builders, so callers never choose.
 * Private to the api layer. */
#pragma once

#include "kling-requests.h"

G_BEGIN_DECLS

/* The per-model API's limits where they differ from /v1's. */
#define KLING_V2_IMAGE_MAX_BYTES    ((gsize) 50 * 1024 * 1024)
#define KLING_V2_PROMPT_MAX_CHARS   3072

/* The same parameters as the /v1 builders, for a model whose table row is of the per-model
 * generation. Refused before any request, with one sentence: what the table refuses for
 * the model (durations, modes, end frame, audio), a negative prompt, camera control or an
 * aspect ratio other than 16:9 (the per-model API documents none of them), a prompt over
 * 3072 characters, images that break Kling's rules (up to 50 MB here). */
KlingRequest *kling_image2video_v2_request_new (const KlingImage2VideoParams *params,
                                                GError **error);
KlingRequest *kling_text2video_v2_request_new  (const KlingText2VideoParams *params,
                                                GError **error);

/* Shared with kling-requests.c. */
JsonObject   *kling_request_estimate_new     (KlingEndpoint endpoint, const gchar *model,
                                              KlingMode mode, guint duration_s,
                                              gboolean sound);
JsonObject   *kling_request_describe_image   (GBytes *image);
gboolean      kling_request_has_text         (const gchar *text);
gboolean      kling_request_validate_url     (const gchar *url, const gchar *field,
                                              GError **error);

G_END_DECLS
