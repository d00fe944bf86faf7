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

/* The class index of sample i, checked: labels are stored as floats, and a
 * bad one would otherwise index outside the logits. */
static int class_at(const nnd_kernel_ctx *ctx, int64_t i, int64_t k, int64_t *c) {
  float v = ctx->inputs[1].data[i];
  if (!(v >= 0 && v < (float)k) || v != (float)(int64_t)v)
    return nnd_kernel_fail(ctx, "%s: the target of sample %lld is %g; a class in 0..%lld was "
                          "expected", ctx->op, (long long)i, v, (long long)(k - 1));
  *c = (int64_t)v;
  return 0;
}

/* -------------------------------------------------------- cross_entropy */

/* PyTorch's label smoothing: the target distribution is q = (1 - e) onehot
 * + e / K, and the loss -sum_j q_j log p_j with log p_j = x_j - max - lse;
 * since sum q = 1 that is max + lse - sum_j q_j x_j. attrs[0] is
 * label_smoothing. */
int nnd_naive_cross_entropy_forward(const nnd_kernel_ctx *ctx) {
  int64_t n, k;
  if (nnd_loss_shape(ctx, 1, &n, &k) != 0) return -1;
  double eps = nnd_kernel_num(ctx, 0, 0), total = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t c = 0; /* set by class_at; 0 quiets -Wmaybe-uninitialized */
    if (class_at(ctx, i, k, &c) != 0) return -1;
    const float *x = ctx->inputs[0].data + i * k;
    double m, lse, qx = (1 - eps) * x[c];
    nnd_row_lse(x, k, &m, &lse);
    if (eps != 0)
      for (int64_t j = 0; j < k; j++) qx += eps / (double)k * x[j];
    total += m + lse - qx;
  }
  ctx->output.data[0] = (float)(total / (double)n);
  return 0;
}

/* d/dx_j = (softmax_j - q_j) / N, times the loss weight. */
int nnd_naive_cross_entropy_backward(const nnd_kernel_ctx *ctx) {
  int64_t n, k;
  if (nnd_loss_shape(ctx, 1, &n, &k) != 0) return -1;
  float *gx = ctx->grad_inputs[0].data;
  if (!gx) return 0;
  double eps = nnd_kernel_num(ctx, 0, 0), scale = nnd_loss_weight(ctx) / (double)n;
  for (int64_t i = 0; i < n; i++) {
    int64_t c = 0;
    if (class_at(ctx, i, k, &c) != 0) return -1;
    const float *x = ctx->inputs[0].data + i * k;
    double m, lse;
    nnd_row_lse(x, k, &m, &lse);
    for (int64_t j = 0; j < k; j++) {
      double p = exp(x[j] - m - lse), q = eps / (double)k + (j == c ? 1 - eps : 0);
      gx[i * k + j] += (float)(scale * (p - q));
    }
  }
  return 0;
}

/* ------------------------------------------------------------------ nll */

/* The input already holds log-probabilities (log_softmax's output). */
int nnd_naive_nll_forward(const nnd_kernel_ctx *ctx) {
  int64_t n, k;
  if (nnd_loss_shape(ctx, 1, &n, &k) != 0) return -1;
  double total = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t c = 0;
    if (class_at(ctx, i, k, &c) != 0) return -1;
    total -= ctx->inputs[0].data[i * k + c];
  }
  ctx->output.data[0] = (float)(total / (double)n);
  return 0;
}

int nnd_naive_nll_backward(const nnd_kernel_ctx *ctx) {
  int64_t n, k;
  if (nnd_loss_shape(ctx, 1, &n, &k) != 0) return -1;
  float *gx = ctx->grad_inputs[0].data;
  if (!gx) return 0;
  double scale = nnd_loss_weight(ctx) / (double)n;
  for (int64_t i = 0; i < n; i++) {
    int64_t c = 0;
    if (class_at(ctx, i, k, &c) != 0) return -1;
    gx[i * k + c] += (float)-scale;
  }
  return 0;
}

/* ------------------------------------------------- binary_cross_entropy */

/* One logit z per sample against a target t (a 0/1 label or a soft float
 * target), in the form that never exponentiates a positive number:
 *   loss = max(z, 0) - z t + log(1 + exp(-|z|))
 * which is -t log(sigmoid z) - (1 - t) log(1 - sigmoid z). Targets are not
 * range-checked: the formula is linear in t, PyTorch's BCEWithLogitsLoss
 * does not check either, and data sources validate their labels. The mean
 * is over every logit, which is one per sample. */
int nnd_naive_bce_forward(const nnd_kernel_ctx *ctx) {
  int64_t n, k;
  if (nnd_loss_shape(ctx, -1, &n, &k) != 0) return -1;
  const float *z = ctx->inputs[0].data, *t = ctx->inputs[1].data;
  int64_t count = ctx->inputs[0].numel;
  double total = 0;
  for (int64_t i = 0; i < count; i++) {
    double zi = z[i];
    total += (zi > 0 ? zi : 0) - zi * t[i] + log1p(exp(-fabs(zi)));
  }
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
    double zi = z[i];
    /* sigmoid without overflow for either sign of z */
    double s = zi >= 0 ? 1 / (1 + exp(-zi)) : exp(zi) / (1 + exp(zi));
    if (gz) gz[i] += (float)(scale * (s - t[i]));
    if (gt) gt[i] += (float)(scale * -zi);
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
