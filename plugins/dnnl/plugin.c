/* plugin.c — the dnnl plugin's entry point and its table of kernels: the
 * products (dense, conv1d, conv2d), pooling and the pointwise activations on
 * oneDNN. Everything else falls through to the next backend. Each kernel's
 * `supports` asks oneDNN for an implementation of the node, so a geometry
 * oneDNN does not take runs elsewhere instead of failing. */
#include "dnnl_plugin.h"
#include "own_plugin.h"

/* OP on the kernels of FAMILY (nnd_dnnl_FAMILY_forward, ...): one family
   serves both poolings and the four activations */
#define DNNL_KERNEL(OP, FAMILY)                                                         \
  {.size = sizeof(nnd_kernel), .op = OP, .backend = "dnnl",                            \
   .forward = nnd_dnnl_##FAMILY##_forward, .backward = nnd_dnnl_##FAMILY##_backward,    \
   .workspace = nnd_dnnl_##FAMILY##_workspace, .supports = nnd_dnnl_##FAMILY##_supports, \
   .flags = NND_KERNEL_ASSIGNS_GRADS}

/* every dnnl backward lets oneDNN write straight into the gradients it is
   the first writer of (nnd_dnnl_grad_out), and into scratch it then adds
   from otherwise */
static const nnd_kernel kernels[] = {
    DNNL_KERNEL("dense", dense),        DNNL_KERNEL("conv1d", conv1d),
    DNNL_KERNEL("conv2d", conv2d),      DNNL_KERNEL("maxpool", pool),
    DNNL_KERNEL("avgpool", pool),       DNNL_KERNEL("relu", eltwise),
    DNNL_KERNEL("leaky_relu", eltwise), DNNL_KERNEL("sigmoid", eltwise),
    DNNL_KERNEL("tanh", eltwise),
};

static int register_dnnl(const nnd_host *host, nnd_registrar *r) {
  return nnd_own_register_kernels(host, r, kernels, sizeof kernels / sizeof kernels[0]);
}

NND_OWN_PLUGIN("dnnl",
               "convolution, dense, pooling and activations on oneDNN (libdnnl)",
               register_dnnl)
