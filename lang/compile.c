/* compile.c — the public entry points: text in, model (or diagnostics) out.
 * Reads the file, runs the scanner and parser over it, lowers the syntax tree
 * and hands back either a model or the reasons there is none. */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nnd/nnd.h>

#include "ast.h"
#include "diag.h"
#include "ir.h"
#include "lex_state.h"
#include "lower.h"
#include "parser.h"
#include "registry.h"

/* A model file larger than this is refused before reading it whole. */
#define MAX_SOURCE_BYTES (256u << 20)

typedef void *yyscan_t;
int nnd_raw_lex_init_extra(struct nnd_lex_state *extra, yyscan_t *scanner);
int nnd_raw_lex_destroy(yyscan_t scanner);
void *nnd_raw__scan_bytes(const char *bytes, int len, yyscan_t scanner);

const char *nnd_version(void) { return NND_VERSION_STRING; }

static int compile(const char *file, const char *text, size_t len, nnd_model **out,
                   nnd_diag_list *d) {
  nnd_registry_init_standard();
  *out = NULL;
  const char *stored = nnd_diag_add_source(d, file, text, len);
  if (!stored) return -1;
  if (len > MAX_SOURCE_BYTES) {
    nnd_diag_report(d, NND_DIAG_ERROR, stored, 0, 0, 0, "file too large (%zu bytes; "
                    "the limit is %u)", len, MAX_SOURCE_BYTES);
    return -1;
  }
  /* a UTF-8 byte-order mark is allowed and skipped */
  size_t skip = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;

  nnd_ast ast;
  memset(&ast, 0, sizeof ast);
  nnd_arena_init(&ast.arena);
  nnd_model *m = nnd_ir_new(file);
  int rc = -1;
  if (!m) {
    nnd_diag_report(d, NND_DIAG_ERROR, stored, 0, 0, 0, "out of memory");
    goto done;
  }
  /* Lowering after syntax errors would mostly report their echoes. */
  if (nnd_parse_text(stored, text + skip, len - skip, &ast, d) == 0 &&
      nnd_lower(&ast, stored, m, d) == 0) {
    *out = m;
    m = NULL;
    rc = 0;
  }
done:
  nnd_arena_free(&ast.arena);
  nnd_ir_free(m);
  return rc;
}

int nnd_parse_text(const char *file, const char *text, size_t len, nnd_ast *ast,
                   nnd_diag_list *d) {
  struct nnd_lex_state *st = calloc(1, sizeof *st);
  yyscan_t scanner = NULL;
  if (!st || nnd_raw_lex_init_extra(st, &scanner) != 0) {
    free(st);
    nnd_diag_report(d, NND_DIAG_ERROR, file, 0, 0, 0, "out of memory");
    return -1;
  }
  st->ast = ast;
  st->diags = d;
  st->file = file;
  st->line = st->col = 1;
  st->pending = -1;
  int before = nnd_diag_error_count(d);
  /* volatile: set before and read after a longjmp from the scanner */
  volatile int parsed = 2;
  if (setjmp(st->fatal) == 0) {
    nnd_raw__scan_bytes(text, (int)len, scanner);
    parsed = nnd_yyparse(scanner, st);
  }
  if (parsed == 2 && nnd_diag_error_count(d) == before)
    nnd_diag_report(d, NND_DIAG_ERROR, file, st->line, st->col, 1, "out of memory");
  nnd_raw_lex_destroy(scanner);
  free(st);
  if (parsed == 2) return -1;
  return parsed == 0 && nnd_diag_error_count(d) == before ? 0 : 1;
}

int nnd_compile_string(const char *name, const char *text, size_t len,
                       nnd_model **model, nnd_diag_list **diags) {
  nnd_diag_list *d = nnd_diag_list_new();
  *model = NULL;
  if (diags) *diags = d;
  if (!d) return -1;
  int rc = compile(name ? name : "<string>", text ? text : "", text ? len : 0, model, d);
  if (!diags) nnd_diag_list_free(d);
  return rc;
}

int nnd_compile_file(const char *path, nnd_model **model, nnd_diag_list **diags) {
  *model = NULL;
  nnd_diag_list *d = nnd_diag_list_new();
  if (diags) *diags = d;
  if (!d) return -1;
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  size_t len = 0, cap = 0;
  int rc = -1;
  if (!f) {
    nnd_diag_report(d, NND_DIAG_ERROR, path, 0, 0, 0, "cannot open: %s", strerror(errno));
    goto out;
  }
  for (;;) {
    if (len == cap) {
      if (cap >= MAX_SOURCE_BYTES) {
        nnd_diag_report(d, NND_DIAG_ERROR, path, 0, 0, 0,
                        "file too large (the limit is %u bytes)", MAX_SOURCE_BYTES);
        goto out;
      }
      cap = cap ? cap * 2 : 65536;
      char *b = realloc(buf, cap);
      if (!b) {
        nnd_diag_report(d, NND_DIAG_ERROR, path, 0, 0, 0, "out of memory");
        goto out;
      }
      buf = b;
    }
    size_t got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0) break;
  }
  if (ferror(f)) {
    nnd_diag_report(d, NND_DIAG_ERROR, path, 0, 0, 0, "cannot read: %s", strerror(errno));
    goto out;
  }
  rc = compile(path, buf ? buf : "", len, model, d);
out:
  if (f) fclose(f);
  free(buf);
  if (!diags) nnd_diag_list_free(d);
  return rc;
}
