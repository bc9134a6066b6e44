#!/usr/bin/env python3
"""Renders kling:// URIs (or any URIs) one after the other on a GES timeline into an MP4.

    python3 examples/ges-timeline.py out.mp4 \\
        "kling://text2video?prompt=a%20red%20fox%20in%20snow" \\
        "kling://text2video?prompt=the%20fox%20sleeps&duration=10"

Each clip is discovered first (a GESUriClipAsset: for a kling:// URI that is the render)
and then played from the cache, so each shot is paid once. The server and the keys come
from the environment (KLING_API_URL, KLING_API_KEY or KLING_ACCESS_KEY + KLING_SECRET_KEY).
Prints each clip's start and duration (ns), then "rendered".
"""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GES", "1.0")
gi.require_version("GstPbutils", "1.0")
from gi.repository import GES, Gst, GstPbutils  # noqa: E402


def mp4_profile():
    container = GstPbutils.EncodingContainerProfile.new(
        "mp4", None, Gst.Caps.from_string("video/quicktime,variant=iso"), None)
    container.add_profile(GstPbutils.EncodingVideoProfile.new(
        Gst.Caps.from_string("video/x-h264"), None, None, 0))
    container.add_profile(GstPbutils.EncodingAudioProfile.new(
        Gst.Caps.from_string("audio/mpeg,mpegversion=4"), None, None, 0))
    return container


def main(out, uris):
    Gst.init(None)
    GES.init()
    timeline = GES.Timeline.new_audio_video()
    layer = timeline.append_layer()
    start = 0
    for uri in uris:
        asset = GES.UriClipAsset.request_sync(uri)
        clip = layer.add_asset(asset, start, 0, asset.get_duration(), GES.TrackType.UNKNOWN)
        print("clip", clip.get_start(), clip.get_duration(), flush=True)
        start += asset.get_duration()
    timeline.commit_sync()

    pipeline = GES.Pipeline()
    pipeline.set_timeline(timeline)
    pipeline.set_render_settings(Gst.filename_to_uri(out), mp4_profile())
    pipeline.set_mode(GES.PipelineFlags.RENDER)
    pipeline.set_state(Gst.State.PLAYING)
    msg = pipeline.get_bus().timed_pop_filtered(
        300 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    if msg is None or msg.type != Gst.MessageType.EOS:
        print("failed:", msg.parse_error()[0].message if msg else "timed out", flush=True)
        return 1
    print("rendered", flush=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2:]))
