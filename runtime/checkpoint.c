/* checkpoint.c — safetensors reading and writing (see checkpoint.h).
 *
 * Byte order: the data is always encoded and decoded byte by byte with
 * shifts, so the same code is correct on little- and big-endian hosts and
 * the path exercised by the tests on x86 is the one a big-endian host runs;
 * no #error is needed. Only IEEE-754 binary32 floats are assumed. */
#include "checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

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

__attribute__((format(printf, 4, 5))) static int fail(char *err, size_t n, const char *path,
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

static void put_le32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const unsigned char *p) {
  return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static void encode_floats(unsigned char *out, const float *in, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint32_t u;
    memcpy(&u, &in[i], 4);
    put_le32(out + 4 * i, u);
  }
}

/* Element count of a shape, or -1 when 4 * count would not fit in 63 bits. */
static int64_t shape_count(const int64_t *dim, int ndim) {
  for (int i = 0; i < ndim; i++)
    if (dim[i] == 0) return 0; /* checked first: [0, huge] is empty, not an overflow */
  int64_t count = 1;
  for (int i = 0; i < ndim; i++) {
    if (dim[i] < 0 || count > (INT64_MAX / 4) / dim[i]) return -1;
    count *= dim[i];
  }
  return count;
}

static uLong crc_bytes(uLong crc, const unsigned char *p, uint64_t len) {
  while (len > 0) { /* zlib takes a uInt length */
    uInt step = len > (1u << 30) ? (1u << 30) : (uInt)len;
    crc = crc32(crc, p, step);
    p += step;
    len -= step;
  }
  return crc;
}

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

/* Make the rename durable. Filesystems that cannot sync a directory say
 * EINVAL; there is nothing more to do on them, so that is not an error. */
static int sync_dir(const char *path) {
  const char *slash = strrchr(path, '/');
  char *dir = !slash          ? strdup(".")
              : slash == path ? strdup("/")
                              : strndup(path, (size_t)(slash - path));
  if (!dir) return -1;
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  free(dir);
  if (fd < 0) return -1;
  int rc = fsync(fd) == 0 || errno == EINVAL ? 0 : -1;
  int saved = errno;
  close(fd);
  errno = saved;
  return rc;
}

int nnd_checkpoint_save(const char *path, const nnd_ckpt_tensor *tensors, int n,
                        const char *const *meta_keys, const char *const *meta_values,
                        int n_meta, char *err, size_t err_size) {
  if (!path || !*path) return fail(err, err_size, path, "no file name given");
  if (n < 0 || (n > 0 && !tensors) || n_meta < 0 ||
      (n_meta > 0 && (!meta_keys || !meta_values)))
    return fail(err, err_size, path, "invalid arguments (count below 0 or NULL array)");

  int rc = -1, fd = -1;
  FILE *f = NULL;
  char *header = NULL, *tmp = NULL;
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

  /* The temp file lives in the target's directory: rename is atomic only
   * within one filesystem. */
  size_t plen = strlen(path);
  tmp = malloc(plen + sizeof ".tmp.XXXXXX");
  if (!tmp) {
    fail(err, err_size, path, "out of memory");
    goto out;
  }
  memcpy(tmp, path, plen);
  memcpy(tmp + plen, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
  fd = mkstemp(tmp);
  if (fd < 0) {
    fail(err, err_size, path, "cannot create a temporary file next to it: %s", strerror(errno));
    free(tmp);
    tmp = NULL; /* nothing to remove */
    goto out;
  }
  /* mkstemp makes the file 0600; keep the mode of the file being replaced,
   * or 0644 for a new one, so other users' tools can still read weights. */
  struct stat st;
  (void)fchmod(fd, stat(path, &st) == 0 ? (st.st_mode & 07777) : 0644); /* best effort */
  f = fdopen(fd, "wb");
  if (!f) {
    fail(err, err_size, path, "cannot open %s: %s", tmp, strerror(errno));
    close(fd);
    goto out;
  }
  int bad = fwrite(lenbytes, 1, 8, f) != 8 || fwrite(header, 1, hlen, f) != hlen;
  for (size_t i = hlen; !bad && i < padded; i++) bad = fputc(' ', f) == EOF;
  bad = bad || stream(tensors, n, chunk, NULL, f) != 0 || fflush(f) != 0 || fsync(fileno(f)) != 0;
  if (bad) {
    fail(err, err_size, path, "cannot write %s: %s", tmp, strerror(errno));
    goto out;
  }
  int closed = fclose(f);
  f = NULL;
  if (closed != 0) {
    fail(err, err_size, path, "cannot write %s: %s", tmp, strerror(errno));
    goto out;
  }
  if (rename(tmp, path) != 0) {
    fail(err, err_size, path, "cannot rename %s over it: %s", tmp, strerror(errno));
    goto out;
  }
  free(tmp);
  tmp = NULL; /* renamed: no longer ours to remove */
  if (sync_dir(path) != 0) {
    fail(err, err_size, path, "written, but syncing its directory failed (%s); it may not "
         "survive a power loss", strerror(errno));
    goto out;
  }
  rc = 0;
out:
  if (f) fclose(f);
  if (tmp) {
    unlink(tmp);
    free(tmp);
  }
  free(header);
  json_decref(root);
  free(chunk);
  return rc;
}

/* ---- loading ----------------------------------------------------------- */

typedef struct {
  uint64_t begin, end;
  int index; /* header order: ties between empty tensors keep it */
} span;

static int span_cmp(const void *a, const void *b) {
  const span *x = a, *y = b;
  if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
  if (x->end != y->end) return x->end < y->end ? -1 : 1;
  return x->index - y->index;
}

/* A JSON integer >= 0, as uint64. */
static int get_count(const json_t *j, uint64_t *v) {
  if (!json_is_integer(j) || json_integer_value(j) < 0) return -1;
  *v = (uint64_t)json_integer_value(j);
  return 0;
}

/* Check one tensor entry against the data section and fill t and s. */
static int parse_entry(const char *path, const char *name, const json_t *e, uint64_t data_len,
                       nnd_ckpt_tensor *t, span *s, char *err, size_t es) {
  if (!json_is_object(e)) return fail(err, es, path, "tensor '%s': entry is not an object", name);
  const json_t *dtype = json_object_get(e, "dtype");
  if (!json_is_string(dtype))
    return fail(err, es, path, "tensor '%s': \"dtype\" is missing or not a string", name);
  if (strcmp(json_string_value(dtype), "F32") != 0)
    return fail(err, es, path, "tensor '%s' has dtype %s; only F32 is supported", name,
                json_string_value(dtype));
  const json_t *shape = json_object_get(e, "shape");
  if (!json_is_array(shape))
    return fail(err, es, path, "tensor '%s': \"shape\" is missing or not a list", name);
  if (json_array_size(shape) > NND_CKPT_MAX_DIMS)
    return fail(err, es, path, "tensor '%s' has %zu dimensions; at most %d are supported", name,
                json_array_size(shape), NND_CKPT_MAX_DIMS);
  t->ndim = (int)json_array_size(shape);
  for (int d = 0; d < t->ndim; d++) {
    uint64_t v;
    if (get_count(json_array_get(shape, (size_t)d), &v) != 0)
      return fail(err, es, path, "tensor '%s': shape entry %d is not a non-negative integer",
                  name, d);
    t->dim[d] = (int64_t)v;
  }
  const json_t *offs = json_object_get(e, "data_offsets");
  if (!json_is_array(offs) || json_array_size(offs) != 2 ||
      get_count(json_array_get(offs, 0), &s->begin) != 0 ||
      get_count(json_array_get(offs, 1), &s->end) != 0)
    return fail(err, es, path, "tensor '%s': \"data_offsets\" is not a list [begin, end] of "
                "non-negative integers", name);
  if (s->begin > s->end || s->end > data_len)
    return fail(err, es, path, "tensor '%s': data_offsets [%llu, %llu] lie outside the data "
                "section (%llu bytes)", name, (unsigned long long)s->begin,
                (unsigned long long)s->end, (unsigned long long)data_len);
  int64_t count = shape_count(t->dim, t->ndim);
  if (count < 0) return fail(err, es, path, "tensor '%s': shape is too large", name);
  if (s->end - s->begin != 4 * (uint64_t)count)
    return fail(err, es, path, "tensor '%s': data_offsets span %llu bytes but its shape needs "
                "%llu (F32)", name, (unsigned long long)(s->end - s->begin),
                (unsigned long long)(4 * (uint64_t)count));
  return 0;
}

static int parse_meta(const char *path, const json_t *meta, nnd_checkpoint *c, char *err,
                      size_t es) {
  if (!json_is_object(meta)) return fail(err, es, path, "\"%s\" is not an object", META_KEY);
  size_t n = json_object_size(meta);
  c->keys = calloc(n ? n : 1, sizeof *c->keys);
  c->values = calloc(n ? n : 1, sizeof *c->values);
  if (!c->keys || !c->values) return fail(err, es, path, "out of memory");
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)meta, k, v) {
    if (!json_is_string(v))
      return fail(err, es, path, "metadata '%s' is not a string", k);
    c->keys[c->n_meta] = strdup(k);
    c->values[c->n_meta] = strdup(json_string_value(v));
    if (!c->keys[c->n_meta] || !c->values[c->n_meta]) {
      free(c->keys[c->n_meta]); /* the other one, if any, is freed here */
      free(c->values[c->n_meta]);
      c->keys[c->n_meta] = c->values[c->n_meta] = NULL;
      return fail(err, es, path, "out of memory");
    }
    c->n_meta++;
  }
  return 0;
}

/* Parse the header into c: metadata, tensors sorted by data offset. */
static int parse_header(const char *path, const char *text, size_t len, uint64_t data_len,
                        nnd_checkpoint *c, span **spans_out, char *err, size_t es) {
  json_error_t je;
  json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
  if (!root)
    return fail(err, es, path, "header JSON is invalid at line %d, column %d (byte %d): %s",
                je.line, je.column, je.position, je.text);
  int rc = -1;
  span *spans = NULL;
  if (!json_is_object(root)) {
    fail(err, es, path, "header JSON is not an object");
    goto out;
  }
  const json_t *meta = json_object_get(root, META_KEY);
  size_t n = json_object_size(root) - (meta ? 1 : 0);
  if (n > (size_t)INT32_MAX / 2) {
    fail(err, es, path, "header lists too many tensors");
    goto out;
  }
  if (meta && parse_meta(path, meta, c, err, es) != 0) goto out;
  c->t = calloc(n ? n : 1, sizeof *c->t);
  spans = calloc(n ? n : 1, sizeof *spans);
  if (!c->t || !spans) {
    fail(err, es, path, "out of memory");
    goto out;
  }
  nnd_ckpt_tensor *tmp = calloc(n ? n : 1, sizeof *tmp);
  if (!tmp) {
    fail(err, es, path, "out of memory");
    goto out;
  }
  const char *key;
  json_t *e;
  int i = 0;
  json_object_foreach(root, key, e) {
    if (e == meta) continue;
    spans[i].index = i;
    if (parse_entry(path, key, e, data_len, &tmp[i], &spans[i], err, es) != 0) break;
    if (!(tmp[i].name = strdup(key))) {
      fail(err, es, path, "out of memory");
      break;
    }
    i++;
  }
  if ((size_t)i == n) {
    /* In data order, which is what "file order" means for a reader that
     * streams the data; then adjacent pairs are enough to find overlaps. */
    qsort(spans, n, sizeof *spans, span_cmp);
    for (size_t k = 0; k < n; k++) c->t[k] = tmp[spans[k].index];
    c->n = (int)n;
    rc = 0;
    for (size_t k = 1; k < n && rc == 0; k++)
      if (spans[k].begin < spans[k - 1].end)
        rc = fail(err, es, path, "tensors '%s' and '%s' overlap (bytes [%llu, %llu) and "
                  "[%llu, %llu))", c->t[k - 1].name, c->t[k].name,
                  (unsigned long long)spans[k - 1].begin, (unsigned long long)spans[k - 1].end,
                  (unsigned long long)spans[k].begin, (unsigned long long)spans[k].end);
  } else {
    for (int k = 0; k < i; k++) free((char *)tmp[k].name);
  }
  free(tmp);
out:
  json_decref(root);
  if (rc == 0) *spans_out = spans;
  else free(spans);
  return rc;
}

/* read exactly n bytes at offset off, or -1 (a short read: the file shrank) */
static int read_at(int fd, void *buf, size_t n, uint64_t off) {
  unsigned char *p = buf;
  while (n > 0) {
    ssize_t k = pread(fd, p, n > (1u << 30) ? (1u << 30) : n, (off_t)off);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      if (k == 0) errno = EIO;
      return -1;
    }
    p += k;
    n -= (size_t)k;
    off += (uint64_t)k;
  }
  return 0;
}

/* Which checksum a file carries: the whole-file one (set *want from the
 * digits at their fixed place), the data-only one of older files, none. */
enum { SUM_NONE, SUM_DATA, SUM_FILE };

static int checksum_kind(const char *path, const nnd_checkpoint *c, const char *header,
                         uint64_t hlen, uint32_t *want, char *err, size_t es) {
  const char *file = nnd_checkpoint_meta(c, FILE_CRC_KEY);
  const char *data = nnd_checkpoint_meta(c, CRC_KEY);
  if (file) {
    if (hlen < FILE_CRC_AT + 9 || memcmp(header, FILE_CRC_PREFIX, FILE_CRC_AT) != 0)
      return fail(err, es, path, "metadata %s is not at the start of the header, where nnd "
                  "writes it", FILE_CRC_KEY);
    uint32_t v = 0;
    for (int i = 0; i < 8; i++) {
      char ch = file[i];
      int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
      if (d < 0) return fail(err, es, path, "metadata %s \"%s\" is not 8 hex digits",
                             FILE_CRC_KEY, file);
      v = v << 4 | (uint32_t)d;
    }
    if (file[8] || memcmp(header + FILE_CRC_AT, file, 8) != 0 || header[FILE_CRC_AT + 8] != '"')
      return fail(err, es, path, "metadata %s \"%s\" is not 8 hex digits", FILE_CRC_KEY, file);
    *want = v;
    return SUM_FILE;
  }
  if (data) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(data, &end, 10);
    if (*data < '0' || *data > '9' || *end || errno || v > 0xffffffffULL)
      return fail(err, es, path, "metadata %s \"%s\" is not a CRC-32", CRC_KEY, data);
    *want = (uint32_t)v;
    return SUM_DATA;
  }
  return SUM_NONE;
}

/* Read the data section's tensors into c->data (in data order, each at a
 * float-aligned place) and add what the checksum covers to *crc: the gaps
 * between tensors are read in chunks for it and skipped without one. */
static int read_tensors(const char *path, int fd, nnd_checkpoint *c, const span *spans,
                        uint64_t data_at, int summed, uLong *crc, char *err, size_t es) {
  uint64_t total = 0;
  for (int i = 0; i < c->n; i++) total += spans[i].end - spans[i].begin;
  if (total > SIZE_MAX / 2) return fail(err, es, path, "tensors too large for this machine");
  if (!(c->data = malloc(total ? (size_t)total : 1))) /* malloc aligns for float */
    return fail(err, es, path, "out of memory (%llu bytes of tensors)",
                (unsigned long long)total);
  unsigned char *gap = NULL;
  uint64_t pos = 0, used = 0;
  int rc = 0;
  for (int i = 0; i < c->n && rc == 0; i++) {
    while (summed && pos < spans[i].begin && rc == 0) {
      size_t k = spans[i].begin - pos > GAP_CHUNK ? GAP_CHUNK : (size_t)(spans[i].begin - pos);
      if (!gap && !(gap = malloc(GAP_CHUNK))) rc = fail(err, es, path, "out of memory");
      else if (read_at(fd, gap, k, data_at + pos) != 0)
        rc = fail(err, es, path, "cannot read: %s (changed while reading?)", strerror(errno));
      else *crc = crc_bytes(*crc, gap, k), pos += k;
    }
    size_t len = (size_t)(spans[i].end - spans[i].begin);
    unsigned char *dst = c->data + used;
    if (rc == 0 && read_at(fd, dst, len, data_at + spans[i].begin) != 0)
      rc = fail(err, es, path, "cannot read: %s (changed while reading?)", strerror(errno));
    if (rc == 0 && summed) *crc = crc_bytes(*crc, dst, len);
    pos = spans[i].end;
    used += len;
  }
  free(gap);
  return rc;
}

/* Little-endian bytes to host floats, in place: c->data is malloc'd and
 * every tensor's size is a multiple of 4, so each one is float-aligned. */
static void decode(nnd_checkpoint *c) {
  size_t used = 0;
  for (int i = 0; i < c->n; i++) {
    size_t count = (size_t)shape_count(c->t[i].dim, c->t[i].ndim);
    float *dst = (float *)(void *)(c->data + used);
    for (size_t k = 0; k < count; k++) {
      uint32_t u = get_le32(c->data + used + 4 * k);
      float v;
      memcpy(&v, &u, 4);
      dst[k] = v; /* a float store, so the bytes now hold a float object */
    }
    c->t[i].data = dst;
    used += 4 * count;
  }
}

int nnd_checkpoint_load(const char *path, nnd_checkpoint **out, char *err, size_t err_size) {
  if (out) *out = NULL;
  if (!path || !out) return fail(err, err_size, path, "invalid arguments");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(err, err_size, path, "cannot open: %s", strerror(errno));
  int rc = -1;
  span *spans = NULL;
  char *header = NULL;
  nnd_checkpoint *c = calloc(1, sizeof *c);
  struct stat st;
  unsigned char head[8];
  if (!c) {
    fail(err, err_size, path, "out of memory");
    goto out;
  }
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    fail(err, err_size, path, "not a regular file");
    goto out;
  }
  uint64_t size = (uint64_t)st.st_size;
  if (size < 8 || read_at(fd, head, 8, 0) != 0) {
    fail(err, err_size, path, "file is %llu bytes, too short for a safetensors header length "
         "(8 bytes)", (unsigned long long)size);
    goto out;
  }
  uint64_t hlen = get_le64(head);
  if (hlen > size - 8) {
    fail(err, err_size, path, "header length %llu runs past the end of the file (%llu bytes)",
         (unsigned long long)hlen, (unsigned long long)size);
    goto out;
  }
  if (hlen >= MAX_HEADER) {
    fail(err, err_size, path, "header length %llu exceeds the 100 MB limit",
         (unsigned long long)hlen);
    goto out;
  }
  if (!(header = malloc((size_t)hlen + 1))) {
    fail(err, err_size, path, "out of memory");
    goto out;
  }
  if (read_at(fd, header, (size_t)hlen, 8) != 0) {
    fail(err, err_size, path, "cannot read its header: %s", strerror(errno));
    goto out;
  }
  uint64_t data_len = size - 8 - hlen, last = 0;
  if (parse_header(path, header, (size_t)hlen, data_len, c, &spans, err, err_size) != 0)
    goto out;
  for (int i = 0; i < c->n; i++)
    if (spans[i].end > last) last = spans[i].end;
  /* as the reference reader: the tensors end where the file does */
  if (data_len > last) {
    fail(err, err_size, path, "%llu bytes after the end of the last tensor (the file is %llu "
         "bytes, its tensors end at byte %llu)", (unsigned long long)(data_len - last),
         (unsigned long long)size, (unsigned long long)(8 + hlen + last));
    goto out;
  }
  uint32_t want = 0;
  int kind = checksum_kind(path, c, header, hlen, &want, err, err_size);
  if (kind < 0) goto out;
  uLong crc = crc32(0L, Z_NULL, 0);
  if (kind == SUM_FILE) {
    memset(header + FILE_CRC_AT, '0', 8);
    crc = crc_bytes(crc_bytes(crc, head, 8), (const unsigned char *)header, hlen);
  }
  if (read_tensors(path, fd, c, spans, 8 + hlen, kind != SUM_NONE, &crc, err, err_size) != 0)
    goto out;
  if (kind != SUM_NONE && crc != want) {
    if (kind == SUM_FILE)
      fail(err, err_size, path, "checksum mismatch: the file is corrupted (%s says %08lx, the "
           "file gives %08lx)", FILE_CRC_KEY, (unsigned long)want, (unsigned long)crc);
    else
      fail(err, err_size, path, "checksum mismatch: the file is corrupted (%s says %lu, the "
           "data gives %lu)", CRC_KEY, (unsigned long)want, (unsigned long)crc);
    goto out;
  }
  c->header_checked = kind == SUM_FILE;
  decode(c);
  rc = 0;
out:
  close(fd);
  free(header);
  free(spans);
  if (rc == 0) *out = c;
  else nnd_checkpoint_free(c);
  return rc;
}

void nnd_checkpoint_free(nnd_checkpoint *c) {
  if (!c) return;
  for (int i = 0; i < c->n; i++) free((char *)c->t[i].name);
  for (int i = 0; i < c->n_meta; i++) {
    free(c->keys[i]);
    free(c->values[i]);
  }
  free(c->keys);
  free(c->values);
  free(c->t);
  free(c->data);
  free(c);
}

int nnd_checkpoint_count(const nnd_checkpoint *c) { return c ? c->n : 0; }

const nnd_ckpt_tensor *nnd_checkpoint_at(const nnd_checkpoint *c, int i) {
  return c && i >= 0 && i < c->n ? &c->t[i] : NULL;
}

const nnd_ckpt_tensor *nnd_checkpoint_find(const nnd_checkpoint *c, const char *name) {
  for (int i = 0; c && name && i < c->n; i++)
    if (strcmp(c->t[i].name, name) == 0) return &c->t[i];
  return NULL;
}

int nnd_checkpoint_header_checked(const nnd_checkpoint *c) { return c && c->header_checked; }

const char *nnd_checkpoint_meta(const nnd_checkpoint *c, const char *key) {
  for (int i = 0; c && key && i < c->n_meta; i++)
    if (strcmp(c->keys[i], key) == 0) return c->values[i];
  return NULL;
}
