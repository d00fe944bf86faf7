/* lower_internal.h — what lower.c (statements, blocks) and lower_expr.c
 * (expressions, op calls) share. */
#ifndef NND_LOWER_INTERNAL_H
#define NND_LOWER_INTERNAL_H

#include "ast.h"
#include "diag.h"
#include "ir.h"
#include "strmap.h"

#define MAX_NODES 1000000   /* a model past this is refused, not allocated */
#define MAX_INLINE 64       /* blocks calling blocks, this deep at most */

/* Functions with big frames that must stay out of the recursive path
 * (lower_expr -> call -> lower_expr): inlined into it, their buffers would
 * be paid once per level of nesting instead of once. */
#define LOWER_OUTLINE __attribute__((noinline))
/* The same for error paths, which are also rare. */
#define LOWER_COLD __attribute__((noinline, cold))

typedef enum { LV_ERROR, LV_TENSOR, LV_CONST } lv_kind;

/* The value of an expression: a node of the graph, a compile-time constant,
 * or an error already reported (which silences follow-up errors). */
typedef struct {
  lv_kind kind;
  int node;
  nnd_value v;
} lval;

/* Names visible in one scope: the file's top level or one block instance. */
typedef struct {
  nnd_strmap map;     /* name -> index in vals */
  lval *vals;
  nnd_loc *locs;
  int n, cap;
} scope;

typedef struct {
  nnd_model *m;
  nnd_diag_list *d;
  const char *file;
  nnd_strmap blocks;       /* block name -> index in block_defs */
  const nnd_ast_stmt **block_defs;
  int *block_ok;           /* per block: its definition is well formed */
  double *block_cost;      /* per block: nodes one inlining makes, at most */
  int n_blocks;
  nnd_strmap node_names;   /* every node name in use */
  nnd_strmap counters;     /* prefix + op -> last generated number */
  const nnd_ast_stmt *inline_stack[MAX_INLINE];
  int n_inline;
  char *prefix;            /* "" at top level, "conv_block_1." inside */
  int fatal;               /* stop: too many nodes or errors */
  /* Levels of recursion in use, through expressions and block calls alike:
     one budget (NND_COMPILE_MAX_DEPTH) bounds the stack of the whole
     lowering, however the nesting is split between blocks and expressions. */
  int depth;
} lower_ctx;

/* A context for lowering into m, and its release (the block tables too). */
void lower_ctx_init(lower_ctx *c, const char *file, nnd_model *m, nnd_diag_list *d);
void lower_ctx_free(lower_ctx *c);

void lower_error(lower_ctx *c, nnd_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void lower_note(lower_ctx *c, nnd_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
nnd_srcloc lower_srcloc(const lower_ctx *c, nnd_loc loc);

void scope_init(scope *s);
void scope_free(scope *s);
int scope_bind(scope *s, const char *name, lval v, nnd_loc loc);
const lval *scope_find(const scope *s, const char *name, nnd_loc *loc);
/* The bound name closest to `name`, for "did you mean". */
const char *scope_suggest(const scope *s, const lower_ctx *c, const char *name);

/* Lower an expression. `want_name`, when not NULL, names the node the
 * expression creates at its top (a binding's name). A call resolves to a
 * block of the file, else an op, else an initializer, optimizer, data source
 * or schedule (a constant). */
lval lower_expr(lower_ctx *c, scope *s, const nnd_ast_expr *e, const char *want_name);
/* An expression that must be a compile-time constant (an attribute). */
lval lower_const(lower_ctx *c, scope *s, const nnd_ast_expr *e, const char *what);

/* Take one level of the depth budget for a recursion at loc; when it is
 * spent, report (once) and stop lowering, and return -1. lower_leave gives
 * the level back. */
int lower_enter(lower_ctx *c, nnd_loc loc);
static inline void lower_leave(lower_ctx *c) { c->depth--; }

/* A unique node name: prefix + base, or prefix + base_K when taken. */
const char *lower_unique_name(lower_ctx *c, const char *base, int generated);
/* Append a node; reports "model too large" and returns -1 past MAX_NODES. */
int lower_add_node(lower_ctx *c, nnd_node *n, nnd_loc loc);

/* Names bound by the user have no '.'; else an error, and -1 (lower.c). */
int lower_check_plain_name(lower_ctx *c, const char *name, nnd_loc loc);
/* Lower `name = expr` into scope s (lower.c). */
void lower_binding(lower_ctx *c, scope *s, const nnd_ast_stmt *st);
/* Find and check the file's block definitions (lower_block.c). */
void lower_collect_blocks(lower_ctx *c, const nnd_ast *ast);
/* Inline a block call (lower_block.c). */
lval lower_block_call(lower_ctx *c, scope *s, const nnd_ast_stmt *def,
                      const nnd_ast_expr *call, const char *want_name);

/* Numbers of a tensor literal (rank already checked) must fit a 32-bit
 * float; else an error at loc. */
int lower_check_floats(lower_ctx *c, const nnd_value *v, nnd_loc loc);

/* Check a literal against a shape: exact, or a scalar broadcast to it. */
int lower_check_literal(lower_ctx *c, const nnd_value *v, const nnd_type *t,
                        nnd_loc loc, const char *what);

#endif
