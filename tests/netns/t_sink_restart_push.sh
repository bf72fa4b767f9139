#!/usr/bin/env bash
# The sink killed (-9) and resumed twice, flow push: see sink_restart.sh.
FLOW=push
. "$(dirname "$0")/sink_restart.sh"
