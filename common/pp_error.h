/*  pp_error: the error codes every pushpull function returns, and the
    exit statuses of the pushpull programs (which pp_worker_run returns).

    Functions return 0 on success or one of these negative codes. They are
    distinct so a caller can tell "closed" from "timed out" from "full".     */

#ifndef PP_ERROR_H_INCLUDED
#define PP_ERROR_H_INCLUDED

enum {
    PP_OK = 0,
    PP_ECLOSED = -1,   /* channel closed and drained; no more items        */
    PP_ETIMEDOUT = -2, /* the wait ran out before anything happened        */
    PP_EAGAIN = -3,    /* would block: full on send, empty on receive      */
    PP_EPROTO = -4,    /* a frame or message broke the wire protocol       */
    PP_EABORTED = -5,  /* the channel or run was aborted                   */
    PP_ENOMEM = -6,    /* out of memory                                    */
    PP_EINVAL = -7,    /* a bad argument or value                          */
    PP_EIO = -8,       /* a read, write or socket call failed              */
    PP_ETOOBIG = -9,   /* an item or result is over the size limit         */
    PP_ERANGE = -10,   /* a number outside the range it may take           */
};

/*  Returns a static, human-readable description of a PP_E* code.           */
const char *pp_strerror (int code);

/*  How a pushpull program (or pp_worker_run) ends.                         */
#define PP_EXIT_OK 0      /* the run completed, every item ok          */
#define PP_EXIT_RUNTIME 1 /* an error, or results withheld from the sink */
#define PP_EXIT_USAGE 2   /* a bad flag or configuration               */
#define PP_EXIT_ABORTED 3 /* the run was aborted, or stopped at once   */
#define PP_EXIT_FAILED 4  /* the run completed with failed or dropped items */

#endif
