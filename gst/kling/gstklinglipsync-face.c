/* gst-kling: klinglipsync's advanced method: identify-face, the face session remembered
 * in the cache directory, and the advanced-lip-sync request with its insert window.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "gstklinglipsync-private.h"

#define GST_CAT_DEFAULT gst_kling_lip_sync_debug

void
gst_kling_lip_sync_forget_memo_in_use (GstKlingLipSync * self)
{
  g_clear_pointer (&self->memo_in_use, g_free);
  g_clear_pointer (&self->memo_video_id, g_free);
  g_clear_pointer (&self->memo_video_url, g_free);
}

typedef struct
{
  GstKlingLipSync *self;
  GCancellable *cancellable;
  gchar *memo_path;             /* where to remember the session; NULL: no cache */
  JsonNode *data;               /* the answer, once it came */
  GError *error;
} FaceCall;

static void
face_call_free (gpointer data)
{
  FaceCall *call = data;

  gst_object_unref (call->self);
  g_object_unref (call->cancellable);
  g_free (call->memo_path);
  g_clear_pointer (&call->data, json_node_unref);
  g_clear_error (&call->error);
  g_free (call);
}

/* Advanced lip-sync and the cache: identify-face is a call, not a task, and each call
 * opens a new session whose id is part of the advanced-lip-sync body, so of its cache
 * key. For a rerun to find its clip (or its task in flight) instead of paying again, the
 * session found for a video is remembered in the cache directory for a while: well
 * within the time Kling keeps sessions. */
#define FACE_SESSION_MEMO_TTL_S (60 * 60)

/* <cache-dir>/face-sessions/<sha256 of the server and the video id or URL>.json, or
 * NULL when the element has no cache (cache-dir "" or cache-mode off). The default directory follows the
 * base's; sessions of one server are never offered to another. */
static gchar *
face_memo_path (GstKlingLipSync * self, const gchar * video_id,
    const gchar * video_url)
{
  g_autofree gchar *cache_dir = NULL, *api_url = NULL, *key = NULL, *name =
      NULL;
  g_autofree gchar *source = NULL;
  GstKlingCacheMode cache_mode;

  g_object_get (self, "cache-dir", &cache_dir, "api-url", &api_url,
      "cache-mode", &cache_mode, NULL);
  source = g_strconcat (api_url ? api_url : "", video_id ? " id:" : " url:",
      video_id ? video_id : video_url, NULL);
  if ((cache_dir && !*cache_dir) || cache_mode == GST_KLING_CACHE_MODE_OFF)
    return NULL;
  if (!cache_dir)
    cache_dir = g_build_filename (g_get_user_cache_dir (), "gst-kling", NULL);
  key = g_compute_checksum_for_string (G_CHECKSUM_SHA256, source, -1);
  name = g_strconcat (key, ".json", NULL);
  return g_build_filename (cache_dir, "face-sessions", name, NULL);
}

/* The session remembered at @path, when it is young enough; NULL otherwise. */
static KlingFaceSession *
face_memo_load (const gchar * path)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *memo;
  gint64 saved_at;

  if (!path || !json_parser_load_from_mapped_file (parser, path, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  memo = json_node_get_object (json_parser_get_root (parser));
  saved_at = json_object_get_int_member_with_default (memo, "saved_at", 0);
  if (g_get_real_time () / G_USEC_PER_SEC - saved_at > FACE_SESSION_MEMO_TTL_S
      || !json_object_has_member (memo, "data"))
    return NULL;
  return kling_face_session_new_from_json (json_object_get_member (memo,
          "data"), NULL);
}

/* Best effort: a session that cannot be remembered only costs a new one next time. */
static void
face_memo_save (const gchar * path, JsonNode * data)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree gchar *dir = g_path_get_dirname (path), *text = NULL;
  g_autoptr (GError) error = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "saved_at");
  json_builder_add_int_value (builder, g_get_real_time () / G_USEC_PER_SEC);
  json_builder_set_member_name (builder, "data");
  json_builder_add_value (builder, json_node_copy (data));
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  if (g_mkdir_with_parents (dir, 0700) != 0
      || !g_file_set_contents (path, text, -1, &error))
    GST_WARNING ("cannot remember the face session in %s: %s", path,
        error ? error->message : g_strerror (errno));
}

/* The insert window. identify-face overstates when a face stops being visible (Kling's
 * own example gives 5200 ms for a 5 s video), and Kling refuses a sound that would end
 * after the video: the window is bounded by the video's real length
 * (kling_lip_sync_face_window_ms() with self->video_duration_s), known when the element
 * made the clip itself (the image pad: the length read from the MP4 it downloaded, else
 * the task's video_duration_s) or read from a video-url's file (gstklinglipsync-probe.c).
 * A source-video-id gives no length (nor a URL the probe cannot read): the api then
 * assumes the video ends at end_time rounded down to a whole second (Kling renders whole
 * seconds and overstates by a fraction of one), and the element says so on the bus,
 * since a video of another length may lose up to a second of face. */
static gdouble
run_video_duration_s (GstKlingLipSync * self)
{
  gdouble duration_s;

  g_mutex_lock (&self->lock);
  duration_s = self->video_duration_s;
  g_mutex_unlock (&self->lock);
  if (duration_s <= 0)
    GST_ELEMENT_INFO (self, RESOURCE, SETTINGS,
        ("The video's length is not known: "
            "the voice is cut where identify-face says the face ends, rounded down to "
            "a whole second."),
        ("no video_duration_s for the advanced lip-sync of a "
            "video given by id or URL; the element knows it only for clips it made"));
  return duration_s;
}

/* Advanced, second step: the first face found gets the voice. */
static void
submit_advanced (GstKlingLipSync * self, const KlingFaceSession * session)
{
  g_autoptr (GstKlingRenderSettings) settings =
      gst_kling_render_dup_settings (GST_KLING_RENDER (self));
  KlingAdvancedLipSyncParams params = { 0, };
  g_autoptr (GError) error = NULL;
  KlingRequest *request;

  params.session_id = session->session_id;
  params.face = g_ptr_array_index (session->faces, 0);
  params.sound_volume = KLING_SOUND_VOLUME_DEFAULT;
  params.original_audio_volume = KLING_SOUND_VOLUME_DEFAULT;
  params.callback_url = settings->callback_url;
  params.video_duration_s = run_video_duration_s (self);
  GST_INFO_OBJECT (self, "session %s: %u face(s), animating face %s (%"
      G_GINT64_FORMAT "-%" G_GINT64_FORMAT " ms), video of %.3f s (0: unknown)",
      session->session_id, session->faces->len, params.face->face_id,
      params.face->start_time_ms, params.face->end_time_ms,
      params.video_duration_s);

  g_mutex_lock (&self->lock);
  params.sound = self->voice;
  request = kling_advanced_lip_sync_request_new (&params, &error);
  g_mutex_unlock (&self->lock);

  if (!request)
    gst_kling_render_post_error (GST_KLING_RENDER (self), error);
  else
    gst_kling_lip_sync_submit_request (self, STAGE_LIP_SYNC, request);
}

/* The element's own thread (handed off): the session found is remembered, then the
 * advanced request goes out. */
static void
identify_face_finished (GstKlingRender * render, gpointer data)
{
  FaceCall *call = data;
  GstKlingLipSync *self = call->self;
  g_autoptr (KlingFaceSession) session = NULL;
  g_autoptr (GError) parse_error = NULL;

  if (g_cancellable_is_cancelled (call->cancellable)
      || g_error_matches (call->error, KLING_ERROR, KLING_ERROR_CANCELLED)) {
    GST_DEBUG_OBJECT (self, "identify-face cancelled");
  } else if (call->error) {
    /* The run's job is not this call: say which endpoint failed. */
    if (!kling_error_get_endpoint (call->error))
      kling_error_set_endpoint (call->error,
          kling_endpoint_path (KLING_ENDPOINT_IDENTIFY_FACE));
    gst_kling_render_post_error (render, call->error);
  } else if (!(session = kling_face_session_new_from_json (call->data,
              &parse_error))) {
    gst_kling_render_post_error (render, parse_error);
  } else {
    if (call->memo_path)
      face_memo_save (call->memo_path, call->data);
    submit_advanced (self, session);
  }
}

/* The client's worker thread: a retry of identify-face waits; the base copies and hands
 * it off. */
static void
identify_face_waiting (KlingWaitReason reason, guint delay_ms, guint attempt,
    const GError * cause, gpointer user_data)
{
  FaceCall *call = user_data;

  gst_kling_render_report_waiting (GST_KLING_RENDER (call->self),
      KLING_ENDPOINT_IDENTIFY_FACE, reason, delay_ms, attempt, cause);
}

/* The client's worker thread: nothing but a copy and a hand-off (no file I/O, no
 * message, no next request here). */
static void
identify_face_done (JsonNode * data, const GError * error, gpointer user_data)
{
  FaceCall *call = user_data;

  call->data = data ? json_node_copy (data) : NULL;
  call->error = error ? g_error_copy (error) : NULL;
  gst_kling_render_hand_off (GST_KLING_RENDER (call->self),
      identify_face_finished, call, face_call_free);
}

/* Advanced, first step. */
void
gst_kling_lip_sync_start_identify_face (GstKlingLipSync * self,
    const gchar * video_id, const gchar * video_url)
{
  KlingClient *client;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *memo_path = face_memo_path (self, video_id, video_url);
  g_autoptr (KlingFaceSession) remembered = face_memo_load (memo_path);
  JsonNode *body;
  FaceCall *call;

  if (remembered) {
    GST_INFO_OBJECT (self, "reusing face session %s from %s",
        remembered->session_id, memo_path);
    g_mutex_lock (&self->lock);
    gst_kling_lip_sync_forget_memo_in_use (self);
    self->memo_in_use = g_steal_pointer (&memo_path);
    self->memo_video_id = g_strdup (video_id);
    self->memo_video_url = g_strdup (video_url);
    g_mutex_unlock (&self->lock);
    submit_advanced (self, remembered);
    return;
  }
  client = gst_kling_render_dup_client (GST_KLING_RENDER (self));
  if (!client)
    return;                     /* shutting down */
  body = kling_identify_face_body_new (video_id, video_url, &error);
  if (!body) {
    gst_kling_render_post_error (GST_KLING_RENDER (self), error);
    kling_client_unref (client);
    return;
  }

  call = g_new0 (FaceCall, 1);
  call->self = gst_object_ref (self);
  call->memo_path = g_steal_pointer (&memo_path);
  g_mutex_lock (&self->lock);
  self->stage = STAGE_IDENTIFY_FACE;
  call->cancellable = g_object_ref (self->cancellable);
  g_mutex_unlock (&self->lock);

  GST_INFO_OBJECT (self, "identify-face on %s",
      video_id ? video_id : video_url);
  gst_kling_render_post_step (GST_KLING_RENDER (self), "kling-identify-face",
      "Looking for the face to animate");
  kling_client_call_full (client, KLING_ENDPOINT_IDENTIFY_FACE, body,
      call->cancellable, identify_face_waiting, identify_face_done, call);
  json_node_unref (body);
  kling_client_unref (client);
}


/* Kling refused an advanced request made with a remembered face session (it expired,
 * or the server forgot it): forget it and ask identify-face again, once. A refused
 * create costs nothing. TRUE when a new attempt started. */
gboolean
gst_kling_lip_sync_retry_without_memo (GstKlingLipSync * self,
    const GError * error)
{
  g_autofree gchar *memo = NULL, *video_id = NULL, *video_url = NULL;

  g_mutex_lock (&self->lock);
  memo = g_steal_pointer (&self->memo_in_use);
  video_id = g_steal_pointer (&self->memo_video_id);
  video_url = g_steal_pointer (&self->memo_video_url);
  g_mutex_unlock (&self->lock);

  if (!memo || !g_error_matches (error, KLING_ERROR, KLING_ERROR_INVALID_INPUT))
    return FALSE;
  GST_INFO_OBJECT (self, "the remembered face session was refused (%s); asking "
      "identify-face again", error->message);
  g_unlink (memo);
  gst_kling_lip_sync_start_identify_face (self, video_id, video_url);
  return TRUE;
}
