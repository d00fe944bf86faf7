/* train_config.c — see train_config.h. */
#include "train_config.h"

static const nnd_attr_spec train_keys[] = {
    {.name = "data", .type = NND_ATTR_CALL, .call_kind = NND_CALL_DATA,
     .doc = "training data source, e.g. idx(images, labels, scale=1/255)"},
    {.name = "test", .type = NND_ATTR_CALL, .call_kind = NND_CALL_DATA,
     .doc = "test data source, evaluated after each epoch"},
    {.name = "validation", .type = NND_ATTR_FLOAT, .has_min = 1, .min = 0, .has_max = 1,
     .max = 0.9, .has_default = 1, .def_num = 0,
     .doc = "fraction of the training data held out for validation"},
    {.name = "optimizer", .type = NND_ATTR_CALL, .call_kind = NND_CALL_OPTIMIZER,
     .has_default = 1, .def_str = "sgd", .doc = "optimizer, e.g. sgd(lr=0.01, momentum=0.9)"},
    {.name = "schedule", .type = NND_ATTR_CALL, .call_kind = NND_CALL_SCHEDULE,
     .has_default = 1, .def_str = "constant",
     .doc = "learning-rate schedule: constant(), step(every, gamma), cosine(min_lr)"},
    {.name = "batch", .type = NND_ATTR_INT, .has_min = 1, .min = 1, .has_max = 1,
     .max = 1 << 20, .has_default = 1, .def_num = 32, .doc = "samples per step"},
    {.name = "epochs", .type = NND_ATTR_INT, .has_min = 1, .min = 1, .has_max = 1,
     .max = 1e6, .has_default = 1, .def_num = 1, .doc = "passes over the training data"},
    {.name = "seed", .type = NND_ATTR_INT, .has_min = 1, .min = 0, .has_max = 1,
     .max = 4294967295.0, .has_default = 1, .def_num = 42,
     .doc = "seed for initialization, shuffling and dropout"},
    {.name = "shuffle", .type = NND_ATTR_BOOL, .has_default = 1, .def_num = 1,
     .doc = "shuffle the training data each epoch"},
};

static const nnd_attr_sig signature = {
    "train", train_keys, (int)(sizeof train_keys / sizeof train_keys[0]), 0, "setting"};

const nnd_attr_sig *nnd_train_signature(void) { return &signature; }
