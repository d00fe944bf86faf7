/* model_api.c — the read-only view of a compiled model in nnd.h. */
#include <nnd/nnd.h>

#include "ir.h"

void nnd_model_free(nnd_model *m) { nnd_ir_free(m); }

const char *nnd_model_name(const nnd_model *m) { return m->name; }
const char *nnd_model_description(const nnd_model *m) {
  return m->description ? m->description : "";
}
int nnd_model_node_count(const nnd_model *m) { return m->n_nodes; }

const char *nnd_model_node_name(const nnd_model *m, int i) {
  return i >= 0 && i < m->n_nodes ? m->nodes[i].name : NULL;
}

const char *nnd_model_node_op(const nnd_model *m, int i) {
  if (i < 0 || i >= m->n_nodes) return NULL;
  switch (m->nodes[i].kind) {
  case NND_NODE_INPUT: return "input";
  case NND_NODE_PARAM: return "param";
  case NND_NODE_CONST: return "const";
  case NND_NODE_OP: return m->nodes[i].op->name;
  }
  return NULL;
}

int nnd_model_node_type(const nnd_model *m, int i, nnd_type *out) {
  if (i < 0 || i >= m->n_nodes) return -1;
  *out = m->nodes[i].type;
  return 0;
}

int64_t nnd_model_param_count(const nnd_model *m) { return nnd_ir_total_params(m, 1); }
