/* loss.c — the openmp cross_entropy, nll, binary_cross_entropy and mse.
 *
 * The formulas are naive's, in double: every loss writes one unbatched
 * scalar, the mean over the batch of the per-sample loss (mse and
 * binary_cross_entropy: over every element), and backward scales by the
 * scalar grad_output and adds into the prediction's gradient (and into a
 * float target's, when the host asks for it).
 *
 * The mean is a reduction across threads, so it is made deterministic by
 * shape: the terms are cut into at most NND_OPENMP_CHUNKS chunks whose
 * bounds depend on the count only, each chunk is summed in order by one
 * thread, and the chunk sums are added in order by the caller. Backward is
 * elementwise per sample. Labels are checked in a serial pass first, so a
 * bad one fails with naive's message and the parallel loops cannot. */
#include <math.h>

#include "openmp.h"

/* Chunk c of `chunks` over `count` terms: [lo, hi). */
static int64_t chunk_count(int64_t count) {
  return count < NND_OPENMP_CHUNKS ? count : NND_OPENMP_CHUNKS;
}
static int64_t chunk_lo(int64_t c, int64_t chunks, int64_t count) {
  return c * count / chunks;
}

static double sum_chunks(const double *part, int64_t chunks) {
  double total = 0;
  for (int64_t c = 0; c < chunks; c++) total += part[c];
  return total;
}

/* -------------------------------------------------------- cross_entropy */

/* attrs[0] is label_smoothing; the formulas are kernel_geometry.h's. */
int nnd_openmp_cross_entropy_forward(const nnd_kernel_ctx *ctx) {
  int64_t n, k;
  if (nnd_loss_shape(ctx, 1, &n, &k) != 0 || nnd_loss_check_classes(ctx, n, k) != 0) return -1;
  double eps = nnd_kernel_num(ctx, 0, 0), part[NND_OPENMP_CHUNKS];
  const float *x0 = ctx->inputs[0].data, *t = ctx->inputs[1].data;
  int64_t chunks = chunk_count(n);
  NND_OPENMP_PARALLEL(n * k * 8 > NND_OPENMP_MIN_WORK, "omp parallel for schedule(static)",
  for (int64_t c = 0; c < chunks; c++) {
    double s = 0;
    for (int64_t i = chunk_lo(c, chunks, n); i < chunk_lo(c + 1, chunks, n); i++)
      s += nnd_ce_row_loss(x0 + i * k, k, (int64_t)t[i], eps);
    part[c] = s;
  });
  ctx->output.data[0] = (float)(sum_chunks(part, chunks) / (double)n);
  return 0;
}

/* d/dx_j = (softmax_j - q_j) / N, times the loss weight. */
int nnd_openmp_cross_entropy_backward(const nnd_kernel_ctx *ctx) {
  int64_t n, k;
  if (nnd_loss_shape(ctx, 1, &n, &k) != 0) return -1;
  float *gx = ctx->grad_inputs[0].data;
  if (!gx) return 0;
  if (nnd_loss_check_classes(ctx, n, k) != 0) return -1;
  double eps = nnd_kernel_num(ctx, 0, 0), scale = nnd_loss_weight(ctx) / (double)n;
  const float *x0 = ctx->inputs[0].data, *t = ctx->inputs[1].data;
  NND_OPENMP_PARALLEL(n * k * 8 > NND_OPENMP_MIN_WORK, "omp parallel for schedule(static)",
  for (int64_t i = 0; i < n; i++)
    nnd_ce_row_grad(x0 + i * k, k, (int64_t)t[i], eps, scale, gx + i * k););
  return 0;
}

/* ------------------------------------------------------------------ nll */

/* The input already holds log-probabilities (log_softmax's output). Too
 * little work to split: one read per sample. */
int nnd_openmp_nll_forward(const nnd_kernel_ctx *ctx) {
  int64_t n, k;
  if (nnd_loss_shape(ctx, 1, &n, &k) != 0 || nnd_loss_check_classes(ctx, n, k) != 0) return -1;
  const float *x = ctx->inputs[0].data, *t = ctx->inputs[1].data;
  double total = 0;
  for (int64_t i = 0; i < n; i++) total -= x[i * k + (int64_t)t[i]];
  ctx->output.data[0] = (float)(total / (double)n);
  return 0;
}

int nnd_openmp_nll_backward(const nnd_kernel_ctx *ctx) {
  int64_t n, k;
  if (nnd_loss_shape(ctx, 1, &n, &k) != 0) return -1;
  float *gx = ctx->grad_inputs[0].data;
  if (!gx) return 0;
  if (nnd_loss_check_classes(ctx, n, k) != 0) return -1;
  const float *t = ctx->inputs[1].data;
  float g = (float)-(nnd_loss_weight(ctx) / (double)n);
  for (int64_t i = 0; i < n; i++) gx[i * k + (int64_t)t[i]] += g;
  return 0;
}

/* ------------------------------------------------- binary_cross_entropy */

/* One logit z per element against a target t (nnd_bce_term). */
int nnd_openmp_bce_forward(const nnd_kernel_ctx *ctx) {
  int64_t n, k;
  if (nnd_loss_shape(ctx, -1, &n, &k) != 0) return -1;
  const float *z = ctx->inputs[0].data, *t = ctx->inputs[1].data;
  int64_t count = ctx->inputs[0].numel, chunks = chunk_count(count);
  double part[NND_OPENMP_CHUNKS];
  NND_OPENMP_PARALLEL(count * 8 > NND_OPENMP_MIN_WORK, "omp parallel for schedule(static)",
  for (int64_t c = 0; c < chunks; c++) {
    double s = 0;
    for (int64_t i = chunk_lo(c, chunks, count); i < chunk_lo(c + 1, chunks, count); i++)
      s += nnd_bce_term(z[i], t[i]);
    part[c] = s;
  });
  ctx->output.data[0] = (float)(sum_chunks(part, chunks) / (double)count);
  return 0;
}

/* dL/dz = sigmoid(z) - t and dL/dt = -z, each over the count. */
int nnd_openmp_bce_backward(const nnd_kernel_ctx *ctx) {
  int64_t n, k;
  if (nnd_loss_shape(ctx, -1, &n, &k) != 0) return -1;
  const float *z = ctx->inputs[0].data, *t = ctx->inputs[1].data;
  float *gz = ctx->grad_inputs[0].data, *gt = ctx->grad_inputs[1].data;
  int64_t count = ctx->inputs[0].numel;
  double scale = nnd_loss_weight(ctx) / (double)count;
  NND_OPENMP_PARALLEL(count * 8 > NND_OPENMP_MIN_WORK, "omp parallel for schedule(static)",
  for (int64_t i = 0; i < count; i++) {
    if (gz) gz[i] += (float)(scale * (nnd_sigmoid_stable(z[i]) - t[i]));
    if (gt) gt[i] += (float)(scale * -z[i]);
  });
  return 0;
}

/* ------------------------------------------------------------------ mse */

/* mean over all N x per-sample elements of (pred - target)^2 */
int nnd_openmp_mse_forward(const nnd_kernel_ctx *ctx) {
  int64_t n, k;
  if (nnd_loss_shape(ctx, -1, &n, &k) != 0) return -1;
  const float *p = ctx->inputs[0].data, *t = ctx->inputs[1].data;
  int64_t count = ctx->inputs[0].numel, chunks = chunk_count(count);
  double part[NND_OPENMP_CHUNKS];
  NND_OPENMP_PARALLEL(count > NND_OPENMP_MIN_WORK, "omp parallel for schedule(static)",
  for (int64_t c = 0; c < chunks; c++) {
    double s = 0;
    for (int64_t i = chunk_lo(c, chunks, count); i < chunk_lo(c + 1, chunks, count); i++) {
      double d = (double)p[i] - t[i];
      s += d * d;
    }
    part[c] = s;
  });
  ctx->output.data[0] = (float)(sum_chunks(part, chunks) / (double)count);
  return 0;
}

int nnd_openmp_mse_backward(const nnd_kernel_ctx *ctx) {
  int64_t n, k;
  if (nnd_loss_shape(ctx, -1, &n, &k) != 0) return -1;
  const float *p = ctx->inputs[0].data, *t = ctx->inputs[1].data;
  float *gp = ctx->grad_inputs[0].data, *gt = ctx->grad_inputs[1].data;
  int64_t count = ctx->inputs[0].numel;
  double scale = 2 * nnd_loss_weight(ctx) / (double)count;
  NND_OPENMP_PARALLEL(count > NND_OPENMP_MIN_WORK, "omp parallel for schedule(static)",
  for (int64_t i = 0; i < count; i++) {
    double d = (double)p[i] - t[i];
    if (gp) gp[i] += (float)(scale * d);
    if (gt) gt[i] += (float)(-scale * d);
  });
  return 0;
}
