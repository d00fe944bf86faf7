/* cmd_trace.c — `nnd trace FILE [--input NAME=VALUES]... [--format F]
 * [-o OUT] [--check ANSWERS [--rtol R] [--atol A]]`: everything a worked
 * backpropagation answer shows — the value of every node in order, each loss
 * and the total, then the gradient of every parameter and of every float
 * input — for a terminal, as Markdown, LaTeX or JSON (trace_*.c), or
 * checked against a student's or a textbook's numbers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ir.h"
#include "output_file.h"
#include "shape.h"
#include "trace.h"
#include "value.h"

#define MAX_OVERRIDES 32

static int session_failed(const nnd_session *s, int status) {
  cli_error("trace", nnd_session_error(s));
  return status;
}

/* One --input NAME=VALUES: its name (the spec is cut at '=') and numbers. */
static int read_spec(char *spec, float **v, int64_t *n) {
  char *eq = strchr(spec, '=');
  if (!eq) return cli_usage_error("trace", "--input takes NAME=VALUES, got '%s'", spec);
  *eq = '\0';
  char what[160], err[512];
  snprintf(what, sizeof what, "--input %.100s", spec);
  if (nnd_parse_input_values(what, eq + 1, v, n, err, sizeof err) != 0)
    return cli_usage_error("trace", "%s", err);
  return EXIT_OK;
}

/* The batch follows the first --input; inputs that neither --input nor the
 * model give a value get seeded random values. */
static int apply_inputs(const nnd_model *m, nnd_session *s, char **specs, int n_specs) {
  float *v[MAX_OVERRIDES] = {0};
  int64_t n[MAX_OVERRIDES] = {0};
  int status = EXIT_OK;
  for (int i = 0; i < n_specs && status == EXIT_OK; i++) status = read_spec(specs[i], &v[i], &n[i]);
  nnd_tensor t;
  if (status == EXIT_OK && n_specs > 0) {
    if (nnd_session_value(s, specs[0], &t) != 0) {
      status = cli_usage_error("trace", "the model has no input `%s`", specs[0]);
    } else {
      int64_t per = t.numel / nnd_session_batch(s);
      if (per == 0 || n[0] == 0 || n[0] % per != 0)
        status = cli_usage_error("trace", "--input %s: %lld values do not make whole "
                                          "samples of %lld", specs[0], (long long)n[0],
                                 (long long)per);
      else if (nnd_session_set_batch(s, (int)(n[0] / per)) != 0)
        status = session_failed(s, EXIT_MODEL);
    }
  }
  if (status == EXIT_OK) cli_random_inputs(m, s, 1);
  for (int i = 0; i < n_specs && status == EXIT_OK; i++)
    if (nnd_session_set_input(s, specs[i], v[i], n[i]) != 0)
      status = session_failed(s, EXIT_USAGE);
  for (int i = 0; i < n_specs; i++) free(v[i]);
  return status;
}

static const struct {
  const char *name;
  trace_emit_fn emit;
} formats[] = {{"text", trace_emit_text},
               {"markdown", trace_emit_markdown},
               {"latex", trace_emit_latex},
               {"json", trace_emit_json}};

typedef struct {
  const char *file, *output, *answers;
  trace_emit_fn emit;
  int format_given;
  trace_format_options fo;
  double rtol, atol;
  char *specs[MAX_OVERRIDES];
  int n_specs;
} trace_options;

/* --rtol and --atol: a number >= 0. */
static int tolerance(const char *opt, const char *v, double *out) {
  char *end;
  double x = strtod(v, &end);
  if (end == v || *end || !(x >= 0) || !isfinite(x))
    return cli_usage_error("trace", "%s takes a number >= 0, not '%s'", opt, v);
  *out = x;
  return EXIT_OK;
}

static int parse_args(int argc, char **argv, trace_options *o) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = NULL;
    static const char *const valued[] = {"--input", "--format",      "--check", "--rtol",
                                         "--atol",  "--max-numbers", "-o"};
    enum { N_VALUED = sizeof valued / sizeof valued[0] };
    int opt = -1;
    for (int k = 0; k < N_VALUED && opt < 0; k++) {
      size_t len = strlen(valued[k]);
      if (strcmp(a, valued[k]) == 0) {
        if (i + 1 >= argc) return cli_usage_error("trace", "%s needs a value", a);
        opt = k;
        v = argv[++i];
      } else if (strncmp(a, valued[k], len) == 0 && a[len] == '=' && k < N_VALUED - 1) {
        opt = k;
        v = a + len + 1;
      }
    }
    if (opt == 0) {
      if (o->n_specs == MAX_OVERRIDES) return cli_usage_error("trace", "too many --input");
      o->specs[o->n_specs++] = (char *)v;
    } else if (opt == 1) {
      o->emit = NULL;
      for (size_t k = 0; k < sizeof formats / sizeof formats[0]; k++)
        if (strcmp(v, formats[k].name) == 0) o->emit = formats[k].emit;
      if (!o->emit)
        return cli_usage_error("trace", "--format takes text, markdown, latex or json, not "
                                        "'%s'", v);
      o->format_given = 1;
    } else if (opt == 2) {
      o->answers = v;
    } else if (opt == 3 || opt == 4) {
      if (tolerance(valued[opt], v, opt == 3 ? &o->rtol : &o->atol))
        return EXIT_USAGE;
    } else if (opt == 5) {
      char *end;
      long long n = strtoll(v, &end, 10);
      if (end == v || *end || n < 0)
        return cli_usage_error("trace", "--max-numbers takes a count >= 0 (0: no limit), "
                                        "not '%s'", v);
      o->fo.max_numbers = n;
    } else if (opt == 6) {
      o->output = v;
    } else if (a[0] == '-') {
      return cli_usage_error("trace", "unknown option '%s'", a);
    } else if (o->file) {
      return cli_usage_error("trace", "expected one model file");
    } else {
      o->file = a;
    }
  }
  if (!o->file) return cli_usage_error("trace", "expected a model file");
  if (o->answers && (o->format_given || o->output))
    return cli_usage_error("trace", "--check prints a verdict: it takes no --format or -o");
  char err[1024];
  nnd_path_use uses[] = {{"-o", o->output, 1, 0},
                         {"the model file", o->file, 0, 0},
                         {"--check", o->answers, 0, 0}};
  if (o->output && (nnd_paths_distinct(uses, 3, err, sizeof err) != 0 ||
                    nnd_output_check("-o", o->output, err, sizeof err) != 0))
    return cli_usage_error("trace", "%s", err);
  return EXIT_OK;
}

/* The trace in a format, to stdout or atomically to -o. */
static int write_trace(const trace_options *o, const nnd_model *m, nnd_session *s) {
  if (!o->output) {
    o->emit(m, s, &o->fo, stdout);
    return EXIT_OK;
  }
  char err[1024];
  nnd_output *out = NULL;
  if (nnd_output_open("-o", o->output, &out, err, sizeof err) != 0 ||
      (o->emit(m, s, &o->fo, nnd_output_stream(out)), nnd_output_commit(out, err, sizeof err)) != 0) {
    cli_error("trace", err);
    return EXIT_MODEL;
  }
  printf("wrote %s\n", o->output);
  return EXIT_OK;
}

/* --check: the JSON trace in memory, compared with the answers file. */
static int check_answers(const trace_options *o, const nnd_model *m, nnd_session *s) {
  char *json = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&json, &len);
  if (!mem) {
    cli_error("trace", "out of memory");
    return EXIT_MODEL;
  }
  trace_emit_json(m, s, &o->fo, mem);
  int status = fclose(mem) == 0 ? trace_check(o->answers, json, len, o->rtol, o->atol, stdout)
                                : (cli_error("trace", "out of memory"), EXIT_MODEL);
  free(json);
  return status;
}

int cmd_trace(int argc, char **argv) {
  trace_options o = {.emit = trace_emit_text, .rtol = 1e-3, .atol = 1e-4,
                     .fo = {.max_numbers = TRACE_DEFAULT_MAX_NUMBERS}};
  int status = parse_args(argc, argv, &o);
  if (status != EXIT_OK) return status;
  nnd_model *m = NULL;
  if (cli_compile(o.file, &m) != EXIT_OK) return EXIT_MODEL;
  nnd_session *s = NULL;
  char err[1024];
  nnd_session_options opts = {.size = sizeof opts, .backends = cli_options.backends};
  if (nnd_session_new(m, &opts, &s, err, sizeof err) != 0) {
    cli_error("trace", err);
    nnd_model_free(m);
    return EXIT_MODEL;
  }
  status = apply_inputs(m, s, o.specs, o.n_specs);
  if (status == EXIT_OK &&
      (nnd_session_forward(s, 1) != 0 || nnd_session_backward(s) != 0)) {
    cli_error("trace", nnd_session_error(s));
    status = EXIT_MODEL;
  }
  if (status == EXIT_OK)
    status = o.answers ? check_answers(&o, m, s) : write_trace(&o, m, s);
  nnd_session_free(s);
  nnd_model_free(m);
  return status;
}
