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
/* The same diagnostics as JSON lines, one object per diagnostic:
 * {"file", "line", "column", "end_column" (the last column underlined),
 *  "severity" ("error", "warning", "note"), "message", "suggestion" (the name
 *  a "did you mean" proposes, or null)}; positions are null when unknown.
 * Free with free(); NULL when out of memory. */
char *nnd_diag_render_json(const nnd_diag_list *d);
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

/* -------------------------------------------------------------- plugins */

/* Load plugins: each of dirs, then the colon-separated NND_PLUGIN_PATH,
 * then the per-user directory ~/.local/lib/nnd/plugins-<ABI major>, then
 * the installed plugin directory. Refused files are remembered with
 * their reason (see `nnd plugins`); a bad plugin never stops the others.
 * Call before compiling a model that uses a plugin's ops. Returns how many
 * plugins loaded. */
int nnd_load_plugins(const char *const *dirs, int n_dirs);

/* ------------------------------------------------------------- sessions */

/* A session owns what running a model needs: the chosen kernel per node and
 * every buffer (values, gradients, parameters, optimizer state, workspaces),
 * allocated when the batch size is set and reused after that. The model
 * must outlive the session. */
typedef struct nnd_session nnd_session;

typedef struct {
  size_t size;              /* sizeof(nnd_session_options) */
  const char *backends;     /* preference list, "blas,openmp,naive"; NULL: the
                               NND_BACKEND environment variable, else all
                               loaded backends with naive last */
  int has_seed;             /* else the train block's seed */
  uint64_t seed;
  int no_input_grads;       /* skip the gradients of the model's inputs, which
                               training never reads (trace and saliency do):
                               the first layer then computes no input gradient */
} nnd_session_options;

/* Returns 0, or -1 with a message in err (naming the op, its file:line:col
 * and the backends tried when no kernel fits). */
int nnd_session_new(const nnd_model *m, const nnd_session_options *opts,
                    nnd_session **out, char *err, size_t err_size);
void nnd_session_free(nnd_session *s);
/* The last error of a session's calls. */
const char *nnd_session_error(const nnd_session *s);

/* Allocate for a batch size (no allocation happens afterwards while it
 * stays the same). Inputs with a literal value in the model are filled. */
int nnd_session_set_batch(nnd_session *s, int batch);
/* The batch the model's literal input values imply, 0 when they give none. */
int nnd_session_literal_batch(const nnd_session *s);
int nnd_session_batch(const nnd_session *s);

/* Copy n floats into an input (n = batch x per-sample elements; class
 * labels as class indices). */
int nnd_session_set_input(nnd_session *s, const char *name, const float *data, int64_t n);

/* Forward (training: dropout on, batchnorm batch statistics), backward of
 * the total loss, and one optimizer step with learning rate lr (lr < 0: the
 * rate of the model's optimizer). */
int nnd_session_forward(nnd_session *s, int training);
int nnd_session_backward(nnd_session *s);
int nnd_session_step(nnd_session *s, double lr);

/* The total loss (weighted sum) and one term of it. */
double nnd_session_loss(const nnd_session *s);
int nnd_session_loss_count(const nnd_session *s);
double nnd_session_loss_term(const nnd_session *s, int i, const char **node_name,
                             double *weight);

/* The value (or gradient, after backward) of a node by name. The tensor
 * points into the session; it is valid until the next set_batch or free. */
int nnd_session_value(const nnd_session *s, const char *name, nnd_tensor *out);
int nnd_session_grad(const nnd_session *s, const char *name, nnd_tensor *out);

/* The backend whose kernel runs a node ("naive"), or NULL for non-ops. */
const char *nnd_session_backend(const nnd_session *s, const char *name);

/* The kernels timed for a node at the session's current batch when the
 * choice is measured (no --backend / NND_BACKEND, NND_KERNEL_CHOICE not
 * `fixed`): returns how many were timed (0: none, the node had one
 * candidate or the choice is fixed) and sets candidate i's backend and
 * milliseconds per forward (+ backward; INFINITY when it failed). */
int nnd_session_kernel_timing(const nnd_session *s, const char *name, int i,
                              const char **backend, double *ms);

/* The optimizer that steps the parameters and the backend it comes from,
 * or NULL when the model trains nothing (no optimizer setting). */
const char *nnd_session_optimizer(const nnd_session *s, const char **backend);

/* Caffe's layer-wise gradient check of one op node: its kernel at the
 * node's shapes and the session's batch, on seeded random inputs, backward
 * against central differences of sum(output * R) over up to `samples`
 * elements per input. Sets the worst relative error and how many elements
 * were checked or skipped as kinks (ReLU at 0). Returns -1 when the kernel
 * fails (see nnd_session_error). */
int nnd_session_check_node(nnd_session *s, const char *name, double eps, int samples,
                           uint64_t seed, double *worst, int *checked, int *kinks);

/* All trainable parameters as one flat buffer (and their gradients). */
float *nnd_session_params(nnd_session *s, int64_t *n);
float *nnd_session_param_grads(nnd_session *s, int64_t *n);

#ifdef __cplusplus
}
#endif
#endif /* NND_NND_H */
