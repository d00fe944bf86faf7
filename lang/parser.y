/*
 * parser.y — the grammar of .nnd files.
 *
 * A .nnd file is a list of statements, one per line (or separated by ';'):
 *
 *   model NAME ["description"]           names the model
 *   input NAME: TYPE [= VALUE]           a value fed at run time: a shape such
 *                                        as [1, 28, 28], class[10],
 *                                        class["cat", "dog"] or binary
 *   param NAME: [SHAPE] [= VALUE]        a trainable tensor
 *   NAME = EXPR                          a binding; rebinding is allowed
 *   block NAME(ARGS) { ...; return EXPR }   a sub-network, inlined where called
 *   loss CALL [* WEIGHT]                 a term of the training objective
 *   train { KEY = VALUE ... }            training settings
 *
 * Expressions are numbers, strings, true/false, names, lists [a, b], calls
 * f(x, name=value), and the operators + - * / @ with Python's precedence.
 *
 * Op names are not part of the grammar: a call is a call, and lowering
 * (lower.c) asks the registry what it means. That is what lets a plugin add
 * an op without touching this file.
 *
 * Newlines end statements, except inside ( ) and [ ], and after a token that
 * cannot end one (an operator, '=', ',', ':', '(', '[', '{'); the filter at the end of
 * this file implements that, so the grammar just sees NEWLINE terminators.
 * Errors recover at the next statement end, so one run reports several.
 */
%require "3.6"
%define api.pure full
%define api.prefix {nnd_yy}
%define parse.error custom
%locations
%header

%lex-param {void *scanner} {struct nnd_lex_state *st}
%parse-param {void *scanner} {struct nnd_lex_state *st}

%code requires {
#include "ast.h"
struct nnd_lex_state;
}

%code provides {
int nnd_yylex(NND_YYSTYPE *lval, NND_YYLTYPE *lloc, void *scanner,
              struct nnd_lex_state *st);
int nnd_raw_lex(NND_YYSTYPE *lval, NND_YYLTYPE *lloc, void *scanner);
}

%code {
#include <stdio.h>
#include <string.h>

#include "lex_state.h"

static nnd_loc L(NND_YYLTYPE l) {
  nnd_loc r = {l.first_line, l.first_column, 1};
  if (l.last_line == l.first_line && l.last_column > l.first_column)
    r.width = l.last_column - l.first_column;
  return r;
}

static void nnd_yyerror(NND_YYLTYPE *loc, void *scanner, struct nnd_lex_state *st,
                        const char *msg);
static nnd_ast_expr *deep_check(struct nnd_lex_state *st, nnd_ast_expr *e);
static nnd_ast_expr *leaf(struct nnd_lex_state *st, nnd_ast_kind k, NND_YYLTYPE l);
static nnd_ast_expr *binary(struct nnd_lex_state *st, int op, nnd_ast_expr *a,
                            nnd_ast_expr *b, NND_YYLTYPE l);
static nnd_ast_stmt *stmt(struct nnd_lex_state *st, nnd_stmt_kind k, NND_YYLTYPE l);

#define AST (st->ast)
}

%union {
  double num;
  char *str;
  nnd_ast_expr *expr;
  nnd_ast_stmt *stmt;
  nnd_ast_args args;
  struct { nnd_ast_stmt *first, *last; } stmts;
}

%token <num> INT "integer" FLOAT "number"
%token <str> IDENT "name" STRING "string"
%token NEWLINE "end of line"
%token MODEL "'model'" INPUT "'input'" PARAM "'param'" BLOCK "'block'"
%token RETURN "'return'" LOSS "'loss'" TRAIN "'train'" CLASS "'class'"
%token BINARY "'binary'" TRUE "'true'" FALSE "'false'"
%token BAD "invalid character"   /* the scanner has reported it already */

%type <expr> expr primary call list
%type <args> args arg_list items item_list params param_list
%type <stmt> stmt input_decl param_decl block_def train_def
%type <stmts> stmts body
%type <str> opt_description

%left '+' '-'
%left '*' '/' '@'
%precedence NEG

%%

file
  : stmts                      { AST->first = $1.first; AST->last = $1.last; }
  ;

stmts
  : %empty                     { $$.first = $$.last = NULL; }
  | stmts stmt NEWLINE         { $$ = $1; nnd_ast_append(&$$.first, &$$.last, $2);
                                 st->depth_reported = 0; }
  | stmts error NEWLINE        { $$ = $1; yyerrok; st->depth_reported = 0; }
  ;

stmt
  : MODEL IDENT opt_description
      { $$ = stmt(st, NND_STMT_MODEL, @1);
        if ($$) { $$->name = $2; $$->name_loc = L(@2); $$->text = $3; } }
  | input_decl
  | param_decl
  | IDENT '=' expr
      { $$ = stmt(st, NND_STMT_BIND, @1);
        if ($$) { $$->name = $1; $$->name_loc = L(@1); $$->value = $3; } }
  | block_def
  | RETURN expr
      { $$ = stmt(st, NND_STMT_RETURN, @1); if ($$) $$->value = $2; }
  | LOSS expr
      { $$ = stmt(st, NND_STMT_LOSS, @1); if ($$) $$->value = $2; }
  | train_def
  ;

opt_description
  : %empty                     { $$ = NULL; }
  | STRING                     { $$ = $1; }
  ;

input_decl
  : INPUT IDENT ':' list
      { $$ = stmt(st, NND_STMT_INPUT, @1);
        if ($$) { $$->name = $2; $$->name_loc = L(@2); $$->type_kind = NND_TYPE_TENSOR;
                  $$->shape = $4; } }
  | INPUT IDENT ':' CLASS list
      { $$ = stmt(st, NND_STMT_INPUT, @1);
        if ($$) { $$->name = $2; $$->name_loc = L(@2); $$->type_kind = NND_TYPE_CLASS;
                  $$->shape = $5; } }
  | INPUT IDENT ':' BINARY
      { $$ = stmt(st, NND_STMT_INPUT, @1);
        if ($$) { $$->name = $2; $$->name_loc = L(@2); $$->type_kind = NND_TYPE_BINARY; } }
  | input_decl '=' expr
      { $$ = $1; if ($$) $$->value = $3; }
  ;

param_decl
  : PARAM IDENT ':' list
      { $$ = stmt(st, NND_STMT_PARAM, @1);
        if ($$) { $$->name = $2; $$->name_loc = L(@2); $$->shape = $4; } }
  | PARAM IDENT ':' list '=' expr
      { $$ = stmt(st, NND_STMT_PARAM, @1);
        if ($$) { $$->name = $2; $$->name_loc = L(@2); $$->shape = $4; $$->value = $6; } }
  ;

block_def
  : BLOCK IDENT '(' params ')' '{' body '}'
      { $$ = stmt(st, NND_STMT_BLOCK, @1);
        if ($$) { $$->name = $2; $$->name_loc = L(@2); $$->params = $4.first;
                  $$->body = $7.first; $$->close_loc = L(@8); } }
  ;

train_def
  : TRAIN '{' body '}'
      { $$ = stmt(st, NND_STMT_TRAIN, @1);
        if ($$) { $$->body = $3.first; $$->close_loc = L(@4); } }
  ;

body
  : stmts                      { $$ = $1; }
  ;

params
  : %empty                     { memset(&$$, 0, sizeof $$); }
  | param_list
  | param_list ','
  ;

param_list
  : IDENT                      { memset(&$$, 0, sizeof $$);
                                 nnd_ast_args_push(&$$, nnd_ast_arg_new(AST, $1, L(@1), NULL)); }
  | param_list ',' IDENT       { $$ = $1;
                                 nnd_ast_args_push(&$$, nnd_ast_arg_new(AST, $3, L(@3), NULL)); }
  ;

expr
  : expr '+' expr              { $$ = binary(st, '+', $1, $3, @2); }
  | expr '-' expr              { $$ = binary(st, '-', $1, $3, @2); }
  | expr '*' expr              { $$ = binary(st, '*', $1, $3, @2); }
  | expr '/' expr              { $$ = binary(st, '/', $1, $3, @2); }
  | expr '@' expr              { $$ = binary(st, '@', $1, $3, @2); }
  | '-' expr %prec NEG         { $$ = (!$2 || $2->kind == NND_AST_ERROR) ? $2
                                      : deep_check(st, nnd_ast_negate(AST, $2, L(@1))); }
  | primary
  ;

primary
  : INT                        { $$ = leaf(st, NND_AST_NUMBER, @1);
                                 if ($$) { $$->num = $1; $$->is_int = 1; } }
  | FLOAT                      { $$ = leaf(st, NND_AST_NUMBER, @1); if ($$) $$->num = $1; }
  | STRING                     { $$ = leaf(st, NND_AST_STRING, @1); if ($$) $$->str = $1; }
  | TRUE                       { $$ = leaf(st, NND_AST_BOOL, @1); if ($$) $$->num = 1; }
  | FALSE                      { $$ = leaf(st, NND_AST_BOOL, @1); }
  | IDENT                      { $$ = leaf(st, NND_AST_NAME, @1); if ($$) $$->str = $1; }
  | call
  | list
  | '(' expr ')'               { $$ = $2; }
  ;

call
  : IDENT '(' args ')'         { $$ = leaf(st, NND_AST_CALL, @1);
                                 if ($$) { $$->str = $1; nnd_ast_set_args($$, &$3);
                                           $$->close_loc = L(@4); }
                                 $$ = deep_check(st, $$); }
  ;

args
  : %empty                     { memset(&$$, 0, sizeof $$); }
  | arg_list
  | arg_list ','
  ;

arg_list
  : expr                       { memset(&$$, 0, sizeof $$);
                                 nnd_ast_args_push(&$$, nnd_ast_arg_new(AST, NULL, L(@1), $1)); }
  | IDENT '=' expr             { memset(&$$, 0, sizeof $$);
                                 nnd_ast_args_push(&$$, nnd_ast_arg_new(AST, $1, L(@1), $3)); }
  | arg_list ',' expr          { $$ = $1;
                                 nnd_ast_args_push(&$$, nnd_ast_arg_new(AST, NULL, L(@3), $3)); }
  | arg_list ',' IDENT '=' expr
                               { $$ = $1;
                                 nnd_ast_args_push(&$$, nnd_ast_arg_new(AST, $3, L(@3), $5)); }
  ;

list
  : '[' items ']'              { $$ = leaf(st, NND_AST_LIST, @1);
                                 if ($$) { nnd_ast_set_args($$, &$2); $$->close_loc = L(@3); }
                                 $$ = deep_check(st, $$); }
  ;

items
  : %empty                     { memset(&$$, 0, sizeof $$); }
  | item_list
  | item_list ','
  ;

item_list
  : expr                       { memset(&$$, 0, sizeof $$);
                                 nnd_ast_args_push(&$$, nnd_ast_arg_new(AST, NULL, L(@1), $1)); }
  | item_list ',' expr         { $$ = $1;
                                 nnd_ast_args_push(&$$, nnd_ast_arg_new(AST, NULL, L(@3), $3)); }
  ;

%%

static nnd_ast_expr *leaf(struct nnd_lex_state *st, nnd_ast_kind k, NND_YYLTYPE l) {
  return nnd_ast_leaf(st->ast, k, L(l));
}

static nnd_ast_stmt *stmt(struct nnd_lex_state *st, nnd_stmt_kind k, NND_YYLTYPE l) {
  return nnd_ast_stmt_new(st->ast, k, L(l));
}

/* A tree past NND_AST_MAX_DEPTH becomes an error node, reported once per
 * statement; an error node absorbs whatever is built on top of it. */
static nnd_ast_expr *deep_check(struct nnd_lex_state *st, nnd_ast_expr *e) {
  if (!e || e->depth <= NND_AST_MAX_DEPTH) return e;
  if (!st->depth_reported) {
    st->depth_reported = 1;
    nnd_diag_report(st->diags, NND_DIAG_ERROR, st->file, e->loc.line, e->loc.col,
                    e->loc.width, "expression nested too deeply (more than %d levels)",
                    NND_AST_MAX_DEPTH);
  }
  nnd_ast_expr *err = nnd_ast_leaf(st->ast, NND_AST_ERROR, e->loc);
  return err;
}

static nnd_ast_expr *binary(struct nnd_lex_state *st, int op, nnd_ast_expr *a,
                            nnd_ast_expr *b, NND_YYLTYPE l) {
  if (!a || a->kind == NND_AST_ERROR) return a;
  if (!b || b->kind == NND_AST_ERROR) return b;
  return deep_check(st, nnd_ast_binary(st->ast, op, a, b, L(l)));
}

static void nnd_yyerror(NND_YYLTYPE *loc, void *scanner, struct nnd_lex_state *st,
                        const char *msg) {
  (void)scanner;
  if (st->aborted) return;
  /* Bison's only own message is for its stack limit. */
  if (strstr(msg, "exhausted"))
    msg = "expression nested too deeply";
  nnd_loc l = L(*loc);
  nnd_diag_report(st->diags, NND_DIAG_ERROR, st->file, l.line, l.col, l.width, "%s", msg);
}

/* How a token is named in a message: the text the user wrote for names and
 * numbers, the grammar's alias otherwise. */
static void describe(const struct nnd_lex_state *st, yysymbol_kind_t tok, char *buf,
                     size_t n) {
  switch (tok) {
  case YYSYMBOL_IDENT: snprintf(buf, n, "name `%s`", st->last_text); break;
  case YYSYMBOL_INT:
  case YYSYMBOL_FLOAT: snprintf(buf, n, "number %s", st->last_text); break;
  case YYSYMBOL_STRING: snprintf(buf, n, "string %s", st->last_text); break;
  case YYSYMBOL_YYEOF: snprintf(buf, n, "end of file"); break;
  default: snprintf(buf, n, "%s", yysymbol_name(tok));
  }
}

static int closer_of(int open) { return open == '(' ? ')' : open == '[' ? ']' : '}'; }

static int yyreport_syntax_error(const yypcontext_t *ctx, void *scanner,
                                 struct nnd_lex_state *st) {
  (void)scanner;
  if (st->aborted) return 0;
  if (yypcontext_token(ctx) == YYSYMBOL_BAD) {
    st->n_open = 0;
    st->paren_depth = 0;
    return 0;
  }
  /* all of them: bison fills none when there are more than asked for */
  yysymbol_kind_t expected[YYNTOKENS];
  int n = yypcontext_expected_tokens(ctx, expected, YYNTOKENS);
  yysymbol_kind_t tok = yypcontext_token(ctx);
  const NND_YYLTYPE *loc = yypcontext_location(ctx);
  char got[96], msg[512];
  /* `loss = 3`: the problem is the keyword, not the '=' after it */
  if (strcmp(yysymbol_name(tok), "'='") == 0 && st->prev_token >= MODEL &&
      st->prev_token <= FALSE) {
    nnd_diag_report(st->diags, NND_DIAG_ERROR, st->file, st->prev_loc.line,
                    st->prev_loc.col, st->prev_loc.width,
                    "%s is a keyword; it cannot be used as a name",
                    yysymbol_name(YYTRANSLATE(st->prev_token)));
    st->n_open = 0;
    st->paren_depth = 0;
    return 0;
  }
  describe(st, tok, got, sizeof got);
  size_t len = (size_t)snprintf(msg, sizeof msg, "unexpected %s", got);

  /* Say which bracket a missing closer belongs to. */
  int closer = st->n_open > 0 ? closer_of(st->open[st->n_open - 1].ch) : 0;
  int wants_closer = 0;
  for (int i = 0; i < n; i++) {
    const char *name = yysymbol_name(expected[i]);
    if (closer && name[0] == '\'' && name[1] == closer && name[2] == '\'') wants_closer = 1;
  }
  if (wants_closer) {
    const nnd_open_bracket *o = &st->open[st->n_open - 1];
    snprintf(msg + len, sizeof msg - len, "; expected '%c' to close '%c' at line %d",
             closer, o->ch, o->loc.line);
  } else if (n > 0 && n <= 6) {
    len += (size_t)snprintf(msg + len, sizeof msg - len, "; expected ");
    for (int i = 0; i < n && len < sizeof msg; i++) {
      char e[64];
      describe(st, expected[i], e, sizeof e);
      if (expected[i] == YYSYMBOL_IDENT) snprintf(e, sizeof e, "a name");
      if (expected[i] == YYSYMBOL_INT || expected[i] == YYSYMBOL_FLOAT)
        snprintf(e, sizeof e, "a number");
      len += (size_t)snprintf(msg + len, sizeof msg - len, "%s%s",
                              i == 0 ? "" : i == n - 1 ? " or " : ", ", e);
    }
  }
  nnd_loc l = L(*loc);
  if (tok == YYSYMBOL_NEWLINE && l.width > 1) l.width = 1;
  nnd_diag_report(st->diags, NND_DIAG_ERROR, st->file, l.line, l.col, l.width, "%s", msg);
  /* Recovery skips to the end of the line; forget the open brackets so that
     an unclosed '(' does not swallow the rest of the file. */
  st->n_open = 0;
  st->paren_depth = 0;
  return 0;
}

/* ------------------------------------------------------- token filter */

/* Tokens after which a line break does not end the statement. */
static int continues(int tok) {
  return tok == 0 || tok == NEWLINE || tok == ',' || tok == '=' || tok == ':' ||
         tok == '+' || tok == '-' || tok == '*' || tok == '/' || tok == '@' ||
         tok == '(' || tok == '[' || tok == '{';
}

static void push_open(struct nnd_lex_state *st, int ch, const NND_YYLTYPE *l) {
  if (st->n_open == NND_LEX_MAX_NEST) {
    nnd_diag_report(st->diags, NND_DIAG_ERROR, st->file, l->first_line, l->first_column,
                    1, "brackets nested too deeply (more than %d levels)",
                    NND_LEX_MAX_NEST);
    st->aborted = 1;
    return;
  }
  st->open[st->n_open].ch = ch;
  st->open[st->n_open].loc = L(*l);
  st->n_open++;
  if (ch != '{') st->paren_depth++;
}

static void pop_open(struct nnd_lex_state *st) {
  if (st->n_open == 0) return;
  st->n_open--;
  if (st->open[st->n_open].ch != '{' && st->paren_depth > 0) st->paren_depth--;
}

/* Between the scanner and the parser: drops line breaks that do not end a
 * statement, and adds the one a statement needs before '}' or end of file. */
int nnd_yylex(NND_YYSTYPE *lval, NND_YYLTYPE *lloc, void *scanner,
              struct nnd_lex_state *st) {
  static const NND_YYLTYPE nowhere;
  for (;;) {
    int tok;
    if (st->pending >= 0) {
      tok = st->pending;
      st->pending = -1;
    } else if (st->aborted || nnd_diag_full(st->diags)) {
      *lloc = nowhere;
      lloc->first_line = lloc->last_line = st->line;
      lloc->first_column = lloc->last_column = st->col;
      st->aborted = 1;
      tok = 0;
    } else {
      tok = nnd_raw_lex(lval, lloc, scanner);
      if (tok == 0) {
        /* flex gives end of file no location; put it just past the last
           token, where the missing text belongs */
        int line = st->last_loc.line, col = st->last_loc.col;
        if (st->last_token != NEWLINE) col += st->last_loc.width;
        if (line == 0) line = col = 1;
        lloc->first_line = lloc->last_line = line;
        lloc->first_column = col;
        lloc->last_column = col + 1;
      }
    }
    if (tok == NEWLINE) {
      if (st->paren_depth > 0 || continues(st->last_token)) continue;
    } else if ((tok == '}' || tok == 0) && st->paren_depth == 0 &&
               !continues(st->last_token)) {
      st->pending = tok;
      tok = NEWLINE;
    }
    if (tok == '(' || tok == '[' || tok == '{') push_open(st, tok, lloc);
    if (tok == ')' || tok == ']' || tok == '}') pop_open(st);
    st->prev_token = st->last_token;
    st->prev_loc = st->last_loc;
    st->last_token = tok == 0 ? NEWLINE : tok;
    st->last_loc = L(*lloc);
    return tok;
  }
}
