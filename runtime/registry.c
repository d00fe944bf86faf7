/* registry.c — see registry.h. The only mutable global state of nnd. */
#include "registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/ops.h"
#include "suggest.h"

typedef struct {
  const void *schema;
  const char *origin;
} entry;

typedef struct {
  entry *items;
  int count, cap;
} table;

static table ops, calls, kernels, optimizers;
static int standard_done;

static int table_push(table *t, const void *schema, const char *origin) {
  if (t->count == t->cap) {
    int cap = t->cap ? t->cap * 2 : 64;
    entry *items = realloc(t->items, (size_t)cap * sizeof *items);
    if (!items) return -1;
    t->items = items;
    t->cap = cap;
  }
  t->items[t->count++] = (entry){schema, origin};
  return 0;
}

/* The part after the last '.', so "acme.swish" is also found as "swish". */
static const char *unqualified(const char *name) {
  const char *dot = strrchr(name, '.');
  return dot ? dot + 1 : name;
}

static const entry *find_op_entry(const char *name) {
  for (int i = 0; i < ops.count; i++)
    if (strcmp(((const nnd_op_schema *)ops.items[i].schema)->name, name) == 0)
      return &ops.items[i];
  return NULL;
}

int nnd_registry_add_op(const nnd_op_schema *s, const char *origin, char *msg,
                        size_t msg_n) {
  const entry *e = find_op_entry(s->name);
  if (e) {
    snprintf(msg, msg_n, "op `%s` is registered twice: by %s and by %s", s->name,
             e->origin, origin);
    return -1;
  }
  if (table_push(&ops, s, origin) != 0) {
    snprintf(msg, msg_n, "out of memory registering op `%s`", s->name);
    return -1;
  }
  return 0;
}

int nnd_registry_add_call(const nnd_call_schema *s, const char *origin, char *msg,
                          size_t msg_n) {
  for (int i = 0; i < calls.count; i++) {
    const nnd_call_schema *c = calls.items[i].schema;
    if (c->kind == s->kind && strcmp(c->name, s->name) == 0) {
      snprintf(msg, msg_n, "%s `%s` is registered twice: by %s and by %s",
               nnd_call_kind_name(s->kind), s->name, calls.items[i].origin, origin);
      return -1;
    }
  }
  if (table_push(&calls, s, origin) != 0) {
    snprintf(msg, msg_n, "out of memory registering `%s`", s->name);
    return -1;
  }
  return 0;
}

/* The standard set cannot collide with itself; a failure here is a bug in the
 * tables, caught by the test suite, so the message has nowhere to go. */
static void add_builtin_op(const nnd_op_schema *s) {
  char msg[256];
  (void)nnd_registry_add_op(s, "builtin", msg, sizeof msg);
}

static void add_builtin_call(const nnd_call_schema *s) {
  char msg[256];
  (void)nnd_registry_add_call(s, "builtin", msg, sizeof msg);
}

void nnd_registry_init_standard(void) {
  if (standard_done) return;
  standard_done = 1;
  nnd_ops_register_standard(add_builtin_op, add_builtin_call);
}

const nnd_op_schema *nnd_registry_find_op(const char *name, int *ambiguous) {
  if (ambiguous) *ambiguous = 0;
  const entry *e = find_op_entry(name);
  if (e) return e->schema;
  if (strchr(name, '.')) return NULL;
  const nnd_op_schema *found = NULL;
  for (int i = 0; i < ops.count; i++) {
    const nnd_op_schema *s = ops.items[i].schema;
    if (strcmp(unqualified(s->name), name) == 0) {
      if (found) {
        if (ambiguous) *ambiguous = 1;
        return NULL;
      }
      found = s;
    }
  }
  return found;
}

const nnd_call_schema *nnd_registry_find_call(nnd_call_kind kind, const char *name) {
  for (int i = 0; i < calls.count; i++) {
    const nnd_call_schema *c = calls.items[i].schema;
    if (c->kind == kind && strcmp(c->name, name) == 0) return c;
  }
  return NULL;
}

int nnd_registry_op_count(void) { return ops.count; }

const nnd_op_schema *nnd_registry_op_at(int i, const char **origin) {
  if (i < 0 || i >= ops.count) return NULL;
  if (origin) *origin = ops.items[i].origin;
  return ops.items[i].schema;
}

int nnd_registry_call_count(void) { return calls.count; }

const nnd_call_schema *nnd_registry_call_at(int i, const char **origin) {
  if (i < 0 || i >= calls.count) return NULL;
  if (origin) *origin = calls.items[i].origin;
  return calls.items[i].schema;
}

const char *nnd_registry_suggest_op(const char *name) {
  nnd_suggest s;
  nnd_suggest_init(&s, name);
  for (int i = 0; i < ops.count; i++) {
    const nnd_op_schema *op = ops.items[i].schema;
    nnd_suggest_offer(&s, op->name);
  }
  return s.best;
}

const char *nnd_registry_suggest_call(nnd_call_kind kind, const char *name) {
  nnd_suggest s;
  nnd_suggest_init(&s, name);
  for (int i = 0; i < calls.count; i++) {
    const nnd_call_schema *c = calls.items[i].schema;
    if (c->kind == kind) nnd_suggest_offer(&s, c->name);
  }
  return s.best;
}

void nnd_registry_list(int kind, char *buf, size_t n) {
  size_t len = 0;
  buf[0] = '\0';
  int total = kind == 0 ? ops.count : calls.count;
  for (int i = 0; i < total && len < n; i++) {
    const char *name;
    if (kind == 0) {
      name = ((const nnd_op_schema *)ops.items[i].schema)->name;
    } else {
      const nnd_call_schema *c = calls.items[i].schema;
      if ((int)c->kind != kind) continue;
      name = c->name;
    }
    len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? ", " : "", name);
  }
}

int nnd_registry_add_kernel(const nnd_kernel *k, const char *origin, char *msg,
                            size_t msg_n) {
  const char *prev;
  if (nnd_registry_find_kernel(k->op, k->backend, &prev)) {
    snprintf(msg, msg_n, "kernel `%s` for backend `%s` is registered twice: by %s and by %s",
             k->op, k->backend, prev, origin);
    return -1;
  }
  if (table_push(&kernels, k, origin) != 0) {
    snprintf(msg, msg_n, "out of memory registering kernel `%s`", k->op);
    return -1;
  }
  return 0;
}

int nnd_registry_add_optimizer(const nnd_optimizer *o, const char *origin, char *msg,
                               size_t msg_n) {
  const char *prev;
  if (nnd_registry_find_optimizer(o->name, o->backend, &prev)) {
    snprintf(msg, msg_n, "optimizer `%s` for backend `%s` is registered twice: by %s and by %s",
             o->name, o->backend, prev, origin);
    return -1;
  }
  if (table_push(&optimizers, o, origin) != 0) {
    snprintf(msg, msg_n, "out of memory registering optimizer `%s`", o->name);
    return -1;
  }
  return 0;
}

const nnd_kernel *nnd_registry_find_kernel(const char *op, const char *backend,
                                           const char **origin) {
  for (int i = 0; i < kernels.count; i++) {
    const nnd_kernel *k = kernels.items[i].schema;
    if (strcmp(k->op, op) == 0 && strcmp(k->backend, backend) == 0) {
      if (origin) *origin = kernels.items[i].origin;
      return k;
    }
  }
  return NULL;
}

const nnd_optimizer *nnd_registry_find_optimizer(const char *name, const char *backend,
                                                 const char **origin) {
  for (int i = 0; i < optimizers.count; i++) {
    const nnd_optimizer *o = optimizers.items[i].schema;
    if (strcmp(o->name, name) == 0 && (!backend || strcmp(o->backend, backend) == 0)) {
      if (origin) *origin = optimizers.items[i].origin;
      return o;
    }
  }
  return NULL;
}

int nnd_registry_kernel_count(void) { return kernels.count; }

const nnd_kernel *nnd_registry_kernel_at(int i, const char **origin) {
  if (i < 0 || i >= kernels.count) return NULL;
  if (origin) *origin = kernels.items[i].origin;
  return kernels.items[i].schema;
}

int nnd_registry_optimizer_count(void) { return optimizers.count; }

const nnd_optimizer *nnd_registry_optimizer_at(int i, const char **origin) {
  if (i < 0 || i >= optimizers.count) return NULL;
  if (origin) *origin = optimizers.items[i].origin;
  return optimizers.items[i].schema;
}

/* The backend of registration i: kernels first, then optimizers. */
static const char *backend_at(int i) {
  return i < kernels.count
             ? ((const nnd_kernel *)kernels.items[i].schema)->backend
             : ((const nnd_optimizer *)optimizers.items[i - kernels.count].schema)->backend;
}

/* The first registration of the backend named by the len bytes at name
 * (its index), or -1. */
static int backend_index(const char *name, size_t len) {
  for (int i = 0; i < kernels.count + optimizers.count; i++) {
    const char *b = backend_at(i);
    if (strlen(b) == len && strncmp(b, name, len) == 0) return i;
  }
  return -1;
}

void nnd_registry_list_backends(char *buf, size_t n) {
  size_t len = 0;
  buf[0] = '\0';
  for (int i = 0; i < kernels.count + optimizers.count && len < n; i++) {
    const char *b = backend_at(i);
    if (backend_index(b, strlen(b)) != i) continue;  /* listed at its first registration */
    len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? ", " : "", b);
  }
}

int nnd_registry_parse_backends(const char *list, const char **out, int max, char *msg,
                                size_t msg_n) {
  int n = 0;
  for (const char *p = list; p;) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    int at = backend_index(p, len);
    const char *b = at < 0 ? NULL : backend_at(at);
    if (len == 0) {
      snprintf(msg, msg_n, "empty backend name in `%s` (names are separated by single commas)",
               list);
      return -1;
    }
    if (!b) {
      char known[512];
      nnd_registry_list_backends(known, sizeof known);
      snprintf(msg, msg_n, "unknown backend `%.*s` (%s%s)", (int)(len > 64 ? 64 : len), p,
               known[0] ? "known: " : "no plugin is loaded, so no backend is known", known);
      return -1;
    }
    if (n == max) {
      snprintf(msg, msg_n, "more than %d backends in `%s`", max, list);
      return -1;
    }
    if (out) out[n] = b;
    n++;
    p = comma ? comma + 1 : NULL;
  }
  return n;
}

const char *nnd_registry_op_origin(const nnd_op_schema *s) {
  for (int i = 0; i < ops.count; i++)
    if (ops.items[i].schema == s) return ops.items[i].origin;
  return NULL;
}

const char *nnd_call_kind_name(nnd_call_kind kind) {
  switch (kind) {
  case NND_CALL_INITIALIZER: return "initializer";
  case NND_CALL_OPTIMIZER: return "optimizer";
  case NND_CALL_DATA: return "data source";
  case NND_CALL_SCHEDULE: return "schedule";
  }
  return "call";
}
