/* math_label.c — naive one_hot: each sample's class label becomes a row of
 * zeros with a 1 at the class. Labels carry no gradient, so backward has
 * nothing to do; the executor does not call it on a label-only path, and it
 * is kept harmless for a host that does. */
#include <string.h>

#include "math_kernels.h"

int nnd_naive_one_hot_forward(const nnd_kernel_ctx *ctx) {
  if (ctx->n_inputs != 1) return nnd_kernel_fail(ctx, "%s: expects 1 input", ctx->op);
  int64_t n = ctx->inputs[0].numel, k = n > 0 ? ctx->output.numel / n : 0;
  if (n < 1 || k < 1 || ctx->output.numel != n * k)
    return nnd_kernel_fail(ctx, "%s: %lld labels do not fill an output of %lld values",
                           ctx->op, (long long)n, (long long)ctx->output.numel);
  if (nnd_kernel_check_classes(ctx, 0, n, k) != 0) return -1;
  float *out = ctx->output.data;
  memset(out, 0, (size_t)(n * k) * sizeof *out);
  for (int64_t i = 0; i < n; i++) out[i * k + (int64_t)ctx->inputs[0].data[i]] = 1;
  return 0;
}

int nnd_naive_one_hot_backward(const nnd_kernel_ctx *ctx) {
  (void)ctx;
  return 0;
}
