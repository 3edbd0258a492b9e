// libjpeg(-turbo) behind a setjmp boundary. libjpeg's error_exit must not return;
// ours longjmps back to the entry point, which destroys the decompressor and
// returns a status code, so a broken file never aborts the process or leaks.
#ifndef VIGIL_JPEG_H
#define VIGIL_JPEG_H

#include <stddef.h>
#include <stdint.h>

enum {
    VG_JPEG_OK = 0,
    VG_JPEG_TRUNCATED = 1,
    VG_JPEG_CORRUPT = 2,
    VG_JPEG_UNSUPPORTED = 3,
    VG_JPEG_TOO_LARGE = 4,
    VG_JPEG_NO_MEMORY = 5,
    VG_JPEG_BAD_ARGUMENT = 6,
};

/// Colour spaces as stored in the file (values of libjpeg's J_COLOR_SPACE we accept).
enum {
    VG_JPEG_CS_GRAY = 1,
    VG_JPEG_CS_RGB = 2,
    VG_JPEG_CS_YCBCR = 3,
    VG_JPEG_CS_CMYK = 4,
    VG_JPEG_CS_YCCK = 5,
};

typedef struct {
    int code;
    char message[256];
    int warning_count;
    char warning[256];   // the last warning (for example "Premature end of JPEG file")
    int hit_eof;         // the data ended early (a fake EOI was inserted)
} vg_jpeg_status;

typedef struct {
    uint32_t width, height;          // as stored in the frame header
    int components;                  // 1, 3 or 4
    int color_space;                 // VG_JPEG_CS_*
    int adobe_marker;                // an Adobe APP14 marker was seen
    int adobe_transform;             // its transform flag
    int progressive;
    int scale_denom;                 // 1, 2, 4 or 8 as used
    uint32_t out_width, out_height;  // after DCT scaling
    int out_components;              // 1 gray, 3 RGB, 4 CMYK (as in the file, not inverted)
} vg_jpeg_info;

/// Reads the headers and reports the output size for DCT scaling by 1/scale_denom.
int vg_jpeg_probe(const uint8_t *data, size_t size, int scale_denom, uint64_t max_pixels,
                  vg_jpeg_info *info, vg_jpeg_status *status);

/// Decodes into `out` (out_height rows of out_width × out_components bytes, tightly packed).
/// lenient: a premature end of data is a warning and the decoded part is returned;
/// otherwise it is VG_JPEG_TRUNCATED. fast: integer-fast IDCT and plain upsampling.
int vg_jpeg_decode(const uint8_t *data, size_t size, int scale_denom, uint64_t max_pixels,
                   int lenient, int fast, uint8_t *out, size_t out_size,
                   vg_jpeg_info *info, vg_jpeg_status *status);

/// Encodes 8-bit gray (1 channel) or RGB (3 channels) pixels. chroma_444 keeps full-resolution
/// chroma; otherwise 4:2:0. On success *out is malloc'd; free it with vg_jpeg_free.
int vg_jpeg_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels,
                   int quality, int progressive, int chroma_444,
                   const uint8_t *app1, size_t app1_size,
                   uint8_t **out, size_t *out_size, vg_jpeg_status *status);

void vg_jpeg_free(void *p);

#endif
