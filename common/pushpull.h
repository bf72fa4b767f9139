/*  pushpull.h: the public C API of libpushpull -- all a program needs to
    be a pushpull worker with its own handler:

        static int
        my_handler (pp_job_ctx_t *ctx, const char *item, size_t len,
                    pp_buf_t *out, void *user)
        {
            return pp_buf_append (out, item, len); // the result; non-zero:
        }                                          // failed, reason in out

        int main (void) {
            pp_worker_config_t config;
            pp_worker_config_init (&config);     // PP_* endpoints, defaults
            config.threads = 4;
            pp_worker_log_setup ("my-worker");   // optional: log on stderr
            pp_worker_handle_signals ();         // optional: ^C leaves
            int code = pp_worker_run (&config, my_handler, NULL);
            return code < 0 ? PP_EXIT_USAGE : code; // < 0: config refused
        }

    Build with: cc my_worker.c $(pkg-config --cflags --libs pushpull)

    pp_chan.h   the bounded channel between the worker's receiver and its
                job threads, for a program's own threads (close, abort,
                destroy: examples/chan_demo.c)
    pp_error.h  error codes (pp_strerror) and exit statuses
    pp_job.h    the handler, its item, buffer and context; built-in jobs
    pp_worker.h the configuration, pp_worker_run, what the program may ask
                of the process (signals, logging)                         */

#ifndef PUSHPULL_H_INCLUDED
#define PUSHPULL_H_INCLUDED

#include "pp_chan.h"
#include "pp_error.h"
#include "pp_job.h"
#include "pp_worker.h"

#endif
