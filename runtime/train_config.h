/* train_config.h — the keys of a model's `train { ... }` block: their types,
 * ranges and defaults, checked with the same machinery as op attributes. */
#ifndef NND_TRAIN_CONFIG_H
#define NND_TRAIN_CONFIG_H

#include "attr.h"

const nnd_attr_sig *nnd_train_signature(void);

#endif
