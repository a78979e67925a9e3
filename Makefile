# dpc: every entry point a person or CI uses. `make demo` and `make test` work on a fresh Debian 12 machine as root.
SHELL := /bin/bash
NODE_MODULES := node_modules/.installed
DEB_PACKAGES := openvswitch-switch iptables ipset iproute2 tshark python3 iperf3 ethtool

.PHONY: all build demo test unit golden golden-update bench bench-apply bench-parse bench-node-policies conformance conformance-sync-check deps debs clean

all: build

# `npm install` rather than `npm ci`: the lock file leaves out other platforms' optional packages (rollup's
# native builds), which `npm ci` refuses although nothing here needs them.
$(NODE_MODULES): package.json package-lock.json
	npm install --no-audit --no-fund
	@touch $@

deps: $(NODE_MODULES)

# Debian packages the dataplane tests need; installed only when missing.
debs:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

build: deps
	npx tsc -p tsconfig.json

# The main job on the bundled example cluster: compile examples/ into ./out and print a per-Node summary.
demo: build
	node dist/cli/dpc.js compile examples/cluster -o out

# Every test: unit, golden, dataplane (private Open vSwitch) and conformance.
test: deps debs build
	DPC_BUILT=1 npx vitest run

golden-update: build
	node dist/test/golden/update.js

bench: build
	node --expose-gc dist/bench/run.js

# YAML against JSON: parse and validate the same snapshot in both (bench/parse.ts).
bench-parse: build
	node --expose-gc dist/bench/parse.js

# Node policies: 1,000 Nodes, 200 ClusterNetworkPolicies applied to Nodes (bench/nodePolicies.ts).
bench-node-policies: build
	node --expose-gc --max-old-space-size=6000 dist/bench/nodePolicies.js

# Issue 12's apply target: one rule changed on a Node with 50,000 flows, against ovs-ofctl replace-flows (bench/apply.ts).
bench-apply: build
	node dist/bench/apply.js

# Reachability cases (format: conformance/README.md) proven on private Open vSwitch instances.
CASES ?= conformance
conformance: deps debs build
	node dist/test/conformance/cli.js $(CASES)

# The sync check: when an upstream copy of the cases sits beside the repository (shared/conformance next to it),
# report the cases of the suites held here that differ from it; without one it skips and says so.
conformance-sync-check: deps build
	DPC_BUILT=1 npx vitest run test/conformanceSync.test.ts

clean:
	rm -rf dist out
