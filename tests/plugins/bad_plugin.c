/* bad_plugin.c — plugins the loader must refuse, one per way of being wrong,
 * each built from this file with -DBAD_<KIND>. A refused plugin must leave
 * the registry untouched and never stop the good plugins from loading. */
#include <nnd/plugin.h>

#if !defined(BAD_DUP_OP)
static int forward(const nnd_kernel_ctx *c) { (void)c; return 0; }
#endif

#if defined(BAD_DUP_OP)
#define NAME "bad-dup-op"
#elif defined(BAD_DUP_KERNEL)
/* relu/naive already comes from the naive plugin */
static const nnd_kernel kernel = {sizeof(nnd_kernel), "relu", "naive", forward, forward, 0, 0, 0};
#define NAME "bad-dup-kernel"
#elif defined(BAD_ORPHAN_KERNEL)
static const nnd_kernel kernel = {sizeof(nnd_kernel), "no_such_op", "naive", forward, forward,
                                  0, 0, 0};
#define NAME "bad-orphan-kernel"
#else
static const nnd_kernel kernel = {sizeof(nnd_kernel), "relu", "bad", forward, forward, 0, 0, 0};
#define NAME "bad-abi"
#endif

#if defined(BAD_DUP_OP)
/* `dense` is a standard op */
static int infer(nnd_infer *ctx) { (void)ctx; return 0; }
static const nnd_op_schema op = {.size = sizeof(nnd_op_schema), .name = "dense",
                                 .min_inputs = 1, .max_inputs = 1, .infer = infer};
#endif

static int register_bad(const nnd_host *host, nnd_registrar *r) {
#if defined(BAD_DUP_OP)
  return host->register_op(r, &op);
#else
  return host->register_kernel(r, &kernel);
#endif
}

static const nnd_plugin_info info = {
    .size = sizeof(nnd_plugin_info),
#if defined(BAD_ABI_MAJOR)
    .abi_major = NND_ABI_MAJOR + 1,
#else
    .abi_major = NND_ABI_MAJOR,
#endif
    .abi_minor = NND_ABI_MINOR,
#if defined(BAD_FINGERPRINT)
    .fingerprint = NND_ABI_FINGERPRINT + 1,
#else
    .fingerprint = NND_ABI_FINGERPRINT,
#endif
    .name = NAME,
    .version = "0",
    .license = "MIT",
    .description = "a plugin the loader refuses",
    .register_plugin = register_bad,
};

#if !defined(BAD_NO_ENTRY)
NND_PLUGIN_EXPORT const nnd_plugin_info *nnd_plugin_entry(void) { return &info; }
#else
/* exports something, but not the entry point */
NND_PLUGIN_EXPORT const nnd_plugin_info *some_other_function(void) { return &info; }
#endif
