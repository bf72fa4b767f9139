/*  fds: the worker's file descriptor budget.                             */

#include "fds.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/resource.h>

int
fds_fit (long limit, long open, int threads)
{
    long spare = limit - open - FDS_OWN;
    if (spare < FDS_PER_CHILD || threads < 1)
        return 0;
    long fit = spare / FDS_PER_CHILD;
    return fit < threads ? (int) fit : threads;
}

/*  Open fds: the entries of /proc/self/fd less the one reading it, else
    a probe of every number below limit.                                  */
static long
s_count_open (long limit)
{
    long count = 0;
    DIR *dir = opendir ("/proc/self/fd");
    if (dir) {
        while (readdir (dir))
            count++;
        closedir (dir);
        return count - 3; /* ".", ".." and the directory's own fd */
    }
    for (long fd = 0; fd < limit && fd < INT_MAX; fd++)
        if (fcntl ((int) fd, F_GETFD) != -1)
            count++;
    return count;
}

void
fds_plan (fds_plan_t *plan, int threads)
{
    *plan = (fds_plan_t){.limit = LONG_MAX};
    struct rlimit rl;
    bool known = getrlimit (RLIMIT_NOFILE, &rl) == 0;
    if (known && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < LONG_MAX)
        plan->limit = (long) rl.rlim_cur;
    plan->open = s_count_open (plan->limit < 65536 ? plan->limit : 65536);
    long want = plan->open + FDS_OWN + (long) threads * FDS_PER_CHILD;
    if (known && plan->limit < want && rl.rlim_max > rl.rlim_cur) {
        rlim_t raise =
            rl.rlim_max == RLIM_INFINITY || rl.rlim_max > (rlim_t) want
                ? (rlim_t) want
                : rl.rlim_max;
        struct rlimit higher = {raise, rl.rlim_max};
        if (setrlimit (RLIMIT_NOFILE, &higher) == 0) {
            plan->limit = (long) raise;
            plan->raised = true;
        }
    }
    plan->children = fds_fit (plan->limit, plan->open, threads);
}

bool
fds_worker_fits (const fds_plan_t *plan)
{
    return plan->limit - plan->open >= FDS_OWN;
}
