/* test_naive_layers.c — the naive layer kernels (dense, conv1d, conv2d,
 * maxpool, avgpool, batchnorm, dropout) against numbers worked out by hand,
 * and their backward against finite differences over many shapes and
 * attribute settings. Each case is a tiny model; kernel_harness.c compiles
 * it and runs the kernel on node `y`. Parameters are always set with SET
 * (kt_set): the harness fills them with random data whatever the model says. */
#include <CUnit/CUnit.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_harness.h"
#include "naive.h"

/* The kernel table is searched directly: plugin.c (nnd_naive_kernel) also
 * needs the math table, which these tests do not link. */
static const nnd_kernel *K(const char *op) {
  for (int i = 0; i < nnd_naive_layer_kernel_count; i++)
    if (strcmp(nnd_naive_layer_kernels[i].op, op) == 0) return &nnd_naive_layer_kernels[i];
  return NULL;
}

/* Compile "model m / input x: SHAPE / y = EXPR" and take node y. */
static int setup(kt_case *c, const char *shape, const char *expr, int batch) {
  char src[512];
  snprintf(src, sizeof src, "model m\ninput x: %s\ny = %s\n", shape, expr);
  if (kt_setup(c, src, "y", batch, 7) == 0 && K(c->node->op->name)) return 0;
  fprintf(stderr, "\nsetup failed for\n%s%s\n", src, c->message);
  kt_free(c);
  return -1;
}

#define SETUP(c, shape, expr, batch) CU_ASSERT_FATAL(setup(&(c), shape, expr, batch) == 0)
/* Declare kt_case c and set it up; a failure ends the test. */
#define CASE(shape, expr, batch) \
  kt_case c;                     \
  SETUP(c, shape, expr, batch)
#define KERNEL(c) K((c).node->op->name)

/* Inputs 0, 1, ... of c from the given arrays, in order. */
static void set_inputs(kt_case *c, const float *const *values) {
  for (int i = 0; values[i]; i++) kt_set(c, i, values[i]);
}
#define SET(c, ...) set_inputs(&(c), (const float *const[]){__VA_ARGS__, NULL})

/* Forward; then the output must be want (n values). */
static int forward_is(kt_case *c, int training, const float *want, int64_t n) {
  if (kt_forward(c, KERNEL(*c), training) != 0)
    return fprintf(stderr, "\nforward failed: %s\n", c->message), 0;
  if (c->out.numel != n)
    return fprintf(stderr, "\noutput has %lld values, expected %lld\n",
                   (long long)c->out.numel, (long long)n), 0;
  return kt_close(c->out.data, want, n, 1e-5, c->node->op->name);
}
#define F(...) (const float[]){__VA_ARGS__}
/* F: an array literal; LIST: one with its length, for the _IS helpers */
#define LIST(...) F(__VA_ARGS__), (int64_t)(sizeof(F(__VA_ARGS__)) / sizeof(float))
#define ARR(a) a, (int64_t)(sizeof a / sizeof a[0])
#define FORWARD_IS(c, training, ...) CU_ASSERT(forward_is(&(c), training, LIST(__VA_ARGS__)))

/* Backward with grad_output dy; then the gradient of input i must be want. */
static int backward_is(kt_case *c, int training, const float *dy, int64_t ndy, int i,
                       const float *want, int64_t n) {
  if (ndy != c->out.numel || n != c->in[i].numel) return fprintf(stderr, "\nbad sizes\n"), 0;
  memcpy(c->grad_out.data, dy, (size_t)ndy * sizeof(float));
  if (kt_backward(c, KERNEL(*c), training) != 0)
    return fprintf(stderr, "\nbackward failed: %s\n", c->message), 0;
  return kt_close(c->grad_in[i].data, want, n, 1e-6, "gradient");
}
#define BACKWARD_IS(c, training, dy, i, want) CU_ASSERT(backward_is(&(c), training, dy, i, want))

/* ------------------------------------------------------------ gradcheck */

typedef void (*prep_fn)(kt_case *c);

/* Distinct inputs 0.05 apart in a scrambled order, so maxpool has no ties
 * (and no near-ties a perturbation of 1e-2 could flip). */
static void distinct_input(kt_case *c) {
  int64_t n = c->in[0].numel;
  for (int64_t i = 0; i < n; i++)
    c->in[0].data[i] = (float)(((i * 7919) % n) * 0.05 - n * 0.025);
}

/* Running variance must be positive for inference-mode batchnorm. */
static void positive_running_var(kt_case *c) {
  nnd_tensor *v = &c->in[c->n_inputs - 1];
  for (int64_t i = 0; i < v->numel; i++) v->data[i] = 0.5f + (float)i * 0.25f;
}

typedef struct {
  const char *shape, *expr;
  int batch, training;
  prep_fn prep;
  double eps;  /* the finite-difference step; 0 means 1e-2 */
} grad_case;

#define G(shape, expr, batch, training) {shape, expr, batch, training, NULL, 0}

/* kt_gradcheck must stay below 1e-2 on every case. */
static void check_gradients(const grad_case *cases, int n) {
  for (int i = 0; i < n; i++) {
    kt_case c;
    const grad_case *g = &cases[i];
    CU_ASSERT_FATAL(setup(&c, g->shape, g->expr, g->batch) == 0);
    if (g->prep) g->prep(&c);
    double err = kt_gradcheck(&c, KERNEL(c), g->training, g->eps > 0 ? g->eps : 1e-2);
    CU_ASSERT(err >= 0 && err < 1e-2);
    if (!(err >= 0 && err < 1e-2))
      fprintf(stderr, "\ngradcheck %s on %s, batch %d, training %d: %g %s\n", g->expr,
              g->shape, g->batch, g->training, err, c.message);
    kt_free(&c);
  }
}
#define CHECK_GRADIENTS(cases) check_gradients(cases, (int)(sizeof cases / sizeof cases[0]))

/* ---------------------------------------------------------------- dense */

static const float dense_x[] = {1, 2, 3, -1, 0, 2};  /* [2, 3] */
static const float dense_w[] = {1, 0, -1, 2, 1, 0};  /* [2, 3] */

static void test_dense_forward(void) {
  CASE("[3]", "dense(x, units=2)", 2);
  CU_ASSERT_EQUAL(c.n_inputs, 3);
  SET(c, dense_x, dense_w, F(0.5f, -1));
  FORWARD_IS(c, 1, -1.5f, 3, -2.5f, -3);  /* [1-3+0.5, 2+2-1], [-1-2+0.5, -2+0-1] */
  kt_free(&c);
}

static void test_dense_no_bias(void) {
  CASE("[3]", "dense(x, units=2, bias=false)", 2);
  CU_ASSERT_EQUAL(c.n_inputs, 2);
  SET(c, dense_x, dense_w);
  FORWARD_IS(c, 1, -2, 4, -3, -2);
  kt_free(&c);
}

/* dy = I: dx is W, dW is x, db counts each output once per sample. */
static void test_dense_backward_by_hand(void) {
  CASE("[3]", "dense(x, units=2)", 2);
  SET(c, dense_x, dense_w, F(0, 0));
  CU_ASSERT_EQUAL_FATAL(kt_forward(&c, KERNEL(c), 1), 0);
  BACKWARD_IS(c, 1, LIST(1, 0, 0, 1), 0, ARR(dense_w));
  CU_ASSERT(kt_close(c.grad_in[1].data, dense_x, 6, 1e-6, "dW"));
  CU_ASSERT(kt_close(c.grad_in[2].data, F(1, 1), 2, 1e-6, "db"));
  kt_free(&c);
}

static void test_dense_gradcheck(void) {
  static const grad_case cases[] = {
      G("[3]", "dense(x, units=4)", 1, 1),
      G("[5]", "dense(x, units=2)", 3, 1),
      G("[4]", "dense(x, units=3, bias=false)", 3, 0),
      G("[1]", "dense(x, units=1)", 2, 1),
  };
  CHECK_GRADIENTS(cases);
}

/* --------------------------------------------------------------- conv2d */

/* s002-q1 (models/seeds/s002_q1_conv.nnd), with the input as a literal of the model. */
static void test_conv2d_seed_s002_q1(void) {
  kt_case c;
  char src[] = "model m\ninput X: [1,4,4] = [[[1,1,0,2],[1,2,-1,-2],[3,-1,1,2],[1,0,0,-2]]]\n"
               "Y = conv2d(X, filters=1, kernel=2, weight=[[[[1,1],[2,2]]]], bias=-1)\n";
  CU_ASSERT_FATAL(kt_setup(&c, src, "Y", 1, 1) == 0);
  SET(c, F(1, 1, 0, 2, 1, 2, -1, -2, 3, -1, 1, 2, 1, 0, 0, -2), F(1, 1, 2, 2), F(-1));
  FORWARD_IS(c, 0, 7, 2, -5, 6, 0, 2, 3, -1, -2);
  kt_free(&c);
}

/* Corner taps of a 3x3 kernel, stride 2, padding 1, on 1..16: each output is
 * x[top-left] + 2 x[bottom-right] of its window, padding reading 0. */
static void test_conv2d_stride_padding(void) {
  CASE("[1,4,4]", "conv2d(x, filters=1, kernel=3, stride=2, padding=1)", 1);
  SET(c, F(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16),
      F(1, 0, 0, 0, 0, 0, 0, 0, 2), F(0.5f));
  FORWARD_IS(c, 1, 12.5f, 16.5f, 28.5f, 38.5f);  /* 2*6, 2*8, 2*14, 6 + 2*16; + 0.5 */
  kt_free(&c);
}

/* A 1x1 convolution mixing 2 channels into 2 filters, batch 2, no bias:
 * f0 = c0 - c1, f1 = c0/2 + 2 c1. */
static void test_conv2d_channels_no_bias(void) {
  CASE("[2,2,2]", "conv2d(x, filters=2, kernel=1, bias=false)", 2);
  CU_ASSERT_EQUAL(c.n_inputs, 2);
  SET(c, F(1, 2, 3, 4, 10, 20, 30, 40, -1, -2, -3, -4, -10, -20, -30, -40),
      F(1, -1, 0.5f, 2));
  FORWARD_IS(c, 1, -9, -18, -27, -36, 20.5f, 41, 61.5f, 82, 9, 18, 27, 36, -20.5f, -41, -61.5f,
             -82);
  kt_free(&c);
}

/* The reference sums in double, backward too: with dy = [1e8, 1, -1e8] a
 * float sum loses the 1 (1e8 + 1 rounds to 1e8), a double one keeps it. On
 * [1, 1, 1] with weight [1, 1, 1], "same" padding: db = dw[1] = dx[1] = 1. */
static void test_conv_backward_sums_in_double(void) {
  CASE("[1,3]", "conv1d(x, filters=1, kernel=3, padding=\"same\")", 1);
  SET(c, F(1, 1, 1), F(1, 1, 1), F(0));
  BACKWARD_IS(c, 1, LIST(1e8f, 1, -1e8f), 2, LIST(1));
  BACKWARD_IS(c, 1, LIST(1e8f, 1, -1e8f), 1, LIST(-1e8f, 1, 1e8f));
  BACKWARD_IS(c, 1, LIST(1e8f, 1, -1e8f), 0, LIST(1e8f, 1, -1e8f));
  kt_free(&c);
}

/* "same" with an even kernel pads 0 before and 1 after (PyTorch):
 * y[i][j] = x[i][j] + 2 x[i][j+1] + 3 x[i+1][j] + 4 x[i+1][j+1]. */
static void test_conv2d_same_even_kernel(void) {
  CASE("[1,3,3]", "conv2d(x, filters=1, kernel=2, padding=\"same\")", 1);
  SET(c, F(1, 2, 3, 4, 5, 6, 7, 8, 9), F(1, 2, 3, 4), F(0));
  FORWARD_IS(c, 1, 37, 47, 21, 67, 77, 33, 23, 26, 9);
  kt_free(&c);
}

/* With dy = 1 everywhere, dW[k] sums the inputs kernel tap k reads and
 * dx[i] sums the taps that read x[i]: 2x2 kernel on a 3x3 input, valid. */
static void test_conv2d_backward_by_hand(void) {
  CASE("[1,3,3]", "conv2d(x, filters=1, kernel=2)", 1);
  SET(c, F(1, 2, 3, 4, 5, 6, 7, 8, 9), F(1, 2, 3, 4), F(0));
  CU_ASSERT_EQUAL_FATAL(kt_forward(&c, KERNEL(c), 1), 0);
  BACKWARD_IS(c, 1, LIST(1, 1, 1, 1), 0, LIST(1, 3, 2, 4, 10, 6, 3, 7, 4));
  CU_ASSERT(kt_close(c.grad_in[1].data, F(12, 16, 24, 28), 4, 1e-6, "dW"));
  CU_ASSERT(kt_close(c.grad_in[2].data, F(4), 1, 1e-6, "db"));
  kt_free(&c);
}

static void test_conv2d_gradcheck(void) {
  static const grad_case cases[] = {
      G("[1,4,4]", "conv2d(x, filters=1, kernel=2)", 1, 1),
      G("[2,5,5]", "conv2d(x, filters=3, kernel=3, padding=1)", 3, 1),
      G("[2,6,5]", "conv2d(x, filters=2, kernel=3, stride=2, padding=1)", 2, 1),
      G("[3,5,6]", "conv2d(x, filters=2, kernel=3, stride=2, bias=false)", 1, 1),
      G("[1,5,5]", "conv2d(x, filters=2, kernel=3, padding=\"same\")", 2, 1),
      G("[2,4,5]", "conv2d(x, filters=2, kernel=2, padding=\"same\")", 3, 0),
      G("[2,5,4]", "conv2d(x, filters=1, kernel=[2,3], padding=\"valid\")", 2, 1),
      G("[1,6,7]", "conv2d(x, filters=2, kernel=[3,2], stride=[2,1], padding=[1,0])", 1, 1),
  };
  CHECK_GRADIENTS(cases);
}

/* --------------------------------------------------------------- conv1d */

static void test_conv1d_same_odd(void) {
  CASE("[1,5]", "conv1d(x, filters=1, kernel=3, padding=\"same\")", 1);
  SET(c, F(1, 2, 3, 4, 5), F(1, 2, -1), F(1));
  FORWARD_IS(c, 1, 1, 3, 5, 7, 15);  /* x[i-1] + 2 x[i] - x[i+1] + 1 */
  kt_free(&c);
}

/* kernel 4, "same": 3 padding in total, 1 before and 2 after. */
static void test_conv1d_same_even_no_bias(void) {
  CASE("[1,5]", "conv1d(x, filters=1, kernel=4, padding=\"same\", bias=false)", 1);
  CU_ASSERT_EQUAL(c.n_inputs, 2);
  SET(c, F(1, 2, 3, 4, 5), F(1, 2, 3, 4));
  FORWARD_IS(c, 1, 20, 30, 40, 26, 14);
  kt_free(&c);
}

/* x0[2o] + x0[2o+1] + 10 x1[2o] - 10 x1[2o+1]; the last position is unused
 * (floor), so its gradient is 0. */
static void test_conv1d_channels_stride(void) {
  CASE("[2,5]", "conv1d(x, filters=1, kernel=2, stride=2)", 1);
  SET(c, F(1, 2, 3, 4, 5, 1, -1, 1, -1, 1), F(1, 1, 10, -10), F(0));
  FORWARD_IS(c, 1, 23, 27);
  BACKWARD_IS(c, 1, LIST(1, 2), 0, LIST(1, 1, 2, 2, 0, 10, -10, 20, -20, 0));
  kt_free(&c);
}

static void test_conv1d_gradcheck(void) {
  static const grad_case cases[] = {
      G("[1,6]", "conv1d(x, filters=1, kernel=3)", 1, 1),
      G("[2,7]", "conv1d(x, filters=3, kernel=3, padding=1)", 3, 1),
      G("[2,9]", "conv1d(x, filters=2, kernel=3, stride=2, padding=1)", 2, 1),
      G("[3,8]", "conv1d(x, filters=2, kernel=5, padding=\"same\")", 1, 1),
      G("[2,6]", "conv1d(x, filters=2, kernel=4, padding=\"same\", bias=false)", 3, 0),
      G("[1,7]", "conv1d(x, filters=2, kernel=2, stride=2, padding=\"valid\")", 3, 1),
  };
  CHECK_GRADIENTS(cases);
}

/* -------------------------------------------------------------- maxpool */

static void test_maxpool2d_forward_backward(void) {
  CASE("[1,4,4]", "maxpool(x, size=2)", 1);
  SET(c, F(1, 3, 2, 0, 4, -1, 5, 6, 7, 8, -2, -3, 0, 9, 1, 2));
  FORWARD_IS(c, 1, 4, 6, 9, 2);
  BACKWARD_IS(c, 1, LIST(1, 2, 3, 4), 0, LIST(0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4));
  kt_free(&c);
}

/* Padding is -inf for max: on an all-negative input it never wins. */
static void test_maxpool2d_padding_is_minus_inf(void) {
  CASE("[1,3,3]", "maxpool(x, size=2, stride=2, padding=1)", 1);
  SET(c, F(-1, -2, -3, -4, -5, -6, -7, -8, -9));
  FORWARD_IS(c, 1, -1, -2, -4, -5);
  kt_free(&c);
}

/* Ties: the whole gradient goes to the first maximum in row-major order. */
static void test_maxpool_ties_first_max(void) {
  CASE("[1,2,4]", "maxpool(x, size=2)", 1);
  SET(c, F(1, 7, 3, 3, 7, 7, 3, 3));
  FORWARD_IS(c, 1, 7, 3);
  BACKWARD_IS(c, 1, LIST(1, 2), 0, LIST(0, 1, 2, 0, 0, 0, 0, 0));
  c.in[0].data[5] = NAN;  /* a NaN propagates, as in PyTorch */
  CU_ASSERT_EQUAL_FATAL(kt_forward(&c, KERNEL(c), 1), 0);
  CU_ASSERT(isnan(c.out.data[0]) && c.out.data[1] == 3);
  kt_free(&c);
}

/* 1-D, overlapping windows (size 3, stride 2, padding 1): an element that
 * is the max of two windows collects both gradients. */
static void test_maxpool1d_overlap(void) {
  CASE("[1,6]", "maxpool(x, size=3, stride=2, padding=1)", 1);
  SET(c, F(1, 5, 2, 2, -1, 3));
  FORWARD_IS(c, 1, 5, 5, 3);
  BACKWARD_IS(c, 1, LIST(1, 1, 1), 0, LIST(0, 2, 0, 0, 0, 1));
  kt_free(&c);
}

/* Channels and samples pool separately; the stride defaults to the size. */
static void test_maxpool1d_channels(void) {
  CASE("[2,4]", "maxpool(x, size=2)", 2);
  SET(c, F(1, 2, 3, 4, 4, 3, 2, 1, -1, -2, -3, -4, 0, 9, 8, 0));
  FORWARD_IS(c, 1, 2, 4, 4, 2, -1, -3, 9, 8);
  kt_free(&c);
}

static void test_maxpool_gradcheck(void) {
  static const grad_case cases[] = {
      {"[2,4,4]", "maxpool(x, size=2)", 1, 1, distinct_input, 0},
      {"[1,5,5]", "maxpool(x, size=3, stride=2, padding=1)", 3, 1, distinct_input, 0},
      {"[2,5,6]", "maxpool(x, size=[2,3], stride=1)", 2, 1, distinct_input, 0},
      {"[3,8]", "maxpool(x, size=2)", 3, 1, distinct_input, 0},
      {"[2,9]", "maxpool(x, size=3, stride=2, padding=1)", 1, 0, distinct_input, 0},
      {"[1,7]", "maxpool(x, size=4, stride=1, padding=2)", 2, 1, distinct_input, 0},
  };
  CHECK_GRADIENTS(cases);
}

/* -------------------------------------------------------------- avgpool */

static void test_avgpool2d_forward(void) {
  CASE("[1,4,4]", "avgpool(x, size=2)", 1);
  SET(c, F(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16));
  FORWARD_IS(c, 1, 3.5f, 5.5f, 11.5f, 13.5f);
  kt_free(&c);
}

/* Padded zeros count in the divisor: every window divides by 9. */
static void test_avgpool2d_padding_counts(void) {
  CASE("[1,3,3]", "avgpool(x, size=3, stride=1, padding=1)", 1);
  SET(c, F(1, 2, 3, 4, 5, 6, 7, 8, 9));
  FORWARD_IS(c, 1, 12.f / 9, 21.f / 9, 16.f / 9, 27.f / 9, 45.f / 9, 33.f / 9, 24.f / 9,
             39.f / 9, 28.f / 9);
  kt_free(&c);
}

static void test_avgpool1d_forward_backward(void) {
  CASE("[1,5]", "avgpool(x, size=2, padding=1)", 1);
  SET(c, F(1, 2, 3, 4, 5));
  FORWARD_IS(c, 1, 0.5f, 2.5f, 4.5f);  /* windows [pad, 1], [2, 3], [4, 5] */
  kt_free(&c);
  /* overlapping windows: each element gets dy/2 from every window it is in */
  SETUP(c, "[1,4]", "avgpool(x, size=2, stride=1)", 1);
  CU_ASSERT_EQUAL_FATAL(kt_forward(&c, KERNEL(c), 1), 0);
  BACKWARD_IS(c, 1, LIST(1, 2, 3), 0, LIST(0.5f, 1.5f, 2.5f, 1.5f));
  kt_free(&c);
}

static void test_avgpool_gradcheck(void) {
  static const grad_case cases[] = {
      G("[2,4,4]", "avgpool(x, size=2)", 1, 1),
      G("[1,5,5]", "avgpool(x, size=3, stride=2, padding=1)", 3, 1),
      G("[2,5,6]", "avgpool(x, size=[2,3], stride=[1,2])", 2, 0),
      G("[3,8]", "avgpool(x, size=2)", 3, 1),
      G("[2,9]", "avgpool(x, size=3, stride=2, padding=1)", 1, 1),
  };
  CHECK_GRADIENTS(cases);
}

/* ------------------------------------------------------------ batchnorm */

/* [N=4, C=2]: channel 0 is 1,2,3,4 (mean 2.5, variance 1.25, unbiased 5/3),
 * channel 1 is 2,2,4,4 (mean 3, variance 1, unbiased 4/3). */
static const float bn_x[] = {1, 2, 2, 2, 3, 4, 4, 4};

static void test_batchnorm_training(void) {
  CASE("[2]", "batchnorm(x, momentum=0.5)", 4);
  CU_ASSERT_EQUAL_FATAL(c.n_inputs, 5);
  SET(c, bn_x, F(2, 1), F(0.5f, -1), F(1, -1), F(2, 0.5f));
  /* 2 (x - 2.5) / sqrt(1.25 + 1e-5) + 0.5 and (x - 3) / sqrt(1 + 1e-5) - 1 */
  FORWARD_IS(c, 1, -2.18327084f, -1.99999500f, -0.39442361f, -1.99999500f, 1.39442361f,
             -0.00000500f, 3.18327084f, -0.00000500f);
  /* running = 0.5 running + 0.5 batch, the variance unbiased (PyTorch):
     0.5 (1, -1) + 0.5 (2.5, 3) and 0.5 (2, 0.5) + 0.5 (5/3, 4/3) */
  CU_ASSERT(kt_close(c.in[3].data, F(1.75f, 1), 2, 1e-6, "running_mean"));
  CU_ASSERT(kt_close(c.in[4].data, F(1.8333333f, 0.9166667f), 2, 1e-6,
                     "running_var"));
  kt_free(&c);
}

/* Inference uses the running statistics and leaves them alone; eps = 1
 * makes the square roots whole: sqrt(3 + 1) = 2, sqrt(0 + 1) = 1. With
 * bias=false there are 4 inputs, the running statistics still the last two. */
static void test_batchnorm_inference(void) {
  CASE("[2]", "batchnorm(x, eps=1)", 4);
  SET(c, bn_x, F(2, 1), F(0.5f, -1), F(1, -1), F(3, 0));
  /* channel 0: 2 (x - 1) / 2 + 0.5 = x - 0.5; channel 1: (x + 1) - 1 = x */
  FORWARD_IS(c, 0, 0.5f, 2, 1.5f, 2, 2.5f, 4, 3.5f, 4);
  CU_ASSERT(kt_close(c.in[3].data, F(1, -1), 2, 0, "running_mean"));
  CU_ASSERT(kt_close(c.in[4].data, F(3, 0), 2, 0, "running_var"));
  kt_free(&c);
  SETUP(c, "[2]", "batchnorm(x, eps=1, bias=false)", 4);
  CU_ASSERT_EQUAL_FATAL(c.n_inputs, 4);
  SET(c, bn_x, F(2, 1), F(1, -1), F(3, 0));
  FORWARD_IS(c, 0, 0, 3, 1, 3, 2, 5, 3, 5);  /* x - 1 and x + 1 */
  kt_free(&c);
}

/* [N=2, C=2, 1, 2]: statistics over the batch and both positions of each
 * channel. Channel 0 holds 0,0 | 6,6 (mean 3, variance 9), channel 1 holds
 * -3,3 | 3,-3 (mean 0, variance 9); eps = 7 makes 1/std = 1/4. */
static void test_batchnorm_nchw_training(void) {
  CASE("[2,1,2]", "batchnorm(x, eps=7)", 2);
  SET(c, F(0, 0, -3, 3, 6, 6, 3, -3), F(1, 2), F(0, 1), F(0, 0), F(1, 1));
  FORWARD_IS(c, 1, -0.75f, -0.75f, -0.5f, 2.5f, 0.75f, 0.75f, 2.5f, -0.5f);  /* (x-3)/4, x/2+1 */
  /* momentum 0.1: mean 0.1 (3, 0); variance 0.9 + 0.1 * 12 (unbiased: 9 * 4/3) */
  CU_ASSERT(kt_close(c.in[3].data, F(0.3f, 0), 2, 1e-6, "running_mean"));
  CU_ASSERT(kt_close(c.in[4].data, F(2.1f, 2.1f), 2, 1e-6, "running_var"));
  kt_free(&c);
}

/* One value per channel has no variance: refused in training, as PyTorch
 * does; inference is fine. */
static void test_batchnorm_single_value_fails(void) {
  CASE("[3]", "batchnorm(x)", 1);
  positive_running_var(&c);
  CU_ASSERT_EQUAL(kt_forward(&c, KERNEL(c), 1), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(c.message, "more than one value per channel"));
  CU_ASSERT_EQUAL(kt_forward(&c, KERNEL(c), 0), 0);
  kt_free(&c);
}

/* A smaller step for training: batch statistics make the output curved
 * enough that 1e-2 leaves visible truncation error on small batches. */
static void test_batchnorm_gradcheck_training(void) {
  static const grad_case cases[] = {
      {"[3]", "batchnorm(x)", 3, 1, NULL, 3e-3},
      {"[2]", "batchnorm(x, bias=false)", 5, 1, NULL, 3e-3},
      {"[2,3,3]", "batchnorm(x)", 1, 1, NULL, 3e-3},
      {"[3,2,2]", "batchnorm(x, momentum=0.3, eps=0.01)", 3, 1, NULL, 3e-3},
      {"[2,5]", "batchnorm(x)", 2, 1, NULL, 3e-3},
  };
  CHECK_GRADIENTS(cases);
}

/* Inference: also checks the gradients of the running statistics, which the
 * output depends on in this mode. */
static void test_batchnorm_gradcheck_inference(void) {
  static const grad_case cases[] = {
      {"[3]", "batchnorm(x)", 3, 0, positive_running_var, 0},
      {"[2]", "batchnorm(x, bias=false)", 1, 0, positive_running_var, 0},
      {"[2,3,3]", "batchnorm(x)", 3, 0, positive_running_var, 0},
      {"[2,4]", "batchnorm(x, eps=0.1)", 2, 0, positive_running_var, 0},
  };
  CHECK_GRADIENTS(cases);
}

/* -------------------------------------------------------------- dropout */

static void test_dropout_inference_identity(void) {
  CASE("[4,5]", "dropout(x, rate=0.5)", 3);
  size_t bytes = (size_t)c.out.numel * sizeof(float);
  CU_ASSERT_EQUAL_FATAL(kt_forward(&c, KERNEL(c), 0), 0);
  CU_ASSERT(memcmp(c.out.data, c.in[0].data, bytes) == 0);
  CU_ASSERT_EQUAL_FATAL(kt_backward(&c, KERNEL(c), 0), 0);
  CU_ASSERT(memcmp(c.grad_in[0].data, c.grad_out.data, bytes) == 0);
  kt_free(&c);
}

/* On ones: each output is 0 or 1/(1-rate), about `rate` of them 0 (2000
 * draws: the standard deviation of the fraction is 0.01), and backward
 * passes dy through exactly the same mask. */
static void test_dropout_training_mask(void) {
  CASE("[1000]", "dropout(x, rate=0.3)", 2);
  for (int64_t i = 0; i < c.in[0].numel; i++) c.in[0].data[i] = 1;
  CU_ASSERT_EQUAL_FATAL(kt_forward(&c, KERNEL(c), 1), 0);
  int64_t zeros = 0, bad = 0;
  for (int64_t i = 0; i < c.out.numel; i++) {
    if (c.out.data[i] == 0) zeros++;
    else if (fabsf(c.out.data[i] - (float)(1 / 0.7)) > 1e-6f) bad++;
  }
  CU_ASSERT_EQUAL(bad, 0);
  double frac = (double)zeros / (double)c.out.numel;
  CU_ASSERT(frac > 0.26 && frac < 0.34);
  CU_ASSERT_EQUAL_FATAL(kt_backward(&c, KERNEL(c), 1), 0);
  for (int64_t i = 0; i < c.out.numel; i++)
    if (fabsf(c.grad_in[0].data[i] - c.grad_out.data[i] * c.out.data[i]) > 1e-6f) bad++;
  CU_ASSERT_EQUAL(bad, 0);
  kt_free(&c);
}

/* The mask is a function of the seed: the same seed repeats it, another
 * seed gives another; rate 0 keeps everything. */
static void test_dropout_seeded(void) {
  kt_case c;
  float first[200];
  SETUP(c, "[200]", "dropout(x, rate=0.5)", 1);
  CU_ASSERT_EQUAL_FATAL(kt_forward(&c, KERNEL(c), 1), 0);
  memcpy(first, c.out.data, sizeof first);
  CU_ASSERT_EQUAL_FATAL(kt_forward(&c, KERNEL(c), 1), 0);
  CU_ASSERT(memcmp(first, c.out.data, sizeof first) == 0);
  c.seed = 8;
  CU_ASSERT_EQUAL_FATAL(kt_forward(&c, KERNEL(c), 1), 0);
  CU_ASSERT(memcmp(first, c.out.data, sizeof first) != 0);
  kt_free(&c);
  SETUP(c, "[50]", "dropout(x, rate=0)", 2);
  CU_ASSERT_EQUAL_FATAL(kt_forward(&c, KERNEL(c), 1), 0);
  CU_ASSERT(memcmp(c.out.data, c.in[0].data, (size_t)c.out.numel * sizeof(float)) == 0);
  kt_free(&c);
}

static void test_dropout_gradcheck(void) {
  static const grad_case cases[] = {
      G("[10]", "dropout(x, rate=0.5)", 3, 1),
      G("[2,3,3]", "dropout(x, rate=0.2)", 2, 1),
      G("[3,4]", "dropout(x, rate=0.9)", 1, 1),
      G("[6]", "dropout(x)", 2, 0),
  };
  CHECK_GRADIENTS(cases);
}

/* --------------------------------------------------------------- common */

static void test_table_complete(void) {
  const char *ops[] = {"dense", "conv1d", "conv2d", "maxpool", "avgpool", "batchnorm", "dropout"};
  CU_ASSERT_EQUAL(nnd_naive_layer_kernel_count, 7);
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    const nnd_kernel *k = K(ops[i]);
    CU_ASSERT_PTR_NOT_NULL_FATAL(k);
    CU_ASSERT_EQUAL(k->size, sizeof(nnd_kernel));
    CU_ASSERT_STRING_EQUAL(k->backend, "naive");
    CU_ASSERT(k->forward && k->backward);
    /* only batchnorm carries state from forward to backward */
    CU_ASSERT_EQUAL(k->workspace != NULL, strcmp(ops[i], "batchnorm") == 0);
  }
}

/* A context like the harness's, with our own gradient buffers. */
static nnd_kernel_ctx raw_ctx(kt_case *c, int training, nnd_tensor *grads) {
  return (nnd_kernel_ctx){.size = sizeof(nnd_kernel_ctx), .op = c->node->op->name,
                          .n_inputs = c->n_inputs, .inputs = c->in, .output = c->out,
                          .attrs = c->node->attrs, .training = training, .seed = c->seed,
                          .workspace = c->workspace, .workspace_size = c->workspace_size,
                          .grad_output = &c->grad_out, .grad_inputs = grads,
                          .message = c->message, .message_size = sizeof c->message};
}

/* got == gradient g + base, to float rounding. */
static int added(const float *got, const nnd_tensor *g, float base) {
  for (int64_t j = 0; j < g->numel; j++)
    if (fabsf(got[j] - (g->data[j] + base)) > 1e-5f * fmaxf(1, fabsf(g->data[j] + base)))
      return fprintf(stderr, "\nelement %lld: %g, expected %g\n", (long long)j, got[j],
                     g->data[j] + base), 0;
  return 1;
}

/* Backward adds to what the gradient buffers hold (never overwrites) and
 * skips inputs whose buffer is NULL, for every kernel in both modes. */
static void test_backward_adds_and_skips(void) {
  static const char *const cases[][2] = {
      {"[3]", "dense(x, units=2)"},        {"[2,5]", "conv1d(x, filters=2, kernel=3, padding=1)"},
      {"[2,4,4]", "maxpool(x, size=2)"},   {"[2,4,4]", "conv2d(x, filters=2, kernel=3)"},
      {"[2,4,4]", "avgpool(x, size=2)"},   {"[2,2,2]", "batchnorm(x)"},
      {"[2,2,2]", "dropout(x)"},
  };
  for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++)
    for (int training = 0; training <= 1; training++) {
      kt_case c;
      CU_ASSERT_FATAL(setup(&c, cases[t][0], cases[t][1], 3) == 0);
      const nnd_kernel *k = KERNEL(c);
      if (c.n_inputs == 5) positive_running_var(&c);  /* batchnorm */
      CU_ASSERT_EQUAL_FATAL(kt_forward(&c, k, training), 0);
      CU_ASSERT_EQUAL_FATAL(kt_backward(&c, k, training), 0);
      /* buffer i starts at 1 + i: backward must leave gradient + 1 + i */
      nnd_tensor grads[KT_MAX_INPUTS];
      for (int i = 0; i < c.n_inputs; i++) {
        grads[i] = c.grad_in[i];
        CU_ASSERT_PTR_NOT_NULL_FATAL(grads[i].data = malloc((size_t)grads[i].numel * 4));
        for (int64_t j = 0; j < grads[i].numel; j++) grads[i].data[j] = 1.0f + (float)i;
      }
      float *first = grads[0].data;
      grads[0].data = NULL;  /* the first input gets no gradient this time... */
      nnd_kernel_ctx ctx = raw_ctx(&c, training, grads);
      CU_ASSERT_EQUAL(k->backward(&ctx), 0);
      for (int i = 1; i < c.n_inputs; i++) {
        CU_ASSERT(added(grads[i].data, &c.grad_in[i], 1.0f + (float)i));
        free(grads[i].data);
        grads[i].data = NULL;  /* ...and now only it does */
      }
      grads[0].data = first;
      CU_ASSERT_EQUAL(k->backward(&ctx), 0);
      CU_ASSERT(added(first, &c.grad_in[0], 1.0f));
      free(first);
      kt_free(&c);
    }
}

/* Inconsistent calls fail with a message instead of reading out of bounds. */
static void test_errors_reported(void) {
  CASE("[2,4,4]", "conv2d(x, filters=2, kernel=3)", 1);
  c.in[1].dim[1] = 5;  /* the weight's channels no longer match x */
  CU_ASSERT_EQUAL(kt_forward(&c, KERNEL(c), 1), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(c.message, "weight"));
  kt_free(&c);
  SETUP(c, "[2]", "batchnorm(x)", 3);
  nnd_kernel_ctx ctx = raw_ctx(&c, 1, NULL);  /* no workspace */
  CU_ASSERT_EQUAL(KERNEL(c)->forward(&ctx), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(c.message, "workspace"));
  CU_ASSERT(KERNEL(c)->workspace(&ctx) >= 2 * 2 * sizeof(float));
  kt_free(&c);
  SETUP(c, "[6]", "dropout(x)", 1);
  c.out.numel = 5;
  CU_ASSERT_EQUAL(kt_forward(&c, KERNEL(c), 1), -1);
  c.out.numel = 6;
  kt_free(&c);
}

void test_naive_layers_register(void) {
  /* each test is named after its function */
#define T(fn) {#fn, fn}
  static const struct { const char *name; void (*fn)(void); } tests[] = {
      T(test_dense_forward), T(test_dense_no_bias), T(test_dense_backward_by_hand),
      T(test_dense_gradcheck), T(test_conv2d_seed_s002_q1), T(test_conv2d_stride_padding),
      T(test_conv2d_channels_no_bias), T(test_conv2d_same_even_kernel),
      T(test_conv_backward_sums_in_double),
      T(test_conv2d_backward_by_hand), T(test_conv2d_gradcheck), T(test_conv1d_same_odd),
      T(test_conv1d_same_even_no_bias), T(test_conv1d_channels_stride),
      T(test_conv1d_gradcheck), T(test_maxpool2d_forward_backward),
      T(test_maxpool2d_padding_is_minus_inf), T(test_maxpool_ties_first_max),
      T(test_maxpool1d_overlap), T(test_maxpool1d_channels), T(test_maxpool_gradcheck),
      T(test_avgpool2d_forward), T(test_avgpool2d_padding_counts),
      T(test_avgpool1d_forward_backward), T(test_avgpool_gradcheck), T(test_batchnorm_training),
      T(test_batchnorm_inference), T(test_batchnorm_nchw_training),
      T(test_batchnorm_single_value_fails), T(test_batchnorm_gradcheck_training),
      T(test_batchnorm_gradcheck_inference), T(test_dropout_inference_identity),
      T(test_dropout_training_mask), T(test_dropout_seeded), T(test_dropout_gradcheck),
      T(test_table_complete), T(test_backward_adds_and_skips), T(test_errors_reported),
  };
  CU_pSuite s = CU_add_suite("naive layers", NULL, NULL);
  for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
    CU_add_test(s, tests[i].name, tests[i].fn);
#undef T
}
