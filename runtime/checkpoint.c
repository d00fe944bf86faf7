/* checkpoint.c — writing safetensors checkpoints (see checkpoint.h; the
 * reader is checkpoint_load.c). */
#include "checkpoint_internal.h"
#include "output_file.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* ---- saving ------------------------------------------------------------ */

/* {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, or NULL.
 * Jansson's *_new calls take their argument even when they fail (or when
 * the container is NULL), so nothing leaks on any path; hence | not ||. */
static json_t *tensor_entry(const int64_t *dim, int ndim, uint64_t begin, uint64_t end) {
  json_t *shape = json_array(), *offs = json_array(), *e = json_object();
  int bad = 0;
  for (int d = 0; d < ndim; d++) bad |= json_array_append_new(shape, json_integer(dim[d])) != 0;
  bad |= json_array_append_new(offs, json_integer((json_int_t)begin)) != 0;
  bad |= json_array_append_new(offs, json_integer((json_int_t)end)) != 0;
  bad |= json_object_set_new(e, "dtype", json_string("F32")) != 0;
  bad |= json_object_set_new(e, "shape", shape) != 0;
  bad |= json_object_set_new(e, "data_offsets", offs) != 0;
  if (bad) {
    json_decref(e);
    return NULL;
  }
  return e;
}

/* Encode the data of t in chunks and either add it to *crc (f NULL) or
 * write it to f. Encoding twice, once per pass, is cheap next to the I/O
 * and keeps memory use at one chunk whatever the checkpoint's size. */
static int stream(const nnd_ckpt_tensor *t, int n, unsigned char *chunk, uLong *crc, FILE *f) {
  for (int i = 0; i < n; i++) {
    int64_t count = shape_count(t[i].dim, t[i].ndim);
    for (int64_t k = 0; k < count; k += CHUNK_FLOATS) {
      size_t m = (size_t)(count - k < CHUNK_FLOATS ? count - k : CHUNK_FLOATS);
      encode_floats(chunk, t[i].data + k, m);
      if (!f) *crc = crc32(*crc, chunk, (uInt)(4 * m));
      else if (fwrite(chunk, 4, m, f) != m) return -1;
    }
  }
  return 0;
}

/* "tensor 3 'w' <why>", or "tensor 3 <why>" when there is no name. */
static int fail_item(char *err, size_t es, const char *path, const char *what, int i,
                     const char *name, const char *why) {
  if (!name) return fail(err, es, path, "%s %d %s", what, i, why);
  return fail(err, es, path, "%s %d '%s' %s", what, i, name, why);
}

/* Check the arguments and build the header object, without the CRC. */
static json_t *build_header(const char *path, const nnd_ckpt_tensor *t, int n,
                            const char *const *keys, const char *const *values, int n_meta,
                            char *err, size_t es) {
  json_t *root = json_object(), *meta = json_object();
  /* the checksum's placeholder first: its digits then sit at FILE_CRC_AT */
  if (!root || !meta || json_object_set(root, META_KEY, meta) != 0 ||
      json_object_set_new(meta, FILE_CRC_KEY, json_string("00000000")) != 0) {
    fail(err, es, path, "out of memory");
    goto out;
  }
  for (int i = 0; i < n_meta; i++) {
    const char *k = keys[i];
    const char *why = !k || !values[i]             ? "has a NULL key or value"
                      : strcmp(k, CRC_KEY) == 0 || strcmp(k, FILE_CRC_KEY) == 0
                          ? "is reserved for the checksum"
                      : json_object_get(meta, k)   ? "is given twice"
                      : json_object_set_new(meta, k, json_string(values[i])) != 0
                          ? "is not valid UTF-8 (or out of memory)"
                          : NULL;
    if (why) {
      fail_item(err, es, path, "metadata", i, k, why);
      goto out;
    }
  }
  uint64_t offset = 0;
  for (int i = 0; i < n; i++) {
    const char *name = t[i].name;
    int ndim_ok = t[i].ndim >= 0 && t[i].ndim <= NND_CKPT_MAX_DIMS;
    int64_t count = ndim_ok ? shape_count(t[i].dim, t[i].ndim) : -1;
    char dims[64];
    snprintf(dims, sizeof dims, "has %d dimensions (0 to %d allowed)", t[i].ndim,
             NND_CKPT_MAX_DIMS);
    const char *why = !name                             ? "has no name"
                      : strcmp(name, META_KEY) == 0     ? "has the name reserved for metadata"
                      : json_object_get(root, name)     ? "has a name used twice"
                      : !ndim_ok                        ? dims
                      : count < 0                       ? "has a negative or too large dimension"
                      : count > 0 && !t[i].data         ? "has no data"
                                                        : NULL;
    json_t *entry = why ? NULL : tensor_entry(t[i].dim, t[i].ndim, offset,
                                              offset + 4 * (uint64_t)count);
    /* set_new releases entry on failure; a name that is not UTF-8 fails it */
    if (!why && (!entry || json_object_set_new(root, name, entry) != 0))
      why = "has a name that is not valid UTF-8 (or out of memory)";
    if (why) {
      fail_item(err, es, path, "tensor", i, name, why);
      goto out;
    }
    offset += 4 * (uint64_t)count;
  }
  json_decref(meta);
  return root;
out:
  json_decref(meta);
  json_decref(root);
  return NULL;
}

int nnd_checkpoint_save(const char *path, const nnd_ckpt_tensor *tensors, int n,
                        const char *const *meta_keys, const char *const *meta_values,
                        int n_meta, char *err, size_t err_size) {
  if (!path || !*path) return fail(err, err_size, path, "no file name given");
  if (n < 0 || (n > 0 && !tensors) || n_meta < 0 ||
      (n_meta > 0 && (!meta_keys || !meta_values)))
    return fail(err, err_size, path, "invalid arguments (count below 0 or NULL array)");

  int rc = -1;
  nnd_output *o = NULL;
  char *header = NULL;
  unsigned char *chunk = malloc(4 * CHUNK_FLOATS);
  if (!chunk) return fail(err, err_size, path, "out of memory");
  uLong crc = crc32(0L, Z_NULL, 0);
  json_t *root = build_header(path, tensors, n, meta_keys, meta_values, n_meta, err, err_size);
  if (!root) goto out;
  if (!(header = json_dumps(root, JSON_COMPACT))) {
    fail(err, err_size, path, "out of memory");
    goto out;
  }
  /* Jansson keeps insertion order, so the placeholder comes first */
  if (strncmp(header, FILE_CRC_PREFIX "00000000\"", FILE_CRC_AT + 9) != 0) {
    fail(err, err_size, path, "internal error: the checksum is not first in the header");
    goto out;
  }
  /* Spaces pad the header to a multiple of 8 as the reference writer does,
   * so the data section starts 8-aligned when the file is mapped. */
  size_t hlen = strlen(header), padded = (hlen + 7) & ~(size_t)7;
  unsigned char lenbytes[8];
  for (int i = 0; i < 8; i++) lenbytes[i] = (unsigned char)((uint64_t)padded >> (8 * i));
  /* the checksum of the file as written, with its own digits as zeros */
  crc = crc32(crc, lenbytes, 8);
  crc = crc_bytes(crc, (const unsigned char *)header, hlen);
  for (size_t i = hlen; i < padded; i++) crc = crc32(crc, (const unsigned char *)" ", 1);
  stream(tensors, n, chunk, &crc, NULL);
  char digits[9];
  snprintf(digits, sizeof digits, "%08lx", (unsigned long)crc);
  memcpy(header + FILE_CRC_AT, digits, 8);

  /* Written as every output file is (output_file.c): a temporary file next
   * to the target, renamed over it once complete and synced, so a crash or a
   * full disk leaves the previous checkpoint; devices, FIFOs, directories
   * and symlinks are refused. */
  if (nnd_output_open(NULL, path, &o, err, err_size) != 0) goto out;
  FILE *f = nnd_output_stream(o);
  int bad = fwrite(lenbytes, 1, 8, f) != 8 || fwrite(header, 1, hlen, f) != hlen;
  for (size_t i = hlen; !bad && i < padded; i++) bad = fputc(' ', f) == EOF;
  bad = bad || stream(tensors, n, chunk, NULL, f) != 0;
  if (bad) {
    fail(err, err_size, path, "cannot write it: %s", strerror(errno));
    goto out;
  }
  rc = nnd_output_commit(o, err, err_size);
  o = NULL; /* committed or not, the commit released it */
out:
  nnd_output_abort(o);
  free(header);
  json_decref(root);
  free(chunk);
  return rc;
}
