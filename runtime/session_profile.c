/* session_profile.c — the per-node profile a session keeps when asked.
 *
 * A step's time is the sum of its kernels' calls plus what the executor does
 * between them (zeroing gradients, the optimizer); timing each call from the
 * executor, rather than inside the plugins, covers every backend the same
 * way, third-party ones too. The clock is read twice per call (about 40 ns
 * together), which is noise beside any kernel worth profiling. */
#include <stdlib.h>
#include <string.h>

#include "session_profile.h"

int nnd_session_profile_start(nnd_session *s) {
  if (!s->profile) {
    s->profile = calloc((size_t)s->m->n_nodes + 1, sizeof *s->profile);
    if (!s->profile) return -1;
  } else {
    memset(s->profile, 0, (size_t)s->m->n_nodes * sizeof *s->profile);
  }
  s->profile_zero = s->profile_step = 0;
  return 0;
}

const nnd_node_profile *nnd_session_profile_node(const nnd_session *s, int id) {
  if (!s->profile || id < 0 || id >= s->m->n_nodes) return NULL;
  return &s->profile[id];
}
