/* ops_arith.c — add, sub, mul and matmul: the ops behind `+ - * @`.
 * Operands may be activations, parameters or constants; shapes are
 * per-sample, so broadcasting never touches the implicit batch dim and a
 * parameter meets every sample of the batch. */
#include "ops.h"
#include "shape.h"

static int broadcast_infer(nnd_infer *ctx) {
  if (nnd_op_need_float(ctx, 0) != 0 || nnd_op_need_float(ctx, 1) != 0) return -1;
  const nnd_type *a = &ctx->inputs[0], *b = &ctx->inputs[1];
  nnd_type out;
  if (nnd_broadcast(a, b, &out) != 0) {
    char sa[NND_OPS_SHAPE_MAX], sb[NND_OPS_SHAPE_MAX];
    return nnd_op_fail(ctx, "%s: cannot broadcast `%s` %s with `%s` %s", nnd_op_name(ctx),
                       nnd_op_input(ctx, 0), nnd_shape_str(a, sa, sizeof sa),
                       nnd_op_input(ctx, 1), nnd_shape_str(b, sb, sizeof sb));
  }
  return nnd_op_output(ctx, out.batched, out.ndim, out.dim);
}

/* numpy's matmul on per-sample shapes: a 1-D left operand is a row vector,
 * a 1-D right operand a column vector, and both lose that dim again in the
 * result; dims before the last two broadcast. */
static int matmul_infer(nnd_infer *ctx) {
  if (nnd_op_need_float(ctx, 0) != 0 || nnd_op_need_float(ctx, 1) != 0) return -1;
  const nnd_type *a = &ctx->inputs[0], *b = &ctx->inputs[1];
  char sa[NND_OPS_SHAPE_MAX], sb[NND_OPS_SHAPE_MAX];
  for (int i = 0; i < 2; i++)
    if (ctx->inputs[i].ndim == 0)
      return nnd_op_fail(ctx, "matmul: `%s` is a scalar; use * to scale by it",
                         nnd_op_input(ctx, i));
  int64_t ak = a->dim[a->ndim - 1];
  int64_t bk = b->ndim == 1 ? b->dim[0] : b->dim[b->ndim - 2];
  if (ak != bk)
    return nnd_op_fail(ctx, "matmul: `%s` is %s but `%s` is %s; inner dimensions %lld and "
                       "%lld differ",
                       nnd_op_input(ctx, 0), nnd_shape_str(a, sa, sizeof sa),
                       nnd_op_input(ctx, 1), nnd_shape_str(b, sb, sizeof sb),
                       (long long)ak, (long long)bk);
  nnd_type la = nnd_type_float(0, a->ndim > 2 ? a->ndim - 2 : 0, a->dim);
  nnd_type lb = nnd_type_float(0, b->ndim > 2 ? b->ndim - 2 : 0, b->dim);
  nnd_type lead;
  if (nnd_broadcast(&la, &lb, &lead) != 0)
    return nnd_op_fail(ctx, "matmul: the leading dimensions of `%s` %s and `%s` %s do not "
                       "broadcast",
                       nnd_op_input(ctx, 0), nnd_shape_str(a, sa, sizeof sa),
                       nnd_op_input(ctx, 1), nnd_shape_str(b, sb, sizeof sb));
  int64_t dim[NND_MAX_DIMS];
  int nd = 0;
  for (int i = 0; i < lead.ndim; i++) dim[nd++] = lead.dim[i];
  if (a->ndim >= 2) dim[nd++] = a->dim[a->ndim - 2];
  if (b->ndim >= 2) dim[nd++] = b->dim[b->ndim - 1];
  return nnd_op_output(ctx, a->batched || b->batched, nd, dim);
}

const nnd_op_schema nnd_ops_arith[] = {
    {.size = sizeof(nnd_op_schema),
     .name = "add",
     .doc = "a + b, elementwise with numpy broadcasting of per-sample shapes",
     .min_inputs = 2,
     .max_inputs = 2,
     .infer = broadcast_infer},
    {.size = sizeof(nnd_op_schema),
     .name = "sub",
     .doc = "a - b, elementwise with numpy broadcasting of per-sample shapes",
     .min_inputs = 2,
     .max_inputs = 2,
     .infer = broadcast_infer},
    {.size = sizeof(nnd_op_schema),
     .name = "mul",
     .doc = "a * b, elementwise with numpy broadcasting of per-sample shapes",
     .min_inputs = 2,
     .max_inputs = 2,
     .infer = broadcast_infer},
    {.size = sizeof(nnd_op_schema),
     .name = "matmul",
     .doc = "a @ b, numpy matmul of per-sample shapes (W @ x is W.x for a vector x)",
     .min_inputs = 2,
     .max_inputs = 2,
     .infer = matmul_infer},
};
const int nnd_ops_arith_count = sizeof nnd_ops_arith / sizeof nnd_ops_arith[0];
