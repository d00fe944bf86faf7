/* onnx_read.c — see onnx_read.h. Repeated fields are counted in a first
 * pass over a message and stored in a second, so every array is allocated
 * once at its checked size. Field numbers are onnx.proto's. */
#include "onnx_read.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pb.h"

typedef struct {
  ox_model *m;
  char *err;
  size_t err_size;
  int failed;
} reader;

static int bad(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(reader *r, const char *fmt, ...) {
  if (!r->failed) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, r->err_size, fmt, ap);
    va_end(ap);
  }
  r->failed = 1;
  return -1;
}

static const char *str(reader *r, const pb_field *f) {
  if (f->wire != PB_LEN) {
    bad(r, "a string field has wire type %d", f->wire);
    return NULL;
  }
  char *s = nnd_arena_strndup(&r->m->arena, (const char *)f->data, f->len);
  if (!s) bad(r, "out of memory");
  return s;
}

static void *alloc(reader *r, size_t n, size_t size) {
  void *p = nnd_arena_alloc(&r->m->arena, n * size + 1);
  if (!p) bad(r, "out of memory");
  else memset(p, 0, n * size + 1);
  return p;
}

/* Count the fields numbered `field` of one message; -1 when malformed. */
static int count(const uint8_t *p, size_t len, int field) {
  pb_reader rd = {p, p + len};
  pb_field f;
  int n = 0, k;
  while ((k = pb_next(&rd, &f)) == 1)
    if (f.field == field && n < 0x7fffffff) n++;
  return k < 0 ? -1 : n;
}

/* Varints of a packed field or one unpacked element, appended to out. */
static int ints_of(reader *r, const pb_field *f, int64_t *out, int *n, int max,
                   const char *what) {
  if (f->wire == PB_VARINT) {
    if (*n >= max) return bad(r, "%s: more than %d values", what, max);
    out[(*n)++] = (int64_t)f->u;
    return 0;
  }
  if (f->wire != PB_LEN) return bad(r, "%s: wire type %d", what, f->wire);
  pb_reader rd = pb_sub(f);
  while (rd.p < rd.end) {
    uint64_t v;
    if (pb_read_varint(&rd, &v) != 0) return bad(r, "%s: a truncated packed list", what);
    if (*n >= max) return bad(r, "%s: more than %d values", what, max);
    out[(*n)++] = (int64_t)v;
  }
  return 0;
}

static float f32(uint64_t u) {
  uint32_t b = (uint32_t)u;
  float v;
  memcpy(&v, &b, 4);
  return v;
}

/* ---------------------------------------------------------------- tensor */

static int read_tensor(reader *r, const pb_field *msg, ox_tensor *t) {
  pb_reader rd = pb_sub(msg);
  pb_field f;
  int k, dtype = 0, location = 0;
  int64_t n_floats = 0, n_ints[2] = {0, 0};
  const uint8_t *raw = NULL;
  size_t raw_len = 0;
  t->name = "";
  /* pass 1: dims, type, name and how many elements each list holds */
  while ((k = pb_next(&rd, &f)) == 1) {
    if (f.field == 1) {
      if (ints_of(r, &f, t->dims, &t->ndim, OX_MAX_DIMS, "tensor dims") != 0) return -1;
    } else if (f.field == 2 && f.wire == PB_VARINT) {
      dtype = (int)f.u;
    } else if (f.field == 8) {
      if (!(t->name = str(r, &f))) return -1;
    } else if (f.field == 9 && f.wire == PB_LEN) {
      raw = f.data;
      raw_len = f.len;
    } else if (f.field == 4) {
      n_floats += f.wire == PB_FIXED32 ? 1 : f.wire == PB_LEN ? (int64_t)(f.len / 4) : 0;
      if (f.wire == PB_LEN && f.len % 4) return bad(r, "tensor `%s`: float_data is cut", t->name);
    } else if (f.field == 5 || f.field == 7) {
      if (f.wire == PB_VARINT) {
        n_ints[f.field == 7]++;
      } else if (f.wire == PB_LEN) { /* one varint per byte without the high bit */
        for (size_t b = 0; b < f.len; b++) n_ints[f.field == 7] += !(f.data[b] & 0x80);
      }
    } else if (f.field == 14 && f.wire == PB_VARINT) {
      location = (int)f.u;
    }
  }
  if (k < 0) return bad(r, "tensor `%s`: malformed bytes", t->name);
  if (location != 0) return bad(r, "tensor `%s`: external data is not supported", t->name);
  if (dtype != OX_FLOAT && dtype != OX_INT32 && dtype != OX_INT64)
    return bad(r, "tensor `%s`: data type %d is not supported (float, int32 and int64 are)",
               t->name, dtype);
  t->dtype = dtype;
  t->numel = 1;
  for (int i = 0; i < t->ndim; i++) {
    if (t->dims[i] < 0 || t->dims[i] > OX_MAX_ELEMENTS)
      return bad(r, "tensor `%s`: dim %d is %lld", t->name, i, (long long)t->dims[i]);
    t->numel *= t->dims[i];
    if (t->numel > OX_MAX_ELEMENTS)
      return bad(r, "tensor `%s`: more than %d elements", t->name, OX_MAX_ELEMENTS);
  }
  size_t esize = dtype == OX_FLOAT || dtype == OX_INT32 ? 4 : 8;
  /* the data must be in the file before its size is allocated */
  int64_t have = raw ? (int64_t)(raw_len / esize)
                     : dtype == OX_FLOAT ? n_floats : n_ints[dtype == OX_INT64];
  if (raw && raw_len != (size_t)t->numel * esize)
    return bad(r, "tensor `%s`: raw_data holds %zu bytes, its dims need %lld", t->name,
               raw_len, (long long)t->numel * (long long)esize);
  if (have != t->numel)
    return bad(r, "tensor `%s`: %lld values for dims of %lld elements", t->name,
               (long long)have, (long long)t->numel);
  if (dtype != OX_FLOAT && t->numel > OX_MAX_INT_ELEMENTS)
    return bad(r, "tensor `%s`: %lld integers (shapes and axes need at most %d)", t->name,
               (long long)t->numel, OX_MAX_INT_ELEMENTS);
  if (dtype == OX_FLOAT) t->f = alloc(r, (size_t)t->numel, sizeof(float));
  else t->i = alloc(r, (size_t)t->numel, sizeof(int64_t));
  if (r->failed) return -1;
  if (raw) {
    for (int64_t e = 0; e < t->numel; e++) {
      uint64_t u = 0;
      for (size_t b = 0; b < esize; b++) u |= (uint64_t)raw[(size_t)e * esize + b] << (8 * b);
      if (dtype == OX_FLOAT) t->f[e] = f32(u);
      else if (dtype == OX_INT32) t->i[e] = (int32_t)(uint32_t)u;
      else t->i[e] = (int64_t)u;
    }
    return 0;
  }
  /* pass 2: typed lists */
  int64_t got = 0;
  rd = pb_sub(msg);
  while (pb_next(&rd, &f) == 1) {
    if (dtype == OX_FLOAT && f.field == 4) {
      if (f.wire == PB_FIXED32) {
        if (got >= t->numel) return bad(r, "tensor `%s`: more values than its dims", t->name);
        t->f[got++] = f32(f.u);
      } else if (f.wire == PB_LEN) {
        if ((int64_t)(f.len / 4) > t->numel - got)
          return bad(r, "tensor `%s`: more values than its dims", t->name);
        for (size_t e = 0; e < f.len / 4; e++) {
          uint64_t u = 0;
          for (int b = 0; b < 4; b++) u |= (uint64_t)f.data[4 * e + (size_t)b] << (8 * b);
          t->f[got++] = f32(u);
        }
      }
    } else if (dtype != OX_FLOAT && f.field == (dtype == OX_INT64 ? 7 : 5)) {
      int n = 0;
      int64_t *dst = t->i + got;
      int room = (int)(t->numel - got > OX_MAX_ELEMENTS ? OX_MAX_ELEMENTS : t->numel - got);
      if (ints_of(r, &f, dst, &n, room, "tensor data") != 0) return -1;
      if (dtype == OX_INT32)
        for (int e = 0; e < n; e++) dst[e] = (int32_t)(uint32_t)dst[e];
      got += n;
    }
  }
  if (got != t->numel)
    return bad(r, "tensor `%s`: %lld values for dims of %lld elements", t->name,
               (long long)got, (long long)t->numel);
  return 0;
}

/* ------------------------------------------------------------- attribute */

static int read_attr(reader *r, const pb_field *msg, ox_attr *a) {
  pb_reader rd = pb_sub(msg);
  pb_field f;
  int k;
  a->name = "";
  while ((k = pb_next(&rd, &f)) == 1) {
    if (f.field == 1) {
      if (!(a->name = str(r, &f))) return -1;
    } else if (f.field == 20 && f.wire == PB_VARINT) {
      a->type = (int)f.u;
    } else if (f.field == 2 && f.wire == PB_FIXED32) {
      a->f = f32(f.u);
    } else if (f.field == 3 && f.wire == PB_VARINT) {
      a->i = (int64_t)f.u;
    } else if (f.field == 4) {
      if (!(a->s = str(r, &f))) return -1;
    } else if (f.field == 5 && f.wire == PB_LEN) {
      a->t = alloc(r, 1, sizeof *a->t);
      if (!a->t || read_tensor(r, &f, a->t) != 0) return -1;
    } else if (f.field == 8) {
      if (ints_of(r, &f, a->ints, &a->n_ints, OX_MAX_INTS, "attribute ints") != 0) return -1;
    }
  }
  if (k < 0) return bad(r, "attribute `%s`: malformed bytes", a->name);
  /* sizes, strides, pads and axes: bounded so arithmetic on them cannot overflow */
  int over = a->i > OX_MAX_ATTR_INT || a->i < -OX_MAX_ATTR_INT;
  for (int i = 0; i < a->n_ints; i++)
    over |= a->ints[i] > OX_MAX_ATTR_INT || a->ints[i] < -OX_MAX_ATTR_INT;
  if (over) return bad(r, "attribute `%s`: a value beyond 2^40", a->name);
  return 0;
}

/* ------------------------------------------------------------------ node */

static int read_node(reader *r, const pb_field *msg, ox_node *n) {
  int n_in = count(msg->data, msg->len, 1), n_out = count(msg->data, msg->len, 2),
      n_at = count(msg->data, msg->len, 5);
  if (n_in < 0 || n_out < 0 || n_at < 0) return bad(r, "a node: malformed bytes");
  if (n_in > OX_MAX_IO || n_out > OX_MAX_IO || n_at > OX_MAX_ATTRS)
    return bad(r, "a node has %d inputs, %d outputs and %d attributes (limits %d, %d, %d)",
               n_in, n_out, n_at, OX_MAX_IO, OX_MAX_IO, OX_MAX_ATTRS);
  n->in = alloc(r, (size_t)n_in, sizeof *n->in);
  n->out = alloc(r, (size_t)n_out, sizeof *n->out);
  n->attrs = alloc(r, (size_t)n_at, sizeof *n->attrs);
  if (r->failed) return -1;
  n->name = n->op_type = n->domain = "";
  pb_reader rd = pb_sub(msg);
  pb_field f;
  while (!r->failed && pb_next(&rd, &f) == 1) {
    if (f.field == 1) n->in[n->n_in++] = str(r, &f);
    else if (f.field == 2) n->out[n->n_out++] = str(r, &f);
    else if (f.field == 3) n->name = str(r, &f);
    else if (f.field == 4) n->op_type = str(r, &f);
    else if (f.field == 7) n->domain = str(r, &f);
    else if (f.field == 5 && f.wire == PB_LEN) read_attr(r, &f, &n->attrs[n->n_attrs++]);
    else if (f.field == 5) bad(r, "node: attribute with wire type %d", f.wire);
  }
  return r->failed ? -1 : 0;
}

/* ValueInfoProto: name, and the tensor type's element type and shape */
static int read_value(reader *r, const pb_field *msg, ox_value *v) {
  v->name = "";
  v->ndim = -1;
  pb_reader rd = pb_sub(msg);
  pb_field f;
  int k;
  while ((k = pb_next(&rd, &f)) == 1) {
    if (f.field == 1) {
      if (!(v->name = str(r, &f))) return -1;
    } else if (f.field == 2 && f.wire == PB_LEN) {
      pb_reader tr = pb_sub(&f);
      pb_field tf;
      while ((k = pb_next(&tr, &tf)) == 1) {
        if (tf.field != 1 || tf.wire != PB_LEN) continue; /* tensor_type */
        pb_reader tt = pb_sub(&tf);
        pb_field ef;
        while ((k = pb_next(&tt, &ef)) == 1) {
          if (ef.field == 1 && ef.wire == PB_VARINT) v->elem = (int)ef.u;
          if (ef.field != 2 || ef.wire != PB_LEN) continue; /* shape */
          v->ndim = 0;
          pb_reader sr = pb_sub(&ef);
          pb_field df;
          while ((k = pb_next(&sr, &df)) == 1) {
            if (df.field != 1 || df.wire != PB_LEN) continue;
            if (v->ndim >= OX_MAX_DIMS)
              return bad(r, "input `%s`: more than %d dims", v->name, OX_MAX_DIMS);
            int64_t d = -1;
            pb_reader dr = pb_sub(&df);
            pb_field vf;
            while ((k = pb_next(&dr, &vf)) == 1)
              if (vf.field == 1 && vf.wire == PB_VARINT) d = (int64_t)vf.u;
            if (k < 0) break;
            v->dims[v->ndim++] = d;
          }
          if (k < 0) break;
        }
        if (k < 0) break;
      }
      if (k < 0) break;
    }
  }
  if (k < 0) return bad(r, "value info `%s`: malformed bytes", v->name);
  return 0;
}

/* ----------------------------------------------------------------- graph */

static int read_graph(reader *r, const pb_field *msg) {
  ox_model *m = r->m;
  int nn = count(msg->data, msg->len, 1), ni = count(msg->data, msg->len, 5),
      nin = count(msg->data, msg->len, 11), nout = count(msg->data, msg->len, 12);
  if (nn < 0 || ni < 0 || nin < 0 || nout < 0) return bad(r, "the graph: malformed bytes");
  if (nn > OX_MAX_NODES || ni > OX_MAX_NODES || nin > OX_MAX_IO || nout > OX_MAX_IO)
    return bad(r, "the graph has %d nodes, %d initializers, %d inputs and %d outputs "
               "(limits %d, %d, %d, %d)", nn, ni, nin, nout, OX_MAX_NODES, OX_MAX_NODES,
               OX_MAX_IO, OX_MAX_IO);
  m->nodes = alloc(r, (size_t)nn, sizeof *m->nodes);
  m->inits = alloc(r, (size_t)ni, sizeof *m->inits);
  m->inputs = alloc(r, (size_t)nin, sizeof *m->inputs);
  m->outputs = alloc(r, (size_t)nout, sizeof *m->outputs);
  if (r->failed) return -1;
  pb_reader rd = pb_sub(msg);
  pb_field f;
  while (!r->failed && pb_next(&rd, &f) == 1) {
    if (f.wire != PB_LEN) continue;
    if (f.field == 1) read_node(r, &f, &m->nodes[m->n_nodes++]);
    else if (f.field == 5) read_tensor(r, &f, &m->inits[m->n_inits++]);
    else if (f.field == 11) read_value(r, &f, &m->inputs[m->n_inputs++]);
    else if (f.field == 12) read_value(r, &f, &m->outputs[m->n_outputs++]);
    else if (f.field == 15) bad(r, "sparse initializers are not supported");
  }
  return r->failed ? -1 : 0;
}

int ox_read(const uint8_t *data, size_t len, ox_model *m, char *err, size_t err_size) {
  memset(m, 0, sizeof *m);
  nnd_arena_init(&m->arena);
  reader r = {m, err, err_size, 0};
  pb_reader rd = {data, data + len};
  pb_field f, graph = {0};
  int k, have_graph = 0;
  while ((k = pb_next(&rd, &f)) == 1) {
    if (f.field == 1 && f.wire == PB_VARINT) {
      m->ir_version = (int64_t)f.u;
    } else if (f.field == 7 && f.wire == PB_LEN) {
      graph = f;
      have_graph = 1;
    } else if (f.field == 8 && f.wire == PB_LEN) {
      /* the default domain's opset version */
      const char *domain = "";
      int64_t version = 0;
      pb_reader o = pb_sub(&f);
      pb_field of;
      int ko;
      while ((ko = pb_next(&o, &of)) == 1) {
        if (of.field == 1 && !(domain = str(&r, &of))) return -1;
        if (of.field == 2 && of.wire == PB_VARINT) version = (int64_t)of.u;
      }
      if (ko < 0) return bad(&r, "opset_import: malformed bytes");
      if (!domain[0] || strcmp(domain, "ai.onnx") == 0) m->opset = version;
    }
  }
  if (k < 0) return bad(&r, "not an ONNX model (malformed protobuf at byte %zu)",
                        (size_t)(rd.p - data));
  if (!have_graph) return bad(&r, "not an ONNX model (no graph)");
  if (m->ir_version < 3) return bad(&r, "IR version %lld is too old (3 or later)",
                                    (long long)m->ir_version);
  if (m->opset < 7) return bad(&r, "opset %lld is too old (7 or later)", (long long)m->opset);
  return read_graph(&r, &graph);
}

void ox_model_free(ox_model *m) { nnd_arena_free(&m->arena); }

const ox_attr *ox_find_attr(const ox_node *n, const char *name) {
  for (int i = 0; i < n->n_attrs; i++)
    if (n->attrs[i].name && strcmp(n->attrs[i].name, name) == 0) return &n->attrs[i];
  return NULL;
}
