/* naive.c — the reference kernel of acme.hardswish: plain loops in double
 * precision, the one every other backend is checked against. */
#include "hardswish.h"

static int forward(const nnd_kernel_ctx *c) {
  double shift = nnd_num(&c->attrs[HARDSWISH_SHIFT], 3);
  const float *x = c->inputs[0].data;
  float *y = c->output.data;
  for (int64_t i = 0; i < c->output.numel; i++) y[i] = (float)hardswish_f(x[i], shift);
  return 0;
}

/* Backward ADDS into the input's gradient (a value used twice collects
 * both), and does nothing when no gradient is wanted. */
static int backward(const nnd_kernel_ctx *c) {
  float *gx = c->grad_inputs[0].data;
  if (!gx) return 0;
  double shift = nnd_num(&c->attrs[HARDSWISH_SHIFT], 3);
  const float *x = c->inputs[0].data, *g = c->grad_output->data;
  for (int64_t i = 0; i < c->output.numel; i++)
    gx[i] += (float)(g[i] * hardswish_df(x[i], shift));
  return 0;
}

const nnd_kernel acme_hardswish_naive = {
    .size = sizeof(nnd_kernel),
    .op = "acme.hardswish",
    .backend = "naive",
    .forward = forward,
    .backward = backward,
};
