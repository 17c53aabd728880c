//! Purpose: `GET /health` and `GET /metrics` (Prometheus text) on
//! `METRICS_ADDR`, for uptime checks and dashboards.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::Router;

use super::Data;

/// Binds `addr` and serves the endpoints in the background.
pub async fn serve(addr: SocketAddr, data: Arc<Data>) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "health and metrics endpoint listening");
    let app = Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .with_state(data);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("metrics endpoint stopped: {e}");
        }
    });
    Ok(())
}

async fn health(State(data): State<Arc<Data>>) -> axum::Json<serde_json::Value> {
    let knowledge = data.engine.knowledge();
    axum::Json(serde_json::json!({
        "status": "ok",
        "connected": data.bot_id.get().is_some(),
        "knowledge_version": knowledge.version(),
        "entries": knowledge.len(),
    }))
}

async fn metrics(State(data): State<Arc<Data>>) -> String {
    let c = &data.counters;
    let cache = data.engine.cache_stats();
    let counter = |name: &str, help: &str, value: u64| {
        format!(
            "# HELP aadsts_{name} {help}\n# TYPE aadsts_{name} counter\naadsts_{name} {value}\n"
        )
    };
    [
        counter("messages_scanned_total", "Messages scanned in enabled channels.", c.messages_scanned.load(Ordering::Relaxed)),
        counter("replies_sent_total", "Auto-replies sent.", c.replies_sent.load(Ordering::Relaxed)),
        counter("replies_edited_total", "Replies updated after an edit.", c.replies_edited.load(Ordering::Relaxed)),
        counter("replies_deleted_total", "Replies deleted.", c.replies_deleted.load(Ordering::Relaxed)),
        counter("errors_total", "Errors in handlers.", c.errors.load(Ordering::Relaxed)),
        counter("rate_limited_total", "429 answers waited out.", data.rest.counters.rate_limited.load(Ordering::Relaxed)),
        counter("render_cache_hits_total", "Embeds served from the cache.", cache.hits),
        counter("render_cache_misses_total", "Embeds rendered.", cache.misses),
        format!("# HELP aadsts_knowledge_entries Entries loaded.\n# TYPE aadsts_knowledge_entries gauge\naadsts_knowledge_entries {}\n", data.engine.knowledge().len()),
    ]
    .concat()
}
