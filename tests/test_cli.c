/* test_cli.c — the `nnd` program as a user runs it: output, exit statuses
 * (0 ok, 1 model errors, 2 usage errors), help and version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests.h"

#define nnd run_nnd

static void test_summary_of_the_seed_cnn(void) {
  int st;
  char *out = nnd("summary models/fashion_cnn.nnd", &st);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "total parameters:     421,642"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "[N, 64, 7, 7]"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "401,536"));
  free(out);
}

/* Whether the build made plugin `name` (configure skips blas without a
 * CBLAS, openmp without OpenMP); then it must load and be chosen. */
static int plugin_built(const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/plugins/.libs/%s.so", NND_TEST_BUILDDIR, name);
  FILE *f = fopen(path, "rb");
  if (f) fclose(f);
  return f != NULL;
}

/* The row of node `name` in a summary, up to its newline. */
static const char *summary_row(const char *out, const char *name, char *buf, size_t n) {
  const char *r = out ? strstr(out, name) : NULL;
  const char *end = r ? strchr(r, '\n') : NULL;
  snprintf(buf, n, "%.*s", r && end ? (int)(end - r) : 0, r ? r : "");
  return buf;
}

static void test_summary_kernels(void) {
  int st;
  char row[256];
  char *out = nnd("--backend naive summary --kernels models/fashion_cnn.nnd", &st);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "params  kernel\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(summary_row(out, "conv_block_2.conv2d_1", row, sizeof row),
                                "18,496  naive"));
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "optimizer:            adam (naive)\n"));
  free(out);
  /* the default list: blas for the products, openmp for the rest */
  out = nnd("summary --kernels models/fashion_cnn.nnd", &st);
  CU_ASSERT_EQUAL(st, 0);
  if (!plugin_built("blas")) test_missing("the blas plugin", "summary --kernels, default list");
  if (!plugin_built("openmp")) test_missing("the openmp plugin", "summary --kernels, default list");
  const char *conv = plugin_built("blas") ? "blas" : plugin_built("openmp") ? "openmp" : "naive";
  const char *rest = plugin_built("openmp") ? "openmp" : "naive";
  char want[64];
  snprintf(want, sizeof want, "401,536  %s", conv);
  CU_ASSERT_PTR_NOT_NULL(strstr(summary_row(out, "dense_1", row, sizeof row), want));
  snprintf(want, sizeof want, "0  %s", rest);
  CU_ASSERT_PTR_NOT_NULL(strstr(summary_row(out, "conv_block_1.maxpool_1", row, sizeof row),
                                want));
  snprintf(want, sizeof want, "optimizer:            adam (%s)\n", rest);
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, want));
  /* flatten has only the naive kernel: the fallback */
  CU_ASSERT_PTR_NOT_NULL(strstr(summary_row(out, "flatten", row, sizeof row), "0  naive"));
  free(out);
  out = nnd("summary --kernels --bogus models/fashion_cnn.nnd", &st);
  CU_ASSERT_EQUAL(st, 2);
  free(out);
}

static void test_check_every_model(void) {
  int st;
  char *out = nnd("check models/*.nnd models/seeds/*.nnd", &st);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "models/fashion_cnn.nnd: ok"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "models/seeds/s002_q2_two_heads.nnd: ok"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "models/mnist_seed_per_example.nnd: ok"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "models/mnist_seed_sweep.nnd: ok"));
  CU_ASSERT_PTR_NULL(strstr(out, "error"));
  free(out);
  /* a global option may stand before the command */
  out = nnd("--threads 2 check models/fashion_cnn.nnd", &st);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "models/fashion_cnn.nnd: ok"));
  free(out);
}

static void test_model_error_exits_1(void) {
  int st;
  char *out = nnd("check tests/data/bad_shape.nnd", &st);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  CU_ASSERT_EQUAL(st, 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "tests/data/bad_shape.nnd:4:10: error: dense expects "
                                     "[N, features] but `f` is [64, 7, 7]; insert flatten()"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "  logits = dense(f, units=10)\n           ^~~~~\n"));
  free(out);
  out = nnd("summary tests/data/no_such_file.nnd", &st);
  CU_ASSERT_EQUAL(st, 1);
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "no_such_file.nnd: error: cannot open"));
  free(out);
}

static void test_usage_errors_exit_2(void) {
  static const char *bad[] = {"", "frobnicate", "check", "summary", "ir a b",
                              "check --bogus x.nnd", "help no-such-topic",
                              "--threads 0 check models/fashion_cnn.nnd", "--threads"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int st;
    char *out = nnd(bad[i], &st);
    CU_ASSERT_EQUAL(st, 2);
    if (st != 2) fprintf(stderr, "\n`nnd %s` exited %d\n", bad[i], st);
    free(out);
  }
}

static void test_version_and_help(void) {
  int st;
  char *out = nnd("--version", &st);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "nnd " NND_VERSION_STRING));
  free(out);
  out = nnd("help", &st);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "summary"));
  free(out);
  out = nnd("help summary", &st);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "usage: nnd summary [--kernels] FILE"));
  free(out);
  out = nnd("help conv2d", &st);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "filters"));
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, ", required"));
  free(out);
}

/* --input is read as the file's literals are, by one parser for trace and
 * predict: predict used to skip what it could not read ("1,abc,2" gave two
 * values) and trace turned 1e39 into inf. */
static void test_input_values_as_in_the_file(void) {
  static const struct {
    const char *args, *want;
    int status;
  } cases[] = {
      {"trace models/seeds/s000_q1_sigmoid_neuron.nnd --input 'x=[[6,4,2,3,1],[1,1,1,1,-1/2]]'",
       "[[6, 4, 2, 3, 1], [1, 1, 1, 1, -0.5]]", 0},
      {"trace models/seeds/s000_q1_sigmoid_neuron.nnd --input x=6,4,2,3,1e39",
       "--input x: 1e+39 is out of range for a 32-bit float", 2},
      {"trace models/seeds/s000_q1_sigmoid_neuron.nnd --input x=6,4,abc,3,1",
       "--input x: column 5: undefined name `abc`", 2},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int st;
    char *out = nnd(cases[i].args, &st);
    CU_ASSERT_EQUAL(st, cases[i].status);
    CU_ASSERT_PTR_NOT_NULL(out && strstr(out, cases[i].want));
    if (st != cases[i].status || !out || !strstr(out, cases[i].want))
      fprintf(stderr, "\n`nnd %s` exited %d:\n%s\n", cases[i].args, st, out ? out : "");
    free(out);
  }
  /* predict, with weights of a model trained here */
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "(d=$(mktemp -d) && cd $d && printf 'model m\\ninput x: [2]\\ninput y: class[2]\\n"
           "logits = dense(x, units=2)\\nloss cross_entropy(logits, y)\\ntrain { data = "
           "moons(n=16, seed=1); epochs = 1 }\\n' > m.nnd && '%s/nnd' train m.nnd >/dev/null && "
           "'%s/nnd' predict m.nnd --weights m.safetensors --input x=1,abc; s=$?; rm -rf $d; "
           "exit $s)", NND_TEST_BUILDDIR, NND_TEST_BUILDDIR);
  int st;
  char *out = run_command(cmd, &st);
  CU_ASSERT_EQUAL(st, 2);
  CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "--input x: column 3: undefined name `abc`"));
  if (st != 2) fprintf(stderr, "\npredict --input x=1,abc exited %d:\n%s\n", st, out ? out : "");
  free(out);
}

static void test_ir_command_matches_golden(void) {
  int st;
  char *out = nnd("ir models/seeds/s002_q2_two_heads.nnd", &st);
  CU_ASSERT_EQUAL(st, 0);
  char *expected = read_src_file("tests/golden/two_heads.ir");
  CU_ASSERT_PTR_NOT_NULL_FATAL(expected);
  CU_ASSERT_STRING_EQUAL(out ? out : "", expected);
  free(expected);
  free(out);
}

void test_cli_register(void) {
  CU_pSuite s = CU_add_suite("cli", NULL, NULL);
  CU_add_test(s, "summary prints 421,642 for the seed CNN", test_summary_of_the_seed_cnn);
  CU_add_test(s, "summary --kernels shows the chosen backends", test_summary_kernels);
  CU_add_test(s, "check passes every shipped model", test_check_every_model);
  CU_add_test(s, "model errors exit 1 with file:line:col", test_model_error_exits_1);
  CU_add_test(s, "usage errors exit 2", test_usage_errors_exit_2);
  CU_add_test(s, "--version and help", test_version_and_help);
  CU_add_test(s, "--input values are read as in the file", test_input_values_as_in_the_file);
  CU_add_test(s, "nnd ir matches the golden file", test_ir_command_matches_golden);
}
