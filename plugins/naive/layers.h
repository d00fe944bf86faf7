/* layers.h — internal to the naive plugin: the layer kernels' entry points
 * (collected into a table by layers.c) and the small helpers they share for
 * reading attributes and reporting errors. Plugin code includes only
 * <nnd/plugin.h> and the C library, so these helpers restate the runtime's
 * attribute rules instead of calling into it. */
#ifndef NND_NAIVE_LAYERS_H
#define NND_NAIVE_LAYERS_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <nnd/plugin.h>

#include "naive.h"

/* layers_dense.c */
int nnd_naive_dense_forward(const nnd_kernel_ctx *ctx);
int nnd_naive_dense_backward(const nnd_kernel_ctx *ctx);

/* layers_conv.c */
int nnd_naive_conv1d_forward(const nnd_kernel_ctx *ctx);
int nnd_naive_conv1d_backward(const nnd_kernel_ctx *ctx);
int nnd_naive_conv2d_forward(const nnd_kernel_ctx *ctx);
int nnd_naive_conv2d_backward(const nnd_kernel_ctx *ctx);

/* layers_pool.c: one kernel per op serves [N, C, L] and [N, C, H, W] */
int nnd_naive_maxpool_forward(const nnd_kernel_ctx *ctx);
int nnd_naive_maxpool_backward(const nnd_kernel_ctx *ctx);
int nnd_naive_avgpool_forward(const nnd_kernel_ctx *ctx);
int nnd_naive_avgpool_backward(const nnd_kernel_ctx *ctx);

/* layers_norm.c */
int nnd_naive_batchnorm_forward(const nnd_kernel_ctx *ctx);
int nnd_naive_batchnorm_backward(const nnd_kernel_ctx *ctx);
size_t nnd_naive_batchnorm_workspace(const nnd_kernel_ctx *ctx);
int nnd_naive_dropout_forward(const nnd_kernel_ctx *ctx);
int nnd_naive_dropout_backward(const nnd_kernel_ctx *ctx);

/* ------------------------------------------------------------- helpers */


/* Attribute i (schema order), or NULL when a hand-made context has none:
 * the readers below then fall back to the schema defaults. */
static inline const nnd_value *nnd_naive_layer_attr(const nnd_kernel_ctx *ctx, int i) {
  return ctx->attrs ? &ctx->attrs[i] : NULL;
}

/* An INTS attribute as nsp per-dimension values. The compiler normalises to
 * a list; a list of one entry means "every dimension" (pool lists are not
 * padded to the rank, since one name serves 1-D and 2-D), and an unset
 * value (NONE) means `def`. Returns -1 for a list of another length. */
static inline int nnd_naive_layer_ints(const nnd_value *v, int nsp, int64_t def, int64_t *out) {
  if (!v || v->kind == NND_VAL_NONE) {
    for (int i = 0; i < nsp; i++) out[i] = def;
    return 0;
  }
  if (v->kind == NND_VAL_NUMBER) {
    for (int i = 0; i < nsp; i++) out[i] = (int64_t)v->num;
    return 0;
  }
  if (v->kind != NND_VAL_LIST || (v->count != 1 && v->count != nsp)) return -1;
  for (int i = 0; i < nsp; i++) {
    const nnd_value *item = &v->items[v->count == 1 ? 0 : i];
    if (item->kind != NND_VAL_NUMBER) return -1;
    out[i] = (int64_t)item->num;
  }
  return 0;
}

/* A PADDING attribute as per-dimension padding before (lo) and after (hi).
 * "valid" is no padding; "same" pads k-1 in total, the odd one on the right
 * as PyTorch does, and is defined for stride 1 only. */
static inline int nnd_naive_layer_padding(const nnd_value *v, int nsp, const int64_t *kernel,
                                          const int64_t *stride, int64_t *lo, int64_t *hi) {
  if (v && v->kind == NND_VAL_STRING) {
    int same = strcmp(v->str, "same") == 0;
    if (!same && strcmp(v->str, "valid") != 0) return -1;
    for (int i = 0; i < nsp; i++) {
      if (same && stride[i] != 1) return -1;
      int64_t total = same ? kernel[i] - 1 : 0;
      lo[i] = total / 2;
      hi[i] = total - lo[i];
    }
    return 0;
  }
  if (nnd_naive_layer_ints(v, nsp, 0, lo) != 0) return -1;
  for (int i = 0; i < nsp; i++) hi[i] = lo[i];
  return 0;
}

/* Windows that fit along one dimension: floor((in + lo + hi - k) / s) + 1,
 * or 0 when none fits. */
static inline int64_t nnd_naive_layer_windows(int64_t in, int64_t k, int64_t s, int64_t lo,
                                              int64_t hi) {
  int64_t span = in + lo + hi - k;
  return span < 0 || s <= 0 ? 0 : span / s + 1;
}

/* The product of dims [from, ndim) of t: the elements per channel of an
 * NCHW tensor when from == 2. */
static inline int64_t nnd_naive_layer_inner(const nnd_tensor *t, int from) {
  int64_t n = 1;
  for (int i = from; i < t->ndim; i++) n *= t->dim[i];
  return n;
}

#endif
