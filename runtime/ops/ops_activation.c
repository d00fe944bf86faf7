/* ops_activation.c — relu, sigmoid, tanh, leaky_relu, softmax, log_softmax.
 * They keep the shape, and accept unbatched operands too (`relu(W)` of a
 * parameter is a constant expression), so the output is batched exactly
 * when the input is. */
#include "ops.h"
#include "shape.h"

static int same_shape_infer(nnd_infer *ctx) {
  if (nnd_op_need_float(ctx, 0) != 0) return -1;
  const nnd_type *x = &ctx->inputs[0];
  return nnd_op_output(ctx, x->batched, x->ndim, x->dim);
}

enum { LEAKY_SLOPE, LEAKY_NATTRS };

static const nnd_attr_spec leaky_relu_attrs[LEAKY_NATTRS] = {
    [LEAKY_SLOPE] = {.name = "slope",
                     .type = NND_ATTR_FLOAT,
                     .doc = "factor applied to negative inputs",
                     .has_default = 1,
                     .def_num = 0.01},
};

enum { SOFTMAX_AXIS, SOFTMAX_NATTRS };

static const nnd_attr_spec softmax_attrs[SOFTMAX_NATTRS] = {
    [SOFTMAX_AXIS] = {.name = "axis",
                      .type = NND_ATTR_INT,
                      .doc = "per-sample dim that sums to 1; negative counts from the end",
                      .has_default = 1,
                      .def_num = -1},
};

static int softmax_infer(nnd_infer *ctx) {
  if (nnd_op_need_float(ctx, 0) != 0) return -1;
  const nnd_type *x = &ctx->inputs[0];
  char s[NND_OPS_SHAPE_MAX];
  if (x->ndim == 0)
    return nnd_op_fail(ctx, "%s: `%s` is a scalar per sample; it needs at least one dim",
                       nnd_op_name(ctx), nnd_op_input(ctx, 0));
  int64_t axis = nnd_op_int(&ctx->attrs[SOFTMAX_AXIS]);
  if (axis < -x->ndim || axis >= x->ndim)
    return nnd_op_fail(ctx, "%s: axis %lld is out of range for `%s` %s (use 0..%d or -%d..-1)",
                       nnd_op_name(ctx), (long long)axis, nnd_op_input(ctx, 0),
                       nnd_shape_str(x, s, sizeof s), x->ndim - 1, x->ndim);
  return nnd_op_output(ctx, x->batched, x->ndim, x->dim);
}

#define POINTWISE(NAME, DOC)                                                         \
  {.size = sizeof(nnd_op_schema),                                                    \
   .name = NAME,                                                                     \
   .doc = DOC,                                                                       \
   .min_inputs = 1,                                                                  \
   .max_inputs = 1,                                                                  \
   .flags = NND_OP_ELEMENTWISE,                                                      \
   .infer = same_shape_infer}

const nnd_op_schema nnd_ops_activation[] = {
    POINTWISE("relu", "max(x, 0), elementwise"),
    POINTWISE("sigmoid", "1 / (1 + exp(-x)), elementwise"),
    POINTWISE("tanh", "hyperbolic tangent, elementwise"),
    {.size = sizeof(nnd_op_schema),
     .name = "softmax",
     .doc = "exp(x) / sum(exp(x)) along an axis",
     .min_inputs = 1,
     .max_inputs = 1,
     .attrs = softmax_attrs,
     .n_attrs = SOFTMAX_NATTRS,
     .infer = softmax_infer},
    {.size = sizeof(nnd_op_schema),
     .name = "log_softmax",
     .doc = "x - log(sum(exp(x))) along an axis, computed stably",
     .min_inputs = 1,
     .max_inputs = 1,
     .attrs = softmax_attrs,
     .n_attrs = SOFTMAX_NATTRS,
     .infer = softmax_infer},
    {.size = sizeof(nnd_op_schema),
     .name = "leaky_relu",
     .doc = "x for x > 0, slope * x otherwise, elementwise",
     .min_inputs = 1,
     .max_inputs = 1,
     .attrs = leaky_relu_attrs,
     .n_attrs = LEAKY_NATTRS,
     .flags = NND_OP_ELEMENTWISE,
     .infer = same_shape_infer},
};
const int nnd_ops_activation_count =
    sizeof nnd_ops_activation / sizeof nnd_ops_activation[0];
