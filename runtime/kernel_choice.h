/* kernel_choice.h — each node's kernel measured at the session's shapes
 * (kernel_choice.c). */
#ifndef NND_KERNEL_CHOICE_H
#define NND_KERNEL_CHOICE_H

#include <stddef.h>

#include "session_internal.h"

/* 1: measure (the default), 0: the fixed preference order
 * (NND_KERNEL_CHOICE=fixed), -1 with msg for any other value. */
int nnd_kernel_choice_mode(char *msg, size_t msg_n);

/* For every op node with several candidate kernels, the fastest one at
 * this batch (measured once per node and batch, then cached): sets
 * s->kernel and s->backend. The session's values and parameters must be
 * laid out for batch; its gradients and workspaces are not touched.
 * Returns -1 only when out of memory. */
int nnd_kernel_choice_apply(nnd_session *s, int batch);

#endif
