/* layers_conv.c — the naive conv1d and conv2d kernels: cross-correlation
 * (the kernel is not flipped) with zero padding, as in PyTorch.
 *
 * Inputs: x [N, C, H, W] (conv2d) or [N, C, L] (conv1d), weight [F, C, kh, kw]
 * or [F, C, k], and bias [F] unless bias=false. conv1d is computed as conv2d
 * with height 1 and a 1-tall kernel, so there is one set of loops to trust. */
#include "layers.h"

/* Attribute order of the conv schemas (runtime/ops/ops_conv.c). */
enum { CONV_FILTERS, CONV_KERNEL, CONV_STRIDE, CONV_PADDING };

/* One conv node's geometry, in 2-D terms (1-D has h = oh = kh = sh = 1 and
 * no padding along h). `ph`, `pw` are the padding before; the padding after
 * only changes how many windows fit, which the output size already says. */
typedef struct {
  int64_t n, c, h, w; /* input */
  int64_t f, oh, ow;  /* output */
  int64_t kh, kw, sh, sw, ph, pw;
  int has_bias;
} conv_geom;

static int conv_geometry(const nnd_kernel_ctx *ctx, int nsp, conv_geom *g) {
  if (ctx->n_inputs != 2 && ctx->n_inputs != 3)
    return nnd_naive_fail(ctx, "expected 2 or 3 inputs (x, weight[, bias]), got %d",
                                ctx->n_inputs);
  const nnd_tensor *x = &ctx->inputs[0], *wt = &ctx->inputs[1], *y = &ctx->output;
  if (x->ndim != nsp + 2 || wt->ndim != nsp + 2 || y->ndim != nsp + 2)
    return nnd_naive_fail(ctx, "expected x, weight and output of rank %d, got %d, %d, %d",
                                nsp + 2, x->ndim, wt->ndim, y->ndim);
  int64_t k[2], s[2], lo[2], hi[2];
  if (nnd_naive_layer_ints(nnd_naive_layer_attr(ctx, CONV_KERNEL), nsp, 1, k) != 0 ||
      nnd_naive_layer_ints(nnd_naive_layer_attr(ctx, CONV_STRIDE), nsp, 1, s) != 0 ||
      nnd_naive_layer_padding(nnd_naive_layer_attr(ctx, CONV_PADDING), nsp, k, s, lo, hi) != 0)
    return nnd_naive_fail(ctx, "bad kernel, stride or padding attribute");
  for (int i = 0; i < nsp; i++)
    if (k[i] < 1 || s[i] < 1 || lo[i] < 0 || hi[i] < 0)
      return nnd_naive_fail(ctx, "kernel and stride must be positive, padding not negative");
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
    return nnd_naive_fail(
        ctx, "weight shape does not match %lld channels and the kernel size", (long long)g->c);
  if (g->has_bias && ctx->inputs[2].numel != g->f)
    return nnd_naive_fail(ctx, "bias has %lld elements, expected %lld",
                                (long long)ctx->inputs[2].numel, (long long)g->f);
  int64_t want_h = one ? 1 : nnd_naive_layer_windows(g->h, g->kh, g->sh, lo[0], hi[0]);
  int64_t want_w = nnd_naive_layer_windows(g->w, g->kw, g->sw, lo[nsp - 1], hi[nsp - 1]);
  if (y->dim[0] != g->n || y->dim[1] != g->f || g->oh != want_h || g->ow != want_w)
    return nnd_naive_fail(ctx, "output shape does not match the input and attributes");
  return 0;
}

/* Offsets into the NCHW arrays; the weight is [F, C, kh, kw]. */
#define X_AT(g, n, c, iy, ix) ((((n) * (g)->c + (c)) * (g)->h + (iy)) * (g)->w + (ix))
#define Y_AT(g, n, f, oy, ox) ((((n) * (g)->f + (f)) * (g)->oh + (oy)) * (g)->ow + (ox))
#define W_AT(g, f, c, ky, kx) ((((f) * (g)->c + (c)) * (g)->kh + (ky)) * (g)->kw + (kx))

static int conv_forward(const nnd_kernel_ctx *ctx, int nsp) {
  conv_geom g;
  if (conv_geometry(ctx, nsp, &g) != 0) return -1;
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

/* The forward loops again, each product x*w sending dy*w to dx and dy*x to
 * dw: the adjoint of the forward, term by term. Gradients are added to the
 * buffers (never overwritten); NULL buffers are skipped. */
static int conv_backward(const nnd_kernel_ctx *ctx, int nsp) {
  conv_geom g;
  if (conv_geometry(ctx, nsp, &g) != 0) return -1;
  const float *x = ctx->inputs[0].data, *w = ctx->inputs[1].data;
  const float *dy = ctx->grad_output->data;
  float *dx = ctx->grad_inputs[0].data, *dw = ctx->grad_inputs[1].data;
  float *db = g.has_bias ? ctx->grad_inputs[2].data : NULL;
  for (int64_t n = 0; n < g.n; n++)
    for (int64_t f = 0; f < g.f; f++)
      for (int64_t oy = 0; oy < g.oh; oy++)
        for (int64_t ox = 0; ox < g.ow; ox++) {
          float gy = dy[Y_AT(&g, n, f, oy, ox)];
          if (db) db[f] += gy;
          for (int64_t c = 0; c < g.c; c++)
            for (int64_t ky = 0; ky < g.kh; ky++)
              for (int64_t kx = 0; kx < g.kw; kx++) {
                int64_t iy = oy * g.sh - g.ph + ky, ix = ox * g.sw - g.pw + kx;
                if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                if (dx) dx[X_AT(&g, n, c, iy, ix)] += gy * w[W_AT(&g, f, c, ky, kx)];
                if (dw) dw[W_AT(&g, f, c, ky, kx)] += gy * x[X_AT(&g, n, c, iy, ix)];
              }
        }
  return 0;
}

int nnd_naive_conv1d_forward(const nnd_kernel_ctx *ctx) { return conv_forward(ctx, 1); }
int nnd_naive_conv1d_backward(const nnd_kernel_ctx *ctx) { return conv_backward(ctx, 1); }
int nnd_naive_conv2d_forward(const nnd_kernel_ctx *ctx) { return conv_forward(ctx, 2); }
int nnd_naive_conv2d_backward(const nnd_kernel_ctx *ctx) { return conv_backward(ctx, 2); }
