/* calls.c — schemas of the calls a model uses as values: initializers,
 * optimizers, data sources and learning-rate schedules. The host checks a
 * call's arguments against these before anything runs, so a typo in
 * `sgd(lr=...)` fails at compile time with the file position. */
#include "ops.h"

/* Ranges the specs cannot say (an exclusive max) are written as inclusive
 * and documented; the code that consumes the call enforces the rest. */

#define NUM(NAME, DEF, DOC)                                                          \
  {.name = NAME, .type = NND_ATTR_FLOAT, .doc = DOC, .has_default = 1, .def_num = DEF}
#define NUM_MIN(NAME, DEF, MIN, EXCL, DOC)                                           \
  {.name = NAME, .type = NND_ATTR_FLOAT, .doc = DOC, .has_min = 1, .min = MIN,        \
   .min_exclusive = EXCL, .has_default = 1, .def_num = DEF}
#define UNIT(NAME, DEF, DOC)                                                         \
  {.name = NAME, .type = NND_ATTR_FLOAT, .doc = DOC, .has_min = 1, .min = 0,          \
   .has_max = 1, .max = 1, .max_exclusive = 1, .has_default = 1, .def_num = DEF}
#define INTEGER(NAME, DEF, MIN, DOC)                                                \
  {.name = NAME, .type = NND_ATTR_INT, .doc = DOC, .has_min = 1, .min = MIN,          \
   .has_default = 1, .def_num = DEF}
#define SEED {.name = "seed", .type = NND_ATTR_INT, .doc = "random seed", .has_min = 1, \
              .min = 0, .has_default = 1, .def_num = 0}
#define COUNT(A) ((int)(sizeof(A) / sizeof((A)[0])))

/* ------------------------------------------------------------ initializers */

static const nnd_attr_spec fan_attrs[] = {
    NUM_MIN("gain", 1, 0, 0, "factor on the standard scale"),
    {.name = "distribution",
     .type = NND_ATTR_STRING,
     .doc = "draw from a uniform or a normal distribution of the same variance",
     .choices = "uniform|normal",
     .has_default = 1,
     .def_str = "uniform"},
};

static const nnd_attr_spec uniform_attrs[] = {
    NUM("low", -0.05, "lower bound"),
    NUM("high", 0.05, "upper bound"),
};

static const nnd_attr_spec normal_attrs[] = {
    NUM("mean", 0, "mean"),
    NUM_MIN("std", 0.01, 0, 0, "standard deviation"),
};

static const nnd_attr_spec constant_attrs[] = {
    {.name = "value", .type = NND_ATTR_FLOAT, .doc = "every element's value", .required = 1},
};

#define INITIALIZER(NAME, DOC, ATTRS, NPOS)                                          \
  {.size = sizeof(nnd_call_schema), .kind = NND_CALL_INITIALIZER, .name = NAME,       \
   .doc = DOC, .n_positional = NPOS, .attrs = ATTRS, .n_attrs = COUNT(ATTRS)}
#define INITIALIZER0(NAME, DOC)                                                      \
  {.size = sizeof(nnd_call_schema), .kind = NND_CALL_INITIALIZER, .name = NAME,       \
   .doc = DOC}

/* ------------------------------------------------------------- optimizers */

static const nnd_attr_spec sgd_attrs[] = {
    NUM_MIN("lr", 0.01, 0, 1, "learning rate"),
    UNIT("momentum", 0, "velocity kept from the previous step, in [0, 1)"),
    {.name = "nesterov",
     .type = NND_ATTR_BOOL,
     .doc = "use Nesterov momentum",
     .has_default = 1,
     .def_num = 0},
    NUM_MIN("weight_decay", 0, 0, 0, "L2 penalty added to the gradient"),
};

static const nnd_attr_spec adam_attrs[] = {
    NUM_MIN("lr", 0.001, 0, 1, "learning rate"),
    UNIT("beta1", 0.9, "decay of the gradient average, in [0, 1)"),
    UNIT("beta2", 0.999, "decay of the squared-gradient average, in [0, 1)"),
    NUM_MIN("eps", 1e-8, 0, 1, "added to the denominator"),
    NUM_MIN("weight_decay", 0, 0, 0, "L2 penalty added to the gradient"),
};

static const nnd_attr_spec rmsprop_attrs[] = {
    NUM_MIN("lr", 0.01, 0, 1, "learning rate"),
    UNIT("alpha", 0.99, "decay of the squared-gradient average, in [0, 1)"),
    NUM_MIN("eps", 1e-8, 0, 1, "added to the denominator"),
    UNIT("momentum", 0, "velocity kept from the previous step, in [0, 1)"),
    NUM_MIN("weight_decay", 0, 0, 0, "L2 penalty added to the gradient"),
};

#define OPTIMIZER(NAME, DOC, ATTRS)                                                  \
  {.size = sizeof(nnd_call_schema), .kind = NND_CALL_OPTIMIZER, .name = NAME,         \
   .doc = DOC, .n_positional = 1, .attrs = ATTRS, .n_attrs = COUNT(ATTRS)}

/* ----------------------------------------------------------- data sources */

static const nnd_attr_spec idx_attrs[] = {
    {.name = "images",
     .type = NND_ATTR_STRING,
     .doc = "IDX file of samples (gzip allowed)",
     .required = 1},
    {.name = "labels",
     .type = NND_ATTR_STRING,
     .doc = "IDX file of labels (gzip allowed)",
     .required = 1},
    NUM("scale", 1, "factor applied to every sample value, e.g. 1/255"),
};

static const nnd_attr_spec csv_attrs[] = {
    {.name = "path", .type = NND_ATTR_STRING, .doc = "CSV file", .required = 1},
    {.name = "label",
     .type = NND_ATTR_STRING,
     .doc = "name of the label column",
     .has_default = 1,
     .def_str = "label"},
    {.name = "header",
     .type = NND_ATTR_BOOL,
     .doc = "the first line names the columns",
     .has_default = 1,
     .def_num = 1},
    {.name = "delimiter",
     .type = NND_ATTR_STRING,
     .doc = "one character between fields",
     .has_default = 1,
     .def_str = ","},
    NUM("scale", 1, "factor applied to every feature value"),
};

static const nnd_attr_spec moons_attrs[] = {
    INTEGER("n", 1000, 1, "number of samples"),
    NUM_MIN("noise", 0.1, 0, 0, "standard deviation of the Gaussian noise added"),
    SEED,
};

static const nnd_attr_spec blobs_attrs[] = {
    INTEGER("n", 1000, 1, "number of samples"),
    INTEGER("centers", 3, 1, "number of clusters, one class each"),
    INTEGER("features", 2, 1, "dimensions of each sample"),
    NUM_MIN("std", 1, 0, 1, "standard deviation of each cluster"),
    SEED,
};

static const nnd_attr_spec xor_attrs[] = {
    INTEGER("n", 1000, 1, "number of samples"),
    NUM_MIN("noise", 0.1, 0, 0, "standard deviation of the Gaussian noise added"),
    SEED,
};

#define DATA(NAME, DOC, ATTRS, NPOS)                                                 \
  {.size = sizeof(nnd_call_schema), .kind = NND_CALL_DATA, .name = NAME, .doc = DOC,  \
   .n_positional = NPOS, .attrs = ATTRS, .n_attrs = COUNT(ATTRS)}

/* -------------------------------------------------------------- schedules */

static const nnd_attr_spec step_attrs[] = {
    INTEGER("every", 1, 1, "epochs between two decays"),
    {.name = "gamma",
     .type = NND_ATTR_FLOAT,
     .doc = "factor applied to the learning rate at each decay, in (0, 1]",
     .has_min = 1,
     .min = 0,
     .min_exclusive = 1,
     .has_max = 1,
     .max = 1,
     .has_default = 1,
     .def_num = 0.1},
};

static const nnd_attr_spec cosine_attrs[] = {
    NUM_MIN("min_lr", 0, 0, 0, "learning rate reached at the last epoch"),
};

/* ------------------------------------------------------------------ table */

const nnd_call_schema nnd_calls_standard[] = {
    INITIALIZER("xavier", "Glorot: variance 2 / (fan_in + fan_out), times gain^2",
                fan_attrs, 1),
    INITIALIZER("glorot", "alias of xavier", fan_attrs, 1),
    INITIALIZER("he", "Kaiming: variance 2 / fan_in, times gain^2", fan_attrs, 1),
    INITIALIZER("kaiming", "alias of he", fan_attrs, 1),
    INITIALIZER("uniform", "uniform between low and high", uniform_attrs, 2),
    INITIALIZER("normal", "normal with mean and std", normal_attrs, 2),
    INITIALIZER0("zeros", "every element 0"),
    INITIALIZER0("ones", "every element 1"),
    INITIALIZER("constant", "every element the given value", constant_attrs, 1),

    OPTIMIZER("sgd", "stochastic gradient descent, optionally with momentum", sgd_attrs),
    OPTIMIZER("adam", "Adam (Kingma & Ba), with bias correction", adam_attrs),
    OPTIMIZER("rmsprop", "RMSprop: divide by a running RMS of the gradient", rmsprop_attrs),

    DATA("idx", "MNIST-style IDX image and label files", idx_attrs, 2),
    DATA("csv", "a CSV file of numeric features and a label column", csv_attrs, 1),
    DATA("moons", "two interleaved half circles, 2 features, 2 classes", moons_attrs, 1),
    DATA("blobs", "Gaussian clusters, one class per center", blobs_attrs, 1),
    DATA("xor", "points in the four quadrants, class = sign(x) xor sign(y)", xor_attrs, 1),

    {.size = sizeof(nnd_call_schema),
     .kind = NND_CALL_SCHEDULE,
     .name = "step",
     .doc = "multiply the learning rate by gamma every `every` epochs",
     .n_positional = 1,
     .attrs = step_attrs,
     .n_attrs = COUNT(step_attrs)},
    {.size = sizeof(nnd_call_schema),
     .kind = NND_CALL_SCHEDULE,
     .name = "cosine",
     .doc = "cosine decay from the optimizer's lr to min_lr over the training",
     .attrs = cosine_attrs,
     .n_attrs = COUNT(cosine_attrs)},
    {.size = sizeof(nnd_call_schema),
     .kind = NND_CALL_SCHEDULE,
     .name = "constant",
     .doc = "keep the learning rate fixed"},
};
const int nnd_calls_standard_count = COUNT(nnd_calls_standard);
