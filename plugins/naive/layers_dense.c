/* layers_dense.c — the naive dense kernel: y[n, o] = sum_i x[n, i] W[o, i]
 * + b[o], with PyTorch's weight layout [out, in]. Inputs: x [N, in],
 * weight [out, in], and bias [out] unless the layer has bias=false (then
 * there are only two inputs). */
#include "layers.h"


int nnd_naive_dense_forward(const nnd_kernel_ctx *ctx) {
  nnd_dense_dims d;
  if (nnd_dense_shape(ctx, &d) != 0) return -1;
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
  nnd_dense_dims d;
  if (nnd_dense_shape(ctx, &d) != 0) return -1;
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
