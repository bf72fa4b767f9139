#!/usr/bin/env bash
# Fault "loss", flow credit: see fault.sh.
FAULT=loss FLOW=credit
. "$(dirname "$0")/fault.sh"
