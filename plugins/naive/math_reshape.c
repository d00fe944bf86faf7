/* math_reshape.c — naive flatten, reshape and concat.
 *
 * flatten and reshape keep row-major order and only relabel the dims, so
 * both are one copy forward and one accumulating (or, as a gradient's first
 * writer, storing) copy backward; the shape itself was settled at compile
 * time. concat joins along a per-sample axis:
 * around that axis every input is [outer, len_i, inner] and the output
 * [outer, sum len_i, inner], with the batch inside `outer`. */
#include <string.h>

#include "math_kernels.h"

int nnd_naive_copy_forward(const nnd_kernel_ctx *ctx) {
  if (ctx->n_inputs < 1 || ctx->inputs[0].numel != ctx->output.numel)
    return nnd_kernel_fail(ctx, "%s: the output must have the input's %lld elements", ctx->op,
                          (long long)(ctx->n_inputs ? ctx->inputs[0].numel : 0));
  if (ctx->output.numel > 0)
    memcpy(ctx->output.data, ctx->inputs[0].data, (size_t)ctx->output.numel * sizeof(float));
  return 0;
}

int nnd_naive_copy_backward(const nnd_kernel_ctx *ctx) {
  if (ctx->n_inputs < 1 || ctx->inputs[0].numel != ctx->output.numel)
    return nnd_kernel_fail(ctx, "%s: the output must have the input's %lld elements", ctx->op,
                          (long long)(ctx->n_inputs ? ctx->inputs[0].numel : 0));
  float *gx = ctx->grad_inputs[0].data;
  if (!gx) return 0;
  /* add, never overwrite (the input may feed other nodes too), unless this
     is the gradient's first writer */
  if (nnd_grad_assigns(ctx, 0)) {
    if (ctx->output.numel > 0)
      memcpy(gx, ctx->grad_output->data, (size_t)ctx->output.numel * sizeof *gx);
    return 0;
  }
  for (int64_t i = 0; i < ctx->output.numel; i++) gx[i] += ctx->grad_output->data[i];
  return 0;
}

/* The output's axis (in its full dims) and the outer/inner sizes around
 * it, after checking every input matches the output except along it. */
static int concat_layout(const nnd_kernel_ctx *ctx, int *axis, int64_t *outer,
                         int64_t *inner) {
  const nnd_tensor *y = &ctx->output;
  int skip = y->batched ? 1 : 0, nd = y->ndim - skip;
  int64_t a = (int64_t)nnd_kernel_num(ctx, 0, 0);
  if (a < 0) a += nd;
  if (nd < 1 || a < 0 || a >= nd)
    return nnd_kernel_fail(ctx, "concat: axis %lld is out of range for a %d-dim sample",
                          (long long)nnd_kernel_num(ctx, 0, 0), nd);
  *axis = (int)a + skip;
  *outer = *inner = 1;
  for (int i = 0; i < *axis; i++) *outer *= y->dim[i];
  for (int i = *axis + 1; i < y->ndim; i++) *inner *= y->dim[i];
  int64_t total = 0;
  for (int k = 0; k < ctx->n_inputs; k++) {
    const nnd_tensor *x = &ctx->inputs[k];
    int ok = x->ndim == y->ndim && x->batched == y->batched;
    for (int i = 0; ok && i < y->ndim; i++) ok = i == *axis || x->dim[i] == y->dim[i];
    if (!ok)
      return nnd_kernel_fail(ctx, "concat: input %d does not match the output but along "
                            "axis %lld", k, (long long)a);
    total += x->dim[*axis];
  }
  if (total != y->dim[*axis])
    return nnd_kernel_fail(ctx, "concat: the inputs give %lld along the axis, the output "
                          "has %lld", (long long)total, (long long)y->dim[*axis]);
  return 0;
}

int nnd_naive_concat_forward(const nnd_kernel_ctx *ctx) {
  int axis;
  int64_t outer, inner;
  if (concat_layout(ctx, &axis, &outer, &inner) != 0) return -1;
  int64_t ylen = ctx->output.dim[axis];
  for (int64_t o = 0; o < outer; o++) {
    int64_t at = 0; /* where the current input starts along the axis */
    for (int k = 0; k < ctx->n_inputs; k++) {
      int64_t len = ctx->inputs[k].dim[axis];
      const float *x = ctx->inputs[k].data + o * len * inner;
      float *y = ctx->output.data + (o * ylen + at) * inner;
      for (int64_t j = 0; j < len * inner; j++) y[j] = x[j];
      at += len;
    }
  }
  return 0;
}

int nnd_naive_concat_backward(const nnd_kernel_ctx *ctx) {
  int axis;
  int64_t outer, inner;
  if (concat_layout(ctx, &axis, &outer, &inner) != 0) return -1;
  int64_t ylen = ctx->output.dim[axis];
  for (int64_t o = 0; o < outer; o++) {
    int64_t at = 0;
    for (int k = 0; k < ctx->n_inputs; k++) {
      int64_t len = ctx->inputs[k].dim[axis];
      float *gx = ctx->grad_inputs[k].data;
      if (gx) {
        const float *g = ctx->grad_output->data + (o * ylen + at) * inner;
        gx += o * len * inner;
        for (int64_t j = 0; j < len * inner; j++) gx[j] += g[j];
      }
      at += len;
    }
  }
  return 0;
}
