/* abi10.c — a plugin built against the header of plugin ABI 1.0
 * (tests/abi/plugin-1.0.h, not include/nnd/plugin.h), as a plugin compiled
 * before ABI 1.1 and never rebuilt would be. ABI 1.1 appended `backend` to
 * nnd_optimizer, so its optimizer descriptor is smaller than this nnd's: the
 * minor-version rule (members are only appended) says it must still load,
 * and its op and kernel must still run. test.abi10_twice(x) = 2x, and an
 * optimizer abi10_sgd (plain gradient descent) with its call schema. */
#include "plugin-1.0.h"

#if NND_ABI_MINOR != 0
#error "abi10.c must be built against the ABI 1.0 header"
#endif

static int infer(nnd_infer *ctx) {
  ctx->output = ctx->inputs[0];
  return 0;
}

static const nnd_op_schema schema = {
    .size = sizeof(nnd_op_schema),
    .name = "test.abi10_twice",
    .doc = "2x, from a plugin built against ABI 1.0",
    .min_inputs = 1,
    .max_inputs = 1,
    .flags = NND_OP_ELEMENTWISE,
    .infer = infer,
};

static int forward(const nnd_kernel_ctx *c) {
  for (int64_t i = 0; i < c->output.numel; i++) c->output.data[i] = 2 * c->inputs[0].data[i];
  return 0;
}

static int backward(const nnd_kernel_ctx *c) {
  if (!c->grad_inputs[0].data) return 0;
  for (int64_t i = 0; i < c->output.numel; i++)
    c->grad_inputs[0].data[i] += 2 * c->grad_output->data[i];
  return 0;
}

static const nnd_kernel kernel = {
    .size = sizeof(nnd_kernel),
    .op = "test.abi10_twice",
    .backend = "naive",
    .forward = forward,
    .backward = backward,
};

static const nnd_attr_spec sgd_attrs[] = {
    {.name = "lr", .type = NND_ATTR_FLOAT, .doc = "learning rate", .has_min = 1, .min = 0,
     .min_exclusive = 1, .has_default = 1, .def_num = 0.01},
};

static const nnd_call_schema sgd_call = {
    .size = sizeof(nnd_call_schema),
    .kind = NND_CALL_OPTIMIZER,
    .name = "abi10_sgd",
    .doc = "plain gradient descent, from a plugin built against ABI 1.0",
    .n_positional = 0,
    .attrs = sgd_attrs,
    .n_attrs = 1,
};

static int sgd_step(const nnd_optim_ctx *c) {
  for (int64_t i = 0; i < c->n; i++) c->params[i] -= (float)c->lr * c->grads[i];
  return 0;
}

/* ABI 1.0: no backend member */
static const nnd_optimizer sgd = {
    .size = sizeof(nnd_optimizer),
    .name = "abi10_sgd",
    .state_floats = 0,
    .step = sgd_step,
};

static int register_plugin(const nnd_host *host, nnd_registrar *r) {
  if (host->register_op(r, &schema) != 0 || host->register_kernel(r, &kernel) != 0 ||
      host->register_call(r, &sgd_call) != 0)
    return -1;
  return host->register_optimizer(r, &sgd);
}

static const nnd_plugin_info info = {
    .size = sizeof(nnd_plugin_info), .abi_major = NND_ABI_MAJOR, .abi_minor = NND_ABI_MINOR,
    .fingerprint = NND_ABI_FINGERPRINT, .name = "test-abi10", .version = "1",
    .license = "MIT", .description = "built against the plugin ABI 1.0 header",
    .register_plugin = register_plugin,
};

NND_PLUGIN_EXPORT const nnd_plugin_info *nnd_plugin_entry(void) { return &info; }
