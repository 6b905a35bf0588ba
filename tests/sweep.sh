#!/usr/bin/env bash
# Removes every container, network and volume (and Swarm service, secret and
# config) a test created (label perry.test=1).
set -u
docker info >/dev/null 2>&1 || exit 0
# Swarm services first: their tasks' containers and their networks go with them.
if [ "$(docker info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null)" = true ]; then
  for kind in service secret config; do
    ids=$(docker $kind ls -q --filter label=perry.test=1)
    [ -n "$ids" ] && docker $kind rm $ids >/dev/null
  done
fi
ids=$(docker ps -aq --filter label=perry.test=1)
[ -n "$ids" ] && docker rm -f $ids >/dev/null
nets=$(docker network ls -q --filter label=perry.test=1)
[ -n "$nets" ] && docker network rm $nets >/dev/null
vols=$(docker volume ls -q --filter label=perry.test=1)
[ -n "$vols" ] && docker volume rm -f $vols >/dev/null
exit 0
