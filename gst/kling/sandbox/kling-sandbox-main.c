/* kling-sandbox: the command-line front of the sandbox library. Prints its base URL as
 * the first line on stdout, serves until SIGTERM or SIGINT, then removes its files. */
#include "kling-sandbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib-unix.h>

static gboolean
quit_on_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

/* Option values that must not show in `ps` may come from the environment instead. */
static void
take_from_env (gchar ** value, const gchar * variable)
{
  const gchar *env = g_getenv (variable);

  if (*value == NULL && env != NULL && *env != '\0')
    *value = g_strdup (env);
}

int
main (int argc, char **argv)
{
  g_autofree gchar *access_key = NULL, *secret_key = NULL, *api_key = NULL;
  g_autofree gchar *tls_certificate = NULL;
  gdouble queue_delay = 1.0, render_delay = 3.0, video_scale = 1.0;
  gint port = 0, max_parallel = 0, rate_limit = 0, url_ttl = 3600;
  gboolean control = FALSE, accept_any_model = FALSE;
  const GOptionEntry entries[] = {
    {"port", 0, 0, G_OPTION_ARG_INT, &port,
        "TCP port on 127.0.0.1 (0: any free port; default 0)", "PORT"},
    {"tls-certificate", 0, 0, G_OPTION_ARG_FILENAME, &tls_certificate,
        "Serve HTTPS with the certificate and private key in this PEM file (a self-signed "
          "one will do; default: plain HTTP)", "PEM"},
    {"access-key", 0, 0, G_OPTION_ARG_STRING, &access_key,
        "Access key accepted as the JWT issuer (or KLING_ACCESS_KEY)", "AK"},
    {"secret-key", 0, 0, G_OPTION_ARG_STRING, &secret_key,
        "Secret key that signs the JWTs (or KLING_SECRET_KEY)", "SK"},
    {"api-key", 0, 0, G_OPTION_ARG_STRING, &api_key,
        "Static key accepted as 'Authorization: Bearer KEY' and 'X-API-Key: KEY' "
          "(or KLING_API_KEY)", "KEY"},
    {"queue-delay", 0, 0, G_OPTION_ARG_DOUBLE, &queue_delay,
        "Seconds a task stays 'submitted' (default 1.0)", "S"},
    {"render-delay", 0, 0, G_OPTION_ARG_DOUBLE, &render_delay,
          "Seconds a task stays 'processing', at least the render time (default 3.0)",
        "S"},
    {"max-parallel", 0, 0, G_OPTION_ARG_INT, &max_parallel,
          "Tasks in flight allowed at once, then 429/1303 (0: no limit; default 0)",
        "N"},
    {"rate-limit", 0, 0, G_OPTION_ARG_INT, &rate_limit,
          "Creates allowed per minute, then 429/1302 (0: no limit; default 0)",
        "N"},
    {"video-scale", 0, 0, G_OPTION_ARG_DOUBLE, &video_scale,
          "Factor on the 1280x720 (std) and 1920x1080 (pro) results (default 1.0)",
        "F"},
    {"url-ttl", 0, 0, G_OPTION_ARG_INT, &url_ttl,
        "Seconds a result URL stays valid, then 403 (default 3600)", "S"},
    {"control", 0, 0, G_OPTION_ARG_NONE, &control,
          "Enable the test control API under /sandbox/ (faults, counters, reset)",
        NULL},
    {"accept-any-model", 0, 0, G_OPTION_ARG_NONE, &accept_any_model,
        "Take retired and unknown model_name values as before their retirement, "
          "unchecked (for old tests; default: 404/1203)", NULL},
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  KlingSandboxOptions options;
  KlingSandbox *sandbox;

  context = g_option_context_new ("- an offline, Kling-compatible server");
  g_option_context_set_summary (context,
      "Serves the Kling video API on 127.0.0.1 for "
      "demos, tests and benchmarks: no account, no network.\nThe first line on stdout is "
      "the base URL (http://127.0.0.1:PORT). Stop it with SIGTERM or SIGINT.\nWithout "
      "keys every request is accepted.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("kling-sandbox: %s\n", error->message);
    return 2;
  }
  take_from_env (&access_key, "KLING_ACCESS_KEY");
  take_from_env (&secret_key, "KLING_SECRET_KEY");
  take_from_env (&api_key, "KLING_API_KEY");
  if (port < 0 || max_parallel < 0 || rate_limit < 0 || url_ttl < 1) {
    g_printerr
        ("kling-sandbox: --port, --max-parallel and --rate-limit must be >= 0, "
        "--url-ttl >= 1\n");
    return 2;
  }

  kling_sandbox_options_init (&options);
  options.access_key = access_key;
  options.secret_key = secret_key;
  options.api_key = api_key;
  options.queue_delay_s = queue_delay;
  options.render_delay_s = render_delay;
  options.max_parallel = max_parallel;
  options.rate_limit_per_min = rate_limit;
  options.video_scale = video_scale;
  options.url_ttl_s = url_ttl;
  options.control = control;
  options.accept_any_model = accept_any_model;
  options.port = port;
  options.tls_certificate_file = tls_certificate;

  /* Handlers first: a SIGTERM right after the URL is printed must still clean up. */
  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, quit_on_signal, loop);
  g_unix_signal_add (SIGINT, quit_on_signal, loop);

  sandbox = kling_sandbox_start (&options, &error);
  if (sandbox == NULL) {
    g_printerr ("kling-sandbox: %s\n", error->message);
    return 1;
  }
  printf ("%s\n", kling_sandbox_get_base_url (sandbox));
  fflush (stdout);
  g_main_loop_run (loop);

  kling_sandbox_stop (sandbox);
  return 0;
}
