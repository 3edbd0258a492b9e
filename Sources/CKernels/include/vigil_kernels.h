#ifndef VIGIL_KERNELS_H
#define VIGIL_KERNELS_H
// Vigil's vectorised inner loops, compiled once per x86-64 level (AVX-512, AVX2+FMA,
// baseline) and chosen when the program loads, from what the CPU reports: the same binary
// runs AVX-512 code where there is AVX-512. All tensors are NHWC, float32, C order.

/// Output activation fused into a kernel's store: 0 none, 1 ReLU, 2 ReLU6.
enum { VIGIL_ACT_NONE = 0, VIGIL_ACT_RELU = 1, VIGIL_ACT_RELU6 = 2 };

/// Window geometry shared by depthwise convolution and pooling.
typedef struct {
    int in_h, in_w, channels;
    int out_h, out_w;
    int kernel_h, kernel_w, stride_h, stride_w;
    int pad_top, pad_left, dilation_h, dilation_w;
} vigil_window;

/// Depthwise convolution, output rows [row_begin, row_end) of the (batch · out_h) rows:
/// y[n, oy, ox, c] = act(bias[c] + Σ_taps x[n, iy, ix, c] · wt[ky, kx, c]).
/// `wt` is the weight transposed to (KH, KW, C); `bias` may be NULL.
void vigil_depthwise_rows(const float *x, const float *wt, const float *bias, int act,
                          const vigil_window *g, float *y, int row_begin, int row_end);

/// Max pooling for inference (no arg-max kept), rows as above. Padding never wins; a
/// window wholly outside the input gives -infinity.
void vigil_maxpool_rows(const float *x, const vigil_window *g, float *y, int row_begin, int row_end);

/// y = act(a + b), `count` values (y may alias a or b).
void vigil_add_act(const float *a, const float *b, float *y, long count, int act);

/// Which code the loader chose: "avx512", "avx2" or "baseline".
const char *vigil_kernels_level(void);

#endif
