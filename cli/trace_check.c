/* trace_check.c — `nnd trace FILE --check ANSWERS`: a student's or a
 * textbook's numbers, in the schema of `--format json` (any subset of its
 * keys), compared with nnd's. Each wrong number is named by its jq path
 * (.gradients.w.data[0][4]) with the answer, nnd's number and the
 * difference; each key nnd does not have is named with the closest one it
 * has. A number is right when |answer - nnd| <= atol + rtol * |nnd| (as
 * numpy.isclose); NaN and infinity are never right, on either side. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "suggest.h"
#include "trace.h"

enum { MAX_SHOWN_PER_KEY = 10 };

typedef struct {
  FILE *out;
  double rtol, atol;
  long numbers, names, wrong, wrong_names, unknown;
} check_ctx;

/* ".values.z", ".gradients[\"p1.weight\"]": jq's syntax, so a path can be
 * pasted into jq. */
static void path_key(char *path, size_t size, const char *parent, const char *key) {
  int plain = (key[0] && !(key[0] >= '0' && key[0] <= '9'));
  for (const char *p = key; *p && plain; p++)
    plain = (*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
             (*p >= '0' && *p <= '9'));
  if (plain) {
    snprintf(path, size, "%s.%s", parent, key);
    return;
  }
  json_t *j = json_string(key);
  char *quoted = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
  snprintf(path, size, "%s[%s]", parent, quoted ? quoted : "\"?\"");
  free(quoted);
  json_decref(j);
}

/* ---- numbers, flattened in row-major order */

typedef struct {
  double *v;
  json_t **src; /* the answer's JSON value of each number (for messages) */
  size_t n, cap;
  int not_numeric; /* an object inside: not a tensor at all */
} flat;

static void flat_push(flat *f, double v, json_t *src) {
  if (f->n == f->cap) {
    size_t cap = f->cap ? 2 * f->cap : 64;
    double *v2 = realloc(f->v, cap * sizeof *v2);
    if (v2) f->v = v2;
    json_t **s2 = realloc(f->src, cap * sizeof *s2);
    if (s2) f->src = s2;
    if (!v2 || !s2) {
      f->not_numeric = 1;
      return;
    }
    f->cap = cap;
  }
  f->v[f->n] = v;
  f->src[f->n++] = src;
}

/* A JSON value as a number: the strings nnd writes for non-finite values
 * (and their lower-case spellings) as such, anything else that is no
 * number as NaN, so it can never be right. */
static double as_number(json_t *j) {
  if (json_is_number(j)) return json_number_value(j);
  const char *s = json_string_value(j);
  if (s && (strcmp(s, "Infinity") == 0 || strcmp(s, "inf") == 0)) return INFINITY;
  if (s && (strcmp(s, "-Infinity") == 0 || strcmp(s, "-inf") == 0)) return -INFINITY;
  return NAN;
}

static void flatten(json_t *j, flat *f) {
  if (json_is_array(j)) {
    size_t i;
    json_t *x;
    json_array_foreach(j, i, x) flatten(x, f);
  } else if (json_is_object(j)) {
    f->not_numeric = 1;
  } else {
    flat_push(f, as_number(j), j);
  }
}

/* The dimensions of nnd's nested array (it is regular: nnd wrote it). */
static int dims_of(json_t *j, size_t *dims, int max) {
  int n = 0;
  while (json_is_array(j) && n < max) {
    dims[n++] = json_array_size(j);
    j = json_array_get(j, 0);
  }
  return n;
}

static void print_dims(FILE *out, const size_t *dims, int n) {
  fputc('[', out);
  for (int i = 0; i < n; i++) fprintf(out, "%s%zu", i ? ", " : "", dims[i]);
  fputc(']', out);
}

/* How an answer's number prints: its own text for strings and null. */
static void print_answer(FILE *out, json_t *src) {
  if (json_is_number(src)) {
    fprintf(out, "%.9g", json_number_value(src));
    return;
  }
  char *text = json_dumps(src, JSON_ENCODE_ANY);
  fputs(text ? text : "?", out);
  free(text);
}

static void compare_numbers(check_ctx *c, const char *path, json_t *answer, json_t *nnd) {
  flat a = {0}, b = {0};
  flatten(answer, &a);
  flatten(nnd, &b);
  size_t dims[NND_MAX_DIMS + 2];
  int nd = dims_of(nnd, dims, NND_MAX_DIMS + 2);
  if (a.not_numeric) {
    fprintf(c->out, "%s: not a number or an array of numbers\n", path);
    c->wrong++, c->numbers++;
  } else if (a.n != b.n) {
    fprintf(c->out, "%s: %zu number%s, nnd's ", path, a.n, a.n == 1 ? "" : "s");
    print_dims(c->out, dims, nd);
    fprintf(c->out, " has %zu\n", b.n);
    c->wrong++, c->numbers++;
  } else {
    long wrong_here = 0;
    for (size_t i = 0; i < a.n; i++) {
      double x = a.v[i], y = b.v[i];
      int finite = isfinite(x) && isfinite(y);
      /* written so that a NaN anywhere is wrong */
      int right = finite && fabs(x - y) <= c->atol + c->rtol * fabs(y);
      c->numbers++;
      if (right) continue;
      c->wrong++;
      if (++wrong_here > MAX_SHOWN_PER_KEY) continue;
      fputs(path, c->out);
      size_t rest = i;
      for (int d = 0; d < nd; d++) {
        size_t stride = 1;
        for (int e = d + 1; e < nd; e++) stride *= dims[e];
        fprintf(c->out, "[%zu]", rest / stride);
        rest %= stride;
      }
      fputs(": ", c->out);
      print_answer(c->out, a.src[i]);
      char buf[32];
      const char *mine = trace_number(y, buf, sizeof buf);
      if (!isfinite(x))
        fprintf(c->out, " is not a finite number, nnd has %s\n", mine);
      else if (!isfinite(y))
        fprintf(c->out, " is wrong: nnd has %s, not a finite number, which no answer "
                        "matches\n", mine);
      else if (y != 0)
        fprintf(c->out, " is wrong, nnd has %s (off by %.3g, %.3g%%)\n", mine, fabs(x - y),
                100 * fabs(x - y) / fabs(y));
      else
        fprintf(c->out, " is wrong, nnd has %s (off by %.3g)\n", mine, fabs(x - y));
    }
    if (wrong_here > MAX_SHOWN_PER_KEY)
      fprintf(c->out, "%s: and %ld more wrong numbers\n", path,
              wrong_here - MAX_SHOWN_PER_KEY);
  }
  free(a.v), free(a.src), free(b.v), free(b.src);
}

/* ---- keys */

static void unknown_key(check_ctx *c, const char *parent, const char *key, json_t *nnd) {
  char path[1024], hint[1024];
  path_key(path, sizeof path, parent, key);
  c->unknown++;
  const char *k;
  json_t *v;
  nnd_suggest sg;
  nnd_suggest_init(&sg, key);
  json_object_foreach(nnd, k, v) nnd_suggest_offer(&sg, k);
  /* homework names are often one letter (w, b, x), which the compiler's rule
     never guesses: here one edit away is close enough, as the path around
     the key already narrows it down */
  json_object_foreach(nnd, k, v) if (!sg.best && nnd_edit_distance(key, k, 1) <= 1) sg.best = k;
  /* "dL/dw" is how the text trace labels the gradient of w */
  if (strncmp(key, "dL/d", 4) == 0 && json_object_get(nnd, key + 4)) sg.best = key + 4;
  if (sg.best) {
    path_key(hint, sizeof hint, parent, sg.best);
    fprintf(c->out, "%s: no such key (did you mean %s?)\n", path, hint);
    return;
  }
  fprintf(c->out, "%s: no such key; nnd has", path);
  int n = 0;
  json_object_foreach(nnd, k, v) {
    if (n++ == 8) {
      fputs(", ...", c->out);
      break;
    }
    fprintf(c->out, "%s \"%s\"", n > 1 ? "," : "", k);
  }
  fputc('\n', c->out);
}

/* How nnd writes a number JSON cannot hold. */
static int non_finite_name(const char *s) {
  return strcmp(s, "NaN") == 0 || strcmp(s, "Infinity") == 0 || strcmp(s, "-Infinity") == 0;
}

static void compare(check_ctx *c, const char *path, json_t *answer, json_t *nnd) {
  if (json_is_object(nnd)) {
    if (!json_is_object(answer)) {
      fprintf(c->out, "%s: expected an object, as nnd's\n", path);
      c->wrong++, c->numbers++;
      return;
    }
    const char *k;
    json_t *v;
    json_object_foreach(answer, k, v) {
      json_t *mine = json_object_get(nnd, k);
      char sub[1024];
      path_key(sub, sizeof sub, path, k);
      if (!mine) unknown_key(c, path, k, nnd);
      else compare(c, sub, v, mine);
    }
  } else if (json_is_string(nnd) && !non_finite_name(json_string_value(nnd))) {
    /* a name: the model, an op */
    c->names++;
    if (!json_is_string(answer) || strcmp(json_string_value(answer), json_string_value(nnd))) {
      c->wrong_names++;
      fprintf(c->out, "%s: ", path);
      print_answer(c->out, answer);
      fprintf(c->out, " is wrong, nnd has \"%s\"\n", json_string_value(nnd));
    }
  } else {
    compare_numbers(c, path, answer, nnd);
  }
}

static void read_error(const char *path, const json_error_t *e) {
  char msg[1200];
  if (e->line > 0)
    snprintf(msg, sizeof msg, "--check %s:%d:%d: %s", path, e->line, e->column, e->text);
  else
    snprintf(msg, sizeof msg, "--check %s: %s", path, e->text);
  cli_error("trace", msg);
}

int trace_check(const char *answers_path, const char *nnd_json, size_t len, double rtol,
                double atol, FILE *out) {
  json_error_t e;
  json_t *answers = json_load_file(answers_path, JSON_REJECT_DUPLICATES, &e);
  if (!answers) {
    read_error(answers_path, &e);
    return EXIT_USAGE;
  }
  json_t *nnd = json_loadb(nnd_json, len, 0, &e);
  if (!nnd) {
    read_error("(nnd's own trace)", &e);
    json_decref(answers);
    return EXIT_MODEL;
  }
  char msg[1200];
  int status = EXIT_OK;
  if (!json_is_object(answers)) {
    snprintf(msg, sizeof msg, "%s: expected a JSON object (the schema of `nnd trace "
                              "--format json`, any subset of its keys)", answers_path);
    cli_error("trace", msg);
    status = EXIT_USAGE;
  } else {
    check_ctx c = {.out = out, .rtol = rtol, .atol = atol};
    compare(&c, "", answers, nnd);
    if (c.numbers + c.names == 0 && c.unknown == 0) {
      snprintf(msg, sizeof msg, "%s: nothing to check (no key of `nnd trace --format json`)",
               answers_path);
      cli_error("trace", msg);
      status = EXIT_USAGE;
    } else if (c.wrong || c.wrong_names || c.unknown) {
      fprintf(out, "%ld of %ld numbers wrong", c.wrong, c.numbers);
      if (c.names) fprintf(out, ", %ld of %ld names wrong", c.wrong_names, c.names);
      if (c.unknown) fprintf(out, ", %ld unknown key%s", c.unknown, c.unknown == 1 ? "" : "s");
      fprintf(out, " (tolerance: relative %g, absolute %g)\n", rtol, atol);
      status = EXIT_MODEL;
    } else {
      fprintf(out, "all %ld numbers", c.numbers);
      if (c.names) fprintf(out, " and %ld name%s", c.names, c.names == 1 ? "" : "s");
      fprintf(out, " right (tolerance: relative %g, absolute %g)\n", rtol, atol);
    }
  }
  json_decref(answers);
  json_decref(nnd);
  return status;
}
