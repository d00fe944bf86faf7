/* optimizers.c — the naive sgd, adam and rmsprop.
 *
 * Each steps over every trainable parameter at once: the host collates
 * them into one flat buffer (KANN's layout) with the gradient beside it and
 * state_floats * n floats of state, zeroed before the first step. The state
 * is kept as whole blocks of n floats (first block, then second), not
 * interleaved. The formulas are PyTorch's (torch.optim, default flags), so a
 * run can be compared with a PyTorch script step by step. The call holds
 * every attribute by name with defaults applied; the learning rate comes
 * from ctx->lr because a schedule may have changed it. */
#include <math.h>
#include <stdio.h>

#include "naive.h"

/* ------------------------------------------------------------------ sgd */

/* g = grad + wd p; with momentum: buf = m buf + g (on the first step buf =
 * g, which the zeroed state gives by itself), then g = buf, or g + m buf
 * for Nesterov; p -= lr g. PyTorch's dampening is not offered (it is 0). */
static int sgd_step(const nnd_optim_ctx *ctx) {
  if (nnd_optim_check(ctx) != 0) return -1;
  double lr = ctx->lr, momentum = nnd_optim_arg(ctx, "momentum", 0),
         wd = nnd_optim_arg(ctx, "weight_decay", 0);
  int nesterov = nnd_optim_arg(ctx, "nesterov", 0) != 0;
  /* PyTorch refuses this combination rather than silently ignoring it */
  if (nesterov && momentum <= 0) return nnd_optim_fail(ctx, "nesterov needs a momentum above 0");
  float *buf = ctx->state;
  for (int64_t i = 0; i < ctx->n; i++) {
    double g = (double)ctx->grads[i] + wd * ctx->params[i];
    if (momentum != 0) {
      double b = ctx->step == 1 ? g : momentum * buf[i] + g;
      buf[i] = (float)b;
      g = nesterov ? g + momentum * b : b;
    }
    ctx->params[i] = (float)(ctx->params[i] - lr * g);
  }
  return 0;
}

/* ----------------------------------------------------------------- adam */

/* Adam with bias correction; weight decay is the L2 kind added to the
 * gradient (torch.optim.Adam), not AdamW's decoupled decay.
 * State: m (first moment) then v (second moment). */
static int adam_step(const nnd_optim_ctx *ctx) {
  if (nnd_optim_check(ctx) != 0) return -1;
  double lr = ctx->lr, b1 = nnd_optim_arg(ctx, "beta1", 0.9),
         b2 = nnd_optim_arg(ctx, "beta2", 0.999);
  double eps = nnd_optim_arg(ctx, "eps", 1e-8), wd = nnd_optim_arg(ctx, "weight_decay", 0);
  double bc1 = 1 - pow(b1, (double)ctx->step), bc2 = 1 - pow(b2, (double)ctx->step);
  float *m = ctx->state, *v = ctx->state + ctx->n;
  for (int64_t i = 0; i < ctx->n; i++) {
    double g = (double)ctx->grads[i] + wd * ctx->params[i];
    double mi = b1 * m[i] + (1 - b1) * g, vi = b2 * v[i] + (1 - b2) * g * g;
    m[i] = (float)mi;
    v[i] = (float)vi;
    ctx->params[i] = (float)(ctx->params[i] - lr * (mi / bc1) / (sqrt(vi / bc2) + eps));
  }
  return 0;
}

/* -------------------------------------------------------------- rmsprop */

/* sq = alpha sq + (1 - alpha) g^2; avg = sqrt(sq) + eps; with momentum:
 * buf = m buf + g / avg, p -= lr buf; without: p -= lr g / avg.
 * (PyTorch's uncentered RMSprop.) State: sq, then buf. */
static int rmsprop_step(const nnd_optim_ctx *ctx) {
  if (nnd_optim_check(ctx) != 0) return -1;
  double lr = ctx->lr, alpha = nnd_optim_arg(ctx, "alpha", 0.99),
         eps = nnd_optim_arg(ctx, "eps", 1e-8);
  double momentum = nnd_optim_arg(ctx, "momentum", 0), wd = nnd_optim_arg(ctx, "weight_decay", 0);
  float *sq = ctx->state, *buf = ctx->state + ctx->n;
  for (int64_t i = 0; i < ctx->n; i++) {
    double g = (double)ctx->grads[i] + wd * ctx->params[i];
    double s = alpha * sq[i] + (1 - alpha) * g * g;
    sq[i] = (float)s;
    double avg = sqrt(s) + eps;
    if (momentum > 0) {
      double b = momentum * buf[i] + g / avg;
      buf[i] = (float)b;
      ctx->params[i] = (float)(ctx->params[i] - lr * b);
    } else {
      ctx->params[i] = (float)(ctx->params[i] - lr * g / avg);
    }
  }
  return 0;
}

const nnd_optimizer nnd_naive_optimizers[] = {
    {.size = sizeof(nnd_optimizer),
     .backend = "naive",
     .name = "sgd",
     .state_floats = 1,
     .step = sgd_step},
    {.size = sizeof(nnd_optimizer),
     .backend = "naive",
     .name = "adam",
     .state_floats = 2,
     .step = adam_step},
    {.size = sizeof(nnd_optimizer),
     .backend = "naive",
     .name = "rmsprop",
     .state_floats = 2,
     .step = rmsprop_step},
};
const int nnd_naive_optimizer_count =
    (int)(sizeof nnd_naive_optimizers / sizeof nnd_naive_optimizers[0]);
