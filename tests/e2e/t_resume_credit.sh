#!/usr/bin/env bash
# issue 13: as t_resume_push, in credit flow: the workers' DEALERs meet a
# new ROUTER that does not know them, are asked to join again (BYE) and
# take part in the resumed run without a restart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctl_lib.sh"
. "$(dirname "$0")/resume_lib.sh"

resume_case early-file credit file 300 12000
resume_case middle-gen credit generate 6000 12000
resume_case late-file credit file 10000 12000
