/* test_checkpoint.c — safetensors checkpoints: values survive a round trip
 * bit for bit, the bytes on disk are the documented format (checked both
 * here and by an independent Python reader), every kind of damaged or
 * foreign file is refused with a message naming it, files from other
 * writers (no CRC, gaps between tensors) load, and an interrupted save
 * never replaces the previous file. */
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "checkpoint.h"
#include "tests.h"

static char dir[512]; /* a fresh directory per run, removed afterwards */

static void child_end(int fd, char result);

static int suite_init(void) {
  const char *t = getenv("TMPDIR");
  snprintf(dir, sizeof dir, "%s/nnd_ckpt_XXXXXX", t && *t ? t : "/tmp");
  return mkdtemp(dir) ? 0 : -1;
}

static const char *tp(char *buf, const char *name) {
  snprintf(buf, 1024, "%s/%s", dir, name);
  return buf;
}

/* Over the files of the test directory whose names contain `needle`:
 * count them, or remove them, or (bytes != NULL) add up their sizes. */
static int walk(const char *needle, int remove, long long *bytes) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char p[1024];
  struct stat st;
  int n = 0;
  while (d && (e = readdir(d))) {
    if (!strstr(e->d_name, needle) || strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    n++;
    if (remove) unlink(tp(p, e->d_name));
    if (bytes && stat(tp(p, e->d_name), &st) == 0) *bytes += (long long)st.st_size;
  }
  if (d) closedir(d);
  return n;
}

/* Temporary files a save left behind. */
static int count_temp_files(void) { return walk(".tmp.", 0, NULL); }

static int suite_cleanup(void) {
  walk("", 1, NULL);
  return rmdir(dir);
}

static unsigned char *slurp(const char *path, size_t *len) {
  *len = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc(n > 0 ? (size_t)n : 1);
  *len = b ? fread(b, 1, (size_t)n, f) : 0;
  fclose(f);
  return b;
}

static void spit(const char *path, const void *bytes, size_t len) {
  FILE *f = fopen(path, "wb");
  CU_ASSERT_FATAL(f != NULL);
  CU_ASSERT(fwrite(bytes, 1, len, f) == len);
  fclose(f);
}

/* A file by hand: header length (hlen, or the header's own length when
 * hlen < 0), the header text, then the data bytes. */
static void write_raw(const char *path, long long hlen, const char *header, const void *data,
                      size_t dlen) {
  size_t h = strlen(header);
  unsigned char *b = malloc(8 + h + dlen + 1);
  uint64_t n = hlen < 0 ? (uint64_t)h : (uint64_t)hlen;
  for (int i = 0; i < 8; i++) b[i] = (unsigned char)(n >> (8 * i));
  memcpy(b + 8, header, h);
  if (dlen) memcpy(b + 8 + h, data, dlen);
  spit(path, b, 8 + h + dlen);
  free(b);
}

/* Header entries written out: E("a", "F32", "[2]", "0,8") is
 * "a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}. */
#define E(name, dtype, shape, offs) \
  "\"" name "\":{\"dtype\":\"" dtype "\",\"shape\":" shape ",\"data_offsets\":[" offs "]}"

/* Loading must fail with a message naming the file and containing needle. */
static int load_fails(const char *path, const char *needle) {
  char err[1024] = "";
  nnd_checkpoint *c = (nnd_checkpoint *)1;
  int rc = nnd_checkpoint_load(path, &c, err, sizeof err);
  int ok = rc == -1 && c == NULL && strstr(err, path) == err && strstr(err, needle);
  if (!ok) fprintf(stderr, "\nexpected a refusal with \"%s\"; rc=%d: %s\n", needle, rc, err);
  if (rc == 0) nnd_checkpoint_free(c);
  return ok;
}

static nnd_checkpoint *load_ok(const char *path) {
  char err[1024] = "";
  nnd_checkpoint *c = NULL;
  if (nnd_checkpoint_load(path, &c, err, sizeof err) != 0) fprintf(stderr, "\n%s\n", err);
  return c;
}

static int same_bits(const float *a, const float *b, size_t n) {
  return n == 0 || memcmp(a, b, n * sizeof *a) == 0;
}

/* c has a tensor `name` of the given shape whose values have the bits of want. */
static int has(const nnd_checkpoint *c, const char *name, int ndim, const int64_t *dim,
               const float *want) {
  const nnd_ckpt_tensor *t = nnd_checkpoint_find(c, name);
  int ok = t && t->ndim == ndim && (uintptr_t)t->data % sizeof(float) == 0;
  size_t count = 1;
  for (int i = 0; ok && i < ndim; i++) {
    ok = t->dim[i] == dim[i];
    count *= (size_t)dim[i];
  }
  return ok && same_bits(t->data, want, count);
}

/* Flip bits of the byte `back` bytes before the end of a file. */
static void flip_byte(const char *path, size_t back, unsigned char bits) {
  size_t len = 0;
  unsigned char *b = slurp(path, &len);
  CU_ASSERT_FATAL(b != NULL && len >= back);
  b[len - back] ^= bits;
  spit(path, b, len);
  free(b);
}

static float from_bits(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

/* ---- the round trip ---------------------------------------------------- */

static float v_scalar[1] = {3.5f};
static float v_vec[6];
static float v_conv[24];

static void fill_values(void) {
  v_vec[0] = -0.0f;
  v_vec[1] = from_bits(1);          /* smallest subnormal */
  v_vec[2] = 3.4028234663852886e38f; /* FLT_MAX */
  v_vec[3] = INFINITY;
  v_vec[4] = from_bits(0x7fc00123u); /* a NaN with a payload */
  v_vec[5] = 0.1f;
  for (int i = 0; i < 24; i++) v_conv[i] = (float)i * 0.1f - 1.0f;
}

static const char *meta_k[] = {"format", "nnd.epoch", "note"};
static const char *meta_v[] = {"pt", "7", "gr\303\266\303\237e, \"quoted\"" /* UTF-8 */};

static int save_round_trip(const char *path) {
  fill_values();
  nnd_ckpt_tensor t[5] = {
      {.name = "s", .data = v_scalar, .ndim = 0},
      {.name = "v", .data = v_vec, .ndim = 1, .dim = {6}},
      {.name = "conv.w", .data = v_conv, .ndim = 4, .dim = {2, 3, 2, 2}},
      {.name = "empty", .data = NULL, .ndim = 1, .dim = {0}},
      {.name = "empty3", .data = NULL, .ndim = 3, .dim = {2, 0, 3}},
  };
  char err[1024] = "";
  int rc = nnd_checkpoint_save(path, t, 5, meta_k, meta_v, 3, err, sizeof err);
  if (rc != 0) fprintf(stderr, "\n%s\n", err);
  return rc;
}

static void test_round_trip(void) {
  char p[1024];
  CU_ASSERT_FATAL(save_round_trip(tp(p, "rt.safetensors")) == 0);
  nnd_checkpoint *c = load_ok(p);
  CU_ASSERT_FATAL(c != NULL);
  CU_ASSERT_EQUAL(nnd_checkpoint_count(c), 5);
  const char *order[] = {"s", "v", "conv.w", "empty", "empty3"};
  for (int i = 0; i < 5; i++) CU_ASSERT_STRING_EQUAL(nnd_checkpoint_at(c, i)->name, order[i]);
  CU_ASSERT_PTR_NULL(nnd_checkpoint_at(c, 5));
  CU_ASSERT_PTR_NULL(nnd_checkpoint_at(c, -1));

  CU_ASSERT(has(c, "s", 0, NULL, v_scalar));
  CU_ASSERT(has(c, "v", 1, (int64_t[]){6}, v_vec));
  CU_ASSERT(has(c, "conv.w", 4, (int64_t[]){2, 3, 2, 2}, v_conv));
  CU_ASSERT(has(c, "empty", 1, (int64_t[]){0}, NULL));
  CU_ASSERT(has(c, "empty3", 3, (int64_t[]){2, 0, 3}, NULL));
  CU_ASSERT_PTR_NULL(nnd_checkpoint_find(c, "conv"));  /* exact names only */
  CU_ASSERT_PTR_NULL(nnd_checkpoint_find(c, "conv.w.")); /* exact names only */

  for (int i = 0; i < 3; i++) {
    const char *m = nnd_checkpoint_meta(c, meta_k[i]);
    CU_ASSERT(m && strcmp(m, meta_v[i]) == 0);
  }
  CU_ASSERT_PTR_NOT_NULL(nnd_checkpoint_meta(c, "nnd.file_crc32"));
  CU_ASSERT_EQUAL(nnd_checkpoint_header_checked(c), 1);
  CU_ASSERT_PTR_NULL(nnd_checkpoint_meta(c, "missing"));
  nnd_checkpoint_free(c);
  CU_ASSERT_EQUAL(count_temp_files(), 0);
}

/* The bytes on disk: the length prefix, the padded JSON, the data after it. */
static void test_file_layout(void) {
  char p[1024];
  CU_ASSERT_FATAL(save_round_trip(tp(p, "layout.safetensors")) == 0);
  size_t len = 0;
  unsigned char *b = slurp(p, &len);
  CU_ASSERT_FATAL(b != NULL && len >= 8);
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; i--) hlen = hlen << 8 | b[i];
  size_t data_len = (1 + 6 + 24) * 4;
  CU_ASSERT(hlen % 8 == 0);
  CU_ASSERT_FATAL(8 + hlen + data_len == len);
  CU_ASSERT(b[8] == '{' && b[8 + hlen - 1] != '\0');
  json_error_t je;
  json_t *root = json_loadb((const char *)b + 8, hlen, 0, &je);
  CU_ASSERT_FATAL(root != NULL);
  CU_ASSERT_EQUAL(json_object_size(root), 6);
  json_t *meta = json_object_get(root, "__metadata__");
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(meta, "format")), "pt");
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(meta, "note")), meta_v[2]);
  /* the checksum comes first, so it sits at a fixed place; it covers the
   * whole file (length, header, data) with its own 8 hex digits as zeros */
  static const char prefix[] = "{\"__metadata__\":{\"nnd.file_crc32\":\"";
  size_t at = 8 + sizeof prefix - 1;
  CU_ASSERT_FATAL(memcmp(b + 8, prefix, sizeof prefix - 1) == 0);
  char crc[16];
  snprintf(crc, sizeof crc, "%.8s", (const char *)b + at);
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(meta, "nnd.file_crc32")), crc);
  CU_ASSERT_PTR_NULL(json_object_get(meta, "nnd.crc32")); /* the data-only one of old files */
  memset(b + at, '0', 8);
  char want_crc[16];
  snprintf(want_crc, sizeof want_crc, "%08lx", crc32(0, b, (uInt)len));
  CU_ASSERT_STRING_EQUAL(crc, want_crc);
  memcpy(b + at, crc, 8);
  json_t *w = json_object_get(root, "conv.w");
  CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(w, "dtype")), "F32");
  json_t *shape = json_object_get(w, "shape"), *offs = json_object_get(w, "data_offsets");
  CU_ASSERT(json_array_size(shape) == 4 && json_integer_value(json_array_get(shape, 1)) == 3);
  CU_ASSERT(json_integer_value(json_array_get(offs, 0)) == 28 &&
            json_integer_value(json_array_get(offs, 1)) == 28 + 96);
  CU_ASSERT(json_array_size(json_object_get(json_object_get(root, "s"), "shape")) == 0);
  json_t *e_offs = json_object_get(json_object_get(root, "empty"), "data_offsets");
  CU_ASSERT(json_integer_value(json_array_get(e_offs, 0)) == 124);
  CU_ASSERT(json_integer_value(json_array_get(e_offs, 1)) == 124);
  /* the data is little-endian float32: 3.5f is 0x40600000 */
  const unsigned char want[4] = {0x00, 0x00, 0x60, 0x40};
  CU_ASSERT(memcmp(b + 8 + hlen, want, 4) == 0);
  json_decref(root);
  free(b);
}

static void test_empty_checkpoint(void) {
  char p[1024], err[256];
  CU_ASSERT_FATAL(nnd_checkpoint_save(tp(p, "none.safetensors"), NULL, 0, NULL, NULL, 0, err,
                                      sizeof err) == 0);
  nnd_checkpoint *c = load_ok(p);
  CU_ASSERT_FATAL(c != NULL);
  CU_ASSERT_EQUAL(nnd_checkpoint_count(c), 0);
  CU_ASSERT_PTR_NULL(nnd_checkpoint_at(c, 0));
  CU_ASSERT_PTR_NOT_NULL(nnd_checkpoint_meta(c, "nnd.file_crc32"));
  CU_ASSERT_EQUAL(nnd_checkpoint_header_checked(c), 1);
  nnd_checkpoint_free(c);
}

/* ---- damaged files ------------------------------------------------------ */

static const float small_a[6] = {1, 2, 3, 4, 5, 6};
static const float small_b[4] = {-1, -2, -3, -4};

static void save_small(const char *path) {
  nnd_ckpt_tensor t[2] = {{.name = "a", .data = small_a, .ndim = 2, .dim = {2, 3}},
                          {.name = "b", .data = small_b, .ndim = 1, .dim = {4}}};
  char err[512];
  CU_ASSERT_FATAL(nnd_checkpoint_save(path, t, 2, NULL, NULL, 0, err, sizeof err) == 0);
}

static void test_corrupted_byte(void) {
  char p[1024];
  save_small(tp(p, "corrupt.safetensors"));
  flip_byte(p, 3, 0x10); /* a bit of b[3]: still a valid float, only the CRC knows */
  CU_ASSERT(load_fails(p, "checksum mismatch: the file is corrupted"));
}

static void test_truncated(void) {
  char p[1024];
  save_small(tp(p, "trunc.safetensors"));
  size_t len = 0;
  unsigned char *b = slurp(p, &len);
  CU_ASSERT_FATAL(b != NULL);
  spit(p, b, len - 4); /* the last float is cut off */
  CU_ASSERT(load_fails(p, "lie outside the data section"));
  spit(p, b, 20); /* inside the header */
  CU_ASSERT(load_fails(p, "runs past the end of the file"));
  spit(p, b, 5); /* not even the length */
  CU_ASSERT(load_fails(p, "too short"));
  free(b);
  write_raw(p, 1000, "{}", NULL, 0); /* a length past the end */
  CU_ASSERT(load_fails(p, "header length 1000 runs past the end of the file (10 bytes)"));
  write_raw(p, (long long)0xffffffffffffLL, "{}", NULL, 0);
  CU_ASSERT(load_fails(p, "runs past the end"));
}

/* A 100 MB header is refused before it is read: a sparse file is enough. */
static void test_header_length_limit(void) {
  char p[1024];
  write_raw(tp(p, "huge.safetensors"), 100 * 1000 * 1000, "{}", NULL, 0);
  CU_ASSERT_FATAL(truncate(p, 101 * 1000 * 1000) == 0);
  CU_ASSERT(load_fails(p, "exceeds the 100 MB limit"));
  unlink(p);
}

typedef struct {
  const char *header;
  size_t data_len; /* of zero bytes after the header */
  const char *needle;
} refusal;

static void refuse_all(const char *file, const refusal *r, size_t n) {
  static const char zeros[64] = {0};
  char p[1024];
  for (size_t i = 0; i < n; i++) {
    write_raw(tp(p, file), -1, r[i].header, zeros, r[i].data_len);
    CU_ASSERT(load_fails(p, r[i].needle));
  }
}

static void test_bad_json(void) {
  const refusal r[] = {
      {"{\"a\": {\"dtype\": \"F32\",, }", 0, "header JSON is invalid at line 1, column"},
      {"[1, 2]", 0, "header JSON is not an object"},
      {"", 0, "header JSON is invalid"},
      {"{" E("a", "F32", "[]", "0,4") "," E("a", "F32", "[]", "4,8") "}", 8, "duplicate"},
  };
  refuse_all("json.safetensors", r, sizeof r / sizeof *r);
}

static void test_f16_refused(void) {
  const refusal r[] = {
      {"{" E("half", "F16", "[2]", "0,4") "}", 4, "tensor 'half' has dtype F16; only F32 is"},
      {"{" E("d", "F64", "[1]", "0,8") "}", 8, "tensor 'd' has dtype F64"},
  };
  refuse_all("f16.safetensors", r, sizeof r / sizeof *r);
}

static void test_offsets_refused(void) {
  const refusal r[] = {
      {"{" E("a", "F32", "[2]", "0,8") "," E("b", "F32", "[2]", "4,12") "}", 12,
       "tensors 'a' and 'b' overlap (bytes [0, 8) and [4, 12))"},
      /* listed in the other order: still found, after sorting by offset */
      {"{" E("b", "F32", "[2]", "4,12") "," E("a", "F32", "[2]", "0,8") "}", 12, "overlap"},
      {"{" E("a", "F32", "[4]", "0,16") "}", 8,
       "tensor 'a': data_offsets [0, 16] lie outside the data section (8 bytes)"},
      {"{" E("a", "F32", "[0]", "8,4") "}", 8, "lie outside"},
      {"{" E("a", "F32", "[3]", "0,8") "}", 8,
       "tensor 'a': data_offsets span 8 bytes but its shape needs 12"},
      {"{" E("a", "F32", "[2]", "0") "}", 8, "is not a list [begin, end]"},
      {"{" E("a", "F32", "[2]", "-4,4") "}", 8, "is not a list [begin, end]"},
  };
  refuse_all("offs.safetensors", r, sizeof r / sizeof *r);
}

static void test_shapes_refused(void) {
  const refusal r[] = {
      {"{" E("a", "F32", "[-2]", "0,8") "}", 8, "tensor 'a': shape entry 0 is not a non-neg"},
      {"{" E("a", "F32", "[1.5]", "0,8") "}", 8, "shape entry 0 is not a non-negative integer"},
      {"{" E("a", "F32", "[1, \"2\"]", "0,8") "}", 8, "shape entry 1 is not"},
      {"{" E("a", "F32", "[1,1,1,1,1,1,1,1,1,2]", "0,8") "}", 8,
       "tensor 'a' has 10 dimensions; at most 9 are supported"},
      {"{" E("a", "F32", "2", "0,8") "}", 8, "\"shape\" is missing or not a list"},
      {"{" E("a", "F32", "[4611686018427387904, 4]", "0,8") "}", 8, "shape is too large"},
      {"{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "tensor 'a': \"dtype\" is missing"},
      {"{\"a\":[1]}", 8, "tensor 'a': entry is not an object"},
  };
  refuse_all("shape.safetensors", r, sizeof r / sizeof *r);
}

static void test_metadata_refused(void) {
  const refusal r[] = {
      {"{\"__metadata__\":{\"epoch\":3}}", 0, "metadata 'epoch' is not a string"},
      {"{\"__metadata__\":[\"x\"]}", 0, "\"__metadata__\" is not an object"},
      {"{\"__metadata__\":{\"nnd.crc32\":\"x12\"}," E("a", "F32", "[]", "0,4") "}", 4,
       "metadata nnd.crc32 \"x12\" is not a CRC-32"},
      {"{\"__metadata__\":{\"nnd.crc32\":\"4294967296\"}}", 0, "is not a CRC-32"},
      {"{\"__metadata__\":{\"nnd.crc32\":\"12\"}," E("a", "F32", "[]", "0,4") "}", 4,
       "checksum mismatch"},
  };
  refuse_all("meta.safetensors", r, sizeof r / sizeof *r);
}

static void test_missing_file(void) {
  char p[1024];
  CU_ASSERT(load_fails(tp(p, "does-not-exist.safetensors"), "cannot open: No such file"));
  CU_ASSERT(load_fails(dir, "not a regular file"));
}

/* The checksum covers the header: the metadata (a training run's state)
 * edited in place, the JSON still valid, is refused like a data byte. */
static void test_metadata_edit_fails_checksum(void) {
  char p[1024];
  CU_ASSERT_FATAL(save_round_trip(tp(p, "metaedit.safetensors")) == 0);
  size_t len = 0;
  unsigned char *b = slurp(p, &len);
  CU_ASSERT_FATAL(b != NULL);
  unsigned char *at = memmem(b, len, "\"nnd.epoch\":\"7\"", 15);
  CU_ASSERT_FATAL(at != NULL);
  at[13] = '8';
  spit(p, b, len);
  CU_ASSERT(load_fails(p, "checksum mismatch: the file is corrupted"));
  at[13] = '7';
  spit(p, b, len);
  nnd_checkpoint *c = load_ok(p);
  CU_ASSERT(c && strcmp(nnd_checkpoint_meta(c, "nnd.epoch"), "7") == 0);
  nnd_checkpoint_free(c);
  /* the checksum field elsewhere than first is not nnd's layout */
  write_raw(p, -1, "{\"__metadata__\":{\"a\":\"1\",\"nnd.file_crc32\":\"00000000\"}}", NULL, 0);
  CU_ASSERT(load_fails(p, "nnd.file_crc32 is not at the start of the header"));
  free(b);
}

/* Files of earlier nnd versions carry "nnd.crc32" over the data only:
 * they load, checked as before, but say that their header is unchecked. */
static void test_data_only_checksum(void) {
  char p[1024], h[256];
  const unsigned char data[8] = {0, 0, 0x80, 0x3f, 0, 0, 0, 0x40}; /* 1.0f, 2.0f */
  snprintf(h, sizeof h, "{\"__metadata__\":{\"nnd.crc32\":\"%lu\",\"nnd.epoch\":\"1\"},"
           E("w", "F32", "[2]", "0,8") "}", crc32(0, data, 8));
  write_raw(tp(p, "old.safetensors"), -1, h, data, 8);
  nnd_checkpoint *c = load_ok(p);
  CU_ASSERT_FATAL(c != NULL);
  CU_ASSERT(has(c, "w", 1, (int64_t[]){2}, (const float[]){1.0f, 2.0f}));
  CU_ASSERT_EQUAL(nnd_checkpoint_header_checked(c), 0);
  nnd_checkpoint_free(c);
  flip_byte(p, 1, 0x01);
  CU_ASSERT(load_fails(p, "checksum mismatch"));
}

/* Load in a child and report, through the pipe, whether the result was
 * the expected one; returns the child's peak RSS in MiB (or -1). */
static long load_in_child(const char *path, const char *needle, int *ok) {
  int fds[2];
  *ok = 0;
  if (pipe(fds) != 0) return -1;
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    char err[1024] = "";
    nnd_checkpoint *c = NULL;
    int rc = nnd_checkpoint_load(path, &c, err, sizeof err);
    int good = needle ? rc == -1 && strstr(err, needle) != NULL
                      : rc == 0 && nnd_checkpoint_count(c) == 1 &&
                            nnd_checkpoint_at(c, 0)->data[0] == 1.0f;
    if (!good) fprintf(stderr, "\nrc=%d: %s\n", rc, err);
    child_end(fds[1], good ? 'y' : 'n');
  }
  close(fds[1]);
  char result = 0;
  *ok = read(fds[0], &result, 1) == 1 && result == 'y';
  close(fds[0]);
  kill(pid, SIGKILL);
  struct rusage ru;
  int status;
  if (wait4(pid, &status, 0, &ru) != pid) return -1;
  return ru.ru_maxrss / 1024;
}

/* Size checks come before reading: 2 GB of trailing bytes (a sparse file)
 * are refused from the file size alone, and a tensor at a 2 GB offset of a
 * file without a checksum costs its 4 bytes, not the bytes before it. */
static void test_sizes_checked_before_reading(void) {
  char p[1024];
  save_small(tp(p, "trailing.safetensors"));
  struct stat st;
  CU_ASSERT_FATAL(stat(p, &st) == 0);
  CU_ASSERT_FATAL(truncate(p, st.st_size + 4) == 0);
  CU_ASSERT(load_fails(p, "4 bytes after the end of the last tensor"));
  CU_ASSERT_FATAL(truncate(p, st.st_size + (2LL << 30)) == 0);
  int ok = 0;
  long mib = load_in_child(p, "2147483648 bytes after the end of the last tensor", &ok);
  CU_ASSERT(ok);
  CU_ASSERT(mib >= 0 && mib < 512);
  unlink(p);

  const unsigned char one[4] = {0, 0, 0x80, 0x3f};
  write_raw(tp(p, "far.safetensors"), -1, "{" E("x", "F32", "[1]", "2147483648,2147483652") "}",
            NULL, 0);
  CU_ASSERT_FATAL(stat(p, &st) == 0);
  CU_ASSERT_FATAL(truncate(p, st.st_size + (2LL << 30)) == 0);
  FILE *f = fopen(p, "ab");
  CU_ASSERT_FATAL(f != NULL);
  CU_ASSERT(fwrite(one, 1, 4, f) == 4);
  fclose(f);
  mib = load_in_child(p, NULL, &ok);
  CU_ASSERT(ok);
  CU_ASSERT(mib >= 0 && mib < 512);
  if (mib >= 512) fprintf(stderr, "\npeak RSS %ld MiB\n", mib);
  unlink(p);
}

/* ---- files from other writers ------------------------------------------ */

/* Like PyTorch's safe_open output: no CRC, header keys in name order and
 * unpadded, which puts the data section at an odd address in the file. */
static void test_foreign_file_loads(void) {
  char p[1024];
  const char *h = "{\"__metadata__\":{\"format\":\"pt\"}," E("bias", "F32", "[2]", "16,24") ","
                  E("weight", "F32", "[2,2]", "0,16") "}";
  const float vals[6] = {1.5f, -2.0f, 0.25f, 8.0f, 0.5f, -0.125f};
  unsigned char data[24];
  for (int i = 0; i < 24; i++) { /* little-endian by hand, not by the code under test */
    uint32_t u;
    memcpy(&u, &vals[i / 4], 4);
    data[i] = (unsigned char)(u >> (8 * (i % 4)));
  }
  write_raw(tp(p, "torch.safetensors"), -1, h, data, sizeof data);
  CU_ASSERT(strlen(h) % 8 != 0);
  nnd_checkpoint *c = load_ok(p);
  CU_ASSERT_FATAL(c != NULL);
  CU_ASSERT_EQUAL(nnd_checkpoint_count(c), 2);
  CU_ASSERT_STRING_EQUAL(nnd_checkpoint_at(c, 0)->name, "weight"); /* data order */
  CU_ASSERT(has(c, "weight", 2, (int64_t[]){2, 2}, vals));
  CU_ASSERT(has(c, "bias", 1, (int64_t[]){2}, vals + 4));
  CU_ASSERT_STRING_EQUAL(nnd_checkpoint_meta(c, "format"), "pt");
  CU_ASSERT_PTR_NULL(nnd_checkpoint_meta(c, "nnd.crc32"));
  CU_ASSERT_EQUAL(nnd_checkpoint_header_checked(c), 0); /* nothing vouches for its metadata */
  nnd_checkpoint_free(c);
}

/* A gap of 2 bytes before the tensors leaves them unaligned for float:
 * they are copied to aligned memory rather than refused or read misaligned. */
static void test_unaligned_tensor(void) {
  char p[1024];
  const unsigned char data[14] = {0xee, 0xee, 0x00, 0x00, 0x80, 0x3f, 0x00,
                                  0x00, 0x20, 0xc1, 0x00, 0x00, 0x00, 0x3f};
  write_raw(tp(p, "gap.safetensors"), -1,
            "{" E("x", "F32", "[2]", "2,10") "," E("y", "F32", "[1]", "10,14") "}", data, 14);
  nnd_checkpoint *c = load_ok(p);
  CU_ASSERT_FATAL(c != NULL);
  CU_ASSERT(has(c, "x", 1, (int64_t[]){2}, (const float[]){1.0f, -10.0f}));
  CU_ASSERT(has(c, "y", 1, (int64_t[]){1}, (const float[]){0.5f}));
  nnd_checkpoint_free(c);
}

/* ---- saving: refusals, overwriting, atomicity --------------------------- */

static void test_save_missing_directory(void) {
  char p[1024], err[1024] = "";
  tp(p, "no/such/dir/w.safetensors");
  nnd_ckpt_tensor t = {.name = "a", .data = small_a, .ndim = 1, .dim = {6}};
  CU_ASSERT(nnd_checkpoint_save(p, &t, 1, NULL, NULL, 0, err, sizeof err) == -1);
  CU_ASSERT(strstr(err, p) == err);
  CU_ASSERT(strstr(err, "cannot create a temporary file") && strstr(err, "No such file"));
  CU_ASSERT(access(p, F_OK) != 0);
}

static void test_save_refuses_bad_input(void) {
  char p[1024], err[1024];
  tp(p, "bad.safetensors");
  const struct {
    nnd_ckpt_tensor t[2];
    int n;
    const char *key, *needle;
  } cases[] = {
      {{{.name = "a", .data = small_a, .ndim = 1, .dim = {2}},
        {.name = "a", .data = small_a, .ndim = 1, .dim = {2}}}, 2, NULL,
       "tensor 1 'a' has a name used twice"},
      {{{.name = "__metadata__", .data = small_a, .ndim = 0}}, 1, NULL, "reserved for metadata"},
      {{{.name = NULL, .data = small_a, .ndim = 0}}, 1, NULL, "tensor 0 has no name"},
      {{{.name = "a", .data = small_a, .ndim = 10}}, 1, NULL, "'a' has 10 dimensions (0 to 9 allowed)"},
      {{{.name = "a", .data = small_a, .ndim = 2, .dim = {2, -3}}}, 1, NULL, "negative"},
      {{{.name = "a", .data = NULL, .ndim = 1, .dim = {2}}}, 1, NULL, "'a' has no data"},
      {{{.name = "bad\xff", .data = small_a, .ndim = 0}}, 1, NULL, "not valid UTF-8"},
      {{{.name = "a", .data = small_a, .ndim = 0}}, 1, "nnd.crc32",
       "metadata 0 'nnd.crc32' is reserved for the checksum"},
      {{{.name = "a", .data = small_a, .ndim = 0}}, 1, "nnd.file_crc32",
       "metadata 0 'nnd.file_crc32' is reserved for the checksum"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    const char *k[1] = {cases[i].key}, *v[1] = {"1"};
    err[0] = '\0';
    int rc = nnd_checkpoint_save(p, cases[i].t, cases[i].n, k, v, cases[i].key ? 1 : 0, err,
                                 sizeof err);
    CU_ASSERT(rc == -1 && strstr(err, p) == err && strstr(err, cases[i].needle));
    if (rc != -1 || !strstr(err, cases[i].needle))
      fprintf(stderr, "\ncase %zu: rc=%d: %s\n", i, rc, err);
  }
  CU_ASSERT(access(p, F_OK) != 0);
  CU_ASSERT_EQUAL(count_temp_files(), 0);
}

static void test_overwrite_keeps_mode(void) {
  char p[1024];
  save_small(tp(p, "over.safetensors"));
  CU_ASSERT_FATAL(chmod(p, 0640) == 0);
  float x = 42.0f;
  nnd_ckpt_tensor t = {.name = "x", .data = &x, .ndim = 0};
  char err[512];
  CU_ASSERT_FATAL(nnd_checkpoint_save(p, &t, 1, NULL, NULL, 0, err, sizeof err) == 0);
  struct stat st;
  CU_ASSERT(stat(p, &st) == 0 && (st.st_mode & 0777) == 0640);
  nnd_checkpoint *c = load_ok(p);
  CU_ASSERT(nnd_checkpoint_count(c) == 1 && has(c, "x", 0, NULL, &x));
  nnd_checkpoint_free(c);
  CU_ASSERT_EQUAL(count_temp_files(), 0);
}

static int holds_small(const char *path) {
  nnd_checkpoint *c = load_ok(path);
  int ok = nnd_checkpoint_count(c) == 2 && has(c, "a", 2, (int64_t[]){2, 3}, small_a) &&
           has(c, "b", 1, (int64_t[]){4}, small_b);
  nnd_checkpoint_free(c);
  return ok;
}

/* What a save killed halfway leaves: a partial temp file next to the old
 * checkpoint. The checkpoint must be untouched, and the next save works. */
static void test_leftover_temp_file(void) {
  char p[1024], tmp[1100];
  save_small(tp(p, "atomic.safetensors"));
  size_t len = 0;
  unsigned char *b = slurp(p, &len);
  CU_ASSERT_FATAL(b != NULL);
  snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", p);
  int fd = mkstemp(tmp);
  CU_ASSERT_FATAL(fd >= 0);
  CU_ASSERT(write(fd, b, len / 2) == (ssize_t)(len / 2));
  close(fd);
  free(b);
  CU_ASSERT(holds_small(p));
  save_small(p);
  CU_ASSERT(holds_small(p));
  CU_ASSERT(access(tmp, F_OK) == 0); /* another save's file is not ours to remove */
  unlink(tmp);
}

/* Tell the parent `result` through fd and wait to be killed. A forked
 * child shares the runner's heap and CUnit state, which a leak checker
 * such as valgrind would report if it exited (even by raising SIGKILL,
 * which valgrind intercepts); a SIGKILL from the parent ends it silently. */
static void child_end(int fd, char result) {
  ssize_t w = write(fd, &result, 1);
  (void)w;
  for (;;) pause();
}

/* Kill and reap a child that called child_end (or is still working). */
static void reap(pid_t pid) {
  kill(pid, SIGKILL);
  CU_ASSERT(waitpid(pid, NULL, 0) == pid);
}

/* A write that fails halfway (here: a file size limit, as a full disk
 * would) is reported, removes its temp file and leaves the old checkpoint.
 * The limit is set in a child so that the test runner keeps its own. */
static void test_failed_write_cleans_up(void) {
  char p[1024];
  save_small(tp(p, "full.safetensors"));
  int fds[2];
  CU_ASSERT_FATAL(pipe(fds) == 0);
  pid_t pid = fork();
  CU_ASSERT_FATAL(pid >= 0);
  if (pid == 0) {
    static float big[1 << 18]; /* 1 MB, over the 64 KB limit */
    nnd_ckpt_tensor t = {.name = "big", .data = big, .ndim = 1, .dim = {1 << 18}};
    struct rlimit lim = {64 * 1024, 64 * 1024};
    char err[1024] = "";
    signal(SIGXFSZ, SIG_IGN); /* then write fails with EFBIG instead of killing */
    if (setrlimit(RLIMIT_FSIZE, &lim) != 0) child_end(fds[1], 'L');
    int rc = nnd_checkpoint_save(p, &t, 1, NULL, NULL, 0, err, sizeof err);
    int ok = rc == -1 && strstr(err, p) == err && strstr(err, "cannot write");
    child_end(fds[1], ok ? 'y' : 'n');
  }
  close(fds[1]);
  char result = 0;
  CU_ASSERT(read(fds[0], &result, 1) == 1 && result == 'y');
  close(fds[0]);
  reap(pid);
  CU_ASSERT_EQUAL(count_temp_files(), 0);
  CU_ASSERT(holds_small(p));
}

/* A real kill: a child saves a 32 MB checkpoint over a small one and is
 * SIGKILLed as soon as it has written anything (to its temp file or, were
 * the save not atomic, to the checkpoint itself). The path must still hold
 * the old checkpoint, untouched; only if the child finished first (the
 * poll starved on a busy machine) may it hold the complete new one. */
static void test_killed_save(void) {
  char p[1024];
  save_small(tp(p, "killed.safetensors"));
  struct stat before, now;
  CU_ASSERT_FATAL(stat(p, &before) == 0);
  int fds[2];
  CU_ASSERT_FATAL(pipe(fds) == 0);
  enum { PER = 1 << 20, N = 8 };
  pid_t pid = fork();
  CU_ASSERT_FATAL(pid >= 0);
  if (pid == 0) { /* one 4 MB buffer, saved as 8 tensors */
    static float big[PER];
    static const char *names[N] = {"big0", "big1", "big2", "big3", "big4", "big5", "big6", "big7"};
    nnd_ckpt_tensor t[N];
    for (int i = 0; i < PER; i++) big[i] = (float)i;
    for (int i = 0; i < N; i++)
      t[i] = (nnd_ckpt_tensor){.name = names[i], .data = big, .ndim = 1, .dim = {PER}};
    char err[512];
    ssize_t w = write(fds[1], "g", 1); /* going to save */
    (void)w;
    int rc = nnd_checkpoint_save(p, t, N, NULL, NULL, 0, err, sizeof err);
    child_end(fds[1], rc == 0 ? 'd' : 'f');
  }
  close(fds[1]);
  char go;
  CU_ASSERT(read(fds[0], &go, 1) == 1);
  close(fds[0]);
  for (int i = 0; i < 100000; i++) { /* up to 20 s, for valgrind */
    long long bytes = 0;
    walk(".tmp.", 0, &bytes);
    if (bytes > 0 || stat(p, &now) != 0 || now.st_ino != before.st_ino ||
        now.st_size != before.st_size)
      break;
    usleep(200);
  }
  reap(pid);
  int temps = count_temp_files();
  if (holds_small(p)) {
    CU_ASSERT(stat(p, &now) == 0 && now.st_ino == before.st_ino);
    CU_ASSERT_EQUAL(temps, 1); /* the half-written temp file: the kill came mid-save */
  } else { /* the child won the race (a starved poll): then it must be complete */
    nnd_checkpoint *c = load_ok(p);
    const nnd_ckpt_tensor *t = nnd_checkpoint_find(c, "big7");
    CU_ASSERT(c && nnd_checkpoint_count(c) == N && t && t->data[PER - 1] == (float)(PER - 1));
    nnd_checkpoint_free(c);
    CU_ASSERT_EQUAL(temps, 0);
  }
  walk(".tmp.", 1, NULL);
}

/* ---- the independent Python reader ------------------------------------- */

static int have_python(void) {
  int status = -1;
  free(run_command("command -v python3", &status));
  return status == 0;
}

static char *run_reader(const char *file, int *status) {
  char script[1024], cmd[3000];
  src_path("tests/read_safetensors.py", script, sizeof script);
  snprintf(cmd, sizeof cmd, "python3 '%s' '%s'", script, file);
  return run_command(cmd, status);
}

static void test_python_reader(void) {
  if (!have_python()) {
    test_missing("python3", "the Python safetensors reader");
    return;
  }
  char p[1024];
  CU_ASSERT_FATAL(save_round_trip(tp(p, "py.safetensors")) == 0);
  int status = -1;
  char *out = run_reader(p, &status);
  CU_ASSERT_FATAL(out != NULL);
  CU_ASSERT_EQUAL(status, 0);
  CU_ASSERT(strstr(out, "\"s\" F32 shape=[] values=3.5\n") != NULL);
  CU_ASSERT(strstr(out, "\"empty\" F32 shape=[0] values=\n") != NULL);
  CU_ASSERT(strstr(out, "\"empty3\" F32 shape=[2, 0, 3] values=\n") != NULL);
  CU_ASSERT(strstr(out, "\"nnd.file_crc32\"") && strstr(out, "\"format\": \"pt\""));
  CU_ASSERT(strstr(out, "ok 5 tensors\n") != NULL);
  /* the first 8 values of conv.w, printed exactly: parse them back */
  const char *w = strstr(out, "\"conv.w\" F32 shape=[2, 3, 2, 2] values=");
  CU_ASSERT_FATAL(w != NULL);
  const char *q = strchr(w, '=') + 1;
  q = strchr(q, '=') + 1;
  for (int i = 0; i < 8; i++) {
    char *end;
    float f = (float)strtod(q, &end);
    CU_ASSERT(end != q && same_bits(&f, &v_conv[i], 1));
    q = end;
  }
  const char *v = strstr(out, "\"v\" F32 shape=[6] values=-0.0 1.401298464324817e-45 "
                              "3.4028234663852886e+38 inf nan 0.10000000149011612\n");
  CU_ASSERT(v != NULL);
  if (status != 0 || !v) fprintf(stderr, "\n%s", out);
  free(out);
}

/* The reader is a real check, not an echo: it refuses what nnd refuses. */
static void test_python_reader_refuses(void) {
  if (!have_python()) {
    test_missing("python3", "the Python safetensors reader");
    return;
  }
  char p[1024];
  save_small(tp(p, "pybad.safetensors"));
  flip_byte(p, 1, 1);
  int status = 0;
  char *out = run_reader(p, &status);
  CU_ASSERT(status != 0 && out && strstr(out, "checksum mismatch"));
  free(out);
  /* an edited metadata value: the checksum covers the header too */
  CU_ASSERT_FATAL(save_round_trip(p) == 0);
  size_t len = 0;
  unsigned char *b = slurp(p, &len);
  unsigned char *at = b ? memmem(b, len, "\"nnd.epoch\":\"7\"", 15) : NULL;
  CU_ASSERT_FATAL(at != NULL);
  at[13] = '9';
  spit(p, b, len);
  free(b);
  out = run_reader(p, &status);
  CU_ASSERT(status != 0 && out && strstr(out, "checksum mismatch"));
  free(out);
  write_raw(p, -1, "{" E("a", "F32", "[3]", "0,8") "}", "12345678", 8);
  out = run_reader(p, &status);
  CU_ASSERT(status != 0 && out && strstr(out, "8 bytes for shape"));
  free(out);
}

void test_checkpoint_register(void) {
  CU_pSuite s = CU_add_suite("checkpoint", suite_init, suite_cleanup);
  CU_add_test(s, "round trip: scalar, 1-D, 4-D, empty, metadata", test_round_trip);
  CU_add_test(s, "file layout: length, padded JSON, LE data, CRC", test_file_layout);
  CU_add_test(s, "a checkpoint without tensors", test_empty_checkpoint);
  CU_add_test(s, "a corrupted data byte fails the checksum", test_corrupted_byte);
  CU_add_test(s, "truncated files, lengths past the end", test_truncated);
  CU_add_test(s, "header length over 100 MB is refused", test_header_length_limit);
  CU_add_test(s, "bad JSON is refused with its position", test_bad_json);
  CU_add_test(s, "F16 is refused naming the tensor", test_f16_refused);
  CU_add_test(s, "overlapping or out-of-range offsets", test_offsets_refused);
  CU_add_test(s, "bad shapes and entries are refused", test_shapes_refused);
  CU_add_test(s, "bad metadata and CRC text are refused", test_metadata_refused);
  CU_add_test(s, "a missing file or a directory", test_missing_file);
  CU_add_test(s, "an edited metadata value fails the checksum", test_metadata_edit_fails_checksum);
  CU_add_test(s, "old files: a data-only checksum, header unchecked", test_data_only_checksum);
  CU_add_test(s, "sizes are checked before reading (2 GB sparse files)",
              test_sizes_checked_before_reading);
  CU_add_test(s, "a file without nnd.crc32 (PyTorch's) loads", test_foreign_file_loads);
  CU_add_test(s, "an unaligned tensor is copied, not refused", test_unaligned_tensor);
  CU_add_test(s, "saving into a missing directory fails", test_save_missing_directory);
  CU_add_test(s, "save refuses bad tensors and metadata", test_save_refuses_bad_input);
  CU_add_test(s, "overwriting keeps the file mode", test_overwrite_keeps_mode);
  CU_add_test(s, "a leftover temp file leaves the checkpoint intact", test_leftover_temp_file);
  CU_add_test(s, "a failed write removes its temp file", test_failed_write_cleans_up);
  CU_add_test(s, "a save killed midway leaves a whole checkpoint", test_killed_save);
  CU_add_test(s, "the Python reader reads what nnd wrote", test_python_reader);
  CU_add_test(s, "the Python reader refuses damaged files", test_python_reader_refuses);
}
