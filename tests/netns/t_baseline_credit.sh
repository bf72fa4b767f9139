#!/usr/bin/env bash
# Fault "none", flow credit: see fault.sh.
FAULT=none FLOW=credit
. "$(dirname "$0")/fault.sh"
