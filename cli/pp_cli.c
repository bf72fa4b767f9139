/*  pp_cli: shared flags, value parsing and usage errors.                   */

#include "pp_cli.h"
#include "pp_error.h"

#include <czmq.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int pp_verbosity = 1;
static const char *s_prog = "pushpull";

const char *pp_cli_common_help =
    "Endpoints (flag, else environment, else default):\n"
    "  --tasks EP      work items     PP_TASKS   " PP_DEFAULT_TASKS "\n"
    "  --results EP    results        PP_RESULTS " PP_DEFAULT_RESULTS "\n"
    "  --control EP    drain/abort    PP_CONTROL " PP_DEFAULT_CONTROL "\n"
    "  --acks EP       acks/requests  PP_ACKS    " PP_DEFAULT_ACKS "\n"
    "  EP is tcp://HOST:PORT (PORT 1..65535) or ipc:///path/to/socket.\n"
    "  HOST: 127.0.0.1, [::1] (IPv6 in brackets), a name, an interface\n"
    "  (eth0: binds its address), or * (binds every address, v4 and v6).\n"
    "  An endpoint another process holds is an error, never taken over.\n"
    "Transport:\n"
    "  --flow MODE        push (default) or credit; workers and the sink\n"
    "                     take the ventilator's (given, it must match)\n"
    "  --hwm N            ZeroMQ high-water mark of the data sockets,\n"
    "                     messages (default 100; acks have their own)\n"
    "  --max-item-size S  largest item or result (default 1M; K/M/G);\n"
    "                     workers and the sink take the ventilator's\n"
    "  --insecure         allow plaintext binds off loopback\n"
    "Security (CURVE, see README):\n"
    "  --keygen PATH      write a key pair: PATH (public), PATH_secret\n"
    "  --curve-secret F   our key pair (binding sides: the server key)\n"
    "  --curve-allow DIR  binding sides: public keys of allowed peers\n"
    "  --curve-server F   connecting sides: the server public key\n"
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
    pp_config_defaults (common);
    s_prog = prog;
    opterr = 0;                  /* pp_cli_bad_option says it our way   */
    zsys_handler_set (NULL);     /* our binaries own SIGINT/SIGTERM     */
    zsys_set_logstream (stderr); /* stdout carries results              */
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
    /*  getopt is silenced (opterr = 0) so the message names us, not a
        path; optind has moved past the option it refused.                 */
    const char *bad = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
    if (optopt && optopt < 256 && bad[0] == '-' && bad[1] != '-')
        pp_cli_usage_error ("unknown option '-%c', or it needs a value",
                            optopt);
    pp_cli_usage_error ("unknown option '%s', or it needs a value", bad);
}

pp_overflow_t
pp_cli_overflow (const char *flag, const char *value)
{
    pp_overflow_t overflow = PP_OVERFLOW_BLOCK;
    if (pp_parse_overflow (value, &overflow) != 0)
        pp_cli_usage_error ("%s: '%s' is not block, drop or spill", flag,
                            value);
    return overflow;
}

int64_t
pp_cli_number (const char *flag, const char *value, int64_t min, int64_t max)
{
    int64_t n = 0;
    int rc = pp_parse_number (value, min, max, &n);
    if (rc == PP_EINVAL)
        pp_cli_usage_error ("%s: '%s' is not a whole number", flag, value);
    if (rc == PP_ERANGE)
        pp_cli_usage_error ("%s: %s is out of range (%lld..%lld)", flag, value,
                            (long long) min, (long long) max);
    return n;
}

int64_t
pp_cli_duration_ms (const char *flag, const char *value)
{
    int64_t ms = 0;
    if (pp_parse_duration_ms (value, &ms) != 0)
        pp_cli_usage_error ("%s: '%s' is not a duration (write e.g. 250ms, "
                            "2s, 1m)",
                            flag, value);
    return ms;
}

uint64_t
pp_cli_size (const char *flag, const char *value)
{
    uint64_t bytes = 0;
    if (pp_parse_size (value, &bytes) != 0)
        pp_cli_usage_error ("%s: '%s' is not a size (write e.g. 4096, 64K, "
                            "1M)",
                            flag, value);
    return bytes;
}

/*  --keygen PATH: a new key pair in czmq's format; the secret is 0600.    */
static void
s_keygen (const char *path)
{
    zcert_t *cert = zcert_new ();
    char secret[4096];
    snprintf (secret, sizeof (secret), "%s_secret", path);
    mode_t old = umask (077);
    int rc = cert ? zcert_save (cert, path) : -1;
    umask (old);
    if (rc == 0)
        rc = chmod (secret, 0600) | chmod (path, 0644);
    zcert_destroy (&cert);
    if (rc != 0) {
        fprintf (stderr, "%s: --keygen: cannot write %s: %s\n", s_prog, path,
                 strerror (errno));
        exit (PP_EXIT_RUNTIME);
    }
    printf ("wrote %s (public) and %s (secret, mode 0600)\n", path, secret);
    exit (PP_EXIT_OK);
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
            if (common->max_item > PP_MAX_ITEM_LIMIT)
                pp_cli_usage_error ("--max-item-size: %s is over 1G", arg);
            common->given |= PP_GIVEN_MAX_ITEM;
            break;
        case 1006:
            if (pp_parse_flow (arg, &common->flow) != 0)
                pp_cli_usage_error ("--flow: '%s' is not push or credit", arg);
            common->given |= PP_GIVEN_FLOW;
            break;
        case 1007: common->insecure = true; break;
        case 1008: printf ("%s %s\n", s_prog, PP_VERSION); exit (PP_EXIT_OK);
        case 1009: s_keygen (arg); break;
        case 1010: common->curve_secret = arg; break;
        case 1011: common->curve_allow = arg; break;
        case 1012: common->curve_server = arg; break;
        case 'v': pp_verbosity = 2; break;
        case 'q': pp_verbosity = 0; break;
        default: return false;
    }
    return true;
}

void
pp_cli_endpoints (pp_common_t *common)
{
    char why[512];
    if (pp_config_endpoints (common, why, sizeof (why)) != 0)
        pp_cli_usage_error ("%s", why);
}

/*  HOST of a checked tcp endpoint, its length in *len.                    */
static const char *
s_tcp_host (const char *endpoint, size_t *len)
{
    const char *dest = strchr (endpoint + 6, ';');
    dest = dest ? dest + 1 : endpoint + 6;
    const char *colon = strrchr (dest, ':');
    *len = colon ? (size_t) (colon - dest) : strlen (dest);
    return dest;
}

/*  True for tcp hosts that never leave this machine.                      */
static bool
s_is_loopback (const char *host, size_t len)
{
    char addr[INET6_ADDRSTRLEN + 64];
    bool bracketed = len >= 2 && host[0] == '[' && host[len - 1] == ']';
    if (bracketed) {
        host++;
        len -= 2;
    }
    if (len >= sizeof (addr))
        return false;
    memcpy (addr, host, len);
    addr[len] = '\0';
    if (!bracketed)
        return strcmp (addr, "localhost") == 0 || strcmp (addr, "lo") == 0 ||
               (inet_pton (AF_INET, addr, &(struct in_addr){0}) == 1 &&
                strncmp (addr, "127.", 4) == 0);
    char *zone = strchr (addr, '%');
    if (zone)
        *zone = '\0';
    struct in6_addr in6;
    if (inet_pton (AF_INET6, addr, &in6) != 1)
        return false;
    return IN6_IS_ADDR_LOOPBACK (&in6) ||
           (IN6_IS_ADDR_V4MAPPED (&in6) && in6.s6_addr[12] == 127);
}

bool
pp_cli_endpoint_is_local (const char *endpoint)
{
    if (strncmp (endpoint, "tcp://", 6) != 0)
        return true;
    size_t len;
    const char *host = s_tcp_host (endpoint, &len);
    return s_is_loopback (host, len);
}

void
pp_cli_security (pp_common_t *common, bool server, bool client)
{
    char why[512];
    if (pp_config_security (common, server, client, why, sizeof (why)) != 0)
        pp_cli_usage_error ("%s", why);
}

void
pp_cli_security_end (pp_common_t *common)
{
    pp_config_security_end (common);
}

void
pp_cli_check_bind (const pp_common_t *common, const char *flag,
                   const char *endpoint)
{
    if (common->insecure || common->curve_secret ||
        pp_cli_endpoint_is_local (endpoint))
        return;
    pp_cli_usage_error ("%s: refusing to bind plaintext %s beyond this "
                        "machine (protected mode): use CURVE "
                        "(--curve-secret and --curve-allow), bind "
                        "127.0.0.1, [::1] or an ipc:// path, or pass "
                        "--insecure to accept anyone who can reach "
                        "the port",
                        pp_config_source (common, flag), endpoint);
}

void
pp_cli_raise_fd_limit (void)
{
    struct rlimit rl;
    if (getrlimit (RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
        return;
    rlim_t was = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit (RLIMIT_NOFILE, &rl) == 0 && pp_verbosity > 0)
        zsys_info ("ulimit -n raised from %llu to %llu (the hard limit)",
                   (unsigned long long) was, (unsigned long long) rl.rlim_max);
}

/*  Appends word to out at *used, quoted for a POSIX shell when it holds
    anything but the plainest characters.                                 */
static void
s_append_word (const char *word, char *out, size_t size, size_t *used)
{
    bool plain =
        *word && strspn (word, "abcdefghijklmnopqrstuvwxyz"
                               "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789_./:=@%+,-") == strlen (word);
    const char *quote = plain ? "" : "'";
    *used += (size_t) snprintf (out + *used, size - *used, "%s%s",
                                *used ? " " : "", quote);
    for (const char *c = word; *c && *used < size; c++)
        *used += (size_t) snprintf (out + *used, size - *used, "%s",
                                    *c == '\'' ? "'\\''" : (char[]){*c, 0});
    if (*used < size)
        *used += (size_t) snprintf (out + *used, size - *used, "%s", quote);
}

void
pp_cli_resume_line (int argc, char **argv, char *out, size_t size)
{
    size_t used = 0;
    bool resume = false;
    out[0] = '\0';
    for (int i = 0; i < argc && used < size; i++) {
        resume |= strcmp (argv[i], "--resume") == 0;
        s_append_word (argv[i], out, size, &used);
    }
    if (!resume && used < size)
        snprintf (out + used, size - used, " --resume");
}

char **
pp_cli_argv_copy (int argc, char **argv)
{
    char **copy = calloc ((size_t) argc + 1, sizeof (char *));
    if (copy)
        memcpy (copy, argv, (size_t) argc * sizeof (char *));
    return copy;
}
