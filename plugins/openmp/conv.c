/* conv.c — the openmp conv1d and conv2d: cross-correlation with zero
 * padding as in PyTorch (naive's layers_conv.c), conv1d being conv2d with
 * height 1.
 *
 * The fast path (stride 1, padding below the kernel size on both sides:
 * "same", "valid" and the usual explicit paddings) copies the input into a
 * zero-padded buffer of row pitch P in the workspace. Output position
 * (oy, ox) is then the flat index q = oy*P + ox, and tap (c, ky, kx) reads
 * the padded input at q + c*plane + ky*P + kx: every tap is a contiguous,
 * unconditional run over a whole plane, the columns ox >= ow computed and
 * thrown away. The register tile of dense.c runs over it, output channels
 * by flat positions.
 *
 * The input gradient is the same computation on the output gradient
 * padded by k-1-p, with the weights flipped and transposed to
 * [C, F, kh, kw]. The weight gradient is a tile of taps by filters over
 * the flat positions, the output gradient transposed so that filters are
 * contiguous. Other strides and paddings take direct loops whose windows
 * are clipped once per row and column, not per tap.
 *
 * Determinism: forward and the input gradient run parallel over (sample,
 * block of output channels), each element in one tile; the weight
 * gradient sums fixed chunks of the batch in order and adds the chunks in
 * order; the bias gradient runs per filter over the batch in order. */
/* Vectorised at O3 whatever the build's CFLAGS end in (see dense.c). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "fp-contract=fast")
#endif

#include <string.h>

#include "openmp.h"

/* floats after a padded buffer: the last tile of positions reads past the
 * last one by up to a tile's width */
#define SLACK NND_OPENMP_TILE_MAX_COLS
/* the weight gradient's chunks of samples (each holds a share of dW) */
#define CHUNKS 16

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t round16(int64_t n) { return (n + 15) / 16 * 16; }

/* ------------------------------------------------------------- layout */

/* The fast path's buffers in the workspace, in floats from its start: the
 * padded input [N, C, hx, P]; the output gradient padded by k-1-p
 * [N, F, hd, P]; the flipped weights [C, F, kh, kw]; the tap offsets of
 * forward and of the input gradient (int64); and per chunk of samples the
 * output gradient transposed to [position, F] and the chunk's share of the
 * weight gradient [tap, F]. */
typedef struct {
  int ok;                 /* stride 1 and padding in [0, k-1] on both sides */
  int64_t P, hx, hd;      /* pitch, rows of the padded input and gradient */
  int64_t len;            /* flat positions of the output: (oh-1)*P + ow */
  int64_t chunks;         /* sample chunks of the weight gradient */
  int64_t xpad, dyp, wflip, toff_f, toff_b, dyt, dws, end;
} flat_layout;

static flat_layout layout(const nnd_conv_geom *g) {
  flat_layout l = {0};
  /* with stride 1 the output size says the padding after exactly */
  int64_t ph_hi = g->oh - 1 + g->kh - g->h - g->ph;
  int64_t pw_hi = g->ow - 1 + g->kw - g->w - g->pw;
  l.ok = g->sh == 1 && g->sw == 1 && g->n > 0 && g->oh > 0 && g->ow > 0 && g->ph < g->kh &&
         g->pw < g->kw && ph_hi >= 0 && ph_hi < g->kh && pw_hi >= 0 && pw_hi < g->kw;
  if (!l.ok) return l;
  int64_t taps_f = g->c * g->kh * g->kw, taps_b = g->f * g->kh * g->kw;
  l.P = g->w + max64(g->pw + pw_hi, g->kw - 1);
  l.hx = g->h + g->ph + ph_hi;
  l.hd = g->h + g->kh - 1;
  l.len = (g->oh - 1) * l.P + g->ow;
  l.chunks = min64(g->n, CHUNKS);
  l.xpad = 0;
  l.dyp = l.xpad + round16(g->n * g->c * l.hx * l.P + SLACK);
  l.wflip = l.dyp + round16(g->n * g->f * l.hd * l.P + SLACK);
  l.toff_f = l.wflip + round16(g->c * g->f * g->kh * g->kw);
  l.toff_b = l.toff_f + round16(2 * taps_f);
  l.dyt = l.toff_b + round16(2 * taps_b);
  l.dws = l.dyt + l.chunks * round16(l.len * g->f);
  l.end = l.dws + l.chunks * round16(taps_f * g->f);
  return l;
}

/* The workspace as the fast path's floats, or NULL to take direct loops. */
static float *flat_buffers(const nnd_kernel_ctx *ctx, const flat_layout *l) {
  if (!l->ok || !ctx->workspace || ctx->workspace_size < (size_t)l->end * sizeof(float))
    return NULL;
  return ctx->workspace;
}

static size_t conv_workspace(const nnd_kernel_ctx *ctx, int nsp) {
  nnd_conv_geom g;
  if (nnd_conv_geometry(ctx, nsp, &g) != 0) return 0;
  flat_layout l = layout(&g);
  return l.ok ? (size_t)l.end * sizeof(float) : 0;
}

/* dst[a][b] = src[a - top][b - left] inside src, 0 elsewhere, for planes
 * of `rows` x `pitch`; parallel over planes, each written whole. */
static void pad_planes(const float *src, int64_t planes, int64_t h, int64_t w, float *dst,
                       int64_t rows, int64_t pitch, int64_t top, int64_t left) {
  NND_OPENMP_PARALLEL(planes * rows * pitch > NND_OPENMP_MIN_WORK,
      "omp parallel for schedule(static)",
  for (int64_t p = 0; p < planes; p++) {
    const float *s = src + p * h * w;
    float *d = dst + p * rows * pitch;
    for (int64_t a = 0; a < rows; a++) {
      float *row = d + a * pitch;
      int64_t y = a - top;
      if (y < 0 || y >= h) {
        memset(row, 0, (size_t)pitch * sizeof(float));
        continue;
      }
      int64_t b0 = min64(max64(left, 0), pitch), b1 = min64(max64(left + w, b0), pitch);
      memset(row, 0, (size_t)b0 * sizeof(float));
      memcpy(row + b0, s + y * w + (b0 - left), (size_t)(b1 - b0) * sizeof(float));
      memset(row + b1, 0, (size_t)(pitch - b1) * sizeof(float));
    }
  });
}

/* off[(c*kh + ky)*kw + kx] = c*plane + ky*P + kx: where tap (c, ky, kx)
 * reads, relative to the output position, in a padded buffer. */
static void tap_offsets(int64_t *off, int64_t cin, int64_t kh, int64_t kw, int64_t plane,
                        int64_t P) {
  for (int64_t c = 0; c < cin; c++)
    for (int64_t ky = 0; ky < kh; ky++)
      for (int64_t kx = 0; kx < kw; kx++) off[(c * kh + ky) * kw + kx] = c * plane + ky * P + kx;
}

/* ------------------------------------------------------ flat correlation */

/* out[n][o][y][x] (+)= sum_t w[o][t] in[n][y*P + x + off[t]] (+ bias[o]),
 * `in` being planes of cin x plane floats and `out` oh x ow: forward on
 * the padded input, and the input gradient on the padded output gradient
 * with the flipped weights. Parallel over (sample, block of output
 * channels); a tile covers R channels by C flat positions, the positions
 * past the last row read the buffer's slack and are thrown away with the
 * columns past ow. */
typedef struct {
  const float *in;
  int64_t n, in_size, P;   /* in_size: floats per sample of `in` */
  const float *w;
  const int64_t *off;
  int64_t taps;            /* per output channel: cin*kh*kw */
  const float *bias;
  int64_t cout;
  float *out;
  int64_t oh, ow;
  int accumulate;
} flat_conv;

static void flat_run(const flat_conv *fc) {
  int R, C;
  nnd_openmp_tile_fn run = nnd_openmp_tile_select(&R, &C);
  int64_t len = (fc->oh - 1) * fc->P + fc->ow, chunks = (len + C - 1) / C;
  int64_t rb = (fc->cout + R - 1) / R, plane = fc->oh * fc->ow;
  int64_t work = fc->n * fc->cout * len * fc->taps;
  NND_OPENMP_PARALLEL(work > NND_OPENMP_MIN_MACS, "omp parallel for schedule(static) collapse(2)",
  for (int64_t n = 0; n < fc->n; n++)
    for (int64_t b = 0; b < rb; b++) {
      int64_t o0 = b * R;
      int rows = (int)min64(R, fc->cout - o0);
      const float *in = fc->in + n * fc->in_size;
      float *out = fc->out + (n * fc->cout + o0) * plane;
      const float *a[NND_OPENMP_TILE_MAX_ROWS];
      float bias[NND_OPENMP_TILE_MAX_ROWS];
      for (int r = 0; r < rows; r++) {
        a[r] = fc->w + (o0 + r) * fc->taps;
        bias[r] = fc->bias ? fc->bias[o0 + r] : 0.0f;
      }
      for (int64_t t = 0; t < chunks; t++) {
        int64_t q0 = t * C;
        /* constant size: zeroed by a few stores, not a call */
        float acc[NND_OPENMP_TILE_MAX_ROWS][NND_OPENMP_TILE_MAX_COLS] = {{0}};
        float *c[NND_OPENMP_TILE_MAX_ROWS];
        for (int r = 0; r < rows; r++) c[r] = acc[r];
        nnd_openmp_tile tile = {.k = fc->taps, .a = a, .ak = 1, .b = in + q0, .boff = fc->off,
                                .ldb = 0, .c = c, .cj = 1, .rows = rows, .cols = C};
        run(&tile);
        /* the tile's positions as runs within output rows, skipping the
           columns past ow and the rows past oh */
        for (int64_t j = 0; j < C;) {
          int64_t q = q0 + j, oy = q / fc->P, ox = q % fc->P;
          int64_t seg = min64(C - j, fc->P - ox);
          if (oy < fc->oh && ox < fc->ow) {
            int64_t cnt = min64(seg, fc->ow - ox);
            for (int r = 0; r < rows; r++) {
              float *dst = out + r * plane + oy * fc->ow + ox;
              const float *src = acc[r] + j;
              if (fc->accumulate)
                for (int64_t e = 0; e < cnt; e++) dst[e] += src[e];
              else
                for (int64_t e = 0; e < cnt; e++) dst[e] = src[e] + bias[r];
            }
          }
          j += seg;
        }
      }
    });
}

/* ------------------------------------------------- flat weight gradient */

/* dyt[q][f] = d[f][oy][ox] for the flat positions q = oy*P + ox < len,
 * 0 in the columns ox >= ow. Blocks of 16 filters: 16 rows of d are read
 * along ox while dyt is written 16 contiguous floats at a time. */
static void transpose_dy(const float *d, int64_t F, int64_t oh, int64_t ow, int64_t P,
                         int64_t len, float *dyt) {
  int64_t area = oh * ow;
  for (int64_t oy = 0; oy < oh; oy++) {
    for (int64_t f0 = 0; f0 < F; f0 += 16) {
      int64_t nf = min64(16, F - f0);
      const float *src = d + f0 * area + oy * ow;
      for (int64_t ox = 0; ox < ow; ox++) {
        float *row = dyt + (oy * P + ox) * F + f0;
        for (int64_t f = 0; f < nf; f++) row[f] = src[f * area + ox];
      }
    }
    for (int64_t ox = ow; ox < P && oy * P + ox < len; ox++)
      memset(dyt + (oy * P + ox) * F, 0, (size_t)F * sizeof(float));
  }
}

/* dW[f][t] += sum_n sum_q dy[n][f][q] xpad[n][q + off[t]], q over the flat
 * output positions (dy read as 0 past ow). Tiles of R taps by C filters
 * need dy with the filters contiguous, so each sample's dy is first
 * transposed to dyt[q][f]. The batch is cut into l->chunks chunks fixed
 * by its size; each chunk sums its samples in order into its own share,
 * and the shares are added in chunk order: the same sums for any number
 * of threads. */
static void flat_weight_grad(const nnd_conv_geom *g, const flat_layout *l, float *ws,
                             const float *dy, float *dw) {
  int R, C;
  nnd_openmp_tile_fn run = nnd_openmp_tile_select(&R, &C);
  const float *xpad = ws + l->xpad;
  const int64_t *off = (const int64_t *)(ws + l->toff_f);
  int64_t taps = g->c * g->kh * g->kw, F = g->f, area = g->oh * g->ow;
  int64_t xsize = g->c * l->hx * l->P, S = l->chunks;
  int64_t tb = (taps + R - 1) / R, fb = (F + C - 1) / C;
  int64_t work = g->n * F * taps * l->len;
  NND_OPENMP_PARALLEL(work > NND_OPENMP_MIN_MACS, "omp parallel for schedule(static)",
  for (int64_t s = 0; s < S; s++) {
    float *dyt = ws + l->dyt + s * round16(l->len * F);
    float *share = ws + l->dws + s * round16(taps * F);
    memset(share, 0, (size_t)(taps * F) * sizeof(float));
    for (int64_t n = s * g->n / S; n < (s + 1) * g->n / S; n++) {
      transpose_dy(dy + n * F * area, F, g->oh, g->ow, l->P, l->len, dyt);
      const float *xs = xpad + n * xsize;
      for (int64_t b = 0; b < tb; b++)
        for (int64_t e = 0; e < fb; e++) {
          int64_t t0 = b * R, f0 = e * C;
          int rows = (int)min64(R, taps - t0);
          const float *a[NND_OPENMP_TILE_MAX_ROWS];
          float *c[NND_OPENMP_TILE_MAX_ROWS];
          for (int r = 0; r < rows; r++) {
            a[r] = xs + off[t0 + r];
            c[r] = share + (t0 + r) * F + f0;
          }
          nnd_openmp_tile tile = {.k = l->len, .a = a, .ak = 1, .b = dyt + f0, .boff = NULL,
                                  .ldb = F, .c = c, .cj = 1, .rows = rows,
                                  .cols = (int)min64(C, F - f0)};
          run(&tile);
        }
    }
  });
  /* dw is [F][taps], the shares [taps][F] */
  NND_OPENMP_PARALLEL(S * taps * F > NND_OPENMP_MIN_WORK, "omp parallel for schedule(static)",
  for (int64_t f = 0; f < F; f++)
    for (int64_t t = 0; t < taps; t++) {
      double sum = 0;
      for (int64_t s = 0; s < S; s++) sum += ws[l->dws + s * round16(taps * F) + t * F + f];
      dw[f * taps + t] = (float)(dw[f * taps + t] + sum);
    });
}

/* ---------------------------------------------------------- bias grad */

/* db[f] += sum over samples and positions of dy: per filter, the batch in
 * order. */
static void bias_grad(const nnd_conv_geom *g, const float *dy, float *db) {
  int64_t area = g->oh * g->ow;
  NND_OPENMP_PARALLEL(g->n * g->f * area > NND_OPENMP_MIN_WORK, "omp parallel for schedule(static)",
  for (int64_t f = 0; f < g->f; f++) {
    float acc = 0;
    for (int64_t n = 0; n < g->n; n++) {
      const float *p = dy + (n * g->f + f) * area;
      float s = 0;
_Pragma("omp simd reduction(+ : s)")
      for (int64_t i = 0; i < area; i++) s += p[i];
      acc += s;
    }
    db[f] += acc;
  });
}

/* ------------------------------------------------------- direct loops */

/* Output positions o in [lo, hi) whose tap k lands inside [0, n): o*s - p
 * + k in [0, n). */
static void tap_range(int64_t k, int64_t s, int64_t p, int64_t n, int64_t outn, int64_t *lo,
                      int64_t *hi) {
  int64_t a = p - k;          /* need o*s >= a */
  int64_t b = n - 1 + p - k;  /* need o*s <= b */
  *lo = a <= 0 ? 0 : (a + s - 1) / s;
  *hi = b < 0 ? 0 : min64(outn, b / s + 1);
  if (*hi < *lo) *hi = *lo;
}

static void direct_forward(const nnd_conv_geom *g, const float *x, const float *w,
                           const float *bias, float *y) {
  int64_t area = g->oh * g->ow, work = g->n * g->f * area * g->c * g->kh * g->kw;
  NND_OPENMP_PARALLEL(work > NND_OPENMP_MIN_MACS, "omp parallel for schedule(static) collapse(2)",
  for (int64_t n = 0; n < g->n; n++)
    for (int64_t f = 0; f < g->f; f++) {
      float *yp = y + (n * g->f + f) * area;
      float b = bias ? bias[f] : 0.0f;
      for (int64_t i = 0; i < area; i++) yp[i] = b;
      for (int64_t c = 0; c < g->c; c++) {
        const float *xp = x + (n * g->c + c) * g->h * g->w;
        const float *wp = w + (f * g->c + c) * g->kh * g->kw;
        for (int64_t ky = 0; ky < g->kh; ky++) {
          int64_t ylo, yhi;
          tap_range(ky, g->sh, g->ph, g->h, g->oh, &ylo, &yhi);
          for (int64_t kx = 0; kx < g->kw; kx++) {
            int64_t xlo, xhi;
            tap_range(kx, g->sw, g->pw, g->w, g->ow, &xlo, &xhi);
            float wv = wp[ky * g->kw + kx];
            for (int64_t oy = ylo; oy < yhi; oy++) {
              /* rows from the first window inside: no pointer before x */
              const float *xr = xp + (oy * g->sh - g->ph + ky) * g->w + xlo * g->sw - g->pw + kx;
              float *yr = yp + oy * g->ow + xlo;
              for (int64_t j = 0; j < xhi - xlo; j++) yr[j] += wv * xr[j * g->sw];
            }
          }
        }
      }
    });
}

/* The adjoint of direct_forward, parallel over input planes (sample,
 * channel): each plane collects every filter's contributions in order. */
static void direct_input_grad(const nnd_conv_geom *g, const float *dy, const float *w,
                              float *dx) {
  int64_t area = g->oh * g->ow, work = g->n * g->f * area * g->c * g->kh * g->kw;
  NND_OPENMP_PARALLEL(work > NND_OPENMP_MIN_MACS, "omp parallel for schedule(static) collapse(2)",
  for (int64_t n = 0; n < g->n; n++)
    for (int64_t c = 0; c < g->c; c++) {
      float *dxp = dx + (n * g->c + c) * g->h * g->w;
      for (int64_t f = 0; f < g->f; f++) {
        const float *dyp = dy + (n * g->f + f) * area;
        const float *wp = w + (f * g->c + c) * g->kh * g->kw;
        for (int64_t ky = 0; ky < g->kh; ky++) {
          int64_t ylo, yhi;
          tap_range(ky, g->sh, g->ph, g->h, g->oh, &ylo, &yhi);
          for (int64_t kx = 0; kx < g->kw; kx++) {
            int64_t xlo, xhi;
            tap_range(kx, g->sw, g->pw, g->w, g->ow, &xlo, &xhi);
            float wv = wp[ky * g->kw + kx];
            for (int64_t oy = ylo; oy < yhi; oy++) {
              float *xr = dxp + (oy * g->sh - g->ph + ky) * g->w + xlo * g->sw - g->pw + kx;
              const float *yr = dyp + oy * g->ow + xlo;
              for (int64_t j = 0; j < xhi - xlo; j++) xr[j * g->sw] += wv * yr[j];
            }
          }
        }
      }
    });
}

/* dW, parallel over (filter, channel); each tap sums the batch in order. */
static void direct_weight_grad(const nnd_conv_geom *g, const float *x, const float *dy,
                               float *dw) {
  int64_t area = g->oh * g->ow, work = g->n * g->f * area * g->c * g->kh * g->kw;
  NND_OPENMP_PARALLEL(work > NND_OPENMP_MIN_MACS, "omp parallel for schedule(static) collapse(2)",
  for (int64_t f = 0; f < g->f; f++)
    for (int64_t c = 0; c < g->c; c++)
      for (int64_t ky = 0; ky < g->kh; ky++) {
        int64_t ylo, yhi;
        tap_range(ky, g->sh, g->ph, g->h, g->oh, &ylo, &yhi);
        for (int64_t kx = 0; kx < g->kw; kx++) {
          int64_t xlo, xhi;
          tap_range(kx, g->sw, g->pw, g->w, g->ow, &xlo, &xhi);
          float acc = 0;
          for (int64_t n = 0; n < g->n; n++) {
            const float *xp = x + (n * g->c + c) * g->h * g->w;
            const float *dyp = dy + (n * g->f + f) * area;
            for (int64_t oy = ylo; oy < yhi; oy++) {
              const float *xr = xp + (oy * g->sh - g->ph + ky) * g->w + xlo * g->sw - g->pw + kx;
              const float *yr = dyp + oy * g->ow + xlo;
              for (int64_t j = 0; j < xhi - xlo; j++) acc += yr[j] * xr[j * g->sw];
            }
          }
          dw[((f * g->c + c) * g->kh + ky) * g->kw + kx] += acc;
        }
      });
}

/* ------------------------------------------------------------ kernels */

static int conv_forward(const nnd_kernel_ctx *ctx, int nsp) {
  nnd_conv_geom g;
  if (nnd_conv_geometry(ctx, nsp, &g) != 0) return -1;
  const float *x = ctx->inputs[0].data, *w = ctx->inputs[1].data;
  const float *bias = g.has_bias ? ctx->inputs[2].data : NULL;
  float *y = ctx->output.data;
  flat_layout l = layout(&g);
  float *ws = flat_buffers(ctx, &l);
  if (!ws) {
    direct_forward(&g, x, w, bias, y);
    return 0;
  }
  int64_t *off = (int64_t *)(ws + l.toff_f);
  tap_offsets(off, g.c, g.kh, g.kw, l.hx * l.P, l.P);
  pad_planes(x, g.n * g.c, g.h, g.w, ws + l.xpad, l.hx, l.P, g.ph, g.pw);
  flat_conv fc = {.in = ws + l.xpad, .n = g.n, .in_size = g.c * l.hx * l.P, .P = l.P, .w = w,
                  .off = off, .taps = g.c * g.kh * g.kw, .bias = bias, .cout = g.f,
                  .out = y, .oh = g.oh, .ow = g.ow, .accumulate = 0};
  flat_run(&fc);
  return 0;
}

static int conv_backward(const nnd_kernel_ctx *ctx, int nsp) {
  nnd_conv_geom g;
  if (nnd_conv_geometry(ctx, nsp, &g) != 0) return -1;
  const float *x = ctx->inputs[0].data, *w = ctx->inputs[1].data;
  const float *dy = ctx->grad_output->data;
  float *dx = ctx->grad_inputs[0].data, *dw = ctx->grad_inputs[1].data;
  float *db = g.has_bias ? ctx->grad_inputs[2].data : NULL;
  /* as first writer: dx is stored whole by the flat kernel; the small
     parameter gradients, and dx on the direct path, are zeroed here */
  int dx_assign = dx && nnd_grad_assigns(ctx, 0);
  if (dw && nnd_grad_assigns(ctx, 1))
    memset(dw, 0, (size_t)ctx->grad_inputs[1].numel * sizeof *dw);
  if (db && nnd_grad_assigns(ctx, 2))
    memset(db, 0, (size_t)ctx->grad_inputs[2].numel * sizeof *db);
  if (db) bias_grad(&g, dy, db);
  if (!dx && !dw) return 0;
  flat_layout l = layout(&g);
  float *ws = flat_buffers(ctx, &l);
  if (!ws) {
    if (dx_assign) memset(dx, 0, (size_t)ctx->grad_inputs[0].numel * sizeof *dx);
    if (dx) direct_input_grad(&g, dy, w, dx);
    if (dw) direct_weight_grad(&g, x, dy, dw);
    return 0;
  }
  if (dx) {
    /* correlate dy, padded by k-1-p, with the flipped weights [C, F, kh, kw] */
    float *dyp = ws + l.dyp, *wf = ws + l.wflip;
    int64_t *off = (int64_t *)(ws + l.toff_b), kk = g.kh * g.kw;
    pad_planes(dy, g.n * g.f, g.oh, g.ow, dyp, l.hd, l.P, g.kh - 1 - g.ph, g.kw - 1 - g.pw);
    for (int64_t c = 0; c < g.c; c++)
      for (int64_t f = 0; f < g.f; f++)
        for (int64_t k = 0; k < kk; k++)
          wf[(c * g.f + f) * kk + k] = w[(f * g.c + c) * kk + (kk - 1 - k)];
    tap_offsets(off, g.f, g.kh, g.kw, l.hd * l.P, l.P);
    flat_conv fc = {.in = dyp, .n = g.n, .in_size = g.f * l.hd * l.P, .P = l.P, .w = wf,
                    .off = off, .taps = g.f * kk, .bias = NULL, .cout = g.c, .out = dx,
                    .oh = g.h, .ow = g.w, .accumulate = !dx_assign};
    flat_run(&fc);
  }
  if (dw) {
    /* the padded input again: backward must not rely on forward's copy */
    tap_offsets((int64_t *)(ws + l.toff_f), g.c, g.kh, g.kw, l.hx * l.P, l.P);
    pad_planes(x, g.n * g.c, g.h, g.w, ws + l.xpad, l.hx, l.P, g.ph, g.pw);
    flat_weight_grad(&g, &l, ws, dy, dw);
  }
  return 0;
}

int nnd_openmp_conv1d_forward(const nnd_kernel_ctx *ctx) { return conv_forward(ctx, 1); }
int nnd_openmp_conv1d_backward(const nnd_kernel_ctx *ctx) { return conv_backward(ctx, 1); }
size_t nnd_openmp_conv1d_workspace(const nnd_kernel_ctx *ctx) {
  return conv_workspace(ctx, 1);
}
int nnd_openmp_conv2d_forward(const nnd_kernel_ctx *ctx) { return conv_forward(ctx, 2); }
int nnd_openmp_conv2d_backward(const nnd_kernel_ctx *ctx) { return conv_backward(ctx, 2); }
size_t nnd_openmp_conv2d_workspace(const nnd_kernel_ctx *ctx) {
  return conv_workspace(ctx, 2);
}
