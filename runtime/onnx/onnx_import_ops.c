/* onnx_import_ops.c — one ONNX node as one .nnd line. Shapes here are per
 * sample (the ONNX shape without its first, batch, dim). Anything whose
 * meaning nnd cannot express exactly is a problem, never an approximation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_import_internal.h"
#include "shape.h"


/* The per-sample axis of an ONNX axis over a tensor of per-sample rank r:
 * -1 for the batch axis or one out of range; negative axes stay negative. */
static int sample_axis(int64_t axis, int r, int64_t *out) {
  if (axis < 0) {
    if (axis < -r) return -1;
    *out = axis;
    return 0;
  }
  if (axis == 0 || axis > r) return -1;
  *out = axis - 1;
  return 0;
}

static int all_ones(const int64_t *v, int n) {
  for (int i = 0; i < n; i++)
    if (v[i] != 1) return 0;
  return 1;
}

/* x W^T + b from Gemm, or MatMul (W stored [in, out]) followed by an Add */
static void dense_line(importer *p, const ox_node *n, const value *x, const ox_tensor *w,
                       int w_is_out_in, double alpha, const ox_tensor *b, double beta,
                       const ox_node *last) {
  const char *out_name = last->out[0]; /* the Add's, when a MatMul and an Add fuse */
  int64_t units = w_is_out_in ? w->dims[0] : w->dims[1];
  int64_t in = w_is_out_in ? w->dims[1] : w->dims[0];
  if (x->ndim != 1 || x->dim[0] != in || units < 1) {
    imp_problem(p, n, "the input has %d per-sample dims (of %lld), the weight takes %lld",
                x->ndim, (long long)(x->ndim ? x->dim[0] : 0), (long long)in);
    imp_set_bad(p, n), imp_set_bad(p, last);
    return;
  }
  if (b && b->numel != units && b->numel != 1) {
    imp_problem(p, n, "a bias of %lld values for %lld units", (long long)b->numel,
                (long long)units);
    imp_set_bad(p, n), imp_set_bad(p, last);
    return;
  }
  const char *node, *ident;
  imp_names(p, last, w->name, "dense", &node, &ident);
  char key[300];
  int64_t wd[2] = {w->dims[0], w->dims[1]};
  snprintf(key, sizeof key, "%s.weight", node);
  imp_weight(p, key, w->f, 2, wd, !w_is_out_in, alpha);
  if (b) {
    float *full = malloc((size_t)units * sizeof *full);
    if (!full) {
      p->oom = 1;
      return;
    }
    for (int64_t i = 0; i < units; i++) full[i] = b->f[b->numel == 1 ? 0 : i];
    snprintf(key, sizeof key, "%s.bias", node);
    imp_weight(p, key, full, 1, &units, 0, beta);
    free(full);
  }
  imp_begin(p, node, ident);
  fprintf(p->out, "dense(%s, units=%lld%s", x->ident, (long long)units, b ? "" : ", bias=false");
  imp_end(p, node, ident);
  imp_set_act(p, out_name, ident, 1, &units);
}

static void conv_node(importer *p, const ox_node *n, const value *x) {
  const ox_tensor *w = imp_init(p, n, 1, OX_FLOAT), *b = imp_init(p, n, 2, OX_FLOAT);
  int nsp = x->ndim - 1;
  if ((nsp != 1 && nsp != 2) || !w || w->ndim != nsp + 2 || w->dims[1] != x->dim[0] ||
      w->numel < 1 ||
      (n->n_in > 2 && n->in[2][0] && (!b || b->numel != w->dims[0]))) {
    imp_problem(p, n, "a 1-D or 2-D convolution with constant weights matching its input");
    imp_set_bad(p, n);
    return;
  }
  const ox_attr *a;
  int64_t k[2], s[2] = {1, 1}, pads[4] = {0, 0, 0, 0};
  for (int i = 0; i < nsp; i++) k[i] = w->dims[2 + i];
  if (imp_ai(n, "group", 1) != 1 ||
      ((a = ox_find_attr(n, "dilations")) && !all_ones(a->ints, a->n_ints))) {
    imp_problem(p, n, "groups and dilations are not supported");
    imp_set_bad(p, n);
    return;
  }
  if ((a = ox_find_attr(n, "strides")) && a->n_ints == nsp) memcpy(s, a->ints, sizeof(int64_t) * (size_t)nsp);
  if ((a = ox_find_attr(n, "pads")) && a->n_ints == 2 * nsp) memcpy(pads, a->ints, sizeof(int64_t) * 2 * (size_t)nsp);
  const ox_attr *ap = ox_find_attr(n, "auto_pad");
  const char *auto_pad = ap && ap->s ? ap->s : "NOTSET";
  int same = 0;
  if (strcmp(auto_pad, "SAME_UPPER") == 0 && all_ones(s, nsp)) {
    same = 1;
  } else if (strcmp(auto_pad, "VALID") == 0) {
    memset(pads, 0, sizeof pads);
  } else if (strcmp(auto_pad, "NOTSET") != 0) {
    imp_problem(p, n, "auto_pad %s (with these strides) is not supported", auto_pad);
    imp_set_bad(p, n);
    return;
  }
  int sym = 1;
  for (int i = 0; i < nsp; i++) sym &= pads[i] == pads[nsp + i] && pads[i] >= 0;
  if (!same && !sym) {
    /* nnd's "same": the extra padding on the right, stride 1 */
    int ok = all_ones(s, nsp);
    for (int i = 0; i < nsp; i++) ok &= pads[i] == (k[i] - 1) / 2 && pads[nsp + i] == k[i] - 1 - pads[i];
    if (!ok) {
      imp_problem(p, n, "padding %lld before and %lld after is not supported", (long long)pads[0],
                  (long long)pads[nsp]);
      imp_set_bad(p, n);
      return;
    }
    same = 1;
  }
  int64_t out[3] = {w->dims[0]};
  for (int i = 0; i < nsp; i++) {
    int64_t lo = same ? (k[i] - 1) / 2 : pads[i], hi = same ? k[i] - 1 - lo : pads[i];
    int64_t span = x->dim[1 + i] + lo + hi - k[i];
    if (span < 0 || s[i] < 1) {
      imp_problem(p, n, "the window is larger than the padded input");
      imp_set_bad(p, n);
      return;
    }
    out[1 + i] = span / s[i] + 1;
  }
  const char *node, *ident;
  imp_names(p, n, w->name, nsp == 1 ? "conv1d" : "conv2d", &node, &ident);
  char key[300];
  snprintf(key, sizeof key, "%s.weight", node);
  imp_weight(p, key, w->f, w->ndim, w->dims, 0, 1);
  if (b) {
    snprintf(key, sizeof key, "%s.bias", node);
    imp_weight(p, key, b->f, 1, &w->dims[0], 0, 1);
  }
  imp_begin(p, node, ident);
  fprintf(p->out, "conv%dd(%s, filters=%lld, kernel=", nsp, x->ident, (long long)w->dims[0]);
  imp_list(p->out, k, nsp);
  fputs(", stride=", p->out);
  imp_list(p->out, s, nsp);
  fputs(", padding=", p->out);
  if (same) fputs("\"same\"", p->out);
  else imp_list(p->out, pads, nsp);
  if (!b) fputs(", bias=false", p->out);
  imp_end(p, node, ident);
  imp_set_act(p, n->out[0], ident, nsp + 1, out);
}

static void pool_node(importer *p, const ox_node *n, const value *x, int avg) {
  int nsp = x->ndim - 1;
  const ox_attr *ka = ox_find_attr(n, "kernel_shape"), *a;
  int64_t k[2], s[2] = {1, 1}, pads[4] = {0, 0, 0, 0};
  if ((nsp != 1 && nsp != 2) || !ka || ka->n_ints != nsp) {
    imp_problem(p, n, "a 1-D or 2-D pool with kernel_shape");
    imp_set_bad(p, n);
    return;
  }
  memcpy(k, ka->ints, sizeof(int64_t) * (size_t)nsp);
  if ((a = ox_find_attr(n, "strides")) && a->n_ints == nsp) memcpy(s, a->ints, sizeof(int64_t) * (size_t)nsp);
  if ((a = ox_find_attr(n, "pads")) && a->n_ints == 2 * nsp) memcpy(pads, a->ints, sizeof(int64_t) * 2 * (size_t)nsp);
  const ox_attr *ap = ox_find_attr(n, "auto_pad");
  int ok = imp_ai(n, "ceil_mode", 0) == 0 && imp_ai(n, "storage_order", 0) == 0 &&
           (!ap || !ap->s || strcmp(ap->s, "NOTSET") == 0 || strcmp(ap->s, "VALID") == 0) &&
           (!(a = ox_find_attr(n, "dilations")) || all_ones(a->ints, a->n_ints)) &&
           (n->n_out < 2 || !n->out[1][0]);
  int any_pad = 0;
  for (int i = 0; i < nsp; i++) {
    ok &= pads[i] == pads[nsp + i] && pads[i] >= 0 && pads[i] <= k[i] / 2 && k[i] >= 1 && s[i] >= 1;
    any_pad |= pads[i] != 0;
  }
  if (avg && any_pad && imp_ai(n, "count_include_pad", 0) == 0) ok = 0;
  if (!ok) {
    imp_problem(p, n, "ceil_mode, dilations, indices, asymmetric padding%s are not supported",
                avg ? " and padding left out of the average" : "");
    imp_set_bad(p, n);
    return;
  }
  int64_t out[3] = {x->dim[0]};
  for (int i = 0; i < nsp; i++) {
    int64_t span = x->dim[1 + i] + 2 * pads[i] - k[i];
    if (span < 0) {
      imp_problem(p, n, "the window is larger than the padded input");
      imp_set_bad(p, n);
      return;
    }
    out[1 + i] = span / s[i] + 1;
  }
  const char *node, *ident;
  imp_names(p, n, NULL, avg ? "avgpool" : "maxpool", &node, &ident);
  imp_begin(p, node, ident);
  fprintf(p->out, "%s(%s, size=", avg ? "avgpool" : "maxpool", x->ident);
  imp_list(p->out, k, nsp);
  fputs(", stride=", p->out);
  imp_list(p->out, s, nsp);
  if (any_pad) {
    fputs(", padding=", p->out);
    imp_list(p->out, pads, nsp);
  }
  imp_end(p, node, ident);
  imp_set_act(p, n->out[0], ident, nsp + 1, out);
}

/* a one-input op that keeps the shape: relu(x) */
static void unary_line(importer *p, const ox_node *n, const value *x, const char *op,
                       const char *extra) {
  const char *node, *ident;
  imp_names(p, n, NULL, op, &node, &ident);
  imp_begin(p, node, ident);
  fprintf(p->out, "%s(%s%s", op, x->ident, extra);
  imp_end(p, node, ident);
  imp_set_act(p, n->out[0], ident, x->ndim, x->dim);
}

/* nnd's class labels are floats below 2^24 (a float holds every integer up
 * to it), as the data loaders require. */
#define MAX_CLASSES (INT64_C(1) << 24)

int64_t imp_one_hot_depth(importer *p, const ox_node *n) {
  if (strcmp(n->op_type, "OneHot") != 0 || n->n_in != 3) return 0;
  int64_t axis = imp_ai(n, "axis", -1);
  const ox_tensor *d = imp_init(p, n, 1, OX_FLOAT), *v = imp_init(p, n, 2, OX_FLOAT);
  if (!d) d = imp_init(p, n, 1, OX_INT64);
  if (!d) d = imp_init(p, n, 1, OX_INT32);
  if ((axis != -1 && axis != 1) || !d || d->numel != 1 || !v || v->numel != 2 ||
      v->f[0] != 0 || v->f[1] != 1)
    return 0;
  double k = d->dtype == OX_FLOAT ? (double)d->f[0] : (double)d->i[0];
  return k >= 1 && k <= (double)MAX_CLASSES && k == (double)(int64_t)k ? (int64_t)k : 0;
}

/* OneHot of a class input (onnx_import.c declares an input class[K] when
 * OneHot nodes of depth K are all that read it): nnd's one_hot. */
static void one_hot_node(importer *p, const ox_node *n, const value *x) {
  int64_t k = imp_one_hot_depth(p, n);
  if (!k || x->classes != k) {
    imp_problem(p, n, "its indices must be a graph input of shape [N] that only OneHot nodes "
                      "read, with a constant depth, values [0, 1] and the last axis");
    imp_set_bad(p, n);
    return;
  }
  const char *node, *ident;
  imp_names(p, n, NULL, "one_hot", &node, &ident);
  imp_begin(p, node, ident);
  fprintf(p->out, "one_hot(%s", x->ident);
  imp_end(p, node, ident);
  imp_set_act(p, n->out[0], ident, 1, &k);
}

static void reshape_node(importer *p, const ox_node *n, const value *x) {
  const ox_tensor *t = imp_init(p, n, 1, OX_INT64);
  if (!t || t->ndim != 1 || t->numel < 1 || t->numel > OX_MAX_DIMS + 1 ||
      imp_ai(n, "allowzero", 0) != 0) {
    imp_problem(p, n, "the shape must be a constant");
    imp_set_bad(p, n);
    return;
  }
  int64_t total = 1, known = 1, d[OX_MAX_DIMS];
  int nd = (int)t->numel - 1, minus = -1;
  for (int i = 0; i < x->ndim; i++) total *= x->dim[i];
  int ok = t->i[0] == 0 || t->i[0] == -1 || t->i[0] == BATCH_MARK;
  for (int i = 0; ok && i < nd; i++) {
    d[i] = t->i[1 + i];
    if (d[i] == 0) {
      if (i >= x->ndim) ok = 0;
      else d[i] = x->dim[i];
    }
    if (d[i] == -1) {
      if (minus >= 0 || t->i[0] == -1) ok = 0;
      minus = i;
    } else if (d[i] < 1 || d[i] > NND_MAX_ELEMENTS || known > NND_MAX_ELEMENTS / d[i]) {
      ok = 0;
    } else {
      known *= d[i];
    }
  }
  if (ok && minus >= 0) {
    ok = known > 0 && total % known == 0;
    if (ok) d[minus] = total / known;
  } else if (ok) {
    ok = known == total;
  }
  if (!ok) {
    imp_problem(p, n, "the shape must keep the batch (0 or -1 first) and the sample's size");
    imp_set_bad(p, n);
    return;
  }
  const char *node, *ident;
  imp_names(p, n, NULL, "reshape", &node, &ident);
  imp_begin(p, node, ident);
  fprintf(p->out, "reshape(%s, shape=", x->ident);
  imp_list(p->out, d, nd);
  imp_end(p, node, ident);
  imp_set_act(p, n->out[0], ident, nd, d);
}

static void batchnorm_node(importer *p, const ox_node *n, const value *x) {
  const ox_tensor *t[4];
  int ok = x->ndim >= 1 && x->ndim <= 3 && imp_ai(n, "training_mode", 0) == 0;
  for (int i = 0; i < 4; i++) {
    t[i] = imp_init(p, n, 1 + i, OX_FLOAT);
    ok &= t[i] && x->ndim >= 1 && t[i]->numel == x->dim[0];
  }
  for (int i = 1; i < n->n_out; i++) ok &= !n->out[i][0];
  double eps = imp_af(n, "epsilon", 1e-5), mom = imp_af(n, "momentum", 0.9);
  ok &= eps > 0 && eps < 1e30 && mom >= 0 && mom <= 1; /* nnd's ranges (NaN fails too) */
  if (!ok) {
    imp_problem(p, n, "inference form over [C], [C, L] or [C, H, W] with constant statistics, "
                      "epsilon > 0 and momentum in [0, 1]");
    imp_set_bad(p, n);
    return;
  }
  const char *node, *ident;
  imp_names(p, n, t[0]->name, "batchnorm", &node, &ident);
  static const char *const pname[4] = {"weight", "bias", "running_mean", "running_var"};
  for (int i = 0; i < 4; i++) {
    char key[300];
    snprintf(key, sizeof key, "%s.%s", node, pname[i]);
    imp_weight(p, key, t[i]->f, 1, &x->dim[0], 0, 1);
  }
  imp_begin(p, node, ident);
  char e[32];
  /* momentum only weighs the running statistics while training: 6 digits */
  fprintf(p->out, "batchnorm(%s, eps=%s, momentum=%.6g", x->ident, imp_num(e, sizeof e, eps),
          1.0 - mom);
  imp_end(p, node, ident);
  imp_set_act(p, n->out[0], ident, x->ndim, x->dim);
}

/* Add, Sub, Mul: two activations of one per-sample rank, or an activation
 * and a constant that broadcasts over the sample alone. */
static void arith_node(importer *p, const ox_node *n, char op) {
  const value *a = imp_act(p, n, 0), *b = imp_act(p, n, 1);
  const ox_tensor *ta = imp_init(p, n, 0, OX_FLOAT), *tb = imp_init(p, n, 1, OX_FLOAT);
  const value *x = a ? a : b;
  const ox_tensor *c = a ? tb : ta;
  char operand[2][200];
  int64_t out[OX_MAX_DIMS];
  int nd;
  if (a && b) {
    if (a->ndim != b->ndim) {
      imp_problem(p, n, "activations of different ranks");
      imp_set_bad(p, n);
      return;
    }
    nd = a->ndim;
    for (int i = 0; i < nd; i++) {
      if (a->dim[i] != b->dim[i] && a->dim[i] != 1 && b->dim[i] != 1) nd = -1;
      if (nd < 0) break;
      out[i] = a->dim[i] > b->dim[i] ? a->dim[i] : b->dim[i];
    }
    if (nd < 0) {
      imp_problem(p, n, "shapes that do not broadcast");
      imp_set_bad(p, n);
      return;
    }
    snprintf(operand[0], sizeof operand[0], "%s", a->ident);
    snprintf(operand[1], sizeof operand[1], "%s", b->ident);
  } else if (x && c && c->numel >= 1 && (c->numel > 1 || (c->f[0] > -1e38 && c->f[0] < 1e38))) {
    int q = c->ndim, off = 0;
    int64_t cd[OX_MAX_DIMS];
    memcpy(cd, c->dims, sizeof cd);
    if (q == x->ndim + 1 && c->dims[0] == 1) { /* a leading 1 meets the batch */
      q--;
      memmove(cd, cd + 1, sizeof(int64_t) * (size_t)q);
    }
    int ok = q <= x->ndim;
    nd = x->ndim;
    memcpy(out, x->dim, sizeof(int64_t) * (size_t)nd);
    off = nd - q;
    for (int i = 0; ok && i < q; i++) {
      ok = cd[i] == 1 || x->dim[off + i] == 1 || cd[i] == x->dim[off + i];
      if (cd[i] > out[off + i]) out[off + i] = cd[i];
    }
    if (!ok) {
      imp_problem(p, n, "a constant that does not broadcast over one sample");
      imp_set_bad(p, n);
      return;
    }
    char cs[200];
    if (c->numel == 1) {
      char num[32];
      imp_num(num, sizeof num, c->f[0]);
      snprintf(cs, sizeof cs, c->f[0] < 0 ? "(%s)" : "%s", num);
    } else {
      const char *pn = imp_fresh(p, c->name, 0);
      imp_weight(p, pn, c->f, q, cd, 0, 1);
      fprintf(p->out, "param %s: ", pn);
      imp_list(p->out, cd, q);
      fputc('\n', p->out);
      snprintf(cs, sizeof cs, "%s", pn);
    }
    snprintf(operand[a ? 0 : 1], 200, "%s", x->ident);
    snprintf(operand[a ? 1 : 0], 200, "%s", cs);
  } else if (ta && tb && (ta->numel == 1 || tb->numel == 1 ||
                          (ta->ndim == tb->ndim &&
                           memcmp(ta->dims, tb->dims, sizeof(int64_t) * (size_t)ta->ndim) == 0))) {
    /* constants only (`v / 4` of a parameter): folded into one constant */
    const ox_tensor *big = ta->numel >= tb->numel ? ta : tb;
    ox_tensor *r = nnd_arena_alloc(&p->ox.arena, sizeof *r);
    float *d = r ? nnd_arena_alloc(&p->ox.arena, (size_t)big->numel * sizeof *d + 1) : NULL;
    value *v = imp_get(p, n->out[0]);
    if (!d || !v) {
      p->oom = 1;
      return;
    }
    *r = *big;
    r->name = n->out[0];
    for (int64_t e = 0; e < big->numel; e++) {
      float l = ta->f[ta->numel == 1 ? 0 : e], rr = tb->f[tb->numel == 1 ? 0 : e];
      d[e] = op == '+' ? l + rr : op == '-' ? l - rr : l * rr;
    }
    r->f = d;
    v->kind = V_INIT;
    v->t = r;
    return;
  } else {
    imp_problem(p, n, "needs an activation operand");
    imp_set_bad(p, n);
    return;
  }
  const char *node, *ident;
  imp_names(p, n, NULL, op == '+' ? "add" : op == '-' ? "sub" : "mul", &node, &ident);
  if (strcmp(node, ident) != 0) /* `a + b` takes no name=: use the call form */
    fprintf(p->out, "%s = %s(%s, %s, name=\"%s\")\n", ident,
            op == '+' ? "add" : op == '-' ? "sub" : "mul", operand[0], operand[1], node);
  else
    fprintf(p->out, "%s = %s %c %s\n", ident, operand[0], op, operand[1]);
  imp_set_act(p, n->out[0], ident, nd, out);
}

/* numpy's matmul of per-sample shapes, as nnd's matmul computes it */
static int matmul_shape(const int64_t *a, int ra, const int64_t *b, int rb, int64_t *out) {
  if (ra < 1 || rb < 1) return -1;
  int64_t ak = a[ra - 1], bk = rb == 1 ? b[0] : b[rb - 2];
  if (ak != bk) return -1;
  int la = ra > 2 ? ra - 2 : 0, lb = rb > 2 ? rb - 2 : 0, l = la > lb ? la : lb, nd = 0;
  for (int i = 0; i < l; i++) {
    int ia = i - (l - la), ib = i - (l - lb);
    int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    if (da != db && da != 1 && db != 1) return -1;
    out[nd++] = da > db ? da : db;
  }
  if (ra >= 2) out[nd++] = a[ra - 2];
  if (rb >= 2) out[nd++] = b[rb - 1];
  return nd;
}

/* MatMul where ONNX's batched shapes and nnd's per-sample ones agree: a
 * constant of rank at most the activation's ([N, k] x [k, n] too), or two
 * activations of one rank of at least 2. */
static void matmul_node(importer *p, const ox_node *n) {
  const value *a = imp_act(p, n, 0), *b = imp_act(p, n, 1);
  const ox_tensor *ta = imp_init(p, n, 0, OX_FLOAT), *tb = imp_init(p, n, 1, OX_FLOAT);
  int ok = 0;
  if (a && b) ok = a->ndim == b->ndim && a->ndim >= 2;
  else if (a && tb) ok = tb->ndim >= 1 && tb->numel >= 1 && (tb->ndim <= a->ndim || (a->ndim == 1 && tb->ndim == 2));
  else if (ta && b) ok = ta->ndim >= 1 && ta->numel >= 1 && b->ndim >= 2 && ta->ndim <= b->ndim;
  int64_t out[OX_MAX_DIMS + 2];
  int nd = -1;
  if (ok)
    nd = matmul_shape(a ? a->dim : ta->dims, a ? a->ndim : ta->ndim, b ? b->dim : tb->dims,
                      b ? b->ndim : tb->ndim, out);
  if (nd < 0 || nd > OX_MAX_DIMS) {
    imp_problem(p, n, "only products whose batch dimension stays outside the product");
    imp_set_bad(p, n);
    return;
  }
  const char *operand[2];
  for (int k = 0; k < 2; k++) {
    const value *v = k ? b : a;
    const ox_tensor *t = k ? tb : ta;
    if (v) {
      operand[k] = v->ident;
      continue;
    }
    operand[k] = imp_fresh(p, t->name, 0);
    imp_weight(p, operand[k], t->f, t->ndim, t->dims, 0, 1);
    fprintf(p->out, "param %s: ", operand[k]);
    imp_list(p->out, t->dims, t->ndim);
    fputc('\n', p->out);
  }
  const char *node, *ident;
  imp_names(p, n, NULL, "matmul", &node, &ident);
  if (strcmp(node, ident) != 0)
    fprintf(p->out, "%s = matmul(%s, %s, name=\"%s\")\n", ident, operand[0], operand[1], node);
  else
    fprintf(p->out, "%s = %s @ %s\n", ident, operand[0], operand[1]);
  imp_set_act(p, n->out[0], ident, nd, out);
}

/* The Add that consumes a MatMul's output alone, adding a bias vector. */
static int fusable_add(importer *p, int i, int64_t units, const ox_tensor **bias) {
  const ox_node *mm = &p->ox.nodes[i];
  int k;
  if (!nnd_strmap_get(&p->values, mm->out[0], &k) || p->uses[k] != 1) return -1;
  for (int j = 0; j < p->ox.n_outputs; j++)
    if (strcmp(p->ox.outputs[j].name, mm->out[0]) == 0) return -1;
  for (int j = i + 1; j < p->ox.n_nodes; j++) {
    const ox_node *n = &p->ox.nodes[j];
    if (strcmp(n->op_type, "Add") != 0 || n->n_in != 2) continue;
    int side = strcmp(n->in[0], mm->out[0]) == 0 ? 0 : strcmp(n->in[1], mm->out[0]) == 0 ? 1 : -1;
    if (side < 0) continue;
    const ox_tensor *b = imp_init(p, n, 1 - side, OX_FLOAT);
    if (!b || b->numel != units || (b->ndim == 2 && b->dims[0] != 1) || b->ndim > 2) return -1;
    *bias = b;
    return j;
  }
  return -1;
}

void imp_convert_node(importer *p, int i) {
  const ox_node *n = &p->ox.nodes[i];
  const char *op = n->op_type;
  if (n->n_out < 1 || !n->out[0][0]) {
    imp_problem(p, n, "a node without an output");
    return;
  }
  if (n->domain[0] && strcmp(n->domain, "ai.onnx") != 0) {
    imp_problem(p, n, "domain %s", n->domain);
    imp_set_bad(p, n);
    return;
  }
  if (strcmp(op, "Constant") == 0) {
    const ox_attr *a = ox_find_attr(n, "value");
    value *v = imp_get(p, n->out[0]);
    if (!a || !a->t || !v) {
      imp_problem(p, n, "only a tensor `value` is supported");
      imp_set_bad(p, n);
      return;
    }
    v->kind = V_INIT;
    v->t = a->t;
    return;
  }
  /* an input from a node that failed: that node is listed already */
  for (int j = 0; j < n->n_in; j++) {
    const value *v = n->in[j][0] ? imp_get(p, n->in[j]) : NULL;
    if (v && v->kind == V_BAD) {
      imp_set_bad(p, n);
      return;
    }
  }
  const value *x = imp_act(p, n, 0);
  const ox_tensor *c0 = imp_init(p, n, 0, OX_FLOAT);
  if (!c0) c0 = imp_init(p, n, 0, OX_INT64);
  if (c0 && (strcmp(op, "Identity") == 0 || strcmp(op, "Dropout") == 0)) {
    value *v = imp_get(p, n->out[0]); /* a constant passed on (PyTorch shares them so) */
    if (v) v->kind = V_INIT, v->t = c0;
    return;
  }
  if (imp_fold_shape(p, n, x)) return;
  static const char *const known[] = {"Gemm", "MatMul", "Conv", "MaxPool", "AveragePool",
                                      "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Softmax",
                                      "LogSoftmax", "Flatten", "Reshape", "Concat",
                                      "BatchNormalization", "Dropout", "Identity", "Add",
                                      "Sub", "Mul", "OneHot"};
  int is_known = 0;
  for (size_t k = 0; k < sizeof known / sizeof *known; k++) is_known |= strcmp(op, known[k]) == 0;
  if (!is_known) {
    imp_problem(p, n, NULL);
    imp_set_bad(p, n);
    return;
  }
  if (!x && strcmp(op, "Add") && strcmp(op, "Sub") && strcmp(op, "Mul") && strcmp(op, "MatMul")) {
    imp_problem(p, n, "its first input must be computed from the graph's inputs");
    imp_set_bad(p, n);
    return;
  }
  /* no other node reads a class input: onnx_import.c makes one only of an
     input that OneHot nodes alone read */
  if (strcmp(op, "OneHot") == 0) {
    one_hot_node(p, n, x);
  } else if (strcmp(op, "Gemm") == 0) {
    const ox_tensor *w = imp_init(p, n, 1, OX_FLOAT), *c = imp_init(p, n, 2, OX_FLOAT);
    if (!w || w->ndim != 2 || imp_ai(n, "transA", 0) != 0 ||
        (n->n_in > 2 && n->in[2][0] && !c)) {
      imp_problem(p, n, "B (and C) must be constants and transA 0");
      imp_set_bad(p, n);
      return;
    }
    dense_line(p, n, x, w, imp_ai(n, "transB", 0) != 0, imp_af(n, "alpha", 1), c,
               imp_af(n, "beta", 1), n);
  } else if (strcmp(op, "MatMul") == 0) {
    const ox_tensor *w = imp_init(p, n, 1, OX_FLOAT), *b = NULL;
    int add = w && x && w->ndim == 2 && x->ndim == 1 ? fusable_add(p, i, w->dims[1], &b) : -1;
    if (add >= 0) { /* MatMul then Add of a bias: a dense layer */
      p->fused[add] = 1;
      dense_line(p, n, x, w, 0, 1, b, 1, &p->ox.nodes[add]);
      value *mid = imp_get(p, n->out[0]);
      if (mid) mid->kind = V_BAD; /* read by the fused Add only */
    } else {
      matmul_node(p, n);
    }
  } else if (strcmp(op, "Conv") == 0) {
    conv_node(p, n, x);
  } else if (strcmp(op, "MaxPool") == 0 || strcmp(op, "AveragePool") == 0) {
    pool_node(p, n, x, op[0] == 'A');
  } else if (strcmp(op, "Relu") == 0 || strcmp(op, "Sigmoid") == 0 || strcmp(op, "Tanh") == 0) {
    unary_line(p, n, x, op[0] == 'R' ? "relu" : op[0] == 'S' ? "sigmoid" : "tanh", "");
  } else if (strcmp(op, "LeakyRelu") == 0) {
    double alpha = imp_af(n, "alpha", 0.01);
    if (!(alpha > -1e30 && alpha < 1e30)) {
      imp_problem(p, n, "alpha is not a finite number");
      imp_set_bad(p, n);
      return;
    }
    char extra[64];
    char num[32];
    snprintf(extra, sizeof extra, ", slope=%s", imp_num(num, sizeof num, imp_af(n, "alpha", 0.01)));
    unary_line(p, n, x, "leaky_relu", extra);
  } else if (strcmp(op, "Softmax") == 0 || strcmp(op, "LogSoftmax") == 0) {
    int64_t axis, def = p->ox.opset >= 13 ? -1 : 1, a = imp_ai(n, "axis", def);
    int full = x->ndim + 1;
    /* before opset 13 the op flattens from axis on: the same only at the last axis */
    if (sample_axis(a, x->ndim, &axis) != 0 ||
        (p->ox.opset < 13 && (a < 0 ? a + full : a) != full - 1)) {
      imp_problem(p, n, "axis %lld", (long long)a);
      imp_set_bad(p, n);
      return;
    }
    char extra[64];
    snprintf(extra, sizeof extra, ", axis=%lld", (long long)axis);
    unary_line(p, n, x, op[0] == 'S' ? "softmax" : "log_softmax", extra);
  } else if (strcmp(op, "Flatten") == 0) {
    if (imp_ai(n, "axis", 1) != 1) {
      imp_problem(p, n, "axis %lld (only 1, after the batch)", (long long)imp_ai(n, "axis", 1));
      imp_set_bad(p, n);
      return;
    }
    int64_t total = 1;
    for (int k = 0; k < x->ndim; k++) total *= x->dim[k];
    const char *node, *ident;
    imp_names(p, n, NULL, "flatten", &node, &ident);
    imp_begin(p, node, ident);
    fprintf(p->out, "flatten(%s", x->ident);
    imp_end(p, node, ident);
    imp_set_act(p, n->out[0], ident, 1, &total);
  } else if (strcmp(op, "Reshape") == 0) {
    reshape_node(p, n, x);
  } else if (strcmp(op, "Concat") == 0) {
    int64_t axis;
    if (sample_axis(imp_ai(n, "axis", 0), x->ndim, &axis) != 0 || n->n_in < 2) {
      imp_problem(p, n, "axis %lld", (long long)imp_ai(n, "axis", 0));
      imp_set_bad(p, n);
      return;
    }
    int ax = (int)(axis < 0 ? axis + x->ndim : axis);
    int64_t out[OX_MAX_DIMS];
    memcpy(out, x->dim, sizeof out);
    out[ax] = 0;
    for (int k = 0; k < n->n_in; k++) {
      const value *v = imp_act(p, n, k);
      int ok = v && v->ndim == x->ndim;
      for (int d = 0; ok && d < x->ndim; d++) ok = d == ax || v->dim[d] == x->dim[d];
      if (!ok) {
        imp_problem(p, n, "inputs must be activations that differ only along the axis");
        imp_set_bad(p, n);
        return;
      }
      out[ax] += v->dim[ax];
    }
    const char *node, *ident;
    imp_names(p, n, NULL, "concat", &node, &ident);
    imp_begin(p, node, ident);
    fputs("concat(", p->out);
    for (int k = 0; k < n->n_in; k++) fprintf(p->out, "%s, ", imp_act(p, n, k)->ident);
    fprintf(p->out, "axis=%lld", (long long)axis);
    imp_end(p, node, ident);
    imp_set_act(p, n->out[0], ident, x->ndim, out);
  } else if (strcmp(op, "BatchNormalization") == 0) {
    batchnorm_node(p, n, x);
  } else if (strcmp(op, "Dropout") == 0 || strcmp(op, "Identity") == 0) {
    if (n->n_out > 1 && n->out[1][0]) {
      imp_problem(p, n, "its mask output is used");
      imp_set_bad(p, n);
      return;
    }
    imp_set_act(p, n->out[0], x->ident, x->ndim, x->dim); /* the identity at inference */
  } else {
    arith_node(p, n, op[0] == 'A' ? '+' : op[0] == 'S' ? '-' : '*');
  }
}
