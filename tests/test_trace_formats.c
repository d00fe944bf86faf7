/* test_trace_formats.c — `nnd trace --format text|markdown|latex|json` and
 * `nnd trace --check ANSWERS`: every seed model through every format; the
 * JSON read back and compared, number for number, with what the session
 * computes; the LaTeX compiled by pdflatex; the Markdown tables well formed;
 * and the grading tool's verdicts (right, wrong by how much, unknown keys,
 * malformed files, NaN and infinity never passing). */
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests.h"

static char dir[64];

static int suite_init(void) {
  /* the session of json_equals_session runs on the built plugins */
  const char *plugins = NND_TEST_BUILDDIR "/plugins/.libs";
  nnd_load_plugins(&plugins, 1);
  snprintf(dir, sizeof dir, "/tmp/nnd-trace-XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int suite_clean(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

/* Run `args` (a shell fragment; $B is nnd, $S the source tree) in the
 * suite's directory; stdout and stderr together. */
static char *sh(const char *args, int *status) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "cd '%s' && B='%s/nnd' && S='%s' && NO_COLOR=1 && export NO_COLOR && %s",
           dir, NND_TEST_BUILDDIR, NND_TEST_SRCDIR, args);
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

/* The seed models, sorted; returns how many (at most max). */
static int seed_models(char names[][128], int max) {
  char path[1024];
  DIR *d = opendir(src_path("models/seeds", path, sizeof path));
  if (!d) return 0;
  int n = 0;
  for (struct dirent *e; (e = readdir(d)) && n < max;) {
    size_t len = strlen(e->d_name);
    if (len > 4 && strcmp(e->d_name + len - 4, ".nnd") == 0 && len < 128)
      snprintf(names[n++], 128, "%s", e->d_name);
  }
  closedir(d);
  qsort(names, (size_t)n, sizeof names[0], (int (*)(const void *, const void *))strcmp);
  return n;
}

/* `nnd trace MODEL ARGS > out` in the suite's directory; the exit status. */
static int trace_to(const char *model, const char *args, const char *out) {
  char cmd[2048];
  int st;
  snprintf(cmd, sizeof cmd, "\"$B\" trace \"$S/%s\" %s > '%s'", model, args, out);
  free(sh(cmd, &st));
  return st;
}

/* ---------------------------------------------------------------- text */

static void test_text_unchanged(void) {
  /* --format text is the default and prints exactly what trace printed */
  int st;
  char *plain = run_nnd("trace models/seeds/s002_q2_two_heads.nnd", &st);
  CU_ASSERT_EQUAL(st, 0);
  char *text = run_nnd("trace models/seeds/s002_q2_two_heads.nnd --format text", &st);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(plain);
  CU_ASSERT_PTR_NOT_NULL_FATAL(text);
  CU_ASSERT_STRING_EQUAL(plain, text);
  CU_ASSERT_PTR_NOT_NULL(strstr(plain, "  total loss                  2.07944\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(plain, "  dL/dW                       param                 [2, 3]"
                                       "           [[0.25, 0.5, 0.75], [-0.25, -0.5, -0.75]]\n"));
  free(plain);
  free(text);
  char *bad = run_nnd("trace models/seeds/s002_q2_two_heads.nnd --format html", &st);
  CU_ASSERT_EQUAL(st, 2);
  CU_ASSERT_PTR_NOT_NULL(bad && strstr(bad, "text, markdown, latex or json"));
  free(bad);
}

/* ---------------------------------------------------------------- JSON */

static size_t count_numbers(json_t *v) {
  if (json_is_number(v)) return 1;
  if (json_is_string(v)) return 1; /* "NaN", "Infinity", "-Infinity" */
  size_t n = 0, i;
  json_t *x;
  if (json_is_array(v)) json_array_foreach(v, i, x) n += count_numbers(x);
  return n;
}

/* One tensor object of the schema: shape, data nested as the shape says. */
static int tensor_ok(json_t *o, const char *kind_key) {
  json_t *shape = json_object_get(o, "shape"), *data = json_object_get(o, "data");
  if (!json_is_string(json_object_get(o, kind_key)) || !json_is_array(shape) || !data) return 0;
  size_t numel = 1, i;
  json_t *d;
  json_array_foreach(shape, i, d) numel *= (size_t)json_integer_value(d);
  if (json_array_size(shape) == 0) return json_is_number(data);
  return json_is_array(data) && json_array_size(data) == (size_t)json_integer_value(
                                    json_array_get(shape, 0)) && count_numbers(data) == numel;
}

static json_t *load_json(const char *name) {
  char path[256];
  json_error_t e;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  json_t *j = json_load_file(path, 0, &e);
  if (!j) fprintf(stderr, "\n%s:%d:%d: %s\n", path, e.line, e.column, e.text);
  return j;
}

static void check_json_schema(json_t *j) {
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "format")), "nnd-trace");
  CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "version")), 1);
  CU_ASSERT(json_is_string(json_object_get(j, "model")));
  CU_ASSERT(json_integer_value(json_object_get(j, "batch")) >= 1);
  CU_ASSERT(json_is_number(json_object_get(j, "total_loss")));
  json_t *values = json_object_get(j, "values"), *grads = json_object_get(j, "gradients"),
         *losses = json_object_get(j, "losses");
  CU_ASSERT(json_object_size(values) > 0);
  CU_ASSERT(json_is_object(grads));
  CU_ASSERT(json_is_object(losses));
  /* a model with a loss has gradients (s001_dense_big only counts parameters) */
  CU_ASSERT(json_object_size(losses) == 0 || json_object_size(grads) > 0);
  const char *k;
  json_t *v;
  json_object_foreach(values, k, v) {
    json_t *sum = json_object_get(v, "summary");
    if (sum) { /* too large to write whole (--max-numbers) */
      CU_ASSERT(json_integer_value(json_object_get(sum, "numel")) > 1000000);
      CU_ASSERT(json_number_value(json_object_get(sum, "min")) <=
                json_number_value(json_object_get(sum, "max")));
      continue;
    }
    CU_ASSERT(tensor_ok(v, "op"));
    if (!tensor_ok(v, "op")) fprintf(stderr, "\nvalues.%s is not a tensor object\n", k);
  }
  json_object_foreach(grads, k, v) CU_ASSERT(tensor_ok(v, "of"));
  double total = 0;
  json_object_foreach(losses, k, v) {
    CU_ASSERT(json_is_number(json_object_get(v, "value")));
    total += json_number_value(json_object_get(v, "value")) *
             json_number_value(json_object_get(v, "weight"));
  }
  double want = json_number_value(json_object_get(j, "total_loss"));
  CU_ASSERT(fabs(total - want) <= 1e-5 * (1 + fabs(want)));
}

/* Every number of one tensor in the JSON equals the session's float exactly:
 * "full precision" means a float read back is the same float. */
static int same_floats(json_t *data, const float *want, int64_t n, int64_t *at) {
  if (json_is_array(data)) {
    size_t i;
    json_t *x;
    json_array_foreach(data, i, x) if (!same_floats(x, want, n, at)) return 0;
    return 1;
  }
  if (*at >= n || !json_is_number(data)) return 0;
  float got = (float)json_number_value(data);
  if (got != want[*at]) {
    fprintf(stderr, "\nelement %lld: JSON %.9g, session %.9g\n", (long long)*at, got, want[*at]);
    return 0;
  }
  (*at)++;
  return 1;
}

static void json_equals_session(const char *model, json_t *j) {
  char path[1024];
  nnd_model *m = NULL;
  nnd_diag_list *diags = NULL;
  CU_ASSERT_EQUAL_FATAL(nnd_compile_file(src_path(model, path, sizeof path), &m, &diags), 0);
  nnd_diag_list_free(diags);
  nnd_session *s = NULL;
  char err[512];
  nnd_session_options opts = {.size = sizeof opts};
  CU_ASSERT_EQUAL_FATAL(nnd_session_new(m, &opts, &s, err, sizeof err), 0);
  CU_ASSERT_EQUAL(nnd_session_forward(s, 1), 0);
  CU_ASSERT_EQUAL(nnd_session_backward(s), 0);
  int checked = 0;
  for (int i = 0; i < m->n_nodes; i++) {
    nnd_tensor t;
    const char *name = m->nodes[i].name;
    if (nnd_session_value(s, name, &t) == 0) {
      json_t *o = json_object_get(json_object_get(j, "values"), name);
      int64_t at = 0;
      CU_ASSERT(o && same_floats(json_object_get(o, "data"), t.data, t.numel, &at) &&
                at == t.numel);
      checked++;
    }
    json_t *g = json_object_get(json_object_get(j, "gradients"), name);
    if (g && nnd_session_grad(s, name, &t) == 0) {
      int64_t at = 0;
      CU_ASSERT(same_floats(json_object_get(g, "data"), t.data, t.numel, &at) && at == t.numel);
      checked++;
    }
  }
  CU_ASSERT(checked >= m->n_nodes);
  CU_ASSERT_EQUAL((float)json_number_value(json_object_get(j, "total_loss")),
                  (float)nnd_session_loss(s));
  nnd_session_free(s);
  nnd_model_free(m);
}

static void test_json_s000_q1(void) {
  CU_ASSERT_EQUAL_FATAL(trace_to("models/seeds/s000_q1_sigmoid_neuron.nnd", "--format json",
                                 "q1.json"), 0);
  json_t *j = load_json("q1.json");
  CU_ASSERT_PTR_NOT_NULL_FATAL(j);
  check_json_schema(j);
  /* the numbers of the seed file's `# expect` lines */
  json_t *z = json_object_get(json_object_get(j, "values"), "z");
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(z, "op")), "add");
  CU_ASSERT_EQUAL(json_integer_value(json_array_get(json_object_get(z, "shape"), 1)), 1);
  CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_array_get(
                             json_array_get(json_object_get(z, "data"), 0), 0)), 4.55, 1e-6);
  CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(j, "total_loss")), 0.0105118, 1e-7);
  json_t *w = json_object_get(json_object_get(json_object_get(j, "gradients"), "w"), "data");
  const double dw[] = {-0.0627402, -0.0418268, -0.0209134, -0.0313701, -0.0104567};
  for (int i = 0; i < 5; i++)
    CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_array_get(json_array_get(w, 0), (size_t)i)),
                           dw[i], 1e-7);
  json_t *b = json_object_get(json_object_get(j, "gradients"), "b");
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(b, "of")), "param");
  CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_array_get(json_object_get(b, "data"), 0)),
                         -0.0104567, 1e-7);
  json_t *loss = json_object_get(json_object_get(j, "losses"), "binary_cross_entropy_1");
  CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(loss, "weight")), 1, 0);
  json_equals_session("models/seeds/s000_q1_sigmoid_neuron.nnd", j);
  json_decref(j);
  /* the shortest form that reads back as the same float: 4.55, not 4.55000019 */
  char *text = slurp("q1.json");
  CU_ASSERT_PTR_NOT_NULL_FATAL(text);
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "[[4.55]]"));
  free(text);
}

static void test_json_two_heads_full_precision(void) {
  CU_ASSERT_EQUAL_FATAL(trace_to("models/seeds/s002_q2_two_heads.nnd", "--format json",
                                 "heads.json"), 0);
  json_t *j = load_json("heads.json");
  CU_ASSERT_PTR_NOT_NULL_FATAL(j);
  json_t *l = json_object_get(json_object_get(j, "losses"), "cross_entropy_1");
  CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(l, "value")), log(4.0), 1e-6);
  json_equals_session("models/seeds/s002_q2_two_heads.nnd", j);
  json_decref(j);
}

/* ---------------------------------------------------------------- Markdown */

static int cells(const char *line) {
  int n = 0;
  for (const char *p = line; *p; p++)
    if (*p == '|' && (p == line || p[-1] != '\\')) n++;
  return n;
}

/* Every table: a header, a |---| separator with as many cells, and rows with
 * as many cells again. Returns the number of tables (-1 on a bad one). */
static int markdown_tables(char *md, const char *what) {
  int tables = 0, want = 0, in_table = 0, line_no = 0;
  /* strsep, not strtok: a blank line ends a table */
  for (char *rest = md, *line = strsep(&rest, "\n"); line; line = strsep(&rest, "\n")) {
    line_no++;
    if (line[0] != '|') {
      in_table = 0;
      continue;
    }
    if (!in_table) {
      /* the header row, then the separator */
      in_table = 1;
      want = cells(line);
      char *sep = strsep(&rest, "\n");
      line_no++;
      if (!sep || strspn(sep, "|-: ") != strlen(sep) || cells(sep) != want) {
        fprintf(stderr, "\n%s:%d: a table without its separator row\n", what, line_no);
        return -1;
      }
      tables++;
    } else if (cells(line) != want) {
      fprintf(stderr, "\n%s:%d: %d cells, the header has %d: %s\n", what, line_no,
              cells(line), want, line);
      return -1;
    }
  }
  return tables;
}

static void check_markdown(char *md, const char *what) {
  CU_ASSERT(strncmp(md, "# ", 2) == 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(md, "\n## Forward\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(md, "\n## Losses\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(md, "\n## Gradients\n"));
  CU_ASSERT(markdown_tables(md, what) >= 3);
}

static void test_markdown_two_heads(void) {
  CU_ASSERT_EQUAL_FATAL(trace_to("models/seeds/s002_q2_two_heads.nnd", "--format markdown",
                                 "heads.md"), 0);
  char *md = slurp("heads.md");
  CU_ASSERT_PTR_NOT_NULL_FATAL(md);
  /* dL/dW as a 2x3 table: column indices, then one row per matrix row */
  const char *g = strstr(md, "### `dL/dW`");
  CU_ASSERT_PTR_NOT_NULL_FATAL(g);
  CU_ASSERT_PTR_NOT_NULL(strstr(g, "|   | 0 | 1 | 2 |\n|---|---|---|---|\n"
                                   "| **0** | 0.25 | 0.5 | 0.75 |\n"
                                   "| **1** | -0.25 | -0.5 | -0.75 |\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(md, "| `total loss` | 2.07944 |"));
  check_markdown(md, "heads.md");
  free(md);
}

/* ---------------------------------------------------------------- LaTeX */

static int have_pdflatex(void) {
  int st;
  free(run_command("command -v pdflatex", &st));
  return st == 0;
}

/* Compile NAME.tex in the suite's directory; 1 when a PDF came out. */
static int pdflatex_ok(const char *name) {
  char cmd[512];
  int st;
  snprintf(cmd, sizeof cmd, "pdflatex -interaction=nonstopmode -halt-on-error %s.tex "
                            "</dev/null >/dev/null 2>&1 && test -s %s.pdf", name, name);
  char *out = sh(cmd, &st);
  free(out);
  if (st != 0) {
    snprintf(cmd, sizeof cmd, "grep -A3 '^!' %s.log | head -20", name);
    char *log = sh(cmd, &st);
    fprintf(stderr, "\npdflatex failed on %s.tex:\n%s\n", name, log);
    free(log);
    return 0;
  }
  return 1;
}

static void test_latex_matrices(void) {
  CU_ASSERT_EQUAL_FATAL(trace_to("models/seeds/s002_q2_two_heads.nnd", "--format latex",
                                 "heads.tex"), 0);
  char *tex = slurp("heads.tex");
  CU_ASSERT_PTR_NOT_NULL_FATAL(tex);
  CU_ASSERT(strncmp(tex, "\\documentclass", 14) == 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(tex, "\\usepackage{amsmath}"));
  CU_ASSERT_PTR_NOT_NULL(strstr(tex, "\\begin{bmatrix}\n0.25 & 0.5 & 0.75 \\\\\n"
                                     "-0.25 & -0.5 & -0.75\n\\end{bmatrix}"));
  CU_ASSERT_PTR_NOT_NULL(strstr(tex, "\\end{document}\n"));
  free(tex);
  if (!have_pdflatex()) {
    test_missing("pdflatex (texlive-latex-base)", "trace --format latex compiles");
    return;
  }
  CU_ASSERT(pdflatex_ok("heads"));
}

/* Names may hold any character (name="..."): LaTeX's specials are escaped,
 * Markdown's table bars too, and JSON's quotes and backslashes. */
static void test_special_names(void) {
  put("special.nnd",
      "model odd_name \"x\"\n"
      "input x: [2] = [1, 2]\n"
      "input t: [2] = [0, 1]\n"
      "y = dense(x, units=2, name=\"a_b&c%d#e$f{g}h~i^j\\\\k|l`m \\\"q\\\" \xcf\x83\\nz\", "
      "weight=[[1, 0], [0, 1]], bias=0)\n"
      "loss mse(y, t)\n");
  int st;
  char *out = sh("\"$B\" trace special.nnd --format latex > special.tex && "
                 "\"$B\" trace special.nnd --format markdown > special.md && "
                 "\"$B\" trace special.nnd --format json > special.json", &st);
  CU_ASSERT_EQUAL(st, 0);
  free(out);
  json_t *j = load_json("special.json");
  CU_ASSERT_PTR_NOT_NULL(json_object_get(json_object_get(j, "gradients"),
                                         "a_b&c%d#e$f{g}h~i^j\\k|l`m \"q\" \xcf\x83\nz.weight"));
  json_decref(j);
  char *md = slurp("special.md");
  CU_ASSERT_PTR_NOT_NULL_FATAL(md);
  check_markdown(md, "special.md");
  free(md);
  if (!have_pdflatex()) {
    test_missing("pdflatex (texlive-latex-base)", "trace --format latex with special names");
    return;
  }
  CU_ASSERT(pdflatex_ok("special"));
}

/* ---------------------------------------------------------------- every seed */

static void test_every_seed_every_format(void) {
  char names[64][128];
  int n = seed_models(names, 64);
  CU_ASSERT_FATAL(n >= 10);
  int latex = have_pdflatex();
  if (!latex) test_missing("pdflatex (texlive-latex-base)", "every seed's LaTeX compiles");
  for (int i = 0; i < n; i++) {
    char model[256], out[160], base[128];
    snprintf(model, sizeof model, "models/seeds/%.120s", names[i]);
    snprintf(base, sizeof base, "%.*s", (int)(strlen(names[i]) - 4), names[i]);
    /* text: what trace printed before formats existed */
    snprintf(out, sizeof out, "%s.txt", base);
    CU_ASSERT_EQUAL(trace_to(model, "--format text", out), 0);
    char *txt = slurp(out);
    CU_ASSERT(txt && strstr(txt, "\nforward\n") && strstr(txt, "\ngradients\n"));
    free(txt);
    snprintf(out, sizeof out, "%s.json", base);
    CU_ASSERT_EQUAL(trace_to(model, "--format json", out), 0);
    json_t *j = load_json(out);
    CU_ASSERT_PTR_NOT_NULL(j);
    if (j) check_json_schema(j);
    /* nnd's own numbers, checked against themselves: all right (a model
       without a loss has nothing to grade, and s001_dense_big's 441 million
       parameters take long enough to run) */
    if (json_object_size(json_object_get(j, "losses")) > 0) {
      char args[512];
      snprintf(args, sizeof args, "--check '%s'", out);
      snprintf(out, sizeof out, "%s.check", base);
      CU_ASSERT_EQUAL(trace_to(model, args, out), 0);
    }
    json_decref(j);
    snprintf(out, sizeof out, "%s.md", base);
    CU_ASSERT_EQUAL(trace_to(model, "--format markdown", out), 0);
    char *md = slurp(out);
    CU_ASSERT_PTR_NOT_NULL(md);
    if (md) check_markdown(md, out);
    free(md);
    snprintf(out, sizeof out, "%s.tex", base);
    CU_ASSERT_EQUAL(trace_to(model, "--format latex", out), 0);
    if (latex) {
      CU_ASSERT(pdflatex_ok(base));
    }
  }
}

/* ---------------------------------------------------------------- --check */

#define Q1 "models/seeds/s000_q1_sigmoid_neuron.nnd"

static char *check(const char *answers, int *st) {
  put("answers.json", answers);
  return sh("\"$B\" trace \"$S/" Q1 "\" --check answers.json", st);
}

static void test_check_right(void) {
  int st;
  char *out = check("{\"values\": {\"z\": {\"data\": [[4.55]]}},\n"
                    " \"total_loss\": 0.0105118,\n"
                    " \"gradients\": {\"w\": {\"data\": [[-0.0627402, -0.0418268, -0.0209134,"
                    " -0.0313701, -0.0104567]]}, \"b\": {\"data\": [-0.01046]}}}\n", &st);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "all 8 numbers right"));
  free(out);
}

static void test_check_wrong(void) {
  int st;
  char *out = check("{\"values\": {\"z\": {\"data\": [[4.6]]}},\n"
                    " \"gradients\": {\"w\": {\"data\": [[-0.0627402, -0.0418268, -0.0209134,"
                    " -0.0313701, 0.0104567]]}}}\n", &st);
  CU_ASSERT_EQUAL(st, 1);
  /* the key as a jq path, the answer, nnd's number and the difference */
  CU_ASSERT_PTR_NOT_NULL(strstr(out, ".values.z.data[0][0]: 4.6 is wrong, nnd has 4.55 "
                                     "(off by 0.05, 1.1%)"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, ".gradients.w.data[0][4]: 0.0104567 is wrong, nnd has "
                                     "-0.010456705 (off by 0.0209, 200%)"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "2 of 6 numbers wrong"));
  free(out);
  /* a looser tolerance accepts 4.6 */
  put("answers.json", "{\"values\": {\"z\": {\"data\": [[4.6]]}}}");
  out = sh("\"$B\" trace \"$S/" Q1 "\" --check answers.json --rtol 0.05", &st);
  CU_ASSERT_EQUAL(st, 0);
  free(out);
  out = sh("\"$B\" trace \"$S/" Q1 "\" --check answers.json --rtol x", &st);
  CU_ASSERT_EQUAL(st, 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "--rtol"));
  free(out);
}

static void test_check_shapes_and_keys(void) {
  int st;
  char *out = check("{\"gradients\": {\"ww\": {\"data\": [1]}, \"dL/db\": {\"data\": [1]}},"
                    " \"values\": {\"z\": {\"data\": [1, 2]}}}", &st);
  CU_ASSERT_EQUAL(st, 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, ".gradients.ww: no such key (did you mean .gradients.w?)"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, ".gradients[\"dL/db\"]: no such key (did you mean "
                                     ".gradients.b?)"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, ".values.z.data: 2 numbers, nnd's [1, 1] has 1"));
  free(out);
  /* names are compared too, and counted apart from the numbers */
  out = check("{\"model\": \"zz\", \"values\": {\"z\": {\"op\": \"add\", \"data\": [[4.6]]}}}",
              &st);
  CU_ASSERT_EQUAL(st, 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, ".model: \"zz\" is wrong, nnd has \"s000_q1\""));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "1 of 1 numbers wrong, 1 of 2 names wrong"));
  free(out);
  /* the numbers in row-major order may come flat or nested */
  out = check("{\"values\": {\"x\": {\"data\": [6, 4, 2, 3, 1], \"shape\": [1, 5]}}}", &st);
  CU_ASSERT_EQUAL(st, 0);
  free(out);
}

static void test_check_bad_files(void) {
  int st;
  char *out = check("{\"values\": {\"z\":\n  {\"data\": [[4.55]}}}\n", &st);
  CU_ASSERT_EQUAL(st, 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "answers.json:2:"));
  free(out);
  out = sh("\"$B\" trace \"$S/" Q1 "\" --check no_such.json", &st);
  CU_ASSERT_EQUAL(st, 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "no_such.json"));
  free(out);
  out = check("[4.55]", &st);
  CU_ASSERT_EQUAL(st, 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "answers.json: expected a JSON object"));
  free(out);
  out = check("{}", &st);
  CU_ASSERT_EQUAL(st, 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "nothing to check"));
  free(out);
}

/* A non-finite number is never right: not in the answers, not in nnd's. */
static void test_check_non_finite(void) {
  const char *answers[] = {"{\"total_loss\": \"NaN\"}", "{\"total_loss\": null}",
                           "{\"total_loss\": \"Infinity\"}", "{\"total_loss\": \"nan\"}"};
  for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
    int st;
    char *out = check(answers[i], &st);
    CU_ASSERT_EQUAL(st, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, ".total_loss: "));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "not a finite number"));
    free(out);
  }
  int st;
  char *out = check("{\"total_loss\": 1e999}", &st); /* Jansson refuses the overflow */
  CU_ASSERT_EQUAL(st, 2);
  free(out);
  /* a model whose loss overflows: nnd's own infinite numbers never pass */
  put("inf.nnd", "model inf\ninput x: [1] = [1e30]\nparam w: [1, 1] = [[1e30]]\n"
                 "input t: [1] = [0]\ny = w @ x\nloss mse(y, t)\n");
  out = sh("\"$B\" trace inf.nnd --format json > inf.json && "
           "\"$B\" trace inf.nnd --check inf.json", &st);
  CU_ASSERT_EQUAL(st, 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, ".total_loss: "));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "not a finite number"));
  free(out);
  char *json = slurp("inf.json");
  CU_ASSERT_PTR_NOT_NULL(json && strstr(json, "\"total_loss\": \"Infinity\""));
  free(json);
}

/* ---------------------------------------------------------------- -o */

static void test_output_file(void) {
  int st;
  char *out = sh("\"$B\" trace \"$S/" Q1 "\" --format markdown -o q1.md && "
                 "\"$B\" trace \"$S/" Q1 "\" --format markdown > q1.stdout.md && "
                 "cmp q1.md q1.stdout.md", &st);
  CU_ASSERT_EQUAL(st, 0);
  free(out);
  put("m.nnd", "model m\ninput x: [1] = [1]\nparam w: [1, 1] = [[2]]\ninput t: [1] = [0]\n"
               "y = w @ x\nloss mse(y, t)\n");
  out = sh("\"$B\" trace m.nnd --format json -o m.nnd", &st);
  CU_ASSERT_EQUAL(st, 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "same file"));
  free(out);
  char *model = slurp("m.nnd");
  CU_ASSERT_PTR_NOT_NULL(model && strncmp(model, "model m\n", 8) == 0);
  free(model);
}

void test_trace_formats_register(void) {
  CU_pSuite s = CU_add_suite("trace formats", suite_init, suite_clean);
  CU_add_test(s, "--format text is today's trace", test_text_unchanged);
  CU_add_test(s, "JSON of s000_q1: the seed's numbers", test_json_s000_q1);
  CU_add_test(s, "JSON: every float exactly", test_json_two_heads_full_precision);
  CU_add_test(s, "Markdown: matrices as tables", test_markdown_two_heads);
  CU_add_test(s, "LaTeX: bmatrix, compiles", test_latex_matrices);
  CU_add_test(s, "special characters in names", test_special_names);
  CU_add_test(s, "every seed model, every format", test_every_seed_every_format);
  CU_add_test(s, "--check: all right", test_check_right);
  CU_add_test(s, "--check: wrong by how much", test_check_wrong);
  CU_add_test(s, "--check: shapes and unknown keys", test_check_shapes_and_keys);
  CU_add_test(s, "--check: bad answer files", test_check_bad_files);
  CU_add_test(s, "--check: NaN and infinity never pass", test_check_non_finite);
  CU_add_test(s, "-o FILE", test_output_file);
}
