/* ops_label.c — one_hot: a class label as a float vector, the target a
 * squared-error or other float loss needs when the data gives classes (the
 * textbook sigmoid network trained on quadratic cost). Like PyTorch's
 * F.one_hot, it takes a label and gives no gradient back to it. */
#include "ops.h"
#include "shape.h"

static int one_hot_infer(nnd_infer *ctx) {
  const nnd_type *y = &ctx->inputs[0];
  char sy[NND_OPS_SHAPE_MAX];
  if (y->dtype != NND_CLASS)
    return nnd_op_fail(ctx, "one_hot: `%s` is %s; one_hot takes a class label (an input "
                       "declared `class[K]`)",
                       nnd_op_input(ctx, 0), nnd_type_str(y, sy, sizeof sy));
  if (!y->batched || nnd_type_numel(y) != 1)
    return nnd_op_fail(ctx, "one_hot: `%s` must hold one class per sample, but it is %s",
                       nnd_op_input(ctx, 0), nnd_type_str(y, sy, sizeof sy));
  int64_t k = y->classes;
  return nnd_op_output(ctx, 1, 1, &k);
}

const nnd_op_schema nnd_ops_label[] = {
    {.size = sizeof(nnd_op_schema),
     .name = "one_hot",
     .doc = "class[K] label as a float vector [K]: 1 at the class, 0 elsewhere",
     .min_inputs = 1,
     .max_inputs = 1,
     .infer = one_hot_infer},
};
const int nnd_ops_label_count = sizeof nnd_ops_label / sizeof nnd_ops_label[0];
