/* shape.h — the arithmetic of types and shapes that op schemas share:
 * formatting for messages, element counts with overflow checks, numpy
 * broadcasting, and the output size of a sliding window. */
#ifndef NND_SHAPE_H
#define NND_SHAPE_H

#include <nnd/plugin.h>
#include <stddef.h>
#include <stdint.h>

/* Largest element count nnd accepts in one tensor (and per sample). */
#define NND_MAX_ELEMENTS (INT64_C(1) << 40)

nnd_type nnd_type_float(int batched, int ndim, const int64_t *dim);
nnd_type nnd_type_scalar(void);  /* an unbatched float scalar: a loss */

/* "[64, 7, 7]"; with `batch`, activations show their batch as "[N, 64, 7, 7]". */
const char *nnd_shape_str(const nnd_type *t, char *buf, size_t n);
const char *nnd_shape_str_batch(const nnd_type *t, char *buf, size_t n);
/* The type in words: "[3] float", "class[10]", "binary". */
const char *nnd_type_str(const nnd_type *t, char *buf, size_t n);

/* Elements per sample (or in total for an unbatched type); -1 on overflow. */
int64_t nnd_type_numel(const nnd_type *t);
int nnd_type_same_shape(const nnd_type *a, const nnd_type *b);

/* numpy broadcasting of two per-sample shapes; returns -1 when they don't
 * broadcast. The result is batched when either input is. */
int nnd_broadcast(const nnd_type *a, const nnd_type *b, nnd_type *out);

/* Output length of a window of `kernel` sliding with `stride` over `in`
 * padded by `pad_lo` and `pad_hi`, rounding down; <= 0 when it does not fit. */
int64_t nnd_window_out(int64_t in, int64_t kernel, int64_t stride,
                       int64_t pad_lo, int64_t pad_hi);

/* Resolve a normalised PADDING attribute for `nsp` spatial dims of the given
 * kernel sizes into per-dim low and high padding. "same" needs stride 1 and
 * puts the odd extra on the high side, as PyTorch does. Returns -1 with a
 * message when "same" is asked with a stride above 1. */
int nnd_padding_resolve(const nnd_value *padding, int nsp, const int64_t *kernel,
                        const int64_t *stride, int64_t *lo, int64_t *hi,
                        char *msg, size_t msg_n);

/* Read a normalised INTS attribute (a list) into out[]; returns its length. */
int nnd_value_ints(const nnd_value *v, int64_t *out, int max);

#endif
