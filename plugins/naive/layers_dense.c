/* layers_dense.c — the naive dense kernel: y[n, o] = sum_i x[n, i] W[o, i]
 * + b[o], with PyTorch's weight layout [out, in]. Inputs: x [N, in],
 * weight [out, in], and bias [out] unless the layer has bias=false (then
 * there are only two inputs). */
#include "layers.h"

/* The sizes of one dense node, checked against each other so a mismatched
 * call fails with a message instead of reading out of bounds. */
typedef struct {
  int64_t batch, in, out;
  int has_bias;
} dense_dims;

static int dense_shape(const nnd_kernel_ctx *ctx, dense_dims *d) {
  if (ctx->n_inputs != 2 && ctx->n_inputs != 3)
    return nnd_naive_fail(ctx, "expected 2 or 3 inputs (x, weight[, bias]), got %d",
                                ctx->n_inputs);
  const nnd_tensor *x = &ctx->inputs[0], *w = &ctx->inputs[1];
  if (x->ndim != 2 || w->ndim != 2)
    return nnd_naive_fail(ctx, "expected x [N, in] and weight [out, in], got ranks %d and %d",
                                x->ndim, w->ndim);
  d->batch = x->dim[0];
  d->in = x->dim[1];
  d->out = w->dim[0];
  d->has_bias = ctx->n_inputs == 3;
  if (w->dim[1] != d->in)
    return nnd_naive_fail(ctx, "weight has %lld inputs but x has %lld features",
                                (long long)w->dim[1], (long long)d->in);
  if (d->has_bias && ctx->inputs[2].numel != d->out)
    return nnd_naive_fail(ctx, "bias has %lld elements, expected %lld",
                                (long long)ctx->inputs[2].numel, (long long)d->out);
  if (ctx->output.numel != d->batch * d->out)
    return nnd_naive_fail(ctx, "output has %lld elements, expected %lld",
                                (long long)ctx->output.numel, (long long)(d->batch * d->out));
  return 0;
}

int nnd_naive_dense_forward(const nnd_kernel_ctx *ctx) {
  dense_dims d;
  if (dense_shape(ctx, &d) != 0) return -1;
  const float *x = ctx->inputs[0].data, *w = ctx->inputs[1].data;
  const float *b = d.has_bias ? ctx->inputs[2].data : NULL;
  float *y = ctx->output.data;
  for (int64_t n = 0; n < d.batch; n++)
    for (int64_t o = 0; o < d.out; o++) {
      /* double accumulation: the reference should be the accurate one */
      double acc = b ? b[o] : 0.0;
      for (int64_t i = 0; i < d.in; i++) acc += (double)x[n * d.in + i] * w[o * d.in + i];
      y[n * d.out + o] = (float)acc;
    }
  return 0;
}

/* dx = dy W, dW = dy^T x, db = sum over the batch of dy; each added to what
 * the gradient buffer already holds, and skipped when it is NULL. */
int nnd_naive_dense_backward(const nnd_kernel_ctx *ctx) {
  dense_dims d;
  if (dense_shape(ctx, &d) != 0) return -1;
  const float *x = ctx->inputs[0].data, *w = ctx->inputs[1].data;
  const float *dy = ctx->grad_output->data;
  float *dx = ctx->grad_inputs[0].data, *dw = ctx->grad_inputs[1].data;
  float *db = d.has_bias ? ctx->grad_inputs[2].data : NULL;
  if (dx)
    for (int64_t n = 0; n < d.batch; n++)
      for (int64_t i = 0; i < d.in; i++) {
        double acc = 0;
        for (int64_t o = 0; o < d.out; o++) acc += (double)dy[n * d.out + o] * w[o * d.in + i];
        dx[n * d.in + i] += (float)acc;
      }
  if (dw)
    for (int64_t o = 0; o < d.out; o++)
      for (int64_t i = 0; i < d.in; i++) {
        double acc = 0;
        for (int64_t n = 0; n < d.batch; n++) acc += (double)dy[n * d.out + o] * x[n * d.in + i];
        dw[o * d.in + i] += (float)acc;
      }
  if (db)
    for (int64_t o = 0; o < d.out; o++) {
      double acc = 0;
      for (int64_t n = 0; n < d.batch; n++) acc += dy[n * d.out + o];
      db[o] += (float)acc;
    }
  return 0;
}
