#!/usr/bin/env bash
# Removes what the tests left on podman and nerdctl: every container, pod,
# network and volume labelled perry.test=1, and the CNI-* iptables chains of
# nerdctl containers that no longer exist (nerdctl leaves them behind when a
# container is removed). Runtimes that are not installed are skipped; Docker
# is tests/sweep.sh's job.
set -u
LABEL=perry.test=1
NERDCTL_NAMESPACE=perrytest

sweep() { # sweep CLI: containers, then networks, then volumes
  local cli=$1 ids
  ids=$("$cli" ps -aq --filter "label=$LABEL" 2>/dev/null)
  [ -n "$ids" ] && "$cli" rm -f $ids >/dev/null 2>&1
  ids=$("$cli" network ls -q --filter "label=$LABEL" 2>/dev/null)
  [ -n "$ids" ] && "$cli" network rm $ids >/dev/null 2>&1
  ids=$("$cli" volume ls -q --filter "label=$LABEL" 2>/dev/null)
  [ -n "$ids" ] && "$cli" volume rm -f $ids >/dev/null 2>&1
}

if command -v podman >/dev/null && podman info >/dev/null 2>&1; then
  ids=$(podman pod ps -q --filter "label=$LABEL" 2>/dev/null)
  [ -n "$ids" ] && podman pod rm -f $ids >/dev/null 2>&1
  sweep podman
fi

if command -v nerdctl >/dev/null && nerdctl --namespace "$NERDCTL_NAMESPACE" info >/dev/null 2>&1; then
  export CONTAINERD_NAMESPACE=$NERDCTL_NAMESPACE
  sweep nerdctl
  if command -v iptables >/dev/null; then
    # A CNI rule's comment names its container: id: "<namespace>-<container id>".
    live=" $(nerdctl ps -aq --no-trunc 2>/dev/null | tr '\n' ' ') "
    for table in nat filter; do
      rules=$(iptables -w -t "$table" -S 2>/dev/null | grep -E "id: \\\\\"$NERDCTL_NAMESPACE-[0-9a-f]{64}\\\\\"") || continue
      dead=()
      while IFS= read -r id; do
        case $live in *" $id "*) ;; *) dead+=("$id") ;; esac
      done < <(printf '%s\n' "$rules" | sed -n "s/.*id: \\\\\"$NERDCTL_NAMESPACE-\([0-9a-f]\{64\}\)\\\\\".*/\1/p" | sort -u)
      [ ${#dead[@]} -eq 0 ] && continue
      chains=()
      for id in "${dead[@]}"; do
        # Rules in shared chains (POSTROUTING, CNI-HOSTPORT-*) go one by one;
        # the container's own chains (CNI-<hash>, CNI-DN-<hash>) go whole.
        while IFS= read -r rule; do
          chain=$(awk '{print $2}' <<<"$rule")
          if [[ $chain =~ ^CNI-(DN-)?[0-9a-f]{24}$ ]]; then
            chains+=("$chain")
          else
            eval "iptables -w -t $table -D ${rule#-A }" 2>/dev/null
          fi
        done < <(grep -F "$NERDCTL_NAMESPACE-$id" <<<"$rules")
      done
      for chain in $(printf '%s\n' "${chains[@]}" | sort -u); do
        iptables -w -t "$table" -F "$chain" 2>/dev/null
        iptables -w -t "$table" -X "$chain" 2>/dev/null
      done
    done
  fi
fi
exit 0
