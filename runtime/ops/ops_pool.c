/* ops_pool.c — maxpool and avgpool over [C, L] (1-D) or [C, H, W] (2-D),
 * the dimensionality taken from the input so one name serves both. Output
 * sizes round down; the stride defaults to the window size, as in PyTorch. */
#include "ops.h"
#include "shape.h"

enum { POOL_SIZE, POOL_STRIDE, POOL_PADDING, POOL_NATTRS };

static const nnd_attr_spec pool_attrs[POOL_NATTRS] = {
    [POOL_SIZE] = {.name = "size",
                   .type = NND_ATTR_INTS,
                   .doc = "window size, one int or one per spatial dim",
                   .has_min = 1,
                   .min = 1,
                   .has_default = 1,
                   .def_num = 2},
    /* No default: unset means "the window size", which no constant can say. */
    [POOL_STRIDE] = {.name = "stride",
                     .type = NND_ATTR_INTS,
                     .doc = "step between windows (default: the window size)",
                     .has_min = 1,
                     .min = 1},
    [POOL_PADDING] = {.name = "padding",
                      .type = NND_ATTR_INTS,
                      .doc = "padding on each side, at most half the window",
                      .has_min = 1,
                      .min = 0,
                      .has_default = 1,
                      .def_num = 0},
};

static int pool_infer(nnd_infer *ctx) {
  if (nnd_op_need_activation(ctx, 0) != 0) return -1;
  const nnd_type *x = &ctx->inputs[0];
  int nsp = x->ndim - 1;
  if (nsp != 1 && nsp != 2) {
    char s[NND_OPS_SHAPE_MAX];
    return nnd_op_fail(ctx,
                       "%s expects [N, channels, length] or [N, channels, height, width] "
                       "but `%s` is %s",
                       nnd_op_name(ctx), nnd_op_input(ctx, 0), nnd_shape_str(x, s, sizeof s));
  }
  int64_t k[2], s[2], p[2], out[3];
  if (nnd_op_spatial(ctx, "size", &ctx->attrs[POOL_SIZE], nsp, 2, k) != 0 ||
      nnd_op_spatial(ctx, "padding", &ctx->attrs[POOL_PADDING], nsp, 0, p) != 0)
    return -1;
  if (ctx->attrs[POOL_STRIDE].kind == NND_VAL_NONE) {
    for (int i = 0; i < nsp; i++) s[i] = k[i];
  } else if (nnd_op_spatial(ctx, "stride", &ctx->attrs[POOL_STRIDE], nsp, 1, s) != 0) {
    return -1;
  }
  /* PyTorch's rule: more padding would let a window see only padding. */
  for (int i = 0; i < nsp; i++)
    if (p[i] > k[i] / 2)
      return nnd_op_fail(ctx, "%s: padding %lld is more than half the window size %lld",
                         nnd_op_name(ctx), (long long)p[i], (long long)k[i]);
  if (nnd_op_windows(ctx, "window", nsp, k, s, p, p, out + 1) != 0) return -1;
  out[0] = x->dim[0];
  return nnd_op_output(ctx, 1, nsp + 1, out);
}

const nnd_op_schema nnd_ops_pool[] = {
    {.size = sizeof(nnd_op_schema),
     .name = "maxpool",
     .doc = "max over sliding windows of [N, C, L] or [N, C, H, W]",
     .min_inputs = 1,
     .max_inputs = 1,
     .attrs = pool_attrs,
     .n_attrs = POOL_NATTRS,
     .infer = pool_infer},
    {.size = sizeof(nnd_op_schema),
     .name = "avgpool",
     .doc = "mean over sliding windows of [N, C, L] or [N, C, H, W] (padding counts as 0)",
     .min_inputs = 1,
     .max_inputs = 1,
     .attrs = pool_attrs,
     .n_attrs = POOL_NATTRS,
     .infer = pool_infer},
};
const int nnd_ops_pool_count = sizeof nnd_ops_pool / sizeof nnd_ops_pool[0];
