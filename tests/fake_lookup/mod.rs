//! A loopback stand-in for Microsoft's lookup page (`GET /error?code=N`):
//! serves a page shaped like the real one (a search form, and for a known
//! code a two-column table with "Error Code", "Message" and optionally
//! "Remediation"; for an unknown code the form and a "not found" line, no
//! table), or a chosen failure, and records every request it gets.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// What the fake answers for a code.
#[derive(Debug, Clone)]
#[allow(dead_code)] // each test binary uses some of these
pub enum Reply {
    /// The table with this message (and remediation).
    Found {
        message: String,
        remediation: Option<String>,
    },
    /// The page without a table (the default for codes not set).
    NotFound,
    /// The inner reply after a pause.
    Slow(Duration, Box<Reply>),
    /// This status with a short body; `retry_after` as a header.
    Status(u16, Option<u64>),
    /// This body, as HTML, status 200.
    Raw(String),
}

/// One request the fake received.
#[derive(Debug, Clone)]
#[allow(dead_code)]
pub struct Hit {
    pub at: Instant,
    pub path: String,
    pub query: Option<String>,
    pub user_agent: Option<String>,
    pub cookie: Option<String>,
    pub header_names: Vec<String>,
}

#[derive(Default)]
struct Shared {
    replies: Mutex<HashMap<String, Reply>>,
    hits: Mutex<Vec<Hit>>,
}

/// The running fake.
pub struct FakeLookup {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

#[allow(dead_code)]
impl FakeLookup {
    /// Starts on 127.0.0.1, a free port, on the current runtime.
    pub async fn start() -> Self {
        let shared = Arc::new(Shared::default());
        let app = Router::new()
            .route("/error", get(page))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, shared }
    }

    /// `http://127.0.0.1:PORT`, for `LIVE_LOOKUP_URL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Answers `reply` for `code` from now on.
    pub fn set(&self, code: u32, reply: Reply) {
        self.shared
            .replies
            .lock()
            .unwrap()
            .insert(code.to_string(), reply);
    }

    /// `set` with a found page.
    pub fn found(&self, code: u32, message: &str, remediation: Option<&str>) {
        self.set(
            code,
            Reply::Found {
                message: message.into(),
                remediation: remediation.map(Into::into),
            },
        );
    }

    /// Every request so far, in arrival order.
    pub fn hits(&self) -> Vec<Hit> {
        self.shared.hits.lock().unwrap().clone()
    }
}

async fn page(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    shared.hits.lock().unwrap().push(Hit {
        at: Instant::now(),
        path: "/error".into(),
        query: query.clone(),
        user_agent: header("user-agent"),
        cookie: header("cookie"),
        header_names: headers.keys().map(|k| k.as_str().to_owned()).collect(),
    });
    let code = query
        .as_deref()
        .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("code=")))
        .unwrap_or("")
        .to_owned();
    let reply = shared
        .replies
        .lock()
        .unwrap()
        .get(&code)
        .cloned()
        .unwrap_or(Reply::NotFound);
    respond(&code, reply).await
}

async fn respond(code: &str, mut reply: Reply) -> Response {
    while let Reply::Slow(pause, inner) = reply {
        tokio::time::sleep(pause).await;
        reply = *inner;
    }
    // The real page sets session cookies; the client must never send them back.
    let cookie = [("set-cookie", "esctx=fake-session; path=/; secure; HttpOnly")];
    match reply {
        Reply::Found {
            message,
            remediation,
        } => {
            let mut rows = format!(
                "<tr><td>Error Code</td><td>{}</td></tr>\n<tr><td>Message</td><td>{}</td></tr>\n",
                escape(code),
                escape(&message)
            );
            if let Some(r) = remediation {
                rows.push_str(&format!(
                    "<tr><td>Remediation</td><td>{}</td></tr>\n",
                    escape(&r)
                ));
            }
            let body = shell(
                code,
                &format!(
                    "<table class=\"table table-striped\">\n<tbody>\n{rows}</tbody>\n</table>"
                ),
            );
            (cookie, html(body)).into_response()
        }
        Reply::NotFound => (
            cookie,
            html(shell(code, "<p class=\"text-danger\">Code not found!</p>")),
        )
            .into_response(),
        Reply::Status(status, retry_after) => {
            let mut response = (
                StatusCode::from_u16(status).unwrap(),
                html("<html><body>Too many requests</body></html>".into()),
            )
                .into_response();
            if let Some(s) = retry_after {
                response
                    .headers_mut()
                    .insert("retry-after", s.to_string().parse().unwrap());
            }
            response
        }
        Reply::Raw(body) => html(body).into_response(),
        Reply::Slow(..) => unreachable!(),
    }
}

fn html(body: String) -> impl IntoResponse {
    ([("content-type", "text/html; charset=utf-8")], body)
}

/// The page around the answer: head, scripts, the search form.
fn shell(code: &str, answer: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Error code lookup</title>\n<link rel=\"stylesheet\" href=\"/css/site.css\">\n\
         <script>window.config = {{ \"table\": \"<table>\" }};</script>\n</head>\n<body>\n\
         <div class=\"container\">\n<h1>Error code lookup</h1>\n\
         <form method=\"post\" action=\"/error\"><label for=\"code\">Error code</label>\
         <input id=\"code\" name=\"code\" value=\"{}\"><button type=\"submit\">Submit</button></form>\n\
         {answer}\n</div>\n</body>\n</html>\n",
        escape(code)
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
