/*  pp_config: endpoints and CURVE keys, checked without exiting.          */

#include "pp_config.h"
#include "pp_error.h"

#include <czmq.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*  Writes the reason into why (when given); returns PP_EINVAL.           */
static int s_why (char *why, size_t size, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static int
s_why (char *why, size_t size, const char *fmt, ...)
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

static const char *
s_env_or (const char *value, const char *env, const char *fallback)
{
    if (value)
        return value;
    const char *from_env = getenv (env);
    return from_env && *from_env ? from_env : fallback;
}

static int
s_check_endpoint (const char *flag, const char *endpoint, char *why,
                  size_t size)
{
    if (strncmp (endpoint, "tcp://", 6) != 0 &&
        strncmp (endpoint, "ipc://", 6) != 0 &&
        strncmp (endpoint, "inproc://", 9) != 0)
        return s_why (why, size,
                      "%s: '%s' is not an endpoint (write "
                      "tcp://HOST:PORT or ipc:///path)",
                      flag, endpoint);
    return 0;
}

int
pp_config_endpoints (pp_common_t *common, char *why, size_t size)
{
    common->tasks = s_env_or (common->tasks, "PP_TASKS", PP_DEFAULT_TASKS);
    common->results =
        s_env_or (common->results, "PP_RESULTS", PP_DEFAULT_RESULTS);
    common->control =
        s_env_or (common->control, "PP_CONTROL", PP_DEFAULT_CONTROL);
    common->acks = s_env_or (common->acks, "PP_ACKS", PP_DEFAULT_ACKS);
    int rc = s_check_endpoint ("--tasks", common->tasks, why, size);
    if (rc == 0)
        rc = s_check_endpoint ("--results", common->results, why, size);
    if (rc == 0)
        rc = s_check_endpoint ("--control", common->control, why, size);
    if (rc == 0)
        rc = s_check_endpoint ("--acks", common->acks, why, size);
    return rc;
}

/*  Loads a certificate into *cert_p; a pair (with secret) when
    need_secret. Returns 0 or PP_EINVAL with why.                         */
static int
s_load_cert (const char *flag, const char *path, bool need_secret,
             zcert_t **cert_p, char *why, size_t size)
{
    if (access (path, R_OK) != 0)
        return s_why (why, size, "%s: cannot read %s: %s", flag, path,
                      strerror (errno));
    zcert_t *cert = zcert_load (path);
    if (!cert)
        return s_why (why, size,
                      "%s: %s is not a key file (make one with "
                      "--keygen PATH)",
                      flag, path);
    if (need_secret &&
        strcmp (zcert_secret_txt (cert),
                "0000000000000000000000000000000000000000") == 0) {
        zcert_destroy (&cert);
        return s_why (why, size,
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
        return s_why (why, size,
                      "--curve-allow DIR is needed with "
                      "--curve-secret here (the public keys of the "
                      "peers allowed in)");
    struct stat st;
    if (stat (common->curve_allow, &st) != 0 || !S_ISDIR (st.st_mode))
        return s_why (why, size, "--curve-allow: %s is not a directory",
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
        return s_why (why, size,
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
        return s_why (why, size,
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
