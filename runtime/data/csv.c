/* csv.c — csv(path, label="label", header=true, delimiter=",", scale=1): a
 * table of numbers, one sample per row, one column of labels.
 *
 * Choices, where CSV itself is silent:
 * - Every field is a number (strtod syntax in the C locale, finite, within
 *   float range); an empty field or text is an error at file:line, column,
 *   because a guessed value would train on data the user never had.
 * - Every row has the field count of the first row (the header when there
 *   is one). Blank lines are skipped; CRLF line ends and a UTF-8 byte-order
 *   mark are accepted, and spaces around fields ignored.
 * - A field may be wrapped in double quotes ("1.5", "sepal length") as
 *   spreadsheets write them; quotes with the delimiter, a quote or a line
 *   break inside are refused, as a real CSV parser would be needed for them.
 * - header=true: the label column is found by name. header=false: there are
 *   no names, so the label is the last column; `label` must then keep its
 *   default "label", and any other value is refused rather than guessed at.
 * - Labels that are all non-negative integers are class indices (classes =
 *   max + 1); anything else is a regression target (classes = 0).
 * - The file may be gzipped (zlib reads plain files unchanged). */
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "dataset_internal.h"

/* The whole file, NUL-terminated, in *buf. */
static int read_all(const char *path, char **buf, size_t *len, char *err, size_t es) {
  *buf = NULL;
  *len = 0;
  errno = 0;
  gzFile gz = gzopen(path, "rb");
  if (!gz) return nnd_data_fail(err, es, "%s: %s", path, errno ? strerror(errno) : "out of memory");
  size_t cap = 1 << 16, n = 0;
  char *b = malloc(cap);
  int rc = 0;
  for (;;) {
    if (!b) {
      rc = nnd_data_fail(err, es, "%s: out of memory", path);
      break;
    }
    if (cap - n < 2) {
      char *nb = cap > SIZE_MAX / 2 ? NULL : realloc(b, cap * 2);
      if (!nb) {
        free(b);
        b = NULL;
        continue; /* reports out of memory above */
      }
      b = nb;
      cap *= 2;
    }
    size_t want = cap - n - 1 > (1u << 30) ? (1u << 30) : cap - n - 1;
    int r = gzread(gz, b + n, (unsigned)want);
    int zerr = Z_OK;
    const char *msg = gzerror(gz, &zerr);
    if (r < 0 || zerr != Z_OK) {
      rc = nnd_data_gz_fail(path, zerr, msg, err, es);
      break;
    }
    if (r == 0) break;
    n += (size_t)r;
  }
  gzclose(gz);
  if (rc != 0) {
    free(b);
    return -1;
  }
  b[n] = '\0';
  *buf = b;
  *len = n;
  return 0;
}

/* The next line of *p (NUL-terminated in place, without its \n or \r\n),
 * or NULL at the end. */
static char *next_line(char **p) {
  char *s = *p;
  if (!s || !*s) return NULL;
  char *e = strchr(s, '\n');
  if (e) {
    *e = '\0';
    *p = e + 1;
  } else {
    *p = NULL;
  }
  size_t n = strlen(s);
  if (n > 0 && s[n - 1] == '\r') s[n - 1] = '\0';
  return s;
}

static int is_blank(const char *s) {
  while (*s == ' ' || *s == '\t' || *s == '\r') s++;
  return *s == '\0';
}

/* Split `line` at delim in place; stores up to cap field pointers and
 * returns how many fields there are in all. */
static int split(char *line, char delim, char **fields, int cap) {
  int n = 0;
  for (char *p = line;;) {
    char *e = strchr(p, delim);
    if (e) *e = '\0';
    if (n < cap) fields[n] = p;
    if (n < INT_MAX) n++;
    if (!e) return n;
    p = e + 1;
  }
}

/* The field without surrounding blanks or simple quotes, or NULL when its
 * quoting is more than that. */
static char *clean(char *f) {
  while (*f == ' ' || *f == '\t') f++;
  size_t n = strlen(f);
  while (n > 0 && (f[n - 1] == ' ' || f[n - 1] == '\t')) f[--n] = '\0';
  if (!strchr(f, '"')) return f;
  if (n < 2 || f[0] != '"' || f[n - 1] != '"' || memchr(f + 1, '"', n - 2)) return NULL;
  f[n - 1] = '\0';
  return f + 1;
}

typedef struct {
  const char *path;
  char **names;  /* header names, or NULL */
  int ncols;
} table;

/* "column 3" or "column 3 (\"petal\")" for messages. */
static const char *col_desc(const table *t, int c, char *buf, size_t n) {
  if (t->names)
    snprintf(buf, n, "column %d (\"%s\")", c + 1, t->names[c]);
  else
    snprintf(buf, n, "column %d", c + 1);
  return buf;
}

static int quote_error(const table *t, int line, int c, char *err, size_t es) {
  char desc[160];
  return nnd_data_fail(err, es,
                       "%s:%d: %s: quoted fields with the delimiter, a quote or a line break "
                       "inside are not supported",
                       t->path, line, col_desc(t, c, desc, sizeof desc));
}

/* Parse one data row into row[] (features) and *label. */
static int parse_row(const table *t, char **fields, int label_col, int line, float *row,
                     float *label, double *label_value, char *err, size_t es) {
  char desc[160];
  for (int c = 0, k = 0; c < t->ncols; c++) {
    char *f = clean(fields[c]);
    if (!f) return quote_error(t, line, c, err, es);
    if (!*f)
      return nnd_data_fail(err, es, "%s:%d: %s: empty field, a number is needed", t->path,
                           line, col_desc(t, c, desc, sizeof desc));
    char *end;
    errno = 0;
    double v = strtod(f, &end);
    if (end == f || *end != '\0' || isnan(v))
      return nnd_data_fail(err, es, "%s:%d: %s: \"%.40s\" is not a number", t->path, line,
                           col_desc(t, c, desc, sizeof desc), f);
    if (!isfinite(v) || fabs(v) > FLT_MAX)
      return nnd_data_fail(err, es, "%s:%d: %s: %.40s is beyond the range of a float",
                           t->path, line, col_desc(t, c, desc, sizeof desc), f);
    if (c == label_col) {
      *label = (float)v;
      *label_value = v;
    } else {
      row[k++] = (float)v;
    }
  }
  return 0;
}

/* The label column by name, or -1 with a message listing the columns. */
static int find_label(const table *t, const char *label, char *err, size_t es) {
  for (int c = 0; c < t->ncols; c++)
    if (strcmp(t->names[c], label) == 0) return c;
  char list[320];
  size_t used = 0;
  list[0] = '\0';
  for (int c = 0; c < t->ncols && used < sizeof list; c++) {
    int w = snprintf(list + used, sizeof list - used, "%s%s", c ? ", " : "", t->names[c]);
    if (w < 0) break;
    used += (size_t)w;
  }
  if (used >= sizeof list) strcpy(list + sizeof list - 5, " ...");
  return nnd_data_fail(err, es, "%s: no column named \"%s\" (columns: %s)", t->path, label,
                       list);
}

/* A delimiter that could occur inside a number would cut numbers apart. */
static int bad_delimiter(char c) {
  return c == '\0' || c == '"' || c == '\n' || c == '\r' || strchr("0123456789.+-eE", c);
}

int nnd_data_csv_open(const nnd_value *call, const char *base_dir, nnd_dataset **out,
                      char *err, size_t es) {
  const char *path_arg = nnd_data_str_arg(call, "path");
  const char *label = nnd_data_str_arg(call, "label");
  const char *delim = nnd_data_str_arg(call, "delimiter");
  const int header = nnd_num(nnd_call_arg(call, "header"), 1) != 0;
  const double scale = nnd_num(nnd_call_arg(call, "scale"), 1);
  if (!label) label = "label";
  if (!delim) delim = ",";
  if (!path_arg || !*path_arg) return nnd_data_fail(err, es, "csv: `path` must name a file");
  if (strlen(delim) != 1)
    return nnd_data_fail(err, es, "csv: the delimiter must be one character, not \"%s\"",
                         delim);
  if (bad_delimiter(delim[0]))
    return nnd_data_fail(err, es,
                         "csv: '%c' cannot be the delimiter: it can occur inside a number "
                         "or a quoted field",
                         delim[0]);
  if (!isfinite(scale)) return nnd_data_fail(err, es, "csv: scale must be a finite number");
  if (!header && strcmp(label, "label") != 0)
    return nnd_data_fail(err, es,
                         "csv: label=\"%s\" names a column, but header=false: without a "
                         "header row the labels are the last column",
                         label);

  char *path = nnd_data_path(base_dir, path_arg);
  char *text = NULL, **fields = NULL;
  float *values = NULL, *labels = NULL;
  nnd_dataset *d = NULL;
  table t = {.path = path};
  int rc = -1;
  size_t len = 0;
  if (!path) {
    nnd_data_fail(err, es, "csv: out of memory");
    goto done;
  }
  if (read_all(path, &text, &len, err, es) != 0) goto done;

  /* rows are at most the line count; blank lines only waste a little */
  int64_t max_rows = 1;
  for (size_t i = 0; i < len; i++) max_rows += text[i] == '\n';

  char *cursor = text;
  if ((unsigned char)cursor[0] == 0xEF && (unsigned char)cursor[1] == 0xBB &&
      (unsigned char)cursor[2] == 0xBF)
    cursor += 3;
  int line_no = 0;
  char *line = NULL;
  do {
    line = next_line(&cursor);
    line_no++;
  } while (line && is_blank(line));
  if (!line) {
    nnd_data_fail(err, es, "%s: the file is empty", path);
    goto done;
  }
  /* the first line fixes the column count; it is re-split below when it
     is data, so count on a copy */
  char *first = strdup(line);
  if (!first) {
    nnd_data_fail(err, es, "%s: out of memory", path);
    goto done;
  }
  t.ncols = split(first, delim[0], NULL, 0);
  free(first);
  fields = calloc((size_t)t.ncols, sizeof *fields);
  if (!fields) {
    nnd_data_fail(err, es, "%s: out of memory", path);
    goto done;
  }
  int label_col = t.ncols - 1;
  if (header) {
    split(line, delim[0], fields, t.ncols);
    for (int c = 0; c < t.ncols; c++) {
      char *name = clean(fields[c]);
      if (!name) {
        nnd_data_fail(err, es,
                      "%s:%d: column %d: quoted names with the delimiter or a quote inside "
                      "are not supported",
                      path, line_no, c + 1);
        goto done;
      }
      fields[c] = name;
    }
    /* the names point into `text`, which outlives the parse */
    t.names = malloc((size_t)t.ncols * sizeof *t.names);
    if (!t.names) {
      nnd_data_fail(err, es, "%s: out of memory", path);
      goto done;
    }
    memcpy(t.names, fields, (size_t)t.ncols * sizeof *t.names);
    label_col = find_label(&t, label, err, es);
    if (label_col < 0) goto done;
    line = NULL; /* consumed */
  }
  if (t.ncols < 2) {
    nnd_data_fail(err, es, "%s: only the label column, no feature columns", path);
    goto done;
  }
  const int64_t features = t.ncols - 1;
  if (max_rows > INT64_MAX / features || (uint64_t)(max_rows * features) > SIZE_MAX / 8) {
    nnd_data_fail(err, es, "%s: too large to hold in memory", path);
    goto done;
  }
  values = malloc((size_t)(max_rows * features) * sizeof *values);
  labels = malloc((size_t)max_rows * sizeof *labels);
  if (!values || !labels) {
    nnd_data_fail(err, es, "%s: out of memory", path);
    goto done;
  }

  int64_t n = 0;
  int classes = 1; /* stays >0 while every label is a non-negative integer */
  double max_label = 0;
  for (;;) {
    if (!line) {
      line = next_line(&cursor);
      if (!line) break;
      line_no++;
    }
    if (!is_blank(line)) {
      int count = split(line, delim[0], fields, t.ncols);
      if (count != t.ncols) {
        /* a quoted delimiter splits a field: name the quoting, not the count */
        for (int c = 0; c < t.ncols && c < count; c++)
          if (!clean(fields[c])) {
            quote_error(&t, line_no, c, err, es);
            goto done;
          }
        nnd_data_fail(err, es, "%s:%d: %d field%s, expected %d as in %s", path, line_no,
                      count, count == 1 ? "" : "s", t.ncols,
                      header ? "the header" : "the first row");
        goto done;
      }
      double lv = 0;
      if (parse_row(&t, fields, label_col, line_no, values + n * features, &labels[n], &lv,
                    err, es) != 0)
        goto done;
      if (lv < 0 || lv != floor(lv) || lv >= INT_MAX) classes = 0;
      if (lv > max_label) max_label = lv;
      n++;
    }
    line = NULL;
  }
  if (n == 0) {
    nnd_data_fail(err, es, "%s: a header but no data rows", path);
    goto done;
  }
  d = nnd_data_new(path);
  if (!d) {
    nnd_data_fail(err, es, "%s: out of memory", path);
    goto done;
  }
  d->n = n;
  d->features = features;
  d->classes = classes ? (int)max_label + 1 : 0;
  d->scale = scale;
  d->values = values;
  d->labels = labels;
  values = NULL;
  labels = NULL;
  *out = d;
  rc = 0;
done:
  free(text);
  free(fields);
  free(t.names);
  free(values);
  free(labels);
  free(path);
  return rc;
}
