/* write_past.c — a plugin whose forward writes one float past the end of its
 * output, so the tests can prove `nnd plugins --check` catches it (the guard
 * floats after the output buffer change). test.write_past(x) = 2x, correct
 * otherwise: the gradient is right, so only the guard check can fail it.
 * Never run it in a real session: it corrupts the next buffer. */
#include <nnd/plugin.h>

static int infer(nnd_infer *ctx) {
  ctx->output = ctx->inputs[0];
  return 0;
}

static const nnd_op_schema schema = {
    .size = sizeof(nnd_op_schema),
    .name = "test.write_past",
    .doc = "2x, writing one float past its output on purpose, for testing",
    .min_inputs = 1,
    .max_inputs = 1,
    .flags = NND_OP_ELEMENTWISE,
    .infer = infer,
};

static int forward(const nnd_kernel_ctx *c) {
  for (int64_t i = 0; i < c->output.numel; i++) c->output.data[i] = 2 * c->inputs[0].data[i];
  c->output.data[c->output.numel] = 0; /* the bug */
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
    .op = "test.write_past",
    .backend = "naive",
    .forward = forward,
    .backward = backward,
};

static int register_plugin(const nnd_host *host, nnd_registrar *r) {
  if (host->register_op(r, &schema) != 0) return -1;
  return host->register_kernel(r, &kernel);
}

static const nnd_plugin_info info = {
    .size = sizeof(nnd_plugin_info), .abi_major = NND_ABI_MAJOR, .abi_minor = NND_ABI_MINOR,
    .fingerprint = NND_ABI_FINGERPRINT, .name = "test-write-past", .version = "1",
    .license = "MIT", .description = "a forward that writes past its output, on purpose",
    .register_plugin = register_plugin,
};

NND_PLUGIN_EXPORT const nnd_plugin_info *nnd_plugin_entry(void) { return &info; }
