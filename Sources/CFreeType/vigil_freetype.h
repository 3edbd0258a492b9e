// FreeType behind a tiny status-code boundary: a UTF-8 string at a pixel height becomes an
// 8-bit coverage bitmap. Every failure (missing font, bad UTF-8, a buffer too small) is a
// status code; nothing here aborts. The functions are `static inline` so this header is the
// whole system-library target (SwiftPM system libraries carry no C sources).
#ifndef VIGIL_FREETYPE_H
#define VIGIL_FREETYPE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <ft2build.h>
#include FT_FREETYPE_H

enum {
    VG_FT_OK = 0,
    VG_FT_BAD_ARGUMENT = 1,
    VG_FT_INIT_FAILED = 2,
    VG_FT_FONT_UNREADABLE = 3,
    VG_FT_SIZE_FAILED = 4,
    VG_FT_GLYPH_FAILED = 5,
    VG_FT_BUFFER_TOO_SMALL = 6,
    VG_FT_EMPTY = 7,
};

/// Decodes one UTF-8 code point at *p (advancing it); malformed bytes become U+FFFD.
static inline uint32_t vg_ft_next_utf8(const unsigned char **p) {
    const unsigned char *s = *p;
    uint32_t c = s[0];
    int extra = 0;
    if (c < 0x80) { *p = s + 1; return c; }
    else if ((c & 0xE0) == 0xC0) { c &= 0x1F; extra = 1; }
    else if ((c & 0xF0) == 0xE0) { c &= 0x0F; extra = 2; }
    else if ((c & 0xF8) == 0xF0) { c &= 0x07; extra = 3; }
    else { *p = s + 1; return 0xFFFD; }
    for (int i = 1; i <= extra; i++) {
        if ((s[i] & 0xC0) != 0x80) { *p = s + i; return 0xFFFD; }
        c = (c << 6) | (s[i] & 0x3F);
    }
    *p = s + extra + 1;
    return c;
}

/// Renders `utf8` with the font at `font_path` at `pixel_height` pixels (FT_Set_Pixel_Sizes).
/// The bitmap spans the pen's advance horizontally and ascender..descender vertically, with
/// the baseline at row *baseline. Pass out = NULL (or a buffer too small) to learn the size:
/// *width and *height are always set when the text could be laid out, and the call returns
/// VG_FT_BUFFER_TOO_SMALL when `out_capacity` < width × height. Rows are `width` bytes.
static inline int vg_ft_render_text(const char *font_path, const char *utf8, int pixel_height,
                                    uint8_t *out, size_t out_capacity,
                                    int *width, int *height, int *baseline) {
    if (!font_path || !utf8 || !width || !height || !baseline || pixel_height < 1 || pixel_height > 4096)
        return VG_FT_BAD_ARGUMENT;
    *width = 0; *height = 0; *baseline = 0;
    FT_Library lib;
    if (FT_Init_FreeType(&lib) != 0) return VG_FT_INIT_FAILED;
    FT_Face face;
    if (FT_New_Face(lib, font_path, 0, &face) != 0) { FT_Done_FreeType(lib); return VG_FT_FONT_UNREADABLE; }
    int rc = VG_FT_OK;
    if (FT_Set_Pixel_Sizes(face, 0, (FT_UInt)pixel_height) != 0) { rc = VG_FT_SIZE_FAILED; goto done; }
    {
        long asc = face->size->metrics.ascender >> 6;
        long desc = -(face->size->metrics.descender >> 6);
        if (asc < 1) asc = pixel_height;
        if (desc < 0) desc = 0;
        // Pass 1: the horizontal extent (advances plus any ink beyond them).
        long pen = 0, minx = 0, maxx = 0;
        const unsigned char *p = (const unsigned char *)utf8;
        int glyphs = 0;
        while (*p) {
            uint32_t cp = vg_ft_next_utf8(&p);
            if (FT_Load_Char(face, cp, FT_LOAD_RENDER) != 0) { rc = VG_FT_GLYPH_FAILED; goto done; }
            FT_GlyphSlot g = face->glyph;
            long l = pen + g->bitmap_left, r = l + (long)g->bitmap.width;
            if (l < minx) minx = l;
            if (r > maxx) maxx = r;
            pen += g->advance.x >> 6;
            if (pen > maxx) maxx = pen;
            glyphs++;
            if (maxx - minx > 65536) { rc = VG_FT_BAD_ARGUMENT; goto done; }
        }
        if (glyphs == 0 || maxx <= minx) { rc = VG_FT_EMPTY; goto done; }
        int w = (int)(maxx - minx), h = (int)(asc + desc);
        *width = w; *height = h; *baseline = (int)asc;
        if (!out || out_capacity < (size_t)w * (size_t)h) { rc = VG_FT_BUFFER_TOO_SMALL; goto done; }
        memset(out, 0, (size_t)w * (size_t)h);
        // Pass 2: compose the glyph coverages (max, so overlapping ink never exceeds 255).
        pen = -minx;
        p = (const unsigned char *)utf8;
        while (*p) {
            uint32_t cp = vg_ft_next_utf8(&p);
            if (FT_Load_Char(face, cp, FT_LOAD_RENDER) != 0) { rc = VG_FT_GLYPH_FAILED; goto done; }
            FT_GlyphSlot g = face->glyph;
            FT_Bitmap *bm = &g->bitmap;
            if (bm->pixel_mode == FT_PIXEL_MODE_GRAY) {
                long ox = pen + g->bitmap_left, oy = asc - g->bitmap_top;
                for (unsigned int row = 0; row < bm->rows; row++) {
                    long y = oy + (long)row;
                    if (y < 0 || y >= h) continue;
                    const unsigned char *src = bm->buffer + (long)row * bm->pitch;
                    for (unsigned int col = 0; col < bm->width; col++) {
                        long x = ox + (long)col;
                        if (x < 0 || x >= w) continue;
                        uint8_t v = src[col];
                        uint8_t *d = out + (size_t)y * (size_t)w + (size_t)x;
                        if (v > *d) *d = v;
                    }
                }
            }
            pen += g->advance.x >> 6;
        }
    }
done:
    FT_Done_Face(face);
    FT_Done_FreeType(lib);
    return rc;
}

#endif
