/* test_plugin_check.c — `nnd plugins --check FILE.so`: nnd's own plugins and
 * the swish test plugin pass it; three broken plugins fail it, each with the
 * reason (a wrong gradient, a write past the output, a schema that accepts
 * what its kernel refuses); and a plugin built against the previous minor
 * version's header (ABI 1.0) still loads, registers and runs. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests.h"

#define OWN_PLUGINS NND_TEST_BUILDDIR "/plugins/.libs"
#define TEST_PLUGINS NND_TEST_BUILDDIR "/tests/plugins/.libs"

static char *check(const char *path, int *status) {
  char args[1024];
  snprintf(args, sizeof args, "plugins --check '%s' 2>&1", path);
  return run_nnd(args, status);
}

static void passes(const char *path, const char *test) {
  if (access(path, R_OK) != 0) {
    test_missing(path, test);
    return;
  }
  int st;
  char *out = check(path, &st);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "\nok: 0 of "));
  CU_ASSERT_PTR_NULL(strstr(out, "FAIL"));
  if (st != 0) printf("\n%s\n", out);
  free(out);
}

static void test_own_plugins_pass(void) {
  passes(OWN_PLUGINS "/naive.so", "own plugins pass --check");
  passes(OWN_PLUGINS "/openmp.so", "own plugins pass --check");
  /* blas is optional (configure skips it without a CBLAS): checked when built */
  if (access(OWN_PLUGINS "/blas.so", R_OK) == 0)
    passes(OWN_PLUGINS "/blas.so", "own plugins pass --check");
  passes(TEST_PLUGINS "/swish.so", "own plugins pass --check");
}

/* status 1, a FAIL row for op naming the reason */
static void fails_with(const char *file, const char *op, const char *reason) {
  int st;
  char *out = check(file, &st);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  CU_ASSERT_EQUAL(st, 1);
  char *row = NULL;
  for (char *p = out; (p = strstr(p, op)); p++)
    if (p == out || p[-1] == '\n') {
      char *eol = strchr(p, '\n');
      char *fail = strstr(p, "FAIL");
      if (fail && (!eol || fail < eol)) row = p;
      if (row) break;
    }
  CU_ASSERT_PTR_NOT_NULL(row);
  CU_ASSERT_PTR_NOT_NULL(row && strstr(row, reason));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "\nFAIL: "));
  if (!row || !strstr(row, reason) || st != 1) printf("\n%s\n", out);
  free(out);
}

static void test_wrong_gradient_fails(void) {
  fails_with(TEST_PLUGINS "/wrong_grad.so", "acme.wrong_square",
             "backward disagrees with central finite differences");
  /* 2% off: above the 1e-2 tolerance */
  fails_with(TEST_PLUGINS "/wrong_grad.so", "acme.slightly_square",
             "backward disagrees with central finite differences");
  fails_with(TEST_PLUGINS "/wrong_grad.so", "acme.nan_grad_square", "NaN or infinity");
  fails_with(TEST_PLUGINS "/wrong_grad.so", "acme.drifting_square", "not deterministic");
}

static void test_write_past_output_fails(void) {
  fails_with(TEST_PLUGINS "/write_past.so", "test.write_past",
             "forward wrote outside its output");
}

static void test_schema_accepting_too_much_fails(void) {
  fails_with(TEST_PLUGINS "/bad_infer.so", "test.bad_infer",
             "forward refused a node its schema accepted");
  /* and the kernel's own message, with the model it refused */
  fails_with(TEST_PLUGINS "/bad_infer.so", "test.bad_infer", "k = 8 is not implemented");
}

static void test_unusable_arguments(void) {
  int st;
  char *out = run_nnd("plugins --check /nonexistent/x.so 2>&1", &st);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  CU_ASSERT_EQUAL(st, 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "/nonexistent/x.so"));
  free(out);
  out = run_nnd("plugins --check 2>&1", &st);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  CU_ASSERT_EQUAL(st, 2);
  free(out);
  /* a refused plugin: the reason, status 1 */
  out = check(TEST_PLUGINS "/bad_abi_major.so", &st);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  CU_ASSERT_EQUAL(st, 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "refused: built for plugin ABI"));
  free(out);
}

/* ABI 1.1 appended nnd_optimizer.backend: a plugin built against the 1.0
 * header registers a smaller optimizer descriptor, which must still load
 * (as the naive backend's), and its kernel must run. */
static void test_previous_minor_abi_loads_and_runs(void) {
  int st;
  char *out = run_nnd("--plugin-dir '" TEST_PLUGINS "' plugins 2>&1", &st);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  char *rec = strstr(out, "/abi10.so\n");
  CU_ASSERT_PTR_NOT_NULL(rec);
  CU_ASSERT_PTR_NOT_NULL(rec && strstr(rec, "test-abi10 1 (MIT), ABI 1.0:"));
  CU_ASSERT_PTR_NOT_NULL(rec && strstr(rec, "optimizers: abi10_sgd"));
  if (!rec || !strstr(rec, "ABI 1.0:")) printf("\n%s\n", out);
  free(out);
  passes(TEST_PLUGINS "/abi10.so", "ABI 1.0 plugin");
}

void test_plugin_check_register(void) {
  CU_pSuite s = CU_add_suite("plugin_check", NULL, NULL);
  CU_add_test(s, "nnd's own plugins and swish pass --check", test_own_plugins_pass);
  CU_add_test(s, "--check fails a wrong gradient", test_wrong_gradient_fails);
  CU_add_test(s, "--check fails a write past the output", test_write_past_output_fails);
  CU_add_test(s, "--check fails a schema that accepts what its kernel refuses",
              test_schema_accepting_too_much_fails);
  CU_add_test(s, "--check: a missing file, no file, a refused plugin", test_unusable_arguments);
  CU_add_test(s, "a plugin built against ABI 1.0 loads and runs",
              test_previous_minor_abi_loads_and_runs);
}
