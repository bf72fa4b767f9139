/*  pp_cli: what the three binaries share on the command line.

    Endpoint flags with PP_* environment fallback, duration and size parsing,
    protected mode, logging verbosity, and usage errors that exit 2 with a
    one-line reason naming the flag and the value, plus a hint. It lives in
    cli/, linked into the binaries alone: the library never exits. Each
    exiting function here wraps one that returns (pp_config, pp_parse).    */

#ifndef PP_CLI_H_INCLUDED
#define PP_CLI_H_INCLUDED

#include "pp_config.h"
#include "pp_error.h"
#include "pp_parse.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

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
    stderr under that name (stdout is for results); keeps freed memory of
    up to 8 MiB blocks in the heap for reuse (mallopt: big items' buffers
    are not mapped anew, page by page, each time).                         */
void pp_cli_init (pp_common_t *common, const char *prog);

/*  Handles one shared option (opt as getopt_long returned it). Returns
    true when opt was one of them; exits 2 on a bad value, 0 after --version
    (help is the caller's: it prints its own text).                        */
bool pp_cli_common_option (pp_common_t *common, int opt, const char *arg);

/*  Fills unset endpoints from PP_TASKS, ... or the defaults, then checks
    each one's form (pp_config_endpoints): exits 2 naming the flag, the
    variable it came from and the value when one is bad.                  */
void pp_cli_endpoints (pp_common_t *common);

/*  Prints "prog: MESSAGE" and the --help hint on stderr, exits 2.         */
void pp_cli_usage_error (const char *fmt, ...)
    __attribute__ ((noreturn, format (printf, 1, 2)));

/*  Handles getopt's '?' over longs (the binary's long options): exits 2
    with pp_cli_option_error's reason.                                     */
void pp_cli_bad_option (int argc, char **argv, const struct option *longs)
    __attribute__ ((noreturn));

/*  Why getopt refused word (optopt as it set it, for a short option):
    an option that needs a value and has none, one that takes none and
    was given one, an ambiguous abbreviation (naming the candidates), or
    an unknown option -- with the nearest of longs when one is near (a
    typo: edit distance). Into why (size bytes).                           */
void pp_cli_option_error (const char *word, int optopt,
                          const struct option *longs, char *why, size_t size);

/*  The long option of longs nearest to name (edit distance, a swap of
    two neighbours counting one), when it is near enough to be a typo of
    it; else NULL.                                                         */
const char *pp_cli_nearest_option (const char *name,
                                   const struct option *longs);

/*  What an output path is to be, for pp_cli_output_check.                */
typedef enum {
    PP_CLI_OUT_FILE,   /* a file written (created, or one there replaced) */
    PP_CLI_OUT_BESIDE, /* a file, with files made beside it (FILE.journal,
                          FILE.new): its directory must take them         */
    PP_CLI_OUT_DIR     /* a directory files are made in                    */
} pp_cli_out_t;

/*  Checks, before anything is created or truncated, that path can be
    written as kind says: an existing file writable (and not a directory),
    or a new one's directory there and writable; a directory there and
    writable. Returns 0, or PP_EINVAL with why (path, what was checked
    and the errno text). Special files (/dev/null, a FIFO) pass as they
    are.                                                                   */
int pp_cli_output_check (const char *path, pp_cli_out_t kind, char *why,
                         size_t size);

/*  pp_cli_output_check at start: exits 2 naming the flag when it fails.   */
void pp_cli_output (const char *flag, const char *path, pp_cli_out_t kind);

/*  Parses "250ms", "2s", "1m", "1h" or a bare "0" (pp_parse_duration_ms).
    Exits 2 naming flag and value when bad.                                */
int64_t pp_cli_duration_ms (const char *flag, const char *value);

/*  Parses "1024", "64K", "1M", "2G" (binary units: pp_parse_size). Exits
    2 naming flag and value when bad.                                      */
uint64_t pp_cli_size (const char *flag, const char *value);

/*  Parses --overflow's "block", "drop" or "spill".
    Exits 2 naming the flag and the value when it is none of them.         */
pp_overflow_t pp_cli_overflow (const char *flag, const char *value);

/*  Parses a whole number in [min, max]. Exits 2 naming flag and value.    */
int64_t pp_cli_number (const char *flag, const char *value, int64_t min,
                       int64_t max);

/*  Sets up CURVE after parsing (pp_config_security): exits 2 naming the
    flag when a file is missing or a needed flag is not given. Call once;
    pp_cli_security_end releases it.                                        */
void pp_cli_security (pp_common_t *common, bool server, bool client);
void pp_cli_security_end (pp_common_t *common);

/*  True when an endpoint (checked by pp_config_endpoint_check) never leaves
    this machine: ipc://, inproc://, or tcp:// on 127.0.0.0/8, [::1],
    localhost or the interface lo. `*`, every other address and every
    other interface name may be reached from elsewhere.                   */
bool pp_cli_endpoint_is_local (const char *endpoint);

/*  Checks that HOST of a tcp endpoint (checked by pp_config_endpoint_check)
    can be found: an address, `*`, binding an interface of this machine,
    or a host name that resolves. Returns 0; PP_EINVAL with why when the
    name does not resolve; PP_EAGAIN with why when the resolver cannot
    answer now (no DNS server reached: the peer may be found later).      */
int pp_cli_resolve_check (const char *endpoint, bool bind, char *why,
                          size_t size);

/*  pp_cli_resolve_check at start for the endpoint of flag: exits 2
    naming the flag (and its PP_* variable) when the host does not
    resolve; warns when it cannot be looked up now.                       */
void pp_cli_resolve (const pp_common_t *common, const char *flag,
                     const char *endpoint, bool bind);

/*  Protected mode: refuses (exit 2) to bind a plaintext tcp endpoint that
    is not local (pp_cli_endpoint_is_local) unless --insecure was given.   */
void pp_cli_check_bind (const pp_common_t *common, const char *flag,
                        const char *endpoint);

/*  Raises the soft limit on open files (ulimit -n) to the hard one: each
    worker connected costs the ventilator and the sink descriptors, and
    the usual soft 1024 would cap a run at a few hundred workers. Says so
    at -v; a limit it cannot raise is left as it is.                       */
void pp_cli_raise_fd_limit (void);

/*  The program name given to pp_cli_init.                                 */
const char *pp_cli_prog (void);

/*  argv as a POSIX shell line (each word quoted where it needs it) plus
    " --resume" unless it has it: the command that continues a run. Into
    out (size bytes, cut short if it must be).                            */
void pp_cli_resume_line (int argc, char **argv, char *out, size_t size);

/*  A copy of the argv array (the strings are argv's), taken before
    getopt_long reorders it, for pp_cli_resume_line; free it. NULL on
    OOM.                                                                   */
char **pp_cli_argv_copy (int argc, char **argv);

#endif
