/* test_plugin_dirs.c — the plugin search path as `nnd plugins` shows it:
 * --plugin-dir, NND_PLUGIN_PATH, the per-user directory
 * ~/.local/lib/nnd/plugins-<ABI major>, then the system one, each listed
 * under "searched" with what it gave. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests.h"

#define TEST_PLUGINS NND_TEST_BUILDDIR "/tests/plugins/.libs"

/* a HOME with the swish test plugin in its per-user plugin directory; the
 * NND_PLUGIN_PATH directory gets another copy when with_env */
static int make_home(char *home, size_t n) {
  snprintf(home, n, "/tmp/nnd-test-home-XXXXXX");
  if (!mkdtemp(home)) return -1;
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "mkdir -p '%s/.local/lib/nnd/plugins-1' '%s/env' && "
           "cp '" TEST_PLUGINS "/swish.so' '%s/.local/lib/nnd/plugins-1/' && "
           "cp '" TEST_PLUGINS "/swish.so' '%s/env/'",
           home, home, home, home);
  return system(cmd) == 0 ? 0 : -1;
}

static void remove_home(const char *home) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
  if (system(cmd) != 0) CU_FAIL("could not remove the test HOME");
}

static void test_user_dir_is_searched(void) {
  char home[64], cmd[1024];
  CU_ASSERT_EQUAL_FATAL(make_home(home, sizeof home), 0);
  snprintf(cmd, sizeof cmd,
           "HOME='%s' NND_PLUGIN_PATH= NO_COLOR=1 '" NND_TEST_BUILDDIR "/nnd' plugins", home);
  int st;
  char *out = run_command(cmd, &st);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  CU_ASSERT_EQUAL(st, 0);
  char want[256];
  snprintf(want, sizeof want, "%s/.local/lib/nnd/plugins-1/swish.so\n    acme-swish", home);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
  /* the directories, in search order, with what each gave */
  char *searched = strstr(out, "searched:\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(searched);
  snprintf(want, sizeof want, "    %s/.local/lib/nnd/plugins-1 (per-user): 1 loaded\n", home);
  char *user = strstr(searched, want);
  CU_ASSERT_PTR_NOT_NULL(user);
  char *system_dir = strstr(searched, "(system)");
  CU_ASSERT_PTR_NOT_NULL(system_dir);
  CU_ASSERT(user && system_dir && user < system_dir);
  if (!user) printf("\n%s\n", out);
  free(out);
  remove_home(home);
}

/* NND_PLUGIN_PATH comes first: its copy of a plugin wins, the per-user one
 * is then a duplicate */
static void test_env_path_before_user_dir(void) {
  char home[64], cmd[1024];
  CU_ASSERT_EQUAL_FATAL(make_home(home, sizeof home), 0);
  snprintf(cmd, sizeof cmd,
           "HOME='%s' NND_PLUGIN_PATH='%s/env' NO_COLOR=1 '" NND_TEST_BUILDDIR "/nnd' plugins",
           home, home);
  int st;
  char *out = run_command(cmd, &st);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  CU_ASSERT_EQUAL(st, 0);
  char want[256];
  snprintf(want, sizeof want, "%s/env/swish.so\n    acme-swish", home);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
  snprintf(want, sizeof want, "    %s/env (NND_PLUGIN_PATH): 1 loaded\n", home);
  char *env = strstr(out, want);
  snprintf(want, sizeof want, "    %s/.local/lib/nnd/plugins-1 (per-user): 0 loaded\n", home);
  char *user = strstr(out, want);
  CU_ASSERT(env && user && env < user);
  if (!env || !user) printf("\n%s\n", out);
  free(out);
  remove_home(home);
}

/* no HOME: no per-user directory, and nothing breaks */
static void test_no_home(void) {
  int st;
  char *out = run_command("env -u HOME NND_PLUGIN_PATH= NO_COLOR=1 '" NND_TEST_BUILDDIR
                          "/nnd' plugins", &st);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  CU_ASSERT_EQUAL(st, 0);
  CU_ASSERT_PTR_NULL(strstr(out, "(per-user)"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "(system)"));
  free(out);
}

void test_plugin_dirs_register(void) {
  CU_pSuite s = CU_add_suite("plugin_dirs", NULL, NULL);
  CU_add_test(s, "the per-user plugin directory is searched and listed", test_user_dir_is_searched);
  CU_add_test(s, "NND_PLUGIN_PATH is searched before the per-user directory",
              test_env_path_before_user_dir);
  CU_add_test(s, "without HOME there is no per-user directory", test_no_home);
}
