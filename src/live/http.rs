//! Purpose: the HTTP details of asking the lookup page: error kinds
//! without URLs, `Retry-After`, and a body read with a size cap.

use std::time::Duration;

use super::LiveError;

/// Bytes of a page read at most.
pub const MAX_PAGE: usize = 512 * 1024;

pub(super) fn request_error(e: reqwest::Error) -> LiveError {
    if e.is_timeout() {
        LiveError::Timeout
    } else if e.is_connect() {
        LiveError::Request("could not connect")
    } else if e.is_body() || e.is_decode() {
        LiveError::Request("could not read the answer")
    } else {
        LiveError::Request("request failed")
    }
}

/// `Retry-After` in seconds (the date form is not used by this page).
pub(super) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The body as text, at most [`MAX_PAGE`] bytes (a longer page is refused).
pub(super) async fn read_capped(mut response: reqwest::Response) -> Result<String, LiveError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(request_error)? {
        if body.len() + chunk.len() > MAX_PAGE {
            return Err(LiveError::Malformed("the page is too large"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds() {
        let mut h = reqwest::header::HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(reqwest::header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            reqwest::header::RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), None);
    }
}
