/* conv.c — conv1d and conv2d on oneDNN: forward (with the bias), backward
 * data, backward weights and bias. conv1d is conv2d with height 1, as in
 * the other backends. Padding is passed as nnd computes it, before and after
 * ("same" with an even kernel pads one more on the right, as PyTorch does).
 *
 * Workspace: oneDNN's scratchpad, then (training) the input, weight and bias
 * gradients as oneDNN writes them, before they are added into nnd's. */
#include <string.h>

#include "dnnl_plugin.h"

enum { K_OP, K_TRAIN, K_THREADS, K_N, K_C, K_H, K_W, K_F, K_OH, K_OW, K_KH, K_KW, K_SH, K_SW,
       K_PH, K_PW, K_PHR, K_PWR, K_BIAS };
#define OP_CONV 1

/* The key of a conv node: its geometry and padding on both sides. */
static int conv_key(const nnd_kernel_ctx *ctx, int nsp, int training, int64_t *key) {
  nnd_conv_geom g;
  if (nnd_conv_geometry(ctx, nsp, &g) != 0) return -1;
  int64_t k[2], s[2], lo[2], hi[2];
  if (nnd_kernel_ints(nnd_kernel_attr(ctx, NND_CONV_KERNEL), nsp, 1, k) != 0 ||
      nnd_kernel_ints(nnd_kernel_attr(ctx, NND_CONV_STRIDE), nsp, 1, s) != 0 ||
      nnd_kernel_padding(nnd_kernel_attr(ctx, NND_CONV_PADDING), nsp, k, s, lo, hi) != 0)
    return nnd_kernel_fail(ctx, "bad kernel, stride or padding attribute");
  memset(key, 0, NND_DNNL_KEY * sizeof *key);
  int64_t v[] = {OP_CONV, training, nnd_dnnl_threads(), g.n, g.c, g.h, g.w, g.f, g.oh, g.ow,
                 g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, nsp == 1 ? 0 : hi[0], hi[nsp - 1],
                 g.has_bias};
  memcpy(key, v, sizeof v);
  return 0;
}

static size_t tmp_of(const int64_t *k) {
  return nnd_dnnl_round((size_t)(k[K_N] * k[K_C] * k[K_H] * k[K_W]) * sizeof(float)) +
         nnd_dnnl_round((size_t)(k[K_F] * k[K_C] * k[K_KH] * k[K_KW]) * sizeof(float)) +
         nnd_dnnl_round((size_t)k[K_F] * sizeof(float));
}

typedef struct {
  dnnl_memory_desc_t src, wei, bias, dst;
  dnnl_dims_t strides, pl, pr;
} conv_mds;

static conv_mds mds_of(const int64_t *k) {
  conv_mds m;
  int64_t src[] = {k[K_N], k[K_C], k[K_H], k[K_W]}, wei[] = {k[K_F], k[K_C], k[K_KH], k[K_KW]},
          dst[] = {k[K_N], k[K_F], k[K_OH], k[K_OW]}, bias[] = {k[K_F]};
  m.src = nnd_dnnl_md(4, src, dnnl_nchw);
  m.wei = nnd_dnnl_md(4, wei, dnnl_oihw);
  m.dst = nnd_dnnl_md(4, dst, dnnl_nchw);
  m.bias = nnd_dnnl_md(1, bias, dnnl_a);
  m.strides[0] = k[K_SH], m.strides[1] = k[K_SW];
  m.pl[0] = k[K_PH], m.pl[1] = k[K_PW];
  m.pr[0] = k[K_PHR], m.pr[1] = k[K_PWR];
  return m;
}

static int conv_build(const nnd_kernel_ctx *ctx, nnd_dnnl_entry *e) {
  const int64_t *k = e->key;
  conv_mds m = mds_of(k);
  int bias = (int)k[K_BIAS], training = (int)k[K_TRAIN];
  dnnl_convolution_desc_t fd, bd, wd;
  if (dnnl_convolution_forward_desc_init(
          &fd, training ? dnnl_forward_training : dnnl_forward_inference, dnnl_convolution_auto,
          &m.src, &m.wei, bias ? &m.bias : NULL, &m.dst, m.strides, m.pl, m.pr) != dnnl_success)
    return nnd_kernel_fail(ctx, "oneDNN does not take this convolution's geometry");
  dnnl_primitive_desc_t fpd = nnd_dnnl_pd(ctx, &fd, NULL);
  if (!fpd) return -1;
  if (training) {
    if (dnnl_convolution_backward_data_desc_init(&bd, dnnl_convolution_auto, &m.src, &m.wei,
                                                 &m.dst, m.strides, m.pl, m.pr) != dnnl_success ||
        dnnl_convolution_backward_weights_desc_init(&wd, dnnl_convolution_auto, &m.src, &m.wei,
                                                    bias ? &m.bias : NULL, &m.dst, m.strides,
                                                    m.pl, m.pr) != dnnl_success) {
      dnnl_primitive_desc_destroy(fpd);
      return nnd_kernel_fail(ctx, "oneDNN does not take this convolution's backward");
    }
    if (nnd_dnnl_make_layer_backward(ctx, e, &bd, &wd, fpd) != 0) return -1;
    e->tmp_floats = tmp_of(k) / sizeof(float);
  }
  return nnd_dnnl_make(ctx, fpd, e, 0);
}

static size_t fwd_need(const nnd_dnnl_entry *e) { return e->scratch; }
static size_t bwd_need(const nnd_dnnl_entry *e) {
  return nnd_dnnl_round(e->scratch) + e->tmp_floats * sizeof(float);
}

static size_t conv_workspace(const nnd_kernel_ctx *ctx, int nsp) {
  int64_t key[NND_DNNL_KEY];
  int owned;
  if (conv_key(ctx, nsp, 1, key) != 0) return 0;
  nnd_dnnl_entry *e = nnd_dnnl_lookup(ctx, key, conv_build, &owned);
  if (!e) return 0;
  size_t need = bwd_need(e);
  key[K_TRAIN] = 0; /* inference may want more scratch than training */
  if (owned) nnd_dnnl_release(e);
  e = nnd_dnnl_lookup(ctx, key, conv_build, &owned);
  if (e && fwd_need(e) > need) need = fwd_need(e);
  if (e && owned) nnd_dnnl_release(e);
  return need;
}

static int conv_supports(const nnd_kernel_ctx *ctx, int nsp) {
  int64_t key[NND_DNNL_KEY];
  int owned;
  if (conv_key(ctx, nsp, 1, key) != 0) return 0;
  nnd_dnnl_entry *e = nnd_dnnl_lookup(ctx, key, conv_build, &owned);
  if (e && owned) nnd_dnnl_release(e);
  return e != NULL;
}

static int conv_forward(const nnd_kernel_ctx *ctx, int nsp) {
  int64_t key[NND_DNNL_KEY];
  if (conv_key(ctx, nsp, ctx->training != 0, key) != 0) return -1;
  nnd_dnnl_call c;
  if (nnd_dnnl_begin(ctx, key, conv_build, fwd_need, &c) != 0) return -1;
  conv_mds m = mds_of(c.e->key);
  nnd_dnnl_args a;
  nnd_dnnl_args_init(&a, &c, 0);
  int rc = nnd_dnnl_arg(ctx, &a, DNNL_ARG_SRC, &m.src, ctx->inputs[0].data) ||
           nnd_dnnl_arg(ctx, &a, DNNL_ARG_WEIGHTS, &m.wei, ctx->inputs[1].data) ||
           (key[K_BIAS] && nnd_dnnl_arg(ctx, &a, DNNL_ARG_BIAS, &m.bias, ctx->inputs[2].data)) ||
           nnd_dnnl_arg(ctx, &a, DNNL_ARG_DST, &m.dst, ctx->output.data);
  if (!rc) rc = nnd_dnnl_scratch_arg(ctx, c.e, &a, 0);
  if (!rc) rc = nnd_dnnl_run(ctx, c.e->prim[0], &a);
  nnd_dnnl_args_done(&a);
  nnd_dnnl_end(&c);
  return rc ? -1 : 0;
}

static int conv_backward(const nnd_kernel_ctx *ctx, int nsp) {
  int64_t key[NND_DNNL_KEY];
  if (conv_key(ctx, nsp, 1, key) != 0) return -1;
  nnd_dnnl_call c;
  if (nnd_dnnl_begin(ctx, key, conv_build, bwd_need, &c) != 0) return -1;
  const int64_t *k = c.e->key;
  conv_mds m = mds_of(k);
  char *ws = (char *)ctx->workspace;
  float *tdx = (float *)(ws + nnd_dnnl_round(c.e->scratch));
  float *tdw = tdx + nnd_dnnl_round((size_t)(k[K_N] * k[K_C] * k[K_H] * k[K_W]) * 4) / 4;
  float *tdb = tdw + nnd_dnnl_round((size_t)(k[K_F] * k[K_C] * k[K_KH] * k[K_KW]) * 4) / 4;
  nnd_dnnl_layer_mds md = {&m.src, &m.wei, &m.bias, &m.dst};
  int rc = nnd_dnnl_layer_backward(ctx, &c, &md, (int)k[K_BIAS], tdx, tdw, tdb);
  nnd_dnnl_end(&c);
  return rc ? -1 : 0;
}

int nnd_dnnl_conv1d_forward(const nnd_kernel_ctx *ctx) { return conv_forward(ctx, 1); }
int nnd_dnnl_conv1d_backward(const nnd_kernel_ctx *ctx) { return conv_backward(ctx, 1); }
size_t nnd_dnnl_conv1d_workspace(const nnd_kernel_ctx *ctx) { return conv_workspace(ctx, 1); }
int nnd_dnnl_conv1d_supports(const nnd_kernel_ctx *ctx) { return conv_supports(ctx, 1); }
int nnd_dnnl_conv2d_forward(const nnd_kernel_ctx *ctx) { return conv_forward(ctx, 2); }
int nnd_dnnl_conv2d_backward(const nnd_kernel_ctx *ctx) { return conv_backward(ctx, 2); }
size_t nnd_dnnl_conv2d_workspace(const nnd_kernel_ctx *ctx) { return conv_workspace(ctx, 2); }
int nnd_dnnl_conv2d_supports(const nnd_kernel_ctx *ctx) { return conv_supports(ctx, 2); }
