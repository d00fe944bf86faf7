/* layers.h — internal to the naive plugin: the layer kernels' entry points,
 * collected into a table by layers.c. The helpers they share for reading
 * attributes and geometry are in plugins/common/kernel_geometry.h. */
#ifndef NND_NAIVE_LAYERS_H
#define NND_NAIVE_LAYERS_H

#include <nnd/plugin.h>

#include "naive.h"

/* layers_dense.c */
int nnd_naive_dense_forward(const nnd_kernel_ctx *ctx);
int nnd_naive_dense_backward(const nnd_kernel_ctx *ctx);

/* layers_conv.c */
int nnd_naive_conv1d_forward(const nnd_kernel_ctx *ctx);
int nnd_naive_conv1d_backward(const nnd_kernel_ctx *ctx);
int nnd_naive_conv2d_forward(const nnd_kernel_ctx *ctx);
int nnd_naive_conv2d_backward(const nnd_kernel_ctx *ctx);

/* layers_pool.c: one kernel per op serves [N, C, L] and [N, C, H, W] */
int nnd_naive_maxpool_forward(const nnd_kernel_ctx *ctx);
int nnd_naive_maxpool_backward(const nnd_kernel_ctx *ctx);
int nnd_naive_avgpool_forward(const nnd_kernel_ctx *ctx);
int nnd_naive_avgpool_backward(const nnd_kernel_ctx *ctx);

/* layers_norm.c */
int nnd_naive_batchnorm_forward(const nnd_kernel_ctx *ctx);
int nnd_naive_batchnorm_backward(const nnd_kernel_ctx *ctx);
size_t nnd_naive_batchnorm_workspace(const nnd_kernel_ctx *ctx);
int nnd_naive_dropout_forward(const nnd_kernel_ctx *ctx);
int nnd_naive_dropout_backward(const nnd_kernel_ctx *ctx);

/* ------------------------------------------------------------- helpers */


#endif
