// Vigil's vectorised inner loops; see include/vigil_kernels.h.
#include "vigil_kernels.h"

#include <math.h>

#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#define BLOCK 64

static inline __attribute__((always_inline)) float activate(float v, int act) {
    if (act == VIGIL_ACT_RELU) return v > 0 ? v : 0;
    if (act == VIGIL_ACT_RELU6) return v > 0 ? (v < 6 ? v : 6) : 0;
    return v;
}

// One output pixel, channels [c0, c0 + cn): the accumulators stay in registers across taps.
static inline __attribute__((always_inline)) void depthwise_block(const float *xin, const float *wt, const float *bias,
                                                                  int act, const vigil_window *g, int oy, int ox,
                                                                  float *out, int c0, int cn) {
    float acc[BLOCK];
    for (int i = 0; i < cn; i++) acc[i] = bias ? bias[c0 + i] : 0.0f;
    const int c = g->channels;
    for (int ky = 0; ky < g->kernel_h; ky++) {
        const int iy = oy * g->stride_h - g->pad_top + ky * g->dilation_h;
        if (iy < 0 || iy >= g->in_h) continue;
        for (int kx = 0; kx < g->kernel_w; kx++) {
            const int ix = ox * g->stride_w - g->pad_left + kx * g->dilation_w;
            if (ix < 0 || ix >= g->in_w) continue;
            const float *src = xin + ((long)iy * g->in_w + ix) * c + c0;
            const float *w = wt + (long)(ky * g->kernel_w + kx) * c + c0;
            for (int i = 0; i < cn; i++) acc[i] += src[i] * w[i];
        }
    }
    for (int i = 0; i < cn; i++) out[c0 + i] = activate(acc[i], act);
}

typedef float v16 __attribute__((vector_size(64), aligned(4)));

static inline __attribute__((always_inline)) v16 act16(v16 v, int act) {
    const v16 zero = {0}, six = zero + 6.0f;
    if (act == VIGIL_ACT_RELU) return __builtin_elementwise_max(v, zero);
    if (act == VIGIL_ACT_RELU6) return __builtin_elementwise_min(__builtin_elementwise_max(v, zero), six);
    return v;
}

// K×K depthwise (K = 3 or 5), channels a multiple of 16: per 16-channel block the K² weight
// vectors and the bias stay in registers while the kernel walks along the output row; pixels
// whose window lies inside the image take the unrolled path without bounds checks.
static inline __attribute__((always_inline)) void depthwise_row_k(const int K, const float *xin, const float *wt,
                                                                  const float *bias, int act, const vigil_window *g,
                                                                  int oy, float *yrow) {
    const int c = g->channels, sw = g->stride_w, in_w = g->in_w;
    const int iy0 = oy * g->stride_h - g->pad_top;
    // Output columns whose K input columns all exist.
    int ox_lo = (g->pad_left + sw - 1) / sw;
    int ox_hi = in_w - K + g->pad_left < 0 ? 0 : (in_w - K + g->pad_left) / sw + 1;
    if (ox_hi > g->out_w) ox_hi = g->out_w;
    if (ox_lo > ox_hi) ox_lo = ox_hi;
    const int rows_ok = iy0 >= 0 && iy0 + K - 1 < g->in_h;
    const long row = (long)in_w * c;
    for (int c0 = 0; c0 < c; c0 += 16) {
        v16 w[25];
        for (int t = 0; t < K * K; t++) w[t] = *(const v16 *)(wt + (long)t * c + c0);
        const v16 b = bias ? *(const v16 *)(bias + c0) : (v16){0};
        for (int ox = 0; ox < g->out_w; ox++) {
            const int ix0 = ox * sw - g->pad_left;
            v16 acc = b;
            if (rows_ok && ox >= ox_lo && ox < ox_hi) {
                const float *p = xin + ((long)iy0 * in_w + ix0) * c + c0;
                for (int ky = 0; ky < K; ky++)
                    for (int kx = 0; kx < K; kx++) acc += *(const v16 *)(p + ky * row + kx * c) * w[ky * K + kx];
            } else {
                for (int ky = 0; ky < K; ky++) {
                    const int iy = iy0 + ky;
                    if (iy < 0 || iy >= g->in_h) continue;
                    for (int kx = 0; kx < K; kx++) {
                        const int ix = ix0 + kx;
                        if (ix < 0 || ix >= in_w) continue;
                        acc += *(const v16 *)(xin + ((long)iy * in_w + ix) * c + c0) * w[ky * K + kx];
                    }
                }
            }
            *(v16 *)(yrow + (long)ox * c + c0) = act16(acc, act);
        }
    }
}

CLONES
void vigil_depthwise_rows(const float *x, const float *wt, const float *bias, int act,
                          const vigil_window *g, float *y, int row_begin, int row_end) {
    const int c = g->channels;
    const int k = g->kernel_h;
    const int fast = (k == 3 || k == 5) && g->kernel_w == k && g->dilation_h == 1 && g->dilation_w == 1 && c % 16 == 0;
    for (int row = row_begin; row < row_end; row++) {
        const int n = row / g->out_h, oy = row % g->out_h;
        const float *xin = x + (long)n * g->in_h * g->in_w * c;
        if (fast) {
            if (k == 3) depthwise_row_k(3, xin, wt, bias, act, g, oy, y + (long)row * g->out_w * c);
            else depthwise_row_k(5, xin, wt, bias, act, g, oy, y + (long)row * g->out_w * c);
            continue;
        }
        for (int ox = 0; ox < g->out_w; ox++) {
            float *out = y + ((long)row * g->out_w + ox) * c;
            int c0 = 0;
            // Full blocks have a constant trip count, so the compiler keeps them in registers.
            for (; c0 + BLOCK <= c; c0 += BLOCK) depthwise_block(xin, wt, bias, act, g, oy, ox, out, c0, BLOCK);
            if (c0 < c) depthwise_block(xin, wt, bias, act, g, oy, ox, out, c0, c - c0);
        }
    }
}

CLONES
void vigil_maxpool_rows(const float *x, const vigil_window *g, float *y, int row_begin, int row_end) {
    const int c = g->channels;
    for (int row = row_begin; row < row_end; row++) {
        const int n = row / g->out_h, oy = row % g->out_h;
        const float *xin = x + (long)n * g->in_h * g->in_w * c;
        for (int ox = 0; ox < g->out_w; ox++) {
            float *out = y + ((long)row * g->out_w + ox) * c;
            for (int i = 0; i < c; i++) out[i] = -INFINITY;
            for (int ky = 0; ky < g->kernel_h; ky++) {
                const int iy = oy * g->stride_h - g->pad_top + ky * g->dilation_h;
                if (iy < 0 || iy >= g->in_h) continue;
                for (int kx = 0; kx < g->kernel_w; kx++) {
                    const int ix = ox * g->stride_w - g->pad_left + kx * g->dilation_w;
                    if (ix < 0 || ix >= g->in_w) continue;
                    const float *src = xin + ((long)iy * g->in_w + ix) * c;
                    for (int i = 0; i < c; i++) out[i] = src[i] > out[i] ? src[i] : out[i];
                }
            }
        }
    }
}

CLONES
void vigil_maxpool_argmax_rows(const float *x, const vigil_window *g, float *y, int *argmax, int row_begin, int row_end) {
    const int c = g->channels;
    for (int row = row_begin; row < row_end; row++) {
        const int n = row / g->out_h, oy = row % g->out_h;
        const long image = (long)n * g->in_h * g->in_w * c;
        for (int ox = 0; ox < g->out_w; ox++) {
            float *out = y + ((long)row * g->out_w + ox) * c;
            int *arg = argmax + ((long)row * g->out_w + ox) * c;
            int first = 1;
            for (int ky = 0; ky < g->kernel_h; ky++) {
                const int iy = oy * g->stride_h - g->pad_top + ky * g->dilation_h;
                if (iy < 0 || iy >= g->in_h) continue;
                for (int kx = 0; kx < g->kernel_w; kx++) {
                    const int ix = ox * g->stride_w - g->pad_left + kx * g->dilation_w;
                    if (ix < 0 || ix >= g->in_w) continue;
                    const long base = image + ((long)iy * g->in_w + ix) * c;
                    const float *src = x + base;
                    if (first) {
#pragma clang loop vectorize(assume_safety)
                        for (int i = 0; i < c; i++) { out[i] = src[i]; arg[i] = (int)(base + i); }
                        first = 0;
                    } else {
                        // Strictly greater: the first maximum in window order keeps the gradient.
#pragma clang loop vectorize(assume_safety)
                        for (int i = 0; i < c; i++) {
                            const int better = src[i] > out[i];
                            out[i] = better ? src[i] : out[i];
                            arg[i] = better ? (int)(base + i) : arg[i];
                        }
                    }
                }
            }
            if (first) for (int i = 0; i < c; i++) { out[i] = -INFINITY; arg[i] = -1; }
        }
    }
}

CLONES
void vigil_add_act(const float *a, const float *b, float *y, long count, int act) {
    if (act == VIGIL_ACT_RELU) {
        for (long i = 0; i < count; i++) { float v = a[i] + b[i]; y[i] = v > 0 ? v : 0; }
    } else if (act == VIGIL_ACT_RELU6) {
        for (long i = 0; i < count; i++) { float v = a[i] + b[i]; y[i] = v > 0 ? (v < 6 ? v : 6) : 0; }
    } else {
        for (long i = 0; i < count; i++) y[i] = a[i] + b[i];
    }
}

CLONES
void vigil_winograd_weights(const float *w, int cout, int cin, float *u) {
    const long plane = (long)cout * cin;
    for (int o = 0; o < cout; o++) {
        const float *g = w + (long)o * 9 * cin;
        float *dst = u + (long)o * cin;
        // Vectorised over input channels: nine contiguous rows in, sixteen contiguous rows out.
#pragma clang loop vectorize(assume_safety)
        for (int i = 0; i < cin; i++) {
            float t[4][3];
            // t = G g, G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1].
            for (int kx = 0; kx < 3; kx++) {
                const float g0 = g[kx * cin + i], g1 = g[(3 + kx) * cin + i], g2 = g[(6 + kx) * cin + i];
                t[0][kx] = g0;
                t[1][kx] = 0.5f * (g0 + g1 + g2);
                t[2][kx] = 0.5f * (g0 - g1 + g2);
                t[3][kx] = g2;
            }
            // u = t Gᵀ.
            for (int r = 0; r < 4; r++) {
                dst[(r * 4 + 0) * plane + i] = t[r][0];
                dst[(r * 4 + 1) * plane + i] = 0.5f * (t[r][0] + t[r][1] + t[r][2]);
                dst[(r * 4 + 2) * plane + i] = 0.5f * (t[r][0] - t[r][1] + t[r][2]);
                dst[(r * 4 + 3) * plane + i] = t[r][2];
            }
        }
    }
}

CLONES
void vigil_winograd_input(const float *x, const vigil_window *g, int tiles_h, int tiles_w, long t0, long t1,
                          const float *zeros, float *v) {
    const int c = g->channels;
    const long tb = t1 - t0, per_image = (long)tiles_h * tiles_w;
    for (long t = t0; t < t1; t++) {
        const long n = t / per_image, r = t % per_image;
        const int ty = (int)(r / tiles_w), tx = (int)(r % tiles_w);
        const float *d[4][4];
        for (int a = 0; a < 4; a++) {
            const int iy = 2 * ty - g->pad_top + a;
            for (int b = 0; b < 4; b++) {
                const int ix = 2 * tx - g->pad_left + b;
                d[a][b] = (iy < 0 || iy >= g->in_h || ix < 0 || ix >= g->in_w)
                    ? zeros : x + ((n * g->in_h + iy) * (long)g->in_w + ix) * c;
            }
        }
        float *out = v + (t - t0) * c;
        const long step = tb * c;
        // Sources and destinations never overlap: vectorise without run-time alias checks.
#pragma clang loop vectorize(assume_safety)
        for (int ch = 0; ch < c; ch++) {
            float s[4][4];
            // Bᵀ d: rows d0 − d2, d1 + d2, d2 − d1, d1 − d3.
            for (int b = 0; b < 4; b++) {
                const float d0 = d[0][b][ch], d1 = d[1][b][ch], d2 = d[2][b][ch], d3 = d[3][b][ch];
                s[0][b] = d0 - d2; s[1][b] = d1 + d2; s[2][b] = d2 - d1; s[3][b] = d1 - d3;
            }
            // (Bᵀ d) B: the same on columns.
            for (int a = 0; a < 4; a++) {
                out[(a * 4 + 0) * step + ch] = s[a][0] - s[a][2];
                out[(a * 4 + 1) * step + ch] = s[a][1] + s[a][2];
                out[(a * 4 + 2) * step + ch] = s[a][2] - s[a][1];
                out[(a * 4 + 3) * step + ch] = s[a][1] - s[a][3];
            }
        }
    }
}

CLONES
void vigil_winograd_output(const float *m, const vigil_window *g, int tiles_h, int tiles_w, long t0, long t1,
                           const float *bias, int act, float *sink, float *y) {
    const int o = g->channels;
    const long tb = t1 - t0, per_image = (long)tiles_h * tiles_w;
    const long step = tb * o;
    for (long t = t0; t < t1; t++) {
        const long n = t / per_image, r = t % per_image;
        const int ty = (int)(r / tiles_w), tx = (int)(r % tiles_w);
        float *dst[2][2];
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 2; b++) {
                const int oy = 2 * ty + a, ox = 2 * tx + b;
                dst[a][b] = (oy < g->out_h && ox < g->out_w) ? y + ((n * g->out_h + oy) * (long)g->out_w + ox) * o : sink;
            }
        const float *src = m + (t - t0) * o;
#pragma clang loop vectorize(assume_safety)
        for (int ch = 0; ch < o; ch++) {
            float q[4][2];
            // M A: columns m0 + m1 + m2 and m1 − m2 − m3.
            for (int a = 0; a < 4; a++) {
                const float m0 = src[(a * 4 + 0) * step + ch], m1 = src[(a * 4 + 1) * step + ch];
                const float m2 = src[(a * 4 + 2) * step + ch], m3 = src[(a * 4 + 3) * step + ch];
                q[a][0] = m0 + m1 + m2; q[a][1] = m1 - m2 - m3;
            }
            const float bv = bias ? bias[ch] : 0.0f;
            for (int b = 0; b < 2; b++) {
                dst[0][b][ch] = activate(q[0][b] + q[1][b] + q[2][b] + bv, act);
                dst[1][b][ch] = activate(q[1][b] - q[2][b] - q[3][b] + bv, act);
            }
        }
    }
}

CLONES
void vigil_fill_rows(float *y, const float *row, long rows, int channels) {
    for (long r = 0; r < rows; r++) {
        float *dst = y + r * channels;
        for (int i = 0; i < channels; i++) dst[i] = row[i];
    }
}

CLONES
void vigil_bias_act(float *y, const float *bias, long rows, int channels, int act) {
    for (long r = 0; r < rows; r++) {
        float *dst = y + r * channels;
        if (bias) {
            for (int i = 0; i < channels; i++) dst[i] = activate(dst[i] + bias[i], act);
        } else {
            for (int i = 0; i < channels; i++) dst[i] = activate(dst[i], act);
        }
    }
}

const char *vigil_kernels_level(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512vl"))
        return "avx512";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "avx2";
    return "baseline";
}
