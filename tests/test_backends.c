/* test_backends.c — the fast backends (openmp, blas, dnnl) against the naive
 * reference.
 *
 * The naive plugin is the definition of every standard op; a fast backend is
 * correct when it computes the same numbers. So every kernel a fast backend
 * registers is found by walking the registry (a kernel added later is covered
 * without touching this file, and one whose op has no case here fails), run
 * on the same node and the same seeded inputs as the naive kernel (compiled
 * into this program from plugins/naive), and compared: output, every input
 * after forward (batchnorm writes its running statistics there), and every
 * gradient. Then each backend kernel is gradchecked on its own, checked to
 * add into gradient buffers rather than overwrite them, and rerun with 1, 2
 * and 3 OpenMP threads. Optimizers and whole sessions are compared with
 * naive's in test_backend_training.c.
 *
 * A plugin configure did not build (no OpenMP, no CBLAS) makes its tests pass
 * with a printed note, except under CI (the environment variable CI set),
 * where it fails them; a plugin whose .so is in the plugin directory but did
 * not load fails them everywhere. */
#include <CUnit/CUnit.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "kernel_harness.h"
#include "naive.h"
#include "plugin_loader.h"
#include "registry.h"
#include "tests.h"

/* Kernels against naive: |got - naive| <= KERNEL_TOL * max(1, |naive|). The
 * long reductions (dense over 784 inputs, a conv weight gradient over batch
 * x positions) are summed in another order, or in float where naive uses
 * double: they differ by up to about 2e-5 on these inputs (all uniform in
 * [-1, 1], so a 784-term sum has magnitude ~10). 1e-4 sits above that
 * rounding and far below a wrong index, a missing term or a dropped bias. */
#define KERNEL_TOL 1e-4
/* The same kernel at another thread count. openmp promises bitwise equal
 * results (each element is computed by one thread in an order fixed by the
 * shapes), so it gets no tolerance at all. blas cuts a product into one
 * slice per thread and the BLAS rounds a slice's edges with other
 * micro-kernels than its middle, and its conv weight gradient adds one
 * partial sum per thread: float rounding of sums of hundreds of terms,
 * bounded like the comparison with naive. */
#define THREAD_TOL_OPENMP 0.0
#define THREAD_TOL_BLAS 1e-4
/* dnnl: oneDNN splits its loops by the thread count it runs with, and
   reduces weight gradients per thread: float rounding as for blas. */
static double thread_tol(const nnd_kernel *k) {
  return strcmp(k->backend, "openmp") == 0 ? THREAD_TOL_OPENMP : THREAD_TOL_BLAS;
}

/* Finite differences, as tests/test_naive_*.c use them. */
#define GC_EPS 1e-2
#define GC_TOL 1e-2
/* A backward must add to what a gradient buffer holds. A kernel may sum its
 * terms straight into the buffer, so starting a long sum (a conv weight
 * gradient over batch x positions) from 1 + i instead of 0 rounds it
 * differently; an overwrite is off by 1 + i, far above this. */
#define ADD_TOL KERNEL_TOL

#define PLUGIN_DIR NND_TEST_BUILDDIR "/plugins/.libs"

/* The backends under test; naive is the reference. */
static const char *const fast_backends[] = {"openmp", "blas", "dnnl"};
#define N_FAST ((int)(sizeof fast_backends / sizeof fast_backends[0]))

static int suite_init(void) {
  /* make check sets NND_PLUGIN_PATH; a run by hand finds the build tree */
  const char *dir = PLUGIN_DIR;
  nnd_load_plugins(&dir, 1);
  return 0;
}

/* ------------------------------------------------------- plugin status */

typedef enum { PLUGIN_ABSENT, PLUGIN_LOADED, PLUGIN_REFUSED } plugin_status;

static int file_exists_in(const char *dir, size_t len, const char *file) {
  char path[1024];
  snprintf(path, sizeof path, "%.*s/%s", (int)len, dir, file);
  return access(path, F_OK) == 0;
}

/* Whether the plugin `name` (file name.so) loaded. Absent means no such file
 * in the build tree's plugin directory nor on NND_PLUGIN_PATH: configure
 * skipped it. A file that exists but is not loaded is refused, and `why`
 * says why. */
static plugin_status plugin_state(const char *name, char *why, size_t why_size) {
  char file[64];
  snprintf(file, sizeof file, "%s.so", name);
  const nnd_plugin_record *refused = NULL;
  for (int i = 0; i < nnd_plugin_count(); i++) {
    const nnd_plugin_record *r = nnd_plugin_at(i);
    const char *slash = strrchr(r->path, '/');
    if (strcmp(slash ? slash + 1 : r->path, file) != 0) continue;
    /* a duplicate is another copy of a plugin that did load */
    if (r->loaded || r->duplicate) return PLUGIN_LOADED;
    refused = r;
  }
  if (refused) {
    snprintf(why, why_size, "%s was refused: %s", refused->path, refused->error);
    return PLUGIN_REFUSED;
  }
  int exists = file_exists_in(PLUGIN_DIR, strlen(PLUGIN_DIR), file);
  const char *path = getenv("NND_PLUGIN_PATH");
  while (!exists && path && *path) {
    const char *colon = strchr(path, ':');
    size_t len = colon ? (size_t)(colon - path) : strlen(path);
    exists = len > 0 && file_exists_in(path, len, file);
    path = colon ? colon + 1 : NULL;
  }
  if (exists) {
    snprintf(why, why_size, "%s exists in the plugin directory but was never loaded", file);
    return PLUGIN_REFUSED;
  }
  return PLUGIN_ABSENT;
}

/* 1 when backend b's plugin is loaded and its tests should run. A plugin
 * not built passes with a note; one built but not loaded fails. */
int test_backend_ready(const char *b, const char *test) {
  char why[800] = "";
  switch (plugin_state(b, why, sizeof why)) {
  case PLUGIN_LOADED:
    return 1;
  case PLUGIN_ABSENT: {
    char what[600];
    snprintf(what, sizeof what, "the %s plugin (no %s.so in %s or on NND_PLUGIN_PATH)", b, b,
             PLUGIN_DIR);
    test_missing(what, test);
    return 0;
  }
  case PLUGIN_REFUSED:
    fprintf(stderr, "\n%s: the %s plugin did not load: %s\n", test, b, why);
    CU_FAIL("a built plugin did not load");
    return 0;
  }
  return 0;
}

int test_backend_loaded(const char *b) {
  char why[8];
  return plugin_state(b, why, sizeof why) == PLUGIN_LOADED;
}

/* ------------------------------------------------------------ registry */

/* The ops and optimizers each plugin is built to provide (see Makefile.am
 * and each plugin's plugin.c): they must be there. A plugin that loads but
 * registers under another backend name, or drops a kernel, would otherwise
 * make the loops below silently empty. */
static const char *const openmp_ops[] = {
    "dense", "conv1d", "conv2d", "maxpool", "avgpool", "relu", "sigmoid", "tanh",
    "leaky_relu", "softmax", "log_softmax", "add", "sub", "mul", "cross_entropy", "nll",
    "binary_cross_entropy", "mse", NULL};
static const char *const openmp_optimizers[] = {"sgd", "adam", "rmsprop", NULL};
static const char *const blas_ops[] = {"dense", "conv1d", "conv2d", NULL};
static const char *const dnnl_ops[] = {"dense", "conv1d", "conv2d", "maxpool", "avgpool",
                                       "relu", "leaky_relu", "sigmoid", "tanh", NULL};

static void test_plugins_load(void) {
  for (int b = 0; b < N_FAST; b++) {
    const char *name = fast_backends[b];
    if (!test_backend_ready(name, "plugins load")) continue;
    const char *const *ops = strcmp(name, "openmp") == 0 ? openmp_ops
                             : strcmp(name, "blas") == 0 ? blas_ops
                                                         : dnnl_ops;
    for (int i = 0; ops[i]; i++) {
      const char *origin = NULL;
      const nnd_kernel *k = nnd_registry_find_kernel(ops[i], name, &origin);
      if (!k) fprintf(stderr, "\nthe %s plugin registers no kernel for `%s`\n", name, ops[i]);
      CU_ASSERT_PTR_NOT_NULL(k);
      /* it came from the plugin file, not from somewhere else */
      if (k) CU_ASSERT_PTR_NOT_NULL(origin && strstr(origin, name));
    }
    if (strcmp(name, "openmp") == 0)
      for (int i = 0; openmp_optimizers[i]; i++) {
        const nnd_optimizer *o = nnd_registry_find_optimizer(openmp_optimizers[i], name, NULL);
        if (!o) fprintf(stderr, "\nthe openmp plugin registers no `%s`\n", openmp_optimizers[i]);
        CU_ASSERT_PTR_NOT_NULL(o);
      }
  }
}

static int is_builtin(const char *origin) { return origin && strcmp(origin, "builtin") == 0; }

/* The naive backend is complete: every op and optimizer nnd itself defines
 * (origin "builtin"; a third-party op such as acme.swish is not its job)
 * has a naive implementation in the registry. */
static void test_standard_ops_have_naive_kernels(void) {
  int ops = 0, optimizers = 0;
  for (int i = 0; i < nnd_registry_op_count(); i++) {
    const char *origin = NULL;
    const nnd_op_schema *s = nnd_registry_op_at(i, &origin);
    if (!is_builtin(origin)) continue;
    ops++;
    const nnd_kernel *k = nnd_registry_find_kernel(s->name, "naive", NULL);
    if (!k) fprintf(stderr, "\nstandard op `%s` has no naive kernel\n", s->name);
    CU_ASSERT_PTR_NOT_NULL(k);
    if (k) CU_ASSERT(k->forward && k->backward);
  }
  for (int i = 0; i < nnd_registry_call_count(); i++) {
    const char *origin = NULL;
    const nnd_call_schema *c = nnd_registry_call_at(i, &origin);
    if (c->kind != NND_CALL_OPTIMIZER || !is_builtin(origin)) continue;
    optimizers++;
    const nnd_optimizer *o = nnd_registry_find_optimizer(c->name, "naive", NULL);
    if (!o) fprintf(stderr, "\nstandard optimizer `%s` has no naive step\n", c->name);
    CU_ASSERT_PTR_NOT_NULL(o);
  }
  /* the 25 standard ops and 3 optimizers: the loops above saw them all */
  CU_ASSERT(ops >= 25);
  CU_ASSERT(optimizers >= 3);
}

static int is_fast(const char *backend) {
  for (int b = 0; b < N_FAST; b++)
    if (strcmp(backend, fast_backends[b]) == 0) return 1;
  return 0;
}

/* Everything a fast backend registers implements something that exists: an
 * op schema under exactly that name, an optimizer call schema, with the
 * naive optimizer's state size (checkpoints move between backends). */
static void test_fast_backends_name_existing_ops(void) {
  int seen[N_FAST] = {0};
  for (int i = 0; i < nnd_registry_kernel_count(); i++) {
    const char *origin = NULL;
    const nnd_kernel *k = nnd_registry_kernel_at(i, &origin);
    for (int b = 0; b < N_FAST; b++) seen[b] += strcmp(k->backend, fast_backends[b]) == 0;
    if (!is_fast(k->backend)) continue;
    const nnd_op_schema *s = nnd_registry_find_op(k->op, NULL);
    if (!s || strcmp(s->name, k->op) != 0)
      fprintf(stderr, "\n%s kernel `%s` (%s) names no op\n", k->backend, k->op, origin);
    CU_ASSERT(s && strcmp(s->name, k->op) == 0);
    CU_ASSERT_EQUAL(k->size, sizeof(nnd_kernel));
    CU_ASSERT(k->forward && k->backward);
  }
  for (int i = 0; i < nnd_registry_optimizer_count(); i++) {
    const nnd_optimizer *o = nnd_registry_optimizer_at(i, NULL);
    if (!is_fast(o->backend)) continue;
    CU_ASSERT_PTR_NOT_NULL(nnd_registry_find_call(NND_CALL_OPTIMIZER, o->name));
    const nnd_optimizer *ref = nnd_registry_find_optimizer(o->name, "naive", NULL);
    CU_ASSERT_PTR_NOT_NULL(ref);
    if (ref && ref->state_floats != o->state_floats)
      fprintf(stderr, "\n%s %s keeps %d floats of state per element, naive %d\n", o->backend,
              o->name, o->state_floats, ref->state_floats);
    if (ref) CU_ASSERT_EQUAL(o->state_floats, ref->state_floats);
  }
  /* a loaded plugin that registers no kernel under its own name would make
     the loops above (and every comparison below) empty */
  for (int b = 0; b < N_FAST; b++)
    if (test_backend_ready(fast_backends[b], "backends name ops")) CU_ASSERT(seen[b] > 0);
}

/* ------------------------------------------------------------- cases */

typedef void (*prep_fn)(kt_case *c);

enum { NO_GC = 1 }; /* flags: skip the finite-difference check */

/* One node to run: a whole model, the node's name, the batch. */
typedef struct {
  const char *op;
  const char *src;
  const char *node;
  int batch;
  int training;
  prep_fn prep;   /* applied to the inputs after setup, identically for both */
  int flags;
  double gc_eps;  /* 0: GC_EPS */
} op_case;

/* Distinct inputs 0.05 apart in a scrambled order, so maxpool has no ties
 * and no near-ties a 1e-2 perturbation could flip (as in the naive tests). */
static void distinct_input(kt_case *c) {
  int64_t n = c->in[0].numel, step = n % 7919 ? 7919 : 7907;
  for (int64_t i = 0; i < n; i++)
    c->in[0].data[i] = (float)(((i * step) % n) * 0.05 - (double)n * 0.025);
}

/* Every float input at least 0.1 from 0, keeping its sign: a finite
 * difference of 1e-2 never straddles relu's kink. */
static void away_from_zero(kt_case *c) {
  for (int i = 0; i < c->n_inputs; i++)
    for (int64_t j = 0; !c->is_label[i] && j < c->in[i].numel; j++) {
      float *x = &c->in[i].data[j];
      *x = *x < 0 ? *x - 0.1f : *x + 0.1f;
    }
}

/* A sample as MNIST's are: zero outside a centre region and in runs
 * inside it (x is one sample of 28 x 28, or any length, treated as rows
 * of 28), so that a batch-1 dense kernel that skips zero inputs is tested
 * on what it skips, with exact zeros of both signs. */
static void digit_like(kt_case *c) {
  for (int64_t j = 0; j < c->in[0].numel; j++) {
    int64_t r = j / 28 % 28, col = j % 28;
    int outside = r < 5 || r > 22 || col < 6 || col > 21 || (r * 7 + col) % 9 < 3;
    if (outside) c->in[0].data[j] = j % 5 == 0 ? -0.0f : 0.0f;
  }
}

/* Inference batchnorm divides by sqrt(running_var + eps). */
static void positive_running_var(kt_case *c) {
  nnd_tensor *v = &c->in[c->n_inputs - 1];
  for (int64_t i = 0; i < v->numel; i++) v->data[i] = 0.5f + (float)i * 0.25f;
}

/* Logits of +-60: softmax saturates, exp() must be taken after the max. */
static void large_logits(kt_case *c) {
  for (int64_t j = 0; j < c->in[0].numel; j++) c->in[0].data[j] *= 60;
}

/* Soft binary targets belong in [0, 1]. */
static void soft_targets(kt_case *c) {
  for (int64_t j = 0; j < c->in[1].numel; j++) c->in[1].data[j] = (c->in[1].data[j] + 1) / 2;
}

#define M1(shape, expr) "model m\ninput x: " shape "\ny = " expr "\n"
#define M2(a, b, expr) "model m\n" a "\n" b "\ny = " expr "\n"
#define ML(x, t, expr) "model m\ninput x: " x "\ninput t: " t "\nl = " expr "\n"
/* one input x, node y */
#define K1(op, shape, expr, batch) {op, M1(shape, expr), "y", batch, 1, NULL, 0, 0}
#define K1P(op, shape, expr, batch, prep) {op, M1(shape, expr), "y", batch, 1, prep, 0, 0}
/* y = a SYM b */
#define KB(op, a, b, sym, batch) {op, M2(a, b, "a " sym " b"), "y", batch, 1, NULL, 0, 0}
/* a loss l of prediction x and target t */
#define KL(op, x, t, expr, batch) {op, ML(x, t, expr), "l", batch, 1, NULL, 0, 0}

/* Right-aligned broadcasting as the naive kernels do it: batched against
 * shared, stretched dims of 1, a scalar, unbatched against unbatched. */
#define BROADCAST(op, sym)                                                             \
  KB(op, "input a: [2]", "param b: [2]", sym, 3),                                      \
  KB(op, "param a: [2]", "input b: [2]", sym, 1),                                      \
  KB(op, "input a: [2]", "input b: [3, 2]", sym, 3),                                   \
  KB(op, "input a: [3, 1]", "input b: [1, 4]", sym, 2),                                \
  KB(op, "input a: [2, 3]", "param b: []", sym, 3),                                    \
  KB(op, "param a: [4, 1, 3]", "input b: [2, 1]", sym, 3),                             \
  KB(op, "param a: [2]", "param b: [3, 2]", sym, 1),                                   \
  KB(op, "input a: [3, 5]", "param b: [5]", sym, 7),                                   \
  KB(op, "input a: [4099]", "input b: [4099]", sym, 8),                                \
  KB(op, "input a: [64, 33]", "param b: [33]", sym, 16)

static const op_case cases[] = {
    /* dense: batch 1, odd sizes, with and without bias, MNIST-sized */
    K1("dense", "[3]", "dense(x, units=4)", 1),
    K1("dense", "[13]", "dense(x, units=5)", 7),
    K1("dense", "[13]", "dense(x, units=5, bias=false)", 7),
    K1("dense", "[1]", "dense(x, units=1)", 2),
    K1("dense", "[33]", "dense(x, units=17, bias=false)", 1),
    K1("dense", "[130]", "dense(x, units=67)", 3),
    K1("dense", "[784]", "dense(x, units=300)", 64),
    K1("dense", "[784]", "dense(x, units=300, bias=false)", 1),
    /* batch 1 on digit-like inputs (mostly zeros), MNIST-sized and not a
       multiple of 16 inputs */
    K1P("dense", "[784]", "dense(x, units=128)", 1, digit_like),
    K1P("dense", "[1, 28, 28]", "dense(flatten(x), units=10, bias=false)", 1, digit_like),
    K1P("dense", "[803]", "dense(x, units=7)", 1, digit_like),
    {"dense", M1("[13]", "dense(x, units=5)"), "y", 4, 0, NULL, 0, 0},
    /* conv2d: kernel 1/3/5, stride 1/2, padding same/valid/1/2, no bias,
       rectangular inputs and kernels, several channels and filters */
    K1("conv2d", "[1,4,4]", "conv2d(x, filters=1, kernel=1)", 1),
    K1("conv2d", "[3,7,9]", "conv2d(x, filters=4, kernel=3, padding=\"same\")", 2),
    K1("conv2d", "[2,9,7]", "conv2d(x, filters=3, kernel=5, padding=2)", 3),
    K1("conv2d", "[3,8,11]", "conv2d(x, filters=5, kernel=3, stride=2, padding=1, bias=false)", 2),
    K1("conv2d", "[2,10,9]", "conv2d(x, filters=2, kernel=5, stride=2, padding=\"valid\")", 2),
    K1("conv2d", "[4,6,5]", "conv2d(x, filters=6, kernel=1, stride=2)", 3),
    K1("conv2d", "[1,6,7]", "conv2d(x, filters=2, kernel=[3,2], stride=[2,1], padding=[1,0])", 1),
    K1("conv2d", "[2,5,4]", "conv2d(x, filters=2, kernel=2, padding=\"same\")", 2),
    K1("conv2d", "[5,5,5]", "conv2d(x, filters=3, kernel=5, bias=false)", 1),
    K1("conv2d", "[3,5,6]", "conv2d(x, filters=2, kernel=3, stride=2, padding=\"valid\", bias=false)", 4),
    K1("conv2d", "[16,14,14]", "conv2d(x, filters=32, kernel=3, padding=1)", 8),
    K1("conv2d", "[1,28,28]", "conv2d(x, filters=8, kernel=5, stride=2, padding=2)", 4),
    K1("conv2d", "[3,12,20]", "conv2d(x, filters=7, kernel=[5,3], padding=\"same\", bias=false)", 3),
    {"conv2d", M1("[3,7,9]", "conv2d(x, filters=4, kernel=3, padding=1)"), "y", 2, 0, NULL, 0, 0},
    /* conv1d likewise */
    K1("conv1d", "[1,6]", "conv1d(x, filters=1, kernel=1)", 1),
    K1("conv1d", "[3,11]", "conv1d(x, filters=4, kernel=3, padding=\"same\")", 2),
    K1("conv1d", "[2,13]", "conv1d(x, filters=3, kernel=5, stride=2, padding=2)", 3),
    K1("conv1d", "[2,9]", "conv1d(x, filters=2, kernel=3, stride=2, padding=1, bias=false)", 2),
    K1("conv1d", "[3,8]", "conv1d(x, filters=2, kernel=4, padding=\"same\", bias=false)", 1),
    K1("conv1d", "[1,7]", "conv1d(x, filters=2, kernel=5, padding=\"valid\")", 3),
    K1("conv1d", "[4,10]", "conv1d(x, filters=5, kernel=1, stride=2)", 2),
    K1("conv1d", "[16,100]", "conv1d(x, filters=24, kernel=5, padding=2)", 8),
    K1("conv1d", "[8,61]", "conv1d(x, filters=6, kernel=3, stride=2, bias=false)", 5),
    /* maxpool 1-D and 2-D, distinct inputs: no ties to break differently */
    K1P("maxpool", "[2,4,4]", "maxpool(x, size=2)", 1, distinct_input),
    K1P("maxpool", "[1,5,5]", "maxpool(x, size=3, stride=2, padding=1)", 3, distinct_input),
    K1P("maxpool", "[2,5,6]", "maxpool(x, size=[2,3], stride=1)", 2, distinct_input),
    K1P("maxpool", "[3,7,6]", "maxpool(x, size=2, stride=[2,1], padding=1)", 2, distinct_input),
    K1P("maxpool", "[3,8]", "maxpool(x, size=2)", 3, distinct_input),
    K1P("maxpool", "[2,9]", "maxpool(x, size=3, stride=2, padding=1)", 1, distinct_input),
    K1P("maxpool", "[1,7]", "maxpool(x, size=4, stride=1, padding=2)", 2, distinct_input),
    K1P("maxpool", "[16,28,28]", "maxpool(x, size=2)", 8, distinct_input),
    K1P("maxpool", "[8,100]", "maxpool(x, size=3, stride=2, padding=1)", 8, distinct_input),
    /* avgpool: padding counts in the divisor */
    K1("avgpool", "[2,4,4]", "avgpool(x, size=2)", 1),
    K1("avgpool", "[1,5,5]", "avgpool(x, size=3, stride=2, padding=1)", 3),
    K1("avgpool", "[2,5,6]", "avgpool(x, size=[2,3], stride=[1,2])", 2),
    K1("avgpool", "[3,7,6]", "avgpool(x, size=2, stride=1, padding=1)", 2),
    K1("avgpool", "[3,8]", "avgpool(x, size=2)", 3),
    K1("avgpool", "[2,9]", "avgpool(x, size=3, stride=2, padding=1)", 1),
    K1("avgpool", "[1,7]", "avgpool(x, size=4, stride=1, padding=2)", 2),
    K1("avgpool", "[16,28,28]", "avgpool(x, size=2)", 8),
    K1("avgpool", "[8,100]", "avgpool(x, size=3, stride=2, padding=1)", 8),
    /* activations, batched and unbatched, small and large */
    K1P("relu", "[5]", "relu(x)", 1, away_from_zero),
    K1P("relu", "[3,4,5]", "relu(x)", 2, away_from_zero),
    K1P("relu", "[4099]", "relu(x)", 8, away_from_zero),
    {"relu", "model m\nparam x: [2, 2]\ny = relu(x)\n", "y", 3, 1, away_from_zero, 0, 0},
    K1("sigmoid", "[5]", "sigmoid(x)", 1),
    K1("sigmoid", "[2,3]", "sigmoid(x)", 3),
    K1("sigmoid", "[4099]", "sigmoid(x)", 8),
    K1P("sigmoid", "[50]", "sigmoid(x)", 2, large_logits),
    {"sigmoid", "model m\nparam x: [3]\ny = sigmoid(x)\n", "y", 2, 1, NULL, 0, 0},
    K1("tanh", "[5]", "tanh(x)", 1),
    K1("tanh", "[2,3]", "tanh(x)", 3),
    K1("tanh", "[4099]", "tanh(x)", 8),
    K1P("tanh", "[50]", "tanh(x)", 2, large_logits),
    {"tanh", "model m\nparam x: [2, 3]\ny = tanh(x)\n", "y", 1, 1, NULL, 0, 0},
    K1P("leaky_relu", "[4]", "leaky_relu(x)", 1, away_from_zero),
    K1P("leaky_relu", "[2,3]", "leaky_relu(x, slope=0.3)", 3, away_from_zero),
    K1P("leaky_relu", "[5]", "leaky_relu(x, slope=0)", 2, away_from_zero),
    K1P("leaky_relu", "[4099]", "leaky_relu(x, slope=0.2)", 8, away_from_zero),
    {"leaky_relu", "model m\nparam x: [3]\ny = leaky_relu(x, slope=-0.5)\n", "y", 2, 1,
     away_from_zero, 0, 0},
    K1("softmax", "[5]", "softmax(x)", 1),
    K1("softmax", "[3,4]", "softmax(x)", 3),
    K1("softmax", "[3,4]", "softmax(x, axis=0)", 2),
    K1("softmax", "[2,3,4]", "softmax(x, axis=1)", 2),
    K1("softmax", "[1000]", "softmax(x)", 16),
    {"softmax", M1("[10]", "softmax(x)"), "y", 4, 1, large_logits, NO_GC, 0},
    {"softmax", "model m\nparam x: [3, 4]\ny = softmax(x, axis=0)\n", "y", 2, 1, NULL, 0, 0},
    K1("log_softmax", "[5]", "log_softmax(x)", 1),
    K1("log_softmax", "[3,4]", "log_softmax(x, axis=-1)", 3),
    K1("log_softmax", "[3,4]", "log_softmax(x, axis=0)", 2),
    K1("log_softmax", "[2,3,4]", "log_softmax(x, axis=-2)", 2),
    K1("log_softmax", "[1000]", "log_softmax(x)", 16),
    {"log_softmax", M1("[10]", "log_softmax(x)"), "y", 4, 1, large_logits, NO_GC, 0},
    /* arithmetic with broadcasting */
    BROADCAST("add", "+"),
    BROADCAST("sub", "-"),
    BROADCAST("mul", "*"),
    /* matmul: vector and matrix forms, shared and batched, broadcast */
    KB("matmul", "input a: [3]", "input b: [3]", "@", 3),
    KB("matmul", "param a: [2, 3]", "input b: [3]", "@", 2),
    KB("matmul", "input a: [3]", "param b: [3, 2]", "@", 3),
    KB("matmul", "input a: [2, 3]", "param b: [3, 4]", "@", 2),
    KB("matmul", "param a: [2, 3]", "input b: [3, 4]", "@", 3),
    KB("matmul", "input a: [2, 3]", "input b: [3, 4]", "@", 2),
    KB("matmul", "input a: [2, 2, 3]", "param b: [3, 4]", "@", 2),
    KB("matmul", "param a: [2, 3]", "input b: [5, 3, 4]", "@", 1),
    KB("matmul", "input a: [2, 1, 2, 3]", "input b: [3, 3, 2]", "@", 2),
    KB("matmul", "param a: [2, 3]", "param b: [3]", "@", 1),
    KB("matmul", "input a: [64, 128]", "param b: [128, 96]", "@", 4),
    /* reshaping */
    K1("flatten", "[2,3,4]", "flatten(x)", 3),
    K1("reshape", "[2,3,2]", "reshape(x, shape=[4, 3])", 2),
    {"concat", M2("input a: [2, 3]", "input b: [4, 3]", "concat(a, b)"), "y", 2, 1, NULL, 0, 0},
    {"concat", M2("input a: [2, 3]", "input b: [2, 1]", "concat(a, b, axis=1)"), "y", 3, 1,
     NULL, 0, 0},
    /* normalisation: batch statistics, then running statistics */
    {"batchnorm", M1("[3]", "batchnorm(x)"), "y", 4, 1, NULL, 0, 3e-3},
    {"batchnorm", M1("[2,3,3]", "batchnorm(x, momentum=0.3, eps=0.01)"), "y", 3, 1, NULL, 0, 3e-3},
    {"batchnorm", M1("[4,5,6]", "batchnorm(x, bias=false)"), "y", 8, 1, NULL, 0, 3e-3},
    {"batchnorm", M1("[3]", "batchnorm(x)"), "y", 3, 0, positive_running_var, 0, 0},
    {"batchnorm", M1("[2,4]", "batchnorm(x, eps=0.1)"), "y", 2, 0, positive_running_var, 0, 0},
    /* dropout: in training its mask is the backend's own (see check_dropout) */
    K1("dropout", "[1000]", "dropout(x, rate=0.3)", 4),
    K1("dropout", "[2,3,3]", "dropout(x, rate=0.2)", 2),
    {"dropout", M1("[2,3,3]", "dropout(x, rate=0.5)"), "y", 3, 0, NULL, 0, 0},
    /* losses, with class, binary and soft targets */
    KL("cross_entropy", "[4]", "class[4]", "cross_entropy(x, t)", 3),
    KL("cross_entropy", "[3]", "class[3]", "cross_entropy(x, t)", 1),
    KL("cross_entropy", "[10]", "class[10]", "cross_entropy(x, t, label_smoothing=0.1)", 5),
    KL("cross_entropy", "[1000]", "class[1000]", "cross_entropy(x, t)", 32),
    {"cross_entropy", ML("[10]", "class[10]", "cross_entropy(x, t)"), "l", 6, 1, large_logits,
     NO_GC, 0},
    KL("nll", "[4]", "class[4]", "nll(x, t)", 3),
    KL("nll", "[7]", "class[7]", "nll(x, t)", 1),
    KL("nll", "[500]", "class[500]", "nll(x, t)", 16),
    KL("binary_cross_entropy", "[1]", "binary", "binary_cross_entropy(x, t)", 5),
    KL("binary_cross_entropy", "[]", "binary", "binary_cross_entropy(x, t)", 1),
    {"binary_cross_entropy", ML("[1]", "[1]", "binary_cross_entropy(x, t)"), "l", 4, 1,
     soft_targets, 0, 0},
    KL("binary_cross_entropy", "[1]", "binary", "binary_cross_entropy(x, t)", 257),
    {"binary_cross_entropy", ML("[1]", "binary", "binary_cross_entropy(x, t)"), "l", 9, 1,
     large_logits, NO_GC, 0},
    KL("mse", "[3]", "[3]", "mse(x, t)", 2),
    KL("mse", "[2,2]", "[2,2]", "mse(x, t)", 1),
    KL("mse", "[1000]", "[1000]", "mse(x, t)", 8),
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

/* "model m\ninput x: [3]\ny = relu(x)\n" as "input x: [3]; y = relu(x); batch 2" */
static const char *describe(const op_case *t, char *buf, size_t n) {
  const char *s = t->src;
  if (strncmp(s, "model m\n", 8) == 0) s += 8;
  size_t k = 0;
  for (; *s && k + 3 < n; s++) {
    if (*s == '\n') {
      if (s[1] == '\0') break;
      buf[k++] = ';';
      buf[k++] = ' ';
    } else {
      buf[k++] = *s;
    }
  }
  buf[k] = '\0';
  snprintf(buf + k, n - k, " (batch %d%s)", t->batch, t->training ? "" : ", inference");
  return buf;
}

static const char *input_name(const kt_case *c, int i) {
  return c->model->nodes[c->node->inputs[i]].name;
}

/* |got - want| <= tol * max(1, |want|) for all n; NaN fails. On failure
 * prints the first bad element, how many are bad and the worst error. */
static int close_to(const float *got, const float *want, int64_t n, double tol,
                    const char *who, const op_case *t, const char *what) {
  int64_t bad = 0, first = -1;
  double worst = 0;
  for (int64_t i = 0; i < n; i++) {
    double d = fabs((double)got[i] - want[i]), lim = tol * fmax(1.0, fabs(want[i]));
    if (!(d <= lim)) {
      if (first < 0) first = i;
      bad++;
    }
    double rel = d / fmax(1.0, fabs(want[i]));
    if (rel > worst || rel != rel) worst = rel;
  }
  if (bad == 0) return 1;
  char desc[512];
  fprintf(stderr, "\n%s: %s: %s element %lld is %.9g, expected %.9g; %lld of %lld elements "
                  "off, worst relative error %.3g (tolerance %g)\n",
          who, describe(t, desc, sizeof desc), what, (long long)first, got[first],
          want[first], (long long)bad, (long long)n, worst, tol);
  return 0;
}

static int setup_case(kt_case *c, const op_case *t) {
  if (kt_setup(c, t->src, t->node, t->batch, 20240917) != 0) {
    char desc[512];
    fprintf(stderr, "\nsetup failed for %s: %s\n", describe(t, desc, sizeof desc), c->message);
    kt_free(c);
    return -1;
  }
  if (t->prep) t->prep(c);
  return 0;
}

/* A kernel context over c's buffers, with our own gradient tensors. */
static nnd_kernel_ctx raw_ctx(kt_case *c, int training, nnd_tensor *grads) {
  nnd_kernel_ctx k;
  memset(&k, 0, sizeof k);
  k.size = sizeof k;
  k.host = nnd_plugin_host();
  k.op = c->node->op->name;
  k.n_inputs = c->n_inputs;
  k.inputs = c->in;
  k.output = c->out;
  k.attrs = c->node->attrs;
  k.training = training;
  k.seed = c->seed;
  k.workspace = c->workspace;
  k.workspace_size = c->workspace_size;
  k.grad_output = &c->grad_out;
  k.grad_inputs = grads;
  k.message = c->message;
  k.message_size = sizeof c->message;
  return k;
}

/* Whether k takes this node (the session would pick another backend). */
static int supported(kt_case *c, const nnd_kernel *k, int training) {
  if (!k->supports) return 1;
  nnd_kernel_ctx ctx = raw_ctx(c, training, NULL);
  ctx.grad_output = NULL;
  return k->supports(&ctx);
}

/* Forward then backward with k; prints why on failure. */
static int run_kernel(kt_case *c, const nnd_kernel *k, const op_case *t, const char *who) {
  char desc[512];
  if (kt_forward(c, k, t->training) != 0) {
    fprintf(stderr, "\n%s: %s: forward failed: %s\n", who, describe(t, desc, sizeof desc),
            c->message);
    return -1;
  }
  if (kt_backward(c, k, t->training) != 0) {
    fprintf(stderr, "\n%s: %s: backward failed: %s\n", who, describe(t, desc, sizeof desc),
            c->message);
    return -1;
  }
  return 0;
}

/* got and ref after the same forward and backward: output, inputs (changed
 * only by batchnorm's running statistics) and every gradient. */
static int same_results(const kt_case *got, const kt_case *ref, double tol, const char *who,
                        const op_case *t) {
  int ok = close_to(got->out.data, ref->out.data, got->out.numel, tol, who, t, "output");
  char what[128];
  for (int i = 0; i < got->n_inputs; i++) {
    snprintf(what, sizeof what, "input %d (%s) after forward", i, input_name(got, i));
    ok &= close_to(got->in[i].data, ref->in[i].data, got->in[i].numel, tol, who, t, what);
    if (got->is_label[i]) continue;
    snprintf(what, sizeof what, "gradient of input %d (%s)", i, input_name(got, i));
    ok &= close_to(got->grad_in[i].data, ref->grad_in[i].data, got->grad_in[i].numel, tol,
                   who, t, what);
  }
  return ok;
}

/* Training dropout draws its own mask, which need not be naive's: each
 * output is 0 or x / (1 - rate), about `rate` of them 0, and backward lets
 * dy through exactly where the output kept x. */
static int check_dropout(const kt_case *c, const op_case *t, const char *who) {
  double rate = nnd_num(&c->node->attrs[0], 0.5), scale = 1 / (1 - rate);
  int64_t zeros = 0, bad = 0;
  for (int64_t i = 0; i < c->out.numel; i++) {
    float x = c->in[0].data[i], y = c->out.data[i], g = c->grad_in[0].data[i];
    float dy = c->grad_out.data[i];
    if (y == 0) {
      zeros++;
      bad += g != 0;
    } else {
      bad += fabs(y - x * scale) > 1e-5 * fmax(1, fabs(x * scale));
      bad += fabs(g - dy * scale) > 1e-5 * fmax(1, fabs(dy * scale));
    }
  }
  double frac = (double)zeros / (double)c->out.numel;
  /* 4000 draws: the standard deviation of the fraction is under 0.008 */
  int ok = bad == 0 && (c->out.numel < 1000 || fabs(frac - rate) < 0.04);
  if (!ok) {
    char desc[512];
    fprintf(stderr, "\n%s: %s: %lld outputs or gradients are neither 0 nor scaled; %.3f "
                    "dropped for rate %g\n",
            who, describe(t, desc, sizeof desc), (long long)bad, frac, rate);
  }
  return ok;
}

/* A backward adds to the gradient buffers and skips NULL ones: buffers start
 * at 1 + i, first with input 0 left out, then with only input 0. A kernel
 * that declares NND_KERNEL_ASSIGNS_GRADS must also store, not add, where
 * grad_assign says so, over buffers holding NaN: pass 2 assigns every
 * gradient, pass 3 only input 0's while the others still add. */
static int check_accumulates(kt_case *c, const nnd_kernel *k, const op_case *t,
                             const char *who) {
  int ok = 1;
  int passes = k->flags & NND_KERNEL_ASSIGNS_GRADS ? 4 : 2;
  for (int pass = 0; pass < passes; pass++) {
    nnd_tensor grads[KT_MAX_INPUTS];
    uint32_t assign = 0;
    for (int i = 0; i < c->n_inputs; i++) {
      grads[i] = c->grad_in[i];
      grads[i].data = NULL;
      if (c->is_label[i] || (pass < 2 && (pass == 0) == (i == 0))) continue;
      if (pass == 2 || (pass == 3 && i == 0)) assign |= 1u << i;
      grads[i].data = malloc((size_t)grads[i].numel * sizeof(float) + 1);
      for (int64_t j = 0; grads[i].data && j < grads[i].numel; j++)
        grads[i].data[j] = assign >> i & 1u ? NAN : 1.0f + (float)i;
    }
    nnd_kernel_ctx ctx = raw_ctx(c, t->training, grads);
    ctx.grad_assign = assign;
    static const char *const pass_name[] = {"input 0 skipped", "only input 0",
                                            "every gradient assigned", "input 0 assigned"};
    if (k->backward(&ctx) != 0) {
      char desc[512];
      fprintf(stderr, "\n%s: %s: backward with %s failed: %s\n", who,
              describe(t, desc, sizeof desc), pass_name[pass], c->message);
      ok = 0;
    }
    for (int i = 0; i < c->n_inputs; i++) {
      if (!grads[i].data) continue;
      int assigned = assign >> i & 1u;
      float *want = malloc((size_t)grads[i].numel * sizeof(float) + 1);
      for (int64_t j = 0; want && j < grads[i].numel; j++)
        want[j] = c->grad_in[i].data[j] + (assigned ? 0.0f : 1.0f + (float)i);
      char what[128];
      if (assigned)
        snprintf(what, sizeof what, "gradient of input %d (%s) stored over NaN", i,
                 input_name(c, i));
      else
        snprintf(what, sizeof what, "gradient of input %d (%s) added to %d", i,
                 input_name(c, i), 1 + i);
      if (ok && want) ok &= close_to(grads[i].data, want, grads[i].numel, ADD_TOL, who, t, what);
      free(want);
      free(grads[i].data);
    }
  }
  return ok;
}

/* How the cases of one op went on one backend. */
typedef struct {
  int found, ran, unsupported, gradchecked;
} op_tally;

typedef enum { MODE_COMPARE, MODE_THREADS, MODE_GRADCHECK } run_mode;

static int64_t float_inputs(const kt_case *c) {
  int64_t n = 0;
  for (int i = 0; i < c->n_inputs; i++)
    if (!c->is_label[i]) n += c->in[i].numel;
  return n;
}

#ifdef _OPENMP
/* A session sizes every workspace when the batch is set, at the thread count
 * of that moment (session.c); a kernel run later with more threads must fit
 * in it (use fewer threads) rather than write past it. The workspace is
 * sized at 1 thread and followed by guard bytes; the kernel runs at 3 and
 * must give the 1-thread results (ref) and leave the guard alone. */
static int check_small_workspace(kt_case *c, const nnd_kernel *k, const op_case *t,
                                 const kt_case *ref, float *const *orig, const char *who) {
  enum { GUARD = 4096 };
  omp_set_num_threads(1);
  nnd_kernel_ctx q = raw_ctx(c, t->training, NULL);
  size_t need = k->workspace(&q);
  omp_set_num_threads(3);
  unsigned char *ws = calloc(1, need + GUARD);
  if (!ws) return 0;
  memset(ws + need, 0xA5, GUARD);
  void *keep = c->workspace;
  size_t keep_size = c->workspace_size;
  c->workspace = ws;
  c->workspace_size = need;
  nnd_tensor grads[KT_MAX_INPUTS];
  for (int i = 0; i < c->n_inputs; i++) {
    memcpy(c->in[i].data, orig[i], (size_t)c->in[i].numel * sizeof(float));
    memset(c->grad_in[i].data, 0, (size_t)c->grad_in[i].numel * sizeof(float));
    grads[i] = c->grad_in[i];
    if (c->is_label[i]) grads[i].data = NULL;
  }
  nnd_kernel_ctx ctx = raw_ctx(c, t->training, grads);
  char tag[128], desc[512];
  snprintf(tag, sizeof tag, "%s with 3 threads in a workspace sized for 1", who);
  int rc = k->forward(&ctx);
  if (rc == 0) rc = k->backward(&ctx);
  if (rc != 0)
    fprintf(stderr, "\n%s: %s: failed: %s\n", tag, describe(t, desc, sizeof desc), c->message);
  size_t spoiled = 0;
  for (size_t i = 0; i < GUARD; i++) spoiled += ws[need + i] != 0xA5;
  if (spoiled)
    fprintf(stderr, "\n%s: %s: wrote %zu bytes past the %zu-byte workspace\n", tag,
            describe(t, desc, sizeof desc), spoiled, need);
  int ok = rc == 0 && spoiled == 0 && same_results(c, ref, thread_tol(k), tag, t);
  c->workspace = keep;
  c->workspace_size = keep_size;
  free(ws);
  return ok;
}

/* Reruns with 1, 2 and 3 threads from the same inputs (batchnorm changes its
 * running statistics) and compares with the 1-thread run. */
static int check_threads(kt_case *c, const nnd_kernel *k, const op_case *t, const char *who) {
  int saved = omp_get_max_threads(), ok = 1;
  kt_case ref;
  memset(&ref, 0, sizeof ref);
  float *orig[KT_MAX_INPUTS];
  for (int i = 0; i < c->n_inputs; i++) {
    size_t bytes = (size_t)c->in[i].numel * sizeof(float);
    orig[i] = malloc(bytes + 1);
    memcpy(orig[i], c->in[i].data, bytes);
    ref.in[i] = c->in[i];
    ref.in[i].data = malloc(bytes + 1);
    ref.grad_in[i] = c->grad_in[i];
    ref.grad_in[i].data = malloc(bytes + 1);
  }
  ref.n_inputs = c->n_inputs;
  ref.out = c->out;
  ref.out.data = malloc((size_t)c->out.numel * sizeof(float) + 1);
  for (int nt = 1; nt <= 3 && ok; nt++) {
    omp_set_num_threads(nt);
    for (int i = 0; i < c->n_inputs; i++)
      memcpy(c->in[i].data, orig[i], (size_t)c->in[i].numel * sizeof(float));
    char tag[96];
    snprintf(tag, sizeof tag, "%s with %d thread%s", who, nt, nt > 1 ? "s" : "");
    if (run_kernel(c, k, t, tag) != 0) {
      ok = 0;
      break;
    }
    if (nt == 1) {
      memcpy(ref.out.data, c->out.data, (size_t)c->out.numel * sizeof(float));
      for (int i = 0; i < c->n_inputs; i++) {
        memcpy(ref.in[i].data, c->in[i].data, (size_t)c->in[i].numel * sizeof(float));
        memcpy(ref.grad_in[i].data, c->grad_in[i].data,
               (size_t)c->grad_in[i].numel * sizeof(float));
      }
      continue;
    }
    /* same_results reads node names through c */
    ref.model = c->model;
    ref.node = c->node;
    memcpy(ref.is_label, c->is_label, sizeof ref.is_label);
    strcat(tag, ", against 1 thread");
    ok = same_results(c, &ref, thread_tol(k), tag, t);
  }
  if (ok && k->workspace) ok = check_small_workspace(c, k, t, &ref, orig, who);
  omp_set_num_threads(saved);
  for (int i = 0; i < c->n_inputs; i++) {
    free(orig[i]);
    free(ref.in[i].data);
    free(ref.grad_in[i].data);
  }
  free(ref.out.data);
  return ok;
}
#endif

/* One case on one backend kernel, in one mode. */
static void run_case(const op_case *t, const nnd_kernel *k, run_mode mode, op_tally *tally) {
  kt_case got;
  char who[64];
  snprintf(who, sizeof who, "%s %s", k->backend, k->op);
  if (setup_case(&got, t) != 0) {
    CU_FAIL("case setup failed");
    return;
  }
  if (!supported(&got, k, t->training)) {
    tally->unsupported++;
    kt_free(&got);
    return;
  }
  tally->ran++;
  int dropout = strcmp(t->op, "dropout") == 0 && t->training;
  if (mode == MODE_COMPARE) {
    const nnd_kernel *naive = nnd_naive_kernel(t->op);
    kt_case ref;
    CU_ASSERT_PTR_NOT_NULL(naive);
    if (naive && setup_case(&ref, t) == 0) {
      int ok = run_kernel(&got, k, t, who) == 0 && run_kernel(&ref, naive, t, "naive") == 0;
      CU_ASSERT(ok);
      if (ok) {
        char tag[96];
        snprintf(tag, sizeof tag, "%s against naive", who);
        CU_ASSERT(dropout ? check_dropout(&got, t, who) : same_results(&got, &ref, KERNEL_TOL, tag, t));
        CU_ASSERT(check_accumulates(&got, k, t, who));
      }
      kt_free(&ref);
    }
  } else if (mode == MODE_THREADS) {
#ifdef _OPENMP
    CU_ASSERT(check_threads(&got, k, t, who));
#endif
  } else if (!(t->flags & NO_GC) && float_inputs(&got) <= 1500 && got.out.numel <= 5000) {
    tally->gradchecked++;
    double err = kt_gradcheck(&got, k, t->training, t->gc_eps > 0 ? t->gc_eps : GC_EPS);
    if (!(err >= 0 && err < GC_TOL)) {
      char desc[512];
      fprintf(stderr, "\n%s: %s: gradcheck %g (tolerance %g) %s\n", who,
              describe(t, desc, sizeof desc), err, GC_TOL, err < 0 ? got.message : "");
    }
    CU_ASSERT(err >= 0 && err < GC_TOL);
  }
  kt_free(&got);
}

/* Every kernel of backend b, every case of its op, in one mode. */
static void run_backend(const char *b, run_mode mode, const char *test) {
  if (!test_backend_ready(b, test)) return;
  int kernels = 0;
  for (int i = 0; i < nnd_registry_kernel_count(); i++) {
    const nnd_kernel *k = nnd_registry_kernel_at(i, NULL);
    if (strcmp(k->backend, b) != 0) continue;
    kernels++;
    op_tally tally = {0, 0, 0, 0};
    for (int j = 0; j < N_CASES; j++) {
      if (strcmp(cases[j].op, k->op) != 0) continue;
      tally.found++;
      run_case(&cases[j], k, mode, &tally);
    }
    if (tally.found == 0)
      fprintf(stderr, "\n%s: no test case for op `%s` of backend %s: add some to "
                      "tests/test_backends.c\n", test, k->op, b);
    CU_ASSERT(tally.found > 0);
    if (tally.found > 0 && tally.ran == 0)
      fprintf(stderr, "\n%s: the %s kernel of `%s` supports none of its %d cases\n", test, b,
              k->op, tally.found);
    CU_ASSERT(tally.found == 0 || tally.ran > 0);
    if (tally.unsupported > 0)
      printf("\n    note: %s %s declines %d of %d cases (naive runs those)  ", b, k->op,
             tally.unsupported, tally.found);
    if (mode == MODE_GRADCHECK && tally.ran > 0) CU_ASSERT(tally.gradchecked > 0);
  }
  CU_ASSERT(kernels > 0);  /* a loaded plugin registers something under its name */
}

static void test_openmp_matches_naive(void) { run_backend("openmp", MODE_COMPARE, "openmp vs naive"); }
static void test_blas_matches_naive(void) { run_backend("blas", MODE_COMPARE, "blas vs naive"); }
static void test_openmp_gradcheck(void) { run_backend("openmp", MODE_GRADCHECK, "openmp gradcheck"); }
static void test_blas_gradcheck(void) { run_backend("blas", MODE_GRADCHECK, "blas gradcheck"); }

static void threads_test(const char *b, const char *test) {
#ifdef _OPENMP
  run_backend(b, MODE_THREADS, test);
#else
  test_missing("OpenMP (this program was built without it)", test);
#endif
}
static void test_openmp_threads(void) { threads_test("openmp", "openmp thread counts"); }
static void test_blas_threads(void) { threads_test("blas", "blas thread counts"); }
static void test_dnnl_matches_naive(void) { run_backend("dnnl", MODE_COMPARE, "dnnl vs naive"); }
static void test_dnnl_gradcheck(void) { run_backend("dnnl", MODE_GRADCHECK, "dnnl gradcheck"); }
static void test_dnnl_threads(void) { threads_test("dnnl", "dnnl thread counts"); }

/* The cases themselves are sound: every one compiles into a node of its op
 * and runs on naive (a typo would otherwise only show up once a backend
 * registers that op); and naive's backward keeps the add contract, and the
 * store one where it declares it (flatten, reshape). */
static void test_cases_run_on_naive(void) {
  for (int j = 0; j < N_CASES; j++) {
    kt_case c;
    if (setup_case(&c, &cases[j]) != 0) {
      CU_FAIL("case setup failed");
      continue;
    }
    CU_ASSERT_STRING_EQUAL(c.node->op->name, cases[j].op);
    const nnd_kernel *k = nnd_naive_kernel(cases[j].op);
    CU_ASSERT_PTR_NOT_NULL(k);
    int ran = k && run_kernel(&c, k, &cases[j], "naive") == 0;
    CU_ASSERT(ran);
    if (ran) CU_ASSERT(check_accumulates(&c, k, &cases[j], "naive"));
    kt_free(&c);
  }
}

void test_backends_register(void) {
  CU_pSuite s = CU_add_suite("backends", suite_init, NULL);
  CU_add_test(s, "openmp, blas and dnnl load when built", test_plugins_load);
  CU_add_test(s, "every standard op has a naive kernel", test_standard_ops_have_naive_kernels);
  CU_add_test(s, "fast backends implement existing ops", test_fast_backends_name_existing_ops);
  CU_add_test(s, "every case runs on naive", test_cases_run_on_naive);
  CU_add_test(s, "openmp kernels match naive", test_openmp_matches_naive);
  CU_add_test(s, "blas kernels match naive", test_blas_matches_naive);
  CU_add_test(s, "openmp kernels pass gradcheck", test_openmp_gradcheck);
  CU_add_test(s, "blas kernels pass gradcheck", test_blas_gradcheck);
  CU_add_test(s, "openmp kernels ignore the thread count", test_openmp_threads);
  CU_add_test(s, "blas kernels ignore the thread count", test_blas_threads);
  CU_add_test(s, "dnnl kernels match naive", test_dnnl_matches_naive);
  CU_add_test(s, "dnnl kernels pass gradcheck", test_dnnl_gradcheck);
  CU_add_test(s, "dnnl kernels ignore the thread count", test_dnnl_threads);
}
