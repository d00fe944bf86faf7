/* train_config.c — see train_config.h. */
#include "train_config.h"

static const nnd_attr_spec train_keys[] = {
    {.name = "data", .type = NND_ATTR_CALL, .call_kind = NND_CALL_DATA,
     .doc = "training data source, e.g. idx(images, labels, scale=1/255)"},
    {.name = "test", .type = NND_ATTR_CALL, .call_kind = NND_CALL_DATA,
     .doc = "test data source, evaluated after each epoch"},
    {.name = "validation", .type = NND_ATTR_FLOAT, .has_min = 1, .min = 0, .has_max = 1,
     .max = 0.9, .has_default = 1, .def_num = 0,
     .doc = "fraction of the training data held out for validation"},
    {.name = "optimizer", .type = NND_ATTR_CALL, .call_kind = NND_CALL_OPTIMIZER,
     .has_default = 1, .def_str = "sgd", .doc = "optimizer, e.g. sgd(lr=0.01, momentum=0.9)"},
    {.name = "schedule", .type = NND_ATTR_CALL, .call_kind = NND_CALL_SCHEDULE,
     .has_default = 1, .def_str = "constant",
     .doc = "learning-rate schedule: constant(), step(every, gamma), cosine(min_lr)"},
    {.name = "batch", .type = NND_ATTR_INT, .has_min = 1, .min = 1, .has_max = 1,
     .max = 1 << 20, .has_default = 1, .def_num = 32, .doc = "samples per step"},
    {.name = "epochs", .type = NND_ATTR_INT, .has_min = 1, .min = 1, .has_max = 1,
     .max = 1e6, .has_default = 1, .def_num = 1, .doc = "passes over the training data"},
    {.name = "seed", .type = NND_ATTR_INT, .has_min = 1, .min = 0, .has_max = 1,
     .max = 4294967295.0, .has_default = 1, .def_num = 42,
     .doc = "seed for initialization, shuffling and dropout"},
    {.name = "shuffle", .type = NND_ATTR_BOOL, .has_default = 1, .def_num = 1,
     .doc = "shuffle the training data each epoch"},
};

static const nnd_attr_sig signature = {
    "train", train_keys, (int)(sizeof train_keys / sizeof train_keys[0]), 0, "setting"};

const nnd_attr_sig *nnd_train_signature(void) { return &signature; }

/* --------------------------------------------------------- overrides */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"
#include "value.h"

/* A command-line value is written as in the file: the compiler parses and
 * folds it (lang/value.c), so "text" is a string without its quotes,
 * adam(lr=0.1) a call, 1/255 a number, and bare words are names, not
 * strings. */
static int parse_value(nnd_model *m, const char *assignment, size_t key_len, nnd_value *v,
                       char *err, size_t err_size) {
  char what[160];
  snprintf(what, sizeof what, "--set %.*s", (int)key_len, assignment);
  const char *text = assignment + key_len + 1;
  if (nnd_compile_value(what, text, m, v, err, err_size) == 0) return 0;
  /* the old command line took unquoted text as a string: say what changed */
  if (!strpbrk(text, "\"([") && (strstr(err, "unexpected") || strstr(err, "undefined")) &&
      (isalpha((unsigned char)text[0]) || text[0] == '/' ||
                             text[0] == '.' || text[0] == '_')) {
    size_t used = strlen(err);
    if (used < err_size)
      snprintf(err + used, err_size - used, " (a string is quoted, as in the file: --set "
               "'%.*s=\"%s\"')", (int)key_len, assignment, text);
  }
  return -1;
}

static nnd_setting *find_or_add(nnd_model *m, const char *key) {
  for (int i = 0; i < m->n_settings; i++)
    if (strcmp(m->settings[i].key, key) == 0) return &m->settings[i];
  /* room for every key: the settings array is made once, in the arena */
  const nnd_attr_sig *sig = nnd_train_signature();
  if (m->n_settings == 0 || m->settings == NULL) {
    m->settings = nnd_arena_alloc(&m->arena, (size_t)sig->n_specs * sizeof *m->settings);
    if (!m->settings) return NULL;
  }
  if (m->n_settings >= sig->n_specs) return NULL;
  nnd_setting *s = &m->settings[m->n_settings++];
  memset(s, 0, sizeof *s);
  s->key = key;
  return s;
}

int nnd_train_override(nnd_model *m, const char *assignment, char *err, size_t err_size) {
  const char *eq = strchr(assignment, '=');
  if (!eq || eq == assignment) {
    snprintf(err, err_size, "--set takes KEY=VALUE, got '%s'", assignment);
    return -1;
  }
  char key[128];
  snprintf(key, sizeof key, "%.*s", (int)(eq - assignment), assignment);
  const char *dot = strchr(key, '.');
  if (dot) key[dot - key] = '\0';
  const nnd_attr_sig *sig = nnd_train_signature();
  int k = -1;
  for (int i = 0; i < sig->n_specs; i++)
    if (strcmp(sig->specs[i].name, key) == 0) k = i;
  if (k < 0) {
    const char *names[] = {key};
    nnd_value none = {0};
    nnd_value out[16];
    int bad;
    nnd_attrs_resolve(sig, 1, names, &none, &m->arena, out, &bad, err, err_size);
    return -1;
  }
  const nnd_attr_spec *spec = &sig->specs[k];
  nnd_value v, resolved;
  if (parse_value(m, assignment, (size_t)(eq - assignment), &v, err, err_size) != 0) return -1;
  if (dot) {
    /* optimizer.lr=0.1: replace (or add) one argument of the call */
    nnd_setting *cur = NULL;
    for (int i = 0; i < m->n_settings; i++)
      if (strcmp(m->settings[i].key, key) == 0) cur = &m->settings[i];
    if (!cur || cur->value.kind != NND_VAL_CALL) {
      snprintf(err, err_size, "--set %s: `%s` is not set to a call in the train block",
               assignment, key);
      return -1;
    }
    const char *arg = dot + 1 - key + assignment;
    size_t arg_len = (size_t)(eq - arg);
    int n = cur->value.count;
    nnd_value *items = nnd_arena_alloc(&m->arena, (size_t)(n + 1) * sizeof *items);
    const char **names = nnd_arena_alloc(&m->arena, (size_t)(n + 1) * sizeof *names);
    if (!items || !names) return snprintf(err, err_size, "out of memory"), -1;
    int replaced = 0;
    for (int i = 0; i < n; i++) {
      items[i] = cur->value.items[i];
      names[i] = cur->value.names[i];
      if (names[i] && strlen(names[i]) == arg_len && strncmp(names[i], arg, arg_len) == 0) {
        items[i] = v;
        replaced = 1;
      }
    }
    if (!replaced) {
      items[n] = v;
      names[n] = nnd_arena_strndup(&m->arena, arg, arg_len);
      n++;
    }
    nnd_value call = cur->value;
    call.items = items;
    call.names = names;
    call.count = n;
    if (nnd_call_resolve(spec->call_kind, &call, &m->arena, &resolved, err, err_size) != 0)
      return -1;
  } else {
    const char *names[] = {spec->name};
    nnd_value out[16];
    int bad;
    if (nnd_attrs_resolve(sig, 1, names, &v, &m->arena, out, &bad, err, err_size) != 0)
      return -1;
    resolved = out[k];
  }
  nnd_setting *s = find_or_add(m, spec->name);
  if (!s) return snprintf(err, err_size, "out of memory"), -1;
  s->value = resolved;
  s->given = 1;
  return 0;
}
