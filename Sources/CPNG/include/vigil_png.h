// libpng behind a setjmp boundary. libpng reports fatal errors with longjmp; every
// entry point here sets up its own jmp_buf, so an error in a file becomes a status
// code for Swift and never unwinds through Swift frames or aborts the process.
#ifndef VIGIL_PNG_H
#define VIGIL_PNG_H

#include <stddef.h>
#include <stdint.h>

enum {
    VG_PNG_OK = 0,
    VG_PNG_TRUNCATED = 1,
    VG_PNG_CORRUPT = 2,
    VG_PNG_UNSUPPORTED = 3,
    VG_PNG_TOO_LARGE = 4,
    VG_PNG_NO_MEMORY = 5,
    VG_PNG_BAD_ARGUMENT = 6,
};

typedef struct {
    int code;            // one of VG_PNG_*
    char message[256];   // libpng's own message, or ours
    int warning_count;
    char warning[256];   // the last warning libpng emitted
} vg_png_status;

typedef struct {
    uint32_t width, height;
    int color_type;      // PNG colour type as stored: 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA
    int bit_depth;       // as stored: 1, 2, 4, 8, 16
    int interlaced;      // 1 for Adam7
    int has_trns;        // a tRNS chunk is present
    int out_channels;    // channels after expansion (palette → RGB(A), tRNS → alpha)
    int out_bit_depth;   // 8 or 16 after expansion / optional scaling to 8
} vg_png_info;

/// Reads the header and computes the decoded layout. `max_pixels` (0 = no limit)
/// refuses images whose width × height exceeds it, before any pixel memory is allocated.
int vg_png_probe(const uint8_t *data, size_t size, int want8, uint64_t max_pixels,
                 vg_png_info *info, vg_png_status *status);

/// Decodes into `out`, which holds height rows of `row_bytes` bytes each
/// (row_bytes ≥ width × out_channels × out_bit_depth / 8). 16-bit samples are
/// written in host byte order.
int vg_png_decode(const uint8_t *data, size_t size, int want8, uint64_t max_pixels,
                  uint8_t *out, size_t out_size, size_t row_bytes,
                  vg_png_info *info, vg_png_status *status);

/// Encodes interleaved pixels (1–4 channels; 8-bit, or 16-bit in host byte order).
/// On success *out is a malloc'd buffer the caller frees with vg_png_free.
int vg_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels,
                  int bit_depth, int compression_level,
                  uint8_t **out, size_t *out_size, vg_png_status *status);

void vg_png_free(void *p);

#endif
