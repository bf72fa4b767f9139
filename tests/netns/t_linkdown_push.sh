#!/usr/bin/env bash
# Fault "linkdown", flow push: see fault.sh.
FAULT=linkdown FLOW=push
. "$(dirname "$0")/fault.sh"
