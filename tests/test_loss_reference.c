/* test_loss_reference.c — softmax, log_softmax, cross-entropy and binary
 * cross-entropy of every backend against the textbook formulas, written
 * here in double without the shared helpers of plugins/common/kernel_geometry.h
 * (naive and openmp both call those, so comparing the two backends with each
 * other would compare that header with itself).
 *
 *   softmax       s_j = exp(x_j) / sum_i exp(x_i)    dx_i = sum_j g_j s_j (d_ij - s_i)
 *   log_softmax   y_j = log s_j                      dx_i = sum_j g_j (d_ij - s_i)
 *   cross_entropy L = mean_n -sum_j q_j log s_j,  q = (1 - eps) onehot(c) + eps / k
 *                 dx = g (s - q) / n
 *   binary ce     L = mean -t log sigmoid(z) - (1 - t) log(1 - sigmoid(z))
 *                 dz = g (sigmoid(z) - t) / count
 *
 * The exponentials are of x - max only so that the 40-wide logits below stay
 * finite in double; that does not change the formula. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_harness.h"
#include "plugin_loader.h"
#include "registry.h"
#include "tests.h"

#define TOL 1e-5 /* float32 results against double */

static int suite_init(void) {
  const char *dir = NND_TEST_BUILDDIR "/plugins/.libs";
  nnd_load_plugins(&dir, 1);
  return 0;
}

static const char *const backends[] = {"naive", "openmp"};

/* the softmax of one line of `len` values `stride` apart, in double */
static void softmax_ref(const float *x, int64_t len, int64_t stride, double *s) {
  double max = -INFINITY, sum = 0;
  for (int64_t j = 0; j < len; j++) max = fmax(max, x[j * stride]);
  for (int64_t j = 0; j < len; j++) sum += s[j] = exp((double)x[j * stride] - max);
  for (int64_t j = 0; j < len; j++) s[j] /= sum;
}

/* 1 when got (float) is within TOL of want (double), relative above 1;
 * NaN or infinity fails. */
static int near(const float *got, const double *want, int64_t n, const char *what) {
  for (int64_t i = 0; i < n; i++) {
    double d = fabs(got[i] - want[i]);
    if (isfinite(got[i]) && isfinite(want[i]) && d <= TOL * fmax(1.0, fabs(want[i]))) continue;
    fprintf(stderr, "\n%s: element %lld is %.9g, the formula gives %.12g\n", what,
            (long long)i, got[i], want[i]);
    return 0;
  }
  return 1;
}

/* Forward and backward of kernel k on case c against out_ref/grad_ref. */
static void run_and_compare(kt_case *c, const nnd_kernel *k, const double *out_ref,
                            const double *grad_ref, const char *what) {
  char label[160];
  CU_ASSERT_EQUAL_FATAL(kt_forward(c, k, 1), 0);
  snprintf(label, sizeof label, "%s: forward", what);
  CU_ASSERT(near(c->out.data, out_ref, c->out.numel, label));
  CU_ASSERT_EQUAL_FATAL(kt_backward(c, k, 1), 0);
  snprintf(label, sizeof label, "%s: backward", what);
  CU_ASSERT(near(c->grad_in[0].data, grad_ref, c->grad_in[0].numel, label));
}

/* Inputs scaled from [-1, 1] to [-scale, scale]: exp over a wide range. */
static void widen(kt_case *c, float scale) {
  for (int64_t i = 0; i < c->in[0].numel; i++) c->in[0].data[i] *= scale;
}

typedef struct {
  const char *src;     /* the model; the node under test is `y` */
  int log;                   /* log_softmax */
  int batch;
  int64_t outer, len, inner; /* the layout around the axis, batch included */
} softmax_case;

static void test_softmax(void) {
  static const softmax_case cases[] = {
      {"input x: [7]\ny = softmax(x)\n", 0, 3, 3, 7, 1},
      {"input x: [3, 4]\ny = softmax(x, axis=0)\n", 0, 2, 2, 3, 4},
      {"input x: [6]\ny = log_softmax(x)\n", 1, 4, 4, 6, 1},
      {"input x: [2, 5]\ny = log_softmax(x, axis=-1)\n", 1, 3, 6, 5, 1},
  };
  for (size_t b = 0; b < sizeof backends / sizeof *backends; b++) {
    if (!test_backend_ready(backends[b], "softmax against the formula")) continue;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
      const softmax_case *sc = &cases[i];
      kt_case c;
      CU_ASSERT_EQUAL_FATAL(kt_setup(&c, sc->src, "y", sc->batch, 11 + i), 0);
      const nnd_kernel *k = nnd_registry_find_kernel(c.node->op->name, backends[b], NULL);
      CU_ASSERT_PTR_NOT_NULL_FATAL(k);
      widen(&c, 20);
      int64_t n = c.out.numel;
      CU_ASSERT_EQUAL_FATAL(n, sc->outer * sc->len * sc->inner);
      double *y = calloc((size_t)n, sizeof *y), *dx = calloc((size_t)n, sizeof *dx);
      double *s = calloc((size_t)sc->len, sizeof *s);
      CU_ASSERT_FATAL(y && dx && s);
      for (int64_t o = 0; o < sc->outer; o++)
        for (int64_t in = 0; in < sc->inner; in++) {
          int64_t base = o * sc->len * sc->inner + in;
          softmax_ref(c.in[0].data + base, sc->len, sc->inner, s);
          const float *g = c.grad_out.data + base;
          for (int64_t a = 0; a < sc->len; a++) {
            y[base + a * sc->inner] = sc->log ? log(s[a]) : s[a];
            double sum = 0; /* the Jacobian, row by row */
            for (int64_t j = 0; j < sc->len; j++) {
              double d = (a == j) - s[a];
              sum += g[j * sc->inner] * (sc->log ? d : s[j] * d);
            }
            dx[base + a * sc->inner] = sum;
          }
        }
      char what[200];
      snprintf(what, sizeof what, "%s %s", backends[b], sc->src);
      run_and_compare(&c, k, y, dx, what);
      free(y), free(dx), free(s);
      kt_free(&c);
    }
  }
}

static void test_cross_entropy(void) {
  static const struct {
    const char *src;
    double eps;
    int64_t k;
  } cases[] = {
      {"input x: [5]\ninput t: class[5]\ny = cross_entropy(x, t)\n", 0, 5},
      {"input x: [10]\ninput t: class[10]\ny = cross_entropy(x, t, label_smoothing=0.1)\n",
       0.1, 10},
      {"input x: [3]\ninput t: class[3]\ny = cross_entropy(x, t, label_smoothing=0.3)\n", 0.3,
       3},
  };
  for (size_t b = 0; b < sizeof backends / sizeof *backends; b++) {
    if (!test_backend_ready(backends[b], "cross-entropy against the formula")) continue;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
      kt_case c;
      const int64_t n = 6, k = cases[i].k;
      CU_ASSERT_EQUAL_FATAL(kt_setup(&c, cases[i].src, "y", (int)n, 21 + i), 0);
      const nnd_kernel *kern = nnd_registry_find_kernel(c.node->op->name, backends[b], NULL);
      CU_ASSERT_PTR_NOT_NULL_FATAL(kern);
      widen(&c, 12);
      double loss = 0, *dx = calloc((size_t)(n * k), sizeof *dx), *s = calloc((size_t)k, 8);
      CU_ASSERT_FATAL(dx && s);
      double g = c.grad_out.data[0], eps = cases[i].eps;
      for (int64_t r = 0; r < n; r++) {
        softmax_ref(c.in[0].data + r * k, k, 1, s);
        int64_t cls = (int64_t)c.in[1].data[r];
        for (int64_t j = 0; j < k; j++) {
          double q = (1 - eps) * (j == cls) + eps / (double)k;
          loss -= q * log(s[j]) / (double)n;
          dx[r * k + j] = g * (s[j] - q) / (double)n;
        }
      }
      char what[200];
      snprintf(what, sizeof what, "%s %s", backends[b], cases[i].src);
      run_and_compare(&c, kern, &loss, dx, what);
      free(dx), free(s);
      kt_free(&c);
    }
  }
}

static void test_binary_cross_entropy(void) {
  static const char *const srcs[] = {
      "input x: [1]\ninput t: binary\ny = binary_cross_entropy(x, t)\n",
      "input x: [1]\ninput t: [1]\ny = binary_cross_entropy(x, t)\n",
  };
  for (size_t b = 0; b < sizeof backends / sizeof *backends; b++) {
    if (!test_backend_ready(backends[b], "binary cross-entropy against the formula")) continue;
    for (size_t i = 0; i < sizeof srcs / sizeof *srcs; i++) {
      kt_case c;
      if (kt_setup(&c, srcs[i], "y", 7, 31 + i) != 0) fprintf(stderr, "\n%s\n", c.message);
      CU_ASSERT_PTR_NOT_NULL_FATAL(c.node);
      const nnd_kernel *kern = nnd_registry_find_kernel(c.node->op->name, backends[b], NULL);
      CU_ASSERT_PTR_NOT_NULL_FATAL(kern);
      widen(&c, 9);
      /* soft targets in [0, 1] for the float target case */
      if (c.node->n_inputs > 1 && !c.is_label[1])
        for (int64_t j = 0; j < c.in[1].numel; j++) c.in[1].data[j] = (c.in[1].data[j] + 1) / 2;
      int64_t count = c.in[0].numel;
      CU_ASSERT_FATAL(count > 0 && count < 1000);
      double loss = 0, *dz = calloc((size_t)count, sizeof *dz), g = c.grad_out.data[0];
      CU_ASSERT_FATAL(dz != NULL);
      for (int64_t j = 0; j < count; j++) {
        double z = c.in[0].data[j], t = c.in[1].data[j], p = 1 / (1 + exp(-z));
        loss += (-t * log(p) - (1 - t) * log(1 - p)) / (double)count;
        dz[j] = g * (p - t) / (double)count;
      }
      char what[200];
      snprintf(what, sizeof what, "%s %s", backends[b], srcs[i]);
      run_and_compare(&c, kern, &loss, dz, what);
      free(dz);
      kt_free(&c);
    }
  }
}

void test_loss_reference_register(void) {
  CU_pSuite s = CU_add_suite("softmax and losses against the formulas", suite_init, NULL);
  CU_add_test(s, "softmax and log_softmax", test_softmax);
  CU_add_test(s, "cross_entropy, with label smoothing", test_cross_entropy);
  CU_add_test(s, "binary_cross_entropy", test_binary_cross_entropy);
}
