/* Writes the JPEG fixtures with libjpeg directly, independent of Vigil's own encoder.
 * Usage: jpegfix OUTDIR
 * Pixel patterns here are mirrored in Tests/ImageIOTests/FixturePatterns.swift. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

typedef struct {
    const char *name;
    int width, height, components;
    J_COLOR_SPACE in_space, file_space;
    int quality, progressive, full_chroma, adobe_marker, orientation;
} spec_t;

/* Smooth colour pattern, safe for JPEG: see FixturePatterns.jpegRGB. */
static void rgb_pattern(int w, int h, int x, int y, unsigned char *p) {
    p[0] = (unsigned char)(40 + x * 170 / (w - 1));
    p[1] = (unsigned char)(40 + y * 170 / (h - 1));
    p[2] = (unsigned char)(200 - (x + y) * 100 / (w + h));
}

/* Ink amounts for the CMYK fixtures: see FixturePatterns.jpegCMYK. */
static void cmyk_pattern(int w, int h, int x, int y, unsigned char *p) {
    p[0] = (unsigned char)(x * 200 / (w - 1));
    p[1] = (unsigned char)(y * 200 / (h - 1));
    p[2] = 60;
    p[3] = 30;
}

/* The upright picture of the orientation fixtures (32×24): grey with a red block top-left,
 * green top-right and blue bottom-left, 8×8 each. See FixturePatterns.orientationPicture. */
static void upright(int x, int y, unsigned char *p) {
    const int w = 32, h = 24;
    p[0] = p[1] = p[2] = 128;
    if (x < 8 && y < 8) { p[0] = 255; p[1] = 0; p[2] = 0; }
    else if (x >= w - 8 && y < 8) { p[0] = 0; p[1] = 255; p[2] = 0; }
    else if (x < 8 && y >= h - 8) { p[0] = 0; p[1] = 0; p[2] = 255; }
}

/* Stored pixel (x, y) of a file with orientation o whose upright picture is 32×24. A viewer
 * applies o to the stored image; we store the inverse (6 and 8 are each other's inverse). */
static void stored_for_orientation(int o, int x, int y, unsigned char *p) {
    const int w = 32, h = 24;  /* upright size */
    int inv = o == 6 ? 8 : (o == 8 ? 6 : o);
    /* stored size: (w, h) for 1–4, (h, w) for 5–8; the stored image is inv applied to upright. */
    int sx, sy;
    switch (inv) {
    case 1: sx = x; sy = y; break;
    case 2: sx = w - 1 - x; sy = y; break;
    case 3: sx = w - 1 - x; sy = h - 1 - y; break;
    case 4: sx = x; sy = h - 1 - y; break;
    case 5: sx = y; sy = x; break;
    case 6: sx = y; sy = h - 1 - x; break;   /* rotate the upright picture 90° clockwise */
    case 7: sx = w - 1 - y; sy = h - 1 - x; break;
    default: sx = w - 1 - y; sy = x; break;  /* 8: 90° counter-clockwise */
    }
    upright(sx, sy, p);
}

static void write_exif(j_compress_ptr c, int orientation) {
    unsigned char b[] = {'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0, 8, 0, 0, 0,
                         1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, (unsigned char)orientation, 0, 0, 0,
                         0, 0, 0, 0};
    jpeg_write_marker(c, JPEG_APP0 + 1, b, sizeof b);
}

static void write_one(const char *dir, const spec_t *s) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, s->name);
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); exit(1); }
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, f);
    c.image_width = s->width;
    c.image_height = s->height;
    c.input_components = s->components;
    c.in_color_space = s->in_space;
    jpeg_set_defaults(&c);
    jpeg_set_colorspace(&c, s->file_space);
    c.write_Adobe_marker = s->adobe_marker;
    jpeg_set_quality(&c, s->quality, TRUE);
    if (s->full_chroma)
        for (int i = 0; i < c.num_components; i++) c.comp_info[i].h_samp_factor = c.comp_info[i].v_samp_factor = 1;
    if (s->progressive) jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    if (s->orientation) write_exif(&c, s->orientation);
    unsigned char *row = malloc((size_t)s->width * s->components);
    while (c.next_scanline < c.image_height) {
        int y = c.next_scanline;
        for (int x = 0; x < s->width; x++) {
            unsigned char *p = row + (size_t)x * s->components;
            if (s->orientation) stored_for_orientation(s->orientation, x, y, p);
            else if (s->components == 4) {
                cmyk_pattern(s->width, s->height, x, y, p);
                /* Adobe files hold inverted CMYK, as Photoshop writes it. */
                if (s->adobe_marker) for (int k = 0; k < 4; k++) p[k] = 255 - p[k];
            } else if (s->components == 1) {
                unsigned char q[3];
                rgb_pattern(s->width, s->height, x, y, q);
                p[0] = q[1];
            } else rgb_pattern(s->width, s->height, x, y, p);
        }
        JSAMPROW r = row;
        jpeg_write_scanlines(&c, &r, 1);
    }
    free(row);
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    fclose(f);
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: jpegfix OUTDIR\n"); return 2; }
    spec_t specs[] = {
        {"rgb_baseline_444.jpg", 32, 24, 3, JCS_RGB, JCS_YCbCr, 95, 0, 1, 0, 0},
        {"rgb_baseline_420_odd.jpg", 33, 17, 3, JCS_RGB, JCS_YCbCr, 90, 0, 0, 0, 0},
        {"rgb_progressive.jpg", 32, 24, 3, JCS_RGB, JCS_YCbCr, 95, 1, 1, 0, 0},
        {"gray.jpg", 32, 24, 1, JCS_GRAYSCALE, JCS_GRAYSCALE, 95, 0, 1, 0, 0},
        {"gray_progressive.jpg", 31, 23, 1, JCS_GRAYSCALE, JCS_GRAYSCALE, 95, 1, 1, 0, 0},
        {"cmyk_adobe_inverted.jpg", 32, 24, 4, JCS_CMYK, JCS_CMYK, 95, 0, 1, 1, 0},
        {"cmyk_plain.jpg", 32, 24, 4, JCS_CMYK, JCS_CMYK, 95, 0, 1, 0, 0},
        {"ycck_adobe_inverted.jpg", 32, 24, 4, JCS_CMYK, JCS_YCCK, 95, 0, 1, 1, 0},
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) write_one(argv[1], &specs[i]);
    for (int o = 1; o <= 8; o++) {
        char name[64];
        snprintf(name, sizeof name, "orientation_%d.jpg", o);
        spec_t s = {name, o >= 5 ? 24 : 32, o >= 5 ? 32 : 24, 3, JCS_RGB, JCS_YCbCr, 95, 0, 1, 0, o};
        write_one(argv[1], &s);
    }
    /* A large photo-sized frame for DCT scaling tests: 640×480, 4:2:0. */
    spec_t big = {"rgb_640x480.jpg", 640, 480, 3, JCS_RGB, JCS_YCbCr, 90, 0, 0, 0, 0};
    write_one(argv[1], &big);
    return 0;
}
