/* kling-sandbox: the GStreamer helpers the render files share (not installed). */
#pragma once

#include <gst/gst.h>
#include <gst/app/gstappsrc.h>
#include <gst/app/gstappsink.h>

#include "sandbox-render.h"

G_BEGIN_DECLS

#define SANDBOX_RENDER_ERROR (sandbox_render_error_quark ())

/* gst_parse_launch() with errors in the render domain. */
GstElement *sandbox_pipeline_launch (const gchar *description, GError **error);
/* The element @name of @pipeline, borrowed: the pipeline holds it. */
GstElement *sandbox_pipeline_get (GstElement *pipeline, const gchar *name);
/* Runs @pipeline until EOS or an error, 120 s at most. */
gboolean    sandbox_pipeline_wait_eos (GstElement *pipeline, GError **error);
/* The next sample of @sink; NULL at the end of the stream, or on an error or a stall
 * (with @error set). */
GstSample  *sandbox_pipeline_next_sample (GstElement *pipeline, GstAppSink *sink,
                                          GError **error);
/* To NULL, and unreffed. */
void        sandbox_pipeline_stop (GstElement *pipeline);

/* Has the render been cancelled (the sandbox stops)? Sets @error when it has. */
gboolean    sandbox_render_cancelled (const SandboxRenderSpec *spec, GError **error);

/* sandbox-render-audio.c: the source video (spec->source_path) muxed with the lip-sync
 * audio; *video_s is its duration, spec->width/height/fps are read from it. */
gboolean    sandbox_render_lipsync (SandboxRenderSpec *spec, gdouble *video_s,
                                    GError **error);
/* spec->output_path: the silent clip @video_path with the native sound of a sound "on"
 * request (a tone whose pitch follows the prompt), @video_s long. */
gboolean    sandbox_render_add_sound (const SandboxRenderSpec *spec, const gchar *video_path,
                                      gdouble video_s, GError **error);
/* The pitch of that tone for @prompt (NULL: no prompt), in Hz. */
gdouble     sandbox_sound_pitch (const gchar *prompt);

G_END_DECLS
