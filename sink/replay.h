/*  sink_replay: --resume reads back FILE.journal -- the run's last
    complete checkpoint, and a ledger holding every seq any complete
    checkpoint of the journal vouches for (journal.h says why a torn last
    record is left out, and why that is safe).                             */

#ifndef SINK_REPLAY_H_INCLUDED
#define SINK_REPLAY_H_INCLUDED

#include "journal.h"
#include "ledger.h"

/*  Reads the journal at path: fills *cp with its last complete checkpoint
    and sets *ledger_p to a new ledger (the checkpoint's window, not
    ordered; the caller owns it) with every journaled seq recorded and
    base moved past them. Returns 0, or an error after logging why
    (PP_EPROTO: no complete checkpoint, or one the ledger cannot hold;
    PP_EIO: unreadable; PP_ENOMEM); *ledger_p is then NULL.               */
int sink_replay_load (const char *path, sink_checkpoint_t *cp,
                      sink_ledger_t **ledger_p);

#endif
