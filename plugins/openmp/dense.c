/* dense.c — the register tile that dense and conv share, and the openmp
 * dense kernel: y = x W^T + b with PyTorch's weight layout [out, in], and
 * its backward dx = dy W, dW = dy^T x, db = sum dy.
 *
 * All three products are tiles of R rows of the result by C contiguous
 * columns, accumulated over the shared index with the row factors
 * broadcast and the column vectors loaded once per step for all rows. dx
 * and dW read their column operand (W, x) in its natural layout; forward
 * would need x's rows as columns, so it first transposes x into the
 * workspace (N x in floats, much smaller than W at the usual batch sizes).
 * A batch narrower than a tile (inference on a few samples) takes dot
 * products in double instead, reading W once per pair of samples.
 *
 * Determinism: each result element belongs to exactly one tile (or dot
 * product), computed by one thread in a loop order fixed by the shapes and
 * the CPU, so the results are bitwise the same for any thread count. db is
 * summed per output over the batch in order. */
/* The build's CFLAGS may end in -O2 (automake puts them after the
 * plugin's -O3), and at -O2 GCC does not unroll the tile loops into
 * registers: ask for O3 here. Contraction to FMA is what the tile is for;
 * ISO C mode (-std=c11) turns it off. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "fp-contract=fast")
#endif

#include <string.h>

#include "openmp.h"

/* ------------------------------------------------------ register tile */

/* The sum over k runs in blocks of this many terms, each block's float sum
 * added to a running total: the rounding error grows with the block length
 * and the number of blocks rather than with the whole length, which keeps
 * a 30,000-term product close to naive's double sums. */
#define TILE_K 64

/* The shape in vectors: ROWS x VECS accumulators, 12 of the 16 vector
 * registers of AVX2 and SSE2 (of 8 and 4 floats), with the loaded row of b
 * and a broadcast beside them (AVX-512 has 32, of 16 floats); the double
 * totals wait on the stack between blocks. Each step loads VECS vectors
 * and ROWS scalars for ROWS x VECS multiply-adds. */
#define TILE_ROWS 6
#define TILE_VECS 2

/* GCC's vector types: the tile is written with them so that its
 * accumulators are plainly registers, whatever the optimiser thinks of
 * arrays. Loads and stores go through memcpy (unaligned). */
typedef float f32x2 __attribute__((vector_size(8)));
typedef float f32x4 __attribute__((vector_size(16)));
typedef float f32x8 __attribute__((vector_size(32)));
typedef float f32x16 __attribute__((vector_size(64)));
typedef double f64x2 __attribute__((vector_size(16)));
typedef double f64x4 __attribute__((vector_size(32)));
typedef double f64x8 __attribute__((vector_size(64)));

/* tile_body_W(R, V, ...): R rows by V vectors of W floats, R and V
 * constants after inlining. `a` and `c` are the tile's row pointers from
 * the first row this body handles. Each block of TILE_K steps sums in
 * float from zero and is added to a total kept in double (each float
 * vector as two halves HT converted to DT, registers of the same width),
 * so the error is a block's, not the whole length's. */
#define TILE_BODY(W, VT, HT, DT)                                                        \
  NND_OPENMP_INLINE void tile_step_##W(const int R, const int V, const float *const *a,  \
                                       int64_t ak, int64_t k, const float *bk,          \
                                       VT acc[][TILE_VECS]) {                           \
    VT bv[TILE_VECS];                                                                   \
    for (int v = 0; v < V; v++) memcpy(&bv[v], bk + v * W, sizeof(VT));                \
    for (int r = 0; r < R; r++) {                                                       \
      VT av = a[r][k * ak] - (VT){0};                                                   \
      for (int v = 0; v < V; v++) acc[r][v] += av * bv[v];                              \
    }                                                                                   \
  }                                                                                     \
  NND_OPENMP_INLINE void tile_body_##W(const int R, const int V, const float *const *a,  \
                                       float *const *c, const nnd_openmp_tile *t) {     \
    DT tot[TILE_ROWS][2 * TILE_VECS];                                                   \
    VT acc[TILE_ROWS][TILE_VECS];                                                       \
    if (t->k <= TILE_K) {                                                               \
      /* one block (a small convolution's taps): no total to keep */                    \
      for (int r = 0; r < R; r++)                                                       \
        for (int v = 0; v < V; v++) acc[r][v] = (VT){0};                                \
      if (t->boff)                                                                      \
        for (int64_t k = 0; k < t->k; k++)                                              \
          tile_step_##W(R, V, a, t->ak, k, t->b + t->boff[k], acc);                     \
      else                                                                              \
        for (int64_t k = 0; k < t->k; k++)                                              \
          tile_step_##W(R, V, a, t->ak, k, t->b + k * t->ldb, acc);                     \
      for (int r = 0; r < R; r++) {                                                     \
        float out[TILE_VECS * W];                                                       \
        memcpy(out, acc[r], sizeof(VT) * (size_t)V);                                    \
        if (t->cj == 1)                                                                 \
          for (int j = 0; j < V * W; j++) c[r][j] += out[j];                            \
        else                                                                            \
          for (int j = 0; j < V * W; j++) c[r][j * t->cj] += out[j];                    \
      }                                                                                 \
      return;                                                                           \
    }                                                                                   \
    for (int r = 0; r < R; r++)                                                         \
      for (int v = 0; v < 2 * V; v++) tot[r][v] = (DT){0};                              \
    for (int64_t k0 = 0; k0 < t->k; k0 += TILE_K) {                                     \
      int64_t k1 = t->k - k0 < TILE_K ? t->k : k0 + TILE_K;                             \
      for (int r = 0; r < R; r++)                                                       \
        for (int v = 0; v < V; v++) acc[r][v] = (VT){0};                                \
      if (t->boff)                                                                      \
        for (int64_t k = k0; k < k1; k++)                                               \
          tile_step_##W(R, V, a, t->ak, k, t->b + t->boff[k], acc);                     \
      else                                                                              \
        for (int64_t k = k0; k < k1; k++)                                               \
          tile_step_##W(R, V, a, t->ak, k, t->b + k * t->ldb, acc);                     \
      for (int r = 0; r < R; r++)                                                       \
        for (int v = 0; v < V; v++) {                                                   \
          HT half[2];                                                                   \
          memcpy(half, &acc[r][v], sizeof half);                                        \
          tot[r][2 * v] += __builtin_convertvector(half[0], DT);                        \
          tot[r][2 * v + 1] += __builtin_convertvector(half[1], DT);                    \
        }                                                                               \
    }                                                                                   \
    for (int r = 0; r < R; r++) {                                                       \
      double out[TILE_VECS * W];                                                        \
      memcpy(out, tot[r], sizeof(DT) * (size_t)(2 * V));                                \
      if (t->cj == 1) {                                                                 \
        for (int j = 0; j < V * W; j++) c[r][j] = (float)(c[r][j] + out[j]);            \
      } else {                                                                          \
        for (int j = 0; j < V * W; j++)                                                 \
          c[r][j * t->cj] = (float)(c[r][j * t->cj] + out[j]);                          \
      }                                                                                 \
    }                                                                                   \
  }                                                                                     \
  /* all rows: a full block at once, a short last block by 4, 2 and 1;              \
     fewer columns than the shape go to tile_narrow */                                  \
  NND_OPENMP_INLINE void tile_shaped_##W(const nnd_openmp_tile *t) {                    \
    if (t->cols != TILE_VECS * W) {                                                     \
      tile_narrow(t);                                                                   \
    } else if (t->rows == TILE_ROWS) {                                                  \
      tile_body_##W(TILE_ROWS, TILE_VECS, t->a, t->c, t);                               \
    } else {                                                                            \
      int r = 0;                                                                        \
      if (t->rows >= 4) {                                                               \
        tile_body_##W(4, TILE_VECS, t->a, t->c, t);                                     \
        r = 4;                                                                          \
      }                                                                                 \
      for (; r + 2 <= t->rows; r += 2) tile_body_##W(2, TILE_VECS, t->a + r, t->c + r, t); \
      if (r < t->rows) tile_body_##W(1, TILE_VECS, t->a + r, t->c + r, t);              \
    }                                                                                   \
  }

/* Fewer columns than the shape: one row at a time, a scalar loop the
 * compiler vectorises as it can; the same blocked sums. */
NND_OPENMP_INLINE void tile_narrow(const nnd_openmp_tile *t) {
  for (int r = 0; r < t->rows; r++) {
    double tot[NND_OPENMP_TILE_MAX_COLS] = {0};
    const float *restrict a = t->a[r];
    int cols = t->cols;
    for (int64_t k0 = 0; k0 < t->k; k0 += TILE_K) {
      int64_t k1 = t->k - k0 < TILE_K ? t->k : k0 + TILE_K;
      float acc[NND_OPENMP_TILE_MAX_COLS] = {0};
      for (int64_t k = k0; k < k1; k++) {
        const float *restrict bk = t->b + (t->boff ? t->boff[k] : k * t->ldb);
        float av = a[k * t->ak];
#pragma omp simd
        for (int j = 0; j < cols; j++) acc[j] += av * bk[j];
      }
      for (int j = 0; j < cols; j++) tot[j] += acc[j];
    }
    for (int j = 0; j < cols; j++) t->c[r][j * t->cj] = (float)(t->c[r][j * t->cj] + tot[j]);
  }
}

/* The baseline variant is as wide as the build's own target (so a build
 * with -march=native is not narrowed); wider variants for the CPU to pick
 * exist only above it, since the baseline's bodies cannot be inlined into
 * a function targeting less. */
#if defined(__AVX512F__)
#define BASE_WIDTH 16
TILE_BODY(16, f32x16, f32x8, f64x8)
#elif defined(__AVX2__) && defined(__FMA__)
#define BASE_WIDTH 8
TILE_BODY(8, f32x8, f32x4, f64x4)
#else
#define BASE_WIDTH 4
TILE_BODY(4, f32x4, f32x2, f64x2)
#endif

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#if BASE_WIDTH < 8
#define HAVE_V3 1
TILE_BODY(8, f32x8, f32x4, f64x4)
__attribute__((target("arch=x86-64-v3"))) static void tile_v3(const nnd_openmp_tile *t) {
  tile_shaped_8(t);
}
#endif
#if BASE_WIDTH < 16
#define HAVE_V4 1
TILE_BODY(16, f32x16, f32x8, f64x8)
__attribute__((target("arch=x86-64-v4"))) static void tile_v4(const nnd_openmp_tile *t) {
  tile_shaped_16(t);
}
#endif
#endif

static void tile_base(const nnd_openmp_tile *t) {
#if BASE_WIDTH == 16
  tile_shaped_16(t);
#elif BASE_WIDTH == 8
  tile_shaped_8(t);
#else
  tile_shaped_4(t);
#endif
}

nnd_openmp_tile_fn nnd_openmp_tile_select(int *rows, int *cols) {
  *rows = TILE_ROWS;
#if defined(HAVE_V3) || defined(HAVE_V4)
  __builtin_cpu_init();
#endif
#ifdef HAVE_V4
  if (__builtin_cpu_supports("x86-64-v4")) {
    *cols = TILE_VECS * 16;
    return tile_v4;
  }
#endif
#ifdef HAVE_V3
  if (__builtin_cpu_supports("x86-64-v3")) {
    *cols = TILE_VECS * 8;
    return tile_v3;
  }
#endif
  *cols = TILE_VECS * BASE_WIDTH;
  return tile_base;
}

/* --------------------------------------------------------------- dense */

static int64_t blocks(int64_t n, int64_t size) { return (n + size - 1) / size; }

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* One tile of a product whose rows (of a and c) are evenly spaced: row r
 * of a at a0 + r * ar, of c at c0 + r * cr. */
static void tile_strided(nnd_openmp_tile_fn run, int64_t k, const float *a0, int64_t ar,
                         int64_t ak, const float *b, int64_t ldb, float *c0, int64_t cr,
                         int64_t cj, int rows, int cols) {
  const float *a[NND_OPENMP_TILE_MAX_ROWS];
  float *c[NND_OPENMP_TILE_MAX_ROWS];
  for (int r = 0; r < rows; r++) {
    a[r] = a0 + r * ar;
    c[r] = c0 + r * cr;
  }
  nnd_openmp_tile t = {.k = k, .a = a, .ak = ak, .b = b, .boff = NULL, .ldb = ldb,
                       .c = c, .cj = cj, .rows = rows, .cols = cols};
  run(&t);
}

size_t nnd_openmp_dense_workspace(const nnd_kernel_ctx *ctx) {
  nnd_dense_dims d;
  if (nnd_dense_shape(ctx, &d) != 0) return 0;
  return (size_t)(d.batch * d.in) * sizeof(float);
}

/* sum_k x[k] w[k] for 2 rows of x and 4 of w at once, each x and w load
 * shared by 4 and 2 products, vectorised along k. The sums are in double:
 * a narrow batch streams W from memory, so the wider arithmetic costs
 * nothing, and inference then matches naive's sums closely. */
static void dots_2x4(int64_t K, const float *const *x, const float *const *w, double out[2][4]) {
  const float *restrict x0 = x[0], *restrict x1 = x[1];
  const float *restrict w0 = w[0], *restrict w1 = w[1], *restrict w2 = w[2], *restrict w3 = w[3];
  double s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
#pragma omp simd reduction(+ : s00, s01, s02, s03, s10, s11, s12, s13)
  for (int64_t k = 0; k < K; k++) {
    double a = x0[k], b = x1[k];
    s00 += a * w0[k], s01 += a * w1[k], s02 += a * w2[k], s03 += a * w3[k];
    s10 += b * w0[k], s11 += b * w1[k], s12 += b * w2[k], s13 += b * w3[k];
  }
  out[0][0] = s00, out[0][1] = s01, out[0][2] = s02, out[0][3] = s03;
  out[1][0] = s10, out[1][1] = s11, out[1][2] = s12, out[1][3] = s13;
}

/* Batches narrower than a tile (inference on a few samples), and a host
 * that gave no workspace: y[n][o] as dot products of rows of x and W,
 * which reads W once per pair of samples instead of transposing x. Rows
 * past the end of a block repeat the last one and are not stored. */
static void forward_dots(const nnd_dense_dims *d, const float *x, const float *w,
                         const float *bias, float *y) {
  int64_t N = d->batch, I = d->in, O = d->out, ob = blocks(O, 4), nb = blocks(N, 2);
  NND_OPENMP_PARALLEL(N * I * O > NND_OPENMP_MIN_MACS,
      "omp parallel for schedule(static) collapse(2)",
  for (int64_t b = 0; b < ob; b++)
    for (int64_t e = 0; e < nb; e++) {
      const float *xr[2], *wr[4];
      for (int j = 0; j < 2; j++) xr[j] = x + min64(e * 2 + j, N - 1) * I;
      for (int j = 0; j < 4; j++) wr[j] = w + min64(b * 4 + j, O - 1) * I;
      double s[2][4];
      dots_2x4(I, xr, wr, s);
      for (int64_t n = e * 2; n < min64(e * 2 + 2, N); n++)
        for (int64_t o = b * 4; o < min64(b * 4 + 4, O); o++)
          y[n * O + o] = (float)((bias ? bias[o] : 0.0) + s[n - e * 2][o - b * 4]);
    });
}

int nnd_openmp_dense_forward(const nnd_kernel_ctx *ctx) {
  nnd_dense_dims d;
  if (nnd_dense_shape(ctx, &d) != 0) return -1;
  const int64_t N = d.batch, I = d.in, O = d.out;
  const float *x = ctx->inputs[0].data, *w = ctx->inputs[1].data;
  const float *bias = d.has_bias ? ctx->inputs[2].data : NULL;
  float *y = ctx->output.data, *xt = ctx->workspace;
  int R, C;
  nnd_openmp_tile_fn run = nnd_openmp_tile_select(&R, &C);
  if (N < C || !xt || ctx->workspace_size < (size_t)(N * I) * sizeof(float)) {
    forward_dots(&d, x, w, bias, y);
    return 0;
  }
  int64_t rb = blocks(O, R), cb = blocks(N, C);
  /* one team for the three loops: waking the threads costs more than a
     barrier */
  NND_OPENMP_PARALLEL(N * I * O > NND_OPENMP_MIN_MACS, "omp parallel",
  {
    /* xt[i][n] = x[n][i]: a tile's columns are then contiguous samples */
_Pragma("omp for schedule(static) nowait")
    for (int64_t i = 0; i < I; i++)
      for (int64_t n = 0; n < N; n++) xt[i * N + n] = x[n * I + i];
_Pragma("omp for schedule(static)")
    for (int64_t n = 0; n < N; n++)
      for (int64_t o = 0; o < O; o++) y[n * O + o] = bias ? bias[o] : 0.0f;
    /* tiles: R outputs (rows of W) by C samples */
_Pragma("omp for schedule(static) collapse(2)")
    for (int64_t r = 0; r < rb; r++)
      for (int64_t s = 0; s < cb; s++) {
        int64_t o0 = r * R, n0 = s * C;
        tile_strided(run, I, w + o0 * I, I, 1, xt + n0, N, y + n0 * O + o0, 1, O,
                     (int)min64(R, O - o0), (int)min64(C, N - n0));
      }
  });
  return 0;
}

/* dx, dW and db write different buffers: one team runs the three loops
 * without waiting between them. */
int nnd_openmp_dense_backward(const nnd_kernel_ctx *ctx) {
  nnd_dense_dims d;
  if (nnd_dense_shape(ctx, &d) != 0) return -1;
  const int64_t N = d.batch, I = d.in, O = d.out;
  const float *x = ctx->inputs[0].data, *w = ctx->inputs[1].data;
  const float *dy = ctx->grad_output->data;
  float *dx = ctx->grad_inputs[0].data, *dw = ctx->grad_inputs[1].data;
  float *db = d.has_bias ? ctx->grad_inputs[2].data : NULL;
  int R, C;
  nnd_openmp_tile_fn run = nnd_openmp_tile_select(&R, &C);
  /* no tiles for a buffer that needs no gradient */
  int64_t cb = blocks(I, C), nb = dx ? blocks(N, R) : 0, ob = dw ? blocks(O, R) : 0;
  int64_t work = N * I * O * ((dx != NULL) + (dw != NULL));
  NND_OPENMP_PARALLEL(work > NND_OPENMP_MIN_MACS, "omp parallel",
  {
    /* dx[n][i] += sum_o dy[n][o] W[o][i]: rows are samples, columns inputs */
_Pragma("omp for schedule(static) collapse(2) nowait")
    for (int64_t r = 0; r < nb; r++)
      for (int64_t s = 0; s < cb; s++) {
        int64_t n0 = r * R, i0 = s * C;
        tile_strided(run, O, dy + n0 * O, O, 1, w + i0, I, dx + n0 * I + i0, I, 1,
                     (int)min64(R, N - n0), (int)min64(C, I - i0));
      }
    /* dW[o][i] += sum_n dy[n][o] x[n][i]: rows are outputs, columns inputs */
_Pragma("omp for schedule(static) collapse(2) nowait")
    for (int64_t r = 0; r < ob; r++)
      for (int64_t s = 0; s < cb; s++) {
        int64_t o0 = r * R, i0 = s * C;
        tile_strided(run, N, dy + o0, 1, O, x + i0, I, dw + o0 * I + i0, I, 1,
                     (int)min64(R, O - o0), (int)min64(C, I - i0));
      }
    /* db: per output, the batch in order, no reduction across threads */
_Pragma("omp for schedule(static)")
    for (int64_t o0 = 0; o0 < (db ? O : 0); o0 += 64) {
      float acc[64] = {0};
      int cols = (int)min64(64, O - o0);
      for (int64_t n = 0; n < N; n++)
_Pragma("omp simd")
        for (int j = 0; j < cols; j++) acc[j] += dy[n * O + o0 + j];
      for (int j = 0; j < cols; j++) db[o0 + j] += acc[j];
    }
  });
  return 0;
}
