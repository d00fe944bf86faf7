/* session_profile.h — where the time of a step goes, per node and kernel
 * (session_profile.c). Off unless asked for: the executor then checks one
 * pointer per node and reads no clock. */
#ifndef NND_SESSION_PROFILE_H
#define NND_SESSION_PROFILE_H

#include <time.h>

#include "session_internal.h"

static inline double nnd_profile_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Starts (or restarts from zero) timing every kernel call, the gradient
 * zeroing of backward and the optimizer step. -1 when out of memory. */
int nnd_session_profile_start(nnd_session *s);

/* Node id's seconds and calls so far, or NULL when not profiling. */
const nnd_node_profile *nnd_session_profile_node(const nnd_session *s, int id);

#endif
