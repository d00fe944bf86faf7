/* elementwise.c — the openmp activations (relu, sigmoid, tanh,
 * leaky_relu), softmax and log_softmax along an axis, and add, sub and mul
 * with naive's broadcasting.
 *
 * Pointwise kernels write element i from element i only, so any split over
 * threads gives the same bits. Backward recomputes what it needs from the
 * input, as naive does, so it never depends on the forward output still
 * being in place. sigmoid and tanh run in float, their derivatives in
 * forms that keep their relative precision where naive's double formula
 * would cancel in float (sigmoid' = e/(1+e)^2 with e = exp(-|x|) rather
 * than s(1-s)); softmax keeps naive's double arithmetic, lines being short
 * next to the layers that feed them. */
#include <math.h>

#include "openmp.h"

/* Pointwise work: a transcendental costs about as much as moving a few
 * cache lines, so those parallelise earlier than relu. */
#define CHEAP 1
#define COSTLY 8

static int64_t count(const nnd_kernel_ctx *ctx) { return ctx->output.numel; }

/* The gradient loop of a pointwise backward: BODY sets v for element i, and
 * gx[i] gets it stored when this kernel is the gradient's first writer
 * (nnd_grad_assigns), else added. Two loops rather than a select, so the
 * store never reads the buffer it overwrites. */
#define GRAD_LOOP(PAR, ctx, cond, pragma, n, BODY)                                     \
  do {                                                                                 \
    if (nnd_grad_assigns(ctx, 0)) {                                                    \
      PAR(cond, pragma, for (int64_t i = 0; i < (n); i++) { float v; BODY; gx[i] = v; }); \
    } else {                                                                           \
      PAR(cond, pragma, for (int64_t i = 0; i < (n); i++) { float v; BODY; gx[i] += v; }); \
    }                                                                                  \
  } while (0)

/* ----------------------------------------------------------------- relu */

int nnd_openmp_relu_forward(const nnd_kernel_ctx *ctx) {
  if (nnd_kernel_check_same(ctx) != 0) return -1;
  const float *restrict x = ctx->inputs[0].data;
  float *restrict y = ctx->output.data;
  int64_t n = count(ctx);
  /* written so a NaN passes through (as in PyTorch) instead of becoming 0 */
  NND_OPENMP_PARALLEL_SIMD(n * CHEAP > NND_OPENMP_MIN_WORK,
      "omp parallel for simd schedule(static)",
  for (int64_t i = 0; i < n; i++) y[i] = x[i] <= 0 ? 0.0f : x[i];);
  return 0;
}

int nnd_openmp_relu_backward(const nnd_kernel_ctx *ctx) {
  if (nnd_kernel_check_same(ctx) != 0) return -1;
  float *restrict gx = ctx->grad_inputs[0].data;
  if (!gx) return 0;
  const float *restrict x = ctx->inputs[0].data, *restrict g = ctx->grad_output->data;
  int64_t n = count(ctx);
  /* both loads unconditional, so the select vectorises (a load guarded by
     the comparison would stay a branch) */
  GRAD_LOOP(NND_OPENMP_PARALLEL_SIMD, ctx, n * CHEAP > NND_OPENMP_MIN_WORK,
            "omp parallel for simd schedule(static)", n,
            float gi = g[i]; v = x[i] > 0 ? gi : 0.0f);
  return 0;
}

/* ----------------------------------------------------------- leaky_relu */

/* attrs[0] is `slope` (schema default 0.01); 0 takes the negative side. */
int nnd_openmp_leaky_relu_forward(const nnd_kernel_ctx *ctx) {
  if (nnd_kernel_check_same(ctx) != 0) return -1;
  float slope = (float)nnd_kernel_num(ctx, 0, 0.01);
  const float *restrict x = ctx->inputs[0].data;
  float *restrict y = ctx->output.data;
  int64_t n = count(ctx);
  NND_OPENMP_PARALLEL_SIMD(n * CHEAP > NND_OPENMP_MIN_WORK,
      "omp parallel for simd schedule(static)",
  for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : slope * x[i];);
  return 0;
}

int nnd_openmp_leaky_relu_backward(const nnd_kernel_ctx *ctx) {
  if (nnd_kernel_check_same(ctx) != 0) return -1;
  float *restrict gx = ctx->grad_inputs[0].data;
  if (!gx) return 0;
  float slope = (float)nnd_kernel_num(ctx, 0, 0.01);
  const float *restrict x = ctx->inputs[0].data, *restrict g = ctx->grad_output->data;
  int64_t n = count(ctx);
  GRAD_LOOP(NND_OPENMP_PARALLEL_SIMD, ctx, n * CHEAP > NND_OPENMP_MIN_WORK,
            "omp parallel for simd schedule(static)", n,
            float gi = g[i]; v = x[i] > 0 ? gi : slope * gi);
  return 0;
}

/* -------------------------------------------------------------- sigmoid */

/* exp of a negative number only, so neither sign overflows; NaN stays NaN */
static inline float sigmoidf(float x) {
  float e = expf(-fabsf(x)), r = 1.0f / (1.0f + e);
  return x >= 0 ? r : e * r;
}

int nnd_openmp_sigmoid_forward(const nnd_kernel_ctx *ctx) {
  if (nnd_kernel_check_same(ctx) != 0) return -1;
  const float *restrict x = ctx->inputs[0].data;
  float *restrict y = ctx->output.data;
  int64_t n = count(ctx);
  NND_OPENMP_PARALLEL(n * COSTLY > NND_OPENMP_MIN_WORK, "omp parallel for schedule(static)",
  for (int64_t i = 0; i < n; i++) y[i] = sigmoidf(x[i]););
  return 0;
}

/* s(1-s) = e / (1+e)^2 with e = exp(-|x|): no 1 - s that rounds to 0 */
int nnd_openmp_sigmoid_backward(const nnd_kernel_ctx *ctx) {
  if (nnd_kernel_check_same(ctx) != 0) return -1;
  float *restrict gx = ctx->grad_inputs[0].data;
  if (!gx) return 0;
  const float *restrict x = ctx->inputs[0].data, *restrict g = ctx->grad_output->data;
  int64_t n = count(ctx);
  GRAD_LOOP(NND_OPENMP_PARALLEL, ctx, n * COSTLY > NND_OPENMP_MIN_WORK,
            "omp parallel for schedule(static)", n,
            float e = expf(-fabsf(x[i])); float d = 1.0f + e; v = g[i] * (e / (d * d)));
  return 0;
}

/* ----------------------------------------------------------------- tanh */

int nnd_openmp_tanh_forward(const nnd_kernel_ctx *ctx) {
  if (nnd_kernel_check_same(ctx) != 0) return -1;
  const float *restrict x = ctx->inputs[0].data;
  float *restrict y = ctx->output.data;
  int64_t n = count(ctx);
  NND_OPENMP_PARALLEL(n * COSTLY > NND_OPENMP_MIN_WORK, "omp parallel for schedule(static)",
  for (int64_t i = 0; i < n; i++) y[i] = tanhf(x[i]););
  return 0;
}

/* 1 - tanh^2 = 4e / (1+e)^2 with e = exp(-2|x|): exact where tanh rounds to 1 */
int nnd_openmp_tanh_backward(const nnd_kernel_ctx *ctx) {
  if (nnd_kernel_check_same(ctx) != 0) return -1;
  float *restrict gx = ctx->grad_inputs[0].data;
  if (!gx) return 0;
  const float *restrict x = ctx->inputs[0].data, *restrict g = ctx->grad_output->data;
  int64_t n = count(ctx);
  GRAD_LOOP(NND_OPENMP_PARALLEL, ctx, n * COSTLY > NND_OPENMP_MIN_WORK,
            "omp parallel for schedule(static)", n,
            float e = expf(-2.0f * fabsf(x[i])); float d = 1.0f + e;
            v = g[i] * (4.0f * e / (d * d)));
  return 0;
}

/* Lines are independent: parallel over them, each line on one thread. */
static int softmax_forward(const nnd_kernel_ctx *ctx, int take_log) {
  nnd_softmax_line l;
  if (nnd_softmax_lines(ctx, &l) != 0) return -1;
  const float *x0 = ctx->inputs[0].data;
  float *y0 = ctx->output.data;
  int64_t work = l.outer * l.len * l.inner * COSTLY;
  NND_OPENMP_PARALLEL(work > NND_OPENMP_MIN_WORK, "omp parallel for schedule(static) collapse(2)",
  for (int64_t o = 0; o < l.outer; o++)
    for (int64_t i = 0; i < l.inner; i++) {
      int64_t base = o * l.len * l.inner + i;
      nnd_softmax_line_forward(x0 + base, y0 + base, l.len, l.inner, take_log);
    });
  return 0;
}

/* The gradient of every line, s recomputed from x; lines in parallel. */
static int softmax_backward(const nnd_kernel_ctx *ctx, int take_log) {
  nnd_softmax_line l;
  if (nnd_softmax_lines(ctx, &l) != 0) return -1;
  float *gx0 = ctx->grad_inputs[0].data;
  if (!gx0) return 0;
  const float *x0 = ctx->inputs[0].data, *g0 = ctx->grad_output->data;
  int64_t work = l.outer * l.len * l.inner * COSTLY;
  NND_OPENMP_PARALLEL(work > NND_OPENMP_MIN_WORK, "omp parallel for schedule(static) collapse(2)",
  for (int64_t o = 0; o < l.outer; o++)
    for (int64_t i = 0; i < l.inner; i++) {
      int64_t base = o * l.len * l.inner + i;
      nnd_softmax_line_backward(x0 + base, g0 + base, gx0 + base, l.len, l.inner, take_log);
    });
  return 0;
}

int nnd_openmp_softmax_forward(const nnd_kernel_ctx *ctx) { return softmax_forward(ctx, 0); }
int nnd_openmp_softmax_backward(const nnd_kernel_ctx *ctx) { return softmax_backward(ctx, 0); }
int nnd_openmp_log_softmax_forward(const nnd_kernel_ctx *ctx) { return softmax_forward(ctx, 1); }
int nnd_openmp_log_softmax_backward(const nnd_kernel_ctx *ctx) {
  return softmax_backward(ctx, 1);
}

/* ---------------------------------------------------------- add sub mul */

/* Broadcasting as in naive (numpy's rule on the per-sample shapes, the
 * batch apart: a batched operand has its own values per sample, an
 * unbatched one is shared). The sample dimension is treated as one more
 * dimension, dims of size 1 are dropped, and neighbours that both operands
 * walk contiguously (or both not at all) are merged, so the output becomes
 * rows of one innermost run over which each operand steps by 1 or 0: a
 * same-shape add is a single run, a per-channel bias a run per plane. */
#define MAXD (NND_MAX_DIMS + 2)
#define RUN_CHUNK 8192 /* elements per task along a run */

typedef struct {
  int nd;                   /* merged dims, outermost first */
  int64_t dim[MAXD];
  int64_t stride[2][MAXD];  /* element step of each operand; 0 where broadcast */
  int64_t ostride[MAXD];    /* element step of the output */
  int64_t total;            /* output elements */
} bplan;

typedef enum { OP_ADD, OP_SUB, OP_MUL } binop;

static int per_sample_dims(const nnd_tensor *t, int64_t *dim) {
  int skip = t->batched ? 1 : 0, nd = t->ndim - skip;
  if (nd < 0) nd = 0;
  for (int i = 0; i < nd; i++) dim[i] = t->dim[i + skip];
  return nd;
}

static int bplan_setup(const nnd_kernel_ctx *ctx, bplan *p) {
  if (ctx->n_inputs != 2) return nnd_kernel_fail(ctx, "%s: expects 2 inputs", ctx->op);
  int64_t odim[MAXD], n = nnd_kernel_samples(&ctx->output), per = 1;
  int ond = per_sample_dims(&ctx->output, odim);
  for (int i = 0; i < ond; i++) per *= odim[i];
  if (n * per != ctx->output.numel)
    return nnd_kernel_fail(ctx, "%s: the output holds %lld elements, not %lld", ctx->op,
                           (long long)ctx->output.numel, (long long)(n * per));
  /* raw dims: the sample dim, then the output's per-sample dims */
  int64_t dim[MAXD], st[2][MAXD];
  dim[0] = n;
  for (int i = 0; i < ond; i++) dim[i + 1] = odim[i];
  for (int k = 0; k < 2; k++) {
    const nnd_tensor *t = &ctx->inputs[k];
    int64_t d[MAXD];
    int nd = per_sample_dims(t, d);
    if (t->batched && (t->ndim < 1 || t->dim[0] != n))
      return nnd_kernel_fail(ctx, "%s: input %d has batch %lld but the output has %lld",
                             ctx->op, k, (long long)(t->ndim ? t->dim[0] : 0), (long long)n);
    if (nd > ond)
      return nnd_kernel_fail(ctx, "%s: input %d has more dims than the output", ctx->op, k);
    for (int i = 0; i <= ond; i++) st[k][i] = 0;
    int64_t step = 1;
    for (int i = nd - 1, o = ond - 1; i >= 0; i--, o--) {
      if (d[i] != odim[o] && d[i] != 1)
        return nnd_kernel_fail(ctx, "%s: input %d dim %d is %lld; it does not broadcast to "
                               "%lld", ctx->op, k, i, (long long)d[i], (long long)odim[o]);
      st[k][o + 1] = d[i] == 1 ? 0 : step;
      step *= d[i];
    }
    if (t->numel != (t->batched ? n : 1) * step)
      return nnd_kernel_fail(ctx, "%s: input %d holds %lld elements, not %lld", ctx->op, k,
                             (long long)t->numel, (long long)((t->batched ? n : 1) * step));
    st[k][0] = t->batched ? step : 0;
  }
  /* drop size-1 dims and merge from the right */
  p->nd = 0;
  p->total = n * per;
  int64_t mdim[MAXD], ms[2][MAXD];
  int m = 0;
  for (int i = ond; i >= 0; i--) {
    if (dim[i] == 1) continue;
    if (m > 0 && st[0][i] == ms[0][m - 1] * mdim[m - 1] &&
        st[1][i] == ms[1][m - 1] * mdim[m - 1]) {
      mdim[m - 1] *= dim[i];
      continue;
    }
    mdim[m] = dim[i];
    ms[0][m] = st[0][i];
    ms[1][m] = st[1][i];
    m++;
  }
  if (m == 0) { /* one element */
    mdim[0] = 1;
    ms[0][0] = ms[1][0] = 0;
    m = 1;
  }
  /* back to outermost-first */
  p->nd = m;
  int64_t os = 1;
  for (int i = 0; i < m; i++) {
    int j = m - 1 - i;
    p->dim[j] = mdim[i];
    p->stride[0][j] = ms[0][i];
    p->stride[1][j] = ms[1][i];
    p->ostride[j] = os;
    os *= mdim[i];
  }
  return 0;
}

/* The operands' offsets at the start of row r (all dims but the last). */
static void row_offsets(const bplan *p, int64_t r, int64_t *oa, int64_t *ob) {
  int64_t a = 0, b = 0;
  for (int d = p->nd - 2; d >= 0; d--) {
    int64_t i = r % p->dim[d];
    r /= p->dim[d];
    a += i * p->stride[0][d];
    b += i * p->stride[1][d];
  }
  *oa = a;
  *ob = b;
}

/* y[j] = a[j*sa] op b[j*sb] with each step 0 or 1 as a constant, so every
 * variant is a plain vector loop. */
#define RUN_LOOP(SA, SB, EXPR)                                                   \
  do {                                                                           \
    _Pragma("omp simd") for (int64_t j = 0; j < len; j++) {                      \
      float av = a[j * (SA)], bv = b[j * (SB)];                                  \
      y[j] = EXPR;                                                               \
    }                                                                            \
  } while (0)

#define RUN_STRIDES(EXPR)                                                        \
  do {                                                                           \
    if (sa == 1 && sb == 1) RUN_LOOP(1, 1, EXPR);                                \
    else if (sa == 1 && sb == 0) RUN_LOOP(1, 0, EXPR);                           \
    else if (sa == 0 && sb == 1) RUN_LOOP(0, 1, EXPR);                           \
    else RUN_LOOP(sa, sb, EXPR);                                                 \
  } while (0)

static void run_forward(binop op, float *restrict y, const float *restrict a, int64_t sa,
                        const float *restrict b, int64_t sb, int64_t len) {
  if (op == OP_ADD) RUN_STRIDES(av + bv);
  else if (op == OP_SUB) RUN_STRIDES(av - bv);
  else RUN_STRIDES(av * bv);
}

/* Tasks are (row, chunk of the run) pairs: many short rows or one long run
 * both split evenly. */
static int binary_forward(const nnd_kernel_ctx *ctx, binop op) {
  bplan p;
  if (bplan_setup(ctx, &p) != 0) return -1;
  if (p.total == 0) return 0;
  const float *a = ctx->inputs[0].data, *b = ctx->inputs[1].data;
  float *y = ctx->output.data;
  int64_t run = p.dim[p.nd - 1], rows = p.total / run;
  int64_t chunks = (run + RUN_CHUNK - 1) / RUN_CHUNK, sa = p.stride[0][p.nd - 1],
          sb = p.stride[1][p.nd - 1];
  NND_OPENMP_PARALLEL(p.total > NND_OPENMP_MIN_WORK, "omp parallel for schedule(static)",
  for (int64_t t = 0; t < rows * chunks; t++) {
    int64_t r = t / chunks, j0 = t % chunks * RUN_CHUNK;
    int64_t len = run - j0 < RUN_CHUNK ? run - j0 : RUN_CHUNK, oa, ob;
    row_offsets(&p, r, &oa, &ob);
    run_forward(op, y + r * run + j0, a + oa + j0 * sa, sa, b + ob + j0 * sb, sb, len);
  });
  return 0;
}

/* The gradient of operand k at output element j: d(a+b) = (1, 1),
 * d(a-b) = (1, -1), d(a*b) = (b, a). */
static inline float partial(binop op, int k, float gy, float other) {
  return op == OP_MUL ? gy * other : op == OP_SUB && k == 1 ? -gy : gy;
}

/* Operand k maps one-to-one onto the output: add into it run by run. */
static void grad_full(const bplan *p, binop op, int k, const float *restrict g,
                      const float *restrict other, float *restrict gk) {
  int64_t run = p->dim[p->nd - 1], rows = p->total / run;
  int64_t chunks = (run + RUN_CHUNK - 1) / RUN_CHUNK, so = p->stride[1 - k][p->nd - 1];
  NND_OPENMP_PARALLEL(p->total > NND_OPENMP_MIN_WORK, "omp parallel for schedule(static)",
  for (int64_t t = 0; t < rows * chunks; t++) {
    int64_t r = t / chunks, j0 = t % chunks * RUN_CHUNK;
    int64_t len = run - j0 < RUN_CHUNK ? run - j0 : RUN_CHUNK, off[2];
    row_offsets(p, r, &off[0], &off[1]);
    const float *gy = g + r * run + j0, *ot = other + off[1 - k] + j0 * so;
    float *gd = gk + off[k] + j0;
    if (op != OP_MUL) {
      float sign = op == OP_SUB && k == 1 ? -1.0f : 1.0f;
_Pragma("omp simd")
      for (int64_t j = 0; j < len; j++) gd[j] += sign * gy[j];
    } else if (so == 1) {
_Pragma("omp simd")
      for (int64_t j = 0; j < len; j++) gd[j] += gy[j] * ot[j];
    } else if (so == 0) {
      float v = ot[0];
_Pragma("omp simd")
      for (int64_t j = 0; j < len; j++) gd[j] += gy[j] * v;
    } else {
      for (int64_t j = 0; j < len; j++) gd[j] += gy[j] * ot[j * so];
    }
  });
}

/* Operand k is broadcast: each of its elements collects the output
 * elements that used it. Parallel over operand k's elements; each sums its
 * preimage in output order, onto what the buffer held — the very sequence
 * of additions naive makes, so the bits match it. */
static void grad_reduce(const bplan *p, binop op, int k, const float *restrict g,
                        const float *restrict other, float *restrict gk) {
  int kd[MAXD], rd[MAXD], nk = 0, nr = 0;
  int64_t kcount = 1;
  for (int d = 0; d < p->nd; d++) {
    if (p->stride[k][d] != 0) {
      kd[nk++] = d;
      kcount *= p->dim[d];
    } else {
      rd[nr++] = d;
    }
  }
  /* nr >= 1: else the operand would be full */
  int inner = rd[nr - 1];
  int64_t ilen = p->dim[inner], ios = p->ostride[inner], its = p->stride[1 - k][inner];
  int64_t outer_count = 1;
  for (int q = 0; q < nr - 1; q++) outer_count *= p->dim[rd[q]];
  NND_OPENMP_PARALLEL(p->total > NND_OPENMP_MIN_WORK, "omp parallel for schedule(static)",
  for (int64_t e = 0; e < kcount; e++) {
    /* where operand element e sits: its kept indices */
    int64_t out = 0, ot = 0, in = 0, rem = e;
    for (int q = nk - 1; q >= 0; q--) {
      int d = kd[q];
      int64_t i = rem % p->dim[d];
      rem /= p->dim[d];
      out += i * p->ostride[d];
      ot += i * p->stride[1 - k][d];
      in += i * p->stride[k][d];
    }
    float acc = gk[in];
    for (int64_t u = 0; u < outer_count; u++) {
      /* the reduced indices but the innermost, from u */
      int64_t o2 = out, t2 = ot, rr = u;
      for (int q = nr - 2; q >= 0; q--) {
        int d = rd[q];
        int64_t i = rr % p->dim[d];
        rr /= p->dim[d];
        o2 += i * p->ostride[d];
        t2 += i * p->stride[1 - k][d];
      }
      for (int64_t j = 0; j < ilen; j++)
        acc += partial(op, k, g[o2 + j * ios], other[t2 + j * its]);
    }
    gk[in] = acc;
  });
}

static int binary_backward(const nnd_kernel_ctx *ctx, binop op) {
  bplan p;
  if (bplan_setup(ctx, &p) != 0) return -1;
  if (p.total == 0) return 0;
  const float *g = ctx->grad_output->data;
  for (int k = 0; k < 2; k++) {
    float *gk = ctx->grad_inputs[k].data;
    if (!gk) continue;
    const float *other = ctx->inputs[1 - k].data;
    int full = 1;
    for (int d = 0; d < p.nd; d++) full &= p.stride[k][d] != 0 || p.dim[d] == 1;
    if (full)
      grad_full(&p, op, k, g, other, gk);
    else
      grad_reduce(&p, op, k, g, other, gk);
  }
  return 0;
}

int nnd_openmp_add_forward(const nnd_kernel_ctx *ctx) { return binary_forward(ctx, OP_ADD); }
int nnd_openmp_add_backward(const nnd_kernel_ctx *ctx) { return binary_backward(ctx, OP_ADD); }
int nnd_openmp_sub_forward(const nnd_kernel_ctx *ctx) { return binary_forward(ctx, OP_SUB); }
int nnd_openmp_sub_backward(const nnd_kernel_ctx *ctx) { return binary_backward(ctx, OP_SUB); }
int nnd_openmp_mul_forward(const nnd_kernel_ctx *ctx) { return binary_forward(ctx, OP_MUL); }
int nnd_openmp_mul_backward(const nnd_kernel_ctx *ctx) { return binary_backward(ctx, OP_MUL); }
