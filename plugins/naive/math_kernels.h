/* math_kernels.h — internal to the naive plugin: the forward and backward functions
 * of the elementwise, activation, reshape and loss kernels (math_*.c), which
 * math_table.c collects into nnd_naive_math_kernels[], and the few helpers they
 * share. Not installed; a plugin's only public symbol is its entry point. */
#ifndef NND_NAIVE_MATH_H
#define NND_NAIVE_MATH_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include <nnd/plugin.h>

#include "naive.h"

/* Attribute i of the node as a number: the compiler normalises attributes
 * and fills defaults, but a hand-made ctx (another host, a test) may leave
 * them out, so fall back to the schema's default rather than crash. */
static inline double nnd_naive_attr(const nnd_kernel_ctx *ctx, int i, double fallback) {
  return ctx->attrs ? nnd_num(&ctx->attrs[i], fallback) : fallback;
}

/* Samples in t: its batch when batched, else 1 (a parameter is one sample
 * shared by the whole batch). */
static inline int64_t nnd_naive_samples(const nnd_tensor *t) {
  return t->batched && t->ndim > 0 ? t->dim[0] : 1;
}

/* Elements in one sample of t. */
static inline int64_t nnd_naive_per_sample(const nnd_tensor *t) {
  int64_t n = nnd_naive_samples(t);
  return n > 0 ? t->numel / n : 0;
}

/* math_arith.c */
int nnd_naive_add_forward(const nnd_kernel_ctx *ctx);
int nnd_naive_add_backward(const nnd_kernel_ctx *ctx);
int nnd_naive_sub_forward(const nnd_kernel_ctx *ctx);
int nnd_naive_sub_backward(const nnd_kernel_ctx *ctx);
int nnd_naive_mul_forward(const nnd_kernel_ctx *ctx);
int nnd_naive_mul_backward(const nnd_kernel_ctx *ctx);
int nnd_naive_matmul_forward(const nnd_kernel_ctx *ctx);
int nnd_naive_matmul_backward(const nnd_kernel_ctx *ctx);

/* math_activation.c */
int nnd_naive_relu_forward(const nnd_kernel_ctx *ctx);
int nnd_naive_relu_backward(const nnd_kernel_ctx *ctx);
int nnd_naive_sigmoid_forward(const nnd_kernel_ctx *ctx);
int nnd_naive_sigmoid_backward(const nnd_kernel_ctx *ctx);
int nnd_naive_tanh_forward(const nnd_kernel_ctx *ctx);
int nnd_naive_tanh_backward(const nnd_kernel_ctx *ctx);
int nnd_naive_leaky_relu_forward(const nnd_kernel_ctx *ctx);
int nnd_naive_leaky_relu_backward(const nnd_kernel_ctx *ctx);
int nnd_naive_softmax_forward(const nnd_kernel_ctx *ctx);
int nnd_naive_softmax_backward(const nnd_kernel_ctx *ctx);
int nnd_naive_log_softmax_forward(const nnd_kernel_ctx *ctx);
int nnd_naive_log_softmax_backward(const nnd_kernel_ctx *ctx);

/* math_reshape.c */
int nnd_naive_copy_forward(const nnd_kernel_ctx *ctx);  /* flatten, reshape */
int nnd_naive_copy_backward(const nnd_kernel_ctx *ctx);
int nnd_naive_concat_forward(const nnd_kernel_ctx *ctx);
int nnd_naive_concat_backward(const nnd_kernel_ctx *ctx);

/* math_loss.c */
int nnd_naive_cross_entropy_forward(const nnd_kernel_ctx *ctx);
int nnd_naive_cross_entropy_backward(const nnd_kernel_ctx *ctx);
int nnd_naive_nll_forward(const nnd_kernel_ctx *ctx);
int nnd_naive_nll_backward(const nnd_kernel_ctx *ctx);
int nnd_naive_bce_forward(const nnd_kernel_ctx *ctx);
int nnd_naive_bce_backward(const nnd_kernel_ctx *ctx);
int nnd_naive_mse_forward(const nnd_kernel_ctx *ctx);
int nnd_naive_mse_backward(const nnd_kernel_ctx *ctx);

#endif
