#!/usr/bin/env bash
# examples/stages.sh -- pushpull runs chained like Unix tools: read, parse,
# aggregate, each stage a whole pipeline of its own.
#
#   examples/stages.sh [-w N] [-d DIR] [-s SINK-FLAG]... INPUT STAGE [:: STAGE]...
#
# A STAGE is pp-worker arguments (a bare :: is none of them). Each stage
# is a ventilator, N workers (-w, default 2) with those arguments, and a
# sink, on ipc:// endpoints of its own in DIR (-d; default a fresh
# directory, removed at the end). Stage 1's ventilator reads INPUT ('-':
# stdin); each sink's results are the next stage's input; the last sink
# writes to stdout, with each -s FLAG added.
# pp-ventilator, pp-worker and pp-sink are taken from PATH.
#
#   examples/stages.sh -s --sum access.log \
#       --pipe -- sed -u 's/.* //' :: --job square
#
# Between two stages runs a named pipe, not `|`: this script holds its
# write end too, so the next ventilator sees the end of its input only once
# the sink before it completed (exit 0, or 4: some items failed). A stage
# that ends otherwise -- aborted, an error, killed -- never looks like a
# short input downstream: every other stage is aborted (a stage after it
# would work on part of its input; a stage before it has nowhere to write).
#
# Stopping: the first SIGINT/SIGTERM drains stage 1 (its ventilator stops
# reading, finishes what it read); the end of its output then drains each
# stage in turn, and everything read comes out of the last. A second
# signal aborts every stage.
#
# Exit status: 0 when the sink and the ventilator of every stage ended 0.
# Else 10*S + C: S the stage that failed first, C the exit code its sink,
# ventilator or workers ended with (1 error, 2 usage, 3 aborted; 9 for a
# signal) -- 23 is "stage 2 aborted"; with no such failure (a second
# signal aborted all: 13), S the first stage whose sink or ventilator did
# not exit 0, with its code: 4 when it completed with items failed or
# dropped. Lines on stderr say the same, stage by stage.
#
# Exactly once, and where it stops: each stage writes every item of its
# input exactly once into its sink's output. Between stages there is only a
# stream: if a stage dies, the stages after it are aborted and their
# output is partial (the exit status says so). To resume a long chain
# instead of rerunning it, write each stage's output to a file (pp-sink
# -o FILE, resumable with --resume) and run the next stage on that file
# with pp-ventilator --journal.
set -u
usage() {
    echo "usage: $0 [-w N] [-d DIR] [-s SINK-FLAG]... INPUT STAGE [:: STAGE]..." >&2
    exit 2
}
workers=2 dir='' last_flags=()
while getopts w:d:s: opt; do
    case $opt in
        w) workers=$OPTARG ;;
        d) dir=$OPTARG ;;
        s) last_flags+=("$OPTARG") ;;
        *) usage ;;
    esac
done
shift $((OPTIND - 1))
case $workers in '' | *[!0-9]* | 0)
    echo "$0: -w '$workers': workers per stage must be a count (1 or more)" >&2
    exit 2 ;;
esac
[ $# -ge 2 ] || usage
input=$1
shift
[ "$input" = - ] || [ -r "$input" ] || { echo "$0: cannot read $input" >&2; exit 2; }

# The stages: stage k's worker arguments are words ${spec_at[k]}, count
# ${spec_len[k]} of "$@".
spec_at=() spec_len=()
at=1 len=0
for ((i = 1; i <= $# + 1; i++)); do
    if ((i > $#)) || [ "${!i}" = "::" ]; then
        ((len > 0)) || { echo "$0: stage $((${#spec_at[@]} + 1)) is empty" >&2; exit 2; }
        spec_at+=("$at") spec_len+=("$len")
        at=$((i + 1)) len=0
    else
        len=$((len + 1))
    fi
done
nstages=${#spec_at[@]}
((nstages <= 25)) || { echo "$0: at most 25 stages (exit status 10*S + C)" >&2; exit 2; }

keep_dir=1
if [ -z "$dir" ]; then
    dir=$(mktemp -d "${TMPDIR:-/tmp}/pp-stages.XXXXXX") || exit 1
    keep_dir=0
fi
mkdir -p "$dir" || exit 1

declare -A stage_of=() role_of=() # pid -> its stage, its role
declare -A code_of=()             # "stage role" -> exit code (sink, vent)
worker_codes=()                   # stage -> its workers' exit codes
workers_ended=()                  # stage -> how many of them ended
vent=()                           # stage -> its ventilator's pid
hold=()                           # stage -> fd held on the pipe after it
pending=()                        # pids not yet waited for
cause=0 cause_code=0              # the stage that failed first, and how
aborting=0

# s_start STAGE ROLE STDIN CMD...: starts CMD with STDIN ('': none, '-':
# this script's) in a session of its own, so a Ctrl-C on the terminal
# reaches this script alone (which drains stage 1 only), and without the
# pipe ends this script holds. The child opens STDIN: a pipe's open waits
# for its writer, this script does not.
s_start() {
    local stage=$1 role=$2 from=$3 fd
    shift 3
    (
        case $from in
            '') ;;
            -) exec <&"$stdin_fd" ;;
            *) exec <"$from" ;;
        esac
        for fd in "$stdin_fd" "${hold[@]}"; do exec {fd}>&-; done
        exec setsid "$@"
    ) &
    stage_of[$!]=$stage role_of[$!]=$role
    pending+=("$!")
    LAST=$!
}

# s_abort STAGE: every process of the stage is told (a ventilator that
# never started a run could not tell its sink). A SIGINT and a SIGTERM
# together: the first signal would drain, the second aborts, and two
# signals of one kind sent at once may arrive as one. Both are sent while
# the process is stopped, so that it sees them at once: sent one after
# the other, a ventilator with nothing in flight could act on the first,
# drain and complete its run before the second came (t_stages saw a
# stage whose input was cut complete so, once).
s_abort() {
    local pid
    for pid in "${pending[@]}"; do
        [ "${stage_of[$pid]}" = "$1" ] || continue
        kill -STOP "$pid" 2>/dev/null
        kill -INT "$pid" 2>/dev/null
        kill -TERM "$pid" 2>/dev/null
        kill -CONT "$pid" 2>/dev/null
    done
}

s_abort_all() {
    local stage
    aborting=1
    for ((stage = 1; stage <= nstages; stage++)); do s_abort "$stage"; done
}

signals=0
# shellcheck disable=SC2317 # a trap handler
s_on_signal() {
    signals=$((signals + 1))
    if ((signals == 1)); then
        echo "stages: draining stage 1 (a second signal aborts every stage)" >&"$err"
        [ -n "${vent[1]:-}" ] && kill -TERM "${vent[1]}" 2>/dev/null
    else
        s_abort_all
    fi
}

# s_ended PID CODE: a process ended. A sink ending 0 or 4 completed its
# stage: the next stage may see the end of its input. A sink or ventilator
# ending otherwise failed its stage: every stage is stopped.
s_ended() {
    local pid=$1 code=$2 stage=${stage_of[$1]} role=${role_of[$1]}
    if [ "$role" = worker ]; then
        worker_codes[stage]+=" $code"
        workers_ended[stage]=$((${workers_ended[stage]:-0} + 1))
        # Every worker gone, the last with an error, the ventilator still
        # there: it would wait for workers forever (a bad worker flag).
        ((workers_ended[stage] == workers && code != 0)) &&
            kill -0 "${vent[$stage]}" 2>/dev/null || return
        role="workers (every one)"
    else
        code_of["$stage $role"]=$code
    fi
    case $code in
        0 | 4)
            local fd=${hold[$stage]:-}
            if [ "$role" = sink ] && [ -n "$fd" ]; then
                exec {fd}>&-
                unset "hold[$stage]"
            fi
            return ;;
    esac
    if ((cause == 0 && aborting == 0)); then
        cause=$stage cause_code=$code
        echo "stages: stage $stage failed: its $role exited $code;" \
            "stopping every stage" >&"$err"
    fi
    ((aborting)) || s_abort_all
}

trap s_on_signal INT TERM
trap s_abort_all HUP
exec {stdin_fd}<&0
# This script's own messages; its stderr is muted while it waits, where
# bash would print a line (and the code of s_start) for each process
# killed by a signal: the stage lines at the end say it.
exec {err}>&2

# Workers and ventilators first (each ventilator after stage 1 opens the
# pipe before it for reading), then this script's hold on each pipe (its
# open waits for that reader), then the sinks, each writing into the pipe
# after its stage.
for ((k = 1; k <= nstages; k++)); do
    ep=ipc://$dir/s$k
    export PP_TASKS=$ep-tasks PP_RESULTS=$ep-results PP_CONTROL=$ep-control \
        PP_ACKS=$ep-acks
    for ((i = 1; i <= workers; i++)); do
        s_start "$k" worker '' pp-worker -q \
            "${@:${spec_at[k - 1]}:${spec_len[k - 1]}}"
        echo "$LAST" >"$dir/s$k-worker$i.pid"
    done
    from=
    if ((k == 1)); then
        [ "$input" = - ] && from=-
    else
        from=$dir/s$((k - 1)).pipe
        rm -f "$from"
        mkfifo "$from" || exit 1
    fi
    args=(--wait-workers "$workers")
    ((k == 1)) && [ "$input" != - ] && args+=("$input")
    s_start "$k" ventilator "$from" pp-ventilator -q "${args[@]}"
    vent[k]=$LAST
    echo "$LAST" >"$dir/s$k-ventilator.pid"
done
for ((k = 1; k < nstages; k++)); do
    exec {fd}>"$dir/s$k.pipe"
    hold[k]=$fd
done
for ((k = 1; k <= nstages; k++)); do
    export PP_TASKS=ipc://$dir/s$k-tasks PP_RESULTS=ipc://$dir/s$k-results \
        PP_CONTROL=ipc://$dir/s$k-control PP_ACKS=ipc://$dir/s$k-acks
    if ((k < nstages)); then
        s_start "$k" sink '' pp-sink -q >&"${hold[k]}"
    else
        s_start "$k" sink '' pp-sink -q "${last_flags[@]}"
    fi
    echo "$LAST" >"$dir/s$k-sink.pid"
done

# Wait for every process. Those that ended since the last look are taken
# last stage first: a stage whose next stage died fails on its next write,
# after it, and must not be blamed.
exec 2>/dev/null
while ((${#pending[@]} > 0)); do
    left=() ended=()
    for pid in "${pending[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then left+=("$pid"); else ended+=("$pid"); fi
    done
    pending=("${left[@]}")
    for ((k = nstages; k >= 1; k--)); do
        for pid in "${ended[@]}"; do
            [ "${stage_of[$pid]}" = "$k" ] || continue
            wait "$pid"
            s_ended "$pid" $?
        done
    done
    ((${#pending[@]} == 0)) || sleep 0.05
done
exec 2>&"$err"

for ((k = 1; k <= nstages; k++)); do
    echo "stages: stage $k: ventilator exit ${code_of["$k ventilator"]}," \
        "sink exit ${code_of["$k sink"]}, workers exit${worker_codes[k]}" >&2
    if ((cause == 0)); then
        for code in "${code_of["$k sink"]}" "${code_of["$k ventilator"]}"; do
            ((code == 0)) || { cause=$k cause_code=$code; break; }
        done
    fi
done
((keep_dir)) || rm -rf "$dir"
((cause == 0)) && exit 0
((cause_code <= 4)) || cause_code=9
exit $((10 * cause + cause_code))
