/* diag.c — see diag.h. */
#include "diag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

nnd_diag_list *nnd_diag_list_new(void) { return calloc(1, sizeof(nnd_diag_list)); }

void nnd_diag_list_free(nnd_diag_list *d) {
  if (!d) return;
  for (int i = 0; i < d->count; i++) free(d->items[i].message);
  for (int i = 0; i < d->n_sources; i++) {
    free(d->sources[i].file);
    free(d->sources[i].text);
  }
  free(d->sources);
  free(d->items);
  free(d);
}

const char *nnd_diag_add_source(nnd_diag_list *d, const char *file, const char *text,
                                size_t len) {
  for (int i = 0; i < d->n_sources; i++)
    if (strcmp(d->sources[i].file, file) == 0) return d->sources[i].file;
  struct nnd_diag_source *s =
      realloc(d->sources, (size_t)(d->n_sources + 1) * sizeof *s);
  if (!s) return NULL;
  d->sources = s;
  char *f = strdup(file), *t = malloc(len + 1);
  if (!f || !t) {
    free(f);
    free(t);
    return NULL;
  }
  if (len) memcpy(t, text, len);
  t[len] = '\0';
  d->sources[d->n_sources++] = (struct nnd_diag_source){f, t, len};
  return f;
}

int nnd_diag_full(const nnd_diag_list *d) { return d->errors >= NND_DIAG_MAX_ERRORS; }

int nnd_diag_vreport(nnd_diag_list *d, nnd_diag_severity sev, const char *file,
                     int line, int col, int width, const char *fmt, va_list ap) {
  if (sev == NND_DIAG_ERROR) {
    if (d->errors >= NND_DIAG_MAX_ERRORS) {
      d->truncated = 1;
      return 1;
    }
    d->errors++;
    if (d->errors == NND_DIAG_MAX_ERRORS) d->truncated = 1;
  } else if (d->errors >= NND_DIAG_MAX_ERRORS) {
    return 1;  /* a note to a dropped error */
  }
  if (d->count == d->cap) {
    int cap = d->cap ? d->cap * 2 : 16;
    nnd_diag *items = realloc(d->items, (size_t)cap * sizeof *items);
    if (!items) return 1;
    d->items = items;
    d->cap = cap;
  }
  char buf[1024];
  vsnprintf(buf, sizeof buf, fmt, ap);
  char *msg = strdup(buf);
  if (!msg) return 1;
  const char *stored = file;
  for (int i = 0; file && i < d->n_sources; i++)
    if (strcmp(d->sources[i].file, file) == 0) stored = d->sources[i].file;
  d->items[d->count++] = (nnd_diag){sev, stored, line, col, width > 0 ? width : 1, msg};
  return nnd_diag_full(d);
}

int nnd_diag_report(nnd_diag_list *d, nnd_diag_severity sev, const char *file, int line,
                    int col, int width, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = nnd_diag_vreport(d, sev, file, line, col, width, fmt, ap);
  va_end(ap);
  return r;
}

/* ---------------------------------------------------------- public API */

int nnd_diag_count(const nnd_diag_list *d) { return d ? d->count : 0; }
int nnd_diag_error_count(const nnd_diag_list *d) { return d ? d->errors : 0; }

int nnd_diag_get(const nnd_diag_list *d, int i, nnd_diag_info *out) {
  if (!d || i < 0 || i >= d->count) return -1;
  const nnd_diag *x = &d->items[i];
  *out = (nnd_diag_info){x->severity, x->file, x->line, x->col, x->message};
  return 0;
}

/* The text of line `line` (1-based) of file, without its newline. */
static const char *source_line(const nnd_diag_list *d, const char *file, int line,
                               size_t *len) {
  for (int i = 0; file && i < d->n_sources; i++) {
    if (strcmp(d->sources[i].file, file) != 0) continue;
    const char *p = d->sources[i].text, *end = p + d->sources[i].len;
    for (int l = 1; l < line && p < end; l++) {
      const char *nl = memchr(p, '\n', (size_t)(end - p));
      if (!nl) return NULL;
      p = nl + 1;
    }
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    *len = (size_t)((nl ? nl : end) - p);
    if (*len && p[*len - 1] == '\r') (*len)--;
    return p;
  }
  return NULL;
}

typedef struct {
  char *buf;
  size_t len, cap;
  int failed;
} strbuf;

static void sb_put(strbuf *s, const char *p, size_t n) {
  if (s->failed) return;
  if (s->len + n + 1 > s->cap) {
    size_t cap = s->cap ? s->cap : 256;
    while (cap < s->len + n + 1) cap *= 2;
    char *b = realloc(s->buf, cap);
    if (!b) {
      s->failed = 1;
      return;
    }
    s->buf = b;
    s->cap = cap;
  }
  memcpy(s->buf + s->len, p, n);
  s->len += n;
  s->buf[s->len] = '\0';
}

static void sb_str(strbuf *s, const char *p) { sb_put(s, p, strlen(p)); }

size_t nnd_utf8_len(const unsigned char *p, size_t n) {
  size_t len = p[0] < 0x80 ? 1 : (p[0] & 0xE0) == 0xC0 && p[0] >= 0xC2 ? 2
             : (p[0] & 0xF0) == 0xE0 ? 3 : (p[0] & 0xF8) == 0xF0 && p[0] <= 0xF4 ? 4 : 0;
  if (len == 0 || len > n) return 0;
  for (size_t i = 1; i < len; i++)
    if ((p[i] & 0xC0) != 0x80) return 0;
  return len;
}

/* ------------------------------------------------ escaping the input */

/* Everything a diagnostic quotes from the input (the source line, names and
 * strings in the message, the file name) goes through esc_unit, here, once:
 * a model file must not drive the terminal (ESC[2J clears the screen). Valid
 * UTF-8 is shown as it is, except the C1 controls (U+0080..U+009F, which
 * some terminals obey) and the direction overrides (which reorder what the
 * line shows); control bytes, DEL and bytes that are not UTF-8 are written
 * as \xHH, newline and tab in a message as \n and \t. */

/* The bytes of one character at p, as the scanner counts columns: a lead
 * byte and the continuation bytes it announces, or one stray byte. */
static size_t unit_len(const unsigned char *p, size_t n) {
  int tail = p[0] >= 0xF0 ? 3 : p[0] >= 0xE0 ? 2 : p[0] >= 0xC0 ? 1 : 0;
  size_t len = 1;
  while (tail-- > 0 && len < n && (p[len] & 0xC0) == 0x80) len++;
  return len;
}

static unsigned codepoint(const unsigned char *p, size_t len) {
  if (len == 1) return p[0];
  unsigned cp = p[0] & (0x7F >> len);
  for (size_t i = 1; i < len; i++) cp = cp << 6 | (p[i] & 0x3F);
  return cp;
}

/* Append the character p[0..len) shown safely; returns the columns it
 * takes on screen. A tab is kept in a source line, for the caret below. */
static int esc_unit(strbuf *s, const unsigned char *p, size_t len, int keep_tab) {
  char b[16];
  if (nnd_utf8_len(p, len) == len) {
    unsigned cp = codepoint(p, len);
    if (cp == '\t' && keep_tab) return sb_put(s, "\t", 1), 1;
    if (cp == '\n' || cp == '\t') return sb_str(s, cp == '\n' ? "\\n" : "\\t"), 2;
    if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) {
      snprintf(b, sizeof b, "\\u%04x", cp);
      return sb_str(s, b), 6;
    }
    if (cp >= 0x20 && cp != 0x7F && !(cp >= 0x80 && cp <= 0x9F))
      return sb_put(s, (const char *)p, len), 1;
  }
  for (size_t i = 0; i < len; i++) {
    snprintf(b, sizeof b, "\\x%02x", p[i]);
    sb_str(s, b);
  }
  return 4 * (int)len;
}

static void sb_escaped(strbuf *s, const char *text) {
  const unsigned char *p = (const unsigned char *)text;
  size_t n = strlen(text);
  for (size_t i = 0; i < n;) {
    size_t len = unit_len(p + i, n - i);
    esc_unit(s, p + i, len, 0);
    i += len;
  }
}

char *nnd_diag_escape(const char *text) {
  strbuf s = {0};
  sb_str(&s, "");
  sb_escaped(&s, text ? text : "");
  if (s.failed) {
    free(s.buf);
    return NULL;
  }
  return s.buf;
}

/* The source line, escaped, and a caret under column col (columns count
 * characters, as the scanner does); a very long line is cut around col. */
static void render_line(strbuf *s, const char *text, size_t n, int col, int width,
                        const char *color) {
  const unsigned char *p = (const unsigned char *)text;
  const int max = 160;
  /* the first character shown */
  int first = col > max / 2 ? col - max / 2 : 1, k = 1, shown = 0;
  size_t i = 0;
  for (; i < n && k < first; k++) i += unit_len(p + i, n - i);
  if (i >= n) first = k = 1, i = 0;
  strbuf caret = {0};
  sb_str(s, "  ");
  sb_str(&caret, "  ");
  if (first > 1) {
    sb_str(s, "...");
    sb_str(&caret, "   ");
  }
  for (; i < n && shown < max; k++) {
    size_t len = unit_len(p + i, n - i);
    int w = esc_unit(s, p + i, len, 1);
    shown += w;
    if (k < col) {
      if (p[i] == '\t') sb_str(&caret, "\t");
      else for (int j = 0; j < w; j++) sb_str(&caret, " ");
    }
    i += len;
  }
  if (i < n) sb_str(s, "...");
  sb_str(s, "\n");
  if (caret.failed) s->failed = 1;
  else sb_put(s, caret.buf, caret.len);
  free(caret.buf);
  if (color) sb_str(s, color);
  sb_str(s, "^");
  for (int j = 1; j < width && j < 80; j++) sb_str(s, "~");
  if (color) sb_str(s, "\033[0m");
  sb_str(s, "\n");
}

char *nnd_diag_render(const nnd_diag_list *d, int color) {
  strbuf s = {0};
  sb_str(&s, "");
  for (int i = 0; d && i < d->count; i++) {
    const nnd_diag *x = &d->items[i];
    const char *kind = x->severity == NND_DIAG_ERROR ? "error"
                       : x->severity == NND_DIAG_WARNING ? "warning" : "note";
    const char *kcolor = x->severity == NND_DIAG_ERROR ? "\033[1;31m"
                         : x->severity == NND_DIAG_WARNING ? "\033[1;35m" : "\033[1;36m";
    char pos[64];
    if (x->file) {
      if (color && x->line > 0) sb_str(&s, "\033[1m");
      sb_escaped(&s, x->file);
      if (x->line > 0) {
        snprintf(pos, sizeof pos, ":%d:%d:", x->line, x->col);
        sb_str(&s, pos);
        if (color) sb_str(&s, "\033[0m");
      } else {
        sb_str(&s, ":");
      }
      sb_str(&s, " ");
    }
    if (color && x->file && x->line > 0) sb_str(&s, kcolor);
    sb_str(&s, kind);
    sb_str(&s, ":");
    if (color && x->file && x->line > 0) sb_str(&s, "\033[0m");
    sb_str(&s, " ");
    sb_escaped(&s, x->message);
    sb_str(&s, "\n");
    size_t len;
    const char *line = x->line > 0 ? source_line(d, x->file, x->line, &len) : NULL;
    if (line) render_line(&s, line, len, x->col, x->width, color ? kcolor : NULL);
  }
  if (d && d->truncated) {
    char tail[128];
    snprintf(tail, sizeof tail, "too many errors (%d shown); stopping\n", d->errors);
    sb_str(&s, tail);
  }
  if (s.failed) {
    free(s.buf);
    return NULL;
  }
  return s.buf;
}
