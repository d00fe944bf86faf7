/* onnx_import_util.c — what the importer's node conversions share: names,
 * values, weights and the list of problems (onnx_import_internal.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_import_internal.h"
#include "shape.h"
/* ----------------------------------------------------------------- names */

static const char *const keywords[] = {"model", "input", "param", "block", "return", "loss",
                                       "train", "class", "binary", "true", "false"};

static int name_char(char c, int first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         (!first && c >= '0' && c <= '9');
}

/* An identifier from any string: other characters become '_', a leading
 * digit gets a prefix, a keyword a suffix; `dots` keeps '.' (node names),
 * then made unique against every name given out so far. */
const char *imp_fresh(importer *p, const char *want, int dots) {
  size_t n = strlen(want);
  if (n > 80) n = 80;
  char buf[128];
  size_t k = 0;
  if (n == 0 || !name_char(want[0], 1)) buf[k++] = 'v';
  for (size_t i = 0; i < n; i++) {
    char c = want[i];
    int keep = name_char(c, 0) || (dots && c == '.' && k > 0 && buf[k - 1] != '.');
    buf[k++] = keep ? c : '_';
  }
  while (k > 0 && buf[k - 1] == '.') k--;
  buf[k] = '\0';
  for (size_t i = 0; i < sizeof keywords / sizeof *keywords; i++)
    if (strcmp(buf, keywords[i]) == 0) strcat(buf, "_");
  char cand[160];
  snprintf(cand, sizeof cand, "%s", buf);
  for (int i = 2; nnd_strmap_get(&p->idents, cand, NULL); i++)
    snprintf(cand, sizeof cand, "%s_%d", buf, i);
  const char *s = nnd_arena_strdup(&p->im->arena, cand);
  if (!s || nnd_strmap_put(&p->idents, s, 1) != 0) p->oom = 1;
  return s ? s : "v";
}

int imp_is_ident(const char *s, int dots) {
  if (!s[0] || !name_char(s[0], 1)) return 0;
  for (const char *c = s; *c; c++)
    if (!name_char(*c, 0) && !(dots && *c == '.' && c[1] && c[1] != '.')) return 0;
  for (size_t i = 0; i < sizeof keywords / sizeof *keywords; i++)
    if (strcmp(s, keywords[i]) == 0) return 0;
  return 1;
}

/* -------------------------------------------------------------- problems */

void imp_problem(importer *p, const ox_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void imp_problem(importer *p, const ox_node *n, const char *fmt, ...) {
  size_t used = strlen(p->problems);
  p->n_problems++;
  if (used + 200 > sizeof p->problems) return;
  char why[256] = "";
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
  }
  snprintf(p->problems + used, sizeof p->problems - used, "%s%.60s (node `%.80s`)%s%s",
           used ? "; " : "", n->op_type, n->name[0] ? n->name : n->n_out ? n->out[0] : "?", why[0] ? ": " : "",
           why);
}

/* ---------------------------------------------------------------- values */

value *imp_get(importer *p, const char *name) {
  int i;
  return nnd_strmap_get(&p->values, name, &i) ? &p->vals[i] : NULL;
}

value *imp_put(importer *p, const char *name) {
  int i;
  if (nnd_strmap_get(&p->values, name, &i)) return &p->vals[i];
  if (p->n_vals == p->cap_vals) {
    int cap = p->cap_vals ? 2 * p->cap_vals : 64;
    value *v = realloc(p->vals, (size_t)cap * sizeof *v);
    if (!v) {
      p->oom = 1;
      return NULL;
    }
    p->vals = v;
    p->cap_vals = cap;
  }
  memset(&p->vals[p->n_vals], 0, sizeof *p->vals);
  if (nnd_strmap_put(&p->values, name, p->n_vals) != 0) {
    p->oom = 1;
    return NULL;
  }
  return &p->vals[p->n_vals++];
}

void imp_set_act(importer *p, const char *onnx_name, const char *ident, int ndim,
                    const int64_t *dim) {
  value *v = imp_put(p, onnx_name);
  if (!v) return;
  int64_t numel = 1;
  for (int i = 0; i < ndim; i++) {
    if (dim[i] < 1 || dim[i] > NND_MAX_ELEMENTS / numel) {
      /* nnd's limit on one sample; the node that made it is named here */
      size_t used = strlen(p->problems);
      if (used + 200 < sizeof p->problems)
        snprintf(p->problems + used, sizeof p->problems - used,
                 "%svalue `%.80s`: a sample of more than 2^40 elements or an empty dim",
                 used ? "; " : "", onnx_name);
      p->n_problems++;
      v->kind = V_BAD;
      return;
    }
    numel *= dim[i];
  }
  v->kind = V_ACT;
  v->ident = ident;
  v->classes = 0;
  v->ndim = ndim;
  memcpy(v->dim, dim, sizeof(int64_t) * (size_t)ndim);
}

void imp_set_bad(importer *p, const ox_node *n) {
  for (int i = 0; i < n->n_out; i++) {
    value *v = imp_put(p, n->out[i]);
    if (v) v->kind = V_BAD;
  }
}

/* A weight for the safetensors file; data copied (and transposed). */
void imp_weight(importer *p, const char *name, const float *data, int ndim,
                   const int64_t *dim, int transpose, double scale) {
  nnd_onnx_import *im = p->im;
  if (im->n_tensors == im->cap_tensors) {
    int cap = im->cap_tensors ? 2 * im->cap_tensors : 32;
    nnd_ckpt_tensor *t = realloc(im->tensors, (size_t)cap * sizeof *t);
    if (!t) {
      p->oom = 1;
      return;
    }
    im->tensors = t;
    im->cap_tensors = cap;
  }
  int64_t n = 1;
  for (int i = 0; i < ndim; i++) n *= dim[i];
  for (int64_t i = 0; i < n; i++)
    if (!isfinite(data[i]) || !isfinite((float)(scale * data[i]))) {
      /* nnd refuses such weights when it loads them: say so now, by name */
      size_t used = strlen(p->problems);
      if (used + 200 < sizeof p->problems)
        snprintf(p->problems + used, sizeof p->problems - used,
                 "%sweight `%.80s`: NaN or infinite values", used ? "; " : "", name);
      p->n_problems++;
      return;
    }
  float *d = nnd_arena_alloc(&im->arena, (size_t)n * sizeof *d + 1);
  if (!d) {
    p->oom = 1;
    return;
  }
  nnd_ckpt_tensor *t = &im->tensors[im->n_tensors++];
  memset(t, 0, sizeof *t);
  t->name = nnd_arena_strdup(&im->arena, name);
  t->ndim = ndim;
  for (int i = 0; i < ndim; i++) t->dim[i] = dim[i];
  if (transpose) { /* [r, c] -> [c, r] */
    t->dim[0] = dim[1];
    t->dim[1] = dim[0];
    for (int64_t r = 0; r < dim[0]; r++)
      for (int64_t c = 0; c < dim[1]; c++) d[c * dim[0] + r] = (float)(scale * data[r * dim[1] + c]);
  } else {
    for (int64_t i = 0; i < n; i++) d[i] = (float)(scale * data[i]);
  }
  t->data = d;
}

const ox_tensor *imp_init(importer *p, const ox_node *n, int i, int dtype) {
  if (i >= n->n_in || !n->in[i][0]) return NULL;
  value *v = imp_get(p, n->in[i]);
  return v && v->kind == V_INIT && v->t->dtype == dtype ? v->t : NULL;
}

const value *imp_act(importer *p, const ox_node *n, int i) {
  if (i >= n->n_in) return NULL;
  value *v = imp_get(p, n->in[i]);
  return v && v->kind == V_ACT ? v : NULL;
}

int64_t imp_ai(const ox_node *n, const char *name, int64_t def) {
  const ox_attr *a = ox_find_attr(n, name);
  return a ? a->i : def;
}

double imp_af(const ox_node *n, const char *name, double def) {
  const ox_attr *a = ox_find_attr(n, name);
  return a ? a->f : def;
}

void imp_list(FILE *f, const int64_t *v, int n) {
  fputc('[', f);
  for (int i = 0; i < n; i++) fprintf(f, "%s%lld", i ? ", " : "", (long long)v[i]);
  fputc(']', f);
}

/* The node's name (for name="..." and its parameters) and its binding. A
 * layer whose weight initializer is "X.weight" is named X, as PyTorch and
 * nnd name layers; otherwise the output's name, or the op's. */
void imp_names(importer *p, const ox_node *n, const char *weight_name, const char *op,
                      const char **node, const char **ident) {
  char want[128] = "";
  size_t wl = weight_name ? strlen(weight_name) : 0;
  if (wl > 7 && strcmp(weight_name + wl - 7, ".weight") == 0 && wl - 7 < sizeof want) {
    memcpy(want, weight_name, wl - 7);
    want[wl - 7] = '\0';
  }
  if (!imp_is_ident(want, 1) || nnd_strmap_get(&p->idents, want, NULL)) {
    if (n->n_out > 0 && imp_is_ident(n->out[0], 1) && !nnd_strmap_get(&p->idents, n->out[0], NULL))
      snprintf(want, sizeof want, "%s", n->out[0]);
    else /* relu_1, relu_2, ... as nnd numbers anonymous nodes */
      for (int k = 1; k == 1 || nnd_strmap_get(&p->idents, want, NULL); k++)
        snprintf(want, sizeof want, "%s_%d", op, k);
  }
  *node = imp_fresh(p, want, 1);
  *ident = strchr(*node, '.') ? imp_fresh(p, *node, 0) : *node;
}

/* "ident = " and, for dotted node names, the name= to append */
void imp_begin(importer *p, const char *node, const char *ident) {
  (void)node;
  fprintf(p->out, "%s = ", ident);
}

void imp_end(importer *p, const char *node, const char *ident) {
  if (strcmp(node, ident) != 0) fprintf(p->out, ", name=\"%s\"", node);
  fputs(")\n", p->out);
}


const char *imp_num(char *buf, size_t n, double v) {
  float f = (float)v;
  for (int digits = 6; digits <= 9; digits++) {
    snprintf(buf, n, "%.*g", digits, (double)f);
    if ((float)strtod(buf, NULL) == f) break;
  }
  return buf;
}
