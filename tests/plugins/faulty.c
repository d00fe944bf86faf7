/* faulty.c — a plugin of four kernels, each with one deliberate fault, so
 * the tests can prove `nnd plugins --check` catches each kind, and that a
 * crashing row does not take the other rows down:
 *   test.crash(x) = x        traps (SIGILL, which AddressSanitizer leaves alone,
 *                            unlike the SIGSEGV of a null write it turns into
 *                            an exit) on inputs of more than 5 elements per sample;
 *   test.write_past(x) = 2x  writes one float past the end of its output; its
 *                            gradient is right, so only the guard check can fail
 *                            it (never run it in a real session: it corrupts the
 *                            next buffer);
 *   test.bad_infer(x, k)=kx  declares k an integer in [1, 8] and its schema
 *                            accepts every k, but its kernel refuses k > 4 (the
 *                            fix would be max = 4 in the schema, or the code);
 *   test.adds_anyway(x) = 3x declares NND_KERNEL_ASSIGNS_GRADS but adds into
 *                            the gradient even when told to store it.
 * Every op scales its input by a factor, so one forward and one backward serve
 * all four; the fault is picked by the op's name. */
#include <stdio.h>
#include <string.h>

#include <nnd/plugin.h>

static int infer(nnd_infer *ctx) {
  ctx->output = ctx->inputs[0];
  return 0;
}

static const nnd_attr_spec k_attr[] = {
    {.name = "k", .type = NND_ATTR_INT, .doc = "the factor", .has_min = 1, .min = 1,
     .has_max = 1, .max = 8, .has_default = 1, .def_num = 1},
};

#define SCHEMA(op, what, attrs_, n)                                                   \
  {.size = sizeof(nnd_op_schema), .name = op, .doc = what ", on purpose, for testing", \
   .min_inputs = 1, .max_inputs = 1, .flags = NND_OP_ELEMENTWISE, .infer = infer,     \
   .attrs = attrs_, .n_attrs = n}

static const nnd_op_schema schemas[] = {
    SCHEMA("test.crash", "x, crashing on more than 5 elements", NULL, 0),
    SCHEMA("test.write_past", "2x, writing one float past its output", NULL, 0),
    SCHEMA("test.bad_infer", "k * x, accepting a k its kernel refuses", k_attr, 1),
    SCHEMA("test.adds_anyway", "3x, adding where told to store its gradient", NULL, 0),
};

static int is(const nnd_kernel_ctx *c, const char *op) { return strcmp(c->op, op) == 0; }

static float factor(const nnd_kernel_ctx *c) {
  if (is(c, "test.write_past")) return 2.0f;
  if (is(c, "test.bad_infer")) return (float)nnd_num(&c->attrs[0], 1);
  if (is(c, "test.adds_anyway")) return 3.0f;
  return 1.0f;
}

static int forward(const nnd_kernel_ctx *c) {
  float k = factor(c);
  if (is(c, "test.crash") && c->inputs[0].numel / c->inputs[0].dim[0] > 5)
    __builtin_trap(); /* the crash */
  if (is(c, "test.bad_infer") && k > 4) {
    snprintf(c->message, c->message_size, "test.bad_infer: k = %g is not implemented (k > 4)",
             (double)k);
    return -1;
  }
  for (int64_t i = 0; i < c->output.numel; i++) c->output.data[i] = k * c->inputs[0].data[i];
  if (is(c, "test.write_past")) c->output.data[c->output.numel] = 0; /* the overrun */
  return 0;
}

static int backward(const nnd_kernel_ctx *c) {
  float k = factor(c);
  if (!c->grad_inputs[0].data) return 0;
  for (int64_t i = 0; i < c->output.numel; i++)
    c->grad_inputs[0].data[i] += k * c->grad_output->data[i];
  return 0;
}

#define KERNEL(name, flags_) \
  {.size = sizeof(nnd_kernel), .op = name, .backend = "naive", .forward = forward, \
   .backward = backward, .flags = flags_}

static const nnd_kernel kernels[] = {KERNEL("test.crash", 0), KERNEL("test.write_past", 0),
                                     KERNEL("test.bad_infer", 0),
                                     KERNEL("test.adds_anyway", NND_KERNEL_ASSIGNS_GRADS)};

static int register_plugin(const nnd_host *host, nnd_registrar *r) {
  for (size_t i = 0; i < sizeof schemas / sizeof *schemas; i++)
    if (host->register_op(r, &schemas[i]) != 0 || host->register_kernel(r, &kernels[i]) != 0)
      return -1;
  return 0;
}

static const nnd_plugin_info info = {
    .size = sizeof(nnd_plugin_info), .abi_major = NND_ABI_MAJOR, .abi_minor = NND_ABI_MINOR,
    .fingerprint = NND_ABI_FINGERPRINT, .name = "test-faulty", .version = "1",
    .license = "MIT", .description = "four kernels with deliberate faults",
    .register_plugin = register_plugin,
};

NND_PLUGIN_EXPORT const nnd_plugin_info *nnd_plugin_entry(void) { return &info; }
