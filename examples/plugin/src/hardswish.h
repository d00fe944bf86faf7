/* hardswish.h — what the two kernels of acme.hardswish share: the function,
 * its derivative and the schema's attribute indices. Static inline, so each
 * kernel file compiles on its own and the plugin exports one symbol. */
#ifndef ACME_HARDSWISH_H
#define ACME_HARDSWISH_H

#include <nnd/plugin.h>

/* hardswish(x) = x * clamp(x + shift, 0, 6) / 6, the MobileNetV3 activation
 * with its shift (3 there) an attribute. */
enum { HARDSWISH_SHIFT, HARDSWISH_NATTRS };

static inline double hardswish_f(double x, double shift) {
  double r = x + shift;
  r = r < 0 ? 0 : r > 6 ? 6 : r;
  return x * r / 6;
}

/* d/dx; at the two kinks the one-sided value of the inner piece */
static inline double hardswish_df(double x, double shift) {
  if (x + shift <= 0) return 0;
  if (x + shift >= 6) return 1;
  return (2 * x + shift) / 6;
}

extern const nnd_kernel acme_hardswish_naive;
#ifdef ACME_HAVE_OPENMP
extern const nnd_kernel acme_hardswish_openmp;
#endif

#endif
