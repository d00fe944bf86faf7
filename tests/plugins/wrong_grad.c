/* wrong_grad.c — an op whose backward is deliberately wrong (3x instead of
 * the 2x of x^2), so the tests can prove `nnd gradcheck` fails when it must. */
#include <nnd/plugin.h>

static int infer(nnd_infer *ctx) {
  ctx->output = ctx->inputs[0];
  return 0;
}

static const nnd_op_schema schema = {
    .size = sizeof(nnd_op_schema), .name = "acme.wrong_square",
    .doc = "x^2 with a wrong gradient, for testing gradcheck",
    .min_inputs = 1, .max_inputs = 1, .infer = infer,
};

static int forward(const nnd_kernel_ctx *c) {
  for (int64_t i = 0; i < c->output.numel; i++)
    c->output.data[i] = c->inputs[0].data[i] * c->inputs[0].data[i];
  return 0;
}

static int backward(const nnd_kernel_ctx *c) {
  if (!c->grad_inputs[0].data) return 0;
  for (int64_t i = 0; i < c->output.numel; i++)
    c->grad_inputs[0].data[i] += 3 * c->inputs[0].data[i] * c->grad_output->data[i];
  return 0;
}

static const nnd_kernel kernel = {
    .size = sizeof(nnd_kernel), .op = "acme.wrong_square", .backend = "naive",
    .forward = forward, .backward = backward,
};

static int register_plugin(const nnd_host *host, nnd_registrar *r) {
  if (host->register_op(r, &schema) != 0) return -1;
  return host->register_kernel(r, &kernel);
}

static const nnd_plugin_info info = {
    .size = sizeof(nnd_plugin_info), .abi_major = NND_ABI_MAJOR, .abi_minor = NND_ABI_MINOR,
    .fingerprint = NND_ABI_FINGERPRINT, .name = "acme-wrong-grad", .version = "1",
    .license = "MIT", .description = "a wrong gradient, on purpose",
    .register_plugin = register_plugin,
};

NND_PLUGIN_EXPORT const nnd_plugin_info *nnd_plugin_entry(void) { return &info; }
