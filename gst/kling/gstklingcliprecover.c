/* gst-kling: what the clip output does when a clip still downloading fails a read.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A growing clip (gstklingclipdownload.c) can start over from byte 0, fail for good, or
 * give bytes that do not decode and later fail the download's check. The pad tasks
 * (gstklingcliptask.c) hand such errors here: the clip is decoded again (each stream drops
 * what it pushed already), decoded again once its download is verified, or left to the
 * element's error. See docs/design.md, "The first frame while the clip downloads". The lock
 * rules are in gstklingclipoutput.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstklingclipoutput-private.h"

#define GST_CAT_DEFAULT kling_clip_output_debug

/* No lock held. The bytes @decoder read are void (the clip's download started over, or
 * they failed to decode before the download was verified): the clip is decoded again
 * from its start, and each stream drops what it already pushed (the same URL serves the
 * same clip, so the same samples come again). */
static void
decode_again (GstKlingClipOutput * self, GstKlingClipDecoder * decoder)
{
  GstKlingClipDecoder *drop = NULL;
  guint i;

  g_mutex_lock (&self->lock);
  if (decoder && decoder == self->decoder) {
    drop = g_steal_pointer (&self->decoder);
    self->decoder_state = DECODER_NONE;
    for (i = 0; i < self->n_streams; i++)
      if (GST_CLOCK_TIME_IS_VALID (self->streams[i].last_pts))
        self->streams[i].resume_after = self->streams[i].last_pts;
  }
  clip_output_wake_tasks (self);
  g_mutex_unlock (&self->lock);
  if (drop) {
    gst_kling_clip_decoder_cancel (drop);
    gst_kling_clip_decoder_unref (drop);
  }
}

/* No lock held. The errors of a reader of a clip still downloading (gstklingclip.h): a
 * restart decodes the clip again; a clip that will never be whole waits, silent, for the
 * element's error (the job's, which says why) or the stop. @decoder: the one that failed,
 * NULL while it was starting (the next step starts another). TRUE when @error was one of
 * them. */
gboolean
clip_output_handle_reader_error (GstKlingClipOutput * self,
    GstKlingClipDecoder * decoder, const GError * error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return TRUE;
  if (error->domain != GST_KLING_CLIP_ERROR)
    return FALSE;

  GST_INFO_OBJECT (self, "%s", error->message);
  if (error->code == GST_KLING_CLIP_ERROR_RESTARTED) {
    decode_again (self, decoder);
    return TRUE;
  }
  g_mutex_lock (&self->lock);
  self->clip_void = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* No lock held. A decode error on the bytes of a clip that was not whole when @decoder
 * (NULL: one that failed to start) began: they may be those of a download that fails its
 * check and starts over. This task waits for the download's verdict: a whole clip is
 * decoded again, a void one waits for the element's error. TRUE when it took @error
 * over; FALSE when the error is the clip's own. */
gboolean
clip_output_decode_when_whole (GstKlingClipOutput * self,
    GstKlingClipDecoder * decoder, gboolean began_whole, const GError * error)
{
  GstKlingClip *clip = NULL;
  GCancellable *cancellable;
  GError *wait_error = NULL;

  if (began_whole)
    return FALSE;
  g_mutex_lock (&self->lock);
  if (self->current < self->entries->len)
    clip = gst_kling_clip_ref (((Entry *) g_ptr_array_index (self->entries,
                self->current))->clip);
  cancellable = g_object_ref (self->cancellable);
  g_mutex_unlock (&self->lock);
  if (!clip) {
    g_object_unref (cancellable);
    return FALSE;
  }

  GST_INFO_OBJECT (self, "decoding the clip as it downloads failed (%s): "
      "waiting for the verified file", error->message);
  if (gst_kling_clip_wait_whole (clip, TRUE, cancellable, &wait_error))
    decode_again (self, decoder);
  else
    clip_output_handle_reader_error (self, decoder, wait_error);
  g_clear_error (&wait_error);
  gst_kling_clip_unref (clip);
  g_object_unref (cancellable);
  return TRUE;
}
