/* crash.c — a plugin whose forward crashes (a trap instruction: SIGILL,
 * which AddressSanitizer leaves alone, unlike the SIGSEGV of a null write it
 * turns into an exit) on inputs of more than 5 elements, so the tests can prove that
 * `nnd plugins --check` survives it: the row fails with the signal and the
 * model it was running, and the other rows still run. test.crash(x) = x. */
#include <nnd/plugin.h>

static int infer(nnd_infer *ctx) {
  ctx->output = ctx->inputs[0];
  return 0;
}

static const nnd_op_schema schema = {
    .size = sizeof(nnd_op_schema),
    .name = "test.crash",
    .doc = "x, crashing on purpose on more than 5 elements, for testing",
    .min_inputs = 1,
    .max_inputs = 1,
    .flags = NND_OP_ELEMENTWISE,
    .infer = infer,
};

static int forward(const nnd_kernel_ctx *c) {
  if (c->inputs[0].numel / c->inputs[0].dim[0] > 5) __builtin_trap(); /* the bug */
  for (int64_t i = 0; i < c->output.numel; i++) c->output.data[i] = c->inputs[0].data[i];
  return 0;
}

static int backward(const nnd_kernel_ctx *c) {
  if (!c->grad_inputs[0].data) return 0;
  for (int64_t i = 0; i < c->output.numel; i++)
    c->grad_inputs[0].data[i] += c->grad_output->data[i];
  return 0;
}

static const nnd_kernel kernel = {
    .size = sizeof(nnd_kernel),
    .op = "test.crash",
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
    .fingerprint = NND_ABI_FINGERPRINT, .name = "test-crash", .version = "1",
    .license = "MIT", .description = "a forward that crashes, on purpose",
    .register_plugin = register_plugin,
};

NND_PLUGIN_EXPORT const nnd_plugin_info *nnd_plugin_entry(void) { return &info; }
