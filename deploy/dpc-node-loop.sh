#!/bin/sh
# The DaemonSet's loop: apply this Node's bundle when the synced tree changes (a new bundle is proportional and
# fast), and re-apply with --full every DPC_RESYNC_SECONDS so drift of any shape is repaired. A refused or failed
# apply leaves the Node as it was; the loop logs it and tries again on the next change or resync.
set -u
bundles=${DPC_BUNDLES:-/bundles/current/out}
resync=${DPC_RESYNC_SECONDS:-300}
last=""
last_full=0
while :; do
  now=$(date +%s)
  digest=$(sha256sum "$bundles/${NODE_NAME}/bundle.json" 2>/dev/null | cut -d' ' -f1)
  if [ -n "$digest" ]; then
    if [ "$digest" != "$last" ]; then
      dpc apply "$bundles" --format json && last=$digest
    elif [ $((now - last_full)) -ge "$resync" ]; then
      dpc apply "$bundles" --full --format json && last_full=$now
    fi
  else
    echo "dpc-node-loop: no bundle for Node ${NODE_NAME} under $bundles yet" >&2
  fi
  sleep 5
done
