/* layers_conv.c — the naive conv1d and conv2d kernels: cross-correlation
 * (the kernel is not flipped) with zero padding, as in PyTorch.
 *
 * Inputs: x [N, C, H, W] (conv2d) or [N, C, L] (conv1d), weight [F, C, kh, kw]
 * or [F, C, k], and bias [F] unless bias=false. conv1d is computed as conv2d
 * with height 1 and a 1-tall kernel, so there is one set of loops to trust.
 * Every output and every gradient element is one sum in double, as in the
 * dense layer: the reference loses no digits to long sums. */
#include "layers.h"


/* Offsets into the NCHW arrays; the weight is [F, C, kh, kw]. */
#define X_AT(g, n, c, iy, ix) ((((n) * (g)->c + (c)) * (g)->h + (iy)) * (g)->w + (ix))
#define Y_AT(g, n, f, oy, ox) ((((n) * (g)->f + (f)) * (g)->oh + (oy)) * (g)->ow + (ox))
#define W_AT(g, f, c, ky, kx) ((((f) * (g)->c + (c)) * (g)->kh + (ky)) * (g)->kw + (kx))

static int conv_forward(const nnd_kernel_ctx *ctx, int nsp) {
  nnd_conv_geom g;
  if (nnd_conv_geometry(ctx, nsp, &g) != 0) return -1;
  const float *x = ctx->inputs[0].data, *w = ctx->inputs[1].data;
  const float *b = g.has_bias ? ctx->inputs[2].data : NULL;
  float *y = ctx->output.data;
  for (int64_t n = 0; n < g.n; n++)
    for (int64_t f = 0; f < g.f; f++)
      for (int64_t oy = 0; oy < g.oh; oy++)
        for (int64_t ox = 0; ox < g.ow; ox++) {
          double acc = b ? b[f] : 0.0;
          for (int64_t c = 0; c < g.c; c++)
            for (int64_t ky = 0; ky < g.kh; ky++)
              for (int64_t kx = 0; kx < g.kw; kx++) {
                int64_t iy = oy * g.sh - g.ph + ky, ix = ox * g.sw - g.pw + kx;
                /* outside the input is zero padding: contributes nothing */
                if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                acc += (double)x[X_AT(&g, n, c, iy, ix)] * w[W_AT(&g, f, c, ky, kx)];
              }
          y[Y_AT(&g, n, f, oy, ox)] = (float)acc;
        }
  return 0;
}

/* Backward as three gathers, each gradient element one sum in double like
 * the forward's outputs (float partial sums would lose the small terms of a
 * long sum to the large ones): db[f] over every output of filter f; dw over
 * the outputs and the input each tap met; dx over the taps and outputs that
 * read the input element, oy = (iy + ph - ky) / sh when that divides exactly.
 * Gradients are added to the buffers (never overwritten); NULL buffers are
 * skipped. */
static int conv_backward(const nnd_kernel_ctx *ctx, int nsp) {
  nnd_conv_geom g;
  if (nnd_conv_geometry(ctx, nsp, &g) != 0) return -1;
  const float *x = ctx->inputs[0].data, *w = ctx->inputs[1].data;
  const float *dy = ctx->grad_output->data;
  float *dx = ctx->grad_inputs[0].data, *dw = ctx->grad_inputs[1].data;
  float *db = g.has_bias ? ctx->grad_inputs[2].data : NULL;
  for (int64_t f = 0; db && f < g.f; f++) {
    double acc = 0;
    for (int64_t n = 0; n < g.n; n++)
      for (int64_t oy = 0; oy < g.oh; oy++)
        for (int64_t ox = 0; ox < g.ow; ox++) acc += dy[Y_AT(&g, n, f, oy, ox)];
    db[f] += (float)acc;
  }
  for (int64_t f = 0; dw && f < g.f; f++)
    for (int64_t c = 0; c < g.c; c++)
      for (int64_t ky = 0; ky < g.kh; ky++)
        for (int64_t kx = 0; kx < g.kw; kx++) {
          double acc = 0;
          for (int64_t n = 0; n < g.n; n++)
            for (int64_t oy = 0; oy < g.oh; oy++)
              for (int64_t ox = 0; ox < g.ow; ox++) {
                int64_t iy = oy * g.sh - g.ph + ky, ix = ox * g.sw - g.pw + kx;
                /* outside the input is zero padding: contributes nothing */
                if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                acc += (double)dy[Y_AT(&g, n, f, oy, ox)] * x[X_AT(&g, n, c, iy, ix)];
              }
          dw[W_AT(&g, f, c, ky, kx)] += (float)acc;
        }
  for (int64_t n = 0; dx && n < g.n; n++)
    for (int64_t c = 0; c < g.c; c++)
      for (int64_t iy = 0; iy < g.h; iy++)
        for (int64_t ix = 0; ix < g.w; ix++) {
          double acc = 0;
          for (int64_t f = 0; f < g.f; f++)
            for (int64_t ky = 0; ky < g.kh; ky++) {
              int64_t ty = iy + g.ph - ky;  /* = oy * sh for the output that read it */
              if (ty < 0 || ty % g.sh || ty / g.sh >= g.oh) continue;
              for (int64_t kx = 0; kx < g.kw; kx++) {
                int64_t tx = ix + g.pw - kx;
                if (tx < 0 || tx % g.sw || tx / g.sw >= g.ow) continue;
                acc += (double)dy[Y_AT(&g, n, f, ty / g.sh, tx / g.sw)] * w[W_AT(&g, f, c, ky, kx)];
              }
            }
          dx[X_AT(&g, n, c, iy, ix)] += (float)acc;
        }
  return 0;
}

int nnd_naive_conv1d_forward(const nnd_kernel_ctx *ctx) { return conv_forward(ctx, 1); }
int nnd_naive_conv1d_backward(const nnd_kernel_ctx *ctx) { return conv_backward(ctx, 1); }
int nnd_naive_conv2d_forward(const nnd_kernel_ctx *ctx) { return conv_forward(ctx, 2); }
int nnd_naive_conv2d_backward(const nnd_kernel_ctx *ctx) { return conv_backward(ctx, 2); }
