/*  vent_options: pp-ventilator's command line -- its flags, their
    defaults, the --help text, and the checks that exit 2 naming the flag
    and the value. Private to pp-ventilator.                               */

#ifndef VENT_OPTIONS_H_INCLUDED
#define VENT_OPTIONS_H_INCLUDED

#include "pp_cli.h"

#include <stdint.h>

/*  --window-bytes by default; the inbox reads ahead an eighth of it.     */
#define VENT_WINDOW_BYTES (32ULL << 20)

/*  The largest --wait-workers (hellos are remembered in a hash set).     */
#define VENT_MAX_HELLOS 1000000

typedef struct {
    pp_common_t common;
    const char *path;         /* FILE, or NULL / "-" for stdin           */
    char delim;               /* '\n', or '\0' with -0                    */
    uint64_t generate;        /* --generate N                            */
    uint64_t workload;        /* --workload N                            */
    uint64_t seed;            /* --seed S for --workload                 */
    uint64_t skip;            /* --skip N                                */
    double rate;              /* --rate R items/s, 0 = unpaced           */
    uint32_t window;          /* --window: items unacked at most         */
    uint64_t window_bytes;    /* --window-bytes: their memory at most    */
    int64_t ack_timeout_ms;   /* --ack-timeout                    */
    int64_t drain_timeout_ms; /* --drain-timeout, 0 = none        */
    bool drain_timeout_given; /* explicit: bounds the input's end too */
    const char *journal;      /* --journal FILE, or NULL          */
    bool resume;              /* --resume: continue its run       */
    int argc;                 /* the command line, for the resume hint */
    char **argv;
    uint32_t batch;         /* --batch: items per TASK, 0: adapts */
    uint32_t wait_workers;  /* --wait-workers N                 */
    int64_t linger_ms;      /* keep publishing DONE this long          */
    pp_overflow_t overflow; /* --overflow                              */
    const char *spill_dir;  /* --spill-dir                             */
    int64_t heartbeat_ms;   /* --heartbeat: credit flow liveness tick  */
    int liveness;           /* --liveness: ticks missed = dead         */
    uint32_t retries;       /* --retries: failed items sent again      */
    uint32_t max_deliver;   /* --max-deliver: sends of an item, 0 = any */
} vent_options_t;

/*  Fills opt (zeroed, common set up by pp_cli_init) from argv, with the
    defaults for what is not given. Exits 0 after --help or --version,
    2 on a bad flag or value, naming it.                                   */
void vent_options_parse (vent_options_t *opt, int argc, char **argv);

#endif
