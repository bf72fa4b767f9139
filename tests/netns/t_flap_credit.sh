#!/usr/bin/env bash
# Fault "flap", flow credit: see fault.sh.
FAULT=flap FLOW=credit
. "$(dirname "$0")/fault.sh"
