/* onnx_import_internal.h — the importer's state, shared by onnx_import.c
 * (the graph, the files), onnx_import_ops.c (one node at a time) and
 * onnx_import_util.c (names, values, weights, problems). */
#ifndef NND_ONNX_IMPORT_INTERNAL_H
#define NND_ONNX_IMPORT_INTERNAL_H

#include <stdio.h>

#include "checkpoint.h"
#include "onnx.h"
#include "onnx_read.h"
#include "strmap.h"

enum { V_NONE, V_ACT, V_INIT, V_BAD };

typedef struct {
  int kind;
  const char *ident;            /* V_ACT: the .nnd binding */
  int ndim;                     /* V_ACT: per-sample shape */
  int64_t dim[OX_MAX_DIMS];
  int64_t classes;              /* V_ACT: K of a class[K] input, else 0 */
  const ox_tensor *t;           /* V_INIT */
} value;

struct nnd_onnx_import {
  nnd_arena arena;
  char *text;
  size_t text_len;
  nnd_ckpt_tensor *tensors;
  int n_tensors, cap_tensors;
};

typedef struct {
  ox_model ox;
  nnd_onnx_import *im;
  FILE *out;                    /* the .nnd body */
  char *body;
  size_t body_len;
  nnd_strmap values;            /* ONNX value name -> index into vals */
  value *vals;
  int n_vals, cap_vals;
  nnd_strmap idents;            /* used bindings and node names */
  int *uses;                    /* per value: how many node inputs read it */
  char *fused;                  /* per node: consumed by an earlier fusion */
  char problems[3000];
  int n_problems;
  int oom;
} importer;


const char *imp_fresh(importer *p, const char *want, int dots);
int imp_is_ident(const char *s, int dots);
value *imp_get(importer *p, const char *name);
value *imp_put(importer *p, const char *name);
void imp_set_act(importer *p, const char *onnx_name, const char *ident, int ndim,
                    const int64_t *dim);
void imp_set_bad(importer *p, const ox_node *n);
void imp_weight(importer *p, const char *name, const float *data, int ndim,
                   const int64_t *dim, int transpose, double scale);
const ox_tensor *imp_init(importer *p, const ox_node *n, int i, int dtype);
const value *imp_act(importer *p, const ox_node *n, int i);
int64_t imp_ai(const ox_node *n, const char *name, int64_t def);
double imp_af(const ox_node *n, const char *name, double def);
void imp_list(FILE *f, const int64_t *v, int n);
void imp_names(importer *p, const ox_node *n, const char *weight_name, const char *op,
                      const char **node, const char **ident);
void imp_begin(importer *p, const char *node, const char *ident);
void imp_end(importer *p, const char *node, const char *ident);
void imp_problem(importer *p, const ox_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The depth of a OneHot node nnd can read as one_hot (constant depth,
 * values [0, 1], the last axis), or 0 (onnx_import_ops.c). */
int64_t imp_one_hot_depth(importer *p, const ox_node *n);
/* Convert node i of the graph (onnx_import_ops.c). */
void imp_convert_node(importer *p, int i);
/* The batch size in a shape the graph computes: only a Reshape's first
 * entry may hold it (meaning "the batch", as 0 does). */
#define BATCH_MARK (-(INT64_C(1) << 62))
/* Shape computations and zero Pads (onnx_import_shape.c): 1 when the node
 * was one (converted, or listed as a problem), else 0. */
int imp_fold_shape(importer *p, const ox_node *n, const value *x);
/* The shortest text that reads back as the same float32. */
const char *imp_num(char *buf, size_t n, double v);

#endif
