# syntax=docker/dockerfile:1
# jit-access-bot: build with the full toolchain (better-sqlite3 compiles a native addon), run on a slim image
# as the unprivileged `node` user, with the SQLite database on a volume. Node 24 is the newest LTS line that
# better-sqlite3 12 builds for (Node 26 needs better-sqlite3 13, which no longer runs on Node 20).

FROM node:24-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
# The MALLOC_ settings and the flags of CMD: as `npm start` sets them (README, "Memory"; a test holds the two alike).
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=98304 \
    JIT_DATABASE=/data/jit.sqlite \
    JIT_POLICY_FILE=/config/policy.yml \
    JIT_HTTP_PORT=8080 \
    JIT_HTTP_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json manifest.yml policy.example.yml ./
COPY migrations ./migrations
RUN mkdir -p /data /config && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
# Healthy while Socket Mode is connected and the database is writable (see /healthz).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.JIT_HTTP_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--max-semi-space-size=4", "--heap-growing-percent=30", "dist/src/main.js"]
