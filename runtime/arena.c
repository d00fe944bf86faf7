/* arena.c — see arena.h. */
#include "arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_MIN (64 * 1024)

struct nnd_arena_block {
  nnd_arena_block *next;
  size_t used, cap;
  max_align_t data[];
};

void nnd_arena_init(nnd_arena *a) { a->head = NULL; a->total = 0; }

void nnd_arena_free(nnd_arena *a) {
  nnd_arena_block *b = a->head;
  while (b) {
    nnd_arena_block *next = b->next;
    free(b);
    b = next;
  }
  a->head = NULL;
  a->total = 0;
}

void *nnd_arena_alloc(nnd_arena *a, size_t size) {
  const size_t align = sizeof(max_align_t);
  size = (size + align - 1) / align * align;
  if (size == 0) size = align;
  nnd_arena_block *b = a->head;
  if (!b || b->cap - b->used < size) {
    size_t cap = size > BLOCK_MIN ? size : BLOCK_MIN;
    b = malloc(sizeof *b + cap);
    if (!b) return NULL;
    b->used = 0;
    b->cap = cap;
    b->next = a->head;
    a->head = b;
  }
  void *p = (char *)b->data + b->used;
  b->used += size;
  a->total += size;
  memset(p, 0, size);
  return p;
}

char *nnd_arena_strndup(nnd_arena *a, const char *s, size_t n) {
  char *p = nnd_arena_alloc(a, n + 1);
  if (p) memcpy(p, s, n);
  return p;
}

char *nnd_arena_strdup(nnd_arena *a, const char *s) {
  return nnd_arena_strndup(a, s, strlen(s));
}

char *nnd_arena_printf(nnd_arena *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return NULL;
  char *p = nnd_arena_alloc(a, (size_t)n + 1);
  if (!p) return NULL;
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}
