/*  pp_text: any bytes as valid, column-safe UTF-8 text.                   */

#include "pp_text.h"

#include <stdio.h>
#include <string.h>

size_t
pp_text_char_len (const unsigned char *p, size_t len)
{
    if (len == 0)
        return 0;
    if (p[0] < 0x80)
        return 1;
    size_t need;
    unsigned char lo = 0x80, hi = 0xbf; /* range of the second byte     */
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        need = 2;
    else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        need = 3;
        if (p[0] == 0xe0)
            lo = 0xa0; /* overlong                                     */
        else if (p[0] == 0xed)
            hi = 0x9f; /* surrogates                                   */
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        need = 4;
        if (p[0] == 0xf0)
            lo = 0x90; /* overlong                                     */
        else if (p[0] == 0xf4)
            hi = 0x8f; /* past U+10FFFF                                */
    } else
        return 0;
    if (len < need || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return need;
}

/*  The escape for byte c, or NULL when c is shown as it is.              */
static const char *
s_escape (unsigned char c, char buf[5])
{
    switch (c) {
        case '\t': return "\\t";
        case '\n': return "\\n";
        case '\r': return "\\r";
        default: break;
    }
    if (c >= 0x20 && c != 0x7f)
        return NULL;
    snprintf (buf, 5, "\\x%02x", c);
    return buf;
}

size_t
pp_text_escape (char *out, size_t size, const char *data, size_t len)
{
    const unsigned char *p = (const unsigned char *) data;
    size_t at = 0, used = 0;
    while (used < len) {
        char buf[5];
        const char *shown = NULL;
        size_t take = pp_text_char_len (p + used, len - used);
        if (take == 1)
            shown = s_escape (p[used], buf);
        else if (take == 0) {
            snprintf (buf, sizeof (buf), "\\x%02x", p[used]);
            shown = buf;
            take = 1;
        }
        size_t width = shown ? strlen (shown) : take;
        if (at + width >= size)
            break;
        memcpy (out + at, shown ? shown : (const char *) p + used, width);
        at += width;
        used += take;
    }
    out[at] = '\0';
    return used;
}
