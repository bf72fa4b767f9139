/*  sink_format: --tag and --jsonl lines (format.h).                       */

#include "format.h"
#include "rerun.h"
#include "pp_error.h"
#include "pp_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_CHUNK 4096 /* escaped text made at a time               */

/*  Appends len bytes; on failure marks buf (error) and drops them.       */
static void
s_put (sink_format_buf_t *buf, const char *data, size_t len)
{
    if (buf->error)
        return;
    if (buf->len + len + 1 > buf->cap) {
        size_t cap = buf->cap ? buf->cap : 256;
        while (cap < buf->len + len + 1)
            cap *= 2;
        char *grown = realloc (buf->data, cap);
        if (!grown) {
            buf->error = PP_ENOMEM;
            return;
        }
        buf->data = grown;
        buf->cap = cap;
    }
    memcpy (buf->data + buf->len, data, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
}

static void
s_puts (sink_format_buf_t *buf, const char *text)
{
    s_put (buf, text, strlen (text));
}

/*  Appends data as text (pp_text_escape), a chunk at a time; json: as the
    inside of a JSON string (" and \ escaped too).                         */
static void
s_put_text (sink_format_buf_t *buf, const char *data, size_t len, bool json)
{
    char chunk[S_CHUNK];
    size_t used = 0;
    while (used < len) {
        used += pp_text_escape (chunk, sizeof (chunk), data + used, len - used);
        if (!json) {
            s_puts (buf, chunk);
            continue;
        }
        for (const char *p = chunk; *p;) {
            size_t run = strcspn (p, "\"\\"); /* the common case: none  */
            s_put (buf, p, run);
            p += run;
            if (*p) {
                char escaped[2] = {'\\', *p++};
                s_put (buf, escaped, 2);
            }
        }
    }
}

static void
s_put_json (sink_format_buf_t *buf, const char *key, const char *data,
            size_t len, bool present)
{
    s_puts (buf, key);
    if (!present) {
        s_puts (buf, "null");
        return;
    }
    s_put (buf, "\"", 1);
    s_put_text (buf, data, len, true);
    s_put (buf, "\"", 1);
}

static const char *
s_outcome_name (uint8_t outcome)
{
    return outcome == PP_OUTCOME_OK       ? "ok"
           : outcome == PP_OUTCOME_FAILED ? "failed"
                                          : "dropped";
}

/*  Appends value in decimal (no printf: it is per item).                  */
static void
s_put_u64 (sink_format_buf_t *buf, uint64_t value)
{
    char digits[20];
    size_t n = sizeof (digits);
    do {
        digits[--n] = (char) ('0' + value % 10);
        value /= 10;
    } while (value > 0);
    s_put (buf, digits + n, sizeof (digits) - n);
}

static void
s_jsonl (sink_format_buf_t *buf, uint32_t worker_id, const pp_record_t *rec)
{
    static const char hex[] = "0123456789abcdef";
    bool ok = rec->outcome == PP_OUTCOME_OK;
    s_puts (buf, "{\"seq\": ");
    s_put_u64 (buf, rec->seq);
    s_puts (buf, ", \"record\": ");
    s_put_u64 (buf, rec->record);
    s_put_json (buf, ", \"input\": ", rec->input, rec->input_len,
                sink_rerun_has_input (rec));
    s_put_json (buf, ", \"outcome\": ", s_outcome_name (rec->outcome),
                strlen (s_outcome_name (rec->outcome)), true);
    s_put_json (buf, ", \"result\": ", rec->data, rec->len, ok);
    s_put_json (buf, ", \"reason\": ", rec->data, rec->len, !ok);
    char tail[] = ", \"worker\": \"00000000\"}";
    for (int i = 7; i >= 0; i--, worker_id >>= 4)
        tail[13 + i] = hex[worker_id & 0xf];
    s_puts (buf, tail);
}

int
sink_format_line (sink_format_buf_t *buf, sink_format_mode_t mode,
                  uint32_t worker_id, const pp_record_t *rec)
{
    buf->len = 0;
    buf->error = 0;
    if (mode == SINK_FORMAT_JSONL)
        s_jsonl (buf, worker_id, rec);
    else {
        s_put_text (buf, rec->input, rec->input_len, false);
        s_put (buf, "\t", 1);
        s_put (buf, rec->data, rec->len);
    }
    return buf->error;
}

void
sink_format_free (sink_format_buf_t *buf)
{
    free (buf->data);
    *buf = (sink_format_buf_t){0};
}
