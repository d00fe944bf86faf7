/* plugin_loader.c — finding, checking and registering plugins.
 *
 * The order is GStreamer's: open the file, read the descriptor, and check its
 * size, ABI version and type-layout fingerprint BEFORE any registration code
 * of the plugin runs; only then call its register function. What does run
 * before the checks, and cannot be avoided while loading a shared object
 * with dlopen: the object's ELF constructors (dlopen runs them) and
 * nnd_plugin_entry, which must do nothing but return a static descriptor
 * (nnd-plugin(3) says so). Before dlopen the file must be a regular file.
 * Registrations are staged and committed only when the whole plugin is sound
 * (no duplicate, no kernel for an op nobody defines), so a bad plugin leaves
 * no trace and never stops the good ones. Refusals are kept with the file's
 * path, for `nnd plugins`, with copies of the descriptor's strings (the
 * refused object is closed).
 *
 * nnd's own plugins (naive, openmp, blas) are loaded before any other of the
 * search path, so on a conflict the third-party plugin is refused, never the
 * standard backend. */
#include "plugin_loader.h"
#include "plugin_dirs.h"

#include <nnd/nnd.h>

#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry.h"

#define MAX_STAGED 1024

struct nnd_registrar {
  const char *path;
  const nnd_kernel *kernels[MAX_STAGED];
  const nnd_op_schema *ops[MAX_STAGED];
  const nnd_call_schema *calls[MAX_STAGED];
  const nnd_optimizer *optimizers[MAX_STAGED];
  int n_kernels, n_ops, n_calls, n_optimizers;
  /* host-side copies of descriptors an older minor version made smaller,
     completed with the defaults of the members appended since */
  void *upgraded[2 * MAX_STAGED];
  int n_upgraded;
  int failed;
  char message[512];
};

static nnd_plugin_record *records;
static int n_records, cap_records;

/* Who registered something, for a conflict message: "nnd's own plugin
 * PATH" for an own plugin, else the origin as it is (a path, "builtin"). */
static const char *origin_text(const char *origin, char *buf, size_t n) {
  for (int i = 0; i < n_records; i++)
    if (records[i].own && strcmp(records[i].path, origin) == 0) {
      snprintf(buf, n, "nnd's own plugin %s", origin);
      return buf;
    }
  return origin;
}

static void fail(nnd_registrar *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(nnd_registrar *r, const char *fmt, ...) {
  if (r->failed) return;  /* the first problem is the one to fix */
  r->failed = 1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->message, sizeof r->message, fmt, ap);
  va_end(ap);
}

/* A descriptor from a plugin must be at least as large as this host's
 * version of it: plugins built against an older header are refused here
 * rather than read past their end. */
#define CHECK_SIZE(r, obj, what, name)                                               \
  do {                                                                               \
    if (!(obj) || (obj)->size < sizeof *(obj)) {                                     \
      fail(r, "%s `%s` has size %zu, expected %zu", what, (obj) && (name) ? (name)   \
           : "?", (obj) ? (size_t)(obj)->size : (size_t)0, sizeof *(obj));           \
      return -1;                                                                     \
    }                                                                                \
  } while (0)

/* A host-side copy of a descriptor an older minor version made smaller
 * (`have` bytes of it): the members appended since are zero, for the
 * caller to complete; the registrar keeps it. NULL after fail(). */
static void *upgraded_copy(nnd_registrar *r, const void *d, size_t have, size_t full) {
  if (r->n_upgraded == 2 * MAX_STAGED) return fail(r, "too many descriptors"), NULL;
  void *copy = calloc(1, full);
  if (!copy) return fail(r, "out of memory"), NULL;
  memcpy(copy, d, have);
  r->upgraded[r->n_upgraded++] = copy;
  return copy;
}

/* The size of nnd_kernel at ABI 1.0 to 1.2: 1.3 appended `flags`. */
#define KERNEL_SIZE_1_2 offsetof(nnd_kernel, flags)

static int reg_kernel(nnd_registrar *r, const nnd_kernel *k) {
  /* A kernel built against 1.2 or older declares no flags (calloc's 0):
     it adds into every gradient, as the executor then expects. */
  if (k && k->size >= KERNEL_SIZE_1_2 && k->size < sizeof *k) {
    nnd_kernel *copy = upgraded_copy(r, k, k->size, sizeof *copy);
    if (!copy) return -1;
    copy->size = sizeof *copy;
    k = copy;
  }
  CHECK_SIZE(r, k, "kernel", k ? k->op : NULL);
  if (!k->op || !k->backend || !k->forward || !k->backward) {
    fail(r, "kernel `%s` lacks an op name, a backend, a forward or a backward",
         k->op ? k->op : "?");
    return -1;
  }
  if (r->n_kernels == MAX_STAGED) return fail(r, "too many kernels"), -1;
  r->kernels[r->n_kernels++] = k;
  return 0;
}

static int reg_op(nnd_registrar *r, const nnd_op_schema *s) {
  CHECK_SIZE(r, s, "op schema", s ? s->name : NULL);
  if (!s->name || !s->infer) return fail(r, "an op schema lacks a name or infer"), -1;
  if (r->n_ops == MAX_STAGED) return fail(r, "too many ops"), -1;
  r->ops[r->n_ops++] = s;
  return 0;
}

static int reg_call(nnd_registrar *r, const nnd_call_schema *s) {
  CHECK_SIZE(r, s, "call schema", s ? s->name : NULL);
  if (!s->name) return fail(r, "a call schema lacks a name"), -1;
  if (r->n_calls == MAX_STAGED) return fail(r, "too many calls"), -1;
  r->calls[r->n_calls++] = s;
  return 0;
}

/* The size of nnd_optimizer at ABI 1.0: 1.1 appended `backend`. */
#define OPTIMIZER_SIZE_1_0 offsetof(nnd_optimizer, backend)

static int reg_optimizer(nnd_registrar *r, const nnd_optimizer *o) {
  /* A plugin built against ABI 1.0 has no backend member: its optimizer
     was the only one of its name, which 1.1 calls naive's. The minor
     version only appends members, so the descriptor is completed here. */
  if (o && o->size >= OPTIMIZER_SIZE_1_0 && o->size < sizeof *o) {
    nnd_optimizer *copy = upgraded_copy(r, o, o->size, sizeof *copy);
    if (!copy) return -1;
    copy->size = sizeof *copy;
    copy->backend = "naive";
    o = copy;
  }
  CHECK_SIZE(r, o, "optimizer", o ? o->name : NULL);
  if (!o->name || !o->step || !o->backend)
    return fail(r, "optimizer `%s` lacks a name, a backend or a step", o->name ? o->name : "?"),
           -1;
  if (r->n_optimizers == MAX_STAGED) return fail(r, "too many optimizers"), -1;
  r->optimizers[r->n_optimizers++] = o;
  return 0;
}

static void report(nnd_registrar *r, const char *message) {
  fail(r, "%s", message ? message : "registration failed");
}

static const nnd_host host = {
    .size = sizeof(nnd_host),
    .abi_minor = NND_ABI_MINOR,
    .register_kernel = reg_kernel,
    .register_op = reg_op,
    .register_call = reg_call,
    .register_optimizer = reg_optimizer,
    .report = report,
    .alloc = malloc,
    .free = free,
};

const nnd_host *nnd_plugin_host(void) { return &host; }

static int staged_op(const nnd_registrar *r, const char *name) {
  for (int i = 0; i < r->n_ops; i++)
    if (strcmp(r->ops[i]->name, name) == 0) return 1;
  return 0;
}

/* Check everything staged against the registry, then commit it all. */
static int commit(nnd_registrar *r) {
  char msg[512], who[PATH_MAX + 32];
  for (int i = 0; i < r->n_ops; i++) {
    const nnd_op_schema *prev = nnd_registry_find_op(r->ops[i]->name, NULL);
    if (prev && strcmp(prev->name, r->ops[i]->name) == 0)
      return fail(r, "op `%s` is already defined by %s", r->ops[i]->name,
                  origin_text(nnd_registry_op_origin(prev), who, sizeof who)), -1;
    for (int j = 0; j < i; j++)
      if (strcmp(r->ops[j]->name, r->ops[i]->name) == 0)
        return fail(r, "op `%s` is registered twice by this plugin", r->ops[i]->name), -1;
  }
  for (int i = 0; i < r->n_kernels; i++) {
    const nnd_kernel *k = r->kernels[i];
    const char *prev;
    if (nnd_registry_find_kernel(k->op, k->backend, &prev))
      return fail(r, "kernel `%s` for backend `%s` is already registered by %s", k->op,
                  k->backend, origin_text(prev, who, sizeof who)), -1;
    for (int j = 0; j < i; j++)
      if (strcmp(r->kernels[j]->op, k->op) == 0 &&
          strcmp(r->kernels[j]->backend, k->backend) == 0)
        return fail(r, "kernel `%s` for backend `%s` is registered twice by this plugin",
                    k->op, k->backend), -1;
    /* kernels are looked up by the op's full name, so it must be exact */
    const nnd_op_schema *op = nnd_registry_find_op(k->op, NULL);
    if ((!op || strcmp(op->name, k->op) != 0) && !staged_op(r, k->op))
      return fail(r, "kernel for op `%s`, which no schema defines%s", k->op,
                  op ? " (kernels name an op in full, with its namespace)" : ""), -1;
  }
  for (int i = 0; i < r->n_optimizers; i++) {
    const char *prev;
    const nnd_optimizer *o = r->optimizers[i];
    if (nnd_registry_find_optimizer(o->name, o->backend, &prev))
      return fail(r, "optimizer `%s` for backend `%s` is already registered by %s", o->name,
                  o->backend, origin_text(prev, who, sizeof who)), -1;
    for (int j = 0; j < i; j++)
      if (strcmp(r->optimizers[j]->name, o->name) == 0 &&
          strcmp(r->optimizers[j]->backend, o->backend) == 0)
        return fail(r, "optimizer `%s` for backend `%s` is registered twice by this plugin",
                    o->name, o->backend), -1;
  }
  for (int i = 0; i < r->n_calls; i++) {
    const nnd_call_schema *c = r->calls[i];
    for (int k = 0; k < nnd_registry_call_count(); k++) {
      const char *prev;
      const nnd_call_schema *o = nnd_registry_call_at(k, &prev);
      if (o->kind == c->kind && strcmp(o->name, c->name) == 0)
        return fail(r, "%s `%s` is already defined by %s", nnd_call_kind_name(c->kind),
                    c->name, origin_text(prev, who, sizeof who)), -1;
    }
    for (int j = 0; j < i; j++)
      if (r->calls[j]->kind == c->kind && strcmp(r->calls[j]->name, c->name) == 0)
        return fail(r, "%s `%s` is registered twice by this plugin",
                    nnd_call_kind_name(c->kind), c->name), -1;
  }
  /* nothing can fail below but memory */
  for (int i = 0; i < r->n_ops; i++)
    if (nnd_registry_add_op(r->ops[i], r->path, msg, sizeof msg)) return fail(r, "%s", msg), -1;
  for (int i = 0; i < r->n_calls; i++)
    if (nnd_registry_add_call(r->calls[i], r->path, msg, sizeof msg))
      return fail(r, "%s", msg), -1;
  for (int i = 0; i < r->n_kernels; i++)
    if (nnd_registry_add_kernel(r->kernels[i], r->path, msg, sizeof msg))
      return fail(r, "%s", msg), -1;
  for (int i = 0; i < r->n_optimizers; i++)
    if (nnd_registry_add_optimizer(r->optimizers[i], r->path, msg, sizeof msg))
      return fail(r, "%s", msg), -1;
  return 0;
}

static nnd_plugin_record *new_record(const char *path) {
  if (n_records == cap_records) {
    int cap = cap_records ? cap_records * 2 : 8;
    nnd_plugin_record *r = realloc(records, (size_t)cap * sizeof *r);
    if (!r) return NULL;
    records = r;
    cap_records = cap;
  }
  nnd_plugin_record *rec = &records[n_records];
  memset(rec, 0, sizeof *rec);
  rec->path = strdup(path);
  if (!rec->path) return NULL;
  n_records++;
  return rec;
}

static void refuse(nnd_plugin_record *rec, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void refuse(nnd_plugin_record *rec, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(rec->error, sizeof rec->error, fmt, ap);
  va_end(ap);
  rec->loaded = 0;
}

static const char *const own_plugins[] = {"naive", "openmp", "blas"};
#define N_OWN (int)(sizeof own_plugins / sizeof own_plugins[0])

/* Which own plugin a file is by its name (index into own_plugins), or -1. */
static int own_index(const char *path) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  for (int i = 0; i < N_OWN; i++) {
    size_t len = strlen(own_plugins[i]);
    if (strncmp(base, own_plugins[i], len) == 0 && strcmp(base + len, ".so") == 0) return i;
  }
  return -1;
}

int nnd_plugin_is_own_file(const char *path) { return own_index(path) >= 0; }

static const char *copy_or_empty(const char *text) {
  char *c = strdup(text ? text : "");
  return c ? c : "";
}

static int refuse_closed(nnd_plugin_record *rec, void *h, const char *why) {
  refuse(rec, "%s", why);
  dlclose(h);
  return -1;
}

int nnd_plugin_load_file(const char *path) {
  char real[PATH_MAX];
  const char *key = realpath(path, real) ? real : path;
  for (int i = 0; i < n_records; i++)
    if (strcmp(records[i].path, key) == 0) return records[i].loaded ? 0 : -1;
  nnd_plugin_record *rec = new_record(key);
  if (!rec) return -1;
  /* what can be checked without running any of its code */
  struct stat st;
  if (stat(key, &st) != 0 || !S_ISREG(st.st_mode)) {
    refuse(rec, "not a regular file");
    return -1;
  }
  /* RTLD_NOW: an unresolved symbol refuses the file here, not in a kernel
     call later; RTLD_LOCAL: its symbols cannot satisfy another plugin's.
     dlopen runs the object's ELF constructors: that much of a plugin runs
     before any check, which is why plugins must have none. */
  void *h = dlopen(key, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char *e = dlerror();
    refuse(rec, "not a loadable shared object: %s", e ? e : "dlopen failed");
    return -1;
  }
  nnd_plugin_entry_fn entry = NULL;
  *(void **)&entry = dlsym(h, NND_PLUGIN_ENTRY_NAME);
  if (!entry)
    return refuse_closed(rec, h, "no entry point: it does not export " NND_PLUGIN_ENTRY_NAME
                                 "()");
  /* the entry point only returns the address of a static descriptor */
  const nnd_plugin_info *info = entry();
  if (!info || info->size < sizeof *info)
    return refuse_closed(rec, h, info ? "its descriptor is smaller than this nnd's (an older "
                                        "ABI?)"
                                      : "its descriptor is missing (the entry point returned "
                                        "NULL)");
  rec->abi_major = info->abi_major;
  rec->abi_minor = info->abi_minor;
  if (info->abi_major != NND_ABI_MAJOR || info->abi_minor > NND_ABI_MINOR) {
    refuse(rec, "built for plugin ABI %u.%u, but this nnd has ABI %u.%u", info->abi_major,
           info->abi_minor, NND_ABI_MAJOR, NND_ABI_MINOR);
    dlclose(h);
    return -1;
  }
  if (info->fingerprint != NND_ABI_FINGERPRINT) {
    refuse(rec, "built against a different layout of the ABI's types (fingerprint %u, "
                "expected %u): rebuild it with this nnd's <nnd/plugin.h>",
           (unsigned)info->fingerprint, (unsigned)NND_ABI_FINGERPRINT);
    dlclose(h);
    return -1;
  }
  if (!info->name || !info->register_plugin)
    return refuse_closed(rec, h, "its descriptor has no name or no register function");
  /* copies: the record outlives the object when it is refused below */
  rec->name = copy_or_empty(info->name);
  rec->version = copy_or_empty(info->version);
  rec->license = copy_or_empty(info->license);
  rec->description = copy_or_empty(info->description);
  int own = own_index(key);
  rec->own = own >= 0 && strcmp(info->name, own_plugins[own]) == 0;
  for (int i = 0; i < n_records - 1; i++)
    if (records[i].loaded && strcmp(records[i].name, info->name) == 0) {
      refuse(rec, "a plugin named `%s` is already loaded from %s", info->name,
             records[i].path);
      rec->duplicate = 1;
      dlclose(h);
      return -1;
    }
  nnd_registrar *r = calloc(1, sizeof *r);
  if (!r) return refuse_closed(rec, h, "out of memory");
  r->path = rec->path;
  nnd_registry_init_standard();
  int rc = info->register_plugin(&host, r);
  if (rc != 0 && !r->failed) fail(r, "its register function failed");
  if (!r->failed) commit(r);
  if (r->failed) {
    refuse(rec, "%s", r->message);
    for (int i = 0; i < r->n_upgraded; i++) free(r->upgraded[i]);
    free(r);
    dlclose(h);
    return -1;
  }
  rec->n_kernels = r->n_kernels;
  rec->n_ops = r->n_ops;
  rec->n_calls = r->n_calls;
  rec->n_optimizers = r->n_optimizers;
  rec->loaded = 1;
  rec->handle = h;  /* kept open: its code is registered */
  free(r);
  return 0;
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

enum { OWN_ONLY, OWN_FIRST };

/* The *.so files of dir: with OWN_ONLY only nnd's own plugins, with
 * OWN_FIRST those and then the others in name order (sorted, so the same
 * directory always loads in the same order). */
static int load_dir(const char *dir, int which) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t len = strlen(e->d_name);
    if (len < 4 || strcmp(e->d_name + len - 3, ".so") != 0) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      char **nn = realloc(names, cap * sizeof *nn);
      if (!nn) break;
      names = nn;
    }
    names[n] = strdup(e->d_name);
    if (names[n]) n++;
  }
  closedir(d);
  if (n) qsort(names, n, sizeof *names, by_name);
  int loaded = 0;
  for (int pass = 0; pass < (which == OWN_ONLY ? 1 : 2); pass++)
    for (size_t i = 0; i < n; i++) {
      if ((own_index(names[i]) >= 0) != (pass == 0)) continue;
      char path[PATH_MAX];
      snprintf(path, sizeof path, "%s/%s", dir, names[i]);
      struct stat st;
      if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && nnd_plugin_load_file(path) == 0)
        loaded++;
    }
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
  return loaded;
}

int nnd_plugin_load_dir(const char *dir) { return load_dir(dir, OWN_FIRST); }

int nnd_plugin_load_own(const char *dir) { return load_dir(dir, OWN_ONLY); }

/* the order of the directories is plugin_dirs.c's (one definition, shared
   with `nnd plugins`) */
int nnd_plugin_load_search_path(const char *const *dirs, int n_dirs) {
  return nnd_plugin_search(dirs, n_dirs);
}

void nnd_plugin_refusals(char *buf, size_t n) {
  size_t len = 0;
  int listed = 0, total = 0;
  buf[0] = '\0';
  for (int i = 0; i < n_records; i++) {
    const nnd_plugin_record *r = &records[i];
    if (r->loaded || r->duplicate) continue;
    total++;
    char one[PATH_MAX + 700];
    int k = snprintf(one, sizeof one, "%s%s (%s)", listed ? "; " : "", r->path, r->error);
    /* keep room for the count of those left out */
    if (k > 0 && len + (size_t)k + 48 < n) {
      memcpy(buf + len, one, (size_t)k + 1);
      len += (size_t)k;
      listed++;
    }
  }
  if (total > listed && n > len + 48)
    snprintf(buf + len, n - len, "%sand %d more (see `nnd plugins`)", listed ? "; " : "",
             total - listed);
}

int nnd_plugin_count(void) { return n_records; }

const nnd_plugin_record *nnd_plugin_at(int i) {
  return i >= 0 && i < n_records ? &records[i] : NULL;
}

int nnd_load_plugins(const char *const *dirs, int n_dirs) {
  nnd_registry_init_standard();
  return nnd_plugin_load_search_path(dirs, n_dirs);
}

const char *nnd_plugin_build_tree_dir(void) {
  static char here[PATH_MAX], dir[PATH_MAX + 32];
  ssize_t len = readlink("/proc/self/exe", here, sizeof here - 1);
  if (len <= 0) return NULL;
  here[len] = '\0';
  char *slash = strrchr(here, '/');
  if (slash) *slash = '\0';
  static const char *const tails[] = {"/plugins/.libs", "/../plugins/.libs"};
  for (int i = 0; i < 2; i++) {
    struct stat st;
    snprintf(dir, sizeof dir, "%s%s", here, tails[i]);
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) return dir;
  }
  return NULL;
}
