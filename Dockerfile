# The API, worker and writer image (one image, three commands). The gpu-worker has its own
# (gpu-worker/Dockerfile) because its model runtimes are hundreds of MB.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY gpu-worker/package.json gpu-worker/package.json
# Root dependencies only; onnxruntime's CUDA download is skipped (the gpu-worker image does its own).
RUN ONNXRUNTIME_NODE_INSTALL=skip npm ci --workspaces=false --include-workspace-root
COPY . .
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev --workspaces=false

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/package.json package.json
COPY --from=build /app/schema schema
COPY --from=build /app/supabase supabase
COPY --from=build /app/src/redis/scripts src/redis/scripts
USER node
EXPOSE 4000
CMD ["node", "dist/src/api/main.js"]
