/* pool.c — maxpool and avgpool (1-D and 2-D) on oneDNN, forward and
 * backward. avgpool counts the padding in the divisor, as nnd's naive
 * kernel and PyTorch's default do (oneDNN's avg_include_padding). maxpool's
 * forward always runs oneDNN's training form, which records where each
 * maximum was in the node's workspace for the backward pass; recording it
 * in inference too costs little and keeps a backward after any forward
 * correct.
 *
 * Workspace: the argmax record (maxpool), oneDNN's scratchpad, then the
 * input gradient as oneDNN writes it, before it is added into nnd's (unless
 * this kernel writes nnd's first: then oneDNN writes there). */
#include <string.h>

#include "dnnl_plugin.h"

enum { K_OP, K_TRAIN, K_THREADS, K_MAX, K_N, K_C, K_H, K_W, K_OH, K_OW, K_KH, K_KW, K_SH, K_SW,
       K_PH, K_PW };
#define OP_POOL 3

static int pool_key(const nnd_kernel_ctx *ctx, int training, int64_t *key) {
  nnd_pool_geom g;
  if (nnd_pool_geometry(ctx, &g) != 0) return -1;
  int is_max = strcmp(ctx->op, "maxpool") == 0;
  const nnd_tensor *x = &ctx->inputs[0];
  memset(key, 0, NND_DNNL_KEY * sizeof *key);
  int64_t v[] = {OP_POOL, training || is_max, nnd_dnnl_threads(), is_max, x->dim[0], x->dim[1],
                 g.h, g.w, g.oh, g.ow, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw};
  memcpy(key, v, sizeof v);
  return 0;
}

typedef struct {
  dnnl_memory_desc_t src, dst;
  dnnl_dims_t strides, kernel, pad;
  dnnl_alg_kind_t alg;
} pool_mds;

static pool_mds mds_of(const int64_t *k) {
  pool_mds m;
  int64_t src[] = {k[K_N], k[K_C], k[K_H], k[K_W]}, dst[] = {k[K_N], k[K_C], k[K_OH], k[K_OW]};
  m.src = nnd_dnnl_md(4, src, dnnl_nchw);
  m.dst = nnd_dnnl_md(4, dst, dnnl_nchw);
  m.strides[0] = k[K_SH], m.strides[1] = k[K_SW];
  m.kernel[0] = k[K_KH], m.kernel[1] = k[K_KW];
  /* symmetric: the output size (floor) already says how many windows fit */
  m.pad[0] = k[K_PH], m.pad[1] = k[K_PW];
  m.alg = k[K_MAX] ? dnnl_pooling_max : dnnl_pooling_avg_include_padding;
  return m;
}

static size_t dx_bytes(const int64_t *k) {
  return nnd_dnnl_round((size_t)(k[K_N] * k[K_C] * k[K_H] * k[K_W]) * sizeof(float));
}

static int pool_build(const nnd_kernel_ctx *ctx, nnd_dnnl_entry *e) {
  const int64_t *k = e->key;
  pool_mds m = mds_of(k);
  int training = (int)k[K_TRAIN];
  dnnl_pooling_desc_t fd, bd;
  if (dnnl_pooling_forward_desc_init(&fd, training ? dnnl_forward_training : dnnl_forward_inference,
                                     m.alg, &m.src, &m.dst, m.strides, m.kernel, m.pad,
                                     m.pad) != dnnl_success)
    return nnd_kernel_fail(ctx, "oneDNN does not take this pooling geometry");
  dnnl_primitive_desc_t fpd = nnd_dnnl_pd(ctx, &fd, NULL);
  if (!fpd) return -1;
  const dnnl_memory_desc_t *ws = dnnl_primitive_desc_query_md(fpd, dnnl_query_workspace_md, 0);
  if (ws && ws->ndims > 0) {
    e->ws_md = *ws;
    e->ws_bytes = dnnl_memory_desc_get_size(ws);
  }
  if (training) {
    if (dnnl_pooling_backward_desc_init(&bd, m.alg, &m.src, &m.dst, m.strides, m.kernel, m.pad,
                                        m.pad) != dnnl_success) {
      dnnl_primitive_desc_destroy(fpd);
      return nnd_kernel_fail(ctx, "oneDNN does not take this pooling's backward");
    }
    dnnl_primitive_desc_t bpd = nnd_dnnl_pd(ctx, &bd, fpd);
    if (!bpd || nnd_dnnl_make(ctx, bpd, e, 1) != 0) {
      dnnl_primitive_desc_destroy(fpd);
      return -1;
    }
    e->tmp_floats = dx_bytes(k) / sizeof(float);
  }
  return nnd_dnnl_make(ctx, fpd, e, 0);
}

/* [argmax record][scratchpad][dx] */
static size_t scratch_at(const nnd_dnnl_entry *e) { return nnd_dnnl_round(e->ws_bytes); }
static size_t fwd_need(const nnd_dnnl_entry *e) { return scratch_at(e) + e->scratch; }
static size_t bwd_need(const nnd_dnnl_entry *e) {
  return scratch_at(e) + nnd_dnnl_round(e->scratch) + e->tmp_floats * sizeof(float);
}

size_t nnd_dnnl_pool_workspace(const nnd_kernel_ctx *ctx) {
  int64_t key[NND_DNNL_KEY];
  int owned;
  if (pool_key(ctx, 1, key) != 0) return 0;
  nnd_dnnl_entry *e = nnd_dnnl_lookup(ctx, key, pool_build, &owned);
  if (!e) return 0;
  size_t need = bwd_need(e);
  if (owned) nnd_dnnl_release(e);
  if (pool_key(ctx, 0, key) != 0) return need;
  e = nnd_dnnl_lookup(ctx, key, pool_build, &owned);
  if (e && fwd_need(e) > need) need = fwd_need(e);
  if (e && owned) nnd_dnnl_release(e);
  return need;
}

int nnd_dnnl_pool_supports(const nnd_kernel_ctx *ctx) {
  int64_t key[NND_DNNL_KEY];
  int owned;
  if (pool_key(ctx, 1, key) != 0) return 0;
  nnd_dnnl_entry *e = nnd_dnnl_lookup(ctx, key, pool_build, &owned);
  if (e && owned) nnd_dnnl_release(e);
  return e != NULL;
}

int nnd_dnnl_pool_forward(const nnd_kernel_ctx *ctx) {
  int64_t key[NND_DNNL_KEY];
  if (pool_key(ctx, ctx->training != 0, key) != 0) return -1;
  nnd_dnnl_call c;
  if (nnd_dnnl_begin(ctx, key, pool_build, fwd_need, &c) != 0) return -1;
  pool_mds m = mds_of(c.e->key);
  nnd_dnnl_args a;
  nnd_dnnl_args_init(&a, &c, 0);
  int rc = nnd_dnnl_arg(ctx, &a, DNNL_ARG_SRC, &m.src, ctx->inputs[0].data) ||
           nnd_dnnl_arg(ctx, &a, DNNL_ARG_DST, &m.dst, ctx->output.data) ||
           (c.e->ws_bytes &&
            nnd_dnnl_arg(ctx, &a, DNNL_ARG_WORKSPACE, &c.e->ws_md, ctx->workspace)) ||
           nnd_dnnl_scratch_arg(ctx, c.e, &a, scratch_at(c.e));
  if (!rc) rc = nnd_dnnl_run(ctx, c.e->prim[0], &a);
  nnd_dnnl_args_done(&a);
  nnd_dnnl_end(&c);
  return rc ? -1 : 0;
}

int nnd_dnnl_pool_backward(const nnd_kernel_ctx *ctx) {
  float *dx = ctx->grad_inputs[0].data;
  if (!dx) return 0;
  int64_t key[NND_DNNL_KEY];
  if (pool_key(ctx, 1, key) != 0) return -1;
  nnd_dnnl_call c;
  if (nnd_dnnl_begin(ctx, key, pool_build, bwd_need, &c) != 0) return -1;
  pool_mds m = mds_of(c.e->key);
  float *tdx = (float *)((char *)ctx->workspace + scratch_at(c.e) + nnd_dnnl_round(c.e->scratch));
  nnd_dnnl_args a;
  nnd_dnnl_args_init(&a, &c, 1);
  int rc = nnd_dnnl_arg(ctx, &a, DNNL_ARG_DIFF_DST, &m.dst, ctx->grad_output->data) ||
           nnd_dnnl_arg(ctx, &a, DNNL_ARG_DIFF_SRC, &m.src, nnd_dnnl_grad_out(ctx, 0, tdx)) ||
           (c.e->ws_bytes &&
            nnd_dnnl_arg(ctx, &a, DNNL_ARG_WORKSPACE, &c.e->ws_md, ctx->workspace)) ||
           nnd_dnnl_scratch_arg(ctx, c.e, &a, scratch_at(c.e));
  if (!rc) rc = nnd_dnnl_run(ctx, c.e->prim[1], &a);
  if (!rc) nnd_dnnl_grad_in(ctx, 0, tdx);
  nnd_dnnl_args_done(&a);
  nnd_dnnl_end(&c);
  return rc ? -1 : 0;
}
