/* layers_pool.c — the naive maxpool and avgpool kernels over [N, C, L] (1-D)
 * or [N, C, H, W] (2-D), with PyTorch's rules: the output size rounds down,
 * the stride defaults to the window size, maxpool treats padding as -inf
 * (so it never wins) and sends the gradient to the first maximum in
 * row-major window order, and avgpool counts padded zeros in the divisor
 * (count_include_pad=True), so every window divides by its full size.
 *
 * 1-D is computed as 2-D with height 1 and a 1-tall window. */
#include "layers.h"


/* The index (within the plane) of the first maximum of window (oy, ox) of
 * plane x, skipping padding; -1 if the window holds no input element, which
 * the padding rule above rules out. Strict `>` keeps the first of ties. A
 * NaN wins (the first one), so it propagates as in PyTorch; `v != v` tests
 * for NaN without <math.h>. */
static int64_t window_argmax(const nnd_pool_geom *g, const float *x, int64_t oy, int64_t ox) {
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
  nnd_pool_geom g;
  if (nnd_pool_geometry(ctx, &g) != 0) return -1;
  for (int64_t p = 0; p < g.planes; p++) {
    const float *x = ctx->inputs[0].data + p * g.h * g.w;
    float *y = ctx->output.data + p * g.oh * g.ow;
    for (int64_t oy = 0; oy < g.oh; oy++)
      for (int64_t ox = 0; ox < g.ow; ox++) {
        int64_t i = window_argmax(&g, x, oy, ox);
        if (i < 0) return nnd_kernel_fail(ctx, "a window holds only padding");
        y[oy * g.ow + ox] = x[i];
      }
  }
  return 0;
}

/* The argmax is recomputed from the input rather than stored: the same
 * loop over the same data finds the same element, and needs no workspace. */
int nnd_naive_maxpool_backward(const nnd_kernel_ctx *ctx) {
  nnd_pool_geom g;
  if (nnd_pool_geometry(ctx, &g) != 0) return -1;
  if (!ctx->grad_inputs[0].data) return 0;
  for (int64_t p = 0; p < g.planes; p++) {
    const float *x = ctx->inputs[0].data + p * g.h * g.w;
    const float *dy = ctx->grad_output->data + p * g.oh * g.ow;
    float *dx = ctx->grad_inputs[0].data + p * g.h * g.w;
    for (int64_t oy = 0; oy < g.oh; oy++)
      for (int64_t ox = 0; ox < g.ow; ox++) {
        int64_t i = window_argmax(&g, x, oy, ox);
        if (i < 0) return nnd_kernel_fail(ctx, "a window holds only padding");
        dx[i] += dy[oy * g.ow + ox];
      }
  }
  return 0;
}

int nnd_naive_avgpool_forward(const nnd_kernel_ctx *ctx) {
  nnd_pool_geom g;
  if (nnd_pool_geometry(ctx, &g) != 0) return -1;
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
  nnd_pool_geom g;
  if (nnd_pool_geometry(ctx, &g) != 0) return -1;
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
