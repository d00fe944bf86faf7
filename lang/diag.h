/* diag.h — diagnostics: errors and notes with a file:line:col, collected
 * (never printed) and rendered on request the way compilers people like do
 * it: the message, the source line, and a caret under the spot. */
#ifndef NND_DIAG_H
#define NND_DIAG_H

#include <stdarg.h>
#include <stddef.h>

#include <nnd/nnd.h>

#define NND_DIAG_MAX_ERRORS 20

typedef struct {
  nnd_diag_severity severity;
  const char *file;     /* points into the list's storage */
  int line, col;        /* 1-based; 0 when the diagnostic has no position */
  int width;            /* columns to underline, at least 1 */
  char *message;
} nnd_diag;

struct nnd_diag_list {
  nnd_diag *items;
  int count, cap;
  int errors;
  int truncated;        /* errors past the cap were dropped */
  /* source texts, to show the offending line */
  struct nnd_diag_source {
    char *file;
    char *text;
    size_t len;
  } *sources;
  int n_sources;
};

nnd_diag_list *nnd_diag_list_new(void);

/* Keep a copy of a file's text for rendering; returns the stored file name
 * (stable for the list's lifetime) or NULL when out of memory. */
const char *nnd_diag_add_source(nnd_diag_list *d, const char *file, const char *text,
                                size_t len);

/* Record a diagnostic. Errors past NND_DIAG_MAX_ERRORS are counted but not
 * kept. Returns 1 when the cap is reached (the caller should stop). */
int nnd_diag_report(nnd_diag_list *d, nnd_diag_severity sev, const char *file, int line,
                    int col, int width, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
int nnd_diag_vreport(nnd_diag_list *d, nnd_diag_severity sev, const char *file,
                     int line, int col, int width, const char *fmt, va_list ap);

int nnd_diag_full(const nnd_diag_list *d);

/* text as a diagnostic shows what it quotes: control bytes, C1 controls,
 * direction overrides and bytes that are not UTF-8 escaped (\x1b), so a
 * message that quotes a file cannot drive the terminal. For every message
 * printed, also the runtime's (a CSV field, a path). malloc'ed; NULL when
 * out of memory. */
char *nnd_diag_escape(const char *text);

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 when the
 * bytes there are not one. */
size_t nnd_utf8_len(const unsigned char *p, size_t n);

#endif
