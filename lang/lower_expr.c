/* lower_expr.c — expressions to graph nodes.
 *
 * Constants fold at compile time (so `scale=1/255` is a number); anything
 * that touches a tensor becomes a node. A call is resolved in this order: a
 * block of the file, an op of the registry, then an initializer, optimizer,
 * data source or schedule (a constant the consuming attribute checks). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "lower_internal.h"
#include "registry.h"
#include "shape.h"
#include "suggest.h"

static const lval ERR = {LV_ERROR, -1, {0}};

static lval constant(nnd_value v) {
  lval r = {LV_CONST, -1, v};
  return r;
}

/* ------------------------------------------------------------- naming */

const char *lower_unique_name(lower_ctx *c, const char *base, int generated) {
  nnd_arena *a = &c->m->arena;
  if (!generated) {
    const char *full = nnd_arena_printf(a, "%s%s", c->prefix, base);
    if (full && !nnd_strmap_get(&c->node_names, full, NULL)) return full;
  }
  /* counters are per prefix and base, so names stay stable when unrelated
     parts of the file change */
  const char *key = nnd_arena_printf(a, "%s%s", c->prefix, base);
  if (!key) return NULL;
  int k = generated ? 0 : 1;
  nnd_strmap_get(&c->counters, key, &k);
  for (;;) {
    k++;
    const char *name = nnd_arena_printf(a, "%s%s_%d", c->prefix, base, k);
    if (!name) return NULL;
    if (!nnd_strmap_get(&c->node_names, name, NULL)) {
      nnd_strmap_put(&c->counters, key, k);
      return name;
    }
  }
}

int lower_add_node(lower_ctx *c, nnd_node *n, nnd_loc loc) {
  if (c->m->n_nodes >= MAX_NODES) {
    if (!c->fatal)
      lower_error(c, loc, "model too large: more than %d nodes (a block called "
                          "exponentially often?)", MAX_NODES);
    c->fatal = 1;
    return -1;
  }
  n->loc = lower_srcloc(c, loc);
  int id = nnd_ir_add(c->m, n);
  if (id < 0 || nnd_strmap_put(&c->node_names, c->m->nodes[id].name, id) != 0) {
    lower_error(c, loc, "out of memory");
    c->fatal = 1;
    return -1;
  }
  return id;
}

/* ---------------------------------------------------------- constants */

/* The first number of v (a checked tensor literal, so at most NND_MAX_DIMS
 * deep) that a 32-bit float cannot hold, or NULL. */
static const nnd_value *first_non_float(const nnd_value *v) {
  if (v->kind == NND_VAL_NUMBER) return fabs(v->num) > FLT_MAX ? v : NULL;
  for (int i = 0; v->kind == NND_VAL_LIST && i < v->count; i++) {
    const nnd_value *bad = first_non_float(&v->items[i]);
    if (bad) return bad;
  }
  return NULL;
}

int lower_check_floats(lower_ctx *c, const nnd_value *v, nnd_loc loc) {
  const nnd_value *bad = first_non_float(v);
  if (!bad) return 0;
  /* it would become inf in the tensor */
  lower_error(c, loc, "%g is out of range for a 32-bit float (the largest is %g)", bad->num,
              (double)FLT_MAX);
  return -1;
}

static int literal_type(lower_ctx *c, const nnd_value *v, nnd_loc loc, nnd_type *t) {
  char msg[256];
  int nd;
  int64_t dim[NND_MAX_DIMS];
  if (nnd_literal_shape(v, &nd, dim, msg, sizeof msg) != 0) {
    lower_error(c, loc, "%s", msg);
    return -1;
  }
  if (lower_check_floats(c, v, loc) != 0) return -1;
  *t = nnd_type_float(0, nd, dim);
  return 0;
}

/* A constant used where a tensor is needed becomes a CONST node. */
static lval as_tensor(lower_ctx *c, lval v, nnd_loc loc) {
  if (v.kind != LV_CONST) return v;
  nnd_node n = {0};
  n.kind = NND_NODE_CONST;
  n.owner = -1;
  n.value = v.v;
  if (literal_type(c, &v.v, loc, &n.type) != 0) return ERR;
  n.name = lower_unique_name(c, "const", 1);
  int id = lower_add_node(c, &n, loc);
  if (id < 0) return ERR;
  lval r = {LV_TENSOR, id, {0}};
  return r;
}

static lval fold(lower_ctx *c, int op, lval a, lval b, nnd_loc loc) {
  if (a.v.kind != NND_VAL_NUMBER || b.v.kind != NND_VAL_NUMBER) {
    lower_error(c, loc, "'%c' works on numbers and tensors; lists and strings do "
                        "not take arithmetic", op);
    return ERR;
  }
  double x = a.v.num, y = b.v.num, r;
  switch (op) {
  case '+': r = x + y; break;
  case '-': r = x - y; break;
  case '*': r = x * y; break;
  case '/':
    if (y == 0) {
      lower_error(c, loc, "division by zero");
      return ERR;
    }
    r = x / y;
    break;
  default:
    lower_error(c, loc, "'@' multiplies tensors; both sides here are numbers");
    return ERR;
  }
  if (!isfinite(r)) {
    lower_error(c, loc, "the result of this arithmetic is out of range");
    return ERR;
  }
  nnd_value v = nnd_value_number(r);
  v.is_int = a.v.is_int && b.v.is_int && op != '/' && v.is_int;
  return constant(v);
}

/* ------------------------------------------------------------ op nodes */

typedef struct {
  const nnd_ast_expr *call;     /* for locations; NULL for operators */
  nnd_loc loc;
  int n_inputs;
  const int *inputs;
  int n_named;
  const char **names;
  const nnd_value *values;
  const nnd_loc *locs;          /* of each named argument */
  const char *explicit_name;    /* name="..." */
} op_call;

static const char *node_label(const lower_ctx *c, int id) { return c->m->nodes[id].name; }

static int declare_params(lower_ctx *c, const nnd_op_schema *op, const nnd_infer *inf,
                          const nnd_value *attrs, const op_call *oc, const char *name,
                          int *ids) {
  int n = 0;
  for (int p = 0; p < inf->n_params; p++) {
    const nnd_param_decl *pd = &inf->params[p];
    nnd_value init = {0};
    nnd_loc where = oc->loc;
    if (pd->init_attr) {
      for (int a = 0; a < op->n_attrs; a++) {
        if (strcmp(op->attrs[a].name, pd->init_attr) != 0) continue;
        init = attrs[a];
        for (int k = 0; k < oc->n_named; k++)
          if (strcmp(oc->names[k], pd->init_attr) == 0) where = oc->locs[k];
      }
    }
    if (init.kind == NND_VAL_BOOL) continue;  /* bias=false: no such parameter */
    if (init.kind == NND_VAL_NONE) {
      nnd_value call = {.kind = NND_VAL_CALL, .str = pd->default_init ? pd->default_init
                                                                       : "zeros"};
      char msg[256];
      if (nnd_call_resolve(NND_CALL_INITIALIZER, &call, &c->m->arena, &init, msg,
                           sizeof msg) != 0) {
        lower_error(c, oc->loc, "%s: %s", op->name, msg);
        return -1;
      }
    }
    nnd_type t = pd->type;
    t.batched = 0;
    if (init.kind != NND_VAL_CALL) {
      char what[160];
      snprintf(what, sizeof what, "`%s` of %s", pd->name, op->name);
      if (lower_check_literal(c, &init, &t, where, what) != 0) return -1;
    }
    if (nnd_type_numel(&t) < 0) {
      lower_error(c, oc->loc, "%s: parameter `%s` is too large", op->name, pd->name);
      return -1;
    }
    nnd_node pn = {0};
    pn.kind = NND_NODE_PARAM;
    pn.type = t;
    pn.value = init;
    pn.trainable = pd->trainable;
    pn.owner = -1;
    pn.name = nnd_arena_printf(&c->m->arena, "%s.%s", name, pd->name);
    if (pn.name && nnd_strmap_get(&c->node_names, pn.name, NULL)) {
      lower_error(c, oc->loc, "parameter name `%s` is already taken", pn.name);
      return -1;
    }
    int id = lower_add_node(c, &pn, oc->loc);
    if (id < 0) return -1;
    ids[n++] = id;
  }
  return n;
}

static LOWER_OUTLINE lval make_op(lower_ctx *c, const nnd_op_schema *op, const op_call *oc,
                    const char *want_name) {
  if (oc->n_inputs > 64) {
    lower_error(c, oc->loc, "%s: at most 64 inputs, got %d", op->name, oc->n_inputs);
    return ERR;
  }
  if (oc->n_inputs < op->min_inputs ||
      (op->max_inputs >= 0 && oc->n_inputs > op->max_inputs)) {
    if (op->min_inputs == op->max_inputs)
      lower_error(c, oc->loc, "%s takes %d input%s, got %d", op->name, op->min_inputs,
                  op->min_inputs == 1 ? "" : "s", oc->n_inputs);
    else if (oc->n_inputs < op->min_inputs)
      lower_error(c, oc->loc, "%s takes at least %d inputs, got %d", op->name,
                  op->min_inputs, oc->n_inputs);
    else
      lower_error(c, oc->loc, "%s takes at most %d inputs, got %d", op->name,
                  op->max_inputs, oc->n_inputs);
    return ERR;
  }
  nnd_attr_sig sig = {op->name, op->attrs, op->n_attrs, 0, NULL};
  nnd_value *attrs = nnd_arena_alloc(&c->m->arena, (size_t)(op->n_attrs + 1) * sizeof *attrs);
  if (!attrs) return ERR;
  char msg[NND_MESSAGE_MAX];
  int bad;
  if (nnd_attrs_resolve(&sig, oc->n_named, oc->names, oc->values, &c->m->arena, attrs,
                        &bad, msg, sizeof msg) != 0) {
    lower_error(c, bad >= 0 ? oc->locs[bad] : oc->loc, "%s", msg);
    return ERR;
  }

  nnd_infer inf;
  memset(&inf, 0, sizeof inf);
  nnd_type types[64];
  const char *names[64];
  int n_in = oc->n_inputs < 64 ? oc->n_inputs : 64;
  for (int i = 0; i < n_in; i++) {
    const nnd_node *in = &c->m->nodes[oc->inputs[i]];
    types[i] = in->type;
    names[i] = in->name;
    if (in->kind == NND_NODE_CONST) {
      /* a constant's generated name means nothing to the user; its value does */
      char text[64];
      nnd_value_format(&in->value, text, sizeof text);
      if (strlen(text) < sizeof text - 1) names[i] = nnd_arena_strdup(&c->m->arena, text);
    }
  }
  inf.size = sizeof inf;
  inf.op = op->name;
  inf.n_inputs = n_in;
  inf.inputs = types;
  inf.input_names = names;
  inf.n_attrs = op->n_attrs;
  inf.attrs = attrs;
  if (op->infer(&inf) != 0) {
    inf.message[sizeof inf.message - 1] = '\0';
    lower_error(c, oc->loc, "%s", inf.message[0] ? inf.message : "invalid inputs");
    return ERR;
  }
  if (inf.output.ndim < 0 || inf.output.ndim > NND_MAX_DIMS ||
      inf.n_params < 0 || inf.n_params > NND_MAX_PARAMS ||
      nnd_type_numel(&inf.output) < 0) {
    lower_error(c, oc->loc, "%s: the output is too large or malformed", op->name);
    return ERR;
  }

  const char *name = oc->explicit_name
                         ? nnd_arena_printf(&c->m->arena, "%s%s", c->prefix, oc->explicit_name)
                         : NULL;
  if (name && nnd_strmap_get(&c->node_names, name, NULL)) {
    lower_error(c, oc->loc, "name \"%s\" is already taken by another node", name);
    return ERR;
  }
  if (!name) name = want_name ? lower_unique_name(c, want_name, 0)
                              : lower_unique_name(c, op->name, 1);
  if (!name) return ERR;

  int ids[64 + NND_MAX_PARAMS];
  memcpy(ids, oc->inputs, (size_t)n_in * sizeof *ids);
  int np = declare_params(c, op, &inf, attrs, oc, name, ids + n_in);
  if (np < 0) return ERR;

  nnd_node n = {0};
  n.kind = NND_NODE_OP;
  n.name = name;
  n.op = op;
  n.n_inputs = n_in + np;
  n.n_data_inputs = n_in;
  n.inputs = ids;
  n.attrs = attrs;
  n.type = inf.output;
  n.owner = -1;
  int id = lower_add_node(c, &n, oc->loc);
  if (id < 0) return ERR;
  for (int p = 0; p < np; p++) c->m->nodes[ids[n_in + p]].owner = id;
  lval r = {LV_TENSOR, id, {0}};
  return r;
}

static const nnd_op_schema *find_op(lower_ctx *c, const char *name, nnd_loc loc) {
  int ambiguous;
  const nnd_op_schema *op = nnd_registry_find_op(name, &ambiguous);
  if (!op && ambiguous)
    lower_error(c, loc, "op name `%s` is ambiguous: several plugins define it; "
                        "write it with its namespace", name);
  return op;
}

static lval binary_op(lower_ctx *c, int opch, lval a, lval b, nnd_loc loc,
                      const char *want_name) {
  const char *opname = opch == '+' ? "add" : opch == '-' ? "sub" : opch == '*' ? "mul"
                                                                               : "matmul";
  if (opch == '/') {
    if (b.kind != LV_CONST || b.v.kind != NND_VAL_NUMBER) {
      lower_error(c, loc, "'/' divides by numbers only; a tensor cannot be a divisor");
      return ERR;
    }
    if (b.v.num == 0) {
      lower_error(c, loc, "division by zero");
      return ERR;
    }
    b = constant(nnd_value_number(1.0 / b.v.num));
    opname = "mul";
  }
  a = as_tensor(c, a, loc);
  b = as_tensor(c, b, loc);
  if (a.kind == LV_ERROR || b.kind == LV_ERROR) return ERR;
  const nnd_op_schema *op = find_op(c, opname, loc);
  if (!op) {
    lower_error(c, loc, "no op `%s` is registered for this operator", opname);
    return ERR;
  }
  int ins[2] = {a.node, b.node};
  op_call oc = {.loc = loc, .n_inputs = 2, .inputs = ins};
  return make_op(c, op, &oc, want_name);
}

/* A tensor where a constant is needed: an error naming the tensor and what
 * needed the constant (what_fmt with a and b). */
static LOWER_COLD __attribute__((format(printf, 4, 0))) lval
not_constant(lower_ctx *c, const nnd_ast_expr *e, lval v, const char *what_fmt, const char *a,
             const char *b) {
  char what[160];
  snprintf(what, sizeof what, what_fmt, a, b);
  lower_error(c, e->loc, "%s must be a constant, but `%s` is a tensor", what,
              node_label(c, v.node));
  return ERR;
}

static lval op_call_expr(lower_ctx *c, scope *s, const nnd_op_schema *op,
                         const nnd_ast_expr *e, const char *want_name) {
  int n = e->n_args, n_in = 0, n_named = 0, failed = 0;
  int *inputs = calloc((size_t)n + 1, sizeof *inputs);
  const char **names = calloc((size_t)n + 1, sizeof *names);
  nnd_value *values = calloc((size_t)n + 1, sizeof *values);
  nnd_loc *locs = calloc((size_t)n + 1, sizeof *locs);
  const char *explicit_name = NULL;
  lval result = ERR;
  if (!inputs || !names || !values || !locs) goto out;
  for (const nnd_ast_arg *a = e->args; a; a = a->next) {
    if (!a->name) {
      if (n_named > 0) {
        lower_error(c, a->value->loc, "inputs come before name=value attributes");
        failed = 1;
        continue;
      }
      lval v = as_tensor(c, lower_expr(c, s, a->value, NULL), a->value->loc);
      if (v.kind == LV_ERROR) failed = 1;
      else inputs[n_in++] = v.node;
      continue;
    }
    for (int k = 0; k < n_named; k++)
      if (strcmp(names[k], a->name) == 0) {
        lower_error(c, a->name_loc, "attribute `%s` is given twice", a->name);
        failed = 1;
      }
    lval v = lower_expr(c, s, a->value, NULL);
    if (v.kind == LV_TENSOR) v = not_constant(c, a->value, v, "attribute `%s` of %s", a->name,
                                              op->name);
    if (v.kind == LV_ERROR) {
      failed = 1;
      continue;
    }
    if (strcmp(a->name, "name") == 0) {
      if (v.v.kind != NND_VAL_STRING || !v.v.str[0]) {
        lower_error(c, a->value->loc, "name= takes a non-empty string");
        failed = 1;
      } else {
        explicit_name = v.v.str;
      }
      continue;
    }
    names[n_named] = a->name;
    values[n_named] = v.v;
    locs[n_named] = a->name_loc;
    n_named++;
  }
  if (!failed) {
    op_call oc = {e, e->loc, n_in, inputs, n_named, names, values, locs, explicit_name};
    result = make_op(c, op, &oc, want_name);
  }
out:
  free(inputs);
  free(names);
  free(values);
  free(locs);
  return result;
}

/* A call to an initializer, optimizer, data source or schedule: a constant. */
static lval value_call(lower_ctx *c, scope *s, const nnd_ast_expr *e) {
  int n = e->n_args;
  nnd_value *items = nnd_arena_alloc(&c->m->arena, (size_t)(n + 1) * sizeof *items);
  const char **names = nnd_arena_alloc(&c->m->arena, (size_t)(n + 1) * sizeof *names);
  if (!items || !names) return ERR;
  int i = 0, failed = 0;
  for (const nnd_ast_arg *a = e->args; a; a = a->next, i++) {
    lval v = lower_expr(c, s, a->value, NULL);
    if (v.kind == LV_TENSOR) v = not_constant(c, a->value, v, "an argument of %s()%s", e->str, "");
    if (v.kind == LV_ERROR) failed = 1;
    items[i] = v.v;
    names[i] = a->name ? nnd_arena_strdup(&c->m->arena, a->name) : NULL;
  }
  if (failed) return ERR;
  nnd_value v = {.kind = NND_VAL_CALL, .str = nnd_arena_strdup(&c->m->arena, e->str),
                 .count = n, .items = items, .names = names};
  return constant(v);
}

static int is_value_call(const char *name) {
  for (int k = NND_CALL_INITIALIZER; k <= NND_CALL_SCHEDULE; k++)
    if (nnd_registry_find_call((nnd_call_kind)k, name)) return 1;
  return 0;
}

static LOWER_COLD void unknown_call(lower_ctx *c, const nnd_ast_expr *e) {
  nnd_suggest sg;
  nnd_suggest_init(&sg, e->str);
  for (int i = 0; i < nnd_registry_op_count(); i++)
    nnd_suggest_offer(&sg, nnd_registry_op_at(i, NULL)->name);
  for (int i = 0; i < c->n_blocks; i++) nnd_suggest_offer(&sg, c->block_defs[i]->name);
  const char *kind = "op";
  for (int i = 0; i < nnd_registry_call_count(); i++) {
    const nnd_call_schema *cs = nnd_registry_call_at(i, NULL);
    const char *before = sg.best;
    nnd_suggest_offer(&sg, cs->name);
    if (sg.best != before) kind = nnd_call_kind_name(cs->kind);
  }
  if (sg.best) {
    if (nnd_strmap_get(&c->blocks, sg.best, NULL)) kind = "block";
    lower_error(c, e->loc, "unknown %s `%s`; did you mean `%s`?", kind, e->str, sg.best);
  } else {
    char known[1024];
    nnd_registry_list(0, known, sizeof known);
    lower_error(c, e->loc, "unknown op `%s` (known ops: %s)", e->str, known);
  }
}

static lval call_expr(lower_ctx *c, scope *s, const nnd_ast_expr *e,
                      const char *want_name) {
  int b;
  if (nnd_strmap_get(&c->blocks, e->str, &b))
    return lower_block_call(c, s, c->block_defs[b], e, want_name);
  int ambiguous;
  const nnd_op_schema *op = nnd_registry_find_op(e->str, &ambiguous);
  if (op) return op_call_expr(c, s, op, e, want_name);
  if (is_value_call(e->str)) return value_call(c, s, e);
  if (ambiguous) {
    find_op(c, e->str, e->loc);
    return ERR;
  }
  unknown_call(c, e);
  return ERR;
}

static lval list_expr(lower_ctx *c, scope *s, const nnd_ast_expr *e) {
  nnd_value *items = nnd_arena_alloc(&c->m->arena, (size_t)(e->n_args + 1) * sizeof *items);
  if (!items) return ERR;
  int i = 0, failed = 0;
  for (const nnd_ast_arg *a = e->args; a; a = a->next, i++) {
    lval v = lower_expr(c, s, a->value, NULL);
    if (v.kind == LV_TENSOR) {
      lower_error(c, a->value->loc, "lists hold constants, but `%s` is a tensor; "
                                    "use concat() to join tensors",
                  node_label(c, v.node));
      failed = 1;
    } else if (v.kind == LV_ERROR) {
      failed = 1;
    } else {
      items[i] = v.v;
    }
  }
  if (failed) return ERR;
  nnd_value v = {.kind = NND_VAL_LIST, .count = e->n_args, .items = items};
  return constant(v);
}

static LOWER_COLD lval unknown_name(lower_ctx *c, scope *s, const nnd_ast_expr *e) {
  int b;
  if (nnd_strmap_get(&c->blocks, e->str, &b) || nnd_registry_find_op(e->str, NULL)) {
    lower_error(c, e->loc, "`%s` is %s; call it: %s(...)", e->str,
                nnd_strmap_get(&c->blocks, e->str, NULL) ? "a block" : "an op", e->str);
    return ERR;
  }
  if (is_value_call(e->str)) {
    lower_error(c, e->loc, "`%s` needs parentheses: %s()", e->str, e->str);
    return ERR;
  }
  const char *near = scope_suggest(s, c, e->str);
  const char *hint = c->n_inline > 0 ? " (a block sees only its arguments and its own "
                                       "bindings)" : "";
  if (near)
    lower_error(c, e->loc, "undefined name `%s`; did you mean `%s`?%s", e->str, near, hint);
  else
    lower_error(c, e->loc, "undefined name `%s`%s", e->str, hint);
  return ERR;
}

static lval name_expr(lower_ctx *c, scope *s, const nnd_ast_expr *e) {
  const lval *v = scope_find(s, e->str, NULL);
  return v ? *v : unknown_name(c, s, e);
}

static lval expr_at(lower_ctx *c, scope *s, const nnd_ast_expr *e, const char *want_name) {
  switch (e->kind) {
  case NND_AST_ERROR: return ERR;
  case NND_AST_NUMBER: {
    nnd_value v = nnd_value_number(e->num);
    v.is_int = e->is_int;
    return constant(v);
  }
  case NND_AST_STRING: {
    /* values outlive the syntax tree: copy its text into the model */
    nnd_value v = {.kind = NND_VAL_STRING, .str = nnd_arena_strdup(&c->m->arena, e->str)};
    return v.str ? constant(v) : ERR;
  }
  case NND_AST_BOOL: {
    nnd_value v = {.kind = NND_VAL_BOOL, .num = e->num};
    return constant(v);
  }
  case NND_AST_NAME: return name_expr(c, s, e);
  case NND_AST_LIST: return list_expr(c, s, e);
  case NND_AST_CALL: return call_expr(c, s, e, want_name);
  case NND_AST_NEGATE: {
    lval x = lower_expr(c, s, e->lhs, NULL);
    if (x.kind == LV_ERROR) return ERR;
    if (x.kind == LV_CONST) return fold(c, '*', constant(nnd_value_number(-1)), x, e->loc);
    return binary_op(c, '*', x, constant(nnd_value_number(-1)), e->loc, want_name);
  }
  case NND_AST_BINARY: {
    lval a = lower_expr(c, s, e->lhs, NULL);
    lval b = lower_expr(c, s, e->rhs, NULL);
    if (a.kind == LV_ERROR || b.kind == LV_ERROR) return ERR;
    if (a.kind == LV_CONST && b.kind == LV_CONST) return fold(c, e->op, a, b, e->loc);
    return binary_op(c, e->op, a, b, e->loc, want_name);
  }
  }
  return ERR;
}

lval lower_expr(lower_ctx *c, scope *s, const nnd_ast_expr *e, const char *want_name) {
  if (!e || lower_enter(c, e->loc) != 0) return ERR;
  lval v = expr_at(c, s, e, want_name);
  lower_leave(c);
  return v;
}

lval lower_const(lower_ctx *c, scope *s, const nnd_ast_expr *e, const char *what) {
  lval v = lower_expr(c, s, e, NULL);
  if (v.kind == LV_TENSOR) {
    lower_error(c, e->loc, "%s must be a constant, but `%s` is a tensor", what,
                node_label(c, v.node));
    return ERR;
  }
  return v;
}

int lower_check_literal(lower_ctx *c, const nnd_value *v, const nnd_type *t, nnd_loc loc,
                        const char *what) {
  nnd_type lt;
  if (literal_type(c, v, loc, &lt) != 0) return -1;
  if (lt.ndim == 0 || nnd_type_same_shape(&lt, t)) return 0;
  char a[160], b[160];
  lower_error(c, loc, "%s is %s, but the literal has shape %s", what,
              nnd_shape_str(t, a, sizeof a), nnd_shape_str(&lt, b, sizeof b));
  return -1;
}
