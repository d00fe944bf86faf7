/* test_session.c — the executor through the C API: every small network of
 * the seed problem sets reproduces its numbers (what `nnd trace` prints) to
 * 1e-4, seeds make runs bit-identical, any batch size works, and errors come
 * back as messages, never as crashes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "session_internal.h"
#include "session_profile.h"
#include "tests.h"

static int suite_init(void) {
  /* make check sets NND_PLUGIN_PATH; a run by hand finds the build tree */
  const char *dir = NND_TEST_BUILDDIR "/plugins/.libs";
  nnd_load_plugins(&dir, 1);
  return 0;
}

typedef struct {
  nnd_model *m;
  nnd_session *s;
} run;

/* Compile a model file, run forward and backward once on its literals. */
static int run_file(const char *rel, run *r) {
  char path[1024], err[1024];
  memset(r, 0, sizeof *r);
  nnd_diag_list *d = NULL;
  if (nnd_compile_file(src_path(rel, path, sizeof path), &r->m, &d) != 0) {
    char *text = nnd_diag_render(d, 0);
    fprintf(stderr, "\n%s", text ? text : "");
    free(text);
    nnd_diag_list_free(d);
    return -1;
  }
  nnd_diag_list_free(d);
  if (nnd_session_new(r->m, NULL, &r->s, err, sizeof err) != 0) {
    fprintf(stderr, "\n%s: %s\n", rel, err);
    return -1;
  }
  if (nnd_session_forward(r->s, 1) != 0 || nnd_session_backward(r->s) != 0) {
    fprintf(stderr, "\n%s: %s\n", rel, nnd_session_error(r->s));
    return -1;
  }
  return 0;
}

static void run_free(run *r) {
  nnd_session_free(r->s);
  nnd_model_free(r->m);
}

static int expect(const run *r, const char *name, int grad, const double *want, int n) {
  nnd_tensor t;
  int rc = grad ? nnd_session_grad(r->s, name, &t) : nnd_session_value(r->s, name, &t);
  if (rc != 0 || t.numel != n) {
    fprintf(stderr, "\n%s%s: missing or %lld elements instead of %d\n", grad ? "dL/d" : "",
            name, rc ? -1LL : (long long)t.numel, n);
    return 0;
  }
  for (int i = 0; i < n; i++)
    if (!(fabs(t.data[i] - want[i]) <= 1e-4 * fmax(1, fabs(want[i])))) {
      fprintf(stderr, "\n%s%s[%d] = %.7g, expected %.7g\n", grad ? "dL/d" : "", name, i,
              t.data[i], want[i]);
      return 0;
    }
  return 1;
}

#define EXPECT(r, name, grad, ...)                                                   \
  do {                                                                               \
    static const double want_[] = {__VA_ARGS__};                                     \
    CU_ASSERT_TRUE(expect(r, name, grad, want_, (int)(sizeof want_ / sizeof *want_))); \
  } while (0)

static void test_s000_q1_sigmoid_neuron(void) {
  run r;
  CU_ASSERT_EQUAL_FATAL(run_file("models/seeds/s000_q1_sigmoid_neuron.nnd", &r), 0);
  EXPECT(&r, "z", 0, 4.55);
  CU_ASSERT_DOUBLE_EQUAL(nnd_session_loss(r.s), 0.0105118, 1e-6);
  EXPECT(&r, "w", 1, -0.0627402, -0.0418268, -0.0209134, -0.0313701, -0.0104567);
  EXPECT(&r, "b", 1, -0.0104567);
  run_free(&r);
}

static void test_s000_q2_network(void) {
  run r;
  CU_ASSERT_EQUAL_FATAL(run_file("models/seeds/s000_q2_network.nnd", &r), 0);
  EXPECT(&r, "hidden", 0, 0.52, 2.09);
  EXPECT(&r, "out", 0, 0.786843, 0.786171, 0.4965);
  CU_ASSERT_DOUBLE_EQUAL(nnd_session_loss(r.s), 1.30097, 1e-5);
  EXPECT(&r, "W", 1, 0.0317453, 0.127592, 0.0317968, 0.127799, -0.0946007, -0.380222);
  EXPECT(&r, "bw", 1, 0.0610486, 0.0611476, -0.181925);
  EXPECT(&r, "V", 1, -0.361621, -0.506269, -0.289297, -0.216973, -0.144648, 0.487366,
         0.682312, 0.389893, 0.292419, 0.194946);
  EXPECT(&r, "bv", 1, -0.0723242, 0.0974731);
  run_free(&r);
}

static void test_s002_q2_two_heads(void) {
  run r;
  CU_ASSERT_EQUAL_FATAL(run_file("models/seeds/s002_q2_two_heads.nnd", &r), 0);
  EXPECT(&r, "h", 0, 3, 3);
  CU_ASSERT_DOUBLE_EQUAL(nnd_session_loss(r.s), 2.07944, 1e-5);
  CU_ASSERT_DOUBLE_EQUAL(nnd_session_loss_term(r.s, 0, NULL, NULL), log(4.0), 1e-6);
  CU_ASSERT_DOUBLE_EQUAL(nnd_session_loss_term(r.s, 1, NULL, NULL), log(2.0), 1e-6);
  EXPECT(&r, "W", 1, 0.25, 0.5, 0.75, -0.25, -0.5, -0.75);
  EXPECT(&r, "p2.weight", 1, 1.5, 1.5);
  EXPECT(&r, "p2.bias", 1, 0.5);
  run_free(&r);
}

static void test_s002_q4_stable_cross_entropy(void) {
  run r;
  CU_ASSERT_EQUAL_FATAL(run_file("models/seeds/s002_q4_stable_ce_a.nnd", &r), 0);
  CU_ASSERT_DOUBLE_EQUAL(nnd_session_loss(r.s), 1.40761, 1e-5);
  /* softmax([0, 1, -1]) - onehot(0) */
  EXPECT(&r, "logits", 1, -0.7552715, 0.6652410, 0.0900306);
  run_free(&r);
  CU_ASSERT_EQUAL_FATAL(run_file("models/seeds/s002_q4_stable_ce_b.nnd", &r), 0);
  CU_ASSERT_DOUBLE_EQUAL(nnd_session_loss(r.s), 2000, 1e-3);
  EXPECT(&r, "logits", 1, -1, 0, 1);
  run_free(&r);
}

static void test_conv1d_same(void) {
  /* y = conv1d([1..6], [1, 0, -1], pad 1 each side) + 0.5; loss = mean(y^2) */
  run r;
  CU_ASSERT_EQUAL_FATAL(run_file("models/seeds/conv1d_same.nnd", &r), 0);
  EXPECT(&r, "y", 0, -1.5, -1.5, -1.5, -1.5, -1.5, 5.5);
  CU_ASSERT_DOUBLE_EQUAL(nnd_session_loss(r.s), 41.5 / 6, 1e-5);
  EXPECT(&r, "y.weight", 1, 25.0 / 6, 3.5, -10);
  EXPECT(&r, "y.bias", 1, -2.0 / 3);
  run_free(&r);
}

static void test_sigmoid_2_3_2(void) {
  run r;
  CU_ASSERT_EQUAL_FATAL(run_file("models/seeds/sigmoid_2_3_2.nnd", &r), 0);
  EXPECT(&r, "h", 0, 0.4650570548, 0.3705168880, 0.7068222211);
  CU_ASSERT_DOUBLE_EQUAL(nnd_session_loss(r.s), 1.1366777350, 1e-5);
  EXPECT(&r, "W2", 1, 0.3158280067, 0.2516242017, 0.4800147656, -0.3158280067,
         -0.2516242017, -0.4800147656);
  EXPECT(&r, "b2", 1, 0.6791166877, -0.6791166877);
  EXPECT(&r, "W1", 1, 0.0675799856, -0.1351599712, -0.0791965928, 0.1583931856,
         0.0844377977, -0.1688755954);
  EXPECT(&r, "b1", 1, 0.1351599712, -0.1583931856, 0.1688755954);
  EXPECT(&r, "x", 1, 0.1454717505, -0.1376506372);
  run_free(&r);
}

static void test_fan_out_sums_gradients(void) {
  /* y = x*x + x uses x three times: dL/dx = 2x + 1 for L = sum via mse */
  nnd_model *m = compile_ok("input x: [3] = [1, 2, 3]\ninput t: [3] = [0, 0, 0]\n"
                            "y = x * x + x\nloss mse(y, t) * 1.5\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  nnd_session *s = NULL;
  char err[512];
  CU_ASSERT_EQUAL_FATAL(nnd_session_new(m, NULL, &s, err, sizeof err), 0);
  CU_ASSERT_EQUAL(nnd_session_forward(s, 1), 0);
  CU_ASSERT_EQUAL(nnd_session_backward(s), 0);
  nnd_tensor g;
  CU_ASSERT_EQUAL_FATAL(nnd_session_grad(s, "x", &g), 0);
  /* L = 1.5 * mean(y^2): dL/dx = 1.5 * 2y/3 * (2x + 1), y = [2, 6, 12] */
  const double y[] = {2, 6, 12}, x[] = {1, 2, 3};
  for (int i = 0; i < 3; i++) CU_ASSERT_DOUBLE_EQUAL(g.data[i], y[i] * (2 * x[i] + 1), 1e-4);
  nnd_session_free(s);
  nnd_model_free(m);
}

/* Every gradient of a model on the backends of `list`, in node order. */
static float *all_grads(nnd_model *m, const char *list, int64_t *n) {
  nnd_session_options o = {.size = sizeof o, .backends = list};
  nnd_session *s = NULL;
  char err[512];
  *n = 0;
  if (nnd_session_new(m, &o, &s, err, sizeof err) != 0) {
    fprintf(stderr, "\n%s\n", err);
    return NULL;
  }
  float *out = NULL;
  if (nnd_session_forward(s, 1) == 0 && nnd_session_backward(s) == 0) {
    int64_t total = 0;
    nnd_tensor g;
    for (int id = 0; id < m->n_nodes; id++)
      if (nnd_session_grad(s, m->nodes[id].name, &g) == 0) total += g.numel;
    out = malloc((size_t)total * sizeof *out + 1);
    for (int id = 0; out && id < m->n_nodes; id++)
      if (nnd_session_grad(s, m->nodes[id].name, &g) == 0) {
        memcpy(out + *n, g.data, (size_t)g.numel * sizeof *out);
        *n += g.numel;
      }
  }
  nnd_session_free(s);
  return out;
}

/* The openmp activations store the gradient they write first (ABI 1.3,
 * grad_assign); the executor must hand that only to the first writer of
 * each gradient in the pass. x feeds three storing kernels and y two
 * losses, one through relu: every gradient must equal naive's, which adds
 * into zeroed buffers. */
static void test_first_writer_stores(void) {
  if (!nnd_registry_find_kernel("relu", "openmp", NULL)) {
    CU_ASSERT_PTR_NULL(getenv("CI")); /* the subject is missing */
    return;
  }
  nnd_model *m = compile_ok("input x: [4] = [1, -2, 3, 0.5]\ninput t: [4] = [0, 1, 0, 1]\n"
                            "y = relu(x) * sigmoid(x) + tanh(x) * x\n"
                            "loss mse(y, t)\nloss mse(relu(y), t) * 2\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  int64_t n_ref, n_got;
  float *ref = all_grads(m, "naive", &n_ref), *got = all_grads(m, "openmp,naive", &n_got);
  CU_ASSERT_PTR_NOT_NULL(ref);
  CU_ASSERT_PTR_NOT_NULL(got);
  CU_ASSERT_EQUAL(n_got, n_ref);
  CU_ASSERT(n_ref > 10);
  for (int64_t i = 0; ref && got && i < n_ref && i < n_got; i++)
    if (!(fabs(got[i] - ref[i]) <= 1e-5 * fmax(1, fabs(ref[i])))) {
      fprintf(stderr, "\ngradient element %lld: %.9g on openmp, %.9g on naive\n", (long long)i,
              got[i], ref[i]);
      CU_FAIL("openmp's gradients differ from naive's");
      break;
    }
  free(ref);
  free(got);
  nnd_model_free(m);
}

/* Loss and parameter gradients of one forward and backward of small_cnn
 * at `batch` on inputs that depend only on the sample's index. */
static double step_at(nnd_session *s, int batch, float *grads, int64_t *n) {
  float x[8 * 36], y[8];
  for (int i = 0; i < batch * 36; i++) x[i] = (float)((i * 29) % 17) / 17.0f - 0.5f;
  for (int i = 0; i < batch; i++) y[i] = (float)(i % 3);
  if (nnd_session_set_batch(s, batch) != 0 || nnd_session_set_input(s, "x", x, batch * 36) != 0 ||
      nnd_session_set_input(s, "y", y, batch) != 0 || nnd_session_forward(s, 1) != 0 ||
      nnd_session_backward(s) != 0)
    return NAN;
  const float *g = nnd_session_param_grads(s, n);
  if (*n > 512) return NAN; /* the callers' buffers hold 512 */
  memcpy(grads, g, (size_t)*n * sizeof *grads);
  return nnd_session_loss(s);
}

/* A smaller batch is laid out inside the block a larger one left (the
 * epoch's short last batch, the test set's): no second block, and the same
 * numbers as a session that only ever had the smaller batch. */
static void test_smaller_batch_reuses_block(void) {
  nnd_model *m = compile_ok("input x: [1, 6, 6]\ninput y: class[3]\n"
                            "h = maxpool(relu(conv2d(x, filters=4, kernel=3, padding=1)), size=2)\n"
                            "loss cross_entropy(dense(flatten(h), units=3), y)\n"
                            "train { optimizer = sgd(lr=0.1); seed = 5 }\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  nnd_session *big = NULL, *fresh = NULL;
  char err[512];
  CU_ASSERT_EQUAL_FATAL(nnd_session_new(m, NULL, &big, err, sizeof err), 0);
  CU_ASSERT_EQUAL_FATAL(nnd_session_new(m, NULL, &fresh, err, sizeof err), 0);
  float g_big[512], g_fresh[512];
  int64_t n_big = 0, n_fresh = 0;
  CU_ASSERT(isfinite(step_at(big, 8, g_big, &n_big)));
  const float *block = big->batch_block;
  double l_big = step_at(big, 3, g_big, &n_big), l_fresh = step_at(fresh, 3, g_fresh, &n_fresh);
  CU_ASSERT_PTR_EQUAL(big->batch_block, block);
  CU_ASSERT(isfinite(l_big) && l_big == l_fresh);
  CU_ASSERT_EQUAL(n_big, n_fresh);
  CU_ASSERT(n_big > 0 && n_big < 512 &&
            memcmp(g_big, g_fresh, (size_t)n_big * sizeof *g_big) == 0);
  /* and back up: a larger batch gets a block of its own */
  CU_ASSERT(isfinite(step_at(big, 8, g_big, &n_big)));
  nnd_session_free(big);
  nnd_session_free(fresh);
  nnd_model_free(m);
}

static char *weights_after_steps(const char *src, int batch, int steps, double *loss) {
  nnd_model *m = compile_ok(src);
  if (!m) return NULL;
  nnd_session *s = NULL;
  char err[512];
  if (nnd_session_new(m, NULL, &s, err, sizeof err) != 0 || nnd_session_set_batch(s, batch) != 0) {
    fprintf(stderr, "\n%s\n", err);
    nnd_model_free(m);
    return NULL;
  }
  float *x = calloc((size_t)batch * 4, sizeof *x), *y = calloc((size_t)batch, sizeof *y);
  for (int i = 0; i < batch * 4; i++) x[i] = (float)((i * 37 % 11) - 5) / 5;
  for (int i = 0; i < batch; i++) y[i] = (float)(i % 3);
  nnd_session_set_input(s, "x", x, batch * 4);
  nnd_session_set_input(s, "y", y, batch);
  for (int k = 0; k < steps; k++) {
    nnd_session_forward(s, 1);
    nnd_session_backward(s);
    nnd_session_step(s, -1);
  }
  *loss = nnd_session_loss(s);
  int64_t n;
  float *p = nnd_session_params(s, &n);
  char *copy = malloc((size_t)n * sizeof(float));
  memcpy(copy, p, (size_t)n * sizeof(float));
  free(x);
  free(y);
  nnd_session_free(s);
  nnd_model_free(m);
  return copy;
}

static const char *small_mlp =
    "input x: [4]\ninput y: class[3]\n"
    "h = dropout(relu(dense(x, units=16)), rate=0.25)\n"
    "loss cross_entropy(dense(h, units=3), y)\n"
    "train { optimizer = adam(lr=0.01); seed = 123 }\n";

static void test_same_seed_is_bit_identical(void) {
  double l1 = 0, l2 = 0;
  char *a = weights_after_steps(small_mlp, 8, 5, &l1);
  char *b = weights_after_steps(small_mlp, 8, 5, &l2);
  CU_ASSERT_PTR_NOT_NULL_FATAL(a);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  CU_ASSERT_EQUAL(memcmp(a, b, (4 * 16 + 16 + 16 * 3 + 3) * sizeof(float)), 0);
  CU_ASSERT_EQUAL(memcmp(&l1, &l2, sizeof l1), 0);
  free(a);
  free(b);
}

static void test_training_lowers_the_loss_at_any_batch(void) {
  static const int batches[] = {1, 3, 8, 64};
  for (size_t i = 0; i < sizeof batches / sizeof *batches; i++) {
    double first, last;
    char *a = weights_after_steps(small_mlp, batches[i], 1, &first);
    char *b = weights_after_steps(small_mlp, batches[i], 60, &last);
    CU_ASSERT_PTR_NOT_NULL(a);
    CU_ASSERT_TRUE(last < first);
    free(a);
    free(b);
  }
}

static void test_inference_mode_turns_dropout_off(void) {
  nnd_model *m = compile_ok("input x: [100] = 1\ny = dropout(x, rate=0.5)\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  nnd_session *s = NULL;
  char err[512];
  CU_ASSERT_EQUAL_FATAL(nnd_session_new(m, NULL, &s, err, sizeof err), 0);
  nnd_tensor y;
  CU_ASSERT_EQUAL(nnd_session_forward(s, 0), 0);
  CU_ASSERT_EQUAL_FATAL(nnd_session_value(s, "y", &y), 0);
  double sum = 0;
  for (int i = 0; i < 100; i++) sum += y.data[i];
  CU_ASSERT_DOUBLE_EQUAL(sum, 100, 1e-9);
  CU_ASSERT_EQUAL(nnd_session_forward(s, 1), 0);
  int zeros = 0;
  for (int i = 0; i < 100; i++) zeros += y.data[i] == 0;
  CU_ASSERT_TRUE(zeros > 25 && zeros < 75);
  nnd_session_free(s);
  nnd_model_free(m);
}

static int no_infer(nnd_infer *ctx) {
  ctx->output = ctx->inputs[0];
  return 0;
}

/* Without input gradients the inputs get none (and flatten(x), which depends
 * only on x, none either), while every parameter gradient stays what it is
 * with them, bit for bit. */
static void test_no_input_grads(void) {
  nnd_model *m = compile_ok("input x: [2, 3] = [[1, -2, 3], [0.5, 1, -1]]\n"
                            "input y: class[2] = 1\n"
                            "f = flatten(x)\nh = relu(dense(f, units=4))\n"
                            "loss cross_entropy(dense(h, units=2), y)\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  nnd_session *with = NULL, *without = NULL;
  char err[512];
  nnd_session_options o = {.size = sizeof o, .no_input_grads = 1};
  CU_ASSERT_EQUAL_FATAL(nnd_session_new(m, NULL, &with, err, sizeof err), 0);
  CU_ASSERT_EQUAL_FATAL(nnd_session_new(m, &o, &without, err, sizeof err), 0);
  nnd_session *both[] = {with, without};
  for (int i = 0; i < 2; i++) {
    CU_ASSERT_EQUAL(nnd_session_forward(both[i], 1), 0);
    CU_ASSERT_EQUAL(nnd_session_backward(both[i]), 0);
  }
  nnd_tensor g;
  CU_ASSERT_EQUAL(nnd_session_grad(with, "x", &g), 0);
  CU_ASSERT_EQUAL(nnd_session_grad(with, "f", &g), 0);
  CU_ASSERT_EQUAL(nnd_session_grad(without, "x", &g), -1);
  CU_ASSERT_EQUAL(nnd_session_grad(without, "f", &g), -1);
  CU_ASSERT_EQUAL(nnd_session_grad(without, "h", &g), 0);
  int64_t n1, n2;
  float *g1 = nnd_session_param_grads(with, &n1), *g2 = nnd_session_param_grads(without, &n2);
  CU_ASSERT_EQUAL_FATAL(n1, n2);
  CU_ASSERT_EQUAL(n1, 6 * 4 + 4 + 4 * 2 + 2);
  CU_ASSERT_EQUAL(memcmp(g1, g2, (size_t)n1 * sizeof(float)), 0);
  double nonzero = 0;
  for (int64_t i = 0; i < n1; i++) nonzero += fabs(g1[i]);
  CU_ASSERT(nonzero > 0);
  nnd_session_free(with);
  nnd_session_free(without);
  nnd_model_free(m);
}

static void test_api_errors_are_messages(void) {
  /* an op with a schema but no kernel anywhere */
  static const nnd_op_schema kernelless = {sizeof(nnd_op_schema), "test.kernelless", "", 1, 1,
                                           NULL, 0, 0, no_infer};
  char msg[256];
  if (!nnd_registry_find_op("test.kernelless", NULL))
    CU_ASSERT_EQUAL(nnd_registry_add_op(&kernelless, "test_session.c", msg, sizeof msg), 0);
  nnd_model *m = compile_ok("input x: [2]\ny = relu(x)\nz = kernelless(y)\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  nnd_session *s = NULL;
  char err[512];
  CU_ASSERT_EQUAL(nnd_session_new(m, NULL, &s, err, sizeof err), -1);
  CU_ASSERT_PTR_NULL(s);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "test.nnd:3:5: node `z` (test.kernelless): no kernel runs "
                                     "this op (backends tried: "));
  /* naive is always the last one tried, after the fast backends built */
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "naive)"));
  /* an unknown backend in the preference list is refused, not replaced by
     naive (test_session_limits.c has the details) */
  nnd_model_free(m);
  m = compile_ok("input x: [2]\ny = relu(x)\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  nnd_session_options pref = {.size = sizeof pref, .backends = "no_such_backend"};
  CU_ASSERT_EQUAL(nnd_session_new(m, &pref, &s, err, sizeof err), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown backend `no_such_backend`"));
  pref.backends = "naive";
  CU_ASSERT_EQUAL_FATAL(nnd_session_new(m, &pref, &s, err, sizeof err), 0);
  CU_ASSERT_STRING_EQUAL(nnd_session_backend(s, "y"), "naive");
  float v[3] = {1, 2, 3};
  CU_ASSERT_EQUAL(nnd_session_set_input(s, "x", v, 3), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(nnd_session_error(s), "takes 2 values for a batch of 1"));
  CU_ASSERT_EQUAL(nnd_session_set_input(s, "nope", v, 2), -1);
  CU_ASSERT_EQUAL(nnd_session_set_batch(s, 0), -1);
  CU_ASSERT_EQUAL(nnd_session_step(s, 0.1), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(nnd_session_error(s), "optimizer"));
  nnd_session_free(s);
  nnd_model_free(m);
}

/* The per-node profile (session_profile.c) counts every kernel call of the
 * steps since it started, with finite, non-negative times that together
 * fit in the steps' wall time; off, it holds nothing. */
static void test_profile_counts_calls(void) {
  nnd_model *m = compile_ok(small_mlp);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  nnd_session *s = NULL;
  char err[512];
  CU_ASSERT_EQUAL_FATAL(nnd_session_new(m, NULL, &s, err, sizeof err), 0);
  CU_ASSERT_EQUAL_FATAL(nnd_session_set_batch(s, 4), 0);
  const nnd_node *h = nnd_ir_find(m, "h");
  CU_ASSERT_PTR_NOT_NULL_FATAL(h);
  CU_ASSERT_PTR_NULL(nnd_session_profile_node(s, h->id));
  float x[16] = {0}, y[4] = {0, 1, 2, 0};
  nnd_session_set_input(s, "x", x, 16);
  nnd_session_set_input(s, "y", y, 4);
  CU_ASSERT_EQUAL(nnd_session_forward(s, 1), 0); /* before the start: not counted */
  CU_ASSERT_EQUAL_FATAL(nnd_session_profile_start(s), 0);
  double t0 = nnd_profile_now();
  for (int k = 0; k < 3; k++) {
    CU_ASSERT_EQUAL(nnd_session_forward(s, 1), 0);
    CU_ASSERT_EQUAL(nnd_session_backward(s), 0);
    CU_ASSERT_EQUAL(nnd_session_step(s, -1), 0);
  }
  double wall = nnd_profile_now() - t0, kernels = 0;
  int ops = 0;
  for (int id = 0; id < m->n_nodes; id++) {
    const nnd_node_profile *p = nnd_session_profile_node(s, id);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    if (m->nodes[id].kind != NND_NODE_OP) {
      CU_ASSERT_EQUAL(p->forward_calls + p->backward_calls, 0);
      continue;
    }
    ops++;
    CU_ASSERT_EQUAL(p->forward_calls, 3);
    CU_ASSERT_EQUAL(p->backward_calls, 3);
    CU_ASSERT(p->forward >= 0 && p->backward >= 0 && isfinite(p->forward + p->backward));
    kernels += p->forward + p->backward;
  }
  CU_ASSERT(ops >= 5);
  CU_ASSERT(s->profile_step > 0 && s->profile_zero >= 0);
  CU_ASSERT(kernels + s->profile_step + s->profile_zero <= wall);
  nnd_session_free(s);
  nnd_model_free(m);
}

void test_session_register(void) {
  CU_pSuite s = CU_add_suite("session", suite_init, NULL);
  CU_add_test(s, "s000-q1 one sigmoid neuron", test_s000_q1_sigmoid_neuron);
  CU_add_test(s, "s000-q2 a 5-2-3 network", test_s000_q2_network);
  CU_add_test(s, "s002-q2 two heads", test_s002_q2_two_heads);
  CU_add_test(s, "s002-q4 stable cross-entropy", test_s002_q4_stable_cross_entropy);
  CU_add_test(s, "conv1d padding same", test_conv1d_same);
  CU_add_test(s, "the 2-3-2 sigmoid network", test_sigmoid_2_3_2);
  CU_add_test(s, "fan-out sums gradients", test_fan_out_sums_gradients);
  CU_add_test(s, "only a gradient's first writer stores", test_first_writer_stores);
  CU_add_test(s, "a smaller batch reuses the block", test_smaller_batch_reuses_block);
  CU_add_test(s, "the profile counts every kernel call", test_profile_counts_calls);
  CU_add_test(s, "same seed, bit-identical", test_same_seed_is_bit_identical);
  CU_add_test(s, "training lowers the loss at any batch", test_training_lowers_the_loss_at_any_batch);
  CU_add_test(s, "inference mode turns dropout off", test_inference_mode_turns_dropout_off);
  CU_add_test(s, "no_input_grads skips only the inputs' gradients", test_no_input_grads);
  CU_add_test(s, "API errors are messages", test_api_errors_are_messages);
}
