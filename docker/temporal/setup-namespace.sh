#!/bin/sh
# One-shot (temporalio/admin-tools): registers the namespace and the order search attributes the workflow keeps current.
# Safe to run again: what already exists is left as it is, so `docker compose up` can always run it.
set -eu

namespace="${TEMPORAL_NAMESPACE:-default}"
retention="${TEMPORAL_NAMESPACE_RETENTION:-72h}"
attempts=60

echo "waiting for Temporal at $TEMPORAL_ADDRESS"
attempt=1
until temporal operator cluster health >/dev/null 2>&1; do
  if [ "$attempt" -ge "$attempts" ]; then
    echo "Temporal did not become healthy after $attempts attempts" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 2
done

if temporal operator namespace describe --namespace "$namespace" >/dev/null 2>&1; then
  echo "namespace $namespace already registered"
else
  temporal operator namespace create --namespace "$namespace" --retention "$retention" \
    || temporal operator namespace describe --namespace "$namespace" >/dev/null
  echo "namespace $namespace registered"
fi

# The namespace cache of a freshly started server may not know the namespace yet; listing succeeds once it does.
attempt=1
until temporal operator search-attribute list --namespace "$namespace" >/dev/null 2>&1; do
  if [ "$attempt" -ge "$attempts" ]; then
    echo "namespace $namespace did not become usable after $attempts attempts" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 1
done

registered() {
  temporal operator search-attribute list --namespace "$namespace" | grep -Eq "^[[:space:]]*$1[[:space:]]"
}

ensure_search_attribute() {
  if registered "$1"; then
    echo "search attribute $1 already registered"
    return 0
  fi
  # A concurrent run may register it between the check and the create: that failure is fine if it is there afterwards.
  temporal operator search-attribute create --namespace "$namespace" --name "$1" --type "$2" || registered "$1"
  echo "search attribute $1 ($2) registered"
}

ensure_search_attribute OrderStatus Keyword
ensure_search_attribute CustomerId Keyword
ensure_search_attribute OrderTotal Int
ensure_search_attribute InventorySlow Bool
echo "Temporal namespace $namespace is ready"
