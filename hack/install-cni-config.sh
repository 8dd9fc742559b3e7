#!/usr/bin/env bash
# Gives the node a default pod network when it has none: a bridge "berth0"
# with host-local addresses from 10.88.0.0/16 and host ports through portmap,
# written to /etc/cni/net.d/10-berth.conflist. A conf dir that already holds
# a network (.conflist, .conf or .json) is left alone.
set -euo pipefail

CONF_DIR=${CNI_CONF_DIR:-/etc/cni/net.d}
mkdir -p "$CONF_DIR"
if compgen -G "$CONF_DIR/*.conflist" > /dev/null || compgen -G "$CONF_DIR/*.conf" > /dev/null ||
   compgen -G "$CONF_DIR/*.json" > /dev/null; then
  echo "install-cni-config: $CONF_DIR already has a network config; leaving it"
  exit 0
fi

tmp=$(mktemp "$CONF_DIR/.10-berth.conflist.XXXXXX")
cat > "$tmp" <<'JSON'
{
  "cniVersion": "1.0.0",
  "name": "berth",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "berth0",
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "routes": [{"dst": "0.0.0.0/0"}],
        "ranges": [[{"subnet": "10.88.0.0/16", "gateway": "10.88.0.1"}]]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
JSON
chmod 0644 "$tmp"
mv "$tmp" "$CONF_DIR/10-berth.conflist"
echo "install-cni-config: wrote $CONF_DIR/10-berth.conflist (bridge berth0, 10.88.0.0/16)"
