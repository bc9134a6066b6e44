/* kling-sandbox: answers written by hand on a stolen connection (see sandbox-wire.h).
 *
 * One SandboxWire per connection, on the server thread. It writes one slice at a time
 * with an async write (so a slow reader only slows the wire down), waits between slices
 * when it is throttled, and ends at the end of its plan, at its time bound (a timer, so
 * a client that stops reading cannot hold it), when the client hangs up or when the
 * sandbox stops. Only one I/O is pending at a time: whoever
 * ends the wire while it is pending cancels it, and the completion frees it.
 */
#include "sandbox-wire.h"
#include "sandbox-private.h"

#include <string.h>

/* Slices of the body when the client reads as fast as it can. */
#define SLICE_BYTES     (64 * 1024)
/* A throttled wire writes about ten slices a second. */
#define THROTTLE_TICKS_PER_SECOND 10

typedef struct
{
  KlingSandbox *sandbox;
  GIOStream *stream;
  SandboxWirePlan plan;
  guint64 total;                /* body bytes in the plan, at most the cap */
  gboolean capped;              /* the plan is longer than the cap (an endless body) */
  guint64 sent;                 /* body bytes written */
  guint64 writing;              /* body bytes in the pending write */
  gboolean head_sent, last_chunk_sent;
  GCancellable *cancellable;
  guint deadline_timer;         /* ends the wire at its bound, even mid-write */
  guint pace_timer;             /* a throttled wire's wait between slices */
  gboolean busy;                /* an async write or read is pending */
  gboolean finished;
  GByteArray *slice;
  guint8 read_buffer[4096];
} SandboxWire;

static void wire_next (SandboxWire * wire);

static gsize
bytes_size (GBytes * bytes)
{
  return bytes ? g_bytes_get_size (bytes) : 0;
}

static void
plan_clear (SandboxWirePlan * plan)
{
  g_clear_pointer (&plan->head, g_bytes_unref);
  g_clear_pointer (&plan->prefix, g_bytes_unref);
  g_clear_pointer (&plan->suffix, g_bytes_unref);
}

static void
wire_free (SandboxWire * wire)
{
  g_hash_table_remove (wire->sandbox->wires, wire);
  sandbox_count_add (wire->sandbox, &wire->sandbox->connections_held, -1);
  /* A socket closes at once; what the client has not read yet is lost, as intended. */
  g_io_stream_close (wire->stream, NULL, NULL);
  g_object_unref (wire->stream);
  g_object_unref (wire->cancellable);
  g_byte_array_unref (wire->slice);
  plan_clear (&wire->plan);
  g_free (wire);
}

static void
remove_timer (SandboxWire * wire, guint * timer)
{
  GSource *source =
      *timer ? g_main_context_find_source_by_id (wire->sandbox->context,
      *timer) : NULL;

  if (source)
    g_source_destroy (source);
  *timer = 0;
}

static void
wire_finish (SandboxWire * wire)
{
  wire->finished = TRUE;
  remove_timer (wire, &wire->deadline_timer);
  remove_timer (wire, &wire->pace_timer);
  if (wire->busy)
    g_cancellable_cancel (wire->cancellable);   /* the completion frees it */
  else
    wire_free (wire);
}

static gboolean
deadline_reached (gpointer user_data)
{
  SandboxWire *wire = user_data;

  wire->deadline_timer = 0;
  wire_finish (wire);
  return G_SOURCE_REMOVE;
}

static gboolean
pace_done (gpointer user_data)
{
  SandboxWire *wire = user_data;

  wire->pace_timer = 0;
  wire_next (wire);
  return G_SOURCE_REMOVE;
}

/* The body byte at @offset: prefix, filler, suffix. Copies @n of them into @out. */
static void
copy_body (const SandboxWirePlan * plan, guint64 offset, guint8 * out, gsize n)
{
  gsize prefix_len = bytes_size (plan->prefix);
  const guint8 *prefix =
      plan->prefix ? g_bytes_get_data (plan->prefix, NULL) : NULL;
  const guint8 *suffix =
      plan->suffix ? g_bytes_get_data (plan->suffix, NULL) : NULL;

  while (n > 0) {
    gsize run;

    if (offset < prefix_len) {
      run = MIN (n, prefix_len - offset);
      memcpy (out, prefix + offset, run);
    } else if (offset - prefix_len < plan->filler_len) {
      run = (gsize) MIN ((guint64) n, plan->filler_len - (offset - prefix_len));
      memset (out, plan->filler, run);
    } else {
      guint64 at = offset - prefix_len - plan->filler_len;
      run = MIN (n, bytes_size (plan->suffix) - at);
      memcpy (out, suffix + at, run);
    }
    out += run;
    offset += run;
    n -= run;
  }
}

static void
write_done (GObject * source, GAsyncResult * result, gpointer user_data)
{
  SandboxWire *wire = user_data;
  gboolean ok =
      g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL,
      NULL);

  wire->busy = FALSE;
  wire->sent += wire->writing;
  wire->writing = 0;
  if (!ok || wire->finished) {
    wire_free (wire);           /* the client left, or the wire was ended meanwhile */
    return;
  }
  if (wire->plan.bytes_per_second > 0 && wire->head_sent
      && wire->sent < wire->total) {
    guint slice =
        MAX (1u, wire->plan.bytes_per_second / THROTTLE_TICKS_PER_SECOND);
    wire->pace_timer =
        sandbox_timeout_add (wire->sandbox,
        (gdouble) slice / wire->plan.bytes_per_second, pace_done, wire, NULL);
    return;
  }
  wire_next (wire);
}

static void
write_slice (SandboxWire * wire)
{
  wire->busy = TRUE;
  g_output_stream_write_all_async (g_io_stream_get_output_stream (wire->stream),
      wire->slice->data, wire->slice->len, G_PRIORITY_DEFAULT,
      wire->cancellable, write_done, wire);
}

/* The next body slice (chunk-framed when chunked), or FALSE when the body is done. */
static gboolean
fill_slice (SandboxWire * wire)
{
  guint64 limit = MIN (wire->total, wire->plan.cut_after);
  gsize n, max = wire->plan.bytes_per_second > 0 ? MAX (1u,
      wire->plan.bytes_per_second / THROTTLE_TICKS_PER_SECOND) : SLICE_BYTES;
  gchar size_line[32];

  g_byte_array_set_size (wire->slice, 0);
  if (wire->sent >= limit)
    return FALSE;
  n = (gsize) MIN ((guint64) max, limit - wire->sent);
  if (wire->plan.chunked) {
    g_snprintf (size_line, sizeof (size_line), "%" G_GSIZE_MODIFIER "x\r\n", n);
    g_byte_array_append (wire->slice, (const guint8 *) size_line,
        strlen (size_line));
  }
  g_byte_array_set_size (wire->slice, wire->slice->len + n);
  copy_body (&wire->plan, wire->sent, wire->slice->data + wire->slice->len - n,
      n);
  if (wire->plan.chunked)
    g_byte_array_append (wire->slice, (const guint8 *) "\r\n", 2);
  wire->writing = n;
  return TRUE;
}

static void
wire_next (SandboxWire * wire)
{
  if (fill_slice (wire)) {
    write_slice (wire);
  } else if (wire->plan.chunked && wire->sent >= wire->total && !wire->capped &&
      !wire->last_chunk_sent) {
    wire->last_chunk_sent = TRUE;
    g_byte_array_append (wire->slice, (const guint8 *) "0\r\n\r\n", 5);
    write_slice (wire);
  } else {
    wire_finish (wire);
  }
}

/* A held connection: anything the client sends is read and dropped; its hang-up (or an
 * error) ends the wire. */
static void
read_done (GObject * source, GAsyncResult * result, gpointer user_data)
{
  SandboxWire *wire = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  wire->busy = FALSE;
  if (n <= 0 || wire->finished) {
    wire_finish (wire);
    return;
  }
  wire->busy = TRUE;
  g_input_stream_read_async (G_INPUT_STREAM (source), wire->read_buffer,
      sizeof (wire->read_buffer), G_PRIORITY_DEFAULT, wire->cancellable,
      read_done, wire);
}

void
sandbox_wire_start (KlingSandbox * sandbox, SoupServerMessage * msg,
    SandboxWirePlan * plan)
{
  GIOStream *stream = soup_server_message_steal_connection (msg);
  SandboxWire *wire;
  gdouble seconds = plan->max_seconds > 0 ? MIN (plan->max_seconds,
      SANDBOX_WIRE_MAX_SECONDS) : SANDBOX_WIRE_DEFAULT_SECONDS;

  if (stream == NULL) {
    plan_clear (plan);
    return;
  }
  wire = g_new0 (SandboxWire, 1);
  wire->sandbox = sandbox;
  wire->stream = stream;
  wire->plan = *plan;
  memset (plan, 0, sizeof (*plan));
  wire->total = bytes_size (wire->plan.prefix) + bytes_size (wire->plan.suffix);
  wire->capped =
      wire->plan.filler_len > SANDBOX_WIRE_MAX_BYTES - MIN (wire->total,
      SANDBOX_WIRE_MAX_BYTES) || wire->total > SANDBOX_WIRE_MAX_BYTES;
  wire->total =
      wire->capped ? SANDBOX_WIRE_MAX_BYTES : wire->total +
      wire->plan.filler_len;
  wire->cancellable = g_cancellable_new ();
  wire->deadline_timer =
      sandbox_timeout_add (sandbox, seconds, deadline_reached, wire, NULL);
  wire->slice = g_byte_array_new ();
  g_hash_table_add (sandbox->wires, wire);
  sandbox_count_add (sandbox, &sandbox->connections_held, 1);

  if (wire->plan.hold) {
    wire->busy = TRUE;
    g_input_stream_read_async (g_io_stream_get_input_stream (stream),
        wire->read_buffer, sizeof (wire->read_buffer), G_PRIORITY_DEFAULT,
        wire->cancellable, read_done, wire);
    return;
  }
  wire->head_sent = TRUE;
  if (wire->plan.head)
    g_byte_array_append (wire->slice, g_bytes_get_data (wire->plan.head, NULL),
        g_bytes_get_size (wire->plan.head));
  if (wire->slice->len > 0)
    write_slice (wire);
  else
    wire_next (wire);
}

void
sandbox_wire_drop (KlingSandbox * sandbox, SoupServerMessage * msg)
{
  SandboxWirePlan plan = { 0, };

  sandbox_wire_start (sandbox, msg, &plan);
}

guint
sandbox_wire_count (KlingSandbox * sandbox)
{
  return g_hash_table_size (sandbox->wires);
}

void
sandbox_wire_shutdown (KlingSandbox * sandbox)
{
  g_autoptr (GList) wires = g_hash_table_get_keys (sandbox->wires);
  gint64 until = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;

  for (GList * l = wires; l; l = l->next)
    wire_finish (l->data);
  /* Cancelled I/O returns on the next iterations of this context. */
  while (g_hash_table_size (sandbox->wires) > 0
      && g_get_monotonic_time () < until) {
    if (!g_main_context_iteration (sandbox->context, FALSE))
      g_usleep (1000);
  }
  g_warn_if_fail (g_hash_table_size (sandbox->wires) == 0);
}
