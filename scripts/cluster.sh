#!/usr/bin/env bash
# cluster.sh HOSTFILE [--launcher TEMPLATE] [-- pp-worker args...]
#
# Starts pp-worker processes on every host of HOSTFILE -- lines of
# "host slots" (slots = worker processes on that host; # starts a comment)
# -- through a launcher, waits for all of them, and stops them all when it
# exits or is interrupted. The launcher template gets {host} replaced:
#
#   default        ssh -tt {host}            (-tt: the remote dies with ssh;
#                                             ssh hands the command to the
#                                             remote shell, so each word is
#                                             quoted for it here)
#   netns          ip netns exec {host}      (tests, one namespace a host)
#   slurm          see scripts/slurm/pushpull.sbatch
#
# Export PP_TASKS, PP_RESULTS, PP_CONTROL, PP_ACKS before: they are passed
# on the worker's command line, so the remote side needs no environment.
# PP_WORKER (default: pp-worker on the remote PATH) names the binary.
#
#   PP_TASKS=tcp://head:5557 ... scripts/cluster.sh hosts.txt -- --job square
#   ... scripts/cluster.sh hosts.txt -- -- sh -c 'wc -c < {}'
#       (a command: the second -- is pp-worker's)
set -u
usage() {
    echo "usage: $0 HOSTFILE [--launcher TEMPLATE] [-- pp-worker args...]" >&2
    exit 2
}
[ $# -ge 1 ] || usage
hostfile=$1
shift
launcher='ssh -tt {host}'
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    case $1 in
        --launcher) [ $# -ge 2 ] || usage; launcher=$2; shift 2 ;;
        *) usage ;;
    esac
done
[ $# -gt 0 ] && shift
[ -r "$hostfile" ] || { echo "$0: cannot read $hostfile" >&2; exit 2; }
worker=${PP_WORKER:-pp-worker}
endpoints=()
for var in TASKS RESULTS CONTROL ACKS; do
    name=PP_$var
    flag=--$(echo "$var" | tr 'A-Z' 'a-z')
    [ -n "${!name:-}" ] && endpoints+=("$flag" "${!name}")
done

# quote WORDS...: the words as one POSIX shell command line, each in
# single quotes (' as '\''), for a launcher that runs its command through
# a shell (ssh joins its arguments with spaces for the remote shell: an
# sh -c 'a b' would arrive as sh -c a b).
quote() {
    local word out=()
    for word; do
        out+=("'${word//\'/\'\\\'\'}'")
    done
    printf '%s' "${out[*]}"
}

pids=()
stop_all() {
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    sleep 0.5
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
}
trap stop_all EXIT
trap 'exit 130' INT TERM

lineno=0
while read -r host slots rest; do
    lineno=$((lineno + 1))
    case $host in '' | '#'*) continue ;; esac
    slots=${slots:-1}
    case $slots in *[!0-9]* | 0)
        echo "$0: $hostfile:$lineno: slots '$slots' is not a count" >&2
        exit 2 ;;
    esac
    [ -z "$rest" ] || { echo "$0: $hostfile:$lineno: extra '$rest'" >&2; exit 2; }
    # shellcheck disable=SC2206 # the template is a command line to split
    cmd=(${launcher//\{host\}/$host})
    for _ in $(seq 1 "$slots"); do
        if [ "$(basename "${cmd[0]}")" = ssh ]; then
            "${cmd[@]}" "$(quote "$worker" "${endpoints[@]}" "$@")" &
        else
            "${cmd[@]}" "$worker" "${endpoints[@]}" "$@" &
        fi
        pids+=("$!")
    done
    echo "cluster: $slots worker(s) on $host" >&2
done <"$hostfile"
[ ${#pids[@]} -gt 0 ] || { echo "$0: no hosts in $hostfile" >&2; exit 2; }

rc=0
for pid in "${pids[@]}"; do
    wait "$pid" || rc=$?
done
exit "$rc"
