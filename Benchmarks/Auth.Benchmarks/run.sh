#!/usr/bin/env bash
# Client-credentials tokens per second: Auth.Server vs npm oidc-provider, configured alike, interleaved in one run.
# Needs: hey (apt), node, `npm install oidc-provider@9.13.3` in this folder, Auth.Server built in Release.
# Usage: Benchmarks/Auth.Benchmarks/run.sh [seconds-per-round] [rounds] [concurrency]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
secs=${1:-10}; rounds=${2:-2}; conc=${3:-16}
keys=$(mktemp -d)
# Production carries no clients (the lab's are in appsettings.Development.json), so the one client the benchmark
# needs is configured the IdentityServer4 way, through environment variables, like oidc-provider.mjs's.
(cd "$root/Auth.Server" && ASPNETCORE_ENVIRONMENT=Production Auth__PlaintextSecrets=true Auth__SigningKeys__Path="$keys" Serilog__MinimumLevel__Default=Warning \
  Auth__Clients__0__ClientId=lab-client Auth__Clients__0__ClientSecrets__0__Value=lab-secret \
  Auth__Clients__0__AllowedGrantTypes__0=client_credentials Auth__Clients__0__AllowedScopes__0=catalog.read \
  Auth__ApiScopes__0__Name=catalog.read Auth__ApiResources__0__Name=catalog Auth__ApiResources__0__Scopes__0=catalog.read \
  exec dotnet bin/Release/net10.0/Auth.Server.dll --urls http://127.0.0.1:9201 >/dev/null 2>&1) &
ours=$!
(cd "$here" && NODE_ENV=production exec node oidc-provider.mjs 9202 >/dev/null 2>&1) &
theirs=$!
trap 'kill $ours $theirs 2>/dev/null; rm -rf "$keys"' EXIT
for p in 9201 9202; do
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$p/.well-known/openid-configuration" >/dev/null && break; sleep 0.3; done
done
auth="Authorization: Basic $(printf 'lab-client:lab-secret' | base64)"
body='grant_type=client_credentials&scope=catalog.read'
# Prints requests/s and the status-code distribution (every response must be a 200 for the figure to count).
rate() { hey -z "${secs}s" -c "$conc" -m POST -H "$auth" -T application/x-www-form-urlencoded -d "$body" "$1" | awk '/Requests\/sec/ {r=$2} /^  \[[0-9]+\]/ {s=s" "$1"x"$2} END {printf "%s req/s, status%s", r, s}'; }
# warm-up
hey -n 500 -c 8 -m POST -H "$auth" -T application/x-www-form-urlencoded -d "$body" http://127.0.0.1:9201/connect/token >/dev/null
hey -n 500 -c 8 -m POST -H "$auth" -T application/x-www-form-urlencoded -d "$body" http://127.0.0.1:9202/token >/dev/null
for r in $(seq 1 "$rounds"); do
  echo "round $r Auth.Server   $(rate http://127.0.0.1:9201/connect/token)"
  echo "round $r oidc-provider $(rate http://127.0.0.1:9202/token)"
done
