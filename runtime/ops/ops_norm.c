/* ops_norm.c — dropout and batchnorm: the ops that behave differently in
 * training and in evaluation. Shapes pass through unchanged. */
#include "ops.h"
#include "shape.h"

enum { DROPOUT_RATE, DROPOUT_NATTRS };

static const nnd_attr_spec dropout_attrs[DROPOUT_NATTRS] = {
    [DROPOUT_RATE] = {.name = "rate",
                      .type = NND_ATTR_FLOAT,
                      .doc = "probability of zeroing each element while training, in [0, 1)",
                      .has_min = 1,
                      .min = 0,
                      .has_max = 1,
                      .max = 1,
                      .max_exclusive = 1,
                      .has_default = 1,
                      .def_num = 0.5},
};

static int dropout_infer(nnd_infer *ctx) {
  if (nnd_op_need_activation(ctx, 0) != 0) return -1;
  /* The spec's max is inclusive; rate 1 would scale survivors by 1/0. */
  if (ctx->attrs[DROPOUT_RATE].num >= 1)
    return nnd_op_fail(ctx, "dropout: rate must be below 1, but it is %g",
                       ctx->attrs[DROPOUT_RATE].num);
  const nnd_type *x = &ctx->inputs[0];
  return nnd_op_output(ctx, 1, x->ndim, x->dim);
}

enum { BN_MOMENTUM, BN_EPS, BN_WEIGHT, BN_BIAS, BN_NATTRS };

static const nnd_attr_spec batchnorm_attrs[BN_NATTRS] = {
    [BN_MOMENTUM] = {.name = "momentum",
                     .type = NND_ATTR_FLOAT,
                     .doc = "weight of each batch in the running statistics (PyTorch's)",
                     .has_min = 1,
                     .min = 0,
                     .has_max = 1,
                     .max = 1,
                     .has_default = 1,
                     .def_num = 0.1},
    [BN_EPS] = {.name = "eps",
                .type = NND_ATTR_FLOAT,
                .doc = "added to the variance before the square root",
                .has_min = 1,
                .min = 0,
                .min_exclusive = 1,
                .has_default = 1,
                .def_num = 1e-5},
    [BN_WEIGHT] = {.name = "weight",
                   .type = NND_ATTR_INIT,
                   .doc = "initial scale [channels]",
                   .has_default = 1,
                   .def_str = "ones"},
    [BN_BIAS] = {.name = "bias",
                 .type = NND_ATTR_INIT,
                 .doc = "initial shift [channels]; false for no shift",
                 .optional = 1,
                 .has_default = 1,
                 .def_str = "zeros"},
};

static int batchnorm_infer(nnd_infer *ctx) {
  if (nnd_op_need_activation(ctx, 0) != 0) return -1;
  const nnd_type *x = &ctx->inputs[0];
  if (x->ndim < 1 || x->ndim > 3) {
    char s[NND_OPS_SHAPE_MAX];
    return nnd_op_fail(ctx,
                       "batchnorm expects [N, channels], [N, channels, length] or "
                       "[N, channels, height, width] but `%s` is %s",
                       nnd_op_input(ctx, 0), nnd_shape_str(x, s, sizeof s));
  }
  const int64_t *c = &x->dim[0];
  if (nnd_op_output(ctx, 1, x->ndim, x->dim) != 0 ||
      nnd_op_param(ctx, "weight", 1, c, "weight", NULL, 1) != 0)
    return -1;
  if (!nnd_op_init_off(&ctx->attrs[BN_BIAS]) &&
      nnd_op_param(ctx, "bias", 1, c, "bias", NULL, 1) != 0)
    return -1;
  /* Running statistics are state, not learned: the optimizer skips them. */
  if (nnd_op_param(ctx, "running_mean", 1, c, NULL, "zeros", 0) != 0 ||
      nnd_op_param(ctx, "running_var", 1, c, NULL, "ones", 0) != 0)
    return -1;
  return 0;
}

const nnd_op_schema nnd_ops_norm[] = {
    {.size = sizeof(nnd_op_schema),
     .name = "dropout",
     .doc = "zero elements at random while training, scaling the rest by 1/(1-rate)",
     .min_inputs = 1,
     .max_inputs = 1,
     .attrs = dropout_attrs,
     .n_attrs = DROPOUT_NATTRS,
     .infer = dropout_infer},
    {.size = sizeof(nnd_op_schema),
     .name = "batchnorm",
     .doc = "normalise each channel over the batch (and space), then scale and shift",
     .min_inputs = 1,
     .max_inputs = 1,
     .attrs = batchnorm_attrs,
     .n_attrs = BN_NATTRS,
     .infer = batchnorm_infer},
};
const int nnd_ops_norm_count = sizeof nnd_ops_norm / sizeof nnd_ops_norm[0];
