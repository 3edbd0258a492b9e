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

/// Max pooling for training: also the input offset (within the whole batch) of each
/// maximum, the first in window order on ties; -1 (and -infinity) for an empty window.
void vigil_maxpool_argmax_rows(const float *x, const vigil_window *g, float *y, int *argmax, int row_begin, int row_end);

/// y = act(a + b), `count` values (y may alias a or b).
void vigil_add_act(const float *a, const float *b, float *y, long count, int act);

// Winograd F(2×2, 3×3) for 3×3 stride-1 convolutions (Lavin & Gray 2016): each 2×2 output
// tile costs 16 multiplies per (input, output) channel pair instead of 36. Tiles are
// numbered n · tiles_h · tiles_w + ty · tiles_w + tx; tile (ty, tx) covers output rows
// 2ty, 2ty + 1 and columns 2tx, 2tx + 1, and reads the 4×4 input patch whose top-left is
// (2ty − pad_top, 2tx − pad_left).

/// U = G g Gᵀ for every (output, input) channel pair: `w` is (O, 3, 3, I), `u` is
/// (16, O, I), so that u + p·O·I is the O×I matrix of position p.
void vigil_winograd_weights(const float *w, int cout, int cin, float *u);

/// V = Bᵀ d B for tiles [t0, t1): `v` is (16, t1 − t0, C). `g` describes the input (in_h,
/// in_w, channels, pad_top, pad_left); `zeros` holds C zeros (reads outside the image).
void vigil_winograd_input(const float *x, const vigil_window *g, int tiles_h, int tiles_w, long t0, long t1,
                          const float *zeros, float *v);

/// Y = Aᵀ M A for tiles [t0, t1), plus bias and activation, into y (N, out_h, out_w, O).
/// `m` is (16, t1 − t0, O); `g` gives out_h, out_w and channels = O; `sink` holds O
/// floats that take the writes of tile pixels past the image's edge.
void vigil_winograd_output(const float *m, const vigil_window *g, int tiles_h, int tiles_w, long t0, long t1,
                           const float *bias, int act, float *sink, float *y);

/// Every row of y (rows × channels) set to `row`: a bias laid down before a GEMM with β = 1.
void vigil_fill_rows(float *y, const float *row, long rows, int channels);

/// y = act(y + bias) over rows × channels (bias may be NULL).
void vigil_bias_act(float *y, const float *bias, long rows, int channels, int act);

/// Which code the loader chose: "avx512", "avx2" or "baseline".
const char *vigil_kernels_level(void);

#endif
