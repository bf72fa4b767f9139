/*  pp_config: the library's socket and security settings (pp_common_t),
    shared by the three programs and the worker runtime, and how they are
    completed: endpoints from PP_* or the defaults, CURVE keys loaded.
    Nothing here exits: a bad value comes back as PP_EINVAL with a
    one-line reason naming the flag and the value (the programs turn it
    into exit 2, the worker runtime into a returned error).               */

#ifndef PP_CONFIG_H_INCLUDED
#define PP_CONFIG_H_INCLUDED

#include "pp_worker.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PP_DEFAULT_TASKS "tcp://127.0.0.1:5557"
#define PP_DEFAULT_RESULTS "tcp://127.0.0.1:5558"
#define PP_DEFAULT_CONTROL "tcp://127.0.0.1:5559"
#define PP_DEFAULT_ACKS "tcp://127.0.0.1:5560"

/*  Largest item or result there may be (--max-item-size).                 */
#define PP_MAX_ITEM_LIMIT (1ULL << 30)

/*  What every process's sockets are set up with.                          */
typedef struct {
    const char *tasks;        /* --tasks / PP_TASKS                      */
    const char *results;      /* --results / PP_RESULTS                  */
    const char *control;      /* --control / PP_CONTROL                  */
    const char *acks;         /* --acks / PP_ACKS                        */
    int hwm;                  /* --hwm: ZeroMQ high-water mark           */
    uint64_t max_item;        /* --max-item-size, bytes                  */
    pp_flow_t flow;           /* --flow push|credit                      */
    bool insecure;            /* --insecure: allow plaintext off-host    */
    const char *curve_secret; /* --curve-secret: our key pair            */
    const char *curve_allow;  /* --curve-allow: dir of allowed clients   */
    const char *curve_server; /* --curve-server: the servers' public key */
    /*  Set up by pp_config_security: used by pp_net_socket.               */
    void *cert;          /* zcert_t: our key pair, or NULL          */
    char server_key[41]; /* Z85 public key of the servers, or ""    */
    void *auth;          /* zactor_t running zauth, or NULL         */
    unsigned from_env;   /* endpoints taken from PP_*: bit per flag,
                            set by pp_config_endpoints                 */
    unsigned given;      /* PP_GIVEN_*: run settings given as flags;
                            a worker or sink adopts the others         */
} pp_common_t;

/*  Run-wide settings given on the command line (pp_common_t.given).      */
enum { PP_GIVEN_MAX_ITEM = 1, PP_GIVEN_FLOW = 2 };

/*  Writes the reason for a refused setting into why (when given, at most
    size bytes). Returns PP_EINVAL, for `return pp_config_why (...)`.     */
int pp_config_why (char *why, size_t size, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/*  The defaults: no endpoints yet, hwm 100, max_item 1 MiB, push flow.    */
void pp_config_defaults (pp_common_t *common);

/*  Fills unset endpoints from PP_TASKS, ... or the defaults, then checks
    each one's form (pp_config_endpoint_check). Returns 0, or PP_EINVAL
    with why filled, naming the flag, the variable it came from and the
    value. Run twice, it keeps what it took from PP_*.                     */
int pp_config_endpoints (pp_common_t *common, char *why, size_t size);

/*  Checks an endpoint's form: tcp://HOST:PORT (PORT 1..65535; HOST `*`,
    an IPv4 address, an IPv6 address in brackets, a host or interface
    name), ipc://PATH that fits a socket address, or inproc://NAME.
    Returns 0, or PP_EINVAL with why filled (the value named in it).      */
int pp_config_endpoint_check (const char *endpoint, char *why, size_t size);

/*  How to name the endpoint flag in a message: "--tasks", or
    "--tasks (from PP_TASKS)" when pp_config_endpoints took it from there. */
const char *pp_config_source (const pp_common_t *common, const char *flag);

/*  Sets up CURVE: loads our key pair, and as a server (binds) starts zauth
    allowing the public keys in curve_allow, as a client (connects) takes
    the servers' public key. Nothing to do without curve_secret,
    curve_allow and curve_server. Returns 0, or PP_EINVAL with why filled
    (a file missing or a flag needed): pp_config_security_end then releases
    what was set up, as it does after success.                             */
int pp_config_security (pp_common_t *common, bool server, bool client,
                        char *why, size_t size);
void pp_config_security_end (pp_common_t *common);

#endif
