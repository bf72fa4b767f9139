/*  test_exec_argv: the command line and environment a child of the worker
    is started with (worker/exec_argv). Pure functions: every test states
    the exact argv or environment it expects.                              */

#include "exec_argv.h"
#include "pp_job_internal.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static char *s_no_env[] = {NULL};

/*  argv equals want (both NULL-terminated), element by element.          */
static void
s_assert_argv (char **argv, const char *const *want)
{
    assert_non_null (argv);
    int i = 0;
    for (; want[i]; i++) {
        assert_non_null (argv[i]);
        assert_string_equal (argv[i], want[i]);
    }
    assert_null (argv[i]);
}

/*  The argv for item, checked against want, freed.                      */
static void
s_check_build (const exec_argv_t *cmd, const char *item,
               const char *const *want)
{
    char **argv = exec_argv_build (cmd, item, strlen (item));
    s_assert_argv (argv, want);
    exec_argv_free (cmd, argv);
}

static void
test_item_replaces_braces (void **state)
{
    (void) state;
    char *given[] = {"convert", "{}", "-resize", "50%", "small/{}.png", NULL};
    exec_argv_t *cmd = exec_argv_new (given, s_no_env, true);
    assert_non_null (cmd);
    assert_true (exec_argv_takes_item (cmd));
    const char *want[] = {"convert", "a b.jpg",           "-resize",
                          "50%",     "small/a b.jpg.png", NULL};
    s_check_build (cmd, "a b.jpg", want);
    s_assert_argv (exec_argv_given (cmd), (const char *const *) given);
    exec_argv_destroy (&cmd);
    assert_null (cmd);
    exec_argv_destroy (&cmd); /* safe twice */
}

static void
test_every_braces_in_a_word (void **state)
{
    (void) state;
    char *given[] = {"echo", "{}{}-{}", "{", "}", "{ }", NULL};
    exec_argv_t *cmd = exec_argv_new (given, s_no_env, true);
    assert_non_null (cmd);
    const char *want[] = {"echo", "xyxy-xy", "{", "}", "{ }", NULL};
    s_check_build (cmd, "xy", want);
    const char *empty[] = {"echo", "-", "{", "}", "{ }", NULL};
    s_check_build (cmd, "", empty);
    exec_argv_destroy (&cmd);
}

/*  No "{}": the item goes to stdin, the arguments are as given.         */
static void
test_no_braces_takes_stdin (void **state)
{
    (void) state;
    char *given[] = {"wc", "-c", NULL};
    exec_argv_t *cmd = exec_argv_new (given, s_no_env, true);
    assert_non_null (cmd);
    assert_false (exec_argv_takes_item (cmd));
    const char *want[] = {"wc", "-c", NULL};
    s_check_build (cmd, "anything", want);
    exec_argv_destroy (&cmd);
}

/*  --pipe: nothing is replaced.                                         */
static void
test_pipe_keeps_braces (void **state)
{
    (void) state;
    char *given[] = {"sed", "-u", "s/^/{}/", NULL};
    exec_argv_t *cmd = exec_argv_new (given, s_no_env, false);
    assert_non_null (cmd);
    assert_false (exec_argv_takes_item (cmd));
    const char *want[] = {"sed", "-u", "s/^/{}/", NULL};
    s_check_build (cmd, "item", want);
    exec_argv_destroy (&cmd);
}

static void
test_empty_argv_is_refused (void **state)
{
    (void) state;
    char *empty[] = {NULL};
    assert_null (exec_argv_new (empty, s_no_env, true));
    assert_null (exec_argv_new (NULL, s_no_env, true));
    assert_true (exec_argv_has_item ("a{}b"));
    assert_false (exec_argv_has_item ("a{ }b"));
}

/*  The snapshot less our own variables, then PP_RUN, PP_WORKER, PP_SEQ. */
static void
test_environment (void **state)
{
    (void) state;
    char *given[] = {"true", NULL};
    char *envp[] = {"HOME=/h",     "PP_SEQ=9",       "PP_RUN=1",
                    "PP_WORKER=2", "PP_SEQUEL=kept", NULL};
    exec_argv_t *cmd = exec_argv_new (given, envp, true);
    assert_non_null (cmd);
    pp_job_ctx_t ctx = {.run_id = 0xabc, .seq = 41, .worker_id = 0x12};
    char vars[3][48];
    char **env = exec_argv_env (cmd, &ctx, true, vars);
    const char *want[] = {"HOME=/h",
                          "PP_SEQUEL=kept",
                          "PP_RUN=0000000000000abc",
                          "PP_WORKER=00000012",
                          "PP_SEQ=41",
                          NULL};
    s_assert_argv (env, want);
    free (env);
    env = exec_argv_env (cmd, &ctx, false, vars);
    const char *no_seq[] = {"HOME=/h", "PP_SEQUEL=kept",
                            "PP_RUN=0000000000000abc", "PP_WORKER=00000012",
                            NULL};
    s_assert_argv (env, no_seq);
    free (env);
    exec_argv_destroy (&cmd);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_item_replaces_braces),
        cmocka_unit_test (test_every_braces_in_a_word),
        cmocka_unit_test (test_no_braces_takes_stdin),
        cmocka_unit_test (test_pipe_keeps_braces),
        cmocka_unit_test (test_empty_argv_is_refused),
        cmocka_unit_test (test_environment),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
