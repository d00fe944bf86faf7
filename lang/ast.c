/* ast.c — see ast.h. */
#include "ast.h"

#include <stddef.h>

nnd_ast_expr *nnd_ast_leaf(nnd_ast *a, nnd_ast_kind kind, nnd_loc loc) {
  nnd_ast_expr *e = nnd_arena_alloc(&a->arena, sizeof *e);
  if (!e) return NULL;
  e->kind = kind;
  e->loc = loc;
  e->depth = 1;
  return e;
}

nnd_ast_expr *nnd_ast_binary(nnd_ast *a, int op, nnd_ast_expr *l, nnd_ast_expr *r,
                             nnd_loc loc) {
  nnd_ast_expr *e = nnd_ast_leaf(a, NND_AST_BINARY, loc);
  if (!e) return NULL;
  e->op = op;
  e->lhs = l;
  e->rhs = r;
  int dl = l ? l->depth : 0, dr = r ? r->depth : 0;
  e->depth = 1 + (dl > dr ? dl : dr);
  return e;
}

nnd_ast_expr *nnd_ast_negate(nnd_ast *a, nnd_ast_expr *x, nnd_loc loc) {
  nnd_ast_expr *e = nnd_ast_leaf(a, NND_AST_NEGATE, loc);
  if (!e) return NULL;
  e->lhs = x;
  e->depth = 1 + (x ? x->depth : 0);
  return e;
}

nnd_ast_arg *nnd_ast_arg_new(nnd_ast *a, const char *name, nnd_loc name_loc,
                             nnd_ast_expr *value) {
  nnd_ast_arg *g = nnd_arena_alloc(&a->arena, sizeof *g);
  if (!g) return NULL;
  g->name = name;
  g->name_loc = name_loc;
  g->value = value;
  return g;
}

void nnd_ast_args_push(nnd_ast_args *l, nnd_ast_arg *arg) {
  if (!arg) return;
  if (l->last) l->last->next = arg;
  else l->first = arg;
  l->last = arg;
  l->count++;
  if (arg->value && arg->value->depth > l->depth) l->depth = arg->value->depth;
}

void nnd_ast_set_args(nnd_ast_expr *e, const nnd_ast_args *l) {
  if (!e) return;
  e->args = l->first;
  e->n_args = l->count;
  e->depth = 1 + l->depth;
}

nnd_ast_stmt *nnd_ast_stmt_new(nnd_ast *a, nnd_stmt_kind kind, nnd_loc loc) {
  nnd_ast_stmt *s = nnd_arena_alloc(&a->arena, sizeof *s);
  if (!s) return NULL;
  s->kind = kind;
  s->loc = loc;
  return s;
}

void nnd_ast_append(nnd_ast_stmt **first, nnd_ast_stmt **last, nnd_ast_stmt *s) {
  if (!s) return;
  if (*last) (*last)->next = s;
  else *first = s;
  *last = s;
}
