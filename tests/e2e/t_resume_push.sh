#!/usr/bin/env bash
# issue 13: the ventilator killed -9 early, in the middle and in the last
# sixth of a push-flow run, file input and --generate, restarted with the
# same command line plus --resume: the running workers and sink carry on,
# the output holds 1..N exactly once, every process exits 0. Late is 10000
# of 12000: at --rate 4000 that leaves 500 ms, less what the sink's output
# lags behind the ventilator (--rate catches up after a stall). At 11700,
# and under ASan at 11000, the first ventilator now and then finished
# before the kill and --resume found no journal.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
. "$(dirname "$0")/resume_lib.sh"

resume_case early-gen push generate 300 12000
resume_case middle-file push file 6000 12000
resume_case late-gen push generate 10000 12000
