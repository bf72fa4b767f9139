/*  pp-worker: pulls work items, runs a job on each, pushes the outcomes.
    Everything but flag parsing is pp_worker_run in the library.           */

#include "pp_cli.h"
#include "exec.h"
#include "fds.h"
#include "pp_job.h"
#include "pp_stats.h"
#include "pp_worker.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>

static const char *s_help_head =
    "Usage: pp-worker [OPTIONS] --job NAME\n"
    "       pp-worker [OPTIONS] [--pipe] -- CMD [ARGS...]\n"
    "Pull work items from a pp-ventilator, run a job on each on --threads\n"
    "job threads, push every outcome to pp-sink. Connects to all four\n"
    "endpoints; start as many workers, on as many machines, as you like.\n"
    "\n"
    "Job:\n"
    "  --job NAME          square (int64 -> its square; anything else\n"
    "                      fails), sleep (sleep ITEM ms, result = item),\n"
    "                      echo (result = item)\n"
    "  --threads N         job threads (default: number of cores)\n"
    "  --capacity N        items held between receiver and job threads\n"
    "                      (push flow default: 2 x threads, at least 512;\n"
    "                      credit flow default: adapts to the job's speed:\n"
    "                      25 ms of work, at most 16384 items and 8 MiB)\n"
    "  --buffer-bytes SIZE about the most bytes of items each buffer holds:\n"
    "                      the task channel, the results waiting to be\n"
    "                      sent, each socket's queue (its --hwm is lowered\n"
    "                      to fit, to no fewer than 2 messages, 16 for\n"
    "                      results); default 8M, so big items do not\n"
    "                      multiply memory\n"
    "  --serve             stay up after a run and serve the next one\n"
    "                      (logs each run it joins and leaves)\n"
    "  --overflow P        when the buffer is full: block (stop pulling,\n"
    "                      default), drop (report the item as dropped) or\n"
    "                      spill (queue it on disk in --spill-dir)\n"
    "  --spill-dir DIR     where spill files go (default /tmp)\n"
    "  --ventilator-timeout D  leave a run whose ventilator is silent for D\n"
    "                      (it died, or a cut link hid its DONE; default\n"
    "                      90s, so a ventilator restarted with --resume\n"
    "                      within a minute finds us; 0: never; exit 1, or\n"
    "                      with --serve wait for the next run); time this\n"
    "                      process was stopped does not count\n"
    "\n"
    "Command (instead of --job; no shell unless you write sh -c):\n"
    "  -- CMD [ARGS...]    run CMD once per item: {} in CMD or ARGS is\n"
    "                      replaced by the item (also inside a word); so\n"
    "                      are GNU parallel's {.} (no extension), {/}\n"
    "                      (basename), {//} (dirname), {/.} (basename, no\n"
    "                      extension) and {#} (the item's input record,\n"
    "                      from 1). Without one of the item, the item and a\n"
    "                      newline go to CMD's stdin. In a shell's -c\n"
    "                      script (sh, bash, dash, ksh, zsh...) each is\n"
    "                      quoted for that shell (write {} bare): an item\n"
    "                      never runs -- unless the script hands it on to\n"
    "                      another shell (eval, sh -c, ssh); there use\n"
    "                      sh -c '... \"$1\" ...' sh {}. Elsewhere an\n"
    "                      argument gets the item as it is. Its stdout,\n"
    "                      less one trailing newline, is the result; a\n"
    "                      non-zero exit or a signal fails the item. CMD\n"
    "                      sees PP_RECORD (as {#}), PP_SEQ (the item's seq\n"
    "                      in the run, from 0, as the sink shows it),\n"
    "                      PP_RUN and PP_WORKER, and runs in its own\n"
    "                      process group, killed whole when the item ends.\n"
    "                      CMD's exit ends the item, even if a job it left\n"
    "                      in the background holds its stdout (that job is\n"
    "                      ended)\n"
    "  --pipe              start CMD once per job thread instead and\n"
    "                      stream items through it: one line in, one line\n"
    "                      out per item (no placeholders; no PP_SEQ or\n"
    "                      PP_RECORD). Items with a newline fail; a CMD\n"
    "                      that dies fails its item and is started again.\n"
    "                      CMD must answer each line at once (sed -u,\n"
    "                      python3 -u)\n"
    "  --timeout D         fail an item after D (250ms, 2s, 1m): SIGTERM\n"
    "                      to CMD's process group, SIGKILL after the grace\n"
    "                      (default and 0: no timeout)\n"
    "  --kill-grace D      SIGTERM -> SIGKILL delay (default 1s; 0: SIGKILL\n"
    "                      at once)\n"
    "  --stderr-tag        prefix each line CMD writes on stderr with\n"
    "                      [RECORD], the item's input record (as {#});\n"
    "                      default: its stderr is ours, untouched\n"
    "  --stderr-reason     put CMD's stderr in the failure reason (on one\n"
    "                      line, cut at 200 bytes) instead of showing it\n"
    "\n";
static const char *s_help_tail =
    "\n"
    "Signals: the first SIGINT/SIGTERM makes the worker finish what it\n"
    "holds and leave (items it never started are sent to others), the\n"
    "second exits at once (3); SIGHUP (a closed terminal) counts as one\n"
    "unless ignored (nohup). Leaving takes 25 s at most (Slurm gives\n"
    "30 s before SIGKILL): items still running then are stopped (exit 3).\n"
    "Leaving, a sink that takes no results for 3 s is given up (exit 1);\n"
    "results not delivered are counted in the log and sent again by the\n"
    "ventilator. Exit: 0 run completed (or left), 1 error, 2 usage,\n"
    "3 aborted, 4 run completed with failed or dropped items.\n"
    "\n"
    "File descriptors: the worker needs about 24 of its own and 7 for each\n"
    "command running at once. It raises its soft ulimit -n toward the hard\n"
    "one when --threads needs more; below that, fewer commands run at once\n"
    "(it says so), and a limit too low for one is an error (exit 1).\n"
    "\n"
    "Examples:\n"
    "  pp-worker --job square\n"
    "  pp-worker -- sh -c 'echo $(( {} * 3 ))'\n"
    "  pp-worker -- sh -c 'gzip -dc -- {} | wc -l'\n"
    "  pp-worker --pipe -- cat\n"
    "  pp-worker --timeout 30s --stderr-tag -- convert {} -resize 50% "
    "small/{/}\n"
    "  pp-worker --job sleep --threads 4 --tasks tcp://head:5557 \\\n"
    "      --results tcp://head:5558 --control tcp://head:5559 \\\n"
    "      --acks tcp://head:5560 --insecure\n";

/*  What the command line asked for besides the worker configuration.    */
typedef struct {
    const char *job;       /* --job NAME, or NULL */
    char **command;        /* CMD ARGS... after --, or NULL */
    exec_options_t exec;   /* --timeout, --kill-grace, --stderr-tag, ... */
    const char *exec_flag; /* the first command-only flag given */
    pp_common_t common;    /* the flags every binary takes */
} s_args_t;

/*  Handles a command-only flag; false when opt is not one.               */
static bool
s_exec_option (s_args_t *args, int opt, const char *arg)
{
    static const char *names[] = {"--timeout", "--kill-grace", "--stderr-tag",
                                  "--stderr-reason", "--pipe"};
    switch (opt) {
        case 2006:
            args->exec.timeout_ms = pp_cli_duration_ms ("--timeout", arg);
            break; /* 0: no timeout, as without the flag               */
        case 2007:
            args->exec.kill_grace_ms = pp_cli_duration_ms ("--kill-grace", arg);
            break;
        case 2008: args->exec.stderr_tag = true; break;
        case 2009: args->exec.stderr_reason = true; break;
        case 2010: args->exec.pipe = true; break;
        default: return false;
    }
    if (!args->exec_flag)
        args->exec_flag = names[opt - 2006];
    return true;
}

/*  Takes CMD ARGS... after "--"; anything else left over is an error.   */
static void
s_command (int argc, char **argv, s_args_t *args)
{
    bool dashes = optind > 1 && strcmp (argv[optind - 1], "--") == 0;
    if (optind < argc && !dashes)
        pp_cli_usage_error ("unexpected argument '%s' (a command goes "
                            "after --: pp-worker [OPTIONS] -- %s ...)",
                            argv[optind], argv[optind]);
    if (dashes && optind == argc)
        pp_cli_usage_error ("-- must be followed by a command "
                            "(pp-worker [OPTIONS] -- CMD [ARGS...])");
    if (dashes)
        args->command = argv + optind;
}

/*  Checks that the flags make one kind of job; exits 2 if not.          */
static void
s_check_job (const s_args_t *args)
{
    if (args->job && args->command)
        pp_cli_usage_error ("--job %s and a command (-- %s ...) are "
                            "mutually exclusive: give one of them",
                            args->job, args->command[0]);
    if (!args->job && !args->command)
        pp_cli_usage_error ("give --job NAME (square, sleep, echo) or a "
                            "command after -- (pp-worker -- CMD ARGS...)");
    if (args->job && args->exec_flag)
        pp_cli_usage_error ("%s applies to a command, not to --job "
                            "(pp-worker %s -- CMD ARGS...)",
                            args->exec_flag, args->exec_flag);
    if (args->job && !pp_job_builtin (args->job))
        pp_cli_usage_error ("--job: '%s' is not a job (square, sleep, echo)",
                            args->job);
    if (args->command && !exec_found (args->command[0]))
        pp_cli_usage_error ("-- %s: command not found (not in PATH, or not "
                            "executable)",
                            args->command[0]);
}

static void
s_parse (int argc, char **argv, pp_worker_config_t *config, s_args_t *args)
{
    pp_common_t *common = &args->common;
    static struct option longs[] = {
        PP_CLI_COMMON_OPTIONS,
        {"job", required_argument, 0, 2000},
        {"threads", required_argument, 0, 2001},
        {"capacity", required_argument, 0, 2002},
        {"serve", no_argument, 0, 2003},
        {"overflow", required_argument, 0, 2004},
        {"spill-dir", required_argument, 0, 2005},
        {"timeout", required_argument, 0, 2006},
        {"kill-grace", required_argument, 0, 2007},
        {"stderr-tag", no_argument, 0, 2008},
        {"tag", no_argument, 0, 2012},
        {"stderr-reason", no_argument, 0, 2009},
        {"pipe", no_argument, 0, 2010},
        {"ventilator-timeout", required_argument, 0, 2011},
        {"buffer-bytes", required_argument, 0, 2013},
        {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long (argc, argv, "+hvq", longs, NULL)) != -1) {
        if (pp_cli_common_option (common, c, optarg) ||
            s_exec_option (args, c, optarg))
            continue;
        switch (c) {
            case 'h': pp_cli_help (s_help_head, s_help_tail);
            case 2000: args->job = optarg; break;
            case 2001:
                config->threads =
                    (int) pp_cli_number ("--threads", optarg, 1, 1024);
                break;
            case 2002:
                config->capacity =
                    (int) pp_cli_number ("--capacity", optarg, 1, 1000000);
                break;
            case 2003: config->serve = true; break;
            case 2004:
                config->overflow = pp_cli_overflow ("--overflow", optarg);
                break;
            case 2005: config->spill_dir = optarg; break;
            case 2011:
                config->ventilator_timeout_ms =
                    pp_cli_duration_ms ("--ventilator-timeout", optarg);
                break;
            case 2013:
                config->buffer_bytes = pp_cli_size ("--buffer-bytes", optarg);
                break;
            case 2012:
                pp_cli_usage_error ("--tag is now --stderr-tag (it prefixes "
                                    "CMD's stderr lines with [RECORD]); to "
                                    "see each input beside its result, use "
                                    "pp-sink --tag");
            default: pp_cli_bad_option (argc, argv, longs);
        }
    }
    s_command (argc, argv, args);
    s_check_job (args);
}

/*  The shared flags into the worker's configuration; then the whole of
    it checked as pp_worker_run will (exit 2 naming the flag).             */
static void
s_configure (const pp_common_t *common, pp_worker_config_t *config)
{
    config->tasks = common->tasks;
    config->results = common->results;
    config->control = common->control;
    config->acks = common->acks;
    config->hwm = common->hwm;
    /*  Not given: the ventilator's (pp_worker_config_init's defaults).    */
    if (common->given & PP_GIVEN_MAX_ITEM)
        config->max_item_size = common->max_item;
    if (common->given & PP_GIVEN_FLOW)
        config->flow = common->flow;
    config->curve_secret = common->curve_secret;
    config->curve_server = common->curve_server;
    config->verbosity = pp_verbosity;
    if (common->curve_allow && !common->curve_secret)
        pp_cli_usage_error ("--curve-secret is needed with --curve-allow "
                            "or --curve-server");
    char why[512];
    if (pp_worker_config_check (config, why, sizeof (why)) != 0)
        pp_cli_usage_error ("%s", why);
    pp_common_t names = *common; /* config keeps its unset endpoints    */
    pp_cli_endpoints (&names);
    pp_cli_resolve (&names, "--tasks", names.tasks, false);
    pp_cli_resolve (&names, "--results", names.results, false);
    pp_cli_resolve (&names, "--control", names.control, false);
    pp_cli_resolve (&names, "--acks", names.acks, false);
    if (config->overflow == PP_OVERFLOW_SPILL) /* else found at a run's start */
        pp_cli_output ("--spill-dir",
                       config->spill_dir ? config->spill_dir : "/tmp",
                       PP_CLI_OUT_DIR);
}

/*  What running commands needs of this process (exec.h), set here so that
    no exec file changes anything process-wide: fds 0, 1 and 2 open, so
    none of the children's pipes lands there (they get 0, 1, 2 by number);
    SIGCHLD not ignored -- ignored (inherited through exec), it reaps the
    children for us and loses their exit status; SIGPIPE ignored, so a
    child that does not read its input cannot kill us (pp_worker_run
    ignores it too).                                                      */
static void
s_ready_for_commands (void)
{
    for (int fd = 0; fd <= 2; fd++)
        if (fcntl (fd, F_GETFD) == -1 && errno == EBADF)
            if (open ("/dev/null", O_RDWR) == -1)
                break;
    struct sigaction action;
    if (sigaction (SIGCHLD, NULL, &action) == 0 && action.sa_handler == SIG_IGN)
        signal (SIGCHLD, SIG_DFL);
    if (sigaction (SIGPIPE, NULL, &action) == 0 && action.sa_handler == SIG_DFL)
        signal (SIGPIPE, SIG_IGN);
}

/*  Counts the fds this process has (fds.h) before any socket is made:
    PP_EXIT_RUNTIME with what is short and how to get more when the worker
    (and, with commands, one command; with --pipe, all of them) does not
    fit; else 0, with how many commands may run at once in *children.      */
static int
s_check_fds (const s_args_t *args, int threads, int *children)
{
    fds_plan_t plan;
    fds_plan (&plan, args->command ? threads : 0);
    *children = plan.children;
    long one = FDS_OWN + FDS_PER_CHILD;
    if (!fds_worker_fits (&plan) || (args->command && plan.children < 1)) {
        zsys_error ("too few file descriptors: ulimit -n is %ld and %ld are "
                    "already open; pp-worker needs about %d for itself%s "
                    "-- raise ulimit -n (to %ld or more)",
                    plan.limit, plan.open, FDS_OWN,
                    args->command ? " and 7 for each command running at once"
                                  : "",
                    plan.open + (args->command ? one : FDS_OWN));
        return PP_EXIT_RUNTIME;
    }
    if (!args->command || plan.children >= threads)
        return 0;
    long all = plan.open + FDS_OWN + (long) threads * FDS_PER_CHILD;
    if (args->exec.pipe) {
        zsys_error ("--pipe keeps a command running per job thread: %d at "
                    "once need about %ld file descriptors, and ulimit -n is "
                    "%ld (%ld already open) -- raise ulimit -n, or use "
                    "--threads %d",
                    threads, all, plan.limit, plan.open, plan.children);
        return PP_EXIT_RUNTIME;
    }
    zsys_warning ("ulimit -n is %ld (%ld already open): room for %d "
                  "command%s at a time, not %d (--threads); the other job "
                  "threads wait their turn -- raise ulimit -n (to %ld), or "
                  "use fewer --threads",
                  plan.limit, plan.open, plan.children,
                  plan.children == 1 ? "" : "s", threads, all);
    return 0;
}

int
main (int argc, char **argv)
{
    pp_worker_config_t config;
    pp_worker_config_init (&config);
    s_args_t args = {0};
    pp_cli_init (&args.common, "pp-worker");
    pp_worker_handle_signals ();
    exec_options_init (&args.exec);
    s_parse (argc, argv, &config, &args);
    s_configure (&args.common, &config);
    if (args.command)
        s_ready_for_commands ();
    int children;
    int code = s_check_fds (&args, config.threads, &children);
    if (code != 0)
        return code;
    if (args.command) {
        args.exec.threads = config.threads;
        args.exec.max_children = children;
        exec_t *exec = exec_new (args.command, &args.exec);
        if (!exec) {
            zsys_error ("cannot set up the command: out of memory");
            return PP_EXIT_RUNTIME;
        }
        config.batch = exec_batch_handler;
        code = pp_worker_run (&config, exec_handler, exec);
        exec_shutdown (exec); /* no --pipe child outlives us */
        exec_destroy (&exec);
    } else
        code = pp_worker_run (&config, pp_job_builtin (args.job), NULL);
    if (pp_verbosity > 0)
        zsys_info ("exit %d; peak RSS %llu KiB",
                   code < 0 ? PP_EXIT_USAGE : code,
                   (unsigned long long) pp_stats_peak_rss_kib ());
    zsys_shutdown ();
    return code < 0 ? PP_EXIT_USAGE : code;
}
