/* layers_pool.c — the naive maxpool and avgpool kernels over [N, C, L] (1-D)
 * or [N, C, H, W] (2-D), with PyTorch's rules: the output size rounds down,
 * the stride defaults to the window size, maxpool treats padding as -inf
 * (so it never wins) and sends the gradient to the first maximum in
 * row-major window order, and avgpool counts padded zeros in the divisor
 * (count_include_pad=True), so every window divides by its full size.
 *
 * 1-D is computed as 2-D with height 1 and a 1-tall window. */
#include "layers.h"

/* Attribute order of the pool schema (runtime/ops/ops_pool.c). */
enum { POOL_SIZE, POOL_STRIDE, POOL_PADDING };

typedef struct {
  int64_t planes; /* N * C: pooling never mixes channels or samples */
  int64_t h, w, oh, ow;
  int64_t kh, kw, sh, sw, ph, pw;
} pool_geom;

static int pool_geometry(const nnd_kernel_ctx *ctx, pool_geom *g) {
  const nnd_tensor *x = &ctx->inputs[0], *y = &ctx->output;
  if (ctx->n_inputs != 1)
    return nnd_naive_fail(ctx, "expected 1 input, got %d", ctx->n_inputs);
  int nsp = x->ndim - 2;
  if ((nsp != 1 && nsp != 2) || y->ndim != x->ndim)
    return nnd_naive_fail(ctx, "expected [N, C, L] or [N, C, H, W], got rank %d", x->ndim);
  int64_t k[2], s[2], p[2];
  /* stride NONE means "the window size": read the size first */
  if (nnd_naive_layer_ints(nnd_naive_layer_attr(ctx, POOL_SIZE), nsp, 2, k) != 0 ||
      nnd_naive_layer_ints(nnd_naive_layer_attr(ctx, POOL_PADDING), nsp, 0, p) != 0)
    return nnd_naive_fail(ctx, "bad size or padding attribute");
  const nnd_value *stride = nnd_naive_layer_attr(ctx, POOL_STRIDE);
  if (!stride || stride->kind == NND_VAL_NONE) {
    for (int i = 0; i < nsp; i++) s[i] = k[i];
  } else if (nnd_naive_layer_ints(stride, nsp, 1, s) != 0) {
    return nnd_naive_fail(ctx, "bad stride attribute");
  }
  for (int i = 0; i < nsp; i++)
    /* more padding would allow a window of padding only (PyTorch's rule) */
    if (k[i] < 1 || s[i] < 1 || p[i] < 0 || 2 * p[i] > k[i])
      return nnd_naive_fail(ctx,
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
  int64_t want_h = one ? 1 : nnd_naive_layer_windows(g->h, g->kh, g->sh, g->ph, g->ph);
  int64_t want_w = nnd_naive_layer_windows(g->w, g->kw, g->sw, g->pw, g->pw);
  if (y->dim[0] != x->dim[0] || y->dim[1] != x->dim[1] || g->oh != want_h || g->ow != want_w)
    return nnd_naive_fail(ctx, "output shape does not match the input and attributes");
  return 0;
}

/* The index (within the plane) of the first maximum of window (oy, ox) of
 * plane x, skipping padding; -1 if the window holds no input element, which
 * the padding rule above rules out. Strict `>` keeps the first of ties. A
 * NaN wins (the first one), so it propagates as in PyTorch; `v != v` tests
 * for NaN without <math.h>. */
static int64_t window_argmax(const pool_geom *g, const float *x, int64_t oy, int64_t ox) {
  int64_t best = -1;
  for (int64_t ky = 0; ky < g->kh; ky++)
    for (int64_t kx = 0; kx < g->kw; kx++) {
      int64_t iy = oy * g->sh - g->ph + ky, ix = ox * g->sw - g->pw + kx;
      if (iy < 0 || iy >= g->h || ix < 0 || ix >= g->w) continue;
      int64_t i = iy * g->w + ix;
      if (best < 0 || x[i] > x[best] || (x[i] != x[i] && x[best] == x[best])) best = i;
    }
  return best;
}

int nnd_naive_maxpool_forward(const nnd_kernel_ctx *ctx) {
  pool_geom g;
  if (pool_geometry(ctx, &g) != 0) return -1;
  for (int64_t p = 0; p < g.planes; p++) {
    const float *x = ctx->inputs[0].data + p * g.h * g.w;
    float *y = ctx->output.data + p * g.oh * g.ow;
    for (int64_t oy = 0; oy < g.oh; oy++)
      for (int64_t ox = 0; ox < g.ow; ox++) {
        int64_t i = window_argmax(&g, x, oy, ox);
        if (i < 0) return nnd_naive_fail(ctx, "a window holds only padding");
        y[oy * g.ow + ox] = x[i];
      }
  }
  return 0;
}

/* The argmax is recomputed from the input rather than stored: the same
 * loop over the same data finds the same element, and needs no workspace. */
int nnd_naive_maxpool_backward(const nnd_kernel_ctx *ctx) {
  pool_geom g;
  if (pool_geometry(ctx, &g) != 0) return -1;
  if (!ctx->grad_inputs[0].data) return 0;
  for (int64_t p = 0; p < g.planes; p++) {
    const float *x = ctx->inputs[0].data + p * g.h * g.w;
    const float *dy = ctx->grad_output->data + p * g.oh * g.ow;
    float *dx = ctx->grad_inputs[0].data + p * g.h * g.w;
    for (int64_t oy = 0; oy < g.oh; oy++)
      for (int64_t ox = 0; ox < g.ow; ox++) {
        int64_t i = window_argmax(&g, x, oy, ox);
        if (i < 0) return nnd_naive_fail(ctx, "a window holds only padding");
        dx[i] += dy[oy * g.ow + ox];
      }
  }
  return 0;
}

int nnd_naive_avgpool_forward(const nnd_kernel_ctx *ctx) {
  pool_geom g;
  if (pool_geometry(ctx, &g) != 0) return -1;
  /* padded zeros count: the divisor is always the full window */
  double area = (double)(g.kh * g.kw);
  for (int64_t p = 0; p < g.planes; p++) {
    const float *x = ctx->inputs[0].data + p * g.h * g.w;
    float *y = ctx->output.data + p * g.oh * g.ow;
    for (int64_t oy = 0; oy < g.oh; oy++)
      for (int64_t ox = 0; ox < g.ow; ox++) {
        double acc = 0;
        for (int64_t ky = 0; ky < g.kh; ky++)
          for (int64_t kx = 0; kx < g.kw; kx++) {
            int64_t iy = oy * g.sh - g.ph + ky, ix = ox * g.sw - g.pw + kx;
            if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
            acc += x[iy * g.w + ix];
          }
        y[oy * g.ow + ox] = (float)(acc / area);
      }
  }
  return 0;
}

/* Each input element in a window receives dy / area from that window. */
int nnd_naive_avgpool_backward(const nnd_kernel_ctx *ctx) {
  pool_geom g;
  if (pool_geometry(ctx, &g) != 0) return -1;
  if (!ctx->grad_inputs[0].data) return 0;
  double area = (double)(g.kh * g.kw);
  for (int64_t p = 0; p < g.planes; p++) {
    const float *dy = ctx->grad_output->data + p * g.oh * g.ow;
    float *dx = ctx->grad_inputs[0].data + p * g.h * g.w;
    for (int64_t oy = 0; oy < g.oh; oy++)
      for (int64_t ox = 0; ox < g.ow; ox++) {
        float share = (float)(dy[oy * g.ow + ox] / area);
        for (int64_t ky = 0; ky < g.kh; ky++)
          for (int64_t kx = 0; kx < g.kw; kx++) {
            int64_t iy = oy * g.sh - g.ph + ky, ix = ox * g.sw - g.pw + kx;
            if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
            dx[iy * g.w + ix] += share;
          }
      }
  }
  return 0;
}
