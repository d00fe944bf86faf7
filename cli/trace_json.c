/* trace_json.c — `nnd trace --format json`, for autograders and notebooks
 * (the schema: doc/trace-json.md). One object per node value and per
 * gradient, keyed by the node's name; every number in full: the shortest
 * decimal that reads back as the same float. JSON has no NaN or infinity:
 * those are the strings "NaN", "Infinity" and "-Infinity" (what Python's
 * float() and JavaScript's Number() read). Strings are encoded by Jansson;
 * the layout (one entry per line, a tensor's numbers on that line) is ours,
 * so the file stays readable. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

typedef struct {
  FILE *out;
  int first;      /* no entry yet in the current object */
  double total;
  int64_t max_numbers;
} json_ctx;

/* A string as JSON. Jansson refuses text that is not UTF-8; such bytes
 * become '?' so the file stays valid. */
static void str(FILE *out, const char *s) {
  json_t *j = json_string(s);
  if (!j) {
    char *copy = strdup(s);
    for (unsigned char *p = (unsigned char *)copy; copy && *p; p++)
      if (*p >= 0x80) *p = '?';
    j = copy ? json_string(copy) : NULL;
    free(copy);
  }
  char *text = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
  fputs(text ? text : "\"\"", out);
  free(text);
  json_decref(j);
}

static void number(FILE *out, const char *digits) {
  /* the non-finite names are strings; digits are bare */
  if (digits[0] == 'N' || digits[0] == 'I' || digits[1] == 'I') fprintf(out, "\"%s\"", digits);
  else fputs(digits, out);
}

static void data(FILE *out, const nnd_tensor *t, int d, int64_t *at) {
  char buf[32];
  if (t->ndim == 0) {
    number(out, trace_float(t->data[0], buf, sizeof buf));
    return;
  }
  fputc('[', out);
  for (int64_t i = 0; i < t->dim[d]; i++) {
    if (i) fputs(", ", out);
    if (d == t->ndim - 1) number(out, trace_float(t->data[(*at)++], buf, sizeof buf));
    else data(out, t, d + 1, at);
  }
  fputc(']', out);
}

/* A tensor too large to write whole: its count, range and mean (NaN, if
 * any, makes them NaN). */
static void summary(FILE *out, const nnd_tensor *t) {
  double lo = t->data[0], hi = t->data[0], sum = 0;
  int nan = 0;
  for (int64_t i = 0; i < t->numel; i++) {
    double v = t->data[i];
    nan |= v != v;
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
    sum += v;
  }
  char buf[32];
  fprintf(out, "\"summary\": {\"numel\": %lld, \"min\": ", (long long)t->numel);
  number(out, trace_number(nan ? NAN : lo, buf, sizeof buf));
  fputs(", \"max\": ", out);
  number(out, trace_number(nan ? NAN : hi, buf, sizeof buf));
  fputs(", \"mean\": ", out);
  number(out, trace_number(sum / (double)t->numel, buf, sizeof buf));
  fputs("}", out);
}

static void begin(void *ctx, const nnd_model *m, int batch) {
  json_ctx *c = ctx;
  fputs("{\n  \"format\": \"nnd-trace\",\n  \"version\": 1,\n  \"model\": ", c->out);
  str(c->out, m->name);
  fprintf(c->out, ",\n  \"batch\": %d", batch);
}

static void close_object(json_ctx *c) { fputs(c->first ? "}" : "\n  }", c->out); }

static void section(void *ctx, trace_section s) {
  json_ctx *c = ctx;
  if (s != TRACE_FORWARD) close_object(c);
  if (s == TRACE_GRADIENTS) {
    char buf[32];
    fputs(",\n  \"total_loss\": ", c->out);
    number(c->out, trace_number(c->total, buf, sizeof buf));
  }
  fprintf(c->out, ",\n  \"%s\": {",
          s == TRACE_FORWARD ? "values" : s == TRACE_LOSSES ? "losses" : "gradients");
  c->first = 1;
}

static void item(void *ctx, const trace_item *it) {
  json_ctx *c = ctx;
  char buf[32];
  if (it->is_total) {
    c->total = it->loss; /* written between the losses and the gradients */
    return;
  }
  fputs(c->first ? "\n    " : ",\n    ", c->out);
  c->first = 0;
  str(c->out, it->name);
  if (it->section == TRACE_LOSSES) {
    fputs(": {\"value\": ", c->out);
    number(c->out, trace_number(it->loss, buf, sizeof buf));
    fputs(", \"weight\": ", c->out);
    number(c->out, trace_number(it->weight, buf, sizeof buf));
    fputs("}", c->out);
    return;
  }
  fprintf(c->out, ": {\"%s\": ", it->section == TRACE_FORWARD ? "op" : "of");
  str(c->out, it->kind);
  fputs(", \"shape\": [", c->out);
  for (int d = 0; d < it->t->ndim; d++)
    fprintf(c->out, "%s%lld", d ? ", " : "", (long long)it->t->dim[d]);
  fputs("], ", c->out);
  if (c->max_numbers > 0 && it->t->numel > c->max_numbers) {
    summary(c->out, it->t);
  } else {
    int64_t at = 0;
    fputs("\"data\": ", c->out);
    data(c->out, it->t, 0, &at);
  }
  fputs("}", c->out);
}

static void end(void *ctx) {
  json_ctx *c = ctx;
  close_object(c);
  fputs("\n}\n", c->out);
}

void trace_emit_json(const nnd_model *m, nnd_session *s, const trace_format_options *o,
                     FILE *out) {
  static const trace_emitter e = {begin, section, item, end};
  json_ctx c = {.out = out, .max_numbers = o->max_numbers};
  trace_walk(m, s, &e, &c);
}
