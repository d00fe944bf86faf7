/* test_seeds.c — every model in models/seeds/ carries its expected numbers in
 * its own comments, and this test reads them from there and compares them
 * with what `nnd trace` computes (the same C API: forward and backward once on
 * the model's literals). The lines, each starting with "# expect ":
 *
 *   # expect params = 421642            trainable parameters (nnd summary)
 *   # expect shape c2 = [N, 64, 7, 7]   a node's shape, batch included
 *   # expect loss = 1.30097             the total loss
 *   # expect hidden = [0.52, 2.09]      a node's values, nested as trace prints them
 *   # expect dL/dW = [[...], [...]]     the gradient of the loss at a node
 *
 * A list may go on over the following comment lines until its brackets
 * close. Numbers agree to 1e-4 relative (the files give 6 significant
 * digits); NaN or infinity fails. A seed model without any expectation
 * fails: the numbers are the point of a seed. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "shape.h"
#include "tests.h"

#define SEED_DIR "models/seeds"
#define MAX_NUMBERS 64

static int suite_init(void) {
  const char *dir = NND_TEST_BUILDDIR "/plugins/.libs";
  nnd_load_plugins(&dir, 1);
  return 0;
}

typedef struct {
  char key[96];   /* "params", "shape NAME", "loss", "NAME" or "dL/dNAME" */
  char text[512]; /* what follows "= " */
  int line;
} expectation;

static int balanced(const char *s) {
  int depth = 0;
  for (; *s; s++) depth += (*s == '[') - (*s == ']');
  return depth <= 0;
}

/* The expectations of a file's comments; -1 on a malformed line. */
static int parse(const char *file, const char *src, expectation *e, int max) {
  int n = 0, line = 0;
  for (const char *p = src; *p; line++) {
    const char *end = strchr(p, '\n');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len > 9 && strncmp(p, "# expect ", 9) == 0) {
      if (n == max) return -1;
      expectation *x = &e[n++];
      x->line = line + 1;
      const char *eq = memchr(p, '=', len);
      if (!eq || eq - p - 9 < 1 || (size_t)(eq - p - 9) >= sizeof x->key) {
        fprintf(stderr, "\n%s:%d: an expect line needs `= value`\n", file, line + 1);
        return -1;
      }
      snprintf(x->key, sizeof x->key, "%.*s", (int)(eq - p - 9), p + 9);
      for (size_t k = strlen(x->key); k > 0 && x->key[k - 1] == ' '; k--) x->key[k - 1] = 0;
      snprintf(x->text, sizeof x->text, "%.*s", (int)(len - (size_t)(eq + 1 - p)), eq + 1);
      /* continuation lines: "#" and more of the list, until it closes */
      while (!balanced(x->text) && end && end[1] == '#') {
        p = end + 1;
        line++;
        end = strchr(p, '\n');
        len = end ? (size_t)(end - p) : strlen(p);
        size_t have = strlen(x->text);
        snprintf(x->text + have, sizeof x->text - have, " %.*s", (int)len - 1, p + 1);
      }
      if (!balanced(x->text)) {
        fprintf(stderr, "\n%s:%d: unbalanced brackets\n", file, x->line);
        return -1;
      }
    }
    p = end ? end + 1 : p + len;
  }
  return n;
}

/* The numbers of a (nested) list or a single number, flattened. */
static int numbers(const char *s, double *out, int max) {
  int n = 0;
  while (*s) {
    if (strchr("[], \t", *s)) {
      s++;
      continue;
    }
    char *end;
    double v = strtod(s, &end);
    if (end == s || n == max) return -1;
    out[n++] = v;
    s = end;
  }
  return n;
}

static int close_enough(double got, double want) {
  return isfinite(got) && isfinite(want) &&
         fabs(got - want) <= 1e-4 * fmax(fabs(want), 1e-3);
}

/* Checks one expectation; 1 when it holds, else prints why. */
static int check(const char *file, const expectation *x, const nnd_model *m, nnd_session *s) {
  double want[MAX_NUMBERS];
  int n = strncmp(x->key, "shape ", 6) == 0 ? 0 : numbers(x->text, want, MAX_NUMBERS);
  if (n < 0) {
    fprintf(stderr, "\n%s:%d: not a list of numbers: %s\n", file, x->line, x->text);
    return 0;
  }
  if (strcmp(x->key, "params") == 0) {
    int64_t got = nnd_model_param_count(m);
    if (n == 1 && (double)got == want[0]) return 1;
    fprintf(stderr, "\n%s:%d: %lld parameters\n", file, x->line, (long long)got);
    return 0;
  }
  if (strncmp(x->key, "shape ", 6) == 0) {
    const nnd_node *node = node_named(m, x->key + 6);
    char buf[128], want_shape[128];
    snprintf(want_shape, sizeof want_shape, "%s", x->text + strspn(x->text, " "));
    const char *got = node ? nnd_shape_str_batch(&node->type, buf, sizeof buf) : "<missing>";
    if (strcmp(got, want_shape) == 0) return 1;
    fprintf(stderr, "\n%s:%d: %s is %s\n", file, x->line, x->key + 6, got);
    return 0;
  }
  if (!s) {
    fprintf(stderr, "\n%s:%d: no session to check %s\n", file, x->line, x->key);
    return 0;
  }
  if (strcmp(x->key, "loss") == 0) {
    double got = nnd_session_loss(s);
    if (n == 1 && close_enough(got, want[0])) return 1;
    fprintf(stderr, "\n%s:%d: loss %.9g\n", file, x->line, got);
    return 0;
  }
  int grad = strncmp(x->key, "dL/d", 4) == 0;
  const char *name = grad ? x->key + 4 : x->key;
  nnd_tensor t;
  if ((grad ? nnd_session_grad(s, name, &t) : nnd_session_value(s, name, &t)) != 0 ||
      t.numel != n) {
    fprintf(stderr, "\n%s:%d: %s is missing or has another number of elements than %d\n",
            file, x->line, x->key, n);
    return 0;
  }
  for (int i = 0; i < n; i++)
    if (!close_enough(t.data[i], want[i])) {
      fprintf(stderr, "\n%s:%d: %s element %d is %.9g, expected %.9g\n", file, x->line,
              x->key, i, t.data[i], want[i]);
      return 0;
    }
  return 1;
}

/* Whether any expectation needs running the model (values, loss, gradients). */
static int needs_run(const expectation *e, int n) {
  for (int i = 0; i < n; i++)
    if (strcmp(e[i].key, "params") != 0 && strncmp(e[i].key, "shape ", 6) != 0) return 1;
  return 0;
}

/* backends: a preference list, or NULL for the default choice */
static void check_file(const char *rel, const char *backends) {
  char *src = read_src_file(rel);
  CU_ASSERT_PTR_NOT_NULL_FATAL(src);
  expectation e[32];
  int n = parse(rel, src, e, 32);
  free(src);
  if (n <= 0) fprintf(stderr, "\n%s: no `# expect` lines\n", rel);
  CU_ASSERT(n > 0);
  if (n <= 0) return;
  char path[1024], err[1024];
  nnd_model *m = NULL;
  nnd_diag_list *d = NULL;
  if (nnd_compile_file(src_path(rel, path, sizeof path), &m, &d) != 0) {
    char *text = nnd_diag_render(d, 0);
    fprintf(stderr, "\n%s", text ? text : "");
    free(text);
  }
  nnd_diag_list_free(d);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  nnd_session *s = NULL;
  if (needs_run(e, n)) {
    nnd_session_options o = {.size = sizeof o, .backends = backends};
    int ok = nnd_session_new(m, &o, &s, err, sizeof err) == 0;
    if (ok && (nnd_session_forward(s, 1) != 0 || (m->n_losses && nnd_session_backward(s) != 0)))
      ok = 0;
    if (!ok)
      fprintf(stderr, "\n%s on %s: %s\n", rel, backends ? backends : "the default backends",
              s ? nnd_session_error(s) : err);
    CU_ASSERT(ok);
  }
  for (int i = 0; i < n; i++) CU_ASSERT(check(rel, &e[i], m, s));
  nnd_session_free(s);
  nnd_model_free(m);
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void every_seed(const char *backends) {
  char dir[1024];
  DIR *dp = opendir(src_path(SEED_DIR, dir, sizeof dir));
  CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
  char *names[64];
  int count = 0;
  for (struct dirent *de; (de = readdir(dp)) && count < 64;) {
    size_t len = strlen(de->d_name);
    if (len > 4 && strcmp(de->d_name + len - 4, ".nnd") == 0) names[count++] = strdup(de->d_name);
  }
  closedir(dp);
  qsort(names, (size_t)count, sizeof *names, by_name);
  CU_ASSERT(count >= 13);
  for (int i = 0; i < count; i++) {
    char rel[512];
    snprintf(rel, sizeof rel, SEED_DIR "/%s", names[i]);
    check_file(rel, backends);
    free(names[i]);
  }
}

static void test_every_seed(void) { every_seed(NULL); }

/* The same numbers on each backend first in the preference list: a fast
 * kernel that differed from naive beyond float rounding would show here on
 * the seeds' hand-checked values. A backend not built passes with a note
 * (fails under CI). */
static void test_every_seed_every_backend(void) {
  static const char *const prefs[][2] = {{"naive", "naive"},
                                         {"openmp", "openmp,naive"},
                                         {"blas", "blas,naive"},
                                         {"dnnl", "dnnl,naive"}};
  for (size_t i = 0; i < sizeof prefs / sizeof prefs[0]; i++)
    if (strcmp(prefs[i][0], "naive") == 0 ||
        test_backend_ready(prefs[i][0], "seeds on every backend"))
      every_seed(prefs[i][1]);
}

/* The checker itself can fail: a wrong number, a NaN, a count mismatch. */
static void test_checker_fails(void) {
  nnd_model *m = compile_ok("input x: [2] = [1, 2]\ninput t: [2] = [0, 0]\n"
                            "y = x * 2\nloss mse(y, t)\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  nnd_session *s = NULL;
  char err[256];
  CU_ASSERT_EQUAL_FATAL(nnd_session_new(m, NULL, &s, err, sizeof err), 0);
  CU_ASSERT_EQUAL_FATAL(nnd_session_forward(s, 1), 0);
  CU_ASSERT_EQUAL_FATAL(nnd_session_backward(s), 0);
  static const char src[] = "# expect y = [[2, 4]]\n"
                            "# expect loss = 10\n"
                            "# expect dL/dx = [4,\n#   8]\n"
                            "# expect y = [2, 4.01]\n"
                            "# expect y = [2, nan]\n"
                            "# expect y = [2]\n"
                            "# expect loss = inf\n"
                            "# expect shape y = [N, 2]\n"
                            "# expect shape y = [N, 3]\n";
  expectation e[16];
  CU_ASSERT_EQUAL_FATAL(parse("checker.nnd", src, e, 16), 9);
  static const int holds[] = {1, 1, 1, 0, 0, 0, 0, 1, 0};
  printf("\n    (the next 5 messages are expected)");
  for (int i = 0; i < 9; i++) CU_ASSERT_EQUAL(check("checker.nnd", &e[i], m, s), holds[i]);
  nnd_session_free(s);
  nnd_model_free(m);
}

void test_seeds_register(void) {
  CU_pSuite s = CU_add_suite("seed models, their numbers from their comments", suite_init, NULL);
  CU_add_test(s, "the checker fails when it must", test_checker_fails);
  CU_add_test(s, "every seed model reproduces its # expect lines", test_every_seed);
  CU_add_test(s, "every seed model reproduces on every backend", test_every_seed_every_backend);
}
