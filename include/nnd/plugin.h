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
  int min_exclusive;       /* FLOAT: min itself is out of range */
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
