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
  if (n == 1 && in > 0 && out > 0) {
    /* one sample: dW += dy x^T is a rank-1 update, dx += W^T dy a
       matrix-vector product (sgemm would pack both operands first) */
    if (dw) cblas_sger(CblasRowMajor, out, in, 1.0f, dy, 1, x, 1, dw, in);
    if (dx) cblas_sgemv(CblasRowMajor, CblasTrans, out, in, 1.0f, w, in, dy, 1, 1.0f, dx, 1);
  } else {
    if (dw) nnd_blas_gemm(CblasTrans, CblasNoTrans, out, in, n, 1.0f, dy, out, x, in, 1.0f, dw, in);
    if (dx) nnd_blas_gemm(CblasNoTrans, CblasNoTrans, n, in, out, 1.0f, dy, out, w, in, 1.0f, dx, in);
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
