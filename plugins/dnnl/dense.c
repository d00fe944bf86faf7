/* dense.c — dense on oneDNN's inner product: y = x W^T + b with x [N, in],
 * W [out, in] (PyTorch's layout, oneDNN's `oi`), forward and backward.
 *
 * Workspace: oneDNN's scratchpad, then (training) dx, dW and db as oneDNN
 * writes them, before they are added into nnd's gradients. */
#include <string.h>

#include "dnnl_plugin.h"

enum { K_OP, K_TRAIN, K_THREADS, K_N, K_IN, K_OUT, K_BIAS };
#define OP_DENSE 2

static int dense_key(const nnd_kernel_ctx *ctx, int training, int64_t *key) {
  nnd_dense_dims d;
  if (nnd_dense_shape(ctx, &d) != 0) return -1;
  memset(key, 0, NND_DNNL_KEY * sizeof *key);
  int64_t v[] = {OP_DENSE, training, nnd_dnnl_threads(), d.batch, d.in, d.out, d.has_bias};
  memcpy(key, v, sizeof v);
  return 0;
}

typedef struct {
  dnnl_memory_desc_t src, wei, bias, dst;
} dense_mds;

static dense_mds mds_of(const int64_t *k) {
  dense_mds m;
  int64_t src[] = {k[K_N], k[K_IN]}, wei[] = {k[K_OUT], k[K_IN]}, dst[] = {k[K_N], k[K_OUT]};
  m.src = nnd_dnnl_md(2, src, dnnl_nc);
  m.wei = nnd_dnnl_md(2, wei, dnnl_oi);
  m.dst = nnd_dnnl_md(2, dst, dnnl_nc);
  m.bias = nnd_dnnl_md(1, &k[K_OUT], dnnl_a);
  return m;
}

static size_t dx_bytes(const int64_t *k) {
  return nnd_dnnl_round((size_t)(k[K_N] * k[K_IN]) * sizeof(float));
}
static size_t dw_bytes(const int64_t *k) {
  return nnd_dnnl_round((size_t)(k[K_OUT] * k[K_IN]) * sizeof(float));
}

static int dense_build(const nnd_kernel_ctx *ctx, nnd_dnnl_entry *e) {
  const int64_t *k = e->key;
  dense_mds m = mds_of(k);
  int bias = (int)k[K_BIAS], training = (int)k[K_TRAIN];
  dnnl_inner_product_desc_t fd, bd, wd;
  if (dnnl_inner_product_forward_desc_init(
          &fd, training ? dnnl_forward_training : dnnl_forward_inference, &m.src, &m.wei,
          bias ? &m.bias : NULL, &m.dst) != dnnl_success)
    return nnd_kernel_fail(ctx, "oneDNN does not take this dense layer");
  dnnl_primitive_desc_t fpd = nnd_dnnl_pd(ctx, &fd, NULL);
  if (!fpd) return -1;
  if (training) {
    if (dnnl_inner_product_backward_data_desc_init(&bd, &m.src, &m.wei, &m.dst) !=
            dnnl_success ||
        dnnl_inner_product_backward_weights_desc_init(&wd, &m.src, &m.wei, bias ? &m.bias : NULL,
                                                      &m.dst) != dnnl_success) {
      dnnl_primitive_desc_destroy(fpd);
      return nnd_kernel_fail(ctx, "oneDNN does not take this dense layer's backward");
    }
    if (nnd_dnnl_make_layer_backward(ctx, e, &bd, &wd, fpd) != 0) return -1;
    e->tmp_floats =
        (dx_bytes(k) + dw_bytes(k) + nnd_dnnl_round((size_t)k[K_OUT] * sizeof(float))) / 4;
  }
  return nnd_dnnl_make(ctx, fpd, e, 0);
}

static size_t fwd_need(const nnd_dnnl_entry *e) { return e->scratch; }
static size_t bwd_need(const nnd_dnnl_entry *e) {
  return nnd_dnnl_round(e->scratch) + e->tmp_floats * sizeof(float);
}

size_t nnd_dnnl_dense_workspace(const nnd_kernel_ctx *ctx) {
  int64_t key[NND_DNNL_KEY];
  int owned;
  if (dense_key(ctx, 1, key) != 0) return 0;
  nnd_dnnl_entry *e = nnd_dnnl_lookup(ctx, key, dense_build, &owned);
  if (!e) return 0;
  size_t need = bwd_need(e);
  if (owned) nnd_dnnl_release(e);
  key[K_TRAIN] = 0;
  e = nnd_dnnl_lookup(ctx, key, dense_build, &owned);
  if (e && fwd_need(e) > need) need = fwd_need(e);
  if (e && owned) nnd_dnnl_release(e);
  return need;
}

int nnd_dnnl_dense_supports(const nnd_kernel_ctx *ctx) {
  int64_t key[NND_DNNL_KEY];
  int owned;
  if (dense_key(ctx, 1, key) != 0) return 0;
  nnd_dnnl_entry *e = nnd_dnnl_lookup(ctx, key, dense_build, &owned);
  if (e && owned) nnd_dnnl_release(e);
  return e != NULL;
}

int nnd_dnnl_dense_forward(const nnd_kernel_ctx *ctx) {
  int64_t key[NND_DNNL_KEY];
  if (dense_key(ctx, ctx->training != 0, key) != 0) return -1;
  nnd_dnnl_call c;
  if (nnd_dnnl_begin(ctx, key, dense_build, fwd_need, &c) != 0) return -1;
  dense_mds m = mds_of(c.e->key);
  nnd_dnnl_args a;
  nnd_dnnl_args_init(&a, &c, 0);
  int rc = nnd_dnnl_arg(ctx, &a, DNNL_ARG_SRC, &m.src, ctx->inputs[0].data) ||
           nnd_dnnl_arg(ctx, &a, DNNL_ARG_WEIGHTS, &m.wei, ctx->inputs[1].data) ||
           (key[K_BIAS] && nnd_dnnl_arg(ctx, &a, DNNL_ARG_BIAS, &m.bias, ctx->inputs[2].data)) ||
           nnd_dnnl_arg(ctx, &a, DNNL_ARG_DST, &m.dst, ctx->output.data) ||
           nnd_dnnl_scratch_arg(ctx, c.e, &a, 0);
  if (!rc) rc = nnd_dnnl_run(ctx, c.e->prim[0], &a);
  nnd_dnnl_args_done(&a);
  nnd_dnnl_end(&c);
  return rc ? -1 : 0;
}

int nnd_dnnl_dense_backward(const nnd_kernel_ctx *ctx) {
  int64_t key[NND_DNNL_KEY];
  if (dense_key(ctx, 1, key) != 0) return -1;
  nnd_dnnl_call c;
  if (nnd_dnnl_begin(ctx, key, dense_build, bwd_need, &c) != 0) return -1;
  const int64_t *k = c.e->key;
  dense_mds m = mds_of(k);
  char *ws = (char *)ctx->workspace + nnd_dnnl_round(c.e->scratch);
  float *tdx = (float *)ws, *tdw = (float *)(ws + dx_bytes(k));
  float *tdb = (float *)(ws + dx_bytes(k) + dw_bytes(k));
  nnd_dnnl_layer_mds md = {&m.src, &m.wei, &m.bias, &m.dst};
  int rc = nnd_dnnl_layer_backward(ctx, &c, &md, (int)k[K_BIAS], tdx, tdw, tdb);
  nnd_dnnl_end(&c);
  return rc ? -1 : 0;
}
