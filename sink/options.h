/*  sink_options: pp-sink's command line -- its flags and their defaults,
    the checks between them, and --help.                                  */

#ifndef SINK_OPTIONS_H_INCLUDED
#define SINK_OPTIONS_H_INCLUDED

#include "format.h"
#include "halt.h"
#include "pp_cli.h"
#include "progress.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    pp_common_t common;
    const char *output_path;       /* --output, else stdout                */
    const char *stats_json;        /* --stats-json                         */
    bool sum;                      /* --sum                                */
    bool ordered;                  /* --ordered                            */
    uint64_t buffer_bytes;         /* --buffer-bytes: each buffer's bound  */
    bool resume;                   /* --resume: continue FILE after a crash */
    char delim;                    /* ends each output record: '\n', or
                                      '\0' with -0 (not --jsonl)        */
    char input_delim;              /* the input's form, for --failed:
                                      '\n', or '\0' with -0             */
    sink_progress_mode_t progress; /* never AUTO once parsed               */
    const char *joblog;            /* --joblog FILE                        */
    const char *failed;            /* --failed FILE                        */
    sink_format_mode_t format;     /* --tag, --jsonl                       */
    sink_halt_t halt;              /* --halt                               */
    int64_t
        ventilator_timeout_ms; /* give up on a silent ventilator (0: never) */
    int64_t drain_timeout_ms;  /* a drain not complete by then aborts     */
    bool drain_timeout_given;  /* explicit: the ventilator's drain too    */
    int argc;                  /* the command line, for the resume hint   */
    char **argv;
} sink_options_t;

/*  Parses argv into opt, which is zeroed and whose common part is set up
    by pp_cli_init. Exits 2 naming the flag on a usage error, 0 after
    --help or --version.                                                   */
void sink_options_parse (sink_options_t *opt, int argc, char **argv);

#endif
