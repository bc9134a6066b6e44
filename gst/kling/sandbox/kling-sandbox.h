/* kling-sandbox: an offline, Kling-compatible server for the demo, the tests and the
 * benchmarks. It speaks the API of the contract in docs/kling-api.md on 127.0.0.1, renders
 * real MP4s with GStreamer and lets tests inject faults and read counters. See README.md
 * next to this file.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _KlingSandbox KlingSandbox;

typedef struct {
  const gchar *access_key;   /* JWT issuer accepted (with secret_key); NULL: no JWT */
  const gchar *secret_key;
  const gchar *api_key;      /* static key (Bearer and X-API-Key); NULL: none */
  gdouble queue_delay_s;     /* submitted -> processing; default 1.0 */
  gdouble render_delay_s;    /* processing -> succeed, at least the render time; default 3.0 */
  guint max_parallel;        /* tasks in flight per account, 0 = unlimited; default 0 */
  guint rate_limit_per_min;  /* creates per minute, 0 = unlimited; default 0 */
  gdouble video_scale;       /* 1.0 = real 1280x720 / 1920x1080; default 1.0 */
  guint url_ttl_s;           /* result URL lifetime; default 3600 */
  gboolean control;          /* enable /sandbox/...; default FALSE */
  gboolean accept_any_model; /* take retired and unknown model names as before their
                              * retirement (for old tests); default FALSE: 404 / 1203 */
  guint port;                /* 0 = any free port */
  /* A PEM file holding a certificate and its private key (a self-signed one will do):
   * serve HTTPS with it, the base URL is then "https://127.0.0.1:N". NULL: plain HTTP. */
  const gchar *tls_certificate_file;
} KlingSandboxOptions;

/* Fills @options with the defaults above. */
void          kling_sandbox_options_init (KlingSandboxOptions *options);

/* Starts serving on 127.0.0.1 on its own thread + GMainContext; returns when listening.
 * The strings in @options are copied. With neither access_key/secret_key nor api_key
 * every request is accepted without credentials. */
KlingSandbox *kling_sandbox_start (const KlingSandboxOptions *options, GError **error);

/* "http://127.0.0.1:N", or "https://..." with tls_certificate_file. */
const gchar  *kling_sandbox_get_base_url (KlingSandbox *sandbox);

/* Stops, joins the thread, removes every temporary file. NULL is allowed. */
void          kling_sandbox_stop (KlingSandbox *sandbox);

/* The same as POST /sandbox/faults and GET /sandbox/counters, for C tests (work even
 * when options.control is FALSE). */
gboolean      kling_sandbox_add_fault_json (KlingSandbox *sandbox, const gchar *rule_json,
                                            GError **error);
gchar        *kling_sandbox_dup_counters_json (KlingSandbox *sandbox);
/* One number of those counters: counters[@group][@name], or counters[@name] when @group
 * is NULL ("downloads", "peak_parallel", ...); 0 when it was never counted. */
gint64        kling_sandbox_get_counter (KlingSandbox *sandbox, const gchar *group,
                                         const gchar *name);

/* Clears counters and faults; tasks and results stay. */
void          kling_sandbox_reset (KlingSandbox *sandbox);

/* Removes every fault rule (DELETE /sandbox/faults); counters stay. */
void          kling_sandbox_clear_faults (KlingSandbox *sandbox);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KlingSandbox, kling_sandbox_stop)

G_END_DECLS
