/*
 * nnd/plugin.h — the contract between nnd and its plugins.
 *
 * A plugin includes this header and nothing else from nnd. Everything here is
 * plain data: structures that start with their own size so the ABI can grow at
 * the end, and callbacks that return a status and never print or abort.
 *
 * This part of the header defines what an op *is* — its typed attributes, its
 * arity, how it infers its output type and which parameters it declares. The
 * standard ops of nnd are described with exactly these structures, so a
 * third-party op is a first-class citizen.
 */
#ifndef NND_PLUGIN_H
#define NND_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NND_MAX_DIMS 8    /* per-sample rank limit */
#define NND_MAX_PARAMS 8  /* parameters one op may declare */
#define NND_MESSAGE_MAX 512

/* ---------------------------------------------------------------- types */

typedef enum {
  NND_FLOAT = 0, /* float32 values */
  NND_CLASS,     /* an integer class label, 0 <= label < classes */
  NND_BINARY     /* a 0/1 (or soft, in [0, 1]) target */
} nnd_dtype;

/* The type of a value in the graph. Activations are `batched`: their shape is
 * the per-sample shape and the batch dimension is implicit (always first at
 * run time). Parameters, constants and losses are not batched. */
typedef struct {
  nnd_dtype dtype;
  int batched;
  int ndim;
  int64_t dim[NND_MAX_DIMS];
  int64_t classes; /* NND_CLASS: number of classes */
} nnd_type;

/* ---------------------------------------------------------------- values */

/* A compile-time value: an attribute, a literal, a train setting. Tensor
 * literals are nested lists of numbers. Values are immutable and owned by the
 * model that holds them. */
typedef enum {
  NND_VAL_NONE = 0,
  NND_VAL_NUMBER,
  NND_VAL_BOOL,
  NND_VAL_STRING,
  NND_VAL_LIST,
  NND_VAL_CALL /* name(args): an initializer, optimizer, data source, ... */
} nnd_value_kind;

typedef struct nnd_value nnd_value;
struct nnd_value {
  nnd_value_kind kind;
  int is_int;              /* NUMBER: written as an integer, or integral after folding */
  double num;              /* NUMBER; BOOL: 0 or 1 */
  const char *str;         /* STRING: the text; CALL: the callee name */
  int count;               /* LIST: items; CALL: arguments */
  const nnd_value *items;  /* LIST items; CALL arguments in source order */
  const char *const *names;/* CALL: argument names, NULL entries for positional ones */
};

/* ------------------------------------------------------------ attributes */

typedef enum {
  NND_ATTR_INT,     /* an integer in [min, max] */
  NND_ATTR_FLOAT,   /* a number in [min, max] */
  NND_ATTR_BOOL,    /* true or false */
  NND_ATTR_STRING,  /* a string; `choices` ("a|b") restricts it */
  NND_ATTR_INTS,    /* an int or a list of `count` ints (count 0: any length);
                       normalised to a list of `count` ints */
  NND_ATTR_PADDING, /* like INTS, or the string "same" or "valid" */
  NND_ATTR_INIT,    /* an initializer call, a number or a tensor literal;
                       `false` when `optional` (no such parameter) */
  NND_ATTR_SHAPE,   /* a list of ints, at most one -1 */
  NND_ATTR_CALL,    /* a call to a schema of kind `call_kind` */
  NND_ATTR_ANY      /* any value; the op checks it */
} nnd_attr_type;

typedef struct {
  const char *name;
  nnd_attr_type type;
  const char *doc;         /* one line, shown by `nnd help OP` */
  int required;
  int has_min, has_max;
  double min, max;         /* inclusive bounds for INT, FLOAT and each of INTS */
  int min_exclusive;       /* min itself is out of range */
  int max_exclusive;       /* FLOAT: max itself is out of range */
  const char *choices;     /* STRING: "same|valid" */
  int count;               /* INTS, PADDING: list length (0: any) */
  int optional;            /* INIT: `false` removes the parameter */
  int call_kind;           /* CALL: an nnd_call_kind */
  /* default, when not required: number (INT, FLOAT, BOOL, INTS, PADDING),
     string (STRING, PADDING "same", INIT initializer name) */
  int has_default;
  double def_num;
  const char *def_str;
} nnd_attr_spec;

/* ----------------------------------------------------------- op schemas */

typedef struct {
  const char *name;        /* "weight": the parameter is <node>.weight */
  nnd_type type;           /* not batched */
  const char *init_attr;   /* attribute holding its initial value, or NULL */
  const char *default_init;/* initializer when init_attr is NULL: "zeros", "ones" */
  int trainable;           /* 0 for running statistics */
} nnd_param_decl;

/* What the host hands an op's `infer`: the input types, the attributes with
 * defaults applied (in the schema's order), and room for the result. */
typedef struct {
  size_t size;                      /* sizeof(nnd_infer) */
  const char *op;                   /* op name, for messages */
  int n_inputs;
  const nnd_type *inputs;
  const char *const *input_names;   /* node names, for messages */
  int n_attrs;                      /* == the schema's n_attrs */
  const nnd_value *attrs;           /* attrs[i] belongs to schema->attrs[i]; NONE if unset */
  nnd_type output;                  /* filled by infer */
  int n_params;                     /* filled by infer */
  nnd_param_decl params[NND_MAX_PARAMS];
  char message[NND_MESSAGE_MAX];    /* filled when infer fails */
} nnd_infer;

enum {
  NND_OP_LOSS = 1u << 0,       /* usable in a `loss` statement */
  NND_OP_ELEMENTWISE = 1u << 1 /* output has the shape of its first input */
};

typedef struct {
  size_t size;                 /* sizeof(nnd_op_schema) */
  const char *name;            /* "conv2d", or namespaced "acme.swish" */
  const char *doc;             /* one line */
  int min_inputs;
  int max_inputs;              /* -1: any number */
  const nnd_attr_spec *attrs;
  int n_attrs;
  unsigned flags;
  /* Fill ctx->output (and ctx->params); on a bad input return -1 with
     ctx->message saying what is wrong in the user's terms. */
  int (*infer)(nnd_infer *ctx);
} nnd_op_schema;

/* Schemas of calls used as values: initializers, optimizers, data sources,
 * learning-rate schedules. Positional arguments are named too so a message
 * can say which one is wrong. */
typedef enum {
  NND_CALL_INITIALIZER = 1,
  NND_CALL_OPTIMIZER,
  NND_CALL_DATA,
  NND_CALL_SCHEDULE
} nnd_call_kind;

typedef struct {
  size_t size;                 /* sizeof(nnd_call_schema) */
  nnd_call_kind kind;
  const char *name;
  const char *doc;
  int n_positional;            /* leading attrs that may be given by position */
  const nnd_attr_spec *attrs;
  int n_attrs;
} nnd_call_schema;

/* ------------------------------------------------------------- tensors */

/* A tensor as kernels see it: float32, contiguous, row-major (NCHW). For a
 * batched value dim[0] is the batch. Class labels are stored as floats
 * holding the class index, binary targets as 0..1. */
typedef struct {
  float *data;
  int ndim;
  int64_t dim[NND_MAX_DIMS + 1];
  int64_t numel;
  int batched;                  /* dim[0] is the batch; per-sample dims follow */
} nnd_tensor;

/* -------------------------------------------------------------- kernels */

typedef struct nnd_host nnd_host;
typedef struct nnd_registrar nnd_registrar;

/* What a kernel gets for one node. Forward reads inputs and writes output;
 * backward reads grad_output (and inputs, output, workspace) and ADDS into
 * grad_inputs[i].data (the executor zeroes gradients first, so a value used
 * twice collects both), unless grad_assign says it is the first writer of
 * one (ABI 1.3, below); a grad_inputs[i].data of NULL needs no gradient.
 * The workspace belongs to this node and lives from forward to backward. */
typedef struct {
  size_t size;                  /* sizeof(nnd_kernel_ctx) */
  const nnd_host *host;
  const char *op;               /* op name, for messages */
  int n_inputs;                 /* data inputs, then the op's parameters */
  nnd_tensor *inputs;           /* writable: batchnorm updates running stats */
  nnd_tensor output;
  const nnd_value *attrs;       /* index-aligned with the op schema's attrs */
  int training;                 /* 0 in inference: dropout off, batchnorm running stats */
  uint64_t seed;                /* per node and step, for dropout */
  void *workspace;
  size_t workspace_size;
  const nnd_tensor *grad_output;/* backward only */
  nnd_tensor *grad_inputs;      /* backward only; n_inputs of them */
  char *message;                /* on failure, say why here */
  size_t message_size;
  /* ABI 1.2: the place of this batch's first sample in the global batch
     (0 in one process; data-parallel training gives each process a share
     of the batch). A random mask drawn per element indexes by sample
     first_sample + i, so a sample draws the same mask on whichever process
     computes it. */
  int64_t first_sample;
  /* ABI 1.3: bit i set: this backward is the first to write grad_inputs[i]
     in this pass, whose buffer holds anything (it was not zeroed), and must
     STORE every element of it rather than add. Set only for a kernel that
     declares NND_KERNEL_ASSIGNS_GRADS, only for i < 32, and never for an
     input that appears twice among the node's inputs. Read it through
     nnd_grad_assigns(), which checks the context's size. It saves the
     executor a pass zeroing every gradient (on the CNN of models/ at batch
     64, 24 MB of writes per step) and the kernel a read of what it adds to. */
  uint32_t grad_assign;
} nnd_kernel_ctx;

/* Whether backward must store (1) or add (0) into grad_inputs[i]. */
static inline int nnd_grad_assigns(const nnd_kernel_ctx *ctx, int i) {
  return ctx->size >= offsetof(nnd_kernel_ctx, grad_assign) + sizeof ctx->grad_assign &&
         i >= 0 && i < 32 && (ctx->grad_assign >> i & 1u);
}

/* nnd_kernel.flags */
#define NND_KERNEL_ASSIGNS_GRADS 1u /* backward honours nnd_kernel_ctx.grad_assign */

typedef struct {
  size_t size;                  /* sizeof(nnd_kernel) */
  const char *op;               /* the op it computes */
  const char *backend;          /* "naive", "openmp", "blas", ... */
  int (*forward)(const nnd_kernel_ctx *ctx);
  int (*backward)(const nnd_kernel_ctx *ctx);
  /* optional: bytes of workspace this node needs (inputs and output shapes
     are set, data pointers are not) */
  size_t (*workspace)(const nnd_kernel_ctx *ctx);
  /* optional: 0 when this kernel cannot run this node (some attribute
     settings only); then the next backend in the preference list is tried */
  int (*supports)(const nnd_kernel_ctx *ctx);
  /* ABI 1.3: NND_KERNEL_* bits; 0 for a kernel built against 1.2 or older */
  unsigned flags;
} nnd_kernel;

/* ----------------------------------------------------------- optimizers */

/* One optimizer step over every trainable parameter, collated into one flat
 * buffer (as KANN does), with its gradient and `state_floats` floats of
 * state per parameter element, zeroed at the start. */
typedef struct {
  size_t size;                  /* sizeof(nnd_optim_ctx) */
  const nnd_host *host;
  float *params;
  const float *grads;
  float *state;
  int64_t n;
  const nnd_value *call;        /* the optimizer call, every attribute named */
  double lr;                    /* the learning rate after the schedule */
  int64_t step;                 /* 1 for the first step */
  char *message;
  size_t message_size;
} nnd_optim_ctx;

typedef struct {
  size_t size;                  /* sizeof(nnd_optimizer) */
  const char *name;             /* matches an optimizer call schema */
  int state_floats;             /* per parameter element */
  int (*step)(const nnd_optim_ctx *ctx);
  /* ABI 1.1: the backend it belongs to ("naive", "openmp"); the session
     takes the first in its backend preference list, as for kernels. Every
     backend of one optimizer must keep the same state layout, so a
     checkpoint moves between them. */
  const char *backend;
} nnd_optimizer;

/* ---------------------------------------------------------------- host */

/* Services the host gives a plugin. It starts with its size and only ever
 * grows at the end: check `size` before using a member added later. */
struct nnd_host {
  size_t size;
  unsigned abi_minor;
  int (*register_kernel)(nnd_registrar *r, const nnd_kernel *k);
  int (*register_op)(nnd_registrar *r, const nnd_op_schema *s);
  int (*register_call)(nnd_registrar *r, const nnd_call_schema *s);
  int (*register_optimizer)(nnd_registrar *r, const nnd_optimizer *o);
  /* detail for a failed registration, shown with the plugin's path */
  void (*report)(nnd_registrar *r, const char *message);
  void *(*alloc)(size_t size);
  void (*free)(void *p);
};

/* --------------------------------------------------------------- plugin */

#define NND_ABI_MAJOR 1u
#define NND_ABI_MINOR 3u

/* The layout of what travels by value or in arrays, folded into one number:
 * a plugin built against a different layout (another compiler's idea of a
 * struct, another NND_MAX_DIMS) is refused even when the version matches,
 * the way Lua's luaL_checkversion catches a mismatched build. Descriptors
 * that start with their size are left out: they grow at the end within a
 * major version, and their size field tells the host how much there is. */
#define NND_ABI_FINGERPRINT                                                        \
  ((uint32_t)(sizeof(nnd_type) * 1u + sizeof(nnd_value) * 3u +                      \
              sizeof(nnd_attr_spec) * 7u + sizeof(nnd_param_decl) * 11u +           \
              sizeof(nnd_tensor) * 13u + sizeof(void *) * 17u +                     \
              sizeof(int64_t) * 19u + sizeof(double) * 23u + NND_MAX_DIMS * 29u +   \
              NND_MAX_PARAMS * 31u + NND_MESSAGE_MAX * 37u))

typedef struct {
  size_t size;                  /* sizeof(nnd_plugin_info) */
  unsigned abi_major;           /* NND_ABI_MAJOR */
  unsigned abi_minor;           /* NND_ABI_MINOR */
  uint32_t fingerprint;         /* NND_ABI_FINGERPRINT */
  const char *name;
  const char *version;
  const char *license;
  const char *description;
  /* Called only after the host has checked all of the above. Register
     everything through host; return 0, or -1 after host->report(). */
  int (*register_plugin)(const nnd_host *host, nnd_registrar *r);
} nnd_plugin_info;

/* The one symbol a plugin exports. It returns a static descriptor and runs
 * no other code. */
#define NND_PLUGIN_ENTRY_NAME "nnd_plugin_entry"
typedef const nnd_plugin_info *(*nnd_plugin_entry_fn)(void);

#if defined(__GNUC__)
#define NND_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define NND_PLUGIN_EXPORT
#endif

/* Reading a call's argument by name: optimizers get their call this way. */
static inline const nnd_value *nnd_call_arg(const nnd_value *call, const char *name) {
  for (int i = 0; call && call->names && i < call->count; i++) {
    const char *a = call->names[i], *b = name;
    if (!a) continue;
    while (*a && *a == *b) a++, b++;
    if (*a == *b) return &call->items[i];
  }
  return (const nnd_value *)0;
}

/* An attribute as a number, or `fallback` when it is unset or not one. */
static inline double nnd_num(const nnd_value *v, double fallback) {
  return v && (v->kind == NND_VAL_NUMBER || v->kind == NND_VAL_BOOL) ? v->num : fallback;
}

/* ------------------------------------------------- helpers for schemas */

/* The attribute `name` of ctx, or NULL when the schema has no such attribute
 * or it is unset. Static so a plugin needs no symbol from the runtime. */
static inline const nnd_value *nnd_infer_attr(const nnd_infer *ctx,
                                              const nnd_attr_spec *specs,
                                              const char *name) {
  for (int i = 0; i < ctx->n_attrs; i++) {
    const char *a = specs[i].name, *b = name;
    while (*a && *a == *b) a++, b++;
    if (*a == *b)
      return ctx->attrs[i].kind == NND_VAL_NONE ? (const nnd_value *)0 : &ctx->attrs[i];
  }
  return (const nnd_value *)0;
}

#ifdef __cplusplus
}
#endif
#endif /* NND_PLUGIN_H */
