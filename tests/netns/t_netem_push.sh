#!/usr/bin/env bash
# Fault "netem", flow push: see fault.sh.
FAULT=netem FLOW=push
. "$(dirname "$0")/fault.sh"
