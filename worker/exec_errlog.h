/*  exec_errlog: where a command's stderr goes once we read it -- to our
    stderr a line at a time with "[RECORD] " in front (--stderr-tag), and/or
   kept, on one line, for the failure reason (--stderr-reason). Pure buffering:
    no fd of the child's is read here.                                     */

#ifndef WORKER_EXEC_ERRLOG_H_INCLUDED
#define WORKER_EXEC_ERRLOG_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXEC_REASON_MAX 199 /* a whole reason, as pp_stats keeps it */
#define EXEC_LINE_MAX 1024  /* a longer --stderr-tag line is cut in pieces */

typedef struct {
    bool tag;                         /* to fd, "[RECORD] " first */
    bool capture;                     /* kept for the failure reason */
    int fd;                           /* where tagged lines go: stderr */
    uint64_t record;                  /* the tag: the 1-based input record */
    size_t line_len;                  /* of the partial line */
    size_t kept;                      /* of reason */
    char line[EXEC_LINE_MAX];         /* a line being assembled */
    char reason[EXEC_REASON_MAX + 1]; /* stderr, on one line */
} exec_errlog_t;

/*  Empty, for the item of input record record: tagged lines (tag) go to our
   stderr, the first EXEC_REASON_MAX bytes are kept (capture). */
void exec_errlog_init (exec_errlog_t *self, bool tag, bool capture,
                       uint64_t record);

/*  The next item (--pipe: one stderr, many items): record tags what follows
    and the kept reason starts empty; a partial line stays.                */
void exec_errlog_next (exec_errlog_t *self, uint64_t record);

/*  A new child writes from now on: a partial line of the last one, which
    was ended, is dropped.                                                 */
void exec_errlog_restart (exec_errlog_t *self);

/*  Takes len bytes of the child's stderr: each whole line (or each
    EXEC_LINE_MAX - 1 bytes, less a UTF-8 character that would be cut:
    it starts the next piece) is written tagged, in one write, so lines
    from several threads do not mix.                                       */
void exec_errlog_feed (exec_errlog_t *self, const char *data, size_t len);

/*  len, less a UTF-8 character cut at the end of text (text[0..len) is
    where a longer text was cut): where to cut so that no character is
    split. Bytes that are no UTF-8 are not characters: kept.               */
size_t exec_errlog_whole (const char *text, size_t len);

/*  Writes out a last line that had no newline (the stream ended).        */
void exec_errlog_flush (exec_errlog_t *self);

/*  The kept stderr, newlines, CRs and tabs as spaces, trimmed, never cut
    inside a UTF-8 character; "" when none. Valid until the next feed.     */
const char *exec_errlog_text (exec_errlog_t *self);

#endif
