/* naive.h — the naive plugin's kernel tables. The naive backend is the
 * reference: plain loops, obviously correct, every standard op forward and
 * backward. Its files include only <nnd/plugin.h>, the C library and the
 * header-only plugins/common/kernel_geometry.h, so the
 * same code builds as the plugin and links into the tests. */
#ifndef NND_NAIVE_H
#define NND_NAIVE_H

#include <nnd/plugin.h>

#include "kernel_geometry.h"

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
