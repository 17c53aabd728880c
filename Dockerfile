# syntax=docker/dockerfile:1
# aadsts-bot as a container: build with the Rust toolchain, run on a small
# Debian image with Tesseract (for screenshots) and CA certificates.
#   docker build -t aadsts-bot .
#   docker run --env-file .env -v aadsts-data:/data aadsts-bot

# ---- build ----
# The toolchain the tests run on (the dependencies need at least 1.91).
FROM rust:1.95-bookworm AS builder
WORKDIR /src
# The commit for `--version` (there is no .git in the build context).
ARG GIT_COMMIT=unknown
ENV AADSTS_GIT_COMMIT=${GIT_COMMIT}
COPY Cargo.toml Cargo.lock build.rs ./
COPY src ./src
COPY benches ./benches
COPY migrations ./migrations
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin aadsts-bot \
    && cp target/release/aadsts-bot /aadsts-bot

# ---- run ----
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tesseract-ocr tesseract-ocr-eng \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin aadsts \
    && mkdir -p /data \
    && chown aadsts:aadsts /data
COPY --from=builder /aadsts-bot /usr/local/bin/aadsts-bot
# Baked-in knowledge; mount a folder over /app/knowledge to use your own.
COPY knowledge /app/knowledge
WORKDIR /app
ENV KNOWLEDGE_DIR=/app/knowledge \
    DATABASE_URL=sqlite:///data/aadsts-bot.db \
    METRICS_ADDR=0.0.0.0:9100 \
    RUST_LOG=info,serenity=warn,poise=warn
VOLUME ["/data"]
EXPOSE 9100
USER aadsts
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["aadsts-bot", "healthcheck"]
ENTRYPOINT ["aadsts-bot"]
CMD ["run"]
