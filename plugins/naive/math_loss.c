/* math_loss.c — naive cross_entropy, nll, binary_cross_entropy and mse.
 *
 * Every loss writes one unbatched scalar: the mean over the batch of the
 * per-sample loss (mse: the mean over every element). Backward scales by
 * the scalar grad_output (the loss weight the executor seeds) and adds into
 * the prediction's gradient. Class and binary targets are labels and get no
 * gradient (their grad_inputs data is NULL); a float target of mse or
 * binary_cross_entropy gets one when the host asks for it, as in PyTorch.
 * Sums run in double so the reference loses no digits to the batch size. */
#include <math.h>

#include "math_kernels.h"

/* -------------------------------------------------------- cross_entropy */

/* attrs[0] is label_smoothing; the formulas are kernel_geometry.h's. */
int nnd_naive_cross_entropy_forward(const nnd_kernel_ctx *ctx) {
  int64_t n, k;
  if (nnd_loss_shape(ctx, 1, &n, &k) != 0 || nnd_loss_check_classes(ctx, n, k) != 0) return -1;
  double eps = nnd_kernel_num(ctx, 0, 0), total = 0;
  const float *x = ctx->inputs[0].data, *t = ctx->inputs[1].data;
  for (int64_t i = 0; i < n; i++) total += nnd_ce_row_loss(x + i * k, k, (int64_t)t[i], eps);
  ctx->output.data[0] = (float)(total / (double)n);
  return 0;
}

/* d/dx_j = (softmax_j - q_j) / N, times the loss weight. */
int nnd_naive_cross_entropy_backward(const nnd_kernel_ctx *ctx) {
  int64_t n, k;
  if (nnd_loss_shape(ctx, 1, &n, &k) != 0) return -1;
  float *gx = ctx->grad_inputs[0].data;
  if (!gx) return 0;
  if (nnd_loss_check_classes(ctx, n, k) != 0) return -1;
  double eps = nnd_kernel_num(ctx, 0, 0), scale = nnd_loss_weight(ctx) / (double)n;
  const float *x = ctx->inputs[0].data, *t = ctx->inputs[1].data;
  for (int64_t i = 0; i < n; i++)
    nnd_ce_row_grad(x + i * k, k, (int64_t)t[i], eps, scale, gx + i * k);
  return 0;
}

/* ------------------------------------------------------------------ nll */

/* The input already holds log-probabilities (log_softmax's output). */
int nnd_naive_nll_forward(const nnd_kernel_ctx *ctx) {
  int64_t n, k;
  if (nnd_loss_shape(ctx, 1, &n, &k) != 0 || nnd_loss_check_classes(ctx, n, k) != 0) return -1;
  const float *x = ctx->inputs[0].data, *t = ctx->inputs[1].data;
  double total = 0;
  for (int64_t i = 0; i < n; i++) total -= x[i * k + (int64_t)t[i]];
  ctx->output.data[0] = (float)(total / (double)n);
  return 0;
}

int nnd_naive_nll_backward(const nnd_kernel_ctx *ctx) {
  int64_t n, k;
  if (nnd_loss_shape(ctx, 1, &n, &k) != 0) return -1;
  float *gx = ctx->grad_inputs[0].data;
  if (!gx) return 0;
  if (nnd_loss_check_classes(ctx, n, k) != 0) return -1;
  const float *t = ctx->inputs[1].data;
  double scale = nnd_loss_weight(ctx) / (double)n;
  for (int64_t i = 0; i < n; i++) gx[i * k + (int64_t)t[i]] += (float)-scale;
  return 0;
}

/* ------------------------------------------------- binary_cross_entropy */

/* One logit z per sample against a target t (a 0/1 label or a soft float
 * target). Targets are not range-checked: the formula is linear in t,
 * PyTorch's BCEWithLogitsLoss does not check either, and data sources
 * validate their labels. The mean is over every logit, which is one per
 * sample. */
int nnd_naive_bce_forward(const nnd_kernel_ctx *ctx) {
  int64_t n, k;
  if (nnd_loss_shape(ctx, -1, &n, &k) != 0) return -1;
  const float *z = ctx->inputs[0].data, *t = ctx->inputs[1].data;
  int64_t count = ctx->inputs[0].numel;
  double total = 0;
  for (int64_t i = 0; i < count; i++) total += nnd_bce_term(z[i], t[i]);
  ctx->output.data[0] = (float)(total / (double)count);
  return 0;
}

/* dL/dz = sigmoid(z) - t and dL/dt = -z, each over the count. */
int nnd_naive_bce_backward(const nnd_kernel_ctx *ctx) {
  int64_t n, k;
  if (nnd_loss_shape(ctx, -1, &n, &k) != 0) return -1;
  const float *z = ctx->inputs[0].data, *t = ctx->inputs[1].data;
  float *gz = ctx->grad_inputs[0].data, *gt = ctx->grad_inputs[1].data;
  int64_t count = ctx->inputs[0].numel;
  double scale = nnd_loss_weight(ctx) / (double)count;
  for (int64_t i = 0; i < count; i++) {
    if (gz) gz[i] += (float)(scale * (nnd_sigmoid_stable(z[i]) - t[i]));
    if (gt) gt[i] += (float)(scale * -z[i]);
  }
  return 0;
}

/* ------------------------------------------------------------------ mse */

/* mean over all N x per-sample elements of (pred - target)^2 */
int nnd_naive_mse_forward(const nnd_kernel_ctx *ctx) {
  int64_t n, k;
  if (nnd_loss_shape(ctx, -1, &n, &k) != 0) return -1;
  const float *p = ctx->inputs[0].data, *t = ctx->inputs[1].data;
  int64_t count = ctx->inputs[0].numel;
  double total = 0;
  for (int64_t i = 0; i < count; i++) {
    double d = (double)p[i] - t[i];
    total += d * d;
  }
  ctx->output.data[0] = (float)(total / (double)count);
  return 0;
}

int nnd_naive_mse_backward(const nnd_kernel_ctx *ctx) {
  int64_t n, k;
  if (nnd_loss_shape(ctx, -1, &n, &k) != 0) return -1;
  const float *p = ctx->inputs[0].data, *t = ctx->inputs[1].data;
  float *gp = ctx->grad_inputs[0].data, *gt = ctx->grad_inputs[1].data;
  int64_t count = ctx->inputs[0].numel;
  double scale = 2 * nnd_loss_weight(ctx) / (double)count;
  for (int64_t i = 0; i < count; i++) {
    double d = (double)p[i] - t[i];
    if (gp) gp[i] += (float)(scale * d);
    if (gt) gt[i] += (float)(-scale * d);
  }
  return 0;
}
