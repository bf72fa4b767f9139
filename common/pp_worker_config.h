/*  pp_worker_config: a worker's public configuration (pp_worker.h),
    checked and turned into the library's socket settings (pp_config.h).
    Internal: pp_worker_run and pp_worker_config_check use it.            */

#ifndef PP_WORKER_CONFIG_H_INCLUDED
#define PP_WORKER_CONFIG_H_INCLUDED

#include "pp_config.h"
#include "pp_worker.h"

#include <stddef.h>

/*  Checks the fields of config and fills *net from it: endpoints from
    PP_* or the defaults, checked; no keys loaded yet (pp_config_security).
    Returns 0, or PP_EINVAL with why filled (naming the flag and value).  */
int pp_worker_config_net (const pp_worker_config_t *config, pp_common_t *net,
                          char *why, size_t size);

#endif
