/*  pp_worker_process: what a program may ask of the process for its
    workers (pp_worker_stop, pp_worker_handle_signals, pp_worker_log_setup
    in pp_worker.h), and the stop requests a run reads. Internal.         */

#ifndef PP_WORKER_PROCESS_H_INCLUDED
#define PP_WORKER_PROCESS_H_INCLUDED

/*  A run starts: returns its mark. Requests no earlier run saw are its.   */
int pp_worker_stops_begin (void);

/*  Stop requests since mark, czmq's zsys_interrupted (set by its own
    SIGINT handler, when the program left that in place) counting as one
    while it is set.                                                       */
int pp_worker_stops (int mark);

/*  A run ended: every request so far was its.                             */
void pp_worker_stops_end (void);

/*  The stop signals of all three binaries: on_stop (async-signal-safe)
    is called for each SIGINT and SIGTERM, and for the first SIGHUP
    unless SIGHUP is ignored (nohup); no SA_RESTART, so blocking calls
    return EINTR. SIGPIPE is ignored.                                      */
void pp_stop_signals_install (void (*on_stop) (void));

#endif
