/* idx.c — idx(images, labels, scale): the IDX files of the MNIST family
 * (http://yann.lecun.com/exdb/mnist), gzipped or raw.
 *
 * An IDX file is a 4-byte big-endian magic 0x0000TTDD (TT the element type,
 * DD the number of dimensions), DD big-endian uint32 sizes, then the
 * elements. Images are 0x00000803 (count, rows, cols), labels 0x00000801
 * (count). Only unsigned bytes (TT = 0x08) are read: every dataset this
 * format is used for stores pixels and labels as bytes, and other types
 * are refused by name rather than misread.
 *
 * What is checked, each message naming the file: that it opens (strerror),
 * that it is gzip-clean (zlib's message), the magic and dimensions, that
 * the data is all there, that there is nothing after it (trailing bytes are
 * refused: they mean the header's count is wrong or two files were
 * concatenated, and training on a silently cut set is worse than an error),
 * and that images and labels have as many samples.
 *
 * Sizes are checked before anything is allocated: the dims' product for
 * overflow, a raw file's size against what its header announces (a
 * truncation), and each file's data against nnd_data_max_bytes (2 GiB).
 * A gzip's size shows only while it is decompressed, so its buffer grows
 * with what arrives, up to what the header announces and the cap allows. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "dataset_internal.h"

#define IDX_UBYTE 0x08
#define IDX_IMAGES 0x00000803u
#define IDX_LABELS 0x00000801u

/* A file being read: raw through stdio, or gzip (detected by its 1f 8b
 * magic, not by the name) through zlib; or the same from memory (tests and
 * fuzzers), gzip then through inflate. `size` is the raw bytes there are
 * (-1 for gzip, whose size is known only once decompressed), so a header
 * announcing more than a raw file holds is refused before anything is
 * allocated. */
typedef struct {
  const char *path;
  FILE *f;
  gzFile gz;
  const unsigned char *mem; /* memory source: mem[0..mem_len) */
  size_t mem_len, mem_pos;
  z_stream z;  /* memory gzip */
  int inflating;
  int64_t size;
} idx_file;

static void idx_close(idx_file *s) {
  if (s->f) fclose(s->f);
  if (s->gz) gzclose(s->gz);
  if (s->inflating) inflateEnd(&s->z);
  s->f = NULL;
  s->gz = NULL;
  s->inflating = 0;
}

static int idx_open_mem(idx_file *s, const char *name, const void *data, size_t len,
                        char *err, size_t es) {
  memset(s, 0, sizeof *s);
  s->path = name;
  s->mem = data ? data : (const unsigned char *)""; /* never NULL: marks memory */
  s->mem_len = data ? len : 0;
  s->size = (int64_t)s->mem_len;
  if (s->mem_len >= 2 && s->mem[0] == 0x1f && s->mem[1] == 0x8b) {
    if (inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK)
      return nnd_data_fail(err, es, "%s: out of memory", name);
    s->inflating = 1;
    s->z.next_in = (unsigned char *)s->mem;
    s->z.avail_in = s->mem_len > UINT_MAX ? UINT_MAX : (unsigned)s->mem_len;
    s->mem_pos = s->z.avail_in;
    s->size = -1;
  }
  return 0;
}

/* inflate into buf[0..n) from memory; what gzread would give (members one
 * after another, anything else after a member ignored), or -1. */
static int64_t idx_inflate(idx_file *s, unsigned char *buf, size_t n, char *err, size_t es) {
  size_t total = 0;
  while (total < n && s->inflating) {
    size_t want = n - total > UINT_MAX ? UINT_MAX : n - total;
    s->z.next_out = buf + total;
    s->z.avail_out = (unsigned)want;
    if (s->z.avail_in == 0 && s->mem_pos < s->mem_len) {
      size_t more = s->mem_len - s->mem_pos;
      s->z.avail_in = more > UINT_MAX ? UINT_MAX : (unsigned)more;
      s->mem_pos += s->z.avail_in;
    }
    int r = inflate(&s->z, Z_NO_FLUSH);
    total += want - s->z.avail_out;
    if (r == Z_STREAM_END) {
      size_t left = s->z.avail_in + (s->mem_len - s->mem_pos);
      const unsigned char *next = s->z.next_in;
      if (left >= 2 && next[0] == 0x1f && next[1] == 0x8b) {
        inflateReset(&s->z);
        continue;
      }
      inflateEnd(&s->z);
      s->inflating = 0;
      break;
    }
    if (r == Z_BUF_ERROR && s->z.avail_in == 0 && s->mem_pos == s->mem_len)
      return nnd_data_gz_fail(s->path, Z_BUF_ERROR, "unexpected end of file", err, es);
    if (r != Z_OK)
      return nnd_data_gz_fail(s->path, Z_DATA_ERROR, s->z.msg ? s->z.msg : "bad data", err, es);
  }
  return (int64_t)total;
}

static int idx_open_file(idx_file *s, const char *path, char *err, size_t es) {
  memset(s, 0, sizeof *s);
  s->path = path;
  s->size = -1;
  s->f = fopen(path, "rb");
  if (!s->f) return nnd_data_fail(err, es, "%s: %s", path, strerror(errno));
  unsigned char m[2] = {0, 0};
  size_t got = fread(m, 1, 2, s->f);
  if (ferror(s->f)) {
    int e = errno; /* a directory opens and fails on the first read */
    idx_close(s);
    return nnd_data_fail(err, es, "%s: %s", path, strerror(e));
  }
  if (got == 2 && m[0] == 0x1f && m[1] == 0x8b) {
    fclose(s->f);
    s->f = NULL;
    errno = 0;
    s->gz = gzopen(path, "rb");
    if (!s->gz)
      return nnd_data_fail(err, es, "%s: %s", path, errno ? strerror(errno) : "out of memory");
  } else {
    struct stat st;
    s->size = fstat(fileno(s->f), &st) == 0 && S_ISREG(st.st_mode) ? (int64_t)st.st_size : -1;
    rewind(s->f);
  }
  return 0;
}

/* Read up to n bytes; the count read (short only at the end of the data),
 * or -1 with a message on a read or decompression error. */
static int64_t idx_read(idx_file *s, void *buf, size_t n, char *err, size_t es) {
  if (s->mem && s->inflating) return idx_inflate(s, buf, n, err, es);
  if (s->mem) {
    if (s->size < 0) return 0; /* a gzip stream that has ended */
    size_t k = s->mem_len - s->mem_pos < n ? s->mem_len - s->mem_pos : n;
    memcpy(buf, s->mem + s->mem_pos, k);
    s->mem_pos += k;
    return (int64_t)k;
  }
  size_t total = 0;
  while (total < n) {
    size_t want = n - total;
    if (s->gz) {
      /* gzread takes an unsigned count and returns an int */
      if (want > (1u << 30)) want = 1u << 30;
      int r = gzread(s->gz, (char *)buf + total, (unsigned)want);
      int zerr = Z_OK;
      const char *msg = gzerror(s->gz, &zerr);
      /* zlib keeps returning what it decoded before a fault: check the
         error state after every call, not only on r < 0 */
      if (r < 0 || zerr != Z_OK) return nnd_data_gz_fail(s->path, zerr, msg, err, es);
      if (r == 0) break;
      total += (size_t)r;
    } else {
      size_t r = fread((char *)buf + total, 1, want, s->f);
      total += r;
      if (r < want) {
        if (ferror(s->f)) return nnd_data_fail(err, es, "%s: %s", s->path, strerror(errno));
        break;
      }
    }
  }
  return (int64_t)total;
}

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static const char *idx_type_name(unsigned t) {
  switch (t) {
  case 0x08: return "unsigned byte";
  case 0x09: return "signed byte";
  case 0x0B: return "16-bit integer";
  case 0x0C: return "32-bit integer";
  case 0x0D: return "32-bit float";
  case 0x0E: return "64-bit float";
  default: return NULL;
  }
}

/* Read the magic and the dims of a file that must be `kind` ("image" or
 * "label") with `ndims` dimensions; dim[] receives them. */
static int idx_header(idx_file *s, const char *kind, int ndims, uint32_t *dim, char *err,
                      size_t es) {
  const uint32_t want = 0x0800u | (uint32_t)ndims;
  unsigned char h[16];
  const int64_t need = 4 + 4 * (int64_t)ndims;
  int64_t got = idx_read(s, h, 4, err, es);
  if (got < 0) return -1;
  if (got < 4)
    return nnd_data_fail(err, es,
                         "%s: truncated: %lld bytes of IDX header expected, %lld found",
                         s->path, (long long)need, (long long)got);
  const uint32_t magic = be32(h);
  const unsigned type = (magic >> 8) & 0xFF, dims = magic & 0xFF;
  if (magic >> 16 != 0 || !idx_type_name(type))
    return nnd_data_fail(err, es, "%s: not an IDX %s file: magic 0x%08X, expected 0x%08X",
                         s->path, kind, magic, want);
  if (dims != (unsigned)ndims) {
    /* the usual cause is images and labels given the wrong way round */
    int other = ndims == 3 ? 1 : 3;
    return nnd_data_fail(err, es,
                         "%s: not an IDX %s file: magic 0x%08X, expected 0x%08X (it has %u "
                         "dimension%s where %s files have %d%s)",
                         s->path, kind, magic, want, dims, dims == 1 ? "" : "s", kind, ndims,
                         dims == (unsigned)other
                             ? (ndims == 3 ? "; is this the labels file?"
                                           : "; is this the images file?")
                             : "");
  }
  if (type != IDX_UBYTE)
    return nnd_data_fail(err, es,
                         "%s: IDX element type 0x%02X (%s) is not supported: only unsigned "
                         "bytes (0x08) are",
                         s->path, type, idx_type_name(type));
  int64_t more = idx_read(s, h + 4, (size_t)(need - 4), err, es);
  if (more < 0) return -1;
  if (more < need - 4)
    return nnd_data_fail(err, es,
                         "%s: truncated: %lld bytes of IDX header expected, %lld found",
                         s->path, (long long)need, (long long)(4 + more));
  for (int i = 0; i < ndims; i++) dim[i] = be32(h + 4 + 4 * i);
  return 0;
}

/* Read exactly `expected` bytes of `what` ("image", "label") data and make
 * sure nothing follows. The buffer grows with what is actually there, so a
 * damaged header claiming billions of samples costs a truncation message,
 * not an allocation of what it claims. */
static int idx_body(idx_file *s, const char *what, int64_t expected, uint8_t **out,
                    char *err, size_t es) {
  *out = NULL;
  size_t cap = expected < (1 << 20) ? (size_t)expected : (size_t)1 << 20;
  uint8_t *buf = malloc(cap ? cap : 1);
  if (!buf) return nnd_data_fail(err, es, "%s: out of memory", s->path);
  int64_t got = 0;
  while (got < expected) {
    if ((size_t)got == cap) {
      size_t ncap = cap * 2 < (size_t)expected ? cap * 2 : (size_t)expected;
      uint8_t *nb = realloc(buf, ncap);
      if (!nb) {
        free(buf);
        return nnd_data_fail(err, es, "%s: out of memory for %lld bytes of %s data", s->path,
                             (long long)expected, what);
      }
      buf = nb;
      cap = ncap;
    }
    int64_t r = idx_read(s, buf + got, cap - (size_t)got, err, es);
    if (r < 0) {
      free(buf);
      return -1;
    }
    got += r;
    if ((size_t)got < cap) break; /* a short read is the end of the data */
  }
  if (got < expected) {
    free(buf);
    return nnd_data_fail(err, es, "%s: truncated: %lld bytes of %s data expected, %lld found",
                         s->path, (long long)expected, what, (long long)got);
  }
  /* reading on to the end also makes zlib check the gzip trailer's CRC */
  int64_t extra = 0, r;
  unsigned char tail[4096];
  while ((r = idx_read(s, tail, sizeof tail, err, es)) > 0) extra += r;
  if (r < 0) {
    free(buf);
    return -1;
  }
  if (extra > 0) {
    free(buf);
    return nnd_data_fail(err, es,
                         "%s: %lld bytes of trailing data after the %lld bytes of %s data "
                         "the header announces",
                         s->path, (long long)extra, (long long)expected, what);
  }
  *out = buf;
  return 0;
}

/* Whether a file's body of `expected` bytes can be there and may be held:
 * a raw file's size is known, so a header claiming more than it holds is a
 * truncation found before any allocation; any file may hold at most
 * nnd_data_max_bytes (gzip's real size shows only while decompressing, and
 * idx_body grows with what arrives, so this caps what a small gzip of
 * zeros could make nnd allocate). */
static int idx_fits(const idx_file *s, const char *what, int64_t expected, int ndims,
                    const char *count_text, char *err, size_t es) {
  const int64_t header = 4 + 4 * (int64_t)ndims;
  /* the cap first: then a raw file and its gzip get the same message (the
     truncation of a gzip file shows only when its data runs out) */
  if ((uint64_t)expected > nnd_data_max_bytes()) {
    char limit[64];
    return nnd_data_fail(err, es, "%s: %s are %lld bytes, more than the %s a data file may hold",
                         s->path, count_text, (long long)expected,
                         nnd_data_size_text(nnd_data_max_bytes(), limit, sizeof limit));
  }
  if (s->size >= 0 && expected > s->size - header)
    return nnd_data_fail(err, es, "%s: truncated: %lld bytes of %s data expected, %lld found",
                         s->path, (long long)expected, what,
                         (long long)(s->size > header ? s->size - header : 0));
  /* trailing bytes too, and in the words idx_body uses for a gzip file:
     both files are judged here before either body is read, as a gzip pair
     is judged body by body (found by fuzz_idx: images with a trailing byte
     and short labels got different messages raw and gzipped) */
  if (s->size >= 0 && expected < s->size - header)
    return nnd_data_fail(err, es,
                         "%s: %lld bytes of trailing data after the %lld bytes of %s data "
                         "the header announces",
                         s->path, (long long)(s->size - header - expected), (long long)expected,
                         what);
  return 0;
}

/* The pair, both opened: headers, sizes, bodies, the dataset. */
static int idx_read_pair(idx_file *img, idx_file *lab, double scale, nnd_dataset **out,
                         char *err, size_t es) {
  const char *img_path = img->path, *lab_path = lab->path;
  uint8_t *pixels = NULL, *label_bytes = NULL;
  nnd_dataset *d = NULL;
  float *labels = NULL;
  uint32_t idim[3], ldim[1];
  int64_t n = 0, features = 0;
  int rc = -1;
  char count_text[96];
  /* both headers before any data, so a count mismatch is reported without
     first decompressing 47 MB of pixels */
  if (idx_header(img, "image", 3, idim, err, es) != 0 ||
      idx_header(lab, "label", 1, ldim, err, es) != 0)
    goto done;
  if (idim[0] != ldim[0]) {
    nnd_data_fail(err, es, "%s: images has %lu samples but labels has %lu (%s)", img_path,
                  (unsigned long)idim[0], (unsigned long)ldim[0], lab_path);
    goto done;
  }
  if (idim[0] == 0) {
    nnd_data_fail(err, es, "%s: the file holds no samples", img_path);
    goto done;
  }
  /* rows and cols become ints (nnd_dataset_image_shape) */
  if (idim[1] == 0 || idim[2] == 0 || idim[1] > INT_MAX || idim[2] > INT_MAX) {
    nnd_data_fail(err, es, "%s: images of %lux%lu pixels cannot be used", img_path,
                  (unsigned long)idim[1], (unsigned long)idim[2]);
    goto done;
  }
  n = idim[0];
  features = (int64_t)idim[1] * idim[2]; /* < 2^62: both are at most INT_MAX */
  if (features > INT64_MAX / n || (uint64_t)(n * features) > SIZE_MAX / 2) {
    nnd_data_fail(err, es, "%s: %lld images of %lld pixels are too many to hold in memory",
                  img_path, (long long)n, (long long)features);
    goto done;
  }
  snprintf(count_text, sizeof count_text, "%lld images of %lld pixels", (long long)n,
           (long long)features);
  if (idx_fits(img, "image", n * features, 3, count_text, err, es) != 0) goto done;
  snprintf(count_text, sizeof count_text, "%lld labels", (long long)n);
  if (idx_fits(lab, "label", n, 1, count_text, err, es) != 0) goto done;
  if (idx_body(img, "image", n * features, &pixels, err, es) != 0 ||
      idx_body(lab, "label", n, &label_bytes, err, es) != 0)
    goto done;

  d = nnd_data_new(img_path);
  labels = d ? malloc((size_t)n * sizeof *labels) : NULL;
  if (d && !(d->label_file = strdup(lab_path))) {
    free(labels);
    labels = NULL;
  }
  if (!labels) {
    nnd_data_fail(err, es, "%s: out of memory", img_path);
    goto done;
  }
  int max_label = 0;
  for (int64_t i = 0; i < n; i++) {
    labels[i] = label_bytes[i];
    if (label_bytes[i] > max_label) max_label = label_bytes[i];
  }
  d->labels = labels;
  labels = NULL;
  d->bytes = pixels;
  pixels = NULL;
  d->n = n;
  d->features = features;
  d->rows = (int)idim[1];
  d->cols = (int)idim[2];
  d->classes = max_label + 1;
  d->scale = scale;
  for (int v = 0; v < 256; v++) d->lut[v] = (float)(v * scale);
  *out = d;
  d = NULL;
  rc = 0;
done:
  free(pixels);
  free(labels);
  free(label_bytes);
  nnd_dataset_free(d);
  return rc;
}

int nnd_data_idx_load(const char *images, const char *labels, double scale, nnd_dataset **out,
                      char *err, size_t es) {
  if (out) *out = NULL;
  if (!out || !images || !labels) return nnd_data_fail(err, es, "idx: no file or no result");
  if (!isfinite(scale)) return nnd_data_fail(err, es, "idx: scale must be a finite number");
  idx_file img = {0}, lab = {0};
  int rc = -1;
  if (idx_open_file(&img, images, err, es) == 0 && idx_open_file(&lab, labels, err, es) == 0)
    rc = idx_read_pair(&img, &lab, scale, out, err, es);
  idx_close(&img);
  idx_close(&lab);
  return rc;
}

int nnd_data_idx_parse(const char *images_name, const void *images, size_t images_len,
                       const char *labels_name, const void *labels, size_t labels_len,
                       double scale, nnd_dataset **out, char *err, size_t es) {
  if (out) *out = NULL;
  if (!out || !images_name || !labels_name)
    return nnd_data_fail(err, es, "idx: no name or no result");
  if (!isfinite(scale)) return nnd_data_fail(err, es, "idx: scale must be a finite number");
  idx_file img = {0}, lab = {0};
  int rc = -1;
  if (idx_open_mem(&img, images_name, images, images_len, err, es) == 0 &&
      idx_open_mem(&lab, labels_name, labels, labels_len, err, es) == 0)
    rc = idx_read_pair(&img, &lab, scale, out, err, es);
  idx_close(&img);
  idx_close(&lab);
  return rc;
}

int nnd_data_idx_open(const nnd_value *call, const char *base_dir, nnd_dataset **out,
                      char *err, size_t es) {
  const char *img_arg = nnd_data_str_arg(call, "images");
  const char *lab_arg = nnd_data_str_arg(call, "labels");
  if (!img_arg || !*img_arg)
    return nnd_data_fail(err, es, "idx: `images` must name an IDX file");
  if (!lab_arg || !*lab_arg)
    return nnd_data_fail(err, es, "idx: `labels` must name an IDX file");
  const double scale = nnd_num(nnd_call_arg(call, "scale"), 1);
  if (!isfinite(scale)) return nnd_data_fail(err, es, "idx: scale must be a finite number");
  char *img_path = nnd_data_path(base_dir, img_arg);
  char *lab_path = nnd_data_path(base_dir, lab_arg);
  int rc = img_path && lab_path ? nnd_data_idx_load(img_path, lab_path, scale, out, err, es)
                                : nnd_data_fail(err, es, "idx: out of memory");
  free(img_path);
  free(lab_path);
  return rc;
}
