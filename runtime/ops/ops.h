/* ops.h — the standard op set's schema tables, and the input checks its
 * schemas share. Internal to the runtime: a third-party plugin describes its
 * ops with <nnd/plugin.h> alone. The checks live here so the same mistake gets
 * the same message whichever op catches it. */
#ifndef NND_OPS_H
#define NND_OPS_H

#include <nnd/plugin.h>
#include <stdint.h>

/* One table per file of runtime/ops/, in registration order. */
extern const nnd_op_schema nnd_ops_arith[];
extern const int nnd_ops_arith_count;
extern const nnd_op_schema nnd_ops_dense[];
extern const int nnd_ops_dense_count;
extern const nnd_op_schema nnd_ops_conv[];
extern const int nnd_ops_conv_count;
extern const nnd_op_schema nnd_ops_pool[];
extern const int nnd_ops_pool_count;
extern const nnd_op_schema nnd_ops_reshape[];
extern const int nnd_ops_reshape_count;
extern const nnd_op_schema nnd_ops_norm[];
extern const int nnd_ops_norm_count;
extern const nnd_op_schema nnd_ops_activation[];
extern const int nnd_ops_activation_count;
extern const nnd_op_schema nnd_ops_label[];
extern const int nnd_ops_label_count;
extern const nnd_op_schema nnd_ops_loss[];
extern const int nnd_ops_loss_count;
extern const nnd_call_schema nnd_calls_standard[];
extern const int nnd_calls_standard_count;

/* Hand every standard op schema to add_op and every call schema
 * (initializers, optimizers, data sources, schedules) to add_call. */
void nnd_ops_register_standard(void (*add_op)(const nnd_op_schema *),
                               void (*add_call)(const nnd_call_schema *));

/* Room for one shape in a message: 8 dims of up to 20 digits. */
#define NND_OPS_SHAPE_MAX 200

/* Writes ctx->message and returns -1, so a check reads `return nnd_op_fail(...)`. */
int nnd_op_fail(nnd_infer *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The node name of input i, for messages; never NULL. */
const char *nnd_op_input(const nnd_infer *ctx, int i);
/* The op name, for messages; never NULL. */
const char *nnd_op_name(const nnd_infer *ctx);

/* Input i is a float tensor (not a class or binary label). */
int nnd_op_need_float(nnd_infer *ctx, int i);
/* Input i is a batched float tensor: what every layer consumes. */
int nnd_op_need_activation(nnd_infer *ctx, int i);

/* A NUMBER attribute as an integer, clamped far outside any valid size so
 * a huge value fails a range check instead of overflowing the conversion. */
int64_t nnd_op_int(const nnd_value *v);

/* `false` given to an optional INIT attribute: the parameter does not exist. */
int nnd_op_init_off(const nnd_value *v);

/* Set ctx->output, refusing a shape whose element count overflows. */
int nnd_op_output(nnd_infer *ctx, int batched, int ndim, const int64_t *dim);
/* Declare a parameter, refusing one whose element count overflows. */
int nnd_op_param(nnd_infer *ctx, const char *name, int ndim, const int64_t *dim,
                 const char *init_attr, const char *default_init, int trainable);

/* Read a normalised INTS attribute for `nsp` spatial dims: unset gives `def`
 * everywhere, one value is broadcast, otherwise the count must be nsp. */
int nnd_op_spatial(nnd_infer *ctx, const char *attr, const nnd_value *v, int nsp,
                   int64_t def, int64_t *out);

/* Output sizes of a sliding `what` ("kernel", "window") over the spatial
 * dims of input 0 (those after the channel dim); fails when it does not fit. */
int nnd_op_windows(nnd_infer *ctx, const char *what, int nsp, const int64_t *kernel,
                   const int64_t *stride, const int64_t *lo, const int64_t *hi,
                   int64_t *out);

#endif
