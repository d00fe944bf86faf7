/* kernel_geometry.h — what every backend's kernels share: reading a node's
 * attributes, reporting a failure, and the geometry of dense, convolution and
 * pooling nodes, checked against the tensors so a mismatched call fails with
 * a message instead of reading out of bounds. Header-only (static inline) so
 * each plugin stays one module that needs nothing of nnd but <nnd/plugin.h>;
 * the naive, openmp and blas plugins all include it, so the rules for
 * padding, strides and output sizes, the per-line formulas of softmax and
 * the losses, and the optimizers' argument checks are written once. */
#ifndef NND_KERNEL_GEOMETRY_H
#define NND_KERNEL_GEOMETRY_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <nnd/plugin.h>

/* Report why a kernel fails in ctx->message and return -1, so a kernel can
 * `return nnd_kernel_fail(ctx, ...)`. No op name: the runtime adds the op
 * and its source position. Kernels never print. */
#if defined(__GNUC__)
static inline int nnd_kernel_fail(const nnd_kernel_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#endif
static inline int nnd_kernel_fail(const nnd_kernel_ctx *ctx, const char *fmt, ...) {
  if (ctx->message && ctx->message_size > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->message, ctx->message_size, fmt, ap);
    va_end(ap);
  }
  return -1;
}

/* Attribute i of the node as a number: the compiler normalises attributes
 * and fills defaults, but a hand-made ctx (another host, a test) may leave
 * them out, so fall back to the schema's default rather than crash. */
static inline double nnd_kernel_num(const nnd_kernel_ctx *ctx, int i, double fallback) {
  return ctx->attrs ? nnd_num(&ctx->attrs[i], fallback) : fallback;
}

/* Samples in t: its batch when batched, else 1 (a parameter is one sample
 * shared by the whole batch). */
static inline int64_t nnd_kernel_samples(const nnd_tensor *t) {
  return t->batched && t->ndim > 0 ? t->dim[0] : 1;
}

/* Elements in one sample of t. */
static inline int64_t nnd_kernel_per_sample(const nnd_tensor *t) {
  int64_t n = nnd_kernel_samples(t);
  return n > 0 ? t->numel / n : 0;
}

/* Attribute i (schema order), or NULL when a hand-made context has none:
 * the readers below then fall back to the schema defaults. */
static inline const nnd_value *nnd_kernel_attr(const nnd_kernel_ctx *ctx, int i) {
  return ctx->attrs ? &ctx->attrs[i] : NULL;
}

/* An INTS attribute as nsp per-dimension values. The compiler normalises to
 * a list; a list of one entry means "every dimension" (pool lists are not
 * padded to the rank, since one name serves 1-D and 2-D), and an unset
 * value (NONE) means `def`. Returns -1 for a list of another length. */
static inline int nnd_kernel_ints(const nnd_value *v, int nsp, int64_t def, int64_t *out) {
  if (!v || v->kind == NND_VAL_NONE) {
    for (int i = 0; i < nsp; i++) out[i] = def;
    return 0;
  }
  if (v->kind == NND_VAL_NUMBER) {
    for (int i = 0; i < nsp; i++) out[i] = (int64_t)v->num;
    return 0;
  }
  if (v->kind != NND_VAL_LIST || (v->count != 1 && v->count != nsp)) return -1;
  for (int i = 0; i < nsp; i++) {
    const nnd_value *item = &v->items[v->count == 1 ? 0 : i];
    if (item->kind != NND_VAL_NUMBER) return -1;
    out[i] = (int64_t)item->num;
  }
  return 0;
}

/* A PADDING attribute as per-dimension padding before (lo) and after (hi).
 * "valid" is no padding; "same" pads k-1 in total, the odd one on the right
 * as PyTorch does, and is defined for stride 1 only. */
static inline int nnd_kernel_padding(const nnd_value *v, int nsp, const int64_t *kernel,
                                          const int64_t *stride, int64_t *lo, int64_t *hi) {
  if (v && v->kind == NND_VAL_STRING) {
    int same = strcmp(v->str, "same") == 0;
    if (!same && strcmp(v->str, "valid") != 0) return -1;
    for (int i = 0; i < nsp; i++) {
      if (same && stride[i] != 1) return -1;
      int64_t total = same ? kernel[i] - 1 : 0;
      lo[i] = total / 2;
      hi[i] = total - lo[i];
    }
    return 0;
  }
  if (nnd_kernel_ints(v, nsp, 0, lo) != 0) return -1;
  for (int i = 0; i < nsp; i++) hi[i] = lo[i];
  return 0;
}

/* Windows that fit along one dimension: floor((in + lo + hi - k) / s) + 1,
 * or 0 when none fits. */
static inline int64_t nnd_kernel_windows(int64_t in, int64_t k, int64_t s, int64_t lo,
                                              int64_t hi) {
  int64_t span = in + lo + hi - k;
  return span < 0 || s <= 0 ? 0 : span / s + 1;
}

/* The product of dims [from, ndim) of t: the elements per channel of an
 * NCHW tensor when from == 2. */
static inline int64_t nnd_kernel_inner(const nnd_tensor *t, int from) {
  int64_t n = 1;
  for (int i = from; i < t->ndim; i++) n *= t->dim[i];
  return n;
}

/* ------------------------------------------------------------ geometry */

/* The sizes of one dense node, checked against each other so a mismatched
 * call fails with a message instead of reading out of bounds. */
typedef struct {
  int64_t batch, in, out;
  int has_bias;
} nnd_dense_dims;

static inline int nnd_dense_shape(const nnd_kernel_ctx *ctx, nnd_dense_dims *d) {
  *d = (nnd_dense_dims){0}; /* defined even on failure */
  if (ctx->n_inputs != 2 && ctx->n_inputs != 3)
    return nnd_kernel_fail(ctx, "expected 2 or 3 inputs (x, weight[, bias]), got %d",
                                ctx->n_inputs);
  const nnd_tensor *x = &ctx->inputs[0], *w = &ctx->inputs[1];
  if (x->ndim != 2 || w->ndim != 2)
    return nnd_kernel_fail(ctx, "expected x [N, in] and weight [out, in], got ranks %d and %d",
                                x->ndim, w->ndim);
  d->batch = x->dim[0];
  d->in = x->dim[1];
  d->out = w->dim[0];
  d->has_bias = ctx->n_inputs == 3;
  if (w->dim[1] != d->in)
    return nnd_kernel_fail(ctx, "weight has %lld inputs but x has %lld features",
                                (long long)w->dim[1], (long long)d->in);
  if (d->has_bias && ctx->inputs[2].numel != d->out)
    return nnd_kernel_fail(ctx, "bias has %lld elements, expected %lld",
                                (long long)ctx->inputs[2].numel, (long long)d->out);
  if (ctx->output.numel != d->batch * d->out)
    return nnd_kernel_fail(ctx, "output has %lld elements, expected %lld",
                                (long long)ctx->output.numel, (long long)(d->batch * d->out));
  return 0;
}

/* Attribute order of the conv schemas (runtime/ops/ops_conv.c). */
enum { NND_CONV_FILTERS, NND_CONV_KERNEL, NND_CONV_STRIDE, NND_CONV_PADDING };

/* One conv node's geometry, in 2-D terms (1-D has h = oh = kh = sh = 1 and
 * no padding along h). `ph`, `pw` are the padding before; the padding after
 * only changes how many windows fit, which the output size already says. */
typedef struct {
  int64_t n, c, h, w; /* input */
  int64_t f, oh, ow;  /* output */
  int64_t kh, kw, sh, sw, ph, pw;
  int has_bias;
} nnd_conv_geom;

static inline int nnd_conv_geometry(const nnd_kernel_ctx *ctx, int nsp, nnd_conv_geom *g) {
  *g = (nnd_conv_geom){0}; /* defined even on failure */
  if (ctx->n_inputs != 2 && ctx->n_inputs != 3)
    return nnd_kernel_fail(ctx, "expected 2 or 3 inputs (x, weight[, bias]), got %d",
                                ctx->n_inputs);
  const nnd_tensor *x = &ctx->inputs[0], *wt = &ctx->inputs[1], *y = &ctx->output;
  if (x->ndim != nsp + 2 || wt->ndim != nsp + 2 || y->ndim != nsp + 2)
    return nnd_kernel_fail(ctx, "expected x, weight and output of rank %d, got %d, %d, %d",
                                nsp + 2, x->ndim, wt->ndim, y->ndim);
  int64_t k[2], s[2], lo[2], hi[2];
  if (nnd_kernel_ints(nnd_kernel_attr(ctx, NND_CONV_KERNEL), nsp, 1, k) != 0 ||
      nnd_kernel_ints(nnd_kernel_attr(ctx, NND_CONV_STRIDE), nsp, 1, s) != 0 ||
      nnd_kernel_padding(nnd_kernel_attr(ctx, NND_CONV_PADDING), nsp, k, s, lo, hi) != 0)
    return nnd_kernel_fail(ctx, "bad kernel, stride or padding attribute");
  for (int i = 0; i < nsp; i++)
    if (k[i] < 1 || s[i] < 1 || lo[i] < 0 || hi[i] < 0)
      return nnd_kernel_fail(ctx, "kernel and stride must be positive, padding not negative");
  /* 1-D: the one spatial dim is the width */
  int one = nsp == 1;
  g->n = x->dim[0];
  g->c = x->dim[1];
  g->h = one ? 1 : x->dim[2];
  g->w = x->dim[nsp + 1];
  g->f = wt->dim[0];
  g->kh = one ? 1 : k[0];
  g->kw = k[nsp - 1];
  g->sh = one ? 1 : s[0];
  g->sw = s[nsp - 1];
  g->ph = one ? 0 : lo[0];
  g->pw = lo[nsp - 1];
  g->oh = one ? 1 : y->dim[2];
  g->ow = y->dim[nsp + 1];
  g->has_bias = ctx->n_inputs == 3;
  if (wt->dim[1] != g->c || (!one && wt->dim[2] != g->kh) || wt->dim[nsp + 1] != g->kw)
    return nnd_kernel_fail(
        ctx, "weight shape does not match %lld channels and the kernel size", (long long)g->c);
  if (g->has_bias && ctx->inputs[2].numel != g->f)
    return nnd_kernel_fail(ctx, "bias has %lld elements, expected %lld",
                                (long long)ctx->inputs[2].numel, (long long)g->f);
  int64_t want_h = one ? 1 : nnd_kernel_windows(g->h, g->kh, g->sh, lo[0], hi[0]);
  int64_t want_w = nnd_kernel_windows(g->w, g->kw, g->sw, lo[nsp - 1], hi[nsp - 1]);
  if (y->dim[0] != g->n || y->dim[1] != g->f || g->oh != want_h || g->ow != want_w)
    return nnd_kernel_fail(ctx, "output shape does not match the input and attributes");
  return 0;
}

/* Attribute order of the pool schema (runtime/ops/ops_pool.c). */
enum { NND_POOL_SIZE, NND_POOL_STRIDE, NND_POOL_PADDING };

typedef struct {
  int64_t planes; /* N * C: pooling never mixes channels or samples */
  int64_t h, w, oh, ow;
  int64_t kh, kw, sh, sw, ph, pw;
} nnd_pool_geom;

static inline int nnd_pool_geometry(const nnd_kernel_ctx *ctx, nnd_pool_geom *g) {
  *g = (nnd_pool_geom){0}; /* defined even on failure */
  const nnd_tensor *x = &ctx->inputs[0], *y = &ctx->output;
  if (ctx->n_inputs != 1)
    return nnd_kernel_fail(ctx, "expected 1 input, got %d", ctx->n_inputs);
  int nsp = x->ndim - 2;
  if ((nsp != 1 && nsp != 2) || y->ndim != x->ndim)
    return nnd_kernel_fail(ctx, "expected [N, C, L] or [N, C, H, W], got rank %d", x->ndim);
  int64_t k[2], s[2], p[2];
  /* stride NONE means "the window size": read the size first */
  if (nnd_kernel_ints(nnd_kernel_attr(ctx, NND_POOL_SIZE), nsp, 2, k) != 0 ||
      nnd_kernel_ints(nnd_kernel_attr(ctx, NND_POOL_PADDING), nsp, 0, p) != 0)
    return nnd_kernel_fail(ctx, "bad size or padding attribute");
  const nnd_value *stride = nnd_kernel_attr(ctx, NND_POOL_STRIDE);
  if (!stride || stride->kind == NND_VAL_NONE) {
    for (int i = 0; i < nsp; i++) s[i] = k[i];
  } else if (nnd_kernel_ints(stride, nsp, 1, s) != 0) {
    return nnd_kernel_fail(ctx, "bad stride attribute");
  }
  for (int i = 0; i < nsp; i++)
    /* more padding would allow a window of padding only (PyTorch's rule) */
    if (k[i] < 1 || s[i] < 1 || p[i] < 0 || 2 * p[i] > k[i])
      return nnd_kernel_fail(ctx,
                                  "size and stride must be positive, padding at most "
                                  "half the window");
  int one = nsp == 1;
  g->planes = x->dim[0] * x->dim[1];
  g->h = one ? 1 : x->dim[2];
  g->w = x->dim[nsp + 1];
  g->oh = one ? 1 : y->dim[2];
  g->ow = y->dim[nsp + 1];
  g->kh = one ? 1 : k[0];
  g->kw = k[nsp - 1];
  g->sh = one ? 1 : s[0];
  g->sw = s[nsp - 1];
  g->ph = one ? 0 : p[0];
  g->pw = p[nsp - 1];
  int64_t want_h = one ? 1 : nnd_kernel_windows(g->h, g->kh, g->sh, g->ph, g->ph);
  int64_t want_w = nnd_kernel_windows(g->w, g->kw, g->sw, g->pw, g->pw);
  if (y->dim[0] != x->dim[0] || y->dim[1] != x->dim[1] || g->oh != want_h || g->ow != want_w)
    return nnd_kernel_fail(ctx, "output shape does not match the input and attributes");
  return 0;
}

/* ------------------------------------------- elementwise, softmax, losses */

/* ------------------------------------------------------------ pointwise */

static inline int nnd_kernel_check_same(const nnd_kernel_ctx *ctx) {
  if (ctx->n_inputs < 1 || ctx->inputs[0].numel != ctx->output.numel)
    return nnd_kernel_fail(ctx, "%s: the output must have the input's %lld elements", ctx->op,
                          (long long)(ctx->n_inputs ? ctx->inputs[0].numel : 0));
  return 0;
}

/* The tensor seen as [outer, len, inner] around the softmax axis: element k
 * of line (o, i) is at o*len*inner + k*inner + i. The axis (attrs[0],
 * default -1) counts in the per-sample shape, so a batched tensor's axis is
 * one further right; the batch is part of `outer`. */
typedef struct {
  int64_t outer, len, inner;
} nnd_softmax_line;

/* -------------------------------------------------------------- softmax */

static inline int nnd_softmax_lines(const nnd_kernel_ctx *ctx, nnd_softmax_line *l) {
  if (nnd_kernel_check_same(ctx) != 0) return -1;
  const nnd_tensor *x = &ctx->inputs[0];
  int skip = x->batched ? 1 : 0, nd = x->ndim - skip;
  int64_t axis = (int64_t)nnd_kernel_num(ctx, 0, -1);
  if (axis < 0) axis += nd;
  if (nd < 1 || axis < 0 || axis >= nd)
    return nnd_kernel_fail(ctx, "%s: axis %lld is out of range for a %d-dim sample", ctx->op,
                          (long long)nnd_kernel_num(ctx, 0, -1), nd);
  int a = (int)axis + skip;
  l->outer = l->inner = 1;
  for (int i = 0; i < a; i++) l->outer *= x->dim[i];
  for (int i = a + 1; i < x->ndim; i++) l->inner *= x->dim[i];
  l->len = x->dim[a];
  if (l->len < 1) l->outer = 0; /* an empty line has nothing to normalise */
  return 0;
}

/* Max and log of sum(exp(x - max)) of one line: subtracting the max keeps
 * every exp in (0, 1], so logits of 1000 do not overflow. */
static inline void nnd_softmax_line_stats(const float *x, int64_t len, int64_t inner,
                                          double *max, double *lse) {
  double m = x[0];
  for (int64_t k = 1; k < len; k++)
    if (x[k * inner] > m) m = x[k * inner];
  double z = 0;
  for (int64_t k = 0; k < len; k++) z += exp(x[k * inner] - m);
  *max = m;
  *lse = log(z);
}

/* Checks shared by every loss: two inputs, a scalar output, targets with
 * `per_target` elements per prediction sample. Sets *n (samples) and *k
 * (prediction elements per sample). */
static inline int nnd_loss_shape(const nnd_kernel_ctx *ctx, int64_t per_target, int64_t *n,
                      int64_t *k) {
  *n = *k = 0; /* defined even on failure */
  if (ctx->n_inputs != 2) return nnd_kernel_fail(ctx, "%s: expects 2 inputs", ctx->op);
  if (ctx->output.numel != 1)
    return nnd_kernel_fail(ctx, "%s: the output must be a scalar", ctx->op);
  const nnd_tensor *x = &ctx->inputs[0], *t = &ctx->inputs[1];
  *n = nnd_kernel_samples(x);
  *k = nnd_kernel_per_sample(x);
  if (*n < 1 || *k < 1)
    return nnd_kernel_fail(ctx, "%s: the prediction is empty", ctx->op);
  int64_t want = per_target < 0 ? x->numel : *n * per_target;
  if (t->numel != want)
    return nnd_kernel_fail(ctx, "%s: the target holds %lld values for %lld samples; expected "
                          "%lld", ctx->op, (long long)t->numel, (long long)*n,
                          (long long)want);
  return 0;
}

/* The scalar that backward multiplies every gradient by. */
static inline double nnd_loss_weight(const nnd_kernel_ctx *ctx) {
  return ctx->grad_output && ctx->grad_output->data ? ctx->grad_output->data[0] : 1.0;
}

/* max and log(sum(exp(x - max))) of one row: every exp is at most 1, so
 * logits in the thousands stay finite (models/seeds/s002_q4_stable_ce_a.nnd). */
static inline void nnd_row_lse(const float *x, int64_t k, double *max, double *lse) {
  double m = x[0], z = 0;
  for (int64_t j = 1; j < k; j++)
    if (x[j] > m) m = x[j];
  for (int64_t j = 0; j < k; j++) z += exp(x[j] - m);
  *max = m;
  *lse = log(z);
}

/* Every class label in input `in` is an integer in 0..k-1: labels are
 * stored as floats, and a bad one would otherwise index outside a row. */
static inline int nnd_kernel_check_classes(const nnd_kernel_ctx *ctx, int in, int64_t n,
                                           int64_t k) {
  const float *t = ctx->inputs[in].data;
  for (int64_t i = 0; i < n; i++) {
    float v = t[i];
    if (!(v >= 0 && v < (float)k) || v != (float)(int64_t)v)
      return nnd_kernel_fail(ctx, "%s: the %s of sample %lld is %g; a class in 0..%lld "
                             "was expected", ctx->op, in == 1 ? "target" : "label",
                             (long long)i, v, (long long)(k - 1));
  }
  return 0;
}

/* A loss's target (input 1) holds valid classes for k logits. */
static inline int nnd_loss_check_classes(const nnd_kernel_ctx *ctx, int64_t n, int64_t k) {
  return nnd_kernel_check_classes(ctx, 1, n, k);
}

/* ----------------------------------------------- formulas, one line or row */

/* The per-line and per-row formulas of softmax and the losses, in double:
 * every backend runs the same arithmetic per line, and differs only in how
 * it spreads the lines over threads. */

/* log_softmax is x - max - lse, softmax its exp. */
static inline void nnd_softmax_line_forward(const float *x, float *y, int64_t len,
                                            int64_t inner, int take_log) {
  double m, lse;
  nnd_softmax_line_stats(x, len, inner, &m, &lse);
  for (int64_t k = 0; k < len; k++) {
    double ly = x[k * inner] - m - lse;
    y[k * inner] = (float)(take_log ? ly : exp(ly));
  }
}

/* softmax:     dx_k += s_k (g_k - sum_j g_j s_j)
 * log_softmax: dx_k += g_k - s_k sum_j g_j
 * with s recomputed from x. */
static inline void nnd_softmax_line_backward(const float *x, const float *g, float *gx,
                                             int64_t len, int64_t inner, int take_log) {
  double m, lse, dot = 0;
  nnd_softmax_line_stats(x, len, inner, &m, &lse);
  for (int64_t k = 0; k < len; k++) {
    double s = exp(x[k * inner] - m - lse);
    dot += take_log ? g[k * inner] : g[k * inner] * s;
  }
  for (int64_t k = 0; k < len; k++) {
    double s = exp(x[k * inner] - m - lse), gk = g[k * inner];
    gx[k * inner] += (float)(take_log ? gk - s * dot : s * (gk - dot));
  }
}

/* Cross-entropy of one row of k logits against class c, with PyTorch's
 * label smoothing eps: q = (1 - eps) onehot + eps / k, and the loss
 * -sum_j q_j log p_j = max + lse - sum_j q_j x_j since sum q = 1. */
static inline double nnd_ce_row_loss(const float *x, int64_t k, int64_t c, double eps) {
  double m, lse, qx = (1 - eps) * x[c];
  nnd_row_lse(x, k, &m, &lse);
  if (eps != 0)
    for (int64_t j = 0; j < k; j++) qx += eps / (double)k * x[j];
  return m + lse - qx;
}

/* Its gradient, scale * (softmax_j - q_j), added into gx. */
static inline void nnd_ce_row_grad(const float *x, int64_t k, int64_t c, double eps,
                                   double scale, float *gx) {
  double m, lse;
  nnd_row_lse(x, k, &m, &lse);
  for (int64_t j = 0; j < k; j++) {
    double p = exp(x[j] - m - lse), q = eps / (double)k + (j == c ? 1 - eps : 0);
    gx[j] += (float)(scale * (p - q));
  }
}

/* Binary cross-entropy of logit z against target t, in the form that never
 * exponentiates a positive number: max(z, 0) - z t + log(1 + exp(-|z|)),
 * which is -t log(sigmoid z) - (1 - t) log(1 - sigmoid z). */
static inline double nnd_bce_term(double z, double t) {
  return (z > 0 ? z : 0) - z * t + log1p(exp(-fabs(z)));
}

/* sigmoid without overflow for either sign of z: dBCE/dz = sigmoid(z) - t. */
static inline double nnd_sigmoid_stable(double z) {
  double e = exp(-fabs(z));
  return z >= 0 ? 1 / (1 + e) : e / (1 + e);
}

/* ------------------------------------------------------------ optimizers */

/* An attribute of the optimizer call; the fallback is the schema default
 * (runtime/ops/calls.c) in case a host hands a call without it. */
static inline double nnd_optim_arg(const nnd_optim_ctx *ctx, const char *name,
                                   double fallback) {
  return nnd_num(nnd_call_arg(ctx->call, name), fallback);
}

static inline int nnd_optim_fail(const nnd_optim_ctx *ctx, const char *what) {
  if (ctx->message && ctx->message_size > 0)
    snprintf(ctx->message, ctx->message_size, "%s", what);
  return -1;
}

/* What every step needs before it touches memory. */
static inline int nnd_optim_check(const nnd_optim_ctx *ctx) {
  if (ctx->n < 0 || (ctx->n > 0 && (!ctx->params || !ctx->grads || !ctx->state)))
    return nnd_optim_fail(ctx, "no parameter, gradient or state buffer");
  if (ctx->step < 1) return nnd_optim_fail(ctx, "the step count starts at 1");
  return 0;
}

#endif
