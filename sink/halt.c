/*  sink_halt: the --halt spec and its limit (halt.h).                     */

#include "halt.h"
#include "pp_error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_what_names[] = {"fail", "success", "done"};

/*  "WHAT=" at *p: sets *what and moves *p past it. 0 or PP_EINVAL.        */
static int
s_parse_what (const char **p, sink_halt_what_t *what)
{
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen (s_what_names[i]);
        if (strncmp (*p, s_what_names[i], n) == 0 && (*p)[n] == '=') {
            *what = (sink_halt_what_t) i;
            *p += n + 1;
            return 0;
        }
    }
    return PP_EINVAL;
}

/*  "N" or "P%", the whole rest of the spec.                              */
static int
s_parse_limit (const char *p, sink_halt_t *halt)
{
    if (*p < '0' || *p > '9')
        return PP_EINVAL;
    char *end;
    errno = 0;
    unsigned long long n = strtoull (p, &end, 10);
    if (errno != 0 || n == 0)
        return PP_EINVAL;
    halt->percent = *end == '%';
    if (halt->percent)
        end++;
    if (*end != '\0' || (halt->percent && n > 100))
        return PP_EINVAL;
    halt->limit = n;
    return 0;
}

int
sink_halt_parse (const char *spec, sink_halt_t *halt)
{
    memset (halt, 0, sizeof (*halt));
    if (strcmp (spec, "never") == 0)
        return 0;
    sink_halt_when_t when;
    if (strncmp (spec, "now,", 4) == 0)
        when = SINK_HALT_NOW;
    else if (strncmp (spec, "soon,", 5) == 0)
        when = SINK_HALT_SOON;
    else
        return PP_EINVAL;
    const char *p = spec + (when == SINK_HALT_NOW ? 4 : 5);
    if (s_parse_what (&p, &halt->what) != 0 || s_parse_limit (p, halt) != 0) {
        memset (halt, 0, sizeof (*halt));
        return PP_EINVAL;
    }
    halt->when = when;
    return 0;
}

bool
sink_halt_reached (const sink_halt_t *halt, uint64_t ok, uint64_t failed,
                   uint64_t dropped)
{
    if (halt->when == SINK_HALT_NEVER)
        return false;
    uint64_t counted = halt->what == SINK_HALT_FAIL ? failed
                       : halt->what == SINK_HALT_SUCCESS
                           ? ok
                           : ok + failed + dropped;
    if (!halt->percent)
        return counted >= halt->limit;
    uint64_t all = ok + failed + dropped;
    return all >= SINK_HALT_MIN_SHARE &&
           (unsigned __int128) counted * 100 >=
               (unsigned __int128) halt->limit * all;
}

void
sink_halt_name (const sink_halt_t *halt, char *out, size_t size)
{
    if (halt->when == SINK_HALT_NEVER) {
        snprintf (out, size, "never");
        return;
    }
    snprintf (out, size, "%s=%llu%s", s_what_names[halt->what],
              (unsigned long long) halt->limit, halt->percent ? "%" : "");
}
