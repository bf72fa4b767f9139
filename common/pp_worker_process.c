/*  pp_worker_process: stop requests, signals and logging, on request.     */

#include "pp_worker_process.h"
#include "pp_worker.h"

#include <czmq.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

static atomic_int s_requests = 0; /* pp_worker_stop calls so far       */
static atomic_int s_seen = 0;     /* ... of which ended runs saw       */

int
pp_worker_stops_begin (void)
{
    return atomic_load (&s_seen);
}

int
pp_worker_stops (int mark)
{
    return atomic_load (&s_requests) - mark + (zsys_interrupted ? 1 : 0);
}

void
pp_worker_stops_end (void)
{
    atomic_store (&s_seen, atomic_load (&s_requests));
}

void
pp_worker_stop (void)
{
    atomic_fetch_add (&s_requests, 1);
}

static void (*s_on_stop) (void);
static volatile sig_atomic_t s_hung_up = 0;

/*  SIGHUP counts once: a closed terminal may send it twice (the shell to
    its jobs, then the kernel to the foreground group as the session
    leader exits), and two stops would be an abort, or "exit at once".    */
static void
s_on_signal (int signum)
{
    if (signum == SIGHUP) {
        if (s_hung_up)
            return;
        s_hung_up = 1;
    }
    s_on_stop ();
}

void
pp_stop_signals_install (void (*on_stop) (void))
{
    s_on_stop = on_stop;
    struct sigaction action;
    memset (&action, 0, sizeof (action));
    action.sa_handler = s_on_signal;
    sigemptyset (&action.sa_mask);
    sigaction (SIGINT, &action, NULL);
    sigaction (SIGTERM, &action, NULL);
    /*  A closed terminal or a dropped ssh -t session: a stop like the
        others, not sudden death -- unless started under nohup.          */
    struct sigaction hup;
    if (sigaction (SIGHUP, NULL, &hup) == 0 && hup.sa_handler != SIG_IGN)
        sigaction (SIGHUP, &action, NULL);
    signal (SIGPIPE, SIG_IGN);
}

void
pp_worker_handle_signals (void)
{
    zsys_handler_set (NULL); /* czmq's would replace ours when first used */
    pp_stop_signals_install (pp_worker_stop);
}

void
pp_worker_log_setup (const char *name)
{
    zsys_set_logstream (stderr);
    zsys_set_logident (name);
}
