#!/bin/sh
# Prepares the compose stack's agents: waits for the server, then writes agent.properties (with
# an enrollment token for MODELFLEET_AGENT_COUNT devices, owner-only), root.pub.pem and
# fleet-ca.pem into /etc/modelfleet, as docs/operations.md tells an operator to. Does nothing
# when the agents are configured already. Runs in the agent image (busybox wget, no curl).
set -eu
conf=/etc/modelfleet
server=${MODELFLEET_SERVER_URL:?}
if [ -s "$conf/agent.properties" ]; then
  echo "fleet-init: the agents are configured already"
  exit 0
fi
: "${MODELFLEET_ADMIN_TOKEN:?set it in admin.env (deploy/compose/make-secrets.sh)}"
auth="Authorization: Bearer $MODELFLEET_ADMIN_TOKEN"

tries=0
# (timeout, not wget -T: Debian's busybox 1.35 wget crashes with -T)
until timeout 10 busybox wget -q -O /dev/null "$server/q/health/ready" 2>/dev/null; do
  tries=$((tries + 1))
  if [ "$tries" -ge 150 ]; then
    echo "fleet-init: the server at $server was not ready after 5 minutes" >&2
    exit 1
  fi
  sleep 2
done

umask 077
busybox wget -q -O "$conf/root.pub.pem.part" --header "$auth" "$server/api/v1/trust/root.pem"
busybox wget -q -O "$conf/fleet-ca.pem.part" --header "$auth" "$server/api/v1/trust/fleet-ca.pem"
answer=$(busybox wget -q -O - --header "$auth" --header 'Content-Type: application/json' \
  --post-data "{\"name\":\"compose\",\"labels\":{\"site\":\"compose\"},\"maxUses\":${MODELFLEET_AGENT_COUNT:-2},\"expiresInSeconds\":86400}" \
  "$server/api/v1/enrollment-tokens")
token=$(echo "$answer" | sed -n 's/.*"token" *: *"\([^"]*\)".*/\1/p')
[ -n "$token" ] || { echo "fleet-init: no token in the server's answer" >&2; exit 1; }
cat >"$conf/agent.properties.part" <<PROPERTIES
# Written by deploy/compose/fleet-init.sh: one token for the stack's agents (labels site=compose).
server=${MODELFLEET_AGENT_SERVER:?}
token=$token
root-key=$conf/root.pub.pem
server-ca=$conf/fleet-ca.pem
PROPERTIES
mv "$conf/root.pub.pem.part" "$conf/root.pub.pem"
mv "$conf/fleet-ca.pem.part" "$conf/fleet-ca.pem"
mv "$conf/agent.properties.part" "$conf/agent.properties"
echo "fleet-init: wrote $conf/agent.properties for ${MODELFLEET_AGENT_COUNT:-2} agents"
