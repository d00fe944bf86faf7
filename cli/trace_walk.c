/* trace_walk.c — the traversal every trace format shares (trace.h), and the
 * rules for printing numbers and cutting large tensors that the formats
 * have in common. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

static const char *kind_name(const nnd_node *n) {
  return n->kind == NND_NODE_OP      ? n->op->name
         : n->kind == NND_NODE_INPUT ? "input"
         : n->kind == NND_NODE_PARAM ? "param"
                                     : "const";
}

void trace_walk(const nnd_model *m, nnd_session *s, const trace_emitter *e, void *ctx) {
  e->begin(ctx, m, nnd_session_batch(s));
  e->section(ctx, TRACE_FORWARD);
  for (int i = 0; i < m->n_nodes; i++) {
    const nnd_node *n = &m->nodes[i];
    nnd_tensor t;
    if (nnd_session_value(s, n->name, &t) != 0) continue;
    trace_item it = {.section = TRACE_FORWARD, .name = n->name, .kind = kind_name(n), .t = &t};
    e->item(ctx, &it);
  }
  e->section(ctx, TRACE_LOSSES);
  for (int i = 0; i < nnd_session_loss_count(s); i++) {
    trace_item it = {.section = TRACE_LOSSES};
    it.loss = nnd_session_loss_term(s, i, &it.name, &it.weight);
    e->item(ctx, &it);
  }
  trace_item total = {.section = TRACE_LOSSES, .name = "total loss",
                      .loss = nnd_session_loss(s), .weight = 1, .is_total = 1};
  e->item(ctx, &total);
  e->section(ctx, TRACE_GRADIENTS);
  /* labels have no gradient: parameters that train, and float inputs */
  for (int i = 0; i < m->n_nodes; i++) {
    const nnd_node *n = &m->nodes[i];
    int want = (n->kind == NND_NODE_PARAM && n->trainable) ||
               (n->kind == NND_NODE_INPUT && n->type.dtype == NND_FLOAT);
    nnd_tensor g;
    if (!want || nnd_session_grad(s, n->name, &g) != 0) continue;
    trace_item it = {.section = TRACE_GRADIENTS, .name = n->name,
                     .kind = n->kind == NND_NODE_INPUT ? "input" : "param", .t = &g};
    e->item(ctx, &it);
  }
  e->end(ctx);
}

const char *trace_float(float v, char *buf, size_t size) {
  if (isnan(v)) return "NaN";
  if (isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  /* 9 significant digits always round-trip a float; fewer often do */
  for (int digits = 6; digits <= 9; digits++) {
    snprintf(buf, size, "%.*g", digits, (double)v);
    if (strtof(buf, NULL) == v) break;
  }
  return buf;
}

const char *trace_number(double v, char *buf, size_t size) {
  if (!isfinite(v) || (double)(float)v == v) return trace_float((float)v, buf, size);
  for (int digits = 9; digits <= 17; digits++) {
    snprintf(buf, size, "%.*g", digits, v);
    if (strtod(buf, NULL) == v) break;
  }
  return buf;
}

trace_view trace_view_of(const nnd_tensor *t) {
  trace_view v = {1, 0, 0};
  if (t->ndim == 0) return v;
  v.cols = t->dim[t->ndim - 1];
  v.rows = t->ndim >= 2 ? t->dim[t->ndim - 2] : 1;
  v.slices = v.rows * v.cols > 0 ? t->numel / (v.rows * v.cols) : 0;
  return v;
}

int64_t trace_shown(int64_t len, int64_t max, int64_t edge) {
  return len <= max ? len : 2 * edge + 1;
}

int64_t trace_shown_at(int64_t len, int64_t max, int64_t edge, int64_t k) {
  if (len <= max || k < edge) return k;
  if (k == edge) return -1;
  return len - (2 * edge + 1 - k);
}

const char *trace_slice_label(const nnd_tensor *t, int64_t slice, char *buf, size_t size) {
  buf[0] = '\0';
  if (t->ndim <= 2) return buf;
  int lead = t->ndim - 2;
  int64_t idx[NND_MAX_DIMS + 1];
  for (int d = lead - 1; d >= 0; d--) {
    idx[d] = t->dim[d] ? slice % t->dim[d] : 0;
    slice = t->dim[d] ? slice / t->dim[d] : 0;
  }
  size_t len = (size_t)snprintf(buf, size, "[");
  for (int d = 0; d < lead && len < size; d++)
    len += (size_t)snprintf(buf + len, size - len, "%lld, ", (long long)idx[d]);
  if (len < size) snprintf(buf + len, size - len, ":, :]");
  return buf;
}

const char *trace_dims(const nnd_tensor *t, char *buf, size_t size) {
  size_t len = (size_t)snprintf(buf, size, "[");
  for (int i = 0; i < t->ndim && len < size; i++)
    len += (size_t)snprintf(buf + len, size - len, "%s%lld", i ? ", " : "",
                            (long long)t->dim[i]);
  if (len < size) snprintf(buf + len, size - len, "]");
  return buf;
}
