/* gst-kling: GstKlingHandOffQueue, work handed off to an element's own thread.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The client's shared worker thread must not run application code (a bus sync handler, a
 * notify handler): one slow application would hold up every element of the process. Its
 * callbacks push what they learnt here instead; the items run one after the other, in the
 * order they were pushed, on a thread of GStreamer's pool (gst_element_call_async()), so
 * one element's slow handler delays only that element. Items of a run that has ended are
 * dropped, not run.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _GstKlingHandOffQueue GstKlingHandOffQueue;

typedef void     (*GstKlingHandOffFunc)    (GstElement *element, gpointer data);
/* Whether work of @run is still wanted; called without the queue's lock. */
typedef gboolean (*GstKlingHandOffCurrent) (GstElement *element, guint run);

/* A queue for @element (not referenced: the element owns the queue). */
GstKlingHandOffQueue *gst_kling_hand_off_queue_new  (GstElement *element,
                                                     GstKlingHandOffCurrent current);
/* Frees what was never run (their notify is called); no item may be running. */
void                  gst_kling_hand_off_queue_free (GstKlingHandOffQueue *queue);

/* Queues @func (@element, @data) for @run; @notify (may be NULL) frees @data, after the
 * call or instead of it. Any thread; never blocks. */
void                  gst_kling_hand_off_queue_push (GstKlingHandOffQueue *queue, guint run,
                                                     GstKlingHandOffFunc func, gpointer data,
                                                     GDestroyNotify notify);

G_END_DECLS
