/*  pp_job: buffers, the job context, and the built-in jobs.               */

#include "pp_job.h"
#include "pp_chan.h"
#include "pp_error.h"
#include "pp_job_internal.h"
#include "pp_parse.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
pp_buf_append (pp_buf_t *buf, const void *data, size_t len)
{
    if (len > buf->max - buf->len)
        return PP_ETOOBIG;
    if (buf->len + len + 1 > buf->cap) {
        size_t cap = buf->cap ? buf->cap : 64;
        while (cap < buf->len + len + 1)
            cap *= 2;
        char *grown = realloc (buf->data, cap);
        if (!grown)
            return PP_ENOMEM;
        buf->data = grown;
        buf->cap = cap;
    }
    memcpy (buf->data + buf->len, data, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
    return 0;
}

void
pp_buf_printf (pp_buf_t *buf, const char *fmt, ...)
{
    char text[512];
    va_list args;
    va_start (args, fmt);
    int n = vsnprintf (text, sizeof (text), fmt, args);
    va_end (args);
    buf->len = 0;
    size_t len = n < 0 ? 0 : (size_t) n;
    if (len >= sizeof (text))
        len = sizeof (text) - 1;
    if (len > buf->max)
        len = buf->max;
    pp_buf_append (buf, text, len);
}

void
pp_buf_free (pp_buf_t *buf)
{
    free (buf->data);
    buf->data = NULL;
    buf->len = buf->cap = 0;
}

uint64_t
pp_job_seq (const pp_job_ctx_t *ctx)
{
    return ctx->seq;
}

uint64_t
pp_job_record (const pp_job_ctx_t *ctx)
{
    return ctx->record;
}

uint64_t
pp_job_run_id (const pp_job_ctx_t *ctx)
{
    return ctx->run_id;
}

uint32_t
pp_job_worker_id (const pp_job_ctx_t *ctx)
{
    return ctx->worker_id;
}

void
pp_job_set_status (pp_job_ctx_t *ctx, int status)
{
    ctx->status = status;
}

int
pp_job_sleep (pp_job_ctx_t *ctx, int64_t ms)
{
    if (ms <= 0)
        return 0;
    int wait = ms > INT_MAX ? INT_MAX : (int) ms;
    return pp_chan_wait_aborted (ctx->cancel, wait) == PP_EABORTED ? PP_EABORTED
                                                                   : 0;
}

bool
pp_job_aborted (pp_job_ctx_t *ctx)
{
    return pp_chan_wait_aborted (ctx->cancel, 0) == PP_EABORTED;
}

/*  Shows at most 40 bytes of an item in a failure reason.                 */
static int
s_shown (size_t len)
{
    return len > 40 ? 40 : (int) len;
}

static int
s_square (pp_job_ctx_t *ctx, const char *item, size_t len, pp_buf_t *out,
          void *user)
{
    (void) ctx;
    (void) user;
    int64_t n;
    if (pp_parse_int64 (item, len, &n) != 0) {
        pp_buf_printf (out, "not an integer: '%.*s'", s_shown (len), item);
        return -1;
    }
    if (n > 3037000499LL || n < -3037000499LL) {
        pp_buf_printf (out, "square of %lld overflows int64", (long long) n);
        return -1;
    }
    char text[24];
    int size = snprintf (text, sizeof (text), "%lld", (long long) (n * n));
    return pp_buf_append (out, text, (size_t) size) == 0 ? 0 : -1;
}

static int
s_sleep (pp_job_ctx_t *ctx, const char *item, size_t len, pp_buf_t *out,
         void *user)
{
    (void) user;
    int64_t ms;
    if (pp_parse_int64 (item, len, &ms) != 0 || ms < 0 || ms > 86400000) {
        pp_buf_printf (out, "not a sleep time in ms: '%.*s'", s_shown (len),
                       item);
        return -1;
    }
    if (pp_job_sleep (ctx, ms) != 0) {
        pp_buf_printf (out, "aborted");
        return -1;
    }
    return pp_buf_append (out, item, len) == 0 ? 0 : -1;
}

static int
s_echo (pp_job_ctx_t *ctx, const char *item, size_t len, pp_buf_t *out,
        void *user)
{
    (void) ctx;
    (void) user;
    if (pp_buf_append (out, item, len) != 0) {
        pp_buf_printf (out, "result too large");
        return -1;
    }
    return 0;
}

bool
pp_job_is_echo (pp_handler_fn *handler)
{
    return handler == s_echo;
}

pp_handler_fn *
pp_job_builtin (const char *name)
{
    if (strcmp (name, "square") == 0)
        return s_square;
    if (strcmp (name, "sleep") == 0)
        return s_sleep;
    if (strcmp (name, "echo") == 0)
        return s_echo;
    return NULL;
}
