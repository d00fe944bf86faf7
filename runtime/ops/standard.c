/* standard.c — the standard op set: registration of every schema table in
 * runtime/ops/, and the input checks those schemas share (see ops.h). */
#include "ops.h"

#include <stdarg.h>
#include <stdio.h>

#include "shape.h"

void nnd_ops_register_standard(void (*add_op)(const nnd_op_schema *),
                               void (*add_call)(const nnd_call_schema *)) {
  static const struct {
    const nnd_op_schema *table;
    const int *count;
  } sets[] = {
      {nnd_ops_arith, &nnd_ops_arith_count},
      {nnd_ops_dense, &nnd_ops_dense_count},
      {nnd_ops_conv, &nnd_ops_conv_count},
      {nnd_ops_pool, &nnd_ops_pool_count},
      {nnd_ops_reshape, &nnd_ops_reshape_count},
      {nnd_ops_norm, &nnd_ops_norm_count},
      {nnd_ops_activation, &nnd_ops_activation_count},
      {nnd_ops_label, &nnd_ops_label_count},
      {nnd_ops_loss, &nnd_ops_loss_count},
  };
  for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++)
    for (int i = 0; i < *sets[s].count; i++) add_op(&sets[s].table[i]);
  for (int i = 0; i < nnd_calls_standard_count; i++) add_call(&nnd_calls_standard[i]);
}

int nnd_op_fail(nnd_infer *ctx, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ctx->message, sizeof ctx->message, fmt, ap);
  va_end(ap);
  return -1;
}

const char *nnd_op_input(const nnd_infer *ctx, int i) {
  if (ctx->input_names && i >= 0 && i < ctx->n_inputs && ctx->input_names[i])
    return ctx->input_names[i];
  return "input";
}

const char *nnd_op_name(const nnd_infer *ctx) { return ctx->op ? ctx->op : "op"; }

int nnd_op_need_float(nnd_infer *ctx, int i) {
  const nnd_type *t = &ctx->inputs[i];
  if (t->dtype == NND_FLOAT) return 0;
  return nnd_op_fail(ctx, "%s: `%s` is a %s label, not a float tensor", nnd_op_name(ctx),
                     nnd_op_input(ctx, i), t->dtype == NND_CLASS ? "class" : "binary");
}

int nnd_op_need_activation(nnd_infer *ctx, int i) {
  if (nnd_op_need_float(ctx, i) != 0) return -1;
  const nnd_type *t = &ctx->inputs[i];
  if (t->batched) return 0;
  /* An unbatched float is a parameter or a constant; "parameter" is the
     common case and what the user most likely passed by mistake. */
  char s[NND_OPS_SHAPE_MAX];
  return nnd_op_fail(ctx,
                     "%s needs a batched activation as input, but `%s` is a parameter "
                     "of shape %s",
                     nnd_op_name(ctx), nnd_op_input(ctx, i), nnd_shape_str(t, s, sizeof s));
}

int64_t nnd_op_int(const nnd_value *v) {
  const double lim = 4611686018427387904.0; /* 2^62 */
  if (!v || v->kind != NND_VAL_NUMBER || v->num != v->num) return 0;
  if (v->num >= lim) return INT64_C(1) << 62;
  if (v->num <= -lim) return -(INT64_C(1) << 62);
  return (int64_t)v->num;
}

int nnd_op_init_off(const nnd_value *v) {
  return v && v->kind == NND_VAL_BOOL && v->num == 0;
}

int nnd_op_output(nnd_infer *ctx, int batched, int ndim, const int64_t *dim) {
  nnd_type t = nnd_type_float(batched, ndim, dim);
  if (nnd_type_numel(&t) < 0) {
    char s[NND_OPS_SHAPE_MAX];
    return nnd_op_fail(ctx, "%s: the output %s has too many elements", nnd_op_name(ctx),
                       nnd_shape_str(&t, s, sizeof s));
  }
  ctx->output = t;
  return 0;
}

int nnd_op_param(nnd_infer *ctx, const char *name, int ndim, const int64_t *dim,
                 const char *init_attr, const char *default_init, int trainable) {
  nnd_type t = nnd_type_float(0, ndim, dim);
  if (nnd_type_numel(&t) < 0) {
    char s[NND_OPS_SHAPE_MAX];
    return nnd_op_fail(ctx, "%s: the parameter %s %s has too many elements",
                       nnd_op_name(ctx), name, nnd_shape_str(&t, s, sizeof s));
  }
  if (ctx->n_params < 0 || ctx->n_params >= NND_MAX_PARAMS)
    return nnd_op_fail(ctx, "%s: too many parameters (at most %d)", nnd_op_name(ctx),
                       NND_MAX_PARAMS);
  ctx->params[ctx->n_params++] =
      (nnd_param_decl){name, t, init_attr, default_init, trainable};
  return 0;
}

int nnd_op_spatial(nnd_infer *ctx, const char *attr, const nnd_value *v, int nsp,
                   int64_t def, int64_t *out) {
  int64_t vals[NND_MAX_DIMS];
  int n = 0;
  if (v && v->kind == NND_VAL_LIST && v->count > NND_MAX_DIMS)
    n = v->count;
  else if (v && (v->kind == NND_VAL_LIST || v->kind == NND_VAL_NUMBER))
    n = nnd_value_ints(v, vals, NND_MAX_DIMS);
  if (n != 0 && n != 1 && n != nsp)
    return nnd_op_fail(ctx, "%s: %s has %d values but `%s` has %d spatial dimension%s",
                       nnd_op_name(ctx), attr, n, nnd_op_input(ctx, 0), nsp,
                       nsp == 1 ? "" : "s");
  for (int i = 0; i < nsp; i++) out[i] = n == 0 ? def : n == 1 ? vals[0] : vals[i];
  return 0;
}

/* "5x5" as users write a kernel; with `collapse`, "1" when every dim agrees,
 * as users write a padding. */
static const char *dims_x(const int64_t *d, int n, int collapse, char *buf,
                          size_t size) {
  int same = 1;
  for (int i = 1; i < n; i++) same &= d[i] == d[0];
  int shown = collapse && same ? 1 : n;
  size_t len = 0;
  buf[0] = '\0';
  for (int i = 0; i < shown && len < size; i++)
    len += (size_t)snprintf(buf + len, size - len, "%s%lld", i ? "x" : "",
                            (long long)d[i]);
  return buf;
}

int nnd_op_windows(nnd_infer *ctx, const char *what, int nsp, const int64_t *kernel,
                   const int64_t *stride, const int64_t *lo, const int64_t *hi,
                   int64_t *out) {
  const nnd_type *x = &ctx->inputs[0];
  for (int i = 0; i < nsp; i++) {
    out[i] = nnd_window_out(x->dim[1 + i], kernel[i], stride[i], lo[i], hi[i]);
    if (out[i] > 0) continue;
    /* Only explicit padding can make a window not fit ("same" pads to fit),
       and explicit padding is symmetric, so `lo` says it all. */
    char k[NND_OPS_SHAPE_MAX], s[NND_OPS_SHAPE_MAX], p[NND_OPS_SHAPE_MAX];
    return nnd_op_fail(ctx, "%s: %s %s does not fit input %s with padding %s",
                       nnd_op_name(ctx), what, dims_x(kernel, nsp, 0, k, sizeof k),
                       nnd_shape_str(x, s, sizeof s), dims_x(lo, nsp, 1, p, sizeof p));
  }
  return 0;
}
