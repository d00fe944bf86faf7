/* test_session_limits.c — a session at the edges of memory and of its
 * options: a workspace that cannot be allocated or whose size overflows
 * leaves the session as it was (no pointer into freed memory), batch sizes
 * whose element counts overflow are refused naming the node, and an unknown
 * backend name is an error listing the known ones. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_loader.h"
#include "registry.h"
#include "session_internal.h"
#include "tests.h"

/* The workspace test makes calloc fail on purpose; under AddressSanitizer
 * that must return NULL, as glibc does, rather than abort the run. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }

#define BIG_WORKSPACE NND_TEST_BUILDDIR "/tests/plugins/.libs/big_workspace.so"

static int suite_init(void) {
  const char *dir = NND_TEST_BUILDDIR "/plugins/.libs";
  nnd_load_plugins(&dir, 1);
  return 0;
}

/* y = 2x on a batch, checked number by number */
static void expect_doubles(nnd_session *s, int batch) {
  float x[3 * 8];
  for (int i = 0; i < 3 * batch; i++) x[i] = (float)i - 4.5f;
  CU_ASSERT_EQUAL_FATAL(nnd_session_set_input(s, "x", x, 3 * batch), 0);
  CU_ASSERT_EQUAL_FATAL(nnd_session_forward(s, 1), 0);
  nnd_tensor y;
  CU_ASSERT_EQUAL_FATAL(nnd_session_value(s, "y", &y), 0);
  CU_ASSERT_EQUAL_FATAL(y.numel, 3 * batch);
  for (int i = 0; i < 3 * batch; i++) CU_ASSERT_EQUAL(y.data[i], 2 * x[i]);
}

static nnd_session *bigws_session(nnd_model **m) {
  if (nnd_plugin_load_file(BIG_WORKSPACE) != 0) {
    for (int i = 0; i < nnd_plugin_count(); i++)
      if (strstr(nnd_plugin_at(i)->path, "big_workspace"))
        fprintf(stderr, "\n%s: %s\n", nnd_plugin_at(i)->path, nnd_plugin_at(i)->error);
    CU_FAIL("the test plugin big_workspace.so did not load");
    return NULL;
  }
  *m = compile_ok("input x: [3]\ny = bigws(x)\n");
  if (!*m) return NULL;
  nnd_session *s = NULL;
  char err[1024];
  if (nnd_session_new(*m, NULL, &s, err, sizeof err) != 0) {
    fprintf(stderr, "\n%s\n", err);
    CU_FAIL("no session");
  }
  return s;
}

static void test_workspace_allocation_fails(void) {
  nnd_model *m = NULL;
  nnd_session *s = bigws_session(&m);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CU_ASSERT_EQUAL_FATAL(nnd_session_set_batch(s, 4), 0);
  expect_doubles(s, 4);
  /* the workspace of a batch of 1000 cannot be allocated */
  CU_ASSERT_EQUAL(nnd_session_set_batch(s, 1000), -1);
  const char *e = nnd_session_error(s);
  if (!strstr(e, "out of memory") || !strstr(e, "node `y`"))
    fprintf(stderr, "\nerror: %s\n", e);
  CU_ASSERT_PTR_NOT_NULL(strstr(e, "out of memory"));
  CU_ASSERT_PTR_NOT_NULL(strstr(e, "test.nnd:2:5: node `y` (test.bigws)"));
  /* the session is still the one of a batch of 4, whole: a forward right
     away must not use a workspace pointer into a freed block (it did, which
     AddressSanitizer reports as a heap-use-after-free) */
  CU_ASSERT_EQUAL(nnd_session_batch(s), 4);
  CU_ASSERT_EQUAL(nnd_session_forward(s, 1), 0);
  expect_doubles(s, 4);
  CU_ASSERT_EQUAL(nnd_session_backward(s), 0);
  /* and takes a smaller batch */
  CU_ASSERT_EQUAL_FATAL(nnd_session_set_batch(s, 2), 0);
  expect_doubles(s, 2);
  nnd_session_free(s);
  nnd_model_free(m);
}

static void test_workspace_size_overflows(void) {
  nnd_model *m = NULL;
  nnd_session *s = bigws_session(&m);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CU_ASSERT_EQUAL_FATAL(nnd_session_set_batch(s, 3), 0);
  /* SIZE_MAX bytes: rounding it up to 64 must not wrap to a small block */
  CU_ASSERT_EQUAL(nnd_session_set_batch(s, 2000), -1);
  const char *e = nnd_session_error(s);
  if (!strstr(e, "overflow")) fprintf(stderr, "\nerror: %s\n", e);
  CU_ASSERT_PTR_NOT_NULL(strstr(e, "test.nnd:2:5: node `y` (test.bigws)"));
  CU_ASSERT_PTR_NOT_NULL(strstr(e, "overflow"));
  CU_ASSERT_EQUAL(nnd_session_batch(s), 3);
  expect_doubles(s, 3);
  nnd_session_free(s);
  nnd_model_free(m);
}

/* 2^40 elements per sample is within the compiler's limit; a batch of
 * INT_MAX of it is not a number of floats an int64 holds. */
static void test_batch_elements_overflow(void) {
  nnd_model *m = compile_ok("input x: [1048576, 1048576]\ny = relu(x)\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  int needs_grad[2] = {1, 1};
  char msg[512] = "";
  int64_t floats = -1;
  CU_ASSERT_EQUAL(nnd_session_batch_floats(m, needs_grad, 1, &floats, msg, sizeof msg), 0);
  CU_ASSERT_EQUAL(floats, INT64_C(4) << 40);
  CU_ASSERT_EQUAL(nnd_session_batch_floats(m, needs_grad, INT_MAX, &floats, msg, sizeof msg),
                  -1);
  if (!strstr(msg, "test.nnd:1:7: node `x`")) fprintf(stderr, "\nerror: %s\n", msg);
  CU_ASSERT_PTR_NOT_NULL(strstr(msg, "test.nnd:1:7: node `x`"));
  CU_ASSERT_PTR_NOT_NULL(strstr(msg, "batch of 2147483647"));
  /* 2^40 floats fit an int64 but not, as bytes twice over, every size_t
     product on the way: 2^21 samples of it are 2^61 floats, 2^63 bytes */
  CU_ASSERT_EQUAL(nnd_session_batch_floats(m, needs_grad, 1 << 21, &floats, msg, sizeof msg),
                  -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(msg, "node `"));
  nnd_model_free(m);
}

static void expect_backend_refused(const char *list, const char *needle) {
  nnd_model *m = compile_ok("input x: [2]\ny = relu(x)\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  nnd_session *s = NULL;
  char err[1024] = "";
  nnd_session_options o = {.size = sizeof o, .backends = list};
  CU_ASSERT_EQUAL(nnd_session_new(m, list ? &o : NULL, &s, err, sizeof err), -1);
  CU_ASSERT_PTR_NULL(s);
  if (!strstr(err, needle) || !strstr(err, "naive"))
    fprintf(stderr, "\nbackends \"%s\": \"%s\", expected \"%s\"\n", list ? list : "(env)",
            err, needle);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, needle));
  /* the known ones are listed */
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "naive"));
  nnd_session_free(s);
  nnd_model_free(m);
}

static void test_unknown_backend(void) {
  expect_backend_refused("nonexistent", "unknown backend `nonexistent` (known: ");
  expect_backend_refused("naive,bogus", "unknown backend `bogus`");
  expect_backend_refused("naive,,", "empty backend name");
  expect_backend_refused("a_backend_name_longer_than_thirty_two_bytes",
                         "unknown backend `a_backend_name_longer_than_thirty_two_bytes`");
  const char *old = getenv("NND_BACKEND");
  char *saved = old ? strdup(old) : NULL;
  setenv("NND_BACKEND", "bogus", 1);
  expect_backend_refused(NULL, "NND_BACKEND: unknown backend `bogus`");
  if (saved) setenv("NND_BACKEND", saved, 1);
  else unsetenv("NND_BACKEND");
  free(saved);
  /* a known one still works, and naive is added at the end */
  nnd_model *m = compile_ok("input x: [2]\ny = relu(x)\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  nnd_session *s = NULL;
  char err[1024];
  nnd_session_options o = {.size = sizeof o, .backends = "naive"};
  CU_ASSERT_EQUAL(nnd_session_new(m, &o, &s, err, sizeof err), 0);
  if (s) CU_ASSERT_STRING_EQUAL(nnd_session_backend(s, "y"), "naive");
  nnd_session_free(s);
  nnd_model_free(m);
}

void test_session_limits_register(void) {
  CU_pSuite s = CU_add_suite("session limits", suite_init, NULL);
  CU_add_test(s, "a failed workspace allocation leaves the session whole",
              test_workspace_allocation_fails);
  CU_add_test(s, "a workspace size that overflows is refused", test_workspace_size_overflows);
  CU_add_test(s, "batch element counts that overflow are refused", test_batch_elements_overflow);
  CU_add_test(s, "an unknown backend is refused, listing the known", test_unknown_backend);
}
