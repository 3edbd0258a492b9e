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

CLONES
void vigil_depthwise_rows(const float *x, const float *wt, const float *bias, int act,
                          const vigil_window *g, float *y, int row_begin, int row_end) {
    const int c = g->channels;
    for (int row = row_begin; row < row_end; row++) {
        const int n = row / g->out_h, oy = row % g->out_h;
        const float *xin = x + (long)n * g->in_h * g->in_w * c;
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
void vigil_add_act(const float *a, const float *b, float *y, long count, int act) {
    if (act == VIGIL_ACT_RELU) {
        for (long i = 0; i < count; i++) { float v = a[i] + b[i]; y[i] = v > 0 ? v : 0; }
    } else if (act == VIGIL_ACT_RELU6) {
        for (long i = 0; i < count; i++) { float v = a[i] + b[i]; y[i] = v > 0 ? (v < 6 ? v : 6) : 0; }
    } else {
        for (long i = 0; i < count; i++) y[i] = a[i] + b[i];
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
