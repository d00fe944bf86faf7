/* plugin.c — the openmp plugin's entry point and its table of kernels.
 * Ops it leaves out (matmul, flatten, reshape, concat, batchnorm, dropout)
 * fall back to the next backend in the session's preference list. */
#include "openmp.h"
#include "own_plugin.h"

#define KERNEL_FLAGS(OP, FN, WS, FLAGS)                                                 \
  {.size = sizeof(nnd_kernel), .op = OP, .backend = "openmp",                            \
   .forward = nnd_openmp_##FN##_forward, .backward = nnd_openmp_##FN##_backward,         \
   .workspace = WS, .supports = NULL, .flags = FLAGS}
#define KERNEL(OP, FN, WS) KERNEL_FLAGS(OP, FN, WS, 0)
/* backward stores, as first writer, the gradients nnd_grad_assigns names */
#define ASSIGNS NND_KERNEL_ASSIGNS_GRADS

static const nnd_kernel kernels[] = {
    /* dense keeps x transposed, conv the padded input and output gradient,
       maxpool the argmax of each window */
    KERNEL("dense", dense, nnd_openmp_dense_workspace),
    KERNEL_FLAGS("conv1d", conv1d, nnd_openmp_conv1d_workspace, ASSIGNS),
    KERNEL_FLAGS("conv2d", conv2d, nnd_openmp_conv2d_workspace, ASSIGNS),
    KERNEL_FLAGS("maxpool", maxpool, nnd_openmp_maxpool_workspace, ASSIGNS),
    KERNEL_FLAGS("avgpool", avgpool, NULL, ASSIGNS),
    KERNEL_FLAGS("relu", relu, NULL, ASSIGNS),
    KERNEL_FLAGS("sigmoid", sigmoid, NULL, ASSIGNS),
    KERNEL_FLAGS("tanh", tanh, NULL, ASSIGNS),
    KERNEL_FLAGS("leaky_relu", leaky_relu, NULL, ASSIGNS),
    KERNEL("softmax", softmax, NULL),
    KERNEL("log_softmax", log_softmax, NULL),
    KERNEL("add", add, NULL),
    KERNEL("sub", sub, NULL),
    KERNEL("mul", mul, NULL),
    KERNEL("cross_entropy", cross_entropy, NULL),
    KERNEL("nll", nll, NULL),
    KERNEL("binary_cross_entropy", bce, NULL),
    KERNEL("mse", mse, NULL),
};

static int register_openmp(const nnd_host *host, nnd_registrar *r) {
  if (nnd_own_register_kernels(host, r, kernels, sizeof kernels / sizeof kernels[0]) != 0)
    return -1;
  return nnd_own_register_optimizers(host, r, nnd_openmp_optimizers,
                                     (size_t)nnd_openmp_optimizer_count);
}

NND_OWN_PLUGIN("openmp",
               "the standard layers, activations, losses and optimizers over OpenMP threads",
               register_openmp)
