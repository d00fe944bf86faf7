/* ir.c — see ir.h. */
#include "ir.h"

#include <stdlib.h>
#include <string.h>

#include "shape.h"

nnd_model *nnd_ir_new(const char *path) {
  nnd_model *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  nnd_arena_init(&m->arena);
  m->path = nnd_arena_strdup(&m->arena, path ? path : "<string>");
  const char *slash = m->path ? strrchr(m->path, '/') : NULL;
  m->dir = slash ? nnd_arena_strndup(&m->arena, m->path, (size_t)(slash - m->path + 1))
                 : nnd_arena_strdup(&m->arena, "");
  if (!m->path || !m->dir) {
    nnd_ir_free(m);
    return NULL;
  }
  return m;
}

void nnd_ir_free(nnd_model *m) {
  if (!m) return;
  free(m->nodes);
  free(m->losses);
  nnd_arena_free(&m->arena);
  free(m);
}

int nnd_ir_add(nnd_model *m, const nnd_node *node) {
  if (m->n_nodes == m->cap_nodes) {
    int cap = m->cap_nodes ? m->cap_nodes * 2 : 64;
    nnd_node *nodes = realloc(m->nodes, (size_t)cap * sizeof *nodes);
    if (!nodes) return -1;
    m->nodes = nodes;
    m->cap_nodes = cap;
  }
  nnd_node *n = &m->nodes[m->n_nodes];
  *n = *node;
  n->id = m->n_nodes;
  n->name = nnd_arena_strdup(&m->arena, node->name ? node->name : "");
  if (!n->name) return -1;
  if (node->n_inputs > 0) {
    n->inputs = nnd_arena_alloc(&m->arena, (size_t)node->n_inputs * sizeof *n->inputs);
    if (!n->inputs) return -1;
    memcpy(n->inputs, node->inputs, (size_t)node->n_inputs * sizeof *n->inputs);
  }
  return m->n_nodes++;
}

int nnd_ir_add_loss(nnd_model *m, int node, double weight, nnd_srcloc loc) {
  if (m->n_losses == m->cap_losses) {
    int cap = m->cap_losses ? m->cap_losses * 2 : 8;
    nnd_loss_term *l = realloc(m->losses, (size_t)cap * sizeof *l);
    if (!l) return -1;
    m->losses = l;
    m->cap_losses = cap;
  }
  m->losses[m->n_losses++] = (nnd_loss_term){node, weight, loc};
  return 0;
}

const nnd_node *nnd_ir_find(const nnd_model *m, const char *name) {
  for (int i = 0; i < m->n_nodes; i++)
    if (strcmp(m->nodes[i].name, name) == 0) return &m->nodes[i];
  return NULL;
}

const nnd_setting *nnd_ir_setting(const nnd_model *m, const char *key) {
  for (int i = 0; i < m->n_settings; i++)
    if (strcmp(m->settings[i].key, key) == 0) return &m->settings[i];
  return NULL;
}

int64_t nnd_ir_param_count(const nnd_model *m, const nnd_node *n) {
  if (n->kind == NND_NODE_PARAM) return nnd_type_numel(&n->type);
  if (n->kind != NND_NODE_OP) return 0;
  int64_t total = 0;
  for (int i = n->n_data_inputs; i < n->n_inputs; i++)
    total += nnd_type_numel(&m->nodes[n->inputs[i]].type);
  return total;
}

int64_t nnd_ir_total_params(const nnd_model *m, int trainable_only) {
  int64_t total = 0;
  for (int i = 0; i < m->n_nodes; i++) {
    const nnd_node *n = &m->nodes[i];
    if (n->kind == NND_NODE_PARAM && (!trainable_only || n->trainable))
      total += nnd_type_numel(&n->type);
  }
  return total;
}
