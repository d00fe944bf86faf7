/* attr.c — see attr.h. */
#include "attr.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "registry.h"
#include "suggest.h"

#define LITERAL_MAX_RANK NND_MAX_DIMS

const char *nnd_attr_type_name(nnd_attr_type t) {
  switch (t) {
  case NND_ATTR_INT: return "an integer";
  case NND_ATTR_FLOAT: return "a number";
  case NND_ATTR_BOOL: return "true or false";
  case NND_ATTR_STRING: return "a string";
  case NND_ATTR_INTS: return "an integer or a list of integers";
  case NND_ATTR_PADDING: return "an integer, a list of integers, \"same\" or \"valid\"";
  case NND_ATTR_INIT: return "an initializer call, a number or a tensor literal";
  case NND_ATTR_SHAPE: return "a list of integers";
  case NND_ATTR_CALL: return "a call";
  case NND_ATTR_ANY: return "a value";
  }
  return "a value";
}

/* ------------------------------------------------------------ formatting */

static size_t put(char *buf, size_t n, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static size_t put(char *buf, size_t n, size_t len, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(buf + (len < n ? len : n), len < n ? n - len : 0, fmt, ap);
  va_end(ap);
  return len + (k > 0 ? (size_t)k : 0);
}

const char *nnd_number_str(double x, char *buf, size_t n) {
  if (x == floor(x) && fabs(x) < 1e17)
    snprintf(buf, n, "%.0f", x == 0 ? 0.0 : x);  /* no "-0" */
  else
    snprintf(buf, n, "%.9g", x);
  return buf;
}

static size_t format_rec(const nnd_value *v, char *buf, size_t n, size_t len) {
  char num[40];
  switch (v->kind) {
  case NND_VAL_NONE: return put(buf, n, len, "none");
  case NND_VAL_NUMBER: return put(buf, n, len, "%s", nnd_number_str(v->num, num, sizeof num));
  case NND_VAL_BOOL: return put(buf, n, len, "%s", v->num != 0 ? "true" : "false");
  case NND_VAL_STRING:
    len = put(buf, n, len, "\"");
    for (const char *s = v->str; *s; s++) {
      if (*s == '"' || *s == '\\') len = put(buf, n, len, "\\%c", *s);
      else if (*s == '\n') len = put(buf, n, len, "\\n");
      else if (*s == '\t') len = put(buf, n, len, "\\t");
      else if ((unsigned char)*s < 0x20) len = put(buf, n, len, "\\x%02x", (unsigned char)*s);
      else len = put(buf, n, len, "%c", *s);
    }
    return put(buf, n, len, "\"");
  case NND_VAL_LIST:
    len = put(buf, n, len, "[");
    for (int i = 0; i < v->count && len < n; i++) {
      if (i) len = put(buf, n, len, ", ");
      len = format_rec(&v->items[i], buf, n, len);
    }
    return put(buf, n, len, "]");
  case NND_VAL_CALL:
    len = put(buf, n, len, "%s(", v->str);
    for (int i = 0; i < v->count && len < n; i++) {
      if (i) len = put(buf, n, len, ", ");
      if (v->names && v->names[i]) len = put(buf, n, len, "%s=", v->names[i]);
      len = format_rec(&v->items[i], buf, n, len);
    }
    return put(buf, n, len, ")");
  }
  return len;
}

size_t nnd_value_format(const nnd_value *v, char *buf, size_t n) {
  if (n) buf[0] = '\0';
  return format_rec(v, buf, n, 0);
}

/* Short text of a value for a message, cut with "..." when long. */
static const char *brief(const nnd_value *v, char *buf, size_t n) {
  size_t len = nnd_value_format(v, buf, n);
  if (len >= n && n > 4) strcpy(buf + n - 4, "...");
  return buf;
}

/* -------------------------------------------------------------- literals */

static int literal_rec(const nnd_value *v, int depth, int *ndim, int64_t *dim,
                       char *msg, size_t msg_n) {
  if (v->kind == NND_VAL_NUMBER) {
    if (*ndim < 0) *ndim = depth;
    if (*ndim != depth) {
      snprintf(msg, msg_n, "tensor literal is ragged: a number stands where a list "
                           "of rank %d was expected", *ndim - depth);
      return -1;
    }
    return 0;
  }
  if (v->kind != NND_VAL_LIST) {
    char b[64];
    snprintf(msg, msg_n, "tensor literals hold numbers, not %s", brief(v, b, sizeof b));
    return -1;
  }
  if (depth >= LITERAL_MAX_RANK) {
    snprintf(msg, msg_n, "tensor literal has more than %d dimensions", LITERAL_MAX_RANK);
    return -1;
  }
  if (v->count == 0) {
    snprintf(msg, msg_n, "tensor literal has an empty list");
    return -1;
  }
  if (*ndim >= 0 && depth >= *ndim) {
    snprintf(msg, msg_n, "tensor literal is ragged: a list stands where a number "
                         "was expected");
    return -1;
  }
  if (*ndim < 0 && dim[depth] == 0) dim[depth] = v->count;
  if (dim[depth] != v->count) {
    snprintf(msg, msg_n, "tensor literal is ragged: rows of length %lld and %d",
             (long long)dim[depth], v->count);
    return -1;
  }
  for (int i = 0; i < v->count; i++)
    if (literal_rec(&v->items[i], depth + 1, ndim, dim, msg, msg_n) != 0) return -1;
  return 0;
}

int nnd_literal_shape(const nnd_value *v, int *ndim, int64_t *dim, char *msg,
                      size_t msg_n) {
  int nd = -1;
  int64_t d[LITERAL_MAX_RANK + 1] = {0};
  if (literal_rec(v, 0, &nd, d, msg, msg_n) != 0) return -1;
  *ndim = nd;
  for (int i = 0; i < nd; i++) dim[i] = d[i];
  return 0;
}

static int64_t flatten_rec(const nnd_value *v, float *out, int64_t n, int64_t at) {
  if (v->kind == NND_VAL_NUMBER) {
    if (at < n) out[at] = (float)v->num;
    return at + 1;
  }
  for (int i = 0; i < v->count; i++) at = flatten_rec(&v->items[i], out, n, at);
  return at;
}

int64_t nnd_literal_flatten(const nnd_value *v, float *out, int64_t n) {
  return flatten_rec(v, out, n, 0);
}

/* ------------------------------------------------------------- checking */

nnd_value nnd_value_number(double x) {
  nnd_value v = {0};
  v.kind = NND_VAL_NUMBER;
  v.num = x;
  v.is_int = x == floor(x) && fabs(x) < 9007199254740992.0;
  return v;
}

static int is_integer(const nnd_value *v) {
  return v->kind == NND_VAL_NUMBER && v->num == floor(v->num) &&
         fabs(v->num) < 9007199254740992.0;
}

/* How a message names an argument: "`units` of dense", "train setting `batch`". */
static const char *subject(const nnd_attr_sig *sig, const char *name, char *buf, size_t n) {
  if (sig->noun)
    snprintf(buf, n, "%s %s `%s`", sig->owner, sig->noun, name);
  else
    snprintf(buf, n, "`%s` of %s", name, sig->owner);
  return buf;
}

static int check_bounds(const nnd_attr_sig *sig, const nnd_attr_spec *s, double x,
                        char *msg, size_t msg_n) {
  int low = s->has_min && (s->min_exclusive ? x <= s->min : x < s->min);
  int high = s->has_max && (s->max_exclusive ? x >= s->max : x > s->max);
  if (!low && !high) return 0;
  char lo[40], hi[40], got[40], who[160];
  nnd_number_str(s->min, lo, sizeof lo);
  nnd_number_str(s->max, hi, sizeof hi);
  nnd_number_str(x, got, sizeof got);
  subject(sig, s->name, who, sizeof who);
  if (s->has_min && s->has_max)
    snprintf(msg, msg_n, "%s must be in %s%s, %s%s, got %s", who,
             s->min_exclusive ? "(" : "[", lo, hi, s->max_exclusive ? ")" : "]", got);
  else if (s->has_min)
    snprintf(msg, msg_n, "%s must be %s %s, got %s", who, s->min_exclusive ? ">" : ">=", lo,
             got);
  else
    snprintf(msg, msg_n, "%s must be %s %s, got %s", who, s->max_exclusive ? "<" : "<=", hi,
             got);
  return -1;
}

static int type_error(const nnd_attr_sig *sig, const nnd_attr_spec *s,
                      const nnd_value *v, char *msg, size_t msg_n) {
  char who[160];
  char b[64];
  snprintf(msg, msg_n, "%s must be %s, got %s", subject(sig, s->name, who, sizeof who), 
           nnd_attr_type_name(s->type), brief(v, b, sizeof b));
  return -1;
}

static int check_ints(const nnd_attr_sig *sig, const nnd_attr_spec *s,
                      const nnd_value *v, nnd_arena *arena, nnd_value *out,
                      char *msg, size_t msg_n) {
  char who[160];
  int count = s->count;
  if (v->kind == NND_VAL_NUMBER) {
    if (!is_integer(v)) return type_error(sig, s, v, msg, msg_n);
    if (check_bounds(sig, s, v->num, msg, msg_n)) return -1;
    int k = count > 0 ? count : 1;
    nnd_value *items = nnd_arena_alloc(arena, (size_t)k * sizeof *items);
    if (!items) return snprintf(msg, msg_n, "out of memory"), -1;
    for (int i = 0; i < k; i++) items[i] = nnd_value_number(v->num);
    *out = (nnd_value){.kind = NND_VAL_LIST, .count = k, .items = items};
    return 0;
  }
  if (v->kind != NND_VAL_LIST || v->count == 0) return type_error(sig, s, v, msg, msg_n);
  if (count > 0 && v->count != count) {
    snprintf(msg, msg_n, "%s takes %d integer%s, got a list of %d", subject(sig, s->name, who, sizeof who),
              count, count == 1 ? "" : "s", v->count);
    return -1;
  }
  if (v->count > NND_MAX_DIMS) {
    snprintf(msg, msg_n, "%s has more than %d entries", subject(sig, s->name, who, sizeof who), 
             NND_MAX_DIMS);
    return -1;
  }
  for (int i = 0; i < v->count; i++) {
    if (!is_integer(&v->items[i])) return type_error(sig, s, v, msg, msg_n);
    if (check_bounds(sig, s, v->items[i].num, msg, msg_n)) return -1;
  }
  *out = *v;
  return 0;
}

static int check_one(const nnd_attr_sig *sig, const nnd_attr_spec *s,
                     const nnd_value *v, nnd_arena *arena, nnd_value *out,
                     char *msg, size_t msg_n) {
  char who[160];
  char b[64];
  switch (s->type) {
  case NND_ATTR_INT:
    if (!is_integer(v)) return type_error(sig, s, v, msg, msg_n);
    if (check_bounds(sig, s, v->num, msg, msg_n)) return -1;
    *out = nnd_value_number(v->num);
    return 0;
  case NND_ATTR_FLOAT:
    if (v->kind != NND_VAL_NUMBER) return type_error(sig, s, v, msg, msg_n);
    if (check_bounds(sig, s, v->num, msg, msg_n)) return -1;
    /* kernels and tensors take it as a float: past the range it is inf */
    if (fabs(v->num) > FLT_MAX) {
      snprintf(msg, msg_n, "%s is out of range for a 32-bit float, got %s",
               subject(sig, s->name, who, sizeof who), brief(v, b, sizeof b));
      return -1;
    }
    *out = *v;
    return 0;
  case NND_ATTR_BOOL:
    if (v->kind != NND_VAL_BOOL) return type_error(sig, s, v, msg, msg_n);
    *out = *v;
    return 0;
  case NND_ATTR_STRING:
    if (v->kind != NND_VAL_STRING) return type_error(sig, s, v, msg, msg_n);
    if (s->choices) {
      size_t len = strlen(v->str);
      const char *c = s->choices;
      int ok = 0;
      while (*c && !ok) {
        const char *bar = strchr(c, '|');
        size_t clen = bar ? (size_t)(bar - c) : strlen(c);
        ok = clen == len && strncmp(c, v->str, len) == 0;
        c += clen + (bar ? 1 : 0);
      }
      if (!ok) {
        snprintf(msg, msg_n, "%s must be one of %s, got %s", subject(sig, s->name, who, sizeof who),
                  s->choices, brief(v, b, sizeof b));
        return -1;
      }
    }
    *out = *v;
    return 0;
  case NND_ATTR_INTS:
    return check_ints(sig, s, v, arena, out, msg, msg_n);
  case NND_ATTR_PADDING:
    if (v->kind == NND_VAL_STRING) {
      if (strcmp(v->str, "same") != 0 && strcmp(v->str, "valid") != 0) {
        snprintf(msg, msg_n, "%s must be an integer, \"same\" or \"valid\", got %s",
                 subject(sig, s->name, who, sizeof who),  brief(v, b, sizeof b));
        return -1;
      }
      *out = *v;
      return 0;
    }
    return check_ints(sig, s, v, arena, out, msg, msg_n);
  case NND_ATTR_INIT:
    if (v->kind == NND_VAL_BOOL) {
      if (v->num == 0 && s->optional) {
        *out = *v;
        return 0;
      }
      snprintf(msg, msg_n, "%s must be %s%s, got %s", subject(sig, s->name, who, sizeof who), 
               nnd_attr_type_name(s->type), s->optional ? " (or false)" : "",
               brief(v, b, sizeof b));
      return -1;
    }
    if (v->kind == NND_VAL_CALL) {
      if (nnd_call_resolve(NND_CALL_INITIALIZER, v, arena, out, msg, msg_n) != 0) return -1;
      return 0;
    }
    if (v->kind == NND_VAL_NUMBER || v->kind == NND_VAL_LIST) {
      int nd;
      int64_t dim[NND_MAX_DIMS];
      char m[256];
      if (nnd_literal_shape(v, &nd, dim, m, sizeof m) != 0) {
        snprintf(msg, msg_n, "%s: %s", subject(sig, s->name, who, sizeof who),  m);
        return -1;
      }
      *out = *v;
      return 0;
    }
    return type_error(sig, s, v, msg, msg_n);
  case NND_ATTR_SHAPE: {
    if (v->kind != NND_VAL_LIST || v->count == 0 || v->count > NND_MAX_DIMS)
      return type_error(sig, s, v, msg, msg_n);
    int wild = 0;
    for (int i = 0; i < v->count; i++) {
      const nnd_value *d = &v->items[i];
      if (!is_integer(d) || (d->num < 1 && d->num != -1))
        return snprintf(msg, msg_n, "%s: dimensions are positive integers or "
                                    "one -1, got %s", subject(sig, s->name, who, sizeof who), 
                        brief(v, b, sizeof b)), -1;
      wild += d->num == -1;
    }
    if (wild > 1)
      return snprintf(msg, msg_n, "%s may infer one dimension (-1), not %d",
                      subject(sig, s->name, who, sizeof who),  wild), -1;
    *out = *v;
    return 0;
  }
  case NND_ATTR_CALL:
    if (v->kind != NND_VAL_CALL) {
      snprintf(msg, msg_n, "%s must be %s call, got %s", subject(sig, s->name, who, sizeof who), 
               s->call_kind == NND_CALL_INITIALIZER ? "an initializer"
               : s->call_kind == NND_CALL_OPTIMIZER ? "an optimizer"
               : s->call_kind == NND_CALL_DATA ? "a data source" : "a schedule",
               brief(v, b, sizeof b));
      return -1;
    }
    return nnd_call_resolve(s->call_kind, v, arena, out, msg, msg_n);
  case NND_ATTR_ANY:
    *out = *v;
    return 0;
  }
  return type_error(sig, s, v, msg, msg_n);
}

static int make_default(const nnd_attr_sig *sig, const nnd_attr_spec *s,
                        nnd_arena *arena, nnd_value *out, char *msg, size_t msg_n) {
  nnd_value v = {0};
  switch (s->type) {
  case NND_ATTR_BOOL:
    v.kind = NND_VAL_BOOL;
    v.num = s->def_num != 0;
    break;
  case NND_ATTR_STRING:
    v.kind = NND_VAL_STRING;
    v.str = s->def_str ? s->def_str : "";
    break;
  case NND_ATTR_PADDING:
    if (s->def_str) {
      v.kind = NND_VAL_STRING;
      v.str = s->def_str;
    } else {
      v = nnd_value_number(s->def_num);
    }
    break;
  case NND_ATTR_INIT:
  case NND_ATTR_CALL:
    if (!s->def_str) return 0;
    v.kind = NND_VAL_CALL;
    v.str = s->def_str;
    break;
  case NND_ATTR_ANY:
  case NND_ATTR_SHAPE:
    return 0;
  default:
    v = nnd_value_number(s->def_num);
  }
  return check_one(sig, s, &v, arena, out, msg, msg_n);
}

static int find_spec(const nnd_attr_sig *sig, const char *name) {
  for (int i = 0; i < sig->n_specs; i++)
    if (strcmp(sig->specs[i].name, name) == 0) return i;
  return -1;
}

static void unknown_name(const nnd_attr_sig *sig, const char *name, char *msg,
                         size_t msg_n) {
  nnd_suggest sg;
  nnd_suggest_init(&sg, name);
  char known[256] = "";
  size_t len = 0;
  for (int i = 0; i < sig->n_specs; i++) {
    nnd_suggest_offer(&sg, sig->specs[i].name);
    len += (size_t)snprintf(known + (len < sizeof known ? len : sizeof known),
                            len < sizeof known ? sizeof known - len : 0, "%s%s",
                            i ? ", " : "", sig->specs[i].name);
  }
  const char *noun = sig->noun ? sig->noun : "attribute";
  if (sg.best)
    snprintf(msg, msg_n, "%s has no %s `%s`; did you mean `%s`?", sig->owner, noun, name,
             sg.best);
  else if (sig->n_specs)
    snprintf(msg, msg_n, "%s has no %s `%s` (it takes: %s)", sig->owner, noun, name, known);
  else
    snprintf(msg, msg_n, "%s takes no arguments, but `%s` was given", sig->owner, name);
}

int nnd_attrs_resolve(const nnd_attr_sig *sig, int n, const char *const *names,
                      const nnd_value *values, nnd_arena *arena, nnd_value *out,
                      int *bad, char *msg, size_t msg_n) {
  int given[64] = {0};
  char who[160];
  if (sig->n_specs > 64) {
    snprintf(msg, msg_n, "%s declares more than 64 attributes", sig->owner);
    *bad = -1;
    return -1;
  }
  for (int i = 0; i < sig->n_specs; i++) out[i] = (nnd_value){0};
  int next_positional = 0;
  for (int i = 0; i < n; i++) {
    *bad = i;
    int k;
    if (!names || !names[i]) {
      if (next_positional >= sig->n_positional) {
        if (sig->n_specs == 0)
          snprintf(msg, msg_n, "%s takes no arguments", sig->owner);
        else if (sig->n_positional == 0)
          snprintf(msg, msg_n, "%s takes its arguments by name (name=value)", sig->owner);
        else
          snprintf(msg, msg_n, "%s takes %d positional argument%s, got more", sig->owner,
                   sig->n_positional, sig->n_positional == 1 ? "" : "s");
        return -1;
      }
      k = next_positional++;
    } else {
      k = find_spec(sig, names[i]);
      if (k < 0) {
        unknown_name(sig, names[i], msg, msg_n);
        return -1;
      }
    }
    if (given[k]) {
      snprintf(msg, msg_n, "%s is given twice", subject(sig, sig->specs[k].name, who, sizeof who));
      return -1;
    }
    given[k] = 1;
    if (check_one(sig, &sig->specs[k], &values[i], arena, &out[k], msg, msg_n) != 0)
      return -1;
  }
  *bad = -1;
  for (int k = 0; k < sig->n_specs; k++) {
    const nnd_attr_spec *s = &sig->specs[k];
    if (given[k]) continue;
    if (s->required) {
      snprintf(msg, msg_n, "%s needs `%s` (%s)", sig->owner, s->name,
               s->doc ? s->doc : nnd_attr_type_name(s->type));
      return -1;
    }
    if (s->has_default && make_default(sig, s, arena, &out[k], msg, msg_n) != 0) return -1;
  }
  return 0;
}

/* Rules that tie two arguments of a standard call together, which the
 * per-argument ranges cannot say; checked here so the error points at the
 * call instead of surfacing at the first training step. */
static int check_call_rules(int kind, const nnd_value *call, char *msg, size_t msg_n) {
  if (kind == NND_CALL_INITIALIZER && strcmp(call->str, "uniform") == 0) {
    double low = nnd_num(nnd_call_arg(call, "low"), 0);
    double high = nnd_num(nnd_call_arg(call, "high"), 0);
    if (!(low < high))
      return snprintf(msg, msg_n, "uniform needs low < high, got low=%g and high=%g", low, high),
             -1;
  }
  if (kind == NND_CALL_OPTIMIZER && strcmp(call->str, "sgd") == 0 &&
      nnd_num(nnd_call_arg(call, "nesterov"), 0) != 0 &&
      !(nnd_num(nnd_call_arg(call, "momentum"), 0) > 0))
    return snprintf(msg, msg_n, "sgd with nesterov=true needs a momentum above 0 "
                                "(as in PyTorch)"),
           -1;
  return 0;
}

int nnd_call_resolve(int kind, const nnd_value *call, nnd_arena *arena,
                     nnd_value *out, char *msg, size_t msg_n) {
  const nnd_call_schema *cs = nnd_registry_find_call((nnd_call_kind)kind, call->str);
  if (!cs) {
    const char *near = nnd_registry_suggest_call((nnd_call_kind)kind, call->str);
    char known[512];
    nnd_registry_list(kind, known, sizeof known);
    if (near)
      snprintf(msg, msg_n, "unknown %s `%s`; did you mean `%s`?",
               nnd_call_kind_name((nnd_call_kind)kind), call->str, near);
    else
      snprintf(msg, msg_n, "unknown %s `%s` (known: %s)",
               nnd_call_kind_name((nnd_call_kind)kind), call->str, known);
    return -1;
  }
  nnd_attr_sig sig = {cs->name, cs->attrs, cs->n_attrs, cs->n_positional, NULL};
  nnd_value *items = nnd_arena_alloc(arena, (size_t)(cs->n_attrs + 1) * sizeof *items);
  const char **names = nnd_arena_alloc(arena, (size_t)(cs->n_attrs + 1) * sizeof *names);
  if (!items || !names) return snprintf(msg, msg_n, "out of memory"), -1;
  int bad;
  if (nnd_attrs_resolve(&sig, call->count, call->names, call->items, arena, items, &bad,
                        msg, msg_n) != 0)
    return -1;
  int k = 0;
  for (int i = 0; i < cs->n_attrs; i++) {
    if (items[i].kind == NND_VAL_NONE) continue;
    items[k] = items[i];
    names[k] = cs->attrs[i].name;
    k++;
  }
  *out = (nnd_value){.kind = NND_VAL_CALL, .str = cs->name, .count = k, .items = items,
                     .names = names};
  return check_call_rules(kind, out, msg, msg_n);
}
