/* ops_conv.c — conv1d and conv2d: cross-correlation as in PyTorch, NCHW
 * activations and weight [out_ch, in_ch, k...], so weights interoperate. */
#include <string.h>

#include "ops.h"
#include "shape.h"

enum {
  CONV_FILTERS,
  CONV_KERNEL,
  CONV_STRIDE,
  CONV_PADDING,
  CONV_WEIGHT,
  CONV_BIAS,
  CONV_NATTRS
};

/* conv1d and conv2d differ only in how many spatial dims the lists have. */
#define CONV_ATTRS(N, WEIGHT_DOC)                                                    \
  {                                                                                  \
    [CONV_FILTERS] = {.name = "filters",                                             \
                      .type = NND_ATTR_INT,                                          \
                      .doc = "number of output channels",                            \
                      .required = 1,                                                 \
                      .has_min = 1,                                                  \
                      .min = 1},                                                     \
    [CONV_KERNEL] = {.name = "kernel",                                               \
                     .type = NND_ATTR_INTS,                                          \
                     .doc = "window size, one int or one per spatial dim",           \
                     .required = 1,                                                  \
                     .has_min = 1,                                                   \
                     .min = 1,                                                       \
                     .count = N},                                                    \
    [CONV_STRIDE] = {.name = "stride",                                               \
                     .type = NND_ATTR_INTS,                                          \
                     .doc = "step between windows, one int or one per spatial dim",  \
                     .has_min = 1,                                                   \
                     .min = 1,                                                       \
                     .count = N,                                                     \
                     .has_default = 1,                                               \
                     .def_num = 1},                                                  \
    [CONV_PADDING] = {.name = "padding",                                             \
                      .type = NND_ATTR_PADDING,                                      \
                      .doc = "zeros added on each side, or \"same\" (stride 1) or "  \
                             "\"valid\"",                                            \
                      .has_min = 1,                                                  \
                      .min = 0,                                                      \
                      .count = N,                                                    \
                      .has_default = 1,                                              \
                      .def_num = 0},                                                 \
    [CONV_WEIGHT] = {.name = "weight",                                               \
                     .type = NND_ATTR_INIT,                                          \
                     .doc = WEIGHT_DOC,                                              \
                     .has_default = 1,                                               \
                     .def_str = "xavier"},                                           \
    [CONV_BIAS] = {.name = "bias",                                                   \
                   .type = NND_ATTR_INIT,                                            \
                   .doc = "initial bias [filters]; false for no bias",               \
                   .optional = 1,                                                    \
                   .has_default = 1,                                                 \
                   .def_str = "zeros"},                                              \
  }

static const nnd_attr_spec conv1d_attrs[CONV_NATTRS] =
    CONV_ATTRS(1, "initial weight [filters, channels, k]: an initializer or a literal");
static const nnd_attr_spec conv2d_attrs[CONV_NATTRS] =
    CONV_ATTRS(2, "initial weight [filters, channels, kh, kw]: an initializer or a literal");

static int conv_infer(nnd_infer *ctx, int nsp, const char *layout) {
  if (nnd_op_need_activation(ctx, 0) != 0) return -1;
  const nnd_type *x = &ctx->inputs[0];
  if (x->ndim != nsp + 1) {
    char s[NND_OPS_SHAPE_MAX];
    return nnd_op_fail(ctx, "%s expects %s but `%s` is %s", nnd_op_name(ctx), layout,
                       nnd_op_input(ctx, 0), nnd_shape_str(x, s, sizeof s));
  }
  int64_t k[2], s[2], lo[2], hi[2], out[3], w[4];
  if (nnd_op_spatial(ctx, "kernel", &ctx->attrs[CONV_KERNEL], nsp, 1, k) != 0 ||
      nnd_op_spatial(ctx, "stride", &ctx->attrs[CONV_STRIDE], nsp, 1, s) != 0)
    return -1;
  const nnd_value *pad = &ctx->attrs[CONV_PADDING];
  if (pad->kind == NND_VAL_STRING) {
    char msg[NND_MESSAGE_MAX];
    if (nnd_padding_resolve(pad, nsp, k, s, lo, hi, msg, sizeof msg) != 0)
      return nnd_op_fail(ctx, "%s: %s", nnd_op_name(ctx), msg);
  } else {
    if (nnd_op_spatial(ctx, "padding", pad, nsp, 0, lo) != 0) return -1;
    memcpy(hi, lo, sizeof lo);
  }
  if (nnd_op_windows(ctx, "kernel", nsp, k, s, lo, hi, out + 1) != 0) return -1;
  out[0] = nnd_op_int(&ctx->attrs[CONV_FILTERS]);
  w[0] = out[0];
  w[1] = x->dim[0];
  for (int i = 0; i < nsp; i++) w[2 + i] = k[i];
  if (nnd_op_output(ctx, 1, nsp + 1, out) != 0 ||
      nnd_op_param(ctx, "weight", nsp + 2, w, "weight", NULL, 1) != 0)
    return -1;
  if (!nnd_op_init_off(&ctx->attrs[CONV_BIAS]) &&
      nnd_op_param(ctx, "bias", 1, out, "bias", NULL, 1) != 0)
    return -1;
  return 0;
}

static int conv1d_infer(nnd_infer *ctx) {
  return conv_infer(ctx, 1, "[N, channels, length]");
}

static int conv2d_infer(nnd_infer *ctx) {
  return conv_infer(ctx, 2, "[N, channels, height, width]");
}

const nnd_op_schema nnd_ops_conv[] = {
    {.size = sizeof(nnd_op_schema),
     .name = "conv1d",
     .doc = "1-D convolution: [N, channels, length] -> [N, filters, length']",
     .min_inputs = 1,
     .max_inputs = 1,
     .attrs = conv1d_attrs,
     .n_attrs = CONV_NATTRS,
     .infer = conv1d_infer},
    {.size = sizeof(nnd_op_schema),
     .name = "conv2d",
     .doc = "2-D convolution: [N, channels, height, width] -> [N, filters, height', width']",
     .min_inputs = 1,
     .max_inputs = 1,
     .attrs = conv2d_attrs,
     .n_attrs = CONV_NATTRS,
     .infer = conv2d_infer},
};
const int nnd_ops_conv_count = sizeof nnd_ops_conv / sizeof nnd_ops_conv[0];
