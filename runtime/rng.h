/* rng.h — the seeded generator behind initialization, shuffling and random
 * inputs: splitmix64, small and bit-identical everywhere. */
#ifndef NND_RNG_H
#define NND_RNG_H

#include <stdint.h>

typedef struct {
  uint64_t state;
} nnd_rng;

static inline uint64_t nnd_rng_next(nnd_rng *r) {
  uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Uniform in [0, 1), 53 bits. */
static inline double nnd_rng_uniform(nnd_rng *r) {
  return (double)(nnd_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Fisher-Yates over a[0..n): the order of an epoch, of a held-out split. */
static inline void nnd_rng_shuffle(nnd_rng *r, int64_t *a, int64_t n) {
  for (int64_t i = n - 1; i > 0; i--) {
    int64_t j = (int64_t)(nnd_rng_next(r) % (uint64_t)(i + 1));
    int64_t t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

/* A stream derived from a seed and a name, so that one parameter's values do
 * not depend on which other parameters the model has. */
nnd_rng nnd_rng_for(uint64_t seed, const char *name);
double nnd_rng_normal(nnd_rng *r);

#endif
