// FFmpeg (libavformat + libavcodec + libswscale) behind a small status-code API.
// Nothing here aborts or hangs on bad input: every failure becomes a VG_VIDEO_* code
// and a message, and a damaged stream yields the frames that decode before the error.
#ifndef VIGIL_VIDEO_H
#define VIGIL_VIDEO_H

#include <stddef.h>
#include <stdint.h>

enum {
    VG_VIDEO_OK = 0,
    VG_VIDEO_NOT_FOUND = 1,       // no such file, or it cannot be opened
    VG_VIDEO_NOT_A_VIDEO = 2,     // no demuxer recognises the bytes
    VG_VIDEO_NO_VIDEO_STREAM = 3, // a media file, but without a video stream (e.g. audio only)
    VG_VIDEO_UNSUPPORTED = 4,     // no decoder for the codec, or a decoder that refuses to open
    VG_VIDEO_CORRUPT = 5,         // damaged data in the middle of the stream
    VG_VIDEO_TRUNCATED = 6,       // the stream ends before its declared length
    VG_VIDEO_NO_MEMORY = 7,
    VG_VIDEO_BAD_ARGUMENT = 8,    // null pointers, a buffer too small, a closed handle
};

typedef struct {
    int code;            // one of VG_VIDEO_*
    char message[256];   // FFmpeg's own message where it gave one, or ours
} vg_video_status;

typedef struct {
    int width, height;         // coded size of the video stream; frames are delivered at this size
    double fps;                // average frame rate (0 when unknown)
    double duration;           // seconds, or -1 when unknown
    int time_base_num, time_base_den;
    int64_t frame_count;       // frames declared by the container, or -1 when unknown
    char codec[32];            // decoder name, e.g. "h264"
    char format[32];           // demuxer name, e.g. "matroska,webm"
} vg_video_info;

typedef struct vg_video vg_video;

/// Opens `path`, finds the best video stream and opens its decoder. On success
/// *out is a handle to pass to vg_video_next, vg_video_frame_rgb and vg_video_close.
/// Installs, once per process, an FFmpeg log callback that keeps the last error line
/// (per thread) for status messages instead of printing to stderr.
int vg_video_open(const char *path, vg_video **out, vg_video_info *info, vg_video_status *status);

/// Decodes the next frame and holds it. `*timestamp` is its presentation time in
/// seconds from the stream's start. Returns 1 for a frame, 0 at a clean end of
/// stream, or -VG_VIDEO_* with `status` set; a damaged stream first yields the frames
/// that decode (skipping up to 64 bad packets) and then reports the first damage.
/// After 0 or an error every further call returns the same result.
int vg_video_next(vg_video *v, double *timestamp, vg_video_status *status);

/// Writes the frame held by the last successful vg_video_next into `rgb` as packed
/// RGB24, `width × height × 3` bytes at the size from vg_video_open (frames of
/// another size are rescaled to it). Skipping this call for unwanted frames saves
/// the colour conversion. Returns 0 or -VG_VIDEO_* with `status` set.
int vg_video_frame_rgb(vg_video *v, uint8_t *rgb, size_t size, vg_video_status *status);

/// Frees everything; accepts NULL.
void vg_video_close(vg_video *v);

#endif
