/* plugin.c — the naive plugin's entry point and registration. */
#include <string.h>

#include "naive.h"
#include "own_plugin.h"

const nnd_kernel *nnd_naive_kernel(const char *op) {
  for (int i = 0; i < nnd_naive_layer_kernel_count; i++)
    if (strcmp(nnd_naive_layer_kernels[i].op, op) == 0) return &nnd_naive_layer_kernels[i];
  for (int i = 0; i < nnd_naive_math_kernel_count; i++)
    if (strcmp(nnd_naive_math_kernels[i].op, op) == 0) return &nnd_naive_math_kernels[i];
  return NULL;
}

static int register_naive(const nnd_host *host, nnd_registrar *r) {
  if (nnd_own_register_kernels(host, r, nnd_naive_layer_kernels,
                               (size_t)nnd_naive_layer_kernel_count) != 0 ||
      nnd_own_register_kernels(host, r, nnd_naive_math_kernels,
                               (size_t)nnd_naive_math_kernel_count) != 0)
    return -1;
  return nnd_own_register_optimizers(host, r, nnd_naive_optimizers,
                                     (size_t)nnd_naive_optimizer_count);
}

NND_OWN_PLUGIN("naive",
               "reference kernels: plain loops for every standard op and optimizer",
               register_naive)
