# syntax=docker/dockerfile:1.7
# One image for every role. The chart (and `docker run IMAGE <role>`) picks it by command:
#   api | worker | dashboard | task <job_name> | seed
# Build: docker build -t pca-agent:dev .   (skaffold dev does this for you)

# Pinned by exact tag; the major matches package.json "engines" and .nvmrc.
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

# 1. Full dependency tree and the TypeScript build.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY services ./services
RUN npm run build

# 2. Production dependencies only, from the same lockfile (cached until package-lock.json changes).
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund

# 3. Runtime: node, production node_modules and the compiled services; nothing else.
FROM ${NODE_IMAGE} AS runtime
# No package manager at run time: nothing in the container installs anything.
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only to the app user, so the chart can mount the root filesystem read-only.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist/services ./dist/services
COPY package.json ./
# Fixed numeric UID/GID: the chart's runAsUser/runAsGroup, and runAsNonRoot can verify it.
USER 10001:10001
EXPOSE 8000 5555 9464
# Exec form: node is PID 1 and receives SIGTERM itself; every role drains and exits on it.
ENTRYPOINT ["node", "--require", "./dist/services/src/telemetry/instrumentation.js", "dist/services/src/main.js"]
CMD ["api"]
