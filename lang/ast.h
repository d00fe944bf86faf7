/* ast.h — the syntax tree of a .nnd file, exactly as written.
 *
 * The parser builds it in an arena (so error recovery and deep trees cost
 * nothing to discard) and every node keeps its source position. Nothing here
 * knows what an op is: `conv2d(x, filters=32)` is just a call. */
#ifndef NND_AST_H
#define NND_AST_H

#include "arena.h"

/* Trees deeper than this are refused while parsing, which bounds the walks
 * of one expression. */
#define NND_AST_MAX_DEPTH 500
/* Blocks multiply that: a block's expression calls a block whose expression
 * calls another. Lowering counts every level of its recursion, through
 * expressions and block calls alike, against this one budget, and refuses
 * the file past it; so the whole compile fits in a small stack (the worst
 * frame per level is measured in tests/test_compile_limits.c). */
#define NND_COMPILE_MAX_DEPTH 1000

typedef struct {
  int line, col;
  int width;   /* columns covered on the first line, for the caret */
} nnd_loc;

typedef enum {
  NND_AST_NUMBER,
  NND_AST_STRING,
  NND_AST_BOOL,
  NND_AST_NAME,
  NND_AST_LIST,
  NND_AST_CALL,
  NND_AST_BINARY,  /* op: '+', '-', '*', '/', '@' */
  NND_AST_NEGATE,
  NND_AST_ERROR    /* stands in for what a syntax error swallowed */
} nnd_ast_kind;

typedef struct nnd_ast_expr nnd_ast_expr;
typedef struct nnd_ast_arg nnd_ast_arg;

struct nnd_ast_arg {
  const char *name;     /* NULL for a positional argument */
  nnd_loc name_loc;
  nnd_ast_expr *value;
  nnd_ast_arg *next;
};

struct nnd_ast_expr {
  nnd_ast_kind kind;
  nnd_loc loc;
  int depth;
  double num;           /* NUMBER; BOOL 0/1 */
  int is_int;           /* NUMBER written as an integer */
  const char *str;      /* STRING text, NAME, CALL callee */
  int op;               /* BINARY */
  nnd_ast_expr *lhs, *rhs; /* BINARY; NEGATE uses lhs */
  nnd_ast_arg *args;    /* CALL arguments and LIST items (names NULL) */
  int n_args;
  nnd_loc close_loc;    /* CALL, LIST: the closing bracket */
};

typedef enum {
  NND_STMT_MODEL,
  NND_STMT_INPUT,
  NND_STMT_PARAM,
  NND_STMT_BIND,
  NND_STMT_BLOCK,
  NND_STMT_RETURN,
  NND_STMT_LOSS,
  NND_STMT_TRAIN
} nnd_stmt_kind;

typedef enum { NND_TYPE_TENSOR, NND_TYPE_CLASS, NND_TYPE_BINARY } nnd_ast_type_kind;

typedef struct nnd_ast_stmt nnd_ast_stmt;
struct nnd_ast_stmt {
  nnd_stmt_kind kind;
  nnd_loc loc;          /* the keyword, or the name of a binding */
  const char *name;     /* MODEL, INPUT, PARAM, BIND, BLOCK, train key */
  nnd_loc name_loc;
  const char *text;     /* MODEL: description, may be NULL */
  nnd_ast_type_kind type_kind; /* INPUT */
  nnd_ast_expr *shape;  /* INPUT/PARAM: a LIST; CLASS: the bracketed list */
  nnd_ast_expr *value;  /* INPUT/PARAM literal, BIND, RETURN, LOSS, train value */
  nnd_ast_arg *params;  /* BLOCK parameters (names only) */
  nnd_ast_stmt *body;   /* BLOCK and TRAIN bodies */
  nnd_loc close_loc;    /* BLOCK/TRAIN: the closing brace */
  nnd_ast_stmt *next;
};

typedef struct {
  nnd_arena arena;
  nnd_ast_stmt *first, *last;
} nnd_ast;

/* Constructors used by the parser; each returns NULL only when out of memory. */
nnd_ast_expr *nnd_ast_leaf(nnd_ast *a, nnd_ast_kind kind, nnd_loc loc);
nnd_ast_expr *nnd_ast_binary(nnd_ast *a, int op, nnd_ast_expr *l, nnd_ast_expr *r,
                             nnd_loc loc);
nnd_ast_expr *nnd_ast_negate(nnd_ast *a, nnd_ast_expr *e, nnd_loc loc);
nnd_ast_arg *nnd_ast_arg_new(nnd_ast *a, const char *name, nnd_loc name_loc,
                             nnd_ast_expr *value);
/* An argument list under construction. */
typedef struct {
  nnd_ast_arg *first, *last;
  int count;
  int depth;            /* deepest argument */
} nnd_ast_args;

void nnd_ast_args_push(nnd_ast_args *l, nnd_ast_arg *arg);
/* Give e (a CALL or LIST) its arguments, updating its depth. */
void nnd_ast_set_args(nnd_ast_expr *e, const nnd_ast_args *l);
nnd_ast_stmt *nnd_ast_stmt_new(nnd_ast *a, nnd_stmt_kind kind, nnd_loc loc);
void nnd_ast_append(nnd_ast_stmt **first, nnd_ast_stmt **last, nnd_ast_stmt *s);

#endif
