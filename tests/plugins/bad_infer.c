/* bad_infer.c — a plugin whose shape inference accepts what its kernel
 * cannot run, so the tests can prove `nnd plugins --check` catches it:
 * test.bad_infer(x, k) = k * x declares k an integer in [1, 8], and its
 * schema accepts every k, but its kernel only implements k <= 4 and refuses
 * the rest. The fix would be max = 4 in the schema (or the missing code). */
#include <stdio.h>

#include <nnd/plugin.h>

static const nnd_attr_spec attrs[] = {
    {.name = "k", .type = NND_ATTR_INT, .doc = "the factor", .has_min = 1, .min = 1,
     .has_max = 1, .max = 8, .has_default = 1, .def_num = 1},
};

static int infer(nnd_infer *ctx) {
  ctx->output = ctx->inputs[0];
  return 0;
}

static const nnd_op_schema schema = {
    .size = sizeof(nnd_op_schema),
    .name = "test.bad_infer",
    .doc = "k * x, accepting a k its kernel refuses, on purpose, for testing",
    .min_inputs = 1,
    .max_inputs = 1,
    .attrs = attrs,
    .n_attrs = 1,
    .flags = NND_OP_ELEMENTWISE,
    .infer = infer,
};

static int forward(const nnd_kernel_ctx *c) {
  double k = nnd_num(&c->attrs[0], 1);
  if (k > 4) {
    snprintf(c->message, c->message_size, "test.bad_infer: k = %g is not implemented (k > 4)",
             k);
    return -1;
  }
  for (int64_t i = 0; i < c->output.numel; i++)
    c->output.data[i] = (float)k * c->inputs[0].data[i];
  return 0;
}

static int backward(const nnd_kernel_ctx *c) {
  double k = nnd_num(&c->attrs[0], 1);
  if (!c->grad_inputs[0].data) return 0;
  for (int64_t i = 0; i < c->output.numel; i++)
    c->grad_inputs[0].data[i] += (float)k * c->grad_output->data[i];
  return 0;
}

static const nnd_kernel kernel = {
    .size = sizeof(nnd_kernel),
    .op = "test.bad_infer",
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
    .fingerprint = NND_ABI_FINGERPRINT, .name = "test-bad-infer", .version = "1",
    .license = "MIT", .description = "a schema that accepts what its kernel refuses, on purpose",
    .register_plugin = register_plugin,
};

NND_PLUGIN_EXPORT const nnd_plugin_info *nnd_plugin_entry(void) { return &info; }
