/* swish.c — a third-party plugin, written the way an outsider would: it
 * includes <nnd/plugin.h> and nothing else of nnd, adds an op (acme.swish,
 * usable as swish) with its schema and a naive kernel, and a .nnd file uses
 * it with no rebuild of nnd.  swish(x) = x * sigmoid(beta * x). */
#include <math.h>
#include <stdio.h>

#include <nnd/plugin.h>

enum { SWISH_BETA, SWISH_NATTRS };

static const nnd_attr_spec swish_attrs[SWISH_NATTRS] = {
    [SWISH_BETA] = {.name = "beta", .type = NND_ATTR_FLOAT, .doc = "slope inside the sigmoid",
                    .has_min = 1, .min = 0, .min_exclusive = 1, .has_default = 1,
                    .def_num = 1},
};

static int swish_infer(nnd_infer *ctx) {
  const nnd_type *x = &ctx->inputs[0];
  if (x->dtype != NND_FLOAT) {
    snprintf(ctx->message, sizeof ctx->message, "swish: `%s` is a label, not a tensor",
             ctx->input_names[0]);
    return -1;
  }
  ctx->output = *x;
  return 0;
}

static const nnd_op_schema swish_schema = {
    .size = sizeof(nnd_op_schema),
    .name = "acme.swish",
    .doc = "x * sigmoid(beta * x), the activation of Ramachandran et al.",
    .min_inputs = 1,
    .max_inputs = 1,
    .attrs = swish_attrs,
    .n_attrs = SWISH_NATTRS,
    .flags = NND_OP_ELEMENTWISE,
    .infer = swish_infer,
};

static int swish_forward(const nnd_kernel_ctx *c) {
  double beta = nnd_num(&c->attrs[SWISH_BETA], 1);
  const float *x = c->inputs[0].data;
  for (int64_t i = 0; i < c->output.numel; i++)
    c->output.data[i] = (float)(x[i] / (1.0 + exp(-beta * x[i])));
  return 0;
}

static int swish_backward(const nnd_kernel_ctx *c) {
  if (!c->grad_inputs[0].data) return 0;
  double beta = nnd_num(&c->attrs[SWISH_BETA], 1);
  const float *x = c->inputs[0].data, *g = c->grad_output->data;
  for (int64_t i = 0; i < c->output.numel; i++) {
    double s = 1.0 / (1.0 + exp(-beta * x[i]));
    c->grad_inputs[0].data[i] += (float)(g[i] * (s + beta * x[i] * s * (1 - s)));
  }
  return 0;
}

static const nnd_kernel swish_kernel = {
    .size = sizeof(nnd_kernel),
    .op = "acme.swish",
    .backend = "naive",
    .forward = swish_forward,
    .backward = swish_backward,
};

static int register_swish(const nnd_host *host, nnd_registrar *r) {
  if (host->register_op(r, &swish_schema) != 0) return -1;
  return host->register_kernel(r, &swish_kernel);
}

static const nnd_plugin_info info = {
    .size = sizeof(nnd_plugin_info),
    .abi_major = NND_ABI_MAJOR,
    .abi_minor = NND_ABI_MINOR,
    .fingerprint = NND_ABI_FINGERPRINT,
    .name = "acme-swish",
    .version = "1.0",
    .license = "MIT",
    .description = "the swish activation, as a third party would add it",
    .register_plugin = register_swish,
};

NND_PLUGIN_EXPORT const nnd_plugin_info *nnd_plugin_entry(void) { return &info; }
