# Build: docker build -t runtime-agent . ; deploy: kubectl apply -f crds/ && kubectl apply -k deploy/
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src src
COPY machines machines
COPY adapters adapters
COPY sim sim
COPY bench bench
RUN npm ci --ignore-scripts && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json ./
COPY bin bin
COPY crds crds
USER 65535
ENTRYPOINT ["node", "bin/runtime-agent"]
CMD ["run"]
