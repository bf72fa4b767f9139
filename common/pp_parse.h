/*  pp_parse: the values of flags and items, parsed without side effects.

    Each function returns 0 with the value, or a negative code and leaves
    the value as it was: the caller says what was wrong and where (the
    binaries name the flag; see cli/pp_cli.h).                             */

#ifndef PP_PARSE_H_INCLUDED
#define PP_PARSE_H_INCLUDED

#include "pp_worker.h"

#include <stddef.h>
#include <stdint.h>

/*  Parses a whole int64 in len bytes (optional sign, surrounding blanks
    allowed). Returns 0 or PP_EINVAL. The square job and the sink's --sum. */
int pp_parse_int64 (const char *text, size_t len, int64_t *value);

/*  Parses a whole number in [min, max]. Returns 0, PP_EINVAL (not a whole
    number) or PP_ERANGE (outside the range).                              */
int pp_parse_number (const char *text, int64_t min, int64_t max,
                     int64_t *value);

/*  Parses a duration: "250ms", "2s", "1.5m", "1h" (a unit is required), or
    a bare "0". Returns 0 with milliseconds (rounded), or PP_EINVAL when it
    is none of them, negative or over 10^12 ms.                            */
int pp_parse_duration_ms (const char *text, int64_t *ms);

/*  Parses a size: "4096", "4096B", "64K", "1M", "2G" (binary units; KiB,
    MiB, GiB too). Returns 0 with bytes, PP_EINVAL when it is none of
    them (or negative), or PP_ERANGE when it is 0 or over 2^62 bytes.      */
int pp_parse_size (const char *text, uint64_t *bytes);

/*  Parses "block", "drop" or "spill". Returns 0 or PP_EINVAL.             */
int pp_parse_overflow (const char *text, pp_overflow_t *overflow);

/*  Parses "push" or "credit". Returns 0 or PP_EINVAL.                     */
int pp_parse_flow (const char *text, pp_flow_t *flow);

#endif
