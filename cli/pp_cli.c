/*  pp_cli: shared flags, value parsing and usage errors.                   */

#include "pp_cli.h"
#include "pp_error.h"

#include <czmq.h>
#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
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
    "  HOST: 127.0.0.1, [::1] (IPv6 in brackets), a name (bound: each\n"
    "  address it resolves to), an interface (eth0: binds its address),\n"
    "  or * (binds every address, v4 and v6).\n"
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

/*  Big items' buffers (a TASK or RESULT message, an item, a batch) are
    malloc'd and freed at a high rate, often by another thread (libzmq's,
    once sent). glibc would map each one anew (or give the top of its
    heap back) and take a page fault per 4 KiB of it on first touch: a
    fault per page of every big message. Kept in the heap up to these
    bounds, freed memory is used again instead; larger blocks are still
    mapped and unmapped on their own.                                      */
#define S_MMAP_THRESHOLD (8 << 20)
#define S_TRIM_THRESHOLD (64 << 20)

void
pp_cli_init (pp_common_t *common, const char *prog)
{
    mallopt (M_MMAP_THRESHOLD, S_MMAP_THRESHOLD);
    mallopt (M_TRIM_THRESHOLD, S_TRIM_THRESHOLD);
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

/*  Edit distance of a (alen bytes) and b, a swap of neighbours counting
    one (optimal string alignment); names longer than 63 bytes are far.   */
static size_t
s_distance (const char *a, size_t alen, const char *b)
{
    size_t blen = strlen (b);
    if (alen > 63 || blen > 63)
        return SIZE_MAX;
    size_t d[64][64];
    for (size_t i = 0; i <= alen; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= blen; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= alen; i++)
        for (size_t j = 1; j <= blen; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t best = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
                a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[alen][blen];
}

/*  pp_cli_nearest_option over name's first len bytes.                     */
static const char *
s_nearest (const char *name, size_t len, const struct option *longs)
{
    /*  A typo is a slip or two, not another word: one edit in a short
        name, two from six letters on.                                    */
    size_t most = len >= 6 ? 2 : 1;
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (const struct option *o = longs; o->name; o++) {
        size_t d = s_distance (name, len, o->name);
        if (d <= most && d < best_d) {
            best = o->name;
            best_d = d;
        }
    }
    return best;
}

const char *
pp_cli_nearest_option (const char *name, const struct option *longs)
{
    return s_nearest (name, strlen (name), longs);
}

/*  The long option word names (len bytes): exactly, or as the one long
    option it abbreviates. NULL when none; *ambiguous when several.       */
static const struct option *
s_find_long (const char *name, size_t len, const struct option *longs,
             bool *ambiguous)
{
    const struct option *found = NULL;
    int prefixed = 0;
    *ambiguous = false;
    for (const struct option *o = longs; o->name; o++) {
        if (strncmp (o->name, name, len) != 0)
            continue;
        if (strlen (o->name) == len)
            return o;
        found = prefixed++ ? found : o;
    }
    *ambiguous = prefixed > 1;
    return prefixed == 1 ? found : NULL;
}

/*  "--a, --b, --c": the long options name (len bytes) abbreviates.        */
static void
s_candidates (const char *name, size_t len, const struct option *longs,
              char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (const struct option *o = longs; o->name && used < size; o++)
        if (strncmp (o->name, name, len) == 0)
            used += (size_t) snprintf (out + used, size - used, "%s--%s",
                                       used ? ", " : "", o->name);
}

/*  A refused long option word ("--name" or "--name=value").             */
static void
s_long_error (const char *word, const struct option *longs, char *why,
              size_t size)
{
    const char *name = word + 2;
    const char *equals = strchr (name, '=');
    size_t len = equals ? (size_t) (equals - name) : strlen (name);
    bool ambiguous;
    const struct option *o = s_find_long (name, len, longs, &ambiguous);
    char list[512];
    if (o && o->has_arg == required_argument && !equals)
        snprintf (why, size, "option '--%s' needs a value (--%s VALUE)",
                  o->name, o->name);
    else if (o && o->has_arg == no_argument && equals)
        snprintf (why, size, "option '--%s' takes no value ('%s')", o->name,
                  word);
    else if (ambiguous) {
        s_candidates (name, len, longs, list, sizeof (list));
        snprintf (why, size, "option '--%.*s' is ambiguous: %s", (int) len,
                  name, list);
    } else {
        const char *near = s_nearest (name, len, longs);
        snprintf (why, size, "unknown option '--%.*s'%s%s%s", (int) len, name,
                  near ? " (did you mean --" : "", near ? near : "",
                  near ? "?)" : "");
    }
}

void
pp_cli_option_error (const char *word, int optopt, const struct option *longs,
                     char *why, size_t size)
{
    /*  getopt sets optopt to 0 for a long option it does not know, else
        to the value of the option it refused: a long one's, or a letter
        (word is then the word holding it, or the word before).           */
    if (strncmp (word, "--", 2) == 0 && word[2]) {
        bool ambiguous;
        const struct option *o =
            s_find_long (word + 2, strcspn (word + 2, "="), longs, &ambiguous);
        if (optopt == 0 || (o && o->val == optopt)) {
            s_long_error (word, longs, why, size);
            return;
        }
    }
    /*  A short option: optopt is its letter. One that has a long name
        taking a value is known (getopt refuses only unknown letters and
        missing values); "-name" is a long option with one dash.          */
    for (const struct option *o = longs; optopt > 0 && o->name; o++)
        if (o->val == optopt && o->has_arg == required_argument) {
            snprintf (why, size, "option '-%c' needs a value (-%c VALUE)",
                      optopt, optopt);
            return;
        }
    char letter[8] = "?";
    if (optopt > 0 && optopt < 256)
        snprintf (letter, sizeof (letter), "%c", optopt);
    bool ambiguous;
    bool one_dash =
        word[0] == '-' && word[1] && word[1] != '-' && word[2] &&
        s_find_long (word + 1, strcspn (word + 1, "="), longs, &ambiguous);
    if (one_dash)
        snprintf (why, size,
                  "unknown option '-%s' (did you mean -%s? a long option "
                  "takes two dashes)",
                  letter, word);
    else
        snprintf (why, size, "unknown option '-%s'", letter);
}

void
pp_cli_bad_option (int argc, char **argv, const struct option *longs)
{
    /*  getopt is silenced (opterr = 0) so the message names us, not a
        path; optind has moved past the option it refused.                 */
    const char *word = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
    /*  A letter refused inside a group (-xv) leaves optind on its word.   */
    const char *next = optind < argc ? argv[optind] : "";
    if (optopt > 0 && optopt < 256 && next[0] == '-' && next[1] != '-' &&
        strchr (next + 1, optopt))
        word = next;
    char why[768];
    pp_cli_option_error (word, optopt, longs, why, sizeof (why));
    pp_cli_usage_error ("%s", why);
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
    int rc = pp_parse_size (value, &bytes);
    if (rc == PP_ERANGE)
        pp_cli_usage_error ("%s: %s is out of range (1 to 4294967295G)", flag,
                            value);
    if (rc != 0)
        pp_cli_usage_error ("%s: '%s' is not a size (write e.g. 4096, 64K, "
                            "1M, 2G)",
                            flag, value);
    return bytes;
}

/*  The directory of path (".", "/" or its part before the last slash)
    into out; false when it does not fit.                                 */
static bool
s_dirname (const char *path, char *out, size_t size)
{
    const char *slash = strrchr (path, '/');
    size_t len = !slash ? 1 : slash == path ? 1 : (size_t) (slash - path);
    if (len >= size)
        return false;
    memcpy (out, slash ? path : ".", len);
    out[len] = '\0';
    return true;
}

/*  The directory dir takes new files: there, a directory, writable.
    dir is path itself, or the directory a new file path goes in.         */
static int
s_dir_writable (const char *path, const char *dir, char *why, size_t size)
{
    struct stat st;
    char what[4096 + 32] = "";
    if (dir != path)
        snprintf (what, sizeof (what), " its directory %s", dir);
    if (stat (dir, &st) != 0)
        return pp_config_why (why, size, "%s:%s%s %s", path, what,
                              *what ? ":" : "", strerror (errno));
    if (!S_ISDIR (st.st_mode))
        return pp_config_why (why, size, "%s:%s is not a directory", path,
                              what);
    if (access (dir, W_OK | X_OK) != 0)
        return pp_config_why (why, size, "%s:%s does not take new files: %s",
                              path, what, strerror (errno));
    return 0;
}

int
pp_cli_output_check (const char *path, pp_cli_out_t kind, char *why,
                     size_t size)
{
    char dir[4096];
    struct stat st;
    if (*path == '\0')
        return pp_config_why (why, size, "an empty path");
    if (kind == PP_CLI_OUT_DIR)
        return s_dir_writable (path, path, why, size);
    if (!s_dirname (path, dir, sizeof (dir)))
        return pp_config_why (why, size, "%s: the path is too long", path);
    if (stat (path, &st) != 0) {
        if (errno != ENOENT)
            return pp_config_why (why, size, "%s: %s", path, strerror (errno));
        return s_dir_writable (path, dir, why, size);
    }
    if (S_ISDIR (st.st_mode))
        return pp_config_why (why, size, "%s: is a directory (give a file)",
                              path);
    if (access (path, W_OK) != 0)
        return pp_config_why (why, size, "%s: not writable: %s", path,
                              strerror (errno));
    if (kind == PP_CLI_OUT_BESIDE && S_ISREG (st.st_mode))
        return s_dir_writable (path, dir, why, size);
    return 0;
}

void
pp_cli_output (const char *flag, const char *path, pp_cli_out_t kind)
{
    char why[4096 + 512];
    if (path && pp_cli_output_check (path, kind, why, sizeof (why)) != 0)
        pp_cli_usage_error ("%s: cannot open %s (checked at start: "
                            "nothing was created)",
                            flag, why);
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

int
pp_cli_resolve_check (const char *endpoint, bool bind, char *why, size_t size)
{
    if (strncmp (endpoint, "tcp://", 6) != 0)
        return 0;
    size_t len;
    const char *host = s_tcp_host (endpoint, &len);
    char name[256];
    if (len == 0 || len >= sizeof (name) || host[0] == '[' || host[0] == '*')
        return 0;
    memcpy (name, host, len);
    name[len] = '\0';
    struct in_addr in4;
    if (inet_pton (AF_INET, name, &in4) == 1 ||
        (bind && if_nametoindex (name) != 0))
        return 0;
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *all = NULL;
    int gai = getaddrinfo (name, NULL, &hints, &all);
    freeaddrinfo (all);
    if (gai == 0)
        return 0;
    if (gai == EAI_AGAIN) {
        pp_config_why (why, size,
                       "'%s': host '%s' cannot be looked up now (%s): "
                       "trying on",
                       endpoint, name, gai_strerror (gai));
        return PP_EAGAIN;
    }
    return pp_config_why (why, size, "'%s': host '%s' does not resolve (%s)%s",
                          endpoint, name, gai_strerror (gai),
                          bind ? " and is no interface of this machine" : "");
}

void
pp_cli_resolve (const pp_common_t *common, const char *flag,
                const char *endpoint, bool bind)
{
    char why[512];
    int rc = pp_cli_resolve_check (endpoint, bind, why, sizeof (why));
    if (rc == PP_EAGAIN)
        zsys_warning ("%s: %s", pp_config_source (common, flag), why);
    else if (rc != 0)
        pp_cli_usage_error ("%s: %s", pp_config_source (common, flag), why);
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
