/*  test_netmon: unit tests of pp_netmon_peers (pp_net.h), the count of a
    bound socket's peers from libzmq's events, over real ipc:// sockets:
    peers that connect and leave are counted, a connection that hangs up
    before its handshake is not, and one that connected before the watch
    began is seen when the watch came first (pp_net_socket_watched).      */

#include "pp_net.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#define S_WAIT_MS 5000

typedef struct {
    pp_common_t common;
    pp_netmon_t *netmon;
    zsock_t *server;
    char path[96];
    char endpoint[128];
} fixture_t;

static int
s_setup (void **state)
{
    static fixture_t fx;
    memset (&fx, 0, sizeof (fx));
    snprintf (fx.path, sizeof (fx.path), "/tmp/pp-test-netmon-%d",
              (int) getpid ());
    snprintf (fx.endpoint, sizeof (fx.endpoint), "ipc://%s", fx.path);
    fx.common.hwm = 1000;
    fx.common.max_item = 1024;
    fx.netmon = pp_netmon_new (&fx.common);
    assert_non_null (fx.netmon);
    fx.server = pp_net_socket_watched (ZMQ_PUSH, &fx.common, fx.endpoint, true,
                                       "--tasks", fx.netmon);
    assert_non_null (fx.server);
    *state = &fx;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *fx = *state;
    pp_netmon_destroy (&fx->netmon);
    zsock_destroy (&fx->server);
    unlink (fx->path);
    return 0;
}

/*  Waits, bounded, until the count is want; returns the last count.     */
static uint32_t
s_wait_peers (fixture_t *fx, uint32_t want)
{
    int64_t until = zclock_mono () + S_WAIT_MS;
    uint32_t peers = pp_netmon_peers (fx->netmon, fx->server);
    while (peers != want && zclock_mono () < until) {
        zclock_sleep (2);
        peers = pp_netmon_peers (fx->netmon, fx->server);
    }
    return peers;
}

static zsock_t *
s_client (fixture_t *fx)
{
    zsock_t *client = zsock_new (ZMQ_PULL);
    assert_non_null (client);
    zsock_set_linger (client, 0);
    assert_int_equal (zsock_connect (client, "%s", fx->endpoint), 0);
    return client;
}

/*  A raw connection that hangs up without a ZMTP greeting: a scanner.    */
static void
s_hang_up (fixture_t *fx)
{
    int fd = socket (AF_UNIX, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    strncpy (addr.sun_path, fx->path, sizeof (addr.sun_path) - 1);
    assert_int_equal (connect (fd, (struct sockaddr *) &addr, sizeof (addr)),
                      0);
    close (fd);
}

static void
test_peers_come_and_go (void **state)
{
    fixture_t *fx = *state;
    assert_int_equal (pp_netmon_peers (fx->netmon, fx->server), 0);
    zsock_t *a = s_client (fx);
    zsock_t *b = s_client (fx);
    assert_int_equal (s_wait_peers (fx, 2), 2);
    zsock_destroy (&a);
    assert_int_equal (s_wait_peers (fx, 1), 1);
    zsock_destroy (&b);
    assert_int_equal (s_wait_peers (fx, 0), 0);
}

/*  Hang-ups before a handshake take no peer away: were they counted as
    peers gone, the third client would never bring the count to 3.       */
static void
test_hang_up_is_no_peer (void **state)
{
    fixture_t *fx = *state;
    zsock_t *a = s_client (fx);
    zsock_t *b = s_client (fx);
    assert_int_equal (s_wait_peers (fx, 2), 2);
    for (int i = 0; i < 3; i++)
        s_hang_up (fx);
    zsock_t *c = s_client (fx);
    assert_int_equal (s_wait_peers (fx, 3), 3);
    zsock_destroy (&a);
    zsock_destroy (&b);
    zsock_destroy (&c);
    assert_int_equal (s_wait_peers (fx, 0), 0);
}

/*  Not watched, or not bound: 0.                                          */
static void
test_unwatched (void **state)
{
    fixture_t *fx = *state;
    zsock_t *other = zsock_new (ZMQ_PUSH);
    assert_non_null (other);
    assert_int_equal (pp_netmon_peers (fx->netmon, other), 0);
    assert_int_equal (pp_netmon_peers (NULL, fx->server), 0);
    zsock_destroy (&other);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_peers_come_and_go),
        cmocka_unit_test (test_hang_up_is_no_peer),
        cmocka_unit_test (test_unwatched),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
