/* math_kernels.h — internal to the naive plugin: the forward and backward functions
 * of the elementwise, activation, reshape and loss kernels (math_*.c), which
 * math_table.c collects into nnd_naive_math_kernels[]. Not installed; a plugin's only public symbol is its entry point. */
#ifndef NND_NAIVE_MATH_H
#define NND_NAIVE_MATH_H

#include <math.h>

#include <nnd/plugin.h>

#include "naive.h"

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

/* math_label.c */
int nnd_naive_one_hot_forward(const nnd_kernel_ctx *ctx);
int nnd_naive_one_hot_backward(const nnd_kernel_ctx *ctx);

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
