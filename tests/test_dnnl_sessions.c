/* test_dnnl_sessions.c — two sessions running the same shapes on the dnnl
 * backend at the same time, on two threads.
 *
 * The dnnl plugin keeps, per cached primitive, the memory objects of its
 * arguments and re-points them at each call's tensors (plugins/dnnl/cache.c);
 * a call that finds them taken by another thread wraps its tensors in new
 * objects instead. Here two threads run sessions of one model (so both use
 * the same cache entries) on different inputs; every pass's loss and the
 * parameter gradients must equal those of the same session run alone (one
 * kernel, one thread count: the same numbers to the bit). A call whose
 * objects the other thread re-pointed would read or write the other
 * session's tensors: a wrong loss or gradient, or a crash. Needs the dnnl plugin (fails under CI without). */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_loader.h"
#include "tests.h"

static const char model[] =
    "model dnnl_sessions\n"
    "input image: [4, 24, 24]\n"
    "input label: class[5]\n"
    "c = conv2d(image, filters=16, kernel=3, padding=1)\n"
    "p = maxpool(relu(c), size=2)\n"
    "h = relu(dense(flatten(p), units=12))\n"
    "loss cross_entropy(dense(h, units=5), label)\n"
    "train { optimizer = sgd(lr=0.05); seed = 3; batch = 4 }\n";

#define BATCH 4
#define STEPS 40
#define MAX_GRADS 60000
#define FEATURES (4 * 24 * 24)

typedef struct {
  const nnd_model *m;
  int input; /* which inputs: 0 or 1 */
  double loss[STEPS];
  float grads[MAX_GRADS]; /* the last step's */
  int64_t n_grads;
  int failed;
  char err[512];
} run;

/* STEPS forward/backward passes (no optimizer step: every pass is the same
 * computation, so any pass of one run can be compared with any of another). */
static void *train(void *arg) {
  run *r = arg;
  nnd_session_options o = {.size = sizeof o, .backends = "dnnl,naive"};
  nnd_session *s = NULL;
  static float xs[2][BATCH * FEATURES];
  float *x = xs[r->input], y[BATCH];
  for (int i = 0; i < BATCH * FEATURES; i++)
    x[i] = (float)((i * (29 + 12 * r->input)) % 97) / 97.0f - 0.5f;
  for (int i = 0; i < BATCH; i++) y[i] = (float)((i + 2 * r->input) % 5);
  if (nnd_session_new(r->m, &o, &s, r->err, sizeof r->err) != 0 ||
      nnd_session_set_batch(s, BATCH) != 0) {
    if (s) snprintf(r->err, sizeof r->err, "%s", nnd_session_error(s));
    r->failed = 1;
    nnd_session_free(s);
    return NULL;
  }
  for (int k = 0; k < STEPS && !r->failed; k++) {
    if (nnd_session_set_input(s, "image", x, BATCH * FEATURES) != 0 ||
        nnd_session_set_input(s, "label", y, BATCH) != 0 ||
        nnd_session_forward(s, 1) != 0 || nnd_session_backward(s) != 0) {
      snprintf(r->err, sizeof r->err, "%s", nnd_session_error(s));
      r->failed = 1;
      break;
    }
    r->loss[k] = nnd_session_loss(s);
  }
  if (!r->failed) {
    const float *g = nnd_session_param_grads(s, &r->n_grads);
    if (r->n_grads > MAX_GRADS) r->failed = 1;
    else memcpy(r->grads, g, (size_t)r->n_grads * sizeof *g);
  }
  nnd_session_free(s);
  return NULL;
}

static void test_two_threads(void) {
  if (!test_backend_ready("dnnl", "dnnl sessions on two threads")) return;
  nnd_model *m = compile_ok(model);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  static run alone[2], ran[2];
  for (int k = 0; k < 2; k++) {
    memset(&alone[k], 0, sizeof alone[k]);
    alone[k].m = m;
    alone[k].input = k;
    train(&alone[k]);
    if (alone[k].failed) fprintf(stderr, "\nalone: %s\n", alone[k].err);
    CU_ASSERT_FALSE_FATAL(alone[k].failed);
    CU_ASSERT(isfinite(alone[k].loss[0]) && alone[k].loss[0] > 0);
    CU_ASSERT(alone[k].n_grads > 0);
  }
  /* the two inputs give different numbers, or a mix-up could not show */
  CU_ASSERT(alone[0].loss[0] != alone[1].loss[0]);
  for (int round = 0; round < 8; round++) {
    pthread_t t[2];
    int ok = 1;
    for (int k = 0; k < 2; k++) {
      memset(&ran[k], 0, sizeof ran[k]);
      ran[k].m = m;
      ran[k].input = k;
    }
    for (int k = 0; k < 2 && ok; k++) ok = pthread_create(&t[k], NULL, train, &ran[k]) == 0;
    CU_ASSERT_FATAL(ok);
    int bad = 0;
    for (int k = 0; k < 2; k++) {
      pthread_join(t[k], NULL);
      if (ran[k].failed) fprintf(stderr, "\n%s\n", ran[k].err);
      CU_ASSERT_FALSE(ran[k].failed);
      CU_ASSERT_EQUAL(ran[k].n_grads, alone[k].n_grads);
      for (int i = 0; i < STEPS; i++)
        bad += ran[k].loss[i] != alone[k].loss[0] || alone[k].loss[i] != alone[k].loss[0];
      for (int64_t i = 0; i < alone[k].n_grads; i++) bad += ran[k].grads[i] != alone[k].grads[i];
    }
    CU_ASSERT_EQUAL(bad, 0);
  }
  nnd_model_free(m);
}

static int suite_init(void) {
  const char *dir = NND_TEST_BUILDDIR "/plugins/.libs";
  nnd_load_plugins(&dir, 1);
  return 0;
}

void test_dnnl_sessions_register(void) {
  CU_pSuite s = CU_add_suite("dnnl sessions", suite_init, NULL);
  CU_add_test(s, "two sessions of one model on dnnl at once compute what one does alone",
              test_two_threads);
}
