/*  pp_text: bytes from anywhere (items, results, reasons, host names) as
    text that is always valid UTF-8 and fits a column: for the summary,
    logs, JSON and the job log. Nothing is replaced by '?': what cannot be
    shown as it is is escaped, so the bytes can be told apart.             */

#ifndef PP_TEXT_H_INCLUDED
#define PP_TEXT_H_INCLUDED

#include <stddef.h>

/*  Writes len bytes of data into out (size bytes, size >= 1) as text:
    valid UTF-8 passes as it is; a tab, newline and carriage return become
    \t \n \r, any other control byte and every byte that is not part of a
    valid UTF-8 sequence (a Latin-1 byte, a cut or overlong sequence, a
    surrogate) becomes \xHH. Stops before what does not fit whole -- a
    character or an escape is never cut -- and NUL-terminates. Returns the
    number of bytes of data shown (len when all of it fit).                 */
size_t pp_text_escape (char *out, size_t size, const char *data, size_t len);

/*  Length of the valid UTF-8 sequence at the start of data (len bytes):
    1..4, or 0 when the first byte does not start one.                     */
size_t pp_text_char_len (const unsigned char *data, size_t len);

#endif
