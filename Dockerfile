# ddlint with the PostgreSQL client tools (for dry-run against a server).
#   docker build -t ddlint .
#   docker run --rm -v "$PWD:/work" -w /work ddlint check migrations/
FROM rust:1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libclang-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo install --locked --path . --root /out

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client ca-certificates git \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/bin/ddlint /usr/local/bin/ddlint
ENTRYPOINT ["ddlint"]
