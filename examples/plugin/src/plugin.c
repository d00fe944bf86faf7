/* plugin.c — the acme-hardswish plugin: the op acme.hardswish (its schema:
 * attributes, arity, shape inference) and the registration of its kernels.
 * It includes <nnd/plugin.h> and nothing else of nnd, and exports one
 * symbol, nnd_plugin_entry. */
#include <stdio.h>

#include "hardswish.h"

static const nnd_attr_spec hardswish_attrs[HARDSWISH_NATTRS] = {
    [HARDSWISH_SHIFT] = {.name = "shift", .type = NND_ATTR_FLOAT,
                         .doc = "added to x before clamping to [0, 6]", .has_min = 1,
                         .min = 0, .has_max = 1, .max = 6, .has_default = 1, .def_num = 3},
};

/* Elementwise: the output has the input's type; labels are refused. */
static int hardswish_infer(nnd_infer *ctx) {
  const nnd_type *x = &ctx->inputs[0];
  if (x->dtype != NND_FLOAT) {
    snprintf(ctx->message, sizeof ctx->message, "hardswish: `%s` is a label, not a tensor",
             ctx->input_names[0]);
    return -1;
  }
  ctx->output = *x;
  return 0;
}

static const nnd_op_schema hardswish_schema = {
    .size = sizeof(nnd_op_schema),
    .name = "acme.hardswish",
    .doc = "x * clamp(x + shift, 0, 6) / 6, the activation of MobileNetV3",
    .min_inputs = 1,
    .max_inputs = 1,
    .attrs = hardswish_attrs,
    .n_attrs = HARDSWISH_NATTRS,
    .flags = NND_OP_ELEMENTWISE,
    .infer = hardswish_infer,
};

static int register_hardswish(const nnd_host *host, nnd_registrar *r) {
  if (host->register_op(r, &hardswish_schema) != 0) return -1;
  if (host->register_kernel(r, &acme_hardswish_naive) != 0) return -1;
#ifdef ACME_HAVE_OPENMP
  if (host->register_kernel(r, &acme_hardswish_openmp) != 0) return -1;
#endif
  return 0;
}

static const nnd_plugin_info info = {
    .size = sizeof(nnd_plugin_info),
    .abi_major = NND_ABI_MAJOR,
    .abi_minor = NND_ABI_MINOR,
    .fingerprint = NND_ABI_FINGERPRINT,
    .name = "acme-hardswish",
    .version = PACKAGE_VERSION,
    .license = "MIT",
    .description = "the hardswish activation, an example third-party plugin",
    .register_plugin = register_hardswish,
};

NND_PLUGIN_EXPORT const nnd_plugin_info *nnd_plugin_entry(void) { return &info; }
