/* kernel_harness.h — running one kernel on one node, outside any session.
 *
 * A case is written as a small .nnd model; the harness compiles it, takes
 * the named node (its attributes are then exactly what the compiler makes of
 * them), allocates its inputs for a batch with seeded random data (or the
 * literal values the model gives), and runs a kernel's forward and backward.
 * The finite-difference check compares backward with central differences of
 * L = sum(output * R) for a fixed random R. */
#ifndef NND_KERNEL_HARNESS_H
#define NND_KERNEL_HARNESS_H

#include <nnd/nnd.h>
#include <nnd/plugin.h>

#include "ir.h"

#define KT_MAX_INPUTS 16

typedef struct {
  nnd_model *model;
  const nnd_node *node;
  int batch;
  int n_inputs;
  nnd_tensor in[KT_MAX_INPUTS];
  nnd_tensor grad_in[KT_MAX_INPUTS];
  int is_label[KT_MAX_INPUTS];    /* class or binary input: no gradient */
  nnd_tensor out, grad_out;
  void *workspace;
  size_t workspace_size;
  uint64_t seed;
  char message[512];
} kt_case;

/* Compile src, find node `name`, allocate for `batch` samples (inputs with a
 * literal value keep it and its batch). Returns 0, or -1 with c->message. */
int kt_setup(kt_case *c, const char *src, const char *name, int batch, uint64_t seed);
void kt_free(kt_case *c);

/* Fill input i from values (numel of them). */
void kt_set(kt_case *c, int i, const float *values);

int kt_forward(kt_case *c, const nnd_kernel *k, int training);
/* Backward with grad_out as set (kt_setup fills it with random values). */
int kt_backward(kt_case *c, const nnd_kernel *k, int training);

/* Max relative error |analytic - numeric| / max(1e-2, |analytic|, |numeric|)
 * over every element of every float input; infinite when an output or a
 * gradient is NaN or infinite; -1 when a kernel call fails. */
double kt_gradcheck(kt_case *c, const nnd_kernel *k, int training, double eps);

/* A CUnit-friendly check that prints the case on failure; NaN or infinity
 * in got or want fails. */
int kt_close(const float *got, const float *want, int64_t n, double tol, const char *what);

#endif
