/* math.c — the naive plugin's table of arithmetic, activation, reshape,
 * label and loss kernels. The functions live in math_*.c, one file per family; this
 * table is all plugin.c registers. None needs a workspace (backward
 * recomputes from the inputs) and each handles every attribute setting, so
 * `workspace` and `supports` stay NULL. */
#include "math_kernels.h"
#include "naive.h"

#define KERNEL(OP, FN)                                                               \
  {.size = sizeof(nnd_kernel),                                                       \
   .op = OP,                                                                         \
   .backend = "naive",                                                               \
   .forward = nnd_naive_##FN##_forward,                                              \
   .backward = nnd_naive_##FN##_backward}
/* flatten and reshape store the gradient they write first (a copy): on a
   CNN that is the largest buffer between the convolutions and the dense
   layers, which the executor would otherwise zero first */
#define STORING_KERNEL(OP, FN)                                                       \
  {.size = sizeof(nnd_kernel),                                                       \
   .op = OP,                                                                         \
   .backend = "naive",                                                               \
   .forward = nnd_naive_##FN##_forward,                                              \
   .backward = nnd_naive_##FN##_backward,                                            \
   .flags = NND_KERNEL_ASSIGNS_GRADS}

const nnd_kernel nnd_naive_math_kernels[] = {
    KERNEL("add", add),
    KERNEL("sub", sub),
    KERNEL("mul", mul),
    KERNEL("matmul", matmul),
    KERNEL("relu", relu),
    KERNEL("sigmoid", sigmoid),
    KERNEL("tanh", tanh),
    KERNEL("leaky_relu", leaky_relu),
    KERNEL("softmax", softmax),
    KERNEL("log_softmax", log_softmax),
    STORING_KERNEL("flatten", copy),
    STORING_KERNEL("reshape", copy),
    KERNEL("concat", concat),
    KERNEL("one_hot", one_hot),
    KERNEL("cross_entropy", cross_entropy),
    KERNEL("nll", nll),
    KERNEL("binary_cross_entropy", bce),
    KERNEL("mse", mse),
};
const int nnd_naive_math_kernel_count =
    (int)(sizeof nnd_naive_math_kernels / sizeof nnd_naive_math_kernels[0]);
