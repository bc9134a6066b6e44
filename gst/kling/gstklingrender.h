/* gst-kling: GstKlingRender, the abstract base of the Kling elements.
 *
 * The base owns what is the same for every Kling task: the shared properties, the client of
 * the run, the job (submit, progress and `kling-task` messages, errors with structured
 * details) and the mapping of its result to the output. The source pads belong to a
 * GstKlingClipOutput (gstklingclipoutput.h), created from the class's pad templates: "src"
 * (always, added by the base class) and "audio_src" when a subclass installs an ALWAYS
 * template of that name (the clip's audio leaves there; dropped while it is not linked).
 *
 * A subclass owns its sink pad(s): it captures the input (stills with
 * gst_kling_render_capture_still()), builds a KlingRequest and calls
 * gst_kling_render_submit().
 *
 * Threads: nothing here runs application code on the client's shared worker thread. The
 * job's callbacks only hand off: what they report (messages, property notifications,
 * job_done()) runs in order on the element's own thread (gst_element_call_async()), and so
 * does whatever a subclass hands off with gst_kling_render_hand_off().
 */
#pragma once

#include <gst/gst.h>
#include "kling-client.h"
#include "kling-requests.h"
#include "gstklingenums.h"
#include "gstklingstill.h"

G_BEGIN_DECLS

/* Tags on the output besides the standard ones (description = prompt, comment = a summary
 * that muxers write into the file), registered by the base class. */
#define GST_KLING_TAG_TASK_ID  "kling-task-id"
#define GST_KLING_TAG_VIDEO_ID "kling-video-id"
#define GST_KLING_TAG_MODEL    "kling-model"
#define GST_KLING_TAG_MODE     "kling-mode"
/* What the model table expected the render to cost (gdouble, USD; when priced), and what
 * Kling charged (a string: the amount as Kling wrote it and its unit, "3 credits").
 * Both are in the comment too. Since: 0.2 */
#define GST_KLING_TAG_ESTIMATE_USD "kling-estimate-usd"
#define GST_KLING_TAG_CHARGE       "kling-charge"

#define GST_TYPE_KLING_RENDER (gst_kling_render_get_type ())
G_DECLARE_DERIVABLE_TYPE (GstKlingRender, gst_kling_render, GST, KLING_RENDER, GstElement)

/**
 * GstKlingRenderClass:
 * @reset: the element went down to READY (streaming stopped, the job cancelled): forget
 *   any captured input so the next run starts afresh. Chain up is not needed.
 * @job_done: a job ended; runs on the element's own thread (never the client's worker),
 *   in order after the job's other messages. @mp4_path and @task on success, @error (a
 *   KLING_ERROR, never CANCELLED) on failure. Return TRUE when the subclass took over (it
 *   started another job with gst_kling_render_submit(), or called
 *   gst_kling_render_deliver() / gst_kling_render_post_error() itself); FALSE lets the
 *   base deliver the clip or post the error, which is what the base class's own
 *   implementation does.
 * @add_tags: add element-specific tags to the list pushed before the clip (the base has
 *   already put the prompt, model, mode, task id and video id in it).
 * @plays_while_downloading: see the field.
 */
struct _GstKlingRenderClass
{
  GstElementClass parent_class;

  void     (*reset)    (GstKlingRender *self);
  gboolean (*job_done) (GstKlingRender *self, const gchar *mp4_path,
                        const KlingTask *task, const GError *error);
  void     (*add_tags) (GstKlingRender *self, GstTagList *tags);

  /* TRUE (the base's default): every job's clip is the output's, so it plays while it
   * downloads. A subclass that chains a job into another (klinglipsync's image2video
   * stage feeds its lip-sync) sets FALSE: its clips play once whole. */
  gboolean plays_while_downloading;

  gpointer _gst_reserved[GST_PADDING];
};

/* A snapshot of the request-related properties, taken under the object lock. */
typedef struct
{
  gchar *model_name;
  GstKlingMode mode;
  guint duration_s;
  gboolean sound;           /* native audio asked for (Since: 0.2) */
  gchar *prompt;            /* NULL when unset */
  gchar *negative_prompt;   /* NULL when unset */
  gdouble cfg_scale;
  gchar *callback_url;      /* NULL when unset */
} GstKlingRenderSettings;

GstKlingRenderSettings *gst_kling_render_dup_settings   (GstKlingRender *self);
void                    gst_kling_render_settings_free  (GstKlingRenderSettings *settings);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstKlingRenderSettings, gst_kling_render_settings_free)

/* Starts a job for @request (copied): from a sink pad's streaming thread once the input is
 * complete, or from job_done() to chain a second job. A submit after the clip of the
 * previous one was delivered starts a new clip (its own settings, ids and progress); one
 * while a job runs replaces that job. Never blocks on the network. Returns
 * FALSE when the element is shutting down or the job could not start (then an error was
 * posted, except while shutting down). */
gboolean gst_kling_render_submit      (GstKlingRender *self, const KlingRequest *request);

/* The client of the current run (a new reference; kling_client_unref() it), or NULL when
 * the element is not between READY->PAUSED and PAUSED->READY: for calls that are not
 * tasks, e.g. identify-face before an advanced lip-sync. */
KlingClient *gst_kling_render_dup_client (GstKlingRender *self);

/* Hands a finished clip to the output (what the default job_done does): the file of the
 * current job, with the run's tags; the output ends after it unless it is held
 * (gst_kling_render_hold_output()). */
void     gst_kling_render_deliver     (GstKlingRender *self, const gchar *mp4_path,
                                       const KlingTask *task);

/* The job options of the element's properties (poll interval, timeout, cache mode and
 * directory, max-parallel), as gst_kling_render_submit() uses them: for a subclass that
 * follows jobs of its own (a storyboard's clips). Returns the cache directory that
 * @options points to (free it after the job started), NULL without a cache. */
gchar   *gst_kling_render_get_job_options (GstKlingRender *self, KlingJobOptions *options);

/* Queues the clip at @mp4_path after those the output has, with the run's settings and
 * @task's ids as tags (@task may be NULL); @job (may be NULL) is kept with the clip, so a
 * cache-less file in its directory lives as long. FALSE with an error posted (the output
 * then ends) when the file cannot be opened. Not from the client's worker thread. */
gboolean gst_kling_render_append_clip (GstKlingRender *self, const gchar *mp4_path,
                                       const KlingTask *task, KlingJob *job);

/* More clips may follow in this run (until READY): gst_kling_render_deliver() then only
 * appends, and the subclass calls gst_kling_render_end_output() when no more will come.
 * @follow_clock: a clip that comes after the previous one played out plays from then on
 * in a PLAYING pipeline (gst_kling_clip_output_set_follow_clock()). Since: 0.2 */
void     gst_kling_render_hold_output (GstKlingRender *self, gboolean follow_clock);
/* No more clips: EOS follows the last one given (at once when there is none). */
void     gst_kling_render_end_output  (GstKlingRender *self);

/* Posts @error (a KLING_ERROR) as a GST_ELEMENT_ERROR with its user sentence, its
 * technical line as the debug string and a "details" structure (http-status-code,
 * kling-code, request-id, task-id, endpoint, task-status-message, where known), plus a
 * progress ERROR message; the source pads then end like a source's after an error.
 * CANCELLED posts nothing. Any thread but the client's worker. */
void     gst_kling_render_post_error  (GstKlingRender *self, const GError *error);

/* The image2video request of the element's prompt properties for @image (JPEG or PNG),
 * @image_tail (the end frame, NULL: none; Since: 0.2) and @camera_control_json (NULL:
 * none). Warns (GST_ELEMENT_WARNING) about a model
 * name Kling may not know; returns NULL with an error posted when Kling's rules refuse
 * the request. For klingimage2video and for klinglipsync's image pad alike. */
KlingRequest *gst_kling_render_new_image2video_request (GstKlingRender *self,
                                                        GBytes *image,
                                                        GBytes *image_tail,
                                                        const gchar *camera_control_json);

/* A camera-control property (a GstStructure string: "simple, zoom=(int)5", "down_back")
 * as Kling's camera_control JSON; NULL with @details set when it is not usable. */
gchar   *gst_kling_camera_control_to_json (const gchar *text, gchar **details);

/* The still that arrived as @buffer on @pad, as Kling takes it (gstklingstill.h): NULL
 * with the input error posted (before any request). @role says which frame of the clip it
 * is: klingimage2video's sink and klinglipsync's image pad take the first, an end_frame
 * pad the last. */
GBytes  *gst_kling_render_capture_still (GstKlingRender *self, GstPad *pad,
                                         GstBuffer *buffer, GstKlingStillRole role);

/* Query function for the subclasses' sink pads: caps queries only, since the output is
 * not a transformation of the input. */
gboolean gst_kling_render_sink_query  (GstPad *pad, GstObject *parent, GstQuery *query);

/* Bad input, found before any request: GST_ELEMENT_ERROR (STREAM, FORMAT) with @message
 * (one sentence for a person) and @details (the debug string); the source pads end. */
void     gst_kling_render_fail_input  (GstKlingRender *self, const gchar *message,
                                       const gchar *details);

/* A step of the run that is not a job (identify-face before an advanced lip-sync) starts:
 * a CONTINUE with @code and @text inside the START that is open, or a START of its own
 * when none is (the next job's START ends it with a COMPLETE; an error or a cancel as
 * well). Keeps every START paired. Any thread but the client's worker. Since: 0.2 */
void     gst_kling_render_post_step   (GstKlingRender *self, const gchar *code,
                                       const gchar *text);
/* A call outside the job (kling_client_call_full()'s waiting callback) waits before its
 * next attempt: posted like the job's own waits (CONTINUE `kling-wait` and a `kling-wait`
 * element message) on the element's thread. Callable on the client's worker: it copies
 * and hands off. Since: 0.2 */
void     gst_kling_render_report_waiting (GstKlingRender *self, KlingEndpoint endpoint,
                                          KlingWaitReason reason, guint delay_ms,
                                          guint attempt, const GError *cause);

typedef void (*GstKlingRenderHandOff) (GstKlingRender *self, gpointer data);

/* Runs @func (@self, @data) on the element's own thread, in order with the job's
 * messages, unless the run ends first; @notify (may be NULL) frees @data either way. For
 * what a subclass's client callbacks (which run on the shared worker) must not do
 * themselves: post, notify, touch files, start the next step. */
void     gst_kling_render_hand_off    (GstKlingRender *self, GstKlingRenderHandOff func,
                                       gpointer data, GDestroyNotify notify);

G_END_DECLS
