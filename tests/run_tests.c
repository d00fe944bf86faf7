/* run_tests.c — the CUnit runner for every suite. Prints CUnit's summary and
 * a closing "N passed, N failed" line; exits non-zero on any failure. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests.h"

/* NND_TEST_SUITE=WORD runs only the suites whose name contains WORD: a
 * developer's quick loop. The full run (no variable) is what make check and CI use. */
static void keep_only_suites_matching(const char *word) {
  if (!word || !*word) return;
  CU_set_fail_on_inactive(CU_FALSE);
  for (CU_pSuite s = CU_get_registry()->pSuite; s; s = s->pNext)
    if (!strstr(s->pName, word)) CU_set_suite_active(s, CU_FALSE);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  nnd_test_ops_register();
  test_lang_register();
  test_errors_register();
  test_models_register();
  test_cli_register();
  test_cli_help_register();
  test_naive_layers_register();
  test_naive_math_register();
  test_session_register();
  test_plugins_register();
  test_data_register();
  test_data_hostile_register();
  test_checkpoint_register();
  test_metrics_register();
  test_train_register();
  test_resume_register();
  test_report_register();
  test_backends_register();
  test_backend_training_register();
  test_loss_reference_register();
  test_seeds_register();
  test_outputs_register();
  test_compile_limits_register();
  test_diag_escape_register();
  test_plugin_dirs_register();
  test_session_limits_register();
  test_plugin_check_register();
  test_trace_formats_register();
  test_mpi_register();
  test_kernel_choice_register();
  test_dnnl_sessions_register();
  test_onnx_register();
  keep_only_suites_matching(getenv("NND_TEST_SUITE"));
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed_tests = CU_get_number_of_tests_failed();
  unsigned run = CU_get_number_of_tests_run();
  unsigned failed_suites = CU_get_number_of_suites_failed();
  printf("\n%u passed, %u failed\n", run - failed_tests, failed_tests + failed_suites);
  int status = failed_tests || failed_suites || CU_get_number_of_failures() ? 1 : 0;
  CU_cleanup_registry();
  return status;
}
