/* ops_dense.c — dense: the fully connected layer, y = W x + b, with PyTorch's
 * layout (weight [out, in]) so weights interoperate. */
#include "ops.h"
#include "shape.h"

enum { DENSE_UNITS, DENSE_WEIGHT, DENSE_BIAS, DENSE_NATTRS };

static const nnd_attr_spec dense_attrs[DENSE_NATTRS] = {
    [DENSE_UNITS] = {.name = "units",
                     .type = NND_ATTR_INT,
                     .doc = "number of outputs per sample",
                     .required = 1,
                     .has_min = 1,
                     .min = 1},
    [DENSE_WEIGHT] = {.name = "weight",
                      .type = NND_ATTR_INIT,
                      .doc = "initial weight [units, features]: an initializer or a literal",
                      .has_default = 1,
                      .def_str = "xavier"},
    [DENSE_BIAS] = {.name = "bias",
                    .type = NND_ATTR_INIT,
                    .doc = "initial bias [units]; false for no bias",
                    .optional = 1,
                    .has_default = 1,
                    .def_str = "zeros"},
};

static int dense_infer(nnd_infer *ctx) {
  if (nnd_op_need_activation(ctx, 0) != 0) return -1;
  const nnd_type *x = &ctx->inputs[0];
  if (x->ndim != 1) {
    char s[NND_OPS_SHAPE_MAX];
    return nnd_op_fail(ctx, "dense expects [N, features] but `%s` is %s; insert flatten()",
                       nnd_op_input(ctx, 0), nnd_shape_str(x, s, sizeof s));
  }
  int64_t units = nnd_op_int(&ctx->attrs[DENSE_UNITS]);
  int64_t wdim[2] = {units, x->dim[0]};
  if (nnd_op_output(ctx, 1, 1, &units) != 0 ||
      nnd_op_param(ctx, "weight", 2, wdim, "weight", NULL, 1) != 0)
    return -1;
  if (!nnd_op_init_off(&ctx->attrs[DENSE_BIAS]) &&
      nnd_op_param(ctx, "bias", 1, &units, "bias", NULL, 1) != 0)
    return -1;
  return 0;
}

const nnd_op_schema nnd_ops_dense[] = {
    {.size = sizeof(nnd_op_schema),
     .name = "dense",
     .doc = "fully connected layer: [N, features] -> [N, units]",
     .min_inputs = 1,
     .max_inputs = 1,
     .attrs = dense_attrs,
     .n_attrs = DENSE_NATTRS,
     .infer = dense_infer},
};
const int nnd_ops_dense_count = sizeof nnd_ops_dense / sizeof nnd_ops_dense[0];
