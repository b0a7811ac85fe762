# syntax=docker/dockerfile:1
# The drill-runner worker image (docker-compose.yml builds it as the `worker` service).
#   build    npm ci, compile TypeScript, prebuild the workflow bundle (npm run build runs deploy/bundle-workflows.js)
#   deps     production dependencies only
#   runtime  dist + production node_modules, runs `node dist/worker.js` as the non-root `node` user,
#            with its build id (--build-arg DRILL_BUILD_ID) and a healthcheck
# Debian (glibc), not Alpine: the Temporal core bridge is a native module.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY deploy/bundle-workflows.js ./deploy/bundle-workflows.js
RUN npm run build

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
# The build id of this image's code (Worker Deployment Versioning; recorded in every drill report).
ARG DRILL_BUILD_ID=0.1.0
ENV NODE_ENV=production \
    TEMPORAL_ADDRESS=temporal:7233 \
    DRILL_STATE_DIR=/data/state \
    DRILL_RESULTS_DIR=/data/results \
    DRILL_LOG_PRETTY=false \
    DRILL_BUILD_ID=${DRILL_BUILD_ID} \
    DRILL_HEALTH_ADDRESS=127.0.0.1:8081
WORKDIR /app
COPY package.json ./
COPY bin ./bin
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /data/state /data/results && chown -R node:node /data
USER node
# Prometheus metrics when DRILL_METRICS_ADDRESS=0.0.0.0:9464 (docker-compose.yml sets it).
EXPOSE 9464
# GET /healthz: 200 while the worker polls and the Temporal frontend answers.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=4 \
  CMD ["node", "-e", "fetch('http://' + process.env.DRILL_HEALTH_ADDRESS + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM (docker stop) lets in-flight activities finish (the worker's shutdownGraceTime), then exits.
STOPSIGNAL SIGTERM
CMD ["node", "dist/worker.js"]
