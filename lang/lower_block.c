/* lower_block.c — blocks: checking their definitions, estimating what an
 * inlining makes, and inlining a call.
 *
 * Blocks are macros with hygiene: each call inlines the body in a fresh
 * scope that sees only the block's arguments, and names the nodes it makes
 * under the call's prefix ("c1.conv2d_1"), so two calls never collide. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lower_internal.h"
#include "registry.h"
#include "suggest.h"

static const lval ERR = {LV_ERROR, -1, {0}};

/* ------------------------------------------------------------- blocks */

static LOWER_COLD void no_such_argument(lower_ctx *c, const nnd_ast_stmt *def,
                                        const nnd_ast_arg *a) {
  nnd_suggest sg;
  nnd_suggest_init(&sg, a->name);
  for (const nnd_ast_arg *q = def->params; q; q = q->next) nnd_suggest_offer(&sg, q->name);
  if (sg.best)
    lower_error(c, a->name_loc, "block `%s` has no argument `%s`; did you mean `%s`?",
                def->name, a->name, sg.best);
  else
    lower_error(c, a->name_loc, "block `%s` has no argument `%s`", def->name, a->name);
}

static int bind_block_args(lower_ctx *c, scope *outer, scope *inner,
                           const nnd_ast_stmt *def, const nnd_ast_expr *call) {
  int n_params = 0;
  for (const nnd_ast_arg *p = def->params; p; p = p->next) n_params++;
  int positional = 0, failed = 0;
  for (const nnd_ast_arg *a = call->args; a; a = a->next) {
    const nnd_ast_arg *p = def->params;
    if (a->name) {
      while (p && strcmp(p->name, a->name) != 0) p = p->next;
      if (!p) {
        no_such_argument(c, def, a);
        failed = 1;
        continue;
      }
    } else {
      for (int k = 0; p && k < positional; k++) p = p->next;
      positional++;
      if (!p) {
        lower_error(c, a->value->loc, "block `%s` takes %d argument%s, got %d",
                    def->name, n_params, n_params == 1 ? "" : "s", call->n_args);
        failed = 1;
        continue;
      }
    }
    if (scope_find(inner, p->name, NULL)) {
      lower_error(c, a->name ? a->name_loc : a->value->loc,
                  "argument `%s` of block `%s` is given twice", p->name, def->name);
      failed = 1;
      continue;
    }
    lval v = lower_expr(c, outer, a->value, NULL);
    if (v.kind == LV_ERROR) failed = 1;
    scope_bind(inner, p->name, v, p->name_loc);
  }
  for (const nnd_ast_arg *p = def->params; p && !failed; p = p->next)
    if (!scope_find(inner, p->name, NULL)) {
      lower_error(c, call->loc, "block `%s` needs argument `%s`", def->name, p->name);
      failed = 1;
    }
  return failed ? -1 : 0;
}

/* A block's body is bindings and one final `return`; checked once per
 * definition, so a block that is never called is checked too. */
static int check_block_body(lower_ctx *c, const nnd_ast_stmt *def) {
  int ok = lower_check_plain_name(c, def->name, def->name_loc) == 0, returned = 0;
  for (const nnd_ast_arg *p = def->params; p; p = p->next) {
    if (lower_check_plain_name(c, p->name, p->name_loc)) ok = 0;
    for (const nnd_ast_arg *q = def->params; q != p; q = q->next)
      if (strcmp(p->name, q->name) == 0) {
        lower_error(c, p->name_loc, "block `%s` has two arguments named `%s`", def->name,
                    p->name);
        ok = 0;
      }
  }
  for (const nnd_ast_stmt *st = def->body; st; st = st->next) {
    if (returned) {
      lower_error(c, st->loc, "statement after `return` in block `%s`", def->name);
      return 0;
    }
    if (st->kind == NND_STMT_RETURN) {
      returned = 1;
    } else if (st->kind != NND_STMT_BIND) {
      lower_error(c, st->loc, "only bindings and `return` are allowed inside a block");
      ok = 0;
    }
  }
  if (!returned) {
    lower_error(c, def->close_loc, "block `%s` ends without `return`", def->name);
    ok = 0;
  }
  return ok;
}

static lval inline_body(lower_ctx *c, scope *inner, const nnd_ast_stmt *def,
                        const char *want_name) {
  for (const nnd_ast_stmt *st = def->body; st && !c->fatal; st = st->next) {
    if (st->kind == NND_STMT_RETURN) return lower_expr(c, inner, st->value, want_name);
    lower_binding(c, inner, st);
  }
  return ERR;
}

/* ------------------------------------------- the size of an inlining */

/* An upper bound on the nodes an expression makes (an op call: itself and
 * at most two parameters), so that a block whose inlining would explode is
 * refused before it is attempted. Saturates far above MAX_NODES. */
static double block_cost(lower_ctx *c, int b);

static double expr_cost(lower_ctx *c, const nnd_ast_expr *e) {
  if (!e) return 0;
  /* as deep as the inlining it estimates: the same budget */
  if (lower_enter(c, e->loc) != 0) return 1e15;
  double cost = 0;
  for (const nnd_ast_arg *a = e->args; a; a = a->next) cost += expr_cost(c, a->value);
  int b;
  switch (e->kind) {
  case NND_AST_CALL:
    cost += nnd_strmap_get(&c->blocks, e->str, &b) ? block_cost(c, b) : 3;
    break;
  case NND_AST_BINARY: cost += 3 + expr_cost(c, e->lhs) + expr_cost(c, e->rhs); break;
  case NND_AST_NEGATE: cost += 2 + expr_cost(c, e->lhs); break;
  default: break;
  }
  lower_leave(c);
  return cost < 1e15 ? cost : 1e15;
}

static double block_cost(lower_ctx *c, int b) {
  if (c->block_cost[b] >= 0) return c->block_cost[b];
  if (c->block_cost[b] == -2) return 0;  /* recursion: reported at the call */
  c->block_cost[b] = -2;
  double cost = 0;
  for (const nnd_ast_stmt *st = c->block_defs[b]->body; st; st = st->next)
    cost += expr_cost(c, st->value);
  c->block_cost[b] = cost < 1e15 ? cost : 1e15;
  return c->block_cost[b];
}

static LOWER_COLD void recursion_error(lower_ctx *c, int from, const nnd_ast_stmt *def,
                                       const nnd_ast_expr *call) {
  char chain[512];
  size_t len = 0;
  for (int k = from; k < c->n_inline && len < sizeof chain; k++)
    len += (size_t)snprintf(chain + len, sizeof chain - len, "%s -> ",
                            c->inline_stack[k]->name);
  if (len < sizeof chain) snprintf(chain + len, sizeof chain - len, "%s", def->name);
  lower_error(c, call->loc, "block `%s` calls itself (%s); recursion is not allowed",
              def->name, chain);
}

lval lower_block_call(lower_ctx *c, scope *s, const nnd_ast_stmt *def,
                      const nnd_ast_expr *call, const char *want_name) {
  int index = 0;
  nnd_strmap_get(&c->blocks, def->name, &index);
  if (!c->block_ok[index]) return ERR;  /* its definition has been reported */
  double cost = block_cost(c, index);
  if (c->fatal) return ERR;  /* the estimate itself nested too deeply */
  if (c->n_inline == 0 && c->m->n_nodes + cost > MAX_NODES) {
    lower_error(c, call->loc, "model too large: this call of block `%s` would make about "
                              "%.3g nodes (the limit is %d)", def->name, cost, MAX_NODES);
    c->fatal = 1;
    return ERR;
  }
  for (int i = 0; i < c->n_inline; i++) {
    if (c->inline_stack[i] != def) continue;
    recursion_error(c, i, def, call);
    return ERR;
  }
  if (c->n_inline == MAX_INLINE) {
    lower_error(c, call->loc, "blocks nested more than %d calls deep", MAX_INLINE);
    return ERR;
  }
  /* the block's own frames count as one more level */
  if (lower_enter(c, call->loc) != 0) return ERR;
  scope inner;
  scope_init(&inner);
  lval result = ERR;
  if (bind_block_args(c, s, &inner, def, call) == 0) {
    char *saved = c->prefix;
    const char *instance = lower_unique_name(c, want_name ? want_name : def->name,
                                             want_name == NULL);
    c->prefix = instance ? nnd_arena_printf(&c->m->arena, "%s.", instance) : NULL;
    if (c->prefix) {
      /* reserve the instance name so a later binding cannot take it */
      nnd_strmap_put(&c->node_names, instance, -1);
      c->inline_stack[c->n_inline++] = def;
      result = inline_body(c, &inner, def, NULL);
      c->n_inline--;
    }
    c->prefix = saved;
  }
  scope_free(&inner);
  lower_leave(c);
  return result;
}

void lower_collect_blocks(lower_ctx *c, const nnd_ast *ast) {
  int n = 0;
  for (const nnd_ast_stmt *st = ast->first; st; st = st->next) n += st->kind == NND_STMT_BLOCK;
  c->block_defs = calloc((size_t)n + 1, sizeof *c->block_defs);
  c->block_ok = calloc((size_t)n + 1, sizeof *c->block_ok);
  c->block_cost = malloc(((size_t)n + 1) * sizeof *c->block_cost);
  for (int i = 0; c->block_cost && i <= n; i++) c->block_cost[i] = -1;
  if (!c->block_defs || !c->block_ok || !c->block_cost) {
    lower_error(c, ast->first ? ast->first->loc : (nnd_loc){1, 1, 1}, "out of memory");
    c->fatal = 1;
    return;
  }
  for (const nnd_ast_stmt *st = ast->first; st; st = st->next) {
    if (st->kind != NND_STMT_BLOCK) continue;
    int prev;
    if (nnd_strmap_get(&c->blocks, st->name, &prev)) {
      lower_error(c, st->name_loc, "block `%s` is defined twice", st->name);
      lower_note(c, c->block_defs[prev]->name_loc, "the first definition is here");
      continue;
    }
    int ok = check_block_body(c, st);
    if (nnd_registry_find_op(st->name, NULL)) {
      lower_error(c, st->name_loc, "block `%s` has the name of an op; rename it", st->name);
      ok = 0;
    }
    nnd_strmap_put(&c->blocks, st->name, c->n_blocks);
    c->block_ok[c->n_blocks] = ok;
    c->block_defs[c->n_blocks++] = st;
  }
}
