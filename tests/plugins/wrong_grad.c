/* wrong_grad.c — ops whose backward (or forward) is deliberately wrong, so
 * the tests can prove `nnd gradcheck` and the kernel harness fail when they
 * must: x^2 with
 *   acme.wrong_square     a gradient of 3x instead of 2x;
 *   acme.slightly_square  a gradient 2% too large (2.04x): a relative error
 *                         that |a|+|n| in the denominator would halve below 1e-2;
 *   acme.nan_grad_square  a backward that writes NaN;
 *   acme.nan_square       a forward that writes NaN, so no difference quotient
 *                         can be formed and nothing can be checked;
 *   acme.drifting_square  a forward that adds 0.01 more on every call: finite,
 *                         but two difference quotients never agree, so every
 *                         element counts as a kink and nothing is checked. */
#include <math.h>
#include <string.h>

#include <nnd/plugin.h>

static int infer(nnd_infer *ctx) {
  ctx->output = ctx->inputs[0];
  return 0;
}

#define SCHEMA(op) \
  {.size = sizeof(nnd_op_schema), .name = op, .doc = "x^2, wrong on purpose, for testing", \
   .min_inputs = 1, .max_inputs = 1, .infer = infer}

static const nnd_op_schema schemas[] = {
    SCHEMA("acme.wrong_square"), SCHEMA("acme.slightly_square"),
    SCHEMA("acme.nan_grad_square"), SCHEMA("acme.nan_square"),
    SCHEMA("acme.drifting_square")};

static int is(const nnd_kernel_ctx *c, const char *op) { return strcmp(c->op, op) == 0; }

static int forward(const nnd_kernel_ctx *c) {
  static int calls; /* test code: the drift is the point */
  float drift = is(c, "acme.drifting_square") ? 0.01f * (float)(calls++ % 1000) : 0.0f;
  for (int64_t i = 0; i < c->output.numel; i++)
    c->output.data[i] = is(c, "acme.nan_square") ? NAN
                        : c->inputs[0].data[i] * c->inputs[0].data[i] + drift;
  return 0;
}

static int backward(const nnd_kernel_ctx *c) {
  if (!c->grad_inputs[0].data) return 0;
  float k = is(c, "acme.wrong_square") ? 3.0f : is(c, "acme.slightly_square") ? 2.04f : 2.0f;
  for (int64_t i = 0; i < c->output.numel; i++)
    c->grad_inputs[0].data[i] += is(c, "acme.nan_grad_square")
                                     ? NAN
                                     : k * c->inputs[0].data[i] * c->grad_output->data[i];
  return 0;
}

#define KERNEL(name) \
  {.size = sizeof(nnd_kernel), .op = name, .backend = "naive", .forward = forward, \
   .backward = backward}

static const nnd_kernel kernels[] = {
    KERNEL("acme.wrong_square"), KERNEL("acme.slightly_square"),
    KERNEL("acme.nan_grad_square"), KERNEL("acme.nan_square"),
    KERNEL("acme.drifting_square")};

static int register_plugin(const nnd_host *host, nnd_registrar *r) {
  for (size_t i = 0; i < sizeof schemas / sizeof *schemas; i++)
    if (host->register_op(r, &schemas[i]) != 0 || host->register_kernel(r, &kernels[i]) != 0)
      return -1;
  return 0;
}

static const nnd_plugin_info info = {
    .size = sizeof(nnd_plugin_info), .abi_major = NND_ABI_MAJOR, .abi_minor = NND_ABI_MINOR,
    .fingerprint = NND_ABI_FINGERPRINT, .name = "acme-wrong-grad", .version = "1",
    .license = "MIT", .description = "wrong gradients, on purpose",
    .register_plugin = register_plugin,
};

NND_PLUGIN_EXPORT const nnd_plugin_info *nnd_plugin_entry(void) { return &info; }
