#!/usr/bin/env bash
# Fault "hostkill", flow push: see fault.sh.
FAULT=hostkill FLOW=push
. "$(dirname "$0")/fault.sh"
