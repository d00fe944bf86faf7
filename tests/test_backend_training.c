/* test_backend_training.c — the fast backends' optimizers and whole training
 * sessions against naive: each optimizer of openmp (and blas, should it
 * register any) stepped side by side with naive's, state included; small
 * models trained a few steps on every available preference list against an
 * all-naive session; and the backend each node reports. The kernels one by
 * one are in test_backends.c, whose plugin-status helpers this suite shares
 * (a plugin not built passes with a note, or fails under CI; one built but
 * not loaded fails). */
#include <CUnit/CUnit.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "kernel_harness.h"
#include "naive.h"
#include "plugin_loader.h"
#include "registry.h"
#include "tests.h"

/* Optimizers: plugins/openmp/optimizers.c promises naive's results bit for
 * bit, for any thread count; the test holds it to that (same_bits). */
/* Sessions: losses and parameters after 3 training steps; a step moves the
 * parameters by lr x gradient, so kernel rounding carries over barely grown. */
#define SESSION_TOL 1e-4

/* The backends under test; naive is the reference. */
static const char *const fast_backends[] = {"openmp", "blas", "dnnl"};
#define N_FAST ((int)(sizeof fast_backends / sizeof fast_backends[0]))

static int suite_init(void) {
  /* make check sets NND_PLUGIN_PATH; a run by hand finds the build tree */
  const char *dir = NND_TEST_BUILDDIR "/plugins/.libs";
  nnd_load_plugins(&dir, 1);
  return 0;
}

/* ---------------------------------------------------------- optimizers */

typedef struct {
  const char *opt;
  const char *names[5];
  double values[5];
} opt_setting;

/* Defaults, then every attribute away from its default. */
static const opt_setting opt_settings[] = {
    {"sgd", {NULL}, {0}},
    {"sgd", {"momentum"}, {0.9}},
    {"sgd", {"momentum", "nesterov", "weight_decay"}, {0.9, 1, 0.01}},
    {"sgd", {"momentum", "weight_decay"}, {0.5, 0.1}},
    {"sgd", {"weight_decay"}, {0.05}},
    {"adam", {NULL}, {0}},
    {"adam", {"beta1", "beta2", "eps", "weight_decay"}, {0.8, 0.99, 1e-6, 0.05}},
    {"adam", {"beta1", "beta2"}, {0, 0.5}},
    {"rmsprop", {NULL}, {0}},
    {"rmsprop", {"alpha", "eps", "momentum", "weight_decay"}, {0.9, 1e-6, 0.9, 0.01}},
    {"rmsprop", {"alpha", "momentum"}, {0.5, 0}},
};

#define MAX_CALL_ARGS 8

/* The call as the host hands it: every attribute of the schema named, with
 * its default unless the setting changes it. Its lr is 99 so that a step
 * reading the call instead of ctx->lr (the schedule's rate) shows. */
static int build_call(const opt_setting *set, nnd_value *call, nnd_value *items,
                      const char **names) {
  const nnd_call_schema *s = nnd_registry_find_call(NND_CALL_OPTIMIZER, set->opt);
  if (!s || s->n_attrs > MAX_CALL_ARGS) return -1;
  for (int i = 0; i < s->n_attrs; i++) {
    const nnd_attr_spec *a = &s->attrs[i];
    names[i] = a->name;
    memset(&items[i], 0, sizeof items[i]);
    items[i].kind = a->type == NND_ATTR_BOOL ? NND_VAL_BOOL : NND_VAL_NUMBER;
    items[i].num = strcmp(a->name, "lr") == 0 ? 99 : a->def_num;
    for (int j = 0; j < 5 && set->names[j]; j++)
      if (strcmp(set->names[j], a->name) == 0) items[i].num = set->values[j];
  }
  memset(call, 0, sizeof *call);
  call->kind = NND_VAL_CALL;
  call->str = s->name;
  call->count = s->n_attrs;
  call->items = items;
  call->names = names;
  return 0;
}

static float uniform_pm1(uint64_t *s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return (float)((double)(*s >> 11) / 4503599627370496.0 - 1.0);
}

static void describe_setting(const opt_setting *set, char *buf, size_t n) {
  size_t k = (size_t)snprintf(buf, n, "%s(", set->opt);
  for (int j = 0; j < 5 && set->names[j] && k < n; j++)
    k += (size_t)snprintf(buf + k, n - k, "%s%s=%g", j ? ", " : "", set->names[j],
                          set->values[j]);
  if (k < n) snprintf(buf + k, n - k, ")");
}

/* 1 when got and want hold the same bits; else prints the first element
 * that differs. NaN fails even against NaN: no optimizer should make one. */
static int same_bits(const float *got, const float *want, int64_t n, const char *what) {
  for (int64_t i = 0; i < n; i++) {
    if (memcmp(&got[i], &want[i], sizeof(float)) == 0 && isfinite(got[i])) continue;
    fprintf(stderr, "\n%s: element %lld is %.9g, naive's %.9g (not the same bits)\n", what,
            (long long)i, got[i], want[i]);
    return 0;
  }
  return 1;
}

/* Six steps of o and of naive's optimizer from the same parameters and
 * gradients; params and state must be the same bits after every step. */
static int optimizer_agrees(const nnd_optimizer *o, const nnd_optimizer *ref,
                            const opt_setting *set, int64_t n) {
  nnd_value call, items[MAX_CALL_ARGS];
  const char *names[MAX_CALL_ARGS];
  char what[160], desc[128];
  describe_setting(set, desc, sizeof desc);
  if (build_call(set, &call, items, names) != 0) return 0;
  int sf = ref->state_floats;
  size_t pbytes = (size_t)n * sizeof(float), sbytes = (size_t)(n * sf) * sizeof(float);
  float *p = malloc(pbytes + 4), *pr = malloc(pbytes + 4), *g = malloc(pbytes + 4);
  float *st = calloc(1, sbytes + 4), *sr = calloc(1, sbytes + 4);
  int ok = p && pr && g && st && sr;
  uint64_t seed = (uint64_t)n * 977 + 13;
  /* some parameters are zeros of either sign, which a step that skips
     zero gradients must leave as naive leaves them */
  for (int64_t i = 0; ok && i < n; i++)
    p[i] = pr[i] = i % 11 == 3 ? -0.0f : i % 11 == 7 ? 0.0f : uniform_pm1(&seed);
  char msg[256] = "", msg_ref[256] = "";
  for (int step = 1; ok && step <= 6; step++) {
    /* gradients as a batch-1 step makes them: runs of 40 zeros (where the
       sample's inputs are 0) at offsets that move each step, so that any
       block size up to 32 finds whole blocks of zeros to skip; a -0 here
       and there, inside the runs too on odd steps (a block holding one is
       not all +0: -0 - lr (-0) is +0, so a -0 parameter must change) */
    for (int64_t i = 0; i < n; i++) {
      float u = uniform_pm1(&seed);
      int zero_run = ((i + 7 * step) / 40) % 3 == 0;
      g[i] = zero_run ? (step % 2 && i % 29 == 3 ? -0.0f : 0.0f) : i % 13 == 5 ? -0.0f : u;
    }
    double lr = 0.01 * (1 + 0.25 * step);  /* a schedule changes it every step */
    nnd_optim_ctx c = {.size = sizeof c, .host = nnd_plugin_host(), .params = p, .grads = g,
                       .state = st, .n = n, .call = &call, .lr = lr, .step = step,
                       .message = msg, .message_size = sizeof msg};
    nnd_optim_ctx cr = c;
    cr.params = pr;
    cr.state = sr;
    cr.message = msg_ref;
    if (o->step(&c) != 0 || ref->step(&cr) != 0) {
      fprintf(stderr, "\n%s %s, n = %lld: step %d failed: %s / naive: %s\n", o->backend,
              desc, (long long)n, step, msg, msg_ref);
      ok = 0;
      break;
    }
    snprintf(what, sizeof what, "%s %s, n = %lld, step %d: params", o->backend, desc,
             (long long)n, step);
    ok &= same_bits(p, pr, n, what);
    snprintf(what, sizeof what, "%s %s, n = %lld, step %d: state", o->backend, desc,
             (long long)n, step);
    ok &= same_bits(st, sr, n * sf, what);
  }
  free(p);
  free(pr);
  free(g);
  free(st);
  free(sr);
  return ok;
}

/* Every optimizer of a fast backend against naive's, for every setting of
 * its name, on sizes from one element to more than a thread's share, at 1
 * and 3 threads. Then the refusal naive makes (Nesterov without momentum)
 * the backend makes too. */
static void optimizers_test(const char *b, const char *test) {
  if (!test_backend_ready(b, test)) return;
  static const int64_t sizes[] = {1, 67, 1037, 100003};
  int optimizers = 0;
  for (int i = 0; i < nnd_registry_optimizer_count(); i++) {
    const nnd_optimizer *o = nnd_registry_optimizer_at(i, NULL);
    if (strcmp(o->backend, b) != 0) continue;
    optimizers++;
    const nnd_optimizer *ref = NULL;
    for (int j = 0; j < nnd_naive_optimizer_count; j++)
      if (strcmp(nnd_naive_optimizers[j].name, o->name) == 0) ref = &nnd_naive_optimizers[j];
    CU_ASSERT_PTR_NOT_NULL(ref);
    if (!ref) continue;
    CU_ASSERT_EQUAL(o->state_floats, ref->state_floats);
    if (o->state_floats != ref->state_floats) continue;
    int settings = 0;
    for (size_t s = 0; s < sizeof opt_settings / sizeof opt_settings[0]; s++) {
      if (strcmp(opt_settings[s].opt, o->name) != 0) continue;
      settings++;
      for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
#ifdef _OPENMP
        int saved = omp_get_max_threads();
        for (int nt = 1; nt <= 3; nt += 2) {
          omp_set_num_threads(nt);
          CU_ASSERT(optimizer_agrees(o, ref, &opt_settings[s], sizes[z]));
        }
        omp_set_num_threads(saved);
#else
        CU_ASSERT(optimizer_agrees(o, ref, &opt_settings[s], sizes[z]));
#endif
      }
    }
    if (settings == 0)
      fprintf(stderr, "\n%s: no settings for optimizer `%s`: add some to "
                      "tests/test_backends.c\n", test, o->name);
    CU_ASSERT(settings > 0);
    if (strcmp(o->name, "sgd") == 0) {
      opt_setting bad = {"sgd", {"momentum", "nesterov"}, {0, 1}};
      nnd_value call, items[MAX_CALL_ARGS];
      const char *names[MAX_CALL_ARGS];
      float p = 1, g = 1, st = 0;
      char msg[256] = "";
      CU_ASSERT_EQUAL_FATAL(build_call(&bad, &call, items, names), 0);
      nnd_optim_ctx c = {.size = sizeof c, .host = nnd_plugin_host(), .params = &p,
                         .grads = &g, .state = &st, .n = 1, .call = &call, .lr = 0.1,
                         .step = 1, .message = msg, .message_size = sizeof msg};
      CU_ASSERT_EQUAL(o->step(&c), -1);
      CU_ASSERT_PTR_NOT_NULL(strstr(msg, "nesterov"));
    }
  }
  /* openmp provides all three */
  if (strcmp(b, "openmp") == 0) CU_ASSERT_EQUAL(optimizers, 3);
  if (optimizers == 0) printf("\n    note: %s registers no optimizer  ", b);
}

static void test_openmp_optimizers(void) { optimizers_test("openmp", "openmp optimizers"); }
static void test_blas_optimizers(void) { optimizers_test("blas", "blas optimizers"); }

/* ------------------------------------------------------------ sessions */

/* models/fashion_cnn.nnd at 12x12 with 4 and 8 filters. */
static const char small_cnn[] =
    "model small_cnn\n"
    "input image: [1, 12, 12]\n"
    "input label: class[10]\n"
    "block conv_block(x, n) {\n"
    "  return maxpool(relu(conv2d(x, filters=n, kernel=3, padding=1)), size=2)\n"
    "}\n"
    "f      = flatten(conv_block(conv_block(image, 4), 8))\n"
    "hidden = relu(dense(f, units=16))\n"
    "logits = dense(hidden, units=10)\n"
    "loss cross_entropy(logits, label)\n"
    "train { optimizer = sgd(lr=0.05, momentum=0.9); seed = 42 }\n";

/* An MLP for Adam, with no dead units (tanh, leaky_relu): Adam turns even a
 * tiny gradient into a full step, so a gradient exactly 0 on one backend and
 * 1e-10 on another (a dead relu) would move a parameter differently. */
static const char small_mlp[] =
    "model small_mlp\n"
    "input x: [20]\n"
    "input y: class[5]\n"
    "h  = tanh(dense(x, units=32))\n"
    "h2 = leaky_relu(dense(h, units=16), slope=0.1)\n"
    "loss cross_entropy(dense(h2, units=5), y)\n"
    "train { optimizer = adam(lr=0.01, weight_decay=0.001); seed = 3 }\n";

/* conv1d, avgpool, sigmoid, mse and RMSprop with momentum. */
static const char small_conv1d[] =
    "model small_conv1d\n"
    "input x: [2, 16]\n"
    "input t: [3]\n"
    "h = avgpool(sigmoid(conv1d(x, filters=4, kernel=5, padding=2)), size=2)\n"
    "y = dense(flatten(h), units=3)\n"
    "loss mse(y, t)\n"
    "train { optimizer = rmsprop(lr=0.01, momentum=0.5); seed = 5 }\n";

/* Deterministic data for every input of m at a batch. */
static int feed_inputs(nnd_session *s, const nnd_model *m, int batch) {
  for (int i = 0; i < nnd_model_node_count(m); i++) {
    if (strcmp(nnd_model_node_op(m, i), "input") != 0) continue;
    nnd_type t;
    nnd_model_node_type(m, i, &t);
    int64_t per = 1;
    for (int d = 0; d < t.ndim; d++) per *= t.dim[d];
    int64_t n = per * batch;
    float *v = malloc((size_t)n * sizeof(float) + 1);
    if (!v) return -1;
    for (int64_t j = 0; j < n; j++) {
      if (t.dtype == NND_CLASS) v[j] = (float)((j * 7 + i) % t.classes);
      else if (t.dtype == NND_BINARY) v[j] = (float)(j % 2);
      else v[j] = (float)(0.5 + 0.5 * sin(1.7 * (double)j + 0.3 * i));
    }
    int rc = nnd_session_set_input(s, nnd_model_node_name(m, i), v, n);
    free(v);
    if (rc != 0) return -1;
  }
  return 0;
}

#define SESSION_STEPS 3

/* Train `steps` steps on backends; the loss of every forward and the
 * parameters after (malloc'd). NULL on failure, with a message. */
static float *train(const nnd_model *m, const char *backends, int batch, double *losses,
                    int64_t *n_params) {
  nnd_session_options o = {.size = sizeof o, .backends = backends};
  nnd_session *s = NULL;
  char err[1024];
  if (nnd_session_new(m, &o, &s, err, sizeof err) != 0) {
    fprintf(stderr, "\nsession on %s: %s\n", backends, err);
    return NULL;
  }
  float *copy = NULL;
  /* the first backend asked for runs some node, or this compares naive
     with itself */
  char first[32];
  int used = 0;
  snprintf(first, sizeof first, "%.*s", (int)strcspn(backends, ","), backends);
  for (int i = 0; i < nnd_model_node_count(m); i++) {
    const char *b = nnd_session_backend(s, nnd_model_node_name(m, i));
    used |= b && strcmp(b, first) == 0;
  }
  if (!used) {
    fprintf(stderr, "\n%s on %s: no node runs on %s\n", nnd_model_name(m), backends, first);
    nnd_session_free(s);
    return NULL;
  }
  if (nnd_session_set_batch(s, batch) != 0 || feed_inputs(s, m, batch) != 0) goto done;
  for (int k = 0; k < SESSION_STEPS; k++) {
    if (nnd_session_forward(s, 1) != 0 || nnd_session_backward(s) != 0 ||
        nnd_session_step(s, -1) != 0)
      goto done;
    losses[k] = nnd_session_loss(s);
  }
  float *p = nnd_session_params(s, n_params);
  copy = malloc((size_t)*n_params * sizeof(float) + 1);
  if (copy) memcpy(copy, p, (size_t)*n_params * sizeof(float));
done:
  if (!copy) fprintf(stderr, "\ntraining on %s: %s\n", backends, nnd_session_error(s));
  nnd_session_free(s);
  return copy;
}

/* Each model trains SESSION_STEPS steps at batch 8 with the fast backends
 * first and alone on naive: the same losses and the same parameters. */
static void test_sessions_train_like_naive(void) {
  static const char *const prefs[] = {"blas,openmp,naive", "openmp,naive", "blas,naive",
                                      "dnnl,openmp,naive", "dnnl,naive"};
  const char *const models[] = {small_cnn, small_mlp, small_conv1d};
  int have[3] = {test_backend_loaded("openmp"), test_backend_loaded("blas"),
                 test_backend_loaded("dnnl")};
  for (size_t mi = 0; mi < sizeof models / sizeof models[0]; mi++) {
    nnd_model *m = compile_ok(models[mi]);
    CU_ASSERT_PTR_NOT_NULL(m);
    if (!m) continue;
    double want[SESSION_STEPS], got[SESSION_STEPS];
    int64_t n_want = 0, n_got = 0;
    float *ref = train(m, "naive", 8, want, &n_want);
    CU_ASSERT_PTR_NOT_NULL(ref);
    for (size_t p = 0; ref && p < sizeof prefs / sizeof prefs[0]; p++) {
      if ((strstr(prefs[p], "openmp") && !have[0]) || (strstr(prefs[p], "blas") && !have[1]) ||
          (strstr(prefs[p], "dnnl") && !have[2]))
        continue;
      float *params = train(m, prefs[p], 8, got, &n_got);
      CU_ASSERT_PTR_NOT_NULL(params);
      if (!params) continue;
      char what[160];
      for (int k = 0; k < SESSION_STEPS; k++) {
        int ok = fabs(got[k] - want[k]) <= SESSION_TOL * fmax(1, fabs(want[k]));
        if (!ok)
          fprintf(stderr, "\n%s on %s: loss of step %d is %.9g, naive %.9g\n",
                  nnd_model_name(m), prefs[p], k + 1, got[k], want[k]);
        CU_ASSERT(ok);
      }
      CU_ASSERT_EQUAL(n_got, n_want);
      snprintf(what, sizeof what, "%s on %s: parameters after %d steps", nnd_model_name(m),
               prefs[p], SESSION_STEPS);
      if (n_got == n_want) CU_ASSERT(kt_close(params, ref, n_got, SESSION_TOL, what));
      free(params);
    }
    free(ref);
    nnd_model_free(m);
  }
  /* a list skipped for a missing plugin is a note, or a failure under CI */
  for (int b = 0; b < N_FAST; b++) test_backend_ready(fast_backends[b], "sessions");
}

/* The backend a preference list should give op: the first that has a
 * kernel for it. */
static const char *expected_backend(const char *op, const char *const *list, int n) {
  for (int i = 0; i < n; i++)
    if (nnd_registry_find_kernel(op, list[i], NULL)) return list[i];
  return NULL;
}

static void check_reported_backends(const char *backends) {
  nnd_model *m = compile_ok(small_cnn);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  nnd_session_options o = {.size = sizeof o, .backends = backends};
  nnd_session *s = NULL;
  char err[1024];
  int rc = nnd_session_new(m, &o, &s, err, sizeof err);
  if (rc != 0) fprintf(stderr, "\n%s\n", err);
  CU_ASSERT_EQUAL(rc, 0);
  /* default preference: blas, openmp, (others), naive */
  const char *list[3];
  int n = 0;
  if (test_backend_loaded("blas")) list[n++] = "blas";
  if (test_backend_loaded("openmp")) list[n++] = "openmp";
  list[n++] = "naive";
  int checked = 0;
  for (int i = 0; rc == 0 && i < nnd_model_node_count(m); i++) {
    const char *op = nnd_model_node_op(m, i), *name = nnd_model_node_name(m, i);
    if (!nnd_registry_find_op(op, NULL)) continue;  /* input, param */
    const char *got = nnd_session_backend(s, name);
    const char *want = expected_backend(op, list, n);
    if (strcmp(op, "dense") == 0 || strcmp(op, "conv2d") == 0) {
      if (test_backend_loaded("blas")) want = "blas";
    } else if (strcmp(op, "relu") == 0 || strcmp(op, "maxpool") == 0 ||
               strcmp(op, "cross_entropy") == 0) {
      if (test_backend_loaded("openmp")) want = "openmp";
    }
    if (!got || !want || strcmp(got, want) != 0)
      fprintf(stderr, "\nbackends %s: node `%s` (%s) runs on %s, expected %s\n",
              backends ? backends : "(default)", name, op, got ? got : "nothing",
              want ? want : "?");
    CU_ASSERT(got && want && strcmp(got, want) == 0);
    checked++;
  }
  /* conv2d, relu, maxpool twice; flatten, dense and relu, dense, the loss */
  if (rc == 0) CU_ASSERT_EQUAL(checked, 11);
  const char *opt_backend = NULL;
  const char *opt = rc == 0 ? nnd_session_optimizer(s, &opt_backend) : NULL;
  CU_ASSERT(opt && strcmp(opt, "sgd") == 0);
  const char *want_opt = test_backend_loaded("openmp") ? "openmp" : "naive";
  CU_ASSERT(opt_backend && strcmp(opt_backend, want_opt) == 0);
  nnd_session_free(s);
  nnd_model_free(m);
}

/* dense and conv2d run on blas, relu and maxpool on openmp, when loaded:
 * given explicitly, and as the default preference. */
static void test_session_reports_backends(void) {
  /* each fast backend missing is a note, or a failure under CI */
  for (int b = 0; b < N_FAST; b++) test_backend_ready(fast_backends[b], "session backends");
  check_reported_backends("blas,openmp,naive");
  const char *env = getenv("NND_BACKEND");
  if (env && *env)
    printf("\n    note: NND_BACKEND=%s is set; the default preference is not checked  ", env);
  else {
    /* the fixed default order; measured choices are test_kernel_choice.c's */
    const char *c = getenv("NND_KERNEL_CHOICE");
    char *saved = c ? strdup(c) : NULL;
    setenv("NND_KERNEL_CHOICE", "fixed", 1);
    check_reported_backends(NULL);
    if (saved) setenv("NND_KERNEL_CHOICE", saved, 1);
    else unsetenv("NND_KERNEL_CHOICE");
    free(saved);
  }
}

void test_backend_training_register(void) {
  CU_pSuite s = CU_add_suite("backend training", suite_init, NULL);
  CU_add_test(s, "openmp optimizers match naive", test_openmp_optimizers);
  CU_add_test(s, "blas optimizers match naive", test_blas_optimizers);
  CU_add_test(s, "sessions train as on naive", test_sessions_train_like_naive);
  CU_add_test(s, "sessions report their backends", test_session_reports_backends);
}
