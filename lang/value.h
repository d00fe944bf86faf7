/* value.h — one value written as in a .nnd file (a number, string, bool,
 * list, call, or an expression of them), for the command line's
 * `--set KEY=VALUE`: the file's own grammar and constant folding, so a value
 * means on the command line what it means in the file. */
#ifndef NND_VALUE_H
#define NND_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include <nnd/nnd.h>

struct nnd_model;
/* Parse and fold `text` into *out, allocated in m's arena. On an error,
 * -1 and "WHAT: column C: message" in err. */
int nnd_compile_value(const char *what, const char *text, struct nnd_model *m, nnd_value *out,
                      char *err, size_t err_size);

/* The numbers of a command line's `--input NAME=VALUES`: a number, a list
 * ("1, 2, 3", brackets optional) or a nested list ("[[1, 2], [3, 4]]"),
 * read as the file's literals are (the same grammar, constant folding and
 * float range), flattened row-major into a malloc'ed *out of *n floats.
 * On an error, -1 and a message naming `what` and the column in err. */
int nnd_parse_input_values(const char *what, const char *text, float **out, int64_t *n,
                           char *err, size_t err_size);

#endif
