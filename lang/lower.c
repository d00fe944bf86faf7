/* lower.c — statements to graph: declarations, bindings, blocks, losses and
 * the train block. Expressions are lower_expr.c's business.
 *
 * Blocks are lower_block.c's. */
#include "lower.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "lower_internal.h"
#include "registry.h"
#include "shape.h"
#include "suggest.h"
#include "train_config.h"

static const lval ERR = {LV_ERROR, -1, {0}};

/* ---------------------------------------------------------- reporting */

nnd_srcloc lower_srcloc(const lower_ctx *c, nnd_loc loc) {
  /* the model's own copy of the file name: the IR outlives the diagnostics */
  nnd_srcloc s = {c->m->path, loc.line, loc.col};
  return s;
}

static void vreport(lower_ctx *c, nnd_diag_severity sev, nnd_loc loc, const char *fmt,
                    va_list ap) {
  if (nnd_diag_vreport(c->d, sev, c->file, loc.line, loc.col, loc.width, fmt, ap))
    c->fatal = 1;
}

void lower_error(lower_ctx *c, nnd_loc loc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vreport(c, NND_DIAG_ERROR, loc, fmt, ap);
  va_end(ap);
}

void lower_note(lower_ctx *c, nnd_loc loc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vreport(c, NND_DIAG_NOTE, loc, fmt, ap);
  va_end(ap);
}

int lower_enter(lower_ctx *c, nnd_loc loc) {
  if (c->fatal) return -1;
  if (c->depth >= NND_COMPILE_MAX_DEPTH) {
    lower_error(c, loc, "nested too deeply: blocks and expressions here nest more than %d "
                        "levels, counting through every block call", NND_COMPILE_MAX_DEPTH);
    c->fatal = 1;
    return -1;
  }
  c->depth++;
  return 0;
}

/* -------------------------------------------------------------- scopes */

void scope_init(scope *s) { memset(s, 0, sizeof *s); nnd_strmap_init(&s->map); }

void scope_free(scope *s) {
  nnd_strmap_free(&s->map);
  free(s->vals);
  free(s->locs);
}

int scope_bind(scope *s, const char *name, lval v, nnd_loc loc) {
  int i;
  if (!nnd_strmap_get(&s->map, name, &i)) {
    if (s->n == s->cap) {
      int cap = s->cap ? s->cap * 2 : 32;
      lval *vals = realloc(s->vals, (size_t)cap * sizeof *vals);
      if (!vals) return -1;
      s->vals = vals;
      nnd_loc *locs = realloc(s->locs, (size_t)cap * sizeof *locs);
      if (!locs) return -1;
      s->locs = locs;
      s->cap = cap;
    }
    i = s->n++;
    if (nnd_strmap_put(&s->map, name, i) != 0) return -1;
  }
  s->vals[i] = v;
  s->locs[i] = loc;
  return 0;
}

const lval *scope_find(const scope *s, const char *name, nnd_loc *loc) {
  int i;
  if (!nnd_strmap_get(&s->map, name, &i)) return NULL;
  if (loc) *loc = s->locs[i];
  return &s->vals[i];
}

const char *scope_suggest(const scope *s, const lower_ctx *c, const char *name) {
  (void)c;
  nnd_suggest sg;
  nnd_suggest_init(&sg, name);
  size_t pos = 0;
  const char *key;
  while ((key = nnd_strmap_next(&s->map, &pos, NULL))) nnd_suggest_offer(&sg, key);
  return sg.best;
}

/* ------------------------------------------------------------- helpers */

/* A dimension past this is refused before it is converted to int64 (the
 * product of the dimensions is checked after). */
#define MAX_DIM 9007199254740992.0

/* The positive integers of a shape list such as [1, 28, 28]. */
static int eval_shape(lower_ctx *c, scope *s, const nnd_ast_expr *e, nnd_type *t) {
  lval v = lower_const(c, s, e, "a shape");
  if (v.kind == LV_ERROR) return -1;
  if (v.v.kind != NND_VAL_LIST) {
    lower_error(c, e->loc, "a shape is a list of positive integers, like [1, 28, 28]");
    return -1;
  }
  if (v.v.count > NND_MAX_DIMS) {
    lower_error(c, e->loc, "a shape has at most %d dimensions, this one has %d",
                NND_MAX_DIMS, v.v.count);
    return -1;
  }
  int64_t dim[NND_MAX_DIMS];
  const nnd_ast_arg *a = e->args;
  for (int i = 0; i < v.v.count; i++, a = a ? a->next : NULL) {
    const nnd_value *d = &v.v.items[i];
    nnd_loc loc = a ? a->value->loc : e->loc;
    if (d->kind != NND_VAL_NUMBER || d->num != floor(d->num) || d->num < 1) {
      char b[64];
      nnd_value_format(d, b, sizeof b);
      lower_error(c, loc, "shape dimensions are positive integers, got %s", b);
      return -1;
    }
    /* checked before converting: past int64 the conversion is undefined */
    if (d->num > MAX_DIM) {
      lower_error(c, loc, "shape dimension %g is too large (the limit is 2^53)", d->num);
      return -1;
    }
    dim[i] = (int64_t)d->num;
  }
  *t = nnd_type_float(1, v.v.count, dim);
  if (nnd_type_numel(t) < 0) {
    lower_error(c, e->loc, "this shape is too large");
    return -1;
  }
  return 0;
}

/* Dots separate a node from its parameters ("dense_1.weight") and an op
 * from its namespace, so a name the user binds has none. */
int lower_check_plain_name(lower_ctx *c, const char *name, nnd_loc loc) {
  if (!strchr(name, '.')) return 0;
  lower_error(c, loc, "`%s`: names cannot contain '.' (a dot separates a node from its "
                      "parameters)", name);
  return -1;
}

/* Names declared by `input` and `param` may not be declared again. */
static int check_new_declaration(lower_ctx *c, scope *s, const nnd_ast_stmt *st) {
  nnd_loc prev;
  if (lower_check_plain_name(c, st->name, st->name_loc)) return -1;
  if (!scope_find(s, st->name, &prev)) return 0;
  lower_error(c, st->name_loc, "`%s` is already defined", st->name);
  lower_note(c, prev, "`%s` was defined here", st->name);
  return -1;
}

static lval bind_node(lower_ctx *c, scope *s, const nnd_ast_stmt *st, nnd_node *n) {
  n->name = lower_unique_name(c, st->name, 0);
  n->owner = -1;
  int id = n->name ? lower_add_node(c, n, st->name_loc) : -1;
  if (id < 0) return ERR;
  lval v = {LV_TENSOR, id, {0}};
  scope_bind(s, st->name, v, st->name_loc);
  return v;
}

/* ------------------------------------------------------------ inputs */

static int check_input_value(lower_ctx *c, const nnd_value *v, const nnd_type *t,
                             nnd_loc loc) {
  if (t->dtype == NND_FLOAT) {
    /* one sample, or a batch of samples along a leading dimension */
    char msg[256];
    int nd;
    int64_t dim[NND_MAX_DIMS + 1];
    if (nnd_literal_shape(v, &nd, dim, msg, sizeof msg) != 0) {
      lower_error(c, loc, "%s", msg);
      return -1;
    }
    if (lower_check_floats(c, v, loc) != 0) return -1;
    nnd_type lt = nnd_type_float(0, nd, dim);
    nnd_type tail = nd > 0 ? nnd_type_float(0, nd - 1, dim + 1) : lt;
    /* a number fills every element; else one sample, or a batch of them */
    if (nd == 0 || nnd_type_same_shape(&lt, t) || (nd > 0 && nnd_type_same_shape(&tail, t)))
      return 0;
    char a[160], b[160];
    lower_error(c, loc, "the input is %s per sample, but the value has shape %s",
                nnd_shape_str(t, a, sizeof a), nnd_shape_str(&lt, b, sizeof b));
    return -1;
  }
  /* labels: one number or a list of numbers */
  int n = v->kind == NND_VAL_LIST ? v->count : 1;
  for (int i = 0; i < n; i++) {
    const nnd_value *x = v->kind == NND_VAL_LIST ? &v->items[i] : v;
    if (x->kind != NND_VAL_NUMBER) {
      lower_error(c, loc, "a label value is a number or a list of numbers");
      return -1;
    }
    if (t->dtype == NND_CLASS &&
        (x->num != floor(x->num) || x->num < 0 || x->num >= t->classes)) {
      lower_error(c, loc, "class label %g is out of range: class[%lld] takes 0 to %lld",
                  x->num, (long long)t->classes, (long long)t->classes - 1);
      return -1;
    }
    if (t->dtype == NND_BINARY && (x->num < 0 || x->num > 1)) {
      lower_error(c, loc, "a binary target is in [0, 1], got %g", x->num);
      return -1;
    }
  }
  return 0;
}

static void lower_input(lower_ctx *c, scope *s, const nnd_ast_stmt *st) {
  if (check_new_declaration(c, s, st)) return;
  nnd_node n = {0};
  n.kind = NND_NODE_INPUT;
  if (st->type_kind == NND_TYPE_TENSOR) {
    if (eval_shape(c, s, st->shape, &n.type) != 0) return;
  } else if (st->type_kind == NND_TYPE_BINARY) {
    n.type = nnd_type_float(1, 0, NULL);
    n.type.dtype = NND_BINARY;
  } else {
    lval v = lower_const(c, s, st->shape, "a class list");
    if (v.kind == LV_ERROR) return;
    n.type = nnd_type_float(1, 0, NULL);
    n.type.dtype = NND_CLASS;
    const nnd_value *items = v.v.items;
    if (v.v.count == 1 && items[0].kind == NND_VAL_NUMBER) {
      if (items[0].num != floor(items[0].num) || items[0].num < 2 || items[0].num > 1e9) {
        lower_error(c, st->shape->loc, "class[N] needs an integer N >= 2, got %g",
                    items[0].num);
        return;
      }
      n.type.classes = (int64_t)items[0].num;
    } else {
      const char **names = nnd_arena_alloc(&c->m->arena, (size_t)(v.v.count + 1) *
                                                             sizeof *names);
      if (!names) return;
      for (int i = 0; i < v.v.count; i++) {
        if (items[i].kind != NND_VAL_STRING) {
          lower_error(c, st->shape->loc, "class[...] takes a number of classes or "
                                         "their names as strings");
          return;
        }
        names[i] = items[i].str;
        for (int j = 0; j < i; j++)
          if (strcmp(names[j], names[i]) == 0) {
            lower_error(c, st->shape->loc, "class name \"%s\" appears twice", names[i]);
            return;
          }
      }
      if (v.v.count < 2) {
        lower_error(c, st->shape->loc, "a class input needs at least 2 classes");
        return;
      }
      n.type.classes = v.v.count;
      n.class_names = names;
    }
  }
  if (st->value) {
    lval v = lower_const(c, s, st->value, "an input's value");
    if (v.kind == LV_ERROR) return;
    if (check_input_value(c, &v.v, &n.type, st->value->loc) != 0) return;
    n.value = v.v;
  }
  bind_node(c, s, st, &n);
}

static void lower_param(lower_ctx *c, scope *s, const nnd_ast_stmt *st) {
  if (check_new_declaration(c, s, st)) return;
  nnd_node n = {0};
  n.kind = NND_NODE_PARAM;
  n.trainable = 1;
  if (eval_shape(c, s, st->shape, &n.type) != 0) return;
  n.type.batched = 0;
  char msg[256];
  if (st->value) {
    lval v = lower_const(c, s, st->value, "a parameter's value");
    if (v.kind == LV_ERROR) return;
    if (v.v.kind == NND_VAL_CALL) {
      if (nnd_call_resolve(NND_CALL_INITIALIZER, &v.v, &c->m->arena, &n.value, msg,
                           sizeof msg) != 0) {
        lower_error(c, st->value->loc, "%s", msg);
        return;
      }
    } else {
      char what[160];
      snprintf(what, sizeof what, "parameter `%s`", st->name);
      if (lower_check_literal(c, &v.v, &n.type, st->value->loc, what) != 0) return;
      n.value = v.v;
    }
  } else {
    /* a matrix gets Xavier (Glorot uniform), a vector zeros: the layers'
     * defaults, not nn.Linear's (Kaiming-uniform, non-zero bias) */
    nnd_value call = {.kind = NND_VAL_CALL, .str = n.type.ndim >= 2 ? "xavier" : "zeros"};
    if (nnd_call_resolve(NND_CALL_INITIALIZER, &call, &c->m->arena, &n.value, msg,
                         sizeof msg) != 0) {
      lower_error(c, st->name_loc, "%s", msg);
      return;
    }
  }
  bind_node(c, s, st, &n);
}

/* ------------------------------------------------------------ bindings */

void lower_binding(lower_ctx *c, scope *s, const nnd_ast_stmt *st) {
  if (lower_check_plain_name(c, st->name, st->name_loc)) return;
  lval v = lower_expr(c, s, st->value, st->name);
  /* a failed right-hand side still defines the name, to avoid a cascade of
     "undefined name" errors below it */
  scope_bind(s, st->name, v, st->name_loc);
}

/* -------------------------------------------------------------- losses */

static void lower_loss(lower_ctx *c, scope *s, const nnd_ast_stmt *st) {
  const nnd_ast_expr *e = st->value, *call = e, *weight = NULL;
  if (e && e->kind == NND_AST_BINARY && (e->op == '*' || e->op == '/')) {
    call = e->lhs->kind == NND_AST_CALL ? e->lhs : e->rhs;
    weight = call == e->lhs ? e->rhs : e->lhs;
    if (e->op == '/' && call != e->lhs) call = NULL;
  }
  if (!call || call->kind != NND_AST_CALL) {
    if (!e || e->kind != NND_AST_ERROR)
      lower_error(c, e ? e->loc : st->loc,
                  "`loss` takes a loss call, optionally weighted: loss mse(y, t) * 0.5");
    return;
  }
  double w = 1;
  if (weight) {
    lval v = lower_const(c, s, weight, "a loss weight");
    if (v.kind == LV_ERROR) return;
    if (v.v.kind != NND_VAL_NUMBER || v.v.num < 0) {
      lower_error(c, weight->loc, "a loss weight is a number >= 0");
      return;
    }
    if (lower_check_floats(c, &v.v, weight->loc) != 0) return;
    w = e->op == '/' ? (v.v.num == 0 ? -1 : 1 / v.v.num) : v.v.num;
    if (w < 0) {
      lower_error(c, weight->loc, "division by zero");
      return;
    }
  }
  const nnd_op_schema *op = nnd_registry_find_op(call->str, NULL);
  if (op && !(op->flags & NND_OP_LOSS)) {
    char known[512] = "";
    size_t len = 0;
    for (int i = 0; i < nnd_registry_op_count(); i++) {
      const nnd_op_schema *o = nnd_registry_op_at(i, NULL);
      if (o->flags & NND_OP_LOSS && len < sizeof known)
        len += (size_t)snprintf(known + len, sizeof known - len, "%s%s", len ? ", " : "",
                                o->name);
    }
    lower_error(c, call->loc, "`%s` is not a loss (losses: %s)", call->str, known);
    return;
  }
  lval v = lower_expr(c, s, call, NULL);
  if (v.kind != LV_TENSOR) return;
  const nnd_node *n = &c->m->nodes[v.node];
  if (n->kind != NND_NODE_OP || !(n->op->flags & NND_OP_LOSS)) {
    lower_error(c, call->loc, "`loss` needs a loss op, and `%s` is not one", call->str);
    return;
  }
  nnd_ir_add_loss(c->m, v.node, w, lower_srcloc(c, st->loc));
}

/* --------------------------------------------------------------- train */

static void lower_train(lower_ctx *c, scope *s, const nnd_ast_stmt *st) {
  const nnd_attr_sig *sig = nnd_train_signature();
  int n = 0;
  for (const nnd_ast_stmt *k = st->body; k; k = k->next) n++;
  const char **names = calloc((size_t)n + 1, sizeof *names);
  nnd_value *values = calloc((size_t)n + 1, sizeof *values);
  nnd_loc *locs = calloc((size_t)n + 1, sizeof *locs);
  nnd_value *out = nnd_arena_alloc(&c->m->arena, (size_t)sig->n_specs * sizeof *out);
  int i = 0, failed = 0;
  for (const nnd_ast_stmt *k = st->body; k && names && values && locs; k = k->next) {
    if (k->kind != NND_STMT_BIND) {
      lower_error(c, k->loc, "a train block holds settings: key = value");
      failed = 1;
      continue;
    }
    for (int j = 0; j < i; j++)
      if (strcmp(names[j], k->name) == 0) {
        lower_error(c, k->name_loc, "`%s` is set twice in the train block", k->name);
        lower_note(c, locs[j], "first set here");
        failed = 1;
      }
    char what[96];
    snprintf(what, sizeof what, "train setting `%s`", k->name);
    lval v = lower_const(c, s, k->value, what);
    if (v.kind == LV_ERROR) {
      failed = 1;
      continue;
    }
    names[i] = k->name;
    values[i] = v.v;
    locs[i] = k->name_loc;
    i++;
  }
  char msg[NND_MESSAGE_MAX];
  int bad;
  if (!failed && out && names && values && locs) {
    if (nnd_attrs_resolve(sig, i, names, values, &c->m->arena, out, &bad, msg,
                          sizeof msg) != 0) {
      lower_error(c, bad >= 0 ? locs[bad] : st->loc, "%s", msg);
    } else {
      c->m->settings = nnd_arena_alloc(&c->m->arena, (size_t)sig->n_specs *
                                                         sizeof *c->m->settings);
      for (int k = 0; c->m->settings && k < sig->n_specs; k++) {
        if (out[k].kind == NND_VAL_NONE) continue;
        nnd_setting *set = &c->m->settings[c->m->n_settings++];
        set->key = sig->specs[k].name;
        set->value = out[k];
        set->loc = lower_srcloc(c, st->loc);
        for (int j = 0; j < i; j++)
          if (strcmp(names[j], set->key) == 0) {
            set->given = 1;
            set->loc = lower_srcloc(c, locs[j]);
          }
      }
    }
  }
  free(names);
  free(values);
  free(locs);
}

/* ---------------------------------------------------------------- main */

static const char *base_name(nnd_arena *a, const char *path) {
  const char *slash = strrchr(path, '/');
  const char *b = slash ? slash + 1 : path;
  const char *dot = strrchr(b, '.');
  return nnd_arena_strndup(a, b, dot && dot != b ? (size_t)(dot - b) : strlen(b));
}

void lower_ctx_init(lower_ctx *c, const char *file, nnd_model *m, nnd_diag_list *d) {
  memset(c, 0, sizeof *c);
  c->m = m;
  c->d = d;
  c->file = file;
  c->prefix = (char *)"";
  nnd_strmap_init(&c->blocks);
  nnd_strmap_init(&c->node_names);
  nnd_strmap_init(&c->counters);
}

void lower_ctx_free(lower_ctx *c) {
  nnd_strmap_free(&c->blocks);
  nnd_strmap_free(&c->node_names);
  nnd_strmap_free(&c->counters);
  free(c->block_defs);
  free(c->block_ok);
  free(c->block_cost);
}

int nnd_lower(const nnd_ast *ast, const char *file, nnd_model *m, nnd_diag_list *d) {
  lower_ctx c;
  lower_ctx_init(&c, file, m, d);
  int errors_before = nnd_diag_error_count(d);
  lower_collect_blocks(&c, ast);

  scope top;
  scope_init(&top);
  const nnd_ast_stmt *model_stmt = NULL, *train_stmt = NULL;
  for (const nnd_ast_stmt *st = ast->first; st && !c.fatal; st = st->next) {
    switch (st->kind) {
    case NND_STMT_MODEL:
      if (model_stmt) {
        lower_error(&c, st->loc, "the model is named twice");
        lower_note(&c, model_stmt->loc, "first named here");
        break;
      }
      model_stmt = st;
      m->name = nnd_arena_strdup(&m->arena, st->name);
      m->description = st->text ? nnd_arena_strdup(&m->arena, st->text) : NULL;
      break;
    case NND_STMT_INPUT: lower_input(&c, &top, st); break;
    case NND_STMT_PARAM: lower_param(&c, &top, st); break;
    case NND_STMT_BIND: lower_binding(&c, &top, st); break;
    case NND_STMT_BLOCK: break;
    case NND_STMT_RETURN: lower_error(&c, st->loc, "`return` outside a block"); break;
    case NND_STMT_LOSS: lower_loss(&c, &top, st); break;
    case NND_STMT_TRAIN:
      if (train_stmt) {
        lower_error(&c, st->loc, "a model has one train block");
        lower_note(&c, train_stmt->loc, "the first one is here");
        break;
      }
      train_stmt = st;
      lower_train(&c, &top, st);
      break;
    }
  }
  if (!m->name) m->name = base_name(&m->arena, file);
  if (!m->description) m->description = "";
  scope_free(&top);
  lower_ctx_free(&c);
  return nnd_diag_error_count(d) > errors_before || c.fatal ? -1 : 0;
}
