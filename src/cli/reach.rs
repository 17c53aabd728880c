//! Purpose: before the bot starts, check that Discord's API host (from
//! `DISCORD_API_URL`) accepts a connection at all, so a wrong URL or a
//! network without a route fails at once with one line instead of the
//! gateway retrying for ever.

use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// How long one connection attempt may take.
const TIMEOUT: Duration = Duration::from_secs(5);

/// `Ok` when some address of `api_url`'s host accepts a TCP connection;
/// otherwise the reason, for the user (it names the URL, never the token).
pub(super) fn check(api_url: &str) -> Result<(), String> {
    let url =
        reqwest::Url::parse(api_url).map_err(|e| format!("DISCORD_API_URL {api_url}: {e}"))?;
    let host = url.host_str().unwrap_or_default();
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs = (host, port)
        .to_socket_addrs()
        .map_err(|e| aadsts_bot::text::discord_unreachable(api_url, &e.to_string()))?;
    let mut last = String::from("no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, TIMEOUT) {
            Ok(_) => return Ok(()),
            Err(e) => last = e.to_string(),
        }
    }
    Err(aadsts_bot::text::discord_unreachable(api_url, &last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listening_port_passes_and_a_closed_one_fails() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        assert_eq!(check(&format!("http://127.0.0.1:{port}")), Ok(()));
        drop(listener);
        let err = check(&format!("http://127.0.0.1:{port}")).unwrap_err();
        assert!(
            err.starts_with(&format!("cannot reach Discord at http://127.0.0.1:{port}")),
            "{err}"
        );
    }
}
