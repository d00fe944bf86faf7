/* math_activation.c — naive relu, sigmoid, tanh, leaky_relu, softmax and
 * log_softmax.
 *
 * The pointwise ones run over every element whether or not the tensor is
 * batched. Backward recomputes what it needs from the input rather than
 * reading the forward output: the reference should depend on as little of
 * the executor's buffer lifetimes as possible, and the recomputation is the
 * same formula as forward, so the two cannot drift apart. */
#include <math.h>

#include "math_kernels.h"

/* sigmoid without overflow: exp of a negative number only. */
static double sigmoid(double x) {
  if (x >= 0) return 1.0 / (1.0 + exp(-x));
  double e = exp(x);
  return e / (1.0 + e);
}

int nnd_naive_relu_forward(const nnd_kernel_ctx *ctx) {
  if (nnd_kernel_check_same(ctx) != 0) return -1;
  const float *x = ctx->inputs[0].data;
  /* written so a NaN passes through (as in PyTorch) instead of becoming 0 */
  for (int64_t i = 0; i < ctx->output.numel; i++) ctx->output.data[i] = x[i] <= 0 ? 0.0f : x[i];
  return 0;
}

/* relu'(0) = 0, as PyTorch and the seed problems have it. */
int nnd_naive_relu_backward(const nnd_kernel_ctx *ctx) {
  if (nnd_kernel_check_same(ctx) != 0) return -1;
  float *gx = ctx->grad_inputs[0].data;
  if (!gx) return 0;
  const float *x = ctx->inputs[0].data, *g = ctx->grad_output->data;
  for (int64_t i = 0; i < ctx->output.numel; i++)
    if (x[i] > 0) gx[i] += g[i];
  return 0;
}

int nnd_naive_sigmoid_forward(const nnd_kernel_ctx *ctx) {
  if (nnd_kernel_check_same(ctx) != 0) return -1;
  const float *x = ctx->inputs[0].data;
  for (int64_t i = 0; i < ctx->output.numel; i++) ctx->output.data[i] = (float)sigmoid(x[i]);
  return 0;
}

int nnd_naive_sigmoid_backward(const nnd_kernel_ctx *ctx) {
  if (nnd_kernel_check_same(ctx) != 0) return -1;
  float *gx = ctx->grad_inputs[0].data;
  if (!gx) return 0;
  const float *x = ctx->inputs[0].data, *g = ctx->grad_output->data;
  for (int64_t i = 0; i < ctx->output.numel; i++) {
    double s = sigmoid(x[i]);
    gx[i] += (float)(g[i] * s * (1 - s));
  }
  return 0;
}

int nnd_naive_tanh_forward(const nnd_kernel_ctx *ctx) {
  if (nnd_kernel_check_same(ctx) != 0) return -1;
  const float *x = ctx->inputs[0].data;
  for (int64_t i = 0; i < ctx->output.numel; i++) ctx->output.data[i] = (float)tanh(x[i]);
  return 0;
}

int nnd_naive_tanh_backward(const nnd_kernel_ctx *ctx) {
  if (nnd_kernel_check_same(ctx) != 0) return -1;
  float *gx = ctx->grad_inputs[0].data;
  if (!gx) return 0;
  const float *x = ctx->inputs[0].data, *g = ctx->grad_output->data;
  for (int64_t i = 0; i < ctx->output.numel; i++) {
    double t = tanh(x[i]);
    gx[i] += (float)(g[i] * (1 - t * t));
  }
  return 0;
}

/* attrs[0] is `slope` (schema default 0.01). Like relu, the point 0 takes
 * the negative side's derivative, as PyTorch does. */
int nnd_naive_leaky_relu_forward(const nnd_kernel_ctx *ctx) {
  if (nnd_kernel_check_same(ctx) != 0) return -1;
  float slope = (float)nnd_kernel_num(ctx, 0, 0.01);
  const float *x = ctx->inputs[0].data;
  for (int64_t i = 0; i < ctx->output.numel; i++)
    ctx->output.data[i] = x[i] > 0 ? x[i] : slope * x[i];
  return 0;
}

int nnd_naive_leaky_relu_backward(const nnd_kernel_ctx *ctx) {
  if (nnd_kernel_check_same(ctx) != 0) return -1;
  float *gx = ctx->grad_inputs[0].data;
  if (!gx) return 0;
  float slope = (float)nnd_kernel_num(ctx, 0, 0.01);
  const float *x = ctx->inputs[0].data, *g = ctx->grad_output->data;
  for (int64_t i = 0; i < ctx->output.numel; i++) gx[i] += x[i] > 0 ? g[i] : slope * g[i];
  return 0;
}

/* Every line of the softmax axis, in order (formulas: kernel_geometry.h). */
static int softmax_forward(const nnd_kernel_ctx *ctx, int take_log) {
  nnd_softmax_line l;
  if (nnd_softmax_lines(ctx, &l) != 0) return -1;
  for (int64_t o = 0; o < l.outer; o++)
    for (int64_t i = 0; i < l.inner; i++) {
      int64_t base = o * l.len * l.inner + i;
      nnd_softmax_line_forward(ctx->inputs[0].data + base, ctx->output.data + base, l.len,
                               l.inner, take_log);
    }
  return 0;
}

/* The gradient of every line, s recomputed from x. */
static int softmax_backward(const nnd_kernel_ctx *ctx, int take_log) {
  nnd_softmax_line l;
  if (nnd_softmax_lines(ctx, &l) != 0) return -1;
  float *gx0 = ctx->grad_inputs[0].data;
  if (!gx0) return 0;
  for (int64_t o = 0; o < l.outer; o++)
    for (int64_t i = 0; i < l.inner; i++) {
      int64_t base = o * l.len * l.inner + i;
      nnd_softmax_line_backward(ctx->inputs[0].data + base, ctx->grad_output->data + base,
                                gx0 + base, l.len, l.inner, take_log);
    }
  return 0;
}

int nnd_naive_softmax_forward(const nnd_kernel_ctx *ctx) { return softmax_forward(ctx, 0); }
int nnd_naive_softmax_backward(const nnd_kernel_ctx *ctx) { return softmax_backward(ctx, 0); }
int nnd_naive_log_softmax_forward(const nnd_kernel_ctx *ctx) { return softmax_forward(ctx, 1); }
int nnd_naive_log_softmax_backward(const nnd_kernel_ctx *ctx) {
  return softmax_backward(ctx, 1);
}
