/*  Endpoint checks of pp_cli: what a tcp:// or ipc:// value may be, and
    which endpoints protected mode counts as never leaving this machine;
    what a refused option is told (needs a value, unknown, did you mean);
    big blocks freed stay in the heap after pp_cli_init.                  */

#include "pp_cli.h"
#include "pp_error.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

static void
s_good (const char *endpoint)
{
    char why[256] = "";
    if (pp_config_endpoint_check (endpoint, why, sizeof (why)) != 0)
        fail_msg ("%s refused: %s", endpoint, why);
}

/*  Refused, and the reason names the value and holds text.               */
static void
s_bad (const char *endpoint, const char *text)
{
    char why[256] = "";
    assert_int_equal (pp_config_endpoint_check (endpoint, why, sizeof (why)),
                      PP_EINVAL);
    if (!strstr (why, text) || !strstr (why, endpoint))
        fail_msg ("%s: reason '%s' lacks '%s' or the value", endpoint, why,
                  text);
}

static void
test_good_endpoints (void **state)
{
    (void) state;
    s_good ("tcp://127.0.0.1:5557");
    s_good ("tcp://*:1");
    s_good ("tcp://head.example.org:65535");
    s_good ("tcp://eth0:5557");
    s_good ("tcp://[::1]:5557");
    s_good ("tcp://[::]:5557");
    s_good ("tcp://[fe80::1%eth0]:5557");
    s_good ("tcp://[fe80::1%2]:5557");
    s_good ("tcp://10.0.0.2:0;10.0.0.1:5557"); /* source;peer (connect)  */
    s_good ("ipc:///tmp/pp.sock");
    s_good ("ipc://@abstract");
    s_good ("inproc://x");
}

static void
test_bad_ports (void **state)
{
    (void) state;
    s_bad ("tcp://127.0.0.1:88888", "port 88888 is out of range (1..65535)");
    s_bad ("tcp://127.0.0.1:65536", "out of range");
    s_bad ("tcp://127.0.0.1:99999999999999999999", "out of range");
    s_bad ("tcp://127.0.0.1:0", "port 0 (any free port)");
    s_bad ("tcp://127.0.0.1:00", "port 0 (any free port)");
    s_bad ("tcp://*:*", "port * (any free port)");
    s_bad ("tcp://127.0.0.1", "has no port");
    s_bad ("tcp://127.0.0.1:", "has no port");
    s_bad ("tcp://[::1]", "has no port");
    s_bad ("tcp://127.0.0.1:-1", "is not a number");
    s_bad ("tcp://127.0.0.1:5557/x", "is not a number");
    s_bad ("tcp://127.0.0.1: 5557", "is not a number");
}

static void
test_bad_hosts (void **state)
{
    (void) state;
    s_bad ("tcp://:5557", "has no host");
    s_bad ("tcp://::1:5557", "in brackets");
    s_bad ("tcp://[::1:5557", "is not an IPv6 address");
    s_bad ("tcp://[]:5557", "is not an IPv6 address");
    s_bad ("tcp://[127.0.0.1]:5557", "is not an IPv6 address");
    s_bad ("tcp://[fe80::1%]:5557", "is not an IPv6 address");
    s_bad ("ipc://", "has no path");
    s_bad ("ipc://*", "random path");
    s_bad ("ipc:///tmp/a-path-much-too-long-for-a-socket-address-"
           "0123456789012345678901234567890123456789012345678901234567"
           "0123456789012345678901234567890123456789",
           "bytes");
    s_bad ("http://x:1", "is not an endpoint");
    s_bad ("inproc://", "is not an endpoint");
}

static void
test_local_endpoints (void **state)
{
    (void) state;
    assert_true (pp_cli_endpoint_is_local ("tcp://127.0.0.1:5557"));
    assert_true (pp_cli_endpoint_is_local ("tcp://127.2.3.4:5557"));
    assert_true (pp_cli_endpoint_is_local ("tcp://[::1]:5557"));
    assert_true (pp_cli_endpoint_is_local ("tcp://[0:0:0:0:0:0:0:1]:5557"));
    assert_true (pp_cli_endpoint_is_local ("tcp://[::ffff:127.0.0.1]:5557"));
    assert_true (pp_cli_endpoint_is_local ("tcp://localhost:5557"));
    assert_true (pp_cli_endpoint_is_local ("tcp://lo:5557"));
    assert_true (pp_cli_endpoint_is_local ("ipc:///tmp/x"));
    assert_true (pp_cli_endpoint_is_local ("inproc://x"));
    assert_false (pp_cli_endpoint_is_local ("tcp://*:5557"));
    assert_false (pp_cli_endpoint_is_local ("tcp://0.0.0.0:5557"));
    assert_false (pp_cli_endpoint_is_local ("tcp://[::]:5557"));
    assert_false (pp_cli_endpoint_is_local ("tcp://[fd00::2]:5557"));
    assert_false (pp_cli_endpoint_is_local ("tcp://[fe80::1%lo]:5557"));
    assert_false (pp_cli_endpoint_is_local ("tcp://[::ffff:10.0.0.1]:5557"));
    assert_false (pp_cli_endpoint_is_local ("tcp://eth0:5557"));
    assert_false (pp_cli_endpoint_is_local ("tcp://lo0:5557"));
    assert_false (pp_cli_endpoint_is_local ("tcp://127.example.org:5557"));
    assert_false (pp_cli_endpoint_is_local ("tcp://192.0.2.2:5557"));
}

/*  A binary's long options, as the sink's look.                          */
static const struct option s_longs[] = {
    PP_CLI_COMMON_OPTIONS,
    {"output", required_argument, 0, 'o'},
    {"sum", no_argument, 0, 2000},
    {"ordered", no_argument, 0, 2001},
    {"resume", no_argument, 0, 2005},
    {"stats-json", required_argument, 0, 2002},
    {0, 0, 0, 0}};

/*  pp_cli_option_error (word, optopt) says exactly want.                 */
static void
s_option_says (const char *word, int optopt, const char *want)
{
    char why[512] = "";
    pp_cli_option_error (word, optopt, s_longs, why, sizeof (why));
    if (strcmp (why, want) != 0)
        fail_msg ("%s (optopt %d): '%s', not '%s'", word, optopt, why, want);
}

/*  "Needs a value" is not "unknown option" (they used to be one message). */
static void
test_option_needs_value (void **state)
{
    (void) state;
    s_option_says ("--results", 1001,
                   "option '--results' needs a value (--results VALUE)");
    s_option_says ("--output", 'o',
                   "option '--output' needs a value (--output VALUE)");
    s_option_says ("--stats", 2002,
                   "option '--stats-json' needs a value (--stats-json VALUE)");
    s_option_says ("-o", 'o', "option '-o' needs a value (-o VALUE)");
    s_option_says ("--sum=3", 2000,
                   "option '--sum' takes no value ('--sum=3')");
}

static void
test_option_unknown (void **state)
{
    (void) state;
    s_option_says ("--resultz", 0,
                   "unknown option '--resultz' (did you mean --results?)");
    s_option_says ("--resultz=x", 0,
                   "unknown option '--resultz' (did you mean --results?)");
    s_option_says ("--outptu", 0,
                   "unknown option '--outptu' (did you mean --output?)");
    s_option_says ("--stats-jsn", 0,
                   "unknown option '--stats-jsn' (did you mean --stats-json?)");
    s_option_says ("--bogus", 0, "unknown option '--bogus'");
    s_option_says ("--generate", 0, "unknown option '--generate'");
    s_option_says ("-x", 'x', "unknown option '-x'");
    s_option_says ("-vx", 'x', "unknown option '-x'");
    s_option_says ("-results", 'r',
                   "unknown option '-r' (did you mean --results? a long "
                   "option takes two dashes)");
    /*  optopt a letter, word the one before it (glibc inside a group).   */
    s_option_says ("--sum", 'x', "unknown option '-x'");
}

static void
test_option_ambiguous (void **state)
{
    (void) state;
    s_option_says ("--re", 0,
                   "option '--re' is ambiguous: --results, --resume");
    s_option_says ("--c=x", 0,
                   "option '--c' is ambiguous: --control, --curve-secret, "
                   "--curve-allow, --curve-server");
}

/*  A typo is near (one edit, two from six letters on, a swap counting
    one); another word is not.                                             */
static void
test_nearest_option (void **state)
{
    (void) state;
    assert_string_equal (pp_cli_nearest_option ("sun", s_longs), "sum");
    assert_string_equal (pp_cli_nearest_option ("ordred", s_longs), "ordered");
    assert_string_equal (pp_cli_nearest_option ("taks", s_longs), "tasks");
    assert_string_equal (pp_cli_nearest_option ("hwn", s_longs), "hwm");
    assert_string_equal (pp_cli_nearest_option ("insecur", s_longs),
                         "insecure");
    assert_null (pp_cli_nearest_option ("xyz", s_longs));
    assert_null (pp_cli_nearest_option ("summary", s_longs));
    assert_null (pp_cli_nearest_option ("", s_longs));
    assert_null (pp_cli_nearest_option (
        "a-name-much-longer-than-any-option-there-is-at-all-by-far-xxxxx",
        s_longs));
}

/*  pp_cli_output_check (path, kind) refuses, the reason holding text.   */
static void
s_out_bad (const char *path, pp_cli_out_t kind, const char *text)
{
    char why[4096] = "";
    assert_int_equal (pp_cli_output_check (path, kind, why, sizeof (why)),
                      PP_EINVAL);
    if (!strstr (why, text) || !strstr (why, path))
        fail_msg ("%s: reason '%s' lacks '%s' or the path", path, why, text);
}

static void
s_out_good (const char *path, pp_cli_out_t kind)
{
    char why[4096] = "";
    if (pp_cli_output_check (path, kind, why, sizeof (why)) != 0)
        fail_msg ("%s refused: %s", path, why);
}

/*  Entries in dir besides . and .. (the check must create nothing).     */
static int
s_entries (const char *dir)
{
    DIR *d = opendir (dir);
    assert_non_null (d);
    int n = 0;
    for (struct dirent *e; (e = readdir (d));)
        n += strcmp (e->d_name, ".") != 0 && strcmp (e->d_name, "..") != 0;
    closedir (d);
    return n;
}

/*  Output paths are checked before anything is created: a new file in a
    directory that is there, an existing file, a special file pass; a
    missing directory, a directory given for a file, a file under a file
    are refused with the path and why -- and nothing is made.            */
static void
test_output_check (void **state)
{
    (void) state;
    char dir[] = "/tmp/pp-test-cli-XXXXXX";
    assert_non_null (mkdtemp (dir));
    char path[512], file[128], sub[128];
    snprintf (path, sizeof (path), "%s/new.json", dir);
    s_out_good (path, PP_CLI_OUT_FILE);
    s_out_good (path, PP_CLI_OUT_BESIDE);
    s_out_good (dir, PP_CLI_OUT_DIR);
    s_out_good ("/dev/null", PP_CLI_OUT_FILE);
    s_out_good ("/dev/null", PP_CLI_OUT_BESIDE);
    assert_int_equal (s_entries (dir), 0);
    snprintf (path, sizeof (path), "%s/no/such/dir/x.json", dir);
    s_out_bad (path, PP_CLI_OUT_FILE, "its directory ");
    s_out_bad (path, PP_CLI_OUT_FILE, "/no/such/dir: No such file");
    s_out_bad (dir, PP_CLI_OUT_FILE, "is a directory");
    snprintf (sub, sizeof (sub), "%s/no/such/dir", dir);
    s_out_bad (sub, PP_CLI_OUT_DIR, "No such file or directory");
    s_out_bad ("", PP_CLI_OUT_FILE, "empty");
    assert_int_equal (s_entries (dir), 0);
    snprintf (file, sizeof (file), "%s/there", dir);
    FILE *f = fopen (file, "w");
    assert_non_null (f);
    fputs ("kept\n", f);
    fclose (f);
    s_out_good (file, PP_CLI_OUT_FILE);
    s_out_good (file, PP_CLI_OUT_BESIDE);
    s_out_bad (file, PP_CLI_OUT_DIR, "is not a directory");
    snprintf (path, sizeof (path), "%s/x.json", file);
    s_out_bad (path, PP_CLI_OUT_FILE, "Not a directory");
    assert_int_equal (s_entries (dir), 1);
    f = fopen (file, "r");
    char line[16] = "";
    assert_non_null (fgets (line, sizeof (line), f));
    fclose (f);
    assert_string_equal (line, "kept\n"); /* not truncated           */
    unlink (file);
    rmdir (dir);
}

/*  Hosts are looked up at start: addresses, `*`, bound interfaces and
    names that resolve pass; a name that does not is refused, naming it
    (or, with no DNS server to ask, PP_EAGAIN: the caller warns).        */
static void
test_resolve_check (void **state)
{
    (void) state;
    char why[512] = "";
    assert_int_equal (
        pp_cli_resolve_check ("tcp://127.0.0.1:1", false, why, sizeof (why)),
        0);
    assert_int_equal (
        pp_cli_resolve_check ("tcp://*:1", true, why, sizeof (why)), 0);
    assert_int_equal (
        pp_cli_resolve_check ("tcp://[::1]:1", false, why, sizeof (why)), 0);
    assert_int_equal (
        pp_cli_resolve_check ("tcp://localhost:1", true, why, sizeof (why)), 0);
    assert_int_equal (
        pp_cli_resolve_check ("tcp://localhost:1", false, why, sizeof (why)),
        0);
    assert_int_equal (
        pp_cli_resolve_check ("tcp://lo:1", true, why, sizeof (why)), 0);
    assert_int_equal (
        pp_cli_resolve_check ("ipc:///tmp/x", false, why, sizeof (why)), 0);
    int rc = pp_cli_resolve_check ("tcp://no-such-host.invalid:1", false, why,
                                   sizeof (why));
    assert_true (rc == PP_EINVAL || rc == PP_EAGAIN);
    if (!strstr (why, "host 'no-such-host.invalid'"))
        fail_msg ("the reason does not name the host: %s", why);
    rc = pp_cli_resolve_check ("tcp://10.0.0.1:0;no-such-host.invalid:1", false,
                               why, sizeof (why));
    assert_true (rc == PP_EINVAL || rc == PP_EAGAIN);
}

/*  Minor page faults of this process so far.                            */
static long
s_minflt (void)
{
    struct rusage ru;
    assert_int_equal (getrusage (RUSAGE_SELF, &ru), 0);
    return ru.ru_minflt;
}

/*  After pp_cli_init, big blocks freed are used again, not faulted in
    anew: with glibc's defaults, 40 blocks of a 256 KiB item each, freed
    in another order than made (as acks and sends free them), gave the
    heap's top back each round, and every big item cost a page fault per
    4 KiB again. Sanitizers bring their own allocator: nothing to see.   */
static void
test_big_blocks_reused (void **state)
{
    (void) state;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    skip ();
#endif
    pp_common_t common;
    pp_cli_init (&common, "test_cli");
    size_t size = (256 << 10) + 64;
    long faults = 0;
    for (int round = 0; round < 6; round++) {
        long before = s_minflt ();
        char *blocks[40];
        for (int i = 0; i < 40; i++) {
            blocks[i] = malloc (size);
            assert_non_null (blocks[i]);
            memset (blocks[i], 1, size);
        }
        for (int i = 0; i < 40; i += 2) /* the even ones, then the odd  */
            free (blocks[i]);
        for (int i = 1; i < 40; i += 2)
            free (blocks[i]);
        if (round > 0) /* the first one faults them in               */
            faults += s_minflt () - before;
    }
    assert_true (faults < 512); /* anew each round: 5 x ~2500 pages    */
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_good_endpoints),
        cmocka_unit_test (test_bad_ports),
        cmocka_unit_test (test_bad_hosts),
        cmocka_unit_test (test_local_endpoints),
        cmocka_unit_test (test_option_needs_value),
        cmocka_unit_test (test_option_unknown),
        cmocka_unit_test (test_option_ambiguous),
        cmocka_unit_test (test_nearest_option),
        cmocka_unit_test (test_output_check),
        cmocka_unit_test (test_resolve_check),
        cmocka_unit_test (test_big_blocks_reused), /* last: it inits  */
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
