/*  test_ctl: unit tests of pp_ctl, the control plane (pp_ctl.h): the run
    settings STATE carries, how a worker or sink adopts them or refuses a
    flag that conflicts, how the ventilator checks a HELLO, and a STATE
    through a real PUB/SUB pair, including one of another wire version.   */

#include "pp_ctl.h"
#include "pp_error.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define S_MIB (1ULL << 20)

/*  A process's settings: pp_config_defaults, then what was given.        */
static pp_common_t
s_common (unsigned given, pp_flow_t flow, uint64_t max_item)
{
    pp_common_t common;
    pp_config_defaults (&common);
    common.given = given;
    if (given & PP_GIVEN_FLOW)
        common.flow = flow;
    if (given & PP_GIVEN_MAX_ITEM)
        common.max_item = max_item;
    return common;
}

static void
test_size_text (void **state)
{
    (void) state;
    struct {
        uint64_t bytes;
        const char *text;
    } cases[] = {{0, "0"},
                 {1, "1"},
                 {1000, "1000"},
                 {1024, "1K"},
                 {1536 * 1024, "1536K"},
                 {S_MIB, "1M"},
                 {4 * S_MIB, "4M"},
                 {1ULL << 30, "1G"},
                 {S_MIB + 1, "1048577"}};
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        char out[32];
        pp_ctl_size_text (cases[i].bytes, out, sizeof (out));
        assert_string_equal (out, cases[i].text);
    }
}

/*  Nothing given: everything is the ventilator's.                        */
static void
test_adopt_defaults (void **state)
{
    (void) state;
    pp_settings_t run = {
        .max_item = 4 * S_MIB, .heartbeat_ms = 500, .flow = PP_FLOW_CREDIT};
    pp_common_t common = s_common (0, PP_FLOW_PUSH, 0);
    char why[256] = "";
    assert_int_equal (pp_ctl_adopt (&common, &run, why, sizeof (why)), 0);
    assert_int_equal (common.flow, PP_FLOW_CREDIT);
    assert_true (common.max_item == 4 * S_MIB);
    assert_string_equal (why, "");
}

/*  Given with the run's values: fine, and unchanged.                      */
static void
test_adopt_same_flags (void **state)
{
    (void) state;
    pp_settings_t run = {.max_item = 4 * S_MIB, .flow = PP_FLOW_CREDIT};
    pp_common_t common =
        s_common (PP_GIVEN_FLOW | PP_GIVEN_MAX_ITEM, PP_FLOW_CREDIT, 4 * S_MIB);
    assert_int_equal (pp_ctl_adopt (&common, &run, NULL, 0), 0);
    assert_int_equal (common.flow, PP_FLOW_CREDIT);
    assert_true (common.max_item == 4 * S_MIB);
}

/*  A flag with another value: refused, naming the flag, both values and
    the way out; what was not given is adopted all the same.              */
static void
test_adopt_conflicts (void **state)
{
    (void) state;
    pp_settings_t run = {.max_item = 4 * S_MIB, .flow = PP_FLOW_CREDIT};
    char why[256];
    pp_common_t common = s_common (PP_GIVEN_FLOW, PP_FLOW_PUSH, 0);
    assert_int_equal (pp_ctl_adopt (&common, &run, why, sizeof (why)),
                      PP_EINVAL);
    assert_string_equal (why, "--flow push: the ventilator runs --flow "
                              "credit; give every process the same --flow, "
                              "or leave it out to take the ventilator's");
    assert_int_equal (common.flow, PP_FLOW_PUSH);
    assert_true (common.max_item == 4 * S_MIB);

    common = s_common (PP_GIVEN_MAX_ITEM, PP_FLOW_PUSH, S_MIB);
    assert_int_equal (pp_ctl_adopt (&common, &run, why, sizeof (why)),
                      PP_EINVAL);
    assert_string_equal (why, "--max-item-size 1M: the ventilator runs "
                              "--max-item-size 4M; give every process the "
                              "same size, or leave it out to take the "
                              "ventilator's");
    assert_int_equal (common.flow, PP_FLOW_CREDIT);
    assert_true (common.max_item == S_MIB);
}

static void
test_hello_check (void **state)
{
    (void) state;
    pp_settings_t run = {.max_item = 4 * S_MIB, .flow = PP_FLOW_CREDIT};
    pp_hello_t hello = {.flow = PP_FLOW_CREDIT, .max_item = 4 * S_MIB};
    char why[160];
    assert_int_equal (pp_ctl_hello_check (&run, &hello, why, sizeof (why)), 0);
    hello.max_item = 0; /* not said                                     */
    assert_int_equal (pp_ctl_hello_check (&run, &hello, why, sizeof (why)), 0);
    hello.max_item = S_MIB;
    assert_int_equal (pp_ctl_hello_check (&run, &hello, why, sizeof (why)),
                      PP_EINVAL);
    assert_string_equal (why, "it runs --max-item-size 1M, this run "
                              "--max-item-size 4M");
    hello.flow = PP_FLOW_PUSH;
    assert_int_equal (pp_ctl_hello_check (&run, &hello, why, sizeof (why)),
                      PP_EINVAL);
    assert_string_equal (why, "it runs --flow push, this run --flow credit");
}

/*  A PUB and a SUB over inproc, at a name of their own (libzmq frees a
    closed socket's name later, from its reaper thread).                   */
typedef struct {
    zsock_t *pub, *sub;
} s_pair_t;

static s_pair_t
s_pair (void)
{
    static int pairs;
    char name[64];
    snprintf (name, sizeof (name), "inproc://test-ctl-%d", ++pairs);
    s_pair_t pair = {zsock_new_pub (name), zsock_new_sub (name, "")};
    assert_non_null (pair.pub);
    assert_non_null (pair.sub);
    return pair;
}

/*  Sends what send does until the SUB has a message (2 s at most).       */
static void
s_until_heard (s_pair_t *pair, void (*send) (zsock_t *pub))
{
    for (int i = 0; i < 200; i++) {
        send (pair->pub);
        if (zsock_events (pair->sub) & ZMQ_POLLIN)
            return;
        zclock_sleep (10);
    }
    fail_msg ("the SUB heard nothing");
}

static void
s_pair_end (s_pair_t *pair)
{
    zsock_destroy (&pair->sub);
    zsock_destroy (&pair->pub);
}

static void
s_publish_running (zsock_t *pub)
{
    pp_state_t counts = {.sent = 7, .total = PP_TOTAL_UNKNOWN, .window = 64};
    pp_settings_t settings = {
        .max_item = 4 * S_MIB, .heartbeat_ms = 250, .flow = PP_FLOW_CREDIT};
    pp_ctl_publish (pub, 0x1234, PP_STATE_RUNNING, &settings, &counts);
}

/*  What the ventilator publishes, a worker receives whole.               */
static void
test_publish_recv (void **state)
{
    (void) state;
    s_pair_t pair = s_pair ();
    s_until_heard (&pair, s_publish_running);
    pp_header_t hdr;
    pp_state_t counts;
    pp_settings_t settings;
    uint8_t version = 0;
    uint64_t rejects[PP_REJECT_COUNT] = {0};
    assert_int_equal (
        pp_ctl_recv (pair.sub, &hdr, &counts, &settings, &version, rejects), 0);
    assert_int_equal (hdr.flags, PP_STATE_RUNNING);
    assert_true (hdr.run_id == 0x1234);
    assert_true (counts.sent == 7);
    assert_int_equal (counts.window, 64);
    assert_true (settings.max_item == 4 * S_MIB);
    assert_int_equal (settings.heartbeat_ms, 250);
    assert_int_equal (settings.flow, PP_FLOW_CREDIT);
    assert_int_equal (version, 0);
    for (int r = 0; r < PP_REJECT_COUNT; r++)
        assert_true (rejects[r] == 0);
    s_pair_end (&pair);
}

/*  A STATE of wire version 2 (a ventilator of the last release): its
    header and 48 bytes of counts, flow in the header's count.            */
static void
s_publish_v2 (zsock_t *pub)
{
    pp_header_t hdr = {.type = PP_MSG_STATE,
                       .flags = PP_STATE_RUNNING,
                       .run_id = 0x1234,
                       .worker_id = 1000,
                       .count = 1};
    uint8_t head[PP_WIRE_HEADER_SIZE], body[PP_STATE_PAYLOAD_SIZE] = {0};
    pp_wire_encode_header (&hdr, head);
    head[2] = 2;
    zsock_send (pub, "bb", head, sizeof (head), body, sizeof (body));
}

/*  Another release's STATE is refused, counted as bad_version, and its
    version told, so that the process can say why it cannot join.         */
static void
test_other_version (void **state)
{
    (void) state;
    s_pair_t pair = s_pair ();
    s_until_heard (&pair, s_publish_v2);
    pp_header_t hdr;
    pp_state_t counts;
    pp_settings_t settings;
    uint8_t version = 0;
    uint64_t rejects[PP_REJECT_COUNT] = {0};
    assert_int_equal (
        pp_ctl_recv (pair.sub, &hdr, &counts, &settings, &version, rejects),
        PP_EPROTO);
    assert_int_equal (version, 2);
    assert_true (rejects[PP_REJECT_VERSION] == 1);
    s_pair_end (&pair);
}

/*  A STATE of this version without the settings (48 bytes): malformed.   */
static void
s_publish_short (zsock_t *pub)
{
    pp_header_t hdr = {
        .type = PP_MSG_STATE, .flags = PP_STATE_RUNNING, .run_id = 0x1234};
    uint8_t head[PP_WIRE_HEADER_SIZE], body[PP_STATE_PAYLOAD_SIZE];
    pp_state_t counts = {.window = 64};
    pp_wire_encode_header (&hdr, head);
    pp_wire_encode_state (&counts, body);
    zsock_send (pub, "bb", head, sizeof (head), body, sizeof (body));
}

static void
test_no_settings (void **state)
{
    (void) state;
    s_pair_t pair = s_pair ();
    s_until_heard (&pair, s_publish_short);
    pp_header_t hdr;
    pp_state_t counts;
    pp_settings_t settings;
    uint8_t version = 0;
    uint64_t rejects[PP_REJECT_COUNT] = {0};
    assert_int_equal (
        pp_ctl_recv (pair.sub, &hdr, &counts, &settings, &version, rejects),
        PP_EPROTO);
    assert_int_equal (version, 0);
    assert_true (rejects[PP_REJECT_SHORT] == 1);
    s_pair_end (&pair);
}

/*  Two HELLOs are of one worker process when pid and host are the same:
    what else it says (threads, flow) may change between them.           */
static void
test_same_worker (void **state)
{
    (void) state;
    pp_hello_t a = {.pid = 100, .threads = 4, .host = "node1"};
    pp_hello_t b = {.pid = 100, .threads = 8, .flow = 1, .host = "node1"};
    assert_true (pp_ctl_same_worker (&a, &b));
    b.pid = 101;
    assert_false (pp_ctl_same_worker (&a, &b));
    b.pid = 100;
    snprintf (b.host, sizeof (b.host), "node10");
    assert_false (pp_ctl_same_worker (&a, &b));
    /*  A worker's own host, raw, against the one it said, decoded.        */
    snprintf (a.host, sizeof (a.host), "my host");
    snprintf (b.host, sizeof (b.host), "my?host");
    assert_true (pp_ctl_same_worker (&a, &b));
    snprintf (b.host, sizeof (b.host), "my?hos");
    assert_false (pp_ctl_same_worker (&a, &b));
}

static void
s_publish_rename (zsock_t *pub)
{
    pp_hello_t worker = {.pid = 200, .threads = 3, .host = "node2"};
    pp_hello_t owner = {.pid = 100, .threads = 5, .flow = 1, .host = "node1"};
    memset (owner.host, 'x', sizeof (owner.host) - 1); /* the longest    */
    pp_ctl_rename (pub, 0x1234, 0xabcd, &worker, &owner);
}

/*  A RENAME reaches a worker whole, and only the worker it names (id,
    pid and host) takes it for itself; pp_ctl_recv (the sink's) passes
    it over, no reject counted.                                           */
static void
test_rename (void **state)
{
    (void) state;
    s_pair_t pair = s_pair ();
    s_until_heard (&pair, s_publish_rename);
    pp_header_t hdr;
    pp_state_t counts;
    pp_settings_t settings;
    pp_rename_t rename;
    uint8_t version = 0;
    uint64_t rejects[PP_REJECT_COUNT] = {0};
    assert_int_equal (pp_ctl_recv_any (pair.sub, &hdr, &counts, &settings,
                                       &rename, &version, rejects),
                      0);
    assert_int_equal (hdr.type, PP_MSG_RENAME);
    assert_true (hdr.run_id == 0x1234);
    assert_int_equal (rename.worker_id, 0xabcd);
    assert_int_equal (rename.worker.pid, 200);
    assert_int_equal (rename.worker.threads, 3);
    assert_string_equal (rename.worker.host, "node2");
    assert_int_equal (rename.owner.pid, 100);
    assert_int_equal (rename.owner.threads, 5);
    assert_int_equal (rename.owner.flow, 1);
    assert_int_equal (strlen (rename.owner.host), 63);
    pp_hello_t me = {.pid = 200, .threads = 2, .host = "node2"};
    assert_true (pp_ctl_rename_is_me (&rename, 0xabcd, &me));
    assert_false (pp_ctl_rename_is_me (&rename, 0xabce, &me));
    me.pid = 100; /* the one that keeps the id, say                      */
    assert_false (pp_ctl_rename_is_me (&rename, 0xabcd, &me));
    me.pid = 200;
    snprintf (me.host, sizeof (me.host), "node3");
    assert_false (pp_ctl_rename_is_me (&rename, 0xabcd, &me));
    s_publish_rename (pair.pub);
    for (int i = 0; i < 200 && !(zsock_events (pair.sub) & ZMQ_POLLIN); i++)
        zclock_sleep (10);
    assert_int_equal (
        pp_ctl_recv (pair.sub, &hdr, &counts, &settings, &version, rejects),
        PP_EAGAIN);
    for (int r = 0; r < PP_REJECT_COUNT; r++)
        assert_true (rejects[r] == 0);
    s_pair_end (&pair);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_size_text),
        cmocka_unit_test (test_adopt_defaults),
        cmocka_unit_test (test_adopt_same_flags),
        cmocka_unit_test (test_adopt_conflicts),
        cmocka_unit_test (test_hello_check),
        cmocka_unit_test (test_publish_recv),
        cmocka_unit_test (test_other_version),
        cmocka_unit_test (test_no_settings),
        cmocka_unit_test (test_same_worker),
        cmocka_unit_test (test_rename),
    };
    int failed = cmocka_run_group_tests (tests, NULL, NULL);
    zsys_shutdown ();
    return failed;
}
