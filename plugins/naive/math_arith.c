/* math_arith.c — naive add, sub, mul and matmul.
 *
 * Shapes are per-sample with the batch apart: a batched operand has dim[0] =
 * N and its own values for every sample, an unbatched one (a parameter, a
 * constant) is shared by every sample. add/sub/mul broadcast the per-sample
 * shapes as numpy does (aligned from the right, size-1 dims stretch); matmul
 * is numpy's matmul of the per-sample shapes. Backward visits exactly the
 * (output, input) element pairs forward did and adds into the input's
 * gradient, so a broadcast or shared operand collects the sum over every
 * place it was used with no special case. */
#include <string.h>

#include "math_kernels.h"

#define MAXD (NND_MAX_DIMS + 1)

/* The per-sample dims of t: everything after the batch dim. */
static int per_sample_dims(const nnd_tensor *t, int64_t *dim) {
  int skip = t->batched ? 1 : 0, nd = t->ndim - skip;
  if (nd < 0) nd = 0;
  for (int i = 0; i < nd; i++) dim[i] = t->dim[i + skip];
  return nd;
}

static int64_t product(const int64_t *dim, int nd) {
  int64_t p = 1;
  for (int i = 0; i < nd; i++) p *= dim[i];
  return p;
}

/* A batched input must have the output's batch: anything else means the
 * host built the tensors wrong, and reading past them would be worse. */
static int check_batch(const nnd_kernel_ctx *ctx, const nnd_tensor *t, int which, int64_t n) {
  if (t->batched && (t->ndim < 1 || t->dim[0] != n))
    return nnd_kernel_fail(ctx, "%s: input %d has batch %lld but the output has %lld",
                          ctx->op, which, (long long)(t->ndim ? t->dim[0] : 0), (long long)n);
  return 0;
}

/* ------------------------------------------------------------ broadcast */

/* How each output element of add/sub/mul finds its two operands. */
typedef struct {
  int64_t n;              /* samples in the output */
  int nd;                 /* output per-sample rank */
  int64_t dim[MAXD];      /* output per-sample dims */
  int64_t per;            /* output elements per sample */
  int64_t stride[2][MAXD];/* input element step per output dim; 0 where broadcast */
  int64_t sample[2];      /* input element step per sample; 0 for a shared input */
} bcast_plan;

static int bcast_setup(const nnd_kernel_ctx *ctx, bcast_plan *p) {
  if (ctx->n_inputs != 2) return nnd_kernel_fail(ctx, "%s: expects 2 inputs", ctx->op);
  memset(p, 0, sizeof *p);
  p->n = nnd_kernel_samples(&ctx->output);
  p->nd = per_sample_dims(&ctx->output, p->dim);
  p->per = product(p->dim, p->nd);
  if (p->n * p->per != ctx->output.numel)
    return nnd_kernel_fail(ctx, "%s: the output holds %lld elements, not %lld", ctx->op,
                          (long long)ctx->output.numel, (long long)(p->n * p->per));
  for (int k = 0; k < 2; k++) {
    const nnd_tensor *t = &ctx->inputs[k];
    int64_t d[MAXD];
    int nd = per_sample_dims(t, d);
    if (check_batch(ctx, t, k, p->n) != 0) return -1;
    if (nd > p->nd)
      return nnd_kernel_fail(ctx, "%s: input %d has more dims than the output", ctx->op, k);
    /* Walk the input's dims from the right, aligned with the output's. */
    int64_t step = 1;
    for (int i = nd - 1, o = p->nd - 1; i >= 0; i--, o--) {
      if (d[i] != p->dim[o] && d[i] != 1)
        return nnd_kernel_fail(ctx, "%s: input %d dim %d is %lld; it does not broadcast to "
                              "%lld", ctx->op, k, i, (long long)d[i], (long long)p->dim[o]);
      p->stride[k][o] = d[i] == 1 ? 0 : step;
      step *= d[i];
    }
    /* Output dims the input lacks (left of its rank) keep stride 0. */
    p->sample[k] = t->batched ? step : 0;
  }
  return 0;
}

/* Offsets of output element e of sample s in the two inputs. */
static void bcast_at(const bcast_plan *p, int64_t s, int64_t e, int64_t *oa, int64_t *ob) {
  int64_t a = s * p->sample[0], b = s * p->sample[1];
  for (int d = p->nd - 1; d >= 0; d--) {
    int64_t i = e % p->dim[d];
    e /= p->dim[d];
    a += i * p->stride[0][d];
    b += i * p->stride[1][d];
  }
  *oa = a;
  *ob = b;
}

typedef enum { OP_ADD, OP_SUB, OP_MUL } binop;

static int binary_forward(const nnd_kernel_ctx *ctx, binop op) {
  bcast_plan p;
  if (bcast_setup(ctx, &p) != 0) return -1;
  const float *a = ctx->inputs[0].data, *b = ctx->inputs[1].data;
  float *y = ctx->output.data;
  for (int64_t s = 0; s < p.n; s++)
    for (int64_t e = 0; e < p.per; e++) {
      int64_t ia, ib;
      bcast_at(&p, s, e, &ia, &ib);
      float v = op == OP_ADD ? a[ia] + b[ib] : op == OP_SUB ? a[ia] - b[ib] : a[ia] * b[ib];
      y[s * p.per + e] = v;
    }
  return 0;
}

static int binary_backward(const nnd_kernel_ctx *ctx, binop op) {
  bcast_plan p;
  if (bcast_setup(ctx, &p) != 0) return -1;
  const float *a = ctx->inputs[0].data, *b = ctx->inputs[1].data;
  const float *g = ctx->grad_output->data;
  float *ga = ctx->grad_inputs[0].data, *gb = ctx->grad_inputs[1].data;
  for (int64_t s = 0; s < p.n; s++)
    for (int64_t e = 0; e < p.per; e++) {
      int64_t ia, ib;
      bcast_at(&p, s, e, &ia, &ib);
      float gy = g[s * p.per + e];
      /* d(a+b) = (1, 1), d(a-b) = (1, -1), d(a*b) = (b, a) */
      if (ga) ga[ia] += op == OP_MUL ? gy * b[ib] : gy;
      if (gb) gb[ib] += op == OP_MUL ? gy * a[ia] : op == OP_SUB ? -gy : gy;
    }
  return 0;
}

int nnd_naive_add_forward(const nnd_kernel_ctx *ctx) { return binary_forward(ctx, OP_ADD); }
int nnd_naive_add_backward(const nnd_kernel_ctx *ctx) { return binary_backward(ctx, OP_ADD); }
int nnd_naive_sub_forward(const nnd_kernel_ctx *ctx) { return binary_forward(ctx, OP_SUB); }
int nnd_naive_sub_backward(const nnd_kernel_ctx *ctx) { return binary_backward(ctx, OP_SUB); }
int nnd_naive_mul_forward(const nnd_kernel_ctx *ctx) { return binary_forward(ctx, OP_MUL); }
int nnd_naive_mul_backward(const nnd_kernel_ctx *ctx) { return binary_backward(ctx, OP_MUL); }

/* --------------------------------------------------------------- matmul */

/* numpy matmul of per-sample shapes: a is [..., M, K] (a 1-D a is the row
 * vector [1, K]), b is [..., K, P] (a 1-D b is the column vector [K, 1]); the
 * leading dims broadcast, and the stretched 1 disappears from the result
 * again, which does not change the element order: the output is always
 * lead x M x P in row-major order. */
typedef struct {
  int64_t n;                  /* samples in the output */
  int64_t m, k, p;            /* matrix sizes */
  int nl;                     /* rank of the broadcast leading dims */
  int64_t lead[MAXD];         /* the broadcast leading dims */
  int64_t nlead;              /* their product: matrices per sample */
  int64_t stride[2][MAXD];    /* element step of a, b per leading dim; 0 if broadcast */
  int64_t sample[2];          /* element step of a, b per sample; 0 for a shared one */
} matmul_plan;

static int matmul_setup(const nnd_kernel_ctx *ctx, matmul_plan *p) {
  if (ctx->n_inputs != 2) return nnd_kernel_fail(ctx, "matmul: expects 2 inputs");
  memset(p, 0, sizeof *p);
  int64_t da[MAXD], db[MAXD];
  int na = per_sample_dims(&ctx->inputs[0], da), nb = per_sample_dims(&ctx->inputs[1], db);
  if (na < 1 || nb < 1) return nnd_kernel_fail(ctx, "matmul: an operand is a scalar");
  p->n = nnd_kernel_samples(&ctx->output);
  p->m = na >= 2 ? da[na - 2] : 1;
  p->k = da[na - 1];
  p->p = nb >= 2 ? db[nb - 1] : 1;
  int64_t kb = nb >= 2 ? db[nb - 2] : db[0];
  if (kb != p->k)
    return nnd_kernel_fail(ctx, "matmul: inner dimensions %lld and %lld differ",
                          (long long)p->k, (long long)kb);
  /* leading dims: everything before the matrix dims */
  int la = na > 2 ? na - 2 : 0, lb = nb > 2 ? nb - 2 : 0;
  p->nl = la > lb ? la : lb;
  for (int o = p->nl - 1, i = la - 1, j = lb - 1; o >= 0; o--, i--, j--) {
    int64_t x = i >= 0 ? da[i] : 1, y = j >= 0 ? db[j] : 1;
    if (x != y && x != 1 && y != 1)
      return nnd_kernel_fail(ctx, "matmul: leading dims %lld and %lld do not broadcast",
                            (long long)x, (long long)y);
    p->lead[o] = x == 1 ? y : x;
  }
  p->nlead = product(p->lead, p->nl);
  /* Element steps: a matrix of a is m*k floats, of b k*p floats. */
  int64_t step_a = p->m * p->k, step_b = p->k * p->p;
  for (int o = p->nl - 1, i = la - 1, j = lb - 1; o >= 0; o--, i--, j--) {
    p->stride[0][o] = i >= 0 && da[i] != 1 ? step_a : 0;
    p->stride[1][o] = j >= 0 && db[j] != 1 ? step_b : 0;
    if (i >= 0) step_a *= da[i];
    if (j >= 0) step_b *= db[j];
  }
  for (int t = 0; t < 2; t++)
    if (check_batch(ctx, &ctx->inputs[t], t, p->n) != 0) return -1;
  p->sample[0] = ctx->inputs[0].batched ? step_a : 0;
  p->sample[1] = ctx->inputs[1].batched ? step_b : 0;
  if (p->n * p->nlead * p->m * p->p != ctx->output.numel)
    return nnd_kernel_fail(ctx, "matmul: the output holds %lld elements, not %lld",
                          (long long)ctx->output.numel,
                          (long long)(p->n * p->nlead * p->m * p->p));
  return 0;
}

/* Where matrix l of sample s starts in a and in b. */
static void matmul_at(const matmul_plan *p, int64_t s, int64_t l, int64_t *oa, int64_t *ob) {
  int64_t a = s * p->sample[0], b = s * p->sample[1];
  for (int d = p->nl - 1; d >= 0; d--) {
    int64_t i = l % p->lead[d];
    l /= p->lead[d];
    a += i * p->stride[0][d];
    b += i * p->stride[1][d];
  }
  *oa = a;
  *ob = b;
}

int nnd_naive_matmul_forward(const nnd_kernel_ctx *ctx) {
  matmul_plan p;
  if (matmul_setup(ctx, &p) != 0) return -1;
  for (int64_t s = 0; s < p.n; s++)
    for (int64_t l = 0; l < p.nlead; l++) {
      int64_t oa, ob;
      matmul_at(&p, s, l, &oa, &ob);
      const float *a = ctx->inputs[0].data + oa, *b = ctx->inputs[1].data + ob;
      float *c = ctx->output.data + (s * p.nlead + l) * p.m * p.p;
      for (int64_t i = 0; i < p.m; i++)
        for (int64_t j = 0; j < p.p; j++) {
          double acc = 0; /* double: the reference should not lose digits */
          for (int64_t q = 0; q < p.k; q++) acc += (double)a[i * p.k + q] * b[q * p.p + j];
          c[i * p.p + j] = (float)acc;
        }
    }
  return 0;
}

/* dA = dC B^T and dB = A^T dC, per matrix; a shared or broadcast operand
 * receives the sum over every matrix that used it. */
int nnd_naive_matmul_backward(const nnd_kernel_ctx *ctx) {
  matmul_plan p;
  if (matmul_setup(ctx, &p) != 0) return -1;
  float *ga0 = ctx->grad_inputs[0].data, *gb0 = ctx->grad_inputs[1].data;
  for (int64_t s = 0; s < p.n; s++)
    for (int64_t l = 0; l < p.nlead; l++) {
      int64_t oa, ob;
      matmul_at(&p, s, l, &oa, &ob);
      const float *a = ctx->inputs[0].data + oa, *b = ctx->inputs[1].data + ob;
      const float *g = ctx->grad_output->data + (s * p.nlead + l) * p.m * p.p;
      if (ga0)
        for (int64_t i = 0; i < p.m; i++)
          for (int64_t q = 0; q < p.k; q++) {
            double acc = 0;
            for (int64_t j = 0; j < p.p; j++) acc += (double)g[i * p.p + j] * b[q * p.p + j];
            ga0[oa + i * p.k + q] += (float)acc;
          }
      if (gb0)
        for (int64_t q = 0; q < p.k; q++)
          for (int64_t j = 0; j < p.p; j++) {
            double acc = 0;
            for (int64_t i = 0; i < p.m; i++) acc += (double)a[i * p.k + q] * g[i * p.p + j];
            gb0[ob + q * p.p + j] += (float)acc;
          }
    }
  return 0;
}
