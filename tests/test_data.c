/* test_data.c — the data sources of data.h: the shipped MNIST subset read
 * byte for byte, IDX and CSV files written here with known contents read
 * back to exact numbers, every damaged file refused with a message naming
 * it and saying what is wrong, and synthetic sets that are deterministic
 * and where they should be. Files are made in a fresh temporary
 * directory, so the suite needs nothing but the source tree. */
#include "data_fixtures.h"

/* ---------------------------------------------------------------- IDX */

static void test_mnist10k_train(void) {
  char ip[1024], lp[1024];
  tcall c;
  src_path("data/mnist10k/train-images-idx3-ubyte.gz", ip, sizeof ip);
  src_path("data/mnist10k/train-labels-idx1-ubyte.gz", lp, sizeof lp);
  nnd_dataset *d = open_ok(idx_call(&c, ip, lp, 1.0 / 255), "");
  int rows = 0, cols = 0;
  CU_ASSERT(nnd_dataset_size(d) == 8000 && nnd_dataset_features(d) == 784);
  CU_ASSERT_EQUAL(nnd_dataset_classes(d), 10);
  CU_ASSERT(nnd_dataset_image_shape(d, &rows, &cols) && rows == 28 && cols == 28);
  CU_ASSERT_STRING_EQUAL(nnd_dataset_name(d), ip);
  /* compare with the file read independently through zlib */
  static unsigned char raw[16 + 8000 * 784];
  gzFile g = gzopen(ip, "rb");
  CU_ASSERT_FATAL(g != NULL);
  CU_ASSERT(gzread(g, raw, sizeof raw) == (int)sizeof raw);
  gzclose(g);
  CU_ASSERT(memcmp(nnd_dataset_image(d, 0), raw + 16, 784) == 0);
  CU_ASSERT(memcmp(nnd_dataset_image(d, 7999), raw + 16 + 7999 * 784, 784) == 0);
  CU_ASSERT(nnd_dataset_image(d, 8000) == NULL && nnd_dataset_image(d, -1) == NULL);
  int64_t index[5] = {0, 1, 2, 3, 4};
  float x[5 * 784], y[5];
  nnd_dataset_batch(d, index, 5, x, y);
  /* the label file begins 05 03 05 05 03 */
  CU_ASSERT(y[0] == 5 && y[1] == 3 && y[2] == 5 && y[3] == 5 && y[4] == 3);
  for (int k = 0; k < 784; k++) CU_ASSERT_EQUAL(x[k], (float)(raw[16 + k] * (1.0 / 255)));
  nnd_dataset_free(d);
}

static void test_mnist10k_relative(void) {
  char base[1024];
  src_path("data/mnist10k", base, sizeof base);
  tcall c;
  idx_call(&c, "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 1);
  nnd_dataset *d = open_ok(&c.call, base); /* no trailing slash */
  CU_ASSERT_EQUAL(nnd_dataset_size(d), 2000);
  CU_ASSERT(strstr(nnd_dataset_name(d), "mnist10k/t10k-images") != NULL);
  nnd_dataset_free(d);
  strcat(base, "/"); /* and with one */
  d = open_ok(&c.call, base);
  CU_ASSERT(strstr(nnd_dataset_name(d), "//") == NULL);
  CU_ASSERT_EQUAL(nnd_dataset_classes(d), 10);
  nnd_dataset_free(d);
}

static void test_idx_raw_exact(void) {
  write_good_pair();
  tcall c;
  nnd_dataset *d = open_ok(idx_call(&c, "img.idx", "lab.idx", 1), dir);
  CU_ASSERT(nnd_dataset_size(d) == 3 && nnd_dataset_features(d) == 6);
  CU_ASSERT_EQUAL(nnd_dataset_classes(d), 8);
  int rows, cols;
  CU_ASSERT(nnd_dataset_image_shape(d, &rows, &cols) && rows == 2 && cols == 3);
  CU_ASSERT(memcmp(nnd_dataset_image(d, 2), PIX + 12, 6) == 0);
  const float want[18] = {255, 254, 128, 127, 64, 0, 0, 1, 2, 3, 4, 5, 255, 254, 128, 127, 64, 0};
  CU_ASSERT(batch_is(d, 3, (int64_t[]){2, 0, 2}, want, (float[]){7, 2, 7}));
  nnd_dataset_free(d);
}

static void test_idx_scale(void) {
  write_good_pair();
  tcall c;
  nnd_dataset *d = open_ok(idx_call(&c, tmp("img.idx"), tmp("lab.idx"), 1.0 / 255), "");
  /* pixel * scale in double, rounded once: 255 is exactly 1; labels stay */
  const float w[6] = {1, (float)(254 * (1.0 / 255)), (float)(128 * (1.0 / 255)),
                      (float)(127 * (1.0 / 255)), (float)(64 * (1.0 / 255)), 0};
  CU_ASSERT(batch_is(d, 1, (int64_t[]){2}, w, (float[]){7}));
  CU_ASSERT(fabsf(w[3] - 127.0f / 255.0f) < 1e-7f);
  nnd_dataset_free(d);
}

static void test_idx_gzip(void) {
  write_idx("img.gz", 1, 0x803, 3, IMG_DIMS, PIX, 18);
  write_idx("lab.gz", 1, 0x801, 1, LAB_DIMS, LAB, 3);
  tcall c;
  nnd_dataset *d = open_ok(idx_call(&c, "img.gz", "lab.gz", 0.5), dir);
  const float want[12] = {127.5f, 127, 64, 63.5f, 32, 0, 5, 10, 15, 20, 25, 30};
  CU_ASSERT(batch_is(d, 2, (int64_t[]){2, 1}, want, (float[]){7, 0}));
  nnd_dataset_free(d);
}

static void test_idx_missing_file(void) {
  write_good_pair();
  CU_ASSERT(idx_fails("nope.gz", "lab.idx", "nope.gz: ", "No such file or directory"));
  CU_ASSERT(idx_fails("img.idx", "nolabels", "nolabels: ", "No such file"));
  tcall c;
  CU_ASSERT(open_fails(idx_call(&c, dir, tmp("lab.idx"), 1), dir, "Is a directory"));
}

static void test_idx_wrong_magic(void) {
  write_good_pair();
  write_idx("bad.idx", 0, 0x12345678, 3, IMG_DIMS, PIX, 18);
  CU_ASSERT(idx_fails("bad.idx", "lab.idx", "bad.idx: ",
                      "not an IDX image file: magic 0x12345678, expected 0x00000803"));
  write_text("page.html", "<html>404 not found</html>");
  CU_ASSERT(idx_fails("page.html", "lab.idx", "page.html: ", "magic 0x3C68746D, expected"));
  /* given the wrong way round */
  CU_ASSERT(idx_fails("lab.idx", "img.idx",
                      "lab.idx: not an IDX image file: magic 0x00000801, expected 0x00000803",
                      "is this the labels file?"));
  CU_ASSERT(idx_fails("img.idx", "img.idx",
                      "img.idx: not an IDX label file: magic 0x00000803, expected 0x00000801",
                      "is this the images file?"));
  write_idx("float.idx", 0, 0x00000D03, 3, IMG_DIMS, PIX, 18);
  CU_ASSERT(idx_fails("float.idx", "lab.idx", "float.idx: ",
                      "element type 0x0D (32-bit float) is not supported"));
}

static void test_idx_truncated(void) {
  write_good_pair();
  write_idx("short.idx", 0, 0x803, 3, IMG_DIMS, PIX, 10);
  CU_ASSERT(idx_fails("short.idx", "lab.idx", "short.idx: ",
                      "truncated: 18 bytes of image data expected, 10 found"));
  write_idx("short_lab.idx", 0, 0x801, 1, LAB_DIMS, LAB, 1);
  CU_ASSERT(idx_fails("img.idx", "short_lab.idx", "short_lab.idx: ",
                      "truncated: 3 bytes of label data expected, 1 found"));
  /* a header claiming 10 GB costs a message, not an allocation */
  write_idx("huge.idx", 0, 0x803, 3, (uint32_t[]){3, 60000, 60000}, PIX, 18);
  CU_ASSERT(idx_fails("huge.idx", "lab.idx", "huge.idx: ",
                      "10800000000 bytes, more than the 2147483648 bytes (2 GiB)"));
  write_idx("hdr.idx", 0, 0x803, 1, IMG_DIMS, PIX, 0); /* magic says 3 dims, 1 present */
  CU_ASSERT(idx_fails("hdr.idx", "lab.idx", "hdr.idx: ",
                      "truncated: 16 bytes of IDX header expected, 8 found"));
  write_file("empty.idx", "", 0);
  CU_ASSERT(idx_fails("empty.idx", "lab.idx", "empty.idx: ",
                      "truncated: 16 bytes of IDX header expected, 0 found"));
}

static void test_idx_count_mismatch(void) {
  write_good_pair();
  write_idx("lab2.idx", 0, 0x801, 1, (uint32_t[]){2}, LAB, 2);
  CU_ASSERT(idx_fails("img.idx", "lab2.idx", "img.idx: images has 3 samples but labels has 2",
                      "lab2.idx"));
  write_idx("zero.idx", 0, 0x803, 3, (uint32_t[]){0, 2, 3}, PIX, 0);
  write_idx("lab0.idx", 0, 0x801, 1, (uint32_t[]){0}, LAB, 0);
  CU_ASSERT(idx_fails("zero.idx", "lab0.idx", "zero.idx: ", "no samples"));
}

static void test_idx_trailing_refused(void) {
  unsigned char junk[22];
  memcpy(junk, PIX, 18);
  memcpy(junk + 18, "junk", 4);
  write_good_pair();
  write_idx("tail.idx", 0, 0x803, 3, IMG_DIMS, junk, 22);
  write_idx("tail.gz", 1, 0x803, 3, IMG_DIMS, junk, 22);
  CU_ASSERT(idx_fails("tail.idx", "lab.idx", "tail.idx: ",
                      "4 bytes of trailing data after the 18 bytes of image data"));
  CU_ASSERT(idx_fails("tail.gz", "lab.idx", "tail.gz: ", "4 bytes of trailing data"));
}

static void test_idx_corrupt_gzip(void) {
  /* 25 noisy 28x28 images, so deflate makes real Huffman blocks to damage */
  static unsigned char pix[25 * 784], z[25 * 784 + 16], lab[25];
  uint32_t s = 12345;
  for (size_t i = 0; i < sizeof pix; i++) pix[i] = (unsigned char)((s = s * 1103515245 + 1) >> 28);
  write_idx("good25.gz", 1, 0x803, 3, (uint32_t[]){25, 28, 28}, pix, sizeof pix);
  write_idx("lab25.idx", 0, 0x801, 1, (uint32_t[]){25}, lab, 25);
  tcall c;
  nnd_dataset *d = open_ok(idx_call(&c, "good25.gz", "lab25.idx", 1), dir);
  CU_ASSERT(nnd_dataset_size(d) == 25);
  nnd_dataset_free(d);
  FILE *f = fopen(tmp("good25.gz"), "rb");
  CU_ASSERT_FATAL(f != NULL);
  size_t n = fread(z, 1, sizeof z, f);
  fclose(f);
  CU_ASSERT_FATAL(n > 200 && n < sizeof z);
  for (size_t i = n / 2; i < n / 2 + 8; i++) z[i] ^= 0xA5;
  write_file("corrupt.gz", z, n);
  CU_ASSERT(idx_fails("corrupt.gz", "lab25.idx", "corrupt.gz: ", "gzip data (zlib: "));
  write_file("cut.gz", z, n / 3); /* the valid start of a gzip, cut off */
  CU_ASSERT(idx_fails("cut.gz", "lab25.idx", "cut.gz: ",
                      "truncated gzip data (zlib: unexpected end of file)"));
}

static void test_unknown_source(void) {
  tcall c;
  begin(&c, "parquet");
  CU_ASSERT(open_fails(&c.call, "unknown data source \"parquet\"", "idx, csv, moons"));
  nnd_value not_call = {.kind = NND_VAL_STRING, .str = "x.csv"};
  CU_ASSERT(open_fails(&not_call, "must be a call", NULL));
}

/* ---------------------------------------------------------------- CSV */

static void test_csv_basic(void) {
  write_text("a.csv", "x,y,label\n1,2,0\n3.5,-4,2\n1e-3, 7 ,1\n");
  tcall c;
  nnd_dataset *d = open_ok(csv_call(&c, "a.csv", "label", 1, ",", 1), dir);
  CU_ASSERT(nnd_dataset_size(d) == 3 && nnd_dataset_features(d) == 2);
  CU_ASSERT_EQUAL(nnd_dataset_classes(d), 3);
  CU_ASSERT(nnd_dataset_image(d, 0) == NULL && !nnd_dataset_image_shape(d, NULL, NULL));
  CU_ASSERT_STRING_EQUAL(nnd_dataset_name(d), tmp("a.csv"));
  CU_ASSERT(batch_is(d, 3, (int64_t[]){1, 2, 0}, (float[]){3.5f, -4, 1e-3f, 7, 1, 2},
                     (float[]){2, 1, 0}));
  nnd_dataset_free(d);
  write_gz("z.csv.gz", "a,label\n0.25,1\n", 15); /* zlib reads gzip too */
  d = open_ok(csv_call(&c, "z.csv.gz", "label", 1, ",", 4), dir);
  CU_ASSERT(batch_is(d, 1, (int64_t[]){0}, (float[]){1}, (float[]){1}));
  nnd_dataset_free(d);
}

static void test_csv_scale_and_label_column(void) {
  /* BOM, CRLF, blank lines, quoted names and numbers, the label first */
  write_text("b.csv", "\xEF\xBB\xBF\"kind\";\"len\";\"w\"\r\n\r\n4;10;20\r\n  \r\n1;\"2\";-6\r\n");
  tcall c;
  nnd_dataset *d = open_ok(csv_call(&c, "b.csv", "kind", 1, ";", 0.5), dir);
  CU_ASSERT(nnd_dataset_size(d) == 2 && nnd_dataset_classes(d) == 5);
  /* labels are not scaled */
  CU_ASSERT(batch_is(d, 2, (int64_t[]){0, 1}, (float[]){5, 10, 1, -3}, (float[]){4, 1}));
  nnd_dataset_free(d);
}

static void test_csv_no_header(void) {
  write_text("c.csv", "0.5\t1\t1\n2\t3\t0"); /* no final newline */
  tcall c;
  nnd_dataset *d = open_ok(csv_call(&c, tmp("c.csv"), "label", 0, "\t", 1), "");
  CU_ASSERT(nnd_dataset_size(d) == 2 && nnd_dataset_features(d) == 2);
  CU_ASSERT_EQUAL(nnd_dataset_classes(d), 2);
  CU_ASSERT(batch_is(d, 2, (int64_t[]){1, 0}, (float[]){2, 3, 0.5f, 1}, (float[]){0, 1}));
  nnd_dataset_free(d);
  CU_ASSERT(csv_fails("c.csv", "y", 0, "\t", "label=\"y\"",
                      "without a header row the labels are the last column"));
}

static void test_csv_regression(void) {
  write_text("r.csv", "a,price\n1,0.5\n2,3\n");
  write_text("n.csv", "a,t\n1,-1\n2,3\n");
  tcall c;
  nnd_dataset *d = open_ok(csv_call(&c, tmp("r.csv"), "price", 1, ",", 1), "");
  CU_ASSERT_EQUAL(nnd_dataset_classes(d), 0);
  CU_ASSERT(batch_is(d, 1, (int64_t[]){0}, (float[]){1}, (float[]){0.5f}));
  nnd_dataset_free(d);
  d = open_ok(csv_call(&c, tmp("n.csv"), "t", 1, ",", 1), "");
  CU_ASSERT(d && nnd_dataset_classes(d) == 0);
  nnd_dataset_free(d);
}

static void test_csv_missing_label(void) {
  write_text("m.csv", "sepal,petal,species\n1,2,0\n");
  CU_ASSERT(csv_fails("m.csv", "label", 1, ",", "m.csv: ",
                      "no column named \"label\" (columns: sepal, petal, species)"));
}

static void test_csv_not_a_number(void) {
  write_text("nan.csv", "a,b,label\n1,2,0\n3,abc,1\n");
  CU_ASSERT(csv_fails("nan.csv", "label", 1, ",",
                      "nan.csv:3: column 2 (\"b\"): \"abc\" is not a number", NULL));
  write_text("empty_field.csv", "1,,0\n");
  CU_ASSERT(csv_fails("empty_field.csv", "label", 0, ",",
                      "empty_field.csv:1: column 2: empty field", NULL));
  write_text("inf.csv", "a,label\n1e39,0\n");
  CU_ASSERT(csv_fails("inf.csv", "label", 1, ",", "inf.csv:2: column 1 (\"a\"): 1e39",
                      "beyond the range of a float"));
  write_text("q.csv", "a,b,label\n\"1\",2,0\n\"1,5\",2,0\n");
  CU_ASSERT(csv_fails("q.csv", "label", 1, ",", "q.csv:3: column 1 (\"a\"): quoted fields",
                      "not supported"));
}

static void test_csv_field_count(void) {
  write_text("f.csv", "a,b,label\n1,2,0\n\n3,1\n");
  write_text("g.csv", "1,2,0\n3,1,1,5\n");
  CU_ASSERT(csv_fails("f.csv", "label", 1, ",", "f.csv:4: 2 fields, expected 3 as in the header",
                      NULL));
  CU_ASSERT(csv_fails("g.csv", "label", 0, ",",
                      "g.csv:2: 4 fields, expected 3 as in the first row", NULL));
}

static void test_csv_delimiter(void) {
  write_text("d.csv", "a,label\n1,0\n");
  CU_ASSERT(csv_fails("d.csv", "label", 1, ";;", "delimiter must be one character, not \";;\"",
                      NULL));
  CU_ASSERT(csv_fails("d.csv", "label", 1, "", "one character", NULL));
  CU_ASSERT(csv_fails("d.csv", "label", 1, ".", "'.' cannot be the delimiter", NULL));
  /* the wrong delimiter: one column, so no label column by that name */
  CU_ASSERT(csv_fails("d.csv", "label", 1, ";", "no column named \"label\" (columns: a,label)",
                      NULL));
}

static void test_csv_bad_files(void) {
  CU_ASSERT(csv_fails("missing.csv", "label", 1, ",", "missing.csv: No such file", NULL));
  write_text("empty.csv", "\n\n");
  CU_ASSERT(csv_fails("empty.csv", "label", 1, ",", "empty.csv: the file is empty", NULL));
  write_text("hdr.csv", "a,label\n");
  CU_ASSERT(csv_fails("hdr.csv", "label", 1, ",", "hdr.csv: a header but no data rows", NULL));
  write_text("one.csv", "label\n1\n");
  CU_ASSERT(csv_fails("one.csv", "label", 1, ",", "no feature columns", NULL));
}

/* ---------------------------------------------------------- synthetic */

/* Same call: bit-identical; another seed: different. */
static void check_deterministic(const nnd_value *a, const nnd_value *b, const nnd_value *other) {
  static float x1[4000], y1[2000];
  nnd_dataset *d1 = open_ok(a, ""), *d2 = open_ok(b, ""), *d3 = open_ok(other, "");
  size_t n = (size_t)nnd_dataset_size(d1), nx = n * (size_t)nnd_dataset_features(d1);
  all(d1);
  memcpy(x1, X, nx * sizeof *X);
  memcpy(y1, Y, n * sizeof *Y);
  all(d2);
  CU_ASSERT(memcmp(x1, X, nx * sizeof *X) == 0 && memcmp(y1, Y, n * sizeof *Y) == 0);
  all(d3);
  CU_ASSERT(memcmp(x1, X, nx * sizeof *X) != 0);
  nnd_dataset_free(d1), nnd_dataset_free(d2), nnd_dataset_free(d3);
}

static void test_synthetic_deterministic(void) {
  tcall a, b, o;
  check_deterministic(synth(&a, "moons", 300, 0.1, 7), synth(&b, "moons", 300, 0.1, 7),
                      synth(&o, "moons", 300, 0.1, 8));
  check_deterministic(blobs(&a, 300, 4, 3, 1, 7), blobs(&b, 300, 4, 3, 1, 7),
                      blobs(&o, 300, 4, 3, 1, 8));
  check_deterministic(synth(&a, "xor", 300, 0.1, 7), synth(&b, "xor", 300, 0.1, 7),
                      synth(&o, "xor", 300, 0.1, 8));
}

static void test_moons_shape(void) {
  tcall c;
  nnd_dataset *d = open_ok(synth(&c, "moons", 101, 0, 3), "");
  CU_ASSERT(nnd_dataset_size(d) == 101 && nnd_dataset_features(d) == 2);
  CU_ASSERT(nnd_dataset_classes(d) == 2 && nnd_dataset_image(d, 0) == NULL);
  CU_ASSERT_STRING_EQUAL(nnd_dataset_name(d), "");
  all(d);
  int count[2] = {0, 0};
  for (int i = 0; i < 101; i++) {
    /* noise 0: on the unit circle around (0, 0), upper half, or around
       (1, 0.5), lower half */
    double px = X[2 * i] - (Y[i] ? 1 : 0), py = X[2 * i + 1] - (Y[i] ? 0.5 : 0);
    count[(int)Y[i]]++;
    CU_ASSERT(fabs(px * px + py * py - 1) < 1e-5);
    CU_ASSERT(Y[i] ? py <= 1e-6 : py >= -1e-6);
  }
  /* scikit-learn's split: n / 2 outer (class 0), the rest inner */
  CU_ASSERT(count[0] == 50 && count[1] == 51);
  /* the arcs start where make_moons starts them: (1, 0) and (0, 0.5) */
  CU_ASSERT(fabsf(X[0] - 1) < 1e-6f && fabsf(X[1]) < 1e-6f);
  CU_ASSERT(fabsf(X[2]) < 1e-6f && fabsf(X[3] - 0.5f) < 1e-6f);
  nnd_dataset_free(d);
}

static void test_moons_classes_apart(void) {
  tcall c;
  nnd_dataset *d = open_ok(synth(&c, "moons", 1000, 0.1, 0), "");
  all(d);
  double m[2][2] = {{0, 0}, {0, 0}};
  for (int i = 0; i < 1000; i++)
    for (int k = 0; k < 2; k++) m[(int)Y[i]][k] += X[2 * i + k] / 500.0;
  /* class 0 is the upper arc, class 1 the lower one shifted right: means
     (0, 2/pi) and (1, 0.5 - 2/pi) up to noise */
  CU_ASSERT(m[0][1] > m[1][1] + 0.5);
  CU_ASSERT(fabs(m[0][0]) < 0.05 && fabs(m[1][0] - 1) < 0.05);
  CU_ASSERT(fabs(m[0][1] - 2 / M_PI) < 0.05 && fabs(m[1][1] - (0.5 - 2 / M_PI)) < 0.05);
  nnd_dataset_free(d);
}

static void test_blobs(void) {
  tcall c;
  nnd_dataset *d = open_ok(blobs(&c, 1000, 4, 3, 0.5, 5), "");
  CU_ASSERT(nnd_dataset_size(d) == 1000 && nnd_dataset_features(d) == 3);
  CU_ASSERT_EQUAL(nnd_dataset_classes(d), 4);
  all(d);
  double mean[4][3] = {{0}}, var[4] = {0};
  for (int i = 0; i < 1000; i++) {
    CU_ASSERT_EQUAL(Y[i], (float)(i % 4)); /* round-robin: 250 each */
    for (int k = 0; k < 3; k++) mean[i % 4][k] += X[3 * i + k] / 250.0;
  }
  for (int i = 0; i < 1000; i++)
    for (int k = 0; k < 3; k++) var[i % 4] += pow(X[3 * i + k] - mean[i % 4][k], 2) / 750.0;
  for (int j = 0; j < 4; j++) {
    for (int k = 0; k < 3; k++) CU_ASSERT(fabs(mean[j][k]) < 10.2);
    CU_ASSERT(fabs(sqrt(var[j]) - 0.5) < 0.05);
  }
  nnd_dataset_free(d);
}

static void test_blobs_test_set_shares_centers(void) {
  tcall c;
  float x[4][6], y[6];
  /* std 0: every sample is its center; another n keeps the centers, and
     with noise the samples of the two sets are independent */
  for (int k = 0; k < 4; k++) {
    nnd_dataset *d = open_ok(blobs(&c, k % 2 ? 7 : 10, 3, 2, k < 2 ? 0 : 1, 9), "");
    nnd_dataset_batch(d, (int64_t[]){0, 1, 2}, 3, x[k], y);
    nnd_dataset_free(d);
  }
  CU_ASSERT(memcmp(x[0], x[1], sizeof x[0]) == 0);
  for (int k = 0; k < 6; k++) CU_ASSERT(x[0][k] >= -10 && x[0][k] <= 10);
  CU_ASSERT(x[0][0] != x[0][2]); /* centers differ */
  CU_ASSERT(x[2][0] != x[3][0] && fabsf(x[2][0] - x[0][0]) < 5);
}

static void test_xor(void) {
  tcall c;
  nnd_dataset *d = open_ok(synth(&c, "xor", 2000, 0, 11), "");
  CU_ASSERT(nnd_dataset_features(d) == 2 && nnd_dataset_classes(d) == 2);
  all(d);
  int ones = 0, quadrant[4] = {0};
  for (int i = 0; i < 2000; i++) {
    float px = X[2 * i], py = X[2 * i + 1];
    CU_ASSERT(fabsf(px) <= 1 && fabsf(py) <= 1);
    CU_ASSERT_EQUAL(Y[i], (float)((px > 0) != (py > 0)));
    ones += Y[i] == 1;
    quadrant[(px > 0) * 2 + (py > 0)]++;
  }
  CU_ASSERT(ones > 900 && ones < 1100);
  for (int q = 0; q < 4; q++) CU_ASSERT(quadrant[q] > 420 && quadrant[q] < 580);
  nnd_dataset_free(d);
}

static void test_synthetic_bad_arguments(void) {
  tcall c;
  CU_ASSERT(open_fails(synth(&c, "moons", 0, 0.1, 0), "moons: n must be an integer", NULL));
  CU_ASSERT(open_fails(synth(&c, "xor", 10, -1, 0), "xor: noise must be", ">= 0"));
  CU_ASSERT(open_fails(synth(&c, "moons", 10, 0.1, 1.5), "moons: seed must be", NULL));
  CU_ASSERT(open_fails(blobs(&c, 10, 0, 2, 1, 0), "blobs: centers must be", NULL));
  CU_ASSERT(open_fails(blobs(&c, 10, 1000000, 1000000, 1, 0), "too many", NULL));
}

void test_data_register(void) {
  CU_pSuite s = CU_add_suite("data", suite_init, suite_clean);
  CU_add_test(s, "idx reads the shipped MNIST subset byte for byte", test_mnist10k_train);
  CU_add_test(s, "idx resolves relative paths against base_dir", test_mnist10k_relative);
  CU_add_test(s, "idx raw pair: exact pixels and labels", test_idx_raw_exact);
  CU_add_test(s, "idx scale=1/255 converts per batch", test_idx_scale);
  CU_add_test(s, "idx gzipped pair, scale 0.5", test_idx_gzip);
  CU_add_test(s, "idx missing file or directory: strerror", test_idx_missing_file);
  CU_add_test(s, "idx wrong magic, files swapped, element type", test_idx_wrong_magic);
  CU_add_test(s, "idx truncated header or data: expected and found", test_idx_truncated);
  CU_add_test(s, "idx image/label count mismatch", test_idx_count_mismatch);
  CU_add_test(s, "idx trailing bytes refused", test_idx_trailing_refused);
  CU_add_test(s, "idx corrupt or cut gzip: zlib's message", test_idx_corrupt_gzip);
  CU_add_test(s, "unknown data source lists the known ones", test_unknown_source);
  CU_add_test(s, "csv with header, and gzipped: exact values", test_csv_basic);
  CU_add_test(s, "csv BOM, CRLF, quotes, scale, label column", test_csv_scale_and_label_column);
  CU_add_test(s, "csv without header: the last column", test_csv_no_header);
  CU_add_test(s, "csv non-integer labels are a regression", test_csv_regression);
  CU_add_test(s, "csv missing label column lists columns", test_csv_missing_label);
  CU_add_test(s, "csv non-number or quoting at file:line, column", test_csv_not_a_number);
  CU_add_test(s, "csv field count per row", test_csv_field_count);
  CU_add_test(s, "csv delimiter is one safe character", test_csv_delimiter);
  CU_add_test(s, "csv missing, empty, header-only files", test_csv_bad_files);
  CU_add_test(s, "synthetic sets are bit-identical per seed", test_synthetic_deterministic);
  CU_add_test(s, "moons: sizes and arcs with noise 0", test_moons_shape);
  CU_add_test(s, "moons: class 0 above class 1", test_moons_classes_apart);
  CU_add_test(s, "blobs: round-robin classes, std, centers in range", test_blobs);
  CU_add_test(s, "blobs: another n keeps the centers", test_blobs_test_set_shares_centers);
  CU_add_test(s, "xor: labels follow the quadrants, balanced", test_xor);
  CU_add_test(s, "synthetic argument errors", test_synthetic_bad_arguments);
}
