/* test_data_hostile.c — data files written to hurt: bytes that end a C
 * string, labels a kernel would trip over several steps later, images of
 * the right size but the wrong shape, and small files that ask for huge
 * allocations. Each must be refused when the data is opened and bound to
 * a model, with a message naming the file and the row (and column). */
#include <stdint.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "data/dataset_internal.h"
#include "data_fixtures.h"
#include "train.h"

/* ------------------------------------------------------------ helpers */

/* Open `call` and bind it to the model `src`: 0, or -1 with the message. */
static int bind_to(const char *src, const nnd_value *call, char *err, size_t es) {
  nnd_model *m = compile_ok(src);
  CU_ASSERT_FATAL(m != NULL);
  nnd_dataset *d = NULL;
  nnd_data_binding b;
  err[0] = '\0';
  int rc = nnd_dataset_open(call, "", &d, err, es);
  if (rc == 0) rc = nnd_train_bind(m, d, &b, err, es);
  nnd_dataset_free(d);
  nnd_model_free(m);
  return rc;
}

/* Binding fails with both needles (b may be NULL) and without `absent`. */
static int bind_fails(const char *src, const nnd_value *call, const char *a, const char *b,
                      const char *absent) {
  char err[1024];
  int rc = bind_to(src, call, err, sizeof err);
  int ok = rc == -1 && strstr(err, a) && (!b || strstr(err, b)) &&
           (!absent || !strstr(err, absent));
  if (!ok)
    fprintf(stderr, "\nexpected a binding error with \"%s\" / \"%s\", got rc=%d: %s\n", a,
            b ? b : "", rc, err);
  return ok;
}

static int bind_ok(const char *src, const nnd_value *call) {
  char err[1024];
  int rc = bind_to(src, call, err, sizeof err);
  if (rc != 0) fprintf(stderr, "\nunexpected binding error: %s\n", err);
  return rc == 0;
}

static const char *CLASS3 =
    "input x: [2]\ninput y: class[3]\nz = dense(x, units=3)\nloss cross_entropy(z, y)\n";
static const char *BINARY =
    "input x: [2]\ninput t: binary\nz = dense(x, units=1)\nloss binary_cross_entropy(z, t)\n";

static int csv_bind_fails(const char *model, const char *file, const char *text,
                          const char *a, const char *b) {
  write_text(file, text);
  tcall c;
  return bind_fails(model, csv_call(&c, tmp(file), "label", 1, ",", 1), a, b, NULL);
}

static int epochs_seen;
static void count_epoch(const nnd_epoch_stats *e, void *user) {
  (void)e;
  (void)user;
  epochs_seen++;
}

/* The test set is bound as the training set is: its bad label is named
 * before the first step, not met by a kernel after an epoch of training. */
static void test_test_set_checked_before_training(void) {
  write_text("tr.csv", "a,b,label\n1,2,0\n3,4,1\n");
  write_text("te.csv", "a,b,label\n1,2,0\n3,4,5\n");
  char src[512], err[1024] = "";
  snprintf(src, sizeof src,
           "input x: [2]\ninput y: class[3]\nz = dense(x, units=3)\nloss cross_entropy(z, y)\n"
           "train {\n  data = csv(\"%s\")\n  test = csv(\"%s\")\n  epochs = 1\n  batch = 2\n}\n",
           tmp("tr.csv"), tmp("te.csv"));
  nnd_model *m = compile_ok(src);
  CU_ASSERT_FATAL(m != NULL);
  nnd_session *s = NULL;
  int rc = nnd_session_new(m, NULL, &s, err, sizeof err);
  if (rc == 0) {
    volatile int stop = 0;
    nnd_train_options o = {NULL, NULL, NULL, count_epoch, NULL, &stop, 0, 0};
    epochs_seen = 0;
    rc = nnd_train(s, m, &o, err, sizeof err);
  }
  if (rc != -1 || !strstr(err, "te.csv:3: column 3 (\"label\"): label 5"))
    fprintf(stderr, "\nexpected te.csv:3's label 5 refused, got rc=%d: %s\n", rc, err);
  CU_ASSERT(rc == -1 && strstr(err, "te.csv:3: column 3 (\"label\"): label 5") != NULL);
  CU_ASSERT_EQUAL(epochs_seen, 0);
  nnd_session_free(s);
  nnd_model_free(m);
}

/* The child runs `fn` with its address space capped at what it uses now
 * plus `headroom` bytes; its exit status is fn's result (1 = pass). Under
 * AddressSanitizer the cap would break the sanitizer's own reservations,
 * so there fn runs uncapped (the plain build checks the allocation). */
static int with_memory_cap(int (*fn)(void), long headroom) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) return 0;
  if (pid == 0) {
#if !defined(__SANITIZE_ADDRESS__)
    long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%ld", &pages) != 1) _exit(3);
    fclose(f);
    rlim_t now = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE);
    struct rlimit r = {now + (rlim_t)headroom, now + (rlim_t)headroom};
    if (setrlimit(RLIMIT_AS, &r) != 0) _exit(4);
#endif
    _exit(fn() ? 0 : 1);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return 0;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* ---------------------------------------------------------------- CSV */

static void test_csv_nul_byte(void) {
  /* strchr-based parsing used to stop at the NUL: rows 3 and 4 vanished */
  static const char text[] = "a,label\n1,0\n2\0,1\n3,1\n";
  write_file("nul.csv", text, sizeof text - 1);
  CU_ASSERT(csv_fails("nul.csv", "label", 1, ",", "nul.csv:3: ", "NUL byte"));
  write_gz("nul.csv.gz", text, sizeof text - 1);
  CU_ASSERT(csv_fails("nul.csv.gz", "label", 1, ",", "nul.csv.gz:3: ", "NUL byte"));
}

static int open_dev_zero(void) {
  tcall c;
  return open_fails(csv_call(&c, "/dev/zero", "label", 1, ",", 1), "/dev/zero:1: ", "NUL byte");
}

/* An endless source of NULs is refused at its first block, not read up
 * to the 2 GiB cap first. */
static void test_csv_dev_zero(void) { CU_ASSERT(with_memory_cap(open_dev_zero, 256L << 20)); }

static void test_csv_duplicate_column(void) {
  write_text("dup.csv", "a,label,label\n1,0,1\n");
  CU_ASSERT(csv_fails("dup.csv", "label", 1, ",",
                      "dup.csv:1: columns 2 and 3 are both named \"label\"", NULL));
  write_text("dup2.csv", "a,b, a ,label\n1,2,3,0\n");
  CU_ASSERT(csv_fails("dup2.csv", "label", 1, ",",
                      "dup2.csv:1: columns 1 and 3 are both named \"a\"", NULL));
}

static void test_csv_non_finite(void) {
  const char *bad[] = {"nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e400"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char text[64];
    snprintf(text, sizeof text, "a,b,label\n1,2,0\n3,%s,1\n", bad[i]);
    write_text("nf.csv", text);
    CU_ASSERT(csv_fails("nf.csv", "label", 1, ",", "nf.csv:3: column 2 (\"b\"): ", bad[i]));
  }
  write_text("nfl.csv", "a,b,label\n1,2,nan\n");
  CU_ASSERT(csv_fails("nfl.csv", "label", 1, ",", "nfl.csv:2: column 3 (\"label\"): ", NULL));
  /* found by fuzz_csv: a float label turns 664666666 into 664666688, another
     class, beyond the class count the loader reported */
  write_text("big.csv", "1;+664666666\n");
  CU_ASSERT(csv_fails("big.csv", "label", 0, ";", "big.csv:1: column 2: label +664666666 is "
                      "beyond 16777216", NULL));
  write_text("edge.csv", "1;16777216\n");
  nnd_dataset *d = NULL;
  char err[256] = "";
  CU_ASSERT(nnd_data_csv_load(tmp("edge.csv"), "label", 0, ';', 1, &d, err, sizeof err) == 0 &&
            nnd_dataset_classes(d) == 16777217);
  nnd_dataset_free(d);
}

static void test_csv_labels_checked_at_bind(void) {
  CU_ASSERT(csv_bind_fails(CLASS3, "neg.csv", "a,b,label\n1,2,0\n3,4,-1\n",
                           "neg.csv:3: column 3 (\"label\"): label -1", "0..2"));
  CU_ASSERT(csv_bind_fails(CLASS3, "half.csv", "a,b,label\n1,2,1.5\n3,4,0\n",
                           "half.csv:2: column 3 (\"label\"): label 1.5", "`y`"));
  /* blank lines count: the row is the file's line */
  CU_ASSERT(csv_bind_fails(CLASS3, "big.csv", "a,b,label\n\n1,2,0\n\n3,4,3\n5,6,9\n",
                           "big.csv:5: column 3 (\"label\"): label 3", "3 classes"));
  CU_ASSERT(csv_bind_fails(CLASS3, "first.csv", "label,a,b\n7,1,2\n",
                           "first.csv:2: column 1 (\"label\"): label 7", NULL));
  CU_ASSERT(csv_bind_fails(BINARY, "bin.csv", "a,b,label\n1,2,0\n3,4,1\n5,6,2\n",
                           "bin.csv:4: column 3 (\"label\"): label 2", "0 or 1"));
  CU_ASSERT(csv_bind_fails(BINARY, "soft.csv", "a,b,label\n1,2,0.5\n",
                           "soft.csv:2: column 3 (\"label\"): label 0.5", "0 or 1"));
  /* without a header the label is the last column */
  write_text("nh.csv", "1,2,0\n3,4,-2\n");
  tcall c;
  CU_ASSERT(bind_fails(CLASS3, csv_call(&c, tmp("nh.csv"), "label", 0, ",", 1),
                       "nh.csv:2: column 3: label -2", NULL, NULL));
  write_text("good.csv", "a,b,label\n1,2,0\n3,4,2\n");
  CU_ASSERT(bind_ok(CLASS3, csv_call(&c, tmp("good.csv"), "label", 1, ",", 1)));
  write_text("goodb.csv", "a,b,label\n1,2,0\n3,4,1\n");
  CU_ASSERT(bind_ok(BINARY, csv_call(&c, tmp("goodb.csv"), "label", 1, ",", 1)));
}

static int open_wide_empty(void) {
  return csv_fails("wide.csv", "label", 1, ",", "wide.csv: a header but no data rows", NULL);
}

static void test_csv_small_file_small_memory(void) {
  /* 100,000 columns and 100,000 blank lines: 0.8 MB of file; sized as
     lines x columns the buffer was 40 GB */
  size_t cols = 100000, n = 0, cap = cols * 8 + 100000 + 16;
  char *text = malloc(cap);
  CU_ASSERT_FATAL(text != NULL);
  for (size_t i = 0; i + 1 < cols; i++) n += (size_t)snprintf(text + n, cap - n, "c%zu,", i);
  n += (size_t)snprintf(text + n, cap - n, "label\n");
  memset(text + n, '\n', 100000);
  write_file("wide.csv", text, n + 100000);
  free(text);
  CU_ASSERT(with_memory_cap(open_wide_empty, 256L << 20));
}

static int open_newlines_gz(void) {
  return csv_fails("nl.csv.gz", "label", 1, ",", "nl.csv.gz: a header but no data rows", NULL);
}

/* 128 MB of blank lines in a gzip of about 128 KB: read a block at a time,
 * not whole, so they cost a block of memory. */
static void test_csv_gzip_of_newlines(void) {
  gzFile g = gzopen(tmp("nl.csv.gz"), "wb9");
  CU_ASSERT_FATAL(g != NULL);
  CU_ASSERT(gzwrite(g, "a,label\n", 8) == 8);
  static char block[1 << 20];
  memset(block, '\n', sizeof block);
  for (int i = 0; i < 128; i++) CU_ASSERT(gzwrite(g, block, sizeof block) == (int)sizeof block);
  gzclose(g);
  CU_ASSERT(with_memory_cap(open_newlines_gz, 48L << 20));
}

static int csv_text_over_cap(void) {
  return csv_fails("cap.csv", "label", 1, ",", "cap.csv: more than 4096 bytes",
                   "the most a data file may hold");
}

static int csv_values_over_cap(void) {
  return csv_fails("vals.csv", "label", 1, ",", "vals.csv:",
                   "more than the 4096 bytes a data set may hold in memory");
}

static void test_csv_size_cap(void) {
  char text[8192];
  size_t n = (size_t)snprintf(text, sizeof text, "a,b,c,d,e,f,g,label\n");
  while (n + 16 < sizeof text) n += (size_t)snprintf(text + n, sizeof text - n, "0,0,0,0,0,0,0,0\n");
  write_file("cap.csv", text, n);
  write_gz("capz.csv", text, n);
  /* 2400 bytes of text, 4 per value: more values than text */
  write_file("vals.csv", text, 20 + 16 * 150);
  size_t old = nnd_data_max_bytes();
  nnd_data_set_max_bytes(4096);
  CU_ASSERT(csv_text_over_cap());
  CU_ASSERT(csv_fails("capz.csv", "label", 1, ",", "capz.csv: more than 4096 bytes", NULL));
  CU_ASSERT(csv_values_over_cap());
  nnd_data_set_max_bytes(old);
  CU_ASSERT(old == (size_t)1 << 31);
  tcall c;
  nnd_dataset *d = open_ok(csv_call(&c, tmp("cap.csv"), "label", 1, ",", 1), "");
  CU_ASSERT(nnd_dataset_size(d) == (int64_t)(n - 20) / 16);
  nnd_dataset_free(d);
}

/* ---------------------------------------------------------------- IDX */

/* A model whose image input has the per-sample shape `shape`. */
static const char *image_model(const char *shape, char *buf, size_t n) {
  snprintf(buf, n,
           "input x: %s\ninput y: class[8]\nz = dense(flatten(x), units=8)\n"
           "loss cross_entropy(z, y)\n",
           shape);
  return buf;
}

static void test_idx_shape_must_match(void) {
  write_good_pair(); /* 3 images of 2x3 */
  tcall c;
  const nnd_value *call = idx_call(&c, tmp("img.idx"), tmp("lab.idx"), 1);
  char src[256];
  const char *fits[] = {"[2, 3]", "[1, 2, 3]", "[6]", "[2, 3, 1]", "[1, 6]"};
  for (size_t i = 0; i < sizeof fits / sizeof *fits; i++)
    CU_ASSERT(bind_ok(image_model(fits[i], src, sizeof src), call));
  /* as many values, another layout: rows would silently become columns */
  CU_ASSERT(bind_fails(image_model("[3, 2]", src, sizeof src), call, "img.idx: images of 2x3",
                       "`x` is [3, 2]", NULL));
  CU_ASSERT(bind_fails(image_model("[1, 3, 2]", src, sizeof src), call, "images of 2x3",
                       "[1, 3, 2]", NULL));
  /* the case: 14x56 images and a [1, 28, 28] input */
  static unsigned char pix[2 * 14 * 56];
  write_idx("wide.idx", 0, 0x803, 3, (uint32_t[]){2, 14, 56}, pix, sizeof pix);
  write_idx("lab2.idx", 0, 0x801, 1, (uint32_t[]){2}, LAB, 2);
  call = idx_call(&c, tmp("wide.idx"), tmp("lab2.idx"), 1);
  CU_ASSERT(bind_fails(image_model("[1, 28, 28]", src, sizeof src), call,
                       "images of 14x56", "[1, 28, 28]", NULL));
  CU_ASSERT(bind_ok(image_model("[784]", src, sizeof src), call));
  CU_ASSERT(bind_ok(image_model("[1, 14, 56]", src, sizeof src), call));
}

static void test_idx_label_names_labels_file(void) {
  write_good_pair(); /* labels 2, 0, 7 */
  tcall c;
  const nnd_value *call = idx_call(&c, tmp("img.idx"), tmp("lab.idx"), 1);
  CU_ASSERT(bind_fails("input x: [2, 3]\ninput y: class[5]\nz = dense(flatten(x), units=5)\n"
                       "loss cross_entropy(z, y)\n",
                       call, "lab.idx: sample 3: label 7", "`y` has 5 classes", "img.idx"));
  CU_ASSERT(bind_fails("input x: [2, 3]\ninput t: binary\nz = dense(flatten(x), units=1)\n"
                       "loss binary_cross_entropy(z, t)\n",
                       call, "lab.idx: sample 1: label 2", "0 or 1", "img.idx"));
}

static int idx_over_cap(void) {
  return idx_fails("cap.gz", "lab25.idx", "cap.gz: 25 images of 784 pixels",
                   "more than the 4096 bytes a data file may hold");
}

static void test_idx_sizes(void) {
  write_good_pair();
  /* dims whose product overflows 64 bits */
  write_idx("ovf.idx", 0, 0x803, 3, (uint32_t[]){0xFFFFFFFFu, 0x7FFFFFFFu, 0x7FFFFFFFu}, PIX,
            18);
  write_idx("lab_ovf.idx", 0, 0x801, 1, (uint32_t[]){0xFFFFFFFFu}, LAB, 3);
  CU_ASSERT(idx_fails("ovf.idx", "lab_ovf.idx", "ovf.idx: ", "too many"));
  /* a raw file shorter than its header's claim: refused before reading */
  write_idx("claim.idx", 0, 0x803, 3, (uint32_t[]){3, 3000, 30000}, PIX, 18);
  CU_ASSERT(idx_fails("claim.idx", "lab.idx", "claim.idx: ",
                      "truncated: 270000000 bytes of image data expected, 18 found"));
  /* past the cap, a raw file and its gzip get the same message (found by
     fuzz_idx: the raw one said "truncated", the gzip one "more than") */
  write_idx("huge.idx", 0, 0x803, 3, (uint32_t[]){3, 30000, 30000}, PIX, 18);
  write_idx("huge.gz", 1, 0x803, 3, (uint32_t[]){3, 30000, 30000}, PIX, 18);
  CU_ASSERT(idx_fails("huge.idx", "lab.idx", "huge.idx: 3 images of 900000000 pixels are "
                      "2700000000 bytes, more than", NULL));
  CU_ASSERT(idx_fails("huge.gz", "lab.idx", "huge.gz: 3 images of 900000000 pixels are "
                      "2700000000 bytes, more than", NULL));
  /* images with a trailing byte and short labels: the images' fault first,
     raw or gzipped alike (found by fuzz_idx: raw named the labels) */
  static const unsigned char pix13[13] = {0};
  write_idx("tail.idx", 0, 0x803, 3, (uint32_t[]){3, 2, 2}, pix13, 13);
  write_idx("tail.gz", 1, 0x803, 3, (uint32_t[]){3, 2, 2}, pix13, 13);
  write_idx("short3.idx", 0, 0x801, 1, (uint32_t[]){3}, LAB, 0);
  write_idx("short3.gz", 1, 0x801, 1, (uint32_t[]){3}, LAB, 0);
  CU_ASSERT(idx_fails("tail.idx", "short3.idx", "tail.idx: 1 bytes of trailing data after the "
                      "12 bytes of image data", NULL));
  CU_ASSERT(idx_fails("tail.gz", "short3.gz", "tail.gz: 1 bytes of trailing data after the "
                      "12 bytes of image data", NULL));
  /* gzip: the size is known only once decompressed, so a cap holds */
  static unsigned char pix[25 * 784], lab[25];
  write_idx("cap.gz", 1, 0x803, 3, (uint32_t[]){25, 28, 28}, pix, sizeof pix);
  write_idx("lab25.idx", 0, 0x801, 1, (uint32_t[]){25}, lab, 25);
  size_t old = nnd_data_max_bytes();
  nnd_data_set_max_bytes(4096);
  CU_ASSERT(idx_over_cap());
  nnd_data_set_max_bytes(old);
  tcall c;
  nnd_dataset *d = open_ok(idx_call(&c, tmp("cap.gz"), tmp("lab25.idx"), 1), "");
  CU_ASSERT(nnd_dataset_size(d) == 25);
  nnd_dataset_free(d);
}

/* ---------------------------------------------------------- synthetic */

static void test_synthetic_size_cap(void) {
  size_t old = nnd_data_max_bytes();
  nnd_data_set_max_bytes(4096);
  tcall c;
  begin(&c, "moons");
  put(&c, "n", num(1000));
  /* 1000 samples: 8000 bytes of values and 4000 of labels */
  CU_ASSERT(open_fails(&c.call, "moons: 1000 samples of 2 values need 12000 bytes",
                       "more than the 4096 bytes a data set may hold"));
  nnd_data_set_max_bytes(old);
  /* the 2 GiB default: blobs(n=1e9, features=1000) asked for 4 TB */
  begin(&c, "blobs");
  put(&c, "n", num(1e9));
  put(&c, "centers", num(2));
  put(&c, "features", num(1000));
  CU_ASSERT(open_fails(&c.call, "blobs: 1000000000 samples of 1000 values need",
                       "2147483648 bytes (2 GiB)"));
}

/* --------------------------------------------- entry points for fuzzing */

static void test_memory_entry_points(void) {
  const char text[] = "a,b,label\n1,2,0\n3,4,2\n";
  nnd_dataset *d = NULL;
  char err[256] = "";
  /* not NUL-terminated: the parser is given a length */
  CU_ASSERT_FATAL(nnd_data_csv_parse("mem.csv", text, sizeof text - 1, "label", 1, ',', 1, &d,
                                     err, sizeof err) == 0);
  CU_ASSERT(nnd_dataset_size(d) == 2 && nnd_dataset_classes(d) == 3);
  CU_ASSERT(batch_is(d, 2, (int64_t[]){1, 0}, (float[]){3, 4, 1, 2}, (float[]){2, 0}));
  nnd_dataset_free(d);
  d = NULL;
  CU_ASSERT(nnd_data_csv_parse("mem.csv", text, 3, "label", 1, ',', 1, &d, err, sizeof err) ==
            -1);
  CU_ASSERT(d == NULL && strstr(err, "mem.csv: ") != NULL);

  /* IDX, raw and gzipped, from memory */
  unsigned char img[16 + 18], lab[8 + 3];
  const uint32_t iw[4] = {0x803, 3, 2, 3}, lw[2] = {0x801, 3};
  for (int w = 0; w < 4; w++)
    for (int k = 0; k < 4; k++) img[4 * w + k] = (unsigned char)(iw[w] >> (24 - 8 * k));
  for (int w = 0; w < 2; w++)
    for (int k = 0; k < 4; k++) lab[4 * w + k] = (unsigned char)(lw[w] >> (24 - 8 * k));
  memcpy(img + 16, PIX, 18);
  memcpy(lab + 8, LAB, 3);
  unsigned char gz[256];
  z_stream z = {0};
  CU_ASSERT_FATAL(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) ==
                  Z_OK);
  z.next_in = img;
  z.avail_in = sizeof img;
  z.next_out = gz;
  z.avail_out = sizeof gz;
  CU_ASSERT_FATAL(deflate(&z, Z_FINISH) == Z_STREAM_END);
  size_t gz_len = sizeof gz - z.avail_out;
  deflateEnd(&z);
  for (int g = 0; g < 2; g++) {
    d = NULL;
    int rc = nnd_data_idx_parse("mem-img", g ? gz : img, g ? gz_len : sizeof img, "mem-lab",
                                lab, sizeof lab, 1, &d, err, sizeof err);
    if (rc != 0) fprintf(stderr, "\nidx from memory: %s\n", err);
    CU_ASSERT_FATAL(rc == 0);
    CU_ASSERT(memcmp(nnd_dataset_image(d, 1), PIX + 6, 6) == 0);
    nnd_dataset_free(d);
  }
  d = NULL;
  CU_ASSERT(nnd_data_idx_parse("mem-img", gz, gz_len - 4, "mem-lab", lab, sizeof lab, 1, &d,
                               err, sizeof err) == -1);
  CU_ASSERT(d == NULL && strstr(err, "mem-img: truncated gzip data") != NULL);
  CU_ASSERT(nnd_data_idx_parse("mem-img", img, sizeof img, "mem-lab", lab, 7, 1, &d, err,
                               sizeof err) == -1);
  CU_ASSERT(strstr(err, "mem-lab: truncated") != NULL);
}

/* The fixtures' directory, and the built plugins for the one test that
 * trains. */
static int hostile_init(void) {
  const char *plugins = NND_TEST_BUILDDIR "/plugins/.libs";
  nnd_load_plugins(&plugins, 1);
  return suite_init();
}

void test_data_hostile_register(void) {
  CU_pSuite s = CU_add_suite("data_hostile", hostile_init, suite_clean);
  CU_add_test(s, "csv NUL byte: refused at its line", test_csv_nul_byte);
  CU_add_test(s, "csv /dev/zero: refused at the first NUL", test_csv_dev_zero);
  CU_add_test(s, "csv duplicate column names: both named", test_csv_duplicate_column);
  CU_add_test(s, "csv nan/inf values at file:line: column", test_csv_non_finite);
  CU_add_test(s, "csv labels checked against the target at bind", test_csv_labels_checked_at_bind);
  CU_add_test(s, "csv 100k columns x 100k blank lines: small memory",
              test_csv_small_file_small_memory);
  CU_add_test(s, "the test set is checked before training", test_test_set_checked_before_training);
  CU_add_test(s, "csv gzip of 128 MB of newlines: small memory", test_csv_gzip_of_newlines);
  CU_add_test(s, "csv text and table size cap", test_csv_size_cap);
  CU_add_test(s, "idx images must have the input's layout", test_idx_shape_must_match);
  CU_add_test(s, "idx bad label names the labels file", test_idx_label_names_labels_file);
  CU_add_test(s, "idx header sizes: overflow, file size, gzip cap", test_idx_sizes);
  CU_add_test(s, "synthetic sets within the size cap", test_synthetic_size_cap);
  CU_add_test(s, "csv and idx from memory (fuzzing entry points)", test_memory_entry_points);
}
