#!/usr/bin/env bash
# Fault "netem", flow credit: see fault.sh.
FAULT=netem FLOW=credit
. "$(dirname "$0")/fault.sh"
