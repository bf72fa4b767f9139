/*  pp_config: endpoints and CURVE keys, checked without exiting.          */

#include "pp_config.h"
#include "pp_error.h"

#include <arpa/inet.h>
#include <czmq.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int
pp_config_why (char *why, size_t size, const char *fmt, ...)
{
    if (why && size > 0) {
        va_list args;
        va_start (args, fmt);
        vsnprintf (why, size, fmt, args);
        va_end (args);
    }
    return PP_EINVAL;
}

void
pp_config_defaults (pp_common_t *common)
{
    memset (common, 0, sizeof (*common));
    common->hwm = 100;
    common->max_item = 1024 * 1024;
    common->flow = PP_FLOW_PUSH;
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

/*  PORT of tcp://HOST:PORT: a number 1..65535. Port 0 or `*` would bind a
    port chosen at random, which no peer could find.                       */
static int
s_check_port (const char *endpoint, const char *port, char *why, size_t size)
{
    size_t digits = strspn (port, "0123456789");
    if (*port == '\0')
        return pp_config_why (why, size,
                              "'%s' has no port (write tcp://HOST:PORT, PORT "
                              "1..65535)",
                              endpoint);
    if (strcmp (port, "*") == 0)
        return pp_config_why (
            why, size,
            "'%s': port * (any free port) could not be found by "
            "the peers; give a port 1..65535",
            endpoint);
    if (port[digits] != '\0')
        return pp_config_why (why, size,
                              "'%s': port '%s' is not a number (1..65535)",
                              endpoint, port);
    unsigned long n = digits > 6 ? 999999 : strtoul (port, NULL, 10);
    if (n == 0)
        return pp_config_why (
            why, size,
            "'%s': port 0 (any free port) could not be found by "
            "the peers; give a port 1..65535",
            endpoint);
    if (n > 65535)
        return pp_config_why (why, size,
                              "'%s': port %s is out of range (1..65535)",
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
        return pp_config_why (
            why, size,
            "'%s' has no host (write tcp://HOST:PORT; * binds "
            "every address)",
            endpoint);
    if (host[0] != '[') {
        if (memchr (host, ':', len) || memchr (host, '[', len) ||
            memchr (host, ']', len))
            return pp_config_why (why, size,
                                  "'%s': write an IPv6 address in brackets "
                                  "(tcp://[::1]:5557)",
                                  endpoint);
        return 0;
    }
    char addr[INET6_ADDRSTRLEN + 64];
    if (len < 3 || host[len - 1] != ']' || len - 2 >= sizeof (addr))
        return pp_config_why (why, size,
                              "'%s': '%.*s' is not an IPv6 address in brackets",
                              endpoint, (int) len, host);
    memcpy (addr, host + 1, len - 2);
    addr[len - 2] = '\0';
    char *zone = strchr (addr, '%');
    if (zone)
        *zone++ = '\0';
    struct in6_addr in6;
    if (inet_pton (AF_INET6, addr, &in6) != 1 || (zone && *zone == '\0'))
        return pp_config_why (why, size,
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
        return pp_config_why (why, size,
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
        return pp_config_why (why, size,
                              "'%s' has no path (write ipc:///path/to/socket)",
                              endpoint);
    if (strcmp (path, "*") == 0)
        return pp_config_why (why, size,
                              "'%s': a random path could not be found by the "
                              "peers; give a path",
                              endpoint);
    if (strlen (path) > most)
        return pp_config_why (
            why, size,
            "'%s': the path is %zu bytes, a socket path at most "
            "%zu",
            endpoint, strlen (path), most);
    return 0;
}

int
pp_config_endpoint_check (const char *endpoint, char *why, size_t size)
{
    if (strncmp (endpoint, "tcp://", 6) == 0)
        return s_check_tcp (endpoint, why, size);
    if (strncmp (endpoint, "ipc://", 6) == 0)
        return s_check_ipc (endpoint, why, size);
    if (strncmp (endpoint, "inproc://", 9) == 0 && endpoint[9] != '\0')
        return 0;
    return pp_config_why (why, size,
                          "'%s' is not an endpoint (write tcp://HOST:PORT or "
                          "ipc:///path)",
                          endpoint);
}

const char *
pp_config_source (const pp_common_t *common, const char *flag)
{
    for (size_t i = 0; i < S_ENDPOINTS; i++)
        if (strcmp (flag, s_endpoints[i].flag) == 0)
            return common->from_env & (1u << i) ? s_endpoints[i].from_env
                                                : s_endpoints[i].flag;
    return flag;
}

static const char **
s_endpoint_field (pp_common_t *common, size_t i)
{
    const char **fields[] = {&common->tasks, &common->results, &common->control,
                             &common->acks};
    return fields[i];
}

int
pp_config_endpoints (pp_common_t *common, char *why, size_t size)
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
        char reason[256];
        if (pp_config_endpoint_check (*s_endpoint_field (common, i), reason,
                                      sizeof (reason)) != 0)
            return pp_config_why (
                why, size, "%s: %s",
                pp_config_source (common, s_endpoints[i].flag), reason);
    }
    return 0;
}

/*  Loads a certificate into *cert_p; a pair (with secret) when
    need_secret. Returns 0 or PP_EINVAL with why.                         */
static int
s_load_cert (const char *flag, const char *path, bool need_secret,
             zcert_t **cert_p, char *why, size_t size)
{
    if (access (path, R_OK) != 0)
        return pp_config_why (why, size, "%s: cannot read %s: %s", flag, path,
                              strerror (errno));
    zcert_t *cert = zcert_load (path);
    if (!cert)
        return pp_config_why (why, size,
                              "%s: %s is not a key file (make one with "
                              "--keygen PATH)",
                              flag, path);
    if (need_secret &&
        strcmp (zcert_secret_txt (cert),
                "0000000000000000000000000000000000000000") == 0) {
        zcert_destroy (&cert);
        return pp_config_why (why, size,
                              "%s: %s holds no secret key (give the "
                              "PATH_secret file)",
                              flag, path);
    }
    *cert_p = cert;
    return 0;
}

/*  A server: zauth allowing the public keys in curve_allow.              */
static int
s_start_auth (pp_common_t *common, char *why, size_t size)
{
    if (!common->curve_allow)
        return pp_config_why (why, size,
                              "--curve-allow DIR is needed with "
                              "--curve-secret here (the public keys of the "
                              "peers allowed in)");
    struct stat st;
    if (stat (common->curve_allow, &st) != 0 || !S_ISDIR (st.st_mode))
        return pp_config_why (why, size, "--curve-allow: %s is not a directory",
                              common->curve_allow);
    zactor_t *auth = zactor_new (zauth, NULL);
    zstr_sendx (auth, "CURVE", common->curve_allow, NULL);
    zsock_wait (auth);
    common->auth = auth;
    return 0;
}

/*  A client: the servers' public key, from curve_server (the sink, both
    server and client, takes its own).                                     */
static int
s_server_key (pp_common_t *common, bool server, char *why, size_t size)
{
    zcert_t *cert = NULL;
    if (common->curve_server) {
        int rc = s_load_cert ("--curve-server", common->curve_server, false,
                              &cert, why, size);
        if (rc != 0)
            return rc;
    } else if (!server)
        return pp_config_why (why, size,
                              "--curve-server FILE is needed with "
                              "--curve-secret here (the server public key)");
    snprintf (common->server_key, sizeof (common->server_key), "%s",
              zcert_public_txt (cert ? cert : common->cert));
    zcert_destroy (&cert);
    return 0;
}

int
pp_config_security (pp_common_t *common, bool server, bool client, char *why,
                    size_t size)
{
    if (!common->curve_secret && !common->curve_allow && !common->curve_server)
        return 0;
    if (!common->curve_secret)
        return pp_config_why (why, size,
                              "--curve-secret is needed with --curve-allow "
                              "or --curve-server");
    zcert_t *cert = NULL;
    int rc = s_load_cert ("--curve-secret", common->curve_secret, true, &cert,
                          why, size);
    common->cert = cert;
    if (rc == 0 && server)
        rc = s_start_auth (common, why, size);
    if (rc == 0 && client)
        rc = s_server_key (common, server, why, size);
    return rc;
}

void
pp_config_security_end (pp_common_t *common)
{
    zcert_t *cert = common->cert;
    zcert_destroy (&cert);
    common->cert = NULL;
    zactor_t *auth = common->auth;
    zactor_destroy (&auth);
    common->auth = NULL;
}
