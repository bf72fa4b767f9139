/*  pp_signal: an async-signal-safe counter.                                */

#include "pp_signal.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t s_count = 0;
static volatile sig_atomic_t s_hung_up = 0;

/*  A closed terminal may send SIGHUP twice (the shell to its jobs, then
    the kernel to the foreground group as the session leader exits): it
    is one stop, not a drain and then an abort.                            */
static void
s_handler (int signum)
{
    if (signum == SIGHUP) {
        if (s_hung_up)
            return;
        s_hung_up = 1;
    }
    if (s_count < 100)
        s_count++;
}

void
pp_signal_install (void)
{
    struct sigaction action;
    memset (&action, 0, sizeof (action));
    action.sa_handler = s_handler;
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

int
pp_signal_count (void)
{
    return s_count;
}
