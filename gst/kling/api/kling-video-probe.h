/* gst-kling: the length of a video given by URL, read from the file itself.
 *
 * Advanced lip-sync must not insert sound past the video's end, and identify-face
 * overstates where a face stops (kling-requests-lipsync.h): a video_url is fetched once
 * and its MP4 boxes read (kling-mp4.h) to learn its real length. No credential is sent:
 * the URL is one Kling fetches by itself.
 */
#pragma once

#include <gio/gio.h>
#include "kling-mp4.h"

G_BEGIN_DECLS

/* The most a video_url may weigh for Kling's lip-sync (KLING-API contract: <= 100 MB). */
#define KLING_VIDEO_URL_MAX_BYTES ((guint64) 100 * 1024 * 1024)
/* ... and how long it may last (2 to 10 s). */
#define KLING_VIDEO_URL_MIN_S 2.0
#define KLING_VIDEO_URL_MAX_S 10.0

/* Fetches @url (http or https) into a temporary file, at most @max_bytes, and verifies
 * it as an MP4 (kling_mp4_verify_file()); @info then has its duration. Blocks for as long
 * as the download takes (an attempt without data for @timeout_s seconds gives up): call
 * it from a thread of your own, never from a streaming thread, a state change or the
 * client's worker. Errors: KLING_ERROR_CANCELLED (@cancellable), KLING_ERROR_NETWORK
 * (cannot fetch, or an HTTP status other than 2xx), KLING_ERROR_INVALID_INPUT (larger
 * than @max_bytes), KLING_ERROR_PROTOCOL (not an MP4 the verifier reads: a MOV without
 * ftyp, a cut file), KLING_ERROR_LOCAL_IO (no temporary file). */
gboolean kling_video_probe_url (const gchar *url, guint64 max_bytes, guint timeout_s,
                                GCancellable *cancellable, KlingMp4Info *info,
                                GError **error);

G_END_DECLS
