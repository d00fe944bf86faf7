/* test_kernel_choice.c — each node's kernel measured at session start
 * (runtime/kernel_choice.c), and the ways to pin it.
 *
 * The suite runs with NND_KERNEL_CHOICE=fixed (Makefile.am); each test here
 * sets the variable it needs and puts the old value back. No test asserts
 * which backend wins (that is the machine's business, and timings never go
 * in tests): they assert that every candidate was timed with a positive
 * finite time, that the chosen one is the fastest of them (or within the
 * 5% that counts as a tie), that the choice
 * computes naive's numbers, that it is kept per batch size, and that
 * --backend and NND_KERNEL_CHOICE=fixed give the preference order with no
 * timing at all. Needs two backends with a conv2d kernel (openmp and blas,
 * or dnnl): without them it passes with a note, or fails under CI. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_loader.h"
#include "session_internal.h"
#include "tests.h"

static const char cnn[] =
    "model choice_cnn\n"
    "input image: [1, 12, 12]\n"
    "input label: class[10]\n"
    "c = conv2d(image, filters=4, kernel=3, padding=1)\n"
    "p = maxpool(relu(c), size=2)\n"
    "h = relu(dense(flatten(p), units=16))\n"
    "logits = dense(h, units=10)\n"
    "loss cross_entropy(logits, label)\n"
    "train { optimizer = sgd(lr=0.05); seed = 7 }\n";

static int suite_init(void) {
  const char *dir = NND_TEST_BUILDDIR "/plugins/.libs";
  nnd_load_plugins(&dir, 1);
  return 0;
}

/* Sets NND_KERNEL_CHOICE (NULL: unset) and NND_BACKEND (unset), keeping the
 * old values for restore_env. */
static char *saved_choice, *saved_backend;
static void set_env(const char *choice) {
  const char *c = getenv("NND_KERNEL_CHOICE"), *b = getenv("NND_BACKEND");
  saved_choice = c ? strdup(c) : NULL;
  saved_backend = b ? strdup(b) : NULL;
  if (choice) setenv("NND_KERNEL_CHOICE", choice, 1);
  else unsetenv("NND_KERNEL_CHOICE");
  unsetenv("NND_BACKEND");
}
static void restore_env(void) {
  if (saved_choice) setenv("NND_KERNEL_CHOICE", saved_choice, 1);
  else unsetenv("NND_KERNEL_CHOICE");
  if (saved_backend) setenv("NND_BACKEND", saved_backend, 1);
  free(saved_choice);
  free(saved_backend);
  saved_choice = saved_backend = NULL;
}

/* Two fast backends with conv2d: something to choose between. */
static int have_choice(const char *test) {
  int n = test_backend_loaded("openmp") + test_backend_loaded("blas") +
          test_backend_loaded("dnnl");
  if (n >= 2) return 1;
  test_backend_ready("blas", test);
  test_backend_ready("dnnl", test);
  return 0;
}

static nnd_session *open_session(const nnd_model *m, const char *backends, int batch) {
  nnd_session_options o = {.size = sizeof o, .backends = backends};
  nnd_session *s = NULL;
  char err[1024];
  if (nnd_session_new(m, &o, &s, err, sizeof err) != 0) {
    fprintf(stderr, "\nsession: %s\n", err);
    return NULL;
  }
  if (nnd_session_set_batch(s, batch) != 0) {
    fprintf(stderr, "\nset_batch: %s\n", nnd_session_error(s));
    nnd_session_free(s);
    return NULL;
  }
  return s;
}

/* The loss and the gradient of every parameter after one forward and
 * backward on fixed inputs. */
static double run_once(nnd_session *s, float *grads, int64_t *n) {
  int batch = nnd_session_batch(s);
  float x[4 * 144], y[4];
  for (int i = 0; i < batch * 144; i++) x[i] = (float)((i * 37) % 101) / 101.0f - 0.5f;
  for (int i = 0; i < batch; i++) y[i] = (float)((i * 3) % 10);
  if (nnd_session_set_input(s, "image", x, batch * 144) != 0 ||
      nnd_session_set_input(s, "label", y, batch) != 0 || nnd_session_forward(s, 1) != 0 ||
      nnd_session_backward(s) != 0) {
    fprintf(stderr, "\nrun: %s\n", nnd_session_error(s));
    return NAN;
  }
  const float *g = nnd_session_param_grads(s, n);
  memcpy(grads, g, (size_t)*n * sizeof *grads);
  return nnd_session_loss(s);
}

static void test_measured_choice(void) {
  if (!have_choice("measured kernel choice")) return;
  set_env(NULL);
  nnd_model *m = compile_ok(cnn);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  nnd_session *s = open_session(m, NULL, 4);
  CU_ASSERT_PTR_NOT_NULL(s);
  int timed_nodes = 0;
  for (int i = 0; s && i < nnd_model_node_count(m); i++) {
    const char *name = nnd_model_node_name(m, i);
    int n = nnd_session_kernel_timing(s, name, 0, NULL, NULL);
    if (n == 0) continue;
    timed_nodes++;
    CU_ASSERT(n >= 2);
    const char *chosen = nnd_session_backend(s, name), *fastest = NULL;
    double best = INFINITY, chosen_ms = INFINITY;
    for (int k = 0; k < n; k++) {
      const char *b = NULL;
      double ms = -1;
      CU_ASSERT_EQUAL(nnd_session_kernel_timing(s, name, k, &b, &ms), n);
      CU_ASSERT_PTR_NOT_NULL(b);
      /* every candidate ran: a positive, finite time (naive is only timed
         when it is the one kernel, so never here) */
      CU_ASSERT(ms > 0 && isfinite(ms));
      CU_ASSERT(b && strcmp(b, "naive") != 0);
      if (ms < best) best = ms, fastest = b;
      if (b && chosen && strcmp(b, chosen) == 0) chosen_ms = ms;
    }
    /* the fastest, or one within 5% of it (a near tie goes to the earlier
       backend of the preference list) */
    int ok = chosen && fastest && chosen_ms <= best * 1.05;
    if (!ok)
      fprintf(stderr, "\nnode %s runs on %s (%g ms), the fastest measured was %s (%g ms)\n",
              name, chosen ? chosen : "?", chosen_ms, fastest ? fastest : "?", best);
    CU_ASSERT(ok);
  }
  /* conv2d and both dense layers at least */
  CU_ASSERT(timed_nodes >= 3);

  /* the numbers are naive's, whatever was chosen (within float rounding) */
  float g1[8192], g2[8192];
  int64_t n1 = 0, n2 = 0;
  nnd_session *ref = open_session(m, "naive", 4);
  CU_ASSERT_PTR_NOT_NULL(ref);
  if (s && ref) {
    double l1 = run_once(s, g1, &n1), l2 = run_once(ref, g2, &n2);
    CU_ASSERT(isfinite(l1) && fabs(l1 - l2) <= 1e-5 * fmax(1, fabs(l2)));
    CU_ASSERT_EQUAL(n1, n2);
    CU_ASSERT(n1 > 0 && n1 <= 8192);
    int bad = 0;
    for (int64_t i = 0; i < n1 && i < n2; i++)
      bad += !(fabs(g1[i] - g2[i]) <= 1e-4 * fmax(1, fabs(g2[i])));
    CU_ASSERT_EQUAL(bad, 0);
  }

  /* kept per batch size: back at batch 4, the same timings, not new ones */
  const char *b0 = NULL;
  double ms0 = 0, ms1 = 0;
  if (s && nnd_session_kernel_timing(s, "c", 0, &b0, &ms0) > 0) {
    CU_ASSERT_EQUAL(nnd_session_set_batch(s, 2), 0);
    CU_ASSERT(nnd_session_kernel_timing(s, "c", 0, NULL, NULL) >= 2); /* measured at 2 */
    CU_ASSERT_EQUAL(nnd_session_set_batch(s, 4), 0);
    CU_ASSERT(nnd_session_kernel_timing(s, "c", 0, NULL, &ms1) >= 2);
    CU_ASSERT_EQUAL(ms0, ms1);
  }
  nnd_session_free(ref);
  nnd_session_free(s);
  nnd_model_free(m);
  restore_env();
}

/* A backward is timed only where one follows: at the model's training
 * batch (4 here). Elsewhere (evaluation at 64, the trainer's short last
 * batch of 2) the forward alone is timed, so measuring there brings no
 * gradient-sized scratch into memory. Checked on the session's record of
 * what each timing included. */
static void test_inference_batch_times_forward(void) {
  if (!have_choice("forward-only timing")) return;
  set_env(NULL);
  char src[sizeof cnn + 16];
  snprintf(src, sizeof src, "%.*s; batch = 4 }\n", (int)(strstr(cnn, " }\n") - cnn), cnn);
  nnd_model *m = compile_ok(src);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  nnd_session *s = open_session(m, NULL, 4);
  CU_ASSERT_PTR_NOT_NULL(s);
  const nnd_node *c = s ? nnd_ir_find(s->m, "c") : NULL;
  CU_ASSERT_PTR_NOT_NULL(c);
  if (s && c) {
    CU_ASSERT_EQUAL(nnd_session_set_batch(s, 64), 0);
    CU_ASSERT_EQUAL(nnd_session_set_batch(s, 2), 0);
    int at4 = -1, at64 = -1, at2 = -1;
    const nnd_node_choice *nc = &s->choice[c->id];
    for (int i = 0; i < nc->n; i++) {
      if (nc->entry[i].batch == 4) at4 = nc->entry[i].backward;
      if (nc->entry[i].batch == 64) at64 = nc->entry[i].backward;
      if (nc->entry[i].batch == 2) at2 = nc->entry[i].backward;
    }
    CU_ASSERT_EQUAL(at4, 1);  /* the training batch: forward and backward */
    CU_ASSERT_EQUAL(at64, 0); /* any other: the forward only */
    CU_ASSERT_EQUAL(at2, 0);
  }
  nnd_session_free(s);
  nnd_model_free(m);
  restore_env();
}

/* NND_KERNEL_CHOICE=fixed and --backend: the preference order, no timing. */
static void test_pinned_choice(void) {
  if (!have_choice("pinned kernel choice")) return;
  nnd_model *m = compile_ok(cnn);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  const char *const cases[][2] = {{"fixed", NULL}, {NULL, "openmp,naive"}, {NULL, "naive"}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    if (cases[c][1] && strstr(cases[c][1], "openmp") && !test_backend_loaded("openmp"))
      continue;
    set_env(cases[c][0]);
    nnd_session *s = open_session(m, cases[c][1], 4);
    CU_ASSERT_PTR_NOT_NULL(s);
    for (int i = 0; s && i < nnd_model_node_count(m); i++)
      CU_ASSERT_EQUAL(nnd_session_kernel_timing(s, nnd_model_node_name(m, i), 0, NULL, NULL), 0);
    if (s && cases[c][1])
      CU_ASSERT_STRING_EQUAL(nnd_session_backend(s, "c"),
                             strcmp(cases[c][1], "naive") == 0 ? "naive" : "openmp");
    if (s && !cases[c][1]) {
      /* the fixed default order: blas before openmp before the others */
      const char *want = test_backend_loaded("blas") ? "blas" : "openmp";
      CU_ASSERT_STRING_EQUAL(nnd_session_backend(s, "c"), want);
    }
    nnd_session_free(s);
    restore_env();
  }
  nnd_model_free(m);
}

/* A value that is neither `measure` nor `fixed` is an error naming it. */
static void test_bad_choice_value(void) {
  set_env("fastest");
  nnd_model *m = compile_ok(cnn);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  nnd_session *s = NULL;
  char err[1024] = "";
  CU_ASSERT_NOT_EQUAL(nnd_session_new(m, NULL, &s, err, sizeof err), 0);
  CU_ASSERT_PTR_NULL(s);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "NND_KERNEL_CHOICE"));
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "fastest"));
  nnd_model_free(m);
  restore_env();
}

/* `nnd summary --kernels` shows the choice and every candidate's time. */
static void test_summary_shows_timings(void) {
  if (!have_choice("summary --kernels timings")) return;
  set_env("measure");
  int st = -1;
  char *out = run_nnd("summary --kernels models/fashion_cnn.nnd", &st);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, " ms"));
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "kernels measured at batch 64"));
  if (st != 0 || !out || !strstr(out, " ms")) fprintf(stderr, "\n%s\n", out ? out : "");
  free(out);
  restore_env();
  set_env("fixed");
  out = run_nnd("summary --kernels models/fashion_cnn.nnd", &st);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT_PTR_NULL(out && strstr(out, "kernels measured"));
  free(out);
  restore_env();
}

void test_kernel_choice_register(void) {
  CU_pSuite s = CU_add_suite("kernel choice", suite_init, NULL);
  CU_add_test(s, "the measured choice is the fastest candidate and computes naive's numbers",
              test_measured_choice);
  CU_add_test(s, "NND_KERNEL_CHOICE=fixed and --backend pin the order", test_pinned_choice);
  CU_add_test(s, "away from the training batch only the forward is timed",
              test_inference_batch_times_forward);
  CU_add_test(s, "a bad NND_KERNEL_CHOICE is an error", test_bad_choice_value);
  CU_add_test(s, "summary --kernels shows the timings", test_summary_shows_timings);
}
