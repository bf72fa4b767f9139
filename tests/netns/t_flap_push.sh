#!/usr/bin/env bash
# Fault "flap", flow push: see fault.sh.
FAULT=flap FLOW=push
. "$(dirname "$0")/fault.sh"
