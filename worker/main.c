/*  pp-worker: pulls work items, runs a job on each, pushes the outcomes.
    Everything but flag parsing is pp_worker_run in the library.           */

#include "pp_cli.h"
#include "pp_job.h"
#include "pp_worker.h"

#include <czmq.h>

static const char *s_help_head =
    "Usage: pp-worker [OPTIONS] --job NAME\n"
    "Pull work items from a pp-ventilator, run a job on each on --threads\n"
    "job threads, push every outcome to pp-sink. Connects to all four\n"
    "endpoints; start as many workers, on as many machines, as you like.\n"
    "\n"
    "Job:\n"
    "  --job NAME          square (int64 -> its square; anything else\n"
    "                      fails), sleep (sleep ITEM ms, result = item),\n"
    "                      echo (result = item)\n"
    "  --threads N         job threads (default: number of cores)\n"
    "  --capacity N        items buffered between receiver and job threads\n"
    "                      (default 2 x threads)\n"
    "  --serve             stay up after a run and serve the next one\n"
    "  --overflow P        when the buffer is full: block (stop pulling,\n"
    "                      default), drop (report the item as dropped) or\n"
    "                      spill (queue it on disk in --spill-dir)\n"
    "  --spill-dir DIR     where spill files go (default /tmp)\n"
    "\n";
static const char *s_help_tail =
    "\n"
    "Signals: the first SIGINT/SIGTERM makes the worker finish what it\n"
    "holds and leave (items it never started are sent to others), the\n"
    "second exits at once. Exit: 0 run completed (or left), 1 error,\n"
    "2 usage, 3 aborted, 4 run completed with failed or dropped items.\n"
    "\n"
    "Examples:\n"
    "  pp-worker --job square\n"
    "  pp-worker --job sleep --threads 4 --tasks tcp://head:5557 \\\n"
    "      --results tcp://head:5558 --control tcp://head:5559 \\\n"
    "      --acks tcp://head:5560 --insecure\n";

int
main (int argc, char **argv)
{
    static struct option longs[] = {
        PP_CLI_COMMON_OPTIONS,
        {"job", required_argument, 0, 2000},
        {"threads", required_argument, 0, 2001},
        {"capacity", required_argument, 0, 2002},
        {"serve", no_argument, 0, 2003},
        {"overflow", required_argument, 0, 2004},
        {"spill-dir", required_argument, 0, 2005},
        {0, 0, 0, 0}};
    pp_worker_config_t config;
    pp_worker_config_init (&config);
    const char *job = NULL;
    int c;
    while ((c = getopt_long (argc, argv, "+hvq", longs, NULL)) != -1) {
        if (pp_cli_common_option (&config.common, c, optarg))
            continue;
        switch (c) {
            case 'h': pp_cli_help (s_help_head, s_help_tail);
            case 2000: job = optarg; break;
            case 2001:
                config.threads =
                    (int) pp_cli_number ("--threads", optarg, 1, 1024);
                break;
            case 2002:
                config.capacity =
                    (int) pp_cli_number ("--capacity", optarg, 1, 1000000);
                break;
            case 2003: config.serve = true; break;
            case 2004:
                if (pp_overflow_parse (optarg, &config.overflow) != 0)
                    pp_cli_usage_error ("--overflow: '%s' is not block, "
                                        "drop or spill",
                                        optarg);
                break;
            case 2005: config.spill_dir = optarg; break;
            default: pp_cli_bad_option (argc, argv);
        }
    }
    if (optind < argc)
        pp_cli_usage_error ("unexpected argument '%s'", argv[optind]);
    if (!job)
        pp_cli_usage_error ("--job is required (square, sleep or echo)");
    pp_handler_fn *handler = pp_job_builtin (job);
    if (!handler)
        pp_cli_usage_error ("--job: '%s' is not a job (square, sleep, echo)",
                            job);
    pp_cli_endpoints (&config.common);
    int code = pp_worker_run (&config, handler, NULL);
    zsys_shutdown ();
    return code;
}
