/* init.h — initial values of parameters: literals and initializer calls. */
#ifndef NND_INIT_H
#define NND_INIT_H

#include <nnd/plugin.h>
#include <stddef.h>

#include "rng.h"

/* Fill out (the numel of t) from init: a number (broadcast), a tensor
 * literal, or a call to xavier/glorot, he/kaiming, uniform, normal, zeros,
 * ones or constant. Returns -1 with a message for an unknown initializer. */
int nnd_init_fill(const nnd_value *init, const nnd_type *t, nnd_rng *rng, float *out,
                  char *msg, size_t msg_n);

#endif
