/* checkpoint_internal.h — what the safetensors writer (checkpoint.c) and
 * reader (checkpoint_load.c) share: the layout constants, the loaded
 * checkpoint, byte order and size helpers.
 *
 * Byte order: the data is always encoded and decoded byte by byte with
 * shifts, so the same code is correct on little- and big-endian hosts and
 * the path exercised by the tests on x86 is the one a big-endian host runs;
 * no #error is needed. Only IEEE-754 binary32 floats are assumed. */
#ifndef NND_CHECKPOINT_INTERNAL_H
#define NND_CHECKPOINT_INTERNAL_H

#include <float.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "checkpoint.h"

_Static_assert(sizeof(float) == 4 && FLT_MANT_DIG == 24 && FLT_RADIX == 2,
               "safetensors F32 is IEEE-754 binary32");

#define CRC_KEY "nnd.crc32"           /* earlier versions: CRC-32 of the data section */
#define FILE_CRC_KEY "nnd.file_crc32" /* CRC-32 of the whole file, see checkpoint.h */
#define META_KEY "__metadata__"
/* Where the whole-file checksum's 8 hex digits sit in the header. */
#define FILE_CRC_PREFIX "{\"" META_KEY "\":{\"" FILE_CRC_KEY "\":\""
#define FILE_CRC_AT (sizeof FILE_CRC_PREFIX - 1)
#define GAP_CHUNK ((size_t)1 << 20) /* bytes between tensors are summed in pieces */
/* The reference implementation caps the header at 100 MB; a larger length
 * is a corrupt file, and refusing it early avoids a huge allocation. */
#define MAX_HEADER ((uint64_t)100 * 1000 * 1000)
#define CHUNK_FLOATS 16384 /* 64 KiB of encoded data per write */

struct nnd_checkpoint {
  unsigned char *data; /* malloc'd: the tensors one after another, decoded in place */
  nnd_ckpt_tensor *t;  /* names are malloc'd copies */
  int n;
  char **keys, **values;
  int n_meta;
  int header_checked;  /* the whole-file checksum matched */
};

__attribute__((format(printf, 4, 5))) static inline int fail(char *err, size_t n, const char *path,
                                                      const char *fmt, ...) {
  if (err && n) {
    int k = snprintf(err, n, "%s: ", path ? path : "(no path)");
    if (k >= 0 && (size_t)k < n) {
      va_list ap;
      va_start(ap, fmt);
      vsnprintf(err + k, n - (size_t)k, fmt, ap);
      va_end(ap);
    }
  }
  return -1;
}

static inline void put_le32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint32_t get_le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get_le64(const unsigned char *p) {
  return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static inline void encode_floats(unsigned char *out, const float *in, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint32_t u;
    memcpy(&u, &in[i], 4);
    put_le32(out + 4 * i, u);
  }
}

/* Element count of a shape, or -1 when 4 * count would not fit in 63 bits. */
static inline int64_t shape_count(const int64_t *dim, int ndim) {
  for (int i = 0; i < ndim; i++)
    if (dim[i] == 0) return 0; /* checked first: [0, huge] is empty, not an overflow */
  int64_t count = 1;
  for (int i = 0; i < ndim; i++) {
    if (dim[i] < 0 || count > (INT64_MAX / 4) / dim[i]) return -1;
    count *= dim[i];
  }
  return count;
}

static inline uLong crc_bytes(uLong crc, const unsigned char *p, uint64_t len) {
  while (len > 0) { /* zlib takes a uInt length */
    uInt step = len > (1u << 30) ? (1u << 30) : (uInt)len;
    crc = crc32(crc, p, step);
    p += step;
    len -= step;
  }
  return crc;
}

#endif
