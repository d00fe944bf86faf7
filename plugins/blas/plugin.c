/* plugin.c — the blas plugin's entry point and its table of kernels. The
 * plugin computes only the products (dense, conv1d, conv2d); every other op
 * falls through to the next backend in the session's preference list. */
#include "blas.h"
#include "own_plugin.h"

#define BLAS_KERNEL(OP, FWD, BWD, WS)                                                  \
  {.size = sizeof(nnd_kernel), .op = OP, .backend = "blas", .forward = FWD,           \
   .backward = BWD, .workspace = WS, .supports = NULL, .flags = NND_KERNEL_ASSIGNS_GRADS}

/* every blas kernel stores the gradients it writes first (nnd_grad_assigns) */
static const nnd_kernel kernels[] = {
    /* dense needs no workspace: its three products read the tensors as they are */
    BLAS_KERNEL("dense", nnd_blas_dense_forward, nnd_blas_dense_backward, NULL),
    /* conv keeps a col buffer and a partial weight gradient per thread */
    BLAS_KERNEL("conv1d", nnd_blas_conv1d_forward, nnd_blas_conv1d_backward,
                nnd_blas_conv1d_workspace),
    BLAS_KERNEL("conv2d", nnd_blas_conv2d_forward, nnd_blas_conv2d_backward,
                nnd_blas_conv2d_workspace),
};

static int register_blas(const nnd_host *host, nnd_registrar *r) {
  /* before any kernel runs: the library stays single-threaded (gemm.c) */
  nnd_blas_init_threads();
  return nnd_own_register_kernels(host, r, kernels, sizeof kernels / sizeof kernels[0]);
}

NND_OWN_PLUGIN("blas",
               "dense and convolution as sgemm (im2col), split over the OpenMP threads",
               register_blas)
