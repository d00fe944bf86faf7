/* report.h — what `nnd plot` and `nnd eval --report` share: reading the CSV
 * logs `nnd train --log` writes, drawing them as one SVG, and the HTML
 * report with its inline PNG images. Nothing here prints to stderr or
 * exits (errors go to err), so the test runner can link it without the
 * rest of the CLI. */
#ifndef NND_REPORT_H
#define NND_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "metrics.h"

/* The header `nnd train --log` writes, exactly. */
#define NND_LOG_HEADER "epoch,lr,train_loss,train_accuracy,test_loss,test_accuracy,seconds"

/* One training log. Test columns left empty (no test set) and non-finite
 * values (a diverged run) are NAN, which the plot draws as a gap. */
typedef struct {
  char name[128];           /* basename without ".csv", for the legend */
  int n;                    /* epochs (rows) */
  double *epoch, *train_loss, *train_accuracy, *test_loss, *test_accuracy;
} nnd_plot_log;

/* Read a log. Returns 0; -1 when the file cannot be opened; -2 for bad
 * content (err names "file:line: ..."). nnd_plot_log_free releases it. */
int nnd_plot_log_read(const char *path, nnd_plot_log *log, char *err, size_t err_size);
void nnd_plot_log_free(nnd_plot_log *log);

/* Write the two-panel SVG (loss, accuracy per epoch) of n logs. Standalone
 * and inline-in-HTML alike: it carries its xmlns and no external resources. */
void nnd_plot_svg(FILE *out, const nnd_plot_log *logs, int n);

/* Encode 8-bit grayscale pixels (rows*cols, row-major) as a PNG (malloc'd,
 * *size set); NULL when out of memory or zlib fails. */
unsigned char *nnd_png_gray(const uint8_t *pixels, int rows, int cols, size_t *size);

/* Base64 (RFC 4648, padded), NUL-terminated and malloc'd; NULL when out of memory. */
char *nnd_base64(const unsigned char *data, size_t size);

/* Write s with &, <, >, " and ' escaped, for HTML/SVG text and attributes. */
void nnd_html_escape(FILE *out, const char *s);

typedef struct {
  const uint8_t *pixels;    /* image_rows * image_cols, 8-bit grayscale */
  int truth, predicted;
  float probability;        /* of the predicted class */
} nnd_report_sample;

/* Write the self-contained HTML evaluation report (no JavaScript, no
 * network): metrics, confusion heat map, the training curves of log_csv
 * (may be NULL), and grids of correctly and wrongly classified samples.
 * class_names (or any entry) may be NULL: the class index stands in.
 * Returns 0, or -1 with err set. */
int nnd_report_write(const char *path, const char *model_name, const char *const *class_names,
                     int classes, const nnd_metrics *m, const nnd_confusion *c, double loss,
                     const char *log_csv, const nnd_report_sample *samples, int n_samples,
                     int image_rows, int image_cols, char *err, size_t err_size);

#endif
