/* strmap.c — see strmap.h. FNV-1a hashing, linear probing, load <= 1/2. */
#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash(const char *s) {
  uint64_t h = 1469598103934665603ull;
  while (*s) h = (h ^ (unsigned char)*s++) * 1099511628211ull;
  return h;
}

void nnd_strmap_init(nnd_strmap *m) { memset(m, 0, sizeof *m); }

void nnd_strmap_free(nnd_strmap *m) {
  for (size_t i = 0; i < m->cap; i++) free(m->keys[i]);
  free(m->keys);
  free(m->vals);
  memset(m, 0, sizeof *m);
}

static size_t slot(const nnd_strmap *m, const char *key) {
  size_t i = (size_t)hash(key) & (m->cap - 1);
  while (m->keys[i] && strcmp(m->keys[i], key) != 0) i = (i + 1) & (m->cap - 1);
  return i;
}

static int grow(nnd_strmap *m) {
  size_t cap = m->cap ? m->cap * 2 : 64;
  nnd_strmap n = {calloc(cap, sizeof(char *)), calloc(cap, sizeof(int)), cap, 0};
  if (!n.keys || !n.vals) {
    free(n.keys);
    free(n.vals);
    return -1;
  }
  for (size_t i = 0; i < m->cap; i++) {
    if (!m->keys[i]) continue;
    size_t j = slot(&n, m->keys[i]);
    n.keys[j] = m->keys[i];
    n.vals[j] = m->vals[i];
    n.count++;
  }
  free(m->keys);
  free(m->vals);
  *m = n;
  return 0;
}

int nnd_strmap_put(nnd_strmap *m, const char *key, int val) {
  if ((m->count + 1) * 2 > m->cap && grow(m) != 0) return -1;
  size_t i = slot(m, key);
  if (!m->keys[i]) {
    m->keys[i] = strdup(key);
    if (!m->keys[i]) return -1;
    m->count++;
  }
  m->vals[i] = val;
  return 0;
}

int nnd_strmap_get(const nnd_strmap *m, const char *key, int *val) {
  if (!m->cap) return 0;
  size_t i = slot(m, key);
  if (!m->keys[i]) return 0;
  if (val) *val = m->vals[i];
  return 1;
}

const char *nnd_strmap_next(const nnd_strmap *m, size_t *pos, int *val) {
  for (; *pos < m->cap; (*pos)++) {
    if (m->keys[*pos]) {
      if (val) *val = m->vals[*pos];
      return m->keys[(*pos)++];
    }
  }
  return NULL;
}
