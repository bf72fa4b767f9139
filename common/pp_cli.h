/*  pp_cli: what the three binaries share on the command line.

    Endpoint flags with PP_* environment fallback, duration and size parsing,
    protected mode, logging verbosity, and usage errors that exit 2 with a
    one-line reason naming the flag and the value, plus a hint.            */

#ifndef PP_CLI_H_INCLUDED
#define PP_CLI_H_INCLUDED

#include "pp_chan.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#define PP_EXIT_OK 0
#define PP_EXIT_RUNTIME 1
#define PP_EXIT_USAGE 2
#define PP_EXIT_ABORTED 3
#define PP_EXIT_FAILED 4

#define PP_DEFAULT_TASKS "tcp://127.0.0.1:5557"
#define PP_DEFAULT_RESULTS "tcp://127.0.0.1:5558"
#define PP_DEFAULT_CONTROL "tcp://127.0.0.1:5559"
#define PP_DEFAULT_ACKS "tcp://127.0.0.1:5560"

typedef enum { PP_FLOW_PUSH = 0, PP_FLOW_CREDIT = 1 } pp_flow_t;

/*  Options every binary takes.                                             */
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
    /*  Set up by pp_cli_security: used by pp_net_socket.                  */
    void *cert;          /* zcert_t: our key pair, or NULL          */
    char server_key[41]; /* Z85 public key of the servers, or ""    */
    void *auth;          /* zactor_t running zauth, or NULL         */
    unsigned from_env;   /* endpoints taken from PP_*: bit per flag,
                            set by pp_cli_endpoints                    */
} pp_common_t;

/*  Long options shared by all binaries; their values start at 1000.       */
#define PP_CLI_COMMON_OPTIONS                                                  \
    {"tasks", required_argument, 0, 1000},                                     \
        {"results", required_argument, 0, 1001},                               \
        {"control", required_argument, 0, 1002},                               \
        {"acks", required_argument, 0, 1003},                                  \
        {"hwm", required_argument, 0, 1004},                                   \
        {"max-item-size", required_argument, 0, 1005},                         \
        {"flow", required_argument, 0, 1006},                                  \
        {"insecure", no_argument, 0, 1007}, {"help", no_argument, 0, 'h'},     \
        {"version", no_argument, 0, 1008}, {"verbose", no_argument, 0, 'v'},   \
        {"quiet", no_argument, 0, 'q'},                                        \
        {"keygen", required_argument, 0, 1009},                                \
        {"curve-secret", required_argument, 0, 1010},                          \
        {"curve-allow", required_argument, 0, 1011},                           \
    {                                                                          \
        "curve-server", required_argument, 0, 1012                             \
    }

/*  Help text for the shared options, for each binary's --help.            */
extern const char *pp_cli_common_help;

/*  Prints head, the shared options, then tail on stdout; exits 0.        */
void pp_cli_help (const char *head, const char *tail)
    __attribute__ ((noreturn));

/*  Logging verbosity: 0 quiet (errors), 1 normal, 2 verbose (-v).         */
extern int pp_verbosity;

/*  Sets defaults and the program name used in messages; starts logging on
    stderr under that name (stdout is for results).                        */
void pp_cli_init (pp_common_t *common, const char *prog);

/*  Handles one shared option (opt as getopt_long returned it). Returns
    true when opt was one of them; exits 2 on a bad value, 0 after --version
    (help is the caller's: it prints its own text).                        */
bool pp_cli_common_option (pp_common_t *common, int opt, const char *arg);

/*  Fills unset endpoints from PP_TASKS, ... or the defaults, then checks
    each one's form (pp_cli_endpoint_check): exits 2 naming the flag, the
    variable it came from and the value when one is bad.                  */
void pp_cli_endpoints (pp_common_t *common);

/*  Checks an endpoint's form: tcp://HOST:PORT (PORT 1..65535; HOST `*`,
    an IPv4 address, an IPv6 address in brackets, a host or interface
    name), ipc://PATH that fits a socket address, or inproc://NAME.
    Returns 0, or PP_EINVAL with why filled (the value named in it).      */
int pp_cli_endpoint_check (const char *endpoint, char *why, size_t size);

/*  How to name the endpoint flag in a message: "--tasks", or
    "--tasks (from PP_TASKS)" when pp_cli_endpoints took it from there.   */
const char *pp_cli_source (const pp_common_t *common, const char *flag);

/*  Prints "prog: MESSAGE" and the --help hint on stderr, exits 2.         */
void pp_cli_usage_error (const char *fmt, ...)
    __attribute__ ((noreturn, format (printf, 1, 2)));

/*  Handles getopt's '?' and leftover arguments: exits 2 naming them.      */
void pp_cli_bad_option (int argc, char **argv);

/*  Parses "250ms", "2s", "1m", "1h" (a bare number is refused: a unit is
    required). Exits 2 naming flag and value when bad.                     */
int64_t pp_cli_duration_ms (const char *flag, const char *value);

/*  Parses "1024", "64K", "1M", "2G" (binary units). Exits 2 when bad.     */
uint64_t pp_cli_size (const char *flag, const char *value);

/*  Parses --overflow's "block", "drop" or "spill" (pp_chan_set_*).
    Exits 2 naming the flag and the value when it is none of them.         */
pp_overflow_t pp_cli_overflow (const char *flag, const char *value);

/*  Parses a whole number in [min, max]. Exits 2 naming flag and value.    */
int64_t pp_cli_number (const char *flag, const char *value, int64_t min,
                       int64_t max);

/*  Sets up CURVE after parsing: loads our key pair, and as a server
    (binds) starts zauth allowing the public keys in --curve-allow, as a
    client (connects) takes the servers' public key. Exits 2 naming the
    flag when a file is missing or a needed flag is not given. Call once;
    pp_cli_security_end releases it.                                        */
void pp_cli_security (pp_common_t *common, bool server, bool client);
void pp_cli_security_end (pp_common_t *common);

/*  True when an endpoint (checked by pp_cli_endpoint_check) never leaves
    this machine: ipc://, inproc://, or tcp:// on 127.0.0.0/8, [::1],
    localhost or the interface lo. `*`, every other address and every
    other interface name may be reached from elsewhere.                   */
bool pp_cli_endpoint_is_local (const char *endpoint);

/*  Protected mode: refuses (exit 2) to bind a plaintext tcp endpoint that
    is not local (pp_cli_endpoint_is_local) unless --insecure was given.   */
void pp_cli_check_bind (const pp_common_t *common, const char *flag,
                        const char *endpoint);

/*  The program name given to pp_cli_init.                                 */
const char *pp_cli_prog (void);

#endif
