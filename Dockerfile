# The agent's image. Build and push: docker build -t REGISTRY/runtime-agent:TAG . && docker push REGISTRY/runtime-agent:TAG
# Install: README, "Install on a real cluster". No image can be built on the build machines (no docker
# engine): test/commands/dockerfile-rules.test.ts checks this file's rules, and
# test/commands/container-image.test.ts runs the runtime stage's layout through its ENTRYPOINT on the
# Node.js release of the base image.
#
# Base image: Node.js 26, the Active LTS line on 2026-11-30 (Active LTS since 2026-10-28, supported
# until 2029-04-30; Node 20 left support on 2026-04-30, Node 24 is in maintenance), Debian 13 slim.
# Pinned by its full version tag. Its digest is not pinned because it cannot be known here: the
# build machines reach no container registry. Where one is reachable, pin it too, in both stages:
#   docker buildx imagetools inspect node:26.10.0-trixie-slim    # prints the index digest
#   FROM node:26.10.0-trixie-slim@sha256:<that digest>
# CI runs the agent on this same release (npx node@26.10.0, see .ci/run); change both together.

FROM node:26.10.0-trixie-slim AS build
WORKDIR /app
# Only what `npm run build` needs for dist/bundle (tsc over src, machines, adapters, sim; then
# scripts/bundle.mjs): not bench/, test/, docs or the rest of scripts/.
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.mjs scripts/bundle.mjs
COPY src src
COPY machines machines
COPY adapters adapters
COPY sim sim
RUN npm ci --ignore-scripts --no-audit --no-fund && npm run build

# The runtime image holds the bundle only (scripts/bundle.mjs): no node_modules, no sources.
FROM node:26.10.0-trixie-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY bin bin
COPY crds crds
COPY --from=build /app/dist/bundle dist/bundle
# Non-root: the Deployment's runAsUser; the root filesystem is read-only there (the event log goes to a volume).
USER 65535:65535
# Exec form with node itself: node is PID 1 and receives SIGTERM (the agent stops cleanly and exits 0),
# no shell or wrapper in between. The agent starts no child processes, so no init is needed to reap them.
# Two deprecation warnings are turned off, both about node-fetch 2, the HTTP layer of
# @kubernetes/client-node 1.4 (the last line that runs on the Node 20 the tooling uses): DEP0040 (it
# loads Node's built-in punycode module, through whatwg-url 5) and DEP0169 (it reads the API server's
# URLs, from the kubeconfig or the Pod's environment, with url.parse). Both still work on Node 26; the
# warnings would only put lines outside the JSON log on stderr. Any other warning still shows.
ENTRYPOINT ["node", "--disable-warning=DEP0040", "--disable-warning=DEP0169", "/app/bin/runtime-agent"]
CMD ["run"]
