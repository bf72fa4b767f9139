#!/usr/bin/env bash
# Fault "loss", flow push: see fault.sh.
FAULT=loss FLOW=push
. "$(dirname "$0")/fault.sh"
