//! Purpose: `GET /health` (JSON), `GET /healthz` (for probes) and
//! `GET /metrics` (Prometheus text, rendered by `metrics-exporter-prometheus`)
//! on `METRICS_ADDR`.
//!
//! Health is the truth about answering: 200 only while the gateway is
//! connected and knowledge is loaded, 503 otherwise.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use metrics::{counter, gauge};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::Data;

/// Reply latency buckets, seconds (dispatch to reply accepted by Discord).
const LATENCY_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0, 30.0,
];

/// The process-wide recorder; installed once, on the first `serve`.
fn recorder() -> anyhow::Result<&'static PrometheusHandle> {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    if let Some(h) = HANDLE.get() {
        return Ok(h);
    }
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full("aadsts_reply_latency_seconds".into()),
            &LATENCY_BUCKETS,
        )?
        .install_recorder()?;
    Ok(HANDLE.get_or_init(|| handle))
}

/// Binds `addr` and serves the endpoints in the background.
pub async fn serve(addr: SocketAddr, data: Arc<Data>) -> anyhow::Result<()> {
    let handle = recorder()?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "health and metrics endpoint listening");
    let app = Router::new()
        .route("/health", get(health))
        .route("/healthz", get(healthz))
        .route("/metrics", get(move |state| metrics(state, handle)))
        .with_state(data);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("metrics endpoint stopped: {e}");
        }
    });
    Ok(())
}

/// Can the bot answer right now?
async fn healthy(data: &Data) -> bool {
    data.gateway_connected().await && !data.engine.knowledge().is_empty() && !data.is_stopping()
}

fn status(ok: bool) -> StatusCode {
    if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

async fn health(State(data): State<Arc<Data>>) -> (StatusCode, axum::Json<serde_json::Value>) {
    let knowledge = data.engine.knowledge();
    let ok = healthy(&data).await;
    let shards: Vec<serde_json::Value> = data
        .shard_states()
        .await
        .into_iter()
        .map(|(id, up)| serde_json::json!({"id": id, "connected": up}))
        .collect();
    let body = serde_json::json!({
        "status": if ok { "ok" } else { "unavailable" },
        "connected": data.gateway_connected().await,
        "shards": shards,
        "seconds_since_last_event": data.health.seconds_since_event(),
        "knowledge_loaded": !knowledge.is_empty(),
        "knowledge_version": knowledge.version(),
        "entries": knowledge.len(),
        "stopping": data.is_stopping(),
    });
    (status(ok), axum::Json(body))
}

async fn healthz(State(data): State<Arc<Data>>) -> (StatusCode, &'static str) {
    match status(healthy(&data).await) {
        StatusCode::OK => (StatusCode::OK, "ok\n"),
        other => (other, "unavailable\n"),
    }
}

async fn metrics(State(data): State<Arc<Data>>, handle: &'static PrometheusHandle) -> String {
    // Totals kept elsewhere are copied in at scrape time.
    let c = &data.counters;
    let r = &data.rest.counters;
    let cache = data.engine.cache_stats();
    let knowledge = data.engine.knowledge();
    let load = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    counter!("aadsts_messages_scanned_total").absolute(load(&c.messages_scanned));
    counter!("aadsts_replies_sent_total").absolute(load(&c.replies_sent));
    counter!("aadsts_replies_edited_total").absolute(load(&c.replies_edited));
    counter!("aadsts_replies_deleted_total").absolute(load(&c.replies_deleted));
    counter!("aadsts_replies_abandoned_total").absolute(load(&c.replies_abandoned));
    counter!("aadsts_errors_total").absolute(load(&c.errors));
    counter!("aadsts_rate_limited_total", "scope" => "route").absolute(load(&r.rate_limited_route));
    counter!("aadsts_rate_limited_total", "scope" => "global")
        .absolute(load(&r.rate_limited_global));
    counter!("aadsts_rest_retries_total").absolute(load(&r.retried));
    counter!("aadsts_render_cache_hits_total").absolute(cache.hits);
    counter!("aadsts_render_cache_misses_total").absolute(cache.misses);
    gauge!("aadsts_knowledge_entries").set(knowledge.len() as f64);
    counter!("aadsts_knowledge_reload_failures_total").absolute(aadsts_bot::reload::failures());
    gauge!("aadsts_knowledge_info", "version" => knowledge.version().to_owned()).set(1.0);
    counter!("aadsts_gateway_reconnects_total").absolute(load(&c.reconnects));
    for (shard, connected) in data.shard_states().await {
        gauge!("aadsts_shard_connected", "shard" => shard.to_string()).set(if connected {
            1.0
        } else {
            0.0
        });
    }
    handle.render()
}
