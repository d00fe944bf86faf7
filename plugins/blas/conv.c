/* conv.c — conv1d and conv2d lowered to sgemm through im2col, with the
 * semantics of the naive kernels: NCHW, weight [F, C, kh, kw],
 * cross-correlation, zero padding; conv1d is conv2d with height 1.
 *
 * Per sample, col[C*kh*kw, OH*OW] holds the input windows, one column per
 * output position, and then
 *   forward   y_n[F, P]    = W[F, CKK] col + b        (straight into NCHW)
 *   weights   dW[F, CKK]  += dy_n[F, P] col^T
 *   input     dcol[CKK, P] = W^T dy_n, scattered back into dx_n (col2im).
 * The batch is split over the OpenMP threads one sample at a time, each
 * thread with its own col buffer in the workspace: a sample's col is small
 * enough to stay in cache between im2col and its sgemm, which is why this
 * beats one im2col of the whole batch (tens of MB through memory, and an
 * NCHW reshuffle of the output) even though every product is smaller. The
 * backward pass builds col again rather than keeping the forward's: that
 * costs one cache-resident gather per sample, where keeping it would cost
 * the whole batch's col written to and read back from memory.
 *
 * The weight gradient is a sum over samples. Each thread sums its own
 * samples into a private partial dW, and the partials are added in thread
 * order, so a run is deterministic; another thread count only regroups the
 * float sums. A batch smaller than the team runs sample by sample and lets
 * nnd_blas_gemm split each product over the threads instead.
 *
 * Workspace, in floats: the per-(sample, filter) sums of dy as doubles (for
 * the bias gradient, added in sample order so db does not depend on the
 * thread count), then for each thread a col buffer and a partial dW, each
 * rounded to 16 floats so threads never share a cache line. */
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "blas.h"

typedef struct {
  nnd_conv_geom g;
  int64_t p;         /* output positions per sample: oh * ow */
  int64_t ckk;       /* rows of col: c * kh * kw */
  int direct;        /* 1x1 kernel, stride 1, no padding: x_n is its own col */
  size_t sums;       /* floats holding the dy sums (n * f doubles) */
  size_t col;        /* floats of one col buffer */
  size_t per_thread; /* floats of one thread's col buffer and partial dW */
} conv_plan;

/* Gathering a col this big is worth the team when a small batch runs
 * sample by sample; smaller ones cost less than waking the threads. */
#define PARALLEL_COL_FLOATS (1 << 16)

static size_t round16(int64_t n) { return (size_t)((n + 15) / 16 * 16); }

static int plan_conv(const nnd_kernel_ctx *ctx, int nsp, conv_plan *pl) {
  memset(pl, 0, sizeof *pl);
  if (nnd_conv_geometry(ctx, nsp, &pl->g) != 0) return -1;
  const nnd_conv_geom *g = &pl->g;
  pl->p = g->oh * g->ow;
  pl->ckk = g->c * g->kh * g->kw;
  if (!nnd_blas_fits(g->f, pl->ckk, pl->p) ||
      !nnd_blas_fits(g->n, g->c * g->h * g->w, g->f * pl->p))
    return nnd_kernel_fail(ctx, "sizes beyond the BLAS integer range");
  pl->direct = g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->ph == 0 && g->pw == 0 &&
               g->oh == g->h && g->ow == g->w;
  pl->sums = round16(2 * g->n * g->f);
  pl->col = pl->direct ? 0 : round16(pl->ckk * pl->p);
  pl->per_thread = pl->col + round16(g->f * pl->ckk);
  return 0;
}

/* Threads the workspace was sized for: the host sizes it once per batch
 * size, and a later OMP_NUM_THREADS must not make a kernel write past it. */
static int64_t workspace_threads(const nnd_kernel_ctx *ctx, const conv_plan *pl) {
  size_t floats = ctx->workspace ? ctx->workspace_size / sizeof(float) : 0;
  if (floats < pl->sums) return 0;
  if (pl->per_thread == 0) return nnd_blas_threads();
  return (int64_t)((floats - pl->sums) / pl->per_thread);
}

/* Samples run one per thread when each thread gets at least one; a smaller
 * batch runs sample by sample with each product split instead. */
static int per_sample_threads(int64_t n, int64_t threads) { return threads >= 2 && n >= threads; }

static size_t conv_workspace(const nnd_kernel_ctx *ctx, int nsp) {
  conv_plan pl;
  if (plan_conv(ctx, nsp, &pl) != 0) return 0;
  int64_t threads = nnd_blas_threads();
  size_t buffers = per_sample_threads(pl.g.n, threads) ? (size_t)threads : 1;
  return (pl.sums + buffers * pl.per_thread) * sizeof(float);
}

/* The threads that may each take samples with their own buffers: at most
 * what the workspace holds. Returns 0 (with the message set) when the
 * workspace is missing or too small for even one. */
static int team_size(const nnd_kernel_ctx *ctx, const conv_plan *pl) {
  int64_t have = workspace_threads(ctx, pl);
  if (have < 1) {
    nnd_kernel_fail(ctx, "workspace of %zu bytes, at least %zu needed",
                    ctx->workspace ? ctx->workspace_size : (size_t)0,
                    (pl->sums + pl->per_thread) * sizeof(float));
    return 0;
  }
  int64_t t = nnd_blas_threads();
  return (int)(t < have ? t : have);
}

static float *thread_col(const nnd_kernel_ctx *ctx, const conv_plan *pl, int t) {
  return (float *)ctx->workspace + pl->sums + (size_t)t * pl->per_thread;
}

static float *thread_dw(const nnd_kernel_ctx *ctx, const conv_plan *pl, int t) {
  return thread_col(ctx, pl, t) + pl->col;
}

/* ----------------------------------------------------------- im2col */

/* The outputs o whose input o * s + off falls inside [0, n): [*lo, *hi).
 * Outside it the window reads padding, i.e. zeros. */
static void inside(int64_t n, int64_t on, int64_t s, int64_t off, int64_t *lo, int64_t *hi) {
  int64_t a = off < 0 ? (-off + s - 1) / s : 0;
  int64_t b = n - 1 - off >= 0 ? (n - 1 - off) / s + 1 : 0;
  if (b > on) b = on;
  if (a > b) a = b;
  *lo = a;
  *hi = b;
}

/* Where the windows of one (ky, kx) row of col read x: rows oy in
 * [oy0, oy1) and columns ox in [lo, hi) fall inside the input, at
 * iy = oy * sh + dy and ix = ox * sw + dx; everything else is padding. */
typedef struct {
  int64_t oy0, oy1, lo, hi, dy, dx;
} conv_tap;

static conv_tap tap(const nnd_conv_geom *g, int64_t ky, int64_t kx) {
  conv_tap t = {.dy = ky - g->ph, .dx = kx - g->pw};
  inside(g->h, g->oh, g->sh, t.dy, &t.oy0, &t.oy1);
  inside(g->w, g->ow, g->sw, t.dx, &t.lo, &t.hi);
  if (t.oy0 == t.oy1 || t.lo == t.hi) t.oy0 = t.oy1 = t.lo = t.hi = 0;
  return t;
}

/* Stride 1 with the output as wide as the input ("same" padding, 1x1): a
 * row of col is the input plane shifted by dy * w + dx, so the inside part
 * is one contiguous run; only the columns that wrapped around an edge of
 * the plane need zeroing afterwards. */
static int shifted(const nnd_conv_geom *g) { return g->sh == 1 && g->sw == 1 && g->ow == g->w; }

/* Zero the entries of a shifted row whose window wrapped around the left or
 * right edge of the plane. Column by column: a run per row would be a call
 * to memset for one or two floats. */
static void zero_wrapped(const nnd_conv_geom *g, const conv_tap *t, float *row) {
  int64_t ow = g->ow;
  for (int64_t ox = 0; ox < t->lo; ox++)
    for (int64_t oy = t->oy0; oy < t->oy1; oy++) row[oy * ow + ox] = 0.0f;
  for (int64_t ox = t->hi; ox < ow; ox++)
    for (int64_t oy = t->oy0; oy < t->oy1; oy++) row[oy * ow + ox] = 0.0f;
}

static void im2col_row(const nnd_conv_geom *g, const conv_tap *t, const float *restrict plane,
                       float *restrict row) {
  int64_t ow = g->ow, end = g->oh * ow;
  if (t->oy0 == t->oy1) {
    memset(row, 0, (size_t)end * sizeof(float));
    return;
  }
  if (shifted(g)) {
    int64_t a = t->oy0 * ow + t->lo, b = (t->oy1 - 1) * ow + t->hi, shift = t->dy * g->w + t->dx;
    memset(row, 0, (size_t)a * sizeof(float));
    memcpy(row + a, plane + a + shift, (size_t)(b - a) * sizeof(float));
    memset(row + b, 0, (size_t)(end - b) * sizeof(float));
    zero_wrapped(g, t, row);
    return;
  }
  memset(row, 0, (size_t)(t->oy0 * ow) * sizeof(float));
  for (int64_t oy = t->oy0; oy < t->oy1; oy++) {
    float *dst = row + oy * ow;
    const float *src = plane + (oy * g->sh + t->dy) * g->w;
    for (int64_t ox = 0; ox < t->lo; ox++) dst[ox] = 0.0f;
    if (g->sw == 1)
      for (int64_t ox = t->lo; ox < t->hi; ox++) dst[ox] = src[ox + t->dx];
    else
      for (int64_t ox = t->lo; ox < t->hi; ox++) dst[ox] = src[ox * g->sw + t->dx];
    for (int64_t ox = t->hi; ox < ow; ox++) dst[ox] = 0.0f;
  }
  memset(row + t->oy1 * ow, 0, (size_t)(end - t->oy1 * ow) * sizeof(float));
}

/* dst[i] += src[i], eight at a time: a fixed inner count vectorises even
 * at -O2, where GCC will not vectorise a loop that needs a remainder. */
static void add_run(float *restrict dst, const float *restrict src, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; j++) dst[i + j] += src[i + j];
  for (; i < n; i++) dst[i] += src[i];
}

/* The adjoint: add each entry of a row of dcol to the input element it was
 * gathered from. The shifted form adds the whole run at once, after zeroing
 * the wrapped entries of dcol (scratch) so they add nothing. */
static void col2im_row(const nnd_conv_geom *g, const conv_tap *t, float *restrict row,
                       float *restrict plane) {
  int64_t ow = g->ow;
  if (t->oy0 == t->oy1) return;
  if (shifted(g)) {
    int64_t a = t->oy0 * ow + t->lo, b = (t->oy1 - 1) * ow + t->hi, shift = t->dy * g->w + t->dx;
    zero_wrapped(g, t, row);
    add_run(plane + (a + shift), row + a, b - a);
    return;
  }
  for (int64_t oy = t->oy0; oy < t->oy1; oy++) {
    const float *src = row + oy * ow;
    float *dst = plane + (oy * g->sh + t->dy) * g->w;
    if (g->sw == 1)
      add_run(dst + (t->lo + t->dx), src + t->lo, t->hi - t->lo);
    else
      for (int64_t ox = t->lo; ox < t->hi; ox++) dst[ox * g->sw + t->dx] += src[ox];
  }
}

/* Rows of col for channels [c0, c1) of one sample. */
static void im2col_channels(const conv_plan *pl, const float *x, float *col, int64_t c0,
                            int64_t c1) {
  const nnd_conv_geom *g = &pl->g;
  for (int64_t ky = 0; ky < g->kh; ky++)
    for (int64_t kx = 0; kx < g->kw; kx++) {
      conv_tap t = tap(g, ky, kx);
      for (int64_t c = c0; c < c1; c++)
        im2col_row(g, &t, x + c * g->h * g->w, col + ((c * g->kh + ky) * g->kw + kx) * pl->p);
    }
}

/* Channels never overlap in dx, so they may run in parallel. */
static void col2im_channels(const conv_plan *pl, float *dcol, float *dx, int64_t c0, int64_t c1) {
  const nnd_conv_geom *g = &pl->g;
  for (int64_t ky = 0; ky < g->kh; ky++)
    for (int64_t kx = 0; kx < g->kw; kx++) {
      conv_tap t = tap(g, ky, kx);
      for (int64_t c = c0; c < c1; c++)
        col2im_row(g, &t, dcol + ((c * g->kh + ky) * g->kw + kx) * pl->p, dx + c * g->h * g->w);
    }
}

/* threads > 1 only outside a parallel region (a small batch). A
 * region is never opened for one thread: libgomp allocates its team. */
static void im2col(const conv_plan *pl, const float *x, float *col, int threads) {
  int64_t c = pl->g.c;
  if (threads < 2 || c < 2 || pl->ckk * pl->p < PARALLEL_COL_FLOATS) {
    im2col_channels(pl, x, col, 0, c);
    return;
  }
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
  {
    int t = omp_get_thread_num(), nt = omp_get_num_threads();
    im2col_channels(pl, x, col, c * t / nt, c * (t + 1) / nt);
  }
#endif
}

static void col2im(const conv_plan *pl, float *dcol, float *dx, int threads) {
  int64_t c = pl->g.c;
  if (threads < 2 || c < 2 || pl->ckk * pl->p < PARALLEL_COL_FLOATS) {
    col2im_channels(pl, dcol, dx, 0, c);
    return;
  }
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
  {
    int t = omp_get_thread_num(), nt = omp_get_num_threads();
    col2im_channels(pl, dcol, dx, c * t / nt, c * (t + 1) / nt);
  }
#endif
}

/* ------------------------------------------------------ per sample */

/* row[0..n) = v, eight at a time (as add_run). */
static void fill(float *restrict row, float v, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; j++) row[i + j] = v;
  for (; i < n; i++) row[i] = v;
}

static void forward_sample(const conv_plan *pl, const float *x, const float *w, const float *b,
                           float *y, float *col, int threads) {
  int f = (int)pl->g.f, p = (int)pl->p, ckk = (int)pl->ckk;
  const float *src = x;
  if (!pl->direct) {
    im2col(pl, x, col, threads);
    src = col;
  }
  if (b)
    for (int i = 0; i < f; i++) fill(y + (int64_t)i * p, b[i], p);
  nnd_blas_gemm(CblasNoTrans, CblasNoTrans, f, p, ckk, 1.0f, w, ckk, src, p, b ? 1.0f : 0.0f, y, p);
}

/* The sum of one row of dy in a fixed order: eight double lanes, written
 * out so they stay in registers and vectorise at -O2 (without -ffast-math
 * GCC will not reorder a plain sum), keeping every digit float can give. */
static double row_sum(const float *r, int64_t n) {
  double l0 = 0, l1 = 0, l2 = 0, l3 = 0, l4 = 0, l5 = 0, l6 = 0, l7 = 0;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    l0 += r[i];
    l1 += r[i + 1];
    l2 += r[i + 2];
    l3 += r[i + 3];
    l4 += r[i + 4];
    l5 += r[i + 5];
    l6 += r[i + 6];
    l7 += r[i + 7];
  }
  double s = ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7));
  for (; i < n; i++) s += r[i];
  return s;
}

/* One sample's share of the backward pass: its dy row sums into sums (when
 * there is a bias), dy_n col^T into dw (beta 0 starts a partial, 1 adds to
 * it) and its input gradient into dx (stored when dx_assign: the sample's
 * slice is then zeroed here, by the thread about to scatter into it). */
static void backward_sample(const conv_plan *pl, const float *x, const float *w, const float *dy,
                            double *sums, float *dw, float dw_beta, float *dx, int dx_assign,
                            float *col, int threads) {
  int f = (int)pl->g.f, p = (int)pl->p, ckk = (int)pl->ckk;
  if (sums)
    for (int i = 0; i < f; i++) sums[i] = row_sum(dy + (int64_t)i * p, p);
  if (dw) {
    const float *src = x;
    if (!pl->direct) {
      im2col(pl, x, col, threads);
      src = col;
    }
    nnd_blas_gemm(CblasNoTrans, CblasTrans, f, ckk, p, 1.0f, dy, p, src, p, dw_beta, dw, ckk);
  }
  if (dx) {
    if (pl->direct) {
      nnd_blas_gemm(CblasTrans, CblasNoTrans, ckk, p, f, 1.0f, w, ckk, dy, p,
                    dx_assign ? 0.0f : 1.0f, dx, p);
    } else {
      nnd_blas_gemm(CblasTrans, CblasNoTrans, ckk, p, f, 1.0f, w, ckk, dy, p, 0.0f, col, p);
      if (dx_assign)
        memset(dx, 0, (size_t)(pl->g.c * pl->g.h * pl->g.w) * sizeof *dx);
      col2im(pl, col, dx, threads);
    }
  }
}

/* ------------------------------------------------------------ kernels */

/* A node's tensors, as one thread's share of the batch needs them. */
typedef struct {
  const nnd_kernel_ctx *ctx;
  const conv_plan *pl;
  const float *x, *w, *b, *dy;
  float *y, *dx, *dw, *db;
  int dx_assign;      /* first writer of dx: store (nnd_grad_assigns) */
  double *sums;
} conv_io;

static conv_io conv_tensors(const nnd_kernel_ctx *ctx, const conv_plan *pl, int backward) {
  conv_io io = {.ctx = ctx, .pl = pl, .x = ctx->inputs[0].data, .w = ctx->inputs[1].data};
  if (!backward) {
    io.b = pl->g.has_bias ? ctx->inputs[2].data : NULL;
    io.y = ctx->output.data;
  } else {
    io.dy = ctx->grad_output->data;
    io.dx = ctx->grad_inputs[0].data;
    io.dw = ctx->grad_inputs[1].data;
    io.db = pl->g.has_bias ? ctx->grad_inputs[2].data : NULL;
    io.sums = io.db ? (double *)ctx->workspace : NULL;
    io.dx_assign = nnd_grad_assigns(ctx, 0);
    /* the parameter gradients are small: a first writer zeroes them */
    if (io.dw && nnd_grad_assigns(ctx, 1))
      memset(io.dw, 0, (size_t)ctx->grad_inputs[1].numel * sizeof *io.dw);
    if (io.db && nnd_grad_assigns(ctx, 2))
      memset(io.db, 0, (size_t)ctx->grad_inputs[2].numel * sizeof *io.db);
  }
  return io;
}

/* Thread t of nt takes samples [n t / nt, n (t + 1) / nt): a fixed split,
 * so a run with the same team is reproducible to the bit. */
static int64_t share(int64_t n, int t, int nt) { return n * t / nt; }

static void forward_share(const conv_io *io, int t, int nt) {
  const conv_plan *pl = io->pl;
  int64_t xs = pl->g.c * pl->g.h * pl->g.w, ys = pl->g.f * pl->p;
  float *col = thread_col(io->ctx, pl, t);
  for (int64_t s = share(pl->g.n, t, nt); s < share(pl->g.n, t + 1, nt); s++)
    forward_sample(pl, io->x + s * xs, io->w, io->b, io->y + s * ys, col, 1);
}

static int conv_forward(const nnd_kernel_ctx *ctx, int nsp) {
  conv_plan pl;
  if (plan_conv(ctx, nsp, &pl) != 0) return -1;
  int team = team_size(ctx, &pl);
  if (team < 1) return -1;
  conv_io io = conv_tensors(ctx, &pl, 0);
  int64_t xs = pl.g.c * pl.g.h * pl.g.w, ys = pl.g.f * pl.p;
  if (!per_sample_threads(pl.g.n, team)) {
    for (int64_t s = 0; s < pl.g.n; s++)
      forward_sample(&pl, io.x + s * xs, io.w, io.b, io.y + s * ys, thread_col(ctx, &pl, 0),
                     nnd_blas_threads());
    return 0;
  }
#ifdef _OPENMP
#pragma omp parallel num_threads(team)
  forward_share(&io, omp_get_thread_num(), omp_get_num_threads());
#else
  forward_share(&io, 0, 1);
#endif
  return 0;
}

/* Thread t's samples into its own partial dW; then, once every partial is
 * complete, its slice of dW += the partials in thread order. Every thread
 * has samples: the team is never larger than the batch. */
static void backward_share(const conv_io *io, int t, int nt) {
  const conv_plan *pl = io->pl;
  int64_t n = pl->g.n, f = pl->g.f, xs = pl->g.c * pl->g.h * pl->g.w, ys = f * pl->p;
  float *col = thread_col(io->ctx, pl, t), *part = io->dw ? thread_dw(io->ctx, pl, t) : NULL;
  int64_t lo = share(n, t, nt), hi = share(n, t + 1, nt);
  for (int64_t s = lo; s < hi; s++)
    backward_sample(pl, io->x + s * xs, io->w, io->dy + s * ys, io->sums ? io->sums + s * f : NULL,
                    part, s == lo ? 0.0f : 1.0f, io->dx ? io->dx + s * xs : NULL,
                    io->dx_assign, col, 1);
  if (!io->dw) return;
#ifdef _OPENMP
#pragma omp barrier
#endif
  int64_t m = f * pl->ckk;
  for (int64_t i = share(m, t, nt); i < share(m, t + 1, nt); i++) {
    float acc = 0.0f;
    for (int u = 0; u < nt; u++) acc += thread_dw(io->ctx, pl, u)[i];
    io->dw[i] += acc;
  }
}

static int conv_backward(const nnd_kernel_ctx *ctx, int nsp) {
  conv_plan pl;
  if (plan_conv(ctx, nsp, &pl) != 0) return -1;
  int team = team_size(ctx, &pl);
  if (team < 1) return -1;
  conv_io io = conv_tensors(ctx, &pl, 1);
  int64_t n = pl.g.n, f = pl.g.f, xs = pl.g.c * pl.g.h * pl.g.w, ys = f * pl.p;
  if (!per_sample_threads(n, team)) {
    /* one sample at a time: dW gathers straight into the gradient */
    for (int64_t s = 0; s < n; s++)
      backward_sample(&pl, io.x + s * xs, io.w, io.dy + s * ys, io.sums ? io.sums + s * f : NULL,
                      io.dw, 1.0f, io.dx ? io.dx + s * xs : NULL, io.dx_assign,
                      thread_col(ctx, &pl, 0), nnd_blas_threads());
  } else {
#ifdef _OPENMP
#pragma omp parallel num_threads(team)
    backward_share(&io, omp_get_thread_num(), omp_get_num_threads());
#else
    backward_share(&io, 0, 1);
#endif
  }
  if (io.db)
    for (int64_t i = 0; i < f; i++) {
      double acc = 0;
      for (int64_t s = 0; s < n; s++) acc += io.sums[s * f + i];
      io.db[i] += (float)acc;
    }
  return 0;
}

int nnd_blas_conv1d_forward(const nnd_kernel_ctx *ctx) { return conv_forward(ctx, 1); }
int nnd_blas_conv1d_backward(const nnd_kernel_ctx *ctx) { return conv_backward(ctx, 1); }
size_t nnd_blas_conv1d_workspace(const nnd_kernel_ctx *ctx) { return conv_workspace(ctx, 1); }
int nnd_blas_conv2d_forward(const nnd_kernel_ctx *ctx) { return conv_forward(ctx, 2); }
int nnd_blas_conv2d_backward(const nnd_kernel_ctx *ctx) { return conv_backward(ctx, 2); }
size_t nnd_blas_conv2d_workspace(const nnd_kernel_ctx *ctx) { return conv_workspace(ctx, 2); }
