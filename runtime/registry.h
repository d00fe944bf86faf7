/* registry.h — the one global table of nnd: every op schema and call schema
 * (initializers, optimizers, data sources, schedules), each with the file that
 * registered it. Lowering resolves names here and nowhere else; the grammar
 * knows no op. Plugins (and the standard set) add to it; kernels join it in
 * the runtime issue. */
#ifndef NND_REGISTRY_H
#define NND_REGISTRY_H

#include <nnd/plugin.h>
#include <stddef.h>

/* Register the standard schemas once; idempotent, thread-unsafe by design
 * (call it before starting threads — nnd_compile does). */
void nnd_registry_init_standard(void);

/* Add a schema. `origin` names who registered it ("builtin", a plugin path).
 * Returns -1 with a message naming both origins on a duplicate. */
int nnd_registry_add_op(const nnd_op_schema *s, const char *origin,
                        char *msg, size_t msg_n);
int nnd_registry_add_call(const nnd_call_schema *s, const char *origin,
                          char *msg, size_t msg_n);

/* Look up by exact name, or by the unqualified part of a namespaced name
 * when exactly one matches ("swish" finds "acme.swish"). Sets *ambiguous when
 * several do. */
const nnd_op_schema *nnd_registry_find_op(const char *name, int *ambiguous);
const nnd_call_schema *nnd_registry_find_call(nnd_call_kind kind, const char *name);

/* Kernels and optimizers, from plugins. A kernel is keyed by op and
 * backend; an optimizer by name. */
int nnd_registry_add_kernel(const nnd_kernel *k, const char *origin, char *msg,
                            size_t msg_n);
int nnd_registry_add_optimizer(const nnd_optimizer *o, const char *origin, char *msg,
                               size_t msg_n);
const nnd_kernel *nnd_registry_find_kernel(const char *op, const char *backend,
                                           const char **origin);
const nnd_optimizer *nnd_registry_find_optimizer(const char *name, const char *backend,
                                                 const char **origin);
int nnd_registry_kernel_count(void);
const nnd_kernel *nnd_registry_kernel_at(int i, const char **origin);
int nnd_registry_optimizer_count(void);
const nnd_optimizer *nnd_registry_optimizer_at(int i, const char **origin);

/* The backends: every name a kernel or an optimizer was registered for,
 * comma-separated in registration order ("" when no plugin is loaded). */
void nnd_registry_list_backends(char *buf, size_t n);
/* Parse a comma-separated backend preference list ("blas,naive") into the
 * registered backend names (static strings) in out (may be NULL), at most
 * max. Returns how many, or -1 with a message for an empty name, a name no
 * plugin registered (listing the known ones) or too many names. The one
 * rule for --backend, NND_BACKEND and nnd_session_options.backends. */
int nnd_registry_parse_backends(const char *list, const char **out, int max, char *msg,
                                size_t msg_n);

/* Who registered a schema, or NULL. */
const char *nnd_registry_op_origin(const nnd_op_schema *s);

/* Iteration, in registration order. */
int nnd_registry_op_count(void);
const nnd_op_schema *nnd_registry_op_at(int i, const char **origin);
int nnd_registry_call_count(void);
const nnd_call_schema *nnd_registry_call_at(int i, const char **origin);

/* The registered name closest to `name` (edit distance), or NULL. */
const char *nnd_registry_suggest_op(const char *name);
const char *nnd_registry_suggest_call(nnd_call_kind kind, const char *name);

/* Comma-separated names of kind (ops when kind == 0), for messages. */
void nnd_registry_list(int kind, char *buf, size_t n);

const char *nnd_call_kind_name(nnd_call_kind kind); /* "initializer", ... */

#endif
