/*  A custom pushpull worker: each item is a line of text, the result is
    the number of words in it. Lines with no words fail, to show how a
    handler reports a failure with its reason.

    Build against an installed pushpull:
        cc custom_worker.c $(pkg-config --cflags --libs pushpull) -o wc-worker
    Run it like pp-worker (same endpoints and PP_* variables):
        ./wc-worker --threads 2

    The library leaves the process to the program: this one asks for the
    log on stderr under its name, and for SIGINT/SIGTERM to stop the
    worker (the first: leave gracefully, the second: at once).            */

#include <pushpull.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
s_count_words (pp_job_ctx_t *ctx, const char *item, size_t len, pp_buf_t *out,
               void *user)
{
    (void) ctx;
    (void) user;
    int words = 0;
    for (size_t i = 0; i < len; i++)
        if (!isspace ((unsigned char) item[i]) &&
            (i == 0 || isspace ((unsigned char) item[i - 1])))
            words++;
    if (words == 0) {
        pp_buf_printf (out, "no words in this line");
        return -1;
    }
    char text[16];
    int size = snprintf (text, sizeof (text), "%d", words);
    return pp_buf_append (out, text, (size_t) size);
}

int
main (int argc, char **argv)
{
    pp_worker_config_t config;
    pp_worker_config_init (&config);
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp (argv[i], "--threads") == 0)
            config.threads = atoi (argv[++i]);
        else if (i + 1 < argc && strcmp (argv[i], "--flow") == 0)
            config.flow = strcmp (argv[++i], "credit") == 0 ? PP_FLOW_CREDIT
                                                            : PP_FLOW_PUSH;
        else {
            fprintf (stderr, "usage: %s [--threads N] [--flow push|credit]\n",
                     argv[0]);
            return PP_EXIT_USAGE;
        }
    }
    char why[256];
    if (pp_worker_config_check (&config, why, sizeof (why)) != 0) {
        fprintf (stderr, "%s: %s\n", argv[0], why);
        return PP_EXIT_USAGE;
    }
    pp_worker_log_setup ("wc-worker");
    pp_worker_handle_signals ();
    int code = pp_worker_run (&config, s_count_words, NULL);
    return code < 0 ? PP_EXIT_USAGE : code;
}
