/* arena.h — bump allocation for data that lives and dies together (an AST, a
 * graph's names and values). Freeing is one call and never recursive, which
 * is what lets a 100,000-deep expression be discarded safely. */
#ifndef NND_ARENA_H
#define NND_ARENA_H

#include <stddef.h>

typedef struct nnd_arena_block nnd_arena_block;
typedef struct {
  nnd_arena_block *head;
  size_t total;   /* bytes handed out, for limits and statistics */
} nnd_arena;

void nnd_arena_init(nnd_arena *a);
void nnd_arena_free(nnd_arena *a);
/* Zeroed memory, aligned for any type; NULL only when malloc fails. */
void *nnd_arena_alloc(nnd_arena *a, size_t size);
char *nnd_arena_strdup(nnd_arena *a, const char *s);
char *nnd_arena_strndup(nnd_arena *a, const char *s, size_t n);
char *nnd_arena_printf(nnd_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
