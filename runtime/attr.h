/* attr.h — checking values against attribute specs.
 *
 * Ops, initializers, optimizers, data sources and schedules all describe their
 * arguments with nnd_attr_spec; this module is the one place that checks a
 * call's arguments against such a list: names, types, ranges, choices,
 * required flags, defaults, and the normal forms op schemas rely on (see
 * plugin.h). Messages are in the user's terms and carry no location; the
 * caller knows where the argument was written. */
#ifndef NND_ATTR_H
#define NND_ATTR_H

#include <nnd/plugin.h>
#include <stddef.h>

#include "arena.h"

typedef struct {
  const char *owner;          /* "conv2d", "sgd", for messages */
  const nnd_attr_spec *specs;
  int n_specs;
  int n_positional;           /* leading specs that may be given by position */
  const char *noun;           /* NULL: "`x` of owner"; else "owner noun `x`" */
} nnd_attr_sig;

/* Check n arguments (names[i] NULL for a positional one) against sig and fill
 * out[sig->n_specs], index-aligned with the specs, defaults applied and values
 * normalised. On failure returns -1, writes msg and sets *bad to the index of
 * the offending argument, or -1 when the problem is a missing one. */
int nnd_attrs_resolve(const nnd_attr_sig *sig, int n, const char *const *names,
                      const nnd_value *values, nnd_arena *arena, nnd_value *out,
                      int *bad, char *msg, size_t msg_n);

/* Check a call value against the registered schemas of `kind` and return its
 * normal form in *out: every attribute named, in schema order. */
int nnd_call_resolve(int kind, const nnd_value *call, nnd_arena *arena,
                     nnd_value *out, char *msg, size_t msg_n);

/* Shape of a tensor literal (a number, or rectangular nested lists of
 * numbers). Returns -1 with a message when ragged, non-numeric or too deep. */
int nnd_literal_shape(const nnd_value *v, int *ndim, int64_t *dim, char *msg,
                      size_t msg_n);
/* Copy a literal's numbers, row-major, into out[n]; returns the count. */
int64_t nnd_literal_flatten(const nnd_value *v, float *out, int64_t n);

/* A NUMBER value; is_int when x is integral and exactly representable. */
nnd_value nnd_value_number(double x);

/* A number as .nnd text: integral values in full ("4294967295"), others
 * with 9 significant digits, enough to read a float32 back exactly. */
const char *nnd_number_str(double x, char *buf, size_t n);

/* Stable text of a value in .nnd syntax: numbers as nnd_number_str, strings
 * quoted. */
size_t nnd_value_format(const nnd_value *v, char *buf, size_t n);

const char *nnd_attr_type_name(nnd_attr_type t);

#endif
