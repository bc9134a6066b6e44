/* gst-kling: klinglipsync's inputs: the audio pad (the voice, collected to EOS) and the
 * image request pad (a still, rendered with image2video before the lip-sync).
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/video/video.h>

#include "gstklinglipsync-private.h"

#define GST_CAT_DEFAULT gst_kling_lip_sync_debug

static GstStaticPadTemplate audio_template = GST_STATIC_PAD_TEMPLATE ("audio",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_KLING_AUDIO_CAPS));

static GstStaticPadTemplate image_template = GST_STATIC_PAD_TEMPLATE ("image",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("image/jpeg; image/png; "
        GST_VIDEO_CAPS_MAKE (GST_VIDEO_FORMATS_ALL)));

static GstFlowReturn gst_kling_lip_sync_audio_chain (GstPad * pad,
    GstObject * parent, GstBuffer * buffer);
static gboolean gst_kling_lip_sync_audio_event (GstPad * pad,
    GstObject * parent, GstEvent * event);
static GstFlowReturn gst_kling_lip_sync_image_chain (GstPad * pad,
    GstObject * parent, GstBuffer * buffer);
static gboolean gst_kling_lip_sync_image_event (GstPad * pad,
    GstObject * parent, GstEvent * event);

void
gst_kling_lip_sync_add_sink_templates (GstElementClass * element_class)
{
  gst_element_class_add_static_pad_template (element_class, &audio_template);
  gst_element_class_add_static_pad_template (element_class, &image_template);
}

static GstPad *
new_sink_pad (GstPadTemplate * templ, const gchar * name,
    GstPadChainFunction chain, GstPadEventFunction event)
{
  GstPad *pad = gst_pad_new_from_template (templ, name);

  gst_pad_set_chain_function (pad, chain);
  gst_pad_set_event_function (pad, event);
  gst_pad_set_query_function (pad,
      GST_DEBUG_FUNCPTR (gst_kling_render_sink_query));
  GST_PAD_SET_ACCEPT_TEMPLATE (pad);
  return pad;
}

void
gst_kling_lip_sync_add_audio_pad (GstKlingLipSync * self)
{
  GstPadTemplate *templ = gst_static_pad_template_get (&audio_template);

  self->audio_pad = new_sink_pad (templ, "audio",
      GST_DEBUG_FUNCPTR (gst_kling_lip_sync_audio_chain),
      GST_DEBUG_FUNCPTR (gst_kling_lip_sync_audio_event));
  gst_object_unref (templ);
  gst_element_add_pad (GST_ELEMENT (self), self->audio_pad);
}

/* ------------------------------------------------------------------------- */
/* The audio pad                                                             */

static GstFlowReturn
gst_kling_lip_sync_audio_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buffer)
{
  GstKlingLipSync *self = GST_KLING_LIP_SYNC (parent);
  g_autoptr (GError) error = NULL;
  gboolean ok;

  if (self->audio_done) {
    gst_buffer_unref (buffer);
    return GST_FLOW_EOS;
  }
  ok = gst_kling_audio_collector_push (self->collector, buffer, &error);
  gst_buffer_unref (buffer);
  if (!ok) {
    self->audio_done = TRUE;
    gst_kling_lip_sync_fail_input_error (self, error);
    return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

/* EOS: the voice is complete; it is checked, then the run may start. */
static void
finish_audio (GstKlingLipSync * self)
{
  g_autoptr (GError) error = NULL;
  KlingAudioFormat format;
  gdouble duration_s;
  GBytes *voice;

  voice = gst_kling_audio_collector_finish (self->collector, &format,
      &duration_s, &error);
  if (!voice) {
    gst_kling_lip_sync_fail_input_error (self, error);
    return;
  }
  GST_INFO_OBJECT (self, "voice: %.2f s of %s, %" G_GSIZE_FORMAT " bytes",
      duration_s, kling_audio_format_to_string (format),
      g_bytes_get_size (voice));

  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->voice, g_bytes_unref);
  self->voice = voice;
  g_mutex_unlock (&self->lock);
  gst_kling_lip_sync_maybe_start (self);
}

static gboolean
gst_kling_lip_sync_audio_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstKlingLipSync *self = GST_KLING_LIP_SYNC (parent);
  g_autoptr (GError) error = NULL;
  gboolean ret = TRUE;
  GstCaps *caps;

  /* Nothing from upstream goes downstream: the source pads push the clip's own
   * stream-start, caps, segment and EOS. */
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:
      gst_event_parse_caps (event, &caps);
      if (!self->audio_done
          && !gst_kling_audio_collector_set_caps (self->collector, caps,
              &error)) {
        self->audio_done = TRUE;
        gst_kling_lip_sync_fail_input_error (self, error);
        ret = FALSE;
      }
      break;
    case GST_EVENT_SEGMENT:{
      const GstSegment *segment;

      gst_event_parse_segment (event, &segment);
      gst_kling_audio_collector_set_segment (self->collector, segment);
      break;
    }
    case GST_EVENT_EOS:
      if (!self->audio_done) {
        self->audio_done = TRUE;
        finish_audio (self);
      }
      break;
    case GST_EVENT_FLUSH_STOP:
      /* Upstream started over (a seek): what came before is not the voice. */
      if (!self->audio_done)
        gst_kling_audio_collector_reset (self->collector);
      break;
    default:
      break;
  }
  GST_LOG_OBJECT (pad, "consumed %" GST_PTR_FORMAT, event);
  gst_event_unref (event);
  return ret;
}

/* ------------------------------------------------------------------------- */
/* The image request pad                                                     */

GstPad *
gst_kling_lip_sync_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps)
{
  GstKlingLipSync *self = GST_KLING_LIP_SYNC (element);
  GstPad *pad;

  GST_OBJECT_LOCK (self);
  if (self->image_pad || GST_STATE (self) > GST_STATE_READY) {
    GST_OBJECT_UNLOCK (self);
    GST_WARNING_OBJECT (self,
        "the image pad is requested once, before the element " "leaves READY");
    return NULL;
  }
  GST_OBJECT_UNLOCK (self);

  pad = new_sink_pad (templ, "image",
      GST_DEBUG_FUNCPTR (gst_kling_lip_sync_image_chain),
      GST_DEBUG_FUNCPTR (gst_kling_lip_sync_image_event));
  GST_OBJECT_LOCK (self);
  self->image_pad = pad;
  GST_OBJECT_UNLOCK (self);
  gst_element_add_pad (element, pad);
  return pad;
}

void
gst_kling_lip_sync_release_pad (GstElement * element, GstPad * pad)
{
  GstKlingLipSync *self = GST_KLING_LIP_SYNC (element);

  GST_OBJECT_LOCK (self);
  if (pad == self->image_pad)
    self->image_pad = NULL;
  GST_OBJECT_UNLOCK (self);
  gst_element_remove_pad (element, pad);
}

static GstFlowReturn
gst_kling_lip_sync_image_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buffer)
{
  GstKlingLipSync *self = GST_KLING_LIP_SYNC (parent);
  GBytes *still;

  if (self->got_still) {
    gst_buffer_unref (buffer);
    return GST_FLOW_EOS;        /* only the first buffer is the still */
  }
  self->got_still = TRUE;

  still = gst_kling_render_capture_still (GST_KLING_RENDER (self), pad, buffer,
      GST_KLING_STILL_FIRST_FRAME);
  gst_buffer_unref (buffer);
  if (!still)
    return GST_FLOW_ERROR;

  GST_INFO_OBJECT (self, "still of %" G_GSIZE_FORMAT " bytes captured",
      g_bytes_get_size (still));
  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->still, g_bytes_unref);
  self->still = still;
  g_mutex_unlock (&self->lock);
  gst_kling_lip_sync_maybe_start (self);
  return GST_FLOW_EOS;
}

static gboolean
gst_kling_lip_sync_image_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstKlingLipSync *self = GST_KLING_LIP_SYNC (parent);

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && !self->got_still) {
    self->got_still = TRUE;
    gst_kling_render_fail_input (GST_KLING_RENDER (self),
        "No image reached klinglipsync: the image input ended before its first "
        "buffer.", "EOS on the image pad before any buffer");
  }
  GST_LOG_OBJECT (pad, "consumed %" GST_PTR_FORMAT, event);
  gst_event_unref (event);
  return TRUE;
}
