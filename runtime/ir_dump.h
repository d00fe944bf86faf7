/* ir_dump.h — the stable textual form of the IR (`nnd ir`). */
#ifndef NND_IR_DUMP_H
#define NND_IR_DUMP_H

#include <stdio.h>

#include "ir.h"

/* Writes to a stream the caller owns; the library itself never prints. */
void nnd_ir_dump(const nnd_model *m, FILE *out);

#endif
