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
    "  --flow MODE        push (default) or credit; same on every process\n"
    "  --hwm N            ZeroMQ high-water mark of the data sockets,\n"
    "                     messages (default 100; acks have their own)\n"
    "  --max-item-size S  largest item or result (default 1M; K/M/G)\n"
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
    memset (common, 0, sizeof (*common));
    common->hwm = 100;
    common->max_item = 1024 * 1024;
    common->flow = PP_FLOW_PUSH;
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
    if (pp_overflow_parse (value, &overflow) != 0)
        pp_cli_usage_error ("%s: '%s' is not block, drop or spill", flag,
                            value);
    return overflow;
}

int64_t
pp_cli_number (const char *flag, const char *value, int64_t min, int64_t max)
{
    char *end = NULL;
    errno = 0;
    long long n = strtoll (value, &end, 10);
    if (errno || end == value || *end != '\0')
        pp_cli_usage_error ("%s: '%s' is not a whole number", flag, value);
    if (n < min || n > max)
        pp_cli_usage_error ("%s: %s is out of range (%lld..%lld)", flag, value,
                            (long long) min, (long long) max);
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

/*  The endpoint flags, their variables, and how a message names each.    */
typedef struct {
    const char *flag;
    const char *env;
    const char *from_env; /* the flag named with the variable it came from */
    const char *fallback;
} s_endpoint_t;

static const s_endpoint_t s_endpoints[] = {
    {"--tasks", "PP_TASKS", "--tasks (from PP_TASKS)", PP_DEFAULT_TASKS},
    {"--results", "PP_RESULTS", "--results (from PP_RESULTS)",
     PP_DEFAULT_RESULTS},
    {"--control", "PP_CONTROL", "--control (from PP_CONTROL)",
     PP_DEFAULT_CONTROL},
    {"--acks", "PP_ACKS", "--acks (from PP_ACKS)", PP_DEFAULT_ACKS}};
#define S_ENDPOINTS (sizeof (s_endpoints) / sizeof (s_endpoints[0]))

static int s_why (char *why, size_t size, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static int
s_why (char *why, size_t size, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    vsnprintf (why, size, fmt, args);
    va_end (args);
    return PP_EINVAL;
}

/*  PORT of tcp://HOST:PORT: a number 1..65535. Port 0 or `*` would bind a
    port chosen at random, which no peer could find.                       */
static int
s_check_port (const char *endpoint, const char *port, char *why, size_t size)
{
    size_t digits = strspn (port, "0123456789");
    if (*port == '\0')
        return s_why (why, size,
                      "'%s' has no port (write tcp://HOST:PORT, PORT "
                      "1..65535)",
                      endpoint);
    if (strcmp (port, "*") == 0)
        return s_why (why, size,
                      "'%s': port * (any free port) could not be found by "
                      "the peers; give a port 1..65535",
                      endpoint);
    if (port[digits] != '\0')
        return s_why (why, size, "'%s': port '%s' is not a number (1..65535)",
                      endpoint, port);
    unsigned long n = digits > 6 ? 999999 : strtoul (port, NULL, 10);
    if (n == 0)
        return s_why (why, size,
                      "'%s': port 0 (any free port) could not be found by "
                      "the peers; give a port 1..65535",
                      endpoint);
    if (n > 65535)
        return s_why (why, size, "'%s': port %s is out of range (1..65535)",
                      endpoint, port);
    return 0;
}

/*  HOST of tcp://HOST:PORT: an IPv6 address goes in brackets (a bare one
    could not be told from the port), with an optional %zone.             */
static int
s_check_host (const char *endpoint, const char *host, size_t len, char *why,
              size_t size)
{
    if (len == 0)
        return s_why (why, size,
                      "'%s' has no host (write tcp://HOST:PORT; * binds "
                      "every address)",
                      endpoint);
    if (host[0] != '[') {
        if (memchr (host, ':', len) || memchr (host, '[', len) ||
            memchr (host, ']', len))
            return s_why (why, size,
                          "'%s': write an IPv6 address in brackets "
                          "(tcp://[::1]:5557)",
                          endpoint);
        return 0;
    }
    char addr[INET6_ADDRSTRLEN + 64];
    if (len < 3 || host[len - 1] != ']' || len - 2 >= sizeof (addr))
        return s_why (why, size,
                      "'%s': '%.*s' is not an IPv6 address in brackets",
                      endpoint, (int) len, host);
    memcpy (addr, host + 1, len - 2);
    addr[len - 2] = '\0';
    char *zone = strchr (addr, '%');
    if (zone)
        *zone++ = '\0';
    struct in6_addr in6;
    if (inet_pton (AF_INET6, addr, &in6) != 1 || (zone && *zone == '\0'))
        return s_why (why, size,
                      "'%s': '%.*s' is not an IPv6 address in brackets",
                      endpoint, (int) len, host);
    return 0;
}

static int
s_check_tcp (const char *endpoint, char *why, size_t size)
{
    /*  libzmq's connect form tcp://SOURCE;HOST:PORT: the peer is last.    */
    const char *dest = strchr (endpoint + 6, ';');
    dest = dest ? dest + 1 : endpoint + 6;
    const char *colon = strrchr (dest, ':');
    const char *bracket = strrchr (dest, ']');
    if (!colon || (bracket && colon < bracket))
        return s_why (why, size,
                      "'%s' has no port (write tcp://HOST:PORT, PORT "
                      "1..65535)",
                      endpoint);
    int rc = s_check_host (endpoint, dest, (size_t) (colon - dest), why, size);
    return rc ? rc : s_check_port (endpoint, colon + 1, why, size);
}

static int
s_check_ipc (const char *endpoint, char *why, size_t size)
{
    const char *path = endpoint + 6;
    size_t most = sizeof (((struct sockaddr_un *) 0)->sun_path) - 1;
    if (*path == '\0')
        return s_why (why, size,
                      "'%s' has no path (write ipc:///path/to/socket)",
                      endpoint);
    if (strcmp (path, "*") == 0)
        return s_why (why, size,
                      "'%s': a random path could not be found by the "
                      "peers; give a path",
                      endpoint);
    if (strlen (path) > most)
        return s_why (why, size,
                      "'%s': the path is %zu bytes, a socket path at most "
                      "%zu",
                      endpoint, strlen (path), most);
    return 0;
}

int
pp_cli_endpoint_check (const char *endpoint, char *why, size_t size)
{
    if (strncmp (endpoint, "tcp://", 6) == 0)
        return s_check_tcp (endpoint, why, size);
    if (strncmp (endpoint, "ipc://", 6) == 0)
        return s_check_ipc (endpoint, why, size);
    if (strncmp (endpoint, "inproc://", 9) == 0 && endpoint[9] != '\0')
        return 0;
    return s_why (why, size,
                  "'%s' is not an endpoint (write tcp://HOST:PORT or "
                  "ipc:///path)",
                  endpoint);
}

const char *
pp_cli_source (const pp_common_t *common, const char *flag)
{
    for (size_t i = 0; i < S_ENDPOINTS; i++)
        if (strcmp (flag, s_endpoints[i].flag) == 0)
            return common->from_env & (1u << i) ? s_endpoints[i].from_env
                                                : s_endpoints[i].flag;
    return flag;
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
            if (common->max_item > (1ULL << 30))
                pp_cli_usage_error ("--max-item-size: %s is over 1G", arg);
            break;
        case 1006:
            if (strcmp (arg, "push") == 0)
                common->flow = PP_FLOW_PUSH;
            else if (strcmp (arg, "credit") == 0)
                common->flow = PP_FLOW_CREDIT;
            else
                pp_cli_usage_error ("--flow: '%s' is not push or credit", arg);
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

static const char **
s_endpoint_field (pp_common_t *common, size_t i)
{
    const char **fields[] = {&common->tasks, &common->results, &common->control,
                             &common->acks};
    return fields[i];
}

void
pp_cli_endpoints (pp_common_t *common)
{
    for (size_t i = 0; i < S_ENDPOINTS; i++) {
        const char **value = s_endpoint_field (common, i);
        const char *env = getenv (s_endpoints[i].env);
        if (!*value && env && *env) {
            *value = env;
            common->from_env |= 1u << i;
        } else if (!*value)
            *value = s_endpoints[i].fallback;
    }
    for (size_t i = 0; i < S_ENDPOINTS; i++) {
        char why[256];
        if (pp_cli_endpoint_check (*s_endpoint_field (common, i), why,
                                   sizeof (why)) != 0)
            pp_cli_usage_error (
                "%s: %s", pp_cli_source (common, s_endpoints[i].flag), why);
    }
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

/*  Loads a certificate; a pair (with secret) when need_secret.            */
static zcert_t *
s_load_cert (const char *flag, const char *path, bool need_secret)
{
    if (access (path, R_OK) != 0)
        pp_cli_usage_error ("%s: cannot read %s: %s", flag, path,
                            strerror (errno));
    zcert_t *cert = zcert_load (path);
    if (!cert)
        pp_cli_usage_error ("%s: %s is not a key file (make one with "
                            "--keygen PATH)",
                            flag, path);
    if (need_secret && strcmp (zcert_secret_txt (cert),
                               "0000000000000000000000000000000000000000") == 0)
        pp_cli_usage_error ("%s: %s holds no secret key (give the "
                            "PATH_secret file)",
                            flag, path);
    return cert;
}

void
pp_cli_security (pp_common_t *common, bool server, bool client)
{
    bool any =
        common->curve_secret || common->curve_allow || common->curve_server;
    if (!any)
        return;
    if (!common->curve_secret)
        pp_cli_usage_error ("--curve-secret is needed with --curve-allow "
                            "or --curve-server");
    common->cert = s_load_cert ("--curve-secret", common->curve_secret, true);
    if (server && !common->curve_allow)
        pp_cli_usage_error ("--curve-allow DIR is needed with "
                            "--curve-secret here (the public keys of the "
                            "peers allowed in)");
    if (server) {
        struct stat st;
        if (stat (common->curve_allow, &st) != 0 || !S_ISDIR (st.st_mode))
            pp_cli_usage_error ("--curve-allow: %s is not a directory",
                                common->curve_allow);
        zactor_t *auth = zactor_new (zauth, NULL);
        zstr_sendx (auth, "CURVE", common->curve_allow, NULL);
        zsock_wait (auth);
        common->auth = auth;
    }
    if (client && common->curve_server) {
        zcert_t *server_cert =
            s_load_cert ("--curve-server", common->curve_server, false);
        snprintf (common->server_key, sizeof (common->server_key), "%s",
                  zcert_public_txt (server_cert));
        zcert_destroy (&server_cert);
    } else if (client && server) /* the sink: our key is the servers' key */
        snprintf (common->server_key, sizeof (common->server_key), "%s",
                  zcert_public_txt (common->cert));
    else if (client)
        pp_cli_usage_error ("--curve-server FILE is needed with "
                            "--curve-secret here (the server public key)");
}

void
pp_cli_security_end (pp_common_t *common)
{
    zcert_t *cert = common->cert;
    zcert_destroy (&cert);
    common->cert = NULL;
    zactor_t *auth = common->auth;
    zactor_destroy (&auth);
    common->auth = NULL;
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
                        pp_cli_source (common, flag), endpoint);
}
