//! Static files (static/: css, js, img), embedded in the binary with rust-embed and served
//! with a strong ETag (the file's SHA-256, computed at build time), so browsers revalidate
//! with `If-None-Match` and get a 304.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use rust_embed::RustEmbed;

use crate::error::{Code, Error, Result};

#[derive(RustEmbed)]
#[folder = "static/"]
struct Static;

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// `GET /static/{path}`.
pub async fn serve(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse> {
    let path = path.into_inner();
    let file = Static::get(&path).ok_or_else(|| Error::new(Code::NotFound, "not found"))?;
    let etag = format!("\"{}\"", hex::encode(file.metadata.sha256_hash()));
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut res = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, etag)).insert_header((
        header::CACHE_CONTROL,
        "public, max-age=3600, must-revalidate",
    ));
    if matches {
        return Ok(res.finish());
    }
    Ok(res
        .content_type(content_type(&path))
        .body(file.data.into_owned()))
}
