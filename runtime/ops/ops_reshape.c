/* ops_reshape.c — flatten, reshape and concat: ops that move no numbers
 * through arithmetic, only rearrange them. All shapes are per-sample; the
 * batch dim is never part of a reshape or a concat axis. */
#include "ops.h"
#include "shape.h"

static int flatten_infer(nnd_infer *ctx) {
  if (nnd_op_need_activation(ctx, 0) != 0) return -1;
  int64_t n = nnd_type_numel(&ctx->inputs[0]);
  return nnd_op_output(ctx, 1, 1, &n);
}

enum { RESHAPE_SHAPE, RESHAPE_NATTRS };

static const nnd_attr_spec reshape_attrs[RESHAPE_NATTRS] = {
    [RESHAPE_SHAPE] = {.name = "shape",
                       .type = NND_ATTR_SHAPE,
                       .doc = "per-sample shape; one -1 is inferred",
                       .required = 1},
};

/* "[-1, 28]" as the user wrote it, for messages. */
static const char *list_str(const int64_t *d, int n, char *buf, size_t size) {
  nnd_type t = nnd_type_float(0, n, d);
  return nnd_shape_str(&t, buf, size);
}

static int reshape_infer(nnd_infer *ctx) {
  if (nnd_op_need_activation(ctx, 0) != 0) return -1;
  const nnd_type *x = &ctx->inputs[0];
  const nnd_value *v = &ctx->attrs[RESHAPE_SHAPE];
  if (v->kind != NND_VAL_LIST)
    return nnd_op_fail(ctx, "reshape: shape must be a list of ints such as [-1, 28]");
  if (v->count > NND_MAX_DIMS)
    return nnd_op_fail(ctx, "reshape: shape has %d dims; at most %d are allowed", v->count,
                       NND_MAX_DIMS);
  int64_t d[NND_MAX_DIMS];
  int n = nnd_value_ints(v, d, NND_MAX_DIMS), infer_at = -1;
  int64_t known = 1, total = nnd_type_numel(x);
  char sx[NND_OPS_SHAPE_MAX], sd[NND_OPS_SHAPE_MAX];
  list_str(d, n, sd, sizeof sd);
  for (int i = 0; i < n; i++) {
    if (d[i] == -1 && infer_at < 0) {
      infer_at = i;
      continue;
    }
    if (d[i] < 1)
      return nnd_op_fail(ctx, "reshape: shape %s may hold positive sizes and one -1 only",
                         sd);
    if (known > NND_MAX_ELEMENTS / d[i])
      return nnd_op_fail(ctx, "reshape: shape %s has too many elements", sd);
    known *= d[i];
  }
  nnd_shape_str(x, sx, sizeof sx);
  if (infer_at >= 0) {
    if (total % known != 0)
      return nnd_op_fail(ctx, "reshape: cannot reshape `%s` %s into %s: %lld elements are not "
                         "a multiple of %lld",
                         nnd_op_input(ctx, 0), sx, sd, (long long)total, (long long)known);
    d[infer_at] = total / known;
  } else if (known != total) {
    return nnd_op_fail(ctx, "reshape: cannot reshape `%s` %s into %s: %lld elements vs %lld",
                       nnd_op_input(ctx, 0), sx, sd, (long long)total, (long long)known);
  }
  return nnd_op_output(ctx, 1, n, d);
}

enum { CONCAT_AXIS, CONCAT_NATTRS };

static const nnd_attr_spec concat_attrs[CONCAT_NATTRS] = {
    [CONCAT_AXIS] = {.name = "axis",
                     .type = NND_ATTR_INT,
                     .doc = "per-sample dim to join along; negative counts from the end",
                     .has_default = 1,
                     .def_num = 0},
};

static int concat_infer(nnd_infer *ctx) {
  for (int i = 0; i < ctx->n_inputs; i++)
    if (nnd_op_need_activation(ctx, i) != 0) return -1;
  const nnd_type *a = &ctx->inputs[0];
  char sa[NND_OPS_SHAPE_MAX], sb[NND_OPS_SHAPE_MAX];
  if (a->ndim == 0)
    return nnd_op_fail(ctx, "concat: `%s` is a scalar per sample; flatten() it first",
                       nnd_op_input(ctx, 0));
  int64_t axis = nnd_op_int(&ctx->attrs[CONCAT_AXIS]);
  if (axis < -a->ndim || axis >= a->ndim)
    return nnd_op_fail(ctx, "concat: axis %lld is out of range for `%s` %s (use 0..%d or "
                       "-%d..-1)",
                       (long long)axis, nnd_op_input(ctx, 0), nnd_shape_str(a, sa, sizeof sa),
                       a->ndim - 1, a->ndim);
  if (axis < 0) axis += a->ndim;
  nnd_type out = *a;
  for (int i = 1; i < ctx->n_inputs; i++) {
    const nnd_type *b = &ctx->inputs[i];
    int ok = b->ndim == a->ndim;
    for (int j = 0; ok && j < a->ndim; j++) ok = j == axis || b->dim[j] == a->dim[j];
    if (!ok)
      return nnd_op_fail(ctx, "concat: `%s` is %s but `%s` is %s; all dims but axis %lld "
                         "must match",
                         nnd_op_input(ctx, 0), nnd_shape_str(a, sa, sizeof sa),
                         nnd_op_input(ctx, i), nnd_shape_str(b, sb, sizeof sb),
                         (long long)axis);
    if (out.dim[axis] > NND_MAX_ELEMENTS - b->dim[axis])
      return nnd_op_fail(ctx, "concat: the result has too many elements");
    out.dim[axis] += b->dim[axis];
  }
  return nnd_op_output(ctx, 1, out.ndim, out.dim);
}

const nnd_op_schema nnd_ops_reshape[] = {
    {.size = sizeof(nnd_op_schema),
     .name = "flatten",
     .doc = "[N, d1, d2, ...] -> [N, d1*d2*...]",
     .min_inputs = 1,
     .max_inputs = 1,
     .infer = flatten_infer},
    {.size = sizeof(nnd_op_schema),
     .name = "reshape",
     .doc = "give each sample a new shape with the same number of elements",
     .min_inputs = 1,
     .max_inputs = 1,
     .attrs = reshape_attrs,
     .n_attrs = RESHAPE_NATTRS,
     .infer = reshape_infer},
    {.size = sizeof(nnd_op_schema),
     .name = "concat",
     .doc = "join two or more activations along a per-sample axis",
     .min_inputs = 2,
     .max_inputs = -1,
     .attrs = concat_attrs,
     .n_attrs = CONCAT_NATTRS,
     .infer = concat_infer},
};
const int nnd_ops_reshape_count = sizeof nnd_ops_reshape / sizeof nnd_ops_reshape[0];
