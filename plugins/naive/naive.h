/* naive.h — the naive plugin's kernel tables. The naive backend is the
 * reference: plain loops, obviously correct, every standard op forward and
 * backward. Its files include only <nnd/plugin.h> and the C library, so the
 * same code builds as the plugin and links into the tests. */
#ifndef NND_NAIVE_H
#define NND_NAIVE_H

#include <stdarg.h>
#include <stdio.h>

#include <nnd/plugin.h>

/* Report why a kernel fails in ctx->message and return -1, so a kernel can
 * `return nnd_naive_fail(ctx, ...)`. No op name: the runtime adds the op
 * and its source position. Kernels never print. */
#if defined(__GNUC__)
static inline int nnd_naive_fail(const nnd_kernel_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#endif
static inline int nnd_naive_fail(const nnd_kernel_ctx *ctx, const char *fmt, ...) {
  if (ctx->message && ctx->message_size > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->message, ctx->message_size, fmt, ap);
    va_end(ap);
  }
  return -1;
}

/* layers: dense conv1d conv2d maxpool avgpool batchnorm dropout */
extern const nnd_kernel nnd_naive_layer_kernels[];
extern const int nnd_naive_layer_kernel_count;

/* add sub mul matmul, activations, flatten reshape concat, losses */
extern const nnd_kernel nnd_naive_math_kernels[];
extern const int nnd_naive_math_kernel_count;

/* sgd adam rmsprop */
extern const nnd_optimizer nnd_naive_optimizers[];
extern const int nnd_naive_optimizer_count;

/* The kernel for op, or NULL (for the tests). */
const nnd_kernel *nnd_naive_kernel(const char *op);

#endif
