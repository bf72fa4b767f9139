#!/usr/bin/env bash
# The sink killed (-9) and resumed twice, flow credit: see sink_restart.sh.
FLOW=credit
. "$(dirname "$0")/sink_restart.sh"
