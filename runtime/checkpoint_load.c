/* checkpoint_load.c — reading safetensors checkpoints (see checkpoint.h):
 * sizes checked against the file before anything is read, then the header,
 * then only the tensors, by offset. */
#include "checkpoint_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

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
