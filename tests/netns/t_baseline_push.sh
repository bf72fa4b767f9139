#!/usr/bin/env bash
# Fault "none", flow push: see fault.sh.
FAULT=none FLOW=push
. "$(dirname "$0")/fault.sh"
