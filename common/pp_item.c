/*  pp_item: an item with its bytes, and the codec that spills it.         */

#include "pp_item.h"
#include "pp_wire.h"

#include <stdlib.h>
#include <string.h>

pp_item_t *
pp_item_new (uint64_t run_id, uint64_t seq, const void *data, size_t len)
{
    pp_item_t *self = malloc (sizeof (pp_item_t) + len + 1);
    if (!self)
        return NULL;
    self->run_id = run_id;
    self->seq = seq;
    self->t_enq_us = 0;
    self->record = 0;
    self->len = (uint32_t) len;
    self->outcome = PP_OUTCOME_OK;
    self->attempt = 0;
    if (len > 0)
        memcpy (self->data, data, len);
    self->data[len] = '\0';
    return self;
}

void
pp_item_free (void *item)
{
    free (item);
}

/*  Spilled item: run, seq, t_enq, record (8 bytes each), len (4),
    outcome, attempt (1 each), then the bytes.                             */
#define S_ITEM_HEAD 38

static size_t
s_item_size (const void *item)
{
    return S_ITEM_HEAD + ((const pp_item_t *) item)->len;
}

static void
s_item_encode (const void *item, unsigned char *out)
{
    const pp_item_t *self = item;
    pp_put_u64 (out, self->run_id);
    pp_put_u64 (out + 8, self->seq);
    pp_put_u64 (out + 16, self->t_enq_us);
    pp_put_u64 (out + 24, self->record);
    pp_put_u32 (out + 32, self->len);
    out[36] = self->outcome;
    out[37] = self->attempt;
    memcpy (out + S_ITEM_HEAD, self->data, self->len);
}

static void *
s_item_decode (const unsigned char *data, size_t size)
{
    if (size < S_ITEM_HEAD || pp_get_u32 (data + 32) != size - S_ITEM_HEAD)
        return NULL;
    pp_item_t *self = pp_item_new (pp_get_u64 (data), pp_get_u64 (data + 8),
                                   data + S_ITEM_HEAD, size - S_ITEM_HEAD);
    if (self) {
        self->t_enq_us = pp_get_u64 (data + 16);
        self->record = pp_get_u64 (data + 24);
        self->outcome = data[36];
        self->attempt = data[37];
    }
    return self;
}

const pp_chan_codec_t pp_item_codec = {s_item_size, s_item_encode,
                                       s_item_decode};
