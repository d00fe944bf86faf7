/*
 * nnd/nnd.h — the C API of nnd.
 *
 * Compile a model from a .nnd file or a string, inspect it, and (in later
 * versions of this header) run and train it. Every function reports failure
 * through its return value and, for compilation, a list of diagnostics with
 * file:line:col; nothing here prints or exits.
 */
#ifndef NND_NND_H
#define NND_NND_H

#include <stddef.h>
#include <stdint.h>

#include <nnd/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NND_VERSION_STRING "0.1.0"

const char *nnd_version(void);

/* ---------------------------------------------------------- diagnostics */

typedef enum { NND_DIAG_ERROR, NND_DIAG_WARNING, NND_DIAG_NOTE } nnd_diag_severity;

typedef struct {
  nnd_diag_severity severity;
  const char *file;
  int line, col;        /* 1-based; 0 when there is no position */
  const char *message;
} nnd_diag_info;

typedef struct nnd_diag_list nnd_diag_list;

int nnd_diag_count(const nnd_diag_list *d);
int nnd_diag_error_count(const nnd_diag_list *d);
int nnd_diag_get(const nnd_diag_list *d, int i, nnd_diag_info *out);
/* All diagnostics as text: "file:line:col: error: message", the source line
 * and a caret; ANSI colours when `color`. Free with free(); NULL when out of
 * memory. */
char *nnd_diag_render(const nnd_diag_list *d, int color);
void nnd_diag_list_free(nnd_diag_list *d);

/* ------------------------------------------------------------ compiling */

typedef struct nnd_model nnd_model;

/* Compile a model. On success returns 0 and sets *model. On failure returns
 * -1 and *model is NULL. Diagnostics (errors and notes) go to *diags when
 * diags is not NULL, in both cases; free them with nnd_diag_list_free. */
int nnd_compile_file(const char *path, nnd_model **model, nnd_diag_list **diags);
/* `name` stands for the file in messages and anchors relative paths. */
int nnd_compile_string(const char *name, const char *text, size_t len,
                       nnd_model **model, nnd_diag_list **diags);
void nnd_model_free(nnd_model *model);

/* ------------------------------------------------------------ inspecting */

const char *nnd_model_name(const nnd_model *m);
const char *nnd_model_description(const nnd_model *m); /* "" when none */
int nnd_model_node_count(const nnd_model *m);
const char *nnd_model_node_name(const nnd_model *m, int i);
/* "input", "param", "const", or the op name */
const char *nnd_model_node_op(const nnd_model *m, int i);
int nnd_model_node_type(const nnd_model *m, int i, nnd_type *out);
int64_t nnd_model_param_count(const nnd_model *m);

#ifdef __cplusplus
}
#endif
#endif /* NND_NND_H */
