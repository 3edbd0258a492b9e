// FFmpeg shim: see include/vigil_video.h.
#include "vigil_video.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

// A stream with this many undecodable packets is given up on rather than scanned to the end.
#define MAX_BAD_PACKETS 64

struct vg_video {
    AVFormatContext *fmt;
    AVCodecContext *dec;
    AVPacket *pkt;
    AVFrame *frame;
    struct SwsContext *sws;
    int sws_w, sws_h, sws_fmt, sws_space, sws_range;  // what `sws` was set up for
    uint8_t *tmp[4];      // aligned RGB24 scratch; swscale may write past an unaligned row
    int tmp_linesize[4];
    int stream, width, height;
    AVRational tb;
    int64_t start;        // stream start_time in tb units (0 when unknown)
    double fps, stream_duration;
    int64_t frame_count;
    int draining;         // the flush packet was sent
    int finished;         // result and final_status are fixed
    int result;
    vg_video_status final_status;
    int bad_packets;      // packets the demuxer or decoder rejected
    int saw_cut;          // the demuxer hit the end of the file inside a packet
    int first_code;       // VG_VIDEO_CORRUPT or VG_VIDEO_TRUNCATED
    char first_error[200];
    int holding;          // `frame` holds the last frame vg_video_next returned
    int64_t frames;       // frames delivered
    double last_ts;
};

// FFmpeg logs to stderr by default. The last error-level line is kept per thread
// instead, so it can go into the status message for the call that caused it.
static _Thread_local char last_log[160];
static _Thread_local const void *last_log_source;  // the context that logged it
static _Thread_local unsigned log_errors;          // error-level lines so far on this thread
static pthread_once_t log_once = PTHREAD_ONCE_INIT;

static void on_log(void *avcl, int level, const char *fmt, va_list args) {
    if (level > AV_LOG_ERROR) return;
    last_log_source = avcl;
    log_errors += 1;
    vsnprintf(last_log, sizeof last_log, fmt, args);
    size_t n = strlen(last_log);
    while (n > 0 && (last_log[n - 1] == '\n' || last_log[n - 1] == '\r')) last_log[--n] = 0;
}

static void install_log(void) { av_log_set_callback(on_log); }

static void set_status(vg_video_status *s, int code, const char *msg) {
    if (!s) return;
    s->code = code;
    snprintf(s->message, sizeof s->message, "%s", msg ? msg : "");
}

// "what: FFmpeg's reason (last log line)".
static void set_av_status(vg_video_status *s, int code, const char *what, int averr) {
    char err[128];
    av_strerror(averr, err, sizeof err);
    char msg[256];
    if (last_log[0])
        snprintf(msg, sizeof msg, "%s: %s (%s)", what, err, last_log);
    else
        snprintf(msg, sizeof msg, "%s: %s", what, err);
    set_status(s, code, msg);
}

static double q2d_or(AVRational r, double fallback) {
    return (r.num > 0 && r.den > 0) ? av_q2d(r) : fallback;
}

// Matroska keeps a stream's length as a "DURATION" tag, "HH:MM:SS.fraction"; -1 when absent.
static double tagged_duration(const AVStream *st) {
    const AVDictionaryEntry *e = av_dict_get(st->metadata, "DURATION", NULL, 0);
    int h = 0, m = 0;
    double sec = 0;
    if (!e || sscanf(e->value, "%d:%d:%lf", &h, &m, &sec) != 3 || h < 0 || m < 0 || sec < 0) return -1;
    double d = h * 3600.0 + m * 60.0 + sec;
    return d > 0 ? d : -1;
}

int vg_video_open(const char *path, vg_video **out, vg_video_info *info, vg_video_status *status) {
    pthread_once(&log_once, install_log);
    last_log[0] = 0;
    if (!path || !out || !info) {
        set_status(status, VG_VIDEO_BAD_ARGUMENT, "null argument");
        return VG_VIDEO_BAD_ARGUMENT;
    }
    *out = NULL;
    memset(info, 0, sizeof *info);
    vg_video *v = av_mallocz(sizeof *v);
    if (!v) {
        set_status(status, VG_VIDEO_NO_MEMORY, "out of memory");
        return VG_VIDEO_NO_MEMORY;
    }
    int code = VG_VIDEO_OK;
    int ret = avformat_open_input(&v->fmt, path, NULL, NULL);
    if (ret < 0) {
        if (ret == AVERROR(ENOENT) || ret == AVERROR(EACCES) || ret == AVERROR(EISDIR)) code = VG_VIDEO_NOT_FOUND;
        else if (ret == AVERROR(ENOMEM)) code = VG_VIDEO_NO_MEMORY;
        else code = VG_VIDEO_NOT_A_VIDEO;
        set_av_status(status, code, code == VG_VIDEO_NOT_FOUND ? "cannot open" : "unrecognised format", ret);
        goto fail;
    }
    ret = avformat_find_stream_info(v->fmt, NULL);
    if (ret < 0) {
        code = VG_VIDEO_NOT_A_VIDEO;
        set_av_status(status, code, "cannot read stream information", ret);
        goto fail;
    }
    const AVCodec *codec = NULL;
    ret = av_find_best_stream(v->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (ret == AVERROR_STREAM_NOT_FOUND) {
        code = VG_VIDEO_NO_VIDEO_STREAM;
        set_status(status, code, "no video stream");
        goto fail;
    }
    if (ret < 0 || !codec) {
        AVStream *any = NULL;
        for (unsigned i = 0; i < v->fmt->nb_streams; i++)
            if (v->fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) { any = v->fmt->streams[i]; break; }
        char msg[128];
        snprintf(msg, sizeof msg, "no decoder for video codec %s",
                 any ? avcodec_get_name(any->codecpar->codec_id) : "unknown");
        code = VG_VIDEO_UNSUPPORTED;
        set_status(status, code, msg);
        goto fail;
    }
    v->stream = ret;
    AVStream *st = v->fmt->streams[v->stream];
    for (unsigned i = 0; i < v->fmt->nb_streams; i++)
        if ((int)i != v->stream) v->fmt->streams[i]->discard = AVDISCARD_ALL;  // skip audio etc. in the demuxer

    v->dec = avcodec_alloc_context3(codec);
    if (!v->dec || avcodec_parameters_to_context(v->dec, st->codecpar) < 0) {
        code = VG_VIDEO_NO_MEMORY;
        set_status(status, code, "cannot allocate the decoder");
        goto fail;
    }
    v->dec->thread_count = 0;  // as many threads as the decoder finds useful
    v->dec->pkt_timebase = st->time_base;
    ret = avcodec_open2(v->dec, codec, NULL);
    if (ret < 0) {
        code = VG_VIDEO_UNSUPPORTED;
        set_av_status(status, code, "cannot open the decoder", ret);
        goto fail;
    }
    v->width = v->dec->width;
    v->height = v->dec->height;
    if (v->width <= 0 || v->height <= 0 || av_image_check_size(v->width, v->height, 0, NULL) < 0) {
        code = VG_VIDEO_UNSUPPORTED;
        set_status(status, code, "the video stream has no valid frame size");
        goto fail;
    }
    v->pkt = av_packet_alloc();
    v->frame = av_frame_alloc();
    if (!v->pkt || !v->frame ||
        av_image_alloc(v->tmp, v->tmp_linesize, v->width, v->height, AV_PIX_FMT_RGB24, 64) < 0) {
        code = VG_VIDEO_NO_MEMORY;
        set_status(status, code, "out of memory");
        goto fail;
    }
    v->sws_fmt = -1;
    v->tb = st->time_base;
    v->start = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
    v->fps = q2d_or(st->avg_frame_rate, q2d_or(st->r_frame_rate, 0));
    v->stream_duration = (st->duration != AV_NOPTS_VALUE && st->duration > 0) ? st->duration * av_q2d(st->time_base) : -1;
    if (v->stream_duration < 0) v->stream_duration = tagged_duration(st);
    if (v->stream_duration < 0 && v->fmt->nb_streams == 1 && v->fmt->duration > 0)
        v->stream_duration = v->fmt->duration / (double)AV_TIME_BASE;  // only stream: the file's length is its length
    v->frame_count = st->nb_frames > 0 ? st->nb_frames : -1;
    v->last_ts = -1;

    info->width = v->width;
    info->height = v->height;
    info->fps = v->fps;
    info->duration = v->stream_duration;
    if (info->duration < 0 && v->fmt->duration != AV_NOPTS_VALUE && v->fmt->duration > 0)
        info->duration = v->fmt->duration / (double)AV_TIME_BASE;
    info->time_base_num = v->tb.num;
    info->time_base_den = v->tb.den;
    info->frame_count = v->frame_count;
    snprintf(info->codec, sizeof info->codec, "%s", codec->name);
    snprintf(info->format, sizeof info->format, "%s", v->fmt->iformat->name);
    *out = v;
    set_status(status, VG_VIDEO_OK, "");
    return VG_VIDEO_OK;
fail:
    vg_video_close(v);
    return code;
}

// Fixes the result every later call repeats: the first decoding error, else a
// truncation judged from the stream's own declared length, else a clean end.
static int finish(vg_video *v, vg_video_status *status) {
    v->finished = 1;
    double interval = v->fps > 0 ? 1.0 / v->fps : 0;
    double reached = v->frames > 0 ? v->last_ts + interval : 0;
    char msg[256];
    if (v->bad_packets > 0 && v->first_code == VG_VIDEO_TRUNCATED) {
        snprintf(msg, sizeof msg, "the file ends inside a packet after %lld frames (%s)", (long long)v->frames,
                 v->first_error);
        set_status(&v->final_status, VG_VIDEO_TRUNCATED, msg);
    } else if (v->bad_packets > 0) {
        snprintf(msg, sizeof msg, "%d damaged packet%s, %lld frames decoded; first: %s", v->bad_packets,
                 v->bad_packets == 1 ? "" : "s", (long long)v->frames, v->first_error);
        set_status(&v->final_status, VG_VIDEO_CORRUPT, msg);
    } else if (v->frame_count > 0 && v->frames + 1 < v->frame_count) {
        // One frame of slack: edit lists may hide a declared sample.
        snprintf(msg, sizeof msg, "the stream ends after %lld of %lld frames", (long long)v->frames,
                 (long long)v->frame_count);
        set_status(&v->final_status, VG_VIDEO_TRUNCATED, msg);
    } else if (v->stream_duration > 0 && reached < v->stream_duration - FFMAX(2 * interval, 0.05 * v->stream_duration)) {
        snprintf(msg, sizeof msg, "the stream ends at %.3f s of %.3f s", reached, v->stream_duration);
        set_status(&v->final_status, VG_VIDEO_TRUNCATED, msg);
    } else {
        set_status(&v->final_status, VG_VIDEO_OK, "");
    }
    v->result = v->final_status.code == VG_VIDEO_OK ? 0 : -v->final_status.code;
    if (status) *status = v->final_status;
    return v->result;
}

static void note_bad_packet(vg_video *v, int code, const char *what, int averr) {
    if (code == VG_VIDEO_CORRUPT && v->saw_cut) code = VG_VIDEO_TRUNCATED;  // damage caused by the cut
    if (v->bad_packets++ == 0) {
        vg_video_status s;
        if (averr) set_av_status(&s, code, what, averr);
        else set_status(&s, code, what);
        v->first_code = code;
        snprintf(v->first_error, sizeof v->first_error, "%s", s.message);
    }
}

// Converts v->frame into `rgb` at the size announced by vg_video_open.
static int convert(vg_video *v, uint8_t *rgb, vg_video_status *status) {
    AVFrame *f = v->frame;
    int range = f->color_range == AVCOL_RANGE_JPEG;
    if (f->width != v->sws_w || f->height != v->sws_h || f->format != v->sws_fmt ||
        (int)f->colorspace != v->sws_space || range != v->sws_range) {
        v->sws = sws_getCachedContext(v->sws, f->width, f->height, f->format, v->width, v->height,
                                      AV_PIX_FMT_RGB24, SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT,
                                      NULL, NULL, NULL);
        if (!v->sws) {
            set_status(status, VG_VIDEO_UNSUPPORTED, "cannot convert the frame's pixel format to RGB");
            return -VG_VIDEO_UNSUPPORTED;
        }
        const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(f->format);
        if (desc && !(desc->flags & AV_PIX_FMT_FLAG_RGB) && desc->nb_components >= 3) {
            // Use the frame's own matrix and range; yuvj* formats are full range by definition.
            int *inv, *table, src_range, dst_range, brightness, contrast, saturation;
            if (sws_getColorspaceDetails(v->sws, &inv, &src_range, &table, &dst_range, &brightness, &contrast,
                                         &saturation) >= 0) {
                int full = range || src_range;
                sws_setColorspaceDetails(v->sws, sws_getCoefficients(f->colorspace), full, table, 1, brightness,
                                         contrast, saturation);
            }
        }
        v->sws_w = f->width;
        v->sws_h = f->height;
        v->sws_fmt = f->format;
        v->sws_space = f->colorspace;
        v->sws_range = range;
    }
    int rows = sws_scale(v->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, v->tmp, v->tmp_linesize);
    if (rows != v->height) {
        set_status(status, VG_VIDEO_CORRUPT, "pixel conversion failed");
        return -VG_VIDEO_CORRUPT;
    }
    size_t row_bytes = (size_t)v->width * 3;
    for (int y = 0; y < v->height; y++) memcpy(rgb + (size_t)y * row_bytes, v->tmp[0] + (size_t)y * v->tmp_linesize[0], row_bytes);
    return 1;
}

int vg_video_frame_rgb(vg_video *v, uint8_t *rgb, size_t size, vg_video_status *status) {
    last_log[0] = 0;
    if (!v || !rgb || !v->holding) {
        set_status(status, VG_VIDEO_BAD_ARGUMENT, "no frame held (call vg_video_next first)");
        return -VG_VIDEO_BAD_ARGUMENT;
    }
    if (size < (size_t)v->width * v->height * 3) {
        set_status(status, VG_VIDEO_BAD_ARGUMENT, "output buffer smaller than width x height x 3");
        return -VG_VIDEO_BAD_ARGUMENT;
    }
    int got = convert(v, rgb, status);
    if (got < 0) return got;
    set_status(status, VG_VIDEO_OK, "");
    return 0;
}

int vg_video_next(vg_video *v, double *timestamp, vg_video_status *status) {
    last_log[0] = 0;
    if (!v || !timestamp) {
        set_status(status, VG_VIDEO_BAD_ARGUMENT, "null argument");
        return -VG_VIDEO_BAD_ARGUMENT;
    }
    if (v->holding) {
        av_frame_unref(v->frame);
        v->holding = 0;
    }
    if (v->finished) {
        if (status) *status = v->final_status;
        return v->result;
    }
    for (;;) {
        int ret = avcodec_receive_frame(v->dec, v->frame);
        if (ret == 0) {
            if (v->frame->width <= 0 || v->frame->height <= 0 || v->frame->format < 0) {
                av_frame_unref(v->frame);
                note_bad_packet(v, VG_VIDEO_CORRUPT, "the decoder returned a frame without a size or pixel format",
                                AVERROR_INVALIDDATA);
                if (v->bad_packets >= MAX_BAD_PACKETS) return finish(v, status);
                continue;
            }
            // Decoders conceal damage in frames they still output; deliver them, report it at the end.
            if (v->frame->decode_error_flags || (v->frame->flags & AV_FRAME_FLAG_CORRUPT))
                note_bad_packet(v, VG_VIDEO_CORRUPT, "a frame was decoded with errors concealed", 0);
            int64_t pts = v->frame->best_effort_timestamp;
            double ts;
            if (pts != AV_NOPTS_VALUE) ts = (pts - v->start) * av_q2d(v->tb);
            else ts = v->last_ts < 0 ? 0 : v->last_ts + (v->fps > 0 ? 1.0 / v->fps : 0);
            *timestamp = ts;
            v->last_ts = ts;
            v->frames += 1;
            v->holding = 1;
            set_status(status, VG_VIDEO_OK, "");
            return 1;
        }
        if (ret == AVERROR_EOF) return finish(v, status);
        if (ret != AVERROR(EAGAIN)) {
            note_bad_packet(v, VG_VIDEO_CORRUPT, "decoding failed", ret);
            if (v->draining || v->bad_packets >= MAX_BAD_PACKETS) return finish(v, status);
            continue;
        }
        if (v->draining) return finish(v, status);  // EAGAIN after the flush packet: nothing more will come

        unsigned errors_before = log_errors;
        ret = av_read_frame(v->fmt, v->pkt);
        // Demuxers skip damaged data and resynchronise, saying so only in the log.
        if (ret >= 0 && log_errors != errors_before && last_log_source == v->fmt) {
            char what[200];
            snprintf(what, sizeof what, "damaged container data skipped (%s)", last_log);
            last_log[0] = 0;
            note_bad_packet(v, VG_VIDEO_CORRUPT, what, 0);
        }
        if (ret < 0) {
            if (ret != AVERROR_EOF) {
                int cut = v->fmt->pb && avio_feof(v->fmt->pb);
                v->saw_cut |= cut;
                note_bad_packet(v, cut ? VG_VIDEO_TRUNCATED : VG_VIDEO_CORRUPT,
                                cut ? "the file ends inside a packet" : "reading failed", ret);
            }
            v->draining = 1;
            avcodec_send_packet(v->dec, NULL);
            continue;
        }
        if (v->pkt->stream_index != v->stream) {
            av_packet_unref(v->pkt);
            continue;
        }
        // av_get_packet marks a packet it could only partly read as corrupt.
        if ((v->pkt->flags & AV_PKT_FLAG_CORRUPT) && v->fmt->pb && avio_feof(v->fmt->pb)) v->saw_cut = 1;
        ret = avcodec_send_packet(v->dec, v->pkt);
        av_packet_unref(v->pkt);
        if (ret < 0 && ret != AVERROR(EAGAIN)) {
            note_bad_packet(v, VG_VIDEO_CORRUPT, "decoding failed", ret);
            if (v->bad_packets >= MAX_BAD_PACKETS) {
                v->draining = 1;
                avcodec_send_packet(v->dec, NULL);
            }
        }
    }
}

void vg_video_close(vg_video *v) {
    if (!v) return;
    sws_freeContext(v->sws);
    av_freep(&v->tmp[0]);
    av_frame_free(&v->frame);
    av_packet_free(&v->pkt);
    avcodec_free_context(&v->dec);
    avformat_close_input(&v->fmt);
    av_free(v);
}
