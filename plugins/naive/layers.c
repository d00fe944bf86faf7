/* layers.c — the naive plugin's table of layer kernels. The kernels live in
 * layers_dense.c, layers_conv.c, layers_pool.c and layers_norm.c; this file
 * only names them, so adding a layer is one line here. */
#include "layers.h"
#include "naive.h"

#define NAIVE_KERNEL(OP, FWD, BWD, WS)                                                \
  {.size = sizeof(nnd_kernel), .op = OP, .backend = "naive", .forward = FWD,         \
   .backward = BWD, .workspace = WS, .supports = NULL}

const nnd_kernel nnd_naive_layer_kernels[] = {
    NAIVE_KERNEL("dense", nnd_naive_dense_forward, nnd_naive_dense_backward, NULL),
    NAIVE_KERNEL("conv1d", nnd_naive_conv1d_forward, nnd_naive_conv1d_backward, NULL),
    NAIVE_KERNEL("conv2d", nnd_naive_conv2d_forward, nnd_naive_conv2d_backward, NULL),
    NAIVE_KERNEL("maxpool", nnd_naive_maxpool_forward, nnd_naive_maxpool_backward, NULL),
    NAIVE_KERNEL("avgpool", nnd_naive_avgpool_forward, nnd_naive_avgpool_backward, NULL),
    /* batchnorm keeps the per-channel mean and 1/std from forward to backward */
    NAIVE_KERNEL("batchnorm", nnd_naive_batchnorm_forward, nnd_naive_batchnorm_backward,
                 nnd_naive_batchnorm_workspace),
    /* dropout recomputes its mask from ctx->seed: no workspace */
    NAIVE_KERNEL("dropout", nnd_naive_dropout_forward, nnd_naive_dropout_backward, NULL),
};

const int nnd_naive_layer_kernel_count =
    (int)(sizeof nnd_naive_layer_kernels / sizeof nnd_naive_layer_kernels[0]);
