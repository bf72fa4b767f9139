/*  pushpull.h: the public C API of libpushpull.

    A program becomes a pushpull worker with its own handler:

        static int
        my_handler (pp_job_ctx_t *ctx, const char *item, size_t len,
                    pp_buf_t *out, void *user)
        {
            pp_buf_append (out, item, len);      // the result
            return 0;                            // or non-zero: failed
        }

        int main (void) {
            pp_worker_config_t config;
            pp_worker_config_init (&config);     // PP_* endpoints, defaults
            config.threads = 4;
            return pp_worker_run (&config, my_handler, NULL);
        }

    Build with: cc my_worker.c $(pkg-config --cflags --libs pushpull)      */

#ifndef PUSHPULL_H_INCLUDED
#define PUSHPULL_H_INCLUDED

#include "pp_chan.h"
#include "pp_cli.h"
#include "pp_error.h"
#include "pp_job.h"
#include "pp_worker.h"

#endif
