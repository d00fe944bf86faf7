/* big_workspace.c — a plugin whose kernel asks for a workspace that grows
 * past what any machine has, so the tests can make a session's workspace
 * allocation fail (and its size overflow) on demand. test.bigws(x) = 2x,
 * the 2 read back from the workspace, so a workspace pointer into freed
 * memory shows under AddressSanitizer.
 *
 * Its workspace: 64 bytes below a batch of 1000, SIZE_MAX / 2 bytes (an
 * allocation that fails) from 1000, and SIZE_MAX bytes (a size whose
 * rounding overflows) from 2000. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <nnd/plugin.h>

static int bigws_infer(nnd_infer *ctx) {
  ctx->output = ctx->inputs[0];
  return 0;
}

static const nnd_op_schema bigws_schema = {
    .size = sizeof(nnd_op_schema),
    .name = "test.bigws",
    .doc = "2x, through a workspace that can be made too large",
    .min_inputs = 1,
    .max_inputs = 1,
    .flags = NND_OP_ELEMENTWISE,
    .infer = bigws_infer,
};

static size_t bigws_workspace(const nnd_kernel_ctx *c) {
  int64_t batch = c->output.batched ? c->output.dim[0] : 1;
  if (batch >= 2000) return SIZE_MAX;
  if (batch >= 1000) return SIZE_MAX / 2;
  return 64;
}

static int bigws_forward(const nnd_kernel_ctx *c) {
  if (!c->workspace || c->workspace_size < sizeof(float)) {
    snprintf(c->message, c->message_size, "no workspace");
    return -1;
  }
  float two = 2;
  memcpy(c->workspace, &two, sizeof two);
  float k;
  memcpy(&k, c->workspace, sizeof k);
  for (int64_t i = 0; i < c->output.numel; i++) c->output.data[i] = k * c->inputs[0].data[i];
  return 0;
}

static int bigws_backward(const nnd_kernel_ctx *c) {
  if (!c->grad_inputs[0].data) return 0;
  for (int64_t i = 0; i < c->output.numel; i++)
    c->grad_inputs[0].data[i] += 2 * c->grad_output->data[i];
  return 0;
}

static const nnd_kernel bigws_kernel = {
    .size = sizeof(nnd_kernel),
    .op = "test.bigws",
    .backend = "naive",
    .forward = bigws_forward,
    .backward = bigws_backward,
    .workspace = bigws_workspace,
};

static int register_bigws(const nnd_host *host, nnd_registrar *r) {
  if (host->register_op(r, &bigws_schema) != 0) return -1;
  return host->register_kernel(r, &bigws_kernel);
}

static const nnd_plugin_info info = {
    .size = sizeof(nnd_plugin_info),
    .abi_major = NND_ABI_MAJOR,
    .abi_minor = NND_ABI_MINOR,
    .fingerprint = NND_ABI_FINGERPRINT,
    .name = "test-big-workspace",
    .version = "0",
    .license = "MIT",
    .description = "a kernel whose workspace can be made too large",
    .register_plugin = register_bigws,
};

NND_PLUGIN_EXPORT const nnd_plugin_info *nnd_plugin_entry(void) { return &info; }
