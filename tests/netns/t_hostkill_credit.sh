#!/usr/bin/env bash
# Fault "hostkill", flow credit: see fault.sh.
FAULT=hostkill FLOW=credit
. "$(dirname "$0")/fault.sh"
