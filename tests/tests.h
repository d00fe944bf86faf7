/* tests.h — the suites of the test runner and the helpers they share. */
#ifndef NND_TESTS_H
#define NND_TESTS_H

#include <CUnit/CUnit.h>
#include <stddef.h>

#include <nnd/nnd.h>

#include "ir.h"

/* Paths of the source and build trees, set by Makefile.am. */
#ifndef NND_TEST_SRCDIR
#define NND_TEST_SRCDIR "."
#endif
#ifndef NND_TEST_BUILDDIR
#define NND_TEST_BUILDDIR "."
#endif

void nnd_test_ops_register(void);
void test_lang_register(void);
void test_errors_register(void);
void test_models_register(void);
void test_cli_register(void);
void test_naive_layers_register(void);
void test_naive_math_register(void);
void test_session_register(void);
void test_plugins_register(void);
void test_data_register(void);
void test_data_hostile_register(void);
void test_checkpoint_register(void);
void test_metrics_register(void);
void test_train_register(void);
void test_resume_register(void);
void test_report_register(void);
void test_backends_register(void);
void test_backend_training_register(void);
void test_loss_reference_register(void);
void test_seeds_register(void);
void test_outputs_register(void);
void test_compile_limits_register(void);
void test_diag_escape_register(void);
void test_plugin_dirs_register(void);
void test_session_limits_register(void);
void test_plugin_check_register(void);
void test_trace_formats_register(void);
void test_mpi_register(void);
void test_kernel_choice_register(void);
void test_dnnl_sessions_register(void);
void test_onnx_register(void);

/* test_backends.c: 1 when backend b's plugin loaded and a test should run
 * (a plugin not built passes with a note, one built but refused fails);
 * whether it loaded, quietly. */
int test_backend_ready(const char *b, const char *test);
int test_backend_loaded(const char *b);

/* Compile source text named "test.nnd"; NULL when it has errors (and then
 * the rendered diagnostics are printed, to make a failing test readable). */
nnd_model *compile_ok(const char *src);

/* Compile source text that must fail, and check that its first error is at
 * line:col and contains `needle`. Returns 1 when all holds; on a mismatch
 * prints what came instead. */
int compile_fails_at(const char *src, size_t len, int line, int col, const char *needle);

/* The rendered diagnostics of compiling src (malloc'd), and the error count. */
char *compile_diagnostics(const char *src, size_t len, int *errors);

/* A node by name, or NULL. */
const nnd_node *node_named(const nnd_model *m, const char *name);

/* The path of a file in the source tree ("models/fashion_cnn.nnd"). */
const char *src_path(const char *rel, char *buf, size_t n);

/* The whole of a file (malloc'd), or NULL when it cannot be read. */
char *test_read_file(const char *path);
/* Write text to path (the test stops when the file cannot be opened). */
void test_write_text(const char *path, const char *text);
/* The whole of a file in the source tree (malloc'd), or NULL. */
char *read_src_file(const char *rel);

/* Run a shell command, capturing stdout+stderr (malloc'd) and its exit status. */
char *run_command(const char *cmd, int *status);
/* Run the built `nnd ARGS` in the source directory, without colours; its
 * stdout and stderr, and its exit status in *status. */
char *run_nnd(const char *args, int *status);
void test_cli_help_register(void);

/* What a test does when its subject (a plugin, python3, xmllint) is missing:
 * under CI (the environment variable CI set, where everything is installed)
 * a failure; elsewhere a printed note and a vacuous pass. `what` says what is
 * missing, `test` which check it leaves undone. */
void test_missing(const char *what, const char *test);

#endif
