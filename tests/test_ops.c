/* test_ops.c — the standard op schemas, called directly. Each check builds
 * the nnd_infer a host would build — attributes defaulted and normalised as
 * plugin.h says — from a compact text form, and asserts the exact output
 * shape, the parameters declared, or the exact message. */
#include <CUnit/CUnit.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/ops.h"
#include "shape.h"
#include "tests.h"

/* ------------------------------------------------------------- registry */

#define MAX_SCHEMAS 128
static const nnd_op_schema *ops[MAX_SCHEMAS];
static const nnd_call_schema *calls[MAX_SCHEMAS];
static int n_ops, n_calls;

static void collect_op(const nnd_op_schema *s) {
  if (n_ops < MAX_SCHEMAS) ops[n_ops++] = s;
}

static void collect_call(const nnd_call_schema *s) {
  if (n_calls < MAX_SCHEMAS) calls[n_calls++] = s;
}

static int suite_init(void) {
  n_ops = n_calls = 0;
  nnd_ops_register_standard(collect_op, collect_call);
  return 0;
}

static const nnd_op_schema *find_op(const char *name) {
  for (int i = 0; i < n_ops; i++)
    if (strcmp(ops[i]->name, name) == 0) return ops[i];
  return NULL;
}

static const nnd_call_schema *find_call(nnd_call_kind kind, const char *name) {
  for (int i = 0; i < n_calls; i++)
    if (calls[i]->kind == kind && strcmp(calls[i]->name, name) == 0) return calls[i];
  return NULL;
}

static const nnd_attr_spec *call_attr(nnd_call_kind kind, const char *call,
                                      const char *name) {
  const nnd_call_schema *c = find_call(kind, call);
  for (int i = 0; c && i < c->n_attrs; i++)
    if (strcmp(c->attrs[i].name, name) == 0) return &c->attrs[i];
  CU_FAIL_FATAL("no such call attribute");
  return NULL;
}

/* -------------------------------------------------------------- fixture */

/* One op call at a time: CUnit runs tests in sequence, and a file-level
 * fixture keeps each check to a line. */
#define MAX_ATTRS 16
#define MAX_ITEMS 8
#define MAX_INPUTS 8

static struct {
  const nnd_op_schema *schema;
  nnd_infer ctx;
  nnd_type in[MAX_INPUTS];
  const char *names[MAX_INPUTS];
  nnd_value attrs[MAX_ATTRS];
  nnd_value items[MAX_ATTRS][MAX_ITEMS];
  char attr_text[256], input_text[256];
  int status;
} F;

static nnd_value number(double v) {
  return (nnd_value){.kind = NND_VAL_NUMBER, .num = v, .is_int = v == (double)(int64_t)v};
}

static nnd_value *slot(const char *name) {
  for (int i = 0; i < F.schema->n_attrs; i++)
    if (strcmp(F.schema->attrs[i].name, name) == 0) return &F.attrs[i];
  CU_FAIL_FATAL("no such attribute");
  return NULL;
}

/* Attributes as a user writes them, without inner spaces:
 * `filters=32 kernel=[3,5] padding="same" bias=false`. */
static void parse_attrs(const char *spec) {
  snprintf(F.attr_text, sizeof F.attr_text, "%s", spec);
  for (char *tok = strtok(F.attr_text, " "); tok; tok = strtok(NULL, " ")) {
    char *val = strchr(tok, '=');
    CU_ASSERT_PTR_NOT_NULL_FATAL(val);
    *val++ = '\0';
    nnd_value *v = slot(tok);
    if (*val == '"') {
      val[strlen(val) - 1] = '\0';
      *v = (nnd_value){.kind = NND_VAL_STRING, .str = val + 1};
    } else if (!strcmp(val, "true") || !strcmp(val, "false")) {
      *v = (nnd_value){.kind = NND_VAL_BOOL, .num = *val == 't', .is_int = 1};
    } else if (*val == '[') {
      nnd_value *items = F.items[v - F.attrs];
      int n = 0;
      for (char *p = val + 1; *p && *p != ']' && n < MAX_ITEMS; p += *p == ',')
        items[n++] = number(strtod(p, &p));
      *v = (nnd_value){.kind = NND_VAL_LIST, .count = n, .items = items};
    } else {
      *v = number(strtod(val, NULL));
    }
  }
}

/* Inputs as `name:[1,28,28]` (an activation), `name:param[2,3]` (unbatched),
 * `name:class[10]` or `name:binary` (labels), separated by spaces. */
static void parse_inputs(const char *spec) {
  snprintf(F.input_text, sizeof F.input_text, "%s", spec);
  int n = 0;
  for (char *tok = strtok(F.input_text, " "); tok && n < MAX_INPUTS;
       tok = strtok(NULL, " ")) {
    char *p = strchr(tok, ':');
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    *p++ = '\0';
    nnd_type *t = &F.in[n];
    F.names[n++] = tok;
    *t = nnd_type_float(1, 0, NULL);
    if (!strncmp(p, "class[", 6)) {
      t->dtype = NND_CLASS;
      t->classes = strtol(p + 6, NULL, 10);
      continue;
    }
    if (!strcmp(p, "binary")) {
      t->dtype = NND_BINARY;
      continue;
    }
    if (!strncmp(p, "param", 5)) {
      t->batched = 0;
      p += 5;
    }
    for (p++; *p && *p != ']'; p += *p == ',') t->dim[t->ndim++] = strtol(p, &p, 10);
  }
  F.ctx.n_inputs = n;
}

static void normalise(void) {
  for (int i = 0; i < F.schema->n_attrs; i++) {
    const nnd_attr_spec *s = &F.schema->attrs[i];
    nnd_value *v = &F.attrs[i];
    if (v->kind == NND_VAL_NONE && s->has_default) {
      switch (s->type) {
      case NND_ATTR_BOOL: *v = (nnd_value){.kind = NND_VAL_BOOL, .num = s->def_num}; break;
      case NND_ATTR_STRING: *v = (nnd_value){.kind = NND_VAL_STRING, .str = s->def_str}; break;
      case NND_ATTR_INIT: *v = (nnd_value){.kind = NND_VAL_CALL, .str = s->def_str}; break;
      case NND_ATTR_PADDING:
        *v = s->def_str ? (nnd_value){.kind = NND_VAL_STRING, .str = s->def_str}
                        : number(s->def_num);
        break;
      default: *v = number(s->def_num);
      }
    }
    if ((s->type == NND_ATTR_INTS || s->type == NND_ATTR_PADDING) &&
        v->kind == NND_VAL_NUMBER) {
      int n = s->count ? s->count : 1;
      for (int j = 0; j < n; j++) F.items[i][j] = *v;
      *v = (nnd_value){.kind = NND_VAL_LIST, .count = n, .items = F.items[i]};
    }
  }
}

static int run(const char *op, const char *attrs, const char *inputs) {
  memset(&F, 0, sizeof F);
  F.schema = find_op(op);
  CU_ASSERT_PTR_NOT_NULL_FATAL(F.schema);
  CU_ASSERT_FATAL(F.schema->n_attrs <= MAX_ATTRS);
  parse_attrs(attrs);
  parse_inputs(inputs);
  normalise();
  int n = F.ctx.n_inputs;
  CU_ASSERT(n >= F.schema->min_inputs);
  CU_ASSERT(F.schema->max_inputs < 0 || n <= F.schema->max_inputs);
  F.ctx = (nnd_infer){.size = sizeof F.ctx, .op = F.schema->name, .n_inputs = n,
                      .inputs = F.in, .input_names = F.names,
                      .n_attrs = F.schema->n_attrs, .attrs = F.attrs};
  return F.status = F.schema->infer(&F.ctx);
}

/* --------------------------------------------------------------- checks */

/* `out` is written with nnd_shape_str_batch: "[N, 10]" is batched. */
static void ok(const char *op, const char *attrs, const char *inputs, const char *out) {
  char buf[NND_OPS_SHAPE_MAX];
  CU_ASSERT_EQUAL_FATAL(run(op, attrs, inputs), 0);
  CU_ASSERT_EQUAL(F.ctx.output.dtype, NND_FLOAT);
  CU_ASSERT_STRING_EQUAL(nnd_shape_str_batch(&F.ctx.output, buf, sizeof buf), out);
}

static void fails(const char *op, const char *attrs, const char *inputs, const char *msg) {
  CU_ASSERT_EQUAL(run(op, attrs, inputs), -1);
  CU_ASSERT_STRING_EQUAL(F.ctx.message, msg);
}

static const nnd_param_decl *param(const char *name) {
  for (int i = 0; i < F.ctx.n_params; i++)
    if (strcmp(F.ctx.params[i].name, name) == 0) return &F.ctx.params[i];
  return NULL;
}

static void param_is(const char *name, const char *shape, const char *init_attr,
                     const char *default_init, int trainable) {
  char buf[NND_OPS_SHAPE_MAX];
  const nnd_param_decl *p = param(name);
  CU_ASSERT_PTR_NOT_NULL_FATAL(p);
  CU_ASSERT(p->type.batched == 0 && p->type.dtype == NND_FLOAT);
  CU_ASSERT_STRING_EQUAL(nnd_shape_str(&p->type, buf, sizeof buf), shape);
  CU_ASSERT(init_attr ? p->init_attr && !strcmp(p->init_attr, init_attr) : !p->init_attr);
  CU_ASSERT(default_init ? p->default_init && !strcmp(p->default_init, default_init)
                         : !p->default_init);
  CU_ASSERT_EQUAL(p->trainable, trainable);
}

static int64_t trainable_count(void) {
  int64_t n = 0;
  for (int i = 0; i < F.ctx.n_params; i++)
    if (F.ctx.params[i].trainable) n += nnd_type_numel(&F.ctx.params[i].type);
  return n;
}

/* -------------------------------------------------------- schema tables */

static void test_registers_every_op(void) {
  static const char *const names[] = {
      "add", "sub", "mul", "matmul", "dense", "conv1d", "conv2d", "maxpool", "avgpool",
      "flatten", "reshape", "concat", "dropout", "batchnorm", "relu", "sigmoid", "tanh",
      "softmax", "log_softmax", "leaky_relu", "cross_entropy", "nll",
      "binary_cross_entropy", "mse", "one_hot"};
  int n = (int)(sizeof names / sizeof names[0]);
  CU_ASSERT_EQUAL(n_ops, n);
  for (int i = 0; i < n; i++) CU_ASSERT_PTR_NOT_NULL(find_op(names[i]));
  for (int i = 0; i < n_ops; i++)
    for (int j = i + 1; j < n_ops; j++) CU_ASSERT(strcmp(ops[i]->name, ops[j]->name) != 0);
}

static void test_registers_every_call(void) {
  static const char *const names[] = {
      [NND_CALL_INITIALIZER] = "xavier glorot he kaiming uniform normal zeros ones constant",
      [NND_CALL_OPTIMIZER] = "sgd adam rmsprop",
      [NND_CALL_DATA] = "idx csv moons blobs xor",
      [NND_CALL_SCHEDULE] = "step cosine constant"};
  int n = 0;
  for (int k = NND_CALL_INITIALIZER; k <= NND_CALL_SCHEDULE; k++) {
    char buf[128];
    snprintf(buf, sizeof buf, "%s", names[k]);
    for (char *w = strtok(buf, " "); w; w = strtok(NULL, " "), n++)
      CU_ASSERT_PTR_NOT_NULL(find_call((nnd_call_kind)k, w));
  }
  CU_ASSERT_EQUAL(n_calls, n);
  for (int i = 0; i < n_calls; i++)
    for (int j = i + 1; j < n_calls; j++)
      CU_ASSERT(calls[i]->kind != calls[j]->kind || strcmp(calls[i]->name, calls[j]->name));
}

/* Documented, defaults consistent with required flags, ranges and choices,
 * INIT defaults naming a registered initializer. */
static void check_attrs(const nnd_attr_spec *a, int n) {
  for (int i = 0; i < n; i++) {
    CU_ASSERT(a[i].name && a[i].doc && a[i].doc[0] && !strchr(a[i].doc, '\n'));
    CU_ASSERT(!(a[i].required && a[i].has_default));
    if (a[i].type == NND_ATTR_INIT && a[i].has_default)
      CU_ASSERT_PTR_NOT_NULL(find_call(NND_CALL_INITIALIZER, a[i].def_str));
    if (a[i].type == NND_ATTR_STRING && a[i].has_default && a[i].choices)
      CU_ASSERT_PTR_NOT_NULL(strstr(a[i].choices, a[i].def_str));
    if (a[i].has_default && a[i].has_min)
      CU_ASSERT(a[i].def_num > a[i].min || (a[i].def_num == a[i].min && !a[i].min_exclusive));
    if (a[i].has_default && a[i].has_max) CU_ASSERT(a[i].def_num <= a[i].max);
    for (int j = i + 1; j < n; j++) CU_ASSERT(strcmp(a[i].name, a[j].name) != 0);
  }
}

static void test_schemas_well_formed(void) {
  for (int i = 0; i < n_ops; i++) {
    const nnd_op_schema *s = ops[i];
    CU_ASSERT_EQUAL(s->size, sizeof(nnd_op_schema));
    CU_ASSERT(s->doc && s->doc[0] && !strchr(s->doc, '\n') && s->infer);
    CU_ASSERT(s->min_inputs >= 1 && (s->max_inputs == -1 || s->max_inputs >= s->min_inputs));
    CU_ASSERT((s->n_attrs == 0) == (s->attrs == NULL));
    check_attrs(s->attrs, s->n_attrs);
  }
  for (int i = 0; i < n_calls; i++) {
    const nnd_call_schema *c = calls[i];
    CU_ASSERT_EQUAL(c->size, sizeof(nnd_call_schema));
    CU_ASSERT(c->doc && c->doc[0] && c->n_positional >= 0 && c->n_positional <= c->n_attrs);
    check_attrs(c->attrs, c->n_attrs);
  }
}

static void test_flags_and_arity(void) {
  static const char *const loss = " cross_entropy nll binary_cross_entropy mse ";
  static const char *const pointwise = " relu sigmoid tanh leaky_relu ";
  static const char *const binary = " add sub mul matmul concat ";
  for (int i = 0; i < n_ops; i++) {
    char word[64];
    snprintf(word, sizeof word, " %s ", ops[i]->name);
    CU_ASSERT_EQUAL(!!(ops[i]->flags & NND_OP_LOSS), strstr(loss, word) != NULL);
    CU_ASSERT_EQUAL(!!(ops[i]->flags & NND_OP_ELEMENTWISE), strstr(pointwise, word) != NULL);
    CU_ASSERT_EQUAL(ops[i]->min_inputs, strstr(loss, word) || strstr(binary, word) ? 2 : 1);
  }
  CU_ASSERT_EQUAL(find_op("concat")->max_inputs, -1);
  CU_ASSERT_EQUAL(find_op("add")->max_inputs, 2);
}

/* ----------------------------------------------------------- arithmetic */

static void test_add_same_shape(void) {
  ok("add", "", "a:[3,4] b:[3,4]", "[N, 3, 4]");
  CU_ASSERT_EQUAL(F.ctx.n_params, 0);
}

static void test_add_batched_plus_parameter(void) {
  ok("add", "", "h:[2] b:param[2]", "[N, 2]");
  ok("add", "", "b:param[2] h:[2]", "[N, 2]");
}

static void test_broadcast_numpy_style(void) {
  ok("sub", "", "a:[4,1] b:param[3]", "[N, 4, 3]");
  ok("mul", "", "s:param[] W:param[2,3]", "[2, 3]");
}

static void test_add_cannot_broadcast(void) {
  fails("add", "", "a:[2,3] b:[4]", "add: cannot broadcast `a` [2, 3] with `b` [4]");
}

static void test_mul_rejects_label(void) {
  fails("mul", "", "x:[4] label:class[4]", "mul: `label` is a class label, not a float tensor");
}

static void test_matmul_matrix_vector(void) {
  ok("matmul", "", "W:param[2,3] x:[3]", "[N, 2]");
  ok("matmul", "", "x:[3] W:param[3,5]", "[N, 5]");
}

static void test_matmul_matrix_matrix_and_dot(void) {
  ok("matmul", "", "a:[2,3] b:param[3,4]", "[N, 2, 4]");
  ok("matmul", "", "u:[3] v:[3]", "[N]");
  ok("matmul", "", "A:param[2,3] B:param[3,2]", "[2, 2]");
}

static void test_matmul_inner_mismatch(void) {
  fails("matmul", "", "W:param[2,3] x:[4]",
        "matmul: `W` is [2, 3] but `x` is [4]; inner dimensions 3 and 4 differ");
}

static void test_matmul_leading_dims(void) {
  ok("matmul", "", "a:[5,2,3] b:param[3,4]", "[N, 5, 2, 4]");
  ok("matmul", "", "a:[5,2,3] b:[7,1,3,4]", "[N, 7, 5, 2, 4]");
  fails("matmul", "", "a:[5,2,3] b:[6,3,4]",
        "matmul: the leading dimensions of `a` [5, 2, 3] and `b` [6, 3, 4] do not broadcast");
  fails("matmul", "", "s:[] b:[3]", "matmul: `s` is a scalar; use * to scale by it");
}

/* ---------------------------------------------------------------- dense */

static void test_dense_shapes_and_params(void) {
  ok("dense", "units=128", "f:[784]", "[N, 128]");
  CU_ASSERT_EQUAL(F.ctx.n_params, 2);
  param_is("weight", "[128, 784]", "weight", NULL, 1);
  param_is("bias", "[128]", "bias", NULL, 1);
  CU_ASSERT_EQUAL(trainable_count(), 100480);
  CU_ASSERT_STRING_EQUAL(F.attrs[1].str, "xavier"); /* the default initializers */
  CU_ASSERT_STRING_EQUAL(F.attrs[2].str, "zeros");
}

static void test_dense_huge(void) {
  ok("dense", "units=15000", "x:[29403]", "[N, 15000]");
  CU_ASSERT_EQUAL(trainable_count(), INT64_C(441060000));
}

static void test_dense_needs_flatten(void) {
  fails("dense", "units=10", "f:[64,7,7]",
        "dense expects [N, features] but `f` is [64, 7, 7]; insert flatten()");
}

static void test_dense_without_bias(void) {
  ok("dense", "units=1 bias=false", "h:[2]", "[N, 1]");
  CU_ASSERT_EQUAL(F.ctx.n_params, 1);
  param_is("weight", "[1, 2]", "weight", NULL, 1);
  CU_ASSERT_PTR_NULL(param("bias"));
}

static void test_dense_rejects_parameter_and_label(void) {
  fails("dense", "units=4", "W:param[2,3]",
        "dense needs a batched activation as input, but `W` is a parameter of shape [2, 3]");
  fails("dense", "units=4", "y:binary", "dense: `y` is a binary label, not a float tensor");
}

static void test_dense_too_large(void) {
  fails("dense", "units=1073741824", "x:[1048576]",
        "dense: the parameter weight [1073741824, 1048576] has too many elements");
}

/* ---------------------------------------------------------- convolution */

static void test_conv2d_padding_keeps_size(void) {
  ok("conv2d", "filters=32 kernel=3 padding=1", "image:[1,28,28]", "[N, 32, 28, 28]");
  param_is("weight", "[32, 1, 3, 3]", "weight", NULL, 1);
  param_is("bias", "[32]", "bias", NULL, 1);
  CU_ASSERT_EQUAL(trainable_count(), 320);
}

static void test_conv2d_s001_stride(void) {
  ok("conv2d", "filters=64 kernel=6 padding=2 stride=4", "x:[3,98,98]", "[N, 64, 25, 25]");
  param_is("weight", "[64, 3, 6, 6]", "weight", NULL, 1);
}

static void test_conv2d_param_count(void) {
  ok("conv2d", "filters=6 kernel=3", "x:[3,32,32]", "[N, 6, 30, 30]");
  CU_ASSERT_EQUAL(trainable_count(), 168);
}

static void test_conv2d_rectangular(void) {
  ok("conv2d", "filters=4 kernel=[3,5] stride=[1,2] padding=[1,2] bias=false",
     "x:[2,10,20]", "[N, 4, 10, 10]");
  param_is("weight", "[4, 2, 3, 5]", "weight", NULL, 1);
  CU_ASSERT_EQUAL(F.ctx.n_params, 1);
}

static void test_conv2d_rank_error(void) {
  fails("conv2d", "filters=8 kernel=3", "x:[784]",
        "conv2d expects [N, channels, height, width] but `x` is [784]");
}

static void test_conv2d_kernel_does_not_fit(void) {
  fails("conv2d", "filters=1 kernel=5", "x:[1,3,3]",
        "conv2d: kernel 5x5 does not fit input [1, 3, 3] with padding 0");
  fails("conv2d", "filters=1 kernel=[3,9] padding=[1,2]", "x:[1,4,4]",
        "conv2d: kernel 3x9 does not fit input [1, 4, 4] with padding 1x2");
}

static void test_conv2d_rejects_parameter(void) {
  fails("conv2d", "filters=1 kernel=1", "W:param[2,3]",
        "conv2d needs a batched activation as input, but `W` is a parameter of shape [2, 3]");
}

static void test_conv2d_same_and_valid(void) {
  ok("conv2d", "filters=2 kernel=5 padding=\"same\"", "x:[3,15,16]", "[N, 2, 15, 16]");
  ok("conv2d", "filters=2 kernel=5 padding=\"valid\"", "x:[3,15,16]", "[N, 2, 11, 12]");
}

static void test_padding_same_even_kernel(void) {
  nnd_value same = {.kind = NND_VAL_STRING, .str = "same"};
  int64_t k = 4, s = 1, lo = -1, hi = -1;
  char msg[128];
  CU_ASSERT_EQUAL(nnd_padding_resolve(&same, 1, &k, &s, &lo, &hi, msg, sizeof msg), 0);
  CU_ASSERT(lo == 1 && hi == 2);
  ok("conv1d", "filters=8 kernel=4 padding=\"same\"", "x:[2,10]", "[N, 8, 10]");
  param_is("weight", "[8, 2, 4]", "weight", NULL, 1);
}

static void test_padding_same_with_stride_fails(void) {
  fails("conv1d", "filters=8 kernel=3 stride=2 padding=\"same\"", "x:[2,10]",
        "conv1d: padding=\"same\" needs stride 1, but stride is 2; give an explicit padding");
}

static void test_conv1d(void) {
  ok("conv1d", "filters=8 kernel=5 stride=2", "x:[4,100]", "[N, 8, 48]");
  CU_ASSERT_EQUAL(trainable_count(), 8 * 4 * 5 + 8);
  fails("conv1d", "filters=8 kernel=5", "x:[1,28,28]",
        "conv1d expects [N, channels, length] but `x` is [1, 28, 28]");
  fails("conv1d", "filters=8 kernel=5", "x:[1,4]",
        "conv1d: kernel 5 does not fit input [1, 4] with padding 0");
}

/* -------------------------------------------------------------- pooling */

static void test_maxpool_halves(void) {
  ok("maxpool", "size=2", "c:[32,28,28]", "[N, 32, 14, 14]");
  CU_ASSERT_EQUAL(F.ctx.n_params, 0);
  ok("maxpool", "", "c:[64,14,14]", "[N, 64, 7, 7]"); /* size defaults to 2 */
}

static void test_pool_1d(void) {
  ok("avgpool", "size=3", "x:[4,10]", "[N, 4, 3]");
  ok("maxpool", "size=[2] stride=[1]", "x:[4,10]", "[N, 4, 9]");
}

static void test_pool_floor_and_stride(void) {
  ok("maxpool", "", "x:[1,7,7]", "[N, 1, 3, 3]");
  ok("maxpool", "size=3 stride=1", "x:[1,5,5]", "[N, 1, 3, 3]");
  ok("avgpool", "size=[2,3]", "x:[2,8,9]", "[N, 2, 4, 3]");
}

static void test_pool_padding(void) {
  ok("maxpool", "size=3 stride=2 padding=1", "x:[1,5,5]", "[N, 1, 3, 3]");
  fails("maxpool", "size=3 padding=2", "x:[1,5,5]",
        "maxpool: padding 2 is more than half the window size 3");
}

static void test_pool_errors(void) {
  fails("maxpool", "", "x:[784]",
        "maxpool expects [N, channels, length] or [N, channels, height, width] but `x` is "
        "[784]");
  fails("maxpool", "size=4", "x:[1,3,3]",
        "maxpool: window 4x4 does not fit input [1, 3, 3] with padding 0");
  fails("avgpool", "size=[2,2,2]", "x:[1,8,8]",
        "avgpool: size has 3 values but `x` has 2 spatial dimensions");
}

/* ------------------------------------------------------------ reshaping */

static void test_flatten(void) {
  ok("flatten", "", "p:[64,7,7]", "[N, 3136]");
  ok("flatten", "", "p:[5]", "[N, 5]");
  fails("flatten", "", "W:param[2,2]",
        "flatten needs a batched activation as input, but `W` is a parameter of shape [2, 2]");
}

static void test_reshape_infers_minus_one(void) {
  ok("reshape", "shape=[1,-1,28]", "x:[784]", "[N, 1, 28, 28]");
  ok("reshape", "shape=[24]", "x:[4,6]", "[N, 24]");
}

static void test_reshape_bad_product(void) {
  fails("reshape", "shape=[27,28]", "x:[784]",
        "reshape: cannot reshape `x` [784] into [27, 28]: 784 elements vs 756");
  fails("reshape", "shape=[-1,27]", "x:[784]",
        "reshape: cannot reshape `x` [784] into [-1, 27]: 784 elements are not a multiple "
        "of 27");
  fails("reshape", "shape=[-1,-1]", "x:[784]",
        "reshape: shape [-1, -1] may hold positive sizes and one -1 only");
}

static void test_concat_axis(void) {
  ok("concat", "", "a:[3,4] b:[5,4] c:[1,4]", "[N, 9, 4]");
  ok("concat", "axis=-1", "a:[8,5,5] b:[8,5,2]", "[N, 8, 5, 7]");
  ok("concat", "axis=1", "a:[8,5,5] b:[8,1,5]", "[N, 8, 6, 5]");
}

static void test_concat_errors(void) {
  fails("concat", "", "a:[3,4] b:[3,5]",
        "concat: `a` is [3, 4] but `b` is [3, 5]; all dims but axis 0 must match");
  fails("concat", "axis=2", "a:[3,4] b:[3,4]",
        "concat: axis 2 is out of range for `a` [3, 4] (use 0..1 or -2..-1)");
  fails("concat", "", "a:[3] b:param[3]",
        "concat needs a batched activation as input, but `b` is a parameter of shape [3]");
}

/* -------------------------------------------------------- normalisation */

static void test_dropout(void) {
  ok("dropout", "", "h:[16,4]", "[N, 16, 4]");
  CU_ASSERT_EQUAL(F.ctx.n_params, 0);
  CU_ASSERT_DOUBLE_EQUAL(F.attrs[0].num, 0.5, 0);
  fails("dropout", "rate=1", "h:[16]", "dropout: rate must be below 1, but it is 1");
}

static void test_batchnorm_params(void) {
  ok("batchnorm", "", "c:[16,8,8]", "[N, 16, 8, 8]");
  CU_ASSERT_EQUAL(F.ctx.n_params, 4);
  param_is("weight", "[16]", "weight", NULL, 1);
  param_is("bias", "[16]", "bias", NULL, 1);
  param_is("running_mean", "[16]", NULL, "zeros", 0);
  param_is("running_var", "[16]", NULL, "ones", 0);
  CU_ASSERT_EQUAL(trainable_count(), 32);
  CU_ASSERT_STRING_EQUAL(F.attrs[2].str, "ones"); /* weight's default initializer */
}

static void test_batchnorm_ranks(void) {
  ok("batchnorm", "bias=false", "h:[10]", "[N, 10]");
  CU_ASSERT_EQUAL(F.ctx.n_params, 3);
  CU_ASSERT_PTR_NULL(param("bias"));
  ok("batchnorm", "", "h:[4,20]", "[N, 4, 20]");
  param_is("running_mean", "[4]", NULL, "zeros", 0);
  fails("batchnorm", "", "h:[2,3,4,5]",
        "batchnorm expects [N, channels], [N, channels, length] or "
        "[N, channels, height, width] but `h` is [2, 3, 4, 5]");
}

/* ---------------------------------------------------------- activations */

static void test_pointwise_keep_shape(void) {
  const char *names[] = {"relu", "sigmoid", "tanh", "leaky_relu"};
  for (int i = 0; i < 4; i++) {
    ok(names[i], "", "x:[2,3,4]", "[N, 2, 3, 4]");
    ok(names[i], "", "W:param[2,3]", "[2, 3]");
  }
}

static void test_activation_rejects_labels(void) {
  fails("relu", "", "label:class[10]", "relu: `label` is a class label, not a float tensor");
  fails("sigmoid", "", "y:binary", "sigmoid: `y` is a binary label, not a float tensor");
}

static void test_leaky_relu_slope(void) {
  ok("leaky_relu", "", "x:[3]", "[N, 3]");
  CU_ASSERT_DOUBLE_EQUAL(F.attrs[0].num, 0.01, 0);
  ok("leaky_relu", "slope=0.2", "x:[3]", "[N, 3]");
}

static void test_softmax_axis(void) {
  ok("softmax", "", "z:[10]", "[N, 10]");
  ok("log_softmax", "axis=-2", "z:[3,4]", "[N, 3, 4]");
  fails("softmax", "axis=2", "z:[3,4]",
        "softmax: axis 2 is out of range for `z` [3, 4] (use 0..1 or -2..-1)");
  fails("log_softmax", "", "s:[]",
        "log_softmax: `s` is a scalar per sample; it needs at least one dim");
}

/* --------------------------------------------------------------- losses */

static void test_cross_entropy(void) {
  ok("cross_entropy", "", "logits:[10] label:class[10]", "[]");
  CU_ASSERT_EQUAL(F.ctx.n_params, 0);
  ok("cross_entropy", "label_smoothing=0.1", "z:[2] y:class[2]", "[]");
}

static void test_cross_entropy_class_mismatch(void) {
  fails("cross_entropy", "", "p1:[3] mood:class[4]",
        "cross_entropy: `p1` has 3 outputs but `mood` is class[4]; they must match");
}

static void test_cross_entropy_errors(void) {
  fails("cross_entropy", "", "h:[3,4] y:class[4]",
        "cross_entropy expects logits [N, classes] but `h` is [3, 4]");
  fails("cross_entropy", "", "z:[2] y:binary",
        "cross_entropy: the target `y` must be a class label, but it is binary; use "
        "binary_cross_entropy");
  fails("cross_entropy", "label_smoothing=1", "z:[2] y:class[2]",
        "cross_entropy: label_smoothing must be below 1, but it is 1");
}

static void test_nll(void) {
  ok("nll", "", "lp:[5] y:class[5]", "[]");
  fails("nll", "", "lp:[5] y:class[6]",
        "nll: `lp` has 5 outputs but `y` is class[6]; they must match");
  fails("nll", "", "y:class[6] lp:[6]", "nll: `y` is a class label, not a float tensor");
}

static void test_binary_cross_entropy(void) {
  ok("binary_cross_entropy", "", "p2:[1] will_lose:binary", "[]");
  ok("binary_cross_entropy", "", "p:[] y:binary", "[]");
  ok("binary_cross_entropy", "", "p:[1] t:[1]", "[]");
}

static void test_binary_cross_entropy_errors(void) {
  fails("binary_cross_entropy", "", "p:[3] y:binary",
        "binary_cross_entropy expects one logit per sample ([N] or [N, 1]) but `p` is [3]");
  fails("binary_cross_entropy", "", "p:[1] y:class[2]",
        "binary_cross_entropy: the target `y` is class[2]; use cross_entropy for class "
        "labels");
  fails("binary_cross_entropy", "", "p:[1] t:[]",
        "binary_cross_entropy: `p` is [1] but the target `t` is []; give one target per "
        "logit");
}

static void test_mse(void) {
  ok("mse", "", "pred:[2,3] target:[2,3]", "[]");
  fails("mse", "", "pred:[3] target:[4]",
        "mse: `pred` is [3] but the target `target` is [4]; they must have the same shape");
  fails("mse", "", "pred:[3] label:class[3]",
        "mse: the target `label` is a class label; compare with one_hot(label)");
  fails("mse", "", "pred:[3] y:binary", "mse: `y` is a binary label, not a float tensor");
  fails("mse", "", "pred:[3] W:param[3]",
        "mse: the target `W` must be an input, but it is a parameter of shape [3]");
}

static void test_one_hot(void) {
  ok("one_hot", "", "digit:class[10]", "[N, 10]");
  fails("one_hot", "", "x:[3]",
        "one_hot: `x` is [3]; one_hot takes a class label (an input declared `class[K]`)");
  fails("one_hot", "", "y:binary",
        "one_hot: `y` is binary; one_hot takes a class label (an input declared `class[K]`)");
}

/* ---------------------------------------------------------------- calls */

static void test_initializers(void) {
  const nnd_call_schema *x = find_call(NND_CALL_INITIALIZER, "xavier");
  CU_ASSERT_PTR_EQUAL(x->attrs, find_call(NND_CALL_INITIALIZER, "glorot")->attrs);
  CU_ASSERT_PTR_EQUAL(find_call(NND_CALL_INITIALIZER, "he")->attrs,
                      find_call(NND_CALL_INITIALIZER, "kaiming")->attrs);
  CU_ASSERT_EQUAL(call_attr(NND_CALL_INITIALIZER, "he", "gain")->def_num, 1);
  const nnd_attr_spec *d = call_attr(NND_CALL_INITIALIZER, "xavier", "distribution");
  CU_ASSERT(!strcmp(d->def_str, "uniform") && !strcmp(d->choices, "uniform|normal"));
  CU_ASSERT_EQUAL(call_attr(NND_CALL_INITIALIZER, "uniform", "low")->def_num, -0.05);
  CU_ASSERT_EQUAL(call_attr(NND_CALL_INITIALIZER, "uniform", "high")->def_num, 0.05);
  CU_ASSERT_EQUAL(call_attr(NND_CALL_INITIALIZER, "normal", "mean")->def_num, 0);
  CU_ASSERT_EQUAL(call_attr(NND_CALL_INITIALIZER, "normal", "std")->def_num, 0.01);
  CU_ASSERT_EQUAL(find_call(NND_CALL_INITIALIZER, "zeros")->n_attrs, 0);
  CU_ASSERT_EQUAL(find_call(NND_CALL_INITIALIZER, "ones")->n_attrs, 0);
  const nnd_attr_spec *v = call_attr(NND_CALL_INITIALIZER, "constant", "value");
  CU_ASSERT(v->required && v->type == NND_ATTR_FLOAT);
}

static void test_optimizers(void) {
  const nnd_attr_spec *lr = call_attr(NND_CALL_OPTIMIZER, "sgd", "lr");
  CU_ASSERT(lr->has_min && lr->min == 0 && lr->min_exclusive && lr->def_num == 0.01);
  const nnd_attr_spec *m = call_attr(NND_CALL_OPTIMIZER, "sgd", "momentum");
  CU_ASSERT(m->has_min && m->min == 0 && m->has_max && m->max == 1 && m->def_num == 0);
  CU_ASSERT_EQUAL(call_attr(NND_CALL_OPTIMIZER, "sgd", "nesterov")->type, NND_ATTR_BOOL);
  const nnd_attr_spec *wd = call_attr(NND_CALL_OPTIMIZER, "sgd", "weight_decay");
  CU_ASSERT(wd->has_min && wd->min == 0 && !wd->has_max);
  CU_ASSERT_EQUAL(call_attr(NND_CALL_OPTIMIZER, "adam", "lr")->def_num, 0.001);
  CU_ASSERT_EQUAL(call_attr(NND_CALL_OPTIMIZER, "adam", "beta1")->def_num, 0.9);
  CU_ASSERT_EQUAL(call_attr(NND_CALL_OPTIMIZER, "adam", "beta2")->def_num, 0.999);
  CU_ASSERT(call_attr(NND_CALL_OPTIMIZER, "adam", "eps")->min_exclusive);
  CU_ASSERT_EQUAL(call_attr(NND_CALL_OPTIMIZER, "adam", "eps")->def_num, 1e-8);
  CU_ASSERT_EQUAL(call_attr(NND_CALL_OPTIMIZER, "rmsprop", "alpha")->def_num, 0.99);
  CU_ASSERT_EQUAL(call_attr(NND_CALL_OPTIMIZER, "rmsprop", "momentum")->def_num, 0);
  CU_ASSERT_EQUAL(call_attr(NND_CALL_OPTIMIZER, "rmsprop", "weight_decay")->def_num, 0);
}

static void test_data_sources(void) {
  const nnd_call_schema *idx = find_call(NND_CALL_DATA, "idx");
  CU_ASSERT_EQUAL(idx->n_positional, 2);
  for (int i = 0; i < 2; i++)
    CU_ASSERT(idx->attrs[i].required && idx->attrs[i].type == NND_ATTR_STRING);
  CU_ASSERT_STRING_EQUAL(idx->attrs[1].name, "labels");
  CU_ASSERT_EQUAL(call_attr(NND_CALL_DATA, "idx", "scale")->def_num, 1);
  const nnd_call_schema *csv = find_call(NND_CALL_DATA, "csv");
  CU_ASSERT(csv->n_positional == 1 && !strcmp(csv->attrs[0].name, "path"));
  CU_ASSERT_STRING_EQUAL(call_attr(NND_CALL_DATA, "csv", "label")->def_str, "label");
  CU_ASSERT_STRING_EQUAL(call_attr(NND_CALL_DATA, "csv", "delimiter")->def_str, ",");
  CU_ASSERT_EQUAL(call_attr(NND_CALL_DATA, "csv", "header")->def_num, 1);
  const char *synthetic[] = {"moons", "blobs", "xor"};
  for (int i = 0; i < 3; i++) {
    const nnd_attr_spec *n = call_attr(NND_CALL_DATA, synthetic[i], "n");
    CU_ASSERT(n->type == NND_ATTR_INT && n->min == 1 && n->def_num == 1000);
  }
  CU_ASSERT(call_attr(NND_CALL_DATA, "blobs", "std")->min_exclusive);
  CU_ASSERT_EQUAL(call_attr(NND_CALL_DATA, "blobs", "centers")->def_num, 3);
  CU_ASSERT_EQUAL(call_attr(NND_CALL_DATA, "blobs", "features")->def_num, 2);
}

static void test_schedules(void) {
  const nnd_attr_spec *g = call_attr(NND_CALL_SCHEDULE, "step", "gamma");
  CU_ASSERT(g->min == 0 && g->min_exclusive && g->max == 1 && g->def_num == 0.1);
  CU_ASSERT_EQUAL(call_attr(NND_CALL_SCHEDULE, "step", "every")->type, NND_ATTR_INT);
  CU_ASSERT_EQUAL(call_attr(NND_CALL_SCHEDULE, "cosine", "min_lr")->def_num, 0);
  CU_ASSERT_EQUAL(find_call(NND_CALL_SCHEDULE, "constant")->n_attrs, 0);
  CU_ASSERT_PTR_NOT_EQUAL(find_call(NND_CALL_SCHEDULE, "constant"),
                          find_call(NND_CALL_INITIALIZER, "constant"));
}

/* ---------------------------------------------------------------- suite */

void nnd_test_ops_register(void) {
#define T(fn) {#fn, fn}
  static const struct {
    const char *name;
    CU_TestFunc fn;
  } tests[] = {
      T(test_registers_every_op), T(test_registers_every_call), T(test_schemas_well_formed),
      T(test_flags_and_arity), T(test_add_same_shape), T(test_add_batched_plus_parameter),
      T(test_broadcast_numpy_style), T(test_add_cannot_broadcast), T(test_mul_rejects_label),
      T(test_matmul_matrix_vector), T(test_matmul_matrix_matrix_and_dot),
      T(test_matmul_inner_mismatch), T(test_matmul_leading_dims),
      T(test_dense_shapes_and_params), T(test_dense_huge), T(test_dense_needs_flatten),
      T(test_dense_without_bias), T(test_dense_rejects_parameter_and_label),
      T(test_dense_too_large), T(test_conv2d_padding_keeps_size), T(test_conv2d_s001_stride),
      T(test_conv2d_param_count), T(test_conv2d_rectangular), T(test_conv2d_rank_error),
      T(test_conv2d_kernel_does_not_fit), T(test_conv2d_rejects_parameter),
      T(test_conv2d_same_and_valid), T(test_padding_same_even_kernel),
      T(test_padding_same_with_stride_fails), T(test_conv1d), T(test_maxpool_halves),
      T(test_pool_1d), T(test_pool_floor_and_stride), T(test_pool_padding),
      T(test_pool_errors), T(test_flatten), T(test_reshape_infers_minus_one),
      T(test_reshape_bad_product), T(test_concat_axis), T(test_concat_errors),
      T(test_dropout), T(test_batchnorm_params), T(test_batchnorm_ranks),
      T(test_pointwise_keep_shape), T(test_activation_rejects_labels),
      T(test_leaky_relu_slope), T(test_softmax_axis), T(test_cross_entropy),
      T(test_cross_entropy_class_mismatch), T(test_cross_entropy_errors), T(test_nll),
      T(test_binary_cross_entropy), T(test_binary_cross_entropy_errors), T(test_mse), T(test_one_hot),
      T(test_initializers), T(test_optimizers), T(test_data_sources), T(test_schedules),
  };
#undef T
  CU_pSuite suite = CU_add_suite("ops", suite_init, NULL);
  if (!suite) return;
  for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
    CU_add_test(suite, tests[i].name, tests[i].fn);
}
