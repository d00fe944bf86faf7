/* eltwise.c — relu, leaky_relu, sigmoid and tanh on oneDNN's eltwise,
 * forward and backward, over a tensor seen as one flat run of elements
 * (the ops are pointwise, so any shape, batched or not, is that run).
 * relu and leaky_relu are oneDNN's relu with alpha 0 or the slope, and take
 * their gradient from the input; sigmoid and tanh take theirs from the
 * output (oneDNN's *_use_dst_for_bwd), as the naive kernels do.
 *
 * Workspace: oneDNN's scratchpad, then the input gradient as oneDNN writes
 * it, before it is added into nnd's (unless this kernel writes nnd's first:
 * then oneDNN writes there). */
#include <string.h>

#include "dnnl_plugin.h"

enum { K_OP, K_TRAIN, K_THREADS, K_ALG, K_NUMEL, K_ALPHA };
#define OP_ELTWISE 4

static int eltwise_key(const nnd_kernel_ctx *ctx, int64_t *key) {
  if (nnd_kernel_check_same(ctx) != 0) return -1;
  dnnl_alg_kind_t alg;
  double alpha = 0;
  if (strcmp(ctx->op, "relu") == 0) {
    alg = dnnl_eltwise_relu;
  } else if (strcmp(ctx->op, "leaky_relu") == 0) {
    alg = dnnl_eltwise_relu;
    alpha = nnd_kernel_num(ctx, 0, 0.01);
  } else if (strcmp(ctx->op, "sigmoid") == 0) {
    alg = dnnl_eltwise_logistic_use_dst_for_bwd;
  } else if (strcmp(ctx->op, "tanh") == 0) {
    alg = dnnl_eltwise_tanh_use_dst_for_bwd;
  } else {
    return nnd_kernel_fail(ctx, "the dnnl plugin has no `%s`", ctx->op);
  }
  float a = (float)alpha;
  int32_t bits;
  memcpy(&bits, &a, sizeof bits);
  memset(key, 0, NND_DNNL_KEY * sizeof *key);
  int64_t v[] = {OP_ELTWISE, 1, nnd_dnnl_threads(), (int64_t)alg, ctx->output.numel, bits};
  memcpy(key, v, sizeof v);
  return 0;
}

static float alpha_of(const int64_t *k) {
  int32_t bits = (int32_t)k[K_ALPHA];
  float a;
  memcpy(&a, &bits, sizeof a);
  return a;
}

static int eltwise_build(const nnd_kernel_ctx *ctx, nnd_dnnl_entry *e) {
  const int64_t *k = e->key;
  dnnl_memory_desc_t md = nnd_dnnl_md(1, &k[K_NUMEL], dnnl_a);
  dnnl_alg_kind_t alg = (dnnl_alg_kind_t)k[K_ALG];
  dnnl_eltwise_desc_t fd, bd;
  if (dnnl_eltwise_forward_desc_init(&fd, dnnl_forward_training, alg, &md, alpha_of(k), 0) !=
      dnnl_success)
    return nnd_kernel_fail(ctx, "oneDNN does not take this activation");
  dnnl_primitive_desc_t fpd = nnd_dnnl_pd(ctx, &fd, NULL);
  if (!fpd) return -1;
  if (dnnl_eltwise_backward_desc_init(&bd, alg, &md, &md, alpha_of(k), 0) != dnnl_success) {
    dnnl_primitive_desc_destroy(fpd);
    return nnd_kernel_fail(ctx, "oneDNN does not take this activation's backward");
  }
  dnnl_primitive_desc_t bpd = nnd_dnnl_pd(ctx, &bd, fpd);
  if (!bpd || nnd_dnnl_make(ctx, bpd, e, 1) != 0) {
    dnnl_primitive_desc_destroy(fpd);
    return -1;
  }
  e->tmp_floats = nnd_dnnl_round((size_t)k[K_NUMEL] * sizeof(float)) / sizeof(float);
  return nnd_dnnl_make(ctx, fpd, e, 0);
}

static size_t fwd_need(const nnd_dnnl_entry *e) { return e->scratch; }
static size_t bwd_need(const nnd_dnnl_entry *e) {
  return nnd_dnnl_round(e->scratch) + e->tmp_floats * sizeof(float);
}

size_t nnd_dnnl_eltwise_workspace(const nnd_kernel_ctx *ctx) {
  int64_t key[NND_DNNL_KEY];
  int owned;
  if (eltwise_key(ctx, key) != 0) return 0;
  nnd_dnnl_entry *e = nnd_dnnl_lookup(ctx, key, eltwise_build, &owned);
  if (!e) return 0;
  size_t need = bwd_need(e);
  if (owned) nnd_dnnl_release(e);
  return need;
}

int nnd_dnnl_eltwise_supports(const nnd_kernel_ctx *ctx) {
  int64_t key[NND_DNNL_KEY];
  int owned;
  if (eltwise_key(ctx, key) != 0) return 0;
  nnd_dnnl_entry *e = nnd_dnnl_lookup(ctx, key, eltwise_build, &owned);
  if (e && owned) nnd_dnnl_release(e);
  return e != NULL;
}

int nnd_dnnl_eltwise_forward(const nnd_kernel_ctx *ctx) {
  int64_t key[NND_DNNL_KEY];
  if (eltwise_key(ctx, key) != 0) return -1;
  nnd_dnnl_call c;
  if (nnd_dnnl_begin(ctx, key, eltwise_build, fwd_need, &c) != 0) return -1;
  dnnl_memory_desc_t md = nnd_dnnl_md(1, &c.e->key[K_NUMEL], dnnl_a);
  nnd_dnnl_args a;
  nnd_dnnl_args_init(&a, &c, 0);
  int rc = nnd_dnnl_arg(ctx, &a, DNNL_ARG_SRC, &md, ctx->inputs[0].data) ||
           nnd_dnnl_arg(ctx, &a, DNNL_ARG_DST, &md, ctx->output.data) ||
           nnd_dnnl_scratch_arg(ctx, c.e, &a, 0);
  if (!rc) rc = nnd_dnnl_run(ctx, c.e->prim[0], &a);
  nnd_dnnl_args_done(&a);
  nnd_dnnl_end(&c);
  return rc ? -1 : 0;
}

int nnd_dnnl_eltwise_backward(const nnd_kernel_ctx *ctx) {
  float *dx = ctx->grad_inputs[0].data;
  if (!dx) return 0;
  int64_t key[NND_DNNL_KEY];
  if (eltwise_key(ctx, key) != 0) return -1;
  nnd_dnnl_call c;
  if (nnd_dnnl_begin(ctx, key, eltwise_build, bwd_need, &c) != 0) return -1;
  dnnl_memory_desc_t md = nnd_dnnl_md(1, &c.e->key[K_NUMEL], dnnl_a);
  dnnl_alg_kind_t alg = (dnnl_alg_kind_t)c.e->key[K_ALG];
  int use_dst = alg != dnnl_eltwise_relu;
  float *tdx = (float *)((char *)ctx->workspace + nnd_dnnl_round(c.e->scratch));
  nnd_dnnl_args a;
  nnd_dnnl_args_init(&a, &c, 1);
  int rc = nnd_dnnl_arg(ctx, &a, use_dst ? DNNL_ARG_DST : DNNL_ARG_SRC, &md,
                        use_dst ? ctx->output.data : ctx->inputs[0].data) ||
           nnd_dnnl_arg(ctx, &a, DNNL_ARG_DIFF_DST, &md, ctx->grad_output->data) ||
           nnd_dnnl_arg(ctx, &a, DNNL_ARG_DIFF_SRC, &md, nnd_dnnl_grad_out(ctx, 0, tdx)) ||
           nnd_dnnl_scratch_arg(ctx, c.e, &a, 0);
  if (!rc) rc = nnd_dnnl_run(ctx, c.e->prim[1], &a);
  if (!rc) nnd_dnnl_grad_in(ctx, 0, tdx);
  nnd_dnnl_args_done(&a);
  nnd_dnnl_end(&c);
  return rc ? -1 : 0;
}
