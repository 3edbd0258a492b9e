// setjmp shim around libpng: see include/vigil_png.h.
#include "vigil_png.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    jmp_buf jump;
    vg_png_status *status;
    const uint8_t *data;
    size_t size;
    size_t offset;
    int ran_out;        // the read callback hit the end of the buffer
    int too_large;
} reader_t;

static void set_status(vg_png_status *s, int code, const char *msg) {
    s->code = code;
    snprintf(s->message, sizeof s->message, "%s", msg ? msg : "");
}

static void on_error(png_structp png, png_const_charp msg) {
    reader_t *r = (reader_t *)png_get_error_ptr(png);
    if (r->ran_out) {
        set_status(r->status, VG_PNG_TRUNCATED, "file ends before the image data is complete");
    } else if (r->too_large) {
        // code and message were already set by the caller
    } else if (msg && (strstr(msg, "nsupported") || strstr(msg, "not supported"))) {
        set_status(r->status, VG_PNG_UNSUPPORTED, msg);
    } else if (msg && strstr(msg, "ut of memory")) {
        set_status(r->status, VG_PNG_NO_MEMORY, msg);
    } else {
        set_status(r->status, VG_PNG_CORRUPT, msg);
    }
    longjmp(r->jump, 1);
}

static void on_warning(png_structp png, png_const_charp msg) {
    reader_t *r = (reader_t *)png_get_error_ptr(png);
    r->status->warning_count += 1;
    snprintf(r->status->warning, sizeof r->status->warning, "%s", msg ? msg : "");
}

static void read_bytes(png_structp png, png_bytep dst, size_t length) {
    reader_t *r = (reader_t *)png_get_io_ptr(png);
    if (length > r->size - r->offset) {
        r->ran_out = 1;
        png_error(png, "unexpected end of file");
    }
    memcpy(dst, r->data + r->offset, length);
    r->offset += length;
}

// Header, limits and the expansion transforms shared by probe and decode.
// Must run under the caller's setjmp.
static void read_header(png_structp png, png_infop info, reader_t *r, int want8,
                        uint64_t max_pixels, vg_png_info *out) {
    png_read_info(png, info);
    png_uint_32 w = 0, h = 0;
    int depth = 0, color = 0, interlace = 0;
    png_get_IHDR(png, info, &w, &h, &depth, &color, &interlace, NULL, NULL);
    out->width = w;
    out->height = h;
    out->color_type = color;
    out->bit_depth = depth;
    out->interlaced = interlace != PNG_INTERLACE_NONE;
    out->has_trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
    if (max_pixels != 0 && (uint64_t)w * (uint64_t)h > max_pixels) {
        r->too_large = 1;
        r->status->code = VG_PNG_TOO_LARGE;
        snprintf(r->status->message, sizeof r->status->message,
                 "%u x %u pixels exceeds the limit of %llu", (unsigned)w, (unsigned)h,
                 (unsigned long long)max_pixels);
        png_error(png, "too large");
    }
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (out->has_trns) png_set_tRNS_to_alpha(png);
    if (depth == 16) {
        if (want8) png_set_scale_16(png);
        else {
            const uint16_t probe = 1;
            if (*(const uint8_t *)&probe == 1) png_set_swap(png);  // PNG is big-endian
        }
    }
    out->interlaced ? (void)png_set_interlace_handling(png) : (void)0;
    png_read_update_info(png, info);
    out->out_channels = png_get_channels(png, info);
    out->out_bit_depth = png_get_bit_depth(png, info);
}

static int run(const uint8_t *data, size_t size, int want8, uint64_t max_pixels,
               uint8_t *dst, size_t dst_size, size_t row_bytes,
               vg_png_info *info_out, vg_png_status *status) {
    memset(status, 0, sizeof *status);
    memset(info_out, 0, sizeof *info_out);
    if (size < 8 || png_sig_cmp((png_const_bytep)data, 0, 8) != 0) {
        set_status(status, size < 8 ? VG_PNG_TRUNCATED : VG_PNG_CORRUPT, "not a PNG signature");
        return status->code;
    }
    reader_t r;
    memset(&r, 0, sizeof r);
    r.status = status;
    r.data = data;
    r.size = size;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r, on_error, on_warning);
    if (!png) {
        set_status(status, VG_PNG_NO_MEMORY, "png_create_read_struct failed");
        return status->code;
    }
    png_infop info = png_create_info_struct(png);
    // Row pointers live outside the setjmp scope so the error path can free them.
    png_bytep *volatile rows = NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        set_status(status, VG_PNG_NO_MEMORY, "png_create_info_struct failed");
        return status->code;
    }
    if (setjmp(r.jump)) {
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        return status->code ? status->code : VG_PNG_CORRUPT;
    }
    // Our own pixel limit replaces libpng's fixed 1,000,000-per-side default.
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_set_read_fn(png, &r, read_bytes);
    read_header(png, info, &r, want8, max_pixels, info_out);
    if (dst) {
        size_t need_row = (size_t)info_out->width * (size_t)info_out->out_channels *
                          (size_t)info_out->out_bit_depth / 8;
        if (row_bytes < need_row || dst_size / row_bytes < info_out->height) {
            set_status(status, VG_PNG_BAD_ARGUMENT, "output buffer too small");
            png_error(png, "output buffer too small");
        }
        rows = (png_bytep *)malloc(sizeof(png_bytep) * (info_out->height ? info_out->height : 1));
        if (!rows) {
            set_status(status, VG_PNG_NO_MEMORY, "out of memory for row pointers");
            png_error(png, "out of memory");
        }
        for (uint32_t y = 0; y < info_out->height; y++) rows[y] = dst + (size_t)y * row_bytes;
        png_read_image(png, rows);
        png_read_end(png, NULL);
    }
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    return VG_PNG_OK;
}

int vg_png_probe(const uint8_t *data, size_t size, int want8, uint64_t max_pixels,
                 vg_png_info *info, vg_png_status *status) {
    return run(data, size, want8, max_pixels, NULL, 0, 0, info, status);
}

int vg_png_decode(const uint8_t *data, size_t size, int want8, uint64_t max_pixels,
                  uint8_t *out, size_t out_size, size_t row_bytes,
                  vg_png_info *info, vg_png_status *status) {
    if (!out) {
        memset(status, 0, sizeof *status);
        set_status(status, VG_PNG_BAD_ARGUMENT, "no output buffer");
        return status->code;
    }
    return run(data, size, want8, max_pixels, out, out_size, row_bytes, info, status);
}

// ---- encoding -------------------------------------------------------------

typedef struct {
    jmp_buf jump;
    vg_png_status *status;
    uint8_t *buf;
    size_t size, capacity;
    int failed_alloc;
} writer_t;

static void on_write_error(png_structp png, png_const_charp msg) {
    writer_t *w = (writer_t *)png_get_error_ptr(png);
    set_status(w->status, w->failed_alloc ? VG_PNG_NO_MEMORY : VG_PNG_BAD_ARGUMENT, msg);
    longjmp(w->jump, 1);
}

static void on_write_warning(png_structp png, png_const_charp msg) {
    writer_t *w = (writer_t *)png_get_error_ptr(png);
    w->status->warning_count += 1;
    snprintf(w->status->warning, sizeof w->status->warning, "%s", msg ? msg : "");
}

static void write_bytes(png_structp png, png_bytep src, size_t length) {
    writer_t *w = (writer_t *)png_get_io_ptr(png);
    if (length > w->capacity - w->size) {
        size_t cap = w->capacity ? w->capacity : 4096;
        while (cap - w->size < length) cap *= 2;
        uint8_t *grown = (uint8_t *)realloc(w->buf, cap);
        if (!grown) {
            w->failed_alloc = 1;
            png_error(png, "out of memory while encoding");
        }
        w->buf = grown;
        w->capacity = cap;
    }
    memcpy(w->buf + w->size, src, length);
    w->size += length;
}

static void flush_nothing(png_structp png) { (void)png; }

int vg_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels,
                  int bit_depth, int compression_level,
                  uint8_t **out, size_t *out_size, vg_png_status *status) {
    memset(status, 0, sizeof *status);
    *out = NULL;
    *out_size = 0;
    static const int color_types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                       PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
    if (channels < 1 || channels > 4 || (bit_depth != 8 && bit_depth != 16) || width == 0 ||
        height == 0) {
        set_status(status, VG_PNG_BAD_ARGUMENT, "unsupported channel count or bit depth");
        return status->code;
    }
    writer_t w;
    memset(&w, 0, sizeof w);
    w.status = status;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &w, on_write_error,
                                              on_write_warning);
    if (!png) {
        set_status(status, VG_PNG_NO_MEMORY, "png_create_write_struct failed");
        return status->code;
    }
    png_infop info = png_create_info_struct(png);
    png_bytep *volatile rows = NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        set_status(status, VG_PNG_NO_MEMORY, "png_create_info_struct failed");
        return status->code;
    }
    if (setjmp(w.jump)) {
        free(rows);
        free(w.buf);
        png_destroy_write_struct(&png, &info);
        return status->code ? status->code : VG_PNG_BAD_ARGUMENT;
    }
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_set_write_fn(png, &w, write_bytes, flush_nothing);
    if (compression_level >= 0 && compression_level <= 9)
        png_set_compression_level(png, compression_level);
    png_set_IHDR(png, info, width, height, bit_depth, color_types[channels],
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    if (bit_depth == 16) {
        const uint16_t probe = 1;
        if (*(const uint8_t *)&probe == 1) png_set_swap(png);
    }
    size_t row_bytes = (size_t)width * (size_t)channels * (size_t)(bit_depth / 8);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * height);
    if (!rows) {
        w.failed_alloc = 1;
        png_error(png, "out of memory for row pointers");
    }
    for (uint32_t y = 0; y < height; y++) rows[y] = (png_bytep)(pixels + (size_t)y * row_bytes);
    png_write_image(png, rows);
    png_write_end(png, NULL);
    free(rows);
    png_destroy_write_struct(&png, &info);
    *out = w.buf;
    *out_size = w.size;
    return VG_PNG_OK;
}

void vg_png_free(void *p) { free(p); }
