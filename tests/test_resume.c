/* test_resume.c — what `nnd train --resume` and a checkpoint path accept:
 * a run state edited by hand (each key out of range, not a number, missing,
 * inconsistent with the others or with the model and its data) is refused
 * naming the file and the key; weights-only, foreign and old-format files
 * are not resumed; a checkpoint of another run is not overwritten unless
 * asked, and never by a run that has not taken a step; `nnd eval` says
 * when weights come from another model and refuses NaN or infinite ones. */
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "checkpoint.h"
#include "train.h"
#include "tests.h"

static char dir[64];

static int suite_init(void) {
  const char *plugins = NND_TEST_BUILDDIR "/plugins/.libs";
  nnd_load_plugins(&plugins, 1);
  snprintf(dir, sizeof dir, "/tmp/nnd-resume-XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int suite_clean(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static const char *tp(char *buf, const char *name) {
  snprintf(buf, 256, "%s/%s", dir, name);
  return buf;
}

/* 100 samples in batches of 10: 10 steps per epoch, 3 epochs. */
#define TINY(name, extra)                                                     \
  "model " name "\ninput x: [2]\ninput y: class[2]\n"                       \
  "h = tanh(dense(x, units=8))\nlogits = dense(h, units=2)\n"               \
  "loss cross_entropy(logits, y)\n"                                         \
  "train {\n  data = moons(n=100, noise=0.1, seed=1)\n"                     \
  "  optimizer = adam(lr=0.01)\n  batch = 10; epochs = 3; seed = 5\n" extra \
  "}\n"

static const char *tiny = TINY("tiny", "");

typedef struct {
  int stop_after, steps;
  volatile int stop;
} stopper;

static void on_progress(const nnd_train_progress *p, void *user) {
  stopper *w = user;
  (void)p;
  if (w->stop_after && ++w->steps >= w->stop_after) w->stop = 1;
}

/* Train src with the given checkpoint and resume paths; stop after
 * `stop_after` steps (0: run to the end; -1: stopped before the first). */
static int train(const char *src, const char *ckpt, const char *resume, int overwrite,
                 int stop_after, char *err, size_t err_size) {
  nnd_model *m = compile_ok(src);
  if (!m) return -2;
  nnd_session *s = NULL;
  stopper w = {stop_after > 0 ? stop_after : 0, 0, stop_after < 0};
  int rc = nnd_session_new(m, NULL, &s, err, err_size);
  if (rc == 0) {
    nnd_train_options o = {ckpt, resume, on_progress, NULL, &w, &w.stop, 0, overwrite};
    rc = nnd_train(s, m, &o, err, err_size);
  }
  nnd_session_free(s);
  nnd_model_free(m);
  return rc;
}

/* A run of tiny stopped after 3 steps: epoch 0, next batch 3, 3 steps. */
static const char *stopped(char *buf) {
  static int made;
  tp(buf, "stopped.safetensors");
  if (!made) {
    char err[1024] = "";
    int rc = train(tiny, buf, NULL, 0, 3, err, sizeof err);
    if (rc != 1) fprintf(stderr, "\nstopped run: rc=%d %s\n", rc, err);
    made = rc == 1;
  }
  return buf;
}

/* Copy checkpoint `from` to `to` with metadata `key` set to `value` (or
 * removed when value is NULL) and tensor `drop` left out; the copy gets a
 * valid checksum, so only the run-state checks can refuse it. With
 * `nan_in`, that tensor's first value becomes NaN. */
static int edit(const char *from, const char *to, const char *key, const char *value,
                const char *drop, const char *nan_in) {
  char err[1024] = "";
  nnd_checkpoint *c = NULL;
  if (nnd_checkpoint_load(from, &c, err, sizeof err) != 0) {
    fprintf(stderr, "\n%s\n", err);
    return -1;
  }
  int n = nnd_checkpoint_count(c), k = 0, nm = 0;
  nnd_ckpt_tensor *t = calloc((size_t)n + 1, sizeof *t);
  const char *keys[32], *values[32];
  float *copy = NULL;
  for (int i = 0; i < n; i++) {
    const nnd_ckpt_tensor *x = nnd_checkpoint_at(c, i);
    if (drop && strcmp(x->name, drop) == 0) continue;
    t[k] = *x;
    if (nan_in && strcmp(x->name, nan_in) == 0) {
      size_t count = 1;
      for (int d = 0; d < x->ndim; d++) count *= (size_t)x->dim[d];
      copy = malloc(count * sizeof *copy);
      memcpy(copy, x->data, count * sizeof *copy);
      copy[0] = nanf("");
      t[k].data = copy;
    }
    k++;
  }
  static const char *run_keys[] = {"nnd.model", "nnd.epoch", "nnd.next_batch", "nnd.steps",
                                   "nnd.loss_sum", "nnd.correct", "nnd.seen", "nnd.seed",
                                   "nnd.batch", "nnd.validation", "nnd.train_samples"};
  int found = 0;
  for (size_t i = 0; i < sizeof run_keys / sizeof *run_keys; i++) {
    const char *v = nnd_checkpoint_meta(c, run_keys[i]);
    if (key && strcmp(key, run_keys[i]) == 0) {
      v = value;
      found = 1;
    }
    if (v) keys[nm] = run_keys[i], values[nm++] = v;
  }
  if (key && !found && value) keys[nm] = key, values[nm++] = value;
  int rc = nnd_checkpoint_save(to, t, k, keys, values, nm, err, sizeof err);
  if (rc != 0) fprintf(stderr, "\n%s\n", err);
  free(copy);
  free(t);
  nnd_checkpoint_free(c);
  return rc;
}

/* Tell the parent `result` through fd and wait to be killed (see
 * test_checkpoint.c: a forked child of the runner must not exit). */
static void child_end(int fd, const char *result) {
  ssize_t w = write(fd, result, strlen(result));
  (void)w;
  close(fd); /* the parent reads to the end */
  for (;;) pause();
}

/* Resume `src` from `path` in a child (a crash or a run that does not end
 * fails the test instead of the runner), without writing a checkpoint; the
 * refusal must name the file and contain both needles. */
static int resume_refused(const char *src, const char *path, const char *needle,
                          const char *needle2) {
  int fds[2];
  if (pipe(fds) != 0) return 0;
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) return 0;
  if (pid == 0) {
    char err[1024] = "", msg[1100];
    alarm(120); /* a run of 2^31 epochs ends here */
    int rc = train(src, NULL, path, 0, 0, err, sizeof err);
    snprintf(msg, sizeof msg, "%c rc=%d: %s", rc == -1 && strstr(err, path) &&
             strstr(err, needle) && (!needle2 || strstr(err, needle2)) ? 'y' : 'n', rc, err);
    child_end(fds[1], msg);
  }
  close(fds[1]);
  char msg[1100] = "";
  ssize_t got = 0, k;
  while (got < (ssize_t)sizeof msg - 1 && (k = read(fds[0], msg + got, sizeof msg - 1 - got)) > 0)
    got += k;
  close(fds[0]);
  kill(pid, SIGKILL);
  int status;
  waitpid(pid, &status, 0);
  int ok = got > 0 && msg[0] == 'y';
  if (!ok)
    fprintf(stderr, "\nexpected a refusal with \"%s\": %s\n", needle,
            got > 0 ? msg : WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL
                                ? "the child crashed"
                                : "no answer (crashed or ran on)");
  return ok;
}

typedef struct {
  const char *key, *value; /* value NULL: the key removed */
  const char *needle, *needle2;
} edited;

static void test_edited_run_state_refused(void) {
  char from[256], to[256];
  stopped(from);
  tp(to, "edited.safetensors");
  const edited cases[] = {
      /* a negative batch index read before the data (a segfault) */
      {"nnd.next_batch", "-1", "nnd.next_batch", "-1"},
      {"nnd.next_batch", "10", "nnd.next_batch", "0 to 9"},
      {"nnd.next_batch", "3.5", "nnd.next_batch", "not an integer"},
      /* cast to int: -2^31, then 2^31 epochs */
      {"nnd.epoch", "2147483648", "nnd.epoch", "0 to 3"},
      {"nnd.epoch", "-1", "nnd.epoch", "0 to 3"},
      {"nnd.epoch", "abc", "nnd.epoch", "not an integer"},
      {"nnd.epoch", "", "nnd.epoch", "not an integer"},
      {"nnd.epoch", " 1", "nnd.epoch", "not an integer"},
      {"nnd.epoch", NULL, "nnd.epoch", "missing"},
      /* one bit of the epoch: 0 -> 1 would skip an epoch */
      {"nnd.epoch", "1", "do not agree", "nnd.steps"},
      /* Adam divides by 1 - beta^steps */
      {"nnd.steps", "-1", "nnd.steps", "negative"},
      {"nnd.steps", "99999999999999999999", "nnd.steps", "not an integer"},
      {"nnd.loss_sum", "nan", "nnd.loss_sum", "finite"},
      {"nnd.loss_sum", "inf", "nnd.loss_sum", "finite"},
      {"nnd.loss_sum", "1e999", "nnd.loss_sum", "finite"},
      {"nnd.loss_sum", "0.5x", "nnd.loss_sum", "not a number"},
      {"nnd.loss_sum", "\n0.5", "nnd.loss_sum", "not a number"},
      {"nnd.seen", "29", "nnd.seen", "30"},
      {"nnd.correct", "31", "nnd.correct", "0 to 30"},
      {"nnd.correct", "-1", "nnd.correct", "0 to 30"},
      {"nnd.seed", "5x", "nnd.seed", "not an integer"},
      /* another batch size or split: the position in the epoch means other samples */
      {"nnd.batch", "20", "batch 20", "this run has batch 10"},
      {"nnd.batch", NULL, "nnd.batch", "missing"},
      {"nnd.validation", "0.2", "validation 0.2", "this run has validation 0"},
      {"nnd.train_samples", "90", "90 training samples", "this run has 100"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    CU_ASSERT_FATAL(edit(from, to, cases[i].key, cases[i].value, NULL, NULL) == 0);
    int ok = resume_refused(tiny, to, cases[i].needle, cases[i].needle2);
    CU_ASSERT(ok);
    if (!ok) fprintf(stderr, "case %zu: %s = %s\n", i, cases[i].key, cases[i].value);
  }
  /* the unedited copy resumes (the edits above are what is refused) */
  char err[1024] = "";
  CU_ASSERT_FATAL(edit(from, to, NULL, NULL, NULL, NULL) == 0);
  int rc = train(tiny, NULL, to, 0, 0, err, sizeof err);
  if (rc != 0) fprintf(stderr, "\n%s\n", err);
  CU_ASSERT_EQUAL(rc, 0);
}

/* The file holds the state of a finished run: resuming trains nothing and
 * keeps it; epoch 3 of 3 with a batch after 0 is out of range. */
static void test_finished_run(void) {
  char done[256], to[256], err[1024] = "";
  tp(done, "finished.safetensors");
  CU_ASSERT_EQUAL_FATAL(train(tiny, done, NULL, 0, 0, err, sizeof err), 0);
  CU_ASSERT_EQUAL(train(tiny, done, done, 0, 0, err, sizeof err), 0);
  tp(to, "finished-edit.safetensors");
  CU_ASSERT_FATAL(edit(done, to, "nnd.next_batch", "1", NULL, NULL) == 0);
  CU_ASSERT(resume_refused(tiny, to, "nnd.next_batch", "0 to 0"));
}

/* Not a run state of this run: weights only, another program's file, an
 * old nnd file whose checksum does not cover the metadata, another model,
 * no optimizer state. */
static void test_not_a_run_state(void) {
  char from[256], to[256], err[1024] = "";
  stopped(from);
  tp(to, "weights.safetensors");
  nnd_model *m = compile_ok(tiny);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  nnd_session *s = NULL;
  CU_ASSERT_EQUAL_FATAL(nnd_session_new(m, NULL, &s, err, sizeof err), 0);
  CU_ASSERT_EQUAL_FATAL(nnd_session_save(s, to, NULL, NULL, 0, err, sizeof err), 0);
  CU_ASSERT(resume_refused(tiny, to, "no run state", "--weights"));
  const char *k[] = {"format"}, *v[] = {"pt"};
  CU_ASSERT_EQUAL_FATAL(nnd_session_save(s, to, k, v, 1, err, sizeof err), 0);
  CU_ASSERT(resume_refused(tiny, to, "no run state", "--weights"));
  nnd_session_free(s);
  nnd_model_free(m);

  CU_ASSERT_FATAL(edit(from, to, NULL, NULL, "nnd.optimizer_state", NULL) == 0);
  CU_ASSERT(resume_refused(tiny, to, "no optimizer state", NULL));
  CU_ASSERT(resume_refused(TINY("other", ""), from, "saved by model `tiny`", "not `other`"));

  /* the same run state under the data-only checksum of earlier versions */
  nnd_checkpoint *c = NULL;
  CU_ASSERT_EQUAL_FATAL(nnd_checkpoint_load(from, &c, err, sizeof err), 0);
  json_t *root = json_object(), *meta = json_object();
  json_object_set_new(root, "__metadata__", meta);
  size_t bytes = 0;
  for (int i = 0; i < nnd_checkpoint_count(c); i++) {
    const nnd_ckpt_tensor *t = nnd_checkpoint_at(c, i);
    size_t count = 1;
    json_t *shape = json_array();
    for (int d = 0; d < t->ndim; d++) {
      count *= (size_t)t->dim[d];
      json_array_append_new(shape, json_integer(t->dim[d]));
    }
    json_object_set_new(root, t->name, json_pack("{s:s, s:o, s:[I, I]}", "dtype", "F32",
                                                 "shape", shape, "data_offsets",
                                                 (json_int_t)bytes,
                                                 (json_int_t)(bytes + 4 * count)));
    bytes += 4 * count;
  }
  unsigned char *data = malloc(bytes), *at = data;
  for (int i = 0; i < nnd_checkpoint_count(c); i++) { /* x86: host order is little-endian */
    const nnd_ckpt_tensor *t = nnd_checkpoint_at(c, i);
    size_t count = 1;
    for (int d = 0; d < t->ndim; d++) count *= (size_t)t->dim[d];
    memcpy(at, t->data, 4 * count);
    at += 4 * count;
  }
  static const char *keys[] = {"nnd.model", "nnd.epoch", "nnd.next_batch", "nnd.steps",
                               "nnd.loss_sum", "nnd.correct", "nnd.seen", "nnd.seed",
                               "nnd.batch", "nnd.validation", "nnd.train_samples"};
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
    if (nnd_checkpoint_meta(c, keys[i]))
      json_object_set_new(meta, keys[i], json_string(nnd_checkpoint_meta(c, keys[i])));
  char crc[16];
  snprintf(crc, sizeof crc, "%lu", crc32(0, data, (uInt)bytes));
  json_object_set_new(meta, "nnd.crc32", json_string(crc));
  char *header = json_dumps(root, JSON_COMPACT);
  size_t hlen = strlen(header);
  FILE *f = fopen(tp(to, "old.safetensors"), "wb");
  CU_ASSERT_FATAL(f != NULL);
  for (int i = 0; i < 8; i++) fputc((int)((uint64_t)hlen >> (8 * i) & 0xff), f);
  fwrite(header, 1, hlen, f);
  fwrite(data, 1, bytes, f);
  fclose(f);
  free(header);
  free(data);
  json_decref(root);
  nnd_checkpoint_free(c);
  CU_ASSERT(resume_refused(tiny, to, "checksum does not cover", "--weights"));
}

static int same_file_bytes(const char *a, const char *b) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", a, b);
  return system(cmd) == 0;
}

/* A new run does not replace a checkpoint of another run (or any file)
 * unless told to; told to, it still writes nothing before its first step,
 * so a Ctrl-C in the first second leaves a finished run in place. */
static void test_no_overwrite(void) {
  char done[256], keep[256], other[256], err[1024] = "";
  tp(done, "done.safetensors");
  tp(keep, "done-copy.safetensors");
  CU_ASSERT_EQUAL_FATAL(train(tiny, done, NULL, 0, 0, err, sizeof err), 0);
  CU_ASSERT_FATAL(edit(done, keep, NULL, NULL, NULL, NULL) == 0);
  CU_ASSERT_FATAL(edit(keep, done, NULL, NULL, NULL, NULL) == 0); /* the same bytes, both */
  CU_ASSERT_FATAL(same_file_bytes(done, keep));

  err[0] = '\0';
  CU_ASSERT_EQUAL(train(tiny, done, NULL, 0, 0, err, sizeof err), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, done));
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "already exists"));
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "--overwrite"));
  CU_ASSERT(same_file_bytes(done, keep));

  /* resuming another file into it is a new run for this path, too */
  char from[256];
  stopped(from);
  err[0] = '\0';
  CU_ASSERT_EQUAL(train(tiny, done, from, 0, 0, err, sizeof err), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "already exists"));
  CU_ASSERT(same_file_bytes(done, keep));

  /* --overwrite and stopped before the first step: nothing is written */
  CU_ASSERT_EQUAL(train(tiny, done, NULL, 1, -1, err, sizeof err), 2);
  CU_ASSERT(same_file_bytes(done, keep));
  /* resuming in place and stopped at once: the file is kept as it is */
  CU_ASSERT_FATAL(edit(from, tp(other, "inplace.safetensors"), NULL, NULL, NULL, NULL) == 0);
  CU_ASSERT_FATAL(edit(other, keep, NULL, NULL, NULL, NULL) == 0);
  CU_ASSERT_EQUAL(train(tiny, other, other, 0, -1, err, sizeof err), 2);
  CU_ASSERT(same_file_bytes(other, keep));

  /* --overwrite after a step replaces it */
  CU_ASSERT_EQUAL(train(tiny, done, NULL, 1, 2, err, sizeof err), 1);
  nnd_checkpoint *c = NULL;
  CU_ASSERT_EQUAL_FATAL(nnd_checkpoint_load(done, &c, err, sizeof err), 0);
  CU_ASSERT_STRING_EQUAL(nnd_checkpoint_meta(c, "nnd.steps"), "2");
  nnd_checkpoint_free(c);
}

/* ---- the command line ---------------------------------------------------- */

static char *nnd(const char *args, int *status) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "cd '%s' && NO_COLOR=1 '%s/nnd' %s", dir, NND_TEST_BUILDDIR, args);
  return run_command(cmd, status);
}

static void test_cli_train_overwrite(void) {
  char p[256];
  test_write_text(tp(p, "cli.nnd"), TINY("cli", ""));
  unlink(tp(p, "cli.safetensors"));
  int st = -1;
  char *out = nnd("train cli.nnd", &st);
  CU_ASSERT_EQUAL(st, 0);
  free(out);
  out = nnd("train cli.nnd", &st);
  CU_ASSERT_EQUAL(st, 1);
  CU_ASSERT(out && strstr(out, "cli.safetensors already exists") && strstr(out, "--overwrite") &&
            strstr(out, "--resume"));
  free(out);
  out = nnd("train cli.nnd --resume cli.safetensors", &st);
  CU_ASSERT_EQUAL(st, 0);
  free(out);
  out = nnd("train cli.nnd --overwrite", &st);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT(out && strstr(out, "epoch 3/3"));
  free(out);
}

/* eval with weights saved by another model of the same shapes: a warning
 * naming both; NaN or infinite weights: refused, naming the tensor. */
static void test_cli_eval_weights(void) {
  char p[256], q[256];
  test_write_text(tp(p, "alpha.nnd"), TINY("alpha", ""));
  test_write_text(tp(p, "beta.nnd"), TINY("beta", ""));
  int st = -1;
  char *out = nnd("train alpha.nnd --overwrite", &st);
  CU_ASSERT_EQUAL_FATAL(st, 0);
  free(out);
  out = nnd("eval alpha.nnd --weights alpha.safetensors", &st);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT(out && !strstr(out, "warning"));
  free(out);
  out = nnd("eval beta.nnd --weights alpha.safetensors", &st);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT(out && strstr(out, "warning: alpha.safetensors holds the weights of model `alpha`, "
                              "not `beta`"));
  free(out);
  /* predict says the same (it loads weights the same way) */
  out = nnd("predict beta.nnd --weights alpha.safetensors --input x=0.5,0.5", &st);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT(out && strstr(out, "nnd predict: warning: alpha.safetensors holds the weights of "
                              "model `alpha`, not `beta`"));
  free(out);
  out = nnd("predict alpha.nnd --weights alpha.safetensors --input x=0.5,0.5", &st);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT(out && !strstr(out, "warning"));
  free(out);
  CU_ASSERT_FATAL(edit(tp(p, "alpha.safetensors"), tp(q, "nan.safetensors"), NULL, NULL, NULL,
                       "logits.weight") == 0);
  out = nnd("eval alpha.nnd --weights nan.safetensors", &st);
  CU_ASSERT_EQUAL(st, 1);
  CU_ASSERT(out && strstr(out, "nan.safetensors: `logits.weight` holds NaN or infinity"));
  CU_ASSERT(out && !strstr(out, "nan\n") && !strstr(out, "accuracy"));
  if (!out || st != 1) fprintf(stderr, "\n%s\n", out ? out : "");
  free(out);
}

void test_resume_register(void) {
  CU_pSuite s = CU_add_suite("resume", suite_init, suite_clean);
  CU_add_test(s, "an edited run state is refused naming the key", test_edited_run_state_refused);
  CU_add_test(s, "a finished run resumes to nothing", test_finished_run);
  CU_add_test(s, "weights only, old, foreign files are not resumed", test_not_a_run_state);
  CU_add_test(s, "another run's checkpoint is not overwritten", test_no_overwrite);
  CU_add_test(s, "nnd train: --overwrite, --resume", test_cli_train_overwrite);
  CU_add_test(s, "nnd eval: another model's or NaN weights", test_cli_eval_weights);
}
