# ddlint with PostgreSQL 15 (client tools, and the server binaries that
# `ddlint dry-run` starts as a throwaway server when no --db is given).
#   docker build -t ddlint .
#   docker run --rm -v "$PWD:/work" -w /work ddlint check migrations/
FROM rust:1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libclang-dev libssl-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo install --locked --path . --root /out

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 postgresql-client libssl3 ca-certificates git util-linux \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/bin/ddlint /usr/local/bin/ddlint
ENTRYPOINT ["ddlint"]
