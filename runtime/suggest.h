/* suggest.h — "did you mean ...?": the closest of a set of names. */
#ifndef NND_SUGGEST_H
#define NND_SUGGEST_H

#include <stddef.h>

/* Edit distance (Damerau: a swap of neighbours counts once), capped at
 * `limit` + 1 so long strings cost little. */
int nnd_edit_distance(const char *a, const char *b, int limit);

/* Keeps the best candidate offered so far. A candidate is close enough when
 * its distance is at most a third of the longer name (at least 1); names of
 * one or two letters match only when they differ in case. */
typedef struct {
  const char *word;
  const char *best;
  int best_dist;
} nnd_suggest;

void nnd_suggest_init(nnd_suggest *s, const char *word);
void nnd_suggest_offer(nnd_suggest *s, const char *candidate);

#endif
