/* gst-kling: klinglipsync's instance and what its files share.
 *
 * gstklinglipsync.c: the class, properties, state changes and the stages of a run (which
 * request goes out when); gstklinglipsync-pads.c: the inputs (the audio pad and the image
 * request pad); gstklinglipsync-face.c: the advanced method (identify-face, the
 * remembered face session, the advanced-lip-sync request and the insert window);
 * gstklinglipsync-probe.c: the length of a video-url, read before identify-face.
 */
#pragma once

#include "gstklinglipsync.h"
#include "gstklingaudio.h"
#include "kling-requests-lipsync.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_kling_lip_sync_debug);

/* What the job in flight is doing. */
typedef enum
{
  STAGE_WAITING,                /* inputs not complete yet */
  STAGE_IMAGE2VIDEO,            /* rendering the still (image pad) */
  STAGE_IDENTIFY_FACE,          /* advanced: looking for the face */
  STAGE_LIP_SYNC,               /* the lip-sync task itself */
} Stage;

/* The properties, copied when the element leaves READY: a run uses one set of them. */
typedef struct
{
  gchar *video_id;
  gchar *video_url;
  gchar *text;
  gchar *voice_id;
  GstKlingVoiceLanguage voice_language;
  gdouble voice_speed;
  GstKlingLipSyncMethod method;
} RunConfig;

struct _GstKlingLipSync
{
  GstKlingRender parent;

  GstPad *audio_pad;
  GstPad *image_pad;            /* the request pad, under the object lock */

  /* Properties, under the object lock. */
  RunConfig props;
  gchar *result_video_id;

  /* The run, under lock. */
  GMutex lock;
  RunConfig run;
  gboolean text_mode;
  gboolean use_image;
  GBytes *voice;                /* the WAV or MP3 file, once the audio ended */
  GBytes *still;                /* JPEG or PNG, once it came */
  Stage stage;
  GCancellable *cancellable;    /* identify-face of this run */
  /* The real length of the video being lip-synced, seconds; 0 while unknown (see
   * gstklinglipsync-face.c). */
  gdouble video_duration_s;
  /* A remembered face session in use, and the video it belongs to: forgotten (and
   * identify-face asked again) if Kling refuses the session. */
  gchar *memo_in_use;
  gchar *memo_video_id;
  gchar *memo_video_url;

  /* Streaming threads only; reset once they are stopped. */
  GstKlingAudioCollector *collector;    /* audio pad */
  gboolean audio_done;          /* audio pad: EOS seen or an error posted */
  gboolean got_still;           /* image pad */
};

/* gstklinglipsync.c */
void     gst_kling_lip_sync_maybe_start        (GstKlingLipSync *self);
void     gst_kling_lip_sync_fail_input_error   (GstKlingLipSync *self,
                                                const GError *error);
gboolean gst_kling_lip_sync_submit_request     (GstKlingLipSync *self, Stage stage,
                                                KlingRequest *request);

/* gstklinglipsync-pads.c */
void     gst_kling_lip_sync_add_sink_templates (GstElementClass *element_class);
void     gst_kling_lip_sync_add_audio_pad      (GstKlingLipSync *self);
GstPad  *gst_kling_lip_sync_request_new_pad    (GstElement *element, GstPadTemplate *templ,
                                                const gchar *name, const GstCaps *caps);
void     gst_kling_lip_sync_release_pad        (GstElement *element, GstPad *pad);

/* gstklinglipsync-face.c */
void     gst_kling_lip_sync_start_identify_face (GstKlingLipSync *self,
                                                 const gchar *video_id,
                                                 const gchar *video_url);
gboolean gst_kling_lip_sync_retry_without_memo  (GstKlingLipSync *self,
                                                 const GError *error);
/* self->lock held (or the element is being finalized). */
void     gst_kling_lip_sync_forget_memo_in_use  (GstKlingLipSync *self);

/* gstklinglipsync-probe.c: the video's length first, then identify-face. */
void     gst_kling_lip_sync_probe_then_identify_face (GstKlingLipSync *self,
                                                      const gchar *video_url);

G_END_DECLS
