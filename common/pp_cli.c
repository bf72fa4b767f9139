/*  pp_cli: shared flags, value parsing and usage errors.                   */

#include "pp_cli.h"

#include <czmq.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pp_verbosity = 1;
static const char *s_prog = "pushpull";

const char *pp_cli_common_help =
    "Endpoints (flag, else environment, else default):\n"
    "  --tasks EP      work items     PP_TASKS   " PP_DEFAULT_TASKS "\n"
    "  --results EP    results        PP_RESULTS " PP_DEFAULT_RESULTS "\n"
    "  --control EP    drain/abort    PP_CONTROL " PP_DEFAULT_CONTROL "\n"
    "  --acks EP       acks/requests  PP_ACKS    " PP_DEFAULT_ACKS "\n"
    "  EP is tcp://HOST:PORT or ipc:///path/to/socket.\n"
    "Transport:\n"
    "  --flow MODE        push (default) or credit; same on every process\n"
    "  --hwm N            ZeroMQ high-water mark, messages (default 100)\n"
    "  --max-item-size S  largest item or result (default 1M; K/M/G)\n"
    "  --insecure         allow plaintext binds off loopback\n"
    "General:\n"
    "  -v, --verbose      log more     -q, --quiet   log errors only\n"
    "  -h, --help         this text    --version     print the version\n";

void
pp_cli_help (const char *head, const char *tail)
{
    fputs (head, stdout);
    fputs (pp_cli_common_help, stdout);
    fputs (tail, stdout);
    exit (PP_EXIT_OK);
}

const char *
pp_cli_prog (void)
{
    return s_prog;
}

void
pp_cli_init (pp_common_t *common, const char *prog)
{
    memset (common, 0, sizeof (*common));
    common->hwm = 100;
    common->max_item = 1024 * 1024;
    common->flow = PP_FLOW_PUSH;
    s_prog = prog;
    zsys_handler_set (NULL);       /* our binaries own SIGINT/SIGTERM     */
    zsys_set_logstream (stderr);   /* stdout carries results              */
    zsys_set_logident (prog);
    zsys_init ();
}

void
pp_cli_usage_error (const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    fprintf (stderr, "%s: ", s_prog);
    vfprintf (stderr, fmt, args);
    va_end (args);
    fprintf (stderr, "\nTry '%s --help' for more information.\n", s_prog);
    exit (PP_EXIT_USAGE);
}

void
pp_cli_bad_option (int argc, char **argv)
{
    /*  getopt already printed which option; add the hint and exit 2.      */
    (void) argc;
    (void) argv;
    fprintf (stderr, "Try '%s --help' for more information.\n", s_prog);
    exit (PP_EXIT_USAGE);
}

int64_t
pp_cli_number (const char *flag, const char *value, int64_t min,
               int64_t max)
{
    char *end = NULL;
    errno = 0;
    long long n = strtoll (value, &end, 10);
    if (errno || end == value || *end != '\0')
        pp_cli_usage_error ("%s: '%s' is not a whole number", flag, value);
    if (n < min || n > max)
        pp_cli_usage_error ("%s: %s is out of range (%lld..%lld)", flag,
                            value, (long long) min, (long long) max);
    return n;
}

int64_t
pp_cli_duration_ms (const char *flag, const char *value)
{
    char *end = NULL;
    errno = 0;
    double n = strtod (value, &end);
    double scale = 0;
    if (errno == 0 && end != value && n >= 0) {
        if (strcmp (end, "ms") == 0)
            scale = 1;
        else if (strcmp (end, "s") == 0)
            scale = 1000;
        else if (strcmp (end, "m") == 0)
            scale = 60000;
        else if (strcmp (end, "h") == 0)
            scale = 3600000;
    }
    if (scale == 0 || n * scale > 1e12)
        pp_cli_usage_error ("%s: '%s' is not a duration (write e.g. 250ms, "
                            "2s, 1m)",
                            flag, value);
    return (int64_t) (n * scale + 0.5);
}

uint64_t
pp_cli_size (const char *flag, const char *value)
{
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull (value, &end, 10);
    uint64_t scale = 0;
    if (errno == 0 && end != value && value[0] != '-') {
        if (*end == '\0' || strcmp (end, "B") == 0)
            scale = 1;
        else if (strcmp (end, "K") == 0 || strcmp (end, "KiB") == 0)
            scale = 1ULL << 10;
        else if (strcmp (end, "M") == 0 || strcmp (end, "MiB") == 0)
            scale = 1ULL << 20;
        else if (strcmp (end, "G") == 0 || strcmp (end, "GiB") == 0)
            scale = 1ULL << 30;
    }
    if (scale == 0 || n == 0 || n > (UINT64_MAX >> 2) / scale)
        pp_cli_usage_error ("%s: '%s' is not a size (write e.g. 4096, 64K, "
                            "1M)",
                            flag, value);
    return n * scale;
}

static void
s_check_endpoint (const char *flag, const char *endpoint)
{
    if (strncmp (endpoint, "tcp://", 6) != 0
        && strncmp (endpoint, "ipc://", 6) != 0
        && strncmp (endpoint, "inproc://", 9) != 0)
        pp_cli_usage_error ("%s: '%s' is not an endpoint (write "
                            "tcp://HOST:PORT or ipc:///path)",
                            flag, endpoint);
}

bool
pp_cli_common_option (pp_common_t *common, int opt, const char *arg)
{
    switch (opt) {
        case 1000: common->tasks = arg; break;
        case 1001: common->results = arg; break;
        case 1002: common->control = arg; break;
        case 1003: common->acks = arg; break;
        case 1004:
            common->hwm = (int) pp_cli_number ("--hwm", arg, 1, 1000000);
            break;
        case 1005:
            common->max_item = pp_cli_size ("--max-item-size", arg);
            if (common->max_item > (1ULL << 30))
                pp_cli_usage_error ("--max-item-size: %s is over 1G", arg);
            break;
        case 1006:
            if (strcmp (arg, "push") == 0)
                common->flow = PP_FLOW_PUSH;
            else if (strcmp (arg, "credit") == 0)
                common->flow = PP_FLOW_CREDIT;
            else
                pp_cli_usage_error ("--flow: '%s' is not push or credit",
                                    arg);
            break;
        case 1007: common->insecure = true; break;
        case 1008:
            printf ("%s %s\n", s_prog, PP_VERSION);
            exit (PP_EXIT_OK);
        case 'v': pp_verbosity = 2; break;
        case 'q': pp_verbosity = 0; break;
        default: return false;
    }
    return true;
}

static const char *
s_env_or (const char *value, const char *env, const char *fallback)
{
    if (value)
        return value;
    const char *from_env = getenv (env);
    return from_env && *from_env ? from_env : fallback;
}

void
pp_cli_endpoints (pp_common_t *common)
{
    common->tasks = s_env_or (common->tasks, "PP_TASKS", PP_DEFAULT_TASKS);
    common->results =
        s_env_or (common->results, "PP_RESULTS", PP_DEFAULT_RESULTS);
    common->control =
        s_env_or (common->control, "PP_CONTROL", PP_DEFAULT_CONTROL);
    common->acks = s_env_or (common->acks, "PP_ACKS", PP_DEFAULT_ACKS);
    s_check_endpoint ("--tasks", common->tasks);
    s_check_endpoint ("--results", common->results);
    s_check_endpoint ("--control", common->control);
    s_check_endpoint ("--acks", common->acks);
}

/*  True for tcp hosts that never leave this machine.                      */
static bool
s_is_loopback (const char *host, size_t len)
{
    if (len >= 4 && strncmp (host, "127.", 4) == 0)
        return true;
    if (len == 9 && strncmp (host, "localhost", 9) == 0)
        return true;
    return len == 5 && strncmp (host, "[::1]", 5) == 0;
}

void
pp_cli_check_bind (const pp_common_t *common, const char *flag,
                   const char *endpoint)
{
    if (common->insecure || strncmp (endpoint, "tcp://", 6) != 0)
        return;
    const char *host = endpoint + 6;
    const char *colon = strrchr (host, ':');
    size_t len = colon ? (size_t) (colon - host) : strlen (host);
    if (!s_is_loopback (host, len))
        pp_cli_usage_error ("%s: refusing to bind plaintext %s beyond this "
                            "machine (protected mode); bind 127.0.0.1 or "
                            "an ipc:// path, or pass --insecure to accept "
                            "anyone who can reach the port",
                            flag, endpoint);
}
