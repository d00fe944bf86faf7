/* plugin.c — the dnnl plugin's entry point and its table of kernels: the
 * products (dense, conv1d, conv2d), pooling and the pointwise activations on
 * oneDNN. Everything else falls through to the next backend. Each kernel's
 * `supports` asks oneDNN for an implementation of the node, so a geometry
 * oneDNN does not take runs elsewhere instead of failing. */
#include "dnnl_plugin.h"
#include "own_plugin.h"

#define DNNL_KERNEL(OP, FWD, BWD, WS, SUP)                                             \
  {.size = sizeof(nnd_kernel), .op = OP, .backend = "dnnl", .forward = FWD,            \
   .backward = BWD, .workspace = WS, .supports = SUP, .flags = NND_KERNEL_ASSIGNS_GRADS}

/* every dnnl backward lets oneDNN write straight into the gradients it is
   the first writer of (nnd_dnnl_grad_out), and into scratch it then adds
   from otherwise */
static const nnd_kernel kernels[] = {
    DNNL_KERNEL("dense", nnd_dnnl_dense_forward, nnd_dnnl_dense_backward,
                nnd_dnnl_dense_workspace, nnd_dnnl_dense_supports),
    DNNL_KERNEL("conv1d", nnd_dnnl_conv1d_forward, nnd_dnnl_conv1d_backward,
                nnd_dnnl_conv1d_workspace, nnd_dnnl_conv1d_supports),
    DNNL_KERNEL("conv2d", nnd_dnnl_conv2d_forward, nnd_dnnl_conv2d_backward,
                nnd_dnnl_conv2d_workspace, nnd_dnnl_conv2d_supports),
    DNNL_KERNEL("maxpool", nnd_dnnl_pool_forward, nnd_dnnl_pool_backward,
                nnd_dnnl_pool_workspace, nnd_dnnl_pool_supports),
    DNNL_KERNEL("avgpool", nnd_dnnl_pool_forward, nnd_dnnl_pool_backward,
                nnd_dnnl_pool_workspace, nnd_dnnl_pool_supports),
    DNNL_KERNEL("relu", nnd_dnnl_eltwise_forward, nnd_dnnl_eltwise_backward,
                nnd_dnnl_eltwise_workspace, nnd_dnnl_eltwise_supports),
    DNNL_KERNEL("leaky_relu", nnd_dnnl_eltwise_forward, nnd_dnnl_eltwise_backward,
                nnd_dnnl_eltwise_workspace, nnd_dnnl_eltwise_supports),
    DNNL_KERNEL("sigmoid", nnd_dnnl_eltwise_forward, nnd_dnnl_eltwise_backward,
                nnd_dnnl_eltwise_workspace, nnd_dnnl_eltwise_supports),
    DNNL_KERNEL("tanh", nnd_dnnl_eltwise_forward, nnd_dnnl_eltwise_backward,
                nnd_dnnl_eltwise_workspace, nnd_dnnl_eltwise_supports),
};

static int register_dnnl(const nnd_host *host, nnd_registrar *r) {
  return nnd_own_register_kernels(host, r, kernels, sizeof kernels / sizeof kernels[0]);
}

NND_OWN_PLUGIN("dnnl",
               "convolution, dense, pooling and activations on oneDNN (libdnnl)",
               register_dnnl)
