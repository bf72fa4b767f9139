/*  test_text: any bytes as valid UTF-8 text (pp_text.h): ASCII and valid
    UTF-8 as they are, control bytes and invalid sequences escaped, cuts
    on character and escape boundaries, and every output valid UTF-8.     */

#include "pp_text.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void
s_expect (const char *data, size_t len, const char *want)
{
    char out[256];
    size_t used = pp_text_escape (out, sizeof (out), data, len);
    assert_int_equal (used, len);
    assert_string_equal (out, want);
}

static void
test_valid_passes (void **state)
{
    (void) state;
    s_expect ("hello, world", 12, "hello, world");
    s_expect ("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
              "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    s_expect ("", 0, "");
    s_expect ("a\\b", 3, "a\\b");
}

static void
test_controls_escaped (void **state)
{
    (void) state;
    s_expect ("a\tb\nc\rd", 7, "a\\tb\\nc\\rd");
    s_expect ("\x00\x01\x1b\x7f", 4, "\\x00\\x01\\x1b\\x7f");
}

static void
test_invalid_escaped (void **state)
{
    (void) state;
    s_expect ("caf\xe9", 4, "caf\\xe9");                      /* Latin-1    */
    s_expect ("\xc3", 1, "\\xc3");                            /* cut        */
    s_expect ("\xe2\x82", 2, "\\xe2\\x82");                   /* cut        */
    s_expect ("\xc0\xaf", 2, "\\xc0\\xaf");                   /* overlong   */
    s_expect ("\xe0\x80\xaf", 3, "\\xe0\\x80\\xaf");          /* overlong   */
    s_expect ("\xed\xa0\x80", 3, "\\xed\\xa0\\x80");          /* surrogate  */
    s_expect ("\xf4\x90\x80\x80", 4, "\\xf4\\x90\\x80\\x80"); /* > max */
    s_expect ("\xff\xfe", 2, "\\xff\\xfe");
    s_expect ("\x80z", 2, "\\x80z");
}

/*  A short buffer cuts before a character or an escape, never inside.   */
static void
test_cut_on_boundaries (void **state)
{
    (void) state;
    char out[8];
    /*  "ab" + 3-byte euro sign: 5 bytes; room for 7 + NUL               */
    assert_int_equal (pp_text_escape (out, 5, "ab\xe2\x82\xac", 5), 2);
    assert_string_equal (out, "ab");
    assert_int_equal (pp_text_escape (out, 6, "ab\xe2\x82\xac", 5), 5);
    assert_string_equal (out, "ab\xe2\x82\xac");
    assert_int_equal (pp_text_escape (out, 6, "ab\xff", 3), 2); /* 2+4 */
    assert_string_equal (out, "ab");
    assert_int_equal (pp_text_escape (out, 7, "ab\xff", 3), 3);
    assert_string_equal (out, "ab\\xff");
    assert_int_equal (pp_text_escape (out, 1, "x", 1), 0);
    assert_string_equal (out, "");
}

/*  Whatever the bytes, the text is valid UTF-8 with no control byte.    */
static void
test_any_bytes_valid (void **state)
{
    (void) state;
    uint64_t x = 88172645463325252ULL;
    for (int round = 0; round < 20000; round++) {
        unsigned char data[12];
        for (size_t i = 0; i < sizeof (data); i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            data[i] = (unsigned char) x;
        }
        char out[64];
        size_t size = 4 + round % 60;
        pp_text_escape (out, size, (const char *) data, sizeof (data));
        size_t len = strlen (out);
        assert_true (len < size);
        const unsigned char *p = (const unsigned char *) out;
        for (size_t i = 0; i < len;) {
            size_t n = pp_text_char_len (p + i, len - i);
            assert_true (n > 0);
            assert_true (p[i] >= 0x20 && p[i] != 0x7f);
            i += n;
        }
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_valid_passes),
        cmocka_unit_test (test_controls_escaped),
        cmocka_unit_test (test_invalid_escaped),
        cmocka_unit_test (test_cut_on_boundaries),
        cmocka_unit_test (test_any_bytes_valid),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
