/* strmap.h — a string-to-int hash map (open addressing, keys copied), for
 * scopes and name tables that must stay fast on 10,000-layer models. */
#ifndef NND_STRMAP_H
#define NND_STRMAP_H

#include <stddef.h>

typedef struct {
  char **keys;
  int *vals;
  size_t cap, count;
} nnd_strmap;

void nnd_strmap_init(nnd_strmap *m);
void nnd_strmap_free(nnd_strmap *m);
/* Insert or replace; -1 when out of memory. */
int nnd_strmap_put(nnd_strmap *m, const char *key, int val);
/* 1 and *val when found, else 0. */
int nnd_strmap_get(const nnd_strmap *m, const char *key, int *val);
/* Iterate: returns the next occupied slot at or after *pos, or NULL. */
const char *nnd_strmap_next(const nnd_strmap *m, size_t *pos, int *val);

#endif
