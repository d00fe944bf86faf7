/* value.c — see value.h. The text is parsed as the binding `value =` on the
 * line before it (a newline after '=' continues the statement, so columns
 * in messages are the text's own), lowered as a constant in an empty scope
 * of a scratch model, and copied into the caller's model. */
#include "value.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "attr.h"
#include "diag.h"
#include "ir.h"
#include "lower.h"
#include "lower_internal.h"
#include "registry.h"

#define MAX_VALUE_TEXT 65536

static int copy_value(nnd_arena *a, const nnd_value *in, nnd_value *out) {
  *out = *in;
  if (in->str && !(out->str = nnd_arena_strdup(a, in->str))) return -1;
  if (in->count > 0 && in->items) {
    nnd_value *items = nnd_arena_alloc(a, (size_t)in->count * sizeof *items);
    const char **names = in->names ? nnd_arena_alloc(a, (size_t)in->count * sizeof *names) : NULL;
    if (!items || (in->names && !names)) return -1;
    for (int i = 0; i < in->count; i++) {
      if (copy_value(a, &in->items[i], &items[i]) != 0) return -1;
      if (names) names[i] = in->names[i] ? nnd_arena_strdup(a, in->names[i]) : NULL;
    }
    out->items = items;
    out->names = names;
  }
  return 0;
}

/* Lower the one binding of `ast` as a constant. */
static int lower_value(const nnd_ast *ast, const char *file, nnd_model *m, nnd_diag_list *d,
                       nnd_value *out) {
  lower_ctx c;
  lower_ctx_init(&c, file, m, d);
  scope top;
  scope_init(&top);
  int before = nnd_diag_error_count(d);
  const nnd_ast_stmt *st = ast->first;
  if (!st || st->next || st->kind != NND_STMT_BIND || !st->value) {
    nnd_loc at = {2, 1, 1};
    lower_error(&c, st && st->next ? st->next->loc : at, "expected one value");
  } else {
    lval v = lower_const(&c, &top, st->value, "the value");
    if (v.kind == LV_CONST) *out = v.v;
  }
  scope_free(&top);
  int fatal = c.fatal;
  lower_ctx_free(&c);
  return nnd_diag_error_count(d) > before || fatal ? -1 : 0;
}

int nnd_compile_value(const char *what, const char *text, nnd_model *m, nnd_value *out,
                      char *err, size_t err_size) {
  nnd_registry_init_standard();
  memset(out, 0, sizeof *out);
  size_t len = strlen(text);
  if (len > MAX_VALUE_TEXT) {
    snprintf(err, err_size, "%s: value too long (%zu bytes; the limit is %d)", what, len,
             MAX_VALUE_TEXT);
    return -1;
  }
  char *src = malloc(len + 16);
  nnd_diag_list *d = nnd_diag_list_new();
  nnd_ast ast;
  memset(&ast, 0, sizeof ast);
  nnd_arena_init(&ast.arena);
  nnd_model *scratch = nnd_ir_new(what);
  int rc = -1;
  const char *stored = NULL;
  if (!src || !d || !scratch) goto oom;
  int n = snprintf(src, len + 16, "value =\n%s\n", text);
  if (!(stored = nnd_diag_add_source(d, what, src, (size_t)n))) goto oom;
  int parsed = nnd_parse_text(stored, src, (size_t)n, &ast, d);
  if (parsed < 0) goto oom;
  nnd_value v;
  memset(&v, 0, sizeof v);
  if (parsed == 0 && nnd_diag_error_count(d) == 0 &&
      lower_value(&ast, stored, scratch, d, &v) == 0) {
    if (copy_value(&m->arena, &v, out) != 0) goto oom;
    rc = 0;
  } else {
    /* the first error, at its column in `text` */
    nnd_diag_info info;
    int found = 0;
    for (int i = 0; i < nnd_diag_count(d) && !found; i++)
      if (nnd_diag_get(d, i, &info) == 0 && info.severity == NND_DIAG_ERROR) found = 1;
    if (!found) snprintf(err, err_size, "%s: not a value", what);
    else if (info.line == 2 && info.col > 0)
      snprintf(err, err_size, "%s: column %d: %s", what, info.col, info.message);
    else snprintf(err, err_size, "%s: %s", what, info.message);
    /* the text is line 2 of what was parsed; "at line 2" means "in it" */
    char *at = found ? strstr(err, " at line 2") : NULL;
    if (at) memmove(at, at + 10, strlen(at + 10) + 1);
  }
  goto done;
oom:
  snprintf(err, err_size, "%s: out of memory", what);
done:
  nnd_arena_free(&ast.arena);
  nnd_ir_free(scratch);
  nnd_diag_list_free(d);
  free(src);
  return rc;
}

/* Numbers only, every one finite as a float: what an input tensor can hold. */
static int numbers_only(const nnd_value *v, int64_t *count, char *err, size_t err_size,
                        const char *what) {
  if (v->kind == NND_VAL_NUMBER) {
    if (!isfinite(v->num) || fabs(v->num) > FLT_MAX) {
      snprintf(err, err_size, "%s: %g is out of range for a 32-bit float", what, v->num);
      return -1;
    }
    (*count)++;
    return 0;
  }
  if (v->kind != NND_VAL_LIST) {
    snprintf(err, err_size, "%s: only numbers and lists of numbers make an input's values",
             what);
    return -1;
  }
  for (int i = 0; i < v->count; i++)
    if (numbers_only(&v->items[i], count, err, err_size, what) != 0) return -1;
  return 0;
}

int nnd_parse_input_values(const char *what, const char *text, float **out, int64_t *n,
                           char *err, size_t err_size) {
  *out = NULL;
  *n = 0;
  /* "1, 2, 3" is a list without its brackets: give it them */
  const char *p = text;
  while (*p == ' ' || *p == '\t') p++;
  size_t len = strlen(text);
  char *src = malloc(len + 3);
  nnd_model *scratch = nnd_ir_new(what);
  int rc = -1;
  if (!src || !scratch) {
    snprintf(err, err_size, "%s: out of memory", what);
    goto done;
  }
  if (*p == '[') snprintf(src, len + 3, "%s", text);
  else snprintf(src, len + 3, "[%s]", text);
  nnd_value v;
  int64_t count = 0;
  if (nnd_compile_value(what, src, scratch, &v, err, err_size) != 0) {
    /* the column is the user's: without the bracket added in front */
    size_t wl = strlen(what);
    int col;
    char rest[400];
    if (*p != '[' && strncmp(err, what, wl) == 0 &&
        sscanf(err + wl, ": column %d: %399[^\n]", &col, rest) == 2 && col > 1)
      snprintf(err, err_size, "%s: column %d: %s", what, col - 1, rest);
    goto done;
  }
  if (numbers_only(&v, &count, err, err_size, what) != 0) goto done;
  if (count == 0) {
    snprintf(err, err_size, "%s: no values", what);
    goto done;
  }
  *out = malloc((size_t)count * sizeof **out);
  if (!*out) {
    snprintf(err, err_size, "%s: out of memory for %lld values", what, (long long)count);
    goto done;
  }
  *n = nnd_literal_flatten(&v, *out, count);
  rc = 0;
done:
  free(src);
  nnd_model_free(scratch);
  return rc;
}
