/* test_report.c — the pieces of `nnd plot` and `nnd eval --report`: the PNG
 * encoder decodes back to what it was given, the curve SVG has a line per
 * series, the legend and axis titles and is well-formed XML, the HTML
 * report escapes class names and carries the counts and images, and a bad
 * log is reported at its file:line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "report.h"
#include "tests.h"

static char dir[64];

static uint32_t get32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void write_file(const char *name, const char *text, char *path, size_t n) {
  snprintf(path, n, "%s/%s", dir, name);
  test_write_text(path, text);
}

static int count(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
  return n;
}

/* 1 when xmllint accepts the file, 0 when it rejects it, -1 without xmllint. */
static int xmllint_ok(const char *path) {
  if (system("command -v xmllint >/dev/null 2>&1") != 0) return -1;
  char cmd[512];
  snprintf(cmd, sizeof cmd, "xmllint --noout '%s' 2>&1", path);
  int status;
  char *out = run_command(cmd, &status);
  if (status != 0) printf("\nxmllint: %s\n", out ? out : "");
  free(out);
  return status == 0;
}

static void test_png(void) {
  enum { R = 5, C = 7 };
  uint8_t px[R * C];
  for (int i = 0; i < R * C; i++) px[i] = (uint8_t)(i * 37);
  size_t size = 0;
  unsigned char *png = nnd_png_gray(px, R, C, &size);
  CU_ASSERT_PTR_NOT_NULL_FATAL(png);
  CU_ASSERT_FATAL(size > 8 + 25 + 12 + 12);
  CU_ASSERT(memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);
  /* IHDR: 13 bytes, width, height, depth 8, grayscale, no interlace. */
  CU_ASSERT_EQUAL(get32(png + 8), 13);
  CU_ASSERT(memcmp(png + 12, "IHDR", 4) == 0);
  CU_ASSERT_EQUAL(get32(png + 16), C);
  CU_ASSERT_EQUAL(get32(png + 20), R);
  CU_ASSERT_EQUAL(png[24], 8);
  CU_ASSERT_EQUAL(png[25], 0);
  CU_ASSERT_EQUAL(png[26], 0);
  CU_ASSERT_EQUAL(png[27], 0);
  CU_ASSERT_EQUAL(png[28], 0);
  CU_ASSERT_EQUAL(get32(png + 29), (uint32_t)crc32(0, png + 12, 17));
  /* IDAT follows; it must inflate to filter byte 0 + each row. */
  const unsigned char *idat = png + 33;
  uint32_t len = get32(idat);
  CU_ASSERT_FATAL(memcmp(idat + 4, "IDAT", 4) == 0 && 33 + 12 + len + 12 == size);
  CU_ASSERT_EQUAL(get32(idat + 8 + len), (uint32_t)crc32(0, idat + 4, len + 4));
  unsigned char raw[R * (C + 1) + 16];
  uLongf raw_len = sizeof raw;
  CU_ASSERT_FATAL(uncompress(raw, &raw_len, idat + 8, len) == Z_OK);
  CU_ASSERT_EQUAL(raw_len, R * (C + 1));
  for (int r = 0; r < R; r++) {
    CU_ASSERT_EQUAL(raw[r * (C + 1)], 0);
    CU_ASSERT(memcmp(raw + r * (C + 1) + 1, px + r * C, C) == 0);
  }
  CU_ASSERT(memcmp(png + size - 12, "\0\0\0\0IEND\xae\x42\x60\x82", 12) == 0);
  free(png);
  CU_ASSERT_PTR_NULL(nnd_png_gray(px, 0, C, &size));
}

static void test_base64(void) {
  const char *cases[][2] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
                            {"foobar", "Zm9vYmFy"}};
  for (int i = 0; i < 5; i++) {
    char *b = nnd_base64((const unsigned char *)cases[i][0], strlen(cases[i][0]));
    CU_ASSERT_STRING_EQUAL(b, cases[i][1]);
    free(b);
  }
}

static const char *log_a =
    NND_LOG_HEADER "\n1,0.1,0.62,0.80,0.34,0.89,3.8\n2,0.1,0.31,0.91,0.26,0.92,3.8\n"
                   "3,0.1,0.23,0.93,0.25,0.93,3.8\n";
/* No test set: the test columns are empty, and CRLF line ends. */
static const char *log_b =
    NND_LOG_HEADER "\r\n1,0.01,1.5,0.5,,,1.0\r\n2,0.01,0.9,0.7,,,1.0\r\n";

static void test_plot_svg(void) {
  char a[128], b[128], svg[128], err[256];
  write_file("run<a>&1.csv", log_a, a, sizeof a);
  write_file("b.csv", log_b, b, sizeof b);
  nnd_plot_log logs[2];
  CU_ASSERT_FATAL(nnd_plot_log_read(a, &logs[0], err, sizeof err) == 0);
  CU_ASSERT_FATAL(nnd_plot_log_read(b, &logs[1], err, sizeof err) == 0);
  CU_ASSERT_EQUAL(logs[0].n, 3);
  CU_ASSERT_EQUAL(logs[1].n, 2);
  CU_ASSERT_STRING_EQUAL(logs[0].name, "run<a>&1");
  CU_ASSERT_STRING_EQUAL(logs[1].name, "b");
  CU_ASSERT(logs[1].test_loss[0] != logs[1].test_loss[0]); /* NAN */
  snprintf(svg, sizeof svg, "%s/curves.svg", dir);
  FILE *f = fopen(svg, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  nnd_plot_svg(f, logs, 2);
  fclose(f);
  nnd_plot_log_free(&logs[0]);
  nnd_plot_log_free(&logs[1]);
  char *s = test_read_file(svg);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  /* Per panel: train+test for a, train only for b (no test data). */
  CU_ASSERT_EQUAL(count(s, "<polyline"), 2 * (2 + 1));
  CU_ASSERT_EQUAL(count(s, "stroke-dasharray=\"6 4\" points"), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(s, ">run&lt;a&gt;&amp;1</text>"));
  CU_ASSERT_PTR_NOT_NULL(strstr(s, ">b</text>"));
  CU_ASSERT_EQUAL(count(s, ">epoch</text>"), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(s, ">loss</text>"));
  CU_ASSERT_PTR_NOT_NULL(strstr(s, ">accuracy</text>"));
  CU_ASSERT_PTR_NOT_NULL(strstr(s, "Loss per epoch"));
  CU_ASSERT_PTR_NOT_NULL(strstr(s, "Accuracy per epoch"));
  CU_ASSERT_EQUAL(count(s, "<svg"), count(s, "</svg>"));
  CU_ASSERT_PTR_NULL(strstr(s, "<script"));
  free(s);
  int ok = xmllint_ok(svg);
  if (ok < 0) test_missing("xmllint", "the plot's SVG is well-formed XML");
  else CU_ASSERT_EQUAL(ok, 1);
}

static void expect_bad(const char *name, const char *text, int rc, const char *where) {
  char path[128], err[512];
  write_file(name, text, path, sizeof path);
  nnd_plot_log log;
  CU_ASSERT_EQUAL(nnd_plot_log_read(path, &log, err, sizeof err), rc);
  char want[160];
  snprintf(want, sizeof want, "%s:%s", path, where);
  if (!strstr(err, want)) printf("\nwanted '%s' in: %s\n", want, err);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
}

static void test_bad_logs(void) {
  expect_bad("header.csv", "epoch,loss\n1,2\n", -2, "1:");
  expect_bad("empty.csv", "", -2, "1:");
  expect_bad("word.csv", NND_LOG_HEADER "\n1,0.1,0.5,0.8,,,1\n2,0.1,oops,0.8,,,1\n", -2,
             "3: train_loss is not a number");
  expect_bad("short.csv", NND_LOG_HEADER "\n1,0.1,0.5\n", -2, "2: expected 7 fields");
  expect_bad("trail.csv", NND_LOG_HEADER "\n1,0.1,0.5x,0.8,,,1\n", -2, "2:");
  expect_bad("noepoch.csv", NND_LOG_HEADER "\n,0.1,0.5,0.8,,,1\n", -2, "2:");
  char err[256], path[128];
  snprintf(path, sizeof path, "%s/missing.csv", dir);
  nnd_plot_log log;
  CU_ASSERT_EQUAL(nnd_plot_log_read(path, &log, err, sizeof err), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "missing.csv"));
}

static void test_html_report(void) {
  enum { K = 3, R = 4, COLS = 4 };
  nnd_confusion c;
  CU_ASSERT_FATAL(nnd_confusion_init(&c, K) == 0);
  int pairs[][3] = {{0, 0, 17}, {0, 1, 3}, {1, 1, 23}, {2, 2, 11}, {2, 0, 5}};
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < pairs[i][2]; j++) nnd_confusion_add(&c, pairs[i][0], pairs[i][1]);
  nnd_metrics m;
  CU_ASSERT_FATAL(nnd_metrics_compute(&c, &m) == 0);
  const char *names[K] = {"cat<dog", "R&D", NULL};
  uint8_t px[R * COLS];
  for (int i = 0; i < R * COLS; i++) px[i] = (uint8_t)(i * 16);
  nnd_report_sample samples[3] = {
      {px, 0, 0, 0.93f}, {px, 1, 1, 0.5f}, {px, 2, 0, 0.61f}};
  char log[128], html[128], err[256];
  write_file("train.csv", log_a, log, sizeof log);
  snprintf(html, sizeof html, "%s/report.html", dir);
  int rc = nnd_report_write(html, "mnist <mlp>", names, K, &m, &c, 0.25, log, samples, 3, R,
                            COLS, err, sizeof err);
  if (rc) printf("\n%s\n", err);
  CU_ASSERT_EQUAL_FATAL(rc, 0);
  char *s = test_read_file(html);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CU_ASSERT_PTR_NOT_NULL(strstr(s, "cat&lt;dog"));
  CU_ASSERT_PTR_NOT_NULL(strstr(s, "R&amp;D"));
  CU_ASSERT_PTR_NULL(strstr(s, "cat<dog"));
  CU_ASSERT_PTR_NULL(strstr(s, "R&D"));
  CU_ASSERT_PTR_NOT_NULL(strstr(s, "mnist &lt;mlp&gt;"));
  for (int i = 0; i < 5; i++) {
    char cell[32];
    snprintf(cell, sizeof cell, ">%d</td>", pairs[i][2]);
    CU_ASSERT_PTR_NOT_NULL(strstr(s, cell));
  }
  CU_ASSERT_EQUAL(count(s, "data:image/png;base64,"), 3);
  CU_ASSERT_PTR_NOT_NULL(strstr(s, "true: cat&lt;dog / predicted: <b>cat&lt;dog</b> (p = 0.93)"));
  CU_ASSERT_PTR_NOT_NULL(strstr(s, "true: 2 / predicted: <b>cat&lt;dog</b> (p = 0.61)"));
  CU_ASSERT_PTR_NOT_NULL(strstr(s, "Accuracy per epoch"));
  CU_ASSERT_EQUAL(count(s, "<svg"), count(s, "</svg>"));
  CU_ASSERT_PTR_NULL(strstr(s, "<script"));
  CU_ASSERT_PTR_NULL(strstr(s, "http://www.w3.org/1999/xlink")); /* nothing external */
  free(s);
  /* A bad log fails the report, naming file:line, and writes nothing. */
  char bad[128], html2[128];
  write_file("bad.csv", NND_LOG_HEADER "\n1,x,,,,,\n", bad, sizeof bad);
  snprintf(html2, sizeof html2, "%s/report2.html", dir);
  CU_ASSERT_EQUAL(nnd_report_write(html2, "m", names, K, &m, &c, 0.25, bad, samples, 3, R, COLS,
                                   err, sizeof err), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "bad.csv:2:"));
  CU_ASSERT_NOT_EQUAL(access(html2, F_OK), 0);
  nnd_metrics_free(&m);
  nnd_confusion_free(&c);
}

static int suite_init(void) {
  snprintf(dir, sizeof dir, "/tmp/nnd_report_XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int suite_clean(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

void test_report_register(void) {
  CU_pSuite s = CU_add_suite("report", suite_init, suite_clean);
  CU_add_test(s, "PNG encoder output decodes", test_png);
  CU_add_test(s, "base64 of RFC 4648 vectors", test_base64);
  CU_add_test(s, "plot SVG has series, legend, axes", test_plot_svg);
  CU_add_test(s, "bad logs name file:line", test_bad_logs);
  CU_add_test(s, "HTML report escapes and embeds", test_html_report);
}
