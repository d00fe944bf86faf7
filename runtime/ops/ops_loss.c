/* ops_loss.c — cross_entropy, nll, binary_cross_entropy and mse. Each takes
 * a batched prediction and a batched target and gives one unbatched scalar:
 * the mean over the batch, so a `loss` line is a number to minimise. */
#include "ops.h"
#include "shape.h"

/* The target (input 1) must be a batched value: a label or float input. */
static int need_batched_target(nnd_infer *ctx) {
  const nnd_type *t = &ctx->inputs[1];
  if (t->batched) return 0;
  char s[NND_OPS_SHAPE_MAX];
  return nnd_op_fail(ctx, "%s: the target `%s` must be an input, but it is a parameter of "
                     "shape %s",
                     nnd_op_name(ctx), nnd_op_input(ctx, 1), nnd_shape_str(t, s, sizeof s));
}

/* Logits (or log-probabilities) [K] against a class[K] label. */
static int class_loss_infer(nnd_infer *ctx, const char *what) {
  if (nnd_op_need_activation(ctx, 0) != 0) return -1;
  const nnd_type *x = &ctx->inputs[0], *y = &ctx->inputs[1];
  char sx[NND_OPS_SHAPE_MAX], sy[NND_OPS_SHAPE_MAX];
  if (x->ndim != 1)
    return nnd_op_fail(ctx, "%s expects %s [N, classes] but `%s` is %s", nnd_op_name(ctx),
                       what, nnd_op_input(ctx, 0), nnd_shape_str(x, sx, sizeof sx));
  if (y->dtype != NND_CLASS)
    return nnd_op_fail(ctx, "%s: the target `%s` must be a class label, but it is %s%s",
                       nnd_op_name(ctx), nnd_op_input(ctx, 1),
                       nnd_type_str(y, sy, sizeof sy),
                       y->dtype == NND_BINARY ? "; use binary_cross_entropy" : "");
  if (need_batched_target(ctx) != 0) return -1;
  if (nnd_type_numel(y) != 1)
    return nnd_op_fail(ctx, "%s: the target `%s` must hold one class per sample, but its "
                       "shape is %s",
                       nnd_op_name(ctx), nnd_op_input(ctx, 1), nnd_shape_str(y, sy, sizeof sy));
  if (y->classes != x->dim[0])
    return nnd_op_fail(ctx, "%s: `%s` has %lld outputs but `%s` is %s; they must match",
                       nnd_op_name(ctx), nnd_op_input(ctx, 0), (long long)x->dim[0],
                       nnd_op_input(ctx, 1), nnd_type_str(y, sy, sizeof sy));
  ctx->output = nnd_type_scalar();
  return 0;
}

enum { CE_SMOOTHING, CE_NATTRS };

static const nnd_attr_spec cross_entropy_attrs[CE_NATTRS] = {
    [CE_SMOOTHING] = {.name = "label_smoothing",
                      .type = NND_ATTR_FLOAT,
                      .doc = "share of the target spread evenly over all classes, in [0, 1)",
                      .has_min = 1,
                      .min = 0,
                      .has_max = 1,
                      .max = 1,
                      .has_default = 1,
                      .def_num = 0},
};

static int cross_entropy_infer(nnd_infer *ctx) {
  /* The spec's max is inclusive; smoothing 1 would ignore the labels. */
  if (ctx->attrs[CE_SMOOTHING].num >= 1)
    return nnd_op_fail(ctx, "cross_entropy: label_smoothing must be below 1, but it is %g",
                       ctx->attrs[CE_SMOOTHING].num);
  return class_loss_infer(ctx, "logits");
}

static int nll_infer(nnd_infer *ctx) { return class_loss_infer(ctx, "log-probabilities"); }

static int bce_infer(nnd_infer *ctx) {
  if (nnd_op_need_activation(ctx, 0) != 0) return -1;
  const nnd_type *x = &ctx->inputs[0], *y = &ctx->inputs[1];
  char sx[NND_OPS_SHAPE_MAX], sy[NND_OPS_SHAPE_MAX];
  if (x->ndim > 1 || nnd_type_numel(x) != 1)
    return nnd_op_fail(ctx, "binary_cross_entropy expects one logit per sample ([N] or "
                       "[N, 1]) but `%s` is %s",
                       nnd_op_input(ctx, 0), nnd_shape_str(x, sx, sizeof sx));
  if (y->dtype == NND_CLASS)
    return nnd_op_fail(ctx, "binary_cross_entropy: the target `%s` is %s; use cross_entropy "
                       "for class labels",
                       nnd_op_input(ctx, 1), nnd_type_str(y, sy, sizeof sy));
  if (need_batched_target(ctx) != 0) return -1;
  if (y->dtype == NND_BINARY ? nnd_type_numel(y) != 1 || y->ndim > 1
                             : !nnd_type_same_shape(x, y))
    return nnd_op_fail(ctx, "binary_cross_entropy: `%s` is %s but the target `%s` is %s; "
                       "give one target per logit",
                       nnd_op_input(ctx, 0), nnd_shape_str(x, sx, sizeof sx),
                       nnd_op_input(ctx, 1), nnd_shape_str(y, sy, sizeof sy));
  ctx->output = nnd_type_scalar();
  return 0;
}

static int mse_infer(nnd_infer *ctx) {
  if (nnd_op_need_activation(ctx, 0) != 0) return -1;
  if (ctx->inputs[1].dtype == NND_CLASS)
    return nnd_op_fail(ctx, "mse: the target `%s` is a class label; compare with one_hot(%s)",
                       nnd_op_input(ctx, 1), nnd_op_input(ctx, 1));
  if (nnd_op_need_float(ctx, 1) != 0 || need_batched_target(ctx) != 0) return -1;
  const nnd_type *x = &ctx->inputs[0], *y = &ctx->inputs[1];
  if (!nnd_type_same_shape(x, y)) {
    char sx[NND_OPS_SHAPE_MAX], sy[NND_OPS_SHAPE_MAX];
    return nnd_op_fail(ctx, "mse: `%s` is %s but the target `%s` is %s; they must have the "
                       "same shape",
                       nnd_op_input(ctx, 0), nnd_shape_str(x, sx, sizeof sx),
                       nnd_op_input(ctx, 1), nnd_shape_str(y, sy, sizeof sy));
  }
  ctx->output = nnd_type_scalar();
  return 0;
}

const nnd_op_schema nnd_ops_loss[] = {
    {.size = sizeof(nnd_op_schema),
     .name = "cross_entropy",
     .doc = "softmax + negative log-likelihood of logits [N, K] against class[K]",
     .min_inputs = 2,
     .max_inputs = 2,
     .attrs = cross_entropy_attrs,
     .n_attrs = CE_NATTRS,
     .flags = NND_OP_LOSS,
     .infer = cross_entropy_infer},
    {.size = sizeof(nnd_op_schema),
     .name = "nll",
     .doc = "negative log-likelihood of log-probabilities [N, K] against class[K]",
     .min_inputs = 2,
     .max_inputs = 2,
     .flags = NND_OP_LOSS,
     .infer = nll_infer},
    {.size = sizeof(nnd_op_schema),
     .name = "binary_cross_entropy",
     .doc = "sigmoid + cross-entropy of one logit per sample against a binary target",
     .min_inputs = 2,
     .max_inputs = 2,
     .flags = NND_OP_LOSS,
     .infer = bce_infer},
    {.size = sizeof(nnd_op_schema),
     .name = "mse",
     .doc = "mean squared error over all elements",
     .min_inputs = 2,
     .max_inputs = 2,
     .flags = NND_OP_LOSS,
     .infer = mse_infer},
};
const int nnd_ops_loss_count = sizeof nnd_ops_loss / sizeof nnd_ops_loss[0];
