/* fuzz_util.h — what the libFuzzer harnesses share: the fuzz input as a file
 * (loaders take paths), and the build-tree plugin directory. Harnesses are
 * built only by `make fuzz` in a build configured with --enable-fuzzing. */
#ifndef NND_FUZZ_UTIL_H
#define NND_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Write data to a fresh file in a private directory (under /dev/shm when it
 * exists, so no disk is touched) and return its path; the same path is
 * reused, truncated, on every run; the path is in static storage, valid until
 * the next call. `name` is the file's name (a suffix such as
 * ".gz" matters to some loaders). Aborts when the file cannot be written: a
 * harness that silently tests nothing is worse than one that stops. */
const char *fuzz_write_file(const char *name, const uint8_t *data, size_t size);

/* The same, gzip-compressed (by zlib, as gzip(1) would). */
const char *fuzz_write_gzip(const char *name, const uint8_t *data, size_t size);

/* The resolved value of `data = CALL` in a train block, compiled once per
 * call text by the real compiler (so every argument is named and checked
 * as in a model file); paths in it resolve against fuzz_dir(). Aborts when
 * the text does not compile. */
struct nnd_value;
const struct nnd_value *fuzz_data_call(const char *call);

/* The path of `name` in fuzz_dir(), for a file the code under test writes
 * itself (removed at exit like the others). Static storage: copy it. */
const char *fuzz_path(const char *name);

/* The directory fuzz_write_file uses (created on first use). */
const char *fuzz_dir(void);

/* Load the build tree's plugins (naive at least) once; aborts when none
 * loads, since a session then cannot be made. */
void fuzz_load_plugins(void);

#endif
