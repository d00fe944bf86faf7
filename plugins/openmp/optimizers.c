/* optimizers.c — the openmp sgd, adam and rmsprop.
 *
 * naive's formulas (PyTorch's torch.optim with default flags) in the same
 * double arithmetic, and naive's state layout: state_floats whole blocks of
 * n floats (sgd: the momentum buffer; adam: m then v; rmsprop: the square
 * average then the momentum buffer), so a checkpoint moves between the two
 * backends. Every element is updated from its own values only, and vector
 * lanes round as scalars do (no contraction to FMA in this file), so the
 * results equal naive's bit for bit, for any thread count.
 *
 * The updates run over fixed ranges of elements, each range one call of a
 * function compiled for AVX-512, AVX2 and the baseline (the CPU picks): a
 * step is a few divisions and a square root per element, and the wide
 * units do them 4 to 8 at a time. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "openmp.h"

#if defined(__GNUC__)
/* sqrt here only ever sees a second moment, which is never negative, so it
 * never sets errno; saying so (const) lets GCC and clang vectorise it
 * without -fno-math-errno, as the exact sqrtpd: the bits do not change. */
extern double sqrt(double) __attribute__((const));
#endif

/* elements per task: large enough to amortise a call, small enough to
 * balance the threads */
#define RANGE 8192

/* The hyperparameters and buffers of one step. */
typedef struct {
  double lr, wd, momentum, b1, b2, eps, bc1, bc2, alpha;
  int first, nesterov;
  float *p, *s0, *s1; /* parameters, first and second state block */
  const float *g;
} update;

/* Below this many parameters sgd runs on the calling thread. Its update
 * is a multiply-add per element, bound by memory: at batch 1 (a 784-128-10
 * network, 100,480 parameters, 10-20 us a step) splitting it saved less
 * than waking the team cost, and on a loaded machine, where the other
 * thread waits for a time slice, a region cost milliseconds a step. */
#define SGD_MIN_PARALLEL (NND_OPENMP_MIN_WORK * 4)
/* adam and rmsprop divide and take a square root per element: worth
 * splitting much earlier */
#define HEAVY_MIN_PARALLEL (NND_OPENMP_MIN_WORK / 8)

/* Runs fn over [0, n) in ranges of RANGE, parallel when n is above
 * min_parallel. */
static void for_ranges(const update *u, int64_t n, int64_t min_parallel,
                       void (*fn)(const update *, int64_t, int64_t)) {
  int64_t ranges = (n + RANGE - 1) / RANGE;
  NND_OPENMP_PARALLEL(n > min_parallel, "omp parallel for schedule(static)",
  for (int64_t r = 0; r < ranges; r++) {
    int64_t i0 = r * RANGE, i1 = n - i0 < RANGE ? n : i0 + RANGE;
    fn(u, i0, i1);
  });
}

/* ------------------------------------------------------------------ sgd */

/* g = grad + wd p; with momentum: buf = m buf + g (buf = g on the first
 * step, even if the state was not zeroed), then g = buf, or g + m buf for
 * Nesterov; p -= lr g. */
/* Plain sgd (no momentum, no weight decay): p -= lr g, skipping each block
 * of SGD_BLOCK gradients that are all +0. At batch 1 most of the first
 * layer's gradient is zeros (dW = dy x^T, and most of an MNIST digit's
 * pixels are 0), and a skipped block spares the parameters' load and
 * store. Exact: p - lr (+0) is p, bit for bit, for every p (-0 and NaN
 * included, lr >= 0); a -0 gradient is not skipped, since -0 - (-0) is
 * +0. Without the weight-decay term, sgd_range's grad + 0 p, the result
 * is naive's for every finite p (the signs of zeros work out the same);
 * only an infinite parameter, which the trainer has stopped on before
 * (its loss is not finite), stays infinite here where naive's 0 x inf
 * makes it NaN. Blocks of 32 (two AVX-512 vectors): on MNIST at batch 1,
 * 4-5% more steps a second than 16, whose extra tests and branches cost
 * more than the updates they skip; 8 and 64 were slower still. */
#define SGD_BLOCK 32
NND_OPENMP_INLINE int all_plus_zero(const float *g) {
  uint32_t any = 0;
  for (int j = 0; j < SGD_BLOCK; j++) {
    uint32_t bits;
    memcpy(&bits, &g[j], sizeof bits);
    any |= bits;
  }
  return any == 0;
}

NND_OPENMP_CLONES static void sgd_plain_range(const update *u, int64_t i0, int64_t i1) {
  float *restrict p = u->p;
  const float *restrict grad = u->g;
  double lr = u->lr;
  int64_t i = i0;
  for (; i + SGD_BLOCK <= i1; i += SGD_BLOCK) {
    if (all_plus_zero(grad + i)) continue;
#pragma omp simd
    for (int64_t k = i; k < i + SGD_BLOCK; k++) p[k] = (float)(p[k] - lr * (double)grad[k]);
  }
  for (; i < i1; i++) p[i] = (float)(p[i] - lr * (double)grad[i]);
}

NND_OPENMP_CLONES static void sgd_range(const update *u, int64_t i0, int64_t i1) {
  float *restrict p = u->p, *restrict buf = u->s0;
  const float *restrict grad = u->g;
  double lr = u->lr, wd = u->wd, momentum = u->momentum;
  if (momentum == 0) {
#pragma omp simd
    for (int64_t i = i0; i < i1; i++) {
      double g = (double)grad[i] + wd * p[i];
      p[i] = (float)(p[i] - lr * g);
    }
    return;
  }
  int first = u->first, nesterov = u->nesterov;
#pragma omp simd
  for (int64_t i = i0; i < i1; i++) {
    double g = (double)grad[i] + wd * p[i];
    double b = first ? g : momentum * buf[i] + g;
    buf[i] = (float)b;
    double d = nesterov ? g + momentum * b : b;
    p[i] = (float)(p[i] - lr * d);
  }
}

static int sgd_step(const nnd_optim_ctx *ctx) {
  if (nnd_optim_check(ctx) != 0) return -1;
  update u = {.lr = ctx->lr,
              .momentum = nnd_optim_arg(ctx, "momentum", 0),
              .wd = nnd_optim_arg(ctx, "weight_decay", 0),
              .nesterov = nnd_optim_arg(ctx, "nesterov", 0) != 0,
              .first = ctx->step == 1,
              .p = ctx->params,
              .s0 = ctx->state,
              .g = ctx->grads};
  if (u.nesterov && u.momentum <= 0)
    return nnd_optim_fail(ctx, "nesterov needs a momentum above 0");
  int plain = u.momentum == 0 && u.wd == 0 && u.lr >= 0;
  for_ranges(&u, ctx->n, SGD_MIN_PARALLEL, plain ? sgd_plain_range : sgd_range);
  return 0;
}

/* ----------------------------------------------------------------- adam */

/* Adam with bias correction; weight decay is the L2 kind added to the
 * gradient (torch.optim.Adam). State: m, then v. */
NND_OPENMP_CLONES static void adam_range(const update *u, int64_t i0, int64_t i1) {
  float *restrict p = u->p, *restrict m = u->s0, *restrict v = u->s1;
  const float *restrict grad = u->g;
  double lr = u->lr, wd = u->wd, b1 = u->b1, b2 = u->b2, eps = u->eps, bc1 = u->bc1,
         bc2 = u->bc2;
#pragma omp simd
  for (int64_t i = i0; i < i1; i++) {
    double g = (double)grad[i] + wd * p[i];
    double mi = b1 * m[i] + (1 - b1) * g, vi = b2 * v[i] + (1 - b2) * g * g;
    m[i] = (float)mi;
    v[i] = (float)vi;
    p[i] = (float)(p[i] - lr * (mi / bc1) / (sqrt(vi / bc2) + eps));
  }
}

static int adam_step(const nnd_optim_ctx *ctx) {
  if (nnd_optim_check(ctx) != 0) return -1;
  double b1 = nnd_optim_arg(ctx, "beta1", 0.9), b2 = nnd_optim_arg(ctx, "beta2", 0.999);
  update u = {.lr = ctx->lr,
              .b1 = b1,
              .b2 = b2,
              .eps = nnd_optim_arg(ctx, "eps", 1e-8),
              .wd = nnd_optim_arg(ctx, "weight_decay", 0),
              .bc1 = 1 - pow(b1, (double)ctx->step),
              .bc2 = 1 - pow(b2, (double)ctx->step),
              .p = ctx->params,
              .s0 = ctx->state,
              .s1 = ctx->state + ctx->n,
              .g = ctx->grads};
  for_ranges(&u, ctx->n, HEAVY_MIN_PARALLEL, adam_range);
  return 0;
}

/* -------------------------------------------------------------- rmsprop */

/* sq = alpha sq + (1 - alpha) g^2; avg = sqrt(sq) + eps; with momentum:
 * buf = m buf + g / avg, p -= lr buf; without: p -= lr g / avg.
 * State: sq, then buf (untouched without momentum, as in naive). */
NND_OPENMP_CLONES static void rmsprop_range(const update *u, int64_t i0, int64_t i1) {
  float *restrict p = u->p, *restrict sq = u->s0, *restrict buf = u->s1;
  const float *restrict grad = u->g;
  double lr = u->lr, wd = u->wd, alpha = u->alpha, eps = u->eps, momentum = u->momentum;
  if (momentum > 0) {
#pragma omp simd
    for (int64_t i = i0; i < i1; i++) {
      double g = (double)grad[i] + wd * p[i];
      double s = alpha * sq[i] + (1 - alpha) * g * g;
      sq[i] = (float)s;
      double b = momentum * buf[i] + g / (sqrt(s) + eps);
      buf[i] = (float)b;
      p[i] = (float)(p[i] - lr * b);
    }
    return;
  }
#pragma omp simd
  for (int64_t i = i0; i < i1; i++) {
    double g = (double)grad[i] + wd * p[i];
    double s = alpha * sq[i] + (1 - alpha) * g * g;
    sq[i] = (float)s;
    p[i] = (float)(p[i] - lr * g / (sqrt(s) + eps));
  }
}

static int rmsprop_step(const nnd_optim_ctx *ctx) {
  if (nnd_optim_check(ctx) != 0) return -1;
  update u = {.lr = ctx->lr,
              .alpha = nnd_optim_arg(ctx, "alpha", 0.99),
              .eps = nnd_optim_arg(ctx, "eps", 1e-8),
              .momentum = nnd_optim_arg(ctx, "momentum", 0),
              .wd = nnd_optim_arg(ctx, "weight_decay", 0),
              .p = ctx->params,
              .s0 = ctx->state,
              .s1 = ctx->state + ctx->n,
              .g = ctx->grads};
  for_ranges(&u, ctx->n, HEAVY_MIN_PARALLEL, rmsprop_range);
  return 0;
}

const nnd_optimizer nnd_openmp_optimizers[] = {
    {.size = sizeof(nnd_optimizer), .name = "sgd", .state_floats = 1, .step = sgd_step,
     .backend = "openmp"},
    {.size = sizeof(nnd_optimizer), .name = "adam", .state_floats = 2, .step = adam_step,
     .backend = "openmp"},
    {.size = sizeof(nnd_optimizer), .name = "rmsprop", .state_floats = 2, .step = rmsprop_step,
     .backend = "openmp"},
};
const int nnd_openmp_optimizer_count =
    (int)(sizeof nnd_openmp_optimizers / sizeof nnd_openmp_optimizers[0]);
