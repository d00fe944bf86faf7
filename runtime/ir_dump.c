/* ir_dump.c — the stable text form of a model's IR, for golden tests and for
 * people reading what the compiler made of their file. One line per node, in
 * order; attributes in schema order; numbers printed with %.9g. The format
 * changes only with its version line. */
#include <stdio.h>
#include <stdlib.h>

#include "attr.h"
#include "ir.h"
#include "ir_dump.h"
#include "shape.h"

static void put_type(FILE *out, const nnd_type *t) {
  char b[256];
  fputs(nnd_shape_str_batch(t, b, sizeof b), out);
  if (t->dtype == NND_CLASS) fprintf(out, " class[%lld]", (long long)t->classes);
  else if (t->dtype == NND_BINARY) fputs(" binary", out);
  else fputs(" f32", out);
}

static void put_value(FILE *out, const nnd_value *v) {
  char small[512];
  size_t n = nnd_value_format(v, small, sizeof small);
  if (n < sizeof small) {
    fputs(small, out);
    return;
  }
  char *big = malloc(n + 1);
  if (!big) {
    fputs("<value too large to print>", out);
    return;
  }
  nnd_value_format(v, big, n + 1);
  fputs(big, out);
  free(big);
}

void nnd_ir_dump(const nnd_model *m, FILE *out) {
  fprintf(out, "# nnd ir 1\nmodel %s", m->name);
  if (m->description && m->description[0]) {
    nnd_value d = {.kind = NND_VAL_STRING, .str = m->description};
    fputc(' ', out);
    put_value(out, &d);
  }
  fputc('\n', out);
  for (int i = 0; i < m->n_nodes; i++) {
    const nnd_node *n = &m->nodes[i];
    fprintf(out, "%%%d = ", n->id);
    switch (n->kind) {
    case NND_NODE_INPUT: fprintf(out, "input %s : ", n->name); break;
    case NND_NODE_PARAM:
      fprintf(out, "param %s : ", n->name);
      break;
    case NND_NODE_CONST: fprintf(out, "const %s : ", n->name); break;
    case NND_NODE_OP:
      fprintf(out, "%s %s(", n->op->name, n->name);
      for (int k = 0; k < n->n_inputs; k++)
        fprintf(out, "%s%%%d", k == 0 ? "" : k == n->n_data_inputs ? "; " : ", ",
                n->inputs[k]);
      fputc(')', out);
      for (int a = 0; a < n->op->n_attrs; a++) {
        if (n->attrs[a].kind == NND_VAL_NONE || n->op->attrs[a].type == NND_ATTR_INIT)
          continue;
        fprintf(out, " %s=", n->op->attrs[a].name);
        put_value(out, &n->attrs[a]);
      }
      fputs(" : ", out);
      break;
    }
    put_type(out, &n->type);
    if (n->class_names) {
      fputs(" names=[", out);
      for (int k = 0; k < n->type.classes; k++) {
        nnd_value s = {.kind = NND_VAL_STRING, .str = n->class_names[k]};
        if (k) fputs(", ", out);
        put_value(out, &s);
      }
      fputc(']', out);
    }
    if (n->kind == NND_NODE_PARAM) {
      fputs(n->value.kind == NND_VAL_CALL ? " init=" : " value=", out);
      put_value(out, &n->value);
      if (!n->trainable) fputs(" frozen", out);
    } else if (n->value.kind != NND_VAL_NONE) {
      fputs(" value=", out);
      put_value(out, &n->value);
    }
    fputc('\n', out);
  }
  for (int i = 0; i < m->n_losses; i++)
    fprintf(out, "loss %%%d * %.9g\n", m->losses[i].node, m->losses[i].weight);
  for (int i = 0; i < m->n_settings; i++) {
    fprintf(out, "train %s = ", m->settings[i].key);
    put_value(out, &m->settings[i].value);
    fputc('\n', out);
  }
}
