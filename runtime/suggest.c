/* suggest.c — see suggest.h. */
#include "suggest.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int nnd_edit_distance(const char *a, const char *b, int limit) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64 || lb > 64) return strcmp(a, b) == 0 ? 0 : limit + 1;
  if ((la > lb ? la - lb : lb - la) > (size_t)limit) return limit + 1;
  int d[65][65];
  for (size_t i = 0; i <= la; i++) d[i][0] = (int)i;
  for (size_t j = 0; j <= lb; j++) d[0][j] = (int)j;
  for (size_t i = 1; i <= la; i++)
    for (size_t j = 1; j <= lb; j++) {
      int cost = a[i - 1] != b[j - 1];
      int v = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
      if (d[i - 1][j - 1] + cost < v) v = d[i - 1][j - 1] + cost;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
          d[i - 2][j - 2] + 1 < v)
        v = d[i - 2][j - 2] + 1;
      d[i][j] = v;
    }
  return d[la][lb] > limit ? limit + 1 : d[la][lb];
}

void nnd_suggest_init(nnd_suggest *s, const char *word) {
  s->word = word;
  s->best = NULL;
  s->best_dist = 1 << 30;
}

void nnd_suggest_offer(nnd_suggest *s, const char *candidate) {
  if (!candidate || strcmp(candidate, s->word) == 0) return;
  size_t lw = strlen(s->word), lc = strlen(candidate);
  /* one edit turns any short name into any other: for names of one or two
     letters only a difference of case is a likely typo */
  if (lw <= 2 && lc <= 2) {
    if (strcasecmp(s->word, candidate) == 0 && s->best_dist > 1) {
      s->best = candidate;
      s->best_dist = 1;
    }
    return;
  }
  int limit = (int)((lw > lc ? lw : lc) / 3);
  if (limit < 1) limit = 1;
  int d = nnd_edit_distance(s->word, candidate, limit);
  if (d <= limit && d < s->best_dist) {
    s->best = candidate;
    s->best_dist = d;
  }
}
