/*  pp_parse: value parsers with no side effects.                          */

#include "pp_parse.h"
#include "pp_error.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
pp_parse_int64 (const char *text, size_t len, int64_t *value)
{
    char digits[32];
    while (len > 0 && isspace ((unsigned char) *text)) {
        text++;
        len--;
    }
    while (len > 0 && isspace ((unsigned char) text[len - 1]))
        len--;
    if (len == 0 || len >= sizeof (digits))
        return PP_EINVAL;
    memcpy (digits, text, len);
    digits[len] = '\0';
    char *end = NULL;
    errno = 0;
    long long n = strtoll (digits, &end, 10);
    if (errno || *end != '\0' || isspace ((unsigned char) digits[0]))
        return PP_EINVAL;
    *value = n;
    return 0;
}

int
pp_parse_number (const char *text, int64_t min, int64_t max, int64_t *value)
{
    char *end = NULL;
    errno = 0;
    long long n = strtoll (text, &end, 10);
    if (errno || end == text || *end != '\0')
        return PP_EINVAL;
    if (n < min || n > max)
        return PP_ERANGE;
    *value = n;
    return 0;
}

/*  Milliseconds in one unit of a duration suffix, or 0.                   */
static double
s_unit_ms (const char *unit)
{
    if (strcmp (unit, "ms") == 0)
        return 1;
    if (strcmp (unit, "s") == 0)
        return 1000;
    if (strcmp (unit, "m") == 0)
        return 60000;
    if (strcmp (unit, "h") == 0)
        return 3600000;
    return 0;
}

int
pp_parse_duration_ms (const char *text, int64_t *ms)
{
    if (strcmp (text, "0") == 0) { /* nothing needs no unit           */
        *ms = 0;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    double n = strtod (text, &end);
    double scale = errno == 0 && end != text && n >= 0 ? s_unit_ms (end) : 0;
    if (scale == 0 || n * scale > 1e12)
        return PP_EINVAL;
    *ms = (int64_t) (n * scale + 0.5);
    return 0;
}

/*  Bytes in one unit of a size suffix, or 0.                              */
static uint64_t
s_unit_bytes (const char *unit)
{
    if (*unit == '\0' || strcmp (unit, "B") == 0)
        return 1;
    if (strcmp (unit, "K") == 0 || strcmp (unit, "KiB") == 0)
        return 1ULL << 10;
    if (strcmp (unit, "M") == 0 || strcmp (unit, "MiB") == 0)
        return 1ULL << 20;
    if (strcmp (unit, "G") == 0 || strcmp (unit, "GiB") == 0)
        return 1ULL << 30;
    return 0;
}

int
pp_parse_size (const char *text, uint64_t *bytes)
{
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull (text, &end, 10);
    uint64_t scale =
        (errno == 0 || errno == ERANGE) && end != text && text[0] != '-'
            ? s_unit_bytes (end)
            : 0;
    if (scale == 0)
        return PP_EINVAL;
    if (n == 0 || errno == ERANGE || n > (UINT64_MAX >> 2) / scale)
        return PP_ERANGE;
    *bytes = n * scale;
    return 0;
}

int
pp_parse_overflow (const char *text, pp_overflow_t *overflow)
{
    if (strcmp (text, "block") == 0)
        *overflow = PP_OVERFLOW_BLOCK;
    else if (strcmp (text, "drop") == 0)
        *overflow = PP_OVERFLOW_DROP;
    else if (strcmp (text, "spill") == 0)
        *overflow = PP_OVERFLOW_SPILL;
    else
        return PP_EINVAL;
    return 0;
}

int
pp_parse_flow (const char *text, pp_flow_t *flow)
{
    if (strcmp (text, "push") == 0)
        *flow = PP_FLOW_PUSH;
    else if (strcmp (text, "credit") == 0)
        *flow = PP_FLOW_CREDIT;
    else
        return PP_EINVAL;
    return 0;
}
