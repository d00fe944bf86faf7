/* test_train.c — the training loop: a small model on synthetic data
 * converges, a resumed run equals an uninterrupted one bit for bit, the NaN
 * guard names what diverged and keeps the last checkpoint, --set overrides
 * are checked like the file's own values, and the real MNIST subset trains. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "checkpoint.h"
#include "train.h"
#include "train_config.h"
#include "tests.h"

static char dir[64];

static int suite_init(void) {
  const char *plugins = NND_TEST_BUILDDIR "/plugins/.libs";
  nnd_load_plugins(&plugins, 1);
  snprintf(dir, sizeof dir, "/tmp/nnd-train-XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int suite_clean(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static const char *moons =
    "model moons\n"
    "input x: [2]\ninput y: class[2]\n"
    "h = tanh(dense(x, units=32))\n"
    "logits = dense(h, units=2)\n"
    "loss cross_entropy(logits, y)\n"
    "train {\n"
    "  data = moons(n=400, noise=0.1, seed=1)\n"
    "  test = moons(n=200, noise=0.1, seed=2)\n"
    "  optimizer = adam(lr=0.02)\n"
    "  batch = 16; epochs = 20; seed = 5\n"
    "}\n";

typedef struct {
  nnd_epoch_stats last;
  int epochs_seen;
  int stop_after_steps;
  volatile int *stop;
  int steps;
} watcher;

static void on_epoch(const nnd_epoch_stats *e, void *user) {
  watcher *w = user;
  w->last = *e;
  w->epochs_seen++;
}

static void on_progress(const nnd_train_progress *p, void *user) {
  watcher *w = user;
  (void)p;
  if (w->stop_after_steps && ++w->steps >= w->stop_after_steps) *w->stop = 1;
}

/* Train src to the end (or until stopped); returns nnd_train's status and
 * a copy of the final parameters. */
static int train(const char *src, const char *ckpt, const char *resume, watcher *w,
                 float **params, int64_t *n, char *err, size_t err_size) {
  nnd_model *m = compile_ok(src);
  if (!m) return -2;
  nnd_session *s = NULL;
  int rc = nnd_session_new(m, NULL, &s, err, err_size);
  if (rc == 0) {
    nnd_train_options o = {ckpt, resume, on_progress, on_epoch, w, w->stop, 0, 0};
    rc = nnd_train(s, m, &o, err, err_size);
    if (params) {
      float *p = nnd_session_params(s, n);
      *params = malloc((size_t)*n * sizeof(float));
      memcpy(*params, p, (size_t)*n * sizeof(float));
    }
  }
  nnd_session_free(s);
  nnd_model_free(m);
  return rc;
}

static void test_converges_on_moons(void) {
  watcher w = {0};
  char err[1024] = "";
  int rc = train(moons, NULL, NULL, &w, NULL, NULL, err, sizeof err);
  if (rc != 0) fprintf(stderr, "\n%s\n", err);
  CU_ASSERT_EQUAL_FATAL(rc, 0);
  CU_ASSERT_EQUAL(w.epochs_seen, 20);
  CU_ASSERT_TRUE(w.last.has_test);
  CU_ASSERT_TRUE(w.last.test_accuracy > 0.95);
  CU_ASSERT_TRUE(w.last.train_loss < 0.1);
}

/* The textbook sigmoid network on quadratic cost: the loss compares its
 * outputs with one_hot(y), and accuracy is still counted against y's
 * classes (the largest output wins). */
static void test_converges_on_squared_error_to_one_hot(void) {
  char src[1024], err[1024] = "";
  snprintf(src, sizeof src, "%s",
           "model moons_sse\n"
           "input x: [2]\ninput y: class[2]\n"
           "h = tanh(dense(x, units=32))\n"
           "out = sigmoid(dense(h, units=2))\n"
           "loss mse(out, one_hot(y)) * 2\n"
           "train {\n"
           "  data = moons(n=400, noise=0.1, seed=1)\n"
           "  test = moons(n=200, noise=0.1, seed=2)\n"
           "  optimizer = adam(lr=0.02)\n"
           "  batch = 16; epochs = 20; seed = 5\n"
           "}\n");
  watcher w = {0};
  int rc = train(src, NULL, NULL, &w, NULL, NULL, err, sizeof err);
  if (rc != 0) fprintf(stderr, "\n%s\n", err);
  CU_ASSERT_EQUAL_FATAL(rc, 0);
  CU_ASSERT_TRUE(w.last.has_test);
  CU_ASSERT_TRUE(w.last.train_accuracy > 0.95);
  CU_ASSERT_TRUE(w.last.test_accuracy > 0.95);
  CU_ASSERT_TRUE(w.last.train_loss >= 0 && w.last.train_loss < 0.1);
}

/* A validation split and a test source are both evaluated every epoch, on
 * different samples: the two numbers differ. */
static void test_validation_and_test_both_reported(void) {
  char src[1024];
  snprintf(src, sizeof src, "%s", moons);
  char *at = strstr(src, "  optimizer");
  CU_ASSERT_PTR_NOT_NULL_FATAL(at);
  memmove(at + 19, at, strlen(at) + 1);
  memcpy(at, "  validation = 0.2\n", 19);
  watcher w = {0};
  char err[1024] = "";
  int rc = train(src, NULL, NULL, &w, NULL, NULL, err, sizeof err);
  if (rc != 0) fprintf(stderr, "\n%s\n", err);
  CU_ASSERT_EQUAL_FATAL(rc, 0);
  CU_ASSERT_TRUE(w.last.has_val);
  CU_ASSERT_TRUE(w.last.has_test);
  CU_ASSERT_TRUE(w.last.val_accuracy > 0.9);
  CU_ASSERT_TRUE(w.last.test_accuracy > 0.9);
  /* 80 held-out samples against 200 test samples: not one number twice */
  CU_ASSERT_TRUE(w.last.val_loss != w.last.test_loss);
}

static void test_resume_equals_uninterrupted(void) {
  char a[128], b[128], err[1024] = "";
  snprintf(a, sizeof a, "%s/full.safetensors", dir);
  snprintf(b, sizeof b, "%s/stopped.safetensors", dir);
  float *full = NULL, *resumed = NULL;
  int64_t n1 = 0, n2 = 0;
  watcher w1 = {0};
  CU_ASSERT_EQUAL_FATAL(train(moons, a, NULL, &w1, &full, &n1, err, sizeof err), 0);
  /* stop mid-epoch (the third progress report), then resume */
  volatile int stop = 0;
  watcher w2 = {0};
  w2.stop = &stop;
  w2.stop_after_steps = 3;
  CU_ASSERT_EQUAL_FATAL(train(moons, b, NULL, &w2, NULL, NULL, err, sizeof err), 1);
  stop = 0;
  watcher w3 = {0};
  w3.stop = &stop;
  int rc = train(moons, b, b, &w3, &resumed, &n2, err, sizeof err);
  if (rc != 0) fprintf(stderr, "\n%s\n", err);
  CU_ASSERT_EQUAL_FATAL(rc, 0);
  CU_ASSERT_EQUAL_FATAL(n1, n2);
  CU_ASSERT_EQUAL(memcmp(full, resumed, (size_t)n1 * sizeof(float)), 0);
  CU_ASSERT_DOUBLE_EQUAL(w1.last.test_loss, w3.last.test_loss, 0);
  CU_ASSERT_DOUBLE_EQUAL(w1.last.train_loss, w3.last.train_loss, 0);
  free(full);
  free(resumed);
}

static void test_checkpoint_round_trip_and_mismatch(void) {
  char path[128], err[1024] = "";
  snprintf(path, sizeof path, "%s/round.safetensors", dir);
  nnd_model *m = compile_ok(moons);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  nnd_session *s = NULL, *t = NULL;
  CU_ASSERT_EQUAL_FATAL(nnd_session_new(m, NULL, &s, err, sizeof err), 0);
  const char *k[] = {"note"}, *v[] = {"hello"};
  CU_ASSERT_EQUAL_FATAL(nnd_session_save(s, path, k, v, 1, err, sizeof err), 0);
  nnd_session_options other = {.size = sizeof other, .has_seed = 1, .seed = 999};
  CU_ASSERT_EQUAL_FATAL(nnd_session_new(m, &other, &t, err, sizeof err), 0);
  int64_t n;
  float *ps = nnd_session_params(s, &n), *pt = nnd_session_params(t, NULL);
  CU_ASSERT_NOT_EQUAL(memcmp(ps, pt, (size_t)n * sizeof(float)), 0);
  nnd_checkpoint *meta = NULL;
  CU_ASSERT_EQUAL_FATAL(nnd_session_load(t, path, 1, &meta, err, sizeof err), 0);
  CU_ASSERT_EQUAL(memcmp(ps, pt, (size_t)n * sizeof(float)), 0);
  CU_ASSERT_STRING_EQUAL(nnd_checkpoint_meta(meta, "note"), "hello");
  CU_ASSERT_PTR_NOT_NULL(nnd_checkpoint_find(meta, "logits.weight"));
  nnd_checkpoint_free(meta);
  nnd_session_free(t);
  nnd_session_free(s);  /* before its model: a session never outlives it */
  nnd_model_free(m);
  /* a model with another shape refuses the file, naming the first mismatch */
  m = compile_ok("input x: [2]\ninput y: class[2]\nh = tanh(dense(x, units=8))\n"
                 "logits = dense(h, units=2)\nloss cross_entropy(logits, y)\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_EQUAL_FATAL(nnd_session_new(m, NULL, &t, err, sizeof err), 0);
  CU_ASSERT_EQUAL(nnd_session_load(t, path, 0, NULL, err, sizeof err), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "`dense_1.weight` is [32, 2] in the file but [8, 2] in "
                                     "the model"));
  nnd_session_free(t);
  nnd_model_free(m);
}

static void test_nan_guard(void) {
  /* a huge learning rate makes the loss overflow within a few steps */
  const char *diverge =
      "model diverge\ninput x: [2]\ninput y: class[2]\n"
      "logits = dense(relu(dense(x, units=32)), units=2)\n"
      "loss cross_entropy(logits, y)\n"
      "train { data = blobs(n=256, centers=2, std=3, seed=3)\n"
      "        optimizer = sgd(lr=1e30); batch = 8; epochs = 3 }\n";
  char path[128], err[1024] = "";
  snprintf(path, sizeof path, "%s/diverge.safetensors", dir);
  unlink(path);
  watcher w = {0};
  int rc = train(diverge, path, NULL, &w, NULL, NULL, err, sizeof err);
  CU_ASSERT_EQUAL(rc, -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "epoch 1, step "));
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "is not finite"));
  CU_ASSERT_EQUAL(w.epochs_seen, 0);
  /* nothing good was ever saved, so nothing was written */
  CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0);
}

static void test_overrides(void) {
  nnd_model *m = compile_ok(moons);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  char err[512];
  CU_ASSERT_EQUAL(nnd_train_override(m, "epochs=2", err, sizeof err), 0);
  CU_ASSERT_EQUAL(nnd_train_override(m, "optimizer.lr=0.003", err, sizeof err), 0);
  CU_ASSERT_EQUAL(nnd_train_override(m, "optimizer.beta1=0.8", err, sizeof err), 0);
  CU_ASSERT_DOUBLE_EQUAL(nnd_ir_setting(m, "epochs")->value.num, 2, 0);
  const nnd_value *opt = &nnd_ir_setting(m, "optimizer")->value;
  CU_ASSERT_DOUBLE_EQUAL(nnd_num(nnd_call_arg(opt, "lr"), 0), 0.003, 1e-12);
  CU_ASSERT_DOUBLE_EQUAL(nnd_num(nnd_call_arg(opt, "beta1"), 0), 0.8, 1e-12);
  CU_ASSERT_EQUAL(nnd_train_override(m, "epochs=0", err, sizeof err), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "train setting `epochs` must be in [1, 1000000], got 0"));
  CU_ASSERT_EQUAL(nnd_train_override(m, "epoch=3", err, sizeof err), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "did you mean `epochs`"));
  CU_ASSERT_EQUAL(nnd_train_override(m, "optimizer.lrr=1", err, sizeof err), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "did you mean `lr`"));
  CU_ASSERT_EQUAL(nnd_train_override(m, "batch", err, sizeof err), -1);
  nnd_model_free(m);
}

static void test_schedules(void) {
  nnd_value every = nnd_value_number(2), gamma = nnd_value_number(0.5);
  nnd_value items[2] = {every, gamma};
  const char *names[2] = {"every", "gamma"};
  nnd_value step = {.kind = NND_VAL_CALL, .str = "step", .count = 2, .items = items,
                    .names = names};
  CU_ASSERT_DOUBLE_EQUAL(nnd_schedule_lr(&step, 0.1, 0, 6), 0.1, 1e-15);
  CU_ASSERT_DOUBLE_EQUAL(nnd_schedule_lr(&step, 0.1, 1, 6), 0.1, 1e-15);
  CU_ASSERT_DOUBLE_EQUAL(nnd_schedule_lr(&step, 0.1, 2, 6), 0.05, 1e-15);
  CU_ASSERT_DOUBLE_EQUAL(nnd_schedule_lr(&step, 0.1, 5, 6), 0.025, 1e-15);
  nnd_value min = nnd_value_number(0.01);
  const char *mn[1] = {"min_lr"};
  nnd_value cosine = {.kind = NND_VAL_CALL, .str = "cosine", .count = 1, .items = &min,
                      .names = mn};
  /* nnd.nnd(5): from lr at the first epoch to min_lr, reached at the last,
   * both exactly; between, min + (lr - min) (1 + cos(pi e / (epochs - 1))) / 2 */
  CU_ASSERT_EQUAL(nnd_schedule_lr(&cosine, 0.1, 0, 4), 0.1);
  CU_ASSERT_EQUAL(nnd_schedule_lr(&cosine, 0.1, 3, 4), 0.01);
  CU_ASSERT_DOUBLE_EQUAL(nnd_schedule_lr(&cosine, 0.1, 1, 4), 0.0775, 1e-15);
  CU_ASSERT_DOUBLE_EQUAL(nnd_schedule_lr(&cosine, 0.1, 2, 4), 0.0325, 1e-15);
  CU_ASSERT_EQUAL(nnd_schedule_lr(&cosine, 0.1, 6, 7), 0.01);
  /* one epoch is both the first and the last: the first wins, lr */
  CU_ASSERT_EQUAL(nnd_schedule_lr(&cosine, 0.1, 0, 1), 0.1);
  CU_ASSERT_DOUBLE_EQUAL(nnd_schedule_lr(NULL, 0.1, 3, 4), 0.1, 0);
}

static void test_train_command_on_mnist(void) {
  /* the shipped MNIST subset, one epoch: enough to learn digits well */
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "cd '%s' && '%s/nnd' train '%s/models/mnist_mlp.nnd' --set epochs=1 "
                            "--checkpoint mnist.safetensors --log log.csv && '%s/nnd' eval "
                            "'%s/models/mnist_mlp.nnd' --weights mnist.safetensors --json",
           dir, NND_TEST_BUILDDIR, NND_TEST_SRCDIR, NND_TEST_BUILDDIR, NND_TEST_SRCDIR);
  int st;
  char *out = run_command(cmd, &st);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  if (st != 0) fprintf(stderr, "\n%s\n", out);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "epoch 1/1"));
  const char *acc = strstr(out, "\"accuracy\": ");
  CU_ASSERT_PTR_NOT_NULL_FATAL(acc);
  double a = strtod(acc + 12, NULL);
  CU_ASSERT_TRUE(a > 0.85);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"confusion\": [["));
  free(out);
}

static void test_sweep_predict_eval_commands(void) {
  char model[256];
  snprintf(model, sizeof model, "%s/named.nnd", dir);
  FILE *f = fopen(model, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fputs("model named\ninput x: [2]\ninput y: class[\"upper\", \"lower\"]\n"
        "logits = dense(tanh(dense(x, units=32)), units=2)\nloss cross_entropy(logits, y)\n"
        "train { data = moons(n=400, noise=0.1, seed=1); test = moons(n=100, seed=2)\n"
        "        optimizer = adam(lr=0.02); batch = 16; epochs = 3 }\n", f);
  fclose(f);
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "cd '%s' && '%s/nnd' sweep named.nnd --set optimizer.lr=0.05,0.001 "
                            "--set epochs=1,2 --log-dir sweep", dir, NND_TEST_BUILDDIR);
  int st;
  char *out = run_command(cmd, &st);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  CU_ASSERT_EQUAL(st, 0);
  /* four runs, one row each, and their logs */
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "\n1     0.05            1 "));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "\n4     0.001           2 "));
  free(out);
  char log[512];
  snprintf(log, sizeof log, "%s/sweep/run4.csv", dir);
  CU_ASSERT_EQUAL(access(log, R_OK), 0);
  snprintf(cmd, sizeof cmd, "cd '%s' && B='%s' && $B/nnd train named.nnd --checkpoint named.st "
                            "--log named.csv > /dev/null && $B/nnd eval named.nnd --weights "
                            "named.st --report named.html --log named.csv && $B/nnd predict "
                            "named.nnd --weights named.st --samples 2 --top 2 && $B/nnd predict "
                            "named.nnd --weights named.st --input x=1,-0.5 && $B/nnd plot "
                            "named.csv sweep/run1.csv -o curves.svg",
           dir, NND_TEST_BUILDDIR);
  out = run_command(cmd, &st);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  if (st != 0) fprintf(stderr, "\n%s\n", out);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "balanced accuracy"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "\nupper "));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "\nlower "));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "sample 1: "));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "(true: "));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "sample 0: lower "));  /* (1, -0.5) lies in the lower moon */
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "report written to named.html"));
  free(out);
  snprintf(cmd, sizeof cmd, "cd '%s' && '%s/nnd' train named.nnd --set epochs=2 --checkpoint "
                            "j.st --log named.jsonl --log-steps", dir, NND_TEST_BUILDDIR);
  out = run_command(cmd, &st);
  CU_ASSERT_EQUAL(st, 0);
  free(out);
  static const char *files[] = {"named.html", "curves.svg", "named.jsonl"};
  static const char *needles[] = {"<td>upper</td>", "<svg",
                                  "{\"epoch\": 2, \"step\": 25, \"loss\": "};
  for (int i = 0; i < 3; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, files[i]);
    FILE *g = fopen(path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text - 1, g);
    text[n] = '\0';
    fclose(g);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, needles[i]));
  }
}

void test_train_register(void) {
  CU_pSuite s = CU_add_suite("train", suite_init, suite_clean);
  CU_add_test(s, "a small model converges on two moons", test_converges_on_moons);
  CU_add_test(s, "squared error against one_hot(y) trains and counts y's classes",
              test_converges_on_squared_error_to_one_hot);
  CU_add_test(s, "validation split and test set, both reported",
              test_validation_and_test_both_reported);
  CU_add_test(s, "resume equals an uninterrupted run", test_resume_equals_uninterrupted);
  CU_add_test(s, "checkpoint round trip and shape mismatch", test_checkpoint_round_trip_and_mismatch);
  CU_add_test(s, "the NaN guard names what diverged", test_nan_guard);
  CU_add_test(s, "--set overrides", test_overrides);
  CU_add_test(s, "learning-rate schedules", test_schedules);
  CU_add_test(s, "nnd train and eval on the MNIST subset", test_train_command_on_mnist);
  CU_add_test(s, "nnd sweep, eval and predict", test_sweep_predict_eval_commands);
}
