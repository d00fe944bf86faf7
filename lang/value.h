/* value.h — one value written as in a .nnd file (a number, string, bool,
 * list, call, or an expression of them), for the command line's
 * `--set KEY=VALUE`: the file's own grammar and constant folding, so a value
 * means on the command line what it means in the file. */
#ifndef NND_VALUE_H
#define NND_VALUE_H

#include <stddef.h>

#include <nnd/nnd.h>

struct nnd_model;
/* Parse and fold `text` into *out, allocated in m's arena. On an error,
 * -1 and "WHAT: column C: message" in err. */
int nnd_compile_value(const char *what, const char *text, struct nnd_model *m, nnd_value *out,
                      char *err, size_t err_size);

#endif
