// setjmp shim around libjpeg(-turbo): see include/vigil_jpeg.h.
#include "vigil_jpeg.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    vg_jpeg_status *status;
    int lenient;
} error_mgr_t;

static void format_message(j_common_ptr cinfo, char *dst, size_t n) {
    char buf[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, buf);
    snprintf(dst, n, "%s", buf);
}

static int classify(int code) {
    switch (code) {
    case JERR_BAD_PRECISION:
    case JERR_NOT_COMPILED:
    case JERR_CONVERSION_NOTIMPL:
    case JERR_NOTIMPL:
    case JERR_UNKNOWN_MARKER:
        return VG_JPEG_UNSUPPORTED;
    case JERR_OUT_OF_MEMORY:
        return VG_JPEG_NO_MEMORY;
    default:
        return VG_JPEG_CORRUPT;
    }
}

static void on_error_exit(j_common_ptr cinfo) {
    error_mgr_t *e = (error_mgr_t *)cinfo->err;
    if (e->status->code == VG_JPEG_OK) {
        // Data that ran out explains whatever error followed (a missing SOS, a short table...).
        e->status->code = e->status->hit_eof ? VG_JPEG_TRUNCATED : classify(cinfo->err->msg_code);
        format_message(cinfo, e->status->message, sizeof e->status->message);
    }
    longjmp(e->jump, 1);
}

static void on_emit_message(j_common_ptr cinfo, int level) {
    error_mgr_t *e = (error_mgr_t *)cinfo->err;
    if (level >= 0) return;  // trace messages
    e->status->warning_count += 1;
    format_message(cinfo, e->status->warning, sizeof e->status->warning);
    if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
        e->status->hit_eof = 1;
        if (!e->lenient) {
            e->status->code = VG_JPEG_TRUNCATED;
            snprintf(e->status->message, sizeof e->status->message,
                     "premature end of JPEG data");
            longjmp(e->jump, 1);
        }
    }
}

static void on_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void install_errors(struct jpeg_decompress_struct *cinfo, error_mgr_t *e,
                           vg_jpeg_status *status, int lenient) {
    cinfo->err = jpeg_std_error(&e->base);
    e->base.error_exit = on_error_exit;
    e->base.emit_message = on_emit_message;
    e->base.output_message = on_output_message;
    e->status = status;
    e->lenient = lenient;
}

static int color_space_code(J_COLOR_SPACE cs) {
    switch (cs) {
    case JCS_GRAYSCALE: return VG_JPEG_CS_GRAY;
    case JCS_RGB: return VG_JPEG_CS_RGB;
    case JCS_YCbCr: return VG_JPEG_CS_YCBCR;
    case JCS_CMYK: return VG_JPEG_CS_CMYK;
    case JCS_YCCK: return VG_JPEG_CS_YCCK;
    default: return 0;
    }
}

// Header, limits and output parameters shared by probe and decode. Runs under setjmp.
static void read_header(struct jpeg_decompress_struct *cinfo, error_mgr_t *e, int scale_denom,
                        uint64_t max_pixels, int fast, vg_jpeg_info *info) {
    jpeg_read_header(cinfo, TRUE);
    info->width = cinfo->image_width;
    info->height = cinfo->image_height;
    info->components = cinfo->num_components;
    info->color_space = color_space_code(cinfo->jpeg_color_space);
    info->adobe_marker = cinfo->saw_Adobe_marker;
    info->adobe_transform = cinfo->Adobe_transform;
    info->progressive = cinfo->progressive_mode;
    if (max_pixels != 0 && (uint64_t)cinfo->image_width * cinfo->image_height > max_pixels) {
        e->status->code = VG_JPEG_TOO_LARGE;
        snprintf(e->status->message, sizeof e->status->message,
                 "%u x %u pixels exceeds the limit of %llu", (unsigned)cinfo->image_width,
                 (unsigned)cinfo->image_height, (unsigned long long)max_pixels);
        longjmp(e->jump, 1);
    }
    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE: cinfo->out_color_space = JCS_GRAYSCALE; break;
    case JCS_CMYK:
    case JCS_YCCK: cinfo->out_color_space = JCS_CMYK; break;
    case JCS_RGB:
    case JCS_YCbCr: cinfo->out_color_space = JCS_RGB; break;
    default:
        e->status->code = VG_JPEG_UNSUPPORTED;
        snprintf(e->status->message, sizeof e->status->message,
                 "unsupported JPEG colour space with %d components", cinfo->num_components);
        longjmp(e->jump, 1);
    }
    if (scale_denom != 1 && scale_denom != 2 && scale_denom != 4 && scale_denom != 8) scale_denom = 1;
    cinfo->scale_num = 1;
    cinfo->scale_denom = (unsigned)scale_denom;
    if (fast) {
        cinfo->dct_method = JDCT_IFAST;
        cinfo->do_fancy_upsampling = FALSE;
    }
    jpeg_calc_output_dimensions(cinfo);
    info->scale_denom = scale_denom;
    info->out_width = cinfo->output_width;
    info->out_height = cinfo->output_height;
    info->out_components = cinfo->output_components;
}

static int run(const uint8_t *data, size_t size, int scale_denom, uint64_t max_pixels,
               int lenient, int fast, uint8_t *out, size_t out_size,
               vg_jpeg_info *info, vg_jpeg_status *status) {
    memset(status, 0, sizeof *status);
    memset(info, 0, sizeof *info);
    if (size == 0) {
        status->code = VG_JPEG_TRUNCATED;
        snprintf(status->message, sizeof status->message, "empty input");
        return status->code;
    }
    struct jpeg_decompress_struct cinfo;
    error_mgr_t err;
    memset(&cinfo, 0, sizeof cinfo);
    install_errors(&cinfo, &err, status, lenient);
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return status->code ? status->code : VG_JPEG_CORRUPT;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    read_header(&cinfo, &err, scale_denom, max_pixels, fast, info);
    if (out) {
        size_t row = (size_t)info->out_width * (size_t)info->out_components;
        if (row == 0 || out_size / row < info->out_height) {
            status->code = VG_JPEG_BAD_ARGUMENT;
            snprintf(status->message, sizeof status->message, "output buffer too small");
            longjmp(err.jump, 1);
        }
        jpeg_start_decompress(&cinfo);
        while (cinfo.output_scanline < cinfo.output_height) {
            JSAMPROW rows[4];
            int n = 0;
            for (; n < 4 && cinfo.output_scanline + n < cinfo.output_height; n++)
                rows[n] = out + (size_t)(cinfo.output_scanline + n) * row;
            jpeg_read_scanlines(&cinfo, rows, (JDIMENSION)n);
        }
        jpeg_finish_decompress(&cinfo);
    }
    jpeg_destroy_decompress(&cinfo);
    return VG_JPEG_OK;
}

int vg_jpeg_probe(const uint8_t *data, size_t size, int scale_denom, uint64_t max_pixels,
                  vg_jpeg_info *info, vg_jpeg_status *status) {
    return run(data, size, scale_denom, max_pixels, 0, 0, NULL, 0, info, status);
}

int vg_jpeg_decode(const uint8_t *data, size_t size, int scale_denom, uint64_t max_pixels,
                   int lenient, int fast, uint8_t *out, size_t out_size,
                   vg_jpeg_info *info, vg_jpeg_status *status) {
    if (!out) {
        memset(status, 0, sizeof *status);
        status->code = VG_JPEG_BAD_ARGUMENT;
        snprintf(status->message, sizeof status->message, "no output buffer");
        return status->code;
    }
    return run(data, size, scale_denom, max_pixels, lenient, fast, out, out_size, info, status);
}

// ---- encoding -------------------------------------------------------------

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    vg_jpeg_status *status;
} enc_error_t;

static void on_enc_error(j_common_ptr cinfo) {
    enc_error_t *e = (enc_error_t *)cinfo->err;
    e->status->code = VG_JPEG_BAD_ARGUMENT;
    format_message(cinfo, e->status->message, sizeof e->status->message);
    longjmp(e->jump, 1);
}

int vg_jpeg_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels,
                   int quality, int progressive, int chroma_444,
                   const uint8_t *app1, size_t app1_size,
                   uint8_t **out, size_t *out_size, vg_jpeg_status *status) {
    memset(status, 0, sizeof *status);
    *out = NULL;
    *out_size = 0;
    if ((channels != 1 && channels != 3) || width == 0 || height == 0 || app1_size > 65533) {
        status->code = VG_JPEG_BAD_ARGUMENT;
        snprintf(status->message, sizeof status->message, "JPEG encoding takes 1 or 3 channels");
        return status->code;
    }
    struct jpeg_compress_struct cinfo;
    enc_error_t err;
    unsigned char *volatile buf = NULL;
    unsigned long buf_size = 0;
    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = jpeg_std_error(&err.base);
    err.base.error_exit = on_enc_error;
    err.base.output_message = on_output_message;
    err.status = status;
    if (setjmp(err.jump)) {
        jpeg_destroy_compress(&cinfo);
        free(buf);
        return status->code ? status->code : VG_JPEG_BAD_ARGUMENT;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, (unsigned char **)&buf, &buf_size);
    cinfo.image_width = width;
    cinfo.image_height = height;
    cinfo.input_components = channels;
    cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality < 1 ? 1 : (quality > 100 ? 100 : quality), TRUE);
    if (channels == 3 && chroma_444) {
        cinfo.comp_info[0].h_samp_factor = 1;
        cinfo.comp_info[0].v_samp_factor = 1;
    }
    if (progressive) jpeg_simple_progression(&cinfo);
    jpeg_start_compress(&cinfo, TRUE);
    if (app1 && app1_size > 0) jpeg_write_marker(&cinfo, JPEG_APP0 + 1, app1, (unsigned)app1_size);
    size_t row = (size_t)width * (size_t)channels;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW r = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * row);
        jpeg_write_scanlines(&cinfo, &r, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *out = buf;
    *out_size = buf_size;
    return VG_JPEG_OK;
}

void vg_jpeg_free(void *p) { free(p); }
