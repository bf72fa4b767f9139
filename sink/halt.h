/*  sink_halt: --halt, as GNU parallel's -- when the outcomes recorded so
    far reach a limit, the sink stops the run: "now" asks the ventilator
    to abort, "soon" to drain (nothing more is read; what was sent ends).

    The spec is WHEN,WHAT=N or WHEN,WHAT=P%: WHEN is now or soon; WHAT is
    fail (failed items), success (ok items) or done (either); N >= 1 a
    count, P in 1..100 a share of the outcomes recorded so far, judged
    from the 3rd outcome on (so one early failure does not halt a big
    run). "never" is no halt. Dropped items count for done only.          */

#ifndef SINK_HALT_H_INCLUDED
#define SINK_HALT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SINK_HALT_MIN_SHARE 3 /* outcomes recorded before P% is judged */

typedef enum {
    SINK_HALT_NEVER = 0,
    SINK_HALT_NOW,
    SINK_HALT_SOON
} sink_halt_when_t;
typedef enum {
    SINK_HALT_FAIL,
    SINK_HALT_SUCCESS,
    SINK_HALT_DONE
} sink_halt_what_t;

typedef struct {
    sink_halt_when_t when;
    sink_halt_what_t what;
    bool percent; /* limit is a share (1..100), else a count (>= 1)  */
    uint64_t limit;
} sink_halt_t;

/*  Parses spec into *halt. Returns 0, or PP_EINVAL (*halt is then
    SINK_HALT_NEVER) for anything else: an unknown word, a count of 0, a
    share outside 1..100, trailing bytes.                                  */
int sink_halt_parse (const char *spec, sink_halt_t *halt);

/*  True when outcomes ok, failed, dropped reach halt's limit.             */
bool sink_halt_reached (const sink_halt_t *halt, uint64_t ok, uint64_t failed,
                        uint64_t dropped);

/*  The limit as it was given, "fail=3" or "fail=10%", for messages.       */
void sink_halt_name (const sink_halt_t *halt, char *out, size_t size);

#endif
