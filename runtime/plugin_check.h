/* plugin_check.h — the conformance run of one plugin (`nnd plugins
 * --check`): what a plugin author runs before shipping. For every op the
 * plugin adds, its schema on generated inputs and attribute values; for
 * every kernel of that op, and every kernel the plugin adds for a standard
 * op, forward (deterministic, writing nothing outside its output), backward
 * against finite differences, and agreement with a reference kernel. The
 * results come back as rows; nothing is printed here. */
#ifndef NND_PLUGIN_CHECK_H
#define NND_PLUGIN_CHECK_H

#include <stddef.h>

typedef struct {
  char op[128];
  char backend[64];     /* "" for the schema row */
  char reference[64];   /* the backend it was compared with, "" when none */
  int cases;            /* configurations run */
  int skipped;          /* configurations that could not be generated or run */
  double grad_error;    /* worst relative error of backward against differences,
                           -1 when none was measured */
  double ref_error;     /* worst relative error against the reference kernel, -1: none */
  int failed;
  char reason[640];     /* why it failed (the first failure), or a note */
} nnd_plugin_check_row;

/* Tolerances: a relative error |a - n| / max(|a|, |n|, 1e-2) above these
   fails; NaN or infinity always does. */
#define NND_PLUGIN_CHECK_GRAD_TOL 1e-2
#define NND_PLUGIN_CHECK_REF_TOL 1e-3

/* Check what the plugin loaded from `origin` (its record's path) registered.
 * Returns the number of failed rows (0: it conforms), or -1 with a message
 * in err when nothing could be checked (the plugin registered nothing, or
 * out of memory). *rows is malloc'ed; free it. */
int nnd_plugin_check(const char *origin, nnd_plugin_check_row **rows, int *n_rows,
                     char *err, size_t err_n);

/* The model source of a small case for standard op `op` (its node is `y`),
 * the i-th of them, or NULL past the last. */
const char *nnd_plugin_check_standard_case(const char *op, int i);

#endif
