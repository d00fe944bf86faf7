/* train_config.h — the keys of a model's `train { ... }` block: their types,
 * ranges and defaults, checked with the same machinery as op attributes. */
#ifndef NND_TRAIN_CONFIG_H
#define NND_TRAIN_CONFIG_H

#include "attr.h"

const nnd_attr_sig *nnd_train_signature(void);

struct nnd_model;
/* Apply `key=value` from the command line (--set): a train key (batch=64,
 * shuffle=false) or an argument of a call-valued key (optimizer.lr=0.003),
 * checked as the train block's own values are. */
int nnd_train_override(struct nnd_model *m, const char *assignment, char *err,
                       size_t err_size);

#endif
