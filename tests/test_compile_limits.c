/* test_compile_limits.c — any input is compiled or refused with an error at
 * file:line:col, on a thread with a 1 MB stack: programs that embed nnd
 * compile models on threads with small stacks, and blocks nesting deep
 * expressions used to multiply the per-level limits into a stack overflow.
 *
 * Each compile runs in a forked child (a stack overflow is a crash, and the
 * suite must survive it to report it), on a thread created with
 * pthread_attr_setstacksize, through the C API; the CLI is also run under
 * `ulimit -s 1024`. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ast.h"
#include "tests.h"

/* The stack the guarantee is about. Measured by bisecting the thread's
 * stack size, a level of the budget takes about 600 bytes in a plain -O2
 * build, and the deepest accepted inputs need about 620 KB. AddressSanitizer's
 * redzones make a level about 1.7 KB and those inputs need about 1.75 MB, so
 * a sanitizer build runs the same inputs on a 4 MB stack (and `ulimit -s
 * 4096`); the 1 MB guarantee is the plain build's. */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_STACK (4u << 20)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_STACK (4u << 20)
#endif
#endif
#ifndef TEST_STACK
#define TEST_STACK (1u << 20)
#endif

/* ------------------------------------------------------------- inputs */

typedef struct {
  char *buf;
  size_t len, cap;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...) {
  va_list ap;
  for (;;) {
    va_start(ap, fmt);
    int n = vsnprintf(t->buf ? t->buf + t->len : NULL, t->buf ? t->cap - t->len : 0, fmt,
                      ap);
    va_end(ap);
    if (n < 0) abort();
    if (t->buf && t->len + (size_t)n < t->cap) {
      t->len += (size_t)n;
      return;
    }
    size_t cap = t->cap ? t->cap * 2 : 1 << 16;
    while (cap <= t->len + (size_t)n) cap *= 2;
    t->buf = realloc(t->buf, cap);
    if (!t->buf) abort();
    t->cap = cap;
  }
}

/* `blocks` blocks, each nesting `nest` levels around a call of the previous
 * block: relu(relu(...)) calls, or - - ... negations (brackets nest at most
 * 256 deep, negations as deep as an expression may); the last line calls
 * the last block. */
static text nested(int blocks, int nest, int negations) {
  text t = {0};
  put(&t, "input x: [4]\n");
  for (int b = 0; b < blocks; b++) {
    put(&t, "block b%d(x) {\n  return ", b);
    for (int i = 0; i < nest; i++) put(&t, negations ? "-" : "relu(");
    if (b) put(&t, "b%d(x)", b - 1);
    else put(&t, "x");
    for (int i = 0; i < nest && !negations; i++) put(&t, ")");
    put(&t, "\n}\n");
  }
  put(&t, "y = b%d(x)\n", blocks - 1);
  return t;
}

static text nested_blocks(int blocks, int nest) { return nested(blocks, nest, 0); }

/* A chain of `n` blocks, each calling the one before. */
static text block_chain(int n) {
  text t = {0};
  put(&t, "input x: [4]\nblock b0(x) {\n  return relu(x)\n}\n");
  for (int b = 1; b < n; b++) put(&t, "block b%d(x) {\n  return b%d(x)\n}\n", b, b - 1);
  put(&t, "y = b%d(x)\n", n - 1);
  return t;
}

/* ------------------------------------------- compiling on a small stack */

typedef struct {
  const text *src;
  int rc;
  nnd_diag_list *d;
} job;

static void *compile_job(void *arg) {
  job *j = arg;
  nnd_model *m = NULL;
  j->rc = nnd_compile_string("deep.nnd", j->src->buf, j->src->len, &m, &j->d);
  nnd_model_free(m);
  return NULL;
}

/* Exit statuses of the child. */
enum { CHILD_COMPILED = 0, CHILD_REFUSED = 1, CHILD_BAD_ERROR = 2, CHILD_NO_THREAD = 3 };

/* In the child: compile on a thread with TEST_STACK bytes of stack. A
 * refusal must be an error at a line and column that says how deep. */
static int child_compile(const text *src) {
  pthread_attr_t attr;
  pthread_t th;
  job j = {src, -1, NULL};
  if (pthread_attr_init(&attr) != 0 || pthread_attr_setstacksize(&attr, TEST_STACK) != 0 ||
      pthread_create(&th, &attr, compile_job, &j) != 0)
    return CHILD_NO_THREAD;
  pthread_join(th, NULL);
  if (j.rc == 0) return CHILD_COMPILED;
  nnd_diag_info info;
  int ok = nnd_diag_get(j.d, 0, &info) == 0 && info.line > 0 && info.col > 0 &&
           strstr(info.message, "deep");
  if (!ok) {
    char *r = nnd_diag_render(j.d, 0);
    fprintf(stderr, "unexpected diagnostics:\n%.2000s\n", r ? r : "(none)");
    free(r);
  }
  return ok ? CHILD_REFUSED : CHILD_BAD_ERROR;
}

/* The child's exit status, or -1 when it crashed (the stack overflowed). */
static int compile_in_child(const text *src) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) return -2;
  if (pid == 0) _exit(child_compile(src));
  int st;
  if (waitpid(pid, &st, 0) != pid) return -2;
  if (WIFSIGNALED(st)) {
    fprintf(stderr, "\n  the compile crashed with signal %d on a %u KB stack\n",
            WTERMSIG(st), TEST_STACK >> 10);
    return -1;
  }
  return WEXITSTATUS(st);
}

static void test_64_blocks_of_250_calls(void) {
  text t = nested_blocks(64, 250);
  CU_ASSERT_EQUAL(compile_in_child(&t), CHILD_REFUSED);
  free(t.buf);
}

static void test_chain_of_200000_blocks(void) {
  text t = block_chain(200000);
  CU_ASSERT_EQUAL(compile_in_child(&t), CHILD_REFUSED);
  free(t.buf);
}

/* The deepest inputs that are accepted compile on the small stack too: the
 * budget is not merely refusing everything deep, and what it lets through
 * fits. More and more blocks of the deepest nesting, until one is refused:
 * all before it compile, and the refusal comes near the budget. */
static void deepest_accepted(int nest, int negations) {
  int blocks = 1, r;
  for (; blocks < 100; blocks++) {
    text t = nested(blocks, nest, negations);
    r = compile_in_child(&t);
    free(t.buf);
    if (r != CHILD_COMPILED) break;
  }
  CU_ASSERT_EQUAL(r, CHILD_REFUSED);
  /* each block costs its nesting, the call expression and the block call;
     the innermost `x` one more */
  int levels = blocks * (nest + 2) + 1;
  CU_ASSERT(levels > NND_COMPILE_MAX_DEPTH && levels - (nest + 2) <= NND_COMPILE_MAX_DEPTH);
  if (r != CHILD_REFUSED)
    fprintf(stderr, "\n  %d blocks nesting %d: child status %d\n", blocks, nest, r);
}

static void test_deepest_accepted_inputs_fit(void) {
  deepest_accepted(250, 0);                     /* calls: the most brackets */
  deepest_accepted(NND_AST_MAX_DEPTH - 2, 1);   /* negations: the deepest expression */
}

/* ------------------------------------------------------------ the CLI */

static void check_cli_small_stack(const text *src, const char *name) {
  char dir[] = "/tmp/nnd-limits-XXXXXX";
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
  char path[256], cmd[1024];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  CU_ASSERT_EQUAL(fwrite(src->buf, 1, src->len, f), src->len);
  CU_ASSERT_EQUAL(fclose(f), 0);
  /* under a sanitizer the program gets the bigger stack the API test uses */
  snprintf(cmd, sizeof cmd, "sh -c 'ulimit -s %u && NO_COLOR=1 \"%s/nnd\" check \"%s\"'",
           TEST_STACK >> 10, NND_TEST_BUILDDIR, path);
  int st;
  char *out = run_command(cmd, &st);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  CU_ASSERT_EQUAL(st, 1);  /* model errors; a crash is 139 */
  char want[300];
  snprintf(want, sizeof want, "%s:", path);
  const char *at = strstr(out, want);
  int line = 0, col = 0;
  CU_ASSERT(at && sscanf(at + strlen(want), "%d:%d: error:", &line, &col) == 2 &&
            line > 0 && col > 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "deep"));
  if (st != 1) fprintf(stderr, "\n  nnd check said (status %d):\n%.1000s\n", st, out);
  free(out);
  remove(path);
  rmdir(dir);
}

static void test_cli_at_1mb_stack(void) {
  text a = nested_blocks(64, 250);
  check_cli_small_stack(&a, "nested.nnd");
  free(a.buf);
  text b = block_chain(200000);
  check_cli_small_stack(&b, "chain.nnd");
  free(b.buf);
}

/* ---------------------------------------------- numbers out of range */

#define FAILS_AT(src, line, col, needle) \
  CU_ASSERT_TRUE(compile_fails_at(src, strlen(src), line, col, needle))

/* A dimension past 2^53 was converted to int64 before the size check
 * (undefined behaviour); each is refused at the number, before converting. */
static void test_shape_dimension_out_of_range(void) {
  FAILS_AT("input x: [1e300]\n", 1, 11, "dimension 1e+300 is too large");
  FAILS_AT("input x: [4, 1e19]\n", 1, 14, "dimension 1e+19 is too large");
  FAILS_AT("input x: [4]\nparam p: [2, -1e300]\n", 2, 14, "positive integers");
  /* within int64 but the product is not */
  FAILS_AT("input x: [4294967296, 4294967296]\n", 1, 10, "too large");
}

/* A number past the float range became inf in the tensor. */
static void test_float_literal_out_of_range(void) {
  FAILS_AT("input x: [4]\nparam p: [2] = 1e39\n", 2, 16, "1e+39 is out of range");
  FAILS_AT("input x: [4]\nparam p: [2] = [1, -1e39]\n", 2, 16, "-1e+39 is out of range");
  FAILS_AT("input z: [2] = [1e39, 0]\n", 1, 16, "out of range");
  FAILS_AT("input x: [4]\ny = x * 1e39\n", 2, 7, "out of range");
  FAILS_AT("input x: [4]\ny = x / 1e-39\n", 2, 7, "out of range");
  FAILS_AT("input x: [4]\ny = dense(x, units=2, weight=1e39)\n", 2, 23, "out of range");
  /* the largest float is fine */
  nnd_model *m = compile_ok("input x: [4]\nparam p: [2] = [3.4e38, -3.4e38]\n");
  CU_ASSERT_PTR_NOT_NULL(m);
  nnd_model_free(m);
}

/* Float arguments of initializers, optimizers and ops end up in float
 * tensors and kernels: past the float range they would be inf. */
static void test_float_arguments_out_of_range(void) {
  FAILS_AT("input x: [4]\nparam p: [2] = constant(1e39)\n", 2, 16, "out of range");
  FAILS_AT("input x: [4]\nparam p: [2] = uniform(-1e300, 1e300)\n", 2, 16, "out of range");
  FAILS_AT("input x: [4]\ninput t: [4]\nloss mse(x, t)\ntrain {\n  optimizer = sgd(lr=1e39)"
           "\n}\n", 5, 3, "out of range");
  FAILS_AT("input x: [4]\ninput t: [4]\nloss mse(x, t) * 1e39\n", 3, 18, "out of range");
}

/* Integer attributes and settings: refused as numbers, never converted. */
static void test_integer_attributes_out_of_range(void) {
  FAILS_AT("input x: [4]\ny = dense(x, units=1e300)\n", 2, 14, "must be an integer");
  FAILS_AT("input x: [1, 8, 8]\ny = conv2d(x, filters=2, kernel=-1e30)\n", 2, 26,
           "must be an integer");
  FAILS_AT("input x: [4]\ny = dense(x, units=1e15)\n", 2, 5, "too many elements");
  const char *train = "input x: [4]\ninput t: [4]\nloss mse(x, t)\ntrain {\n  %s\n}\n";
  const char *settings[] = {"epochs = 1e19", "batch = 1e300", "seed = 1e19", "seed = -1e30",
                            "epochs = 1e15"};
  for (size_t i = 0; i < sizeof settings / sizeof *settings; i++) {
    char src[256];
    snprintf(src, sizeof src, train, settings[i]);
    FAILS_AT(src, 5, 3, "train setting");
  }
}

void test_compile_limits_register(void) {
  CU_pSuite s = CU_add_suite("compile limits", NULL, NULL);
  CU_add_test(s, "1 MB stack: 64 blocks of 250 nested calls", test_64_blocks_of_250_calls);
  CU_add_test(s, "1 MB stack: a chain of 200,000 blocks", test_chain_of_200000_blocks);
  CU_add_test(s, "1 MB stack: the deepest accepted inputs", test_deepest_accepted_inputs_fit);
  CU_add_test(s, "1 MB stack: nnd check under ulimit -s 1024", test_cli_at_1mb_stack);
  CU_add_test(s, "range: shape dimensions", test_shape_dimension_out_of_range);
  CU_add_test(s, "range: float literals", test_float_literal_out_of_range);
  CU_add_test(s, "range: float arguments", test_float_arguments_out_of_range);
  CU_add_test(s, "range: integer attributes and settings",
              test_integer_attributes_out_of_range);
}
