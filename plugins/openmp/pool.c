/* pool.c — the openmp maxpool and avgpool over [N, C, L] (1-D) or
 * [N, C, H, W] (2-D), with naive's (PyTorch's) rules: the stride defaults
 * to the window, maxpool ignores padding and sends the gradient to the
 * first maximum in row-major window order, a NaN winning (the first one) so
 * it propagates; avgpool divides by the full window (count_include_pad).
 *
 * Pooling never mixes planes (one channel of one sample), so every kernel
 * runs parallel over planes and each plane is read and written by exactly
 * one thread in naive's order: overlapping windows add into dx in the same
 * sequence whatever the thread count. Windows are clipped to the input
 * once per row and column instead of testing each tap. maxpool's forward
 * keeps each window's argmax (int32, within the plane) in the workspace, so
 * backward is a scatter; without a workspace it finds them again. Its
 * windows inside the input are found by vector loops across a row of
 * windows, planes holding a NaN window by window. */
#include <limits.h>
#include <string.h>

#include "openmp.h"

/* The window [lo, hi) of output position o along one dim, clipped to the
 * input [0, n). */
static inline void clip(int64_t o, int64_t s, int64_t p, int64_t k, int64_t n, int64_t *lo,
                        int64_t *hi) {
  int64_t start = o * s - p, end = start + k;
  *lo = start < 0 ? 0 : start;
  *hi = end > n ? n : end;
}

/* The geometry rules out windows of padding only (2 p <= k); checked again
 * here, before the parallel loops, so they have nothing left to fail on. */
static int check_windows(const nnd_kernel_ctx *ctx, const nnd_pool_geom *g) {
  int64_t lo, hi;
  for (int64_t oy = 0; oy < g->oh; oy++) {
    clip(oy, g->sh, g->ph, g->kh, g->h, &lo, &hi);
    if (lo >= hi) return nnd_kernel_fail(ctx, "a window holds only padding");
  }
  for (int64_t ox = 0; ox < g->ow; ox++) {
    clip(ox, g->sw, g->pw, g->kw, g->w, &lo, &hi);
    if (lo >= hi) return nnd_kernel_fail(ctx, "a window holds only padding");
  }
  return 0;
}

static int64_t pool_work(const nnd_pool_geom *g) {
  return g->planes * g->oh * g->ow * g->kh * g->kw;
}

/* ------------------------------------------------------------- maxpool */

/* The first maximum of one window (naive's window_argmax): strict `>`
 * keeps the first of ties, and a NaN beats any number. */
static inline int64_t window_argmax(const float *x, int64_t w, int64_t ylo, int64_t yhi,
                                    int64_t xlo, int64_t xhi) {
  int64_t best = ylo * w + xlo;
  float bv = x[best];
  for (int64_t iy = ylo; iy < yhi; iy++)
    for (int64_t ix = xlo; ix < xhi; ix++) {
      float v = x[iy * w + ix];
      if (v > bv || (v != v && bv == bv)) {
        bv = v;
        best = iy * w + ix;
      }
    }
  return best;
}

/* Argmax indices fit the workspace when it is there and a plane's index
 * fits in 32 bits. */
static int32_t *argmax_store(const nnd_kernel_ctx *ctx, const nnd_pool_geom *g) {
  size_t need = (size_t)(g->planes * g->oh * g->ow) * sizeof(int32_t);
  if (!ctx->workspace || ctx->workspace_size < need || g->h * g->w > INT32_MAX) return NULL;
  return ctx->workspace;
}

size_t nnd_openmp_maxpool_workspace(const nnd_kernel_ctx *ctx) {
  nnd_pool_geom g;
  if (nnd_pool_geometry(ctx, &g) != 0) return 0;
  return (size_t)(g.planes * g.oh * g.ow) * sizeof(int32_t);
}

/* The vector paths below compare with a plain `>`, which is naive's rule
 * only without NaN (a NaN must win and then keep its place; written as
 * masks, that defeats GCC's vectoriser): a plane holding a NaN takes the
 * window-by-window path instead. */
static int plane_has_nan(const float *x, int64_t n) {
  int nan = 0;
#pragma omp simd reduction(| : nan)
  for (int64_t i = 0; i < n; i++) nan |= x[i] != x[i];
  return nan;
}

/* Output rows are short (14 or 7 windows in a small CNN), too short for a
 * vector loop and its scalar remainder: the row functions work on blocks
 * of B (8, or 4 for rows under 8) windows, the last block moved back to
 * end at the row's end. The windows it covers twice get the same result
 * again (each step is "take the tap if greater", idempotent). */
#define MIN_BLOCK 4

/* Taps (iy, kx) one at a time for the windows [x0, x0 + B) of a row
 * that lie inside the input along x, all of them together, the running
 * maximum and its index kept in y[] and a[]. Each window still sees its
 * elements in row-major order and keeps the first of equal maxima. SW is
 * a constant after inlining for the usual strides. */
NND_OPENMP_INLINE void block_max(const int B, const int SW, const float *x, int w, int kw,
                                 int ylo, int yhi, int pw, int x0, float *restrict y,
                                 int32_t *restrict a) {
  for (int iy = ylo; iy < yhi; iy++)
    for (int kx = 0; kx < kw; kx++) {
      int base = iy * w - pw + kx, first = iy == ylo && kx == 0;
      const float *restrict xr = x + base;
#pragma omp simd
      for (int ox = x0; ox < x0 + B; ox++) {
        float best = y[ox], v = xr[ox * SW];
        int take = first | (v > best);
        y[ox] = take ? v : best;
        a[ox] = take ? base + ox * SW : a[ox];
      }
    }
}

/* The common 2x2 window with stride 2, both rows inside: one pass, the
 * four taps in row-major order. */
NND_OPENMP_INLINE void block_max22(const int B, const float *x, int w, int iy, int pw,
                                   int x0, float *restrict y, int32_t *restrict a) {
  int base = iy * w - pw;
  const float *restrict r0 = x + base, *restrict r1 = r0 + w;
#pragma omp simd
  for (int ox = x0; ox < x0 + B; ox++) {
    int i = 2 * ox, bi = base + i;
    float best = r0[i], v = r0[i + 1];
    bi = v > best ? base + i + 1 : bi;
    best = v > best ? v : best;
    v = r1[i];
    bi = v > best ? base + w + i : bi;
    best = v > best ? v : best;
    v = r1[i + 1];
    a[ox] = v > best ? base + w + i + 1 : bi;
    y[ox] = v > best ? v : best;
  }
}

/* The windows [xa, xb) of one output row in blocks of B (xb - xa >= B),
 * inside the input along x. Indices fit int32 (argmax_store). */
NND_OPENMP_INLINE void row_blocks(const int B, const nnd_pool_geom *g, int lo, int hi, int xa,
                                  int xb, const float *x, float *y, int32_t *a) {
  int w = (int)g->w, kw = (int)g->kw, pw = (int)g->pw;
  for (int x0 = xa;; x0 += B) {
    if (x0 > xb - B) x0 = xb - B;
    if (kw == 2 && g->sw == 2 && hi - lo == 2)
      block_max22(B, x, w, lo, pw, x0, y, a);
    else if (g->sw == 2)
      block_max(B, 2, x, w, kw, lo, hi, pw, x0, y, a);
    else if (g->sw == 1)
      block_max(B, 1, x, w, kw, lo, hi, pw, x0, y, a);
    else
      block_max(B, (int)g->sw, x, w, kw, lo, hi, pw, x0, y, a);
    if (x0 == xb - B) break;
  }
}

NND_OPENMP_INLINE void row_max(const nnd_pool_geom *g, int64_t ylo, int64_t yhi, int xa,
                               int xb, const float *x, float *y, int32_t *a) {
  if (xb - xa >= 8)
    row_blocks(8, g, (int)ylo, (int)yhi, xa, xb, x, y, a);
  else
    row_blocks(MIN_BLOCK, g, (int)ylo, (int)yhi, xa, xb, x, y, a);
}

/* One plane of maxpool forward with its argmax indices: windows inside
 * the input along x ([xa, xb)) by the vector rows, the others (and a plane
 * with a NaN) one by one. Compiled per instruction set: the rows are
 * short, and wide vectors with masks finish them in an iteration or two. */
NND_OPENMP_CLONES static void max_plane(const nnd_pool_geom *g, int64_t xa, int64_t xb,
                                        const float *x, float *y, int32_t *a) {
  if (xb - xa < MIN_BLOCK || plane_has_nan(x, g->h * g->w)) xb = xa;
  for (int64_t oy = 0; oy < g->oh; oy++) {
    int64_t ylo, yhi;
    clip(oy, g->sh, g->ph, g->kh, g->h, &ylo, &yhi);
    float *yr = y + oy * g->ow;
    int32_t *ar = a + oy * g->ow;
    if (xa < xb) row_max(g, ylo, yhi, (int)xa, (int)xb, x, yr, ar);
    for (int64_t ox = 0; ox < g->ow; ox++) {
      if (ox == xa && xa < xb) ox = xb; /* done above */
      if (ox >= g->ow) break;
      int64_t xlo, xhi;
      clip(ox, g->sw, g->pw, g->kw, g->w, &xlo, &xhi);
      int64_t i = window_argmax(x, g->w, ylo, yhi, xlo, xhi);
      yr[ox] = x[i];
      ar[ox] = (int32_t)i;
    }
  }
}

int nnd_openmp_maxpool_forward(const nnd_kernel_ctx *ctx) {
  nnd_pool_geom g;
  if (nnd_pool_geometry(ctx, &g) != 0 || check_windows(ctx, &g) != 0) return -1;
  int32_t *arg = argmax_store(ctx, &g);
  const float *x0 = ctx->inputs[0].data;
  float *y0 = ctx->output.data;
  /* the windows inside the input along x: ox*sw - pw >= 0 and
     ox*sw - pw + kw <= w */
  int64_t xa = (g.pw + g.sw - 1) / g.sw;
  int64_t xb = g.w + g.pw - g.kw < 0 ? 0 : (g.w + g.pw - g.kw) / g.sw + 1;
  if (xb > g.ow) xb = g.ow;
  if (xb < xa) xb = xa;
  NND_OPENMP_PARALLEL(pool_work(&g) > NND_OPENMP_MIN_WORK, "omp parallel for schedule(static)",
  for (int64_t p = 0; p < g.planes; p++) {
    const float *x = x0 + p * g.h * g.w;
    float *y = y0 + p * g.oh * g.ow;
    if (arg) {
      max_plane(&g, xa, xb, x, y, arg + p * g.oh * g.ow);
      continue;
    }
    /* no store for the indices: window by window */
    for (int64_t oy = 0; oy < g.oh; oy++) {
      int64_t ylo, yhi;
      clip(oy, g.sh, g.ph, g.kh, g.h, &ylo, &yhi);
      for (int64_t ox = 0; ox < g.ow; ox++) {
        int64_t xlo, xhi;
        clip(ox, g.sw, g.pw, g.kw, g.w, &xlo, &xhi);
        y[oy * g.ow + ox] = x[window_argmax(x, g.w, ylo, yhi, xlo, xhi)];
      }
    }
  });
  return 0;
}

int nnd_openmp_maxpool_backward(const nnd_kernel_ctx *ctx) {
  nnd_pool_geom g;
  if (nnd_pool_geometry(ctx, &g) != 0 || check_windows(ctx, &g) != 0) return -1;
  float *dx0 = ctx->grad_inputs[0].data;
  if (!dx0) return 0;
  const int32_t *arg = argmax_store(ctx, &g);
  const float *x0 = ctx->inputs[0].data, *dy0 = ctx->grad_output->data;
  int64_t hw = g.h * g.w, bad = 0;
  /* as first writer, each thread zeroes its own planes just before
     scattering into them, while they are in its cache */
  int assign = nnd_grad_assigns(ctx, 0);
  NND_OPENMP_PARALLEL(g.planes * g.oh * g.ow > NND_OPENMP_MIN_WORK,
      "omp parallel for schedule(static) reduction(+ : bad)",
  for (int64_t p = 0; p < g.planes; p++) {
    const float *dy = dy0 + p * g.oh * g.ow;
    float *dx = dx0 + p * hw;
    if (assign) memset(dx, 0, (size_t)hw * sizeof *dx);
    if (arg) {
      /* a workspace that forward did not fill could hold anything: an
         index outside the plane is refused rather than written */
      const int32_t *a = arg + p * g.oh * g.ow;
      for (int64_t o = 0; o < g.oh * g.ow; o++) {
        int64_t i = a[o];
        if (i < 0 || i >= hw) {
          bad++;
          continue;
        }
        dx[i] += dy[o];
      }
      continue;
    }
    const float *x = x0 + p * hw;
    for (int64_t oy = 0; oy < g.oh; oy++) {
      int64_t ylo, yhi;
      clip(oy, g.sh, g.ph, g.kh, g.h, &ylo, &yhi);
      for (int64_t ox = 0; ox < g.ow; ox++) {
        int64_t xlo, xhi;
        clip(ox, g.sw, g.pw, g.kw, g.w, &xlo, &xhi);
        dx[window_argmax(x, g.w, ylo, yhi, xlo, xhi)] += dy[oy * g.ow + ox];
      }
    }
  });
  if (bad) return nnd_kernel_fail(ctx, "the argmax workspace was not filled by forward");
  return 0;
}

/* ------------------------------------------------------------- avgpool */

int nnd_openmp_avgpool_forward(const nnd_kernel_ctx *ctx) {
  nnd_pool_geom g;
  if (nnd_pool_geometry(ctx, &g) != 0 || check_windows(ctx, &g) != 0) return -1;
  /* padded zeros count: the divisor is always the full window */
  float area = (float)(g.kh * g.kw);
  const float *x0 = ctx->inputs[0].data;
  float *y0 = ctx->output.data;
  NND_OPENMP_PARALLEL(pool_work(&g) > NND_OPENMP_MIN_WORK, "omp parallel for schedule(static)",
  for (int64_t p = 0; p < g.planes; p++) {
    const float *x = x0 + p * g.h * g.w;
    float *y = y0 + p * g.oh * g.ow;
    for (int64_t oy = 0; oy < g.oh; oy++) {
      int64_t ylo, yhi;
      clip(oy, g.sh, g.ph, g.kh, g.h, &ylo, &yhi);
      for (int64_t ox = 0; ox < g.ow; ox++) {
        int64_t xlo, xhi;
        clip(ox, g.sw, g.pw, g.kw, g.w, &xlo, &xhi);
        float acc = 0;
        for (int64_t iy = ylo; iy < yhi; iy++)
          for (int64_t ix = xlo; ix < xhi; ix++) acc += x[iy * g.w + ix];
        y[oy * g.ow + ox] = acc / area;
      }
    }
  });
  return 0;
}

/* Each input element of a window receives dy / area from that window. */
int nnd_openmp_avgpool_backward(const nnd_kernel_ctx *ctx) {
  nnd_pool_geom g;
  if (nnd_pool_geometry(ctx, &g) != 0 || check_windows(ctx, &g) != 0) return -1;
  float *dx0 = ctx->grad_inputs[0].data;
  if (!dx0) return 0;
  float area = (float)(g.kh * g.kw);
  const float *dy0 = ctx->grad_output->data;
  int assign = nnd_grad_assigns(ctx, 0);
  NND_OPENMP_PARALLEL(pool_work(&g) > NND_OPENMP_MIN_WORK, "omp parallel for schedule(static)",
  for (int64_t p = 0; p < g.planes; p++) {
    const float *dy = dy0 + p * g.oh * g.ow;
    float *dx = dx0 + p * g.h * g.w;
    if (assign) memset(dx, 0, (size_t)(g.h * g.w) * sizeof *dx);
    for (int64_t oy = 0; oy < g.oh; oy++) {
      int64_t ylo, yhi;
      clip(oy, g.sh, g.ph, g.kh, g.h, &ylo, &yhi);
      for (int64_t ox = 0; ox < g.ow; ox++) {
        int64_t xlo, xhi;
        clip(ox, g.sw, g.pw, g.kw, g.w, &xlo, &xhi);
        float share = dy[oy * g.ow + ox] / area;
        for (int64_t iy = ylo; iy < yhi; iy++)
          for (int64_t ix = xlo; ix < xhi; ix++) dx[iy * g.w + ix] += share;
      }
    }
  });
  return 0;
}
