/* gemm.c — every product of the blas plugin goes through nnd_blas_gemm.
 *
 * Thread policy, one for the whole process: the BLAS library itself runs
 * single-threaded (openblas_set_num_threads(1) at registration), and all
 * parallelism comes from the OpenMP pool, whose size the user sets with
 * OMP_NUM_THREADS or nnd's --threads. Letting OpenBLAS spawn its own threads
 * as well would oversubscribe the cores as soon as a kernel calls sgemm from
 * inside an OpenMP region (the conv kernels run one sample per thread), and
 * the openmp plugin's elementwise kernels already share that same pool. So a
 * large product is cut here into slices of C, one per OpenMP thread, each a
 * single-threaded sgemm; a small one is a single call, since waking the team
 * would cost more than it saves.
 *
 * Slices are cut along M or N, never K: each element of C stays one dot
 * product inside one call, with no cross-thread sum, so a run is
 * reproducible for a given thread count, and another count changes only the
 * rounding (the BLAS tiles a slice edge with other micro-kernels than the
 * middle of a matrix). Every region runs the full team, because libgomp
 * keeps the last team it built and a region of another size would allocate
 * a new one each step. */
#include <limits.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "blas.h"

/* Below this many flops one call wins: a fork/join of the team costs a few
 * microseconds, about what sgemm does with 1 MFLOP at ~100 GFLOP/s. */
#define SERIAL_FLOPS 2.0e6

/* Slices are whole multiples of this many rows or columns, so each thread's
 * share fills the sgemm micro-kernels (their tiles are 4 to 16 wide). */
#define SLICE_ALIGN 16

int nnd_blas_threads(void) {
#ifdef _OPENMP
  /* a kernel called from a thread of someone else's team runs alone: a
     nested region would get one thread anyway, and a fresh team each time */
  if (omp_in_parallel()) return 1;
  int t = omp_get_max_threads();
  return t > 0 ? t : 1;
#else
  return 1;
#endif
}

void nnd_blas_init_threads(void) {
#ifdef NND_HAVE_OPENBLAS_THREADS
#ifdef _OPENMP
  /* An OpenMP build of OpenBLAS implements this with omp_set_num_threads,
     which would shrink the very pool the kernels rely on: keep its size. */
  int pool = omp_get_max_threads();
  openblas_set_num_threads(1);
  omp_set_num_threads(pool);
#else
  openblas_set_num_threads(1);
#endif
#endif
}

int nnd_blas_fits(int64_t a, int64_t b, int64_t c) {
  return a >= 0 && b >= 0 && c >= 0 && a <= INT_MAX && b <= INT_MAX && c <= INT_MAX;
}

/* A BLAS rejects a leading dimension below 1 and reports it by printing,
 * which a kernel must never do: empty products are handled here instead. */
static void gemm_one(enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb, int m, int n, int k,
                     float alpha, const float *a, int lda, const float *b, int ldb, float beta,
                     float *c, int ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (beta == 1.0f) return;
    for (int i = 0; i < m; i++)
      for (int j = 0; j < n; j++) {
        float *e = &c[(int64_t)i * ldc + j];
        *e = beta == 0.0f ? 0.0f : beta * *e; /* beta 0 overwrites, NaN or not */
      }
    return;
  }
  cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda > 0 ? lda : 1, b, ldb > 0 ? ldb : 1,
              beta, c, ldc > 0 ? ldc : 1);
}

void nnd_blas_gemm(enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb, int m, int n, int k,
                   float alpha, const float *a, int lda, const float *b, int ldb, float beta,
                   float *c, int ldc) {
  int threads = nnd_blas_threads(); /* 1 inside a split already made */
  int along_n = n >= m;
  int dim = along_n ? n : m;
  int chunks = dim / SLICE_ALIGN + (dim % SLICE_ALIGN != 0);
  if (threads < 2 || chunks < 2 || 2.0 * m * n * k < SERIAL_FLOPS) {
    gemm_one(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
  {
    int t = omp_get_thread_num(), nt = omp_get_num_threads();
    int lo = (int)((int64_t)chunks * t / nt) * SLICE_ALIGN;
    int hi = (int)((int64_t)chunks * (t + 1) / nt) * SLICE_ALIGN;
    if (hi > dim) hi = dim;
    if (hi > lo) {
      if (along_n) {
        /* columns lo..hi of C need columns lo..hi of op(B) */
        const float *bs = tb == CblasNoTrans ? b + lo : b + (int64_t)lo * ldb;
        gemm_one(ta, tb, m, hi - lo, k, alpha, a, lda, bs, ldb, beta, c + lo, ldc);
      } else {
        const float *as = ta == CblasNoTrans ? a + (int64_t)lo * lda : a + lo;
        gemm_one(ta, tb, hi - lo, n, k, alpha, as, lda, b, ldb, beta, c + (int64_t)lo * ldc, ldc);
      }
    }
  }
#endif
}
