/* trace_text.c — `nnd trace --format text` (the default): the terminal
 * layout, names and ops in aligned columns, tensors as nested lists of
 * numbers to 6 significant digits, at most 256 numbers each. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "trace.h"

typedef struct {
  FILE *out;
  int w, w_op;
} text_ctx;

static void begin(void *ctx, const nnd_model *m, int batch) {
  text_ctx *c = ctx;
  size_t w = strlen("total loss"), w_op = 5;
  for (int i = 0; i < m->n_nodes; i++) {
    if (strlen(m->nodes[i].name) > w) w = strlen(m->nodes[i].name);
    if (m->nodes[i].kind == NND_NODE_OP && strlen(m->nodes[i].op->name) > w_op)
      w_op = strlen(m->nodes[i].op->name);
  }
  w += 4; /* room for "dL/d" */
  if (w > 44) w = 44;
  c->w = (int)w;
  c->w_op = (int)w_op;
  fprintf(c->out, "model %s, batch %d\n", m->name, batch);
}

static void section(void *ctx, trace_section s) {
  text_ctx *c = ctx;
  fputs(s == TRACE_FORWARD ? "\nforward\n" : s == TRACE_LOSSES ? "\nlosses\n" : "\ngradients\n",
        c->out);
}

static void item(void *ctx, const trace_item *it) {
  text_ctx *c = ctx;
  char shape[128], label[128];
  if (it->section == TRACE_LOSSES) {
    fprintf(c->out, "  %-*s  %.6g", c->w, it->name, it->loss);
    if (it->weight != 1) fprintf(c->out, "  (weight %g)", it->weight);
    fputc('\n', c->out);
    return;
  }
  const char *name = it->name;
  if (it->section == TRACE_GRADIENTS) {
    snprintf(label, sizeof label, "dL/d%s", it->name);
    name = label;
  }
  fprintf(c->out, "  %-*s  %-*s  %-16s ", c->w, name, c->w_op, it->kind,
          trace_dims(it->t, shape, sizeof shape));
  cli_print_tensor(c->out, it->t, 256);
  fputc('\n', c->out);
}

static void end(void *ctx) { (void)ctx; }

void trace_emit_text(const nnd_model *m, nnd_session *s, const trace_format_options *o,
                     FILE *out) {
  (void)o;
  static const trace_emitter e = {begin, section, item, end};
  text_ctx c = {.out = out};
  trace_walk(m, s, &e, &c);
}
