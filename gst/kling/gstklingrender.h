/* gst-kling: GstKlingRender, the abstract base of the Kling elements.
 *
 * The base owns everything that is the same for every Kling task: the shared properties,
 * the client, the job (submit, progress messages, errors) and the output side (a source
 * pad task that waits for the clip, decodes it in a private pipeline and pushes it, or
 * passes the MP4 through when downstream wants video/quicktime).
 *
 * A subclass owns its sink pad(s): it captures the input, builds a KlingRequest and calls
 * gst_kling_render_submit(). Source pads are created by the base from the class's pad
 * templates: "src" (always, added by the base class) and "audio_src" (when a subclass
 * installs a template of that name; its samples are dropped when it is not linked).
 */
#pragma once

#include <gst/gst.h>
#include "kling-client.h"
#include "kling-requests.h"
#include "gstklingenums.h"

G_BEGIN_DECLS

/* Tags on the output besides the standard ones (description = prompt, comment = a summary
 * that muxers write into the file), registered by the base class. */
#define GST_KLING_TAG_TASK_ID  "kling-task-id"
#define GST_KLING_TAG_VIDEO_ID "kling-video-id"
#define GST_KLING_TAG_MODEL    "kling-model"
#define GST_KLING_TAG_MODE     "kling-mode"

#define GST_TYPE_KLING_RENDER (gst_kling_render_get_type ())
G_DECLARE_DERIVABLE_TYPE (GstKlingRender, gst_kling_render, GST, KLING_RENDER, GstElement)

/**
 * GstKlingRenderClass:
 * @reset: the element went down to READY (streaming stopped, the job cancelled): forget
 *   any captured input so the next run starts afresh. Chain up is not needed.
 * @job_done: a job ended (the client's worker thread: must not block). @mp4_path and
 *   @task on success, @error (a KLING_ERROR, never CANCELLED) on failure. Return TRUE when
 *   the subclass took over (it started another job with gst_kling_render_submit(), or
 *   called gst_kling_render_deliver() / gst_kling_render_post_error() itself); FALSE
 *   lets the base deliver the clip or post the error, which is what the base class's
 *   own implementation does.
 * @add_tags: add element-specific tags to the list pushed before the clip (the base has
 *   already put the prompt, model, mode, task id and video id in it).
 */
struct _GstKlingRenderClass
{
  GstElementClass parent_class;

  void     (*reset)    (GstKlingRender *self);
  gboolean (*job_done) (GstKlingRender *self, const gchar *mp4_path,
                        const KlingTask *task, const GError *error);
  void     (*add_tags) (GstKlingRender *self, GstTagList *tags);

  gpointer _gst_reserved[GST_PADDING];
};

/* A snapshot of the request-related properties, taken under the object lock. */
typedef struct
{
  gchar *model_name;
  GstKlingMode mode;
  guint duration_s;
  gchar *prompt;            /* NULL when unset */
  gchar *negative_prompt;   /* NULL when unset */
  gdouble cfg_scale;
  gchar *callback_url;      /* NULL when unset */
} GstKlingRenderSettings;

GstKlingRenderSettings *gst_kling_render_dup_settings   (GstKlingRender *self);
void                    gst_kling_render_settings_free  (GstKlingRenderSettings *settings);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstKlingRenderSettings, gst_kling_render_settings_free)

/* Starts a job for @request (copied): from a sink pad's streaming thread once the input is
 * complete, or from job_done() to chain a second job. Never blocks on the network. Returns
 * FALSE when the element is shutting down or the job could not start (then an error was
 * posted, except while shutting down). */
gboolean gst_kling_render_submit      (GstKlingRender *self, const KlingRequest *request);

/* The client of the current run (a new reference; kling_client_unref() it), or NULL when
 * the element is not between READY->PAUSED and PAUSED->READY: for calls that are not
 * tasks, e.g. identify-face before an advanced lip-sync. */
KlingClient *gst_kling_render_dup_client (GstKlingRender *self);

/* Hands a finished clip to the source pads (what the default job_done does). */
void     gst_kling_render_deliver     (GstKlingRender *self, const gchar *mp4_path,
                                       const KlingTask *task);

/* Posts @error (a KLING_ERROR) as a GST_ELEMENT_ERROR with its user sentence and details,
 * plus a progress ERROR message, and stops the source pads. CANCELLED posts nothing. */
void     gst_kling_render_post_error  (GstKlingRender *self, const GError *error);

/* The image2video request of the element's prompt properties for @image (JPEG or PNG)
 * and @camera_control_json (NULL: none). Warns (GST_ELEMENT_WARNING) about a model
 * name Kling may not know; returns NULL with an error posted when Kling's rules refuse
 * the request. For klingimage2video and for klinglipsync's image pad alike. */
KlingRequest *gst_kling_render_new_image2video_request (GstKlingRender *self,
                                                        GBytes *image,
                                                        const gchar *camera_control_json);

/* A copy of the bytes of @buffer (a still as captured from a sink pad). */
GBytes  *gst_kling_render_buffer_to_bytes (GstBuffer *buffer);

/* The still that arrived as @buffer on @pad, as Kling takes it: a raw frame encoded to
 * JPEG (smaller when it would exceed Kling's 10 MB), JPEG or PNG as they are once checked
 * to be whole, then validated against Kling's limits. NULL with the input error posted
 * (before any request). For klingimage2video's sink and klinglipsync's image pad alike. */
GBytes  *gst_kling_render_capture_still (GstKlingRender *self, GstPad *pad,
                                         GstBuffer *buffer);

/* Query function for the subclasses' sink pads: caps queries only, since the output is
 * not a transformation of the input. */
gboolean gst_kling_render_sink_query  (GstPad *pad, GstObject *parent, GstQuery *query);

/* Bad input, found before any request: GST_ELEMENT_ERROR (STREAM, FORMAT) with @message
 * (one sentence for a person) and @details (the debug string), and stops the source pads. */
void     gst_kling_render_fail_input  (GstKlingRender *self, const gchar *message,
                                       const gchar *details);

G_END_DECLS
