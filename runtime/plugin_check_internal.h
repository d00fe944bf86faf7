/* plugin_check_internal.h — between the parts of the plugin conformance run. */
#ifndef NND_PLUGIN_CHECK_INTERNAL_H
#define NND_PLUGIN_CHECK_INTERNAL_H

#include <nnd/nnd.h>

#include "plugin_check.h"

#define PC_MAX_INPUTS 16
#define PC_GRAD_TOL NND_PLUGIN_CHECK_GRAD_TOL
#define PC_REF_TOL NND_PLUGIN_CHECK_REF_TOL

typedef struct {
  int cases, skipped, failed;
  double grad_error, ref_error;
  char reason[640];
} pc_result;

/* Run the kernel of `backend` on node `y` of m at batch 4 (and the kernel
 * of `ref` on the same inputs, when ref is another backend). must_run: a
 * backend that declines the node fails rather than skips. Failures go to
 * res (the first one's reason is kept); returns -1 when the kernel failed. */
int pc_run_case(const nnd_model *m, const char *backend, const char *ref, int must_run,
                pc_result *res);

#endif
