/* trace_markdown.c — `nnd trace --format markdown`: a document for a
 * handout or a notebook. A heading per section; the forward section opens
 * with a table of the nodes (name, op, shape); then every value and gradient
 * under its own heading, a matrix as a table (column indices on top, row
 * indices in bold), a tensor of higher rank as a table per 2-D slice, cut as
 * trace.h says; the losses as one table. Numbers to 6 significant digits, as
 * the terminal shows them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

typedef struct {
  FILE *out;
  FILE *detail; /* the forward section's values, after its table */
  char *buf;
  size_t len;
} md_ctx;

/* A name as a code span: backticks around it, doubled (with spaces) when the
 * name holds one; in a table cell a bar is escaped too; control characters
 * are written as C escapes. */
static void code(FILE *out, const char *prefix, const char *name, int in_table) {
  int tick = strchr(name, '`') != NULL;
  fputs(tick ? "`` " : "`", out);
  for (const char *p = prefix; *p; p++) fputc(*p, out);
  for (const char *p = name; *p; p++) {
    /* a control character (name="a\nb") would end the line, and the table */
    unsigned char ch = (unsigned char)*p;
    if (ch == '\n') fputs("\\n", out);
    else if (ch == '\t') fputs("\\t", out);
    else if (ch < 0x20 || ch == 0x7F) fprintf(out, "\\x%02X", ch);
    else if (in_table && ch == '|') fputs("\\|", out);
    else fputc(ch, out);
  }
  fputs(tick ? " ``" : "`", out);
}

static void num(FILE *out, float v) { fprintf(out, "%.6g", (double)v); }

static void begin(void *ctx, const nnd_model *m, int batch) {
  md_ctx *c = ctx;
  fputs("# Trace of ", c->out);
  code(c->out, "", m->name, 0);
  fprintf(c->out, " (batch %d)\n\n", batch);
  if (m->description && *m->description) fprintf(c->out, "%s\n\n", m->description);
  fprintf(c->out,
          "One forward and backward pass by nnd %s: the value of every node in order, each "
          "loss and the total, then the gradient of the total loss L with respect to every "
          "trainable parameter and every float input. Numbers to 6 significant digits "
          "(`nnd trace --format json` has every number in full). A matrix is a table with "
          "its column indices on top and its row indices in bold; a tensor of higher rank "
          "is one table per slice over its last two dimensions. A dimension longer than %d "
          "shows its first and last %d entries, and a tensor of more than %d slices its "
          "first and last %d slices.\n",
          nnd_version(), TRACE_MAX_LEN, TRACE_EDGE, TRACE_MAX_SLICES, TRACE_EDGE_SLICES);
  /* the forward section opens with a table of the nodes; their values
     follow it, so they wait in memory until the table is done */
  fputs("\n## Forward\n\n| node | op | shape |\n|---|---|---|\n", c->out);
  c->detail = open_memstream(&c->buf, &c->len);
}

/* The forward section's values, once its table is complete. */
static void flush_detail(md_ctx *c) {
  if (c->detail && fclose(c->detail) == 0) fwrite(c->buf, 1, c->len, c->out);
  else if (c->detail) fputs("\n(out of memory)\n", c->out);
  free(c->buf);
  c->detail = NULL;
  c->buf = NULL;
}

static void section(void *ctx, trace_section s) {
  md_ctx *c = ctx;
  if (s != TRACE_FORWARD) flush_detail(c);
  if (s == TRACE_LOSSES)
    fputs("\n## Losses\n\n| loss | value | weight |\n|---|---|---|\n", c->out);
  else if (s == TRACE_GRADIENTS)
    fputs("\n## Gradients\n", c->out);
}

/* One 2-D slice (or a vector as one row) as a table. */
static void slice_table(FILE *out, const nnd_tensor *t, trace_view v, int64_t slice) {
  int64_t ncols = trace_shown(v.cols, TRACE_MAX_LEN, TRACE_EDGE);
  int64_t nrows = trace_shown(v.rows, TRACE_MAX_LEN, TRACE_EDGE);
  /* a matrix has a column of row indices; a vector is one row without */
  int labels = t->ndim >= 2;
  fputs(labels ? "|  " : "", out);
  for (int64_t k = 0; k < ncols; k++) {
    int64_t j = trace_shown_at(v.cols, TRACE_MAX_LEN, TRACE_EDGE, k);
    fputs(labels || k ? " | " : "| ", out);
    if (j < 0) fputs("…", out);
    else fprintf(out, "%lld", (long long)j);
  }
  fputs(" |\n", out);
  for (int64_t k = 0; k < ncols + labels; k++) fputs("|---", out);
  fputs("|\n", out);
  const float *base = t->data + slice * v.rows * v.cols;
  for (int64_t r = 0; r < nrows; r++) {
    int64_t i = trace_shown_at(v.rows, TRACE_MAX_LEN, TRACE_EDGE, r);
    if (!labels) {
      /* no row label */
    } else if (i < 0) {
      fputs("| ⋮", out);
    } else {
      fprintf(out, "| **%lld**", (long long)i);
    }
    for (int64_t k = 0; k < ncols; k++) {
      int64_t j = trace_shown_at(v.cols, TRACE_MAX_LEN, TRACE_EDGE, k);
      fputs(labels || k ? " | " : "| ", out);
      if (i < 0) fputs(j < 0 ? "⋱" : "⋮", out);
      else if (j < 0) fputs("…", out);
      else num(out, base[i * v.cols + j]);
    }
    fputs(" |\n", out);
  }
}

static void tensor(FILE *out, const nnd_tensor *t) {
  trace_view v = trace_view_of(t);
  if (t->ndim == 0) {
    fputs("\n", out);
    num(out, t->data[0]);
    fputs("\n", out);
    return;
  }
  if (v.slices == 0) {
    fputs("\n(no elements)\n", out);
    return;
  }
  int64_t n = trace_shown(v.slices, TRACE_MAX_SLICES, TRACE_EDGE_SLICES);
  for (int64_t k = 0; k < n; k++) {
    int64_t s = trace_shown_at(v.slices, TRACE_MAX_SLICES, TRACE_EDGE_SLICES, k);
    char label[256];
    if (s < 0) {
      fprintf(out, "\n… (%lld slices not shown)\n",
              (long long)(v.slices - 2 * TRACE_EDGE_SLICES));
      continue;
    }
    trace_slice_label(t, s, label, sizeof label);
    if (label[0]) fprintf(out, "\nslice `%s`:\n", label);
    fputs("\n", out);
    slice_table(out, t, v, s);
  }
}

static void item(void *ctx, const trace_item *it) {
  md_ctx *c = ctx;
  char buf[64];
  if (it->section == TRACE_LOSSES) {
    fputs("| ", c->out);
    code(c->out, "", it->name, 1);
    fprintf(c->out, " | %.6g | ", it->loss);
    if (!it->is_total) fprintf(c->out, "%g", it->weight);
    fputs(" |\n", c->out);
    return;
  }
  trace_dims(it->t, buf, sizeof buf);
  FILE *out = c->out;
  if (it->section == TRACE_FORWARD) {
    fputs("| ", c->out);
    code(c->out, "", it->name, 1);
    fprintf(c->out, " | %s | %s |\n", it->kind, buf);
    if (c->detail) out = c->detail;
  }
  fputs("\n### ", out);
  code(out, it->section == TRACE_GRADIENTS ? "dL/d" : "", it->name, 0);
  fprintf(out, " — %s, %s\n", it->kind, buf);
  tensor(out, it->t);
}

static void end(void *ctx) { flush_detail(ctx); }

void trace_emit_markdown(const nnd_model *m, nnd_session *s, const trace_format_options *o,
                         FILE *out) {
  (void)o;
  static const trace_emitter e = {begin, section, item, end};
  md_ctx c = {.out = out};
  trace_walk(m, s, &e, &c);
}
