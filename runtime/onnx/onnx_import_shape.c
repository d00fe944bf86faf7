/* onnx_import_shape.c — the small integer computations PyTorch's exports
 * put around a Reshape (Shape, Gather, Unsqueeze, Squeeze, Concat of
 * constants), done at import, and the zero-width Pad it puts before its
 * average pools. */
#include <string.h>

#include "onnx_import_internal.h"

/* PyTorch writes x.reshape(x.shape[0], -1) as Shape, Gather, Unsqueeze,
 * Concat and Reshape. Those small integer computations are done here, with
 * the batch size kept as a marker that only a Reshape's first entry may
 * hold (where it means "the batch", as 0 does). */

static ox_tensor *int_tensor(importer *p, const char *name, int ndim, const int64_t *dims,
                             int64_t numel) {
  ox_tensor *t = nnd_arena_alloc(&p->ox.arena, sizeof *t);
  int64_t *v = t ? nnd_arena_alloc(&p->ox.arena, (size_t)numel * sizeof *v + 1) : NULL;
  if (!v) {
    p->oom = 1;
    return NULL;
  }
  memset(t, 0, sizeof *t);
  t->name = name;
  t->dtype = OX_INT64;
  t->ndim = ndim;
  memcpy(t->dims, dims, sizeof(int64_t) * (size_t)ndim);
  t->numel = numel;
  t->i = v;
  return t;
}

static void set_int(importer *p, const ox_node *n, const ox_tensor *t) {
  value *v = imp_get(p, n->out[0]);
  if (v && t) v->kind = V_INIT, v->t = t;
}

/* 1 when the node was a shape computation (done, or listed as a problem) */
int imp_fold_shape(importer *p, const ox_node *n, const value *x) {
  const char *op = n->op_type;
  const ox_tensor *a = imp_init(p, n, 0, OX_INT64);
  if (strcmp(op, "Shape") == 0) {
    if (!x || ox_find_attr(n, "start") || ox_find_attr(n, "end")) return 0;
    int64_t d = x->ndim + 1;
    ox_tensor *t = int_tensor(p, n->out[0], 1, &d, d);
    if (!t) return 1;
    t->i[0] = BATCH_MARK;
    memcpy(t->i + 1, x->dim, sizeof(int64_t) * (size_t)x->ndim);
    set_int(p, n, t);
    return 1;
  }
  if (strcmp(op, "Gather") == 0 && a) {
    const ox_tensor *ix = imp_init(p, n, 1, OX_INT64);
    if (!ix || a->ndim != 1 || imp_ai(n, "axis", 0) != 0 || ix->ndim > 1) return 0;
    ox_tensor *t = int_tensor(p, n->out[0], ix->ndim, ix->dims, ix->numel);
    if (!t) return 1;
    for (int64_t k = 0; k < ix->numel; k++) {
      int64_t j = ix->i[k] < 0 ? ix->i[k] + a->numel : ix->i[k];
      if (j < 0 || j >= a->numel) return 0;
      t->i[k] = a->i[j];
    }
    set_int(p, n, t);
    return 1;
  }
  if ((strcmp(op, "Unsqueeze") == 0 || strcmp(op, "Squeeze") == 0) && a) {
    /* only the dims change: a scalar becomes [1] and back */
    int64_t one = 1;
    int unsq = op[0] == 'U';
    if (unsq ? a->ndim != 0 : !(a->ndim == 1 && a->numel == 1)) return 0;
    ox_tensor *t = int_tensor(p, n->out[0], unsq, &one, 1);
    if (!t) return 1;
    t->i[0] = a->i[0];
    set_int(p, n, t);
    return 1;
  }
  if (strcmp(op, "Concat") == 0 && a) {
    int64_t total = 0;
    for (int k = 0; k < n->n_in; k++) {
      const ox_tensor *c = imp_init(p, n, k, OX_INT64);
      if (!c || c->ndim != 1 || c->numel > OX_MAX_DIMS) return 0;
      total += c->numel;
    }
    ox_tensor *t = int_tensor(p, n->out[0], 1, &total, total);
    if (!t) return 1;
    int64_t at = 0;
    for (int k = 0; k < n->n_in; k++) {
      const ox_tensor *c = imp_init(p, n, k, OX_INT64);
      memcpy(t->i + at, c->i, sizeof(int64_t) * (size_t)c->numel);
      at += c->numel;
    }
    set_int(p, n, t);
    return 1;
  }
  if (strcmp(op, "Pad") == 0 && x) {
    /* PyTorch puts a Pad of zeros before its average pools: the identity */
    const ox_tensor *pads = imp_init(p, n, 1, OX_INT64);
    const ox_attr *pa = ox_find_attr(n, "pads"), *mode = ox_find_attr(n, "mode");
    int zero = (pads != NULL) != (pa != NULL) && (!mode || !mode->s || !strcmp(mode->s, "constant"));
    for (int64_t k = 0; zero && pads && k < pads->numel; k++) zero = pads->i[k] == 0;
    for (int k = 0; zero && pa && k < pa->n_ints; k++) zero = pa->ints[k] == 0;
    if (!zero) {
      imp_problem(p, n, "only a Pad of zero width");
      imp_set_bad(p, n);
      return 1;
    }
    imp_set_act(p, n->out[0], x->ident, x->ndim, x->dim);
    return 1;
  }
  return 0;
}

