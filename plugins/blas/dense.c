/* dense.c — the dense layer as three sgemm calls: y = x W^T + b forward,
 * dW += dy^T x and dx += dy W backward, with PyTorch's weight layout
 * [out, in] (so the forward product reads W transposed, for free). Each
 * call is split over the threads by nnd_blas_gemm; beta = 1 makes the
 * backward products add into the gradient buffers, as the kernel contract
 * asks, without a scratch copy. */
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "blas.h"

/* Below this many elements of dy its column sums run on one thread: waking
 * the team would cost more than the adds. */
#define PARALLEL_SUM_FLOATS (1 << 18)

/* ------------------------------------------------------------ batch 1 */

/* One sample whose inputs are mostly zeros (an MNIST digit: about 80% of
 * its pixels) is multiplied block by block, skipping each block of BLOCK
 * inputs that are all zero: their products are zeros, so the forward sum
 * and dW = dy x^T lose nothing (dW there keeps the zeros it was given; a
 * non-finite weight or dy times a skipped 0 is not the NaN it would be,
 * but the trainer stops at the first non-finite gradient or loss, which
 * the other terms still show). At most MAX_BLOCKS blocks are listed, on
 * the stack: no allocation in a step. Below SPARSE_SHARE of the blocks
 * nonzero the skipping pays; above it sgemv/sger, which are faster per
 * element, win. */
#define BLOCK 16
#define MAX_BLOCKS 4096
#define SPARSE_SHARE 0.75

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define DENSE_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define DENSE_CLONES
#endif

/* The blocks of x holding a nonzero, into blocks[]; their count, or -1
 * when the list would not pay (or not fit). */
static int nonzero_blocks(const float *x, int in, int *blocks) {
  int total = (in + BLOCK - 1) / BLOCK, count = 0;
  if (total > MAX_BLOCKS) return -1;
  for (int b = 0; b < total; b++) {
    int lo = b * BLOCK, hi = lo + BLOCK < in ? lo + BLOCK : in, any = 0;
    for (int k = lo; k < hi; k++) any |= x[k] != 0;
    if (any) blocks[count++] = b;
  }
  return count <= SPARSE_SHARE * total ? count : -1;
}

/* The listed blocks that hold BLOCK inputs: all but a last one that runs
 * past the end of x (the list is in increasing order). Full blocks are
 * summed in BLOCK lanes that stay in registers; the short one apart. */
static int full_blocks(const int *blocks, int nb, int in) {
  return nb > 0 && blocks[nb - 1] * BLOCK + BLOCK > in ? nb - 1 : nb;
}

/* y[o] (+)= sum over the listed blocks of w[o][k] x[k] */
DENSE_CLONES static void sparse_forward(const float *x, const float *w, float *y, int in, int out,
                                        const int *blocks, int nb, int add) {
  int nfull = full_blocks(blocks, nb, in);
  for (int o = 0; o < out; o++) {
    const float *row = w + (int64_t)o * in;
    float acc[BLOCK] = {0};
    for (int i = 0; i < nfull; i++) {
      const float *wr = row + blocks[i] * BLOCK, *xr = x + blocks[i] * BLOCK;
      for (int k = 0; k < BLOCK; k++) acc[k] += wr[k] * xr[k];
    }
    float sum = 0;
    for (int k = 0; k < BLOCK; k++) sum += acc[k];
    for (int k = nfull < nb ? blocks[nfull] * BLOCK : in; k < in; k++) sum += row[k] * x[k];
    y[o] = add ? y[o] + sum : sum;
  }
}

/* dw[o][k] += dy[o] x[k] over the listed blocks; with `store` (the
 * gradient's first writer) dw[o][k] = dy[o] x[k] everywhere instead, the
 * unlisted blocks zeroed, in one pass over dW rather than a memset and a
 * second one. `+ 0.0f` keeps the stored value the memset-then-add's bit for
 * bit: a product of -0 becomes +0, which sgd's skip of all-zero blocks
 * recognises. */
DENSE_CLONES static void sparse_outer(const float *x, const float *dy, float *dw, int in, int out,
                                      const int *blocks, int nb, int store) {
  int nfull = full_blocks(blocks, nb, in), tail = nfull < nb ? blocks[nfull] * BLOCK : in;
  for (int o = 0; o < out; o++) {
    float *row = dw + (int64_t)o * in, a = dy[o];
    int at = 0; /* store: the columns before it are written */
    for (int i = 0; i < nfull; i++) {
      int lo = blocks[i] * BLOCK;
      float *dr = row + lo;
      const float *xr = x + lo;
      if (store) {
        if (lo > at) memset(row + at, 0, (size_t)(lo - at) * sizeof *row);
        for (int k = 0; k < BLOCK; k++) dr[k] = a * xr[k] + 0.0f;
        at = lo + BLOCK;
      } else {
        for (int k = 0; k < BLOCK; k++) dr[k] += a * xr[k];
      }
    }
    if (store) {
      if (tail > at) memset(row + at, 0, (size_t)(tail - at) * sizeof *row);
      for (int k = tail; k < in; k++) row[k] = a * x[k] + 0.0f;
    } else {
      for (int k = tail; k < in; k++) row[k] += a * x[k];
    }
  }
}

static int dense_dims(const nnd_kernel_ctx *ctx, nnd_dense_dims *d) {
  if (nnd_dense_shape(ctx, d) != 0) return -1;
  if (!nnd_blas_fits(d->batch, d->in, d->out))
    return nnd_kernel_fail(ctx, "sizes beyond the BLAS integer range");
  return 0;
}

int nnd_blas_dense_forward(const nnd_kernel_ctx *ctx) {
  nnd_dense_dims d;
  if (dense_dims(ctx, &d) != 0) return -1;
  const float *x = ctx->inputs[0].data, *w = ctx->inputs[1].data;
  float *y = ctx->output.data;
  int n = (int)d.batch, in = (int)d.in, out = (int)d.out;
  if (n == 1 && in > 0 && out > 0) {
    /* one sample (per-example training): a matrix-vector product, without
       the packing sgemm does for a matrix */
    if (d.has_bias) memcpy(y, ctx->inputs[2].data, (size_t)out * sizeof(float));
    int blocks[MAX_BLOCKS], nb = nonzero_blocks(x, in, blocks);
    if (nb >= 0) {
      sparse_forward(x, w, y, in, out, blocks, nb, d.has_bias);
      return 0;
    }
    cblas_sgemv(CblasRowMajor, CblasNoTrans, out, in, 1.0f, w, in, x, 1,
                d.has_bias ? 1.0f : 0.0f, y, 1);
    return 0;
  }
  if (d.has_bias) {
    /* the bias rows first, then the product adds onto them (beta = 1) */
    const float *b = ctx->inputs[2].data;
    for (int r = 0; r < n; r++) memcpy(y + (int64_t)r * out, b, (size_t)out * sizeof(float));
  }
  nnd_blas_gemm(CblasNoTrans, CblasTrans, n, out, in, 1.0f, x, in, w, in, d.has_bias ? 1.0f : 0.0f,
                y, out);
  return 0;
}

/* db[c] += the sum over rows of dy[., c], for columns [lo, hi): eight
 * columns at a time in double accumulators that stay in registers, each
 * summed in row order, so db is the same whatever the thread count. */
static void column_sums(const float *dy, int64_t rows, int64_t cols, int64_t lo, int64_t hi,
                        float *db) {
  int64_t c = lo;
  for (; c + 8 <= hi; c += 8) {
    double l0 = 0, l1 = 0, l2 = 0, l3 = 0, l4 = 0, l5 = 0, l6 = 0, l7 = 0;
    for (int64_t r = 0; r < rows; r++) {
      const float *v = dy + r * cols + c;
      l0 += v[0];
      l1 += v[1];
      l2 += v[2];
      l3 += v[3];
      l4 += v[4];
      l5 += v[5];
      l6 += v[6];
      l7 += v[7];
    }
    db[c] += (float)l0;
    db[c + 1] += (float)l1;
    db[c + 2] += (float)l2;
    db[c + 3] += (float)l3;
    db[c + 4] += (float)l4;
    db[c + 5] += (float)l5;
    db[c + 6] += (float)l6;
    db[c + 7] += (float)l7;
  }
  for (; c < hi; c++) {
    double l = 0;
    for (int64_t r = 0; r < rows; r++) l += dy[r * cols + c];
    db[c] += (float)l;
  }
}

int nnd_blas_dense_backward(const nnd_kernel_ctx *ctx) {
  nnd_dense_dims d;
  if (dense_dims(ctx, &d) != 0) return -1;
  const float *x = ctx->inputs[0].data, *w = ctx->inputs[1].data;
  const float *dy = ctx->grad_output->data;
  float *dx = ctx->grad_inputs[0].data, *dw = ctx->grad_inputs[1].data;
  float *db = d.has_bias ? ctx->grad_inputs[2].data : NULL;
  int n = (int)d.batch, in = (int)d.in, out = (int)d.out;
  /* a first writer (nnd_grad_assigns) stores: beta 0 where a product
     writes the whole gradient, zeroed first where something adds */
  float dx_beta = dx && nnd_grad_assigns(ctx, 0) ? 0.0f : 1.0f;
  float dw_beta = dw && nnd_grad_assigns(ctx, 1) ? 0.0f : 1.0f;
  if (db && nnd_grad_assigns(ctx, 2)) memset(db, 0, (size_t)out * sizeof *db);
  if (n == 1 && in > 0 && out > 0) {
    /* one sample: dW += dy x^T is a rank-1 update, dx += W^T dy a
       matrix-vector product (sgemm would pack both operands first) */
    int blocks[MAX_BLOCKS], nb = dw ? nonzero_blocks(x, in, blocks) : -1;
    if (nb >= 0) {
      sparse_outer(x, dy, dw, in, out, blocks, nb, dw_beta == 0.0f);
    } else if (dw) {
      if (dw_beta == 0.0f) memset(dw, 0, (size_t)in * (size_t)out * sizeof *dw);
      cblas_sger(CblasRowMajor, out, in, 1.0f, dy, 1, x, 1, dw, in);
    }
    if (dx) cblas_sgemv(CblasRowMajor, CblasTrans, out, in, 1.0f, w, in, dy, 1, dx_beta, dx, 1);
  } else {
    if (dw) nnd_blas_gemm(CblasTrans, CblasNoTrans, out, in, n, 1.0f, dy, out, x, in, dw_beta, dw, in);
    if (dx) nnd_blas_gemm(CblasNoTrans, CblasNoTrans, n, in, out, 1.0f, dy, out, w, in, dx_beta, dx, in);
  }
  if (db) {
    int threads = nnd_blas_threads();
    int64_t blocks = (out + 7) / 8;
    if (threads < 2 || blocks < 2 || (int64_t)n * out < PARALLEL_SUM_FLOATS) {
      column_sums(dy, n, out, 0, out, db);
    } else {
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
      {
        /* whole blocks of eight columns per thread */
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        int64_t lo = blocks * t / nt * 8, hi = blocks * (t + 1) / nt * 8;
        column_sums(dy, n, out, lo, hi < out ? hi : out, db);
      }
#endif
    }
  }
  return 0;
}
