/* plugin.c — the naive plugin's entry point and registration. */
#include <string.h>

#include "naive.h"

const nnd_kernel *nnd_naive_kernel(const char *op) {
  for (int i = 0; i < nnd_naive_layer_kernel_count; i++)
    if (strcmp(nnd_naive_layer_kernels[i].op, op) == 0) return &nnd_naive_layer_kernels[i];
  for (int i = 0; i < nnd_naive_math_kernel_count; i++)
    if (strcmp(nnd_naive_math_kernels[i].op, op) == 0) return &nnd_naive_math_kernels[i];
  return NULL;
}

static int register_naive(const nnd_host *host, nnd_registrar *r) {
  for (int i = 0; i < nnd_naive_layer_kernel_count; i++)
    if (host->register_kernel(r, &nnd_naive_layer_kernels[i]) != 0) return -1;
  for (int i = 0; i < nnd_naive_math_kernel_count; i++)
    if (host->register_kernel(r, &nnd_naive_math_kernels[i]) != 0) return -1;
  for (int i = 0; i < nnd_naive_optimizer_count; i++)
    if (host->register_optimizer(r, &nnd_naive_optimizers[i]) != 0) return -1;
  return 0;
}

static const nnd_plugin_info info = {
    .size = sizeof(nnd_plugin_info),
    .abi_major = NND_ABI_MAJOR,
    .abi_minor = NND_ABI_MINOR,
    .fingerprint = NND_ABI_FINGERPRINT,
    .name = "naive",
    .version = "0.1.0",
    .license = "MIT",
    .description = "reference kernels: plain loops for every standard op and optimizer",
    .register_plugin = register_naive,
};

NND_PLUGIN_EXPORT const nnd_plugin_info *nnd_plugin_entry(void) { return &info; }
