/*  exec_errlog: a command's stderr, tagged or kept for the reason.      */

#include "exec_errlog.h"

#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

void
exec_errlog_init (exec_errlog_t *self, bool tag, bool capture, uint64_t record)
{
    self->tag = tag;
    self->capture = capture;
    self->fd = STDERR_FILENO;
    self->record = record;
    self->line_len = 0;
    self->kept = 0;
}

void
exec_errlog_next (exec_errlog_t *self, uint64_t record)
{
    self->record = record;
    self->kept = 0;
}

void
exec_errlog_restart (exec_errlog_t *self)
{
    self->line_len = 0;
}

size_t
exec_errlog_whole (const char *text, size_t len)
{
    size_t lead = len;
    for (int back = 0; back < 4 && lead > 0; back++)
        if (((unsigned char) text[--lead] & 0xC0) != 0x80)
            break;
    unsigned char c = lead < len ? (unsigned char) text[lead] : 0;
    size_t need = c >= 0xC2 && c <= 0xDF   ? 2
                  : c >= 0xE0 && c <= 0xEF ? 3
                  : c >= 0xF0 && c <= 0xF4 ? 4
                                           : 0; /* ASCII, or not a lead */
    return need && lead + need > len ? lead : len;
}

/*  Writes the first n bytes of the assembled line with its tag, as one
    write (whole lines from several threads do not mix); the rest of the
    line (a character cut at the end of a long one) stays.                 */
static void
s_emit (exec_errlog_t *self, size_t n)
{
    char tail[4];
    size_t rest = self->line_len - n;
    memcpy (tail, self->line + n, rest);
    self->line_len = n;
    if (self->line[self->line_len - 1] != '\n')
        self->line[self->line_len++] = '\n';
    char tag[32];
    int size = snprintf (tag, sizeof (tag), "[%llu] ",
                         (unsigned long long) self->record);
    struct iovec iov[2] = {{tag, (size_t) size}, {self->line, self->line_len}};
    ssize_t rc = writev (self->fd, iov, 2);
    (void) rc; /* nowhere to report that stderr failed */
    memcpy (self->line, tail, rest);
    self->line_len = rest;
}

/*  Keeps the first EXEC_REASON_MAX bytes, on one line.                  */
static void
s_keep (exec_errlog_t *self, const char *data, size_t len)
{
    for (size_t i = 0; i < len && self->kept < EXEC_REASON_MAX; i++) {
        char c = data[i];
        self->reason[self->kept++] =
            c == '\n' || c == '\r' || c == '\t' ? ' ' : c;
    }
}

void
exec_errlog_feed (exec_errlog_t *self, const char *data, size_t len)
{
    if (self->capture)
        s_keep (self, data, len);
    if (!self->tag)
        return;
    for (size_t i = 0; i < len; i++) {
        self->line[self->line_len++] = data[i];
        if (data[i] == '\n')
            s_emit (self, self->line_len);
        else if (self->line_len == EXEC_LINE_MAX - 1) /* cut whole chars */
            s_emit (self, exec_errlog_whole (self->line, self->line_len));
    }
}

void
exec_errlog_flush (exec_errlog_t *self)
{
    if (self->tag && self->line_len > 0)
        s_emit (self, self->line_len);
}

const char *
exec_errlog_text (exec_errlog_t *self)
{
    size_t len = self->kept;
    if (len == EXEC_REASON_MAX) /* cut: not inside a character */
        len = exec_errlog_whole (self->reason, len);
    while (len > 0 && self->reason[len - 1] == ' ')
        len--;
    size_t start = 0;
    while (start < len && self->reason[start] == ' ')
        start++;
    self->reason[len] = '\0';
    return self->reason + start;
}
