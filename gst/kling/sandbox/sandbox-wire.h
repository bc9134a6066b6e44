/* kling-sandbox: answers written by hand on a connection taken from libsoup, for the
 * faults libsoup would never produce: bodies cut short, framed wrongly, dripped, endless,
 * or no answer at all until a bound (not installed). */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* No body is longer than this, and no connection is held longer than that, whatever a
 * rule asks: every fault ends on its own. */
#define SANDBOX_WIRE_MAX_BYTES    (G_GUINT64_CONSTANT (2) * 1024 * 1024 * 1024)
#define SANDBOX_WIRE_MAX_SECONDS  600.0
#define SANDBOX_WIRE_DEFAULT_SECONDS 120.0

typedef struct _KlingSandbox KlingSandbox;

/* What to write: the head, then a body of @prefix, @filler_len copies of @filler and
 * @suffix, stopping after @cut_after body bytes; then the connection is closed. */
typedef struct {
  GBytes *head;                 /* status line and headers, "\r\n\r\n" included */
  GBytes *prefix;               /* may be NULL */
  guint8 filler;
  guint64 filler_len;
  GBytes *suffix;               /* may be NULL */
  guint64 cut_after;            /* G_MAXUINT64: the whole body */
  gboolean chunked;             /* frame the body in chunks, ended by a last chunk
                                 * unless it is cut */
  guint bytes_per_second;       /* 0: as fast as the client reads */
  gdouble max_seconds;          /* then close, whatever is left; 0: the default */
  gboolean hold;                /* write nothing: hold the connection until the bound
                                 * or until the client hangs up */
} SandboxWirePlan;

/* Takes the connection of @msg from libsoup and carries out @plan on it (its bytes are
 * taken). Runs on the server thread's context; every step is bounded. */
void      sandbox_wire_start (KlingSandbox *sandbox, SoupServerMessage *msg,
                              SandboxWirePlan *plan);
/* Closes @msg's connection at once, with nothing written: a dropped request. */
void      sandbox_wire_drop (KlingSandbox *sandbox, SoupServerMessage *msg);
/* Connections being written or held now (for tests). */
guint     sandbox_wire_count (KlingSandbox *sandbox);
/* At stop, on the server thread: ends every connection, and waits (briefly) until
 * their pending I/O has returned. */
void      sandbox_wire_shutdown (KlingSandbox *sandbox);

G_END_DECLS
