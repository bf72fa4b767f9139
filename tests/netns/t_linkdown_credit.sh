#!/usr/bin/env bash
# Fault "linkdown", flow credit: see fault.sh.
FAULT=linkdown FLOW=credit
. "$(dirname "$0")/fault.sh"
