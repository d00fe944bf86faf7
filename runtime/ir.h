/* ir.h — the compiled model: a graph of nodes in topological order.
 *
 * Every value is a node: inputs, parameters, constants and op applications.
 * An op node's inputs are its data inputs followed by the parameters it
 * declared, so the executor treats parameters like any other value. Nodes
 * remember where in the .nnd source they came from, so later stages (the
 * planner, kernels) can report errors at a file:line:col. */
#ifndef NND_IR_H
#define NND_IR_H

#include <nnd/plugin.h>

#include "arena.h"

typedef struct {
  const char *file;
  int line, col;
} nnd_srcloc;

typedef enum {
  NND_NODE_INPUT,
  NND_NODE_PARAM,
  NND_NODE_CONST,
  NND_NODE_OP
} nnd_node_kind;

typedef struct {
  int id;
  nnd_node_kind kind;
  const char *name;
  const nnd_op_schema *op;   /* OP */
  int n_inputs;              /* data inputs, then declared parameters */
  int n_data_inputs;
  int *inputs;
  const nnd_value *attrs;    /* OP: index-aligned with op->attrs */
  nnd_type type;
  /* PARAM: its initializer call or literal; INPUT: literal value or NONE;
     CONST: the literal */
  nnd_value value;
  const char *const *class_names; /* INPUT of class type with named classes */
  int trainable;             /* PARAM */
  int owner;                 /* PARAM declared by an op: that op's id; else -1 */
  nnd_srcloc loc;
} nnd_node;

typedef struct {
  int node;
  double weight;
  nnd_srcloc loc;
} nnd_loss_term;

typedef struct {
  const char *key;
  nnd_value value;
  int given;                 /* written in the file (else a default) */
  nnd_srcloc loc;
} nnd_setting;

typedef struct nnd_model {
  nnd_arena arena;           /* names, values, input lists */
  const char *name;
  const char *description;
  const char *path;          /* the source file, or the name given to a string */
  const char *dir;           /* its directory: relative paths resolve here */
  nnd_node *nodes;
  int n_nodes, cap_nodes;
  nnd_loss_term *losses;
  int n_losses, cap_losses;
  nnd_setting *settings;
  int n_settings;
} nnd_model;

nnd_model *nnd_ir_new(const char *path);
void nnd_ir_free(nnd_model *m);

/* Append a node and return its id, or -1 when out of memory. The node's
 * fields are copied; name is copied into the model's arena. */
int nnd_ir_add(nnd_model *m, const nnd_node *node);
int nnd_ir_add_loss(nnd_model *m, int node, double weight, nnd_srcloc loc);

const nnd_node *nnd_ir_find(const nnd_model *m, const char *name);
const nnd_setting *nnd_ir_setting(const nnd_model *m, const char *key);

/* Elements of one parameter, and the parameter elements an op node owns. */
int64_t nnd_ir_param_count(const nnd_model *m, const nnd_node *n);
int64_t nnd_ir_total_params(const nnd_model *m, int trainable_only);

#endif
