#!/bin/sh
# fakecli stands in for a runtime CLI (docker, podman, container, limactl).
# It records its argv in calls/N/argv next to itself, each argument followed
# by a NUL (arguments cannot contain NUL, so any other byte survives), then
# answers from resp/: the first of N.*, SUBCOMMAND.*, default.* that exists,
# where N is the call's 1-based number and SUBCOMMAND its first argument not
# starting with "-". KEY.stdout and KEY.stderr are printed, KEY.sleep seconds
# slept, and KEY.exit is the exit status (default 0).
# Builtins are preferred over commands: tests run it hundreds of times.
dir=${0%/*}
[ -d "$dir/calls" ] || mkdir -p "$dir/calls"
n=1
while ! mkdir "$dir/calls/$n" 2>/dev/null; do
	[ -d "$dir/calls/$n" ] || exit 99
	n=$((n + 1))
done
for a in "$@"; do printf '%s\0' "$a"; done >"$dir/calls/$n/argv"
sub=
for a in "$@"; do
	case $a in
	-*) ;;
	*) sub=$a; break ;;
	esac
done
key=default
for k in "$n" "$sub"; do
	case $k in '' | *[!A-Za-z0-9_.-]*) continue ;; esac
	for ext in stdout stderr sleep exit; do
		if [ -f "$dir/resp/$k.$ext" ]; then key=$k; break 2; fi
	done
done
r=$dir/resp/$key
# --cidfile=PATH: the id in resp/cid is written there, as a run that
# created its container does even when the start then fails.
for a in "$@"; do
	case $a in --cidfile=*) [ -f "$dir/resp/cid" ] && cat "$dir/resp/cid" >"${a#--cidfile=}" ;; esac
done
[ -s "$r.stdout" ] && cat "$r.stdout"
[ -s "$r.stderr" ] && cat "$r.stderr" >&2
if [ -f "$r.sleep" ]; then read -r s <"$r.sleep"; sleep "$s"; fi
code=0
[ -f "$r.exit" ] && read -r code <"$r.exit"
exit "$code"
