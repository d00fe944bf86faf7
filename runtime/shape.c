/* shape.c — see shape.h. */
#include "shape.h"

#include <stdio.h>
#include <string.h>

nnd_type nnd_type_float(int batched, int ndim, const int64_t *dim) {
  nnd_type t;
  memset(&t, 0, sizeof t);
  t.dtype = NND_FLOAT;
  t.batched = batched;
  t.ndim = ndim;
  for (int i = 0; i < ndim; i++) t.dim[i] = dim[i];
  return t;
}

nnd_type nnd_type_scalar(void) { return nnd_type_float(0, 0, NULL); }

static const char *shape_str(const nnd_type *t, int batch, char *buf, size_t n) {
  size_t len = 0;
  int first = 1;
  len += (size_t)snprintf(buf, n, "[");
  if (batch && t->batched) {
    len += (size_t)snprintf(buf + (len < n ? len : n), len < n ? n - len : 0, "N");
    first = 0;
  }
  for (int i = 0; i < t->ndim; i++) {
    len += (size_t)snprintf(buf + (len < n ? len : n), len < n ? n - len : 0,
                            "%s%lld", first ? "" : ", ", (long long)t->dim[i]);
    first = 0;
  }
  snprintf(buf + (len < n ? len : n), len < n ? n - len : 0, "]");
  return buf;
}

const char *nnd_shape_str(const nnd_type *t, char *buf, size_t n) {
  return shape_str(t, 0, buf, n);
}

const char *nnd_shape_str_batch(const nnd_type *t, char *buf, size_t n) {
  return shape_str(t, 1, buf, n);
}

const char *nnd_type_str(const nnd_type *t, char *buf, size_t n) {
  switch (t->dtype) {
  case NND_CLASS: snprintf(buf, n, "class[%lld]", (long long)t->classes); break;
  case NND_BINARY: snprintf(buf, n, "binary"); break;
  default: {
    char s[160];
    snprintf(buf, n, "%s", nnd_shape_str(t, s, sizeof s));
  }
  }
  return buf;
}

int64_t nnd_type_numel(const nnd_type *t) {
  int64_t n = 1;
  for (int i = 0; i < t->ndim; i++) {
    if (t->dim[i] < 0) return -1;
    if (t->dim[i] != 0 && n > NND_MAX_ELEMENTS / t->dim[i]) return -1;
    n *= t->dim[i];
  }
  return n;
}

int nnd_type_same_shape(const nnd_type *a, const nnd_type *b) {
  if (a->ndim != b->ndim) return 0;
  for (int i = 0; i < a->ndim; i++)
    if (a->dim[i] != b->dim[i]) return 0;
  return 1;
}

int nnd_broadcast(const nnd_type *a, const nnd_type *b, nnd_type *out) {
  int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
  int64_t dim[NND_MAX_DIMS];
  for (int i = 0; i < nd; i++) {
    int ia = a->ndim - nd + i, ib = b->ndim - nd + i;
    int64_t da = ia >= 0 ? a->dim[ia] : 1, db = ib >= 0 ? b->dim[ib] : 1;
    if (da != db && da != 1 && db != 1) return -1;
    dim[i] = da == 1 ? db : da;
  }
  *out = nnd_type_float(a->batched || b->batched, nd, dim);
  return 0;
}

int64_t nnd_window_out(int64_t in, int64_t kernel, int64_t stride,
                       int64_t pad_lo, int64_t pad_hi) {
  int64_t span = in + pad_lo + pad_hi - kernel;
  if (span < 0 || stride <= 0) return 0;
  return span / stride + 1;
}

int nnd_value_ints(const nnd_value *v, int64_t *out, int max) {
  if (!v) return 0;
  if (v->kind == NND_VAL_NUMBER) {
    if (max > 0) out[0] = (int64_t)v->num;
    return 1;
  }
  if (v->kind != NND_VAL_LIST) return 0;
  int n = v->count < max ? v->count : max;
  for (int i = 0; i < n; i++) out[i] = (int64_t)v->items[i].num;
  return n;
}

int nnd_padding_resolve(const nnd_value *padding, int nsp, const int64_t *kernel,
                        const int64_t *stride, int64_t *lo, int64_t *hi,
                        char *msg, size_t msg_n) {
  if (padding && padding->kind == NND_VAL_STRING) {
    int same = strcmp(padding->str, "same") == 0;
    for (int i = 0; i < nsp; i++) {
      if (same && stride[i] != 1) {
        snprintf(msg, msg_n,
                 "padding=\"same\" needs stride 1, but stride is %lld; give an "
                 "explicit padding", (long long)stride[i]);
        return -1;
      }
      int64_t total = same ? kernel[i] - 1 : 0;
      lo[i] = total / 2;
      hi[i] = total - lo[i];
    }
    return 0;
  }
  int64_t p[NND_MAX_DIMS] = {0};
  int n = nnd_value_ints(padding, p, NND_MAX_DIMS);
  for (int i = 0; i < nsp; i++) {
    int64_t v = n == 0 ? 0 : n == 1 ? p[0] : p[i < n ? i : n - 1];
    lo[i] = hi[i] = v;
  }
  return 0;
}
