/* What a sandbox suite fetches from the sandbox itself, past the element: a task's answer,
 * the file it serves. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* GET @url, with a JWT of @access_key / @secret_key when both are given (NULL: no
 * credentials, as for a result URL); fails the test unless the answer is 200. */
GBytes *sandbox_http_get (const gchar *url, const gchar *access_key,
    const gchar *secret_key);

G_END_DECLS
