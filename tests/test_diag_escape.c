/* test_diag_escape.c — what a model file contains never reaches the
 * terminal raw through a diagnostic: control bytes (ESC[2J clears the
 * screen), C1 controls, stray bytes and direction overrides in the quoted
 * source line, the message and the file name are shown escaped (\x1b),
 * valid UTF-8 as it is, and the caret stays under its column. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests.h"

static char *render(const char *file, const char *src) {
  nnd_model *m = NULL;
  nnd_diag_list *d = NULL;
  nnd_compile_string(file, src, strlen(src), &m, &d);
  char *text = nnd_diag_render(d, 0);
  nnd_model_free(m);
  nnd_diag_list_free(d);
  return text;
}

/* No byte that a terminal takes as a control: C0 but newline, DEL, and no
 * C1 (as a byte or as UTF-8 U+0080..U+009F). */
static int terminal_safe(const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if ((*p < 0x20 && *p != '\n') || *p == 0x7f) return 0;
    if (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) return 0;
    if (*p >= 0x80 && *p <= 0x9F) {
      /* only as a continuation byte of a valid sequence */
      const unsigned char *q = p;
      while (q > (const unsigned char *)s && (q[-1] & 0xC0) == 0x80) q--;
      if (q == (const unsigned char *)s || q[-1] < 0xC2) return 0;
    }
  }
  return 1;
}

/* The column of the caret in the line after the first line containing
 * `needle`, and the column where `mark` is in that line. */
static int caret_under(const char *text, const char *needle, const char *mark) {
  const char *line = strstr(text, needle);
  if (!line) return 0;
  while (line > text && line[-1] != '\n') line--;
  const char *nl = strchr(line, '\n');
  const char *at = strstr(line, mark);
  if (!nl || !at || at > nl) return 0;
  const char *caret = strchr(nl + 1, '^');
  const char *end = strchr(nl + 1, '\n');
  return caret && (!end || caret < end) && caret - (nl + 1) == at - line;
}

static void test_escape_in_source_line(void) {
  char *t = render("esc.nnd", "input x: [4]\nz = foo(x) # \033[2J and \x9b" "2J and \xc2\x9b" "2J\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(t);
  CU_ASSERT_TRUE(terminal_safe(t));
  CU_ASSERT_PTR_NOT_NULL(strstr(t, "# \\x1b[2J and \\x9b2J and \\xc2\\x9b2J"));
  CU_ASSERT_TRUE(caret_under(t, "z = foo", "foo"));
  if (!terminal_safe(t)) fprintf(stderr, "\n%s", t);
  free(t);
}

static void test_caret_after_escaped_bytes(void) {
  /* two errors on one line: the second caret is under the '$', after a
     control byte shown as four characters */
  char *t = render("esc.nnd", "y = \001 + $\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(t);
  CU_ASSERT_TRUE(terminal_safe(t));
  const char *second = strstr(t, "esc.nnd:1:9:");
  CU_ASSERT_PTR_NOT_NULL_FATAL(second);
  CU_ASSERT_TRUE(caret_under(second, "y = \\x01", "$"));
  free(t);
}

static void test_valid_utf8_kept(void) {
  char *t = render("esc.nnd", "z = foo(1) # caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(t);
  CU_ASSERT_PTR_NOT_NULL(strstr(t, "# caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac"));
  free(t);
  /* a direction override would reorder what the line shows */
  t = render("esc.nnd", "z = foo(1) # \xe2\x80\xae" "abc\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(t);
  CU_ASSERT_PTR_NULL(strstr(t, "\xe2\x80\xae"));
  CU_ASSERT_PTR_NOT_NULL(strstr(t, "# \\u202e" "abc"));
  free(t);
}

static void test_escape_in_message(void) {
  /* a string from the model quoted in a message: one line, escaped */
  char *t = render("esc.nnd", "input x: [4]\ny = relu(x, name=\"a\\nb\\tc\")\n"
                              "z = relu(x, name=\"a\\nb\\tc\")\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(t);
  CU_ASSERT_TRUE(terminal_safe(t));
  CU_ASSERT_PTR_NOT_NULL(strstr(t, "error: name \"a\\nb\\tc\" is already taken"));
  free(t);
  /* the lexer quotes what it could not read */
  t = render("esc.nnd", "input \xc2\x9b: [4]\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(t);
  CU_ASSERT_TRUE(terminal_safe(t));
  if (!terminal_safe(t)) fprintf(stderr, "\n%s", t);
  free(t);
}

static void test_escape_in_file_name(void) {
  char *t = render("evil\033[2J.nnd", "z = foo(1)\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(t);
  CU_ASSERT_TRUE(terminal_safe(t));
  CU_ASSERT_PTR_NOT_NULL(strstr(t, "evil\\x1b[2J.nnd:1:5: error:"));
  free(t);
}

/* Through the program, as a user sees it. */
static void test_cli_escapes(void) {
  char dir[] = "/tmp/nnd-escape-XXXXXX";
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
  char path[256], cmd[1024];
  snprintf(path, sizeof path, "%s/m.nnd", dir);
  FILE *f = fopen(path, "wb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fputs("input x: [4]\ny = foo(x) # \033[2J\033]0;title\007\n", f);
  CU_ASSERT_EQUAL(fclose(f), 0);
  snprintf(cmd, sizeof cmd, "NO_COLOR=1 '%s/nnd' check '%s'", NND_TEST_BUILDDIR, path);
  int st;
  char *out = run_command(cmd, &st);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  CU_ASSERT_EQUAL(st, 1);
  CU_ASSERT_TRUE(terminal_safe(out));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "\\x1b[2J\\x1b]0;title\\x07"));
  free(out);
  remove(path);
  rmdir(dir);
}

/* The runtime's messages quote input too: a CSV field, an argument. */
static void test_cli_escapes_runtime_messages(void) {
  char dir[] = "/tmp/nnd-escape-XXXXXX";
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
  char path[256], cmd[2048];
  snprintf(path, sizeof path, "%s/e.csv", dir);
  FILE *f = fopen(path, "wb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fputs("a,b,label\n1,2,0\n3,\033[2Jx,1\n", f);
  CU_ASSERT_EQUAL(fclose(f), 0);
  snprintf(path, sizeof path, "%s/m.nnd", dir);
  f = fopen(path, "wb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fputs("model m\ninput x: [2]\ninput y: class[2]\nz = dense(x, units=2)\n"
        "loss cross_entropy(z, y)\ntrain { data = csv(\"e.csv\") }\n", f);
  CU_ASSERT_EQUAL(fclose(f), 0);
  snprintf(cmd, sizeof cmd, "(cd '%s' && NO_COLOR=1 '%s/nnd' train m.nnd; "
           "NO_COLOR=1 '%s/nnd' trace m.nnd --input $(printf 'x=1,\033[2J'))", dir,
           NND_TEST_BUILDDIR, NND_TEST_BUILDDIR);
  int st;
  char *out = run_command(cmd, &st);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  CU_ASSERT_TRUE(terminal_safe(out));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "e.csv:3: column 2 (\"b\"): \"\\x1b[2Jx\" is not a number"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "nnd trace: --input x: "));
  if (!terminal_safe(out)) fprintf(stderr, "\nraw control bytes in: %s\n", out);
  free(out);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  CU_ASSERT_EQUAL(system(cmd), 0);
}

void test_diag_escape_register(void) {
  CU_pSuite s = CU_add_suite("diagnostics escape the input", NULL, NULL);
  CU_add_test(s, "escape: the quoted source line", test_escape_in_source_line);
  CU_add_test(s, "escape: the caret after escaped bytes", test_caret_after_escaped_bytes);
  CU_add_test(s, "escape: valid UTF-8 kept, overrides escaped", test_valid_utf8_kept);
  CU_add_test(s, "escape: strings quoted in messages", test_escape_in_message);
  CU_add_test(s, "escape: the file name", test_escape_in_file_name);
  CU_add_test(s, "escape: nnd check", test_cli_escapes);
  CU_add_test(s, "escape: the runtime's messages", test_cli_escapes_runtime_messages);
}
