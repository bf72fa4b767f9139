#!/usr/bin/env bash
# issue 13: the ventilator killed -9 early, in the middle and in the last
# few percent of a push-flow run, file input and --generate, restarted with
# the same command line plus --resume: the running workers and sink carry
# on, the output holds 1..N exactly once, every process exits 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
. "$(dirname "$0")/resume_lib.sh"

resume_case early-gen push generate 300 12000
resume_case middle-file push file 6000 12000
resume_case late-gen push generate 11700 12000
