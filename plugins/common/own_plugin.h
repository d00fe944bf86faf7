/* own_plugin.h — what nnd's own plugins (naive, openmp, blas, dnnl) share
 * to register: a loop over a table of kernels or optimizers, and the
 * plugin descriptor with the entry point. Third-party plugins write these
 * out (examples/plugin): they are the contract of <nnd/plugin.h>, and this
 * header only spares nnd's four the same fifteen lines each. Its version
 * is nnd's own (NND_VERSION_STRING), as the plugins ship with it. */
#ifndef NND_OWN_PLUGIN_H
#define NND_OWN_PLUGIN_H

#include <stddef.h>

#include <nnd/nnd.h>
#include <nnd/plugin.h>

static inline int nnd_own_register_kernels(const nnd_host *host, nnd_registrar *r,
                                           const nnd_kernel *k, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (host->register_kernel(r, &k[i]) != 0) return -1;
  return 0;
}

static inline int nnd_own_register_optimizers(const nnd_host *host, nnd_registrar *r,
                                              const nnd_optimizer *o, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (host->register_optimizer(r, &o[i]) != 0) return -1;
  return 0;
}

/* The plugin's descriptor and nnd_plugin_entry: NAME and DESCRIPTION are
 * string literals, REGISTER its nnd_plugin_info.register_plugin. */
#define NND_OWN_PLUGIN(NAME, DESCRIPTION, REGISTER)                                  \
  static const nnd_plugin_info nnd_own_info = {                                      \
      .size = sizeof(nnd_plugin_info),                                               \
      .abi_major = NND_ABI_MAJOR,                                                    \
      .abi_minor = NND_ABI_MINOR,                                                    \
      .fingerprint = NND_ABI_FINGERPRINT,                                            \
      .name = NAME,                                                                  \
      .version = NND_VERSION_STRING,                                                 \
      .license = "MIT",                                                              \
      .description = DESCRIPTION,                                                    \
      .register_plugin = REGISTER,                                                   \
  };                                                                                 \
  NND_PLUGIN_EXPORT const nnd_plugin_info *nnd_plugin_entry(void) { return &nnd_own_info; }

#endif
