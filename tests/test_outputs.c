/* test_outputs.c — the files nnd writes (--log, --report, plot -o, sweep logs,
 * checkpoints): written whole or not at all, with the user's umask, never
 * over a device, a FIFO, a directory, a symlink or another path of the same
 * command; and the commands' other user-facing rules that went wrong once:
 * predict's probabilities, --set values, sweep's up-front checks, backends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output_file.h"
#include "prediction.h"
#include "train_config.h"
#include "tests.h"

char *run_command(const char *cmd, int *status);

static char dir[64];

static int suite_init(void) {
  snprintf(dir, sizeof dir, "/tmp/nnd-outputs-XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int suite_clean(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

/* Run `args` (a shell fragment; $B is the nnd binary) in the suite's
 * directory; stdout and stderr together. */
static char *sh(const char *args, int *status) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "cd '%s' && B='%s/nnd' && NO_COLOR=1 && export NO_COLOR && %s", dir,
           NND_TEST_BUILDDIR, args);
  char *out = run_command(cmd, status);
  return out ? out : strdup("");
}

/* a file of the scratch directory: written, or read whole (malloc'd, or NULL) */
static void put(const char *name, const char *text) {
  char path[256];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  test_write_text(path, text);
}

static char *slurp(const char *name) {
  char path[256];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return test_read_file(path);
}

/* A tiny classifier on two moons: trains in milliseconds. */
static const char *tiny =
    "model tiny\ninput x: [2]\ninput y: class[2]\nlogits = dense(x, units=2)\n"
    "loss cross_entropy(logits, y)\n"
    "train { data = moons(n=64, seed=1); optimizer = sgd(lr=0.1); batch = 16; epochs = 2 }\n";

static void expect(const char *args, int status, const char *needle) {
  int st;
  char *out = sh(args, &st);
  CU_ASSERT_EQUAL(st, status);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, needle));
  if (st != status || !strstr(out, needle))
    fprintf(stderr, "\n`%s` exited %d (want %d), wanted \"%s\" in:\n%s\n", args, st, status,
            needle, out);
  free(out);
}

/* ---- the module itself ------------------------------------------------ */

static void test_output_module(void) {
  char path[256], err[512];
  snprintf(path, sizeof path, "%s/mod.txt", dir);
  mode_t old = umask(027);
  nnd_output *o = NULL;
  CU_ASSERT_EQUAL_FATAL(nnd_output_open("--out", path, &o, err, sizeof err), 0);
  fputs("hello\n", nnd_output_stream(o));
  /* nothing at the target until the commit */
  CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0);
  CU_ASSERT_EQUAL(nnd_output_commit(o, err, sizeof err), 0);
  umask(old);
  struct stat st;
  CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
  CU_ASSERT_EQUAL(st.st_mode & 0777, 0640);
  char *text = slurp("mod.txt");
  CU_ASSERT_STRING_EQUAL(text ? text : "", "hello\n");
  free(text);
  /* an aborted write leaves the old file and no temporary behind */
  CU_ASSERT_EQUAL_FATAL(nnd_output_open("--out", path, &o, err, sizeof err), 0);
  fputs("half", nnd_output_stream(o));
  nnd_output_abort(o);
  text = slurp("mod.txt");
  CU_ASSERT_STRING_EQUAL(text ? text : "", "hello\n");
  free(text);
  int st2;
  char *ls = sh("ls -a | grep -c tmp", &st2);
  CU_ASSERT_EQUAL(atoi(ls), 0);
  free(ls);
  /* targets that are not regular files */
  CU_ASSERT_EQUAL(nnd_output_open("--log", "/dev/null", &o, err, sizeof err), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "--log /dev/null: "));
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a regular file"));
  CU_ASSERT_EQUAL(nnd_output_open("--log", dir, &o, err, sizeof err), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "directory"));
  /* whole buffers, and write errors: /dev/full as the directory's file is
     refused, a write past RLIMIT_FSIZE is the full-disk case (below) */
  CU_ASSERT_EQUAL(nnd_output_write("--out", path, "abc", 3, err, sizeof err), 0);
  text = slurp("mod.txt");
  CU_ASSERT_STRING_EQUAL(text ? text : "", "abc");
  free(text);
}

/* ---- targets that are not regular files ------------------------------- */

static void test_refuses_devices_fifos_dirs_symlinks(void) {
  put("tiny.nnd", tiny);
  expect("$B train tiny.nnd --checkpoint t.st --log /dev/null", 2,
         "--log /dev/null: not a regular file");
  expect("$B train tiny.nnd --checkpoint /dev/null", 2,
         "--checkpoint /dev/null: not a regular file");
  expect("mkdir -p adir && $B train tiny.nnd --checkpoint adir", 2,
         "--checkpoint adir: not a regular file (a directory)");
  expect("ln -sf t.st link.st && $B train tiny.nnd --checkpoint link.st", 2,
         "--checkpoint link.st: is a symbolic link");
  expect("$B train tiny.nnd --overwrite --checkpoint t.st --log log.csv >/dev/null && echo trained", 0,
         "trained");
  /* a FIFO would block a plain fopen forever: the timeout is for the unfixed code */
  expect("rm -f fifo && mkfifo fifo && timeout 10 $B plot log.csv -o fifo", 2,
         "-o fifo: not a regular file (a FIFO)");
  expect("$B eval tiny.nnd --weights t.st --report /dev/null", 2,
         "--report /dev/null: not a regular file");
  expect("$B sweep tiny.nnd --set epochs=1 --log-dir /dev/null", 2, "--log-dir /dev/null");
}

/* ---- write errors ----------------------------------------------------- */

/* A write past the file-size limit fails with EFBIG (SIGXFSZ ignored): the
 * full disk of a test that cannot mount one. */
static void test_write_errors_are_errors(void) {
  put("tiny.nnd", tiny);
  /* ulimit -f counts 512-byte blocks in sh: the log outgrows 1 KiB after a few
     dozen epochs; the checkpoint (520 bytes) never does */
  int st;
  char *out = sh("rm -f full.csv && (trap '' XFSZ; ulimit -f 2; $B train tiny.nnd --overwrite --set "
                 "epochs=60 --checkpoint full.st --log full.csv)", &st);
  CU_ASSERT_NOT_EQUAL(st, 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "full.csv"));
  if (st == 0) fprintf(stderr, "\na log that could not be written exited 0:\n%s\n", out);
  free(out);
  /* the log holds whole epochs only */
  char *log = slurp("full.csv");
  if (log) {
    size_t n = strlen(log);
    CU_ASSERT_TRUE(n == 0 || log[n - 1] == '\n');
    free(log);
  }
  /* an old plot or report stays whole when the new one cannot be written */
  expect("$B train tiny.nnd --overwrite --checkpoint w.st --log w.csv >/dev/null && $B plot w.csv -o "
         "curves.svg >/dev/null && $B eval tiny.nnd --weights w.st --report r.html "
         ">/dev/null && echo ok", 0, "ok");
  char *svg = slurp("curves.svg"), *html = slurp("r.html");
  out = sh("(trap '' XFSZ; ulimit -f 0; $B plot w.csv -o curves.svg)", &st);
  CU_ASSERT_NOT_EQUAL(st, 0);
  free(out);
  out = sh("(trap '' XFSZ; ulimit -f 0; $B eval tiny.nnd --weights w.st --report r.html)", &st);
  CU_ASSERT_NOT_EQUAL(st, 0);
  free(out);
  char *svg2 = slurp("curves.svg"), *html2 = slurp("r.html");
  CU_ASSERT_TRUE(svg && svg2 && strlen(svg) > 100 && strcmp(svg, svg2) == 0);
  CU_ASSERT_TRUE(html && html2 && strlen(html) > 100 && strcmp(html, html2) == 0);
  free(svg);
  free(svg2);
  free(html);
  free(html2);
}

/* ---- the user's umask ------------------------------------------------- */

static void test_outputs_get_the_umask(void) {
  put("tiny.nnd", tiny);
  expect("rm -f u.st u.csv u.svg && (umask 077; $B train tiny.nnd --checkpoint u.st --log "
         "u.csv >/dev/null && $B plot u.csv -o u.svg >/dev/null) && stat -c '%a %n' u.st u.csv "
         "u.svg | tr '\\n' ' '", 0, "600 u.st 600 u.csv 600 u.svg");
  expect("rm -f v.st && (umask 002; $B train tiny.nnd --checkpoint v.st >/dev/null) && "
         "stat -c '%a' v.st", 0, "664");
}

/* ---- two paths of one command that are the same file ------------------ */

static void test_same_file_refused(void) {
  put("tiny.nnd", tiny);
  expect("$B train tiny.nnd --overwrite --checkpoint s.st >/dev/null && cp tiny.nnd keep.nnd && echo ok",
         0, "ok");
  expect("$B train tiny.nnd --checkpoint tiny.nnd", 2,
         "--checkpoint and the model file name the same file: tiny.nnd");
  expect("$B train tiny.nnd --checkpoint s.st --log ./tiny.nnd", 2,
         "--log and the model file name the same file: ./tiny.nnd");
  expect("$B train tiny.nnd --checkpoint new.st --log new.st", 2,
         "--log and --checkpoint name the same file: new.st");
  expect("ln -f s.st hard.st && $B train tiny.nnd --resume s.st --checkpoint hard.st --log s.st",
         2, "name the same file");
  expect("$B eval tiny.nnd --weights s.st --report s.st", 2,
         "--report and --weights name the same file: s.st");
  expect("$B eval tiny.nnd --weights s.st --report tiny.nnd", 2,
         "--report and the model file name the same file: tiny.nnd");
  expect("$B train tiny.nnd --overwrite --checkpoint s.st --log l.csv >/dev/null && $B plot l.csv -o l.csv",
         2, "-o and a log name the same file: l.csv");
  expect("mkdir -p sw && cp tiny.nnd sw/run1.csv && $B sweep sw/run1.csv --set epochs=1 "
         "--log-dir sw", 2, "name the same file: sw/run1.csv");
  /* nothing was overwritten */
  char *a = slurp("tiny.nnd"), *b = slurp("keep.nnd");
  CU_ASSERT_TRUE(a && b && strcmp(a, b) == 0);
  free(a);
  free(b);
}

/* ---- predict: the probabilities follow the loss ---------------------- */

/* Fixed weights (lr 1e-30 leaves them as declared) and two samples,
 * x = (1, 2) and (-1, 0.5); the numbers are worked by hand. */
static void put_predict_model(const char *name, const char *target, const char *param,
                              const char *body) {
  char text[1024], file[64];
  snprintf(text, sizeof text, "model %s\ninput x: [2]\ninput y: %s\nparam w: %s\n%s\n"
           "train { data = moons(n=16, seed=1); optimizer = sgd(lr=1e-30); batch = 16; "
           "epochs = 1 }\n", name, target, param, body);
  snprintf(file, sizeof file, "%s.nnd", name);
  put(file, text);
}

static void test_predict_follows_the_loss(void) {
  /* cross-entropy: logits [2, 4, -1] and [-0.75, 1, 1], softmax */
  put_predict_model("pce", "class[3]", "[2, 3] = [[1, 0, -1], [0.5, 2, 0]]",
                    "logits = x @ w\nloss cross_entropy(logits, y)");
  expect("$B train pce.nnd --checkpoint pce.st >/dev/null && $B predict pce.nnd --weights "
         "pce.st --input x=1,2,-1,0.5", 0,
         "sample 0: 1 0.8756, 0 0.1185, 2 0.0059\nsample 1: 1 0.4600, 2 0.4600, 0 0.0799\n");
  /* binary cross-entropy: one logit, z = -3 and -2; P(1) = sigmoid(z) */
  put_predict_model("pbce", "binary", "[2, 1] = [[1], [-2]]",
                    "z = x @ w\nloss binary_cross_entropy(z, y)");
  expect("$B train pbce.nnd --checkpoint pbce.st >/dev/null && $B predict pbce.nnd --weights "
         "pbce.st --input x=1,2,-1,0.5", 0,
         "sample 0: 0 0.9526, 1 0.0474\nsample 1: 0 0.8808, 1 0.1192\n");
  /* mse: a regression prints its values, -3 and -2 (the weights of the
     binary model: same name and shape) */
  put_predict_model("preg", "[1]", "[2, 1] = [[1], [-2]]", "v = x @ w\nloss mse(v, y)");
  expect("$B predict preg.nnd --weights pbce.st --input x=1,2,-1,0.5", 0,
         "sample 0: -3\nsample 1: -2\n");
}

/* The rule itself: log-probabilities (nll) become probabilities by exp; an
 * mse prediction of a 0/1 target is class 1 above 0.5, a logit above 0. */
static void test_prediction_rule(void) {
  const float logp[2] = {-0.5f, -2.0f};
  double out[2];
  nnd_pred_probabilities(NND_PRED_EXP, logp, 2, out);
  CU_ASSERT_DOUBLE_EQUAL(out[0], 0.60653066, 1e-7);
  CU_ASSERT_DOUBLE_EQUAL(out[1], 0.13533528, 1e-7);
  const float v = 0.3f;
  CU_ASSERT_EQUAL(nnd_pred_class(NND_PRED_IDENTITY, &v, 1), 0);
  CU_ASSERT_EQUAL(nnd_pred_class(NND_PRED_SIGMOID, &v, 1), 1);
  CU_ASSERT_EQUAL(nnd_pred_outputs(NND_PRED_SIGMOID, 1), 2);
  nnd_model *m = compile_ok("input x: [2]\ninput y: class[2]\nz = dense(x, units=2)\n"
                            "loss nll(z, y)\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  nnd_prediction p;
  CU_ASSERT_EQUAL(nnd_model_prediction(m, "y", &p), 0);
  CU_ASSERT_EQUAL(p.kind, NND_PRED_EXP);
  CU_ASSERT_STRING_EQUAL(p.node, "z");
  CU_ASSERT_EQUAL(nnd_model_prediction(m, "x", &p), -1);
  nnd_model_free(m);
  /* a squared error against one_hot(y) predicts y's classes: the target is
     y itself, and the largest output wins */
  m = compile_ok("input x: [2]\ninput y: class[3]\nz = sigmoid(dense(x, units=3))\n"
                 "loss mse(z, one_hot(y))\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_EQUAL(nnd_model_prediction(m, "y", &p), 0);
  CU_ASSERT_STRING_EQUAL(p.target, "y");
  CU_ASSERT_STRING_EQUAL(p.node, "z");
  CU_ASSERT_EQUAL(p.kind, NND_PRED_IDENTITY);
  nnd_model_free(m);
}

/* ---- --set values are the language's values --------------------------- */

static void test_set_values_parse_as_in_the_file(void) {
  nnd_model *m = compile_ok("input x: [2]\ninput y: class[2]\nz = dense(x, units=2)\n"
                            "loss cross_entropy(z, y)\n"
                            "train { data = csv(\"a.csv\"); optimizer = sgd(lr=0.1) }\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  char err[512] = "";
  /* a string is quoted, as in the file, and the quotes are not kept */
  CU_ASSERT_EQUAL(nnd_train_override(m, "data.path=\"/x/b.csv\"", err, sizeof err), 0);
  const nnd_value *data = &nnd_ir_setting(m, "data")->value;
  const nnd_value *path = nnd_call_arg(data, "path");
  CU_ASSERT_TRUE(path && path->kind == NND_VAL_STRING && strcmp(path->str, "/x/b.csv") == 0);
  /* a whole call, with an expression for an argument */
  CU_ASSERT_EQUAL(nnd_train_override(m, "optimizer=adam(lr=1/8, beta1=0.5)", err, sizeof err), 0);
  if (err[0]) fprintf(stderr, "\n%s\n", err);
  const nnd_value *opt = &nnd_ir_setting(m, "optimizer")->value;
  CU_ASSERT_STRING_EQUAL(opt->str, "adam");
  CU_ASSERT_DOUBLE_EQUAL(nnd_num(nnd_call_arg(opt, "lr"), 0), 0.125, 0);
  CU_ASSERT_DOUBLE_EQUAL(nnd_num(nnd_call_arg(opt, "beta1"), 0), 0.5, 0);
  CU_ASSERT_EQUAL(nnd_train_override(m, "schedule=step(every=2, gamma=0.5)", err, sizeof err), 0);
  CU_ASSERT_EQUAL(nnd_train_override(m, "shuffle=false", err, sizeof err), 0);
  CU_ASSERT_EQUAL(nnd_ir_setting(m, "shuffle")->value.kind, NND_VAL_BOOL);
  CU_ASSERT_EQUAL(nnd_train_override(m, "epochs=2*3", err, sizeof err), 0);
  CU_ASSERT_DOUBLE_EQUAL(nnd_ir_setting(m, "epochs")->value.num, 6, 0);
  /* what the file refuses, --set refuses, naming the setting */
  err[0] = '\0';
  CU_ASSERT_EQUAL(nnd_train_override(m, "epochs=(3", err, sizeof err), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "--set epochs"));
  CU_ASSERT_EQUAL(nnd_train_override(m, "data.path=/x/b.csv", err, sizeof err), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "--set data.path"));
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "quote"));
  CU_ASSERT_EQUAL(nnd_train_override(m, "epochs=1\nloss foo", err, sizeof err), -1);
  nnd_model_free(m);
}

/* sweep checks every combination before it trains anything; its errors go
 * to stderr and exit 2 */
static void test_sweep_checks_first(void) {
  put("tiny.nnd", tiny);
  int st;
  char *out = sh("rm -rf swc && ($B sweep tiny.nnd --set epochs=1,0 --log-dir swc 2>err.txt)",
                 &st);
  CU_ASSERT_EQUAL(st, 2);
  CU_ASSERT_PTR_NULL(strstr(out, "epoch"));         /* nothing on stdout about runs */
  CU_ASSERT_PTR_NULL(strstr(out, "failed"));
  free(out);
  char *err = slurp("err.txt");
  CU_ASSERT_PTR_NOT_NULL(err && strstr(err, "run 2"));
  CU_ASSERT_PTR_NOT_NULL(err && strstr(err, "`epochs` must be in [1, 1000000], got 0"));
  free(err);
  /* no run was trained: not even the log directory was made */
  char p[256];
  snprintf(p, sizeof p, "%s/swc", dir);
  CU_ASSERT_NOT_EQUAL(access(p, F_OK), 0);
  /* calls with commas inside are one value each */
  expect("$B sweep tiny.nnd --set 'optimizer=sgd(lr=0.1, momentum=0.5),adam(lr=0.01)' "
         "--set epochs=1", 0, "\n2     adam(lr=0.01)");
}

void test_outputs_register(void) {
  CU_pSuite s = CU_add_suite("outputs", suite_init, suite_clean);
  CU_add_test(s, "the output-file module", test_output_module);
  CU_add_test(s, "devices, FIFOs, directories and symlinks are refused",
              test_refuses_devices_fifos_dirs_symlinks);
  CU_add_test(s, "write errors are errors; old files stay whole", test_write_errors_are_errors);
  CU_add_test(s, "outputs are created with the user's umask", test_outputs_get_the_umask);
  CU_add_test(s, "two paths of a command that are the same file", test_same_file_refused);
  CU_add_test(s, "predict: softmax, sigmoid or the values, as the loss says",
              test_predict_follows_the_loss);
  CU_add_test(s, "the prediction rule: exp, thresholds, the node", test_prediction_rule);
  CU_add_test(s, "--set values parse as in the file", test_set_values_parse_as_in_the_file);
  CU_add_test(s, "sweep checks every combination first", test_sweep_checks_first);
}
