/* openmp.c — acme.hardswish over the OpenMP threads (nnd's --threads N):
 * the same arithmetic as the naive kernel, so both give the same numbers. */
#include "hardswish.h"

static int forward(const nnd_kernel_ctx *c) {
  double shift = nnd_num(&c->attrs[HARDSWISH_SHIFT], 3);
  const float *x = c->inputs[0].data;
  float *y = c->output.data;
  int64_t n = c->output.numel;
#pragma omp parallel for schedule(static) if (n > 4096)
  for (int64_t i = 0; i < n; i++) y[i] = (float)hardswish_f(x[i], shift);
  return 0;
}

static int backward(const nnd_kernel_ctx *c) {
  float *gx = c->grad_inputs[0].data;
  if (!gx) return 0;
  double shift = nnd_num(&c->attrs[HARDSWISH_SHIFT], 3);
  const float *x = c->inputs[0].data, *g = c->grad_output->data;
  int64_t n = c->output.numel;
#pragma omp parallel for schedule(static) if (n > 4096)
  for (int64_t i = 0; i < n; i++) gx[i] += (float)(g[i] * hardswish_df(x[i], shift));
  return 0;
}

const nnd_kernel acme_hardswish_openmp = {
    .size = sizeof(nnd_kernel),
    .op = "acme.hardswish",
    .backend = "openmp",
    .forward = forward,
    .backward = backward,
};
