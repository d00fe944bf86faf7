/* lex_state.h — what the scanner and the parser share while reading one
 * file: where we are, the open brackets (for "expected ')' to close '(' at
 * line 3"), and the newline rules that make statements end at line ends. */
#ifndef NND_LEX_STATE_H
#define NND_LEX_STATE_H

#include <setjmp.h>

#include "ast.h"
#include "diag.h"

/* Brackets nested deeper than this are refused: it bounds the parser's stack
 * and every later recursion. */
#define NND_LEX_MAX_NEST 256

typedef struct {
  int ch;          /* '(', '[' or '{' */
  nnd_loc loc;
} nnd_open_bracket;

typedef struct nnd_lex_state {
  nnd_ast *ast;
  nnd_diag_list *diags;
  const char *file;
  int line, col;               /* position of the next character */
  int paren_depth;             /* open '(' and '[': newlines inside don't count */
  nnd_open_bracket open[NND_LEX_MAX_NEST];
  int n_open;
  int last_token;              /* last token handed to the parser; 0 at start */
  nnd_loc last_loc;
  int prev_token;              /* the one before it, for "is a keyword" */
  nnd_loc prev_loc;
  int pending;                 /* a token held back behind a synthesized newline */
  char last_text[48];          /* text of the last token, for messages */
  int aborted;                 /* a fatal error: the rest of the file is skipped */
  int depth_reported;          /* "nested too deeply" said for this statement */
  jmp_buf fatal;               /* where flex's fatal errors (out of memory) land,
                                  instead of its default exit() */
} nnd_lex_state;

#endif
