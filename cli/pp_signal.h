/*  pp_signal: counts SIGINT/SIGTERM/SIGHUP so a main loop can act on the first
    (drain or leave) and the second (abort or exit now). The ventilator's
    and the sink's (cli/); pp-worker asks the library for its own
    (pp_worker_handle_signals).                                            */

#ifndef PP_SIGNAL_H_INCLUDED
#define PP_SIGNAL_H_INCLUDED

/*  Installs the counting handler for SIGINT, SIGTERM and SIGHUP (no
    SA_RESTART, so blocking calls return EINTR; SIGHUP only if it is not
    ignored, as under nohup) and ignores SIGPIPE.                          */
void pp_signal_install (void);

/*  How many of those signals arrived so far.                             */
int pp_signal_count (void);

#endif
