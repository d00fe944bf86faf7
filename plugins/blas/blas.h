/* blas.h — internal to the blas plugin: the one sgemm helper every kernel
 * goes through, the thread policy, and the kernels' entry points (collected
 * into the plugin's table by plugin.c). Everything else a kernel needs comes
 * from plugins/common/kernel_geometry.h, so the blas kernels validate shapes
 * and attributes exactly as the naive reference does. */
#ifndef NND_BLAS_H
#define NND_BLAS_H

#include <cblas.h> /* any CBLAS: OpenBLAS by default */
#include <stdint.h>

#include <nnd/plugin.h>

#include "kernel_geometry.h"

/* gemm.c: C = alpha op(A) op(B) + beta C, row-major, as cblas_sgemm;
 * split over the OpenMP pool when it is worth it. */
void nnd_blas_gemm(enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb, int m, int n, int k,
                   float alpha, const float *a, int lda, const float *b, int ldb, float beta,
                   float *c, int ldc);

/* gemm.c: the threads a kernel may use (OMP_NUM_THREADS, --threads; 1
 * without OpenMP), and the process-wide policy applied at registration. */
int nnd_blas_threads(void);
void nnd_blas_init_threads(void);

/* gemm.c: whether every size is small enough for a BLAS int. */
int nnd_blas_fits(int64_t a, int64_t b, int64_t c);

/* dense.c */
int nnd_blas_dense_forward(const nnd_kernel_ctx *ctx);
int nnd_blas_dense_backward(const nnd_kernel_ctx *ctx);

/* conv.c */
int nnd_blas_conv1d_forward(const nnd_kernel_ctx *ctx);
int nnd_blas_conv1d_backward(const nnd_kernel_ctx *ctx);
size_t nnd_blas_conv1d_workspace(const nnd_kernel_ctx *ctx);
int nnd_blas_conv2d_forward(const nnd_kernel_ctx *ctx);
int nnd_blas_conv2d_backward(const nnd_kernel_ctx *ctx);
size_t nnd_blas_conv2d_workspace(const nnd_kernel_ctx *ctx);

#endif
