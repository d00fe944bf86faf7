/* test_plugin_check.c — `nnd plugins --check FILE.so`: nnd's own plugins and
 * the swish test plugin pass it; broken kernels (wrong_grad.so, and the three
 * of faulty.so) fail it, each with the reason (a wrong gradient, a write past
 * the output, a schema that accepts what its kernel refuses), and a crashing
 * one fails without taking the check down; and a plugin built against the previous minor
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
  fails_with(TEST_PLUGINS "/faulty.so", "test.write_past",
             "forward wrote outside its output");
}

static void test_schema_accepting_too_much_fails(void) {
  fails_with(TEST_PLUGINS "/faulty.so", "test.bad_infer",
             "forward refused a node its schema accepted");
  /* and the kernel's own message, with the model it refused */
  fails_with(TEST_PLUGINS "/faulty.so", "test.bad_infer", "k = 8 is not implemented");
}

/* a kernel that says it stores the gradients it writes first must */
static void test_store_contract_fails(void) {
  fails_with(TEST_PLUGINS "/faulty.so", "test.adds_anyway",
             "backward told to store (grad_assign) the gradient of `x0` left or added");
}

/* a crash fails its row, names the model, and the check goes on: the rows
 * after it (faulty.so's other kernels) run and fail for their own reasons */
static void test_crashing_kernel_fails(void) {
  fails_with(TEST_PLUGINS "/faulty.so", "test.crash", "crashed (signal 4");
  fails_with(TEST_PLUGINS "/faulty.so", "test.crash", "[model: input x0: [2, 3]; ");
  int st;
  char *out = check(TEST_PLUGINS "/faulty.so", &st);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "FAIL: 4 of 8 rows failed"));
  free(out);
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

  /* its op in a model, trained by its optimizer: the loss goes down */
  char dir[] = "/tmp/nnd-abi10-XXXXXX";
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
  char path[128], args[512];
  snprintf(path, sizeof path, "%s/m.nnd", dir);
  FILE *f = fopen(path, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fputs("model abi10\ninput point: [2]\ninput label: class[2]\n"
        "h = test.abi10_twice(dense(point, units=8))\n"
        "logits = dense(relu(h), units=2)\nloss cross_entropy(logits, label)\n"
        "train {\n  data = moons(n=200, noise=0.1, seed=1)\n"
        "  optimizer = abi10_sgd(lr=0.05)\n  batch = 16; epochs = 3; seed = 5\n}\n", f);
  CU_ASSERT_EQUAL(fclose(f), 0);
  snprintf(args, sizeof args,
           "--plugin-dir '" TEST_PLUGINS "' train '%s' --checkpoint '%s/m.safetensors' 2>&1",
           path, dir);
  out = run_nnd(args, &st);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  CU_ASSERT_EQUAL(st, 0);
  double first = -1, last = -1;
  char *e1 = strstr(out, "epoch 1/3"), *e3 = strstr(out, "epoch 3/3");
  char *l1 = e1 ? strstr(e1, "train loss ") : NULL, *l3 = e3 ? strstr(e3, "train loss ") : NULL;
  if (l1) first = strtod(l1 + 11, NULL);
  if (l3) last = strtod(l3 + 11, NULL);
  CU_ASSERT(first > 0 && last > 0 && last < 0.9 * first);
  if (st != 0 || !(last < 0.9 * first)) printf("\n%s\n", out);
  free(out);
  snprintf(args, sizeof args, "rm -rf '%s'", dir);
  CU_ASSERT_EQUAL(system(args), 0);
}

void test_plugin_check_register(void) {
  CU_pSuite s = CU_add_suite("plugin_check", NULL, NULL);
  CU_add_test(s, "nnd's own plugins and swish pass --check", test_own_plugins_pass);
  CU_add_test(s, "--check fails a wrong gradient", test_wrong_gradient_fails);
  CU_add_test(s, "--check fails a write past the output", test_write_past_output_fails);
  CU_add_test(s, "--check fails a schema that accepts what its kernel refuses",
              test_schema_accepting_too_much_fails);
  CU_add_test(s, "--check survives a crashing kernel and fails it", test_crashing_kernel_fails);
  CU_add_test(s, "--check fails a kernel that adds where told to store", test_store_contract_fails);
  CU_add_test(s, "--check: a missing file, no file, a refused plugin", test_unusable_arguments);
  CU_add_test(s, "a plugin built against ABI 1.0 loads and runs",
              test_previous_minor_abi_loads_and_runs);
}
