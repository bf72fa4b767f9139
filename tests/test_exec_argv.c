/*  test_exec_argv: the command line and environment a child of the worker
    is started with (worker/exec_argv). Pure functions: every test states
    the exact argv, expansion or environment it expects. The quoting for a
    shell's -c script is also run through every shell here (sh, bash...):
    each hostile item must come out byte for byte and run nothing.        */

#include "../worker/exec_argv.h"
#include "pp_error.h"
#include "pp_job_internal.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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
    char **argv = exec_argv_build (cmd, item, strlen (item), 41);
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
    assert_true (exec_argv_has_placeholder ("a{}b"));
    assert_true (exec_argv_has_placeholder ("{#}"));
    assert_false (exec_argv_has_placeholder ("a{ }b{..}{///}{x}"));
}

/*  The snapshot less our own variables, then PP_RUN, PP_WORKER, PP_SEQ
    (0-based seq in the run) and PP_RECORD (1-based input record).       */
static void
test_environment (void **state)
{
    (void) state;
    char *given[] = {"true", NULL};
    char *envp[] = {"HOME=/h",         "PP_SEQ=9",    "PP_RUN=1",
                    "PP_WORKER=2",     "PP_RECORD=3", "PP_SEQUEL=kept",
                    "PP_RECORDS=kept", NULL};
    exec_argv_t *cmd = exec_argv_new (given, envp, true);
    assert_non_null (cmd);
    pp_job_ctx_t ctx = {
        .run_id = 0xabc, .seq = 41, .record = 45, .worker_id = 0x12};
    char vars[4][48];
    char **env = exec_argv_env (cmd, &ctx, true, vars);
    const char *want[] = {"HOME=/h",
                          "PP_SEQUEL=kept",
                          "PP_RECORDS=kept",
                          "PP_RUN=0000000000000abc",
                          "PP_WORKER=00000012",
                          "PP_SEQ=41",
                          "PP_RECORD=45",
                          NULL};
    s_assert_argv (env, want);
    free (env);
    env = exec_argv_env (cmd, &ctx, false, vars);
    const char *no_seq[] = {"HOME=/h",
                            "PP_SEQUEL=kept",
                            "PP_RECORDS=kept",
                            "PP_RUN=0000000000000abc",
                            "PP_WORKER=00000012",
                            NULL};
    s_assert_argv (env, no_seq);
    free (env);
    exec_argv_destroy (&cmd);
}

/*  --- placeholders ------------------------------------------------------- */

/*  "{}|{.}|{/}|{//}|{/.}|{#}" filled in from item, record 41, no shell. */
static void
s_check_all (const char *item, const char *want)
{
    char *got = NULL;
    assert_int_equal (exec_argv_expand ("{}|{.}|{/}|{//}|{/.}|{#}", item,
                                        strlen (item), 41, false, &got),
                      0);
    assert_string_equal (got, want);
    free (got);
}

/*  GNU parallel's values: {.} drops a last ".ext" after the last '/',
    {/} keeps what follows the last '/', {//} is dirname(1).             */
static void
test_every_placeholder (void **state)
{
    (void) state;
    s_check_all ("dir/sub/file.tar.gz",
                 "dir/sub/file.tar.gz|dir/sub/file.tar|file.tar.gz|dir/sub|"
                 "file.tar|41");
    s_check_all ("plain", "plain|plain|plain|.|plain|41");
    s_check_all ("/abs/x.y", "/abs/x.y|/abs/x|x.y|/abs|x|41");
    s_check_all ("a.b/c", "a.b/c|a.b/c|c|a.b|c|41");
    s_check_all ("noext/", "noext/|noext/||.||41");
    s_check_all (".hidden", ".hidden||.hidden|.||41");
    s_check_all ("a.", "a.|a|a.|.|a|41");
    s_check_all ("/", "/|/||/||41");
    s_check_all ("", "|||.||41"); /* {//} of nothing is "." */
    s_check_all ("./a", "./a|./a|a|.|a|41");
    s_check_all ("a//b", "a//b|a//b|b|a|b|41");
    s_check_all ("//a", "//a|//a|a|/|a|41");
    s_check_all ("/a/b/", "/a/b/|/a/b/||/a||41");
    s_check_all ("a b/c d.e", "a b/c d.e|a b/c d|c d.e|a b|c d|41");
}

static void
test_placeholder_lookalikes (void **state)
{
    (void) state;
    char *got = NULL;
    const char *arg = "{ }{..}{///}{x}{}{";
    assert_int_equal (exec_argv_expand (arg, "i", 1, 0, false, &got), 0);
    assert_string_equal (got, "{ }{..}{///}{x}i{");
    free (got);
    assert_int_equal (exec_argv_expand ("{}", "a\0b", 3, 0, false, &got),
                      PP_EINVAL); /* no argument holds a NUL */
}

/*  {#} alone leaves the item on stdin; any placeholder of the item takes
    it into the arguments.                                                 */
static void
test_what_takes_the_item (void **state)
{
    (void) state;
    char *seq_only[] = {"tee", "out.{#}", NULL};
    char *dir[] = {"mkdir", "-p", "{//}", NULL};
    exec_argv_t *cmd = exec_argv_new (seq_only, s_no_env, true);
    assert_false (exec_argv_takes_item (cmd));
    const char *want[] = {"tee", "out.41", NULL};
    s_check_build (cmd, "x", want);
    exec_argv_destroy (&cmd);
    cmd = exec_argv_new (dir, s_no_env, true);
    assert_true (exec_argv_takes_item (cmd));
    exec_argv_destroy (&cmd);
}

/*  --- a shell's -c script ---------------------------------------------- */

/*  Which argument is a shell's -c script: the first argument naming a
    shell, its options read as sh and bash read them. Only that one is
    quoted; "$1" and friends get the item as it is.                        */
static void
test_which_argument_is_a_script (void **state)
{
    (void) state;
    struct {
        char *argv[12];
        const char *want[12];
    } cases[] = {
        {{"sh", "-c", "echo {}", "sh", "{}", NULL},
         {"sh", "-c", "echo a\\ b", "sh", "a b", NULL}},
        {{"/bin/bash", "-euxc", "echo {}", NULL},
         {"/bin/bash", "-euxc", "echo a\\ b", NULL}},
        {{"env", "X=1", "nice", "dash", "-o", "errexit", "-c", "echo {}", NULL},
         {"env", "X=1", "nice", "dash", "-o", "errexit", "-c", "echo a\\ b",
          NULL}},
        {{"bash", "--norc", "+O", "extglob", "-c", "--", "echo {}", "{}", NULL},
         {"bash", "--norc", "+O", "extglob", "-c", "--", "echo a\\ b", "a b",
          NULL}},
        {{"sh", "script.sh", "{}", NULL}, {"sh", "script.sh", "a b", NULL}},
        {{"python3", "-c", "print('{}')", NULL},
         {"python3", "-c", "print('a b')", NULL}},
        {{"sh", "-c", NULL}, {"sh", "-c", NULL}},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        exec_argv_t *cmd = exec_argv_new (cases[i].argv, s_no_env, true);
        assert_non_null (cmd);
        s_check_build (cmd, "a b", cases[i].want);
        exec_argv_destroy (&cmd);
    }
}

/*  script (a -c script) filled in with item: the exact text, or PP_EINVAL
    when want is NULL.                                                     */
static void
s_check_script (const char *script, const char *item, const char *want)
{
    char *got = NULL;
    int rc = exec_argv_expand (script, item, strlen (item), 7, true, &got);
    if (!want) {
        assert_int_equal (rc, PP_EINVAL);
        return;
    }
    assert_int_equal (rc, 0);
    assert_string_equal (got, want);
    free (got);
}

/*  Quoted where it stands: bare, in "...", in '...'; refused where the
    script nests and the item holds more than letters, digits, _.+/-.     */
static void
test_quoting_by_place (void **state)
{
    (void) state;
    s_check_script ("echo {}", "file-1.2_x+y/z", "echo file-1.2_x+y/z");
    s_check_script ("echo {}", "$(touch x)", "echo \\$\\(touch\\ x\\)");
    s_check_script ("echo {}", "it's", "echo it\\'s");
    s_check_script ("echo {}", "", "echo ''");
    s_check_script ("echo {}", "x\ny", "echo x'\n'y");
    s_check_script ("echo {}", "caf\xc3\xa9\xff!", "echo caf'\xc3\xa9\xff'\\!");
    s_check_script ("echo \"{}\"", "caf\xc3\xa9\xff!",
                    "echo \"caf\"'\xc3\xa9\xff'\"!\"");
    s_check_script ("echo '{}'", "caf\xc3\xa9\xff!", "echo 'caf\xc3\xa9\xff!'");
    s_check_script ("echo {}{.}", "a b.c", "echo a\\ b.ca\\ b");
    s_check_script ("echo \"{}\"", "$(x) `y` \"z\" \\ '\n",
                    "echo \"\\$(x) \\`y\\` \\\"z\\\" \\\\ '\n\"");
    s_check_script ("echo '{}'", "it's \"$(x)\"\n",
                    "echo 'it'\\''s \"$(x)\"\n'");
    s_check_script ("echo '{}' \"{}\" {}", "'", "echo ''\\''' \"'\" \\'");
    s_check_script ("x=$(basename {}); echo \"$x\"", "a b",
                    "x=$(basename a\\ b); echo \"$x\"");
    s_check_script ("echo \\{} {}", "a b", "echo \\{} a\\ b");
    s_check_script ("echo $(( {} * 3 ))", "12", "echo $(( 12 * 3 ))");
    s_check_script ("echo $(( {} * 3 ))", "a[$(x)]", NULL);
    s_check_script ("(( {} > 3 ))", "a[$(x)]", NULL);
    s_check_script ("echo $[ {} ]", "a[$(x)]", NULL);
    s_check_script ("echo `echo {}`", "a b", NULL);
    s_check_script ("echo \"$(echo {})\"", "a b", NULL);
    s_check_script ("echo ${x:-{}}", "a b", NULL);
    s_check_script ("echo $'{}'", "a b", NULL);
    s_check_script ("cat <<E\n{}\nE", "$(x)", NULL);
    s_check_script ("echo {} # {}", "a b", NULL);
    s_check_script ("echo {} # {}", "ab", "echo ab # ab");
    s_check_script ("echo a#{}", "a b", "echo a#a\\ b"); /* no comment */
}

static void
test_check_says_why (void **state)
{
    (void) state;
    char *script[] = {"sh", "-c", "echo `echo {}`", NULL};
    char *plain[] = {"echo", "{}", NULL};
    const char *why = NULL;
    exec_argv_t *cmd = exec_argv_new (script, s_no_env, true);
    assert_int_equal (exec_argv_check (cmd, "ok", 2, &why), 0);
    assert_int_equal (exec_argv_check (cmd, "a;b", 3, &why), PP_EINVAL);
    assert_string_equal (why, "item holds bytes a shell acts on, and {} "
                              "stands where the script nests (`...`, "
                              "${...}, $((...)), <<, #)");
    exec_argv_destroy (&cmd);
    cmd = exec_argv_new (plain, s_no_env, true);
    assert_int_equal (exec_argv_check (cmd, "a;b", 3, &why), 0);
    assert_int_equal (exec_argv_check (cmd, "a\0b", 3, &why), PP_EINVAL);
    assert_string_equal (why, "item holds a NUL byte: it cannot be an "
                              "argument");
    exec_argv_destroy (&cmd);
}

/*  A shell whose quoting is not sh's (csh, fish...): its -c script takes
    an item only if it is inert; arguments after the script as they are.  */
static void
test_other_shells_take_only_inert_items (void **state)
{
    (void) state;
    const char *why = NULL;
    char *fish[] = {"fish", "-c", "echo {}", "{}", NULL};
    exec_argv_t *cmd = exec_argv_new (fish, s_no_env, true);
    assert_int_equal (exec_argv_check (cmd, "a-1.txt", 7, &why), 0);
    const char *want[] = {"fish", "-c", "echo a-1.txt", "a-1.txt", NULL};
    s_check_build (cmd, "a-1.txt", want);
    assert_int_equal (exec_argv_check (cmd, "(rm x)", 6, &why), PP_EINVAL);
    assert_string_equal (why, "item holds bytes a shell acts on, and the -c "
                              "script is not a POSIX shell's (csh, fish...): "
                              "{} takes only letters, digits and _ . + / - "
                              "there");
    assert_null (exec_argv_build (cmd, "(rm x)", 6, 1));
    exec_argv_destroy (&cmd);
    char *csh[] = {"env", "/bin/tcsh", "-fc", "echo '{}'", NULL};
    cmd = exec_argv_new (csh, s_no_env, true);
    assert_int_equal (exec_argv_check (cmd, "it's", 4, &why), PP_EINVAL);
    assert_int_equal (exec_argv_check (cmd, "its", 3, &why), 0);
    exec_argv_destroy (&cmd);
}

/*  What shell -c script prints (at most size - 1 bytes); its exit status,
    127 when the shell is not there.                                       */
static int
s_run (const char *shell, const char *script, char *got, size_t size)
{
    int out[2];
    assert_int_equal (pipe (out), 0);
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        dup2 (out[1], 1);
        close (out[0]);
        close (out[1]);
        execlp (shell, shell, "-c", script, (char *) NULL);
        _exit (127);
    }
    close (out[1]);
    size_t len = 0;
    ssize_t n;
    while ((n = read (out[0], got + len, size - 1 - len)) > 0)
        len += (size_t) n;
    got[len] = '\0';
    close (out[0]);
    int status = 0;
    waitpid (pid, &status, 0);
    return WIFEXITED (status) ? WEXITSTATUS (status) : 128;
}

/*  Every hostile item, in every place a script may hold {}, through every
    shell installed: the script prints the item's exact bytes and runs
    nothing of it (no marker file appears).                               */
static void
test_hostile_items_in_real_shells (void **state)
{
    (void) state;
    char dir[] = "/tmp/pp-test-argv.XXXXXX";
    assert_non_null (mkdtemp (dir));
    char marker[64], hostile[16][160];
    snprintf (marker, sizeof (marker), "%s/pwned", dir);
    const char *forms[][2] = {{"$(touch ", ")"},     {"`touch ", "`"},
                              {"'; touch ", "; '"},  {"\"; touch ", "; \""},
                              {"x\ntouch ", ""},     {"a\\\n touch ", ""},
                              {"$(touch ", ")'\n'"}, {"\\\"'$(touch ", ")"}};
    int n = 0;
    for (; n < 8; n++)
        snprintf (hostile[n], sizeof (hostile[n]), "%s%s%s", forms[n][0],
                  marker, forms[n][1]);
    snprintf (hostile[n++], 160, "%s", "");
    snprintf (hostile[n++], 160, "%s", "* ~ $HOME !! {} \t-n");
    snprintf (hostile[n++], 160, "%s", "\xc3\xa9\xff\x80\x01\x7f");
    snprintf (hostile[n++], 160, "%s", "it's \"quoted\" \\");
    snprintf (hostile[n++], 160, "%s", "`id`"); /* the issue's own list */
    snprintf (hostile[n++], 160, "%s", "a'b");
    snprintf (hostile[n++], 160, "%s", "x;y");
    snprintf (hostile[n++], 160, "%s", "*");
    const char *places[] = {"printf %s {}", "printf %s \"{}\"",
                            "printf %s '{}'",
                            "x=$(printf %s. {}); printf %s \"${x%.}\""};
    const char *shells[] = {"sh", "dash", "bash", "zsh", "ksh", "mksh"};
    for (size_t s = 0; s < sizeof (shells) / sizeof (shells[0]); s++) {
        char probe[8];
        if (s_run (shells[s], "printf ok", probe, sizeof (probe)) != 0)
            continue; /* not installed */
        for (int p = 0; p < 4; p++)
            for (int i = 0; i < n; i++) {
                char *script = NULL, got[512];
                assert_int_equal (exec_argv_expand (places[p], hostile[i],
                                                    strlen (hostile[i]), 0,
                                                    true, &script),
                                  0);
                assert_int_equal (s_run (shells[s], script, got, sizeof (got)),
                                  0);
                assert_string_equal (got, hostile[i]);
                assert_int_equal (access (marker, F_OK), -1);
                free (script);
            }
    }
    rmdir (dir);
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
        cmocka_unit_test (test_every_placeholder),
        cmocka_unit_test (test_placeholder_lookalikes),
        cmocka_unit_test (test_what_takes_the_item),
        cmocka_unit_test (test_which_argument_is_a_script),
        cmocka_unit_test (test_quoting_by_place),
        cmocka_unit_test (test_check_says_why),
        cmocka_unit_test (test_other_shells_take_only_inert_items),
        cmocka_unit_test (test_hostile_items_in_real_shells),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
