/* openmp.h — internal to the openmp plugin: its kernels' entry points and
 * the few rules they share.
 *
 * Every kernel here computes what the naive reference computes (same
 * broadcasting, tie-breaking, reductions and optimizer state layout) over
 * OpenMP's thread pool. Results never depend on the number of threads: each
 * output element is written by exactly one thread, in a loop order fixed by
 * the shapes (and the CPU's instruction set), and reductions over the batch
 * are split into chunks chosen by the shapes, never by the thread count,
 * and combined serially. */
#ifndef NND_OPENMP_H
#define NND_OPENMP_H

#include <stddef.h>
#include <stdint.h>

#include <omp.h>

#include <nnd/plugin.h>

#include "kernel_geometry.h"

/* A parallel region only when it pays and the team can be reused. libgomp
 * allocates a fresh team for every region that runs on one thread (an `if`
 * clause that turns out false still enters libgomp), and a training step
 * must not allocate; a region with the whole pool reuses the last team. So
 * the test is made in C and the serial branch runs the same statement
 * without entering libgomp: worksharing pragmas inside it then bind to no
 * team and run whole on the calling thread. The statement is a macro
 * argument, so its inner pragmas are written _Pragma("omp ..."). The SIMD
 * form is for `parallel for simd` loops: the serial one keeps `omp simd`. */
static inline int nnd_openmp_team(void) {
  return omp_get_max_threads() > 1 && !omp_in_parallel();
}

#define NND_OPENMP_PARALLEL(cond, pragma, ...)                                       \
  do {                                                                               \
    if ((cond) && nnd_openmp_team()) {                                               \
      _Pragma(pragma) __VA_ARGS__                                                    \
    } else {                                                                         \
      __VA_ARGS__                                                                    \
    }                                                                                \
  } while (0)

#define NND_OPENMP_PARALLEL_SIMD(cond, pragma, ...)                                  \
  do {                                                                               \
    if ((cond) && nnd_openmp_team()) {                                               \
      _Pragma(pragma) __VA_ARGS__                                                    \
    } else {                                                                         \
      _Pragma("omp simd") __VA_ARGS__                                                \
    }                                                                                \
  } while (0)

/* Below this much work a loop runs on the calling thread: waking the
 * pool and the barrier after cost from a few to tens of microseconds (a
 * sleeping thread, a virtual machine), more than a small tensor's whole
 * computation. In elementwise operations (about 0.1 ns each, vectorised)
 * and in multiply-adds of the register tile (about 0.02 ns each). */
#define NND_OPENMP_MIN_WORK 65536
#define NND_OPENMP_MIN_MACS (1 << 20)

/* Helpers of a hot loop are inlined into each instruction-set variant of
 * it, so they are compiled for that variant too. */
#if defined(__GNUC__)
#define NND_OPENMP_INLINE static inline __attribute__((always_inline))
#else
#define NND_OPENMP_INLINE static inline
#endif

/* Simple vector loops (the optimizers, maxpool's rows) compiled for
 * AVX-512, AVX2 and the baseline, the loader picking the best the CPU runs
 * (an ifunc): the plugin is built without -march. The variants give the
 * same bits where the loop has no contraction to FMA. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define NND_OPENMP_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define NND_OPENMP_CLONES
#endif

/* Reductions across threads (the losses' means): a sum over n terms is
 * cut into at most this many chunks with bounds set by n, each summed in
 * order by one thread, then the chunk sums are added in order: the same
 * result for any number of threads. */
#define NND_OPENMP_CHUNKS 64

/* ------------------------------------------------------ register tile */

/* The one product loop of dense and conv (dense.c): for rows r < rows and
 * columns j < cols,
 *   c[r][j * cj] += sum_k a[r][k * ak] * b_k[j]
 * with b_k = b + boff[k], or b + k * ldb when boff is NULL. The rows share
 * every load of b_k, the columns every broadcast of a; a full tile's
 * accumulators stay in registers, and its sum over k is blocked (float
 * blocks, double total) to stay close to naive's dense layer, which sums
 * in double. The plugin
 * is built without -march, so the tile is compiled for AVX-512, AVX2 and
 * the baseline, with a shape fitting each one's registers, and the CPU
 * picks: the shape depends on the machine only, never on the thread
 * count. */
typedef struct {
  int64_t k;
  const float *const *a; /* `rows` row pointers */
  int64_t ak;
  const float *b;
  const int64_t *boff;   /* NULL: rows of b are ldb apart */
  int64_t ldb;
  float *const *c;       /* `rows` row pointers */
  int64_t cj;
  int rows, cols;        /* at most the shape's */
} nnd_openmp_tile;

/* The largest tile any variant computes at once. */
#define NND_OPENMP_TILE_MAX_ROWS 6
#define NND_OPENMP_TILE_MAX_COLS 32

/* The variant for this CPU, and its tile shape: callers cut their
 * products into tiles of rows x cols (smaller ones at the edges). */
typedef void (*nnd_openmp_tile_fn)(const nnd_openmp_tile *t);
nnd_openmp_tile_fn nnd_openmp_tile_select(int *rows, int *cols);

/* dense.c */
int nnd_openmp_dense_forward(const nnd_kernel_ctx *ctx);
int nnd_openmp_dense_backward(const nnd_kernel_ctx *ctx);
size_t nnd_openmp_dense_workspace(const nnd_kernel_ctx *ctx);

/* conv.c */
int nnd_openmp_conv1d_forward(const nnd_kernel_ctx *ctx);
int nnd_openmp_conv1d_backward(const nnd_kernel_ctx *ctx);
size_t nnd_openmp_conv1d_workspace(const nnd_kernel_ctx *ctx);
int nnd_openmp_conv2d_forward(const nnd_kernel_ctx *ctx);
int nnd_openmp_conv2d_backward(const nnd_kernel_ctx *ctx);
size_t nnd_openmp_conv2d_workspace(const nnd_kernel_ctx *ctx);

/* pool.c: one kernel per op serves [N, C, L] and [N, C, H, W] */
int nnd_openmp_maxpool_forward(const nnd_kernel_ctx *ctx);
int nnd_openmp_maxpool_backward(const nnd_kernel_ctx *ctx);
size_t nnd_openmp_maxpool_workspace(const nnd_kernel_ctx *ctx);
int nnd_openmp_avgpool_forward(const nnd_kernel_ctx *ctx);
int nnd_openmp_avgpool_backward(const nnd_kernel_ctx *ctx);

/* elementwise.c: activations, softmax, add sub mul */
int nnd_openmp_relu_forward(const nnd_kernel_ctx *ctx);
int nnd_openmp_relu_backward(const nnd_kernel_ctx *ctx);
int nnd_openmp_sigmoid_forward(const nnd_kernel_ctx *ctx);
int nnd_openmp_sigmoid_backward(const nnd_kernel_ctx *ctx);
int nnd_openmp_tanh_forward(const nnd_kernel_ctx *ctx);
int nnd_openmp_tanh_backward(const nnd_kernel_ctx *ctx);
int nnd_openmp_leaky_relu_forward(const nnd_kernel_ctx *ctx);
int nnd_openmp_leaky_relu_backward(const nnd_kernel_ctx *ctx);
int nnd_openmp_softmax_forward(const nnd_kernel_ctx *ctx);
int nnd_openmp_softmax_backward(const nnd_kernel_ctx *ctx);
int nnd_openmp_log_softmax_forward(const nnd_kernel_ctx *ctx);
int nnd_openmp_log_softmax_backward(const nnd_kernel_ctx *ctx);
int nnd_openmp_add_forward(const nnd_kernel_ctx *ctx);
int nnd_openmp_add_backward(const nnd_kernel_ctx *ctx);
int nnd_openmp_sub_forward(const nnd_kernel_ctx *ctx);
int nnd_openmp_sub_backward(const nnd_kernel_ctx *ctx);
int nnd_openmp_mul_forward(const nnd_kernel_ctx *ctx);
int nnd_openmp_mul_backward(const nnd_kernel_ctx *ctx);

/* loss.c */
int nnd_openmp_cross_entropy_forward(const nnd_kernel_ctx *ctx);
int nnd_openmp_cross_entropy_backward(const nnd_kernel_ctx *ctx);
int nnd_openmp_nll_forward(const nnd_kernel_ctx *ctx);
int nnd_openmp_nll_backward(const nnd_kernel_ctx *ctx);
int nnd_openmp_bce_forward(const nnd_kernel_ctx *ctx);
int nnd_openmp_bce_backward(const nnd_kernel_ctx *ctx);
int nnd_openmp_mse_forward(const nnd_kernel_ctx *ctx);
int nnd_openmp_mse_backward(const nnd_kernel_ctx *ctx);

/* optimizers.c: sgd adam rmsprop, with the naive state layout */
extern const nnd_optimizer nnd_openmp_optimizers[];
extern const int nnd_openmp_optimizer_count;

#endif
