/*  sink_format: the output's lines with --tag and --jsonl, built in a
    buffer the caller keeps (one per sink), so the output, or --ordered's
    reorder buffer, takes them as it takes a plain result.

    --tag:   the item's input as text (pp_text_escape: valid UTF-8, a tab or
             newline escaped, so the tag is the line's first column), a
             tab, then the result as it is (as without --tag).
    --jsonl: one JSON object, every outcome: {"seq": S, "record": R,
             "input": "..." (null when the item came without it:
             rerun.h), "outcome": "ok", "result": "..." or null,
             "reason": null or "...", "worker": "0000abcd"}; the strings
             are pp_text_escape's text, so the object is valid UTF-8.     */

#ifndef SINK_FORMAT_H_INCLUDED
#define SINK_FORMAT_H_INCLUDED

#include "pp_wire.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    SINK_FORMAT_PLAIN = 0, /* the result alone                         */
    SINK_FORMAT_TAG,       /* --tag                                    */
    SINK_FORMAT_JSONL      /* --jsonl                                  */
} sink_format_mode_t;

typedef struct {
    char *data;
    size_t len, cap;
    int error; /* PP_ENOMEM once a growth failed                  */
} sink_format_buf_t;

/*  Builds rec's line (without the output's delimiter) in buf, replacing
    what it held, for mode TAG or JSONL; worker_id is the worker that sent
    rec. Returns 0, or PP_ENOMEM.                                          */
int sink_format_line (sink_format_buf_t *buf, sink_format_mode_t mode,
                      uint32_t worker_id, const pp_record_t *rec);

/*  Frees what buf holds.                                                  */
void sink_format_free (sink_format_buf_t *buf);

#endif
