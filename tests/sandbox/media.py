"""Small inputs for the sandbox tests, made on the fly (no binary fixtures needed)."""
import base64
import io
import math
import pathlib
import struct
import subprocess
import wave
import zlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
MEDIA = ROOT / "examples" / "media"


def b64(data):
    if isinstance(data, pathlib.Path):
        data = data.read_bytes()
    return base64.b64encode(data).decode()


def changed(body, change):
    """A copy of a request body with `change` applied; a None value removes the key."""
    result = dict(body)
    for key, value in change.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def png_of_pixels(width, height, rows, level=6):
    """A valid RGB PNG of `rows` (each width x 3 bytes), zlib `level` (0: stored)."""
    def chunk(kind, payload):
        return (struct.pack(">I", len(payload)) + kind + payload +
                struct.pack(">I", zlib.crc32(kind + payload) & 0xffffffff))
    raw = b"".join(b"\0" + row for row in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, level)) + chunk(b"IEND", b""))


def png_of_rows(width, height, row):
    """A valid RGB PNG whose every row is `row` (width x 3 bytes)."""
    return png_of_pixels(width, height, [row] * height)


def png(width, height):
    """A valid RGB PNG of the given size (a gradient)."""
    return png_of_rows(width, height, bytes((x * 255 // max(1, width - 1))
                                            for x in range(width) for _ in range(3)))


def solid_png(width, height, rgb):
    """A PNG of one colour."""
    return png_of_rows(width, height, bytes(rgb) * width)


def wav(seconds, rate=16000):
    """A mono 16-bit WAV with a 440 Hz tone."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = int(seconds * rate)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                               for i in range(frames)))
    return out.getvalue()


def discover(path):
    """gst-discoverer-1.0 -v output for a file (asserting it could read it)."""
    out = subprocess.run(["gst-discoverer-1.0", "-v", str(path)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0 and "Done discovering" in out.stdout, out.stdout + out.stderr
    return out.stdout


def discover_info(path):
    """Duration and the streams of a file, through GstPbutils.Discoverer."""
    import gi
    gi.require_version("Gst", "1.0")
    gi.require_version("GstPbutils", "1.0")
    from gi.repository import Gst, GstPbutils
    Gst.init(None)
    info = GstPbutils.Discoverer.new(10 * Gst.SECOND).discover_uri(pathlib.Path(path).as_uri())
    video = info.get_video_streams()
    audio = info.get_audio_streams()
    result = {"duration": info.get_duration() / Gst.SECOND, "video": None, "audio": None}
    if video:
        v = video[0]
        result["video"] = {"width": v.get_width(), "height": v.get_height(),
                           "fps": v.get_framerate_num() / max(1, v.get_framerate_denom()),
                           "caps": v.get_caps().to_string()}
    if audio:
        a = audio[0]
        result["audio"] = {"caps": a.get_caps().to_string(), "rate": a.get_sample_rate(),
                           "channels": a.get_channels()}
    return result


def samples_of(description, stall_s=20):
    """The samples an appsink named "sink" gets from a pipeline, to EOS; an error or a
    stall fails the test instead of hanging it."""
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    Gst.init(None)
    pipeline = Gst.parse_launch(description)
    sink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    try:
        while True:
            sample = sink.emit("try-pull-sample", stall_s * Gst.SECOND)
            if sample is not None:
                yield sample
                continue
            if sink.get_property("eos"):
                return
            error = pipeline.get_bus().pop_filtered(Gst.MessageType.ERROR)
            raise AssertionError(f"{description}: "
                                 f"{error.parse_error()[0].message if error else 'stalled'}")
    finally:
        pipeline.set_state(Gst.State.NULL)


def stream_duration(path, kind):
    """Duration of the one stream of `kind` ("video" or "audio") in an MP4, in seconds,
    from its decoded buffers (what a player sees)."""
    decoder = "avdec_h264" if kind == "video" else "avdec_aac"
    pad = "video_0" if kind == "video" else "audio_0"
    end = 0
    for sample in samples_of(f"filesrc location={path} ! qtdemux name=d d.{pad} ! "
                             f"{decoder} ! appsink name=sink sync=false"):
        buf = sample.get_buffer()
        end = max(end, buf.pts + buf.duration)
    return end / 1e9


def decoded_audio(path, rate):
    """The audio of a WAV file or of the AAC track of an MP4, decoded to mono S16 samples
    at `rate`."""
    import array
    demux = "qtdemux ! aacparse ! avdec_aac" if str(path).endswith(".mp4") else "wavparse"
    samples = array.array("h")
    for sample in samples_of(f"filesrc location={path} ! {demux} ! audioconvert ! "
                             "audioresample ! audio/x-raw,format=S16LE,channels=1,"
                             f"rate={rate} ! appsink name=sink sync=false"):
        buf = sample.get_buffer()
        samples.frombytes(buf.extract_dup(0, buf.get_size()))
    return samples


def audio_envelope(path, window_s=0.1):
    """RMS of the audio per window, decoded to mono 8 kHz: from a WAV file or from the
    AAC track of an MP4."""
    samples = decoded_audio(path, 8000)
    size = int(8000 * window_s)
    return [math.sqrt(sum(s * s for s in samples[i:i + size]) / size)
            for i in range(0, len(samples) - size + 1, size)]


def correlation(a, b):
    """Pearson correlation of two equally long sequences."""
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    mean_a, mean_b = sum(a) / n, sum(b) / n
    cov = sum((x - mean_a) * (y - mean_b) for x, y in zip(a, b))
    var_a = sum((x - mean_a) ** 2 for x in a)
    var_b = sum((y - mean_b) ** 2 for y in b)
    return cov / math.sqrt(var_a * var_b)


def first_and_last_colour(path):
    """Mean (R, G, B) of the top half of the first and of the last decoded frame of an MP4
    (the prompt is drawn at the bottom)."""
    def top_half_mean(sample):
        caps = sample.get_caps().get_structure(0)
        width, height = caps.get_value("width"), caps.get_value("height")
        buf = sample.get_buffer()
        data = buf.extract_dup(0, buf.get_size())
        stride = (width * 3 + 3) & ~3
        total = [0, 0, 0]
        for y in range(height // 2):
            row = data[y * stride:y * stride + width * 3]
            for c in range(3):
                total[c] += sum(row[c::3])
        return tuple(t / (width * (height // 2)) for t in total)

    first = last = None
    for sample in samples_of(f"filesrc location={path} ! qtdemux ! avdec_h264 ! "
                             "videoconvert ! video/x-raw,format=RGB ! appsink name=sink "
                             "sync=false"):
        first = first or top_half_mean(sample)
        last = sample
    return first, top_half_mean(last)


def g_str_hash(text):
    """GLib's g_str_hash() (djb2 over signed chars)."""
    h = 5381
    for byte in text.encode():
        h = (h * 33 + (byte - 256 if byte >= 128 else byte)) & 0xffffffff
    return h


def tone_pitch(prompt):
    """The pitch of the sandbox's native sound for a prompt (README: 220 Hz up to two
    octaves in semitones, chosen by g_str_hash(prompt) % 24)."""
    return 220.0 * 2 ** ((g_str_hash(prompt) % 24) / 12)


def audio_pitch(path):
    """The frequency of a pure tone in the AAC track of an MP4, from its zero crossings
    over the middle of the track."""
    samples = decoded_audio(path, 44100)
    middle = samples[len(samples) // 4: 3 * len(samples) // 4]
    crossings = sum(1 for a, b in zip(middle, middle[1:]) if (a < 0) != (b < 0))
    return crossings / 2 / (len(middle) / 44100)
