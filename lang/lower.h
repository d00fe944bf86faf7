/* lower.h — from syntax to graph: resolve names, inline blocks, ask each op's
 * schema to check attributes and infer shapes, declare parameters, check the
 * train block. Errors go to the diagnostics list with file:line:col. */
#ifndef NND_LOWER_H
#define NND_LOWER_H

#include "ast.h"
#include "diag.h"
#include "ir.h"

/* Scan and parse text (len bytes; `file` as stored in d) into ast, whose
 * arena the caller initialised and frees. Returns 0 when it parsed without
 * errors, 1 on syntax errors (reported in d), -1 when out of memory (also
 * reported in d). */
int nnd_parse_text(const char *file, const char *text, size_t len, nnd_ast *ast,
                   nnd_diag_list *d);

/* Returns 0 when the model is complete and error-free. */
int nnd_lower(const nnd_ast *ast, const char *file, nnd_model *m, nnd_diag_list *d);

#endif
