# Build: docker build -t runtime-agent . ; deploy: kubectl apply -f crds/ && kubectl apply -k deploy/
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts scripts
COPY src src
COPY machines machines
COPY adapters adapters
COPY sim sim
COPY bench bench
RUN npm ci --ignore-scripts && npm run build

# The runtime image holds the bundle only (scripts/bundle.mjs): no node_modules.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY bin bin
COPY crds crds
COPY --from=build /app/dist/bundle dist/bundle
USER 65535
ENTRYPOINT ["/app/bin/runtime-agent"]
CMD ["run"]
