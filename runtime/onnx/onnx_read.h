/* onnx_read.h — an ONNX ModelProto decoded into plain structures, for the
 * importer. The bytes are untrusted: every length, count and dimension is
 * checked before it is used (pb.h), tensors must hold exactly the data
 * their dims say, and limits below keep a small file from asking for a
 * large allocation. Everything lives in one arena. */
#ifndef NND_ONNX_READ_H
#define NND_ONNX_READ_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"

#define OX_MAX_DIMS 8
#define OX_MAX_NODES 100000
#define OX_MAX_IO 4096          /* inputs or outputs of one node or graph */
#define OX_MAX_ATTRS 64
#define OX_MAX_ATTR_INT (INT64_C(1) << 40)
#define OX_MAX_INTS 64          /* elements of an ints attribute */
#define OX_MAX_INT_ELEMENTS 65536
#define OX_MAX_ELEMENTS (1 << 29)  /* 2 GiB of floats: protobuf's own limit */

enum { OX_FLOAT = 1, OX_INT32 = 6, OX_INT64 = 7 };
enum { OX_A_FLOAT = 1, OX_A_INT = 2, OX_A_STRING = 3, OX_A_TENSOR = 4, OX_A_FLOATS = 6,
       OX_A_INTS = 7 };

typedef struct {
  const char *name;
  int dtype;             /* OX_FLOAT, OX_INT32 or OX_INT64 */
  int ndim;
  int64_t dims[OX_MAX_DIMS];
  int64_t numel;
  float *f;              /* OX_FLOAT */
  int64_t *i;            /* OX_INT32, OX_INT64 (widened) */
} ox_tensor;

typedef struct {
  const char *name;
  int type;
  int64_t i;
  float f;
  const char *s;
  int n_ints;
  int64_t ints[OX_MAX_INTS];
  ox_tensor *t;
} ox_attr;

typedef struct {
  const char *name, *op_type, *domain;
  int n_in, n_out, n_attrs;
  const char **in, **out;
  ox_attr *attrs;
} ox_node;

typedef struct {
  const char *name;
  int elem;
  int ndim;              /* -1: no shape given */
  int64_t dims[OX_MAX_DIMS]; /* -1: symbolic or unknown */
} ox_value;

typedef struct {
  nnd_arena arena;
  int64_t ir_version, opset;
  int n_nodes, n_inits, n_inputs, n_outputs;
  ox_node *nodes;
  ox_tensor *inits;
  ox_value *inputs, *outputs;
} ox_model;

/* 0, or -1 with err saying which message and field is wrong. m is to be
 * freed with ox_model_free in both cases. */
int ox_read(const uint8_t *data, size_t len, ox_model *m, char *err, size_t err_size);
void ox_model_free(ox_model *m);

const ox_attr *ox_find_attr(const ox_node *n, const char *name);

#endif
