/*  pp_worker_config: defaults, checks, and the socket settings they make. */

#include "pp_worker_config.h"
#include "pp_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define S_THREADS_MAX 1024
#define S_CAPACITY_MAX 1000000
#define S_HWM_MAX 1000000
#define S_BUFFER_BYTES (8ULL << 20) /* --buffer-bytes default          */
#define S_BUFFER_MIN (64ULL << 10)
#define S_BUFFER_MAX (1ULL << 40)

void
pp_worker_config_init (pp_worker_config_t *config)
{
    memset (config, 0, sizeof (*config));
    pp_common_t defaults; /* the socket defaults have one home          */
    pp_config_defaults (&defaults);
    config->hwm = defaults.hwm;
    config->max_item_size = 0;  /* the ventilator's                    */
    config->flow = PP_FLOW_RUN; /* the ventilator's                    */
    long cores = sysconf (_SC_NPROCESSORS_ONLN);
    config->threads = cores > 0 ? (int) cores : 1;
    config->capacity = 0; /* automatic: see pp_wsize_channel          */
    config->overflow = PP_OVERFLOW_BLOCK;
    config->ventilator_timeout_ms = 90000; /* a ventilator restarted within
                                              a minute finds us      */
    config->verbosity = 1;
    config->buffer_bytes = S_BUFFER_BYTES;
}

/*  A number field outside [min, max]: its flag, value and range.          */
static int
s_range (const char *flag, long long value, long long min, long long max,
         char *why, size_t size)
{
    if (value >= min && value <= max)
        return 0;
    return pp_config_why (why, size, "%s: %lld is out of range (%lld..%lld)",
                          flag, value, min, max);
}

/*  The fields that are not endpoints or keys.                             */
static int
s_check_fields (const pp_worker_config_t *config, char *why, size_t size)
{
    int rc =
        s_range ("--threads", config->threads, 1, S_THREADS_MAX, why, size);
    if (rc == 0)
        rc = s_range ("--capacity", config->capacity, 0, S_CAPACITY_MAX, why,
                      size);
    if (rc == 0)
        rc = s_range ("--hwm", config->hwm, 1, S_HWM_MAX, why, size);
    if (rc == 0 && config->max_item_size > PP_MAX_ITEM_LIMIT)
        rc = pp_config_why (why, size,
                            "--max-item-size: %llu is not 1..1G bytes",
                            (unsigned long long) config->max_item_size);
    if (rc == 0 && (config->buffer_bytes < S_BUFFER_MIN ||
                    config->buffer_bytes > S_BUFFER_MAX))
        rc = pp_config_why (why, size,
                            "--buffer-bytes: %llu is not 64K..1T bytes",
                            (unsigned long long) config->buffer_bytes);
    if (rc == 0 && config->flow != PP_FLOW_PUSH &&
        config->flow != PP_FLOW_CREDIT && config->flow != PP_FLOW_RUN)
        rc = pp_config_why (why, size, "--flow: %d is not push or credit",
                            (int) config->flow);
    if (rc == 0 && config->overflow != PP_OVERFLOW_BLOCK &&
        config->overflow != PP_OVERFLOW_DROP &&
        config->overflow != PP_OVERFLOW_SPILL)
        rc = pp_config_why (why, size,
                            "--overflow: %d is not block, drop or spill",
                            (int) config->overflow);
    if (rc == 0 && config->ventilator_timeout_ms < 0)
        rc = pp_config_why (why, size,
                            "--ventilator-timeout: %lld ms is negative",
                            (long long) config->ventilator_timeout_ms);
    return rc;
}

int
pp_worker_config_net (const pp_worker_config_t *config, pp_common_t *net,
                      char *why, size_t size)
{
    pp_config_defaults (net);
    int rc = s_check_fields (config, why, size);
    if (rc != 0)
        return rc;
    net->tasks = config->tasks;
    net->results = config->results;
    net->control = config->control;
    net->acks = config->acks;
    net->hwm = config->hwm;
    /*  Not given: the ventilator's, from its STATE (pp_ctl_adopt).        */
    if (config->max_item_size > 0) {
        net->max_item = config->max_item_size;
        net->given |= PP_GIVEN_MAX_ITEM;
    }
    if (config->flow != PP_FLOW_RUN) {
        net->flow = config->flow;
        net->given |= PP_GIVEN_FLOW;
    }
    net->curve_secret = config->curve_secret;
    net->curve_server = config->curve_server;
    return pp_config_endpoints (net, why, size);
}

int
pp_worker_config_check (const pp_worker_config_t *config, char *why,
                        size_t size)
{
    pp_common_t net;
    int rc = pp_worker_config_net (config, &net, why, size);
    if (rc == 0)
        rc = pp_config_security (&net, false, true, why, size);
    pp_config_security_end (&net);
    return rc;
}
