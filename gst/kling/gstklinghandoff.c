/* gst-kling: GstKlingHandOffQueue, work handed off to an element's own thread.
 *
 * Copyright (C) 2026 the gst-kling authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * queue->lock guards the items and the draining flag; it is never held while an item runs.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstklinghandoff.h"

struct _GstKlingHandOffQueue
{
  GstElement *element;
  GstKlingHandOffCurrent current;
  GMutex lock;
  GQueue items;
  gboolean draining;            /* a gst_element_call_async() is running them */
};

typedef struct
{
  GstKlingHandOffFunc func;
  gpointer data;
  GDestroyNotify notify;
  guint run;
} Item;

static void
item_free (gpointer data)
{
  Item *item = data;

  if (item->notify)
    item->notify (item->data);
  g_free (item);
}

GstKlingHandOffQueue *
gst_kling_hand_off_queue_new (GstElement * element,
    GstKlingHandOffCurrent current)
{
  GstKlingHandOffQueue *queue = g_new0 (GstKlingHandOffQueue, 1);

  queue->element = element;
  queue->current = current;
  g_mutex_init (&queue->lock);
  g_queue_init (&queue->items);
  return queue;
}

void
gst_kling_hand_off_queue_free (GstKlingHandOffQueue * queue)
{
  if (!queue)
    return;
  g_queue_clear_full (&queue->items, item_free);
  g_mutex_clear (&queue->lock);
  g_free (queue);
}

/* A thread of GStreamer's pool; gst_element_call_async() holds a reference to the
 * element (and so to the queue) until this returns. */
static void
drain (GstElement * element, gpointer user_data)
{
  GstKlingHandOffQueue *queue = user_data;

  for (;;) {
    Item *item;

    g_mutex_lock (&queue->lock);
    item = g_queue_pop_head (&queue->items);
    if (!item)
      queue->draining = FALSE;
    g_mutex_unlock (&queue->lock);
    if (!item)
      return;
    if (queue->current (element, item->run))
      item->func (element, item->data);
    item_free (item);
  }
}

void
gst_kling_hand_off_queue_push (GstKlingHandOffQueue * queue, guint run,
    GstKlingHandOffFunc func, gpointer data, GDestroyNotify notify)
{
  Item *item = g_new0 (Item, 1);
  gboolean start;

  item->func = func;
  item->data = data;
  item->notify = notify;
  item->run = run;
  g_mutex_lock (&queue->lock);
  g_queue_push_tail (&queue->items, item);
  start = !queue->draining;
  queue->draining = TRUE;
  g_mutex_unlock (&queue->lock);
  if (start)
    gst_element_call_async (queue->element, drain, queue, NULL);
}
