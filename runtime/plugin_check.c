/* plugin_check.c — `nnd plugins --check FILE.so`: the conformance run of one
 * plugin (see plugin_check.h). An op the plugin adds gets models generated
 * from its schema: a few input shapes, and each attribute at its bounds, in
 * between and at its default; every attribute value in range must be
 * accepted for at least one shape, and an attribute out of range, an input
 * too few or too many, or an unknown attribute must be refused with a
 * message. The models accepted then run every kernel of the op
 * (plugin_check_run.c) against the reference kernel: naive's, or the first
 * registered. A kernel for a standard op runs the standard cases
 * (plugin_check_cases.c) against nnd's naive kernel. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plugin_check_internal.h"
#include "registry.h"

#define MAX_SOURCES 16
#define SRC_MAX 2048

typedef struct {
  char src[MAX_SOURCES][SRC_MAX];
  int n;
} sources;

typedef struct {
  nnd_plugin_check_row *rows;
  int n, cap;
} table;

/* The model being run, for the message when a plugin crashes on it (it
   lives in the memory the checking child shares with its parent). */
static char *current_case;

static void set_current(const char *src) {
  if (current_case) snprintf(current_case, SRC_MAX, "%s", src);
}

static nnd_plugin_check_row *add_row(table *t, const char *op, const char *backend) {
  if (t->n == t->cap) {
    int cap = t->cap ? 2 * t->cap : 16;
    nnd_plugin_check_row *r = realloc(t->rows, (size_t)cap * sizeof *r);
    if (!r) return NULL;
    t->rows = r;
    t->cap = cap;
  }
  nnd_plugin_check_row *r = &t->rows[t->n++];
  memset(r, 0, sizeof *r);
  snprintf(r->op, sizeof r->op, "%s", op);
  snprintf(r->backend, sizeof r->backend, "%s", backend);
  return r;
}

/* Compile; 1 when it compiles, 0 when it is refused with a message (the
 * first one in msg), -1 when refused with none. */
static int compiles(const char *src, nnd_model **out, char *msg, size_t n) {
  nnd_model *m = NULL;
  nnd_diag_list *d = NULL;
  int ok = nnd_compile_string("<plugin check>", src, strlen(src), &m, &d) == 0;
  int said = 0;
  nnd_diag_info info;
  if (!ok && d && nnd_diag_count(d) > 0 && nnd_diag_get(d, 0, &info) == 0 && info.message &&
      info.message[0]) {
    snprintf(msg, n, "%s", info.message);
    said = 1;
  }
  nnd_diag_list_free(d);
  if (ok && out) *out = m;
  else nnd_model_free(m);
  return ok ? 1 : said ? 0 : -1;
}

/* ------------------------------------------------- generating a schema's cases */

static const char *const shapes[] = {"[5]", "[2, 3]", "[2, 3, 4]"};

static int fits_int(double v) { return fabs(v) <= 64; }

/* A value inside the attribute's range, as source text; 0 when none can be
 * written (the attribute types whose values the check does not invent). */
static int mid_value(const nnd_attr_spec *a, char *buf, size_t n) {
  double lo = a->has_min ? a->min : a->has_max ? a->max - 2 : 0;
  double hi = a->has_max ? a->max : lo + 2;
  /* a wide range (units up to a million) is tried near its low end: a
     value in the middle would make shapes too large to run in seconds */
  if (hi - lo > 64) hi = lo + 4;
  double v = (lo + hi) / 2;
  switch (a->type) {
  case NND_ATTR_INT:
    v = floor(v);
    if (a->has_min && (v < a->min || (a->min_exclusive && v <= a->min))) v = floor(a->min) + 1;
    snprintf(buf, n, "%.0f", v);
    return 1;
  case NND_ATTR_INTS:
    v = fmax(floor(v), 1);
    snprintf(buf, n, "%.0f", v);
    return a->count <= 1;
  case NND_ATTR_FLOAT:
    snprintf(buf, n, "%.17g", v);
    return 1;
  case NND_ATTR_BOOL:
    snprintf(buf, n, "true");
    return 1;
  case NND_ATTR_STRING:
    if (!a->choices) return 0;
    snprintf(buf, n, "\"%.*s\"", (int)strcspn(a->choices, "|"), a->choices);
    return 1;
  default:
    return 0;
  }
}

/* Every value in range worth trying, each as source text. */
static int valid_values(const nnd_attr_spec *a, char out[][64], int max) {
  int k = 0;
  if (mid_value(a, out[k], 64)) k++;
  if (a->type == NND_ATTR_INT || a->type == NND_ATTR_FLOAT) {
    if (a->has_min && !a->min_exclusive && fits_int(a->min) && k < max)
      snprintf(out[k++], 64, a->type == NND_ATTR_INT ? "%.0f" : "%.17g", a->min);
    if (a->has_max && !a->max_exclusive && fits_int(a->max) && k < max)
      snprintf(out[k++], 64, a->type == NND_ATTR_INT ? "%.0f" : "%.17g", a->max);
  } else if (a->type == NND_ATTR_BOOL && k < max) {
    snprintf(out[k++], 64, "false");
  } else if (a->type == NND_ATTR_STRING && a->choices) {
    k = 0;
    for (const char *c = a->choices; *c && k < max; c += strcspn(c, "|"), c += *c == '|')
      snprintf(out[k++], 64, "\"%.*s\"", (int)strcspn(c, "|"), c);
  }
  return k;
}

/* Values out of range (and of the wrong kind), each as source text. */
static int invalid_values(const nnd_attr_spec *a, char out[][64], int max) {
  int k = 0;
  if (a->type == NND_ATTR_INT || a->type == NND_ATTR_FLOAT) {
    double step = a->type == NND_ATTR_INT ? 1 : 0.5;
    if (a->has_min && k < max)
      snprintf(out[k++], 64, "%.17g", a->min_exclusive ? a->min : a->min - step);
    if (a->has_max && k < max)
      snprintf(out[k++], 64, "%.17g", a->max_exclusive ? a->max : a->max + step);
    if (a->type == NND_ATTR_INT && k < max) snprintf(out[k++], 64, "%s", "1.5");
    if (k < max) snprintf(out[k++], 64, "%s", "\"text\"");
  } else if (a->type == NND_ATTR_STRING && a->choices && k < max) {
    snprintf(out[k++], 64, "%s", "\"no_such_choice\"");
  } else if (a->type == NND_ATTR_BOOL && k < max) {
    snprintf(out[k++], 64, "%s", "\"text\"");
  }
  return k;
}

/* The model text: n inputs of one shape, node y = op(inputs, attributes),
 * where attribute `vary` has `value` and the required ones their mid value. */
static int model_text(const nnd_op_schema *s, int n_inputs, const char *shape, int vary,
                      const char *value, const char *extra, char *buf, size_t n) {
  size_t len = 0;
  for (int i = 0; i < n_inputs; i++)
    len += (size_t)snprintf(buf + len, n - len, "input x%d: %s\n", i, shape);
  len += (size_t)snprintf(buf + len, n - len, "y = %s(", s->name);
  for (int i = 0; i < n_inputs && len < n; i++)
    len += (size_t)snprintf(buf + len, n - len, "%sx%d", i ? ", " : "", i);
  int first = n_inputs == 0;
  for (int i = 0; i < s->n_attrs && len < n; i++) {
    char v[64];
    const char *text = NULL;
    if (i == vary) text = value;
    else if (s->attrs[i].required && !s->attrs[i].has_default) {
      if (!mid_value(&s->attrs[i], v, sizeof v)) return -1;
      text = v;
    }
    if (!text) continue;
    len += (size_t)snprintf(buf + len, n - len, "%s%s=%s", first ? "" : ", ",
                            s->attrs[i].name, text);
    first = 0;
  }
  if (extra && len < n)
    len += (size_t)snprintf(buf + len, n - len, "%s%s", first ? "" : ", ", extra);
  if (len < n) len += (size_t)snprintf(buf + len, n - len, ")\n");
  return len < n ? 0 : -1;
}

static void note(nnd_plugin_check_row *r, const char *fmt, const char *a, const char *b) {
  if (!r->failed) snprintf(r->reason, sizeof r->reason, fmt, a, b);
  r->failed = 1;
}

/* The schema row: valid settings accepted (the accepted models collected in
 * out), invalid ones refused with a message. */
static void check_schema(const nnd_op_schema *s, nnd_plugin_check_row *row, sources *out) {
  char text[SRC_MAX], msg[512];
  int arity = s->min_inputs > 0 ? s->min_inputs : 1;
  /* attribute -1: every attribute at its default (or mid value) */
  for (int a = -1; a < s->n_attrs; a++) {
    char vals[8][64];
    int nv = a < 0 ? 1 : valid_values(&s->attrs[a], vals, 8);
    if (a >= 0 && nv == 0) row->skipped++;
    for (int v = 0; v < nv; v++) {
      int accepted = 0, generated = 0;
      for (size_t sh = 0; sh < sizeof shapes / sizeof *shapes; sh++) {
        if (model_text(s, arity, shapes[sh], a, a < 0 ? NULL : vals[v], NULL, text,
                       sizeof text) != 0)
          continue;
        generated = 1;
        set_current(text);
        row->cases++;
        nnd_model *m = NULL;
        int rc = compiles(text, &m, msg, sizeof msg);
        if (rc < 0) note(row, "refused a model without a message:\n%.400s%s", text, "");
        if (rc != 1) continue;
        accepted = 1;
        nnd_model_free(m);
        if (out->n < MAX_SOURCES) snprintf(out->src[out->n++], SRC_MAX, "%s", text);
      }
      if (!generated) {
        row->skipped++;
        snprintf(row->reason, sizeof row->reason,
                 "a required attribute has a type the check cannot generate");
      } else if (!accepted) {
        note(row, "accepts no generated input shape with %s (tried [5], [2, 3], [2, 3, 4]); "
                  "last: %.300s", a < 0 ? "its defaults" : s->attrs[a].name, msg);
      }
    }
  }
  /* class labels where it may expect tensors: accepted or refused with a
     message, but not accepted silently into a crash */
  if (model_text(s, arity, "class[3]", -1, NULL, NULL, text, sizeof text) == 0) {
    set_current(text);
    row->cases++;
    nnd_model *m = NULL;
    if (compiles(text, &m, msg, sizeof msg) < 0)
      note(row, "refused a model without a message:\n%.400s%s", text, "");
    nnd_model_free(m);
  }
  /* out of range, of the wrong kind, unknown, too few or too many inputs */
  for (int a = -1; a < s->n_attrs + 3; a++) {
    char vals[8][64];
    int nv = a < 0 || a >= s->n_attrs ? 1 : invalid_values(&s->attrs[a], vals, 8);
    for (int v = 0; v < nv; v++) {
      int n_in = arity;
      const char *extra = NULL;
      if (a == -1) extra = "no_such_attribute=1";
      else if (a == s->n_attrs) {
        if (s->min_inputs < 1) continue;
        n_in = s->min_inputs - 1;
      } else if (a == s->n_attrs + 1) {
        if (s->max_inputs < 0) continue;
        n_in = s->max_inputs + 1;
      } else if (a == s->n_attrs + 2) continue;
      if (model_text(s, n_in, shapes[0], a < s->n_attrs ? a : -1,
                     a >= 0 && a < s->n_attrs ? vals[v] : NULL, extra, text, sizeof text) != 0)
        continue;
      set_current(text);
      row->cases++;
      int rc = compiles(text, NULL, msg, sizeof msg);
      if (rc == 1) note(row, "accepts what it must refuse:\n%.400s%s", text, "");
      if (rc < 0) note(row, "refused a model without a message:\n%.400s%s", text, "");
    }
  }
}

/* ------------------------------------------------------------- kernels */

static const char *reference_backend(const char *op) {
  if (nnd_registry_find_kernel(op, "naive", NULL)) return "naive";
  for (int i = 0; i < nnd_registry_kernel_count(); i++) {
    const nnd_kernel *k = nnd_registry_kernel_at(i, NULL);
    if (strcmp(k->op, op) == 0) return k->backend;
  }
  return NULL;
}

static void check_kernel(nnd_plugin_check_row *row, const char *op, const char *backend,
                         const sources *cases, int standard) {
  const char *ref = reference_backend(op);
  if (ref && strcmp(ref, backend) != 0) snprintf(row->reference, sizeof row->reference, "%s", ref);
  pc_result res = {.grad_error = -1, .ref_error = -1};
  for (int i = 0; i < cases->n; i++) {
    nnd_model *m = NULL;
    char msg[512];
    if (compiles(cases->src[i], &m, msg, sizeof msg) != 1) {
      res.skipped++;
      continue;
    }
    int must_run = !standard && ref && strcmp(ref, backend) == 0;
    int before = res.failed;
    set_current(cases->src[i]);
    pc_run_case(m, backend, ref, must_run, &res);
    if (res.failed && !before) {
      /* the model it failed on, on one line */
      size_t len = strlen(res.reason);
      len += (size_t)snprintf(res.reason + len, sizeof res.reason - len, " [model: ");
      for (const char *p = cases->src[i]; *p && len + 2 < sizeof res.reason; p++)
        if (*p != '\n') res.reason[len++] = *p;
        else if (p[1]) res.reason[len++] = ';', res.reason[len++] = ' ';
      if (len + 2 < sizeof res.reason) res.reason[len++] = ']';
      res.reason[len < sizeof res.reason ? len : sizeof res.reason - 1] = 0;
    }
    nnd_model_free(m);
  }
  row->cases = res.cases;
  row->skipped = res.skipped;
  row->grad_error = res.grad_error;
  row->ref_error = res.ref_error;
  row->failed = res.failed;
  snprintf(row->reason, sizeof row->reason, "%s", res.reason);
  if (!res.failed && res.cases == 0) {
    row->failed = 1;
    snprintf(row->reason, sizeof row->reason, "no case could be run");
  }
}

/* ------------------------------------------------------------ isolation */

/* What a checking child shares with its parent: the row it fills, the
 * models the schema accepted, the model it is running. */
typedef struct {
  nnd_plugin_check_row row;
  sources cases;
  char current[SRC_MAX];
  int done;
} shared;

enum { SCHEMA_ROW, KERNEL_ROW };
#define ROW_SECONDS 60

static void work(shared *sh, int what, const nnd_op_schema *s, const char *op,
                 const char *backend, int standard) {
  current_case = sh->current;
  if (what == SCHEMA_ROW) check_schema(s, &sh->row, &sh->cases);
  else check_kernel(&sh->row, op, backend, &sh->cases, standard);
  current_case = NULL;
  sh->done = 1;
}

/* Run one row in a child process, so that a plugin that crashes, hangs or
 * exits fails its row (naming the model it was on) instead of taking the
 * whole check down; in this process when fork is unavailable. */
static void isolated(shared *sh, int what, const nnd_op_schema *s, const char *op,
                     const char *backend, int standard) {
  sh->done = 0;
  sh->current[0] = 0;
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    work(sh, what, s, op, backend, standard);
    return;
  }
  if (pid == 0) {
    alarm(ROW_SECONDS);
    work(sh, what, s, op, backend, standard);
    _exit(0);
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0) {
  }
  if (sh->done && WIFEXITED(st) && WEXITSTATUS(st) == 0) return;
  char why[96];
  if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
    snprintf(why, sizeof why, "did not finish in %d s", ROW_SECONDS);
  else if (WIFSIGNALED(st))
    snprintf(why, sizeof why, "crashed (signal %d, %s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
  else
    snprintf(why, sizeof why, "exited the process (status %d): a plugin must never exit",
             WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  sh->row.failed = 1;
  size_t len = (size_t)snprintf(sh->row.reason, sizeof sh->row.reason, "%s", why);
  if (sh->current[0] && len < sizeof sh->row.reason) {
    len += (size_t)snprintf(sh->row.reason + len, sizeof sh->row.reason - len, " [model: ");
    for (const char *p = sh->current; *p && len + 3 < sizeof sh->row.reason; p++)
      if (*p != '\n') sh->row.reason[len++] = *p;
      else if (p[1]) sh->row.reason[len++] = ';', sh->row.reason[len++] = ' ';
    sh->row.reason[len++] = ']';
    sh->row.reason[len] = 0;
  }
}

static int add_isolated(table *t, shared *sh, int what, const nnd_op_schema *s,
                        const char *op, const char *backend, int standard) {
  memset(&sh->row, 0, sizeof sh->row);
  snprintf(sh->row.op, sizeof sh->row.op, "%s", op);
  snprintf(sh->row.backend, sizeof sh->row.backend, "%s", backend);
  sh->row.grad_error = sh->row.ref_error = -1; /* none measured, should it crash */
  if (what == SCHEMA_ROW) sh->cases.n = 0;
  isolated(sh, what, s, op, backend, standard);
  nnd_plugin_check_row *row = add_row(t, op, backend);
  if (!row) return -1;
  *row = sh->row;
  return 0;
}

static int defined_by(const char *op, const char *origin) {
  int amb = 0;
  const nnd_op_schema *s = nnd_registry_find_op(op, &amb);
  const char *o = s ? nnd_registry_op_origin(s) : NULL;
  return o && strcmp(o, origin) == 0;
}

int nnd_plugin_check(const char *origin, nnd_plugin_check_row **rows, int *n_rows, char *err,
                     size_t err_n) {
  table t = {0};
  *rows = NULL;
  *n_rows = 0;
  shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (sh == MAP_FAILED) {
    snprintf(err, err_n, "out of memory");
    return -1;
  }
  sources *cases = &sh->cases;
  /* the ops it adds: schema, then every kernel of the op, whoever registered it */
  for (int i = 0; i < nnd_registry_op_count(); i++) {
    const char *o;
    const nnd_op_schema *s = nnd_registry_op_at(i, &o);
    if (strcmp(o, origin) != 0) continue;
    if (add_isolated(&t, sh, SCHEMA_ROW, s, s->name, "", 0) != 0) break;
    for (int k = 0; k < nnd_registry_kernel_count(); k++) {
      const nnd_kernel *kern = nnd_registry_kernel_at(k, NULL);
      if (strcmp(kern->op, s->name) == 0)
        add_isolated(&t, sh, KERNEL_ROW, s, s->name, kern->backend, 0);
    }
  }
  /* its kernels for ops it does not define: the standard cases */
  for (int k = 0; k < nnd_registry_kernel_count(); k++) {
    const char *o;
    const nnd_kernel *kern = nnd_registry_kernel_at(k, &o);
    if (strcmp(o, origin) != 0 || defined_by(kern->op, origin)) continue;
    cases->n = 0;
    for (const char *src; cases->n < MAX_SOURCES &&
                          (src = nnd_plugin_check_standard_case(kern->op, cases->n));)
      snprintf(cases->src[cases->n++], SRC_MAX, "%s", src);
    if (cases->n == 0) {
      nnd_plugin_check_row *row = add_row(&t, kern->op, kern->backend);
      if (row)
        snprintf(row->reason, sizeof row->reason,
                 "not checked: no cases for this op (an op of another plugin?)");
      continue;
    }
    add_isolated(&t, sh, KERNEL_ROW, NULL, kern->op, kern->backend, 1);
  }
  munmap(sh, sizeof *sh);
  if (t.n == 0) {
    snprintf(err, err_n, "%s registers no op and no kernel: nothing to check", origin);
    free(t.rows);
    return -1;
  }
  int failed = 0;
  for (int i = 0; i < t.n; i++) failed += t.rows[i].failed;
  *rows = t.rows;
  *n_rows = t.n;
  return failed;
}
