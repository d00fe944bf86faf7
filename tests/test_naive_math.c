/* test_naive_math.c — the naive arithmetic, activation, reshape and loss
 * kernels and the naive optimizers. Forward values are hand-computed (the
 * seed models' numbers among them); every backward is checked against central
 * differences over several shapes; the optimizers are stepped by hand. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>

#include "kernel_harness.h"
#include "naive.h"

#define TOL 2e-6     /* relative (absolute below 1): float32 of values computed in double */
#define GC_EPS 1e-2  /* finite-difference step: float32 needs a coarse one */
#define GC_TOL 1e-2

/* Our own table, not nnd_naive_kernel(): the layer kernels are another file. */
static const nnd_kernel *K(const char *op) {
  for (int i = 0; i < nnd_naive_math_kernel_count; i++)
    if (strcmp(nnd_naive_math_kernels[i].op, op) == 0) return &nnd_naive_math_kernels[i];
  return NULL;
}

static int setup(kt_case *c, const char *src, const char *node, int batch) {
  if (kt_setup(c, src, node, batch, 1234) == 0) return 1;
  fprintf(stderr, "\nkt_setup failed for:\n%s%s\n", src, c->message);
  CU_FAIL("kt_setup failed");
  return 0;
}

/* Move every float input at least `margin` away from 0, keeping its sign,
 * so a finite difference never straddles relu's kink. */
static void away_from_zero(kt_case *c, float margin) {
  for (int i = 0; i < c->n_inputs; i++)
    for (int64_t j = 0; j < c->in[i].numel; j++) {
      float *x = &c->in[i].data[j];
      *x = *x < 0 ? *x - margin : *x + margin;
    }
}

/* Finite differences over node y (l for a loss) at a batch; prints on failure. */
static int gc_ok(const char *src, int batch, float margin) {
  kt_case c;
  if (!setup(&c, src, strstr(src, "\nl =") ? "l" : "y", batch)) return 0;
  if (margin > 0) away_from_zero(&c, margin);
  double err = kt_gradcheck(&c, K(c.node->op->name), 1, GC_EPS);
  int ok = err >= 0 && err < GC_TOL;
  if (!ok) fprintf(stderr, "\ngradcheck %.3g (%s) batch %d:\n%s", err, c.message, batch, src);
  kt_free(&c);
  return ok;
}

/* Each source checked at batch 1 and batch 3. */
static void gc_all(const char *const *srcs, int n, float margin) {
  for (int i = 0; i < n; i++) {
    CU_ASSERT(gc_ok(srcs[i], 1, margin));
    CU_ASSERT(gc_ok(srcs[i], 3, margin));
  }
}
#define GC_ALL(SRCS, MARGIN) gc_all(SRCS, (int)(sizeof SRCS / sizeof SRCS[0]), MARGIN)

/* One hand-computed case: a model, the values of one input (optional), the
 * expected output, and after a backward with every grad_output element g,
 * the expected gradients of up to two inputs. */
typedef struct {
  const char *src;
  int batch;
  int set;                  /* input that set_vals fills, when given */
  const float *set_vals;
  const float *y;           /* expected output */
  int64_t numel;            /* expected output size, when not 0 */
  float g;                  /* grad_output, every element */
  int gi, gj;               /* inputs whose gradients gx, gx2 are (NULL: unchecked) */
  const float *gx, *gx2;
} fb_case;

static void run_fb(const fb_case *t, const char *what) {
  kt_case c;
  if (!setup(&c, t->src, strstr(t->src, "\nl =") ? "l" : "y", t->batch)) return;
  const nnd_kernel *k = K(c.node->op->name);
  if (t->set_vals) kt_set(&c, t->set, t->set_vals);
  if (t->numel) CU_ASSERT_EQUAL(c.out.numel, t->numel);
  int rc = kt_forward(&c, k, 1);
  CU_ASSERT_EQUAL(rc, 0);
  if (rc != 0) fprintf(stderr, "\n%s: forward failed: %s\n", what, c.message);
  if (rc == 0 && t->y) CU_ASSERT(kt_close(c.out.data, t->y, c.out.numel, TOL, what));
  if (rc == 0 && (t->gx || t->gx2)) {
    for (int64_t j = 0; j < c.grad_out.numel; j++) c.grad_out.data[j] = t->g;
    CU_ASSERT_EQUAL_FATAL(kt_backward(&c, k, 1), 0);
    if (t->gx) CU_ASSERT(kt_close(c.grad_in[t->gi].data, t->gx, c.in[t->gi].numel, TOL, what));
    if (t->gx2)
      CU_ASSERT(kt_close(c.grad_in[t->gj].data, t->gx2, c.in[t->gj].numel, TOL, what));
  }
  kt_free(&c);
}

#define F(...) ((const float[]){__VA_ARGS__})
#define FB(...) run_fb(&(fb_case){__VA_ARGS__}, __func__)

/* ------------------------------------------------------------- arithmetic */

static void test_table(void) {
  static const char *const ops[] = {
      "add", "sub", "mul", "matmul", "relu", "sigmoid", "tanh", "leaky_relu", "softmax",
      "log_softmax", "flatten", "reshape", "concat", "cross_entropy", "nll",
      "binary_cross_entropy", "mse", "one_hot"};
  CU_ASSERT_EQUAL(nnd_naive_math_kernel_count, 18);
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    const nnd_kernel *k = K(ops[i]);
    CU_ASSERT_PTR_NOT_NULL_FATAL(k);
    CU_ASSERT_EQUAL(k->size, sizeof(nnd_kernel));
    CU_ASSERT_STRING_EQUAL(k->backend, "naive");
    CU_ASSERT(k->forward != NULL && k->backward != NULL);
  }
}

/* A shared bias meets every sample; its gradient sums over the batch. */
static void test_add_batch_broadcast(void) {
  FB(.src = "input a: [2] = [[1, 2], [3, 4], [5, 6]]\nparam b: [2]\ny = a + b\n", .batch = 3,
     .set = 1, .set_vals = F(10, 20), .y = F(11, 22, 13, 24, 15, 26), .g = 1,
     .gi = 0, .gx = F(1, 1, 1, 1, 1, 1), .gj = 1, .gx2 = F(3, 3));
}

/* [3, 2] - [2]: the row is taken from every row; d/db = -(rows). */
static void test_sub_forward(void) {
  FB(.src = "input a: [3, 2] = [[1, 2], [3, 4], [5, 6]]\ninput b: [2] = [1, 10]\ny = a - b\n",
     .batch = 1, .y = F(0, -8, 2, -6, 4, -4), .g = 1, .gi = 1, .gx = F(-3, -3));
}

/* [2, 1] * [3] is an outer product; d/da sums b over the stretched dim. */
static void test_mul_forward(void) {
  FB(.src = "input a: [2, 1] = [[2], [-1]]\nparam b: [3]\ny = a * b\n", .batch = 1, .set = 1,
     .set_vals = F(1, 2, 3), .y = F(2, 4, 6, -1, -2, -3), .g = 1, .gi = 0, .gx = F(6, 6),
     .gj = 1, .gx2 = F(1, 1, 1));
}

/* Two parameters give an unbatched result (6 elements at batch 3, not 18);
 * a's gradient sums b's rows. */
static void test_add_unbatched(void) {
  FB(.src = "param a: [2]\nparam b: [3, 2]\ny = a + b\n", .batch = 3, .set = 1,
     .set_vals = F(0, 1, 2, 3, 4, 5), .numel = 6, .g = 1, .gi = 0, .gx = F(3, 3), .gj = 1,
     .gx2 = F(1, 1, 1, 1, 1, 1));
}

/* y = a OP b for each pair of declarations, at batch 1 and 3. */
static void gc_binary(const char *const (*cases)[2], size_t n, const char *op) {
  for (size_t i = 0; i < n; i++) {
    char src[128];
    snprintf(src, sizeof src, "%s\n%s\ny = a %s b\n", cases[i][0], cases[i][1], op);
    CU_ASSERT(gc_ok(src, 1, 0));
    CU_ASSERT(gc_ok(src, 3, 0));
  }
}
#define GC_BINARY(CASES, OP) gc_binary(CASES, sizeof CASES / sizeof CASES[0], OP)

/* batched + shared, right-aligned stretching, a scalar, unbatched + unbatched */
static const char *const broadcast_cases[][2] = {
    {"input a: [2]", "param b: [2]"},          {"param a: [2]", "input b: [2]"},
    {"input a: [2]", "input b: [3, 2]"},       {"input a: [3, 1]", "input b: [1, 4]"},
    {"input a: [2, 3]", "param b: []"},        {"param a: [4, 1, 3]", "input b: [2, 1]"},
    {"param a: [2]", "param b: [3, 2]"},
};

static void test_add_gradcheck(void) { GC_BINARY(broadcast_cases, "+"); }
static void test_sub_gradcheck(void) { GC_BINARY(broadcast_cases, "-"); }
static void test_mul_gradcheck(void) { GC_BINARY(broadcast_cases, "*"); }

/* W @ x with the two_heads values of models/seeds/s002_q2_two_heads.nnd (h = [3, 3] before relu).
 * The inputs come in expression order: W, then x. */
static void test_matmul_matrix_vector(void) {
  FB(.src = "input x: [3] = [1, 2, 3]\nparam W: [2, 3]\ny = W @ x\n", .batch = 1, .set = 0,
     .set_vals = F(1, 1, 0, 0, 0, 1), .y = F(3, 3), .g = 1, .gi = 0,
     .gx = F(1, 2, 3, 1, 2, 3), .gj = 1, .gx2 = F(1, 1, 1));
}

/* x @ W treats x as a row vector; dW row q = x1[q] + x2[q] (batch sum). */
static void test_matmul_row_vector(void) {
  FB(.src = "input x: [3] = [[1, 2, 3], [0, 1, 0]]\nparam W: [3, 2]\ny = x @ W\n", .batch = 2,
     .set = 1, .set_vals = F(1, 0, 0, 1, 1, 1), .y = F(4, 5, 0, 1), .g = 1, .gi = 1,
     .gx = F(1, 1, 3, 3, 3, 3));
}

/* [3] @ [3]: a dot product, one scalar per sample; d/da = g b. */
static void test_matmul_dot(void) {
  FB(.src = "input a: [3] = [1, 2, 3]\ninput b: [3] = [4, -5, 6]\ny = a @ b\n", .batch = 1,
     .y = F(12), .g = 2, .gi = 0, .gx = F(8, -10, 12), .gj = 1, .gx2 = F(2, 4, 6));
}

/* A matrix per sample on both sides. */
static void test_matmul_batched_matrices(void) {
  FB(.src = "input a: [2, 2] = [[[1, 2], [3, 4]], [[0, 1], [1, 0]]]\n"
            "input b: [2, 1] = [[[1], [1]], [[5], [7]]]\ny = a @ b\n",
     .batch = 2, .y = F(3, 7, 7, 5), .g = 1, .gi = 1, .gx = F(4, 6, 1, 1));
}

/* Every 1-D/2-D combination, batched (input) and shared (param), and
 * broadcast leading dims. */
static void test_matmul_gradcheck(void) {
  static const char *const cases[][2] = {
      {"input a: [3]", "input b: [3]"},       {"param a: [3]", "input b: [3]"},
      {"param a: [2, 3]", "input b: [3]"},    {"input a: [2, 3]", "input b: [3]"},
      {"input a: [3]", "param b: [3, 2]"},    {"input a: [3]", "input b: [3, 2]"},
      {"input a: [2, 3]", "param b: [3, 4]"}, {"param a: [2, 3]", "input b: [3, 4]"},
      {"input a: [2, 3]", "input b: [3, 4]"}, {"input a: [2, 2, 3]", "param b: [3, 4]"},
      {"param a: [2, 3]", "input b: [5, 3, 4]"}, {"input a: [2, 1, 2, 3]", "input b: [3, 3, 2]"},
      {"input a: [3]", "param b: [2, 3, 4]"}, {"param a: [2, 3]", "param b: [3]"},
  };
  GC_BINARY(cases, "@");
}

/* ------------------------------------------------------------ activations */

/* relu'(0) = 0, as PyTorch has it. */
static void test_relu(void) {
  FB(.src = "input x: [4] = [-1, 0, 2, 0.5]\ny = relu(x)\n", .batch = 1, .y = F(0, 0, 2, 0.5f),
     .g = 3, .gx = F(0, 0, 3, 3));
}

/* sigmoid(4.55) of s000-q1 (models/seeds/s000_q1_sigmoid_neuron.nnd); +-1000
 * stays finite. Gradient s (1 - s). */
static void test_sigmoid(void) {
  FB(.src = "input x: [4] = [0, 4.55, -1000, 1000]\ny = sigmoid(x)\n", .batch = 1,
     .y = F(0.5f, 0.989543294f, 0, 1), .g = 1, .gx = F(0.25f, 0.0103473989f, 0, 0));
}

/* Gradient 1 - tanh^2. */
static void test_tanh(void) {
  FB(.src = "input x: [3] = [0, 0.5, -1]\ny = tanh(x)\n", .batch = 1,
     .y = F(0, 0.462117157f, -0.761594156f), .g = 1, .gx = F(1, 0.786447733f, 0.419974342f));
}

/* The default slope is 0.01; at 0 the negative side's slope applies. */
static void test_leaky_relu(void) {
  FB(.src = "input x: [3] = [-2, 3, -0.5]\ny = leaky_relu(x)\n", .batch = 1,
     .y = F(-0.02f, 3, -0.005f), .g = 1, .gx = F(0.01f, 1, 0.01f));
  FB(.src = "input x: [3] = [-2, 3, 0]\ny = leaky_relu(x, slope=0.2)\n", .batch = 1,
     .y = F(-0.4f, 3, 0), .g = 1, .gx = F(0.2f, 1, 0.2f));
}

/* A shift by 1000 gives the same, finite probabilities; a constant
 * grad_output has zero gradient through softmax. */
static void test_softmax_forward(void) {
  FB(.src = "input x: [3] = [[1, 2, 3], [1000, 1001, 999]]\ny = softmax(x)\n", .batch = 2,
     .y = F(0.0900305732f, 0.244728471f, 0.665240956f, 0.244728471f, 0.665240956f,
            0.0900305732f),
     .g = 1, .gx = F(0, 0, 0, 0, 0, 0));
  /* axis 0 of a [2, 2] sample normalises each column */
  FB(.src = "input x: [2, 2] = [[1, 2], [3, 4]]\ny = softmax(x, axis=0)\n", .batch = 1,
     .y = F(0.119202922f, 0.119202922f, 0.880797078f, 0.880797078f));
}

/* dx = g - softmax * sum(g): with g = 1 and K = 3 that is 1 - 3 softmax. */
static void test_log_softmax_forward(void) {
  FB(.src = "input x: [3] = [[1, 2, 3], [-1000, 0, 1000]]\ny = log_softmax(x)\n", .batch = 2,
     .y = F(-2.40760596f, -1.40760596f, -0.407605964f, -2000, -1000, 0), .g = 1,
     .gx = F(0.729908288f, 0.265814587f, -0.995722875f, 1, 1, -2));
}

static void test_pointwise_gradcheck(void) {
  static const char *const srcs[] = {
      "input x: [5]\ny = relu(x)\n",       "input x: [2, 3]\ny = sigmoid(x)\n",
      "input x: [2, 3]\ny = tanh(x)\n",    "input x: [4]\ny = leaky_relu(x)\n",
      "input x: [4]\ny = leaky_relu(x, slope=0.3)\n", "param x: [2, 2]\ny = relu(x)\n",
      "param x: [3]\ny = sigmoid(x)\n",
  };
  GC_ALL(srcs, 0.1f); /* relu's kink stays 0.1 > GC_EPS away */
}

static void test_softmax_gradcheck(void) {
  static const char *const srcs[] = {
      "input x: [5]\ny = softmax(x)\n", "input x: [3, 4]\ny = softmax(x)\n",
      "input x: [3, 4]\ny = softmax(x, axis=-1)\n", "input x: [3, 4]\ny = softmax(x, axis=0)\n",
      "input x: [2, 3, 4]\ny = softmax(x, axis=1)\n", "param x: [3, 4]\ny = softmax(x, axis=0)\n",
  };
  GC_ALL(srcs, 0);
}

static void test_log_softmax_gradcheck(void) {
  static const char *const srcs[] = {
      "input x: [5]\ny = log_softmax(x)\n", "input x: [3, 4]\ny = log_softmax(x, axis=-1)\n",
      "input x: [3, 4]\ny = log_softmax(x, axis=0)\n",
      "input x: [2, 3, 4]\ny = log_softmax(x, axis=-2)\n",
  };
  GC_ALL(srcs, 0);
}

/* A bad axis in a hand-made ctx fails with a message, not a crash. */
static void test_softmax_bad_axis(void) {
  kt_case c;
  if (!setup(&c, "input x: [3]\ny = softmax(x)\n", "y", 2)) return;
  nnd_value bad = {.kind = NND_VAL_NUMBER, .num = 5, .is_int = 1};
  nnd_kernel_ctx k = {.size = sizeof k, .op = "softmax", .n_inputs = 1, .inputs = c.in,
                      .output = c.out, .attrs = &bad, .message = c.message,
                      .message_size = sizeof c.message};
  CU_ASSERT_EQUAL(K("softmax")->forward(&k), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(c.message, "axis 5"));
  kt_free(&c);
}

/* ---------------------------------------------------------------- reshape */

/* Backward must add to what is already there, and skip a NULL gradient. */
static void test_flatten_accumulates(void) {
  kt_case c;
  if (!setup(&c, "input x: [2, 3] = [[1, 2, 3], [4, 5, 6]]\ny = flatten(x)\n", "y", 1)) return;
  CU_ASSERT_EQUAL(c.out.ndim, 2);
  CU_ASSERT_EQUAL_FATAL(kt_forward(&c, K("flatten"), 1), 0);
  CU_ASSERT(kt_close(c.out.data, F(1, 2, 3, 4, 5, 6), 6, TOL, "flatten"));
  float gx[6] = {1, 1, 1, 1, 1, 1};
  memcpy(c.grad_out.data, c.out.data, sizeof gx);
  nnd_tensor g = c.grad_in[0];
  g.data = gx;
  nnd_kernel_ctx k = {.size = sizeof k, .op = "flatten", .n_inputs = 1, .inputs = c.in,
                      .output = c.out, .grad_output = &c.grad_out, .grad_inputs = &g,
                      .message = c.message, .message_size = sizeof c.message};
  CU_ASSERT_EQUAL(K("flatten")->backward(&k), 0);
  CU_ASSERT(kt_close(gx, F(2, 3, 4, 5, 6, 7), 6, TOL, "flatten backward adds"));
  g.data = NULL;
  CU_ASSERT_EQUAL(K("flatten")->backward(&k), 0);
  kt_free(&c);
}

static void test_reshape(void) {
  FB(.src = "input x: [2, 3] = [[1, 2, 3], [4, 5, 6]]\ny = reshape(x, shape=[3, -1])\n",
     .batch = 1, .y = F(1, 2, 3, 4, 5, 6), .g = 2, .gx = F(2, 2, 2, 2, 2, 2));
}

/* Along axis 0 the inputs follow each other; along the last axis they
 * interleave row by row, and so do their gradients. */
static void test_concat_forward(void) {
  FB(.src = "input a: [2, 2] = [[1, 2], [3, 4]]\ninput b: [1, 2] = [[5, 6]]\n"
            "y = concat(a, b)\n",
     .batch = 1, .y = F(1, 2, 3, 4, 5, 6));
  kt_case c;
  if (!setup(&c, "input a: [2, 2] = [[1, 2], [3, 4]]\ninput b: [2, 1] = [[5], [6]]\n"
                 "y = concat(a, b, axis=-1)\n", "y", 1))
    return;
  CU_ASSERT_EQUAL_FATAL(kt_forward(&c, K("concat"), 1), 0);
  CU_ASSERT(kt_close(c.out.data, F(1, 2, 5, 3, 4, 6), 6, TOL, "concat axis -1"));
  for (int64_t j = 0; j < 6; j++) c.grad_out.data[j] = (float)j;
  CU_ASSERT_EQUAL_FATAL(kt_backward(&c, K("concat"), 1), 0);
  CU_ASSERT(kt_close(c.grad_in[0].data, F(0, 1, 3, 4), 4, TOL, "concat da"));
  CU_ASSERT(kt_close(c.grad_in[1].data, F(2, 5), 2, TOL, "concat db"));
  kt_free(&c);
}

static void test_reshape_gradcheck(void) {
  static const char *const srcs[] = {
      "input x: [2, 3]\ny = flatten(x)\n", "input x: [2, 3, 2]\ny = reshape(x, shape=[4, 3])\n",
      "input a: [2, 3]\ninput b: [4, 3]\ny = concat(a, b)\n",
      "input a: [2, 3]\ninput b: [2, 1]\ny = concat(a, b, axis=1)\n",
      "input a: [2, 3]\ninput b: [2, 2]\ninput d: [2, 1]\ny = concat(a, b, d, axis=-1)\n",
      "input a: [2, 1, 3]\ninput b: [2, 2, 3]\ny = concat(a, b, axis=1)\n",
  };
  GC_ALL(srcs, 0);
}

/* ------------------------------------------------------------------ losses */

/* s002-q4 (models/seeds/s002_q4_*.nnd): finite and right, forward and backward, for huge logits;
 * the gradient is softmax - onehot. */
static void test_cross_entropy_stable(void) {
  FB(.src = "input x: [3] = [1000, 1001, 999]\ninput t: class[3] = 0\nl = cross_entropy(x, t)\n",
     .batch = 1, .y = F(1.40760596f), .g = 1,
     .gx = F(-0.755271529f, 0.665240956f, 0.0900305732f));
  FB(.src = "input x: [3] = [-1000, 0, 1000]\ninput t: class[3] = 0\nl = cross_entropy(x, t)\n",
     .batch = 1, .y = F(2000), .g = 1, .gx = F(-1, 0, 1));
}

/* s002-q2 (models/seeds/s002_q2_two_heads.nnd): p1 = softmax([3, 3, 3, 3])
 * against class 0 is log 4. */
static void test_cross_entropy_two_heads(void) {
  FB(.src = "input x: [4] = [3, 3, 3, 3]\ninput t: class[4] = 0\nl = cross_entropy(x, t)\n",
     .batch = 1, .y = F(1.38629436f), .g = 1, .gx = F(-0.75f, 0.25f, 0.25f, 0.25f));
}

/* The mean over the batch; a loss weight of 2 cancels the 1/N of N = 2. */
static void test_cross_entropy_batch_mean(void) {
  FB(.src = "input x: [3] = [[1, 2, 3], [0, 0, 0]]\ninput t: class[3] = [2, 1]\n"
            "l = cross_entropy(x, t)\n",
     .batch = 2, .y = F(0.753109127f), .g = 2,
     .gx = F(0.0900305732f, 0.244728471f, -0.334759044f, 0.333333333f, -0.666666667f,
             0.333333333f));
}

/* PyTorch: (1 - e) (-log p_t) + e / K sum_j (-log p_j); grad softmax - q. */
static void test_cross_entropy_smoothing(void) {
  FB(.src = "input x: [3] = [1, 2, 3]\ninput t: class[3] = 0\n"
            "l = cross_entropy(x, t, label_smoothing=0.1)\n",
     .batch = 1, .y = F(2.30760596f), .g = 1,
     .gx = F(-0.84330276f, 0.211395138f, 0.631907622f));
}

static void test_cross_entropy_bad_label(void) {
  kt_case c;
  if (!setup(&c, "input x: [3]\ninput t: class[3]\nl = cross_entropy(x, t)\n", "l", 2)) return;
  c.in[1].data[1] = 3;
  CU_ASSERT_EQUAL(kt_forward(&c, K("cross_entropy"), 1), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(c.message, "sample 1"));
  c.in[1].data[1] = 0.5f;
  CU_ASSERT_EQUAL(kt_forward(&c, K("nll"), 1), -1);
  kt_free(&c);
}

/* (1 + 1) / 2, and -1/N at each target. */
static void test_nll(void) {
  FB(.src = "input x: [3] = [[-0.5, -1, -2], [-3, -0.25, -1]]\ninput t: class[3] = [1, 2]\n"
            "l = nll(x, t)\n",
     .batch = 2, .y = F(1), .g = 1, .gx = F(0, -0.5f, 0, 0, 0, -0.5f));
}

/* s000-q1: z = 4.55, target 1; s002-q2: z = 0, target 0 gives log 2. */
static void test_bce_seeds(void) {
  FB(.src = "input z: [1] = [4.55]\ninput t: binary = 1\nl = binary_cross_entropy(z, t)\n",
     .batch = 1, .y = F(0.0105117617f), .g = 1, .gx = F(-0.0104567062f));
  FB(.src = "input z: [] = 0\ninput t: binary = 0\nl = binary_cross_entropy(z, t)\n",
     .batch = 1, .y = F(0.693147181f), .g = 1, .gx = F(0.5f));
}

/* Logits of +-1000 give finite losses (1000 when wrong, 0 when right). */
static void test_bce_stable(void) {
  FB(.src = "input z: [1] = [[-1000], [1000], [1000]]\ninput t: binary = [1, 0, 1]\n"
            "l = binary_cross_entropy(z, t)\n",
     .batch = 3, .y = F(666.666667f), .g = 1, .gx = F(-1.0f / 3, 1.0f / 3, 0));
}

/* (2 - 0.5 + log1p(e^-2) + 0 + 0.5 + log1p(e^-1)) / 2; a soft float target
 * of the logit's shape gets dL/dt = -z / N. */
static void test_bce_float_target(void) {
  FB(.src = "input z: [1] = [[2], [-1]]\ninput t: [1] = [[0.25], [0.5]]\n"
            "l = binary_cross_entropy(z, t)\n",
     .batch = 2, .y = F(1.22009485f), .g = 1, .gi = 1, .gx = F(-1, 0.5f));
}

/* (0 + 4 + 1 + 0) / 4; d/dp = 2 (p - t) / 4 and d/dt its negative. */
static void test_mse(void) {
  FB(.src = "input p: [2] = [[1, 2], [3, 4]]\ninput t: [2] = [[1, 0], [4, 4]]\nl = mse(p, t)\n",
     .batch = 2, .y = F(1.25f), .g = 1, .gi = 0, .gx = F(0, 1, -0.5f, 0), .gj = 1,
     .gx2 = F(0, -1, 0.5f, 0));
}

/* Each label becomes its row; the backward leaves everything alone (labels
 * have no gradient, and grad_out is not read). */
static void test_one_hot(void) {
  FB(.src = "input t: class[4] = [2, 0, 3]\ny = one_hot(t)\n", .batch = 3, .numel = 12,
     .y = F(0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1));
  kt_case c;
  if (!setup(&c, "input t: class[4]\ny = one_hot(t)\n", "y", 2)) return;
  CU_ASSERT_EQUAL(kt_backward(&c, K("one_hot"), 1), 0);
  c.in[0].data[1] = 4;
  CU_ASSERT_EQUAL(kt_forward(&c, K("one_hot"), 1), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(c.message, "label of sample 1 is 4; a class in 0..3"));
  c.in[0].data[1] = -0.0f;
  CU_ASSERT_EQUAL(kt_forward(&c, K("one_hot"), 1), 0);
  c.in[0].data[1] = 1.5f;
  CU_ASSERT_EQUAL(kt_forward(&c, K("one_hot"), 1), -1);
  kt_free(&c);
}

static void test_loss_gradcheck(void) {
  static const char *const srcs[] = {
      "input x: [4]\ninput t: class[4]\nl = cross_entropy(x, t)\n",
      "input x: [3]\ninput t: class[3]\nl = cross_entropy(x, t, label_smoothing=0.2)\n",
      "input x: [4]\ninput t: class[4]\nl = nll(x, t)\n",
      "input z: [1]\ninput t: binary\nl = binary_cross_entropy(z, t)\n",
      "input z: []\ninput t: binary\nl = binary_cross_entropy(z, t)\n",
      "input z: [1]\ninput t: [1]\nl = binary_cross_entropy(z, t)\n",
      "input p: [3]\ninput t: [3]\nl = mse(p, t)\n",
      "input p: [2, 2]\ninput t: [2, 2]\nl = mse(p, t)\n",
  };
  GC_ALL(srcs, 0);
}

/* -------------------------------------------------------------- optimizers */

static const nnd_optimizer *O(const char *name) {
  for (int i = 0; i < nnd_naive_optimizer_count; i++)
    if (strcmp(nnd_naive_optimizers[i].name, name) == 0) return &nnd_naive_optimizers[i];
  return NULL;
}

/* Steps p = [1, -2] with grads[s] at step s + 1 and compares p after each
 * step with want[s]. The call names every attribute, as the host hands it;
 * its lr is 99 to prove the step reads ctx->lr instead. */
typedef struct {
  const char *opt;
  double lr;
  const char *names[5];
  double values[5];
  int steps;
  float grads[3][2], want[3][2];
} steps_case;

static int run_steps(const steps_case *t, const char *what, char *message, size_t size) {
  nnd_value items[6] = {{.kind = NND_VAL_NUMBER, .num = 99}};
  const char *names[6] = {"lr"};
  int n = 1;
  for (; n < 6 && t->names[n - 1]; n++) {
    names[n] = t->names[n - 1];
    items[n].kind = strcmp(names[n], "nesterov") == 0 ? NND_VAL_BOOL : NND_VAL_NUMBER;
    items[n].num = t->values[n - 1];
  }
  nnd_value call = {.kind = NND_VAL_CALL, .str = t->opt, .count = n, .items = items,
                    .names = names};
  const nnd_optimizer *opt = O(t->opt);
  float p[2] = {1, -2}, state[2 * 2] = {0};
  CU_ASSERT_PTR_NOT_NULL_FATAL(opt);
  CU_ASSERT_FATAL(opt->state_floats * 2 <= 4);
  for (int s = 0; s < t->steps; s++) {
    nnd_optim_ctx c = {.size = sizeof c, .params = p, .grads = t->grads[s], .state = state,
                       .n = 2, .call = &call, .lr = t->lr, .step = s + 1, .message = message,
                       .message_size = size};
    if (opt->step(&c) != 0) return -1;
    CU_ASSERT(kt_close(p, t->want[s], 2, TOL, what));
  }
  return 0;
}

#define STEPS(...)                                                                   \
  do {                                                                               \
    char msg_[256];                                                                  \
    CU_ASSERT_EQUAL(run_steps(&(steps_case){__VA_ARGS__}, __func__, msg_, sizeof msg_), 0); \
  } while (0)
#define SGD_ARGS .names = {"momentum", "nesterov", "weight_decay"}

/* p -= 0.1 g with g = [0.5, 1] every step. */
static void test_sgd_plain(void) {
  STEPS(.opt = "sgd", .lr = 0.1, SGD_ARGS, .values = {0, 0, 0}, .steps = 3,
        .grads = {{0.5f, 1}, {0.5f, 1}, {0.5f, 1}},
        .want = {{0.95f, -2.1f}, {0.9f, -2.2f}, {0.85f, -2.3f}});
}

/* buf = 0.5, 0.95, 1.355 (and 1, 1.9, 2.71); p -= 0.1 buf. */
static void test_sgd_momentum(void) {
  STEPS(.opt = "sgd", .lr = 0.1, SGD_ARGS, .values = {0.9, 0, 0}, .steps = 3,
        .grads = {{0.5f, 1}, {0.5f, 1}, {0.5f, 1}},
        .want = {{0.95f, -2.1f}, {0.855f, -2.29f}, {0.7195f, -2.561f}});
}

/* buf as above; the step is g + 0.9 buf: 0.95, 1.355 (and 1.9, 2.71). */
static void test_sgd_nesterov(void) {
  STEPS(.opt = "sgd", .lr = 0.1, SGD_ARGS, .values = {0.9, 1, 0}, .steps = 2,
        .grads = {{0.5f, 1}, {0.5f, 1}}, .want = {{0.905f, -2.19f}, {0.7695f, -2.461f}});
}

/* g = 0.5 + 0.1 p: 0.6 -> p 0.94; 0.594 -> p 0.8806.
 * g = 1 + 0.1 p: 0.8 -> p -2.08; 0.792 -> p -2.1592. */
static void test_sgd_weight_decay(void) {
  STEPS(.opt = "sgd", .lr = 0.1, SGD_ARGS, .values = {0, 0, 0.1}, .steps = 2,
        .grads = {{0.5f, 1}, {0.5f, 1}}, .want = {{0.94f, -2.08f}, {0.8806f, -2.1592f}});
}

/* PyTorch refuses Nesterov without momentum; so does the step. */
static void test_sgd_nesterov_needs_momentum(void) {
  char msg[256] = "";
  steps_case t = {.opt = "sgd", .lr = 0.1, SGD_ARGS, .values = {0, 1, 0}, .steps = 1};
  CU_ASSERT_EQUAL(run_steps(&t, __func__, msg, sizeof msg), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(msg, "nesterov"));
  CU_ASSERT_EQUAL(O("sgd")->state_floats, 1);
}

#define ADAM_ARGS .names = {"beta1", "beta2", "eps", "weight_decay"}

/* lr 0.1, betas 0.9/0.999. Step 1: m = 0.1 g, v = 0.001 g^2, so the
 * corrected step is lr g / |g| = 0.1. Step 2, g = -1 after 0.5: m = 0.045 -
 * 0.1 = -0.055, mhat = -0.055 / 0.19 = -0.289474; v = 0.00024975 + 0.001,
 * vhat = 0.00124975 / 0.001999 = 0.625188, sqrt 0.790688; p = 0.9 + 0.1 *
 * 0.289474 / 0.790688 = 0.936610. Likewise g = 1, 0.25: -2.1, -2.183060. */
static void test_adam(void) {
  STEPS(.opt = "adam", .lr = 0.1, ADAM_ARGS, .values = {0.9, 0.999, 1e-8, 0}, .steps = 2,
        .grads = {{0.5f, 1}, {-1, 0.25f}}, .want = {{0.9f, -2.1f}, {0.936610354f, -2.18305975f}});
  CU_ASSERT_EQUAL(O("adam")->state_floats, 2);
}

/* L2 decay 0.5 joins the gradient: g = 1 then -1 + 0.45 = -0.55 -> 0.9,
 * 0.877170; for p = -2, g = 1 - 1 = 0 leaves p alone (0 / (0 + eps)), then
 * g = 0.25 - 1 = -0.75: mhat = -0.394737, sqrt(vhat) = 0.530463 -> -1.925586. */
static void test_adam_weight_decay(void) {
  STEPS(.opt = "adam", .lr = 0.1, ADAM_ARGS, .values = {0.9, 0.999, 1e-8, 0.5}, .steps = 2,
        .grads = {{0.5f, 1}, {-1, 0.25f}}, .want = {{0.9f, -2}, {0.877170377f, -1.92558632f}});
}

#define RMS_ARGS .names = {"alpha", "eps", "momentum", "weight_decay"}

/* lr 0.01, alpha 0.99. g = 0.5: sq = 0.0025, avg = 0.05, p -= 0.1 -> 0.9.
 * g = -1: sq = 0.002475 + 0.01 = 0.012475, avg = 0.111692, p += 0.089532
 * -> 0.989532. For p = -2, g = 1, 1: sq = 0.01, then 0.0199: -2.1, -2.170888. */
static void test_rmsprop(void) {
  STEPS(.opt = "rmsprop", .lr = 0.01, RMS_ARGS, .values = {0.99, 1e-8, 0, 0}, .steps = 2,
        .grads = {{0.5f, 1}, {-1, 1}}, .want = {{0.9f, -2.1f}, {0.989532308f, -2.17088811f}});
  CU_ASSERT_EQUAL(O("rmsprop")->state_floats, 2);
}

/* momentum 0.9: buf = 0.5 / 0.05 = 10, p = 0.9; buf = 9 - 8.953190 =
 * 0.046810, p = 0.899532. For p = -2: buf 10, -2.1; buf 9 + 7.088812, -2.260888. */
static void test_rmsprop_momentum(void) {
  STEPS(.opt = "rmsprop", .lr = 0.01, RMS_ARGS, .values = {0.99, 1e-8, 0.9, 0}, .steps = 2,
        .grads = {{0.5f, 1}, {-1, 1}}, .want = {{0.9f, -2.1f}, {0.899532326f, -2.2608881f}});
}

/* ------------------------------------------------------------ registration */

void test_naive_math_register(void) {
  CU_pSuite s = CU_add_suite("naive math", NULL, NULL);
#define T(F) CU_add_test(s, #F, F);
  T(test_table) T(test_add_batch_broadcast) T(test_sub_forward) T(test_mul_forward)
  T(test_add_unbatched) T(test_add_gradcheck) T(test_sub_gradcheck) T(test_mul_gradcheck)
  T(test_matmul_matrix_vector) T(test_matmul_row_vector) T(test_matmul_dot)
  T(test_matmul_batched_matrices) T(test_matmul_gradcheck) T(test_relu) T(test_sigmoid)
  T(test_tanh) T(test_leaky_relu) T(test_softmax_forward)
  T(test_log_softmax_forward) T(test_pointwise_gradcheck) T(test_softmax_gradcheck)
  T(test_log_softmax_gradcheck) T(test_softmax_bad_axis) T(test_flatten_accumulates)
  T(test_reshape) T(test_concat_forward) T(test_reshape_gradcheck) T(test_cross_entropy_stable)
  T(test_cross_entropy_two_heads) T(test_cross_entropy_batch_mean)
  T(test_cross_entropy_smoothing) T(test_cross_entropy_bad_label) T(test_nll) T(test_bce_seeds)
  T(test_bce_stable) T(test_bce_float_target) T(test_mse) T(test_one_hot) T(test_loss_gradcheck)
  T(test_sgd_plain) T(test_sgd_momentum) T(test_sgd_nesterov) T(test_sgd_weight_decay)
  T(test_sgd_nesterov_needs_momentum) T(test_adam) T(test_adam_weight_decay) T(test_rmsprop)
  T(test_rmsprop_momentum)
#undef T
}
