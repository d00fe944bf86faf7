/* onnx_export.c — a model's inference graph as an ONNX ModelProto (see
 * onnx.h for what is kept and what is dropped).
 *
 * nnd's shapes are per sample with an implicit batch; ONNX's carry it as
 * the first dim. Most ops map one to one; the arithmetic ops need care
 * because nnd broadcasts per-sample shapes (a parameter meets every sample)
 * while ONNX aligns whole shapes from the right: a batched operand of lower
 * per-sample rank gets ones inserted after its batch dim first (a Reshape),
 * and matmul's per-sample vectors become explicit matrices. */
#include "onnx.h"

#include <nnd/nnd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "output_file.h"
#include "pb.h"
#include "shape.h"

/* ONNX enums and field numbers (onnx.proto) */
enum { T_FLOAT = 1, T_INT64 = 7 };
enum { A_FLOAT = 1, A_INT = 2, A_INTS = 7 };

typedef struct {
  const nnd_model *m;
  const nnd_session *s;
  pb_writer g;              /* GraphProto body */
  const char **value;       /* per node: its ONNX value name (dropout: its input's) */
  nnd_arena arena;
  char *err;
  size_t err_size;
  int failed;
} exporter;

static int fail(exporter *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(exporter *x, const char *fmt, ...) {
  if (!x->failed) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->err, x->err_size, fmt, ap);
    va_end(ap);
  }
  x->failed = 1;
  return -1;
}

static const char *fmt(exporter *x, const char *f, const char *a, int i) {
  const char *s = nnd_arena_printf(&x->arena, f, a, i);
  if (!s) fail(x, "out of memory");
  return s ? s : "";
}

/* ------------------------------------------------------------ attributes */

static void attr_int(pb_writer *w, const char *name, int64_t v) {
  size_t a = pb_begin(w, 5);
  pb_put_string(w, 1, name);
  pb_put_varint(w, 20, A_INT);
  pb_put_int64(w, 3, v);
  pb_end(w, a);
}

static void attr_float(pb_writer *w, const char *name, double v) {
  size_t a = pb_begin(w, 5);
  pb_put_string(w, 1, name);
  pb_put_varint(w, 20, A_FLOAT);
  pb_put_float(w, 2, (float)v);
  pb_end(w, a);
}

static void attr_ints(pb_writer *w, const char *name, const int64_t *v, int n) {
  size_t a = pb_begin(w, 5);
  pb_put_string(w, 1, name);
  pb_put_varint(w, 20, A_INTS);
  for (int i = 0; i < n; i++) pb_put_int64(w, 8, v[i]);
  pb_end(w, a);
}

/* Starts a NodeProto; the caller adds attributes and calls pb_end. */
static size_t node_begin(exporter *x, const char *op_type, const char *name,
                         const char *const *in, int n_in, const char *out) {
  size_t mk = pb_begin(&x->g, 1);
  for (int i = 0; i < n_in; i++) pb_put_string(&x->g, 1, in[i]);
  pb_put_string(&x->g, 2, out);
  pb_put_string(&x->g, 3, name);
  pb_put_string(&x->g, 4, op_type);
  return mk;
}

static void simple_node(exporter *x, const char *op_type, const char *name,
                        const char *const *in, int n_in, const char *out) {
  pb_end(&x->g, node_begin(x, op_type, name, in, n_in, out));
}

/* ----------------------------------------------------------- initializers */

static void put_le32(uint8_t *p, const void *v) {
  uint32_t u;
  memcpy(&u, v, 4);
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(u >> (8 * i));
}

static void init_float(exporter *x, const char *name, const int64_t *dims, int nd,
                       const float *data, int64_t n) {
  size_t t = pb_begin(&x->g, 5);
  for (int i = 0; i < nd; i++) pb_put_int64(&x->g, 1, dims[i]);
  pb_put_varint(&x->g, 2, T_FLOAT);
  pb_put_string(&x->g, 8, name);
  uint8_t *raw = malloc((size_t)n * 4 + 1);
  if (!raw) {
    fail(x, "out of memory");
  } else {
    for (int64_t i = 0; i < n; i++) put_le32(raw + 4 * i, &data[i]);
    pb_put_bytes(&x->g, 9, raw, (size_t)n * 4);
  }
  free(raw);
  pb_end(&x->g, t);
}

static void init_int64(exporter *x, const char *name, const int64_t *v, int n) {
  size_t t = pb_begin(&x->g, 5);
  int64_t d = n;
  pb_put_int64(&x->g, 1, d);
  pb_put_varint(&x->g, 2, T_INT64);
  pb_put_string(&x->g, 8, name);
  uint8_t raw[8 * (NND_MAX_DIMS + 2)];
  for (int i = 0; i < n; i++)
    for (int b = 0; b < 8; b++) raw[8 * i + b] = (uint8_t)((uint64_t)v[i] >> (8 * b));
  pb_put_bytes(&x->g, 9, raw, (size_t)n * 8);
  pb_end(&x->g, t);
}

/* A Reshape of `in` to a batched shape [-1, ones..., dims] (or an unbatched
 * dims) whose result is `out`. */
static void reshape_to(exporter *x, const char *node, const char *in, const char *out,
                       int batched, int ones, const int64_t *dims, int nd) {
  int64_t shape[2 * NND_MAX_DIMS + 2];
  int n = 0;
  if (batched) shape[n++] = -1;
  for (int i = 0; i < ones && n < 2 * NND_MAX_DIMS; i++) shape[n++] = 1;
  for (int i = 0; i < nd && n < 2 * NND_MAX_DIMS + 1; i++) shape[n++] = dims[i];
  const char *sname = fmt(x, "%s/shape%d", out, 0);
  init_int64(x, sname, shape, n);
  const char *in2[2] = {in, sname};
  simple_node(x, "Reshape", node, in2, 2, out);
}

/* ------------------------------------------------------------ value infos */

static void value_info(exporter *x, int field, const char *name, const nnd_type *t) {
  size_t v = pb_begin(&x->g, field);
  pb_put_string(&x->g, 1, name);
  size_t ty = pb_begin(&x->g, 2);
  size_t tt = pb_begin(&x->g, 1);
  pb_put_varint(&x->g, 1, T_FLOAT);
  size_t sh = pb_begin(&x->g, 2);
  if (t->batched) {
    size_t d = pb_begin(&x->g, 1);
    pb_put_string(&x->g, 2, "N");
    pb_end(&x->g, d);
  }
  for (int i = 0; i < t->ndim; i++) {
    size_t d = pb_begin(&x->g, 1);
    pb_put_int64(&x->g, 1, t->dim[i]);
    pb_end(&x->g, d);
  }
  pb_end(&x->g, sh);
  pb_end(&x->g, tt);
  pb_end(&x->g, ty);
  pb_end(&x->g, v);
}

/* ------------------------------------------------------------------ ops */

static const nnd_value *attr(const nnd_node *n, const char *name) {
  for (int i = 0; i < n->op->n_attrs; i++)
    if (strcmp(n->op->attrs[i].name, name) == 0) return &n->attrs[i];
  return NULL;
}

static int64_t attr_i(const nnd_node *n, const char *name, int64_t def) {
  const nnd_value *v = attr(n, name);
  return v && v->kind == NND_VAL_NUMBER ? (int64_t)v->num : def;
}

static double attr_f(const nnd_node *n, const char *name, double def) {
  const nnd_value *v = attr(n, name);
  return v && v->kind == NND_VAL_NUMBER ? v->num : def;
}

/* One int per spatial dim from an INTS attribute (one value repeats). */
static void spatial(const nnd_value *v, int nsp, int64_t def, int64_t *out) {
  int64_t buf[NND_MAX_DIMS] = {0};
  int n = v && v->kind != NND_VAL_NONE ? nnd_value_ints(v, buf, NND_MAX_DIMS) : 0;
  for (int i = 0; i < nsp; i++) out[i] = n == 0 ? def : buf[i < n ? i : n - 1];
}

static const nnd_type *type_of(exporter *x, int id) { return &x->m->nodes[id].type; }

static void export_conv(exporter *x, const nnd_node *n, const char *const *in, int n_in) {
  int nsp = n->type.ndim - 1;
  int64_t k[2], s[2], lo[2], hi[2], pads[4], dil[2] = {1, 1};
  spatial(attr(n, "kernel"), nsp, 1, k);
  spatial(attr(n, "stride"), nsp, 1, s);
  char msg[256];
  if (nnd_padding_resolve(attr(n, "padding"), nsp, k, s, lo, hi, msg, sizeof msg) != 0) {
    fail(x, "node `%s`: %s", n->name, msg);
    return;
  }
  for (int i = 0; i < nsp; i++) pads[i] = lo[i], pads[nsp + i] = hi[i];
  size_t mk = node_begin(x, "Conv", n->name, in, n_in, n->name);
  attr_ints(&x->g, "kernel_shape", k, nsp);
  attr_ints(&x->g, "strides", s, nsp);
  attr_ints(&x->g, "pads", pads, 2 * nsp);
  attr_ints(&x->g, "dilations", dil, nsp);
  attr_int(&x->g, "group", 1);
  pb_end(&x->g, mk);
}

static void export_pool(exporter *x, const nnd_node *n, const char *in, int avg) {
  int nsp = n->type.ndim - 1;
  int64_t k[2], s[2], p[2], pads[4];
  spatial(attr(n, "size"), nsp, 2, k);
  const nnd_value *sv = attr(n, "stride");
  if (!sv || sv->kind == NND_VAL_NONE) memcpy(s, k, sizeof s);
  else spatial(sv, nsp, 1, s);
  spatial(attr(n, "padding"), nsp, 0, p);
  for (int i = 0; i < nsp; i++) pads[i] = pads[nsp + i] = p[i];
  size_t mk = node_begin(x, avg ? "AveragePool" : "MaxPool", n->name, &in, 1, n->name);
  attr_ints(&x->g, "kernel_shape", k, nsp);
  attr_ints(&x->g, "strides", s, nsp);
  attr_ints(&x->g, "pads", pads, 2 * nsp);
  /* nnd divides every window by its full size, padding included */
  if (avg) attr_int(&x->g, "count_include_pad", 1);
  pb_end(&x->g, mk);
}

/* add, sub, mul: batched operands padded to the widest per-sample rank. */
static void export_broadcast(exporter *x, const nnd_node *n, const char *op_type) {
  int rank = 0;
  for (int i = 0; i < 2; i++)
    if (type_of(x, n->inputs[i])->ndim > rank) rank = type_of(x, n->inputs[i])->ndim;
  const char *in[2];
  for (int i = 0; i < 2; i++) {
    const nnd_type *t = type_of(x, n->inputs[i]);
    in[i] = x->value[n->inputs[i]];
    if (t->batched && t->ndim < rank) {
      const char *r = fmt(x, "%s/in%d", n->name, i);
      reshape_to(x, fmt(x, "%s/reshape%d", n->name, i), in[i], r, 1, rank - t->ndim, t->dim,
                 t->ndim);
      in[i] = r;
    }
  }
  simple_node(x, op_type, n->name, in, 2, n->name);
}

/* matmul: numpy's rules per sample. A batched vector becomes a matrix
 * ([N, 1, k] on the left, [N, k, 1] on the right) and the result is
 * reshaped back; a batched operand of lower rank than the other gets ones
 * after its batch dim. */
static void export_matmul(exporter *x, const nnd_node *n) {
  const nnd_type *t[2] = {type_of(x, n->inputs[0]), type_of(x, n->inputs[1])};
  const char *in[2] = {x->value[n->inputs[0]], x->value[n->inputs[1]]};
  int rank[2], reshaped = 0;
  int64_t dims[2][NND_MAX_DIMS + 1];
  for (int i = 0; i < 2; i++) {
    rank[i] = t[i]->ndim;
    memcpy(dims[i], t[i]->dim, sizeof(int64_t) * (size_t)t[i]->ndim);
    if (t[i]->batched && t[i]->ndim == 1) {
      dims[i][0] = i == 0 ? 1 : t[i]->dim[0];
      dims[i][1] = i == 0 ? t[i]->dim[0] : 1;
      rank[i] = 2;
      reshaped = 1;
    }
  }
  int want = rank[0] > rank[1] ? rank[0] : rank[1];
  for (int i = 0; i < 2; i++) {
    if (!t[i]->batched) continue;
    int ones = rank[i] < want ? want - rank[i] : 0;
    if (ones == 0 && rank[i] == t[i]->ndim) continue;
    const char *r = fmt(x, "%s/in%d", n->name, i);
    reshape_to(x, fmt(x, "%s/reshape%d", n->name, i), in[i], r, 1, ones, dims[i], rank[i]);
    in[i] = r;
  }
  if (!reshaped) {
    simple_node(x, "MatMul", n->name, in, 2, n->name);
    return;
  }
  const char *mm = fmt(x, "%s/matmul%d", n->name, 0);
  simple_node(x, "MatMul", fmt(x, "%s/matmul%d", n->name, 1), in, 2, mm);
  reshape_to(x, fmt(x, "%s/reshape%d", n->name, 2), mm, n->name, n->type.batched, 0,
             n->type.dim, n->type.ndim);
}

static void export_op(exporter *x, const nnd_node *n) {
  const char *op = n->op->name;
  const char *in[NND_MAX_PARAMS + 2];
  int n_in = n->n_inputs < NND_MAX_PARAMS + 2 ? n->n_inputs : NND_MAX_PARAMS + 2;
  for (int i = 0; i < n_in; i++) in[i] = x->value[n->inputs[i]];
  const nnd_type *x0 = n->n_inputs > 0 ? type_of(x, n->inputs[0]) : NULL;
  if (strcmp(op, "dense") == 0) {
    if (!x0->batched) {
      fail(x, "node `%s`: dense of an unbatched value has no ONNX form", n->name);
      return;
    }
    size_t mk = node_begin(x, "Gemm", n->name, in, n_in, n->name);
    attr_int(&x->g, "transB", 1);
    pb_end(&x->g, mk);
  } else if (strcmp(op, "conv1d") == 0 || strcmp(op, "conv2d") == 0) {
    export_conv(x, n, in, n_in);
  } else if (strcmp(op, "maxpool") == 0 || strcmp(op, "avgpool") == 0) {
    export_pool(x, n, in[0], op[0] == 'a');
  } else if (strcmp(op, "relu") == 0 || strcmp(op, "sigmoid") == 0 ||
             strcmp(op, "tanh") == 0) {
    simple_node(x, op[0] == 'r' ? "Relu" : op[0] == 's' ? "Sigmoid" : "Tanh", n->name, in, 1,
                n->name);
  } else if (strcmp(op, "leaky_relu") == 0) {
    size_t mk = node_begin(x, "LeakyRelu", n->name, in, 1, n->name);
    attr_float(&x->g, "alpha", attr_f(n, "slope", 0.01));
    pb_end(&x->g, mk);
  } else if (strcmp(op, "softmax") == 0 || strcmp(op, "log_softmax") == 0) {
    int64_t axis = attr_i(n, "axis", -1);
    if (axis >= 0 && n->type.batched) axis++;
    size_t mk = node_begin(x, op[0] == 's' ? "Softmax" : "LogSoftmax", n->name, in, 1, n->name);
    attr_int(&x->g, "axis", axis);
    pb_end(&x->g, mk);
  } else if (strcmp(op, "flatten") == 0 && n->type.batched) {
    size_t mk = node_begin(x, "Flatten", n->name, in, 1, n->name);
    attr_int(&x->g, "axis", 1);
    pb_end(&x->g, mk);
  } else if (strcmp(op, "flatten") == 0 || strcmp(op, "reshape") == 0) {
    reshape_to(x, n->name, in[0], n->name, n->type.batched, 0, n->type.dim, n->type.ndim);
  } else if (strcmp(op, "concat") == 0) {
    int64_t axis = attr_i(n, "axis", 0);
    if (axis < 0) axis += n->type.ndim;
    size_t mk = node_begin(x, "Concat", n->name, in, n_in, n->name);
    attr_int(&x->g, "axis", axis + (n->type.batched ? 1 : 0));
    pb_end(&x->g, mk);
  } else if (strcmp(op, "add") == 0 || strcmp(op, "sub") == 0 || strcmp(op, "mul") == 0) {
    export_broadcast(x, n, op[0] == 'a' ? "Add" : op[0] == 's' ? "Sub" : "Mul");
  } else if (strcmp(op, "matmul") == 0) {
    export_matmul(x, n);
  } else if (strcmp(op, "one_hot") == 0) {
    /* a class input is a float graph input; indices, depth and [off, on]
       values all float is the combination ONNX Runtime implements for
       float indices */
    int64_t one = 1, two = 2;
    const float depth = (float)n->type.dim[0], off_on[2] = {0, 1};
    const char *args[3] = {in[0], fmt(x, "%s/depth", n->name, 0),
                           fmt(x, "%s/values", n->name, 0)};
    init_float(x, args[1], &one, 1, &depth, 1);
    init_float(x, args[2], &two, 1, off_on, 2);
    size_t mk = node_begin(x, "OneHot", n->name, args, 3, n->name);
    attr_int(&x->g, "axis", -1);
    pb_end(&x->g, mk);
  } else if (strcmp(op, "batchnorm") == 0) {
    /* inputs: x, weight, [bias], running_mean, running_var */
    const char *bn[5] = {in[0], in[1], NULL, in[n_in - 2], in[n_in - 1]};
    if (n_in == 5) {
      bn[2] = in[2];
    } else {
      int64_t c = x0->dim[0];
      float *zeros = calloc((size_t)c, sizeof *zeros);
      bn[2] = fmt(x, "%s.bias", n->name, 0);
      if (zeros) init_float(x, bn[2], &c, 1, zeros, c);
      else fail(x, "out of memory");
      free(zeros);
    }
    size_t mk = node_begin(x, "BatchNormalization", n->name, bn, 5, n->name);
    attr_float(&x->g, "epsilon", attr_f(n, "eps", 1e-5));
    /* ONNX weighs the running value, PyTorch (and nnd) the batch */
    attr_float(&x->g, "momentum", 1.0 - attr_f(n, "momentum", 0.1));
    pb_end(&x->g, mk);
  } else {
    fail(x, "op `%s` (node `%s`) has no ONNX form", op, n->name);
  }
}

/* ----------------------------------------------------------------- graph */

static void export_value(exporter *x, const nnd_node *n) {
  nnd_tensor t;
  if (nnd_session_value(x->s, n->name, &t) != 0 || !t.data) {
    fail(x, "no value for `%s` in the session", n->name);
    return;
  }
  int64_t dims[NND_MAX_DIMS + 1];
  for (int i = 0; i < n->type.ndim; i++) dims[i] = n->type.dim[i];
  init_float(x, n->name, dims, n->type.ndim, t.data, nnd_type_numel(&n->type));
}

static void build(exporter *x) {
  const nnd_model *m = x->m;
  char *keep = calloc((size_t)m->n_nodes + 1, 1);
  char *is_out = calloc((size_t)m->n_nodes + 1, 1);
  x->value = calloc((size_t)m->n_nodes + 1, sizeof *x->value);
  if (!keep || !is_out || !x->value) {
    fail(x, "out of memory");
    goto out;
  }
  /* outputs: what each loss judges; without losses, every op no one reads */
  for (int i = 0; i < m->n_losses; i++) {
    const nnd_node *l = &m->nodes[m->losses[i].node];
    if (l->kind == NND_NODE_OP && l->n_inputs > 0) is_out[l->inputs[0]] = 1;
  }
  if (m->n_losses == 0) {
    char *used = calloc((size_t)m->n_nodes + 1, 1);
    if (!used) {
      fail(x, "out of memory");
      goto out;
    }
    for (int i = 0; i < m->n_nodes; i++)
      for (int j = 0; j < m->nodes[i].n_inputs; j++) used[m->nodes[i].inputs[j]] = 1;
    for (int i = 0; i < m->n_nodes; i++)
      if (m->nodes[i].kind == NND_NODE_OP && !used[i]) is_out[i] = 1;
    free(used);
  }
  for (int i = 0; i < m->n_nodes; i++) keep[i] = is_out[i];
  for (int i = m->n_nodes - 1; i >= 0; i--)
    if (keep[i])
      for (int j = 0; j < m->nodes[i].n_inputs; j++) keep[m->nodes[i].inputs[j]] = 1;

  pb_put_string(&x->g, 2, m->name ? m->name : "nnd");
  for (int i = 0; i < m->n_nodes && !x->failed; i++) {
    const nnd_node *n = &m->nodes[i];
    x->value[i] = n->name;
    if (!keep[i]) continue;
    if (n->kind == NND_NODE_INPUT) {
      value_info(x, 11, n->name, &n->type);
    } else if (n->kind == NND_NODE_PARAM || n->kind == NND_NODE_CONST) {
      export_value(x, n);
    } else if (strcmp(n->op->name, "dropout") == 0) {
      x->value[i] = x->value[n->inputs[0]]; /* the identity at inference */
    } else {
      export_op(x, n);
    }
  }
  for (int i = 0; i < m->n_nodes && !x->failed; i++) {
    if (!is_out[i]) continue;
    if (strcmp(x->value[i], m->nodes[i].name) != 0) {
      const char *in = x->value[i];
      simple_node(x, "Identity", m->nodes[i].name, &in, 1, m->nodes[i].name);
    }
    value_info(x, 12, m->nodes[i].name, &m->nodes[i].type);
  }
out:
  free(keep);
  free(is_out);
}

int nnd_onnx_encode(const nnd_model *m, const nnd_session *s, uint8_t **out, size_t *len,
                    char *err, size_t err_size) {
  exporter x;
  memset(&x, 0, sizeof x);
  x.m = m;
  x.s = s;
  x.err = err;
  x.err_size = err_size;
  nnd_arena_init(&x.arena);
  build(&x);
  pb_writer mw;
  memset(&mw, 0, sizeof mw);
  if (!x.failed) {
    pb_put_int64(&mw, 1, NND_ONNX_IR_VERSION);
    pb_put_string(&mw, 2, "nnd");
    pb_put_string(&mw, 3, nnd_version());
    size_t op = pb_begin(&mw, 8);
    pb_put_string(&mw, 1, "");
    pb_put_int64(&mw, 2, NND_ONNX_OPSET);
    pb_end(&mw, op);
    if (m->description) pb_put_string(&mw, 6, m->description);
    pb_put_bytes(&mw, 7, x.g.data, x.g.len);
    if (x.g.oom || mw.oom) fail(&x, "out of memory");
  }
  pb_writer_free(&x.g);
  free(x.value);
  nnd_arena_free(&x.arena);
  if (x.failed) {
    pb_writer_free(&mw);
    return -1;
  }
  *out = mw.data;
  *len = mw.len;
  return 0;
}

int nnd_onnx_export(const nnd_model *m, const nnd_session *s, const char *path, char *err,
                    size_t err_size) {
  uint8_t *data = NULL;
  size_t len = 0;
  if (nnd_onnx_encode(m, s, &data, &len, err, err_size) != 0) return -1;
  int rc = nnd_output_write("-o", path, data, len, err, err_size);
  free(data);
  return rc;
}
