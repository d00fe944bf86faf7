/* layers_norm.c — the naive batchnorm and dropout kernels: the two layers
 * that behave differently in training (ctx->training != 0) and inference.
 *
 * batchnorm, as PyTorch's BatchNorm1d/2d: inputs x [N, C], [N, C, L] or
 * [N, C, H, W], weight [C], bias [C] unless bias=false, running_mean [C] and
 * running_var [C] (always the last two). Training normalises each channel
 * with the batch mean and biased variance over N and the spatial dims, then
 * updates the running statistics (the variance with the unbiased estimate);
 * inference normalises with the running statistics.
 *
 * dropout: training keeps each element with probability 1 - rate and scales
 * it by 1 / (1 - rate); inference copies. The mask is a hash of (seed,
 * element index in the global batch), so backward recomputes it instead of
 * storing it, and a data-parallel run draws one process's masks. */
#include <math.h>

#include "layers.h"

enum { BN_MOMENTUM, BN_EPS }; /* batchnorm schema order (ops_norm.c) */
enum { DROPOUT_RATE };        /* dropout schema order */

/* ------------------------------------------------------------ batchnorm */

typedef struct {
  int64_t n, c, s; /* batch, channels, elements per channel per sample */
  int has_bias;
  float *rmean, *rvar; /* the running statistics (inputs, updated in training) */
} bn_dims;

/* Per channel, forward leaves mean and 1/sqrt(var + eps) in the workspace
 * (the batch's in training, the running ones in inference), in double so
 * backward starts from exactly what forward used. */
static size_t bn_workspace_bytes(int64_t channels) {
  return (size_t)(channels > 0 ? channels : 1) * 2 * sizeof(double);
}

size_t nnd_naive_batchnorm_workspace(const nnd_kernel_ctx *ctx) {
  const nnd_tensor *x = &ctx->inputs[0];
  return bn_workspace_bytes(x->ndim >= 2 ? x->dim[1] : 1);
}

static int bn_shape(const nnd_kernel_ctx *ctx, bn_dims *d) {
  if (ctx->n_inputs != 4 && ctx->n_inputs != 5)
    return nnd_kernel_fail(ctx,
                                "expected 4 or 5 inputs (x, weight[, bias], running_mean, "
                                "running_var), got %d",
                                ctx->n_inputs);
  const nnd_tensor *x = &ctx->inputs[0];
  if (x->ndim < 2 || x->ndim > 4)
    return nnd_kernel_fail(ctx, "expected [N, C], [N, C, L] or [N, C, H, W], got rank %d",
                                x->ndim);
  d->n = x->dim[0];
  d->c = x->dim[1];
  d->s = nnd_kernel_inner(x, 2);
  d->has_bias = ctx->n_inputs == 5;
  for (int i = 1; i < ctx->n_inputs; i++)
    if (ctx->inputs[i].numel != d->c)
      return nnd_kernel_fail(ctx,
                                  "input %d has %lld elements, expected one per channel (%lld)", i,
                                  (long long)ctx->inputs[i].numel, (long long)d->c);
  if (ctx->output.numel != x->numel)
    return nnd_kernel_fail(ctx, "output has %lld elements, expected %lld",
                                (long long)ctx->output.numel, (long long)x->numel);
  if (!ctx->workspace || ctx->workspace_size < bn_workspace_bytes(d->c))
    return nnd_kernel_fail(ctx, "needs a workspace of %zu bytes, got %zu",
                                bn_workspace_bytes(d->c), ctx->workspace ? ctx->workspace_size : 0);
  d->rmean = ctx->inputs[ctx->n_inputs - 2].data;
  d->rvar = ctx->inputs[ctx->n_inputs - 1].data;
  return 0;
}

/* Element (n, c, s) of an NC* tensor. */
#define BN_AT(d, n, ch, s) (((n) * (d)->c + (ch)) * (d)->s + (s))

int nnd_naive_batchnorm_forward(const nnd_kernel_ctx *ctx) {
  bn_dims d;
  if (bn_shape(ctx, &d) != 0) return -1;
  double momentum = nnd_num(nnd_kernel_attr(ctx, BN_MOMENTUM), 0.1);
  double eps = nnd_num(nnd_kernel_attr(ctx, BN_EPS), 1e-5);
  const float *x = ctx->inputs[0].data, *gamma = ctx->inputs[1].data;
  const float *beta = d.has_bias ? ctx->inputs[2].data : NULL;
  double *mean = ctx->workspace, *invstd = mean + d.c;
  double m = (double)(d.n * d.s);
  /* PyTorch refuses too: one value per channel has no variance, and the
     unbiased running update would divide by zero */
  if (ctx->training && m < 2)
    return nnd_kernel_fail(ctx,
                                "training needs more than one value per channel, got %lld "
                                "(batch %lld)",
                                (long long)(d.n * d.s), (long long)d.n);
  for (int64_t c = 0; c < d.c; c++) {
    if (ctx->training) {
      double sum = 0, sq = 0;
      for (int64_t n = 0; n < d.n; n++)
        for (int64_t s = 0; s < d.s; s++) sum += x[BN_AT(&d, n, c, s)];
      double mu = sum / m;
      /* two passes: the variance from deviations, not E[x^2] - E[x]^2 */
      for (int64_t n = 0; n < d.n; n++)
        for (int64_t s = 0; s < d.s; s++) {
          double dev = x[BN_AT(&d, n, c, s)] - mu;
          sq += dev * dev;
        }
      double var = sq / m;
      mean[c] = mu;
      invstd[c] = 1.0 / sqrt(var + eps);
      d.rmean[c] = (float)((1 - momentum) * d.rmean[c] + momentum * mu);
      d.rvar[c] = (float)((1 - momentum) * d.rvar[c] + momentum * (sq / (m - 1)));
    } else {
      if (!(d.rvar[c] + eps > 0))
        return nnd_kernel_fail(ctx, "running_var[%lld] is %g: variance + eps must be positive",
                                    (long long)c, (double)d.rvar[c]);
      mean[c] = d.rmean[c];
      invstd[c] = 1.0 / sqrt(d.rvar[c] + eps);
    }
    for (int64_t n = 0; n < d.n; n++)
      for (int64_t s = 0; s < d.s; s++) {
        int64_t i = BN_AT(&d, n, c, s);
        double xhat = (x[i] - mean[c]) * invstd[c];
        ctx->output.data[i] = (float)(gamma[c] * xhat + (beta ? beta[c] : 0.0));
      }
  }
  return 0;
}

/* With xhat = (x - mean) * invstd and y = gamma * xhat + beta, per channel:
 *   dbeta = sum dy, dgamma = sum dy * xhat;
 * training (mean and var depend on x; m values per channel):
 *   dx = gamma * invstd / m * (m * dy - sum dy - xhat * sum dy * xhat),
 *   and the running statistics do not affect the output: no gradient;
 * inference (mean, var are the running statistics, constants w.r.t. x):
 *   dx = dy * gamma * invstd, drunning_mean = -gamma * invstd * sum dy,
 *   drunning_var = -gamma * invstd^2 / 2 * sum dy * xhat. */
int nnd_naive_batchnorm_backward(const nnd_kernel_ctx *ctx) {
  bn_dims d;
  if (bn_shape(ctx, &d) != 0) return -1;
  const float *x = ctx->inputs[0].data, *gamma = ctx->inputs[1].data;
  const float *dy = ctx->grad_output->data;
  const double *mean = ctx->workspace, *invstd = mean + d.c;
  int last = ctx->n_inputs;
  float *dx = ctx->grad_inputs[0].data, *dgamma = ctx->grad_inputs[1].data;
  float *dbeta = d.has_bias ? ctx->grad_inputs[2].data : NULL;
  float *drmean = ctx->grad_inputs[last - 2].data, *drvar = ctx->grad_inputs[last - 1].data;
  double m = (double)(d.n * d.s);
  for (int64_t c = 0; c < d.c; c++) {
    double sum_dy = 0, sum_dy_xhat = 0;
    for (int64_t n = 0; n < d.n; n++)
      for (int64_t s = 0; s < d.s; s++) {
        int64_t i = BN_AT(&d, n, c, s);
        sum_dy += dy[i];
        sum_dy_xhat += dy[i] * (x[i] - mean[c]) * invstd[c];
      }
    if (dgamma) dgamma[c] += (float)sum_dy_xhat;
    if (dbeta) dbeta[c] += (float)sum_dy;
    if (!ctx->training) {
      if (drmean) drmean[c] += (float)(-gamma[c] * invstd[c] * sum_dy);
      if (drvar) drvar[c] += (float)(-0.5 * gamma[c] * invstd[c] * invstd[c] * sum_dy_xhat);
    }
    if (!dx) continue;
    for (int64_t n = 0; n < d.n; n++)
      for (int64_t s = 0; s < d.s; s++) {
        int64_t i = BN_AT(&d, n, c, s);
        if (ctx->training) {
          double xhat = (x[i] - mean[c]) * invstd[c];
          dx[i] += (float)(gamma[c] * invstd[c] / m * (m * dy[i] - sum_dy - xhat * sum_dy_xhat));
        } else {
          dx[i] += (float)(dy[i] * gamma[c] * invstd[c]);
        }
      }
  }
  return 0;
}

/* -------------------------------------------------------------- dropout */

/* splitmix64's output function: a bijective mix of 64 bits. */
static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Element i of the splitmix64 stream started at mix64(seed), as a uniform
 * in [0, 1) with 53 bits: counter-based, so any element can be drawn alone,
 * in any order, by forward and again by backward. The seed is mixed first
 * so nearby seeds (node and step numbers) give unrelated masks. */
static double dropout_uniform(uint64_t seed, int64_t i) {
  uint64_t h = mix64(mix64(seed) + ((uint64_t)i + 1) * 0x9E3779B97F4A7C15ull);
  return (double)(h >> 11) * (1.0 / 9007199254740992.0);
}

/* The factor element i is multiplied by: 0 when dropped, 1 / (1 - rate)
 * when kept, 1 in inference. */
static int dropout_check(const nnd_kernel_ctx *ctx, double *rate) {
  if (ctx->n_inputs != 1 || ctx->output.numel != ctx->inputs[0].numel)
    return nnd_kernel_fail(ctx, "expected one input with as many elements as the output");
  *rate = nnd_num(nnd_kernel_attr(ctx, DROPOUT_RATE), 0.5);
  if (!(*rate >= 0 && *rate < 1))
    return nnd_kernel_fail(ctx, "rate must be in [0, 1), got %g", *rate);
  return 0;
}

/* Element i of this batch is element i + first_sample * (elements per
 * sample) of the global batch: the mask of a sample is the same on
 * whichever process of a data-parallel run computes it. */
static float dropout_factor(const nnd_kernel_ctx *ctx, double rate, int64_t i) {
  if (!ctx->training) return 1.0f;
  int64_t batch = ctx->output.batched && ctx->output.dim[0] > 0 ? ctx->output.dim[0] : 1;
  int64_t at = i + ctx->first_sample * (ctx->output.numel / batch);
  return dropout_uniform(ctx->seed, at) < rate ? 0.0f : (float)(1.0 / (1.0 - rate));
}

int nnd_naive_dropout_forward(const nnd_kernel_ctx *ctx) {
  double rate;
  if (dropout_check(ctx, &rate) != 0) return -1;
  const float *x = ctx->inputs[0].data;
  for (int64_t i = 0; i < ctx->output.numel; i++)
    ctx->output.data[i] = x[i] * dropout_factor(ctx, rate, i);
  return 0;
}

int nnd_naive_dropout_backward(const nnd_kernel_ctx *ctx) {
  double rate;
  if (dropout_check(ctx, &rate) != 0) return -1;
  float *dx = ctx->grad_inputs[0].data;
  if (!dx) return 0;
  for (int64_t i = 0; i < ctx->output.numel; i++)
    dx[i] += ctx->grad_output->data[i] * dropout_factor(ctx, rate, i);
  return 0;
}
